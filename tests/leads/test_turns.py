"""The bot turn in phases: no lock held while Claude thinks, what moved meanwhile wins,
and no turn is lost or silent.

Claude is faked at the SDK's HTTP transport; the slow call blocks until the test releases
it, so the test can act "during" the call from the main thread.
"""

import json
import threading
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.models import AuditEvent
from leads import selectors
from leads.bots import base as bots
from leads.bots.base import BotTurn
from leads.intelligence import claude
from leads.models import BotSettings, Contact, Conversation, Message, OutboxMessage, WebhookEvent
from leads.services import pipeline
from leads.services.followups import send_followup
from leads.services.inbound import record_outbound_message
from tests.leads.claude_fake import analysis_answer, reply_answer
from tests.leads.factories import ContactFactory, receive_sms

# 10:00 in Riverside (PDT), well inside the sending window.
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)
SLOW_TEXT = "I want to buy a house in Riverside"


class SlowClaude:
    """Claude at its transport: the first call about ``SLOW_TEXT`` waits for ``release``."""

    def __init__(self):
        self.started = threading.Event()
        self.release = threading.Event()
        self.in_transaction: list[bool] = []
        self.analysis_texts: list[str] = []
        self._held = False
        self._lock = threading.Lock()

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.in_transaction.append(transaction.get_connection().in_atomic_block)
        content = request.content.decode()
        is_reply = claude.REPLY_TOOL_NAME in json.dumps(json.loads(content).get("tool_choice"))
        with self._lock:
            hold = SLOW_TEXT in content and not self._held
            self._held = self._held or hold
        if hold:
            self.started.set()
            assert self.release.wait(15), "the test never released the slow call"
        if is_reply:
            return reply_answer(
                "Thanks! I'm Jorge's automated assistant. When would you like to move?"
            )
        self.analysis_texts.append(content)
        return analysis_answer(pre_approved=None, timeline="unknown")


