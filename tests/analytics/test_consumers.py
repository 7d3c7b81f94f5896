"""The dashboard's WebSocket: who may listen, what they hear, and events from other processes."""

import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django.db import transaction

from analytics.services import broadcast_dashboard_event
from config.asgi import application
from leads.permissions import REVIEWERS_GROUP
from tests.analytics.processes import process_env
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# What a browser on the dashboard page sends: its Origin, and the Host it asked for.
ORIGIN = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
ROOT = Path(__file__).resolve().parents[2]


def _session_cookie(user, client):
    client.force_login(user)
    return [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def _connect(headers):
    communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def _jorge(client):
    user = await sync_to_async(UserFactory)(username="jorge", is_staff=True)
    communicator, connected, _ = await _connect(
        ORIGIN + await sync_to_async(_session_cookie)(user, client)
    )
    assert connected
    return communicator


def _publish(kind, data):
    with transaction.atomic():
        broadcast_dashboard_event(kind=kind, data=data)


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
    headers = [(b"origin", b"https://evil.example"), (b"host", b"127.0.0.1:8000")]
    headers += await sync_to_async(_session_cookie)(user, client)

    _, connected, _ = await _connect(headers)

    assert not connected


@pytest.mark.asyncio
async def test_a_socket_without_an_origin_is_refused(client):
    user = await sync_to_async(UserFactory)(username="jorge", is_staff=True)

    headers = [(b"host", b"127.0.0.1:8000")] + await sync_to_async(_session_cookie)(user, client)

    _, connected, _ = await _connect(headers)

    assert not connected


@pytest.mark.asyncio
async def test_on_connect_the_socket_says_the_latest_sequence_number(client):
    await sync_to_async(_publish)("lead.hot", {"contact": 1})
    await sync_to_async(_publish)("lead.hot", {"contact": 2})

    communicator = await _jorge(client)

    hello = await communicator.receive_json_from(timeout=2)
    assert hello["kind"] == "hello"
    assert hello["seq"] >= 2
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_staff_dashboard_receives_events_after_commit_numbered_in_sequence(client):
    communicator = await _jorge(client)
    hello = await communicator.receive_json_from(timeout=2)

    await sync_to_async(_publish)("lead.hot", {"contact": 7})
    first = await communicator.receive_json_from(timeout=2)
    await sync_to_async(_publish)("lead.hot", {"contact": 8})
    second = await communicator.receive_json_from(timeout=2)

    assert first["kind"] == "lead.hot"
    assert first["data"] == {"contact": 7}
    assert first["seq"] == hello["seq"] + 1
    assert second["seq"] == first["seq"] + 1
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_rolled_back_change_broadcasts_nothing(client):
    communicator = await _jorge(client)
    await communicator.receive_json_from(timeout=2)  # hello

    def publish_then_fail():
        with pytest.raises(RuntimeError), transaction.atomic():
            broadcast_dashboard_event(kind="lead.hot", data={})
            raise RuntimeError("boom")

    await sync_to_async(publish_then_fail)()

    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_reviewer_hears_ticket_events_and_nothing_about_leads(client):
    def reviewer():
        maria = UserFactory(username="maria", is_staff=True)
        # get_or_create: a transactional test's flush removed the migration's group.
        maria.groups.add(Group.objects.get_or_create(name=REVIEWERS_GROUP)[0])
        return maria

    maria = await sync_to_async(reviewer)()
    communicator, connected, _ = await _connect(
        ORIGIN + await sync_to_async(_session_cookie)(maria, client)
    )
    assert connected
    await communicator.receive_json_from(timeout=2)  # hello

    await sync_to_async(_publish)("lead.hot", {"contact": 7})
    await sync_to_async(_publish)("escalation.opened", {"ticket": 3})

    event = await communicator.receive_json_from(timeout=2)
    assert event["kind"] == "escalation.opened"
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_lead_texting_through_simulate_inbound_in_another_process_reaches_the_dashboard(
    client,
):
    """`python3 dev.py run` in one shell, `manage.py simulate_inbound` in another: the
    simulator's events reach the sockets the server holds (a shared channel layer)."""
    communicator = await _jorge(client)
    hello = await communicator.receive_json_from(timeout=2)
    env = await sync_to_async(process_env)()
    simulate = [sys.executable, "manage.py", "simulate_inbound", "--phone", "+17145550123"]

    result = await sync_to_async(subprocess.run)(
        [*simulate, "--name", "Ana Ruiz", "--text", "Hi, I want to sell my house in Fontana"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    kinds = []
    while "message.inbound" not in kinds or "conversation.updated" not in kinds:
        event = await communicator.receive_json_from(timeout=5)
        assert event["seq"] == hello["seq"] + len(kinds) + 1  # one series across processes
        kinds.append(event["kind"])
    assert "lead.new" in kinds
    await communicator.disconnect()
