"""The audit trail every automated decision writes to."""

from django.db import models
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
