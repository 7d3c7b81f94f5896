"""HighLevel's Appointment* webhooks: the echo of the bot's own booking is matched to it, never
recorded as a second appointment; an appointment made in HighLevel blocks its time."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leads.models import Appointment, WebhookEvent
from leads.services import booking
from tests.leads.factories import ContactFactory

PACIFIC = ZoneInfo("America/Los_Angeles")
WEDNESDAY_10AM = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)
AT_3PM = datetime(2026, 6, 10, 15, 0, tzinfo=PACIFIC)


def appointment_event(
    kind="AppointmentCreate", *, appointment_id, start, contact_id="c-1", **extra
):
    return {
        "type": kind,
        "locationId": "loc",
        "webhookId": f"wh-{kind}-{appointment_id}",
        "appointment": {
            "id": appointment_id,
            "calendarId": "cal-1",
            "contactId": contact_id,
            "title": "Call with Ana",
            "appointmentStatus": "confirmed",
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(minutes=30)).isoformat(),
            **extra,
        },
    }


@pytest.fixture
def lead(db):
    return ContactFactory(ghl_contact_id="c-1", ghl_location_id="loc")


def our_booking(lead, *, ghl_id="", status=Appointment.Status.BOOKED):
    return Appointment.objects.create(
        contact=lead,
        calendar="cal-1",
        ghl_appointment_id=ghl_id,
        start=AT_3PM,
        end=AT_3PM + timedelta(minutes=30),
        status=status,
    )


def test_the_echo_of_our_own_booking_is_matched_not_recorded_twice(ghl, lead):
    ours = our_booking(lead, ghl_id="appt-1")

    response = ghl.post(appointment_event(appointment_id="appt-1", start=AT_3PM))

    assert response.status_code == 200
    assert list(Appointment.objects.all()) == [ours]
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.PROCESSED and event.contact == lead
    assert "own booking" in event.last_error


def test_an_echo_faster_than_our_booking_call_completes_our_booking(ghl, lead):
    ours = our_booking(lead, status=Appointment.Status.PENDING)  # HighLevel's id not back yet

    ghl.post(appointment_event(appointment_id="appt-7", start=AT_3PM.astimezone(UTC)))

    ours.refresh_from_db()
    assert (ours.ghl_appointment_id, ours.status) == ("appt-7", Appointment.Status.BOOKED)
    assert Appointment.objects.count() == 1


def test_an_appointment_made_in_highlevel_is_recorded_and_its_time_is_not_offered(ghl, lead):
    ghl.post(appointment_event(appointment_id="appt-jorge", start=AT_3PM))

    made = Appointment.objects.get()
    assert (made.source, made.ghl_appointment_id, made.status) == (
        Appointment.Source.HIGHLEVEL,
        "appt-jorge",
        Appointment.Status.BOOKED,
    )
    offered = booking.free_slots_for(contact=ContactFactory(), now=WEDNESDAY_10AM)
    assert AT_3PM not in [slot.start for slot in offered]


def test_a_deleted_appointment_frees_its_time(ghl, lead):
    ours = our_booking(lead, ghl_id="appt-1")

    ghl.post(appointment_event("AppointmentDelete", appointment_id="appt-1", start=AT_3PM))

    ours.refresh_from_db()
    assert ours.status == Appointment.Status.CANCELLED
    free = booking.local_free_slots(start=AT_3PM, end=AT_3PM + timedelta(hours=1))
    assert AT_3PM in [slot.start for slot in free]


def test_highlevels_own_sample_with_end_equal_to_start_is_recorded_with_a_slot_length(ghl, lead):
    start = datetime(2026, 6, 11, 10, tzinfo=PACIFIC)
    ghl.post(appointment_event(appointment_id="appt-2", start=start, endTime=start.isoformat()))

    made = Appointment.objects.get()
    assert made.end - made.start == timedelta(minutes=30)
