from django.urls import path

from sellers import views

app_name = "sellers"

urlpatterns = [
    path("cma/<int:report_id>/", views.cma_report_detail, name="cma-detail"),
    path("cma/<int:report_id>/download/", views.cma_report_download, name="cma-download"),
    path("cma/shared/<str:token>/", views.cma_report_shared, name="cma-shared"),
]
