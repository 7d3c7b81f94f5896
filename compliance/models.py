"""The audit trail every automated decision writes to, consent evidence, and compliance tickets."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuditEvent(models.Model):
    """An append-only record of who did what to which thing, and why.

    ``subject`` is a label plus id (``leads.conversation:42``) rather than a foreign
    key so that the trail outlives what it describes and any app can write to it.
    """

    class Actor(models.TextChoices):
        BOT = "bot", "Bot"
        SYSTEM = "system", "System"
        HUMAN = "human", "Human"
        WEBHOOK = "webhook", "Webhook"

    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    actor = models.CharField(max_length=8, choices=Actor.choices)
    actor_label = models.CharField(
        max_length=150, blank=True, help_text="Username, bot name or task."
    )
    action = models.CharField(max_length=64, db_index=True)
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "-at"], name="audit_subject")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.subject}"

    def save(self, *args, **kwargs):
        # Append-only: an audit row is never rewritten.
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")

    @property
    def subject(self) -> str:
        return f"{self.subject_type}:{self.subject_id}"


class ConsentRecord(models.Model):
    """Evidence of a contact's consent to automated messages, and of every revocation."""

    class Kind(models.TextChoices):
        GRANTED = "granted", "Consent given"
        REVOKED = "revoked", "Consent revoked (opt-out)"
        RESTORED = "restored", "Re-subscribed"

    contact = models.ForeignKey(
        "leads.Contact", on_delete=models.CASCADE, related_name="consent_records"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(
        max_length=120, help_text="Where it came from: a web form, an SMS keyword, HighLevel DND…"
    )
    wording = models.TextField(blank=True, help_text="The exact text the contact saw or sent.")
    channel = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"


class TicketStatus(models.TextChoices):
    """Where a person's ticket stands (escalation and compliance tickets alike)."""

    OPEN = "open", "Open"
    ASSIGNED = "assigned", "Assigned"
    RESOLVED = "resolved", "Resolved"


class ComplianceTicket(models.Model):
    """A compliance violation a person must review: what rule, where, and what became of it.

    Opened by ``compliance.services.open_compliance_ticket`` for every violation the check
    finds in a lead's message or a bot's draft; the evidence is redacted. Status moves
    open → assigned → resolved, each step through a service and audited.
    """

    class Type(models.TextChoices):
        FAIR_HOUSING = "fair_housing", "Fair housing"
        PRIVACY = "privacy", "Privacy (sensitive data)"
        TCPA = "tcpa", "TCPA / automated messaging"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    Status = TicketStatus

    class Direction(models.TextChoices):
        INBOUND = "inbound", "The lead's message"
        OUTBOUND = "outbound", "The bot's draft (blocked)"

    type = models.CharField(max_length=16, choices=Type.choices)
    category = models.CharField(max_length=64)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    evidence = models.TextField(help_text="The words that broke the rule, sensitive data removed.")
    message = models.ForeignKey(
        "leads.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compliance_tickets",
        help_text="The lead's message, or the bot's blocked draft.",
    )
    conversation = models.ForeignKey(
        "leads.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compliance_tickets",
    )
    contact = models.ForeignKey(
        "leads.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compliance_tickets",
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compliance_tickets",
    )
    resolution_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    due_at = models.DateTimeField(help_text="Review it by then: sooner the more severe.")
    assigned_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    officer_notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the compliance officer was emailed."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One ticket per rule broken by a message, however often its turn runs.
            models.UniqueConstraint(
                fields=["message", "type", "category"],
                condition=Q(message__isnull=False),
                name="compliance_ticket_once_per_message",
            ),
            models.CheckConstraint(
                condition=~Q(status="assigned") | Q(assignee__isnull=False),
                name="compliance_ticket_assigned_has_assignee",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved")
                | (Q(resolved_at__isnull=False) & ~Q(resolution_note="")),
                name="compliance_ticket_resolved_has_note",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="compliance_ticket_queue")]

    def __str__(self):
        return (
            f"#{self.pk} {self.get_type_display()}: {self.category} ({self.get_status_display()})"
        )

    def is_overdue(self, at=None) -> bool:
        """Still unresolved after its due time."""
        return self.status != self.Status.RESOLVED and self.due_at < (at or timezone.now())
