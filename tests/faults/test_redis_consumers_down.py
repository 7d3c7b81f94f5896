"""What else lives in Redis falls back when it goes: the HighLevel rate limiter limits each
process alone (a send is never lost for want of it), and a channel layer that is down or hung
costs the pipeline at most one short wait (the dashboard resyncs from the database) while the
dashboard's pages still render. The Redis is a redis-server of the test's own."""

import json
import time

import httpx
import pytest
from django.test import Client

from analytics import services as dashboard
from leads.ghl import client as ghl_client
from leads.models import Message, SendLedgerEntry
from leads.services.outbound import send_message_once
from tests.conftest import business_hours_clock
from tests.faults.conftest import in_thread, inbound_sms
from tests.leads.factories import ContactFactory, ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db(transaction=True)

SEND_OK = {"conversationId": "conv-1", "messageId": "ghl-msg-1", "msg": "ok"}


@pytest.fixture
def redis_cache(settings, redis_server):
    """The cache (and with it the rate limiter's Redis) on the test's own redis-server."""
    settings.REDIS_URL = redis_server.url(0)
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_server.url(0),
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    return redis_server


def test_a_send_goes_out_once_while_the_rate_limiters_redis_is_down(redis_cache, settings):
    settings.GHL_API_TOKEN = "pit-test"
    sent = []

    def highlevel(request):
        sent.append(json.loads(request.read()))
        return httpx.Response(200, json=SEND_OK)

    message = MessageFactory(
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        status=Message.Status.QUEUED,
        body="Thanks Ana! What area are you looking in?",
    )
    redis_cache.stop()
    client = ghl_client.HighLevelClient(
        token="pit-test",
        location_id="loc-1",
        transport=httpx.MockTransport(highlevel),
        limiter=ghl_client.get_rate_limiter(),
    )

    entry = send_message_once(ledger_key="k-limiter", message=message, client=client)

    # The limiter could not reach Redis: this process limited itself, and the text went out.
    assert entry.status == SendLedgerEntry.Status.SENT
    assert len(sent) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


@pytest.fixture
def redis_channel_layer(settings, redis_server):
    """The dashboard's channel layer on the test's own redis-server, as REDIS_URL makes it."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": redis_server.url(1),
                        "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
                    }
                ]
            },
        }
    }
    yield redis_server
    dashboard._layer_down_until = 0.0  # the next test's pushes are not skipped


def _deliver(key, n: int) -> tuple[int, float]:
    """Lead ``n`` texts in, at 10:00 in California (a reply is sent at once, not deferred)."""

    def post():
        with business_hours_clock():
            body = json.dumps(inbound_sms(n)).encode()
            started = time.monotonic()
            response = Client().post(
                "/webhooks/ghl/",
                data=body,
                content_type="application/json",
                HTTP_X_GHL_SIGNATURE=key.headers(body)["X-GHL-Signature"],
            )
        return response.status_code, time.monotonic() - started

    # A thread of its own: a pipeline that waited for the hung layer would hang the test.
    return in_thread(post, timeout=60)


@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_with_the_channel_layer_down_every_lead_is_still_answered_at_once(
    redis_channel_layer, webhook_key, fault
):
    if fault == "stopped":
        redis_channel_layer.stop()
    else:
        redis_channel_layer.freeze()
    try:
        answers = [_deliver(webhook_key, n) for n in range(3)]
    finally:
        if fault == "hung":
            redis_channel_layer.thaw()

    assert [status for status, _ in answers] == [200, 200, 200]
    # Each delivery ran its whole pipeline in-process (tasks are eager here): the first push
    # waited for the layer at most BROADCAST_TIMEOUT_SECONDS, the later ones not at all.
    assert sum(seconds for _, seconds in answers) < dashboard.BROADCAST_TIMEOUT_SECONDS + 10
    replies = Message.objects.filter(direction="outbound", status="sent")
    assert sorted(replies.values_list("conversation__contact__ghl_contact_id", flat=True)) == [
        "lead-0",
        "lead-1",
        "lead-2",
    ]


def test_the_dashboard_still_renders_from_the_database_with_redis_down(
    redis_cache, redis_channel_layer, staff_user
):
    contact = ContactFactory(first_name="Maria", last_name="Lopez")
    ConversationFactory(contact=contact)
    client = Client()
    client.force_login(staff_user)  # the session lives in the database
    redis_cache.stop()  # the cache and the channel layer with it

    for page in ("/dashboard/", "/dashboard/overview/kpis/", "/dashboard/conversations/"):
        response = client.get(page)
        assert response.status_code == 200, page
    assert "Maria" in client.get("/dashboard/conversations/").content.decode()
