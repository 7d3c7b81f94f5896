"""What a new lead's first reply costs, webhook to send: SQL statements and Celery hops.

Counted through the real endpoint with HighLevel faked at its HTTP transport, so only our
own statements are counted (the outbox, which stands in for HighLevel on the embedded
default, would add its own rows). BEGIN, COMMIT and savepoints are not counted: they are
the transactions' edges, not work. The figures are in docs/performance.md.
"""

from datetime import UTC, datetime

import httpx
import pytest
import respx
import time_machine
from celery.signals import task_prerun
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import BotSettings, Message
from tests.leads.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)

API = "https://services.leadconnectorhq.com"
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 10:00 in California
CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


def inbound_sms(contact_id: str) -> dict:
    return {
        "type": "InboundMessage",
        "locationId": "loc",
        "contactId": contact_id,
        "conversationId": f"conv-{contact_id}",
        "messageId": f"sms-{contact_id}",
        "webhookId": f"wh-{contact_id}",
        "body": "Hi, I want to buy a 3 bedroom home in Fontana, budget around 550k",
        "direction": "inbound",
        "messageType": "SMS",
        "dateAdded": MORNING.isoformat(),
    }


@pytest.fixture
def highlevel(settings, respx_mock):
    settings.GHL_API_TOKEN = "test-token"
    respx_mock.post(f"{API}/conversations/messages").mock(
        return_value=httpx.Response(200, json={"conversationId": "x", "messageId": "m-1"})
    )
    respx_mock.get(url__regex=rf"{API}/contacts/.+").mock(
        return_value=httpx.Response(
            200,
            json={"contact": {"id": "c-new", "phone": "+19095550188", "dnd": False}},
        )
    )
    BotSettings.objects.create(pk=1, followup_days=[1, 3, 7, 14, 30])  # as in production
    return respx_mock


def first_reply_cost(ghl, contact_id: str) -> tuple[int, list[str]]:
    tasks: list[str] = []

    def count(sender=None, **_):
        tasks.append(sender.name)

    task_prerun.connect(count)
    try:
        with CaptureQueriesContext(connection) as queries:
            assert ghl.post(inbound_sms(contact_id)).status_code == 200
    finally:
        task_prerun.disconnect(count)
    reply = Message.objects.get(direction="outbound")
    assert reply.status == Message.Status.SENT
    statements = [q for q in queries.captured_queries if not q["sql"].startswith(CONTROL)]
    return len(statements), tasks


@respx.mock(assert_all_called=False)
@time_machine.travel(MORNING, tick=False)
def test_a_known_new_leads_first_reply_takes_two_hops_and_at_most_31_statements(highlevel, ghl):
    ContactFactory(ghl_contact_id="c-known", ghl_location_id="loc", phone="+19095550100")

    statements, tasks = first_reply_cost(ghl, "c-known")

    assert tasks == ["leads.tasks.process_webhook_event_task", "leads.tasks.run_turn_task"]
    # The lead is a buyer: the buyer bot answers, and its profile costs two statements
    # (read under the turn's lock, then created); and the learned score's look-up of the
    # active model's version, one statement a minute per process (cached; none here).
    assert statements <= 31, statements


@respx.mock(assert_all_called=False)
@time_machine.travel(MORNING, tick=False)
def test_a_lead_known_only_from_the_message_costs_two_hops_and_at_most_40_statements(
    highlevel, ghl
):
    statements, tasks = first_reply_cost(ghl, "c-new")

    assert tasks == ["leads.tasks.process_webhook_event_task", "leads.tasks.run_turn_task"]
    # Nine more than a known lead: HighLevel is asked for the phone (so the time zone) with
    # no lock held, so the turn claims, then locks and re-checks a second time.
    assert statements <= 40, statements
