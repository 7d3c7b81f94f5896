"""Booking a call with Jorge in the conversation: a hot lead is offered real free times, picks
one, and gets a confirmation in their language; never a time that was not free.

First on the embedded default (the local calendar, HighLevel calls in the outbox), then with
HighLevel's calendar faked at its HTTP transport.
"""

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from compliance.models import AuditEvent
from leads import selectors
from leads.bots import base as bots
from leads.bots.base import BotTurn
from leads.models import (
    Appointment,
    Contact,
    Conversation,
    Message,
    OutboxMessage,
    Temperature,
    WebhookEvent,
)
from leads.services.messaging import send_due_messages
from tests.leads.calendar_fake import FakeCalendar
from tests.leads.factories import ContactFactory, receive_sms
from tests.leads.test_turns import in_thread, replies_to

PACIFIC = ZoneInfo("America/Los_Angeles")
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # Wednesday 10:00 in Riverside
HOT = "I'm pre-approved for 650k and need to buy in Corona asap"
HOT_ES = "Estoy preaprobado por 650 mil y necesito comprar en Corona lo antes posible"


def pt(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=PACIFIC)


def outbox(operation: str) -> list[dict]:
    return [
        row.request_body for row in OutboxMessage.objects.filter(operation=operation).order_by("id")
    ]


def booking_state() -> dict:
    return Conversation.objects.get().bot_state.get("booking", {})


@pytest.fixture
def lead(db):
    return ContactFactory(
        ghl_contact_id="c-1",
        ghl_location_id="loc",
        first_name="Ana",
        phone="+19095550100",
        timezone="America/Los_Angeles",
        language="en",
    )


