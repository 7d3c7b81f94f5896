"""Jorge's calendar: free slots to offer a lead, and booking the one they pick.

One interface, two calendars:

- **HighLevel's** (``GHL_API_TOKEN`` and ``GHL_CALENDAR_ID`` set): free slots come from its
  free-slots API and a booking is a HighLevel appointment created with free-slot validation
  on. Both wait on the network, so they run with no transaction open (the bot turn calls them
  in its outside-call phase); they refuse to run inside one.
- **the local calendar** (the embedded default, or no calendar id): free = the working hours
  (``BOOKING_*`` settings) cut into slots, minus the appointments that hold time. A booking is
  an ``Appointment`` row; once it commits, a task records it in HighLevel (in the outbox on the
  embedded default, where a recorded free-slot read could not answer).

Either way a time is offered only if the calendar said it was free, and confirmed only after it
was checked again and booked. Docs: docs/bots.md, "Booking".
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.services import broadcast_dashboard_event
from compliance.models import AuditEvent
from compliance.rules.quiet_hours import contact_state, contact_timezone, sending_window
from compliance.services import audit
from config.queueing import publish_on_commit
from leads import selectors
from leads.ghl.calendar import GHLAppointment
from leads.ghl.client import MAX_FREE_SLOT_RANGE, get_client
from leads.ghl.exceptions import GHLClientError, GHLError
from leads.models import Appointment, Contact
from leads.services.locks import lock_contact

logger = logging.getLogger(__name__)

LOCAL_CALENDAR = "local"
# Appointments recorded in the outbox (no token, no calendar id) name this stand-in calendar.
OUTBOX_CALENDAR = "demo-calendar"
OFFER_COUNT = 3
# Offered slots are spread out: at least this far apart, at most this many on one day.
MIN_GAP = timedelta(hours=3)
MAX_PER_DAY = 2
# A picked time that starts sooner than this is not booked any more (nobody could prepare).
LAST_MINUTE = timedelta(minutes=15)
# HighLevel answers "this slot is not available" with one of these; others are our mistakes.
_REFUSED_SLOT = frozenset({400, 409, 422})

_DAY_NAMES = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}

BOOKED = "booked"
TAKEN = "taken"  # no longer free (or HighLevel refused it): fresh slots are offered
FAILED = "failed"  # certainly not booked, for another reason (HighLevel down, misconfigured)
UNKNOWN = "unknown"  # the booking call may have landed: a person checks


@dataclass(frozen=True, order=True)
class Slot:
    """A stretch of Jorge's time, in UTC."""

    start: datetime
    end: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True)
class WorkingHours:
    days: frozenset[int]  # Monday = 0
    start: time
    end: time


@dataclass(frozen=True)
class BookingResult:
    """What ``book_slot`` did: ``status`` is booked, taken, failed or unknown."""

    status: str
    slot: Slot
    appointment: Appointment | None = None
    fresh: tuple[Slot, ...] = ()  # free slots to offer instead of a taken one
    error: str = ""


# --- Settings --------------------------------------------------------------------------------


def calendar_calls_out() -> bool:
    """Whether free slots and bookings come from HighLevel's calendar (over the network)."""
    return bool(settings.GHL_API_TOKEN and settings.GHL_CALENDAR_ID)


def calendar_source() -> str:
    """``highlevel`` or ``local``: which calendar answers (for audits and docs)."""
    return "highlevel" if calendar_calls_out() else LOCAL_CALENDAR


def calendar_zone() -> ZoneInfo:
    """Jorge's time zone: his working hours, and the zone HighLevel's slots are asked in."""
    try:
        return ZoneInfo(settings.BOOKING_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"BOOKING_TIMEZONE={settings.BOOKING_TIMEZONE!r} is not an IANA time zone."
        ) from exc


def slot_length() -> timedelta:
    minutes = settings.BOOKING_SLOT_MINUTES
    if not 5 <= minutes <= 480:
        raise ImproperlyConfigured("BOOKING_SLOT_MINUTES must be between 5 and 480.")
    return timedelta(minutes=minutes)


