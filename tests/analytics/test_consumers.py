import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from analytics.services import broadcast_dashboard_event
from config.asgi import application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]


def _session_cookie(user, client):
    client.force_login(user)
    return [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def _connect(headers):
    communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.asyncio
async def test_anonymous_dashboard_socket_is_closed_with_4401():
    _, connected, code = await _connect(ORIGIN)
    assert not connected
    assert code == 4401


@pytest.mark.asyncio
async def test_non_staff_user_cannot_watch_the_dashboard(client):
    user = await sync_to_async(UserFactory)(username="visitor")
    headers = ORIGIN + await sync_to_async(_session_cookie)(user, client)

    _, connected, code = await _connect(headers)

    assert not connected
    assert code == 4403


@pytest.mark.asyncio
async def test_socket_from_a_foreign_origin_is_refused(client):
    user = await sync_to_async(UserFactory)(username="jorge", is_staff=True)
    headers = [(b"origin", b"https://evil.example")] + await sync_to_async(_session_cookie)(
        user, client
    )

    _, connected, _ = await _connect(headers)

    assert not connected


@pytest.mark.asyncio
async def test_staff_dashboard_receives_events_after_commit(client):
    user = await sync_to_async(UserFactory)(username="jorge", is_staff=True)
    headers = ORIGIN + await sync_to_async(_session_cookie)(user, client)
    communicator, connected, _ = await _connect(headers)
    assert connected

    def publish():
        with transaction.atomic():
            broadcast_dashboard_event(kind="lead.hot", data={"contact": 7})

    await sync_to_async(publish)()

    first = await communicator.receive_json_from(timeout=2)
    assert first["kind"] == "lead.hot"
    assert first["data"] == {"contact": 7}

    await sync_to_async(publish)()
    second = await communicator.receive_json_from(timeout=2)
    assert second["seq"] == first["seq"] + 1
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_rolled_back_change_broadcasts_nothing(client):
    user = await sync_to_async(UserFactory)(username="jorge", is_staff=True)
    headers = ORIGIN + await sync_to_async(_session_cookie)(user, client)
    communicator, connected, _ = await _connect(headers)
    assert connected

    def publish_then_fail():
        with pytest.raises(RuntimeError), transaction.atomic():
            broadcast_dashboard_event(kind="lead.hot", data={})
            raise RuntimeError("boom")

    await sync_to_async(publish_then_fail)()

    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()
