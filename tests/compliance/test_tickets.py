"""Compliance tickets: opened with every side effect, assigned, resolved, the bot resumed."""

import pytest
from django.core import mail
from django.utils import timezone

from compliance.checks import Violation
from compliance.exceptions import ComplianceError
from compliance.models import AuditEvent, ComplianceTicket
from compliance.services import (
    REVIEW_TAG,
    assign_compliance_ticket,
    open_compliance_ticket,
    open_compliance_tickets,
    resolve_compliance_ticket,
    resume_bot_after_review,
)
from leads import selectors
from leads.models import Contact, Conversation, OutboxMessage
from tests.compliance.factories import ComplianceTicketFactory
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

SSN = Violation(
    type="privacy", category="ssn", evidence="my social is [SSN removed]", severity="high"
)
STEERING = Violation(
    type="fair_housing",
    category="familial_status",
    evidence="great for families",
    severity="high",
)


@pytest.fixture
def conversation(db):
    contact = ContactFactory(ghl_contact_id="c-77", first_name="Ana", last_name="Ruiz")
    return ConversationFactory(contact=contact)


def _open(conversation, violations=(SSN,), message=None, capture=None):
    message = message or MessageFactory(
        conversation=conversation, body="my social is [SSN removed]"
    )
    with capture(execute=True):
        return open_compliance_tickets(
            violations=list(violations),
            direction="inbound",
            contact=conversation.contact,
            conversation=conversation,
            message=message,
        )


def test_a_ticket_records_the_violation_with_its_links_and_due_time(
    conversation, django_capture_on_commit_callbacks, officer
):
    message = MessageFactory(conversation=conversation, body="my social is [SSN removed]")

    [ticket] = _open(conversation, message=message, capture=django_capture_on_commit_callbacks)

    ticket.refresh_from_db()
    assert (ticket.type, ticket.category, ticket.severity, ticket.direction) == (
        "privacy",
        "ssn",
        "high",
        "inbound",
    )
    assert ticket.evidence == "my social is [SSN removed]"
    assert (ticket.message, ticket.conversation, ticket.contact) == (
        message,
        conversation,
        conversation.contact,
    )
    assert ticket.status == ComplianceTicket.Status.OPEN
    assert (ticket.due_at - ticket.created_at).total_seconds() == 4 * 3600


def test_opening_a_ticket_pauses_the_bot_until_a_reviewer_resumes_it(
    conversation, django_capture_on_commit_callbacks, officer
):
    _open(conversation, capture=django_capture_on_commit_callbacks)

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.PAUSED
    assert conversation.contact.bot_paused_until == selectors.BOT_PAUSED_INDEFINITELY
    assert selectors.is_bot_paused(conversation=conversation)
    assert AuditEvent.objects.filter(
        action="bot.paused_for_human",
        subject_id=str(conversation.pk),
        actor_label="compliance_check",
    ).exists()


def test_opening_a_ticket_emails_the_officer_without_the_data(
    conversation, django_capture_on_commit_callbacks, officer
):
    [ticket] = _open(conversation, capture=django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert email.to == ["compliance@jorge.example"]
    assert "Privacy" in email.subject and "ssn" in email.subject
    assert "my social is [SSN removed]" in email.body
    assert (
        f"https://jorge.example/admin/compliance/complianceticket/{ticket.pk}/change/" in email.body
    )
    ticket.refresh_from_db()
    assert ticket.officer_notified_at is not None
    assert AuditEvent.objects.filter(
        action="compliance.officer_notified", subject_id=str(ticket.pk)
    ).exists()


def test_the_officer_email_gives_the_due_time_in_the_business_time_zone(
    conversation, django_capture_on_commit_callbacks, officer, time_machine
):
    time_machine.move_to("2026-07-01T19:30:00+00:00", tick=False)  # 12:30 in California

    [ticket] = _open(conversation, capture=django_capture_on_commit_callbacks)

    [email] = mail.outbox
    due = timezone.localtime(ticket.due_at)
    assert f"due {due:%Y-%m-%d %H:%M} PDT" in email.body
    assert "UTC" not in email.body


def test_opening_a_ticket_tags_the_contact_in_highlevel(
    conversation, django_capture_on_commit_callbacks, officer
):
    _open(conversation, capture=django_capture_on_commit_callbacks)

    call = OutboxMessage.objects.get(operation="add_tags")
    assert call.ghl_contact_id == "c-77"
    assert call.request_body == {"tags": [REVIEW_TAG]}
    assert REVIEW_TAG in Contact.objects.get(pk=conversation.contact.pk).tags


def test_opening_a_ticket_is_audited_and_announced_on_the_dashboard(
    conversation, django_capture_on_commit_callbacks, officer, dashboard
):
    [ticket] = _open(conversation, capture=django_capture_on_commit_callbacks)

    event = AuditEvent.objects.get(action="compliance.ticket_opened")
    assert event.subject == f"compliance.complianceticket:{ticket.pk}"
    assert event.data["type"] == "privacy" and event.data["category"] == "ssn"
    opened = [e for e in dashboard.events() if e["kind"] == "compliance.ticket_opened"]
    assert [e["data"]["ticket"] for e in opened] == [ticket.pk]
    assert opened[0]["data"]["severity"] == "high"


def test_every_violation_gets_its_own_ticket_and_one_email_lists_them(
    conversation, django_capture_on_commit_callbacks, officer
):
    tickets = _open(
        conversation, violations=(SSN, STEERING), capture=django_capture_on_commit_callbacks
    )

    assert [(t.type, t.category) for t in tickets] == [
        ("privacy", "ssn"),
        ("fair_housing", "familial_status"),
    ]
    [email] = mail.outbox
    assert all(f"Ticket #{t.pk}" in email.body for t in tickets)
    assert OutboxMessage.objects.filter(operation="add_tags").count() == 1


def test_opening_the_same_tickets_again_changes_nothing(
    conversation, django_capture_on_commit_callbacks, officer
):
    message = MessageFactory(conversation=conversation)
    first = _open(conversation, message=message, capture=django_capture_on_commit_callbacks)

    again = _open(conversation, message=message, capture=django_capture_on_commit_callbacks)

    assert again == first
    assert ComplianceTicket.objects.count() == 1
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="compliance.ticket_opened").count() == 1


