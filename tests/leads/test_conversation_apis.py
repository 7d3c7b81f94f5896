"""The conversation actions over the API and in the admin: the same services as the dashboard,
audited, with errors as {"error": {"code", "message", "details"}}."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.models import AuditEvent
from leads.models import Contact, Conversation, OutboxMessage
from leads.permissions import REVIEWERS_GROUP
from tests.factories import UserFactory
from tests.leads.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def api(name: str, conversation: Conversation) -> str:
    return reverse(f"leads:conversation-{name}", args=[conversation.pk])


@pytest.mark.django_db(transaction=True)
def test_a_reply_through_the_api_is_sent_and_audited(api_client):
    conversation = ConversationFactory()

    response = api_client.post(api("reply", conversation), {"body": "Jorge here!"}, format="json")

    assert response.status_code == 201
    assert response.json()["sent"] is True and response.json()["status"] == "sent"
    assert OutboxMessage.objects.get(operation="send_message").request_body["message"] == (
        "Jorge here!"
    )
    assert AuditEvent.objects.filter(action="message.human_reply", actor_label="jorge").exists()


@pytest.mark.django_db(transaction=True)
def test_a_reply_to_an_opted_out_lead_is_a_400_with_the_reason(api_client):
    conversation = ConversationFactory()
    Contact.objects.filter(pk=conversation.contact_id).update(
        opted_out=True, opted_out_at=timezone.now()
    )

    response = api_client.post(api("reply", conversation), {"body": "Hi"}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "cannot_reply" and "opted out" in error["message"]
    assert not OutboxMessage.objects.exists()


def test_an_empty_reply_is_a_400(api_client):
    response = api_client.post(api("reply", ConversationFactory()), {}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_pause_and_resume_through_the_api(api_client):
    conversation = ConversationFactory()

    paused = api_client.post(api("pause", conversation))
    again = api_client.post(api("pause", conversation))
    resumed = api_client.post(api("resume", conversation))

    assert [paused.json(), again.json(), resumed.json()] == [
        {"changed": True},
        {"changed": False},
        {"changed": True},
    ]
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ACTIVE
    assert AuditEvent.objects.get(action="bot.paused_for_human").data["reason"] == (
        "paused in the API by jorge"
    )


def test_advancing_through_the_api_and_a_409_at_the_last_stage(api_client):
    conversation = ConversationFactory(stage="qualified")

    moved = api_client.post(api("advance-stage", conversation))
    last = api_client.post(api("advance-stage", conversation))

    assert moved.json() == {
        "before": "qualified",
        "after": "appointment",
        "label": "Qualified → Appointment set",
    }
    assert last.status_code == 409
    assert last.json()["error"]["code"] == "no_next_stage"


def test_reviewers_and_strangers_may_not_act(anonymous_api_client):
    conversation = ConversationFactory()
    reviewer = UserFactory(username="maria", is_staff=True)
    reviewer.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    as_reviewer = APIClient()
    as_reviewer.force_authenticate(reviewer)

    assert anonymous_api_client.post(api("pause", conversation)).status_code == 401
    assert as_reviewer.post(api("pause", conversation)).status_code == 403
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ACTIVE


def test_an_unknown_conversation_is_a_404(api_client):
    response = api_client.post(reverse("leads:conversation-pause", args=[999999]))

    assert response.status_code == 404


# --- The admin calls the same services -----------------------------------------------------------


def admin_action(client, action: str, *conversations):
    return client.post(
        reverse("admin:leads_conversation_changelist"),
        {"action": action, "_selected_action": [c.pk for c in conversations]},
        follow=True,
    )


@pytest.fixture
def admin_client_jorge(client):
    client.force_login(UserFactory(username="jorge", is_staff=True, is_superuser=True))
    return client


def test_the_admin_advances_stages_through_the_audited_service(admin_client_jorge):
    moving = ConversationFactory(stage="new")
    last = ConversationFactory(stage="closed")

    response = admin_action(admin_client_jorge, "advance_stage", moving, last)

    moving.refresh_from_db()
    assert moving.stage == "qualifying"
    html = response.content.decode()
    assert "1 of 2 conversations advanced." in html
    assert "is the last stage" in html
    assert AuditEvent.objects.get(action="conversation.stage_changed").actor_label == "jorge"


def test_the_admin_pauses_the_bot_through_the_service(admin_client_jorge):
    conversation = ConversationFactory()

    admin_action(admin_client_jorge, "pause_bot", conversation)

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.PAUSED
    assert AuditEvent.objects.get(action="bot.paused_for_human").actor_label == "jorge"


def test_the_stage_is_read_only_on_the_admin_form(admin_client_jorge):
    conversation = ConversationFactory(stage="new")

    page = admin_client_jorge.get(
        reverse("admin:leads_conversation_change", args=[conversation.pk])
    ).content.decode()

    assert 'name="stage"' not in page
