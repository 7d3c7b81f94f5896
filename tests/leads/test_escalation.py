"""People in the loop: every reason a lead reaches a person, in English and Spanish, and what
the hand-off does (ticket, pause, email, HighLevel SMS and task, audit, dashboard), on and off
hours. Every lead message goes through the real pipeline entry point (``receive_sms``); only
HighLevel (the outbox) and Claude (its HTTP transport) are outside."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import mail
from django.db import transaction

from analytics.services import DASHBOARD_GROUP
from compliance.models import AuditEvent
from leads import selectors
from leads.bots import base as bots
from leads.bots.base import BotTurn
from leads.exceptions import EscalationError
from leads.ghl.client import HighLevelClient
from leads.models import Conversation, EscalationTicket, Message, OutboxMessage
from leads.services import escalation, pipeline
from leads.services.bot_config import update_bot_settings
from leads.services.followups import escalate_unanswered_messages, send_due_followups
from tests.factories import UserFactory
from tests.leads.claude_fake import error_answer
from tests.leads.factories import ContactFactory, receive_sms

pytestmark = pytest.mark.django_db

# Wednesday 10:00 in Riverside (PDT): on call, inside every sending window.
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)
# Wednesday 20:30 PDT: on call ended at 20:00, the lead may still be texted until 21:00.
EVENING = datetime(2026, 6, 11, 3, 30, tzinfo=UTC)
# Wednesday 23:00 PDT: nobody on call and the lead's quiet hours.
NIGHT = datetime(2026, 6, 11, 6, 0, tzinfo=UTC)
# Thursday 08:00 PDT: on call again.
NEXT_MORNING = datetime(2026, 6, 11, 15, 0, tzinfo=UTC)
ON_CALL_EMAIL = "oncall@example.com"
ON_CALL_PHONE = "+19095550199"


@pytest.fixture(autouse=True)
def on_call(settings):
    settings.ESCALATION_NOTIFY_EMAIL = ON_CALL_EMAIL
    settings.ESCALATION_NOTIFY_PHONE = ON_CALL_PHONE
    return settings


@pytest.fixture
def office_hours(on_call):
    """Someone is on call 08:00-20:00 Los Angeles time, Monday to Friday."""
    on_call.ESCALATION_ONCALL_TIMEZONE = "America/Los_Angeles"
    on_call.ESCALATION_ONCALL_START_HOUR = 8
    on_call.ESCALATION_ONCALL_END_HOUR = 20
    on_call.ESCALATION_ONCALL_DAYS = [0, 1, 2, 3, 4]
    return on_call


@pytest.fixture
def dashboard():
    """What an open dashboard receives: the events on the real (in-memory) channel layer."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(DASHBOARD_GROUP, channel)

    async def drain():
        events = []
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.05)
            except TimeoutError:
                return events
            events.append(message["payload"])

    # Drained once per test: the Redis layer binds its receive buffer to the first event loop.
    return lambda: async_to_sync(drain)()


class Lead:
    """A lead texting in; ``says`` runs the turn as a worker would and returns our answer."""

    def __init__(self, capture, *, contact_id="c-1", language="en", first_name="Ana"):
        self.capture = capture
        self.contact_id = contact_id
        self.row = ContactFactory(
            ghl_contact_id=contact_id,
            ghl_location_id="loc",
            first_name=first_name,
            phone="+19095550100",
            timezone="America/Los_Angeles",
            language=language,
        )

    def says(self, text: str) -> str:
        before = self._outbound().count()
        with self.capture(execute=True):
            receive_sms(self.contact_id, text, conversation_id=f"conv-{self.contact_id}")
        return " | ".join(m.body for m in self._outbound().order_by("id")[before:])

    def _outbound(self):
        return Message.objects.filter(
            conversation__contact__ghl_contact_id=self.contact_id, direction="outbound"
        ).exclude(status="blocked")

    @property
    def conversation(self) -> Conversation:
        return Conversation.objects.select_related("contact").get(
            contact__ghl_contact_id=self.contact_id
        )

    @property
    def tickets(self) -> list[EscalationTicket]:
        return list(EscalationTicket.objects.filter(contact__ghl_contact_id=self.contact_id))


