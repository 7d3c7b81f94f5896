"""HighLevel failing under the app: a send refused with a 500, a send rate limited with a 429,
and a send that went out but whose answer never came back in time. Every lead still gets its
one text, none two: the 429 is retried after HighLevel's Retry-After, and the two sends whose
outcome is unknown are settled by reading the conversation back from HighLevel (found: kept;
not found: sent again once). A real web process and Celery worker, on a redis-server of the
test's own, against a fake HighLevel API on 127.0.0.1."""

import json
import time

import httpx
import pytest

from leads.models import Message, SendLedgerEntry
from tests.faults.conftest import WebhookKey, app_processes, inbound_sms, wait_until
from tests.faults.servers import FlakyHighLevel

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_lead_gets_one_text_when_highlevel_refuses_limits_or_loses_answers(
    celery_broker, tmp_path
):
    highlevel = FlakyHighLevel(
        {"lead-0": ["500"], "lead-1": ["429"], "lead-2": ["lost"]}, lost_for=4.0
    )
    key = WebhookKey()
    app = app_processes(
        tmp_path,
        key=key,
        redis_url=celery_broker.url(0),
        GHL_API_TOKEN="fault-test-token",
        GHL_API_BASE_URL=highlevel.url,
        GHL_LOCATION_ID="loc-faults",
        GHL_API_TIMEOUT="1.5",  # the lost answer comes after 4 s
    )
    leads = ["lead-0", "lead-1", "lead-2", "lead-3"]
    try:
        url = app.serve()
        for n in range(len(leads)):
            body = json.dumps(inbound_sms(n)).encode()
            response = httpx.post(f"{url}/webhooks/ghl/", content=body, headers=key.headers(body))
            assert response.status_code == 200

        # Beat's rounds, as often as the shortened sweeps need (tests/faults/settings.py):
        # the unknown sends are read back after 1 s and sent again after 3 s if not found.
        def every_lead_texted() -> bool:
            app.manage("run_scheduler", "--once")
            return all(highlevel.sent(lead) for lead in leads)

        wait_until(
            every_lead_texted,
            timeout=90,
            interval=1.0,
            message=f"texts: { {lead: highlevel.sent(lead) for lead in leads} }\n"
            + app.log("worker")[-3000:],
        )
        for _ in range(3):  # a late duplicate would show in these rounds
            time.sleep(1.5)
            app.manage("run_scheduler", "--once")

        # Each lead got exactly one text, whatever HighLevel did to the first try.
        assert {lead: len(highlevel.sent(lead)) for lead in leads} == dict.fromkeys(leads, 1)
        assert highlevel.attempts("lead-0") == 2  # refused, then sent again once
        assert highlevel.attempts("lead-1") == 2  # 429, then retried after Retry-After
        assert highlevel.attempts("lead-2") == 1  # found in HighLevel: never sent twice
        assert highlevel.attempts("lead-3") == 1

        # And the database says so: one bot text out per lead (the one found in HighLevel has its
        # status from there: delivered), each send settled.
        sent = Message.objects.filter(
            direction="outbound", status__in=[Message.Status.SENT, Message.Status.DELIVERED]
        )
        assert sorted(sent.values_list("conversation__contact__ghl_contact_id", flat=True)) == leads
        outcomes = {
            entry.message.conversation.contact.ghl_contact_id: (entry.status, entry.reconciliation)
            for entry in SendLedgerEntry.objects.select_related("message__conversation__contact")
            if entry.reconciliation
        }
        assert outcomes == {
            "lead-0": (SendLedgerEntry.Status.UNKNOWN, SendLedgerEntry.Reconciliation.RESENT),
            "lead-2": (SendLedgerEntry.Status.SENT, SendLedgerEntry.Reconciliation.FOUND),
        }
    finally:
        app.stop_all()
        highlevel.close()
