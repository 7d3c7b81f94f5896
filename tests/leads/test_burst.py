"""A burst on the embedded default (SQLite, tasks in-process) through the real HTTP endpoint:
every lead is answered, once, within seconds."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
import time_machine

from leads.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

# 10:00 in California: inside the sending window, so every reply goes out at once.
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)


def inbound(n: str, text: str) -> dict:
    return {
        "type": "InboundMessage",
        "locationId": "loc-burst",
        "contactId": f"lead-{n}",
        "conversationId": f"conv-{n}",
        "messageId": f"sms-{n}",
        "webhookId": f"wh-{n}",
        "body": text,
        "direction": "inbound",
        "messageType": "SMS",
        "dateAdded": MORNING.isoformat(),
    }


@time_machine.travel(MORNING, tick=True)
def test_a_burst_of_new_leads_and_copies_of_one_webhook_are_all_answered_once(live_server, signer):
    deliveries = [
        json.dumps(inbound(str(n), "Hi, I want to buy a home")).encode() for n in range(20)
    ]
    copy = json.dumps(inbound("copied", "Hola, quiero vender mi casa")).encode()
    deliveries += [copy] * 20  # HighLevel redelivers; our 200s may race its retries

    def post(body: bytes) -> int:
        with httpx.Client(base_url=live_server.url, timeout=60) as client:
            response = client.post(
                "/webhooks/ghl/",
                content=body,
                headers={"Content-Type": "application/json", **_signed(signer, body)},
            )
            return response.status_code

    started = time.monotonic()
    # Ten at a time: the test server's listen backlog is small (gunicorn's is 2048).
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(post, deliveries))
    elapsed = time.monotonic() - started

    assert sorted(set(statuses)) == [200] and len(statuses) == 40
    replies = Message.objects.filter(direction="outbound", status="sent")
    per_lead = {}
    for contact_id in replies.values_list("conversation__contact__ghl_contact_id", flat=True):
        per_lead[contact_id] = per_lead.get(contact_id, 0) + 1
    assert per_lead == {f"lead-{n}": 1 for n in [*range(20), "copied"]}
    assert elapsed < 20, f"the burst took {elapsed:.1f}s"


def _signed(signer, body: bytes) -> dict:
    return {"X-GHL-Signature": signer.ed25519(body)}
