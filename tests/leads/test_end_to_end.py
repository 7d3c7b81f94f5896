"""A lead's whole journey through the real HTTP endpoint: signed HighLevel webhooks in,
replies out through the HighLevel client into the outbox."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leads.models import Contact, Conversation, Message, OutboxMessage
from leads.services.messaging import send_due_messages

pytestmark = pytest.mark.django_db(transaction=True)
_ids = itertools.count(1)


def contact_created(phone: str) -> dict:
    return {
        "type": "ContactCreate",
        "locationId": "loc-1",
        "id": "lead-1",
        "firstName": "Marisol",
        "lastName": "Vega",
        "phone": phone,
        "email": "marisol@example.com",
        "source": "Zillow",
        "dateAdded": "2026-06-10T16:59:00.000Z",
        "tags": [],
        "dnd": False,
    }


def sms(text: str) -> dict:
    n = next(_ids)
    return {
        "type": "InboundMessage",
        "locationId": "loc-1",
        "contactId": "lead-1",
        "conversationId": "conv-1",
        "messageId": f"sms-{n}",
        "webhookId": f"wh-{n}",
        "body": text,
        "direction": "inbound",
        "messageType": "SMS",
        "contentType": "text/plain",
        "status": "delivered",
        "attachments": [],
        "dateAdded": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }


def outbox_texts() -> list[str]:
    return [
        row.request_body["message"]
        for row in OutboxMessage.objects.filter(operation="send_message").order_by("id")
    ]


@time_machine.travel(datetime(2026, 6, 10, 17, 0, tzinfo=UTC), tick=False)  # 10:00 in California
def test_new_lead_is_answered_qualified_and_can_stop_for_good(ghl):
    assert ghl.post(contact_created("+19095550142")).status_code == 200

    response = ghl.post(sms("Hi! Saw your listing on Zillow, we want to buy in Ontario"))
    assert response.status_code == 200

    [first] = outbox_texts()
    assert "Jorge's automated assistant" in first
    contact = Contact.objects.get()
    assert (contact.intent, contact.area) == ("buyer", "Ontario")
    conversation = Conversation.objects.get()
    assert (
        conversation.first_response_seconds is not None and conversation.first_response_seconds < 5
    )

    ghl.post(sms("Within 2 months, pre-approved for 520k"))
    second = outbox_texts()[1]
    assert "automated assistant" not in second
    contact.refresh_from_db()
    assert (contact.timeline, contact.budget_max, contact.pre_approved) == (
        "1_3_months",
        520_000,
        True,
    )
    assert contact.temperature == "hot"
    assert OutboxMessage.objects.filter(operation="create_task").exists()

    ghl.post(sms("STOP"))
    ghl.post(sms("hello? what about that house"))

    texts = outbox_texts()
    assert len(texts) == 3 and "unsubscribed" in texts[2]
    contact.refresh_from_db()
    assert contact.opted_out


def test_a_message_at_23h_local_is_answered_at_08h(ghl):
    with time_machine.travel(datetime(2026, 6, 11, 6, 0, tzinfo=UTC), tick=False):  # 23:00 PDT
        ghl.post(contact_created("+19515550143"))
        ghl.post(sms("Hola, quiero vender mi casa"))
    assert outbox_texts() == []
    reply = Message.objects.get(direction="outbound")
    assert reply.scheduled_for.astimezone(UTC) == datetime(2026, 6, 11, 15, 0, tzinfo=UTC)

    with time_machine.travel(datetime(2026, 6, 11, 15, 0, 30, tzinfo=UTC), tick=False):
        send_due_messages()

    [text] = outbox_texts()
    assert "asistente automático" in text


def test_a_florida_lead_waits_for_eight_and_gets_at_most_three_a_day(ghl):
    # 20:30 in Miami: inside the federal window, outside Florida's 08:00-20:00.
    with time_machine.travel(datetime(2026, 6, 11, 0, 30, tzinfo=UTC), tick=False):
        ghl.post(contact_created("+13055550144"))
        ghl.post(sms("Hi, I want to buy a condo"))
    assert outbox_texts() == []
    reply = Message.objects.get(direction="outbound")
    assert reply.scheduled_for.astimezone(UTC) == datetime(
        2026, 6, 11, 12, 0, tzinfo=UTC
    )  # 08:00 EDT

    start = datetime(2026, 6, 11, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        send_due_messages()
    for minutes, text in [(5, "next month"), (10, "around 300k"), (15, "in Miami")]:
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            ghl.post(sms(text))

    assert len(outbox_texts()) == 3
    held = Message.objects.filter(direction="outbound", status="queued").get()
    assert held.scheduled_for.astimezone(UTC) == start + timedelta(hours=24)
