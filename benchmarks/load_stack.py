"""The whole deployment on this machine, started by one script, for the load harness.

    .venv/bin/python benchmarks/load_stack.py [--claude offline|fake] [--keep-running]

Starts, as children in their own process groups (stopped together, by id, at the end), all
on 127.0.0.1:

- its own ``redis-server`` on a free port (cache, Celery broker, channel layer), or the
  Redis database of ``--redis-url``;
- a throw-away PostgreSQL database (``--db-name``, default ``jorge_load``) on the server of
  ``--database-url``, migrated and loaded with the demo data (``seed_demo``), plus staff
  sessions and API tokens for the load's users (written to ``credentials.json``);
- a fake HighLevel (``benchmarks/fake_highlevel.py``: 100 requests per 10 s per location,
  429 beyond, every request logged) and, with ``--claude fake``, a fake Claude
  (``benchmarks/fake_claude.py``: 1–3 s per call) reached through ``ANTHROPIC_BASE_URL``;
  with ``--claude offline`` no key is set and the offline engine answers;
- gunicorn (HTTP, ``--web-workers`` sync workers, or gthread with ``--web-threads``) serving ``benchmarks.load_wsgi`` (the
  project plus the bare baseline view ``/bench/bare/``), two daphne processes (WebSocket,
  ``config.asgi``), two Celery workers (``ingest,sends`` and ``turns``) and one beat.

Run alone it prints the addresses and waits for Ctrl-C; ``benchmarks/load_test.py`` uses
``Stack`` to run its load against it. Only loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
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
from _timing import lead_timezone

GHL_TOKEN = "load-location-token"  # noqa: S105 (the fake HighLevel's, not a secret)
GHL_LOCATION = "load-location"
WORKERS = {"ingest": "ingest,sends,celery", "turns": "turns"}


@dataclass
class Stack:
    """What ``start`` brought up: addresses, credentials, and the children to stop."""

    children: Children
    log_dir: Path
    http_url: str = ""
    ws_urls: list[str] = field(default_factory=list)
    ghl_url: str = ""
    claude_url: str = ""
    redis_url: str = ""
    database_url: str = ""
    credentials: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)
    ghl_log: Path | None = None
    timezone: str = ""
    processes: str = ""


def _wait_for_line(path: Path, prefix: str, children: Children, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith(prefix):
                    return line[len(prefix) :].strip()
        if children.dead():
            raise RuntimeError(f"a child exited during start-up: {children.dead()}")
        time.sleep(0.1)
    raise RuntimeError(f"{path.name} did not say {prefix!r} within {timeout:.0f} s")


def _wait_for_redis(url: str, timeout: float) -> None:
    import redis

    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(redis.RedisError):
            if redis.Redis.from_url(url).ping():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"Redis at {url} did not answer within {timeout:.0f} s")
        time.sleep(0.1)


def _signing_key(path: Path) -> str:
    """A new Ed25519 key, its private half written to ``path``; returns the public PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def child_env(*, database_url: str, redis_url: str, ghl_url: str, claude_url: str, tz: str):
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CELERY_", "DJANGO_", "GHL_", "ANTHROPIC_", "WEBCHAT_"))
    }
    return {
        **keep,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GHL_API_TOKEN": GHL_TOKEN,
        "GHL_API_BASE_URL": ghl_url,
        "GHL_LOCATION_ID": GHL_LOCATION,
        "ANTHROPIC_API_KEY": "fake-load-key" if claude_url else "",
        "ANTHROPIC_BASE_URL": claude_url,
        # Message webhooks carry no phone: their leads get DEFAULT_TIMEZONE, set where it is
        # early afternoon so that quiet hours do not defer every reply of a night run.
        "DEFAULT_TIMEZONE": tz,
        # The web chat's visitors come through one proxy: each says its own address.
        "WEBCHAT_TRUSTED_PROXIES": "1",
        # Samples (cache hits, reply times) reach the database soon after they happen.
        "PERFORMANCE_FLUSH_SECONDS": "5",
        "PYTHONUNBUFFERED": "1",
    }


