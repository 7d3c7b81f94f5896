from django.urls import path

from .ml_apis import LeadScoreApi

app_name = "ml"
urlpatterns = [path("score", LeadScoreApi.as_view(), name="score")]
