"""Load benchmark: does our HighLevel client stay under 100 requests / 10 s?

    REDIS_URL=redis://127.0.0.1:6379/11 python benchmarks/ghl_rate_limit.py [--seconds 25]

Starts a fake HighLevel on 127.0.0.1 (threaded ``http.server``) that ENFORCES 100
requests per rolling 10 s per token (one token = one location), answering 429 past
it. Several OS processes (each with several threads) then send SMS through our real
client (``leads.ghl.client.HighLevelClient`` with the shared limiter from settings)
as fast as it lets them. Prints requests sent, 429s (the bar is zero), the achieved
rate, the busiest rolling 10 s seen by the server, and the waits the limiter imposed.

With REDIS_URL set the limiter is shared through Redis across processes; without it
each process would have its own bucket, so the script falls back to threads in one
process. Only loopback traffic.
"""

import argparse
import json
import logging
import multiprocessing
import os
import platform
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()
logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise

from django.conf import settings  # noqa: E402

from leads.ghl.client import HighLevelClient  # noqa: E402
from leads.ghl.exceptions import GHLError  # noqa: E402
from leads.ghl.ratelimit import get_rate_limiter  # noqa: E402

HIGHLEVEL_LIMIT = 100
HIGHLEVEL_WINDOW = 10.0


