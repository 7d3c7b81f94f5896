"""Nurture follow-ups and the five-minute rule."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from compliance.models import AuditEvent
from leads import selectors
from leads.models import Conversation, Deal, EscalationTicket, Message, OutboxMessage
from leads.services.followups import escalate_unanswered_messages, send_due_followups
from tests.leads.factories import ContactFactory, DealFactory, receive_sms

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # 12:00 in Los Angeles


@pytest.fixture
def conversation(django_capture_on_commit_callbacks):
    """A lead who wrote once at noon and got the bot's first reply."""
    ContactFactory(
        ghl_contact_id="c-9",
        ghl_location_id="loc",
        first_name="Luis",
        phone="+19515550123",
        email="luis@example.com",
        language="es",
    )
    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        receive_sms("c-9", "Hola, busco casa", conversation_id="conv-9")
    return Conversation.objects.get()


def followups_sent():
    return list(Message.objects.filter(ai_metadata__has_key="followup_step").order_by("id"))


def run_day(day: int, captured):
    with (
        time_machine.travel(NOON + timedelta(days=day, minutes=1), tick=False),
        captured(execute=True),
    ):
        send_due_followups()


def test_cadence_sends_on_days_1_3_7_14_30_each_different(
    conversation, django_capture_on_commit_callbacks
):
    for day in range(0, 32):
        run_day(day, django_capture_on_commit_callbacks)

    sent = followups_sent()
    assert [m.ai_metadata["followup_step"] for m in sent] == [1, 2, 3, 4, 5]
    assert [(m.sent_at - NOON).days for m in sent] == [1, 3, 7, 14, 30]
    assert len({m.body for m in sent}) == 5
    assert all("Hola" in m.body for m in sent)  # the lead's language


def test_the_day_14_touch_is_an_email(conversation, django_capture_on_commit_callbacks):
    for day in range(0, 15):
        run_day(day, django_capture_on_commit_callbacks)

    email = followups_sent()[-1]
    assert email.channel == "email" and email.subject
    sent = OutboxMessage.objects.filter(operation="send_message").latest("id")
    assert sent.request_body["type"] == "Email"


def test_a_reply_from_the_lead_restarts_the_cadence(
    conversation, django_capture_on_commit_callbacks
):
    run_day(1, django_capture_on_commit_callbacks)
    with (
        time_machine.travel(NOON + timedelta(days=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        receive_sms("c-9", "en 6 meses", conversation_id="conv-9")
    conversation.refresh_from_db()

    assert conversation.followup_step == 0
    assert conversation.next_followup_at == NOON + timedelta(days=3)


def test_an_opt_out_stops_the_cadence(conversation, django_capture_on_commit_callbacks):
    with (
        time_machine.travel(NOON + timedelta(hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        receive_sms("c-9", "ALTO", conversation_id="conv-9")
    for day in range(0, 31):
        run_day(day, django_capture_on_commit_callbacks)

    assert followups_sent() == []


def test_a_closed_deal_stops_the_cadence(conversation, django_capture_on_commit_callbacks):
    DealFactory(contact=conversation.contact, stage=Deal.Stage.CLOSED_WON)

    run_day(1, django_capture_on_commit_callbacks)

    assert followups_sent() == []
    assert AuditEvent.objects.filter(action="followup.stopped", data__reason="deal closed").exists()


def test_followups_wait_for_the_sending_window(conversation, django_capture_on_commit_callbacks):
    bot_settings = selectors.bot_settings()
    conversation.next_followup_at = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)  # 21:00 in LA
    conversation.save()
    with time_machine.travel(datetime(2026, 3, 3, 5, 30, tzinfo=UTC), tick=False):
        send_due_followups()

    [followup] = followups_sent()
    assert followup.status == Message.Status.QUEUED
    assert followup.scheduled_for == datetime(2026, 3, 3, 16, 0, tzinfo=UTC)  # 08:00 PST
    assert bot_settings.bots_enabled


def test_a_lead_waiting_over_five_minutes_is_escalated_once(db):
    contact = ContactFactory()
    conversation = Conversation.objects.create(contact=contact, last_inbound_at=NOON)

    with time_machine.travel(NOON + timedelta(minutes=4), tick=False):
        assert escalate_unanswered_messages() == []
    with time_machine.travel(NOON + timedelta(minutes=6), tick=False):
        assert escalate_unanswered_messages() == [conversation.pk]
        assert escalate_unanswered_messages() == []

    ticket = EscalationTicket.objects.get()
    assert (ticket.conversation, ticket.reason) == (conversation, "missed_first_reply")
    assert ticket.context == {"waited_seconds": 360, "first_message": True}


def test_a_later_message_left_unanswered_is_escalated_too(db):
    contact = ContactFactory()
    conversation = Conversation.objects.create(
        contact=contact,
        last_inbound_at=NOON - timedelta(hours=2),
        last_outbound_at=NOON - timedelta(hours=2) + timedelta(seconds=20),
        first_response_seconds=20.0,  # the first message was answered in time
    )
    # The lead writes again at noon and nobody (bot or person) answers.
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=NOON)

    with time_machine.travel(NOON + timedelta(minutes=6), tick=False):
        assert escalate_unanswered_messages() == [conversation.pk]
        assert escalate_unanswered_messages() == []  # once per message
    ticket = EscalationTicket.objects.get()
    assert ticket.context == {"waited_seconds": 360, "first_message": False}

    # Jorge answers, the lead writes again later and waits again: a new escalation.
    Conversation.objects.filter(pk=conversation.pk).update(
        last_outbound_at=NOON + timedelta(minutes=7), last_inbound_at=NOON + timedelta(hours=1)
    )
    with time_machine.travel(NOON + timedelta(hours=1, minutes=2), tick=False):
        assert escalate_unanswered_messages() == []  # within five minutes
    with time_machine.travel(NOON + timedelta(hours=1, minutes=6), tick=False):
        assert escalate_unanswered_messages() == [conversation.pk]
    # Still open, the same ticket counts the second wait rather than paging twice.
    ticket.refresh_from_db()
    assert (EscalationTicket.objects.count(), ticket.occurrences) == (1, 2)


def test_a_lead_answered_in_time_is_not_escalated(conversation):
    with time_machine.travel(NOON + timedelta(minutes=30), tick=False):
        assert escalate_unanswered_messages() == []
    assert conversation.first_response_seconds is not None


def test_the_in_process_scheduler_runs_the_periodic_bot_work(
    conversation, django_capture_on_commit_callbacks
):
    """The embedded default has no Celery beat: run_scheduler does its job."""
    with (
        time_machine.travel(NOON + timedelta(days=1, minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("run_scheduler", "--once")

    [followup] = followups_sent()
    assert followup.status == Message.Status.SENT
