"""Liveness and readiness probes for the load balancer and orchestrator.

``/readyz`` tells anyone which dependency is failing (ok or not, per check), and only staff or
Prometheus's ``METRICS_TOKEN`` what failed and where: an error names internal hosts and ports.
"""

import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request):
    """The process is up; touches nothing else."""
    return JsonResponse({"status": "ok"})


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _check_cache():
    key, value = f"readyz:{uuid.uuid4().hex}", "1"
    cache.set(key, value, 5)
    if cache.get(key) != value:
        raise RuntimeError("cache did not return what was written")
    cache.delete(key)
    return cache.__class__.__name__


def _check_broker():
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return conn.transport_cls if isinstance(conn.transport_cls, str) else "redis"


def _check_channel_layer():
    layer = get_channel_layer()
    async_to_sync(layer.group_send)("readyz", {"type": "readyz.ping"})
    return layer.__class__.__name__


def _run(check):
    started = time.perf_counter()
    try:
        backend = check()
    except Exception as exc:  # any failure makes the probe say so
        return {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:300]}
    return {"ok": True, "backend": backend, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _may_see_details(request) -> bool:
    """Prometheus with METRICS_TOKEN, or a staff member's session."""
    from config.monitoring import has_metrics_token

    if has_metrics_token(request):
        return True
    try:
        user = request.user
        return user.is_authenticated and user.is_active and user.is_staff
    except DatabaseError:  # the sessions live in the database, which may be the one down
        return False


@require_GET
@never_cache
def readyz(request):
    """Every dependency this process needs is reachable: 200, else 503 naming the failure
    (what failed, backends and latencies only to staff and the metrics token)."""
    checks = {"database": _check_database, "cache": _check_cache}
    if settings.REDIS_URL:
        checks |= {"broker": _check_broker, "channel_layer": _check_channel_layer}
    results = {name: _run(check) for name, check in checks.items()}
    ready = all(result["ok"] for result in results.values())
    if not _may_see_details(request):
        results = {name: {"ok": result["ok"]} for name, result in results.items()}
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )
