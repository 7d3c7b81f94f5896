"""Log lines that say whose work they are, and never carry a lead's sensitive data.

Every line gets the ids of what is being done when it is written: the HTTP request
(``request_id``, also returned as ``X-Request-ID``), the HighLevel webhook event, the
conversation of a bot turn, the Celery task. They live in context variables, so threads
and asyncio tasks each keep their own; ``log_context`` sets them for a block and restores
what was there after it.

Two formats (``LOG_FORMAT``): ``text``, one human-readable line (the default of the
embedded setup), and ``json``, one JSON object per line for a log pipeline (the default of
the production settings), through python-json-logger. Both pass what they write through the
compliance redactor (``compliance.rules.privacy``), the one that keeps SSNs and card numbers
out of the database and the prompts.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from types import MappingProxyType

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

ID_NAMES = ("request_id", "webhook_event_id", "conversation_id", "celery_task_id")

_EMPTY: MappingProxyType = MappingProxyType({})
_ids: ContextVar[MappingProxyType] = ContextVar("log_ids", default=_EMPTY)


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Log these ids on every line written inside the block (and restore the outer ones)."""
    token = _ids.set(MappingProxyType({**_ids.get(), **ids}))
    try:
        yield
    finally:
        _ids.reset(token)


def bind_log_context(**ids: object) -> None:
    """Add ids to the enclosing ``log_context`` block, until it ends."""
    _ids.set(MappingProxyType({**_ids.get(), **ids}))


def current_log_context() -> dict[str, object]:
    return {name: value for name, value in _ids.get().items() if value not in (None, "")}


def _redact(text: str) -> str:
    from compliance.rules.privacy import redact_sensitive

    return redact_sensitive(text)


class ContextFilter(logging.Filter):
    """Puts the current ids on the record (attributes named as in ``ID_NAMES``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current_log_context().items():
            setattr(record, name, value)
        return True


class TextFormatter(logging.Formatter):
    """``time level logger message [request_id=… conversation_id=…]``, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        # The ids are added after the redaction: a request id is random hex, and nine digits in
        # a row of it read as an SSN.
        line = _redact(super().format(record))
        ids = " ".join(
            f"{name}={getattr(record, name)}" for name in ID_NAMES if hasattr(record, name)
        )
        if ids:
            first, newline, rest = line.partition("\n")  # the ids stay on the first line
            line = f"{first} [{ids}]{newline}{rest}"
        return line


class JsonFormatter(_JsonFormatter):
    """One JSON object per line; every string value redacted (the compliance redactor's
    JSON walk, which leaves values under ``…_id`` keys alone)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data):
        from compliance.rules.privacy import redact_sensitive_data

        # Objects passed as extras (Django's ``request``) become their text first, so that
        # text is redacted too rather than serialised afterwards as is.
        plain = {
            key: value if isinstance(value, _JSON_NATIVE) else str(value)
            for key, value in super().process_log_record(log_data).items()
        }
        return redact_sensitive_data(plain)


_JSON_NATIVE = (str, int, float, bool, type(None), dict, list, datetime)


# --- The request id ------------------------------------------------------------------------

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept if it looks like one (a UUID, a trace id); anything else is replaced.
_ACCEPTED_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (the proxy's ``X-Request-ID`` when sane, else a new one),
    logs it on every line the request writes, and returns it in ``X-Request-ID``.

    The id is not unset when the response leaves this middleware: Django writes its own
    "Not Found: /path" and "Internal Server Error" lines after every middleware has
    returned, and they must carry it too. A request starts from no ids at all, so nothing
    of the previous request on the same thread is carried over (an ASGI request has a
    context of its own anyway).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(REQUEST_ID_HEADER, "")
        # A proxy's id is kept unless it carries what the redactor removes (the ids are
        # written after the redaction); ours is random hex.
        accepted = _ACCEPTED_REQUEST_ID.match(given) and _redact(given) == given
        request_id = given if accepted else uuid.uuid4().hex
        request.request_id = request_id
        _ids.set(MappingProxyType({"request_id": request_id}))
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


# --- Celery tasks --------------------------------------------------------------------------

_task_tokens: dict[str, object] = {}


def _task_started(task_id=None, **kwargs) -> None:
    _task_tokens[task_id] = _ids.set(MappingProxyType({**_ids.get(), "celery_task_id": task_id}))


def _task_finished(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _ids.reset(token)  # type: ignore[arg-type]


def connect_celery_signals() -> None:
    """Log every task's id on the lines it writes (an eager task inside a request too)."""
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="logs-task-started")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="logs-task-finished")
