"""Staff steer the bots from the admin: the kill switch and the reply wording."""

from datetime import UTC, datetime

import pytest
import time_machine

from compliance.models import AuditEvent
from leads import selectors
from leads.models import Message, ReplyTemplate
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, receive_sms

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="maria", is_staff=True, is_superuser=True))
    return client


def test_kill_switch_in_the_admin_stops_every_bot_and_is_audited(
    staff_client, django_capture_on_commit_callbacks
):
    selectors.bot_settings()
    response = staff_client.post(
        "/admin/leads/botsettings/1/change/",
        {
            "bots_enabled": "",
            "max_unanswered_automated": 6,
            "followup_days": "[1, 3, 7, 14, 30]",
            "email_followup_day": 14,
            "speed_to_lead_seconds": 300,
        },
    )
    assert response.status_code == 302

    ContactFactory(ghl_contact_id="c-1", ghl_location_id="loc")
    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("c-1", "Hi, I want to buy", conversation_id="v-1")

    assert not Message.objects.filter(direction="outbound").exists()
    event = AuditEvent.objects.get(action="bots.kill_switch")
    assert event.actor_label == "maria"
    assert event.data["bots_enabled"] is False


def test_every_bot_message_is_listed_for_editing_in_both_languages(staff_client):
    response = staff_client.get("/admin/leads/replytemplate/")

    assert response.status_code == 200
    assert ReplyTemplate.objects.filter(key="greeting", language="es").exists()
    assert ReplyTemplate.objects.filter(key="opt_out_confirmation", language="en").exists()
    assert staff_client.get("/admin/leads/replytemplate/add/").status_code == 403


@time_machine.travel(datetime(2026, 5, 5, 18, 0, tzinfo=UTC), tick=False)
def test_edited_wording_is_what_the_bot_sends(staff_client, django_capture_on_commit_callbacks):
    staff_client.get("/admin/leads/replytemplate/")
    template = ReplyTemplate.objects.get(key="ask_intent", language="en")
    staff_client.post(
        f"/admin/leads/replytemplate/{template.pk}/change/",
        {"body": "Buying, selling, or both, {first_name}?"},
    )

    ContactFactory(ghl_contact_id="c-2", ghl_location_id="loc", first_name="Dana", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("c-2", "hello there", conversation_id="v-2")

    reply = Message.objects.get(direction="outbound")
    assert reply.body.endswith("Buying, selling, or both, Dana?")


def test_a_template_with_broken_braces_is_refused_with_a_clear_message(staff_client):
    staff_client.get("/admin/leads/replytemplate/")
    template = ReplyTemplate.objects.get(key="ask_intent", language="en")

    response = staff_client.post(
        f"/admin/leads/replytemplate/{template.pk}/change/", {"body": "Hi {first_name, buying?"}
    )

    assert response.status_code == 200
    assert "Check the braces" in response.content.decode()
    template.refresh_from_db()
    assert "{first_name," not in template.body


def test_a_broken_stored_template_falls_back_to_the_default_wording(db):
    ReplyTemplate.objects.create(key="ask_intent", language="en", body="Buying {0} or {first_name")

    assert selectors.reply_text(key="ask_intent", language="en") == (
        "Are you looking to buy a home, sell one, or both?"
    )
