"""Errors of the leads app (rendered as 4xx by ``config.errors``)."""

from rest_framework import status

from config.errors import ApplicationError


class LeadsError(ApplicationError):
    code = "leads_error"


class EscalationError(LeadsError):
    """An escalation ticket cannot be changed that way (resolved twice, bad reason, …)."""

    code = "escalation_error"
    status_code = status.HTTP_409_CONFLICT


class ConversationActionError(LeadsError):
    """A person's action on a conversation cannot be done (a reply that may not be sent, a
    stage with no next one); the message says why, in words for that person."""

    code = "conversation_action_error"


class NoNextStage(ConversationActionError):
    """The conversation is at a stage with nothing after it."""

    code = "no_next_stage"
    status_code = status.HTTP_409_CONFLICT


class ApiTokenError(LeadsError):
    """An API token cannot be issued that way."""

    code = "api_token_error"


class ApiTokenRefused(LeadsError):
    """A request's API token does not let it in (unknown, revoked, or its user inactive)."""

    code = "api_token_refused"
    status_code = status.HTTP_401_UNAUTHORIZED


# --- The web chat (leads.webchat): each error's message is what the widget shows. ---------
class WebChatError(ApplicationError):
    code = "web_chat_error"


class OriginNotAllowed(WebChatError):
    code = "origin_not_allowed"
    status_code = status.HTTP_403_FORBIDDEN


class MessageTooLong(WebChatError):
    code = "message_too_long"
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


class InvalidChatMessage(WebChatError):
    code = "invalid_message"
    status_code = status.HTTP_400_BAD_REQUEST


class UnknownVisitor(WebChatError):
    code = "unknown_visitor"
    status_code = status.HTTP_404_NOT_FOUND


class ChatRateLimited(WebChatError):
    code = "rate_limited"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


# --- HighLevel webhooks (leads.webhooks.ghl) ------------------------------------------------
class WebhookRejectionsLimited(LeadsError):
    """One address sent more unauthentic deliveries than GHL_WEBHOOK_REJECTION_LIMIT allows in
    the window: it is refused (with Retry-After) and no longer recorded."""

    code = "too_many_rejections"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after
