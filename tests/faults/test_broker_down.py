"""A webhook is answered fast whatever the broker (Redis) is doing: 200 once it is stored,
even when its task cannot be queued; what was stored but not queued is queued by the sweep
once Redis is back. The broker is a redis-server of the test's own, stopped and hung."""

import json
import logging
import time
from datetime import timedelta

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from leads.models import Message, WebhookEvent
from leads.services import inbound
from tests.factories import UserFactory
from tests.faults.conftest import (
    WebhookKey,
    app_processes,
    in_thread,
    inbound_sms,
    queued_tasks,
    wait_until,
)
from tests.leads.factories import api_token_secret

pytestmark = pytest.mark.django_db(transaction=True)

PROCESS = "leads.tasks.process_webhook_event_task"
# Redis down or hung, the answer still comes within this (about 2 s: the broker's socket
# timeouts, one reconnect; the rest is margin for a busy machine): under the tightest sender
# deadline known (Shopify's 5 s).
FAST = 4.0


def _post(key, payload: dict) -> tuple[int, dict, float]:
    """POST a signed delivery in a thread of its own: a test never hangs on a hung broker."""
    body = json.dumps(payload).encode()
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in key.headers(body).items()}
    headers.pop("HTTP_CONTENT_TYPE")

    def post():
        started = time.monotonic()
        response = Client().post(
            "/webhooks/ghl/", data=body, content_type="application/json", **headers
        )
        return response.status_code, response.json(), time.monotonic() - started

    return in_thread(post, timeout=30)


def test_webhooks_are_answered_fast_and_queued_later_whatever_redis_does(
    celery_broker, webhook_key, caplog
):
    redis = celery_broker.client()

    # Redis up: stored, answered, its processing queued (no worker here to run it).
    status, body, seconds = _post(webhook_key, inbound_sms(1))
    assert (status, body["status"]) == (200, WebhookEvent.Status.RECEIVED)
    assert queued_tasks(redis, "ingest") == [(PROCESS, [body["event_id"]])]

    # Redis stopped: still stored and answered 200 at once; the task is not queued.
    celery_broker.stop()
    with caplog.at_level(logging.WARNING, logger="config.queueing"):
        status, body, seconds = _post(webhook_key, inbound_sms(2))
    assert (status, body["status"]) == (200, WebhookEvent.Status.RECEIVED)
    assert seconds < FAST, f"answered after {seconds:.1f} s with Redis stopped"
    assert "could not queue leads.tasks.process_webhook_event_task" in caplog.text

    # Redis hung (it accepts connections and answers nothing): the same, within the timeouts.
    celery_broker.start()
    celery_broker.freeze()
    try:
        status, body, seconds = _post(webhook_key, inbound_sms(3))
    finally:
        celery_broker.thaw()
    assert (status, body["status"]) == (200, WebhookEvent.Status.RECEIVED)
    assert seconds < FAST, f"answered after {seconds:.1f} s with Redis hung"

    # Redis back: the sweep queues every event stored and not processed; nothing is lost.
    swept = inbound.sweep_stuck_webhook_events(now=timezone.now() + timedelta(minutes=5))
    stored = set(WebhookEvent.objects.values_list("pk", flat=True))
    assert len(stored) == 3 and set(swept) == stored
    queued = {args[0] for name, args in queued_tasks(redis, "ingest") if name == PROCESS}
    assert queued == stored


def test_a_duplicate_delivery_while_redis_is_down_is_still_acknowledged_once(
    celery_broker, webhook_key
):
    celery_broker.stop()

    first = _post(webhook_key, inbound_sms(7))
    again = _post(webhook_key, inbound_sms(7))

    assert (first[0], first[1]["duplicate"]) == (200, False)
    assert (again[0], again[1]["duplicate"]) == (200, True)
    assert WebhookEvent.objects.count() == 1


# --- End to end: gunicorn and a Celery worker, Redis stopped and restarted mid-traffic ---------


def replies_by_lead() -> dict[str, int]:
    """How many bot replies each lead got (sent: the outbox took them, as HighLevel would)."""
    replies: dict[str, int] = {}
    for lead in Message.objects.filter(
        direction=Message.Direction.OUTBOUND, status=Message.Status.SENT
    ).values_list("conversation__contact__ghl_contact_id", flat=True):
        replies[lead] = replies.get(lead, 0) + 1
    return replies


def _post_http(url: str, key, payload: dict) -> tuple[int, float]:
    body = json.dumps(payload).encode()
    started = time.monotonic()
    response = httpx.post(
        f"{url}/webhooks/ghl/", content=body, headers=key.headers(body), timeout=30
    )
    return response.status_code, time.monotonic() - started


def test_redis_stopped_and_restarted_mid_traffic_loses_no_lead(redis_server, tmp_path):
    key = WebhookKey()
    app = app_processes(tmp_path, key=key, redis_url=redis_server.url(0))
    leads = [f"lead-{n}" for n in range(9)]
    token = api_token_secret(UserFactory(username="jorge", is_staff=True))
    try:
        url = app.serve()
        answers = []
        for n in range(9):
            if n == 3:
                redis_server.stop()  # the broker, the cache and the channel layer all go
            if n == 6:
                redis_server.start()  # same port, same files: the queue is back (AOF)
            answers.append(_post_http(url, key, inbound_sms(n)))
            if n == 4:
                # The API's throttles count in the cache: with Redis gone they let requests
                # through (the cache falls back) rather than failing them.
                api = httpx.get(
                    f"{url}/api/v1/contacts", headers={"Authorization": f"Bearer {token}"}
                )
                assert api.status_code == 200, api.text

        # Every delivery was stored and acknowledged at once, Redis or not.
        assert [status for status, _ in answers] == [200] * 9
        slowest = max(seconds for _, seconds in answers)
        assert slowest < FAST, f"a webhook waited {slowest:.1f} s"
        assert WebhookEvent.objects.count() == 9

        # Beat's next round (every periodic task once) queues what Redis never took.
        time.sleep(1.5)  # older than the sweep's threshold (1 s in tests/faults/settings.py)
        app.manage("run_scheduler", "--once")

        # Every lead is answered, none twice.
        wait_until(
            lambda: set(replies_by_lead()) == set(leads),
            timeout=60,
            message=f"unanswered: {sorted(set(leads) - set(replies_by_lead()))}\n"
            + app.log("worker")[-3000:],
        )
        time.sleep(2)  # a late duplicate would show now
        assert replies_by_lead() == dict.fromkeys(leads, 1)
        assert set(WebhookEvent.objects.values_list("status", flat=True)) == {
            WebhookEvent.Status.PROCESSED
        }
    finally:
        app.stop_all()
