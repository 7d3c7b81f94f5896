"""Typed failures of the HighLevel API client (and ``UnreadableWebhook``, of reading its webhooks).

``GHLError`` subclasses ``Exception``, not ``config.errors.ApplicationError``: a
HighLevel outage or a 429 is not a business rule saying no, and the DRF handler would
render an ``ApplicationError`` as a 400 blaming the caller. Services catch these and
decide (ledger status, task retry, escalation).

``may_have_reached_highlevel`` tells the send ledger whether a failed send can be
retried safely: ``False`` only when HighLevel certainly did not act on the request.
"""


class GHLError(Exception):
    """Any failure talking to HighLevel."""

    may_have_reached_highlevel = True

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        operation: str = "",
        body: object = None,
    ):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.operation = operation
        self.body = body

    def __str__(self) -> str:
        where = f"{self.operation}: " if self.operation else ""
        status = f"HTTP {self.status_code}: " if self.status_code else ""
        return f"{where}{status}{self.message}"


class GHLTransportError(GHLError):
    """The network failed (refused, reset, timed out) before a full response arrived.

    ``request_sent`` is False only for failures before the request left (connect
    errors and connect or pool timeouts); after that HighLevel may have acted on it.
    """

    def __init__(self, message: str, *, request_sent: bool, operation: str = ""):
        super().__init__(message, operation=operation)
        self.request_sent = request_sent

    @property
    def may_have_reached_highlevel(self) -> bool:  # type: ignore[override]
        return self.request_sent


class GHLServerError(GHLError):
    """HighLevel answered 5xx; whether it acted on the request is unknown."""


class GHLClientError(GHLError):
    """HighLevel refused the request (4xx other than 429): retrying will not help."""

    may_have_reached_highlevel = False


class GHLRateLimited(GHLError):
    """HighLevel answered 429, or our limiter could not grant a request within its bound.

    Either way HighLevel did not act on the request. ``retry_after`` is the wait in
    seconds HighLevel (or the limiter) asked for, when known.
    """

    may_have_reached_highlevel = False

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status_code: int | None = None,
        operation: str = "",
        body: object = None,
    ):
        super().__init__(message, status_code=status_code, operation=operation, body=body)
        self.retry_after = retry_after


class GHLUploadError(GHLError):
    """An attachment could not be uploaded, so the message that carries it was not sent."""

    may_have_reached_highlevel = False


class GHLRecipientError(GHLError):
    """The contact to text could not be found or created, so no message was sent."""

    may_have_reached_highlevel = False


class UnreadableWebhook(Exception):
    """A verified webhook body we cannot read into an event (``leads.ghl.events``).

    Not an ``ApplicationError`` either: the webhook view stores the delivery as unprocessable
    and answers with ``code`` and ``message`` itself. ``event_type`` and ``location_id`` are
    what could be read, for the record.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        details: dict | None = None,
        event_type: str = "",
        location_id: str = "",
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.event_type = event_type
        self.location_id = location_id

    @property
    def reason(self) -> str:
        """One line for the stored event: the code, the message and what was missing."""
        missing = self.details.get("missing")
        return f"{self.code}: {self.message}" + (
            f" Missing: {', '.join(missing)}." if missing else ""
        )