@pytest.fixture
def says(django_capture_on_commit_callbacks, lead):
    """The lead texts; everything it sets off runs; returns the bot's new reply ("" if none)."""

    def send(text: str) -> str:
        before = set(Message.objects.values_list("id", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            receive_sms("c-1", text, conversation_id="conv-1")
        new = (
            Message.objects.filter(direction="outbound")
            .exclude(pk__in=before)
            .exclude(status="blocked")
            .order_by("id")
        )
        return "\n".join(m.body for m in new)

    return send


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


# --- The embedded default: the local calendar --------------------------------------------------


def test_a_hot_lead_is_offered_three_real_free_times_and_jorge_still_gets_his_task(says, morning):
    Appointment.objects.create(
        contact=ContactFactory(), calendar="local", start=pt(10, 12), end=pt(10, 12, 30)
    )

    offer = says(HOT)

    assert "Jorge will call you personally" in offer
    assert "Open times for the call (Pacific time):\n" in offer
    # Booked at noon: never offered. Spread out, not three half-hours in a row.
    assert "1) Wed Jun 10, 12:30 PM\n2) Wed Jun 10, 3:30 PM\n3) Thu Jun 11, 9 AM" in offer
    assert "Reply 1, 2 or 3 to book one." in offer
    assert booking_state()["offered"] == [
        pt(10, 12, 30).astimezone(UTC).isoformat(),
        pt(10, 15, 30).astimezone(UTC).isoformat(),
        pt(11, 9).astimezone(UTC).isoformat(),
    ]
    assert outbox("create_task")[0]["title"].startswith("Call Ana")  # Jorge's task, as before
    assert not OutboxMessage.objects.filter(operation="free_slots").exists()  # read locally
    assert AuditEvent.objects.filter(action="booking.offered", data__calendar="local").exists()


def test_the_picked_time_is_booked_confirmed_and_the_outbox_shows_the_calls(says, morning):
    says(HOT)

    confirmation = says("2")

    assert confirmation == (
        "You're all set Ana! Jorge will call you on Wednesday, June 10 at 3 PM (Pacific time). "
        "If anything changes, just text me here."
    )
    appointment = Appointment.objects.get()
    assert (appointment.start, appointment.status, appointment.contact.ghl_contact_id) == (
        pt(10, 15),
        Appointment.Status.BOOKED,
        "c-1",
    )
    [posted] = outbox("create_appointment")
    assert posted["contactId"] == "c-1" and posted["locationId"]
    assert posted["startTime"] == "2026-06-10T15:00:00-07:00"
    assert posted["ignoreFreeSlotValidation"] is False
    assert appointment.ghl_appointment_id.startswith("outbox-")
    texts = [body["message"] for body in outbox("send_message")]
    assert len(texts) == 2 and texts[1] == confirmation
    conversation = Conversation.objects.get()
    assert conversation.stage == Conversation.Stage.APPOINTMENT
    assert conversation.next_followup_at is None  # no "still thinking?" before the call
    assert booking_state()["status"] == "booked"


def test_a_spanish_lead_is_offered_and_confirmed_in_spanish(says, lead, morning):
    Contact.objects.filter(pk=lead.pk).update(language="es")

    offer = says(HOT_ES)
    confirmation = says("el jueves a las 9")

    assert "Horarios libres para la llamada (hora del Pacífico):" in offer
    assert "3) jue 11 jun, 9:00 a. m." in offer and "Responda 1, 2 o 3 para reservar." in offer
    assert confirmation.startswith(
        "¡Listo Ana! Jorge le llamará el jueves 11 de junio a las 9:00 a. m. (hora del Pacífico)."
    )
    assert Appointment.objects.get().start == pt(11, 9)


def test_a_time_taken_between_offer_and_pick_is_not_confirmed_and_fresh_times_come(says, morning):
    says(HOT)
    Appointment.objects.create(  # someone else got 3 PM meanwhile
        contact=ContactFactory(), calendar="local", start=pt(10, 15), end=pt(10, 15, 30)
    )

    reply = says("2")

    assert "that time is no longer available" in reply and "all set" not in reply
    assert "3 PM" not in reply
    assert "1) Wed Jun 10, 12 PM\n2) Wed Jun 10, 3:30 PM\n3) Thu Jun 11, 9 AM" in reply
    assert not Appointment.objects.filter(contact__ghl_contact_id="c-1").exists()
    assert AuditEvent.objects.filter(action="booking.slot_taken").exists()

    assert "Jorge will call you on Wednesday, June 10 at 3:30 PM" in says("2")


def test_an_unclear_answer_gets_one_question_then_jorge_takes_over(says, morning):
    says(HOT)

    question = says("yes")
    handed_over = says("sure")

    assert question == (
        "Sorry, I didn't catch which time works for you. Please reply 1, 2 or 3, "
        "or tell me if none of these times work."
    )
    assert "Jorge will reach out personally to find a time" in handed_over
    assert not Appointment.objects.exists()
    assert selectors.is_bot_paused(conversation=Conversation.objects.get())
    assert any(task["title"].startswith("Reply to Ana") for task in outbox("create_task"))


def test_none_work_offers_other_times_once_then_jorge_finds_one(says, morning):
    first = says(HOT)

    other = says("none of those work for me")
    handed_over = says("no")

    assert "No problem! Jorge is also free at these times" in other
    assert "1) Thu Jun 11, 12 PM\n2) Thu Jun 11, 3 PM\n3) Fri Jun 12, 9 AM" in other
    assert not any(line in first for line in other.splitlines() if line[:2] in ("1)", "2)", "3)"))
    assert "Jorge will reach out personally" in handed_over
    assert AuditEvent.objects.filter(action="booking.handed_over").exists()
    assert not Appointment.objects.exists()


def test_a_message_about_something_else_goes_to_the_bot_not_the_booking(says, morning):
    says(HOT)

    reply = says("What's the HOA fee on the house on Main?")

    assert reply == "Good question. I'll have Jorge get back to you on that personally."
    assert not Appointment.objects.exists()


def test_a_lead_who_turns_hot_at_night_is_offered_times_from_the_morning_on(lead, says):
    with time_machine.travel(datetime(2026, 6, 11, 5, 30, tzinfo=UTC), tick=False):  # 22:30
        offer = says(HOT)
        says("1")  # the lead may write at night; the answer waits for the morning too
    queued = replies_to("c-1", status="queued")

    assert len(queued) == 2
    assert all(m.scheduled_for == pt(11, 8) for m in queued)  # 08:00: the window opens
    assert not outbox("send_message")
    # Two hours after the lead can read it, not two hours after 22:30.
    assert "1) Thu Jun 11, 10 AM" in offer
    assert Appointment.objects.get().start == pt(11, 10)

    with time_machine.travel(datetime(2026, 6, 11, 15, 0, tzinfo=UTC), tick=False):
        send_due_messages()
    assert len(outbox("send_message")) == 2


def test_a_lead_who_opts_out_after_the_offer_is_never_booked_or_texted(says, morning):
    says(HOT)
    says("STOP")

    assert says("2") == ""
    assert not Appointment.objects.exists()
    texts = [body["message"] for body in outbox("send_message")]
    assert len(texts) == 2 and "unsubscribed" in texts[1]


def test_with_no_free_time_the_lead_hears_jorge_will_call_and_he_gets_the_task(
    says, morning, settings
):
    settings.BOOKING_WORKING_DAYS = ["sun"]
    settings.BOOKING_HORIZON_DAYS = 2

    reply = says(HOT)

    # The hot buyer's words (the buyer bot's), then no times: Jorge gets in touch instead.
    assert "Jorge will call you personally" in reply
    assert reply.endswith("We'll be in touch soon to find a time that works for you.")
    assert "1)" not in reply
    assert "1)" not in reply
    assert outbox("create_task")[0]["title"].startswith("Call Ana")
    assert booking_state()["status"] == "none_free"
    assert AuditEvent.objects.filter(action="booking.no_slots").exists()


class _BuyerBot:
    """Any bot: it sets ``book_call`` when the lead is hot, and the booking is the pipeline's."""

    kind = "buyer"

    def next_turn(self, ctx):
        if ctx.contact.temperature == Temperature.HOT:
            return BotTurn(goal="book_call", book_call=True, state={"call_booked": True})
        return BotTurn(goal="ask_timeline")

    def follow_up(self, ctx, *, step, by_email):
        return BotTurn(goal=f"followup_{step}")


def test_any_bot_that_books_a_call_gets_the_offer_and_the_booking(says, lead, morning, monkeypatch):
    monkeypatch.setitem(bots._REGISTRY, "buyer", _BuyerBot())
    Conversation.objects.create(contact=lead, bot="buyer", ghl_conversation_id="conv-1")

    offer = says(HOT)
    confirmation = says("the third one works")

    assert "3) Thu Jun 11, 9 AM" in offer
    assert "Jorge will call you on Thursday, June 11 at 9 AM" in confirmation
    assert Appointment.objects.get().conversation.bot == "buyer"


class _HotAndDoneBot(_BuyerBot):
    """Books a call and hands the lead to Jorge in the same turn (as a qualified hot seller)."""

    def next_turn(self, ctx):
        return BotTurn(
            goal="book_call", book_call=True, hand_to_human="qualified; Jorge takes over"
        )


def test_a_hand_off_on_the_offer_turn_waits_until_the_call_is_booked(
    says, lead, morning, monkeypatch
):
    monkeypatch.setitem(bots._REGISTRY, "buyer", _HotAndDoneBot())
    conversation = Conversation.objects.create(
        contact=lead, bot="buyer", ghl_conversation_id="conv-1"
    )

    says(HOT)
    paused_at_offer = selectors.is_bot_paused(conversation=Conversation.objects.get())
    confirmation = says("1")

    assert not paused_at_offer  # the bot must read the pick
    assert "Jorge will call you on Wednesday, June 10 at 12 PM" in confirmation
    conversation.refresh_from_db()
    assert selectors.is_bot_paused(conversation=conversation)
    assert conversation.stage == Conversation.Stage.HANDED_OFF


# --- HighLevel's calendar, faked at its HTTP transport -------------------------------------------


@pytest.fixture
def highlevel(settings, respx_mock):
    settings.GHL_API_TOKEN = "test-token"
    settings.GHL_CALENDAR_ID = "cal-1"
    settings.GHL_LOCATION_ID = "loc"
    return respx_mock


def hl_lead(**fields) -> Contact:
    return ContactFactory(
        ghl_contact_id="c-1",
        ghl_location_id="loc",
        first_name="Ana",
        phone="+19095550100",
        timezone="America/Los_Angeles",
        language="en",
        **fields,
    )


def hl_says(text: str) -> None:
    receive_sms("c-1", text, conversation_id="conv-1")  # commits; the turn runs on commit


HL_SLOTS = [pt(10, 11), pt(10, 13), pt(10, 13, 30), pt(11, 10), pt(12, 16)]


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=False)
def test_highlevel_slots_are_offered_booked_and_never_called_inside_a_transaction(highlevel):
    calendar = FakeCalendar(highlevel, slots=HL_SLOTS)
    hl_lead()

    hl_says(HOT)
    hl_says("the second")

    offer, confirmation = calendar.sent
    # 11:00 is too soon and 13:30 too close to 13:00: only what HighLevel returned, spread.
    assert "1) Wed Jun 10, 1 PM\n2) Thu Jun 11, 10 AM\n3) Fri Jun 12, 4 PM" in offer
    assert "Jorge will call you on Thursday, June 11 at 10 AM (Pacific time)" in confirmation
    [body] = calendar.bookings
    assert body == {
        "calendarId": "cal-1",
        "locationId": "loc",
        "contactId": "c-1",
        "startTime": "2026-06-11T10:00:00-07:00",
        "appointmentStatus": "confirmed",
        "ignoreFreeSlotValidation": False,
        "toNotify": False,
        "title": f"Call with {Contact.objects.get()} (booked by Jorge's assistant)",
        "description": body["description"],
    }
    assert "Intent: buying" in body["description"] and "+19095550100" in body["description"]
    assert calendar.requests("free_slots") == 2  # the offer, and the check right before booking
    assert calendar.tasks and calendar.tasks[0]["title"].startswith("Call Ana")
    # Not one HighLevel call waited with a transaction (so a lock) open.
    assert calendar.in_transaction and not any(calendar.in_transaction)
    appointment = Appointment.objects.get()
    assert (appointment.ghl_appointment_id, appointment.status) == ("appt-1", "booked")
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=False)
def test_a_highlevel_slot_taken_before_the_pick_is_not_booked_and_fresh_slots_come(highlevel):
    calendar = FakeCalendar(highlevel, slots=HL_SLOTS)
    calendar.take_before_booking = pt(11, 10)  # gone from HighLevel when we check again
    hl_lead()

    hl_says(HOT)
    hl_says("2")

    reply = calendar.sent[-1]
    assert "no longer available" in reply and "all set" not in reply
    assert "1) Wed Jun 10, 1 PM\n2) Fri Jun 12, 4 PM" in reply
    assert calendar.bookings == []  # never posted
    assert not Appointment.objects.filter(status="booked").exists()


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=False)
def test_the_echo_of_a_highlevel_booking_is_matched_to_it(highlevel, ghl):
    FakeCalendar(highlevel, slots=HL_SLOTS)
    hl_lead()
    hl_says(HOT)
    hl_says("1")

    ghl.post(
        {
            "type": "AppointmentCreate",
            "locationId": "loc",
            "webhookId": "wh-appt-1",
            "appointment": {
                "id": "appt-1",
                "calendarId": "cal-1",
                "contactId": "c-1",
                "startTime": "2026-06-10T13:00:00-07:00",
                "endTime": "2026-06-10T13:30:00-07:00",
                "appointmentStatus": "confirmed",
            },
        }
    )

    assert Appointment.objects.count() == 1
    assert Appointment.objects.get().ghl_appointment_id == "appt-1"
    event = WebhookEvent.objects.get(event_type="AppointmentCreate")
    assert "own booking" in event.last_error


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=False)
def test_highlevel_unreachable_at_offer_time_means_jorge_calls(highlevel):
    calendar = FakeCalendar(highlevel, slots=HL_SLOTS)
    calendar.free_slots_status = 401
    hl_lead()

    hl_says(HOT)

    [reply] = calendar.sent
    assert "We'll be in touch soon to find a time" in reply and "1)" not in reply
    assert calendar.tasks[0]["title"].startswith("Call Ana")
    [no_slots] = AuditEvent.objects.filter(action="booking.no_slots")
    assert "401" in no_slots.data["error"]