def working_hours() -> WorkingHours:
    """The local calendar's working days and hours (``BOOKING_WORKING_DAYS``/``_HOURS``)."""
    days = set()
    for name in settings.BOOKING_WORKING_DAYS:
        key = str(name).strip().lower()[:3]
        if key not in _DAY_NAMES:
            raise ImproperlyConfigured(
                f"BOOKING_WORKING_DAYS: {name!r} is not a day (use mon,tue,wed,thu,fri,sat,sun)."
            )
        days.add(_DAY_NAMES[key])
    try:
        opens, closes = (
            time.fromisoformat(part.strip()) for part in settings.BOOKING_WORKING_HOURS.split("-")
        )
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"BOOKING_WORKING_HOURS={settings.BOOKING_WORKING_HOURS!r}: use HH:MM-HH:MM, e.g. 09:00-17:00."
        ) from exc
    if closes <= opens:
        raise ImproperlyConfigured("BOOKING_WORKING_HOURS must end after it starts.")
    if not days:
        raise ImproperlyConfigured("BOOKING_WORKING_DAYS names no day.")
    return WorkingHours(days=frozenset(days), start=opens, end=closes)


def booking_settings_problems() -> list[str]:
    """What is wrong with the booking settings (empty: fine); the system check reports it."""
    problems = []
    for read in (calendar_zone, slot_length, working_hours):
        try:
            read()
        except ImproperlyConfigured as exc:
            problems.append(str(exc))
    if not 1 <= settings.BOOKING_HORIZON_DAYS <= 30:
        problems.append("BOOKING_HORIZON_DAYS must be between 1 and 30.")
    if settings.BOOKING_MIN_LEAD_MINUTES < 0:
        problems.append("BOOKING_MIN_LEAD_MINUTES cannot be negative.")
    return problems


def _lead_time() -> timedelta:
    return timedelta(minutes=settings.BOOKING_MIN_LEAD_MINUTES)


def _horizon() -> timedelta:
    return timedelta(days=settings.BOOKING_HORIZON_DAYS)


def _require_no_transaction(what: str) -> None:
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} waits on HighLevel: call it with no transaction open.")


# --- Free slots ------------------------------------------------------------------------------


def lead_timezone(contact: Contact) -> ZoneInfo:
    """The zone the lead reads times in (HighLevel's, else the phone's, else the default)."""
    return contact_timezone(
        phone=contact.phone, timezone_name=contact.timezone, default=settings.DEFAULT_TIMEZONE
    )


def free_slots_for(
    *,
    contact: Contact,
    now: datetime,
    exclude: Iterable[datetime] = (),
    declined: Iterable[datetime] = (),
    count: int = OFFER_COUNT,
) -> list[Slot]:
    """Up to ``count`` free slots to offer ``contact``, spread out (``spread``).

    ``now`` is when the lead will read the offer (the sending window may defer it): no slot
    starts sooner than ``BOOKING_MIN_LEAD_MINUTES`` after it, nor later than
    ``BOOKING_HORIZON_DAYS``, nor outside the lead's own waking hours. ``exclude``: start times
    not to offer; ``declined``: times the lead said do not work, so nothing within three hours
    of them is offered either ("none of those" is rarely "half an hour later"). From HighLevel when its calendar is configured (may raise ``GHLError``;
    never inside a transaction), else from the local calendar.
    """
    start, end = now + _lead_time(), now + _horizon()
    if calendar_calls_out():
        _require_no_transaction("free_slots_for")
        with get_client() as client:
            free = _highlevel_free(client, start=start, end=end)
    else:
        free = local_free_slots(start=start, end=end)
    return _choose(
        free, contact=contact, earliest=start, exclude=exclude, declined=declined, count=count
    )


def _choose(
    free: Iterable[Slot],
    *,
    contact: Contact,
    earliest: datetime,
    exclude: Iterable[datetime] = (),
    declined: Iterable[datetime] = (),
    count: int = OFFER_COUNT,
) -> list[Slot]:
    excluded, declined = set(exclude), list(declined)
    zone = lead_timezone(contact)
    window = sending_window(state=contact.state or contact_state(phone=contact.phone))

    def waking(slot: Slot) -> bool:
        # A call at 06:00 the lead's time is no better than a text at 06:00.
        last_minute = slot.end - timedelta(minutes=1)
        return window.contains(slot.start.astimezone(zone).time()) and window.contains(
            last_minute.astimezone(zone).time()
        )

    candidates = [
        slot
        for slot in free
        if slot.start >= earliest
        and slot.start not in excluded
        and not any(abs(slot.start - no) < MIN_GAP for no in declined)
        and waking(slot)
    ]
    return spread(candidates, count=count)


