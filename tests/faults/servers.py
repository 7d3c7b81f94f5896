"""Servers of the fault tests' own: a redis-server and a PostgreSQL cluster that a test may
stop, hang and restart (never the shared ones on 6379 and 5432), and the app's processes
(gunicorn, a Celery worker) pointed at them, as a deployment runs them.

Everything listens on 127.0.0.1 on a free port and lives in a temporary directory; every
process is started here and stopped here by its own id.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")


def _pg_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None


PG_BINDIR = _pg_bindir()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen | None, *, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGCONT)  # a frozen process cannot exit
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


class RedisServer:
    """A redis-server as production runs it (AOF on, noeviction), on a port of its own."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--maxmemory-policy",
                "noeviction",
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(Exception):
                if self.client().ping():
                    return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Shut it down as an operator (or a crashed container's restart) would."""
        _stop(self.process)
        self.process = None

    def freeze(self) -> None:
        """Hang it: connections are still accepted by the kernel, nothing is answered."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def close(self) -> None:
        self.stop()


class PostgresCluster:
    """A PostgreSQL cluster made with initdb in a temporary directory, on a port of its own.

    PostgreSQL refuses to run as root: as root (CI, containers) the cluster's files belong
    to the ``postgres`` user and its commands run as that user.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(directory, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self._as, str(PG_BINDIR / name), *args], check=check, capture_output=True
        )

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def init(self) -> PostgresCluster:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off"  # speed; a crash of the server (not of the machine) keeps every commit
        )
        self._run(
            *("pg_ctl", "-D", str(self.data), "-o", options),
            *("-l", str(self.directory / "postgres.log"), "-w", "-t", "60", "start"),
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast``: an orderly shutdown; ``immediate``: as a crash (no checkpoint)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def connect(self, name: str):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=name, autocommit=True
        )


