"""The sellers app's part of the REST API, mounted at /api/v1/ (config/urls.py)."""

from django.urls import path

from sellers.apis import CMAReportApi, CMATriggerApi, PropertyDetailApi, PropertyListApi

app_name = "sellers-api"
urlpatterns = [
    path("properties", PropertyListApi.as_view(), name="property-list"),
    path("properties/<int:property_id>", PropertyDetailApi.as_view(), name="property-detail"),
    path("sellers/contacts/<int:contact_id>/cma", CMATriggerApi.as_view(), name="cma-trigger"),
    path("sellers/cma/<int:report_id>", CMAReportApi.as_view(), name="cma-report"),
]