def spread(slots: Iterable[Slot], *, count: int = OFFER_COUNT) -> list[Slot]:
    """The earliest slot, then the next ones at least three hours after or before every slot
    kept and at most two on a day: never three half-hours in a row ("10:00, 10:30, 11:00")."""
    zone = calendar_zone()
    kept: list[Slot] = []
    for slot in sorted(slots):
        if len(kept) == count:
            break
        day = slot.start.astimezone(zone).date()
        if sum(1 for k in kept if k.start.astimezone(zone).date() == day) >= MAX_PER_DAY:
            continue
        if any(abs(slot.start - k.start) < MIN_GAP for k in kept):
            continue
        kept.append(slot)
    return kept


def local_free_slots(*, start: datetime, end: datetime) -> list[Slot]:
    """The local calendar: working hours cut into slots, minus every appointment holding time."""
    hours, zone, length = working_hours(), calendar_zone(), slot_length()
    busy = [(a.start, a.end) for a in selectors.busy_appointments(start=start, end=end)]
    slots = []
    day, last_day = start.astimezone(zone).date(), end.astimezone(zone).date()
    while day <= last_day:
        if day.weekday() in hours.days:
            cursor = datetime.combine(day, hours.start, tzinfo=zone)
            closes = datetime.combine(day, hours.end, tzinfo=zone)
            while cursor + length <= closes:
                slot = Slot(cursor.astimezone(UTC), (cursor + length).astimezone(UTC))
                if start <= slot.start and slot.end <= end and not _overlaps_any(slot, busy):
                    slots.append(slot)
                cursor += length
        day += timedelta(days=1)
    return slots


def _overlaps_any(slot: Slot, busy: Sequence[tuple[datetime, datetime]]) -> bool:
    return any(slot.overlaps(start, end) for start, end in busy)


def _in_working_hours(slot: Slot) -> bool:
    hours, zone = working_hours(), calendar_zone()
    local_start, local_end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    return (
        local_start.weekday() in hours.days
        and local_start.date() == local_end.date()
        and hours.start <= local_start.time()
        and local_end.time() <= hours.end
    )


def _highlevel_free(
    client, *, start: datetime, end: datetime, keep: Appointment | None = None
) -> list[Slot]:
    """HighLevel's free slots, minus the times our own bookings hold that it may not know yet."""
    zone, length = calendar_zone(), slot_length()
    starts = client.free_slots(
        calendar_id=settings.GHL_CALENDAR_ID, start=start, end=end, timezone=zone
    )
    busy = [
        (a.start, a.end)
        for a in selectors.busy_appointments(start=start, end=end + length)
        if keep is None or a.pk != keep.pk
    ]
    slots = [Slot(s.astimezone(UTC), (s + length).astimezone(UTC)) for s in starts]
    return [slot for slot in slots if not _overlaps_any(slot, busy)]


# --- Booking ---------------------------------------------------------------------------------


def book_slot(
    *,
    contact_id: int,
    conversation_id: int | None,
    start: datetime,
    now: datetime | None = None,
    offer_from: datetime | None = None,
) -> BookingResult:
    """Book the call at ``start`` for the contact if it is still free; else fresh slots.

    Checked again right before booking; recorded as an ``Appointment`` and audited. Safe to
    call twice: the contact's own booking at that time is returned, never booked again. With
    HighLevel's calendar it locks, decides, unlocks, calls HighLevel and locks again, so it
    must be called with no transaction open. ``offer_from``: when the lead will read fresh
    slots, if the sending window defers the reply.
    """
    now = now or timezone.now()
    slot = Slot(start, start + slot_length())
    if calendar_calls_out():
        _require_no_transaction("book_slot")
        return _book_in_highlevel(contact_id, conversation_id, slot, now, offer_from or now)
    return _book_locally(contact_id, conversation_id, slot, now, offer_from or now)


def _already_booked(appointment: Appointment, slot: Slot) -> BookingResult:
    status = BOOKED if appointment.status == Appointment.Status.BOOKED else UNKNOWN
    return BookingResult(status, slot, appointment=appointment)


def _why_not_bookable(slot: Slot, *, now: datetime) -> str:
    if slot.start < now + LAST_MINUTE:
        return "the time has passed or is about to start"
    if selectors.busy_appointments(start=slot.start, end=slot.end).exists():
        return "no longer free: another appointment holds it"
    return ""


