from django.urls import path

from .apis import GhlWebhookApi, GhlWorkflowWebhookApi

app_name = "ghl_webhooks"

urlpatterns = [
    path("", GhlWebhookApi.as_view(), name="receive"),
    path("workflow/", GhlWorkflowWebhookApi.as_view(), name="workflow"),
]