class _SlowBooking(FakeCalendar):
    """The booking call blocks until the test releases it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started, self.release = threading.Event(), threading.Event()

    def _book(self, request):
        self.started.set()
        assert self.release.wait(15), "the test never released the booking call"
        return super()._book(request)


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=True)
def test_a_message_written_during_the_booking_call_gets_its_own_turn(highlevel):
    calendar = _SlowBooking(highlevel, slots=HL_SLOTS)
    hl_lead()
    hl_says(HOT)

    picking = in_thread(lambda: hl_says("1"))
    assert calendar.started.wait(10)
    thanks = receive_sms("c-1", "thank you!!", conversation_id="conv-1")  # waits its turn
    waited = len(calendar.sent) == 1
    calendar.release.set()
    picking.join(20)
    assert not picking.is_alive() and picking.errors == []

    assert waited
    confirmation, after = calendar.sent[1:]
    assert "Jorge will call you on Wednesday, June 10 at 1 PM" in confirmation
    assert after == "Thanks, noted! I've passed that on to Jorge, who will be in touch soon."
    thanks.refresh_from_db()
    assert thanks.turn_outcome == Message.TurnOutcome.REPLIED  # answered, not folded in
    assert len(calendar.bookings) == 1
    assert calendar.in_transaction and not any(calendar.in_transaction)
    assert Message.objects.filter(direction="outbound", status="sent").count() == 3
