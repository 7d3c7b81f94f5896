"""The reviewers' back office: a reviewer logged into the admin sees and does only what the
``reviewers`` group allows, and every change to a ticket, a pause or consent goes through
the services (audited, HighLevel told)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import transaction

from compliance.models import AuditEvent
from leads import selectors
from leads.models import Contact, Conversation, EscalationTicket, OutboxMessage
from leads.permissions import REVIEWER_PERMISSIONS, REVIEWERS_GROUP
from leads.services.escalation import escalate_to_human
from tests.conftest import log_in
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.fixture
def reviewer_client(client):
    """Maria, a staff member in the reviewers group, logged in with her password."""
    maria = UserFactory(username="maria", is_staff=True)
    maria.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    assert log_in(client, "maria", PASSWORD)
    client.user = maria
    return client


@pytest.fixture
def superuser_client(client):
    UserFactory(username="jorge", is_staff=True, is_superuser=True)
    assert log_in(client, "jorge", PASSWORD)
    return client


def open_ticket(*, reason="asked_for_person", body="Can I talk to Jorge?", **contact_fields):
    conversation = ConversationFactory(contact=ContactFactory(**contact_fields))
    message = MessageFactory(conversation=conversation, body=body)
    with transaction.atomic():
        return escalate_to_human(conversation=conversation, reason=reason, message=message)


def test_the_reviewers_group_holds_exactly_the_listed_permissions():
    group = Group.objects.get(name=REVIEWERS_GROUP)
    held = set(group.permissions.values_list("content_type__app_label", "codename"))

    listed = {
        (app, f"{action}_{model}")
        for app, model, actions in REVIEWER_PERMISSIONS
        for action in actions
    }
    assert held == listed


@pytest.mark.parametrize(
    "url",
    [
        "/admin/leads/escalationticket/",
        "/admin/leads/contact/",
        "/admin/leads/conversation/",
        "/admin/leads/message/",
        "/admin/compliance/complianceticket/",
    ],
)
def test_a_reviewer_sees_tickets_contacts_conversations_and_messages(reviewer_client, url):
    open_ticket()

    assert reviewer_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auth/user/",
        "/admin/auth/group/",
        "/admin/leads/botsettings/",
        "/admin/leads/replytemplate/",
        "/admin/leads/webhookevent/",
        "/admin/leads/outboxmessage/",
        "/admin/leads/sendledgerentry/",
        "/admin/leads/deal/",
        "/admin/compliance/auditevent/",
    ],
)
def test_a_reviewer_is_refused_users_settings_webhooks_and_the_outbox(reviewer_client, url):
    assert reviewer_client.get(url).status_code == 403


def test_the_admin_index_lists_only_what_a_reviewer_may_open(reviewer_client):
    page = reviewer_client.get("/admin/").content.decode()

    assert "/admin/leads/escalationticket/" in page and "/admin/leads/contact/" in page
    for hidden in ["/admin/auth/user/", "/admin/leads/botsettings/", "/admin/leads/outboxmessage/"]:
        assert hidden not in page


def test_a_reviewer_reads_a_contact_but_cannot_change_it(reviewer_client):
    contact = ContactFactory(first_name="Ana")
    url = f"/admin/leads/contact/{contact.pk}/change/"

    assert reviewer_client.get(url).status_code == 200
    response = reviewer_client.post(url, {"first_name": "Changed"})

    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.first_name == "Ana"
    reviewer_client.post(
        "/admin/leads/contact/", {"action": "opt_out", "_selected_action": [contact.pk]}
    )
    contact.refresh_from_db()
    assert not contact.opted_out  # no change permission, no consent action
    assert not AuditEvent.objects.filter(action="contact.opted_out").exists()


def test_the_ticket_page_shows_the_transcript_read_only(reviewer_client):
    ticket = open_ticket(body="Can I talk to Jorge about the house on Oak?")

    page = reviewer_client.get(f"/admin/leads/escalationticket/{ticket.pk}/change/")

    html = page.content.decode()
    assert "Can I talk to Jorge about the house on Oak?" in html
    assert 'name="_save"' not in html  # changes go through the actions, not a form
    assert 'name="status"' not in html and 'name="assignee"' not in html


def test_overdue_tickets_stand_out_and_filter_by_sla_state(reviewer_client):
    with time_machine.travel(MORNING - timedelta(hours=3), tick=False):
        late = open_ticket(reason="asked_for_person")  # high: due in one hour
    with time_machine.travel(MORNING, tick=False):
        fresh = open_ticket(reason="financial_review")  # normal: due in four hours

        overdue = reviewer_client.get("/admin/leads/escalationticket/", {"sla": "overdue"})
        on_time = reviewer_client.get("/admin/leads/escalationticket/", {"sla": "ok"})

    assert list(overdue.context["cl"].queryset) == [late]
    assert list(on_time.context["cl"].queryset) == [fresh]
    assert "OVERDUE" in overdue.content.decode()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status__exact": "open"}, {"asked_for_person", "anger_or_complaint"}),
        ({"priority__exact": "urgent"}, {"anger_or_complaint"}),
        ({"reason__exact": "bot_failed"}, {"bot_failed"}),
    ],
)
def test_tickets_filter_by_status_priority_and_reason(reviewer_client, filters, expected):
    open_ticket(reason="asked_for_person")
    open_ticket(reason="anger_or_complaint")
    resolved = open_ticket(reason="bot_failed")
    EscalationTicket.objects.filter(pk=resolved.pk).update(
        status="resolved", resolved_at=resolved.created_at
    )

    page = reviewer_client.get("/admin/leads/escalationticket/", filters)

    assert {t.reason for t in page.context["cl"].queryset} == expected


def test_a_reviewer_assigns_a_ticket_to_herself_and_filters_by_assignee(reviewer_client):
    ticket = open_ticket()
    other = open_ticket(reason="bot_failed")

    reviewer_client.post(
        "/admin/leads/escalationticket/",
        {"action": "assign_to_me", "_selected_action": [ticket.pk]},
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("assigned", reviewer_client.user)
    assert AuditEvent.objects.filter(action="escalation.assigned", actor_label="maria").exists()
    mine = reviewer_client.get(
        "/admin/leads/escalationticket/", {"assignee__id__exact": reviewer_client.user.pk}
    )
    assert list(mine.context["cl"].queryset) == [ticket]
    assert other not in mine.context["cl"].queryset


def test_resolving_asks_for_a_note_first_then_resolves_and_can_resume_the_bot(reviewer_client):
    ticket = open_ticket()
    url = "/admin/leads/escalationticket/"
    picked = {"action": "resolve_with_note", "_selected_action": [ticket.pk]}

    form = reviewer_client.post(url, picked)
    assert form.status_code == 200 and "Resolve" in form.content.decode()
    empty = reviewer_client.post(url, {**picked, "apply": "1", "note": ""})
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "open"

    reviewer_client.post(url, {**picked, "apply": "1", "note": "Called her back.", "resume": "on"})

    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution_note) == ("resolved", "Called her back.")
    conversation = ticket.conversation
    conversation.refresh_from_db()
    assert not conversation.needs_human_review
    assert not selectors.is_bot_paused(conversation=conversation)
    assert AuditEvent.objects.filter(action="escalation.resolved", actor_label="maria").exists()
    assert AuditEvent.objects.filter(action="bot.resumed", actor_label="maria").exists()


def test_a_reviewer_resumes_the_bot_from_the_ticket_list(reviewer_client):
    ticket = open_ticket()

    reviewer_client.post(
        "/admin/leads/escalationticket/", {"action": "resume_bot", "_selected_action": [ticket.pk]}
    )

    conversation = ticket.conversation
    conversation.refresh_from_db()
    assert not selectors.is_bot_paused(conversation=conversation)
    assert not conversation.needs_human_review
    assert AuditEvent.objects.get(action="bot.resumed").actor_label == "maria"


def test_a_reviewer_cannot_add_or_delete_tickets(reviewer_client):
    ticket = open_ticket()

    assert reviewer_client.get("/admin/leads/escalationticket/add/").status_code == 403
    assert (
        reviewer_client.post(
            f"/admin/leads/escalationticket/{ticket.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert EscalationTicket.objects.filter(pk=ticket.pk).exists()


def test_the_ticket_list_reads_a_fixed_number_of_queries(
    reviewer_client, django_assert_max_num_queries
):
    for reason in ["asked_for_person", "anger_or_complaint", "bot_failed", "other"]:
        open_ticket(reason=reason)

    with django_assert_max_num_queries(12):
        assert reviewer_client.get("/admin/leads/escalationticket/").status_code == 200


# --- Consent and pauses on the contact page: actions through the services -------------------


def test_consent_and_pause_fields_are_not_editable_on_the_contact_page(superuser_client):
    contact = ContactFactory()

    html = superuser_client.get(f"/admin/leads/contact/{contact.pk}/change/").content.decode()

    for field in ["opted_out", "dnd", "bot_paused_until"]:
        assert f'name="{field}"' not in html


def test_opting_out_from_the_admin_is_audited_tagged_in_highlevel_and_closes_the_bots(
    superuser_client, django_capture_on_commit_callbacks
):
    contact = ContactFactory(ghl_contact_id="c-9")
    ConversationFactory(contact=contact)

    with django_capture_on_commit_callbacks(execute=True):
        superuser_client.post(
            "/admin/leads/contact/", {"action": "opt_out", "_selected_action": [contact.pk]}
        )

    contact.refresh_from_db()
    assert contact.opted_out and contact.opted_out_at
    assert contact.conversations.get().status == "opted_out"
    event = AuditEvent.objects.get(action="contact.opted_out")
    assert (event.actor, event.actor_label) == ("human", "jorge")
    tag = OutboxMessage.objects.get(operation="add_tags", ghl_contact_id="c-9")
    assert tag.request_body == {"tags": ["opted-out"]}


def test_do_not_disturb_from_the_admin_reaches_highlevel(
    superuser_client, django_capture_on_commit_callbacks
):
    contact = ContactFactory(ghl_contact_id="c-9")

    with django_capture_on_commit_callbacks(execute=True):
        superuser_client.post(
            "/admin/leads/contact/", {"action": "dnd_on", "_selected_action": [contact.pk]}
        )

    contact.refresh_from_db()
    assert contact.dnd and contact.dnd_reason == "changed in the admin by jorge"
    assert AuditEvent.objects.get(action="contact.dnd_on").actor_label == "jorge"
    update = OutboxMessage.objects.get(operation="update_contact", ghl_contact_id="c-9")
    assert update.request_body == {"dnd": True}
    assert OutboxMessage.objects.get(operation="add_tags").request_body == {
        "tags": ["do-not-disturb"]
    }


def test_pausing_and_resuming_the_bot_from_the_contact_page(superuser_client):
    contact = ContactFactory()
    conversation = ConversationFactory(contact=contact)

    superuser_client.post(
        "/admin/leads/contact/", {"action": "pause_bot", "_selected_action": [contact.pk]}
    )
    assert selectors.is_bot_paused(conversation=Conversation.objects.get(pk=conversation.pk))
    assert Contact.objects.get(pk=contact.pk).bot_paused_until == selectors.BOT_PAUSED_INDEFINITELY

    superuser_client.post(
        "/admin/leads/contact/", {"action": "resume_bot", "_selected_action": [contact.pk]}
    )
    assert not selectors.is_bot_paused(conversation=Conversation.objects.get(pk=conversation.pk))
    labels = list(
        AuditEvent.objects.filter(action__in=["bot.paused_for_human", "bot.resumed"])
        .order_by("id")
        .values_list("action", "actor_label")
    )
    assert labels == [("bot.paused_for_human", "jorge"), ("bot.resumed", "jorge")]