def test_without_an_officer_address_nobody_is_emailed_and_that_is_audited(
    conversation, django_capture_on_commit_callbacks, settings, caplog
):
    settings.COMPLIANCE_OFFICER_EMAIL = ""

    [ticket] = _open(conversation, capture=django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert AuditEvent.objects.filter(
        action="compliance.officer_not_notified", subject_id=str(ticket.pk)
    ).exists()
    assert "COMPLIANCE_OFFICER_EMAIL is not set" in caplog.text


def test_the_single_ticket_service_opens_one(
    conversation, django_capture_on_commit_callbacks, officer
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_compliance_ticket(
            violation=STEERING,
            direction="outbound",
            contact=conversation.contact,
            conversation=conversation,
        )

    assert ticket.direction == "outbound" and ticket.message is None
    assert len(mail.outbox) == 1


def test_assign_to_a_reviewer_is_audited():
    ticket = ComplianceTicketFactory()
    reviewer = UserFactory(username="rita")

    assign_compliance_ticket(ticket=ticket, assignee=reviewer, user=reviewer)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("assigned", reviewer)
    assert ticket.assigned_at is not None
    event = AuditEvent.objects.get(action="compliance.ticket_assigned")
    assert (event.actor, event.actor_label) == ("human", "rita")


def test_resolving_needs_a_note_and_is_audited(django_capture_on_commit_callbacks):
    ticket = ComplianceTicketFactory()
    reviewer = UserFactory(username="rita")

    with pytest.raises(ComplianceError, match="note"):
        resolve_compliance_ticket(ticket=ticket, note="  ", user=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        resolve_compliance_ticket(
            ticket=ticket, note="Called the lead; deleted in HighLevel.", user=reviewer
        )

    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.resolved_at is not None
    assert ticket.resolution_note == "Called the lead; deleted in HighLevel."
    assert ticket.assignee == reviewer
    assert AuditEvent.objects.filter(action="compliance.ticket_resolved").count() == 1


def test_the_review_tag_goes_when_the_contacts_last_ticket_is_resolved(
    django_capture_on_commit_callbacks,
):
    first = ComplianceTicketFactory()
    second = ComplianceTicketFactory(conversation=first.conversation)
    reviewer = UserFactory(username="rita")

    with django_capture_on_commit_callbacks(execute=True):
        resolve_compliance_ticket(ticket=first, note="done", user=reviewer)
    assert not OutboxMessage.objects.filter(operation="remove_tags").exists()
    with django_capture_on_commit_callbacks(execute=True):
        resolve_compliance_ticket(ticket=second, note="done", user=reviewer)

    removed = OutboxMessage.objects.get(operation="remove_tags")
    assert removed.request_body == {"tags": [REVIEW_TAG]}


def test_a_resolved_ticket_cannot_be_assigned_or_resolved_again():
    ticket = ComplianceTicketFactory()
    reviewer = UserFactory(username="rita")
    resolve_compliance_ticket(ticket=ticket, note="done", user=reviewer)

    with pytest.raises(ComplianceError, match="resolved"):
        assign_compliance_ticket(ticket=ticket, assignee=reviewer)
    with pytest.raises(ComplianceError, match="already resolved"):
        resolve_compliance_ticket(ticket=ticket, note="again", user=reviewer)


def test_resuming_the_bot_goes_through_the_service_and_is_audited(
    conversation, django_capture_on_commit_callbacks, officer
):
    [ticket] = _open(conversation, capture=django_capture_on_commit_callbacks)
    reviewer = UserFactory(username="rita")

    resume_bot_after_review(ticket=ticket, user=reviewer)

    conversation.refresh_from_db()
    conversation.contact.refresh_from_db()
    assert not selectors.is_bot_paused(conversation=conversation)
    assert AuditEvent.objects.filter(action="bot.resumed", actor_label="rita").exists()
    resumed = AuditEvent.objects.get(action="compliance.bot_resumed")
    assert resumed.data["unresolved_tickets"] == [ticket.pk]


def test_a_ticket_is_overdue_only_while_unresolved_past_its_due_time():
    from django.utils import timezone

    late = ComplianceTicketFactory(due_at=timezone.now() - timezone.timedelta(minutes=1))
    on_time = ComplianceTicketFactory()

    assert late.is_overdue() and not on_time.is_overdue()
    resolve_compliance_ticket(ticket=late, note="done", user=UserFactory(username="rita"))
    late.refresh_from_db()
    assert not late.is_overdue()
