"""Reply latency under load: new leads' webhooks → their replies sent, on gunicorn + Celery.

    .venv/bin/python benchmarks/reply_load.py [--leads-per-level 100] [--levels 1,10,50]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/12]

A real deployment on this machine, loopback only:

- a throw-away PostgreSQL database ``jorge_bench_<pid>`` on the server of --database-url
  (created, migrated, dropped at the end) and the Redis database of --redis-url (flushed
  at the start and at the end) as cache, Celery broker and result backend;
- gunicorn serving ``config.wsgi`` on a free 127.0.0.1 port (--web-workers sync workers);
- two Celery workers (``--app config.celery``, prefork, --worker-concurrency each), as a
  deployment runs them: one consuming ``ingest,sends,celery``, one consuming ``turns``.

No ANTHROPIC_API_KEY (offline engine) and no GHL_API_TOKEN: every HighLevel call goes
through the real client into the outbox table. DEFAULT_TIMEZONE (the zone of a lead with
no phone) is set where it is early afternoon (--lead-timezone), so that the quiet-hours
rule does not defer every reply when the benchmark runs at night.

For each concurrency level C (closed loop, C callers):

- baseline: a trivial Celery round trip through the same broker and workers
  (``celery.accumulate`` sent to the ``turns`` queue, its result read from Redis);
- replies: C virtual leads, each posting a signed InboundMessage webhook for a NEW lead
  (fresh contactId, conversationId, messageId, webhookId) and waiting until the reply's
  outbound Message row has status ``sent``, then starting the next new lead.

Reply latency runs from just before the POST until the poller sees the sent row. One
poller thread (its own database connection) looks every --poll-interval for sent outbound
messages of the conversations being waited on; another reads the round trips' results
from Redis at the same interval, so both are observed alike. The deployment is warmed
up first (10 leads, 20 round trips), and each caller's first --warmup calls of a level
are not measured. Task hops: the Redis LPUSH calls (kombu publishes each task message
with one) during a level's leads, per lead; at the end, the tasks each worker ran, by
name, from the workers' own counters (``inspect stats``). Exits 1 if any lead got no reply within
--reply-timeout or was not started before --level-timeout (or a round trip got no result).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from _services import (
    ROOT,
    Children,
    free_port,
    pg_connect,
    throwaway_database,
    wait_for_celery_workers,
    wait_for_http,
)
from _timing import LEAD_TEXTS, lead_timezone, percentile

WEBHOOK_PATH = "/webhooks/ghl/"
# Queues as a deployment starts them; the baseline's round trip goes to BASELINE_QUEUE.
WORKER_QUEUES = {"ingest": "ingest,sends,celery", "turns": "turns"}
BASELINE_QUEUE = "turns"
ALL_QUEUES = ("ingest", "turns", "sends", "celery")

TEXTS = [
    *LEAD_TEXTS,
    "Thinking about selling our place in Rancho Cucamonga, what is it worth?",
    "Buenas tardes, me interesa comprar una casa de 4 recámaras en Chino",
    "We are first time buyers, how does the process work?",
]

SENT_REPLIES = """
    SELECT DISTINCT c.ghl_conversation_id
    FROM leads_message m JOIN leads_conversation c ON c.id = m.conversation_id
    WHERE c.ghl_conversation_id <> '' AND c.ghl_conversation_id = ANY(%s)
      AND m.direction = 'outbound' AND m.status IN ('sent', 'delivered')
"""


# --- Observing completions: one poller thread per kind --------------------------------


class _Waiter:
    __slots__ = ("event", "seen_at")

    def __init__(self):
        self.event = threading.Event()
        self.seen_at = 0.0


class Poller(threading.Thread):
    """Every ``interval``, looks up all awaited keys at once and wakes those that are done."""

    def __init__(self, name: str, interval: float):
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.lock = threading.Lock()
        self.waiting: dict[str, _Waiter] = {}
        self.stopping = threading.Event()
        self.errors = 0
        self.polls = 0

    def expect(self, key: str) -> _Waiter:
        waiter = _Waiter()
        with self.lock:
            self.waiting[key] = waiter
        return waiter

    def forget(self, key: str) -> None:
        with self.lock:
            self.waiting.pop(key, None)

    def done(self, keys: list[str]) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def run(self) -> None:
        while not self.stopping.is_set():
            with self.lock:
                keys = list(self.waiting)
            if keys:
                try:
                    finished = self.done(keys)
                except Exception:  # a failed poll is counted and retried next tick
                    self.errors += 1
                    finished = []
                seen_at = time.perf_counter()
                self.polls += 1
                with self.lock:
                    waiters = [self.waiting.pop(k) for k in finished if k in self.waiting]
                for waiter in waiters:
                    waiter.seen_at = seen_at
                    waiter.event.set()
            self.stopping.wait(self.interval)


class ReplyPoller(Poller):
    """Keys are HighLevel conversation ids; done when an outbound message of it is sent."""

    def __init__(self, url: str, interval: float):
        super().__init__("reply-poller", interval)
        self.connection = pg_connect(url)

    def done(self, keys: list[str]) -> list[str]:
        rows = self.connection.execute(SENT_REPLIES, (keys,)).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self.connection.close()


class ResultPoller(Poller):
    """Keys are Celery task ids; done when the worker stored the task's result in Redis."""

    def __init__(self, redis_client, interval: float):
        super().__init__("result-poller", interval)
        self.redis = redis_client

    def done(self, keys: list[str]) -> list[str]:
        values = self.redis.mget([f"celery-task-meta-{k}" for k in keys])
        return [k for k, v in zip(keys, values, strict=True) if v is not None]


