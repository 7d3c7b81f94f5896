"""A Celery worker killed mid-task (a crash, the OOM killer): every lead is still answered,
and none twice. The worker is a real one on a redis-server of the test's own; it is killed
while a bot turn waits on Claude (a stalled fake of Anthropic's API on 127.0.0.1)."""

import json
import time

import httpx
import pytest

from leads.models import Message, WebhookEvent
from leads.tasks import process_webhook_event_task, run_turn_task
from tests.faults.conftest import WebhookKey, app_processes, inbound_sms, wait_until
from tests.faults.servers import StalledClaude
from tests.faults.test_broker_down import replies_by_lead

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_killed_mid_turn_leaves_every_lead_answered_once(celery_broker, tmp_path):
    key = WebhookKey()
    claude = StalledClaude()
    app = app_processes(
        tmp_path,
        key=key,
        redis_url=celery_broker.url(0),
        ANTHROPIC_API_KEY="test-key",
        ANTHROPIC_BASE_URL=claude.url,
        ANTHROPIC_MAX_RETRIES="0",
        ANTHROPIC_TIMEOUT="60",
    )
    leads = [f"lead-{n}" for n in range(3)]
    try:
        url = app.serve()
        for n in range(3):
            body = json.dumps(inbound_sms(n)).encode()
            response = httpx.post(f"{url}/webhooks/ghl/", content=body, headers=key.headers(body))
            assert response.status_code == 200

        # The worker is inside a bot turn, waiting on Claude: kill it, children and all.
        wait_until(lambda: claude.requests >= 1, timeout=90, message=app.log("worker")[-3000:])
        app.kill("worker")
        assert not replies_by_lead()

        # Claude answers again (with errors: the offline engine writes the replies). A new
        # worker, then beat's next round once the dead turn's claim is stale (4 s here).
        claude.release()
        app.worker("worker-2")
        time.sleep(5)
        app.manage("run_scheduler", "--once")
        wait_until(
            lambda: set(replies_by_lead()) == set(leads),
            timeout=90,
            message=f"answered: {replies_by_lead()}\n{app.log('worker-2')[-3000:]}",
        )

        # Redis hands the dead worker's unacknowledged tasks out again (after its visibility
        # timeout, an hour in production): here at once, every one of them, twice over.
        for event_id in WebhookEvent.objects.values_list("pk", flat=True):
            process_webhook_event_task.apply_async(args=[event_id])
        for message_id in Message.objects.filter(direction="inbound").values_list("pk", flat=True):
            run_turn_task.apply_async(args=[message_id])
            run_turn_task.apply_async(args=[message_id])
        wait_until(
            lambda: (
                not celery_broker.client().llen("ingest")
                and not celery_broker.client().llen("turns")
            ),
            timeout=60,
        )
        time.sleep(2)
        assert replies_by_lead() == dict.fromkeys(leads, 1)
    finally:
        app.stop_all()
        claude.close()
