"""Claude slow, then failing, under a real web process and Celery worker: each lead is still
answered, by the offline engine, within the time the client is allowed to wait for Claude (a
timeout and one retry per call, two calls a turn); never twice, never not at all."""

import json
import time

import httpx
import pytest

from leads.models import Message
from tests.faults.conftest import WebhookKey, app_processes, inbound_sms, wait_until
from tests.faults.servers import StalledClaude
from tests.faults.test_broker_down import replies_by_lead

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 1.5  # ANTHROPIC_TIMEOUT here (20 s in production)
# Two calls a turn (the analysis, then the reply's wording), each tried twice: the most a
# turn can wait on Claude; the rest is margin for the task hops on a busy machine.
REPLY_BUDGET = 2 * 2 * TIMEOUT + 6.0


def _post(url: str, key: WebhookKey, n: int) -> float:
    body = json.dumps(inbound_sms(n, "Hi, I want to buy a 3 bedroom home around 550k")).encode()
    response = httpx.post(f"{url}/webhooks/ghl/", content=body, headers=key.headers(body))
    assert response.status_code == 200
    return time.monotonic()


def test_a_lead_is_answered_by_the_offline_engine_when_claude_hangs_or_fails(
    celery_broker, tmp_path
):
    claude = StalledClaude()  # hangs until released, then answers every call with a 500
    key = WebhookKey()
    app = app_processes(
        tmp_path,
        key=key,
        redis_url=celery_broker.url(0),
        ANTHROPIC_API_KEY="test-key",
        ANTHROPIC_BASE_URL=claude.url,
        ANTHROPIC_TIMEOUT=str(TIMEOUT),
        ANTHROPIC_MAX_RETRIES="1",
    )
    try:
        url = app.serve()

        # Claude hangs: every call times out, and the offline engine answers in time.
        posted = _post(url, key, 0)
        wait_until(
            lambda: "lead-0" in replies_by_lead(), timeout=60, message=app.log("worker")[-3000:]
        )
        hung_for = time.monotonic() - posted
        assert claude.requests >= 2  # it was asked, and waited on
        assert hung_for < REPLY_BUDGET, f"answered after {hung_for:.1f} s"

        # Claude fails at once (500s): answered sooner still.
        claude.release()
        posted = _post(url, key, 1)
        wait_until(
            lambda: "lead-1" in replies_by_lead(), timeout=60, message=app.log("worker")[-3000:]
        )
        assert time.monotonic() - posted < REPLY_BUDGET

        time.sleep(2)  # a late second reply would show now
        assert replies_by_lead() == {"lead-0": 1, "lead-1": 1}
        for reply in Message.objects.filter(direction="outbound", sender=Message.Sender.BOT):
            assert reply.ai_metadata["engine"] == "offline"
            assert reply.ai_metadata["fallback_reason"]  # why Claude was not used, on record
            assert reply.body
    finally:
        app.stop_all()
        claude.close()