@pytest.fixture
def new_lead(django_capture_on_commit_callbacks):
    def make(**kwargs) -> Lead:
        return Lead(django_capture_on_commit_callbacks, **kwargs)

    with time_machine.travel(MORNING, tick=False) as clock:
        make.clock = clock
        yield make


def outbox(operation: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(operation=operation).order_by("id"))


# --- Each reason, from the lead's own words, in English and Spanish -------------------------

LEAD_ASKS = [
    # (language, what the lead writes, reason, the acknowledgement they get)
    ("en", "Can I talk to Jorge?", "asked_for_person", "I'll get Jorge for you"),
    ("en", "is this a real person? I don't want a bot", "asked_for_person", "I'll get Jorge"),
    ("es", "Quiero hablar con alguien, por favor", "asked_for_person", "Le aviso a Jorge"),
    ("es", "¿Puedo hablar con una persona?", "asked_for_person", "Le aviso a Jorge"),
    ("en", "This is ridiculous, stop wasting my time", "anger_or_complaint", "I'm sorry"),
    ("en", "I'll sue if I get one more of these", "anger_or_complaint", "I'm sorry"),
    ("es", "Estoy harto de estos mensajes", "anger_or_complaint", "Lamento mucho"),
    ("es", "Voy a hablar con mi abogado sobre esto", "anger_or_complaint", "Lamento mucho"),
]


@pytest.mark.parametrize(("language", "text", "reason", "ack"), LEAD_ASKS)
def test_a_lead_who_needs_a_person_gets_one_and_an_acknowledgement_not_the_next_question(
    new_lead, language, text, reason, ack
):
    lead = new_lead(language=language)
    opening = {"en": "Hi, I want to buy a home", "es": "Hola, quiero comprar una casa"}
    lead.says(opening[language])

    answer = lead.says(text)

    assert ack in answer
    assert "?" not in answer  # no qualification question
    [ticket] = lead.tickets
    assert ticket.reason == reason
    assert ticket.status == EscalationTicket.Status.OPEN
    conversation = lead.conversation
    assert conversation.needs_human_review
    assert conversation.stage == Conversation.Stage.HANDED_OFF
    assert selectors.is_bot_paused(conversation=conversation)
    assert conversation.contact.bot_paused_until == selectors.BOT_PAUSED_INDEFINITELY
    assert lead.says("hello?") == ""  # the bot stays quiet until a person resumes it


def test_the_first_message_asking_for_a_person_still_says_who_is_writing(new_lead):
    lead = new_lead(language="es")

    answer = lead.says("Hola, quiero hablar con Jorge")

    assert "asistente automático" in answer and "Le aviso a Jorge" in answer
    assert lead.tickets[0].reason == "asked_for_person"


@pytest.mark.parametrize(
    ("language", "question", "ack"),
    [
        ("en", "Do you work on weekends?", "Sorry I couldn't answer that"),
        ("es", "¿Trabajan los fines de semana?", "Disculpe que no pude responder"),
    ],
)
def test_the_same_question_asked_twice_goes_to_a_person_as_a_bot_failure(
    new_lead, language, question, ack
):
    lead = new_lead(language=language)
    lead.says(question)  # the bot greets and asks its own question instead

    answer = lead.says(question)

    assert ack in answer
    [ticket] = lead.tickets
    assert (ticket.reason, ticket.context["goal"]) == (
        "bot_failed",
        "escalation:same_question_twice",
    )


class _OneNoteBot:
    kind = "buyer"

    def next_turn(self, ctx):
        return BotTurn(goal="qualified")  # the same words every time

    def follow_up(self, ctx, *, step, by_email):
        return BotTurn(goal=f"followup_{step}")