# --- The closed loop -----------------------------------------------------------------------


@dataclass
class Sample:
    started: float
    finished: float | None  # None: no completion within the timeout
    ack: float | None = None  # the HTTP answer or the publish, seconds after ``started``
    note: str = ""


@dataclass
class LevelRun:
    samples: list[Sample] = field(default_factory=list)
    warmup_failures: int = 0
    warmup_done: list[float] = field(default_factory=list)  # when warm-up calls completed
    skipped: int = 0  # not started because the level's deadline passed

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if s.finished is not None]

    @property
    def failures(self) -> int:
        return len(self.samples) - len(self.ok)

    def latencies(self) -> list[float]:
        return [s.finished - s.started for s in self.ok]

    def acks(self) -> list[float]:
        return [s.ack for s in self.samples if s.ack is not None]

    def throughput(self) -> float:
        """Completions per second from the first measured call to the last completion.

        Warm-up calls still completing inside that window count too: at high concurrency
        the first measured calls start while the warm-up wave is being worked off.
        """
        ok = self.ok
        if not ok:
            return 0.0
        start, end = min(s.started for s in self.samples), max(s.finished for s in ok)
        done = len(ok) + sum(1 for t in self.warmup_done if start <= t <= end)
        return done / (end - start) if end > start else 0.0


