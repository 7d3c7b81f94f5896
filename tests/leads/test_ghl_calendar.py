"""The HighLevel client's calendar calls (free slots, appointments), HighLevel faked only at the
httpx transport, and the defensive reading of what it answers."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from leads.ghl.calendar import GHLAppointment, parse_free_slots
from leads.ghl.client import get_client
from leads.ghl.exceptions import GHLClientError, GHLServerError, GHLTransportError
from leads.models import OutboxMessage
from tests.leads.test_ghl_client import BASE, FakeHighLevel, assert_common_headers, make_client, ok

PACIFIC = ZoneInfo("America/Los_Angeles")
START = datetime(2026, 6, 15, 7, 0, tzinfo=UTC)  # Monday 00:00 in Los Angeles
END = datetime(2026, 6, 22, 7, 0, tzinfo=UTC)


def test_free_slots_asks_for_the_range_in_epoch_ms_and_the_zone_and_reads_the_spec_shape():
    fake = FakeHighLevel(
        ok(
            {
                "2026-06-15": {"slots": ["2026-06-15T10:00:00-07:00", "2026-06-15T14:30:00-07:00"]},
                "2026-06-16": {"slots": ["2026-06-16T09:00:00-07:00"]},
                "traceId": "abc-123",
            }
        )
    )

    slots = make_client(fake).free_slots(
        calendar_id="cal-1", start=START, end=END, timezone=PACIFIC
    )

    request = fake.requests[0]
    assert (request.method, request.url.path) == ("GET", "/calendars/cal-1/free-slots")
    assert_common_headers(request, "2021-04-15")
    assert dict(request.url.params) == {
        "startDate": "1781506800000",
        "endDate": "1782111600000",
        "timezone": "America/Los_Angeles",
    }
    assert slots == [
        datetime(2026, 6, 15, 10, 0, tzinfo=PACIFIC),
        datetime(2026, 6, 15, 14, 30, tzinfo=PACIFIC),
        datetime(2026, 6, 16, 9, 0, tzinfo=PACIFIC),
    ]


def test_the_other_free_slot_shape_seen_in_the_wild_is_read_too():
    answer = {
        "slots": {
            "2026-06-15": [{"slot": "2026-06-15T10:00:00-07:00"}, {"slot": "not a time"}],
            "notes": ["2026-06-15T23:00:00-07:00"],  # not a day: never offered
        }
    }

    assert parse_free_slots(answer, zone=PACIFIC) == [datetime(2026, 6, 15, 10, tzinfo=PACIFIC)]


def test_only_day_keys_count_and_naive_times_are_read_in_the_zone_asked_for():
    answer = {
        "traceId": ["2026-06-15T08:00:00-07:00"],
        "2026-06-15": {"slots": ["2026-06-15T10:00:00", "2026-06-15T10:00:00-07:00", 42, None]},
        "2026-06-16": "closed",
    }

    assert parse_free_slots(answer, zone=PACIFIC) == [datetime(2026, 6, 15, 10, tzinfo=PACIFIC)]


def test_more_than_31_days_of_free_slots_is_refused_before_asking():
    fake = FakeHighLevel()

    with pytest.raises(ValueError, match="31 days"):
        make_client(fake).free_slots(
            calendar_id="cal-1",
            start=START,
            end=datetime(2026, 7, 17, tzinfo=UTC),
            timezone=PACIFIC,
        )

    assert fake.requests == []


def test_free_slots_is_a_read_and_is_retried_after_a_server_error():
    sleeps: list[float] = []
    fake = FakeHighLevel(httpx.Response(502), ok({"2026-06-15": {"slots": []}}))

    assert (
        make_client(fake, sleeps).free_slots(
            calendar_id="cal-1", start=START, end=END, timezone=PACIFIC
        )
        == []
    )
    assert len(fake.requests) == 2 and len(sleeps) == 1


def test_create_appointment_posts_the_slot_with_free_slot_validation_on():
    fake = FakeHighLevel(
        ok(
            {
                "id": "appt-1",
                "calendarId": "cal-1",
                "locationId": "loc-1",
                "contactId": "c-1",
                "startTime": "2026-06-16T09:00:00-07:00",
                "endTime": "2026-06-16T09:30:00-07:00",
                "appointmentStatus": "confirmed",
            }
        )
    )

    appointment = make_client(fake).create_appointment(
        calendar_id="cal-1",
        contact_id="c-1",
        start=datetime(2026, 6, 16, 16, 0, tzinfo=UTC),
        timezone=PACIFIC,
        title="Call with Ana",
        description="Booked by text.",
    )

    request = fake.requests[0]
    assert (request.method, request.url) == (
        "POST",
        httpx.URL(f"{BASE}/calendars/events/appointments"),
    )
    assert_common_headers(request, "2021-04-15")
    assert fake.json_body() == {
        "calendarId": "cal-1",
        "locationId": "loc-1",
        "contactId": "c-1",
        "startTime": "2026-06-16T09:00:00-07:00",
        "appointmentStatus": "confirmed",
        "ignoreFreeSlotValidation": False,
        "toNotify": False,
        "title": "Call with Ana",
        "description": "Booked by text.",
    }
    assert appointment.id == "appt-1"
    assert appointment.start == datetime(2026, 6, 16, 16, 0, tzinfo=UTC)
    assert appointment.end == datetime(2026, 6, 16, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (httpx.ReadTimeout("read timed out"), GHLTransportError),
        (httpx.Response(503, text="unavailable"), GHLServerError),
    ],
)
def test_a_booking_that_may_have_reached_highlevel_is_never_retried(failure, error):
    fake = FakeHighLevel(failure, ok({"id": "appt-2"}))

    with pytest.raises(error) as caught:
        make_client(fake).create_appointment(
            calendar_id="cal-1",
            contact_id="c-1",
            start=datetime(2026, 6, 16, 16, 0, tzinfo=UTC),
            timezone=PACIFIC,
        )

    assert len(fake.requests) == 1  # a second POST could book the call twice
    assert caught.value.may_have_reached_highlevel is True


def test_a_slot_highlevel_refuses_raises_its_message_without_a_retry():
    fake = FakeHighLevel(
        httpx.Response(400, json={"statusCode": 400, "message": "The slot is no longer available"})
    )

    with pytest.raises(GHLClientError, match="no longer available") as caught:
        make_client(fake).create_appointment(
            calendar_id="cal-1",
            contact_id="c-1",
            start=datetime(2026, 6, 16, 16, 0, tzinfo=UTC),
            timezone=PACIFIC,
        )

    assert caught.value.operation == "create_appointment" and len(fake.requests) == 1


def test_an_appointment_is_read_flat_or_nested_as_clients_have_seen_it():
    nested = GHLAppointment.from_api({"appointment": {"id": "a-1", "contactId": "c-1"}})
    event = GHLAppointment.from_api({"event": {"id": "a-2"}})

    assert (nested.id, nested.contact_id, event.id) == ("a-1", "c-1", "a-2")


@pytest.mark.django_db
def test_without_a_token_a_booking_lands_in_the_outbox_with_an_id():
    with get_client() as client:
        appointment = client.create_appointment(
            calendar_id="demo-calendar",
            contact_id="c-9",
            start=datetime(2026, 6, 16, 16, 0, tzinfo=UTC),
            timezone=PACIFIC,
        )

    row = OutboxMessage.objects.get()
    assert (row.method, row.path, row.operation, row.ghl_contact_id) == (
        "POST",
        "/calendars/events/appointments",
        "create_appointment",
        "c-9",
    )
    assert row.request_body["startTime"] == "2026-06-16T09:00:00-07:00"
    assert appointment.id.startswith("outbox-") and row.response_body["id"] == appointment.id