def test_with_the_ai_down_and_nothing_new_to_say_the_lead_goes_to_a_person(
    new_lead, fake_claude, monkeypatch
):
    fake_claude.answer(error_answer(500))  # every call to Claude fails
    monkeypatch.setitem(bots._REGISTRY, "buyer", _OneNoteBot())
    lead = new_lead()
    Conversation.objects.create(contact=lead.row, bot="buyer", ghl_conversation_id="conv-c-1")
    first = lead.says("I want to buy in Riverside")
    assert first  # the template answered while Claude was down

    assert lead.says("ok, and then?") == ""  # the same template again: not sent

    [ticket] = lead.tickets
    assert ticket.reason == "bot_failed"
    assert ticket.summary == "the bot had nothing new to say"
    assert selectors.is_bot_paused(conversation=lead.conversation)


class _SilentBot(_OneNoteBot):
    def next_turn(self, ctx):
        return BotTurn(goal="nothing", send=False)


def test_a_bot_with_nothing_to_say_twice_in_a_row_hands_the_lead_to_a_person(new_lead, monkeypatch):
    monkeypatch.setitem(bots._REGISTRY, "buyer", _SilentBot())
    lead = new_lead()
    Conversation.objects.create(contact=lead.row, bot="buyer", ghl_conversation_id="conv-c-1")

    lead.says("hi")
    assert lead.tickets == []  # once can be by design
    lead.says("hello?")

    [ticket] = lead.tickets
    assert (ticket.reason, ticket.summary) == (
        "bot_failed",
        "the bot had nothing to say twice in a row",
    )


class _CrashingBot(_OneNoteBot):
    def next_turn(self, ctx):
        raise RuntimeError("the bot broke")


def test_a_turn_that_crashes_goes_to_a_person_as_a_bot_failure(new_lead, monkeypatch):
    monkeypatch.setitem(bots._REGISTRY, "buyer", _CrashingBot())
    lead = new_lead()
    Conversation.objects.create(contact=lead.row, bot="buyer", ghl_conversation_id="conv-c-1")

    lead.says("hi, is the house on Oak still for sale")

    [ticket] = lead.tickets
    assert ticket.reason == "bot_failed" and ticket.context["turn_failed"] is True
    assert ticket.message.body == "hi, is the house on Oak still for sale"
    assert selectors.is_bot_paused(conversation=lead.conversation)


@pytest.mark.parametrize(
    ("language", "opening", "reply_word"),
    [
        ("en", "Hi, I want to buy a home", "Hi Ana"),
        ("es", "Hola, quiero comprar una casa", "Hola Ana"),
    ],
)
def test_a_missed_five_minute_rule_is_a_ticket_and_the_waiting_lead_still_gets_the_reply(
    new_lead, language, opening, reply_word, monkeypatch
):
    lead = new_lead(language=language)
    # The broker lost the turn's task: nobody answers for six minutes.
    from leads.services import inbound

    with monkeypatch.context() as patch:
        patch.setattr(inbound, "INBOUND_MESSAGE_HANDLERS", [])
        receive_sms("c-1", opening, conversation_id="conv-c-1")
    new_lead.clock.shift(timedelta(minutes=6))
    with lead.capture(execute=True):
        escalate_unanswered_messages()

    [ticket] = lead.tickets
    assert ticket.reason == "missed_first_reply"
    assert ticket.context == {"waited_seconds": 360, "first_message": True}
    assert not selectors.is_bot_paused(conversation=lead.conversation)  # the bot still owes it
    assert len(mail.outbox) == 1

    with lead.capture(execute=True):
        pipeline.sweep_overdue_turns()

    [reply] = Message.objects.filter(direction="outbound", status="sent")
    assert reply_word in reply.body


