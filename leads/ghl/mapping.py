"""HighLevel's JSON → our fields: the one place that reads HighLevel's contact payloads.

Webhook handlers and API reads (``GET /contacts/{id}``) both come through here, so a
contact looks the same whichever way it reached us. Payloads vary in the wild: every
field is read defensively (see ../shared/ghl/NOTES.md).
"""

import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def text(payload: dict, key: str) -> str:
    """``payload[key]`` as a string ("" when absent or null)."""
    value = payload.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def contact_id_of(payload: dict) -> str:
    """The HighLevel contact id of a contact payload (``id``, or ``contactId`` in some events)."""
    return text(payload, "id") or text(payload, "contactId")


def contact_changes(payload: dict) -> dict:
    """Our Contact fields from HighLevel's JSON of a contact; only the keys it carries."""
    changes: dict = {}
    if "firstName" in payload or "lastName" in payload:
        changes["first_name"] = text(payload, "firstName").strip()[:100]
        changes["last_name"] = text(payload, "lastName").strip()[:100]
    elif text(payload, "name").strip():
        first, _, last = text(payload, "name").strip().partition(" ")
        changes["first_name"], changes["last_name"] = first[:100], last.strip()[:100]
    if "phone" in payload:
        phone = re.sub(r"[\s().-]", "", text(payload, "phone"))
        if not phone or _E164.match(phone):
            changes["phone"] = phone
    if "email" in payload:
        email = text(payload, "email").strip()
        try:
            if email:
                validate_email(email)
            changes["email"] = email[:254]
        except ValidationError:
            pass  # keep what we had rather than store something unusable
    if "source" in payload:
        changes["source"] = text(payload, "source")[:120]
    if isinstance(payload.get("tags"), list):
        changes["tags"] = list(dict.fromkeys(str(tag) for tag in payload["tags"] if tag))
    tz_name = text(payload, "timezone")
    if tz_name:
        try:
            zoneinfo.ZoneInfo(tz_name)
            changes["timezone"] = tz_name[:64]
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return changes


def contact_dnd(payload: dict) -> tuple[bool | None, str]:
    """(dnd, reason): DND on all channels, or on SMS, means no automated message."""
    if "dnd" not in payload and "dndSettings" not in payload:
        return None, ""
    settings_ = payload.get("dndSettings") if isinstance(payload.get("dndSettings"), dict) else {}
    active = sorted(
        channel
        for channel, value in settings_.items()
        if isinstance(value, dict) and str(value.get("status", "")).lower() == "active"
    )
    if payload.get("dnd") is True:
        return True, "DND on all channels in HighLevel"
    if "SMS" in active:
        sms = settings_["SMS"]
        detail = " ".join(str(sms.get(k, "")) for k in ("code", "message") if sms.get(k))
        return True, f"SMS DND in HighLevel ({', '.join(active)}) {detail}".strip()
    return False, ""
