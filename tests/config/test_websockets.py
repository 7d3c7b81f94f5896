"""The WebSocket door: only this site's own pages (host and port) may open a socket, and a path
that is no route closes cleanly with 4404 instead of a 500 (config/websocket.py)."""

import base64
import os
import socket
from urllib.parse import urlsplit

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from tests.analytics.conftest import daphne_server  # noqa: F401 - daphne serving config.asgi
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SITE = "127.0.0.1:8000"


def _session_cookie(client):
    client.force_login(UserFactory(username="jorge", is_staff=True))
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


async def _open(path, *, origin, host=SITE, cookie=None):
    headers = [(b"origin", origin.encode()), (b"host", host.encode())]
    if cookie:
        headers.append(cookie)
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.asyncio
async def test_an_unknown_path_opens_and_closes_with_4404():
    communicator, connected, _ = await _open("/ws/nope/", origin=f"http://{SITE}")

    assert connected
    assert (await communicator.receive_output())["code"] == 4404


@pytest.mark.asyncio
async def test_a_page_on_another_port_of_the_same_host_cannot_open_jorges_socket(client):
    # Cookies are not per port: another app on this host would send Jorge's session.
    cookie = await sync_to_async(_session_cookie)(client)

    _, connected, _ = await _open("/ws/dashboard/", origin="http://127.0.0.1:9999", cookie=cookie)

    assert not connected


@pytest.mark.asyncio
async def test_the_sites_own_page_opens_jorges_socket(client):
    cookie = await sync_to_async(_session_cookie)(client)

    communicator, connected, _ = await _open(
        "/ws/dashboard/", origin=f"http://{SITE}", cookie=cookie
    )

    assert connected
    assert (await communicator.receive_json_from())["kind"] == "hello"
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_the_default_port_of_https_matches_a_host_without_one(client, settings):
    settings.ALLOWED_HOSTS = ["jorge.example.com"]
    cookie = await sync_to_async(_session_cookie)(client)

    communicator, connected, _ = await _open(
        "/ws/dashboard/",
        origin="https://jorge.example.com",
        host="jorge.example.com",
        cookie=cookie,
    )

    assert connected
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_host_outside_allowed_hosts_is_refused_even_from_its_own_page(client):
    cookie = await sync_to_async(_session_cookie)(client)

    _, connected, _ = await _open(
        "/ws/dashboard/", origin="http://evil.example", host="evil.example", cookie=cookie
    )

    assert not connected


@pytest.mark.asyncio
async def test_a_trusted_origin_passes_when_a_proxy_rewrote_the_host(client, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://jorge.example.com"]
    cookie = await sync_to_async(_session_cookie)(client)

    communicator, connected, _ = await _open(
        "/ws/dashboard/", origin="https://jorge.example.com", host="127.0.0.1:8000", cookie=cookie
    )

    assert connected
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_the_dashboard_socket_still_needs_a_login():
    _, connected, code = await _open("/ws/dashboard/", origin=f"http://{SITE}")

    assert not connected
    assert code == 4401


def _handshake(url: str, path: str) -> tuple[int, int | None]:
    """A browser's WebSocket handshake to a real server: (HTTP status, close code if opened)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nOrigin: {url}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, frames = data.partition(b"\r\n\r\n")
        status = int(head.split()[1])
        if status != 101:
            return status, None
        while len(frames) < 4:
            frames += sock.recv(4096)
        assert frames[0] == 0x88  # a close frame, final
        return status, int.from_bytes(frames[2:4], "big")


def test_daphne_answers_an_unknown_path_with_a_clean_close_not_a_500(daphne_server):  # noqa: F811
    assert _handshake(daphne_server.url, "/ws/nope/") == (101, 4404)
    assert _handshake(daphne_server.url, "/not-a-socket") == (101, 4404)
    assert "Traceback" not in daphne_server.log.read_text()