class FakeHighLevel(ThreadingHTTPServer):
    """Counts requests per token over a rolling window, like HighLevel's burst limit."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.recent: dict[str, deque] = {}
        self.accepted: list[float] = []
        self.statuses: Counter = Counter()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as HighLevel's edge does

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server: FakeHighLevel = self.server  # type: ignore[assignment]
        token = self.headers.get("Authorization", "")
        now = time.monotonic()
        with server.lock:
            recent = server.recent.setdefault(token, deque())
            while recent and recent[0] <= now - HIGHLEVEL_WINDOW:
                recent.popleft()
            allowed = len(recent) < HIGHLEVEL_LIMIT
            if allowed:
                recent.append(now)
                server.accepted.append(now)
            remaining = HIGHLEVEL_LIMIT - len(recent)
            server.statuses[200 if allowed else 429] += 1
        if allowed:
            status = 200
            body = {
                "conversationId": "bench-conversation",
                "messageId": uuid.uuid4().hex,
                "msg": "Message queued",
                "status": "pending",
            }
        else:
            status, body = 429, {"statusCode": 429, "message": "Too Many Requests"}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-RateLimit-Max", str(HIGHLEVEL_LIMIT))
        self.send_header("X-RateLimit-Remaining", str(remaining))
        self.send_header("X-RateLimit-Interval-Milliseconds", str(int(HIGHLEVEL_WINDOW * 1000)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def send_until(start, seconds: float, base_url: str, location: str, out: list) -> None:
    """One caller: send SMS through the real client for ``seconds`` after the start signal."""
    limiter = None
    if not os.environ.get("BENCH_NO_LIMITER"):  # unset = the baseline HighLevel would see
        limiter = get_rate_limiter(location_id=location)
        acquire = limiter.acquire

        def measured_acquire():
            grant = acquire()
            out.append(("wait", grant.waited))
            return grant

        limiter.acquire = measured_acquire  # record each wait; the limiter itself is unchanged
    with HighLevelClient(
        token=f"bench-{location}", location_id=location, base_url=base_url, limiter=limiter
    ) as client:
        start.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                client.send_message(contact_id="bench-contact", message_type="SMS", message="Hi")
                out.append(("sent", 1))
            except GHLError as exc:
                out.append(("error", type(exc).__name__))


def worker_process(start, seconds, base_url, location, threads, results):
    """One OS process: ``threads`` callers, released together once every process is up."""
    out: list = []
    ready = threading.Event()
    pool = [
        threading.Thread(target=send_until, args=(ready, seconds, base_url, location, out))
        for _ in range(threads)
    ]
    for thread in pool:
        thread.start()
    start.wait()
    ready.set()
    for thread in pool:
        thread.join()
    results.put(out)


def busiest_window(times: list[float], window: float = HIGHLEVEL_WINDOW) -> int:
    times, best, left = sorted(times), 0, 0
    for right, t in enumerate(times):
        while times[left] <= t - window:
            left += 1
        best = max(best, right - left + 1)
    return best


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0.0
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=3, help="callers per process")
    parser.add_argument("--no-limiter", action="store_true", help="baseline without the limiter")
    args = parser.parse_args()
    if args.no_limiter:
        os.environ["BENCH_NO_LIMITER"] = "1"  # inherited by the spawned workers

    server = FakeHighLevel()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    location = f"bench-{uuid.uuid4().hex[:12]}"
    shared = bool(settings.REDIS_URL)
    processes = args.processes if shared else 1
    threads = args.threads if shared else args.processes * args.threads

    if shared:
        context = multiprocessing.get_context("spawn")
        start, results = context.Barrier(processes + 1), context.Queue()
        workers = [
            context.Process(
                target=worker_process,
                args=(start, args.seconds, base_url, location, threads, results),
            )
            for _ in range(processes)
        ]
    else:
        import queue

        start, results = threading.Barrier(2), queue.Queue()
        workers = [
            threading.Thread(
                target=worker_process,
                args=(start, args.seconds, base_url, location, threads, results),
            )
        ]
    for worker in workers:
        worker.start()
    start.wait(timeout=120)  # every process is up: the clock starts now
    started = time.monotonic()
    outcomes = [item for _ in workers for item in results.get(timeout=args.seconds + 120)]
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    server.shutdown()

    waits = [value for kind, value in outcomes if kind == "wait"]
    errors = Counter(value for kind, value in outcomes if kind == "error")
    sent_ok = sum(1 for kind, _ in outcomes if kind == "sent")
    accepted = server.accepted
    # Rates over the run itself; grants reserved before the end still go out after it.
    in_run = [t for t in accepted if t < started + args.seconds]
    steady = [t for t in in_run if t >= started + HIGHLEVEL_WINDOW]
    steady_span = args.seconds - HIGHLEVEL_WINDOW
    limits = get_rate_limiter(location_id=location).limits

    print("HighLevel rate-limit benchmark" + (" — BASELINE, NO LIMITER" if args.no_limiter else ""))
    print(
        f"  machine        : {platform.platform()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    )
    print(
        f"  limiter store  : {'Redis ' + settings.REDIS_URL.split('@')[-1] if shared else 'process memory'}"
    )
    print(
        f"  limiter config : {limits.limit:g} per {limits.window:g} s (burst {limits.burst:g}), max wait {limits.max_wait:g} s"
    )
    print(
        f"  load           : {processes} processes x {threads} threads for {args.seconds:g} s (ran {elapsed:.1f} s)"
    )
    print(
        f"  requests sent  : {sum(server.statuses.values())} (200: {server.statuses[200]}, 429: {server.statuses[429]})"
    )
    print(f"  sends confirmed: {sent_ok}; client errors: {dict(errors) or 'none'}")
    print(
        f"  achieved rate  : {len(in_run) / args.seconds:.2f} req/s overall, "
        f"{len(steady) / steady_span if steady_span > 0 else 0:.2f} req/s after the first 10 s "
        f"(HighLevel allows {HIGHLEVEL_LIMIT / HIGHLEVEL_WINDOW:g}/s)"
    )
    print(
        f"  busiest 10 s   : {busiest_window(accepted)} requests (server-side, rolling; limit {HIGHLEVEL_LIMIT})"
    )
    if waits:
        print(
            f"  limiter wait   : p50 {percentile(waits, 50):.3f} s · p95 {percentile(waits, 95):.3f} s"
            f" · max {max(waits):.3f} s over {len(waits)} grants"
        )
    if server.statuses[429]:
        print("  FAIL: HighLevel answered 429")
        sys.exit(1)


if __name__ == "__main__":
    main()
