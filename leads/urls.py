"""The leads app's part of the REST API, mounted at /api/v1/ (config/urls.py)."""

from django.urls import path

from .apis.actions import (
    ConversationAdvanceStageApi,
    ConversationPauseApi,
    ConversationReplyApi,
    ConversationResumeApi,
)
from .apis.analyze import LeadAnalyzeApi
from .apis.contacts import ContactDetailApi, ContactListApi
from .apis.conversations import ConversationDetailApi, ConversationListApi, ConversationMessagesApi
from .apis.deals import DealDetailApi, DealListApi
from .apis.tickets import EscalationTicketDetailApi, EscalationTicketListApi

app_name = "leads"
urlpatterns = [
    path("leads/analyze", LeadAnalyzeApi.as_view(), name="analyze"),
    path("contacts", ContactListApi.as_view(), name="contact-list"),
    path("contacts/<int:contact_id>", ContactDetailApi.as_view(), name="contact-detail"),
    path("conversations", ConversationListApi.as_view(), name="conversation-list"),
    path(
        "conversations/<int:conversation_id>",
        ConversationDetailApi.as_view(),
        name="conversation-detail",
    ),
    path(
        "conversations/<int:conversation_id>/messages",
        ConversationMessagesApi.as_view(),
        name="conversation-messages",
    ),
    path(
        "conversations/<int:conversation_id>/reply",
        ConversationReplyApi.as_view(),
        name="conversation-reply",
    ),
    path(
        "conversations/<int:conversation_id>/pause",
        ConversationPauseApi.as_view(),
        name="conversation-pause",
    ),
    path(
        "conversations/<int:conversation_id>/resume",
        ConversationResumeApi.as_view(),
        name="conversation-resume",
    ),
    path(
        "conversations/<int:conversation_id>/advance-stage",
        ConversationAdvanceStageApi.as_view(),
        name="conversation-advance-stage",
    ),
    path("deals", DealListApi.as_view(), name="deal-list"),
    path("deals/<int:deal_id>", DealDetailApi.as_view(), name="deal-detail"),
    path("tickets/escalations", EscalationTicketListApi.as_view(), name="escalation-list"),
    path(
        "tickets/escalations/<int:ticket_id>",
        EscalationTicketDetailApi.as_view(),
        name="escalation-detail",
    ),
]
