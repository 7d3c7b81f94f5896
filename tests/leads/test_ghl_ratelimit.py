"""The shared HighLevel rate limiter.

Every test runs against the store the settings select: Redis (its own connection
from ``settings.REDIS_URL``) in the Redis CI pass, process memory on the embedded
default. Time is a fake clock, or a clock running 20x fast across processes.
"""

import multiprocessing
import threading
import time
import uuid

import pytest
import redis
from django.conf import settings

from leads.ghl.exceptions import GHLRateLimited
from leads.ghl.ratelimit import (
    Limits,
    MemoryBucketStore,
    RateLimiter,
    RedisBucketStore,
    get_rate_limiter,
)

LIMITS = Limits(limit=90, window=10, burst=10, per_day=190_000, max_wait=30)


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FastClock:
    """Wall time sped up: consistent across processes, so a 30 s run takes 1.5 s."""

    def __init__(self, speed: float):
        self.speed = speed

    def time(self) -> float:
        return time.time() * self.speed

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.speed)


def make_store(redis_url: str):
    return RedisBucketStore(redis.Redis.from_url(redis_url)) if redis_url else MemoryBucketStore()


@pytest.fixture
def store():
    return make_store(settings.REDIS_URL)


@pytest.fixture
def location():
    return f"test-{uuid.uuid4().hex}"


def limiter_for(store, location, clock, limits=LIMITS) -> RateLimiter:
    return RateLimiter(
        store=store, location_id=location, limits=limits, clock=clock.time, sleep=clock.sleep
    )


def busiest_window(times: list[float], window: float = 10.0) -> int:
    """Most requests starting in any rolling ``window`` (half-open)."""
    times = sorted(times)
    best, left = 0, 0
    for right, t in enumerate(times):
        while times[left] <= t - window:
            left += 1
        best = max(best, right - left + 1)
    return best


def test_a_burst_goes_at_once_then_requests_are_paced_at_the_refill_rate(store, location):
    clock = FakeClock()
    limiter = limiter_for(store, location, clock)

    waits = [limiter.acquire().waited for _ in range(14)]

    assert waits[:10] == [0.0] * 10
    # (90 - 10 burst) / 10 s = 8 tokens a second.
    assert waits[10:] == [pytest.approx(0.125)] * 4


def test_no_rolling_ten_seconds_ever_holds_more_than_the_limit(store, location):
    clock = FakeClock()
    limiter = limiter_for(store, location, clock)

    starts = []
    while clock.now < 1_800_000_000.0 + 60:
        starts.append(limiter.acquire().at)

    # burst + rate x window = 10 + 8 x 10; a half-open window sees one fewer.
    assert 89 <= busiest_window(starts) <= 90
    assert len(starts) == pytest.approx(10 + 8 * 60, abs=2)


def test_a_caller_that_would_wait_too_long_is_refused_without_spending_a_token(store, location):
    clock = FakeClock()
    limiter = limiter_for(store, location, clock, Limits(limit=90, burst=10, max_wait=1.0))
    for _ in range(10):
        limiter.acquire()
    # Reserve ahead without sleeping, as ten concurrent callers would.
    queued = [
        store.reserve(key=limiter._key, day_key="d", now=clock.now, limits=limiter.limits)
        for _ in range(8)
    ]
    assert [granted for granted, _ in queued] == [True] * 8

    with pytest.raises(GHLRateLimited) as caught:
        limiter.acquire()

    assert caught.value.retry_after == pytest.approx(9 / 8)
    clock.now += 0.125  # one token's worth later, the refused call is first in line
    assert limiter.acquire().waited == pytest.approx(1.0)


def test_remaining_header_drains_the_bucket_every_process_shares(store, location):
    clock = FakeClock()
    web, worker = limiter_for(store, location, clock), limiter_for(store, location, clock)

    web.observe(status_code=200, headers={"x-ratelimit-remaining": "2"})
    worker.acquire()  # tokens 10 → clamped to 1 → spent

    assert worker.acquire().waited == pytest.approx(0.125)


def test_a_lower_limit_announced_by_highlevel_slows_everyone_down(store, location):
    clock = FakeClock()
    limiter = limiter_for(store, location, clock)

    limiter.observe(
        status_code=200,
        headers={"x-ratelimit-max": "20", "x-ratelimit-interval-milliseconds": "10000"},
    )
    waits = [limiter_for(store, location, clock).acquire().waited for _ in range(11)]

    # 20 x 90 % = 18 per 10 s: burst 9, then (18 - 9) / 10 s = 0.9 a second.
    assert waits[:9] == [0.0] * 9
    assert waits[9:] == [pytest.approx(1 / 0.9)] * 2


def test_a_429_with_retry_after_pauses_every_limiter_on_the_location(store, location):
    clock = FakeClock()
    web, worker = limiter_for(store, location, clock), limiter_for(store, location, clock)

    web.observe(status_code=429, headers={}, retry_after=5.0)

    assert worker.acquire().waited == pytest.approx(5.0)


def test_the_daily_budget_refuses_once_spent(store, location):
    clock = FakeClock()
    limiter = limiter_for(store, location, clock, Limits(limit=90, burst=10, per_day=3))
    for _ in range(3):
        limiter.acquire()

    with pytest.raises(GHLRateLimited, match="Daily budget"):
        limiter.acquire()


def test_settings_pick_redis_when_configured_and_memory_otherwise():
    limiter = get_rate_limiter(location_id="loc-x")

    expected = RedisBucketStore if settings.REDIS_URL else MemoryBucketStore
    assert isinstance(limiter.store, expected)
    assert limiter.limits.limit == settings.GHL_RATE_LIMIT_PER_10S


SPEED = 20.0
RUN_SECONDS = 30.0


def hammer(redis_url, location, barrier, results, store=None):
    """One worker sending as fast as the limiter lets it for RUN_SECONDS (fast clock)."""
    clock = FastClock(SPEED)
    limiter = limiter_for(store or make_store(redis_url), location, clock)
    barrier.wait(timeout=60)
    end = clock.time() + RUN_SECONDS
    starts = []
    while (grant := limiter.acquire()).at <= end:
        starts.append(grant.at)
    results.put(starts)


def test_two_workers_together_never_exceed_the_limit(location):
    """Two OS processes against real Redis (threads sharing memory on the embedded default)."""
    if settings.REDIS_URL:
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(2), context.Queue()
        workers = [
            context.Process(target=hammer, args=(settings.REDIS_URL, location, barrier, results))
            for _ in range(2)
        ]
    else:
        import queue

        shared = MemoryBucketStore()
        barrier, results = threading.Barrier(2), queue.Queue()
        workers = [
            threading.Thread(target=hammer, args=("", location, barrier, results, shared))
            for _ in range(2)
        ]
    for worker in workers:
        worker.start()
    per_worker = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    everything = [t for starts in per_worker for t in starts]
    assert busiest_window(everything) <= 90  # HighLevel's limit is 100
    assert busiest_window(everything) >= 85  # and the budget is actually used
    assert len(everything) == pytest.approx(10 + 8 * RUN_SECONDS, abs=10)
    assert all(len(starts) > 0.2 * len(everything) for starts in per_worker)