def test_a_lead_who_wrote_while_the_bots_were_stopped_is_answered_when_they_restart(new_lead):
    bot_settings = selectors.bot_settings()
    bot_settings.bots_enabled = False
    bot_settings.save()
    lead = new_lead(language="es")

    assert lead.says("Hola, quiero vender mi casa") == ""
    new_lead.clock.shift(timedelta(minutes=6))
    with lead.capture(execute=True):
        escalate_unanswered_messages()
    assert lead.tickets[0].reason == "missed_first_reply"

    bot_settings.bots_enabled = True
    with lead.capture(execute=True):
        update_bot_settings(
            settings_row=bot_settings, changed=["bots_enabled"], user=UserFactory(username="jorge")
        )

    [reply] = Message.objects.filter(direction="outbound", status="sent")
    assert reply.body.startswith("¡Hola Ana!")


@pytest.mark.parametrize(
    "text", ["What is the racial makeup of Fontana?", "¿Qué raza vive en Fontana?"]
)
def test_a_compliance_finding_that_needs_a_person_opens_a_compliance_ticket(
    new_lead, monkeypatch, text
):
    def guard(message, contact):
        return pipeline.GuardFinding(
            rule="fair_housing:test", reply="Vetted answer.", hand_to_human=True
        )

    monkeypatch.setattr(pipeline, "INBOUND_GUARDS", [guard])
    lead = new_lead()

    assert lead.says(text) == "Vetted answer."

    [ticket] = lead.tickets
    assert (ticket.reason, ticket.context["goal"]) == ("compliance", "fair_housing:test")
    assert selectors.is_bot_paused(conversation=lead.conversation)


def test_a_financial_review_leaves_the_bot_talking_and_the_nurture_cadence_running(new_lead):
    lead = new_lead()
    lead.says("Hi, I want to buy a home")
    conversation = lead.conversation
    cadence = conversation.next_followup_at

    with lead.capture(execute=True), transaction.atomic():
        ticket = escalation.escalate_to_human(
            conversation=conversation,
            reason="financial_review",
            context={"source": "fallback", "confidence": 0.6},
        )

    conversation = lead.conversation
    assert ticket.reason == "financial_review" and ticket.priority == "normal"
    assert conversation.needs_human_review
    assert not selectors.is_bot_paused(conversation=conversation)
    assert conversation.next_followup_at == cadence
    assert len(mail.outbox) == 1
    # A normal-priority ticket is emailed and tasked, never texted to the on-call phone.
    ticket.refresh_from_db()
    assert ticket.notifications["sms"]["outcome"].startswith("skipped: normal priority")
    assert not [
        m for m in outbox("send_message") if m.request_body.get("toNumber") == ON_CALL_PHONE
    ]
    assert lead.says("next spring") != ""  # the conversation carries on


# --- What a hand-off does ------------------------------------------------------------------


def test_a_hand_off_opens_a_ticket_tells_the_on_call_person_audits_and_tells_the_dashboard(
    new_lead, dashboard
):
    lead = new_lead()
    lead.says("Hi, I want to buy a home")
    lead.says("Can I talk to Jorge please?")

    [ticket] = lead.tickets
    assert ticket.priority == "high"
    assert ticket.due_at == MORNING + timedelta(hours=1)
    assert ticket.notified_at == MORNING
    # Email through Django's mail backend: the reason and a link, not the lead's words.
    [email] = mail.outbox
    assert email.to == [ON_CALL_EMAIL]
    assert f"/admin/leads/escalationticket/{ticket.pk}/change/" in email.body
    assert "Asked for a person" in email.body and "talk to Jorge" not in email.body
    # SMS and a task through the HighLevel client (the outbox stands in for HighLevel).
    [upsert] = outbox("upsert_contact")
    assert upsert.request_body["phone"] == ON_CALL_PHONE
    sms = [m for m in outbox("send_message") if m.request_body.get("toNumber") == ON_CALL_PHONE]
    assert len(sms) == 1 and f"#{ticket.pk}" in sms[0].request_body["message"]
    [task] = outbox("create_task")
    assert task.ghl_contact_id == "c-1"
    assert task.request_body["dueDate"] == "2026-06-10T18:00:00Z"
    # Audited, and on the dashboard.
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"escalation.opened", "bot.paused_for_human", "escalation.notified"} <= actions
    opened = [e for e in dashboard() if e["kind"] == "escalation.opened"]
    assert [e["data"]["ticket"] for e in opened] == [ticket.pk]