@pytest.fixture
def slow_claude(claude_settings, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    fake = SlowClaude()
    claude.use_http_client(httpx2.Client(transport=httpx2.MockTransport(fake.handler)))
    yield fake
    fake.release.set()
    claude.use_http_client(None)


def lead(contact_id: str, **fields) -> Contact:
    return ContactFactory(
        ghl_contact_id=contact_id,
        ghl_location_id="loc",
        phone=fields.pop("phone", "+19095550100"),
        timezone="America/Los_Angeles",
        language="en",
        **fields,
    )


def in_thread(target) -> threading.Thread:
    errors: list[BaseException] = []

    def run():
        try:
            target()
        except BaseException as exc:  # surfaced by the test through thread.errors
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.errors = errors
    thread.start()
    return thread


def replies_to(contact_id: str, *, status: str | None = None) -> list[Message]:
    rows = Message.objects.filter(
        conversation__contact__ghl_contact_id=contact_id, direction="outbound"
    ).exclude(status="blocked")
    if status:
        rows = rows.filter(status=status)
    return list(rows.order_by("id"))


def finish(thread: threading.Thread, claude_fake: SlowClaude) -> None:
    claude_fake.release.set()
    thread.join(20)
    assert not thread.is_alive()
    assert thread.errors == []


# --- Never waiting on the network under a lock ------------------------------------------------


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=True)
def test_a_slow_model_call_holds_no_lock_and_another_lead_is_answered_meanwhile(slow_claude):
    lead("slow")
    lead("fast", phone="+19095550101")
    slow = in_thread(lambda: receive_sms("slow", SLOW_TEXT))
    assert slow_claude.started.wait(10)

    receive_sms("fast", "Hi, I'd like to sell my condo")  # answered while the slow call waits
    fast_answered_meanwhile = len(replies_to("fast", status="sent")) == 1
    slow_answered_meanwhile = bool(replies_to("slow"))
    finish(slow, slow_claude)

    assert fast_answered_meanwhile and not slow_answered_meanwhile
    assert len(replies_to("slow", status="sent")) == 1
    # Every call to Claude, from either turn, ran with no transaction (so no lock) open.
    assert slow_claude.in_transaction and not any(slow_claude.in_transaction)


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=True)
def test_a_stop_that_arrives_during_the_slow_call_wins(slow_claude):
    lead("slow")
    slow = in_thread(lambda: receive_sms("slow", SLOW_TEXT))
    assert slow_claude.started.wait(10)

    receive_sms("slow", "STOP")  # answered at once, though a turn is in flight
    confirmed_at_once = [m.body for m in replies_to("slow", status="sent")]
    finish(slow, slow_claude)

    assert len(confirmed_at_once) == 1 and "unsubscribed" in confirmed_at_once[0].lower()
    assert [m.body for m in replies_to("slow")] == confirmed_at_once  # the bot's reply never went
    assert Contact.objects.get(ghl_contact_id="slow").opted_out
    first = Message.objects.get(body=SLOW_TEXT)
    assert (first.turn_outcome, first.handled_at is not None) == ("no_reply", True)
    assert AuditEvent.objects.filter(
        action="reply.skipped", data__reason__icontains="opted out"
    ).exists()


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=True)
def test_a_stop_whose_own_task_was_lost_is_still_honoured_by_the_turn_in_flight(slow_claude):
    lead("slow")
    slow = in_thread(lambda: receive_sms("slow", SLOW_TEXT))
    assert slow_claude.started.wait(10)

    stop = _unanswered("slow", "STOP")  # recorded, but its task never runs
    finish(slow, slow_claude)

    assert Contact.objects.get(ghl_contact_id="slow").opted_out
    texts = [m.body.lower() for m in replies_to("slow", status="sent")]
    assert len(texts) == 1 and "unsubscribed" in texts[0]  # the confirmation, and nothing else
    stop.refresh_from_db()
    assert stop.turn_outcome == Message.TurnOutcome.KEYWORD


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=True)
def test_a_person_replying_during_the_slow_call_drops_the_bots_turn(slow_claude):
    lead("slow")
    slow = in_thread(lambda: receive_sms("slow", SLOW_TEXT, conversation_id="conv-slow"))
    assert slow_claude.started.wait(10)

    record_outbound_message(
        location_id="loc",
        contact_id="slow",
        conversation_id="conv-slow",
        message_id="jorge-1",
        channel="sms",
        body="Hi, Jorge here! Calling you in 5.",
        sent_at=timezone.now(),
        status="sent",
        automated=False,
    )
    finish(slow, slow_claude)

    assert [m.sender for m in replies_to("slow")] == ["human"]
    first = Message.objects.get(body=SLOW_TEXT)
    assert first.turn_outcome == Message.TurnOutcome.DROPPED
    assert AuditEvent.objects.filter(
        action="reply.dropped", data__reason="a person replied during the turn"
    ).exists()


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=True)
def test_a_message_written_during_the_slow_call_is_answered_together_with_the_first(
    slow_claude,
):
    lead("slow")
    slow = in_thread(lambda: receive_sms("slow", SLOW_TEXT))
    assert slow_claude.started.wait(10)

    second = receive_sms("slow", "Budget is about 600k")  # waits for the turn in flight
    waited = not replies_to("slow")
    finish(slow, slow_claude)

    assert waited
    assert len(replies_to("slow", status="sent")) == 1  # one answer to both messages
    first = Message.objects.get(body=SLOW_TEXT)
    second.refresh_from_db()
    assert (first.turn_outcome, second.turn_outcome) == ("superseded", "replied")
    assert "Budget is about 600k" in slow_claude.analysis_texts[-1]


# --- One lock order ------------------------------------------------------------------------------


def _locked_tables(queries) -> list[str]:
    tables = []
    for query in queries:
        sql = query["sql"]
        for table in ("leads_contact", "leads_conversation"):
            if sql.startswith(f'SELECT "{table}".') and (
                "FOR UPDATE" in sql or not connection.features.has_select_for_update
            ):
                tables.append(table)
    return tables


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=False)
def test_webhook_writes_and_the_turn_lock_the_contact_before_the_conversation():
    lead("c-1")
    with CaptureQueriesContext(connection) as queries:
        receive_sms("c-1", "Hi, I want to sell my house")
    locked = _locked_tables(queries.captured_queries)

    assert locked, "no row was locked"
    # Each step locks the contact first; the conversation only after it.
    first_conversation = locked.index("leads_conversation")
    assert locked[0] == "leads_contact" and first_conversation > 0
    assert all(
        locked[i - 1] == "leads_contact"
        for i, table in enumerate(locked)
        if table == "leads_conversation" and locked[i - 1] != "leads_conversation"
    )


# --- No lost turns ------------------------------------------------------------------------------


def _unanswered(contact_id: str, text: str) -> Message:
    """A message recorded while the broker was down: its turn task never ran."""
    with pytest.MonkeyPatch.context() as patch:
        from leads.services import inbound

        patch.setattr(inbound, "INBOUND_MESSAGE_HANDLERS", [])
        return receive_sms(contact_id, text)


