"""A token bucket that keeps every process of ours under HighLevel's rate limits.

HighLevel allows 100 requests per 10 s and 200,000 a day per location. The bucket
holds at most ``burst`` tokens and refills at ``(limit - burst) / window`` per second,
so in ANY rolling window at most ``burst + rate * window = limit`` requests start
(90 by default: a 10 % margin for clock skew and requests in flight). A daily counter
keeps under the daily cap.

Callers reserve a token and then wait for it (a "virtual schedule", as in GCRA): one
round trip per request, first come first served, and a caller that would wait longer
than ``max_wait`` is refused with ``GHLRateLimited`` instead of queueing forever.

The state lives in Redis (one atomic Lua script, shared by every web and worker
process) when ``REDIS_URL`` is set, and in process memory on the embedded default.
HighLevel's ``X-RateLimit-*`` headers and 429s tighten the shared state, so all
processes slow down together.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from redis.exceptions import RedisError

from config import metrics

from .exceptions import GHLRateLimited

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 10.0
# Share of HighLevel's advertised limit we allow ourselves when headers announce one.
HEADER_MARGIN = 0.9
# Bucket state outlives any wait or reservation by far, and keeps a header-announced
# limit for a day; it is recreated full when it expires.
STATE_TTL_SECONDS = 86_400
DAY_TTL_SECONDS = 2 * 86_400


@dataclass(frozen=True)
class Grant:
    """A token granted: the request may start at ``at`` (after ``waited`` seconds)."""

    at: float
    waited: float


@dataclass(frozen=True)
class Limits:
    """What one bucket allows; see the module docstring for the guarantee."""

    limit: float = 90
    window: float = WINDOW_SECONDS
    burst: float = 10
    per_day: int = 190_000
    max_wait: float = 30.0

    def __post_init__(self):
        if not (1 <= self.burst < self.limit) or self.window <= 0:
            raise ValueError("Rate limits need 1 <= burst < limit and a positive window.")


class BucketStore(Protocol):
    def reserve(
        self, *, key: str, day_key: str, now: float, limits: Limits
    ) -> tuple[bool, float]: ...

    def adjust(
        self,
        *,
        key: str,
        now: float,
        limits: Limits,
        remaining: int | None,
        drain: bool,
        block: float | None,
        hl_limit: float | None,
        hl_window: float | None,
    ) -> None: ...


def effective_burst_and_rate(
    limits: Limits, hl_limit: float | None, hl_window: float | None
) -> tuple[float, float]:
    """Burst and refill rate that keep under our limit and the one HighLevel announced.

    Mirrored line for line by the Lua script below.
    """
    burst = min(limits.burst, limits.limit / 2)
    if hl_limit is not None and hl_window:
        burst = min(burst, hl_limit / 2)
    burst = max(burst, 1.0)
    rate = (limits.limit - burst) / limits.window
    if hl_limit is not None and hl_window:
        rate = min(rate, (hl_limit - burst) / hl_window)
    return burst, rate


class MemoryBucketStore:
    """Bucket state in this process only (the embedded default runs one process)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._buckets: dict[str, dict[str, float]] = {}
        self._days: dict[str, int] = {}

    def _refill(self, key: str, now: float, limits: Limits) -> tuple[dict, float, float]:
        state = self._buckets.setdefault(key, {})
        burst, rate = effective_burst_and_rate(
            limits, state.get("hl_limit"), state.get("hl_window")
        )
        tokens = state.get("tokens", burst)
        ts = state.get("ts", now)
        tokens = min(burst, tokens + max(0.0, now - ts) * rate)
        state["tokens"], state["ts"] = tokens, max(ts, now)
        return state, burst, rate

    def reserve(self, *, key, day_key, now, limits):
        with self._lock:
            state, _burst, rate = self._refill(key, now, limits)
            if self._days.get(day_key, 0) >= limits.per_day:
                return False, -1.0
            wait = 0.0 if state["tokens"] >= 1 else (1 - state["tokens"]) / rate
            if wait > limits.max_wait:
                return False, wait
            state["tokens"] -= 1
            self._days[day_key] = self._days.get(day_key, 0) + 1
            return True, wait

    def adjust(self, *, key, now, limits, remaining, drain, block, hl_limit, hl_window):
        with self._lock:
            state = self._buckets.setdefault(key, {})
            if hl_limit is not None:
                state["hl_limit"], state["hl_window"] = hl_limit, hl_window
            state, _burst, rate = self._refill(key, now, limits)
            _clamp(state, rate=rate, remaining=remaining, drain=drain, block=block)


