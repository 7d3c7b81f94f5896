"""What monitoring costs: a record call, and a scrape of /metrics, against a bare view.

    python benchmarks/metrics.py [--requests 500] [--tickets 200] [--multiprocess]

Migrates a throw-away SQLite file (set DATABASE_URL for PostgreSQL) and opens ``--tickets``
open compliance tickets (the scrape counts them), then times, in the same run:

* in process: one ``tracker.count`` (the hourly aggregate plus its Prometheus counter), and
  one Prometheus counter alone;
* with Django's test client (the full middleware, django-prometheus's included; no network):
  a bare Django view, and ``GET /metrics`` with the bearer token.

``--multiprocess`` sets PROMETHEUS_MULTIPROC_DIR to a fresh folder first (each record call
then writes to a memory-mapped file, and a scrape reads the files).
Prints n, p50, p95 and mean in milliseconds of each.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
import types
from datetime import timedelta
from pathlib import Path

from _timing import summary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--requests", type=int, default=500)
parser.add_argument("--tickets", type=int, default=200)
parser.add_argument("--multiprocess", action="store_true")
args = parser.parse_args()
if args.multiprocess:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["METRICS_TOKEN"] = "bench-token"  # noqa: S105 (a throw-away token for this run)
os.environ["PERFORMANCE_FLUSH_SECONDS"] = "0"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from compliance.models import ComplianceTicket  # noqa: E402
from config import metrics, performance  # noqa: E402

BARE_PATH = "/bench/bare/"


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


def timed(call, n: int) -> list[float]:
    for _ in range(min(50, n)):  # warm-up: imports, caches, connections
        call()
    seconds = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    n = args.requests
    call_command("migrate", verbosity=0)
    due = timezone.now() + timedelta(hours=4)
    ComplianceTicket.objects.bulk_create(
        ComplianceTicket(
            type="privacy", category="ssn", severity="high", direction="inbound",
            evidence="[SSN removed]", due_at=due,
        )
        for _ in range(args.tickets)
    )  # fmt: skip

    urls = types.ModuleType("bench_urls")
    urls.urlpatterns = [path(BARE_PATH.strip("/") + "/", bare), path("", include("config.urls"))]
    sys.modules["bench_urls"] = urls
    settings.ROOT_URLCONF = "bench_urls"
    client = Client()

    def get(url: str, **headers):
        response = client.get(url, **headers)
        assert response.status_code == 200, response.status_code
        return response

    scrape = get("/metrics", HTTP_AUTHORIZATION="Bearer bench-token")
    assert b"jorge_open_tickets" in scrape.content
    counter = metrics.WEBHOOKS_RECEIVED.labels("InboundMessage", "accepted")
    by_type = {"event_type": "InboundMessage"}
    rows = [
        summary("in process: tracker.count (aggregate + counter)", timed(lambda: performance.tracker.count(performance.WEBHOOK_RECEIVED, "accepted", labels=by_type), n * 20)),
        summary("in process: Prometheus counter alone", timed(counter.inc, n * 20)),
        summary("GET bare Django view", timed(lambda: get(BARE_PATH), n)),
        summary("GET /metrics (token)", timed(lambda: get("/metrics", HTTP_AUTHORIZATION="Bearer bench-token"), n)),
    ]  # fmt: skip
    print(
        f"machine: {platform.node()} · {platform.platform()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()}"
    )
    mode = "multiprocess (files)" if args.multiprocess else "one process (memory)"
    print(
        f"database: {django.db.connection.vendor} · metrics: {mode} · open tickets: "
        f"{args.tickets} · scrape size: {len(scrape.content)} bytes"
    )
    print(f"{'measure':50} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for row in rows:
        print(
            f"{row['name']:50} {row['n']:>6} {row['p50']:>8.4f} {row['p95']:>8.4f} "
            f"{row['mean']:>8.4f}"
        )


if __name__ == "__main__":
    main()
