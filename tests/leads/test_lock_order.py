"""A lead's rows are locked in one order everywhere (leads/services/locks.py): contact,
conversations, messages, the lead's other rows, webhook events. Two writers on one lead then
wait for each other in turn and never deadlock.

The concurrency tests run on PostgreSQL with real threads, each on its own connection;
SQLite has no row locks (its writers queue on one database lock), so they are skipped there.
Each pair test holds one writer at the exact point where the old order deadlocked, starts
the other, and lets the first go on only once the second waits for a lock.
"""

import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from leads.ghl import client as ghl_client
from leads.models import EscalationTicket, Message, OutboxMessage, SendLedgerEntry
from leads.services import pipeline
from leads.services.escalation import escalate_to_human, resolve_ticket
from leads.services.inbound import record_outbound_message
from leads.services.messaging import send_queued_message
from sellers.services.qualification import create_seller_opportunity
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory, DealFactory, receive_sms

ROOT = Path(__file__).resolve().parents[2]
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 10:00 in California
TEXT = "Thanks Ana! What area are you looking in?"


def test_contacts_conversations_and_messages_are_locked_only_through_the_locks_module():
    """Every ``select_for_update`` of a contact, a conversation or a message goes through
    leads/services/locks.py, where the order is kept (the other rows may lock alone)."""
    pattern = re.compile(r"\b(Contact|Conversation|Message)\.objects\s*\.select_for_update")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in ("leads", "buyers", "sellers", "compliance", "analytics")
        for path in (ROOT / app).rglob("*.py")
        if path != ROOT / "leads/services/locks.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
        or ("select_for_update()" in line and ".select_related(" in line and "of=" not in line)
    ]
    assert offenders == []


# --- PostgreSQL, real threads ------------------------------------------------------------------


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: its writers queue on the one database lock")


def deadlocks() -> int:
    """Deadlocks PostgreSQL detected in this database (the victims' stats are flushed when
    their connections close, which the threads here do before this is read)."""
    time.sleep(0.2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Writer(threading.Thread):
    """A writer on a connection of its own; with ``pause_at``, it stops just before its first
    statement matching that pattern until another backend waits for a lock."""

    def __init__(self, work, *, pause_at: str = "", start_after: threading.Event | None = None):
        super().__init__(daemon=True)
        self.work, self.pause_at, self.start_after = work, re.compile(pause_at or "^$"), start_after
        self.paused = threading.Event()
        self.result, self.error = None, None

    def _wrapper(self, execute, sql, params, many, context):
        if not self.paused.is_set() and self.pause_at.pattern != "^$" and self.pause_at.search(sql):
            self.paused.set()
            until(lambda: waiting_for_a_lock() >= 1)
        return execute(sql, params, many, context)

    def run(self):
        try:
            if self.start_after is not None:
                assert self.start_after.wait(10)
            with connection.execute_wrapper(self._wrapper):
                self.result = self.work()
        except BaseException as exc:  # surfaced by the test
            self.error = exc
        finally:
            connection.close()


def run_pair(first: Writer, second: Writer) -> None:
    first.start()
    second.start()
    first.join(30)
    second.join(30)
    assert not first.is_alive() and not second.is_alive(), "a writer is still waiting"


def lead(contact_id: str):
    contact = ContactFactory(ghl_contact_id=contact_id, ghl_location_id="loc", phone="+19095550100")
    return ConversationFactory(contact=contact, ghl_conversation_id=f"conv-{contact_id}")


def test_a_send_and_highlevels_echo_of_that_message_never_deadlock(postgres):
    # The message's first send is in flight (its ledger entry written, no answer yet): a
    # second send task for it (the minute sweep and a backlog) and HighLevel's echo meet.
    conversation = lead("c-echo")
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        status=Message.Status.QUEUED,
        body=TEXT,
    )
    SendLedgerEntry.objects.create(key=f"message:{message.pk}", message=message)
    before = deadlocks()

    def echo():  # the webhook task's transaction: the contact, then our message
        with transaction.atomic():
            return record_outbound_message(
                location_id="loc",
                contact_id="c-echo",
                conversation_id="conv-echo",
                message_id="ghl-echo-1",
                channel="sms",
                body=TEXT,
                sent_at=timezone.now(),
                status="delivered",
                automated=False,
            )

    first = Writer(echo, pause_at=r'^UPDATE "leads_message"')
    second = Writer(lambda: send_queued_message(message_id=message.pk), start_after=first.paused)
    run_pair(first, second)

    assert (first.error, second.error) == (None, None)
    assert deadlocks() == before
    message.refresh_from_db()
    assert (message.status, message.ghl_message_id) == (Message.Status.DELIVERED, "ghl-echo-1")
    assert second.result == "not_queued"  # the echo settled it: nothing is sent again
    assert not OutboxMessage.objects.exists()