def _clamp(state: dict, *, rate: float, remaining: int | None, drain: bool, block: float | None):
    if remaining is not None:
        state["tokens"] = min(state["tokens"], remaining - 1)
    if drain:
        state["tokens"] = min(state["tokens"], 0.0)
    if block:
        # The next reservation then waits (1 - tokens) / rate >= block seconds.
        state["tokens"] = min(state["tokens"], 1 - block * rate)


# Same algorithm as MemoryBucketStore, atomic in Redis. Lua numbers are doubles, but
# Redis truncates numbers it returns, so the wait comes back as a string.
_LUA = """
local key, day_key = KEYS[1], KEYS[2]
local mode = ARGV[1]
local now, limit, window = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local burst, per_day, max_wait = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local state_ttl, day_ttl = tonumber(ARGV[8]), tonumber(ARGV[9])

local s = redis.call('HMGET', key, 'tokens', 'ts', 'hl_limit', 'hl_window')
local hl_limit, hl_window = tonumber(s[3]), tonumber(s[4])
if mode == 'adjust' and ARGV[13] ~= '' then
  hl_limit, hl_window = tonumber(ARGV[13]), tonumber(ARGV[14])
  redis.call('HSET', key, 'hl_limit', ARGV[13], 'hl_window', ARGV[14])
end

burst = math.min(burst, limit / 2)
if hl_limit and hl_window and hl_window > 0 then burst = math.min(burst, hl_limit / 2) end
burst = math.max(burst, 1)
local rate = (limit - burst) / window
if hl_limit and hl_window and hl_window > 0 then
  rate = math.min(rate, (hl_limit - burst) / hl_window)
end

local tokens = tonumber(s[1]) or burst
local ts = tonumber(s[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
ts = math.max(ts, now)

local granted, wait = 1, 0
if mode == 'reserve' then
  local used = tonumber(redis.call('GET', day_key) or '0')
  if used >= per_day then
    granted, wait = 0, -1
  else
    if tokens < 1 then wait = (1 - tokens) / rate end
    if wait > max_wait then
      granted = 0
    else
      tokens = tokens - 1
      redis.call('INCR', day_key)
      redis.call('EXPIRE', day_key, day_ttl)
    end
  end
else
  if ARGV[10] ~= '' then tokens = math.min(tokens, tonumber(ARGV[10]) - 1) end
  if ARGV[11] == '1' then tokens = math.min(tokens, 0) end
  if ARGV[12] ~= '' then tokens = math.min(tokens, 1 - tonumber(ARGV[12]) * rate) end
end

redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('EXPIRE', key, state_ttl)
return {granted, tostring(wait)}
"""


def _arg(value: float | int | None) -> str:
    return "" if value is None else repr(float(value))


class RedisBucketStore:
    """Bucket state in Redis, shared by every process that uses the same Redis db.

    With a ``fallback`` store, a Redis that is down or does not answer is not an error: this
    process limits itself alone through the fallback (as on the embedded default) until Redis
    answers again, so a send is never refused, or left "unknown", for want of the limiter.
    """

    def __init__(self, client, *, fallback: BucketStore | None = None):
        self._script = client.register_script(_LUA)
        self._fallback = fallback

    def _fall_back(self, exc: Exception) -> BucketStore:
        if self._fallback is None:
            raise exc
        logger.warning("rate limiter: Redis unavailable (%s); this process limits itself", exc)
        return self._fallback

    def _call(self, mode: str, key: str, day_key: str, now: float, limits: Limits, *extra: str):
        granted, wait = self._script(
            keys=[key, day_key],
            args=[
                mode,
                repr(now),
                _arg(limits.limit),
                _arg(limits.window),
                _arg(limits.burst),
                str(limits.per_day),
                _arg(limits.max_wait),
                str(STATE_TTL_SECONDS),
                str(DAY_TTL_SECONDS),
                *extra,
            ],
        )
        return bool(int(granted)), float(wait)

    def reserve(self, *, key, day_key, now, limits):
        try:
            return self._call("reserve", key, day_key, now, limits)
        except RedisError as exc:
            return self._fall_back(exc).reserve(key=key, day_key=day_key, now=now, limits=limits)

    def adjust(self, *, key, now, limits, remaining, drain, block, hl_limit, hl_window):
        try:
            self._call(
                "adjust",
                key,
                key + ":unused",
                now,
                limits,
                "" if remaining is None else str(int(remaining)),
                "1" if drain else "0",
                _arg(block),
                _arg(hl_limit),
                _arg(hl_window),
            )
        except RedisError as exc:
            self._fall_back(exc).adjust(
                key=key,
                now=now,
                limits=limits,
                remaining=remaining,
                drain=drain,
                block=block,
                hl_limit=hl_limit,
                hl_window=hl_window,
            )


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(headers[name])
    except (KeyError, TypeError, ValueError):
        return None


