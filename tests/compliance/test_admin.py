"""The compliance tickets in the admin, and sensitive data nowhere in the back office."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import timezone

from compliance.models import AuditEvent, ComplianceTicket
from compliance.rules.privacy import PLACEHOLDERS
from leads import selectors
from leads.models import Conversation, ReplyTemplate, WebhookEvent
from tests.compliance.factories import ComplianceTicketFactory
from tests.compliance.samples import PII
from tests.factories import UserFactory
from tests.leads.conftest import load_sample
from tests.leads.factories import ContactFactory, MessageFactory, receive_sms

pytestmark = pytest.mark.django_db

LIST = "/admin/compliance/complianceticket/"
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)


@pytest.fixture
def reviewer(client):
    user = UserFactory(username="rita", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _act(client, action, tickets, **extra):
    return client.post(
        LIST,
        {"action": action, "_selected_action": [t.pk for t in tickets], **extra},
        follow=False,
    )


def test_the_ticket_list_opens_in_constant_queries(client, reviewer, django_assert_max_num_queries):
    ComplianceTicketFactory.create_batch(3)
    client.get(LIST)  # warm caches (content types, session)
    ComplianceTicketFactory.create_batch(10)

    with django_assert_max_num_queries(12):
        response = client.get(LIST)

    assert response.status_code == 200
    assert response.content.decode().count("[SSN removed]") == 13


def test_overdue_tickets_stand_out_and_can_be_filtered(client, reviewer):
    late = ComplianceTicketFactory(
        category="race_color",
        type="fair_housing",
        due_at=timezone.now() - timezone.timedelta(hours=1),
    )
    on_time = ComplianceTicketFactory(category="card_number")

    page = client.get(LIST).content.decode()
    overdue = client.get(LIST, {"due": "overdue"}).content.decode()

    assert page.count("OVERDUE") == 1 and 'style="color:#ba2121"' in page
    assert f'value="{late.pk}"' in overdue and f'value="{on_time.pk}"' not in overdue


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"status__exact": "open"}, {"open"}),
        ({"severity__exact": "low"}, {"low"}),
        ({"type__exact": "tcpa"}, {"tcpa"}),
    ],
)
def test_tickets_filter_by_status_severity_and_type(client, reviewer, params, shown):
    tickets = [
        ComplianceTicketFactory(),
        ComplianceTicketFactory(severity="low", type="tcpa", category="consent_dispute"),
        ComplianceTicketFactory(status="assigned", assignee=reviewer),
    ]

    page = client.get(LIST, params).content.decode()

    field = next(iter(params)).split("__")[0]
    for ticket in tickets:
        listed = f'value="{ticket.pk}"' in page
        assert listed == (getattr(ticket, field) in shown)


def test_tickets_filter_by_assignee(client, reviewer):
    mine = ComplianceTicketFactory(status="assigned", assignee=reviewer)
    other = ComplianceTicketFactory()

    page = client.get(LIST, {"assignee__id__exact": reviewer.pk}).content.decode()

    assert f'value="{mine.pk}"' in page and f'value="{other.pk}"' not in page


def test_the_ticket_page_shows_the_evidence_and_the_transcript(client, reviewer):
    ticket = ComplianceTicketFactory()
    flagged = MessageFactory(conversation=ticket.conversation, body="my social is [SSN removed]")
    ticket.message = flagged
    ticket.save(update_fields=["message"])

    page = client.get(f"{LIST}{ticket.pk}/change/").content.decode()

    assert "my social is [SSN removed]" in page
    assert 'class="chat"' in page  # the conversation as a chat thread
    assert page.count("chat-flagged") == 1  # the message the ticket is about stands out
    assert "<textarea" not in page  # nothing is edited by hand


def test_nobody_adds_or_deletes_a_ticket(client, reviewer):
    ticket = ComplianceTicketFactory()

    assert client.get(f"{LIST}add/").status_code == 403
    assert client.get(f"{LIST}{ticket.pk}/delete/").status_code == 403


def test_assign_to_me_goes_through_the_service(client, reviewer):
    ticket = ComplianceTicketFactory()

    response = _act(client, "assign_to_me", [ticket])

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("assigned", reviewer)
    assert AuditEvent.objects.filter(
        action="compliance.ticket_assigned", actor_label="rita"
    ).exists()


def test_resolve_asks_for_a_note_first(client, reviewer):
    ticket = ComplianceTicketFactory()

    response = _act(client, "resolve_with_note", [ticket])

    assert response.status_code == 200
    page = response.content.decode()
    assert "Resolve compliance tickets" in page and 'name="note"' in page
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_resolve_with_a_note_closes_the_tickets(client, reviewer):
    tickets = ComplianceTicketFactory.create_batch(2)

    response = _act(
        client, "resolve_with_note", tickets, apply="Resolve", note="Called Ana; data deleted."
    )

    assert response.status_code == 302
    for ticket in tickets:
        ticket.refresh_from_db()
        assert (ticket.status, ticket.resolution_note) == ("resolved", "Called Ana; data deleted.")
    assert AuditEvent.objects.filter(action="compliance.ticket_resolved").count() == 2


def test_resolve_without_a_note_resolves_nothing(client, reviewer):
    ticket = ComplianceTicketFactory()

    response = _act(client, "resolve_with_note", [ticket], apply="Resolve", note="")

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_resume_bot_hands_the_conversation_back_through_the_service(client, reviewer):
    ticket = ComplianceTicketFactory()
    conversation = ticket.conversation
    Conversation.objects.filter(pk=conversation.pk).update(status="paused")
    type(conversation.contact).objects.filter(pk=conversation.contact_id).update(
        bot_paused_until=selectors.BOT_PAUSED_INDEFINITELY
    )

    _act(client, "resume_bot", [ticket])

    conversation.refresh_from_db()
    assert not selectors.is_bot_paused(conversation=conversation)
    assert AuditEvent.objects.filter(action="compliance.bot_resumed", actor_label="rita").exists()
    assert AuditEvent.objects.filter(action="bot.resumed", actor_label="rita").exists()


def test_a_resolved_ticket_is_not_reassigned(client, reviewer):
    ticket = ComplianceTicketFactory(
        status=ComplianceTicket.Status.RESOLVED,
        resolution_note="done",
        resolved_at=timezone.now(),
    )

    response = _act(
        client,
        "assign_to_me",
        [ticket],
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.assignee is None


# --- Sensitive data in the back office -------------------------------------------------------


@pytest.mark.parametrize(("kind", "text", "secrets"), PII)
@time_machine.travel(MORNING, tick=False)
def test_the_message_pages_show_only_the_redacted_text(
    client, reviewer, django_capture_on_commit_callbacks, kind, text, secrets
):
    ContactFactory(ghl_contact_id="c-1", ghl_location_id="loc")
    with django_capture_on_commit_callbacks(execute=True):
        message = receive_sms("c-1", text, conversation_id="v")
    ticket = ComplianceTicket.objects.filter(category=kind).get()

    pages = [
        client.get(url).content.decode()
        for url in (
            f"/admin/leads/message/{message.pk}/change/",
            "/admin/leads/message/",
            f"/admin/leads/conversation/{message.conversation_id}/change/",
            f"{LIST}{ticket.pk}/change/",
            LIST,
            "/admin/compliance/auditevent/",
            f"/admin/leads/contact/{message.conversation.contact_id}/change/",
        )
    ]

    for page in pages:
        for secret in secrets:
            assert secret not in page
    assert PLACEHOLDERS[kind] in pages[0]
    assert 'name="body"' not in pages[0]  # what a lead wrote is never rewritten by hand


@pytest.mark.parametrize(("kind", "text", "secrets"), PII)
@time_machine.travel(MORNING, tick=False)
def test_the_webhook_event_pages_show_only_the_redacted_body(
    client, reviewer, ghl, officer, kind, text, secrets
):
    payload = {
        **load_sample("inboundmessage-sms"),
        "body": text,
        "messageId": "m-1",
        "webhookId": "wh-1",
    }
    ghl.post(payload)

    event = WebhookEvent.objects.get()
    pages = [
        client.get(f"/admin/leads/webhookevent/{event.pk}/change/").content.decode(),
        client.get("/admin/leads/webhookevent/").content.decode(),
    ]

    for page in pages:
        for secret in secrets:
            assert secret not in page
    assert PLACEHOLDERS[kind] in pages[0]


@pytest.mark.parametrize(
    "wording",
    [
        "Great for families! When are you hoping to move, {first_name}?",
        "To start, please text me your SSN.",
        "I'm not a bot, I'm Jorge. When do you want to move?",
    ],
)
def test_staff_cannot_save_wording_that_breaks_a_compliance_rule(client, reviewer, wording):
    client.get("/admin/leads/replytemplate/")  # creates the rows
    template = ReplyTemplate.objects.get(key="ask_timeline", language="en")
    before = template.body

    response = client.post(f"/admin/leads/replytemplate/{template.pk}/change/", {"body": wording})

    assert response.status_code == 200
    assert "breaks a compliance rule" in response.content.decode()
    template.refresh_from_db()
    assert template.body == before