def prepare(out: Path, *, staff: int, api_clients: int) -> None:
    """In a Django process: staff users with sessions, API tokens, ids to read (to ``out``)."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from leads.models import Contact, Conversation
    from leads.services.api_tokens import issue_api_token

    User = get_user_model()
    sessions, tokens = [], []
    for n in range(staff):
        user, _ = User.objects.get_or_create(
            username=f"load-staff-{n}", defaults={"is_staff": True, "email": f"s{n}@example.com"}
        )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    for n in range(api_clients):
        user, _ = User.objects.get_or_create(
            username=f"load-api-{n}", defaults={"is_staff": True, "email": f"a{n}@example.com"}
        )
        issued = issue_api_token(user=user, name=f"load {n}", scope="read", by=None)
        tokens.append(issued.secret)
    conversations = list(Conversation.objects.order_by("-pk").values_list("pk", flat=True)[:50])
    contacts = list(Contact.objects.order_by("-pk").values_list("pk", flat=True)[:50])
    out.write_text(
        json.dumps(
            {
                "sessions": sessions,
                "api_tokens": tokens,
                "conversations": conversations,
                "contacts": contacts,
            }
        )
    )


def start(
    *,
    database_url: str,
    db_name: str,
    redis_url: str,
    claude: str,
    web_workers: int,
    web_threads: int,
    ingest_concurrency: int,
    turns_concurrency: int,
    staff: int,
    api_clients: int,
    lead_zone: str,
    exit_stack: contextlib.ExitStack,
    log=print,
) -> Stack:
    """Bring the stack up; everything it starts is undone when ``exit_stack`` closes."""
    log_dir = Path(tempfile.mkdtemp(prefix="load-stack-"))
    children = Children(log_dir)
    exit_stack.callback(children.stop_all)
    stack = Stack(children=children, log_dir=log_dir)
    python = sys.executable

    if not redis_url:
        port = free_port()
        children.start(
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(log_dir),
            ],
            dict(os.environ),
        )
        redis_url = f"redis://127.0.0.1:{port}/0"
    _wait_for_redis(redis_url, 20)
    if "redis" not in children.processes:
        import redis

        redis.Redis.from_url(redis_url).flushdb()  # a database number of our own (--redis-url)
    stack.redis_url = redis_url

    stack.database_url = exit_stack.enter_context(throwaway_database(database_url, db_name))
    # Undone first (last in, first out): nothing may write to the database once it is dropped.
    exit_stack.callback(children.stop_all)
    stack.ghl_log = log_dir / "highlevel.jsonl"
    children.start(
        "fake-highlevel",
        [python, str(ROOT / "benchmarks/fake_highlevel.py"), "--log", str(stack.ghl_log)],
        dict(os.environ),
    )
    ghl_port = _wait_for_line(log_dir / "fake-highlevel.log", "listening on ", children, 20)
    stack.ghl_url = f"http://127.0.0.1:{ghl_port}"
    if claude == "fake":
        children.start(
            "fake-claude",
            [python, str(ROOT / "benchmarks/fake_claude.py")],
            {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        )
        claude_port = _wait_for_line(log_dir / "fake-claude.log", "listening on ", children, 60)
        stack.claude_url = f"http://127.0.0.1:{claude_port}"

    stack.timezone = lead_timezone(lead_zone)
    env = child_env(
        database_url=stack.database_url,
        redis_url=redis_url,
        ghl_url=stack.ghl_url,
        claude_url=stack.claude_url,
        tz=stack.timezone,
    )
    # HighLevel's signing key, played by a key of our own: the app trusts its public half.
    key_file = log_dir / "webhook-signing-key.pem"
    env["GHL_WEBHOOK_ED25519_PUBLIC_KEY"] = _signing_key(key_file)
    stack.env = env
    log(f"migrating and seeding {db_name} …", flush=True)
    subprocess.run(
        [python, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    # The demo data (what Jorge's dashboard and the API read) through the outbox and eager
    # tasks: the fake HighLevel and the workers see only the load itself.
    seed_env = {
        **env,
        "GHL_API_TOKEN": "",
        "ANTHROPIC_API_KEY": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    subprocess.run(
        [python, "manage.py", "seed_demo", "--allow-production"],
        cwd=ROOT,
        env=seed_env,
        check=True,
        timeout=600,
        stdout=subprocess.DEVNULL,
        stderr=open(log_dir / "seed.log", "wb"),  # noqa: SIM115
    )
    credentials = log_dir / "credentials.json"
    subprocess.run(
        [
            python,
            __file__,
            "--prepare",
            str(credentials),
            "--staff",
            str(staff),
            "--api-clients",
            str(api_clients),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    stack.credentials = {**json.loads(credentials.read_text()), "key_file": str(key_file)}

    http_port = free_port()
    children.start(
        "gunicorn",
        [
            python,
            "-m",
            "gunicorn",
            "benchmarks.load_wsgi:application",
            "--bind",
            f"127.0.0.1:{http_port}",
            "--workers",
            str(web_workers),
            "--worker-class",
            "gthread" if web_threads > 1 else "sync",
            "--threads",
            str(max(1, web_threads)),
            "--backlog",
            "2048",
            "--timeout",
            "30",
            "--log-level",
            "warning",
        ],
        env,
    )
    stack.http_url = f"http://127.0.0.1:{http_port}"
    for n in range(2):
        ws_port = free_port()
        children.start(
            f"daphne-{n}",
            [
                python,
                "-m",
                "daphne",
                "--bind",
                "127.0.0.1",
                "--port",
                str(ws_port),
                "-v",
                "0",
                "config.asgi:application",
            ],
            env,
        )
        stack.ws_urls.append(f"ws://127.0.0.1:{ws_port}")
    concurrency = {"ingest": ingest_concurrency, "turns": turns_concurrency}
    web = f"gthread×{web_threads}" if web_threads > 1 else "sync"
    stack.processes = (
        f"gunicorn {web_workers} {web} workers · daphne ×2 · Celery "
        + " + ".join(f"[{WORKERS[n]}] prefork×{concurrency[n]}" for n in WORKERS)
        + " · beat"
    )
    for name, queues in WORKERS.items():
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
                str(concurrency[name]),
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            env,
        )
    children.start(
        "celery-beat",
        [
            python,
            "-m",
            "celery",
            "--app",
            "config.celery",
            "beat",
            "--schedule",
            str(log_dir / "celerybeat-schedule"),
            "--loglevel",
            "WARNING",
        ],
        env,
    )

    from celery import Celery

    wait_for_http(f"{stack.http_url}/healthz", children, timeout=90)
    for url in stack.ws_urls:
        wait_for_http(url.replace("ws://", "http://") + "/healthz", children, timeout=90)
    app = Celery("load-stack-client", broker=redis_url)
    app.conf.broker_connection_retry_on_startup = True
    wait_for_celery_workers(app, list(WORKERS), children, timeout=120)
    return stack


def describe(stack: Stack) -> str:
    with pg_connect(stack.database_url) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    return (
        f"HTTP {stack.http_url} (gunicorn) · WebSocket {', '.join(stack.ws_urls)} (daphne) · "
        f"PostgreSQL {pg_version} · Redis {stack.redis_url} · fake HighLevel {stack.ghl_url} · "
        f"Claude {stack.claude_url or 'offline engine'} · leads' zone {stack.timezone}\n"
        f"{stack.processes}"
    )


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db-name", default="jorge_load")
    parser.add_argument(
        "--redis-url", default="", help="a Redis database to use (default: our own redis-server)"
    )
    parser.add_argument("--claude", choices=["offline", "fake"], default="offline")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--web-threads",
        type=int,
        default=1,
        help="over 1: gunicorn's gthread workers (default sync)",
    )
    parser.add_argument("--ingest-concurrency", type=int, default=2)
    parser.add_argument(
        "--turns-concurrency",
        type=int,
        default=0,
        help="default: 2 with the offline engine, 8 with the fake Claude (a turn waits on the "
        "model; docker-compose.yml runs 8)",
    )
    parser.add_argument("--lead-timezone", default="auto")


def stack_kwargs(args, *, staff: int, api_clients: int) -> dict:
    return {
        "database_url": args.database_url,
        "db_name": args.db_name,
        "redis_url": args.redis_url,
        "claude": args.claude,
        "web_workers": args.web_workers,
        "web_threads": args.web_threads,
        "ingest_concurrency": args.ingest_concurrency,
        "turns_concurrency": args.turns_concurrency or (8 if args.claude == "fake" else 2),
        "staff": staff,
        "api_clients": api_clients,
        "lead_zone": args.lead_timezone,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_stack_arguments(parser)
    parser.add_argument("--staff", type=int, default=5)
    parser.add_argument("--api-clients", type=int, default=5)
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(Path(args.prepare), staff=args.staff, api_clients=args.api_clients)
        return 0

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    with contextlib.ExitStack() as exit_stack:
        try:
            stack = start(
                **stack_kwargs(args, staff=args.staff, api_clients=args.api_clients),
                exit_stack=exit_stack,
            )
            print(describe(stack))
            print(f"logs in {stack.log_dir}; credentials in {stack.log_dir}/credentials.json")
            print("Ctrl-C stops everything and drops the database.", flush=True)
            while not stack.children.dead():
                time.sleep(1)
            print(f"a child exited: {stack.children.dead()}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main())
