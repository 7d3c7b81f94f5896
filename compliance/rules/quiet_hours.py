"""When an automated message may reach a lead: sending windows in the lead's own time zone.

One table (``SENDING_WINDOWS``) holds every window; everything else reads it. The federal
rule is 08:00-21:00 at the called party's location (47 CFR §64.1200(c)(1)) [R1]; Florida
is 08:00-20:00 with at most 3 messages per rolling 24 hours (FTSA) [R10]. Oklahoma and
Washington use 08:00-20:00 here as a conservative choice: one vendor applies 8-8 to
FL, OK and WA [R12], the statutes were not verified, and sending an hour later costs little.
See docs/compliance.md for the sources.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .area_codes import lookup_area_code

ROLLING_PERIOD = timedelta(hours=24)


@dataclass(frozen=True)
class SendingWindow:
    """Local hours in which automated messages may be sent: ``start <= t < end``."""

    start: time
    end: time
    daily_cap: int | None = None
    source: str = ""

    def contains(self, local: time) -> bool:
        """Whether a local wall-clock time falls inside the window."""
        return self.start <= local.replace(tzinfo=None) < self.end


FEDERAL_WINDOW = SendingWindow(start=time(8), end=time(21), source="47 CFR §64.1200(c)(1) [R1]")

SENDING_WINDOWS: dict[str, SendingWindow] = {
    "FL": SendingWindow(
        start=time(8), end=time(20), daily_cap=3, source="Fla. Stat. §501.059 (FTSA) [R10]"
    ),
    # Conservative, unverified: see the module docstring.
    "OK": SendingWindow(start=time(8), end=time(20), source="vendor practice, unverified [R12]"),
    "WA": SendingWindow(start=time(8), end=time(20), source="vendor practice, unverified [R12]"),
}

# Zones that say nothing about where a person is: HighLevel stores them as defaults.
_PLACELESS_ZONES = frozenset({"UTC", "GMT", "UCT", "Universal", "Zulu", "Greenwich"})


def _valid_zone(name: str) -> ZoneInfo | None:
    name = (name or "").strip()
    if not name or name in _PLACELESS_ZONES or name.startswith("Etc/"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def contact_timezone(*, phone: str, timezone_name: str = "", default: str) -> ZoneInfo:
    """The lead's zone: HighLevel's when valid, else the phone's area code, else ``default``."""
    zone = _valid_zone(timezone_name)
    if zone is not None:
        return zone
    area = lookup_area_code(phone)
    if area is not None:
        return ZoneInfo(area.timezone)
    # An invalid default is a configuration error and should fail loudly.
    return ZoneInfo(default)


def contact_state(*, phone: str) -> str | None:
    """The two-letter US state (or territory) of the phone's area code, if known.

    Florida presumes a Florida area code belongs to a Florida resident [R10], so the area
    code is the right key for state rules even when the lead lives elsewhere.
    """
    area = lookup_area_code(phone)
    return area.state if area else None


def sending_window(*, state: str | None) -> SendingWindow:
    """The window that applies in ``state`` (federal when the state adds nothing)."""
    return SENDING_WINDOWS.get((state or "").strip().upper(), FEDERAL_WINDOW)


def strictest_window(*, states: Iterable[str | None]) -> SendingWindow:
    """The narrowest window and smallest cap over several candidate states.

    Use it when the area code and the lead's address disagree: the strictest rule wins.
    """
    windows = [sending_window(state=s) for s in states] or [FEDERAL_WINDOW]
    caps = [w.daily_cap for w in windows if w.daily_cap is not None]
    return SendingWindow(
        start=max(w.start for w in windows),
        end=min(w.end for w in windows),
        daily_cap=min(caps) if caps else None,
        source="; ".join(dict.fromkeys(w.source for w in windows)),
    )


def daily_cap(state: str | None) -> int | None:
    """Most automated messages allowed per rolling 24 hours in ``state``; None for no cap."""
    return sending_window(state=state).daily_cap


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Quiet-hours rules need timezone-aware datetimes.")


def is_within_quiet_hours(
    *, now: datetime, tz: ZoneInfo, state: str | None, window: SendingWindow | None = None
) -> bool:
    """True when ``now`` is outside the sending window in the lead's zone (do not send)."""
    _require_aware(now)
    window = window or sending_window(state=state)
    return not window.contains(now.astimezone(tz).time())


def _window_opening_at_or_after(moment: datetime, tz: ZoneInfo, window: SendingWindow) -> datetime:
    local = moment.astimezone(tz)
    if window.contains(local.time()):
        return moment
    day = local.date() if local.time() < window.start else local.date() + timedelta(days=1)
    opening = datetime.combine(day, window.start, tzinfo=tz)
    # A round trip through UTC normalises a wall time that a DST jump skipped.
    return opening.astimezone(UTC).astimezone(tz)


def _cap_frees_at(moment: datetime, sent: list[datetime], cap: int) -> datetime | None:
    recent = [s for s in sent if moment - ROLLING_PERIOD < s <= moment]
    if len(recent) < cap:
        return None
    # The send that has to leave the rolling 24 hours for one more message to fit.
    return recent[len(recent) - cap] + ROLLING_PERIOD


def next_allowed_send_time(
    *,
    now: datetime,
    tz: ZoneInfo,
    state: str | None,
    recent_sends: Iterable[datetime] = (),
    window: SendingWindow | None = None,
) -> datetime:
    """The earliest moment at or after ``now`` when an automated message may go out.

    Returns ``now`` itself when sending is allowed, otherwise the next window opening in
    the lead's zone (23:00 -> 08:00 the next day, 06:30 -> 08:00 the same day), also
    honouring the state's rolling 24-hour cap given the times of earlier automated sends.
    A later moment is returned in ``tz``. ``window`` overrides the state's window (see
    ``strictest_window``).
    """
    _require_aware(now)
    window = window or sending_window(state=state)
    sent = list(recent_sends)
    for moment in sent:
        _require_aware(moment)
    sent.sort()
    candidate = _window_opening_at_or_after(now, tz, window)
    if window.daily_cap is None:
        return now if candidate == now else candidate.astimezone(tz)
    # Each pass moves past at least one earlier send, so this ends after len(sent) passes.
    while (frees_at := _cap_frees_at(candidate, sent, window.daily_cap)) is not None:
        candidate = _window_opening_at_or_after(frees_at, tz, window)
    return now if candidate == now else candidate.astimezone(tz)
