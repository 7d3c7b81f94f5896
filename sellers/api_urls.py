from django.urls import path

from sellers.apis import CMAReportApi, CMATriggerApi

app_name = "sellers-api"
urlpatterns = [
    path("contacts/<int:contact_id>/cma", CMATriggerApi.as_view(), name="cma-trigger"),
    path("cma/<int:report_id>", CMAReportApi.as_view(), name="cma-report"),
]