def test_the_same_reason_again_is_counted_on_the_open_ticket_not_paged_twice(new_lead):
    lead = new_lead()
    lead.says("Can I talk to Jorge?")

    lead.says("hello?? I want to talk to a real person")

    [ticket] = lead.tickets
    assert ticket.occurrences == 2
    assert len(mail.outbox) == 1


def test_a_new_reason_while_a_person_has_the_lead_still_opens_its_own_ticket(new_lead):
    lead = new_lead()
    lead.says("Can I talk to Jorge?")

    assert lead.says("Still nothing. I'm calling my lawyer") == ""  # the bot stays quiet

    assert sorted(t.reason for t in lead.tickets) == ["anger_or_complaint", "asked_for_person"]
    urgent = next(t for t in lead.tickets if t.reason == "anger_or_complaint")
    assert urgent.priority == "urgent" and urgent.due_at == MORNING + timedelta(minutes=15)


@pytest.mark.parametrize(
    "text", ["I'm a real estate agent too, relocating to Riverside", "I'm angry about prices"]
)
def test_ordinary_messages_that_look_alike_get_the_bot_not_a_person(new_lead, text):
    lead = new_lead()

    assert "?" in lead.says(text)  # the bot's next question

    assert lead.tickets == []
    assert not lead.conversation.needs_human_review


def test_an_unknown_reason_is_refused(new_lead):
    lead = new_lead()
    lead.says("hi")
    with pytest.raises(EscalationError), transaction.atomic():
        escalation.escalate_to_human(conversation=lead.conversation, reason="bored")


# --- Off hours ------------------------------------------------------------------------------


