"""Reads of the compliance app."""

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent, ComplianceTicket


def audit_trail(*, subject: models.Model) -> QuerySet[AuditEvent]:
    """Every audit event about ``subject``, newest first."""
    return AuditEvent.objects.filter(
        subject_type=subject._meta.label_lower, subject_id=str(subject.pk)
    )


def privacy_notice_sent(*, conversation_id: int) -> bool:
    """Whether the bot already told this conversation's lead not to text sensitive data."""
    from leads.models import Message

    return (
        Message.objects.filter(
            conversation_id=conversation_id,
            direction=Message.Direction.OUTBOUND,
            ai_metadata__rule__startswith="privacy:",
        )
        .exclude(status=Message.Status.BLOCKED)
        .exists()
    )


def compliance_tickets(*, status: str | None = None) -> QuerySet[ComplianceTicket]:
    """Tickets with what their lists show (contact, conversation, assignee), newest first."""
    tickets = ComplianceTicket.objects.select_related("contact", "conversation", "assignee")
    return tickets.filter(status=status) if status else tickets


def open_tickets_of_contact(*, contact_id: int) -> QuerySet[ComplianceTicket]:
    """The contact's tickets that are not resolved yet."""
    return ComplianceTicket.objects.filter(contact_id=contact_id).exclude(
        status=ComplianceTicket.Status.RESOLVED
    )


def overdue_tickets(*, at=None) -> QuerySet[ComplianceTicket]:
    """Unresolved tickets past their due time."""
    return ComplianceTicket.objects.exclude(status=ComplianceTicket.Status.RESOLVED).filter(
        due_at__lt=at or timezone.now()
    )