def _reserve(
    contact: Contact, conversation_id: int | None, slot: Slot, *, calendar: str, status: str
) -> Appointment | None:
    """Hold ``slot`` for ``contact``; None if another booking took it a moment ago."""
    try:
        with transaction.atomic():
            return Appointment.objects.create(
                contact=contact,
                conversation_id=conversation_id,
                calendar=calendar,
                start=slot.start,
                end=slot.end,
                status=status,
                source=Appointment.Source.BOT,
                title=_title(contact),
            )
    except IntegrityError:
        return None  # the one-call-per-start constraint: another lead won the race


def _book_locally(
    contact_id: int, conversation_id: int | None, slot: Slot, now: datetime, offer_from: datetime
) -> BookingResult:
    with transaction.atomic():
        contact = lock_contact(contact_id=contact_id)
        mine = selectors.active_booking_of(contact_id=contact_id, start=slot.start)
        if mine is not None:
            return _already_booked(mine, slot)
        problem = _why_not_bookable(slot, now=now)
        if not problem and not _in_working_hours(slot):
            problem = "outside Jorge's working hours"
        appointment = None
        if not problem:
            appointment = _reserve(
                contact,
                conversation_id,
                slot,
                calendar=LOCAL_CALENDAR,
                status=Appointment.Status.BOOKED,
            )
            problem = "" if appointment else "another lead booked it a moment ago"
        if problem:
            fresh = tuple(free_slots_for(contact=contact, now=offer_from))
            _audit_taken(contact, slot, problem, fresh)
            return BookingResult(TAKEN, slot, fresh=fresh, error=problem)
        _announce_booked(appointment)
        from leads.tasks import record_appointment_in_ghl_task

        publish_on_commit(record_appointment_in_ghl_task, appointment.pk)
    return BookingResult(BOOKED, slot, appointment=appointment)


def _book_in_highlevel(
    contact_id: int, conversation_id: int | None, slot: Slot, now: datetime, offer_from: datetime
) -> BookingResult:
    # 1. Lock and decide: hold the time, so two of our leads never race for it.
    with transaction.atomic():
        contact = lock_contact(contact_id=contact_id)
        mine = selectors.active_booking_of(contact_id=contact_id, start=slot.start)
        if mine is not None:
            return _already_booked(mine, slot)
        problem = _why_not_bookable(slot, now=now)
        reservation = None
        if not problem:
            reservation = _reserve(
                contact,
                conversation_id,
                slot,
                calendar=settings.GHL_CALENDAR_ID,
                status=Appointment.Status.PENDING,
            )
            problem = "" if reservation else "another lead booked it a moment ago"
    if problem:
        return _taken(contact, slot, problem, _fresh_from_highlevel(contact, offer_from, slot))

    # 2. Unlocked: is it still free in HighLevel? Then book it (HighLevel validates it again).
    try:
        status, booked, error, fresh = _call_highlevel(contact, slot, now, offer_from, reservation)
    except Exception as exc:
        # A crash must not hold the time forever; the turn's own failure handling goes on.
        _finish(reservation, FAILED, slot, error=f"{type(exc).__name__}: {exc}")
        raise
    # 3. Lock again: record what happened.
    return _finish(reservation, status, slot, booked=booked, error=error, fresh=fresh)


def _call_highlevel(
    contact: Contact, slot: Slot, now: datetime, offer_from: datetime, reservation: Appointment
) -> tuple[str, GHLAppointment | None, str, list[Slot]]:
    """The network part of a HighLevel booking: (status, appointment, error, fresh slots)."""
    free: list[Slot] = []

    def fresh() -> list[Slot]:
        earliest = offer_from + _lead_time()
        return _choose(free, contact=contact, earliest=earliest, exclude=[slot.start])

    # The offer's whole window, and at least the day of the slot (the offer may be days old).
    end = min(max(now + _horizon(), slot.end + timedelta(days=1)), now + MAX_FREE_SLOT_RANGE)
    try:
        with get_client() as client:
            free = _highlevel_free(client, start=now, end=end, keep=reservation)
            if slot.start not in {s.start for s in free}:
                return TAKEN, None, "no longer free in HighLevel", fresh()
            booked = client.create_appointment(
                calendar_id=settings.GHL_CALENDAR_ID,
                contact_id=contact.ghl_contact_id,
                start=slot.start,
                timezone=calendar_zone(),
                title=_title(contact),
                description=_description(contact),
                notify=settings.GHL_APPOINTMENT_NOTIFY,
            )
        return BOOKED, booked, "", []
    except GHLClientError as exc:
        if exc.operation == "create_appointment" and exc.status_code in _REFUSED_SLOT:
            return TAKEN, None, f"HighLevel refused it: {exc}", fresh()
        return FAILED, None, str(exc), []  # misconfigured (401, 404): certainly not booked
    except GHLError as exc:
        if exc.operation == "create_appointment" and exc.may_have_reached_highlevel:
            # A retry could book the call twice: a person checks HighLevel's calendar.
            return UNKNOWN, None, str(exc), []
        return FAILED, None, str(exc), []


