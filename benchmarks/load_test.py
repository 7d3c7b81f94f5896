"""Load test: 100 concurrent users for 5 minutes on the real stack, then the ack's throughput.

    .venv/bin/python benchmarks/load_test.py [--users 100] [--duration 300] [--claude offline|fake]
        [--ack-users 50] [--ack-seconds 15] [--ack-rounds 2] [--json results.json]
    make bench-load-profile                      # the full run, offline engine
    .venv/bin/python benchmarks/load_test.py --users 10 --duration 20 --ack-seconds 5   # smoke

1. ``benchmarks/load_stack.py`` starts the stack (gunicorn, two daphnes, two Celery workers
   and a beat on PostgreSQL and our own redis-server, the fake HighLevel, and with
   ``--claude fake`` the fake Claude); everything on 127.0.0.1.
2. **Profile** (locust, headless, ``--duration`` seconds, ``--users`` users spawned at
   ``--spawn-rate``): the mix of ``benchmarks/locustfile.py`` (signed webhook conversations
   50 % lead / 30 % buyer / 20 % seller, dashboard and API reads, web chat, open WebSockets).
3. **Acknowledgement throughput** (``--ack-rounds`` rounds of ``--ack-seconds`` each, bare view
   then webhook, ``--ack-users`` closed-loop users with no think time): the bare Django view
   ``/bench/bare/`` and ``POST /webhooks/ghl/`` on the same gunicorn. Processing is paused
   meanwhile (the ``ingest`` consumer is cancelled, then added back), as the bare view has
   none; the events are processed afterwards and checked like the rest.
4. **Checks**, once the queues are empty: every webhook stored once, processed once
   (``attempts`` = 1); every text of the profile answered exactly once, in the database and in
   the fake HighLevel's log; no 429 from the fake HighLevel.

Prints the machine (CPU, cores, RAM, load average before and after), the figures against
their targets, and exits 1 when a check fails. Stops everything and drops its database at
the end, also on Ctrl-C or SIGTERM. Only loopback traffic; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import load_stack
from _services import ROOT, pg_connect
from _timing import percentile

TARGETS = {
    "error_rate": 0.001,
    "ack_ratio": 0.5,
    "ack_p95_ms": 100.0,
    "api_p95_ms": 200.0,
    "reply_p95_ms": 250.0,
    "cache_hit_rate": 0.90,
}
CACHE_METRICS = ("cache.hit", "cache.miss")


# --- Machine -----------------------------------------------------------------------------


def machine() -> dict:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": ram,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()  # noqa: S607
    except (OSError, subprocess.SubprocessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


class CpuSampler:
    """CPU seconds used by each child's process group between ``start`` and ``stop``."""

    def __init__(self, children):
        self.children = children

    def _read(self) -> dict[str, float]:
        import psutil

        used: dict[str, float] = {}
        for name, process in self.children.processes.items():
            try:
                root = psutil.Process(process.pid)
                family = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            total = 0.0
            for p in family:
                with contextlib.suppress(psutil.Error):
                    times = p.cpu_times()
                    total += times.user + times.system
            used[name] = total
        return used

    def start(self) -> None:
        self.before, self.started = self._read(), time.monotonic()

    def stop(self) -> dict:
        after, seconds = self._read(), time.monotonic() - self.started
        return {
            "seconds": seconds,
            "cpu": {k: after[k] - self.before.get(k, 0.0) for k in after},
        }


# --- Locust --------------------------------------------------------------------------------


