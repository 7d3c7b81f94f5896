"""Jorge's calendar: which free times a lead is offered, and booking the one they pick, on the
local calendar (the embedded default) and on HighLevel's (faked at its HTTP transport)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import transaction

from compliance.models import AuditEvent
from leads.models import Appointment, OutboxMessage
from leads.services import booking
from tests.leads.calendar_fake import FakeCalendar
from tests.leads.factories import ContactFactory

PACIFIC = ZoneInfo("America/Los_Angeles")
# Wednesday June 10, 2026, 10:00 in Los Angeles.
WEDNESDAY_10AM = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)


def pt(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in June 2026, Pacific."""
    return datetime(2026, 6, day, hour, minute, tzinfo=PACIFIC)


def starts(slots) -> list[datetime]:
    return [slot.start.astimezone(PACIFIC) for slot in slots]


@pytest.fixture
def lead(db):
    return ContactFactory(
        ghl_contact_id="c-1", phone="+19095550100", timezone="America/Los_Angeles"
    )


def book_local(contact, start, *, conversation_id=None):
    return booking.book_slot(
        contact_id=contact.pk, conversation_id=conversation_id, start=start, now=WEDNESDAY_10AM
    )


# --- The local calendar ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_local_calendar_offers_three_spread_out_times_with_two_hours_notice(lead):
    offered = booking.free_slots_for(contact=lead, now=WEDNESDAY_10AM)

    # Not 12:00, 12:30, 13:00: the first free time, one three hours later, the next morning.
    assert starts(offered) == [pt(10, 12), pt(10, 15), pt(11, 9)]
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in offered)


@pytest.mark.django_db
def test_booked_appointments_are_never_offered(lead):
    other = ContactFactory()
    Appointment.objects.create(
        contact=other, calendar="local", start=pt(10, 12), end=pt(10, 12, 30)
    )
    Appointment.objects.create(  # made by Jorge in HighLevel: busy too
        contact=other,
        calendar="cal-1",
        source=Appointment.Source.HIGHLEVEL,
        ghl_appointment_id="appt-9",
        start=pt(10, 14, 45),
        end=pt(10, 16, 15),
    )
    Appointment.objects.create(  # cancelled: free again
        contact=other,
        calendar="local",
        start=pt(11, 9),
        end=pt(11, 9, 30),
        status=Appointment.Status.CANCELLED,
    )

    offered = booking.free_slots_for(contact=lead, now=WEDNESDAY_10AM)

    # 12:00 and 14:30-16:00 are busy; Thursday 09:00 was cancelled, so it is free again.
    assert starts(offered) == [pt(10, 12, 30), pt(10, 16, 30), pt(11, 9)]


@pytest.mark.django_db
def test_working_days_hours_and_slot_length_come_from_settings(lead, settings):
    settings.BOOKING_WORKING_DAYS = ["sat"]
    settings.BOOKING_WORKING_HOURS = "10:00-12:00"
    settings.BOOKING_SLOT_MINUTES = 60

    offered = booking.free_slots_for(contact=lead, now=WEDNESDAY_10AM)

    # Only Saturday 10-12 is working time; two hour-long calls fit, three hours apart is
    # impossible, so one time is offered.
    assert starts(offered) == [pt(13, 10)]
    assert offered[0].end - offered[0].start == timedelta(hours=1)


@pytest.mark.django_db
def test_a_lead_in_hawaii_is_never_offered_a_call_before_8_their_time():
    islander = ContactFactory(phone="+18085550100", timezone="Pacific/Honolulu")

    offered = booking.free_slots_for(contact=islander, now=WEDNESDAY_10AM)

    # 09:00 in Los Angeles is 06:00 in Honolulu: Thursday starts at 11:00 Pacific (08:00 HST).
    assert starts(offered) == [pt(10, 12), pt(10, 15), pt(11, 11)]


@pytest.mark.django_db
def test_times_are_offered_from_when_the_lead_will_read_them(lead):
    tonight = datetime(2026, 6, 11, 5, 30, tzinfo=UTC)  # Wednesday 22:30 Pacific
    morning = datetime(2026, 6, 11, 15, 0, tzinfo=UTC)  # when quiet hours end, Thursday 08:00

    assert starts(booking.free_slots_for(contact=lead, now=morning))[0] == pt(11, 10)
    assert starts(booking.free_slots_for(contact=lead, now=tonight))[0] == pt(11, 9)


