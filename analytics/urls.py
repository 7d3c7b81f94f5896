from django.urls import path

from .apis import PipelineSummaryApi

app_name = "analytics"
urlpatterns = [
    path("pipeline", PipelineSummaryApi.as_view(), name="pipeline"),
]
