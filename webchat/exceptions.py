"""What the web chat refuses; each leaves as ``{"error": {"code", "message", "details"}}``
with the status below (``config.errors``), and its message is what the widget shows."""

from rest_framework import status

from config.errors import ApplicationError


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
