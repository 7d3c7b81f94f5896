"""The one client for HighLevel's API v2 (``services.leadconnectorhq.com``).

Every call goes: rate limiter → httpx → (real network | outbox transport), with
tenacity retrying what is safe to retry:

- 429 and failures before the request left (connect errors, connect/pool timeouts)
  are retried for every operation: HighLevel certainly did not act on them;
- timeouts after sending and 5xx are retried only for idempotent operations (reads,
  PUTs, tag add/remove, uploads). Sends, notes, tasks, new opportunities and appointments
  have no idempotency key at HighLevel, so a retry could text a lead twice or book a call
  twice: those raise at once and the caller records the outcome as unknown;
- other 4xx are never retried and raise ``GHLClientError`` with HighLevel's message.

Backoff starts at 0.5 s and doubles up to 10 s with ±10 % jitter, at most 3 retries;
a ``Retry-After`` (or an exhausted ``X-RateLimit-Remaining``) replaces the backoff,
capped at 10 s, and is also pushed into the shared limiter so every process pauses.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import httpx
from django.conf import settings
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from config import performance

from . import calendar
from .calendar import GHLAppointment
from .exceptions import (
    GHLClientError,
    GHLError,
    GHLRateLimited,
    GHLServerError,
    GHLTransportError,
    GHLUploadError,
)
from .outbox import OutboxTransport
from .ratelimit import RateLimiter, get_rate_limiter

logger = logging.getLogger(__name__)

VERSION_CONVERSATIONS = "2021-04-15"
VERSION_CONTACTS = "2021-07-28"  # contacts and opportunities
VERSION_CALENDARS = "2021-04-15"
# HighLevel answers at most 31 days of free slots per request.
MAX_FREE_SLOT_RANGE = timedelta(days=31)

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 10.0
JITTER = 0.1
MAX_RETRIES = 3

OPPORTUNITY_STATUSES = frozenset({"open", "won", "lost", "abandoned"})


@dataclass(frozen=True)
class Attachment:
    """A file to upload to HighLevel before sending the message that carries it."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class SendResult:
    message_id: str
    conversation_id: str
    status: str = ""
    email_message_id: str = ""


@dataclass(frozen=True)
class GHLMessage:
    """One message of a HighLevel conversation, as ``GET /conversations/{id}/messages`` lists it."""

    id: str
    direction: str = ""
    body: str = ""
    status: str = ""
    message_type: str = ""
    date_added: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping) -> GHLMessage:
        return cls(
            id=str(data.get("id") or ""),
            direction=str(data.get("direction") or "").lower(),
            body=str(data.get("body") or ""),
            status=str(data.get("status") or "").lower(),
            message_type=str(data.get("messageType") or ""),
            date_added=calendar.parse_time(data.get("dateAdded")),
        )