@pytest.mark.django_db
def test_bad_booking_settings_stop_the_app_with_a_clear_message(settings):
    settings.BOOKING_WORKING_HOURS = "9am to 5pm"

    with pytest.raises(SystemCheckError, match="BOOKING_WORKING_HOURS"):
        call_command("check")


@pytest.mark.django_db
def test_a_local_booking_is_recorded_audited_and_sent_to_highlevel_after_commit(
    lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = book_local(lead, pt(10, 15).astimezone(UTC))

    assert result.status == booking.BOOKED
    appointment = Appointment.objects.get()
    assert (appointment.contact, appointment.calendar, appointment.status) == (
        lead,
        "local",
        Appointment.Status.BOOKED,
    )
    assert (appointment.start, appointment.end) == (pt(10, 15), pt(10, 15, 30))
    assert AuditEvent.objects.filter(action="booking.booked").exists()
    # The embedded default has no HighLevel: the appointment it would create is in the outbox.
    row = OutboxMessage.objects.get(operation="create_appointment")
    assert row.request_body["calendarId"] == "demo-calendar"
    assert row.request_body["contactId"] == "c-1"
    assert row.request_body["startTime"] == "2026-06-10T15:00:00-07:00"
    assert row.request_body["ignoreFreeSlotValidation"] is False
    appointment.refresh_from_db()
    assert appointment.ghl_appointment_id == row.response_body["id"]


@pytest.mark.django_db
def test_a_time_booked_meanwhile_is_not_booked_again_and_fresh_times_come_instead(lead):
    rival = ContactFactory()
    assert book_local(rival, pt(10, 15)).status == booking.BOOKED

    result = book_local(lead, pt(10, 15))

    assert result.status == booking.TAKEN
    assert Appointment.objects.filter(contact=lead).count() == 0
    assert pt(10, 15) not in starts(result.fresh) and len(result.fresh) == 3
    assert AuditEvent.objects.filter(action="booking.slot_taken").exists()


@pytest.mark.django_db
def test_booking_the_same_time_twice_for_the_same_lead_books_it_once(lead):
    first = book_local(lead, pt(10, 15))
    again = book_local(lead, pt(10, 15))

    assert (first.status, again.status) == (booking.BOOKED, booking.BOOKED)
    assert again.appointment == first.appointment
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "why"),
    [(pt(10, 10, 5), "about to start"), (pt(10, 18), "working hours"), (pt(13, 10), "working")],
)
def test_a_time_that_passed_or_is_outside_working_hours_is_not_booked(lead, start, why):
    result = book_local(lead, start)

    assert result.status == booking.TAKEN and why in result.error
    assert not Appointment.objects.exists()


# --- HighLevel's calendar --------------------------------------------------------------------


@pytest.fixture
def highlevel(settings, respx_mock):
    settings.GHL_API_TOKEN = "test-token"
    settings.GHL_CALENDAR_ID = "cal-1"
    settings.GHL_LOCATION_ID = "loc-1"
    return respx_mock


@pytest.mark.django_db(transaction=True)
@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_only_the_free_slots_highlevel_returns_are_offered(lead, highlevel):
    calendar = FakeCalendar(
        highlevel, slots=[pt(10, 11), pt(10, 13), pt(10, 13, 30), pt(12, 10), pt(12, 16)]
    )
    Appointment.objects.create(  # our own booking HighLevel has not shown yet
        contact=ContactFactory(), calendar="cal-1", start=pt(12, 10), end=pt(12, 10, 30)
    )

    offered = booking.free_slots_for(contact=lead, now=WEDNESDAY_10AM)

    # 11:00 is too soon, 13:30 too close to 13:00, Friday 10:00 is ours already.
    assert starts(offered) == [pt(10, 13), pt(12, 16)]
    assert calendar.calls == [("free_slots", False)]


