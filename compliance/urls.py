"""The compliance app's part of the REST API, mounted at /api/v1/ (config/urls.py)."""

from django.urls import path

from .apis import ComplianceCheckApi, ComplianceTicketDetailApi, ComplianceTicketListApi

app_name = "compliance"
urlpatterns = [
    path("compliance/check", ComplianceCheckApi.as_view(), name="check"),
    path("tickets/compliance", ComplianceTicketListApi.as_view(), name="ticket-list"),
    path(
        "tickets/compliance/<int:ticket_id>",
        ComplianceTicketDetailApi.as_view(),
        name="ticket-detail",
    ),
]