class RateLimiter:
    """Grants HighLevel requests for one location, waiting (bounded) when needed."""

    def __init__(
        self,
        *,
        store: BucketStore,
        location_id: str,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.store = store
        self.location_id = location_id
        self.limits = limits or Limits()
        self._clock = clock
        self._sleep = sleep
        self._key = f"ghl:ratelimit:{location_id}"

    def _day_key(self, now: float) -> str:
        return f"{self._key}:day:{datetime.fromtimestamp(now, tz=UTC):%Y%m%d}"

    def acquire(self) -> Grant:
        """Reserve a token and sleep until it is due; raise GHLRateLimited past ``max_wait``."""
        now = self._clock()
        granted, wait = self.store.reserve(
            key=self._key, day_key=self._day_key(now), now=now, limits=self.limits
        )
        if not granted:
            metrics.record_rate_limit_refusal("daily_budget" if wait < 0 else "max_wait")
            if wait < 0:
                tomorrow = datetime.fromtimestamp(now, tz=UTC).date() + timedelta(days=1)
                midnight = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC)
                raise GHLRateLimited(
                    f"Daily budget of {self.limits.per_day} HighLevel requests used up.",
                    retry_after=midnight.timestamp() - now,
                )
            raise GHLRateLimited(
                f"HighLevel rate limit: a request would wait {wait:.1f} s "
                f"(more than {self.limits.max_wait:.0f} s).",
                retry_after=wait,
            )
        metrics.record_rate_limit_wait(wait)
        if wait > 0:
            self._sleep(wait)
        return Grant(at=now + wait, waited=wait)

    def observe(
        self, *, status_code: int, headers: Mapping[str, str], retry_after: float | None = None
    ) -> None:
        """Tighten the shared bucket from HighLevel's ``X-RateLimit-*`` headers and 429s."""
        remaining = _int_header(headers, "x-ratelimit-remaining")
        maximum = _int_header(headers, "x-ratelimit-max")
        interval_ms = _int_header(headers, "x-ratelimit-interval-milliseconds")
        hl_limit = hl_window = None
        if maximum and interval_ms and maximum > 0 and interval_ms > 0:
            hl_limit = max(2.0, float(int(maximum * HEADER_MARGIN)))
            hl_window = interval_ms / 1000
        # Remaining only matters once it is below what the bucket could hold anyway.
        if remaining is not None and remaining - 1 >= self.limits.burst:
            remaining = None
        limited = status_code == 429
        if remaining is None and hl_limit is None and not limited:
            return
        self.store.adjust(
            key=self._key,
            now=self._clock(),
            limits=self.limits,
            remaining=remaining,
            drain=limited,
            block=retry_after if limited else None,
            hl_limit=hl_limit,
            hl_window=hl_window,
        )


_memory_store = MemoryBucketStore()


def get_rate_limiter(*, location_id: str | None = None) -> RateLimiter:
    """The limiter for a location, configured from settings (Redis when REDIS_URL is set)."""
    from django.conf import settings

    if settings.REDIS_URL:
        from django_redis import get_redis_connection

        store: BucketStore = RedisBucketStore(
            get_redis_connection("default"), fallback=_memory_store
        )
    else:
        store = _memory_store
    return RateLimiter(
        store=store,
        location_id=location_id or settings.GHL_LOCATION_ID,
        limits=Limits(
            limit=settings.GHL_RATE_LIMIT_PER_10S,
            burst=settings.GHL_RATE_LIMIT_BURST,
            per_day=settings.GHL_RATE_LIMIT_PER_DAY,
            max_wait=settings.GHL_RATE_LIMIT_MAX_WAIT,
        ),
    )
