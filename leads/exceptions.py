"""Errors of the leads app (rendered as 4xx by ``config.errors``)."""

from rest_framework import status

from config.errors import ApplicationError


class LeadsError(ApplicationError):
    code = "leads_error"


class EscalationError(LeadsError):
    """An escalation ticket cannot be changed that way (resolved twice, bad reason, …)."""

    code = "escalation_error"
    status_code = status.HTTP_409_CONFLICT