def test_after_hours_the_lead_is_told_once_and_the_on_call_person_in_the_morning(
    new_lead, office_hours, django_capture_on_commit_callbacks
):
    lead = new_lead(language="es")
    lead.says("Hola, quiero comprar una casa")
    new_lead.clock.move_to(EVENING)

    answer = lead.says("Quiero hablar con una persona")

    # One message: the acknowledgement and when a person will answer.
    assert "Le aviso a Jorge" in answer and "fuera de la oficina" in answer
    [ticket] = lead.tickets
    assert ticket.notify_at == NEXT_MORNING and ticket.notified_at is None
    assert ticket.due_at == NEXT_MORNING + timedelta(hours=1)
    assert mail.outbox == []
    assert [m for m in outbox("send_message") if m.request_body.get("toNumber")] == []
    assert len(outbox("create_task")) == 1  # Jorge's to-do list has it at once

    # Another reason that night: no second holding message.
    assert lead.says("Esto es una estafa") == ""
    assert len(lead.tickets) == 2

    new_lead.clock.move_to(NEXT_MORNING - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation.notify_due_escalations() == []
    new_lead.clock.move_to(NEXT_MORNING + timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert sorted(escalation.notify_due_escalations()) == sorted(t.pk for t in lead.tickets)

    assert len(mail.outbox) == 2
    assert len([m for m in outbox("send_message") if m.request_body.get("toNumber")]) == 2
    assert all(t.notified_at for t in lead.tickets)


def test_after_hours_a_hand_off_without_words_for_the_lead_sends_one_holding_message(
    new_lead, office_hours, monkeypatch
):
    monkeypatch.setitem(bots._REGISTRY, "buyer", _CrashingBot())
    lead = new_lead()
    Conversation.objects.create(contact=lead.row, bot="buyer", ghl_conversation_id="conv-c-1")
    new_lead.clock.move_to(EVENING)

    lead.says("is the house on Oak still for sale?")

    [holding] = Message.objects.filter(direction="outbound")
    assert "out of the office" in holding.body and holding.status == "sent"
    assert lead.tickets[0].holding_message == holding


def test_in_the_leads_quiet_hours_no_holding_message_is_queued_for_the_morning(
    new_lead, office_hours, monkeypatch
):
    monkeypatch.setitem(bots._REGISTRY, "buyer", _CrashingBot())
    lead = new_lead()
    Conversation.objects.create(contact=lead.row, bot="buyer", ghl_conversation_id="conv-c-1")
    new_lead.clock.move_to(NIGHT)

    lead.says("hello?")

    # It could only go out at 08:00, when the team is back: it would say nothing true.
    assert not Message.objects.filter(direction="outbound").exists()
    assert AuditEvent.objects.filter(action="escalation.holding_skipped").exists()


def test_with_nobody_on_call_the_ticket_waits_for_the_switch_and_the_lead_is_told(new_lead):
    bot_settings = selectors.bot_settings()
    bot_settings.someone_on_call = False
    bot_settings.save()
    lead = new_lead()

    answer = lead.says("Can I talk to Jorge?")

    assert "out of the office" in answer
    assert mail.outbox == []
    assert escalation.notify_due_escalations() == []

    # Someone is back at noon: the next sweep tells them, not tomorrow morning.
    bot_settings.someone_on_call = True
    bot_settings.save()
    new_lead.clock.shift(timedelta(hours=2))
    with lead.capture(execute=True):
        assert escalation.notify_due_escalations() == [lead.tickets[0].pk]
    assert len(mail.outbox) == 1


# --- Follow-ups stop at a hand-off; resuming hands back to the bot ----------------------------


def test_a_hot_seller_waiting_for_jorges_call_gets_no_still_thinking_follow_up(new_lead):
    lead = new_lead(contact_id="s-1")
    for text in [
        "Hi, I want to sell my house",
        "1234 Magnolia Ave, Riverside",
        "we're relocating for work, need to sell asap",
        "asap",
        "it's in good shape",
    ]:
        lead.says(text)
    assert "Jorge will call you" in lead.says("650k")
    conversation = lead.conversation
    assert conversation.contact.temperature == "hot" and not conversation.needs_human_review

    for day in range(1, 31):
        new_lead.clock.move_to(MORNING + timedelta(days=day))
        with lead.capture(execute=True):
            send_due_followups()

    assert not Message.objects.filter(ai_metadata__has_key="followup_step").exists()
    assert lead.conversation.next_followup_at is None


def test_an_escalated_lead_gets_no_follow_ups_until_a_person_resumes_the_bot(new_lead):
    lead = new_lead()
    lead.says("Hi, I want to buy a home")
    lead.says("Can I talk to Jorge?")
    assert lead.conversation.next_followup_at is None

    new_lead.clock.move_to(MORNING + timedelta(days=2))
    with lead.capture(execute=True):
        send_due_followups()
    assert not Message.objects.filter(ai_metadata__has_key="followup_step").exists()

    jorge = UserFactory(username="jorge")
    with lead.capture(execute=True):
        escalation.resume_bot(conversation=lead.conversation, user=jorge)

    conversation = lead.conversation
    assert not conversation.needs_human_review
    assert not selectors.is_bot_paused(conversation=conversation)
    assert conversation.stage == Conversation.Stage.QUALIFYING
    assert conversation.next_followup_at == MORNING + timedelta(days=3)
    resumed = AuditEvent.objects.get(action="bot.resumed")
    assert resumed.actor_label == "jorge" and resumed.data["needs_human_review"] is True
    assert lead.says("in six months") != ""  # the bot answers again


# --- Working a ticket -------------------------------------------------------------------------


def test_a_reviewer_assigns_and_resolves_a_ticket_with_a_note(new_lead):
    lead = new_lead()
    lead.says("Can I talk to Jorge?")
    [ticket] = lead.tickets
    maria = UserFactory(username="maria")

    escalation.assign_ticket(ticket=ticket, user=maria)
    with pytest.raises(EscalationError):
        escalation.resolve_ticket(ticket=ticket, user=maria, note="  ")
    escalation.resolve_ticket(ticket=ticket, user=maria, note="Called her back.", resume=True)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.resolution_note) == (
        "resolved",
        maria,
        "Called her back.",
    )
    assert ticket.resolved_at == MORNING
    assert not lead.conversation.needs_human_review
    assert not selectors.is_bot_paused(conversation=lead.conversation)
    worked = AuditEvent.objects.filter(
        subject_type="leads.escalationticket", subject_id=str(ticket.pk), actor_label="maria"
    )
    assert list(worked.order_by("id").values_list("action", flat=True)) == [
        "escalation.assigned",
        "escalation.resolved",
    ]
    with pytest.raises(EscalationError):
        escalation.resolve_ticket(ticket=ticket, user=maria, note="again")
    # A new request after resolution opens a new ticket.
    lead.says("Can I talk to Jorge again?")
    assert len(lead.tickets) == 2


def test_the_on_call_sms_is_retried_without_emailing_twice(new_lead, settings, monkeypatch):
    from leads.ghl import outbox as ghl_outbox

    real = ghl_outbox.fake_response
    failing = {"on": True}

    def flaky(operation, request, body):
        if operation == "upsert_contact" and failing["on"]:
            return 503, {"message": "down"}
        return real(operation, request, body)

    monkeypatch.setattr(ghl_outbox, "fake_response", flaky)
    monkeypatch.setattr(HighLevelClient, "_wait", lambda self, state: 0.0)  # no real backoff
    lead = new_lead()
    lead.says("Can I talk to Jorge?")
    [ticket] = lead.tickets
    assert ticket.notified_at is None and "email" in ticket.notifications
    assert len(mail.outbox) == 1

    failing["on"] = False
    new_lead.clock.shift(timedelta(minutes=2))
    with lead.capture(execute=True):
        escalation.notify_due_escalations()

    ticket.refresh_from_db()
    assert ticket.notified_at is not None
    assert ticket.notifications["sms"]["outcome"] == "sent"
    assert len(mail.outbox) == 1


def test_an_on_call_sms_that_may_have_reached_highlevel_is_never_sent_again(new_lead, monkeypatch):
    from leads.ghl import outbox as ghl_outbox

    real = ghl_outbox.fake_response

    def sms_times_out(operation, request, body):
        if operation == "send_message" and body.get("toNumber") == ON_CALL_PHONE:
            return 502, {"message": "bad gateway"}  # it may have been sent
        return real(operation, request, body)

    monkeypatch.setattr(ghl_outbox, "fake_response", sms_times_out)
    lead = new_lead()
    lead.says("Can I talk to Jorge?")
    new_lead.clock.shift(timedelta(minutes=5))
    with lead.capture(execute=True):
        escalation.notify_due_escalations()

    [ticket] = lead.tickets
    assert ticket.notified_at is not None
    assert ticket.notifications["sms"]["outcome"].startswith("outcome unknown, not resent")
    tries = [m for m in outbox("send_message") if m.request_body.get("toNumber") == ON_CALL_PHONE]
    assert len(tries) == 1  # the client does not retry a non-idempotent send, nor does the sweep


def test_the_ticket_does_not_keep_the_leads_words(new_lead):
    lead = new_lead()
    lead.says("Can I talk to Jorge? my number is 909 555 1234")

    [ticket] = lead.tickets
    assert "909" not in str(ticket.context) and "909" not in ticket.summary