def closed_loop(*, concurrency: int, total: int, warmup: int, make_caller, deadline: float):
    """C callers; each makes ``warmup`` unmeasured calls, then they share ``total`` calls."""
    run = LevelRun()
    counter = itertools.count()
    lock = threading.Lock()

    def caller(index: int) -> None:
        call = make_caller(index)
        try:
            for _ in range(warmup):
                if time.monotonic() > deadline:
                    return
                finished = call().finished
                with lock:
                    if finished is None:
                        run.warmup_failures += 1
                    else:
                        run.warmup_done.append(finished)
            while True:
                with lock:
                    n = next(counter)
                if n >= total:
                    return
                if time.monotonic() > deadline:
                    with lock:
                        run.skipped += 1
                    continue
                sample = call()
                with lock:
                    run.samples.append(sample)
        finally:
            with contextlib.suppress(Exception):
                call.close()

    threads = [
        threading.Thread(target=caller, args=(i,), name=f"caller-{i}", daemon=True)
        for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # join in slices: Ctrl-C still reaches the main thread
            thread.join(0.2)
    return run


class LeadCaller:
    """One virtual lead: a new contact per call, webhook → reply sent."""

    def __init__(self, *, base_url, key, poller, run_id, level, index, timeout):
        import httpx

        self.client = httpx.Client(base_url=base_url, timeout=timeout)
        self.key, self.poller, self.timeout = key, poller, timeout
        self.prefix = f"rl-{run_id}-c{level}-{index}"
        self.n = 0
        self.random = random.Random(f"{run_id}-{level}-{index}")

    def payload(self) -> dict:
        self.n += 1
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        unique = f"{self.prefix}-{self.n}"
        return {
            "type": "InboundMessage",
            "locationId": "bench-location",
            "attachments": [],
            "body": self.random.choice(TEXTS),
            "contactId": f"{unique}-contact",
            "contentType": "text/plain",
            "conversationId": f"{unique}-conv",
            "dateAdded": now,
            "direction": "inbound",
            "messageType": "SMS",
            "messageId": f"{unique}-msg",
            "status": "delivered",
            "webhookId": f"{unique}-{uuid.uuid4()}",
            "timestamp": now,
        }

    def __call__(self) -> Sample:
        import httpx

        payload = self.payload()
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GHL-Signature": base64.b64encode(self.key.sign(body)).decode(),
        }
        conversation = payload["conversationId"]
        waiter = self.poller.expect(conversation)
        started = time.perf_counter()
        try:
            response = self.client.post(WEBHOOK_PATH, content=body, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        ack = time.perf_counter() - started
        if status != 200:
            self.poller.forget(conversation)
            return Sample(started, None, ack, note=f"HTTP {status}")
        if not waiter.event.wait(self.timeout):
            self.poller.forget(conversation)
            return Sample(started, None, ack, note=f"no reply: {conversation}")
        return Sample(started, waiter.seen_at, ack)

    def close(self) -> None:
        self.client.close()


class RoundTripCaller:
    """A trivial task through the broker and a worker, its result read back from Redis."""

    def __init__(self, *, app, poller, timeout):
        self.app, self.poller, self.timeout = app, poller, timeout

    def __call__(self) -> Sample:
        task_id = str(uuid.uuid4())
        waiter = self.poller.expect(task_id)
        started = time.perf_counter()
        self.app.send_task(
            "celery.accumulate",
            args=(1,),
            queue=BASELINE_QUEUE,
            task_id=task_id,
            ignore_result=False,  # the app ignores results by default; this round trip reads it
        )
        published = time.perf_counter() - started
        if not waiter.event.wait(self.timeout):
            self.poller.forget(task_id)
            return Sample(started, None, published, note=f"no result: {task_id}")
        return Sample(started, waiter.seen_at, published)

    def close(self) -> None:
        pass


# --- Redis observations ---------------------------------------------------------------------


def lpush_calls(redis_client) -> int:
    """Redis LPUSH calls so far: kombu's Redis transport publishes each task message with one."""
    stats = redis_client.info("commandstats")
    return int(stats.get("cmdstat_lpush", {}).get("calls", 0))


def drain(redis_client, timeout: float) -> bool:
    """Until no task message waits in a queue or is being worked on (kombu's ``unacked``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = sum(redis_client.llen(q) for q in ALL_QUEUES) + redis_client.hlen("unacked")
        if pending == 0:
            return True
        time.sleep(0.1)
    return False


def tasks_by_worker(app) -> dict[str, dict[str, int]]:
    """Tasks each worker ran so far, by name (the workers' own counters, via remote control)."""
    try:
        stats = app.control.inspect(timeout=2.0).stats() or {}
    except Exception:  # an observation only: the figures stand without it
        return {}
    return {worker: dict(info.get("total", {})) for worker, info in stats.items()}


# --- Set-up ------------------------------------------------------------------------------------


def child_env(*, database_url: str, redis_url: str, public_pem: str, timezone: str) -> dict:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_", "GHL_"))}
    return {
        **keep,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GHL_WEBHOOK_ED25519_PUBLIC_KEY": public_pem,
        "GHL_WEBHOOK_LOCATION_IDS": "bench-location",  # the payloads' location: applied
        "ANTHROPIC_API_KEY": "",
        "GHL_API_TOKEN": "",
        "DEFAULT_TIMEZONE": timezone,
        "PYTHONUNBUFFERED": "1",
    }


def start_deployment(children: Children, env: dict, args, port: int) -> None:
    python = sys.executable
    children.start(
        "gunicorn",
        [
            python,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.web_workers),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        env,
    )
    for name, queues in WORKER_QUEUES.items():
        children.start(
            f"celery-{name}",
            [
                python,
                "-m",
                "celery",
                "--app",
                "config.celery",
                "worker",
                "-Q",
                queues,
                "-n",
                f"{name}@%h",
                "--pool",
                "prefork",
                "--concurrency",
                str(args.worker_concurrency),
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            env,
        )


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "?"
    dirty = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = " (modified)" if status.stdout.strip() else ""
    return (out.stdout.strip() or "?") + dirty


# --- Report ------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def print_report(levels: list[dict]) -> None:
    head = (
        f"{'C':>3} {'leads':>6} {'sent':>5} {'reply p50':>10} {'p95':>7} {'max':>7} "
        f"{'replies/s':>10} {'ack p50':>8} {'p95':>6} │ {'trips':>5} {'rt p50':>7} {'p95':>6} "
        f"{'max':>6} {'trips/s':>8} │ {'p95 ratio':>9} {'msgs/lead':>9}"
    )
    print(head)
    print("─" * len(head))
    for level in levels:
        reply, trip = level["reply"], level["trip"]
        lat, acks = reply.latencies(), reply.acks()
        rt = trip.latencies()
        ratio = (
            f"{percentile(lat, 95) / percentile(rt, 95):.1f}×"
            if lat and rt and percentile(rt, 95) > 0
            else "–"
        )
        hops = level["hops"]
        print(
            f"{level['c']:>3} {len(reply.samples):>6} {len(reply.ok):>5} "
            f"{ms(percentile(lat, 50)) if lat else '–':>10} {ms(percentile(lat, 95)) if lat else '–':>7} "
            f"{ms(max(lat)) if lat else '–':>7} {reply.throughput():>10.1f} "
            f"{ms(percentile(acks, 50)) if acks else '–':>8} {ms(percentile(acks, 95)) if acks else '–':>6} │ "
            f"{len(trip.ok):>5} {ms(percentile(rt, 50)) if rt else '–':>7} "
            f"{ms(percentile(rt, 95)) if rt else '–':>6} {ms(max(rt)) if rt else '–':>6} "
            f"{trip.throughput():>8.1f} │ {ratio:>9} {hops if hops is not None else '–':>9}"
        )
    print(
        "Times in ms. C: concurrent callers (closed loop). leads/sent: measured new leads and "
        "replies seen sent. reply: POST → outbound Message 'sent'. ack: HTTP answer to the "
        "webhook. replies/s, trips/s: completions per second from the first measured call to "
        "the last completion (warm-up calls completing meanwhile included). rt: Celery round trip (celery.accumulate on queue "
        f"'{BASELINE_QUEUE}' → result in Redis). p95 ratio: reply p95 / round-trip p95. "
        "msgs/lead: task messages published to the broker (Redis LPUSH) per lead posted."
    )


# --- Main --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads-per-level", type=int, default=100)
    parser.add_argument("--levels", default="1,10,50", help="concurrency levels, e.g. 1,10,50")
    parser.add_argument(
        "--warmup", type=int, default=1, help="unmeasured calls per caller at each level"
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--reply-timeout", type=float, default=30.0)
    parser.add_argument("--level-timeout", type=float, default=240.0, help="per level and kind")
    parser.add_argument("--poll-interval", type=float, default=0.010)
    parser.add_argument("--lead-timezone", default="auto", help="DEFAULT_TIMEZONE for the app")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    if not levels or min(levels) < 1 or args.leads_per_level < 1:
        parser.error("levels and --leads-per-level must be positive")

    # SIGTERM behaves like Ctrl-C: the finally blocks stop the children and drop the database.
    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)

    import redis
    from celery import Celery
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    redis_client = redis.Redis.from_url(args.redis_url)
    redis_client.flushdb()
    db_name = f"jorge_bench_{os.getpid()}"
    log_dir = Path(tempfile.mkdtemp(prefix="reply-load-"))
    children = Children(log_dir)
    pollers: list[Poller] = []
    timezone = lead_timezone(args.lead_timezone)
    results: list[dict] = []
    failed_leads = failed_trips = 0
    clean = interrupted_run = False
    executed: dict[str, dict[str, int]] = {}
    started_run = time.monotonic()
    try:
        with throwaway_database(args.database_url, db_name) as database_url:
            env = child_env(
                database_url=database_url,
                redis_url=args.redis_url,
                public_pem=public_pem,
                timezone=timezone,
            )
            with pg_connect(database_url) as conn:
                pg_version = conn.execute("SHOW server_version").fetchone()[0]
            redis_version = redis_client.info("server")["redis_version"]
            print(
                f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.platform()} · "
                f"{os.cpu_count()} cores · load {os.getloadavg()[0]:.2f} · "
                f"Python {platform.python_version()} · commit {git_commit()}"
            )
            print(
                f"PostgreSQL {pg_version} (database {db_name}) · Redis {redis_version} "
                f"({args.redis_url}) · gunicorn {args.web_workers} sync workers · Celery "
                + " + ".join(
                    f"[{q}] prefork×{args.worker_concurrency}" for q in WORKER_QUEUES.values()
                )
                + f" · leads' zone {timezone} · offline engine · GHL outbox",
                flush=True,
            )
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
                cwd=ROOT,
                env=env,
                check=True,
                timeout=600,
            )
            port = free_port()
            base_url = f"http://127.0.0.1:{port}"
            try:
                start_deployment(children, env, args, port)
                app = Celery("reply-load-client", broker=args.redis_url)
                app.conf.broker_connection_retry_on_startup = True
                wait_for_http(f"{base_url}/healthz", children, timeout=90)
                workers = wait_for_celery_workers(app, list(WORKER_QUEUES), children, timeout=90)
                print(f"ready: {base_url} · workers {', '.join(workers)}", flush=True)

                reply_poller = ReplyPoller(database_url, args.poll_interval)
                result_poller = ResultPoller(redis_client, args.poll_interval)
                pollers = [reply_poller, result_poller]
                for poller in pollers:
                    poller.start()
                run_id = f"{os.getpid()}{int(time.time()) % 100000}"

                def lead_callers(level):
                    return lambda i: LeadCaller(
                        base_url=base_url,
                        key=key,
                        poller=reply_poller,
                        run_id=run_id,
                        level=level,
                        index=i,
                        timeout=args.reply_timeout,
                    )

                def trip_callers(i):
                    return RoundTripCaller(
                        app=app, poller=result_poller, timeout=args.reply_timeout
                    )

                # Warm-up of the whole deployment: imports, connections, the first turns.
                warm = closed_loop(
                    concurrency=2,
                    total=0,
                    warmup=5,
                    make_caller=lead_callers(0),
                    deadline=time.monotonic() + args.level_timeout,
                )
                closed_loop(
                    concurrency=2,
                    total=0,
                    warmup=10,
                    make_caller=trip_callers,
                    deadline=time.monotonic() + args.level_timeout,
                )
                failed_leads += warm.warmup_failures
                drain(redis_client, 60)

                for c in levels:
                    trip = closed_loop(
                        concurrency=c,
                        total=args.leads_per_level,
                        warmup=args.warmup,
                        make_caller=trip_callers,
                        deadline=time.monotonic() + args.level_timeout,
                    )
                    drain(redis_client, 60)
                    pushes_before = lpush_calls(redis_client)
                    reply = closed_loop(
                        concurrency=c,
                        total=args.leads_per_level,
                        warmup=args.warmup,
                        make_caller=lead_callers(c),
                        deadline=time.monotonic() + args.level_timeout,
                    )
                    drained = drain(redis_client, 60)
                    posted = len(reply.samples) + c * args.warmup
                    hops = (
                        f"{(lpush_calls(redis_client) - pushes_before) / posted:.2f}"
                        if drained and posted
                        else None
                    )
                    results.append({"c": c, "reply": reply, "trip": trip, "hops": hops})
                    failed_leads += reply.failures + reply.warmup_failures + reply.skipped
                    failed_trips += trip.failures + trip.warmup_failures + trip.skipped
                    lat = reply.latencies()
                    print(
                        f"level {c}: {len(reply.ok)}/{len(reply.samples)} replies, "
                        f"p95 {ms(percentile(lat, 95)) if lat else '–'} ms; "
                        f"{len(trip.ok)}/{len(trip.samples)} round trips"
                        + ("" if drained else " · queues not drained within 60 s"),
                        flush=True,
                    )
                    for sample in [s for s in reply.samples if s.finished is None][:5]:
                        print(f"  failed: {sample.note}")
                executed = tasks_by_worker(app)
            finally:
                # Before the database is dropped: nothing may still be writing to it.
                for poller in pollers:
                    poller.stopping.set()
                    poller.join(5)
                    with contextlib.suppress(Exception):
                        poller.close()
                children.stop_all()
            poll_errors = sum(p.errors for p in pollers)
            polls = sum(p.polls for p in pollers)
        clean = True
    except KeyboardInterrupt:
        interrupted_run = True
        print("interrupted: stopping the children and dropping the database", file=sys.stderr)
        return 130
    finally:
        for poller in pollers:
            poller.stopping.set()
        children.stop_all()
        with contextlib.suppress(Exception):
            redis_client.flushdb()
        if (clean or interrupted_run) and not args.keep_logs:
            shutil.rmtree(log_dir, ignore_errors=True)
        else:
            print(f"child logs kept in {log_dir}", file=sys.stderr)
            for name in children.processes:
                tail = children.log_tail(name, 15)
                if tail:
                    print(f"--- {name} (last lines) ---\n{tail}", file=sys.stderr)

    print()
    print_report(results)
    for worker, counts in sorted(executed.items()):
        listed = ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda x: -x[1]))
        print(f"tasks run by {worker} (whole run, warm-ups included): {listed or 'none'}")
    print(
        f"{len(levels)} levels · {args.leads_per_level} measured calls per level and kind "
        f"after {args.warmup} unmeasured per caller · poll every {args.poll_interval * 1000:.0f} ms "
        f"({polls} polls, {poll_errors} errors) · run took {time.monotonic() - started_run:.0f} s"
    )
    if failed_leads or failed_trips:
        print(
            f"FAILED: {failed_leads} lead(s) got no reply within {args.reply_timeout:.0f} s "
            f"(or were not started before the level deadline); {failed_trips} round trip(s) "
            "got no result",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