def run_locust(*, config: dict, users: int, spawn_rate: float, seconds: int, work: Path, tag: str):
    """One headless locust run; returns its raw samples and the locust process's CPU seconds."""
    import psutil

    config = {**config, "samples_file": str(work / f"samples-{tag}.json")}
    config_file = work / f"config-{tag}.json"
    config_file.write_text(json.dumps(config))
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "benchmarks/locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "5",
        "--only-summary",
        "--loglevel",
        "ERROR",
        "--exit-code-on-error",
        "0",
    ]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    env["LOAD_CONFIG"] = str(config_file)
    log = open(work / f"locust-{tag}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    watched = psutil.Process(process.pid)
    cpu = 0.0
    try:
        deadline = time.monotonic() + seconds + 90
        while process.poll() is None:
            with contextlib.suppress(psutil.Error):
                times = watched.cpu_times()
                cpu = times.user + times.system
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                raise RuntimeError(f"locust ({tag}) did not stop in time")
            time.sleep(0.5)
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
        log.close()
    samples_file = Path(config["samples_file"])
    if not samples_file.exists():
        tail = (work / f"locust-{tag}.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"locust ({tag}) wrote no samples:\n{tail}")
    data = json.loads(samples_file.read_text())
    data["locust_cpu"] = cpu
    return data


# --- Observations ----------------------------------------------------------------------------


def cache_counts(database_url: str) -> dict[tuple[str, str], int]:
    with pg_connect(database_url) as conn:
        rows = conn.execute(
            "SELECT metric, label, SUM(count) FROM analytics_performancebucket "
            "WHERE metric = ANY(%s) GROUP BY 1, 2",
            (list(CACHE_METRICS),),
        ).fetchall()
    return {(metric, label): int(n) for metric, label, n in rows}


def bot_reply_histogram(database_url: str) -> dict:
    with pg_connect(database_url) as conn:
        rows = conn.execute(
            "SELECT label, SUM(count), SUM(total) FROM analytics_performancebucket "
            "WHERE metric = 'bot.reply_time' GROUP BY 1"
        ).fetchall()
    return {
        label: {"n": int(n), "mean_ms": float(t) / int(n) if n else 0.0} for label, n, t in rows
    }


def drain(
    redis_url: str, database_url: str, run_id: str, stall: float, limit: float = 1200
) -> bool:
    """Until no task waits in a queue or runs, and no inbound message of the run awaits its turn.

    Gives up when the work left has not shrunk for ``stall`` seconds (or after ``limit`` in
    all): a backlog that is being worked through is waited for, however big the acknowledgement
    phase made it (on quiet cores it stores over 10,000 events in 30 s)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    started = last_progress = time.monotonic()
    least = None
    while time.monotonic() - started < limit:
        queued = sum(client.llen(q) for q in ("ingest", "turns", "sends", "celery"))
        queued += client.hlen("unacked")
        with pg_connect(database_url) as conn:
            waiting = conn.execute(
                "SELECT COUNT(*) FROM leads_webhookevent WHERE dedupe_key LIKE %s "
                "AND status IN ('received', 'processing', 'failed')",
                (f"ghl:{run_id}-%",),
            ).fetchone()[0]
            waiting += conn.execute(
                "SELECT COUNT(*) FROM leads_message WHERE direction = 'inbound' "
                "AND turn_outcome = '' AND channel IN ('sms', 'web') "
                "AND created_at > now() - interval '1 hour'"
            ).fetchone()[0]
        left = queued + waiting
        if left == 0:
            return True
        if least is None or left < least:
            least, last_progress = left, time.monotonic()
        elif time.monotonic() - last_progress > stall:
            return False
        time.sleep(1)
    return False


def check_webhooks(database_url: str, run_id: str) -> dict:
    with pg_connect(database_url) as conn:
        rows = conn.execute(
            "SELECT status, attempts, COUNT(*) FROM leads_webhookevent WHERE dedupe_key LIKE %s "
            "GROUP BY 1, 2",
            (f"ghl:{run_id}-%",),
        ).fetchall()
    by = {f"{status}/attempts={attempts}": int(n) for status, attempts, n in rows}
    stored = sum(by.values())
    once = sum(n for status, attempts, n in rows if status == "processed" and attempts == 1)
    return {"stored": stored, "processed_once": once, "by_status": by}


def check_replies(database_url: str, run_id: str, texts: list[dict], ghl_stats: dict) -> dict:
    """Each text of the profile: one inbound message, replied, one bot message, one send."""
    acked = Counter(m["contact"] for m in texts if m.get("ack_status") == 200)
    with pg_connect(database_url) as conn:
        rows = conn.execute(
            """
            SELECT c.ghl_contact_id,
                   COUNT(*) FILTER (WHERE m.direction = 'inbound'),
                   COUNT(*) FILTER (WHERE m.direction = 'inbound' AND m.turn_outcome = 'replied'),
                   COUNT(*) FILTER (WHERE m.direction = 'outbound' AND m.sender = 'bot'),
                   COUNT(*) FILTER (WHERE m.direction = 'outbound' AND m.sender = 'bot'
                                    AND m.status IN ('sent', 'delivered'))
            FROM leads_message m
            JOIN leads_conversation cv ON cv.id = m.conversation_id
            JOIN leads_contact c ON c.id = cv.contact_id
            WHERE c.ghl_contact_id LIKE %s AND c.ghl_contact_id NOT LIKE %s
            GROUP BY 1
            """,
            (f"{run_id}-%", f"{run_id}-ack-%"),
        ).fetchall()
        outcomes = dict(
            conn.execute(
                """
                SELECT m.turn_outcome, COUNT(*) FROM leads_message m
                JOIN leads_conversation cv ON cv.id = m.conversation_id
                JOIN leads_contact c ON c.id = cv.contact_id
                WHERE c.ghl_contact_id LIKE %s AND c.ghl_contact_id NOT LIKE %s
                  AND m.direction = 'inbound' GROUP BY 1
                """,
                (f"{run_id}-%", f"{run_id}-ack-%"),
            ).fetchall()
        )
        web = conn.execute(
            """
            SELECT COUNT(*) FILTER (WHERE m.direction = 'inbound'),
                   COUNT(*) FILTER (WHERE m.direction = 'inbound' AND m.turn_outcome = 'replied'),
                   COUNT(*) FILTER (WHERE m.direction = 'outbound' AND m.sender = 'bot')
            FROM leads_message m JOIN leads_conversation cv ON cv.id = m.conversation_id
            WHERE m.channel = 'web' AND m.created_at > now() - interval '2 hours'
            """
        ).fetchone()
    db = {row[0]: row[1:] for row in rows}
    sends = ghl_stats.get("sends_by_contact", {})
    problems: list[str] = []
    for contact, n in acked.items():
        inbound, replied, bot, sent = db.get(contact, (0, 0, 0, 0))
        if inbound != n:
            problems.append(f"{contact}: {n} texts acknowledged, {inbound} inbound messages stored")
        if replied != n or bot != n or sent != n:
            problems.append(
                f"{contact}: {n} texts, {replied} replied, {bot} bot messages, {sent} sent"
            )
        if sends.get(contact, 0) != n:
            problems.append(f"{contact}: {n} texts, {sends.get(contact, 0)} sends at HighLevel")
    return {
        "texts": sum(acked.values()),
        "contacts": len(acked),
        "answered_once": sum(
            n
            for c, n in acked.items()
            if db.get(c, (0, 0, 0, 0)) == (n, n, n, n) and sends.get(c) == n
        ),
        "turn_outcomes": {k or "(none)": v for k, v in outcomes.items()},
        "web_chat": {"inbound": web[0], "replied": web[1], "bot_messages": web[2]},
        "problems": problems,
    }


def ghl_stats(url: str) -> dict:
    import httpx

    return httpx.get(f"{url}/_bench/stats", timeout=10).json()


# --- Figures -------------------------------------------------------------------------------


def summarise(samples: list, *, since: float = 0.0) -> dict[str, dict]:
    by_name: dict[str, list] = defaultdict(list)
    for kind, name, ms, ok, t, note in samples:
        if t >= since:
            by_name[name].append((ms, ok, kind, note))
    out = {}
    for name, rows in by_name.items():
        times = [ms for ms, ok, _, _ in rows if ok]
        failures = Counter(note for _, ok, _, note in rows if not ok)
        out[name] = {
            "kind": rows[0][2],
            "n": len(rows),
            "failures": sum(failures.values()),
            "failure_notes": dict(failures.most_common(3)),
            "p50": percentile(times, 50) if times else None,
            "p95": percentile(times, 95) if times else None,
            "p99": percentile(times, 99) if times else None,
            "max": max(times) if times else None,
        }
    return out


def pooled(samples: list, predicate) -> dict:
    rows = [(ms, ok) for kind, name, ms, ok, t, note in samples if predicate(kind, name)]
    times = [ms for ms, ok in rows if ok]
    return {
        "n": len(rows),
        "failures": sum(1 for _, ok in rows if not ok),
        "p50": percentile(times, 50) if times else None,
        "p95": percentile(times, 95) if times else None,
        "p99": percentile(times, 99) if times else None,
    }


def throughput(samples: list, name: str, trim: float) -> float:
    times = sorted(t for kind, n, ms, ok, t, note in samples if n == name and ok)
    if len(times) < 2:
        return 0.0
    start, end = times[0] + trim, times[-1] - trim
    inside = [t for t in times if start <= t <= end]
    return len(inside) / (end - start) if end > start else 0.0


def fmt(value, unit="ms") -> str:
    if value is None:
        return "–"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


# --- Main ----------------------------------------------------------------------------------


def parse_mix(text: str) -> dict[str, int]:
    mix = {"texter": 40, "dashboard": 15, "api": 20, "chat": 10, "socket": 15}
    for part in filter(None, text.split(",")):
        name, _, weight = part.partition("=")
        if name not in mix:
            raise SystemExit(f"unknown user kind {name!r} in --mix (one of {', '.join(mix)})")
        mix[name] = int(weight)
    return mix


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    load_stack.add_stack_arguments(parser)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--duration", type=int, default=300, help="seconds of the profile")
    parser.add_argument(
        "--mix",
        default="",
        help="user weights, e.g. texter=40,dashboard=15,api=20,chat=10,socket=15",
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="first seconds of the profile not timed"
    )
    parser.add_argument("--think", default="8,18", help="a texter's pause between texts (s)")
    parser.add_argument("--duplicate-share", type=float, default=0.02)
    parser.add_argument("--reply-timeout", type=float, default=60.0)
    parser.add_argument("--ack-users", type=int, default=50)
    parser.add_argument("--ack-seconds", type=int, default=15)
    parser.add_argument("--ack-rounds", type=int, default=2)
    parser.add_argument("--json", default="", help="write every figure to this file")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    if args.users < 1 or args.duration < 5 or args.ack_seconds < 3:
        parser.error("--users >= 1, --duration >= 5 and --ack-seconds >= 3")
    mix = parse_mix(args.mix)

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    run_id = f"lt{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix="load-test-"))
    info = {"machine": machine(), "load_before": uptime(), "args": vars(args), "run_id": run_id}
    print(
        f"{info['machine']['date']} · {info['machine']['cpu']} · {info['machine']['nproc']} cores · "
        f"{info['machine']['ram']} RAM · Linux {info['machine']['kernel']} · Python "
        f"{info['machine']['python']}\nbefore: {info['load_before']}",
        flush=True,
    )
    failed: list[str] = []
    try:
        with contextlib.ExitStack() as exit_stack:
            stack = load_stack.start(
                **load_stack.stack_kwargs(args, staff=20, api_clients=20), exit_stack=exit_stack
            )
            info["stack"] = load_stack.describe(stack)
            print(info["stack"], flush=True)
            from celery import Celery

            app = Celery("load-test-client", broker=stack.redis_url)
            base = {
                "run_id": run_id,
                "http_url": stack.http_url,
                "ws_urls": stack.ws_urls,
                "ghl_url": stack.ghl_url,
                "location_id": load_stack.GHL_LOCATION,
                "key_file": stack.credentials["key_file"],
                "sessions": stack.credentials["sessions"],
                "api_tokens": stack.credentials["api_tokens"],
                "conversations": stack.credentials["conversations"],
                "mix": mix,
                "think_seconds": [float(x) for x in args.think.split(",")],
                "duplicate_share": args.duplicate_share,
                "reply_timeout": args.reply_timeout,
            }

            # --- 2. The profile ---
            time.sleep(6)  # start-up samples (seeding, first requests) flushed before counting
            cache_before = cache_counts(stack.database_url)
            sampler = CpuSampler(stack.children)
            sampler.start()
            print(f"profile: {args.users} users for {args.duration} s (mix {mix}) …", flush=True)
            profile_started = time.time()
            profile = run_locust(
                config={**base, "phase": "profile"},
                users=args.users,
                spawn_rate=args.spawn_rate,
                seconds=args.duration,
                work=work,
                tag="profile",
            )
            info["profile_cpu"] = sampler.stop()
            info["load_after_profile"] = uptime()
            drained = drain(stack.redis_url, stack.database_url, run_id, 120)
            time.sleep(7)  # every process's samples flushed (PERFORMANCE_FLUSH_SECONDS = 5)
            cache_after = cache_counts(stack.database_url)

            # --- 3. Acknowledgement throughput ---
            ack_samples: dict[str, list] = {"bare": [], "webhook": []}
            ack_rates: dict[str, list[float]] = {"bare": [], "webhook": []}
            ack_cpu = {
                phase: {"gunicorn": 0.0, "locust": 0.0, "requests": 0} for phase in ack_rates
            }
            ingest = [
                n for n in (app.control.ping(timeout=2) or []) for n in n if n.startswith("ingest@")
            ]
            app.control.cancel_consumer("ingest", destination=ingest, reply=True, timeout=5)
            try:
                for round_ in range(args.ack_rounds):
                    for phase in ("bare", "webhook"):
                        print(f"ack throughput, round {round_ + 1}: {phase} …", flush=True)
                        sampler.start()
                        data = run_locust(
                            config={
                                **base,
                                "phase": phase,
                                # enough for ~600 acks a second
                                "presigned": 600 * args.ack_seconds if phase == "webhook" else 0,
                                "bare_body": json.dumps(
                                    {"type": "InboundMessage", "body": "x" * 400}
                                ),
                            },
                            users=args.ack_users,
                            spawn_rate=args.ack_users,
                            seconds=args.ack_seconds,
                            work=work,
                            tag=f"{phase}-{round_}",
                        )
                        name = (
                            "bare Django view (POST)" if phase == "bare" else "webhook ack (POST)"
                        )
                        used = sampler.stop()["cpu"]
                        ack_cpu[phase]["gunicorn"] += used.get("gunicorn", 0.0)
                        ack_cpu[phase]["locust"] += data["locust_cpu"]
                        ack_cpu[phase]["requests"] += sum(
                            1 for sample in data["samples"] if sample[3]
                        )
                        ack_samples[phase] += data["samples"]
                        ack_rates[phase].append(
                            throughput(data["samples"], name, trim=min(2.0, args.ack_seconds / 5))
                        )
            finally:
                app.control.add_consumer("ingest", destination=ingest, reply=True, timeout=5)
            drained = drain(stack.redis_url, stack.database_url, run_id, 180) and drained
            info["load_after"] = uptime()

            # --- 4. Checks ---
            fake = ghl_stats(stack.ghl_url)
            webhooks = check_webhooks(stack.database_url, run_id)
            replies = check_replies(stack.database_url, run_id, profile["messages"], fake)
            bot_reply_app = bot_reply_histogram(stack.database_url)
            claude_stats = {}
            if stack.claude_url:
                import httpx

                claude_stats = httpx.get(f"{stack.claude_url}/_bench/stats", timeout=10).json()
    except KeyboardInterrupt:
        print("interrupted: the stack was stopped and its database dropped", file=sys.stderr)
        return 130

    # --- 5. Report ---
    # Errors count over the whole profile; times only after the warm-up (cold processes).
    everything = profile["samples"]
    http_ws = pooled(everything, lambda kind, name: kind != "BOT")
    error_rate = http_ws["failures"] / http_ws["n"] if http_ws["n"] else 1.0
    warm_from = profile_started + args.warmup
    samples = [s for s in everything if s[4] >= warm_from or s[1].startswith("websocket")]
    names = summarise(samples)
    ack = pooled(samples, lambda kind, name: name == "webhook: InboundMessage (ack)")
    api = pooled(samples, lambda kind, name: name.startswith("api: "))
    reply = pooled(samples, lambda kind, name: name.startswith("reply: "))
    hits = {
        label: cache_after.get(("cache.hit", label), 0) - cache_before.get(("cache.hit", label), 0)
        for (_, label) in set(cache_after) | set(cache_before)
    }
    misses = {
        label: cache_after.get(("cache.miss", label), 0)
        - cache_before.get(("cache.miss", label), 0)
        for (_, label) in set(cache_after) | set(cache_before)
    }
    lookups = sum(hits.values()) + sum(misses.values())
    hit_rate = sum(hits.values()) / lookups if lookups else 0.0
    bare_rate = sum(ack_rates["bare"]) / len(ack_rates["bare"]) if ack_rates["bare"] else 0.0
    hook_rate = (
        sum(ack_rates["webhook"]) / len(ack_rates["webhook"]) if ack_rates["webhook"] else 0.0
    )
    ratio = hook_rate / bare_rate if bare_rate else 0.0
    sat_bare = pooled(ack_samples["bare"], lambda k, n: True)
    sat_hook = pooled(ack_samples["webhook"], lambda k, n: True)
    duration = args.duration
    texts = replies["texts"]

    print()
    print(f"Machine: {info['machine']}")
    print(f"Load: before {info['load_before']}\n      after profile {info['load_after_profile']}")
    print(f"Stack: {info['stack']}")
    print()
    print(f"Times from second {args.warmup} of the profile on; errors over all of it.")
    print(f"{'request':<40}{'n':>7}{'fail':>6}{'p50':>10}{'p95':>10}{'p99':>10}{'max':>10}")
    for name, s in sorted(names.items(), key=lambda kv: (kv[1]["kind"], kv[0])):
        print(
            f"{name:<40}{s['n']:>7}{s['failures']:>6}{fmt(s['p50']):>10}{fmt(s['p95']):>10}"
            f"{fmt(s['p99']):>10}{fmt(s['max']):>10}"
        )
        for note, n in s["failure_notes"].items():
            print(f"    {n} × {note}")
    print()
    rows = [
        (
            "error rate (HTTP + WebSocket)",
            f"{error_rate:.3%} of {http_ws['n']:,}",
            "< 0.1 %",
            error_rate < TARGETS["error_rate"],
        ),
        (
            f"webhook ack throughput vs bare view ({args.ack_users} users)",
            f"{hook_rate:,.0f} vs {bare_rate:,.0f} req/s = {ratio:.2f}×",
            "≥ 0.5×",
            ratio >= TARGETS["ack_ratio"],
        ),
        (
            "webhook ack p95 (profile)",
            fmt(ack["p95"]),
            "< 100 ms",
            (ack["p95"] or 1e9) < TARGETS["ack_p95_ms"],
        ),
        ("API p95", fmt(api["p95"]), "< 200 ms", (api["p95"] or 1e9) < TARGETS["api_p95_ms"]),
        (
            f"bot reply p95, webhook → send ({'fake Claude' if stack.claude_url else 'offline'})",
            fmt(reply["p95"]),
            "< 250 ms (offline)",
            (reply["p95"] or 1e9) < TARGETS["reply_p95_ms"],
        ),
        (
            "dashboard cache hit rate",
            f"{hit_rate:.1%} of {lookups:,} lookups",
            "> 90 %",
            hit_rate > TARGETS["cache_hit_rate"],
        ),
        (
            "HighLevel 429s (fake HighLevel)",
            f"{fake['violations_429']} of {fake['requests']:,}",
            "0",
            fake["violations_429"] == 0,
        ),
        (
            "webhooks processed exactly once",
            f"{webhooks['processed_once']:,} of {webhooks['stored']:,} stored",
            "all",
            webhooks["processed_once"] == webhooks["stored"] and webhooks["stored"] > 0,
        ),
        (
            "texts answered exactly once (DB + HighLevel log)",
            f"{replies['answered_once']:,} of {texts:,}",
            "all",
            replies["answered_once"] == texts and texts > 0,
        ),
    ]
    print(f"{'target':<58}{'measured':<36}{'bar':<20}")
    for what, measured, bar, ok in rows:
        print(f"{what:<58}{measured:<36}{bar:<20}{verdict(ok)}")
    print()
    print(
        f"profile: {texts:,} texts in {duration} s ({texts / duration:.2f}/s) from "
        f"{replies['contacts']:,} leads; turn outcomes {replies['turn_outcomes']}; web chat "
        f"{replies['web_chat']}; WebSocket {profile['sockets']}"
    )
    print(
        f"fake HighLevel: {fake['requests']:,} requests {fake['operations']}, busiest 10 s "
        f"{fake['busiest_10s']}; app's own reply times (bot.reply_time) {bot_reply_app}"
    )
    if claude_stats:
        print(f"fake Claude: {claude_stats}")
    print(f"cache by tier: hits {hits}, misses {misses}")
    print(
        f"ack saturation: bare p50/p95 {fmt(sat_bare['p50'])}/{fmt(sat_bare['p95'])}, webhook "
        f"{fmt(sat_hook['p50'])}/{fmt(sat_hook['p95'])}; rounds bare {[round(r) for r in ack_rates['bare']]}, "
        f"webhook {[round(r) for r in ack_rates['webhook']]} req/s"
    )
    for phase, used in ack_cpu.items():
        n = max(1, used["requests"])
        print(
            f"ack phase {phase}: CPU per request gunicorn {used['gunicorn'] / n * 1000:.2f} ms, "
            f"locust {used['locust'] / n * 1000:.2f} ms ({used['requests']:,} requests)"
        )
    cpu = info["profile_cpu"]
    print(
        f"CPU seconds during the profile ({cpu['seconds']:.0f} s wall): "
        + ", ".join(f"{k} {v:.0f}" for k, v in sorted(cpu["cpu"].items(), key=lambda kv: -kv[1]))
        + f", locust {profile['locust_cpu']:.0f}"
    )
    print(f"after: {info['load_after']}")
    for problem in replies["problems"][:10]:
        print(f"  problem: {problem}")

    if not drained:
        failed.append("the queues stopped draining (nothing moved for minutes) or took over 20 min")
    if fake["violations_429"]:
        failed.append(f"{fake['violations_429']} HighLevel 429s")
    if webhooks["processed_once"] != webhooks["stored"]:
        failed.append("a webhook was not processed exactly once")
    if replies["answered_once"] != texts:
        failed.append("a text was not answered exactly once")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    **info,
                    "requests": names,
                    "targets": [
                        {"what": w, "measured": m, "bar": b, "met": ok} for w, m, b, ok in rows
                    ],
                    "ack_rates": ack_rates,
                    "ack_cpu": ack_cpu,
                    "cache": {"hits": hits, "misses": misses},
                    "fake_highlevel": {k: v for k, v in fake.items() if k != "sends_by_contact"},
                    "webhooks": webhooks,
                    "replies": {k: v for k, v in replies.items() if k != "problems"},
                    "problems": replies["problems"][:100],
                    "claude": claude_stats,
                },
                indent=2,
                default=str,
            )
        )
    if not args.keep_logs and not failed:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(stack.log_dir, ignore_errors=True)
    else:
        print(f"logs kept: locust in {work}, the stack in {stack.log_dir}", file=sys.stderr)
    if failed:
        print("FAILED: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
