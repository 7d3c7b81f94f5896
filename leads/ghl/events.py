"""HighLevel webhook deliveries → the fields we store them by: the one parser of their bodies.

A delivery's body is read only after its signature was verified. Whatever HighLevel (or a
workflow Jorge built) sends, reading it ends in a ``ReadEvent`` or an ``UnreadableWebhook``
that says why, never in another exception: nesting is bounded and numbers must be finite
(``config.json_input``), the body must be an object, a ``timestamp``, when present, must be
a time, and (``require_type_and_location``) it must name its ``type`` and ``locationId``. NUL characters and lone UTF-16
surrogates, which JavaScript's ``JSON.stringify`` writes as ``\\u0000`` and ``\\ud83d`` (a
message cut in the middle of an emoji) and which no database text or JSON column stores,
become U+FFFD in what is kept, so the event is still applied ("STOP\\u0000" is an opt-out).
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings

from config import json_input

from .exceptions import UnreadableWebhook

REPLACEMENT = "\ufffd"
# What a text column cannot hold: NUL (PostgreSQL) and lone surrogates (not UTF-8 at all).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Years a HighLevel time may have; outside them it is a typo or an attack, not a time.
_YEARS = range(1970, 9999)


@dataclass(frozen=True)
class ReadEvent:
    """A delivery's body, read: what is stored, and the fields it is filed under."""

    payload: dict  # as sent, with unstorable characters replaced
    event_type: str
    location_id: str
    webhook_id: str = ""
    timestamp: datetime | None = None
    repaired: bool = False  # a NUL or a lone surrogate was replaced
    fields: dict = field(default_factory=dict, repr=False)  # the payload, data{} lifted


def flatten_payload(payload: dict) -> dict:
    """Lift the fields of a ``data{}`` wrapper (the integration guide's test payload) to the top."""
    data = payload.get("data")
    if isinstance(data, dict):
        return {**data, **{k: v for k, v in payload.items() if k != "data"}}
    return payload


def parse_timestamp(value) -> datetime | None:
    """An aware UTC datetime from ISO 8601 or epoch seconds/milliseconds; None if absent.

    Raises ValueError when a value is present but is not a time we can store (unreadable, or
    outside the years 1970–9998).
    """
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError("not a timestamp")
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
            number = float(value)
            if number > 1e11:  # milliseconds
                number /= 1000
            parsed = datetime.fromtimestamp(number, tz=UTC)
        elif isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip())
            parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        else:
            raise ValueError("not a timestamp")
    except (OverflowError, OSError) as exc:
        raise ValueError(f"not a timestamp: {exc}") from None
    if parsed.year not in _YEARS:
        raise ValueError("not a timestamp in a year we can store")
    return parsed


def storable_text(text: str) -> tuple[str, bool]:
    """``text`` with NUL and lone surrogates replaced by U+FFFD; True if any was."""
    cleaned, count = _UNSTORABLE.subn(REPLACEMENT, text)
    return cleaned, bool(count)


def storable_json_text(text: str) -> str:
    """A JSON text with NUL and lone surrogates written as ``\\uXXXX`` escapes: it means the
    same document and any text column stores it."""
    return _UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def escaped_body(body: bytes) -> str:
    """Raw bytes as storable text: invalid UTF-8 as ``\\xNN``, NUL as ``\\x00``."""
    return body.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")


def _storable(value) -> tuple[object, bool]:
    # Depth is bounded by json_input.MAX_DEPTH, so recursion is safe here.
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, list):
        items = [_storable(item) for item in value]
        return [item for item, _ in items], any(changed for _, changed in items)
    if isinstance(value, dict):
        changed = False
        cleaned = {}
        for key, item in value.items():
            new_key, key_changed = storable_text(key)
            cleaned[new_key], item_changed = _storable(item)
            changed = changed or key_changed or item_changed
        return cleaned, changed
    return value, False


def _text_field(fields: dict, name: str) -> str:
    value = fields.get(name)
    return value.strip() if isinstance(value, str) else ""


def read_event(body: bytes) -> ReadEvent:
    """Read a verified delivery's body; raises ``UnreadableWebhook`` with a code and a message."""
    try:
        document = json_input.loads(body)
    except json_input.UnreadableJSON as exc:
        message = {
            "invalid_json": "The body is not valid JSON.",
            "too_deep": exc.message,
            "non_finite_number": f"The body has a number no database can store: {exc.message}",
        }[exc.code]
        raise UnreadableWebhook(exc.code, message) from None
    if not isinstance(document, dict):
        raise UnreadableWebhook("invalid_json", "The body must be a JSON object.")
    payload, repaired = _storable(document)
    fields = flatten_payload(payload)
    event_type, location_id = _text_field(fields, "type"), _text_field(fields, "locationId")
    try:
        timestamp = parse_timestamp(fields.get("timestamp"))
    except ValueError:
        raise UnreadableWebhook(
            "invalid_timestamp",
            "The timestamp cannot be read.",
            event_type=event_type,
            location_id=location_id,
        ) from None
    webhook_id = fields.get("webhookId")
    return ReadEvent(
        payload=payload,
        event_type=event_type,
        location_id=location_id,
        webhook_id="" if webhook_id in (None, "") else str(webhook_id),
        timestamp=timestamp,
        repaired=repaired,
        fields=fields,
    )


def require_type_and_location(event: ReadEvent) -> None:
    """Raise ``UnreadableWebhook`` unless the event names its type and its location.

    Separate from ``read_event`` so that a stale delivery is refused as stale (a replay)
    before it is kept as unprocessable.
    """
    missing = [
        name
        for name, value in (("type", event.event_type), ("locationId", event.location_id))
        if not value
    ]
    if missing:
        raise UnreadableWebhook(
            "missing_fields",
            "Required fields are missing.",
            details={"missing": missing},
            event_type=event.event_type,
            location_id=event.location_id,
        )


def our_location_ids() -> frozenset[str]:
    """The HighLevel locations whose events this install applies (GHL_WEBHOOK_LOCATION_IDS,
    else GHL_LOCATION_ID alone)."""
    configured = getattr(settings, "GHL_WEBHOOK_LOCATION_IDS", None) or [settings.GHL_LOCATION_ID]
    return frozenset(str(location).strip() for location in configured if str(location).strip())


def is_our_location(location_id: str) -> bool:
    """Whether an event of ``location_id`` is ours to apply (another location's is only kept)."""
    return location_id.strip() in our_location_ids()