@dataclass(frozen=True)
class GHLContact:
    id: str
    location_id: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    tags: tuple[str, ...] = ()
    dnd: bool = False
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping) -> GHLContact:
        return cls(
            id=str(data.get("id") or ""),
            location_id=str(data.get("locationId") or ""),
            first_name=str(data.get("firstName") or ""),
            last_name=str(data.get("lastName") or ""),
            email=str(data.get("email") or ""),
            phone=str(data.get("phone") or ""),
            tags=tuple(str(t) for t in data.get("tags") or ()),
            dnd=bool(data.get("dnd")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Note:
    id: str
    body: str


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    due_date: str
    completed: bool


@dataclass(frozen=True)
class Opportunity:
    id: str
    name: str = ""
    status: str = ""
    contact_id: str = ""
    pipeline_id: str = ""
    pipeline_stage_id: str = ""
    monetary_value: float | None = None

    @classmethod
    def from_api(cls, data: Mapping) -> Opportunity:
        value = data.get("monetaryValue")
        return cls(
            id=str(data.get("id") or ""),
            name=str(data.get("name") or ""),
            status=str(data.get("status") or ""),
            contact_id=str(data.get("contactId") or ""),
            pipeline_id=str(data.get("pipelineId") or ""),
            pipeline_stage_id=str(data.get("pipelineStageId") or ""),
            monetary_value=None if value is None else float(value),
        )


def _segment(value: str) -> str:
    # Ids arrive in webhooks; quoting keeps "../" or "?" from steering the request.
    if not value:
        raise ValueError("A HighLevel id is required.")
    return quote(str(value), safe="")


def _highlevel_message(response: httpx.Response) -> tuple[str, object]:
    """HighLevel's own error text (``{statusCode, message}``; 422 sends a list)."""
    try:
        body = response.json()
    except ValueError:
        return (response.text[:300] or response.reason_phrase), response.text[:2000]
    message = (body.get("message") or body.get("error")) if isinstance(body, dict) else None
    if isinstance(message, list):
        message = "; ".join(str(m) for m in message)
    return str(message or response.reason_phrase), body


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(
                    0.0, (parsedate_to_datetime(value) - datetime.now(tz=UTC)).total_seconds()
                )
            except (TypeError, ValueError):
                pass
    # No Retry-After: an exhausted window can only be trusted to reset within its length.
    if response.headers.get("x-ratelimit-remaining") == "0":
        try:
            return int(response.headers["x-ratelimit-interval-milliseconds"]) / 1000
        except (KeyError, ValueError):
            return None
    return None


def _is_retryable(exc: BaseException, *, idempotent: bool) -> bool:
    if isinstance(exc, GHLRateLimited):
        return exc.status_code == 429  # not our own limiter giving up: it already waited
    if isinstance(exc, GHLTransportError):
        return idempotent or not exc.request_sent
    if isinstance(exc, GHLServerError):
        return idempotent
    return False


def _log_retry(retry_state) -> None:
    logger.warning(
        "HighLevel %s failed (%s); retry %d in %.2f s",
        retry_state.args[0] if retry_state.args else "call",
        retry_state.outcome.exception(),
        retry_state.attempt_number,
        retry_state.next_action.sleep if retry_state.next_action else 0.0,
    )


class HighLevelClient:
    """HighLevel API v2 for one location: the operations the bots need, typed."""

    def __init__(
        self,
        *,
        token: str,
        location_id: str,
        base_url: str = "https://services.leadconnectorhq.com",
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        max_retries: int = MAX_RETRIES,
    ):
        self.location_id = location_id
        self.limiter = limiter
        self.max_retries = max_retries
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._http = httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": "jorge-platform (httpx)",
            },
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HighLevelClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- plumbing --------------------------------------------------------------

    def _wait(self, retry_state) -> float:
        exc = retry_state.outcome.exception()
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, MAX_BACKOFF)
        backoff = min(INITIAL_BACKOFF * 2 ** (retry_state.attempt_number - 1), MAX_BACKOFF)
        return backoff * self._rng.uniform(1 - JITTER, 1 + JITTER)

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        version: str,
        idempotent: bool,
        contact_id: str = "",
        **request_kwargs,
    ) -> dict:
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: _is_retryable(exc, idempotent=idempotent)),
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        return retrying(self._attempt, operation, method, path, version, contact_id, request_kwargs)

    def _attempt(
        self,
        operation: str,
        method: str,
        path: str,
        version: str,
        contact_id: str,
        request_kwargs: dict,
    ) -> dict:
        if self.limiter is not None:
            self.limiter.acquire()
        started, status = time.perf_counter(), "transport_error"
        try:
            response = self._http.request(
                method,
                path,
                headers={"Version": version},
                extensions={"ghl_operation": operation, "ghl_contact_id": contact_id},
                **request_kwargs,
            )
            status = str(response.status_code)
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError):
            raise  # our bug, not HighLevel's weather
        except (
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            httpx.ProxyError,
        ) as exc:
            raise GHLTransportError(
                f"{type(exc).__name__}: {exc}", request_sent=False, operation=operation
            ) from exc
        except httpx.TransportError as exc:
            raise GHLTransportError(
                f"{type(exc).__name__}: {exc}", request_sent=True, operation=operation
            ) from exc
        finally:
            performance.tracker.observe(
                performance.GHL_LATENCY,
                (time.perf_counter() - started) * 1000,
                operation,
                labels={"status": status},
            )

        retry_after = _retry_after(response) if response.status_code == 429 else None
        if self.limiter is not None:
            self.limiter.observe(
                status_code=response.status_code, headers=response.headers, retry_after=retry_after
            )
        if response.is_success:
            try:
                data = response.json() if response.content else {}
            except ValueError:
                logger.warning(
                    "HighLevel %s answered %s with a non-JSON body", operation, response.status_code
                )
                data = {}
            return data if isinstance(data, dict) else {"data": data}

        message, body = _highlevel_message(response)
        status = response.status_code
        if status == 429:
            raise GHLRateLimited(
                message, retry_after=retry_after, status_code=status, operation=operation, body=body
            )
        error_class = GHLServerError if status >= 500 else GHLClientError
        raise error_class(message, status_code=status, operation=operation, body=body)

    # --- conversations -----------------------------------------------------------

    def upload_attachment(
        self, *, contact_id: str, attachment: Attachment, conversation_id: str = ""
    ) -> list[str]:
        """Upload one file (multipart ``fileAttachment``); return the URLs HighLevel gives it."""
        form = {"contactId": contact_id, "locationId": self.location_id}
        if conversation_id:
            form["conversationId"] = conversation_id
        data = self._call(
            "upload_attachment",
            "POST",
            "/conversations/messages/upload",
            version=VERSION_CONVERSATIONS,
            idempotent=True,  # a repeated upload leaves a spare file, never a second message
            contact_id=contact_id,
            data=form,
            files={
                "fileAttachment": (attachment.filename, attachment.content, attachment.content_type)
            },
        )
        uploaded = data.get("uploadedFiles") or {}
        values = uploaded.values() if isinstance(uploaded, dict) else uploaded
        return [str(url) for url in values if isinstance(url, str) and url]

    def send_message(
        self,
        *,
        contact_id: str,
        message_type: str,
        message: str = "",
        subject: str = "",
        html: str = "",
        attachments: Sequence[Attachment] = (),
        conversation_id: str = "",
        to_number: str = "",
    ) -> SendResult:
        """Send an SMS/Email/… to a contact; email attachments are uploaded first.

        ``to_number``: the number to text when it is not (only) the contact's main phone.
        """
        urls: list[str] = []
        for attachment in attachments:
            try:
                urls += self.upload_attachment(
                    contact_id=contact_id, attachment=attachment, conversation_id=conversation_id
                )
            except GHLError as exc:
                raise GHLUploadError(
                    f"Attachment {attachment.filename!r} not uploaded, message not sent: {exc}",
                    status_code=exc.status_code,
                    operation="send_message",
                    body=exc.body,
                ) from exc
        body: dict = {"type": message_type, "contactId": contact_id}
        if message:
            body["message"] = message
        if subject:
            body["subject"] = subject
        if html:
            body["html"] = html
        if urls:
            body["attachments"] = urls
        if to_number:
            body["toNumber"] = to_number
        data = self._call(
            "send_message",
            "POST",
            "/conversations/messages",
            version=VERSION_CONVERSATIONS,
            idempotent=False,
            contact_id=contact_id,
            json=body,
        )
        if not data.get("messageId"):
            logger.warning("HighLevel accepted a %s send without a messageId", message_type)
        return SendResult(
            message_id=str(data.get("messageId") or ""),
            conversation_id=str(data.get("conversationId") or ""),
            status=str(data.get("status") or ""),
            email_message_id=str(data.get("emailMessageId") or ""),
        )

    def conversation_messages(
        self, *, conversation_id: str, limit: int = 50, last_message_id: str = ""
    ) -> tuple[list[GHLMessage], str]:
        """One page of a conversation's messages, newest first, and the id to ask for the next
        page with ("" when this was the last).

        HighLevel's published examples wrap the page in ``{"messages": {…}}`` while its OpenAPI
        schema puts ``lastMessageId``/``nextPage``/``messages`` at the top: both are read.
        """
        params: dict = {"limit": limit}
        if last_message_id:
            params["lastMessageId"] = last_message_id
        data = self._call(
            "get_conversation_messages",
            "GET",
            f"/conversations/{_segment(conversation_id)}/messages",
            version=VERSION_CONVERSATIONS,
            idempotent=True,
            params=params,
        )
        page = data.get("messages") if isinstance(data.get("messages"), dict) else data
        items = page.get("messages") if isinstance(page.get("messages"), list) else []
        messages = [GHLMessage.from_api(item) for item in items if isinstance(item, dict)]
        following = str(page.get("lastMessageId") or "") if page.get("nextPage") is True else ""
        return [m for m in messages if m.id], following

    # --- contacts ----------------------------------------------------------------

    def get_contact(self, *, contact_id: str) -> GHLContact:
        """Fetch a contact (fresh DND, tags and fields before acting on them)."""
        data = self._call(
            "get_contact",
            "GET",
            f"/contacts/{_segment(contact_id)}",
            version=VERSION_CONTACTS,
            idempotent=True,
            contact_id=contact_id,
        )
        return GHLContact.from_api(data.get("contact") or {})

    def upsert_contact(self, *, fields: Mapping) -> GHLContact:
        """Create the contact, or update the one HighLevel matches by phone or email."""
        if "tags" in fields:
            raise ValueError("Use add_tags/remove_tags: an upsert overwrites every tag.")
        data = self._call(
            "upsert_contact",
            "POST",
            "/contacts/upsert",
            version=VERSION_CONTACTS,
            idempotent=True,  # matched by phone: a second try updates the same contact
            json={**fields, "locationId": self.location_id},
        )
        return GHLContact.from_api(data.get("contact") or {})

    def update_contact(self, *, contact_id: str, fields: Mapping) -> GHLContact:
        """Update contact fields. Tags are refused: a PUT overwrites them all."""
        if "tags" in fields:
            raise ValueError("Use add_tags/remove_tags: a contact PUT overwrites every tag.")
        data = self._call(
            "update_contact",
            "PUT",
            f"/contacts/{_segment(contact_id)}",
            version=VERSION_CONTACTS,
            idempotent=True,
            contact_id=contact_id,
            json=dict(fields),
        )
        return GHLContact.from_api(data.get("contact") or {"id": contact_id})

    def add_tags(self, *, contact_id: str, tags: Sequence[str]) -> list[str]:
        """Add tags (POST, keeps the others); return the tags HighLevel reports."""
        return self._tags("add_tags", "POST", contact_id, tags)

    def remove_tags(self, *, contact_id: str, tags: Sequence[str]) -> list[str]:
        """Remove tags (DELETE with a JSON body); return the tags HighLevel reports."""
        return self._tags("remove_tags", "DELETE", contact_id, tags)

    def _tags(self, operation: str, method: str, contact_id: str, tags: Sequence[str]) -> list[str]:
        data = self._call(
            operation,
            method,
            f"/contacts/{_segment(contact_id)}/tags",
            version=VERSION_CONTACTS,
            idempotent=True,
            contact_id=contact_id,
            json={"tags": list(tags)},
        )
        return [str(t) for t in data.get("tags") or ()]

    def add_note(self, *, contact_id: str, body: str) -> Note:
        """Add a note to a contact."""
        data = self._call(
            "add_note",
            "POST",
            f"/contacts/{_segment(contact_id)}/notes",
            version=VERSION_CONTACTS,
            idempotent=False,
            contact_id=contact_id,
            json={"body": body},
        )
        note = data.get("note") or {}
        return Note(id=str(note.get("id") or ""), body=str(note.get("body") or body))

    def create_task(
        self,
        *,
        contact_id: str,
        title: str,
        due_date: datetime,
        body: str = "",
        assigned_to: str = "",
    ) -> Task:
        """Create an open task on a contact, due at an aware ``due_date``."""
        if due_date.tzinfo is None:
            raise ValueError("due_date must be timezone-aware.")
        payload = {
            "title": title,
            "dueDate": due_date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "completed": False,
        }
        if body:
            payload["body"] = body
        if assigned_to:
            payload["assignedTo"] = assigned_to
        data = self._call(
            "create_task",
            "POST",
            f"/contacts/{_segment(contact_id)}/tasks",
            version=VERSION_CONTACTS,
            idempotent=False,
            contact_id=contact_id,
            json=payload,
        )
        task = data.get("task") or {}
        return Task(
            id=str(task.get("id") or ""),
            title=str(task.get("title") or title),
            due_date=str(task.get("dueDate") or payload["dueDate"]),
            completed=bool(task.get("completed", False)),
        )

    # --- opportunities -------------------------------------------------------------

    def create_opportunity(
        self,
        *,
        pipeline_id: str,
        name: str,
        contact_id: str,
        status: str = "open",
        pipeline_stage_id: str = "",
        monetary_value: Decimal | float | None = None,
    ) -> Opportunity:
        """Create an opportunity for a contact in a pipeline."""
        payload = {
            "pipelineId": pipeline_id,
            "locationId": self.location_id,
            "name": name,
            "status": _opportunity_status(status),
            "contactId": contact_id,
        }
        if pipeline_stage_id:
            payload["pipelineStageId"] = pipeline_stage_id
        if monetary_value is not None:
            payload["monetaryValue"] = float(monetary_value)
        data = self._call(
            "create_opportunity",
            "POST",
            "/opportunities/",
            version=VERSION_CONTACTS,
            idempotent=False,
            contact_id=contact_id,
            json=payload,
        )
        return Opportunity.from_api(data.get("opportunity") or {})

    def update_opportunity(
        self,
        *,
        opportunity_id: str,
        name: str | None = None,
        status: str | None = None,
        pipeline_id: str | None = None,
        pipeline_stage_id: str | None = None,
        monetary_value: Decimal | float | None = None,
    ) -> Opportunity:
        """Change an opportunity's name, status, pipeline, stage or value (only those given)."""
        payload: dict = {}
        if name is not None:
            payload["name"] = name
        if status is not None:
            payload["status"] = _opportunity_status(status)
        if pipeline_id is not None:
            payload["pipelineId"] = pipeline_id
        if pipeline_stage_id is not None:
            payload["pipelineStageId"] = pipeline_stage_id
        if monetary_value is not None:
            payload["monetaryValue"] = float(monetary_value)
        data = self._call(
            "update_opportunity",
            "PUT",
            f"/opportunities/{_segment(opportunity_id)}",
            version=VERSION_CONTACTS,
            idempotent=True,
            json=payload,
        )
        return Opportunity.from_api(data.get("opportunity") or {"id": opportunity_id})

    # --- calendars ---------------------------------------------------------------------

    def free_slots(
        self, *, calendar_id: str, start: datetime, end: datetime, timezone: tzinfo
    ) -> list[datetime]:
        """Start times of the calendar's free slots from ``start`` to ``end`` (at most 31 days).

        ``timezone`` (a ``ZoneInfo``) is the zone HighLevel answers in; the answer is read
        defensively (``leads.ghl.calendar.parse_free_slots``).
        """
        if end <= start:
            raise ValueError("The free-slot range must end after it starts.")
        if end - start > MAX_FREE_SLOT_RANGE:
            raise ValueError("HighLevel answers at most 31 days of free slots per request.")
        params = {"startDate": calendar.epoch_ms(start), "endDate": calendar.epoch_ms(end)}
        zone_name = str(getattr(timezone, "key", "") or "")
        if zone_name:
            params["timezone"] = zone_name
        data = self._call(
            "free_slots",
            "GET",
            f"/calendars/{_segment(calendar_id)}/free-slots",
            version=VERSION_CALENDARS,
            idempotent=True,
            params=params,
        )
        return calendar.parse_free_slots(data, zone=timezone)

    def create_appointment(
        self,
        *,
        calendar_id: str,
        contact_id: str,
        start: datetime,
        timezone: tzinfo,
        end: datetime | None = None,
        title: str = "",
        description: str = "",
        notify: bool = False,
    ) -> GHLAppointment:
        """Book an appointment; HighLevel refuses (4xx) a slot that is no longer free.

        Not idempotent: a timeout or 5xx after the request left raises at once (a retry could
        book the call twice); the caller records the outcome as unknown.
        """
        payload = calendar.appointment_payload(
            calendar_id=calendar_id,
            location_id=self.location_id,
            contact_id=contact_id,
            start=start,
            zone=timezone,
            end=end,
            title=title,
            description=description,
            notify=notify,
        )
        data = self._call(
            "create_appointment",
            "POST",
            "/calendars/events/appointments",
            version=VERSION_CALENDARS,
            idempotent=False,
            contact_id=contact_id,
            json=payload,
        )
        appointment = GHLAppointment.from_api(data)
        if not appointment.id:
            logger.warning("HighLevel accepted an appointment without an id")
        return appointment


