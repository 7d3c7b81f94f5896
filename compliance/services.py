"""Writes of the compliance app: the audit trail, and compliance tickets."""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone

from analytics.services import broadcast_dashboard_event
from config.queueing import publish_on_commit

from .checks import Violation
from .exceptions import ComplianceError
from .models import AuditEvent, ComplianceTicket
from .rules.privacy import redact_sensitive
from .selectors import open_tickets_of_contact

if TYPE_CHECKING:
    from leads.models import Contact, Conversation, Message

logger = logging.getLogger(__name__)

# Rows audited inside ``audit_batch()``, written together when it ends.
_batch: contextvars.ContextVar[list[AuditEvent] | None] = contextvars.ContextVar(
    "audit_batch", default=None
)


@contextlib.contextmanager
def audit_batch() -> Iterator[None]:
    """Write the audit rows of a block in one INSERT when it ends (the bot turn's hot path).

    Use it inside the transaction of the change: the rows commit, or roll back, with it.
    A block that raises writes nothing (its transaction is rolled back anyway).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_batch must run inside a transaction")
    if _batch.get() is not None:  # nested: the outer batch writes them
        yield
        return
    rows: list[AuditEvent] = []
    token = _batch.set(rows)
    try:
        yield
    finally:
        _batch.reset(token)
    if rows:
        AuditEvent.objects.bulk_create(rows)


def audit(
    *,
    action: str,
    subject: models.Model,
    actor: str = AuditEvent.Actor.SYSTEM,
    user: AbstractBaseUser | None = None,
    data: dict | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Record an automated or human decision about ``subject``; call it inside the change's transaction."""
    if user is not None:
        actor, actor_label = AuditEvent.Actor.HUMAN, user.get_username()
    event = AuditEvent(
        at=timezone.now(),
        actor=actor,
        actor_label=actor_label,
        action=action,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        data=data or {},
    )
    batch = _batch.get()
    if batch is not None:
        batch.append(event)
    else:
        event.save()
    return event


# --- Compliance tickets ---------------------------------------------------------------------

# How long a reviewer has, by severity; an unresolved ticket past it is overdue.
TICKET_DUE_AFTER = {
    ComplianceTicket.Severity.HIGH: timedelta(hours=4),
    ComplianceTicket.Severity.MEDIUM: timedelta(hours=24),
    ComplianceTicket.Severity.LOW: timedelta(hours=72),
}
# The HighLevel tag of a contact with a ticket under review.
REVIEW_TAG = "compliance-review"


def open_compliance_ticket(
    *,
    violation: Violation,
    direction: str,
    contact: Contact,
    conversation: Conversation | None = None,
    message: Message | None = None,
) -> ComplianceTicket:
    """Open the ticket of one violation, with every side effect of ``open_compliance_tickets``."""
    [ticket] = open_compliance_tickets(
        violations=[violation],
        direction=direction,
        contact=contact,
        conversation=conversation,
        message=message,
    )
    return ticket


def open_compliance_tickets(
    *,
    violations: list[Violation],
    direction: str,
    contact: Contact,
    conversation: Conversation | None = None,
    message: Message | None = None,
) -> list[ComplianceTicket]:
    """Open one ticket per violation: the bot pauses on the conversation until a reviewer
    resumes it, the contact is tagged ``compliance-review`` in HighLevel, the compliance
    officer is emailed, each ticket is audited and announced on the dashboard.

    Safe to run twice: a message's ticket for a rule is opened once (the second run returns
    it and repeats no side effect). Call it inside the transaction of the change, holding
    the contact's lock when there is one (the bot turn does); the HighLevel tag and the email
    leave after commit.
    """
    from leads.services.escalation import pause_bot_for_human
    from leads.tasks import sync_ghl_tags_task

    from .tasks import notify_compliance_officer_task

    now = timezone.now()
    tickets, opened = [], []
    with transaction.atomic():
        for violation in violations:
            ticket, created = _create_ticket(
                violation=violation,
                direction=direction,
                contact=contact,
                conversation=conversation,
                message=message,
                now=now,
            )
            tickets.append(ticket)
            if created:
                opened.append(ticket)
        if not opened:
            return tickets
        for ticket in opened:
            audit(
                action="compliance.ticket_opened",
                subject=ticket,
                actor=AuditEvent.Actor.BOT,
                actor_label="compliance_check",
                data={
                    "type": ticket.type,
                    "category": ticket.category,
                    "severity": ticket.severity,
                    "direction": ticket.direction,
                    "message": ticket.message_id,
                    "conversation": ticket.conversation_id,
                    "contact": ticket.contact_id,
                },
            )
            broadcast_dashboard_event(
                kind="compliance.ticket_opened",
                data={
                    "ticket": ticket.pk,
                    "type": ticket.type,
                    "category": ticket.category,
                    "severity": ticket.severity,
                    "contact": ticket.contact_id,
                    "conversation": ticket.conversation_id,
                },
            )
        if conversation is not None:
            if conversation.contact_id == contact.pk:
                conversation.contact = contact  # one row in memory: the caller's locked one
            pause_bot_for_human(
                conversation=conversation,
                reason="compliance review: "
                + ", ".join(f"#{t.pk} {t.type}/{t.category}" for t in opened),
                message=message,
                actor=AuditEvent.Actor.BOT,
                actor_label="compliance_check",
                until_resumed=True,
            )
        if contact.ghl_contact_id:
            publish_on_commit(sync_ghl_tags_task, contact.pk, [REVIEW_TAG], [])
        publish_on_commit(notify_compliance_officer_task, [t.pk for t in opened])
    return tickets