def test_resolving_a_ticket_while_the_bot_escalates_the_same_lead_never_deadlocks(postgres):
    conversation = lead("c-ticket")
    with transaction.atomic():
        ticket = escalate_to_human(
            conversation=conversation, reason=EscalationTicket.Reason.ASKED_FOR_PERSON
        )
    jorge = UserFactory(username="jorge", is_staff=True)
    before = deadlocks()

    def bot_escalates_again():  # the turn's transaction: contact, conversation, then ticket
        with transaction.atomic():
            return escalate_to_human(
                conversation=type(conversation).objects.get(pk=conversation.pk),
                reason=EscalationTicket.Reason.ASKED_FOR_PERSON,
            )

    first = Writer(
        bot_escalates_again, pause_at=r'FROM "leads_escalationticket".*FOR (NO KEY )?UPDATE'
    )
    second = Writer(
        lambda: resolve_ticket(ticket=ticket, user=jorge, note="Called her back", resume=True),
        start_after=first.paused,
    )
    run_pair(first, second)

    assert (first.error, second.error) == (None, None)
    assert deadlocks() == before
    ticket.refresh_from_db()
    assert ticket.status == EscalationTicket.Status.RESOLVED


def test_the_hot_sellers_highlevel_call_holds_no_lock_on_the_lead(postgres, settings, monkeypatch):
    settings.GHL_API_TOKEN = "pit-test"
    settings.GHL_SELLER_PIPELINE_ID = "pipe-sellers"
    in_call, release = threading.Event(), threading.Event()

    def highlevel(request):
        in_call.set()
        release.wait(15)
        return httpx.Response(201, json={"opportunity": {"id": "opp-1", "name": "Sale"}})

    monkeypatch.setattr(ghl_client, "_shared_transport", lambda: httpx.MockTransport(highlevel))
    conversation = lead("c-seller")
    deal = DealFactory(contact=conversation.contact, side="sell")
    creating = Writer(lambda: create_seller_opportunity(deal_id=deal.pk))
    creating.start()
    try:
        assert in_call.wait(10)
        # While the opportunity is being created in HighLevel, the lead's next text is
        # recorded at once: only the deal's row is held through the call.
        started = time.monotonic()
        recording = Writer(
            lambda: receive_sms("c-seller", "Still there?", conversation_id="conv-c-seller")
        )
        recording.start()
        recording.join(5)
        assert not recording.is_alive(), "the lead's message waited for HighLevel"
        assert recording.error is None and time.monotonic() - started < 5
    finally:
        release.set()
        creating.join(15)
    assert creating.error is None and creating.result == "opp-1"


def test_a_burst_on_one_conversation_never_deadlocks_and_answers_every_message(postgres):
    """Texts, their bot turns and sends, HighLevel's echoes of the replies and second send
    tasks, all at once on one lead, from eight threads."""
    conversation = lead("c-burst")
    before = deadlocks()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(n: int):
        try:
            start.wait()
            for round_ in range(3):
                receive_sms(
                    "c-burst",
                    f"message {n}-{round_}: still looking",
                    conversation_id="conv-c-burst",
                )
                for reply in Message.objects.filter(
                    conversation=conversation, direction="outbound"
                ).order_by("-pk")[:3]:
                    if reply.status == Message.Status.QUEUED:
                        send_queued_message(message_id=reply.pk)
                    elif reply.ghl_message_id:
                        with transaction.atomic():
                            record_outbound_message(
                                location_id="loc",
                                contact_id="c-burst",
                                conversation_id="conv-c-burst",
                                message_id=reply.ghl_message_id,
                                channel="sms",
                                body=reply.body,
                                sent_at=reply.sent_at,
                                status="delivered",
                                automated=False,
                            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(MORNING, tick=True):
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        # Turns a concurrent turn on the same lead left for later are run by the minute sweep.
        pipeline.sweep_overdue_turns(now=timezone.now() + timezone.timedelta(minutes=5))

    assert errors == []
    assert deadlocks() == before
    inbound = Message.objects.filter(
        conversation__contact__ghl_contact_id="c-burst", direction="inbound"
    )
    assert inbound.count() == 24
    assert not inbound.filter(handled_at__isnull=True).exists()
    sent = Message.objects.filter(direction="outbound", status__in=["sent", "delivered"])
    assert sent.exists()
    # Every reply sent went out once: one send request each.
    assert OutboxMessage.objects.filter(operation="send_message").count() == sent.count()
