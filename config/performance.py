"""The PerformanceTracker: how long the app's calls take and what they count, per hour.

Every process keeps its samples in memory (a dict under a lock, no I/O on the request path)
as hourly aggregates: a count, a sum and, for latencies, a log-scale histogram. A daemon
thread of each process hands them every ``PERFORMANCE_FLUSH_SECONDS`` to the sink that
``analytics`` registers (it merges them into ``analytics.PerformanceBucket``), and once more
when the process exits. A forked child (a Celery prefork worker) starts empty with its own
thread. ``PERFORMANCE_FLUSH_SECONDS = 0`` (the tests) starts no thread: callers flush.

Why memory rather than Redis hashes drained by a beat task: the embedded default has neither
Redis nor beat, and one mechanism for both setups is one thing to trust. The price is that a
process killed without exiting loses at most one interval of samples.

Histogram: bin ``i`` holds values in [RATIO**i, RATIO**(i+1)) ms and reads back as its
geometric middle, so a percentile is within ``RATIO**0.5 - 1`` (4.9 %) of the true sample's
value; values under ``FLOOR_MS`` share the lowest bin.

The record calls also feed the matching Prometheus series (``PROMETHEUS`` below,
``config/metrics.py``), so each concept is recorded in one place for both.

Lives in ``config`` because every app records into it (``leads`` imports no other app).
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection

from config import metrics

logger = logging.getLogger(__name__)

RATIO = 1.1
FLOOR_MS = 0.01
_LOG_RATIO = math.log(RATIO)
HOUR_SECONDS = 3600

# The metrics, one name each (labels in brackets).
AI_LATENCY = "ai.latency"  # ms of one Claude call [model]
AI_INPUT_TOKENS = "ai.input_tokens"  # [analysis | reply]
AI_OUTPUT_TOKENS = "ai.output_tokens"
AI_CACHE_READ_TOKENS = "ai.cache_read_tokens"
AI_COST_USD = "ai.cost_usd"  # count = calls, total = USD [analysis | reply]
AI_CACHE_SAVED_USD = "ai.cache_saved_usd"  # what the cache-read tokens would have cost more
AI_OFFLINE_REPLY = "ai.offline_reply"  # replies the offline engine gave [reason]
GHL_LATENCY = "ghl.latency"  # ms of one HighLevel request [operation]
CACHE_LATENCY = "cache.latency"  # ms of one cache read [tier]
CACHE_HIT = "cache.hit"  # [tier]
CACHE_MISS = "cache.miss"  # [tier]
DB_LATENCY = "db.latency"  # ms of one SQL statement [select | insert | update | delete | other]
BOT_REPLY_TIME = "bot.reply_time"  # ms from the lead's message recorded to the reply sent [bot]
WEBHOOK_RECEIVED = "webhook.received"  # deliveries by what the endpoint did [outcome]
WEBHOOK_PROCESSED = "webhook.processed"  # stored events by how processing ended [status]

# The Prometheus series each metric also feeds (config/metrics.py): one record call, both
# stores. A record call's ``labels`` (a dict) carry the series' other dimensions, which the
# hourly aggregates do not keep: the model of an AI task, the event type of a webhook, the
# HTTP status of a HighLevel request. DB_LATENCY and CACHE_LATENCY feed none: django-prometheus
# times every statement, and a tier read is counted as a hit or a miss.
PROMETHEUS = {
    AI_LATENCY: metrics.record_ai_latency,  # labels: task
    AI_INPUT_TOKENS: metrics.record_ai_input_tokens,  # labels: model
    AI_OUTPUT_TOKENS: metrics.record_ai_output_tokens,
    AI_CACHE_READ_TOKENS: metrics.record_ai_cache_read_tokens,
    AI_COST_USD: metrics.record_ai_cost,
    AI_CACHE_SAVED_USD: metrics.record_ai_cache_saving,
    AI_OFFLINE_REPLY: metrics.record_ai_fallback,  # labels: task (default reply)
    GHL_LATENCY: metrics.record_highlevel_request,  # labels: status
    CACHE_HIT: metrics.record_cache_hit,
    CACHE_MISS: metrics.record_cache_miss,
    BOT_REPLY_TIME: metrics.record_bot_reply,
    WEBHOOK_RECEIVED: metrics.record_webhook_received,  # labels: event_type
    WEBHOOK_PROCESSED: metrics.record_webhook_processed,  # labels: event_type
}
_NO_LABELS: dict[str, str] = {}


def bin_of(ms: float) -> int:
    """The histogram bin of a value in milliseconds."""
    return math.floor(math.log(max(ms, FLOOR_MS)) / _LOG_RATIO)


def bin_value(index: int) -> float:
    """What a bin reads back as: its geometric middle."""
    return RATIO ** (index + 0.5)


def percentile(histogram: dict[int, int], fraction: float) -> float | None:
    """Nearest-rank percentile of a histogram (None when it is empty)."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(fraction * total))
    running = 0
    for index in sorted(histogram):
        running += histogram[index]
        if running >= rank:
            return bin_value(index)
    return None  # unreachable: running ends at total