@pytest.mark.django_db(transaction=True)
@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_a_highlevel_booking_is_checked_again_then_posted_outside_any_transaction(lead, highlevel):
    calendar = FakeCalendar(highlevel, slots=[pt(10, 13), pt(11, 9)])

    result = booking.book_slot(contact_id=lead.pk, conversation_id=None, start=pt(10, 13))

    assert result.status == booking.BOOKED
    assert calendar.calls == [("free_slots", False), ("create_appointment", False)]
    [body] = calendar.bookings
    assert body["calendarId"] == "cal-1" and body["locationId"] == "loc-1"
    assert body["contactId"] == "c-1" and body["startTime"] == "2026-06-10T13:00:00-07:00"
    assert body["ignoreFreeSlotValidation"] is False
    appointment = Appointment.objects.get()
    assert (appointment.status, appointment.ghl_appointment_id, appointment.calendar) == (
        Appointment.Status.BOOKED,
        "appt-1",
        "cal-1",
    )


@pytest.mark.django_db(transaction=True)
@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_a_slot_gone_from_highlevel_is_not_booked_and_fresh_slots_are_offered(lead, highlevel):
    calendar = FakeCalendar(highlevel, slots=[pt(11, 9), pt(11, 14)])  # 13:00 is gone

    result = booking.book_slot(contact_id=lead.pk, conversation_id=None, start=pt(10, 13))

    assert result.status == booking.TAKEN
    assert calendar.bookings == []  # never posted
    assert starts(result.fresh) == [pt(11, 9), pt(11, 14)]
    assert Appointment.objects.get().status == Appointment.Status.FAILED  # the hold let go


@pytest.mark.django_db(transaction=True)
@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_a_slot_highlevel_refuses_at_booking_time_is_taken_not_confirmed(lead, highlevel):
    calendar = FakeCalendar(highlevel, slots=[pt(10, 13), pt(11, 9)])
    calendar.refuse_with = 400

    result = booking.book_slot(contact_id=lead.pk, conversation_id=None, start=pt(10, 13))

    assert result.status == booking.TAKEN
    assert starts(result.fresh) == [pt(11, 9)]


@pytest.mark.django_db(transaction=True)
@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_a_booking_that_may_have_landed_is_unknown_and_keeps_its_time(lead, highlevel):
    calendar = FakeCalendar(highlevel, slots=[pt(10, 13), pt(11, 9)])
    calendar.fail_with = httpx.ReadTimeout("timed out")

    result = booking.book_slot(contact_id=lead.pk, conversation_id=None, start=pt(10, 13))

    assert result.status == booking.UNKNOWN
    assert len(calendar.bookings) == 1  # not retried
    appointment = Appointment.objects.get()
    assert appointment.status == Appointment.Status.UNKNOWN and "timed out" in appointment.error
    # Until a person checks, nobody else is offered that time.
    rival = ContactFactory(phone="+19095550111")
    assert pt(10, 13) not in starts(booking.free_slots_for(contact=rival, now=WEDNESDAY_10AM))


@pytest.mark.django_db(transaction=True)
@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_highlevel_calls_refuse_to_run_inside_a_transaction(lead, highlevel):
    calendar = FakeCalendar(highlevel, slots=[pt(10, 13)])

    with transaction.atomic(), pytest.raises(RuntimeError, match="no transaction open"):
        booking.book_slot(contact_id=lead.pk, conversation_id=None, start=pt(10, 13))
    with transaction.atomic(), pytest.raises(RuntimeError, match="no transaction open"):
        booking.free_slots_for(contact=lead, now=WEDNESDAY_10AM)

    assert calendar.calls == []


@pytest.mark.django_db(transaction=True)
@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_a_crash_during_a_highlevel_booking_never_holds_the_time(lead, highlevel):
    calendar = FakeCalendar(highlevel, slots=[pt(10, 13)])
    calendar.fail_with = RuntimeError("a bug on our side")

    with pytest.raises(RuntimeError, match="a bug on our side"):
        booking.book_slot(contact_id=lead.pk, conversation_id=None, start=pt(10, 13))

    appointment = Appointment.objects.get()
    assert appointment.status == Appointment.Status.FAILED and "a bug" in appointment.error
