"""A real deployment on this machine, for the benchmarks that need one.

A throw-away PostgreSQL database, a dedicated Redis database number, and the project's
processes (gunicorn, Celery workers) started as children in their own process groups,
so that they can all be stopped together, by id, whatever happens. Loopback only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(server_url: str, name: str) -> str:
    """``server_url`` with its database name replaced by ``name``."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _psycopg_url(url: str) -> str:
    # dj-database-url style schemes (postgres://, postgresql://, pgsql://) -> libpq's.
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def pg_connect(url: str, **kwargs):
    """A psycopg connection (autocommit) to ``url``."""
    import psycopg

    return psycopg.connect(_psycopg_url(url), autocommit=True, connect_timeout=10, **kwargs)


@contextlib.contextmanager
def throwaway_database(server_url: str, name: str) -> Iterator[str]:
    """Create the database ``name`` on the server of ``server_url``; drop it at the end."""
    from psycopg import sql

    with pg_connect(server_url) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(server_url, name)
    finally:
        with pg_connect(server_url) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class Children:
    """Child processes, each the leader of its own process group, logging to files."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopped = False

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 (kept open by the child)
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: Ctrl-C reaches us, and we stop it
        )
        log.close()
        self.processes[name] = process
        return process

    def dead(self) -> list[str]:
        """Names of children that already exited."""
        return [name for name, p in self.processes.items() if p.poll() is not None]

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def _signal_group(self, process: subprocess.Popen, signum: int) -> None:
        # The group id is the child's pid (start_new_session); only groups we started.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)

    def stop_all(self, timeout: float = 20.0) -> None:
        """SIGTERM every child, wait up to ``timeout``, then SIGKILL what is left of its group.

        The leader alone gets SIGTERM: gunicorn's master and Celery's main process then
        shut down their own workers gracefully.
        """
        if self.stopped:
            return
        self.stopped = True
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.processes.values():
            # Even after the leader exited, a straggler of its group may remain.
            self._signal_group(process, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)


def wait_for_http(url: str, children: Children, timeout: float) -> None:
    """Until ``url`` answers 200; raises if it does not within ``timeout`` or a child died."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        if children.dead():
            raise RuntimeError(f"a child exited during start-up: {children.dead()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.2)


def wait_for_celery_workers(app, prefixes: list[str], children: Children, timeout: float) -> list:
    """Until a worker whose name starts with each of ``prefixes`` answers a ping."""
    deadline = time.monotonic() + timeout
    while True:
        replies = app.control.ping(timeout=1.0) or []
        names = [name for reply in replies for name in reply]
        if all(any(n.startswith(prefix) for n in names) for prefix in prefixes):
            return sorted(names)
        if children.dead():
            raise RuntimeError(f"a child exited during start-up: {children.dead()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Celery workers did not answer a ping within {timeout:.0f} s")
        time.sleep(0.5)
