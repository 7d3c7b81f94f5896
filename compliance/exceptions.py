"""Errors of the compliance app (rendered as 4xx by config.errors)."""

from config.errors import ApplicationError


class ComplianceError(ApplicationError):
    """A compliance rule or a ticket's state said no."""

    code = "compliance_error"
