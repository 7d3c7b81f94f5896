"""Fixed-window counters in the shared cache (Redis when configured): one atomic INCR per
hit, the key expiring with its window, so every web process counts together."""

import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    scope: str  # "visitor", "ip", "poll": part of the key and of the 429's message
    limit: int
    window_seconds: int


def seconds_until_allowed(
    *, limit: Limit, key: str, now: float | None = None, namespace: str = "webchat"
) -> int:
    """Count one hit against ``limit`` for ``key``; 0 if allowed, else the seconds to wait.

    ``namespace`` keeps other users' counters (the webhook's rejections: "ghl") apart.
    """
    now = time.time() if now is None else now
    window = int(now // limit.window_seconds)
    cache_key = f"{namespace}:{limit.scope}:{key}:{window}"
    # add() is a no-op when the key exists; a key that expired between add() and incr()
    # (the window just ended) raises ValueError, and the next window starts at one.
    cache.add(cache_key, 0, timeout=limit.window_seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.add(cache_key, 1, timeout=limit.window_seconds + 1)
        count = 1
    if count <= limit.limit:
        return 0
    window_ends = (window + 1) * limit.window_seconds
    return max(1, math.ceil(window_ends - now))
