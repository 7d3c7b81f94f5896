from django.urls import path

from .apis import (
    ConversationAdvanceStageApi,
    ConversationPauseApi,
    ConversationReplyApi,
    ConversationResumeApi,
    LeadAnalyzeApi,
)

app_name = "leads"
urlpatterns = [
    path("analyze", LeadAnalyzeApi.as_view(), name="analyze"),
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
]