def _create_ticket(
    *, violation: Violation, direction: str, contact, conversation, message, now
) -> tuple[ComplianceTicket, bool]:
    if message is not None:
        existing = ComplianceTicket.objects.filter(
            message=message, type=violation.type, category=violation.category
        ).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            ticket = ComplianceTicket.objects.create(
                type=violation.type,
                category=violation.category[:64],
                severity=violation.severity,
                direction=direction,
                evidence=redact_sensitive(violation.evidence),
                message=message,
                conversation=conversation,
                contact=contact,
                created_at=now,
                due_at=now + TICKET_DUE_AFTER[violation.severity],
            )
    except IntegrityError:
        # Another worker opened it between the read and the insert: theirs stands.
        return ComplianceTicket.objects.get(
            message=message, type=violation.type, category=violation.category
        ), False
    return ticket, True


def notify_compliance_officer(*, ticket_ids: list[int]) -> int:
    """Email the compliance officer about the tickets not yet notified; returns how many.

    The email carries the redacted evidence and a link to each ticket, never the data
    itself. Without ``COMPLIANCE_OFFICER_EMAIL`` nothing is sent, and that is logged and
    audited on each ticket (the admin's ticket list still shows it).
    """
    tickets = list(
        ComplianceTicket.objects.select_related("contact")
        .filter(pk__in=ticket_ids, officer_notified_at__isnull=True)
        .order_by("pk")
    )
    if not tickets:
        return 0
    officer = settings.COMPLIANCE_OFFICER_EMAIL
    if not officer:
        logger.warning(
            "compliance tickets %s opened, but COMPLIANCE_OFFICER_EMAIL is not set: nobody emailed",
            [t.pk for t in tickets],
        )
        with transaction.atomic():
            for ticket in tickets:
                audit(
                    action="compliance.officer_not_notified",
                    subject=ticket,
                    actor=AuditEvent.Actor.SYSTEM,
                    actor_label="notify",
                    data={"reason": "COMPLIANCE_OFFICER_EMAIL is not set"},
                )
        return 0
    send_mail(
        subject=_email_subject(tickets),
        message=_email_body(tickets),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[officer],
        fail_silently=False,
    )
    now = timezone.now()
    with transaction.atomic():
        ComplianceTicket.objects.filter(pk__in=[t.pk for t in tickets]).update(
            officer_notified_at=now, updated_at=now
        )
        for ticket in tickets:
            audit(
                action="compliance.officer_notified",
                subject=ticket,
                actor=AuditEvent.Actor.SYSTEM,
                actor_label="notify",
                data={"to": officer},
            )
    return len(tickets)


def _email_subject(tickets: list[ComplianceTicket]) -> str:
    worst = min(tickets, key=lambda t: list(TICKET_DUE_AFTER).index(t.severity))
    kinds = ", ".join(dict.fromkeys(f"{t.get_type_display()}: {t.category}" for t in tickets))
    return f"[Compliance · {worst.get_severity_display()}] {kinds}"


