"""Fixtures of the fault tests: servers of their own to break (tests/faults/servers.py),
HighLevel deliveries signed with a test key, and the Celery app pointed at a broker."""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.faults.servers import (
    PG_BINDIR,
    REDIS_SERVER,
    AppProcesses,
    PostgresCluster,
    RedisServer,
)


class WebhookKey:
    """An Ed25519 key pair: the app trusts the public half, the test signs deliveries."""

    def __init__(self):
        self.private = ed25519.Ed25519PrivateKey.generate()
        self.public_pem = (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def headers(self, body: bytes) -> dict[str, str]:
        signature = base64.b64encode(self.private.sign(body)).decode()
        return {"Content-Type": "application/json", "X-GHL-Signature": signature}


@pytest.fixture
def webhook_key(settings) -> WebhookKey:
    key = WebhookKey()
    settings.GHL_WEBHOOK_ED25519_PUBLIC_KEY = key.public_pem
    return key


def inbound_sms(n: int | str, text: str = "Hi, I want to sell my house", **extra) -> dict:
    """A HighLevel InboundMessage from lead ``n``, as HighLevel delivers it."""
    now = datetime.now().astimezone().isoformat()
    return {
        "type": "InboundMessage",
        "locationId": "loc-faults",
        "contactId": f"lead-{n}",
        "conversationId": f"conv-{n}",
        "messageId": f"sms-{n}",
        "webhookId": f"wh-{n}",
        "body": text,
        "direction": "inbound",
        "messageType": "SMS",
        "dateAdded": now,
        "timestamp": now,
        **extra,
    }


def app_env(
    *, database_url: str, key: WebhookKey, redis_url: str = "", directory: Path, **extra: str
) -> dict[str, str]:
    """The environment of the app processes a fault test starts: the deployment's settings
    with shortened sweeps (tests/faults/settings.py), on ``database_url`` (and ``redis_url``),
    trusting ``key``; no outside service is configured, so nothing reaches the network."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_", "REDIS_", "CELERY_", "DJANGO_", "GHL_", "ANTHROPIC_"))
    }
    zone = daytime_zone()
    env |= {
        "DJANGO_SETTINGS_MODULE": "tests.faults.settings",
        "DATABASE_URL": database_url,
        "GHL_WEBHOOK_ED25519_PUBLIC_KEY": key.public_pem,
        "ANTHROPIC_API_KEY": "",
        "GHL_API_TOKEN": "",
        "GHL_CALENDAR_ID": "",
        "FINANCIAL_ASSESSMENT_URL": "",
        "EMAIL_URL": "",
        "DEFAULT_TIMEZONE": zone,
        "BUSINESS_TIMEZONE": zone,
        "CHANNEL_LAYER_SQLITE_PATH": str(directory / "channels.sqlite3"),
        "MEDIA_ROOT": str(directory / "media"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def app_processes(tmp_path: Path, *, key: WebhookKey, redis_url: str, **extra: str) -> AppProcesses:
    """The app's processes (none started yet) on the test database and ``redis_url``, with
    ``extra`` settings in their environment."""
    from tests.analytics.processes import database_url

    return AppProcesses(
        tmp_path / "app",
        app_env(
            database_url=database_url(), redis_url=redis_url, key=key, directory=tmp_path, **extra
        ),
    )


def daytime_zone() -> str:
    """A time zone where it is now mid-day, so a bot's reply is never held for quiet hours
    (app processes cannot have their clock moved as the in-process tests do)."""
    for offset in range(-12, 15):
        name = f"Etc/GMT{'+' if offset <= 0 else '-'}{abs(offset)}"
        if 11 <= datetime.now(ZoneInfo(name)).hour <= 16:
            return name
    raise AssertionError("no time zone at mid-day")  # there always is one


def queued_tasks(redis_client, queue: str) -> list[tuple[str, list]]:
    """The tasks waiting in a Celery queue of a Redis broker: (task name, args)."""
    tasks = []
    for raw in redis_client.lrange(queue, 0, -1):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        tasks.append((message["headers"]["task"], args))
    return tasks


def in_thread(function, *, timeout: float):
    """``function()`` in a thread of its own: a call stuck on a hung server fails the test
    after ``timeout`` seconds instead of hanging it (the thread is left behind, daemonic)."""
    result: dict = {}

    def run():
        try:
            result["value"] = function()
        except BaseException as exc:  # re-raised in the test's thread
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise AssertionError(f"still waiting after {timeout} s")
    if "error" in result:
        raise result["error"]
    return result["value"]


def wait_until(condition, *, timeout: float, interval: float = 0.2, message: str = ""):
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(message or f"not true within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, on a free port: stop it, hang it, restart it."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.close()


@pytest.fixture
def pg_cluster(tmp_path: Path) -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of this test's own (initdb), on a free port."""
    if PG_BINDIR is None:
        pytest.skip("the PostgreSQL server binaries are not installed")
    # Not under tmp_path: as root the cluster runs as ``postgres``, who cannot enter root's
    # private temporary directories.
    directory = Path(tempfile.mkdtemp(prefix="jorge-faults-pg-"))
    cluster = PostgresCluster(directory).init()
    cluster.start()
    yield cluster
    cluster.stop("immediate")
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def celery_broker(redis_server) -> Iterator[RedisServer]:
    """The Celery app of this process publishing to ``redis_server`` instead of running tasks
    in-process: what a web process does in production (``REDIS_URL`` set)."""
    from config.celery import app

    def repoint(**conf) -> None:
        from kombu import pools

        app.conf.update(**conf)
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        # kombu's process-wide producer pools still hold the closed connections: forget them,
        # or the next test's publish fails with "Acquire on closed pool".
        pools.reset()

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    repoint(broker_url=redis_server.url(0), task_always_eager=False)
    yield redis_server
    repoint(**saved)
