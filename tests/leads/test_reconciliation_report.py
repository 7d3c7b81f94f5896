"""``manage.py reconciliation_report``: every webhook event and inbound message with its final
state; what needs a person is flagged and the command exits 1."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from leads.models import Message, WebhookEvent
from tests.leads.factories import ContactFactory, ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)


def event(status: str, *, minutes_ago: int = 30, **fields) -> WebhookEvent:
    at = NOW - timedelta(minutes=minutes_ago)
    created = WebhookEvent.objects.create(
        event_type="InboundMessage", body="{}", status=status, created_at=at, **fields
    )
    WebhookEvent.objects.filter(pk=created.pk).update(updated_at=at)
    return created


def inbound(lead: str, *, minutes_ago: int = 30, contact=None, **fields) -> Message:
    contact = contact or ContactFactory(ghl_contact_id=lead)
    conversation = ConversationFactory(contact=contact)
    at = NOW - timedelta(minutes=minutes_ago)
    return MessageFactory(conversation=conversation, created_at=at, sent_at=at, **fields)


def reply(to: Message, status: str, **fields) -> Message:
    return MessageFactory(
        conversation=to.conversation,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        status=status,
        created_at=to.created_at + timedelta(seconds=5),
        **fields,
    )


def report(*args) -> tuple[str, CommandError | None]:
    from io import StringIO

    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        try:
            call_command("reconciliation_report", *args, stdout=out)
        except CommandError as error:
            return out.getvalue(), error
    return out.getvalue(), None


def line(output: str, what: str) -> str:
    (found,) = [row for row in output.splitlines() if f" {what} " in row]
    return found


def test_with_everything_settled_nothing_is_flagged_and_it_exits_0():
    answered = inbound("lead-ok", handled_at=NOW, turn_outcome="replied")
    reply(answered, Message.Status.DELIVERED)
    event(WebhookEvent.Status.PROCESSED, message=answered)

    output, error = report()

    assert error is None
    assert "ok      message" in line(output, f"message {answered.pk:<7}")
    assert "answered" in line(output, f"message {answered.pk:<7}")
    assert "Nothing flagged" in output


def test_what_is_unanswered_or_unprocessed_is_flagged_and_the_exit_status_is_1():
    answered = inbound("lead-answered", handled_at=NOW, turn_outcome="replied")
    reply(answered, Message.Status.SENT)
    never_ran = inbound("lead-no-turn")  # stored while the broker was down; no sweep ran
    paused = inbound("lead-paused", handled_at=NOW, turn_outcome="no_reply")  # nobody answered
    unknown = inbound("lead-unknown", handled_at=NOW, turn_outcome="replied")
    reply(unknown, Message.Status.UNKNOWN)
    stuck = event(WebhookEvent.Status.RECEIVED, minutes_ago=20)
    dead = event(WebhookEvent.Status.DEAD, attempts=5, last_error="ValueError: bad payload")

    output, error = report()

    assert error is not None and error.returncode == 1
    assert str(error) == "5 flagged: see the lines marked FLAGGED."
    assert line(output, f"message {answered.pk:<7}").strip().startswith("ok")
    assert "its turn never finished" in line(output, f"message {never_ran.pk:<7}")
    assert "unanswered: No reply" in line(output, f"message {paused.pk:<7}")
    assert "delivery could not be confirmed" in line(output, f"message {unknown.pk:<7}")
    assert "still received after 20 min" in line(output, f"event {stuck.pk:<7}")
    assert "gave up after 5 attempts: ValueError: bad payload" in line(
        output, f"event {dead.pk:<7}"
    )


def test_what_is_rightly_unanswered_or_still_on_its_way_is_not_flagged():
    call = inbound("lead-call", channel="call", handled_at=NOW, turn_outcome="not_answerable")
    stopped = inbound(
        "lead-stop",
        contact=ContactFactory(ghl_contact_id="lead-stop", opted_out=True, opted_out_at=NOW),
    )
    night = inbound("lead-night", handled_at=NOW, turn_outcome="replied")
    reply(night, Message.Status.QUEUED, scheduled_for=NOW + timedelta(hours=9))
    fresh = inbound("lead-fresh", minutes_ago=1)
    processing = event(WebhookEvent.Status.PROCESSING, minutes_ago=1)
    rejected = event(WebhookEvent.Status.REJECTED, last_error="invalid_signature")

    output, error = report()

    assert error is None, output
    assert "not for the bot" in line(output, f"message {call.pk:<7}")
    assert "opted out" in line(output, f"message {stopped.pk:<7}")
    assert "reply queued until 2026-06-11 03:00 UTC" in line(output, f"message {night.pk:<7}")
    assert "its turn is running" in line(output, f"message {fresh.pk:<7}")
    assert "(in progress)" in line(output, f"event {processing.pk:<7}")
    assert "invalid_signature" in line(output, f"event {rejected.pk:<7}")


def test_since_and_flagged_only_narrow_the_list():
    old = inbound("lead-old", minutes_ago=3 * 60)
    recent = inbound("lead-recent")
    answered = inbound("lead-answered", handled_at=NOW, turn_outcome="replied")
    reply(answered, Message.Status.SENT)

    output, error = report("--since", "2h", "--flagged-only")

    assert f"message {old.pk} " not in output
    assert f"message {recent.pk:<7}" in output
    assert f"message {answered.pk} " not in output
    assert error.returncode == 1


def test_no_message_text_is_printed():
    inbound("lead-private", body="My SSN is redacted anyway, call me at home")

    output, _ = report()

    assert "call me at home" not in output and "lead-private" in output


@pytest.mark.parametrize("since", ["2026-06-10", "2026-06-10T09:00:00-07:00", "90m", "7d"])
def test_since_takes_a_duration_a_date_or_a_time(since):
    assert report("--since", since)[1] is None


def test_an_unreadable_since_is_refused_with_the_forms_it_takes():
    _, error = report("--since", "yesterday")

    assert "give 30m, 2h, 7d, a date or an ISO time" in str(error)


def test_from_the_shell_a_flag_is_exit_status_1():
    inbound("lead-waiting")

    with time_machine.travel(NOW, tick=False), pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "reconciliation_report"]).execute()

    assert exited.value.code == 1