def _fresh_from_highlevel(contact: Contact, offer_from: datetime, slot: Slot) -> tuple[Slot, ...]:
    try:
        return tuple(free_slots_for(contact=contact, now=offer_from, exclude=[slot.start]))
    except GHLError:
        logger.warning("could not read HighLevel's free slots", exc_info=True)
        return ()


def _finish(
    reservation: Appointment,
    status: str,
    slot: Slot,
    *,
    error: str = "",
    fresh: Iterable[Slot] = (),
    booked: GHLAppointment | None = None,
) -> BookingResult:
    """Phase 3 of a HighLevel booking: the reservation becomes the booking, or lets go."""
    fresh = tuple(fresh)
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=reservation.pk)
        if appointment.status != Appointment.Status.PENDING:
            # The AppointmentCreate echo got here first and settled it.
            if appointment.status == Appointment.Status.BOOKED:
                _announce_booked(appointment)
                return BookingResult(BOOKED, slot, appointment=appointment)
            return BookingResult(status, slot, appointment=appointment, fresh=fresh, error=error)
        appointment.error = error[:2000]
        if status == BOOKED:
            appointment.status = Appointment.Status.BOOKED
            appointment.ghl_appointment_id = booked.id if booked else ""
            if booked is not None and booked.end and booked.start and booked.end > booked.start:
                appointment.start, appointment.end = booked.start, booked.end
        elif status == UNKNOWN:
            appointment.status = Appointment.Status.UNKNOWN
        else:
            appointment.status = Appointment.Status.FAILED
        appointment.save(
            update_fields=["status", "ghl_appointment_id", "start", "end", "error", "updated_at"]
        )
        if status == BOOKED:
            _announce_booked(appointment)
        elif status == TAKEN:
            _audit_taken(appointment.contact, slot, error, fresh)
        else:
            audit(
                action=f"booking.{status}",
                subject=appointment,
                actor=AuditEvent.Actor.BOT,
                actor_label="booking",
                data={"start": slot.start.isoformat(), "error": error[:500]},
            )
    return BookingResult(status, slot, appointment=appointment, fresh=fresh, error=error)


def _taken(contact: Contact, slot: Slot, problem: str, fresh: tuple[Slot, ...]) -> BookingResult:
    with transaction.atomic():
        _audit_taken(contact, slot, problem, fresh)
    return BookingResult(TAKEN, slot, fresh=fresh, error=problem)


def _audit_taken(contact: Contact, slot: Slot, problem: str, fresh: Iterable[Slot]) -> None:
    audit(
        action="booking.slot_taken",
        subject=contact,
        actor=AuditEvent.Actor.BOT,
        actor_label="booking",
        data={
            "start": slot.start.isoformat(),
            "reason": problem[:500],
            "fresh": [s.start.isoformat() for s in fresh],
        },
    )


def _announce_booked(appointment: Appointment) -> None:
    audit(
        action="booking.booked",
        subject=appointment,
        actor=AuditEvent.Actor.BOT,
        actor_label="booking",
        data={
            "contact": appointment.contact_id,
            "start": appointment.start.isoformat(),
            "calendar": appointment.calendar,
            "ghl_appointment_id": appointment.ghl_appointment_id,
        },
    )
    broadcast_dashboard_event(
        kind="appointment.booked",
        data={
            "appointment": appointment.pk,
            "contact": appointment.contact_id,
            "start": appointment.start.isoformat(),
        },
    )


def _title(contact: Contact) -> str:
    return f"Call with {contact} (booked by Jorge's assistant)"


def _description(contact: Contact) -> str:
    facts = [
        f"Intent: {contact.get_intent_display().lower()}",
        f"timeline: {contact.get_timeline_display().lower()}",
    ]
    if contact.budget_max:
        facts.append(f"budget: ${contact.budget_max:,}")
    if contact.area:
        facts.append(f"area: {contact.area}")
    facts.append(f"phone: {contact.phone or 'n/a'}")
    return "Booked by text with Jorge's assistant. " + "; ".join(facts) + "."


