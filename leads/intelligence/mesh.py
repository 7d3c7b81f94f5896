"""The agent mesh (``ENABLE_AGENT_MESH``): each AI task routed to a model, with health,
circuit breakers and fallback (docs/feature-flags.md).

A task (``extraction``, ``reply``) has a list of candidate models in
``settings.AGENT_MESH_ROUTES`` and a policy that orders them: ``cost`` puts the cheapest
(``ANTHROPIC_PRICES_PER_MTOK``) first; ``latency`` keeps the listed order but moves a model
whose mean latency over the health window exceeds ``AGENT_MESH_LATENCY_BUDGET_MS`` to the
end. A model whose breaker is open is skipped. The first model that answers wins; one that
is unavailable (timeout, connection, API error) counts a failure and the next is tried;
when none is left the caller's offline engine answers. Output that fails validation is not
the model being down: it goes to the offline engine at once, as without the mesh.

Health and breakers live in the Django cache (Redis in production), so every web and
worker process sees the same state: per model and minute, calls, errors and the latency
sum (``cache.incr``, atomic in Redis); per model, the consecutive failures and when its
breaker opened. After ``AGENT_MESH_BREAKER_FAILURES`` failures in a row the breaker opens;
after ``AGENT_MESH_BREAKER_COOLDOWN_SECONDS`` one process may try the model again
(half-open): success closes it, failure opens it for another cool-down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from config import performance

from .claude import ClaudeUnavailableError

logger = logging.getLogger(__name__)

T = TypeVar("T")

WINDOW_MINUTES = 5
clock = time.time  # wall-clock seconds (tests move it)
_PREFIX = "mesh"

# How the mesh decided, one label per model tried: task:model:outcome.
MESH_ROUTE = "ai.mesh_route"


def mesh_enabled() -> bool:
    return bool(getattr(settings, "ENABLE_AGENT_MESH", False))


# --- Health: calls, errors and latency per model over a sliding window of minutes ---------


def _minute(now: float) -> int:
    return int(now // 60)


def _incr(key: str, amount: int) -> None:
    cache.add(key, 0, timeout=(WINDOW_MINUTES + 1) * 60)
    try:
        cache.incr(key, amount)
    except ValueError:  # expired between add and incr
        cache.set(key, amount, timeout=(WINDOW_MINUTES + 1) * 60)


def record_call(model: str, *, ok: bool, latency_ms: float, now: float | None = None) -> None:
    """One call to ``model``: counted in this minute's health bucket."""
    minute = _minute(clock() if now is None else now)
    _incr(f"{_PREFIX}:calls:{model}:{minute}", 1)
    _incr(f"{_PREFIX}:latency:{model}:{minute}", round(latency_ms))
    if not ok:
        _incr(f"{_PREFIX}:errors:{model}:{minute}", 1)


@dataclass(frozen=True)
class ModelHealth:
    """A model's calls, errors and mean latency over the last ``WINDOW_MINUTES`` minutes."""

    model: str
    calls: int
    errors: int
    mean_latency_ms: float | None
    breaker: str  # closed | open | half_open

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


def health(model: str, *, now: float | None = None) -> ModelHealth:
    """What every process recorded about ``model`` in the window."""
    now = clock() if now is None else now
    current = _minute(now)
    keys = [
        f"{_PREFIX}:{kind}:{model}:{minute}"
        for minute in range(current - WINDOW_MINUTES + 1, current + 1)
        for kind in ("calls", "errors", "latency")
    ]
    values = cache.get_many(keys)
    totals = {"calls": 0, "errors": 0, "latency": 0}
    for key, value in values.items():
        totals[key.split(":")[1]] += int(value)
    calls = totals["calls"]
    return ModelHealth(
        model=model,
        calls=calls,
        errors=totals["errors"],
        mean_latency_ms=totals["latency"] / calls if calls else None,
        breaker=breaker_state(model, now=now),
    )


# --- Circuit breaker --------------------------------------------------------------------------


def _opened_key(model: str) -> str:
    return f"{_PREFIX}:opened:{model}"


def _failures_key(model: str) -> str:
    return f"{_PREFIX}:failures:{model}"


def breaker_state(model: str, *, now: float | None = None) -> str:
    opened_at = cache.get(_opened_key(model))
    if opened_at is None:
        return "closed"
    now = clock() if now is None else now
    if now - opened_at < settings.AGENT_MESH_BREAKER_COOLDOWN_SECONDS:
        return "open"
    return "half_open"


def _may_call(model: str, now: float) -> bool:
    state = breaker_state(model, now=now)
    if state == "closed":
        return True
    if state == "open":
        return False
    # Half-open: one trial call across all processes per cool-down.
    return cache.add(
        f"{_PREFIX}:trial:{model}", now, timeout=settings.AGENT_MESH_BREAKER_COOLDOWN_SECONDS
    )