def _email_body(tickets: list[ComplianceTicket]) -> str:
    lines = ["A compliance check opened these tickets. The bot is paused until one is resolved", ""]
    for ticket in tickets:
        link = settings.SITE_URL.rstrip("/") + reverse(
            "admin:compliance_complianceticket_change", args=[ticket.pk]
        )
        lines += [
            f"Ticket #{ticket.pk} · {ticket.get_type_display()} · {ticket.category} · "
            f"{ticket.get_severity_display()} severity",
            f"  {ticket.get_direction_display()}; due {timezone.localtime(ticket.due_at):%Y-%m-%d %H:%M %Z}",
            f"  Contact: {ticket.contact or 'unknown'}",
            f"  Evidence (sensitive data removed): {ticket.evidence}",
            f"  Review it: {link}",
            "",
        ]
    return "\n".join(lines)


def _locked_ticket(ticket_id: int) -> ComplianceTicket:
    return ComplianceTicket.objects.select_for_update().get(pk=ticket_id)


def assign_compliance_ticket(
    *, ticket: ComplianceTicket, assignee: AbstractBaseUser, user: AbstractBaseUser | None = None
) -> ComplianceTicket:
    """Give an unresolved ticket to ``assignee`` (open → assigned), audited."""
    with transaction.atomic():
        ticket = _locked_ticket(ticket.pk)
        if ticket.status == ComplianceTicket.Status.RESOLVED:
            raise ComplianceError(
                f"Ticket #{ticket.pk} is resolved; it cannot be assigned.", code="ticket_resolved"
            )
        previous = ticket.assignee.get_username() if ticket.assignee else ""
        ticket.status = ComplianceTicket.Status.ASSIGNED
        ticket.assignee = assignee
        ticket.assigned_at = timezone.now()
        ticket.save(update_fields=["status", "assignee", "assigned_at", "updated_at"])
        audit(
            action="compliance.ticket_assigned",
            subject=ticket,
            user=user or assignee,
            data={"assignee": assignee.get_username(), "previous": previous},
        )
        broadcast_dashboard_event(
            kind="compliance.ticket_updated", data={"ticket": ticket.pk, "status": ticket.status}
        )
    return ticket


def resolve_compliance_ticket(
    *, ticket: ComplianceTicket, note: str, user: AbstractBaseUser
) -> ComplianceTicket:
    """Close a ticket with what was done about it, audited; the HighLevel review tag goes when
    the contact has no other unresolved ticket. The bot stays paused: resume it separately."""
    from leads.tasks import sync_ghl_tags_task

    note = (note or "").strip()
    if not note:
        raise ComplianceError(
            "Say what was done: a resolution note is required.", code="note_required"
        )
    with transaction.atomic():
        ticket = _locked_ticket(ticket.pk)
        if ticket.status == ComplianceTicket.Status.RESOLVED:
            raise ComplianceError(
                f"Ticket #{ticket.pk} is already resolved.", code="ticket_resolved"
            )
        ticket.status = ComplianceTicket.Status.RESOLVED
        ticket.assignee = ticket.assignee or user
        ticket.resolution_note = note[:5000]
        ticket.resolved_at = timezone.now()
        ticket.save(
            update_fields=["status", "assignee", "resolution_note", "resolved_at", "updated_at"]
        )
        audit(
            action="compliance.ticket_resolved",
            subject=ticket,
            user=user,
            data={"note": note[:500]},
        )
        broadcast_dashboard_event(
            kind="compliance.ticket_updated", data={"ticket": ticket.pk, "status": ticket.status}
        )
        contact = ticket.contact
        if (
            contact is not None
            and contact.ghl_contact_id
            and not open_tickets_of_contact(contact_id=contact.pk).exists()
        ):
            publish_on_commit(sync_ghl_tags_task, contact.pk, [], [REVIEW_TAG])
    return ticket


def resume_bot_after_review(
    *, ticket: ComplianceTicket, user: AbstractBaseUser
) -> ComplianceTicket:
    """A reviewer hands the ticket's conversation back to the bot, audited on the ticket too."""
    from leads.services.escalation import resume_bot

    if ticket.conversation is None:
        raise ComplianceError(
            f"Ticket #{ticket.pk} has no conversation to resume.", code="no_conversation"
        )
    with transaction.atomic():
        resume_bot(conversation=ticket.conversation, user=user)
        audit(
            action="compliance.bot_resumed",
            subject=ticket,
            user=user,
            data={
                "conversation": ticket.conversation_id,
                "unresolved_tickets": list(
                    open_tickets_of_contact(contact_id=ticket.contact_id).values_list(
                        "pk", flat=True
                    )
                )
                if ticket.contact_id
                else [],
            },
        )
    return ticket