# --- HighLevel's side of a local booking, and its webhooks ----------------------------------


def record_appointment_in_ghl(*, appointment_id: int) -> str:
    """A local booking, recorded in HighLevel once it committed; returns what was done.

    An appointment in ``GHL_CALENDAR_ID`` (in the outbox on the embedded default); with a token
    but no calendar id, a task for Jorge due at the call instead. Safe to run twice.
    """
    appointment = Appointment.objects.select_related("contact").get(pk=appointment_id)
    if appointment.ghl_appointment_id or appointment.status != Appointment.Status.BOOKED:
        return "nothing to do"
    contact = appointment.contact
    if not contact.in_highlevel:
        return "not in HighLevel: a web-chat visitor without a phone or email, or a test"
    with get_client() as client:
        if settings.GHL_API_TOKEN and not settings.GHL_CALENDAR_ID:
            local = appointment.start.astimezone(calendar_zone())
            client.create_task(
                contact_id=contact.ghl_contact_id,
                title=f"Call {contact} at {local:%a %b %d, %H:%M} (booked by the bot)",
                body=_description(contact),
                due_date=appointment.start,
            )
            return "task"
        booked = client.create_appointment(
            calendar_id=settings.GHL_CALENDAR_ID or OUTBOX_CALENDAR,
            contact_id=contact.ghl_contact_id,
            start=appointment.start,
            end=appointment.end,
            timezone=calendar_zone(),
            title=appointment.title or _title(contact),
            description=_description(contact),
            notify=settings.GHL_APPOINTMENT_NOTIFY,
        )
    if booked.id:
        Appointment.objects.filter(pk=appointment.pk, ghl_appointment_id="").update(
            ghl_appointment_id=booked.id[:64], updated_at=timezone.now()
        )
    return "appointment"


_CANCELLED = frozenset({"cancelled", "canceled", "invalid"})


def record_ghl_appointment(
    *, contact: Contact, appointment: GHLAppointment, deleted: bool = False
) -> tuple[Appointment | None, bool]:
    """An Appointment* webhook: returns (the appointment, whether it is the bot's own booking).

    The bot's booking is matched by its HighLevel id, or, when the echo beats our booking
    call's answer, by contact and start time; it is updated, never recorded twice. Anything
    else was made in HighLevel and is recorded as such (its time is busy on the local
    calendar too).
    """
    existing = selectors.appointment_by_ghl_id(ghl_appointment_id=appointment.id)
    if existing is None and appointment.start is not None:
        existing = selectors.booking_awaiting_ghl_id(contact=contact, start=appointment.start)
    cancelled = deleted or appointment.status in _CANCELLED
    if existing is not None:
        _apply_ghl_changes(existing, appointment, cancelled=cancelled)
        return existing, existing.source == Appointment.Source.BOT
    if cancelled or appointment.start is None or not appointment.id:
        return None, False
    end = appointment.end
    if end is None or end <= appointment.start:
        end = appointment.start + slot_length()  # HighLevel's own sample has end == start
    created = Appointment.objects.create(
        contact=contact,
        calendar=appointment.calendar_id[:64],
        ghl_appointment_id=appointment.id[:64],
        start=appointment.start,
        end=end,
        status=Appointment.Status.BOOKED,
        source=Appointment.Source.HIGHLEVEL,
        title=appointment.title[:200],
    )
    return created, False


def _apply_ghl_changes(existing: Appointment, appointment: GHLAppointment, *, cancelled: bool):
    fields = []
    if appointment.id and not existing.ghl_appointment_id:
        existing.ghl_appointment_id = appointment.id[:64]
        fields.append("ghl_appointment_id")
    if cancelled and existing.status != Appointment.Status.CANCELLED:
        existing.status = Appointment.Status.CANCELLED
        fields.append("status")
    elif not cancelled and existing.status in (
        Appointment.Status.PENDING,
        Appointment.Status.UNKNOWN,
    ):
        existing.status = Appointment.Status.BOOKED  # HighLevel says it exists
        fields.append("status")
    start, end = appointment.start, appointment.end
    if start is not None and start != existing.start and not cancelled:
        # Moved in HighLevel: the calendar follows.
        existing.start = start
        existing.end = end if end is not None and end > start else start + slot_length()
        fields += ["start", "end"]
    if fields:
        existing.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
