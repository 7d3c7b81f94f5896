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
