"""The dashboard's browser tests run against daphne, the server `python3 dev.py run` uses:
pytest-django's live server speaks HTTP only, and the dashboard needs its WebSocket."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from playwright.sync_api import sync_playwright

from tests.analytics.processes import process_env
from tests.browser import Browser
from tests.leads.conftest import (  # noqa: F401 - signed webhooks and a faked Claude, for test_performance
    _key_pairs,
    claude_settings,
    fake_claude,
    ghl,
    ghl_keys,
    signer,
)

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Server:
    url: str
    key: ed25519.Ed25519PrivateKey  # the webhook key it trusts, to sign HighLevel deliveries
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def daphne_server(django_db_setup, tmp_path_factory) -> Iterator[Server]:
    """daphne serving config.asgi on the test database, trusting a fresh webhook key; one
    per module (it reads whatever each transactional test committed)."""
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    port = _free_port()
    env = process_env(
        GHL_WEBHOOK_ED25519_PUBLIC_KEY=pem.decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_DEBUG="false",
    )
    log = tmp_path_factory.mktemp("daphne") / "daphne.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"daphne did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Server(url=url, key=key, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def live_browser(daphne_server, transactional_db, tmp_path, monkeypatch) -> Iterator[Browser]:
    """Headless Chromium against ``daphne_server`` (as tests.browser's fixture does for the
    HTTP-only live server): ``live_browser.page("phone")``."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        opened = Browser(playwright, daphne_server.url, tmp_path)
        try:
            yield opened
        finally:
            opened.close()
    assert opened.blocked == [], f"the page reached outside the site: {opened.blocked}"
    assert opened.csp_violations == [], opened.csp_violations
