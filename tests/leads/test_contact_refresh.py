"""A lead we know only by a message webhook is completed from HighLevel before we answer."""

from datetime import UTC, datetime

import httpx
import pytest
import respx
import time_machine

from leads.models import Contact, Message
from tests.leads.factories import ContactFactory, receive_sms

pytestmark = pytest.mark.django_db
API = "https://services.leadconnectorhq.com"
# 22:30 in New York, 19:30 in Los Angeles (the default zone).
EVENING = datetime(2026, 6, 11, 2, 30, tzinfo=UTC)


@pytest.fixture
def highlevel(settings, respx_mock):
    settings.GHL_API_TOKEN = "test-token"
    return respx_mock


@respx.mock(assert_all_called=False)
@time_machine.travel(EVENING, tick=False)
def test_a_new_lead_is_fetched_and_answered_in_their_own_quiet_hours(
    highlevel, django_capture_on_commit_callbacks
):
    fetch = highlevel.get(f"{API}/contacts/c-ny").mock(
        return_value=httpx.Response(
            200,
            json={
                "contact": {
                    "id": "c-ny",
                    "locationId": "loc",
                    "firstName": "Dana",
                    "phone": "+12125550188",
                    "timezone": "America/New_York",
                    "dnd": False,
                }
            },
        )
    )
    sends = highlevel.post(f"{API}/conversations/messages").mock(
        return_value=httpx.Response(200, json={"conversationId": "x", "messageId": "m"})
    )

    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("c-ny", "Hi, I want to buy a home")

    assert fetch.call_count == 1
    contact = Contact.objects.get(ghl_contact_id="c-ny")
    assert (contact.phone, contact.timezone, contact.first_name) == (
        "+12125550188",
        "America/New_York",
        "Dana",
    )
    reply = Message.objects.get(direction="outbound")
    assert reply.status == Message.Status.QUEUED
    assert reply.scheduled_for == datetime(2026, 6, 11, 12, 0, tzinfo=UTC)  # 08:00 in New York
    assert not sends.called


@respx.mock(assert_all_called=False)
@time_machine.travel(EVENING, tick=False)
def test_highlevel_down_still_gets_the_lead_an_answer(
    highlevel, django_capture_on_commit_callbacks
):
    highlevel.get(f"{API}/contacts/c-x").mock(
        return_value=httpx.Response(404, json={"message": "nope"})
    )
    highlevel.post(f"{API}/conversations/messages").mock(
        return_value=httpx.Response(200, json={"conversationId": "x", "messageId": "m"})
    )

    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("c-x", "Hi, I want to buy a home")

    reply = Message.objects.get(direction="outbound")
    assert reply.status == Message.Status.SENT  # 19:30 in the default zone


@respx.mock(assert_all_called=False)
@time_machine.travel(EVENING, tick=False)
def test_a_known_lead_is_not_fetched_again(highlevel, django_capture_on_commit_callbacks):
    fetch = highlevel.get(f"{API}/contacts/c-2").mock(return_value=httpx.Response(500))
    highlevel.post(f"{API}/conversations/messages").mock(
        return_value=httpx.Response(200, json={"conversationId": "x", "messageId": "m"})
    )
    ContactFactory(ghl_contact_id="c-2", ghl_location_id="loc", phone="+19095550111")

    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("c-2", "Hi, I want to buy a home")

    assert not fetch.called