def _succeeded(model: str) -> None:
    if cache.get(_opened_key(model)) is not None:
        logger.info("mesh_breaker_closed model=%s", model)
    cache.delete_many([_opened_key(model), _failures_key(model), f"{_PREFIX}:trial:{model}"])


def _failed(model: str, now: float) -> None:
    _incr(_failures_key(model), 1)
    failures = int(cache.get(_failures_key(model)) or 0)
    half_open = breaker_state(model, now=now) == "half_open"
    if failures >= settings.AGENT_MESH_BREAKER_FAILURES or half_open:
        cache.set(_opened_key(model), now, timeout=None)
        cache.delete(f"{_PREFIX}:trial:{model}")
        logger.warning("mesh_breaker_open model=%s failures=%s", model, failures)


# --- Routing ----------------------------------------------------------------------------------


def _price(model: str) -> float:
    prices = settings.ANTHROPIC_PRICES_PER_MTOK
    matches = [name for name in prices if model.startswith(name)]
    if not matches:
        return float("inf")
    price = prices[max(matches, key=len)]
    return price["input"] + price["output"]


def candidates(task: str, *, now: float | None = None) -> list[str]:
    """The task's models in the order its policy prefers (breakers not yet consulted)."""
    route = settings.AGENT_MESH_ROUTES[task]
    models = list(dict.fromkeys(route["models"]))
    if route.get("policy") == "cost":
        return sorted(models, key=_price)  # stable: equal prices keep the listed order
    budget = settings.AGENT_MESH_LATENCY_BUDGET_MS
    slow = {
        m
        for m in models
        if (latency := health(m, now=now).mean_latency_ms) is not None and latency > budget
    }
    return [m for m in models if m not in slow] + [m for m in models if m in slow]


@dataclass
class Route:
    """What the mesh did for one task: each model tried and how it went."""

    task: str
    tried: list[dict] = field(default_factory=list)
    model: str = ""  # the model that answered ("" = none did)

    def as_metadata(self) -> dict:
        return {"task": self.task, "tried": self.tried, "model": self.model}


class MeshExhaustedError(ClaudeUnavailableError):
    """No model of the task could answer: the caller's offline engine does."""

    def __init__(self, reason: str, route: Route):
        super().__init__(reason)
        self.route = route


def call(task: str, attempt: Callable[[str], T]) -> tuple[T, Route]:
    """Run ``attempt(model)`` on the task's models in policy order until one answers.

    Raises ``MeshExhaustedError`` when every model is down or its breaker is open; any
    other ``ClaudeError`` (bad output) propagates at once, as without the mesh.
    """
    route = Route(task=task)
    last_reason = "circuit_open"
    for model in candidates(task):
        now = clock()
        if not _may_call(model, now):
            route.tried.append({"model": model, "outcome": "circuit_open"})
            performance.tracker.count(MESH_ROUTE, f"{task}:{model}:circuit_open")
            continue
        started = time.perf_counter()
        try:
            result = attempt(model)
        except ClaudeUnavailableError as exc:
            latency = (time.perf_counter() - started) * 1000
            record_call(model, ok=False, latency_ms=latency)
            _failed(model, clock())
            last_reason = exc.reason
            route.tried.append({"model": model, "outcome": exc.reason})
            performance.tracker.count(MESH_ROUTE, f"{task}:{model}:failed")
            logger.warning("mesh_fallback task=%s model=%s reason=%s", task, model, exc.reason)
            continue
        except Exception:
            # The model answered, badly: it is up (health), but no other model is asked.
            record_call(model, ok=True, latency_ms=(time.perf_counter() - started) * 1000)
            _succeeded(model)
            route.tried.append({"model": model, "outcome": "invalid_output"})
            performance.tracker.count(MESH_ROUTE, f"{task}:{model}:invalid_output")
            raise
        record_call(model, ok=True, latency_ms=(time.perf_counter() - started) * 1000)
        _succeeded(model)
        route.tried.append({"model": model, "outcome": "ok"})
        route.model = model
        performance.tracker.count(MESH_ROUTE, f"{task}:{model}:ok")
        logger.info("mesh_route task=%s model=%s tried=%s", task, model, len(route.tried))
        return result, route
    performance.tracker.count(MESH_ROUTE, f"{task}:offline:exhausted")
    raise MeshExhaustedError(last_reason, route)


def models_in_routes() -> list[str]:
    """Every model some task may use, for the Performance page."""
    seen = {}
    for route in settings.AGENT_MESH_ROUTES.values():
        for model in route["models"]:
            seen[model] = True
    return list(seen)
