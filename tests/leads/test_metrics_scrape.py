"""What Prometheus scrapes from /metrics after a lead's conversation through the real webhook:
every series docs/monitoring.md names, and the figures the conversation moved."""

import json
from datetime import UTC, datetime

import pytest
import time_machine

from analytics.selectors import overview_kpis
from leads.intelligence import claude
from leads.tasks import send_message_task
from tests.config.test_metrics import names, scrape, value
from tests.leads.claude_fake import analysis_answer, reply_answer

MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 10:00 in California

# Every series the issue names, by the name it has in /metrics (docs/monitoring.md).
BUSINESS_SERIES = {
    "jorge_webhooks_received_total": "webhooks by type and outcome",
    "jorge_webhook_events_processed_total": "webhook processing by type and status",
    "jorge_messages_total": "messages by direction, channel and engine",
    "jorge_bot_reply_seconds": "reply latency histogram",
    "jorge_first_response_seconds": "first-response time histogram",
    "jorge_five_minute_rule_misses_total": "5-minute-rule misses",
    "jorge_ai_tokens_total": "AI tokens by model and task",
    "jorge_ai_cost_usd_total": "AI cost by model and task",
    "jorge_ai_request_seconds": "AI latency by model and task",
    "jorge_ai_fallbacks_total": "AI fallbacks by reason",
    "jorge_highlevel_requests_total": "HighLevel calls by operation and status",
    "jorge_highlevel_request_seconds": "HighLevel latency by operation",
    "jorge_highlevel_rate_limit_wait_seconds": "rate-limiter waits",
    "jorge_cache_requests_total": "cache hits and misses per tier",
    "jorge_celery_queue_length": "Celery queue depth",
    "jorge_celery_task_failures_total": "Celery task failures",
    "jorge_open_tickets": "open tickets by type and SLA state",
}
DJANGO_SERIES = (
    "django_http_requests_total_by_method_total",
    "django_http_responses_total_by_status_view_method_total",
    "django_db_execute_total",
    "django_db_query_duration_seconds",
    "django_cache_get_total",
)


@pytest.fixture
def open_metrics(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # the test client's address


def sms(n: int, text: str) -> dict:
    return {
        "type": "InboundMessage",
        "locationId": "loc-1",
        "contactId": "lead-obs",
        "conversationId": "conv-obs",
        "messageId": f"obs-sms-{n}",
        "webhookId": f"obs-wh-{n}",
        "body": text,
        "direction": "inbound",
        "messageType": "SMS",
        "dateAdded": MORNING.isoformat().replace("+00:00", "Z"),
    }


def claude_answers(request):
    """Claude reads every message (a buyer in no hurry: the bot asks, and Claude words it);
    its wording fails validation (too short to carry the disclosure), so the offline
    engine's text is sent: a fallback."""
    tool = json.loads(request.content)["tool_choice"]["name"]
    if tool == claude.ANALYSIS_TOOL_NAME:
        return analysis_answer(pre_approved=False, timeline="6_12_months", reasons=["browsing"])
    return reply_answer("ok")


@time_machine.travel(MORNING, tick=False)
@pytest.mark.django_db(transaction=True)
def test_a_scrape_after_a_conversation_finds_every_series(ghl, fake_claude, open_metrics):
    before = scrape()
    fake_claude.answer(claude_answers)

    assert ghl.post(sms(1, "Hi, I want to buy a house in Riverside")).status_code == 200
    ghl.post(sms(2, "my SSN is 123-45-6789 if you need it"))  # a compliance ticket
    ghl.post(sms(3, "Can I talk to Jorge please?"))  # an escalation ticket
    ghl.post(sms(3, "Can I talk to Jorge please?"))  # HighLevel redelivers: a duplicate
    overview_kpis(), overview_kpis()  # Jorge's dashboard: a miss, then a hit
    send_message_task.apply(args=["not-a-message-id"])  # a task that fails

    after = scrape()
    missing = {name: what for name, what in BUSINESS_SERIES.items() if name not in names(after)}
    missing |= {name: "django-prometheus" for name in DJANGO_SERIES if name not in names(after)}
    assert not missing

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("jorge_webhooks_received_total", event_type="InboundMessage", outcome="accepted")
    assert grew("jorge_webhooks_received_total", event_type="InboundMessage", outcome="duplicate")
    assert grew("jorge_messages_total", direction="inbound", channel="sms", engine="none") == 3
    assert grew("jorge_messages_total", direction="outbound", channel="sms", engine="offline")
    assert grew("jorge_first_response_seconds_count", channel="sms") == 1
    assert grew(
        "jorge_ai_tokens_total", model="claude-haiku-4-5-20251001", task="analysis", kind="input"
    )
    assert grew("jorge_ai_cost_usd_total", model="claude-sonnet-4-6", task="reply") > 0
    assert grew("jorge_ai_request_seconds_count", model="claude-sonnet-4-6", task="reply")
    assert grew("jorge_ai_fallbacks_total", task="reply", reason="invalid_reply")
    assert grew("jorge_highlevel_requests_total", operation="send_message", status="200")
    assert grew("jorge_cache_requests_total", tier="live", result="hit")
    assert grew("jorge_celery_task_failures_total", task="leads.tasks.send_message_task") == 1
    assert value(after, "jorge_celery_queue_length", queue="turns") == 0  # tasks run in-process
    assert value(after, "jorge_open_tickets", kind="compliance", type="privacy", sla="ok") == 1
    escalations = [
        labels for (name, labels), v in after.items() if name == "jorge_open_tickets" and v
    ]
    assert (("kind", "escalation"), ("sla", "ok"), ("type", "asked_for_person")) in escalations