class AppProcesses:
    """The app's own processes (gunicorn, Celery workers), each in its own process group."""

    def __init__(self, directory: Path, env: dict[str, str]):
        self.directory = directory
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}
        self._ready: dict[str, object] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.directory / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )

    def web(self, name: str = "web", *, wait: bool = True) -> str:
        """gunicorn serving config.wsgi as production does (sync workers); returns its URL."""
        port = free_port()
        self.start(
            name,
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi:application"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30"),
            ],
        )
        url = f"http://127.0.0.1:{port}"
        self._ready[name] = lambda: httpx.get(f"{url}/healthz", timeout=2).status_code == 200
        if wait:
            self.wait(name)
        return url

    def worker(
        self, name: str = "worker", *, queues: str = "ingest,turns,sends,celery", wait: bool = True
    ) -> subprocess.Popen:
        """A Celery worker on every queue (prefork, one child), as ``make worker`` runs it."""
        hostname = f"{name}-{os.getpid()}"
        process = self.start(
            name,
            [
                *(sys.executable, "-m", "celery", "--app", "config.celery", "worker"),
                *("--queues", queues, "--concurrency", "1", "--loglevel", "INFO"),
                *("--hostname", f"{hostname}@%h", "--without-mingle", "--without-gossip"),
            ],
        )
        self._ready[name] = lambda: f"{hostname}@" in (log := self.log(name)) and " ready." in log
        if wait:
            self.wait(name)
        return process

    def serve(self) -> str:
        """A web process and a worker, started side by side; the web's URL once both serve."""
        url = self.web(wait=False)
        self.worker(wait=False)
        self.wait("web", "worker")
        return url

    def wait(self, *names: str, timeout: float = 120) -> None:
        """Until each of ``names`` (started with ``wait=False``) is ready to serve."""
        for name in names:
            self._wait(name, self._ready[name], timeout=timeout)

    def _wait(self, name: str, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if ready():
                    return
            process = self.processes[name]
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{self.log(name)[-3000:]}")
            time.sleep(0.2)

    def kill(self, name: str) -> None:
        """SIGKILL the whole group (a crash or an OOM kill: nothing is cleaned up)."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        if process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # what is left of its group
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)


def _serve_on_loopback(handler) -> tuple:
    """A threaded HTTP server of ``handler`` on a free port of 127.0.0.1, serving in a daemon
    thread; returns it and its URL."""
    import threading
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


class StalledClaude:
    """Anthropic's API, stalled: each request waits until ``release()`` (at most ``hold``
    seconds), then gets a 500 overloaded error, so the app falls back to its offline engine.
    Point the app at it with ``ANTHROPIC_BASE_URL``; ``requests`` counts what arrived."""

    def __init__(self, *, hold: float = 120.0):
        import threading
        from http.server import BaseHTTPRequestHandler

        self.requests = 0
        self.released = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests += 1
                outer.released.wait(hold)
                body = json.dumps(
                    {"type": "error", "error": {"type": "api_error", "message": "stalled"}}
                ).encode()
                with contextlib.suppress(OSError):  # the caller may be dead by now
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("x-should-retry", "false")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server, self.url = _serve_on_loopback(Handler)

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


class FlakyHighLevel:
    """HighLevel's API, failing on cue: each contact's sends follow a script of what happens
    to them in turn (``"500"``: refused, nothing sent; ``"429"``: rate limited with a
    Retry-After of a second, nothing sent; ``"lost"``: sent, then the answer takes longer than
    the client waits; ``"ok"``), then succeed. It keeps what it sent per conversation and
    lists it back as HighLevel does, and answers the contact and the other calls plainly.
    Point the app at it with ``GHL_API_BASE_URL``; ``sent(contact)`` says what reached the
    lead, ``attempts(contact)`` how many sends were tried."""

    def __init__(self, scripts: dict[str, list[str]], *, lost_for: float = 4.0):
        import itertools
        import threading
        from datetime import UTC, datetime
        from http.server import BaseHTTPRequestHandler

        self.scripts = {contact: list(steps) for contact, steps in scripts.items()}
        self.delivered: dict[str, list[dict]] = {}  # by conversation, oldest first
        self.tried: dict[str, int] = {}
        lock = threading.Lock()
        ids = itertools.count(1)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                with contextlib.suppress(OSError):  # the client may have given up by now
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def _body(self) -> dict:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                return json.loads(raw or b"{}")

            def do_POST(self):
                body = self._body()
                if self.path != "/conversations/messages":
                    return self._answer(200, {"succeded": True, "id": f"x-{next(ids)}"})
                contact = body.get("contactId", "")
                conversation = f"conv-{contact.removeprefix('lead-')}"
                with lock:
                    outer.tried[contact] = outer.tried.get(contact, 0) + 1
                    steps = outer.scripts.get(contact) or []
                    step = steps.pop(0) if steps else "ok"
                if step == "500":
                    return self._answer(500, {"message": "Internal server error"})
                if step == "429":
                    return self._answer(429, {"message": "Too many requests"}, {"Retry-After": "1"})
                message_id = f"ghl-msg-{next(ids)}"
                with lock:
                    outer.delivered.setdefault(conversation, []).append(
                        {
                            "id": message_id,
                            "direction": "outbound",
                            "body": body.get("message", ""),
                            "messageType": "TYPE_SMS",
                            "status": "delivered",
                            "contactId": contact,
                            "conversationId": conversation,
                            "dateAdded": datetime.now(UTC).isoformat(),
                        }
                    )
                if step == "lost":
                    time.sleep(lost_for)
                return self._answer(
                    201,
                    {"conversationId": conversation, "messageId": message_id, "status": "sent"},
                )

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                parts = path.strip("/").split("/")
                if parts[0] == "conversations" and parts[-1] == "messages":
                    with lock:
                        listed = list(reversed(outer.delivered.get(parts[1], [])))
                    return self._answer(200, {"messages": {"messages": listed, "nextPage": False}})
                if parts[0] == "contacts" and len(parts) == 2:
                    return self._answer(
                        200,
                        {"contact": {"id": parts[1], "locationId": "loc-faults", "tags": []}},
                    )
                return self._answer(200, {})

            def do_PUT(self):
                self._body()
                self._answer(200, {"succeded": True})

            def do_DELETE(self):
                self._body()
                self._answer(200, {"succeded": True})

            def log_message(self, *args):
                pass

        self.server, self.url = _serve_on_loopback(Handler)

    def sent(self, contact: str) -> list[str]:
        """The texts that reached ``contact``, oldest first."""
        return [m["body"] for m in self.delivered.get(f"conv-{contact.removeprefix('lead-')}", [])]

    def attempts(self, contact: str) -> int:
        return self.tried.get(contact, 0)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