@dataclass
class Aggregate:
    """One metric and label over one hour: how many, their sum, their histogram (latencies)."""

    count: int = 0
    total: float = 0.0
    histogram: dict[int, int] = field(default_factory=dict)

    def merge(self, other: Aggregate) -> None:
        self.count += other.count
        self.total += other.total
        for index, n in other.histogram.items():
            self.histogram[index] = self.histogram.get(index, 0) + n


Key = tuple[str, str, int]  # metric, label, hour (hours since the epoch, UTC)
Sink = Callable[[dict[Key, Aggregate]], object]


class PerformanceTracker:
    """Thread-safe hourly aggregates of the samples this process recorded and not yet flushed."""

    def __init__(self, *, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.sink: Sink | None = None
        self._lock = threading.Lock()
        self._pending: dict[Key, Aggregate] = {}
        self._flusher: threading.Thread | None = None

    # --- Recording (memory only) ------------------------------------------------------------

    def _aggregate(self, metric: str, label: str) -> Aggregate:
        key = (metric, label[:100], int(self.clock() // HOUR_SECONDS))
        found = self._pending.get(key)
        if found is None:
            found = self._pending[key] = Aggregate()
        return found

    def observe(
        self, metric: str, ms: float, label: str = "", *, labels: dict[str, str] | None = None
    ) -> None:
        """A latency sample in milliseconds."""
        index = bin_of(ms)
        with self._lock:
            aggregate = self._aggregate(metric, label)
            aggregate.count += 1
            aggregate.total += ms
            aggregate.histogram[index] = aggregate.histogram.get(index, 0) + 1
        self._export(metric, label, ms, labels)
        self._start_flusher()

    def count(
        self, metric: str, label: str = "", n: int = 1, *, labels: dict[str, str] | None = None
    ) -> None:
        """``n`` more of something (a cache hit, a webhook outcome)."""
        with self._lock:
            aggregate = self._aggregate(metric, label)
            aggregate.count += n
            aggregate.total += n
        self._export(metric, label, n, labels)
        self._start_flusher()

    def add(
        self, metric: str, amount: float, label: str = "", *, labels: dict[str, str] | None = None
    ) -> None:
        """One more event carrying ``amount`` (tokens, dollars): count + 1, sum + amount."""
        with self._lock:
            aggregate = self._aggregate(metric, label)
            aggregate.count += 1
            aggregate.total += amount
        self._export(metric, label, amount, labels)
        self._start_flusher()

    @staticmethod
    def _export(metric: str, label: str, value: float, labels: dict[str, str] | None) -> None:
        record = PROMETHEUS.get(metric)
        if record is not None:
            record(label, value, labels or _NO_LABELS)

    # --- Reading and flushing ---------------------------------------------------------------

    def pending(self) -> dict[Key, Aggregate]:
        """A copy of what this process holds and has not flushed yet."""
        with self._lock:
            return {
                key: Aggregate(a.count, a.total, dict(a.histogram))
                for key, a in self._pending.items()
            }

    def drain(self) -> dict[Key, Aggregate]:
        """Take everything pending (the caller writes it or gives it back)."""
        with self._lock:
            drained, self._pending = self._pending, {}
        return drained

    def give_back(self, drained: dict[Key, Aggregate]) -> None:
        with self._lock:
            for key, aggregate in drained.items():
                self._pending.setdefault(key, Aggregate()).merge(aggregate)

    def flush(self) -> int:
        """Hand what is pending to the sink; kept for the next flush if the sink fails."""
        if self.sink is None:
            return 0
        drained = self.drain()
        if not drained:
            return 0
        try:
            self.sink(drained)
        except DatabaseError as exc:  # away, or not migrated yet: keep them, try again later
            logger.warning("flushing %s performance aggregates failed: %s", len(drained), exc)
            self.give_back(drained)
            return 0
        except Exception:
            logger.exception("flushing %s performance aggregates failed", len(drained))
            self.give_back(drained)
            return 0
        return len(drained)

    def reset(self) -> None:
        with self._lock:
            self._pending = {}

    # --- The background flusher -------------------------------------------------------------

    def _start_flusher(self) -> None:
        if self._flusher is not None or self.sink is None:
            return
        interval = getattr(settings, "PERFORMANCE_FLUSH_SECONDS", 0)
        if interval <= 0:
            return
        with self._lock:
            if self._flusher is not None:
                return
            self._flusher = threading.Thread(
                target=self._flush_every, args=(interval,), name="performance-flush", daemon=True
            )
        self._flusher.start()

    def _flush_every(self, interval: float) -> None:
        from django.db import connections

        while True:
            time.sleep(interval)
            self.flush()
            connections.close_all()  # this thread's own connections; the next flush reopens

    def _after_fork(self) -> None:
        # The child inherited the parent's pending samples (the parent flushes them) and a
        # flusher thread that does not exist in it.
        self._lock = threading.Lock()
        self._pending = {}
        self._flusher = None


tracker = PerformanceTracker()
os.register_at_fork(after_in_child=tracker._after_fork)


def _flush_at_exit() -> None:
    if getattr(settings, "PERFORMANCE_FLUSH_SECONDS", 0) > 0:
        tracker.flush()


atexit.register(_flush_at_exit)


# --- Database time: every SQL statement of a request or a task --------------------------------

_VERBS = {"select", "insert", "update", "delete"}


def _time_query(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        verb = sql.lstrip()[:6].lower() if isinstance(sql, str) else ""
        tracker.observe(
            DB_LATENCY, (time.perf_counter() - started) * 1000, verb if verb in _VERBS else "other"
        )


@contextmanager
def timing_queries() -> Iterator[None]:
    """Time the default connection's statements here (once, however deeply nested)."""
    if _time_query in connection.execute_wrappers:
        yield
        return
    with connection.execute_wrapper(_time_query):
        yield


class PerformanceMiddleware:
    """Times every SQL statement a request runs (first in MIDDLEWARE: sessions and auth too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with timing_queries():
            return self.get_response(request)


_task_timers: dict[str, object] = {}


def _task_started(task_id=None, **kwargs) -> None:
    timer = timing_queries()
    timer.__enter__()
    _task_timers[task_id] = timer


def _task_finished(task_id=None, **kwargs) -> None:
    timer = _task_timers.pop(task_id, None)
    if timer is not None:
        timer.__exit__(None, None, None)


def connect_celery_signals() -> None:
    """Time the statements of every Celery task (an eager one inside a request counts once)."""
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="performance-task-started")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="performance-task-finished")


@contextmanager
def timed(metric: str, label: str = "", *, labels: dict[str, str] | None = None) -> Iterator[None]:
    """Observe how long the block takes, whether it returns or raises."""
    started = time.perf_counter()
    try:
        yield
    finally:
        tracker.observe(metric, (time.perf_counter() - started) * 1000, label, labels=labels)
