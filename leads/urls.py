from django.urls import path

from .apis import LeadAnalyzeApi

app_name = "leads"
urlpatterns = [
    path("analyze", LeadAnalyzeApi.as_view(), name="analyze"),
]