def _opportunity_status(status: str) -> str:
    if status not in OPPORTUNITY_STATUSES:
        raise ValueError(f"Opportunity status must be one of {sorted(OPPORTUNITY_STATUSES)}.")
    return status


class _ProcessTransport(httpx.HTTPTransport):
    """One connection pool (and TLS context) per process, shared by every client in it.

    Building an ``httpx.Client`` with its own TLS context costs about 25 ms of CPU, and a new
    pool means a new TLS handshake with HighLevel for every call. Clients come and go per
    task; this transport stays, so ``close()`` on a client leaves it open.
    """

    def close(self) -> None:  # shared: outlives the clients that use it
        pass


_process_transport: tuple[int, _ProcessTransport] | None = None
_process_transport_lock = threading.Lock()


def _shared_transport() -> httpx.HTTPTransport:
    global _process_transport
    with _process_transport_lock:
        # After a fork (Celery prefork) the parent's pool must not be reused.
        if _process_transport is None or _process_transport[0] != os.getpid():
            _process_transport = (os.getpid(), _ProcessTransport())
        return _process_transport[1]


def get_client() -> HighLevelClient:
    """A client from settings: the real API with the shared limiter, or the outbox without a token.

    The outbox is not HighLevel, so it has no budget to protect and skips the limiter.
    Close the client when done (it is a context manager).
    """
    token = settings.GHL_API_TOKEN
    return HighLevelClient(
        token=token,
        location_id=settings.GHL_LOCATION_ID,
        base_url=settings.GHL_API_BASE_URL,
        timeout=settings.GHL_API_TIMEOUT,
        transport=_shared_transport() if token else OutboxTransport(),
        limiter=get_rate_limiter() if token else None,
    )
