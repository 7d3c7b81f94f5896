"""Three cache tiers for the dashboard's reads, each invalidated by the events that change it.

- ``LIVE`` (30 s): the overview's tiles.
- ``CHARTS`` (5 min): the overview's charts, the explorer's distributions and its sources, the
  commission page's figures and forecast.
- ``HISTORY`` (1 h): the business rules and the Performance page's completed hours.

A value is stored under its key *and the versions of its topics* (``leads``, ``deals``, …).
An event bumps the versions of the topics it changes (``invalidate_for_event``, called by
``broadcast_dashboard_event`` when the event is sent, after its transaction committed), so
the next read of anything built on them misses and recomputes; what the event did not touch
stays cached. ``invalidate_everything`` bumps the topic every key carries (seed_demo, tests).

The versions must be one series for every process: with Redis they are cache counters; on
the embedded default the local-memory cache is per process, so they are counters in the
channel layer's SQLite file that the server, ``simulate_inbound`` and the scheduler share
(the values themselves stay in each process's memory). Hits, misses and the time of each
lookup go to the PerformanceTracker per tier.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from channels.layers import get_channel_layer
from django.core.cache import cache

from config.performance import CACHE_HIT, CACHE_LATENCY, CACHE_MISS, tracker

from .channel_layer import SQLiteChannelLayer

T = TypeVar("T")

EVERYTHING = "everything"  # every key carries it
LEADS, CONVERSATIONS, MESSAGES, DEALS, TICKETS, CMAS, APPOINTMENTS, RULES = (
    "leads",
    "conversations",
    "messages",
    "deals",
    "tickets",
    "cmas",
    "appointments",
    "rules",
)

# Which topics a dashboard event changes, by the event kind's first word.
EVENT_TOPICS: dict[str, tuple[str, ...]] = {
    "lead": (LEADS,),
    "buyer": (LEADS,),
    "seller": (LEADS, CONVERSATIONS),
    "contact": (LEADS, CONVERSATIONS),
    "message": (MESSAGES, CONVERSATIONS),
    "conversation": (CONVERSATIONS, LEADS),
    "deal": (DEALS,),
    "escalation": (TICKETS, CONVERSATIONS),
    "compliance": (TICKETS, CONVERSATIONS),
    "cma": (CMAS,),
    "appointment": (APPOINTMENTS, CONVERSATIONS),
}
_VERSION_PREFIX = "cache-topic:"


def _shared_layer() -> SQLiteChannelLayer | None:
    layer = get_channel_layer()
    return layer if isinstance(layer, SQLiteChannelLayer) else None


def topic_versions(topics: Iterable[str]) -> dict[str, int]:
    """The current version of each topic (0 before its first change)."""
    names = [_VERSION_PREFIX + topic for topic in topics]
    if (layer := _shared_layer()) is not None:
        found = layer.counter_values(names)
    else:
        found = cache.get_many(names)
    return {name.removeprefix(_VERSION_PREFIX): int(found.get(name, 0)) for name in names}


def bump(*topics: str) -> None:
    """Everything cached on ``topics`` is stale from now on, in every process."""
    for topic in topics:
        name = _VERSION_PREFIX + topic
        if (layer := _shared_layer()) is not None:
            layer.next_sequence(name)
            continue
        try:
            cache.incr(name)
        except ValueError:
            cache.add(name, 0, timeout=None)
            cache.incr(name)


def invalidate_for_event(kind: str) -> None:
    """Bump what a dashboard event of ``kind`` changes (an unknown kind: everything)."""
    bump(*EVENT_TOPICS.get(kind.split(".", 1)[0], (EVERYTHING,)))


def invalidate_everything() -> None:
    bump(EVERYTHING)


class CacheTier:
    """Values kept ``seconds`` at most, and only while their topics have not changed."""

    def __init__(self, name: str, seconds: int):
        self.name = name
        self.seconds = seconds

    def _key(self, key: str, topics: tuple[str, ...]) -> str:
        versions = topic_versions((EVERYTHING, *topics))
        stamp = ".".join(f"{topic}{versions[topic]}" for topic in sorted(versions))
        return f"tier:{self.name}:{key}:{stamp}"

    def get_or_set(self, key: str, compute: Callable[[], T], *, topics: Iterable[str]) -> T:
        """The cached value of ``key``, or ``compute()``'s, stored for the next reader."""
        started = time.perf_counter()
        full_key = self._key(key, tuple(topics))
        found = cache.get(full_key)
        tracker.observe(CACHE_LATENCY, (time.perf_counter() - started) * 1000, self.name)
        if found is not None:
            tracker.count(CACHE_HIT, self.name)
            return found[0]
        tracker.count(CACHE_MISS, self.name)
        value = compute()
        cache.set(full_key, (value,), self.seconds)  # a tuple, so a None value is a hit too
        return value


LIVE = CacheTier("live", 30)
CHARTS = CacheTier("charts", 300)
HISTORY = CacheTier("history", 3600)
TIERS = (LIVE, CHARTS, HISTORY)