@pytest.mark.django_db
def test_the_sweep_runs_a_turn_whose_task_never_ran_once(django_capture_on_commit_callbacks):
    lead("c-1")
    with time_machine.travel(MORNING, tick=False):
        message = _unanswered("c-1", "Hi, I want to buy a home")
    with time_machine.travel(MORNING + timedelta(seconds=30), tick=False):
        assert pipeline.sweep_overdue_turns() == []  # its own task may still be coming
    with (
        time_machine.travel(MORNING + timedelta(seconds=90), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert pipeline.sweep_overdue_turns() == [message.pk]
        assert pipeline.sweep_overdue_turns() == []

    assert len(replies_to("c-1", status="sent")) == 1
    message.refresh_from_db()
    assert message.turn_outcome == "replied"


@pytest.mark.django_db
def test_the_sweep_leaves_a_turn_in_flight_and_reruns_one_whose_worker_died(
    django_capture_on_commit_callbacks,
):
    lead("c-1")
    with time_machine.travel(MORNING, tick=False):
        message = _unanswered("c-1", "Hi, I want to buy a home")
        Message.objects.filter(pk=message.pk).update(turn_started_at=MORNING)  # a worker has it
    with time_machine.travel(MORNING + timedelta(seconds=100), tick=False):
        assert pipeline.sweep_overdue_turns() == []  # still within its time limit
        assert pipeline.handle_inbound_message(message_id=message.pk).result == "in_flight"
    with (
        time_machine.travel(MORNING + timedelta(seconds=200), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert pipeline.sweep_overdue_turns() == [message.pk]  # the worker died

    assert len(replies_to("c-1")) == 1


@pytest.mark.django_db
def test_a_message_older_than_the_sweep_window_is_left_to_the_people():
    lead("c-1")
    with time_machine.travel(MORNING, tick=False):
        _unanswered("c-1", "Hi, I want to buy a home")
    with time_machine.travel(MORNING + timedelta(hours=7), tick=False):
        assert pipeline.sweep_overdue_turns() == []


# --- No silent failures --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=False)
def test_a_crashing_turn_shows_on_the_message_and_the_event_and_reaches_jorge(ghl):
    lead("lead-1")
    BotSettings.objects.create(pk=1, followup_days=["tomorrow"])  # a bad setting: the turn raises
    response = ghl.post(
        {
            "type": "InboundMessage",
            "locationId": "loc",
            "contactId": "lead-1",
            "conversationId": "conv-1",
            "messageId": "sms-1",
            "webhookId": "wh-1",
            "body": "Hi, I want to buy a home",
            "direction": "inbound",
            "messageType": "SMS",
            "dateAdded": MORNING.isoformat(),
        }
    )

    assert response.status_code == 200
    message = Message.objects.get(ghl_message_id="sms-1")
    assert message.turn_outcome == "failed" and "TypeError" in message.turn_error
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.TURN_FAILED
    assert "The bot's turn failed" in event.last_error
    task = OutboxMessage.objects.get(operation="create_task")
    assert "lead-1" in task.path or task.ghl_contact_id == "lead-1"
    conversation = Conversation.objects.get()
    assert conversation.stage == Conversation.Stage.HANDED_OFF
    assert selectors.is_bot_paused(conversation=conversation)
    assert AuditEvent.objects.filter(action="bot.turn_failed").exists()
    assert pipeline.sweep_overdue_turns() == []  # settled: never retried into a loop


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MORNING, tick=False)
def test_staff_run_a_failed_turn_again_from_the_admin_once_the_cause_is_fixed(admin_client):
    lead("c-1")
    BotSettings.objects.create(pk=1, followup_days=["tomorrow"])
    message = receive_sms("c-1", "Hi, I want to buy a home")
    message.refresh_from_db()
    assert message.turn_outcome == "failed"
    BotSettings.objects.filter(pk=1).update(followup_days=[1, 3, 7])  # the cause, fixed
    from leads.services.escalation import resume_bot

    resume_bot(conversation=message.conversation)

    response = admin_client.post(
        "/admin/leads/message/",
        {"action": "retry_turns", "_selected_action": [message.pk]},
        follow=True,
    )

    assert "1 failed turns queued to run again" in response.content.decode()
    message.refresh_from_db()
    assert message.turn_outcome == "replied"
    assert len(replies_to("c-1", status="sent")) == 1
    assert AuditEvent.objects.filter(action="bot.turn_retried", actor="human").exists()


# --- Follow-ups through the same apply step -------------------------------------------------------


class _HandingOverBot:
    kind = "buyer"

    def next_turn(self, ctx):
        return BotTurn(goal="greeting")

    def follow_up(self, ctx, *, step, by_email):
        return BotTurn(
            goal=f"followup_{step}",
            state={"checked_in": step},
            hand_to_human="the buyer asked for a call last time",
        )


@pytest.mark.django_db
def test_a_follow_up_goes_through_the_turns_apply_step(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(bots._REGISTRY, "buyer", _HandingOverBot())
    contact = lead("c-1")
    conversation = Conversation.objects.create(
        contact=contact,
        bot="buyer",
        ghl_conversation_id="conv-1",
        last_inbound_at=MORNING - timedelta(days=1),
        next_followup_at=MORNING,
    )
    with (
        time_machine.travel(MORNING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert send_followup(conversation_id=conversation.pk) == "sent"

    conversation.refresh_from_db()
    assert conversation.bot_state["checked_in"] == 1  # the bot's state, as for a reply
    assert conversation.stage == Conversation.Stage.HANDED_OFF  # and its hand-off
    assert selectors.is_bot_paused(conversation=conversation)
    assert [m.status for m in replies_to("c-1")] == ["sent"]
    assert OutboxMessage.objects.filter(operation="create_task").exists()
    assert AuditEvent.objects.filter(action="bot.turn", data__followup=True).exists()


class _OneNoteBot:
    kind = "buyer"

    def next_turn(self, ctx):
        return BotTurn(goal="qualified")  # the same words every time

    def follow_up(self, ctx, *, step, by_email):
        return BotTurn(goal=f"followup_{step}")


@pytest.mark.django_db
def test_the_bot_never_sends_the_same_text_twice_in_a_row(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(bots._REGISTRY, "buyer", _OneNoteBot())
    contact = lead("c-1")
    Conversation.objects.create(contact=contact, bot="buyer", ghl_conversation_id="conv-c-1")
    with (
        time_machine.travel(MORNING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        receive_sms("c-1", "ok")
        receive_sms("c-1", "ok thanks")

    assert len(replies_to("c-1")) == 1  # the second, identical text was never queued
    assert AuditEvent.objects.filter(action="reply.repeat_blocked").exists()
    conversation = Conversation.objects.get()
    assert selectors.is_bot_paused(conversation=conversation)  # a person takes it from here


@pytest.mark.django_db
def test_the_dashboard_hears_of_a_lead_turned_hot_by_an_answer_read_in_context(
    monkeypatch, django_capture_on_commit_callbacks
):
    events = []
    monkeypatch.setattr(pipeline, "broadcast_dashboard_event", lambda **e: events.append(e))
    lead("c-1")
    with (
        time_machine.travel(MORNING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        receive_sms("c-1", "I want to buy a home asap")
        receive_sms("c-1", "around 500k")
        warm_before = Contact.objects.get(ghl_contact_id="c-1").temperature
        receive_sms("c-1", "yes we are")  # "yes" to the pre-approval question: hot now

    contact = Contact.objects.get(ghl_contact_id="c-1")
    assert (warm_before, contact.temperature) == ("cold", "hot")
    assert [e["data"]["contact"] for e in events if e["kind"] == "lead.hot"] == [contact.pk]


@pytest.mark.django_db
def test_after_a_stop_the_contacts_other_waiting_message_is_settled_without_a_reply(
    django_capture_on_commit_callbacks,
):
    lead("c-1")
    with time_machine.travel(MORNING, tick=False):
        lost = _unanswered("c-1", "Hi, I want to buy a home")  # its task never ran
    with (
        time_machine.travel(MORNING + timedelta(seconds=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        receive_sms("c-1", "STOP")

    lost.refresh_from_db()
    assert (lost.turn_outcome, lost.handled_at is not None) == ("no_reply", True)
    assert len(replies_to("c-1")) == 1  # the STOP confirmation only


@pytest.mark.django_db
def test_a_message_left_unanswered_for_hours_is_not_answered_when_the_lead_writes_again(
    django_capture_on_commit_callbacks,
):
    lead("c-1")
    with time_machine.travel(MORNING - timedelta(hours=7), tick=False):
        old = _unanswered("c-1", "Hi, is anyone there?")  # people were alerted; the bot was not
    with (
        time_machine.travel(MORNING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        receive_sms("c-1", "Hi, I want to buy a home")

    assert len(replies_to("c-1")) == 1  # one answer, to what the lead wrote now
    old.refresh_from_db()
    assert old.turn_outcome == Message.TurnOutcome.SUPERSEDED
