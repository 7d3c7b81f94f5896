"""HighLevel's calendar JSON ↔ our values: free slots, the appointment we book, the appointment
webhooks.

Facts in ../shared/ghl/NOTES.md ("Calendars: free slots and booking"). HighLevel's free-slot
answer has had more than one shape in the wild, so it is read defensively: only keys that look
like ``YYYY-MM-DD`` are read, and nothing that did not come back as a slot is ever returned.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from . import mapping

_DATE_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def epoch_ms(moment: datetime) -> int:
    """``moment`` as the epoch milliseconds HighLevel's ``startDate``/``endDate`` take."""
    if moment.tzinfo is None:
        raise ValueError("HighLevel calendar times must be timezone-aware.")
    return int(moment.timestamp() * 1000)


def iso_time(moment: datetime, zone: tzinfo) -> str:
    """ISO 8601 with the offset of ``zone`` (``2026-06-16T10:00:00-07:00``), as HighLevel books."""
    if moment.tzinfo is None:
        raise ValueError("HighLevel calendar times must be timezone-aware.")
    return moment.astimezone(zone).isoformat(timespec="seconds")


def parse_time(value, *, zone: tzinfo = UTC) -> datetime | None:
    """An aware datetime from HighLevel's ISO text (naive text is read in ``zone``); None if not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def parse_free_slots(data: dict, *, zone: tzinfo) -> list[datetime]:
    """The start times in a free-slots answer, sorted, each once.

    Seen: ``{"2024-10-28": {"slots": ["2024-10-28T10:00:00-05:00", …]}, "traceId": …}`` (the
    spec) and ``{"slots": {"2025-03-17": [{"slot": "…"}]}}``. Naive times are in ``zone``, the
    zone the request asked for.
    """
    containers = [data]
    if isinstance(data.get("slots"), dict):
        containers.append(data["slots"])
    found: set[datetime] = set()
    for container in containers:
        for key, value in container.items():
            if not isinstance(key, str) or not _DATE_KEY.match(key):
                continue  # "traceId" and anything else that is not a day
            items = value.get("slots") if isinstance(value, dict) else value
            if not isinstance(items, list):
                continue
            for item in items:
                if isinstance(item, dict):
                    item = item.get("slot") or item.get("startTime") or item.get("start")
                moment = parse_time(item, zone=zone)
                if moment is not None:
                    found.add(moment)
    return sorted(found)


def appointment_payload(
    *,
    calendar_id: str,
    location_id: str,
    contact_id: str,
    start: datetime,
    zone: tzinfo,
    end: datetime | None = None,
    title: str = "",
    description: str = "",
    notify: bool = False,
) -> dict:
    """The body of ``POST /calendars/events/appointments``.

    ``ignoreFreeSlotValidation`` stays false, so HighLevel itself refuses a slot that is no
    longer free; without ``endTime`` HighLevel uses the calendar's own slot length.
    """
    payload = {
        "calendarId": calendar_id,
        "locationId": location_id,
        "contactId": contact_id,
        "startTime": iso_time(start, zone),
        "appointmentStatus": "confirmed",
        "ignoreFreeSlotValidation": False,
        "toNotify": notify,
    }
    if end is not None:
        payload["endTime"] = iso_time(end, zone)
    if title:
        payload["title"] = title[:200]
    if description:
        payload["description"] = description[:1000]
    return payload


@dataclass(frozen=True)
class GHLAppointment:
    """An appointment as HighLevel returns it (API answer or webhook)."""

    id: str
    calendar_id: str = ""
    contact_id: str = ""
    start: datetime | None = None
    end: datetime | None = None
    status: str = ""
    title: str = ""
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> "GHLAppointment":
        """From the create answer (flat per the spec; some clients see it under ``appointment``
        or ``event``) or from an Appointment* webhook (nested under ``appointment``)."""
        for key in ("appointment", "event"):
            if isinstance(data.get(key), dict):
                data = data[key]
                break
        text = mapping.text
        return cls(
            id=text(data, "id") or text(data, "appointmentId") or text(data, "eventId"),
            calendar_id=text(data, "calendarId"),
            contact_id=text(data, "contactId"),
            start=parse_time(data.get("startTime")),
            end=parse_time(data.get("endTime")),
            status=text(data, "appointmentStatus").lower() or text(data, "status").lower(),
            title=text(data, "title"),
            raw=dict(data),
        )
