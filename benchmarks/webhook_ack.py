"""Benchmark: how fast do we acknowledge HighLevel webhooks, against a bare Django view?

    python benchmarks/webhook_ack.py [--requests 2000] [--concurrency 8] [--workers 2]
        [--database-url postgres://...] [--redis-url redis://...]

Starts the project under gunicorn (sync workers) on 127.0.0.1, with one extra route:
``/bench/bare/``, a plain Django view behind the same middleware that reads the body
and answers ``{"received": true}``. The same number of JSON POSTs then go, from a pool
of client threads over real HTTP, to the bare view and to ``POST /webhooks/ghl/``, each
webhook an InboundMessage with its own ``webhookId``, signed with Ed25519 (the test key
is trusted through GHL_WEBHOOK_ED25519_PUBLIC_KEY; signing happens before timing).

Measured: the acknowledgement only. Processing is enqueued on commit and not run here
(no worker): tasks are published to the in-memory broker, or to Redis with
``--redis-url``. The default database is a fresh SQLite file (WAL); give
``--database-url`` for PostgreSQL. Prints throughput, p50/p95/p99 latency of both, and
the ratios. Only loopback traffic.
"""

import argparse
import base64
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE_PATH = "/bench/bare/"
WEBHOOK_PATH = "/webhooks/ghl/"


# --- Server side (a child process) ---------------------------------------------------


def serve(port: int, workers: int) -> None:
    """Run the project plus the bare baseline view under gunicorn."""
    sys.path.insert(0, str(ROOT))
    import types

    import django
    from django.conf import settings
    from django.http import JsonResponse
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt
    from gunicorn.app.base import BaseApplication

    django.setup()

    @csrf_exempt
    def bare(request):
        request.body  # noqa: B018 (read it, as the webhook view does)
        return JsonResponse({"received": True})

    urls = types.ModuleType("bench_urls")
    urls.urlpatterns = [path(BARE_PATH.strip("/") + "/", bare), path("", include("config.urls"))]
    sys.modules["bench_urls"] = urls
    settings.ROOT_URLCONF = "bench_urls"

    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"127.0.0.1:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("accesslog", None)
            self.cfg.set("loglevel", "warning")
            self.cfg.set("backlog", 2048)

        def load(self):
            return application

    Server().run()


# --- Client side ------------------------------------------------------------------------


def _payload(n: int) -> dict:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "type": "InboundMessage",
        "locationId": "bench-location",
        "attachments": [],
        "body": "Hi, I want to sell my 3 bedroom house in Riverside this summer.",
        "contactId": f"bench-contact-{n % 50}",
        "contentType": "text/plain",
        "conversationId": f"bench-conv-{n % 50}",
        "dateAdded": now,
        "direction": "inbound",
        "messageType": "SMS",
        "messageId": f"bench-{uuid.uuid4().hex[:16]}",
        "status": "delivered",
        "webhookId": f"bench-{uuid.uuid4()}",
        "timestamp": now,
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _run(base_url: str, path: str, requests: list[tuple[bytes, dict]], concurrency: int) -> dict:
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def worker(chunk):
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for body, headers in chunk:
                started = time.perf_counter()
                response = client.post(path, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    chunks = [requests[i::concurrency] for i in range(concurrency)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, chunks))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(requests),
        "seconds": elapsed,
        "throughput": len(requests) / elapsed,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p95_ms": _percentile(latencies, 0.95) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "statuses": statuses,
    }


def _signed_requests(key, count: int, start: int) -> list[tuple[bytes, dict]]:
    signed = []
    for n in range(start, start + count):
        body = json.dumps(_payload(n)).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GHL-Signature": base64.b64encode(key.sign(body)).decode(),
        }
        signed.append((body, headers))
    return signed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.port, args.workers)
        return 0

    sys.path.insert(0, str(ROOT))
    import httpx
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    tmp = tempfile.mkdtemp(prefix="webhook-ack-")
    database_url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis_url,
        # The acknowledgement is measured, not the processing: tasks are published
        # (to Redis, or to kombu's in-memory transport) and left there.
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": args.redis_url or "memory://",
        "GHL_WEBHOOK_ED25519_PUBLIC_KEY": public_pem,
        "GHL_WEBHOOK_LOCATION_IDS": "bench-location",  # the payloads' location: accepted
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
        ],
        cwd=ROOT,
        env=env,
    )
    base_url = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)

        bare_body = json.dumps(_payload(0)).encode()
        bare = [(bare_body, {"Content-Type": "application/json"})] * args.requests
        warm = _signed_requests(key, args.warmup, 0)
        signed = _signed_requests(key, args.requests, args.warmup)
        _run(base_url, BARE_PATH, bare[: args.warmup], args.concurrency)
        _run(base_url, WEBHOOK_PATH, warm, args.concurrency)
        results = {
            "bare Django view": _run(base_url, BARE_PATH, bare, args.concurrency),
            "POST /webhooks/ghl/": _run(base_url, WEBHOOK_PATH, signed, args.concurrency),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)

    webhook = results["POST /webhooks/ghl/"]
    if webhook["statuses"] != {200: args.requests}:
        print(f"Not every webhook was acknowledged: {webhook['statuses']}", file=sys.stderr)
        return 1
    engine = database_url.split(":", 1)[0]
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.uname().system} "
        f"{platform.uname().release} · {os.cpu_count()} CPUs · Python {platform.python_version()}"
    )
    print(
        f"gunicorn {args.workers} sync workers · {args.concurrency} client threads · "
        f"{args.requests} requests each · database {engine} · broker "
        f"{'redis' if args.redis_url else 'memory'}"
    )
    print(f"{'endpoint':<22}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    for name, r in results.items():
        print(
            f"{name:<22}{r['throughput']:>9.0f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
            f"{r['p99_ms']:>9.1f}  {r['statuses']}"
        )
    bare_r = results["bare Django view"]
    print(
        f"webhook / bare: throughput x{webhook['throughput'] / bare_r['throughput']:.2f}, "
        f"p50 x{webhook['p50_ms'] / bare_r['p50_ms']:.2f}, "
        f"p95 x{webhook['p95_ms'] / bare_r['p95_ms']:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
