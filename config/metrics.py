"""The Prometheus series of the app, and what ``/metrics`` shows (docs/monitoring.md).

Counters and histograms are recorded where things happen: the PerformanceTracker's record
calls feed the series of what it already measures (``config/performance.py``, one call for
both), and the few call sites of what it does not (messages, first responses, the
five-minute rule, rate-limiter waits, Celery tasks) call the series here directly. Gauges of
state (open tickets, Celery queue lengths) are read when ``/metrics`` is scraped.

Several processes: with ``PROMETHEUS_MULTIPROC_DIR`` set, every process (gunicorn workers,
daphne, Celery workers and their children) writes its samples to files in that directory,
and a scrape of any web process adds them all up (prometheus_client's multiprocess mode).
The files are named by host name and pid, so containers sharing one directory (a volume in
docker-compose.yml) never write to each other's files. Unset (the embedded default, the
tests), the series live in this process's memory.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Iterator, Mapping

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)


def _use_host_and_pid_files() -> None:
    # Containers each number their processes from 1: the host name keeps their files apart.
    # Must run before any series exists (config/__init__.py imports this module first).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        host = socket.gethostname().replace("_", "-")
        values.ValueClass = values.MultiProcessValue(lambda: f"{host}-{os.getpid()}")


_use_host_and_pid_files()

# Seconds a lead may wait: from a second to an hour, with the 60 s and 300 s that alert.
WAIT_BUCKETS = (0.5, 1, 2, 5, 10, 15, 30, 45, 60, 90, 120, 180, 300, 600, 1800, 3600)
# Seconds an outside call takes.
CALL_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60)
RATE_LIMIT_BUCKETS = (0.001, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30)


def _label(value: object, *, empty: str = "none") -> str:
    # Label values come from our own code or HighLevel's signed payloads; capped all the same.
    return str(value)[:64] if value not in (None, "") else empty


# --- Webhooks --------------------------------------------------------------------------------

WEBHOOKS_RECEIVED = Counter(
    "jorge_webhooks_received",
    "HighLevel webhook deliveries by event type and what the endpoint did with them "
    "(accepted, not_handled, other_location, duplicate, unprocessable, rejected, rate_limited, "
    "invalid, unavailable).",
    ["event_type", "outcome"],
)
WEBHOOK_EVENTS_PROCESSED = Counter(
    "jorge_webhook_events_processed",
    "Stored webhook events by event type and how processing ended (processed, ignored, "
    "failed = will retry, dead = gave up).",
    ["event_type", "status"],
)

# --- Conversations ---------------------------------------------------------------------------

MESSAGES = Counter(
    "jorge_messages",
    "Messages recorded (inbound) or sent (outbound), by channel and by the engine that wrote "
    "them (claude, offline, rules, human; none for inbound).",
    ["direction", "channel", "engine"],
)
BOT_REPLY_SECONDS = Histogram(
    "jorge_bot_reply_seconds",
    "Seconds from a lead's message recorded to the bot's reply handed to HighLevel, by bot.",
    ["bot"],
    buckets=WAIT_BUCKETS,
)
FIRST_RESPONSE_SECONDS = Histogram(
    "jorge_first_response_seconds",
    "Speed to lead: seconds from a conversation's first inbound message to our first reply.",
    ["channel"],
    buckets=WAIT_BUCKETS,
)
FIVE_MINUTE_RULE_MISSES = Counter(
    "jorge_five_minute_rule_misses",
    "Messages left unanswered past the speed-to-lead limit (each escalated to a person once).",
)

# --- AI --------------------------------------------------------------------------------------

AI_TOKENS = Counter(
    "jorge_ai_tokens", "Claude tokens by model, task and kind.", ["model", "task", "kind"]
)
AI_COST_USD = Counter(
    "jorge_ai_cost_usd", "Estimated Claude spend in USD by model and task.", ["model", "task"]
)
AI_CACHE_SAVED_USD = Counter(
    "jorge_ai_cache_saved_usd",
    "USD that prompt-cache reads saved, by model and task.",
    ["model", "task"],
)
AI_REQUEST_SECONDS = Histogram(
    "jorge_ai_request_seconds",
    "Seconds of one Claude request, by model and task.",
    ["model", "task"],
    buckets=CALL_BUCKETS,
)
AI_FALLBACKS = Counter(
    "jorge_ai_fallbacks",
    "Replies the offline engine wrote instead of Claude, by task and reason (no_api_key, "
    "timeout, connection_error, api_error, invalid_reply…).",
    ["task", "reason"],
)

# --- HighLevel -------------------------------------------------------------------------------

HIGHLEVEL_REQUESTS = Counter(
    "jorge_highlevel_requests",
    "HighLevel API requests by operation and HTTP status (transport_error: no answer).",
    ["operation", "status"],
)
HIGHLEVEL_REQUEST_SECONDS = Histogram(
    "jorge_highlevel_request_seconds",
    "Seconds of one HighLevel API request, by operation.",
    ["operation"],
    buckets=CALL_BUCKETS,
)
HIGHLEVEL_RATE_LIMIT_WAIT_SECONDS = Histogram(
    "jorge_highlevel_rate_limit_wait_seconds",
    "Seconds a HighLevel request waited for our rate limiter before it started.",
    buckets=RATE_LIMIT_BUCKETS,
)
HIGHLEVEL_RATE_LIMIT_REFUSALS = Counter(
    "jorge_highlevel_rate_limit_refusals",
    "HighLevel requests our rate limiter refused (max_wait: would wait too long; "
    "daily_budget: the day's budget is used up).",
    ["reason"],
)

# --- Cache, Celery ---------------------------------------------------------------------------

CACHE_REQUESTS = Counter(
    "jorge_cache_requests",
    "Reads of the dashboard's cache tiers (analytics/cache.py) by tier and result (hit, miss).",
    ["tier", "result"],
)
CELERY_TASKS = Counter(
    "jorge_celery_tasks",
    "Celery tasks that finished, by task and state (SUCCESS, FAILURE, RETRY…).",
    ["task", "state"],
)
CELERY_TASK_FAILURES = Counter(
    "jorge_celery_task_failures",
    "Celery tasks that raised (their retries count once each), by task.",
    ["task"],
)
CELERY_PUBLISH_FAILURES = Counter(
    "jorge_celery_publish_failures",
    "Tasks that could not be queued because the broker was down or did not answer, by task "
    "(config/queueing.py; their sweep queues them later).",
    ["task"],
)


# --- What the PerformanceTracker feeds (config/performance.py calls these) ----------------------


def record_ai_latency(model: str, ms: float, labels: Mapping[str, str]) -> None:
    AI_REQUEST_SECONDS.labels(_label(model), _label(labels.get("task"))).observe(ms / 1000)


def _ai_tokens(kind: str):
    def record(task: str, amount: float, labels: Mapping[str, str]) -> None:
        AI_TOKENS.labels(_label(labels.get("model")), _label(task), kind).inc(amount)

    return record


def record_ai_cost(task: str, usd: float, labels: Mapping[str, str]) -> None:
    AI_COST_USD.labels(_label(labels.get("model")), _label(task)).inc(usd)


def record_ai_cache_saving(task: str, usd: float, labels: Mapping[str, str]) -> None:
    AI_CACHE_SAVED_USD.labels(_label(labels.get("model")), _label(task)).inc(usd)


def record_ai_fallback(reason: str, n: float, labels: Mapping[str, str]) -> None:
    AI_FALLBACKS.labels(labels.get("task", "reply"), _label(reason)).inc(n)


def record_highlevel_request(operation: str, ms: float, labels: Mapping[str, str]) -> None:
    operation = _label(operation)
    HIGHLEVEL_REQUEST_SECONDS.labels(operation).observe(ms / 1000)
    HIGHLEVEL_REQUESTS.labels(operation, _label(labels.get("status"), empty="unknown")).inc()


def _cache_result(result: str):
    def record(tier: str, n: float, labels: Mapping[str, str]) -> None:
        CACHE_REQUESTS.labels(_label(tier), result).inc(n)

    return record


def record_bot_reply(bot: str, ms: float, labels: Mapping[str, str]) -> None:
    BOT_REPLY_SECONDS.labels(_label(bot)).observe(ms / 1000)


def record_webhook_received(outcome: str, n: float, labels: Mapping[str, str]) -> None:
    WEBHOOKS_RECEIVED.labels(_label(labels.get("event_type"), empty="unknown"), outcome).inc(n)


def record_webhook_processed(status: str, n: float, labels: Mapping[str, str]) -> None:
    event_type = _label(labels.get("event_type"), empty="unknown")
    WEBHOOK_EVENTS_PROCESSED.labels(event_type, _label(status)).inc(n)


record_ai_input_tokens = _ai_tokens("input")
record_ai_output_tokens = _ai_tokens("output")
record_ai_cache_read_tokens = _ai_tokens("cache_read")
record_cache_hit = _cache_result("hit")
record_cache_miss = _cache_result("miss")


# --- Recorded directly ---------------------------------------------------------------------


def record_message(*, direction: str, channel: str, engine: str = "") -> None:
    """One message recorded (inbound) or sent (outbound)."""
    MESSAGES.labels(direction, _label(channel), _label(engine)).inc()


def record_first_response(*, channel: str, seconds: float) -> None:
    FIRST_RESPONSE_SECONDS.labels(_label(channel)).observe(max(seconds, 0.0))


def record_five_minute_rule_miss() -> None:
    FIVE_MINUTE_RULE_MISSES.inc()


def record_rate_limit_wait(seconds: float) -> None:
    HIGHLEVEL_RATE_LIMIT_WAIT_SECONDS.observe(seconds)


def record_rate_limit_refusal(reason: str) -> None:
    HIGHLEVEL_RATE_LIMIT_REFUSALS.labels(reason).inc()


def record_publish_failure(task: str) -> None:
    CELERY_PUBLISH_FAILURES.labels(_label(task)).inc()


def _task_finished(task=None, state=None, **kwargs) -> None:
    CELERY_TASKS.labels(_label(getattr(task, "name", "")), _label(state)).inc()


def _task_failed(sender=None, **kwargs) -> None:
    CELERY_TASK_FAILURES.labels(_label(getattr(sender, "name", ""))).inc()


def connect_celery_signals() -> None:
    """Count every Celery task that finishes, and every one that raises."""
    from celery.signals import task_failure, task_postrun

    task_postrun.connect(_task_finished, weak=False, dispatch_uid="metrics-task-finished")
    task_failure.connect(_task_failed, weak=False, dispatch_uid="metrics-task-failed")


# --- Read at scrape time -------------------------------------------------------------------


class CeleryQueueCollector:
    """``jorge_celery_queue_length{queue}``: tasks waiting in each Celery queue.

    With a Redis broker, the LLEN of each queue's lists (kombu keeps one list per priority
    step); with tasks run in-process (the embedded default) nothing ever waits: 0.
    """

    PRIORITY_SEPARATOR = "\x06\x16"
    PRIORITY_STEPS = (3, 6, 9)  # and 0, the queue's own name

    def __init__(self):
        self._client = None

    def queues(self) -> list[str]:
        from django.conf import settings

        routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
        return sorted(routed | {settings.CELERY_TASK_DEFAULT_QUEUE})

    def _redis(self):
        from django.conf import settings

        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(
                settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
            )
        return self._client

    def lengths(self) -> dict[str, int] | None:
        from django.conf import settings

        if settings.CELERY_TASK_ALWAYS_EAGER:
            return dict.fromkeys(self.queues(), 0)
        if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
            return None
        client = self._redis()
        pipe = client.pipeline(transaction=False)
        for queue in self.queues():
            pipe.llen(queue)
            for step in self.PRIORITY_STEPS:
                pipe.llen(f"{queue}{self.PRIORITY_SEPARATOR}{step}")
        counts = pipe.execute()
        per_queue = len(self.PRIORITY_STEPS) + 1
        return {
            queue: sum(counts[i * per_queue : (i + 1) * per_queue])
            for i, queue in enumerate(self.queues())
        }

    def collect(self) -> Iterator[Metric]:
        try:
            lengths = self.lengths()
        except Exception as exc:  # the broker is down: /readyz says so; the scrape goes on
            logger.warning("metrics: Celery queue lengths unavailable: %s", exc)
            return
        if lengths is None:
            return
        family = GaugeMetricFamily(
            "jorge_celery_queue_length", "Tasks waiting in each Celery queue.", labels=["queue"]
        )
        for queue, length in lengths.items():
            family.add_metric([queue], length)
        yield family


class OpenTicketsCollector:
    """``jorge_open_tickets{kind,type,sla}``: unresolved tickets by SLA state (two queries)."""

    def collect(self) -> Iterator[Metric]:
        from django.db import DatabaseError

        from analytics.selectors import open_tickets_by_sla

        try:
            rows = open_tickets_by_sla()
        except DatabaseError as exc:  # the database is down: every other series still counts
            logger.warning("metrics: open tickets unavailable: %s", exc)
            return
        family = GaugeMetricFamily(
            "jorge_open_tickets",
            "Unresolved tickets by kind (escalation, compliance), type (reason or rule) and "
            "SLA state (ok, due_soon = within the hour, overdue).",
            labels=["kind", "type", "sla"],
        )
        for row in rows:
            family.add_metric([row.kind, row.type, row.sla], row.count)
        yield family


SCRAPE_COLLECTORS = [CeleryQueueCollector(), OpenTicketsCollector()]


class _Scrape:
    def __init__(self, sources: Iterable):
        self.sources = list(sources)

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


def exposition() -> bytes:
    """Every series in Prometheus's text format: all processes' samples, then the gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        recorded = CollectorRegistry()
        multiprocess.MultiProcessCollector(recorded)
    else:
        recorded = REGISTRY
    return generate_latest(_Scrape([recorded, *SCRAPE_COLLECTORS]))  # type: ignore[arg-type]
