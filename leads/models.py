"""Contacts, their conversations and messages, deals, and the HighLevel plumbing
(webhook events, outbox, send ledger) that moves them in and out."""

from datetime import timedelta
from itertools import pairwise

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest, Lower
from django.utils import timezone

from compliance.models import TicketStatus

e164_validator = RegexValidator(r"^\+[1-9]\d{6,14}$", "Enter a phone number in E.164 form.")


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"


class BotKind(models.TextChoices):
    LEAD = "lead", "Lead bot"
    BUYER = "buyer", "Buyer bot"
    SELLER = "seller", "Seller bot"


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    WHATSAPP = "whatsapp", "WhatsApp"
    LIVE_CHAT = "live_chat", "Live chat"  # HighLevel's own chat widget
    WEB = "web", "Web chat"  # our widget on Jorge's website (docs/web-chat.md)
    CALL = "call", "Call"
    VOICEMAIL = "voicemail", "Voicemail"
    OTHER = "other", "Other"


class Intent(models.TextChoices):
    BUYER = "buyer", "Buying"
    SELLER = "seller", "Selling"
    BOTH = "both", "Buying and selling"
    UNKNOWN = "unknown", "Unknown"


class Timeline(models.TextChoices):
    ASAP = "asap", "Within 30 days"
    ONE_TO_THREE = "1_3_months", "1–3 months"
    THREE_TO_SIX = "3_6_months", "3–6 months"
    SIX_TO_TWELVE = "6_12_months", "6–12 months"
    TWELVE_PLUS = "12_plus_months", "Over 12 months"
    UNKNOWN = "unknown", "Unknown"


class Temperature(models.TextChoices):
    HOT = "hot", "Hot"
    WARM = "warm", "Warm"
    COLD = "cold", "Cold"


class Contact(TimeStampedModel):
    """A person in Jorge's HighLevel location, mirrored here, with what we know of them."""

    ghl_contact_id = models.CharField(
        "HighLevel contact id",
        max_length=64,
        blank=True,
        help_text="Blank for a web-chat visitor until they give a phone or an email.",
    )
    ghl_location_id = models.CharField("HighLevel location id", max_length=64)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=16, blank=True, validators=[e164_validator])
    email = models.EmailField(blank=True)
    source = models.CharField(max_length=120, blank=True)
    tags = models.JSONField(default=list, blank=True)
    timezone = models.CharField(
        max_length=64, blank=True, help_text="IANA name, e.g. America/Los_Angeles"
    )
    state = models.CharField(
        max_length=2,
        blank=True,
        help_text="US state of residence; inferred from the phone when blank.",
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)

    opted_out = models.BooleanField(default=False)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    opted_out_reason = models.CharField(max_length=255, blank=True)
    dnd = models.BooleanField("do not disturb", default=False)
    dnd_at = models.DateTimeField(null=True, blank=True)
    dnd_reason = models.CharField(max_length=255, blank=True)
    bot_paused_until = models.DateTimeField(
        null=True, blank=True, help_text="No automated message before this time."
    )
    is_test = models.BooleanField(
        "test (staff trying the bot)",
        default=False,
        help_text="Staff trying the bot from the chat demo: kept out of the dashboard's figures, "
        "HighLevel and follow-ups.",
    )

    # Qualification, updated from every inbound message.
    intent = models.CharField(max_length=8, choices=Intent.choices, default=Intent.UNKNOWN)
    budget_min = models.PositiveIntegerField(null=True, blank=True, help_text="USD")
    budget_max = models.PositiveIntegerField(null=True, blank=True, help_text="USD")
    timeline = models.CharField(max_length=16, choices=Timeline.choices, default=Timeline.UNKNOWN)
    pre_approved = models.BooleanField(null=True, blank=True)
    area = models.CharField(max_length=120, blank=True, help_text="Where they want to buy or sell.")
    score = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    temperature = models.CharField(
        max_length=4, choices=Temperature.choices, default=Temperature.COLD, db_index=True
    )
    score_reasons = models.JSONField(default=list, blank=True)
    # The learned score (docs/lead-scoring.md): the chance the lead converts, by the active
    # LeadScoreModel; null until a model has scored them.
    learned_score = models.FloatField(
        null=True, blank=True, help_text="Probability (0-1) that the lead converts."
    )
    learned_temperature = models.CharField(max_length=4, choices=Temperature.choices, blank=True)
    learned_model_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            # A web-chat visitor has no HighLevel id until they give a phone or an email.
            models.UniqueConstraint(
                fields=["ghl_location_id", "ghl_contact_id"],
                condition=~Q(ghl_contact_id=""),
                name="contact_unique_per_location",
            ),
            models.CheckConstraint(
                condition=Q(opted_out=False) | Q(opted_out_at__isnull=False),
                name="contact_opt_out_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["phone"]),
            models.Index(fields=["email"]),
            # The admin's search by HighLevel id (the unique constraint leads with the location).
            models.Index(fields=["ghl_contact_id"], name="contact_ghl_id"),
            # The dashboard's conversations table: sorted by score or name; it and the admin
            # search by the start of a first or last name or email (config.search.starts_with).
            models.Index(fields=["score"], name="contact_score"),
            models.Index(Lower("last_name"), Lower("first_name"), name="contact_name_lower"),
            models.Index(Lower("first_name"), name="contact_first_name_lower"),
            models.Index(Lower("email"), name="contact_email_lower"),
            # The dashboard's leads explorer: its two charts and the filters their bars set.
            models.Index(fields=["timeline", "created_at"], name="contact_timeline_recent"),
            models.Index(fields=["budget_max"], name="contact_budget"),
            # The few test contacts, so the figures leave them out without reading every
            # contact (analytics.selectors: "not one of these" rather than a join).
            models.Index(fields=["id"], condition=Q(is_test=True), name="contact_test"),
        ]

    def __str__(self):
        return self.full_name or self.phone or self.email or self.ghl_contact_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def can_receive_automated(self) -> bool:
        return not (self.opted_out or self.dnd)

    @property
    def in_highlevel(self) -> bool:
        """A contact HighLevel knows: not a web-chat visitor yet to give a phone or an email,
        nor staff trying the bot."""
        return bool(self.ghl_contact_id) and not self.is_test


def last_activity() -> Greatest:
    """When a conversation last moved: the later of its last message in and out (its start
    before either). Never null, so it sorts alike on every database; the conversations table
    orders by it through the ``conv_last_activity`` index, built on exactly this expression."""
    return Greatest(
        Coalesce("last_inbound_at", "created_at"), Coalesce("last_outbound_at", "created_at")
    )


class Conversation(TimeStampedModel):
    """One thread with a contact on one channel, run by one bot at a time."""

    class Stage(models.TextChoices):
        NEW = "new", "New"
        QUALIFYING = "qualifying", "Qualifying"
        QUALIFIED = "qualified", "Qualified"
        NURTURE = "nurture", "Nurture"
        APPOINTMENT = "appointment", "Appointment set"
        HANDED_OFF = "handed_off", "Handed to Jorge"
        CLOSED = "closed", "Closed"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused (human took over)"
        OPTED_OUT = "opted_out", "Opted out"
        CLOSED = "closed", "Closed"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    ghl_conversation_id = models.CharField(
        "HighLevel conversation id", max_length=64, blank=True, default=""
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.SMS)
    bot = models.CharField(max_length=8, choices=BotKind.choices, default=BotKind.LEAD)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.NEW)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    first_response_seconds = models.FloatField(
        null=True,
        blank=True,
        help_text="Seconds from the first inbound message to our first reply.",
    )
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True)
    ai_cost_usd = models.DecimalField(
        "AI cost (USD)",
        max_digits=12,
        decimal_places=6,
        default=0,
        help_text="What Claude cost for this conversation: every analysis and reply, "
        "including answers that were discarded.",
    )
    bot_state = models.JSONField(
        default=dict, blank=True, help_text="What the bot asked and learned, for its next turn."
    )
    followup_step = models.PositiveSmallIntegerField(
        default=0, help_text="Nurture follow-ups sent since the lead last wrote."
    )
    next_followup_at = models.DateTimeField(null=True, blank=True, db_index=True)
    speed_to_lead_escalated_at = models.DateTimeField(null=True, blank=True)
    needs_human_review = models.BooleanField(
        default=False,
        db_index=True,
        help_text="A person has to look at it (an escalation ticket is open, or was until "
        "the bot was resumed).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ghl_conversation_id"],
                condition=~Q(ghl_conversation_id=""),
                name="conversation_unique_ghl_id",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-last_inbound_at"], name="conv_status_recent"),
            models.Index(fields=["bot", "stage"], name="conv_bot_stage"),
            # The dashboard's default order, newest activity first (an index walk, LIMIT).
            models.Index(last_activity(), name="conv_last_activity"),
            # The leads explorer's stage filter: the contacts with a conversation at a stage.
            models.Index(fields=["stage", "contact"], name="conv_stage_contact"),
            # The five-minute-rule tile's misses: the few conversations nobody has answered.
            models.Index(
                fields=["created_at"],
                condition=Q(first_response_seconds__isnull=True, last_outbound_at__isnull=True),
                name="conv_unanswered",
            ),
        ]

    def __str__(self):
        return f"{self.contact} · {self.get_channel_display()} · {self.get_stage_display()}"


class Message(TimeStampedModel):
    """One message in a conversation, inbound or outbound."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Outcome unknown (not resent)"
        BLOCKED = "blocked", "Blocked by a rule"

    class Sender(models.TextChoices):
        CONTACT = "contact", "Contact"
        BOT = "bot", "Bot"
        HUMAN = "human", "Human"
        SYSTEM = "system", "System"

    class TurnOutcome(models.TextChoices):
        """What the bot's turn did with an inbound message (docs/bots.md, "The turn")."""

        REPLIED = "replied", "Replied"
        KEYWORD = "keyword", "Answered by keyword rule (STOP/START/HELP)"
        NO_REPLY = "no_reply", "No reply (by the rules, or handed to a person)"
        HELD = "held", "Held while the bots were stopped (answered when they restart)"
        DROPPED = "dropped", "Reply dropped (something changed during the turn)"
        SUPERSEDED = "superseded", "Answered together with a newer message"
        FAILED = "failed", "Failed (escalated to a person)"
        NOT_ANSWERABLE = "not_answerable", "Not for the bot (call or voicemail)"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.SMS)
    body = models.TextField(blank=True)
    subject = models.CharField(max_length=255, blank=True)
    ghl_message_id = models.CharField("HighLevel message id", max_length=64, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices)
    sender = models.CharField(max_length=8, choices=Sender.choices)
    sent_at = models.DateTimeField(default=timezone.now, help_text="When it was sent or received.")
    scheduled_for = models.DateTimeField(
        null=True, blank=True, help_text="A queued message waits until then (quiet hours)."
    )
    # An inbound message's turn: claimed (turn_started_at), then finished (handled_at) with
    # an outcome. A claim older than BOT_TURN_STALE_SECONDS lost its worker; the sweep reruns it.
    turn_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When a bot turn took this inbound message."
    )
    handled_at = models.DateTimeField(
        null=True, blank=True, help_text="When the bot pipeline finished with this inbound message."
    )
    turn_outcome = models.CharField(max_length=16, choices=TurnOutcome.choices, blank=True)
    turn_error = models.TextField(blank=True, help_text="Why the bot's turn failed, if it did.")
    attachments = models.JSONField(
        default=list,
        blank=True,
        help_text='Files sent with the message: [{"path", "filename", "content_type", "link"}] '
        "(path in default storage; link is sent instead if the upload fails).",
    )
    ai_metadata = models.JSONField(
        default=dict,
        blank=True,
        help_text="Engine, model, tokens, cost and latency of a bot reply.",
    )

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ghl_message_id"],
                condition=~Q(ghl_message_id=""),
                name="message_unique_ghl_id",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "sent_at"], name="msg_conv_time"),
            # The admin's message list, newest first (read backwards): an index walk, LIMIT.
            models.Index(fields=["sent_at", "id"], name="msg_sent"),
            # The id too: the list orders by (sent_at, id), and an index that gives only part of
            # that order lost to walking every message newest first for a rare status.
            models.Index(fields=["status", "-sent_at", "-id"], name="msg_status_recent"),
            models.Index(fields=["status", "scheduled_for"], name="msg_queue"),
            # The inbound messages still waiting for (or in) a bot turn: few, read every minute.
            models.Index(
                fields=["created_at"],
                condition=Q(direction="inbound", handled_at__isnull=True),
                name="msg_turn_pending",
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} {self.get_channel_display()}: {self.body[:40]}"


class EscalationTicket(TimeStampedModel):
    """A moment the bot hands to a person: why, how urgent, who has it, how it ended.

    Created only by ``leads.services.escalation.escalate_to_human``; worked in the admin.
    ``context`` holds the machine's reasons (rule names, counts, ids), never personal data:
    the transcript is read from the conversation itself.
    """

    class Reason(models.TextChoices):
        ASKED_FOR_PERSON = "asked_for_person", "Asked for a person"
        ANGER_OR_COMPLAINT = "anger_or_complaint", "Anger, complaint or legal threat"
        BOT_FAILED = "bot_failed", "The bot failed"
        MISSED_FIRST_REPLY = "missed_first_reply", "Missed the five-minute rule"
        SEND_UNCONFIRMED = "send_unconfirmed", "A reply's delivery could not be confirmed"
        FINANCIAL_REVIEW = "financial_review", "Financial readiness needs review"
        COMPLIANCE = "compliance", "Compliance"
        OTHER = "other", "Other"

    class Priority(models.TextChoices):
        URGENT = "urgent", "Urgent"
        HIGH = "high", "High"
        NORMAL = "normal", "Normal"
        LOW = "low", "Low"

    Status = TicketStatus

    # How long a person has to pick a ticket up, counted from when the on-call person is told.
    SLA = {
        Priority.URGENT: timedelta(minutes=15),
        Priority.HIGH: timedelta(hours=1),
        Priority.NORMAL: timedelta(hours=4),
        Priority.LOW: timedelta(hours=24),
    }
    DEFAULT_PRIORITY = {
        Reason.ASKED_FOR_PERSON: Priority.HIGH,
        Reason.ANGER_OR_COMPLAINT: Priority.URGENT,
        Reason.BOT_FAILED: Priority.HIGH,
        Reason.MISSED_FIRST_REPLY: Priority.HIGH,
        Reason.SEND_UNCONFIRMED: Priority.HIGH,
        Reason.FINANCIAL_REVIEW: Priority.NORMAL,
        Reason.COMPLIANCE: Priority.HIGH,
        Reason.OTHER: Priority.NORMAL,
    }
    # An open ticket this close to its due time is "due soon" (the admin's SLA filter).
    DUE_SOON = timedelta(hours=1)

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="escalation_tickets"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="escalation_tickets"
    )
    message = models.ForeignKey(
        "Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalation_tickets",
        help_text="The message that raised it, if one did.",
    )
    reason = models.CharField(max_length=24, choices=Reason.choices)
    summary = models.CharField(
        max_length=255, blank=True, help_text="Why, in a line (no personal data)."
    )
    handover_summary = models.TextField(
        blank=True,
        help_text="The conversation in a few lines for whoever takes it over (with "
        "ENABLE_AGENT_MESH; sensitive data redacted).",
    )
    priority = models.CharField(max_length=8, choices=Priority.choices)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    due_at = models.DateTimeField("SLA due", db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalation_tickets",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    context = models.JSONField(default=dict, blank=True, help_text="Why, for machines; no PII.")
    occurrences = models.PositiveIntegerField(
        default=1, help_text="Times the same reason came up while the ticket was open."
    )
    notify_at = models.DateTimeField(
        help_text="When the on-call person is told: at once, or the next business morning."
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    notifications = models.JSONField(
        default=dict, blank=True, help_text="Channel -> when the on-call person was told by it."
    )
    holding_message = models.ForeignKey(
        "Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The message that told the lead a person will answer later.",
    )

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            # One open ticket per reason and conversation: a repeat is counted on it.
            models.UniqueConstraint(
                fields=["conversation", "reason"],
                condition=~Q(status="resolved"),
                name="escalation_one_open_per_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False)
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                name="escalation_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="assigned") | Q(assignee__isnull=False),
                name="escalation_assigned_has_assignee",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="escalation_queue"),
            models.Index(
                fields=["created_at"],
                condition=Q(notified_at__isnull=True),
                name="escalation_to_notify",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_reason_display()} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    def sla_state(self, at=None) -> str:
        """``overdue``, ``due_soon`` (within ``DUE_SOON``) or ``ok``; "" once resolved."""
        if not self.is_open:
            return ""
        at = at or timezone.now()
        if self.due_at <= at:
            return "overdue"
        if self.due_at - at <= self.DUE_SOON:
            return "due_soon"
        return "ok"


class Deal(TimeStampedModel):
    """A buy or sell deal, mirrored from a HighLevel opportunity where there is one."""

    class Side(models.TextChoices):
        BUY = "buy", "Buyer side"
        SELL = "sell", "Seller side"

    class Stage(models.TextChoices):
        LEAD = "lead", "Lead"
        APPOINTMENT = "appointment", "Appointment"
        ACTIVE = "active", "Active (listing or searching)"
        UNDER_CONTRACT = "under_contract", "Under contract"
        CLOSED_WON = "closed_won", "Closed won"
        CLOSED_LOST = "closed_lost", "Closed lost"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="deals")
    ghl_opportunity_id = models.CharField(max_length=64, blank=True, default="")
    name = models.CharField(max_length=200)
    side = models.CharField(max_length=4, choices=Side.choices)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.LEAD)
    property_address = models.CharField(max_length=255, blank=True)
    value = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Sale price in USD."
    )
    # The commission math and the business's rate live in analytics.rules (one place); a deal
    # only says when it was negotiated at another rate.
    commission_percent_override = models.DecimalField(
        "negotiated commission (%)",
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Only when this deal's commission differs from the business's rate (Business "
        "settings), e.g. 5.00 for 5% of the sale price. Blank = the business's rate.",
    )
    expected_close_on = models.DateField(
        null=True,
        blank=True,
        help_text="When Jorge expects it to close; blank = estimated from the stage.",
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ghl_opportunity_id"],
                condition=~Q(ghl_opportunity_id=""),
                name="deal_unique_ghl_id",
            ),
            models.CheckConstraint(
                condition=Q(commission_percent_override__isnull=True)
                | Q(commission_percent_override__gte=0, commission_percent_override__lte=10),
                name="deal_commission_override_range",
                violation_error_message="A negotiated commission is from 0%% to 10%% of the "
                "sale price.",
            ),
        ]
        indexes = [models.Index(fields=["stage", "-closed_at"], name="deal_stage_closed")]

    def __str__(self):
        return self.name

    @property
    def commission(self):
        """What the deal pays Jorge (take-home), under the business rules."""
        from analytics.rules import commission_for

        return None if self.value is None else commission_for(self).jorge


class WebhookEvent(TimeStampedModel):
    """A webhook as received, stored before it is acknowledged.

    The row is the source of truth for processing: status moves
    received → processing → processed | ignored | failed | dead. Rejected rows (no or a
    bad signature, stale) keep only what the delivery was (time, address, size, headers,
    reason, the body's sha256), never its body, and are never processed. Unprocessable rows
    are authentic deliveries we cannot read: their body is kept (escaped), never applied.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (a type we do not act on, or another location's)"
        FAILED = "failed", "Failed (will retry)"
        DEAD = "dead", "Dead (gave up; reprocess by hand)"
        REJECTED = "rejected", "Rejected (not authentic)"
        UNPROCESSABLE = "unprocessable", "Unprocessable (authentic, but cannot be read)"
        TURN_FAILED = "turn_failed", "Processed, but the bot's turn failed (escalated)"

    class Source(models.TextChoices):
        GHL = "ghl", "HighLevel app webhook"
        GHL_WORKFLOW = "ghl_workflow", "HighLevel workflow webhook"

    source = models.CharField(max_length=16, choices=Source.choices, default=Source.GHL)
    event_type = models.CharField(max_length=64, blank=True)
    location_id = models.CharField(max_length=64, blank=True)
    # HighLevel's webhookId, or a hash of the body when it has none; null for rejected
    # rows so a forged copy can never claim the id of a real event.
    dedupe_key = models.CharField(max_length=128, null=True, blank=True, unique=True)
    signature_scheme = models.CharField(max_length=16, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(
        blank=True,
        help_text="The request body as received (redacted); escaped when it could not be read; "
        "empty for a rejected delivery.",
    )
    body_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="Bytes received (the body)."
    )
    body_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text="sha256 of the raw body of a rejected delivery (whose body is not kept).",
    )
    client_ip = models.CharField(
        "client address",
        max_length=64,
        blank=True,
        help_text="Who sent it (the address the limits count by).",
    )
    payload = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    message = models.ForeignKey(
        "Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_events",
        help_text="The message this event recorded, whose bot turn it answers for.",
    )

    class Meta:
        indexes = [
            models.Index(fields=["status", "created_at"], name="webhook_status_time"),
            models.Index(fields=["event_type"], name="webhook_type"),
        ]

    def __str__(self):
        return f"{self.event_type or 'unknown'} · {self.get_status_display()}"


class OutboxMessage(TimeStampedModel):
    """A HighLevel API call captured instead of sent (no ``GHL_API_TOKEN``).

    The real client builds every request; only the transport is swapped for one
    that lands here, so the embedded default shows exactly what would have gone out.
    """

    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    operation = models.CharField(max_length=32, db_index=True)
    ghl_contact_id = models.CharField(max_length=64, blank=True, db_index=True)
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.JSONField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.method} {self.path}"


class SendLedgerEntry(TimeStampedModel):
    """At-most-once sending: HighLevel's send call has no idempotency key.

    The entry is written before the send; a retried or redelivered task that finds
    it already sent (or in an unknown state) does not send again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed before reaching HighLevel"
        UNKNOWN = "unknown", "Outcome unknown (not resent)"

    class Reconciliation(models.TextChoices):
        """What reading the conversation back from HighLevel settled (leads/services/reconciliation.py)."""

        FOUND = "found", "Found in HighLevel"
        RESENT = "resent", "Not found: sent again once"
        FLAGGED = "flagged", "Not found: handed to a person"

    key = models.CharField(max_length=128, unique=True)
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="ledger_entry"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    ghl_message_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    reconciliation = models.CharField(max_length=8, choices=Reconciliation.choices, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "send ledger entries"
        indexes = [
            # The reconciliation sweep reads the few sends not settled yet, oldest first.
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status__in=["pending", "unknown"]),
                name="ledger_unsettled",
            )
        ]

    def __str__(self):
        return f"{self.key} · {self.status}"


MAX_FOLLOWUP_DAY = 365
MAX_FOLLOWUPS = 10


def validate_followup_days(value) -> None:
    """Whole days, 1 to 365, each later than the one before: the nurture cadence reads them
    as they are (a bad value used to save and then fail every new lead's turn)."""
    example = "Enter whole days in order, e.g. 1, 3, 7, 14, 30 (or nothing for no follow-ups)."
    if not isinstance(value, list):
        raise ValidationError(f"Follow-up days must be a list of days. {example}")
    for day in value:
        if isinstance(day, bool) or not isinstance(day, int):
            raise ValidationError(f"“{day}” is not a whole number of days. {example}")
        if not 1 <= day <= MAX_FOLLOWUP_DAY:
            raise ValidationError(
                f"{day} is out of range: each day is from 1 to {MAX_FOLLOWUP_DAY}. {example}"
            )
    if any(later <= earlier for earlier, later in pairwise(value)):
        raise ValidationError(f"Each day must come after the one before. {example}")
    if len(value) > MAX_FOLLOWUPS:
        raise ValidationError(f"At most {MAX_FOLLOWUPS} follow-ups.")


class BotSettings(models.Model):
    """The one row of switches that govern every bot (edited in the admin).

    Every value is checked (validators, ``clean``): the bots read them on every turn, so a
    value that saved but made no sense would silently stop them answering.
    """

    bots_enabled = models.BooleanField(
        "bots enabled",
        default=True,
        help_text="Kill switch: untick to stop every automated message at once.",
    )
    max_unanswered_automated = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Automated messages a contact may get in a row without replying (1–20).",
    )
    followup_days = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_followup_days],
        help_text="Days after the lead's last message on which nurture follow-ups go out, "
        "e.g. 1, 3, 7, 14, 30. Empty: no follow-ups.",
    )
    email_followup_day = models.PositiveSmallIntegerField(
        default=14,
        validators=[MaxValueValidator(MAX_FOLLOWUP_DAY)],
        help_text="The follow-up on this day goes by email (with a CMA for sellers); it must be "
        "one of the follow-up days. 0: none by email.",
    )
    speed_to_lead_seconds = models.PositiveIntegerField(
        default=300,
        validators=[MinValueValidator(30), MaxValueValidator(24 * 3600)],
        help_text="A new lead waiting longer than this for a first reply is escalated "
        "(seconds, 30 to 86400).",
    )
    someone_on_call = models.BooleanField(
        "someone on call",
        default=True,
        help_text="Untick when nobody can take escalations (a holiday): the on-call email and "
        "SMS wait until it is ticked again within on-call hours, and leads waiting for a "
        "person are told someone will answer later.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    DEFAULT_FOLLOWUP_DAYS = (1, 3, 7, 14, 30)

    class Meta:
        verbose_name = verbose_name_plural = "bot settings"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="bot_settings_singleton")]

    def __str__(self):
        return "Bot settings" + ("" if self.bots_enabled else " (all bots stopped)")

    def clean(self):
        days = self.followup_days if isinstance(self.followup_days, list) else []
        if self.email_followup_day and days and self.email_followup_day not in days:
            raise ValidationError(
                {
                    "email_followup_day": f"Day {self.email_followup_day} is not one of the "
                    f"follow-up days ({', '.join(map(str, days))}): pick one of them, or 0 "
                    "for none by email."
                }
            )


class ReplyTemplate(TimeStampedModel):
    """Wording of a bot message in one language; staff edit it, code supplies the default."""

    key = models.CharField(max_length=48)
    language = models.CharField(max_length=2, choices=Language.choices)
    body = models.TextField(help_text="Placeholders in braces, e.g. {first_name}, {agent}.")

    class Meta:
        ordering = ["key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["key", "language"], name="reply_template_unique")
        ]

    def __str__(self):
        return f"{self.key} ({self.language})"


class Appointment(TimeStampedModel):
    """A call with Jorge on his calendar: booked by the bot, or made in HighLevel.

    The local calendar's busy time (free = working hours minus these), and the record of every
    HighLevel booking the bot made, with its HighLevel id (the AppointmentCreate webhook that
    echoes it is matched here, not recorded twice).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Being booked in HighLevel"
        BOOKED = "booked", "Booked"
        UNKNOWN = "unknown", "Outcome unknown (check HighLevel)"
        FAILED = "failed", "Not booked"
        CANCELLED = "cancelled", "Cancelled"

    class Source(models.TextChoices):
        BOT = "bot", "Booked by the bot"
        HIGHLEVEL = "highlevel", "Made in HighLevel"

    # These hold their time on the calendar (an unknown outcome may be a real booking).
    ACTIVE_STATUSES = (Status.PENDING, Status.BOOKED, Status.UNKNOWN)

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="appointments")
    conversation = models.ForeignKey(
        Conversation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
        help_text="The conversation in which the lead picked the time.",
    )
    calendar = models.CharField(
        max_length=64, help_text="The HighLevel calendar id, or 'local' for the local calendar."
    )
    ghl_appointment_id = models.CharField(
        "HighLevel appointment id", max_length=64, blank=True, default=""
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.BOT)
    title = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True, help_text="Why it was not booked, or why it is unknown.")

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ghl_appointment_id"],
                condition=~Q(ghl_appointment_id=""),
                name="appointment_unique_ghl_id",
            ),
            # Jorge is one person: the bot never books two calls at the same time.
            models.UniqueConstraint(
                fields=["start"],
                condition=Q(source="bot", status__in=["pending", "booked", "unknown"]),
                name="appointment_one_bot_call_per_start",
            ),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="appointment_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["status", "start"], name="appointment_status_start")]

    def __str__(self):
        start = timezone.localtime(self.start)  # the business's zone (BUSINESS_TIMEZONE)
        return f"{self.contact} · {start:%Y-%m-%d %H:%M %Z} · {self.get_status_display()}"


MAX_PHOTO_BYTES = 5 * 1024 * 1024


def validate_photo_size(photo) -> None:
    if photo.size > MAX_PHOTO_BYTES:
        raise ValidationError(f"The photo is {photo.size / 1024 / 1024:.1f} MB: at most 5 MB.")


class AgentProfile(models.Model):
    """Who the leads deal with: Jorge's name, licence, phone and photo or logo, as the CMA
    PDF shows them (one row, edited in the admin)."""

    name = models.CharField(max_length=100, default="Jorge", help_text="As leads know the agent.")
    team = models.CharField(
        max_length=120,
        default="Jorge's real-estate team",
        help_text="The team or brokerage name printed with the agent's.",
    )
    licence_number = models.CharField(
        "licence number",
        max_length=40,
        blank=True,
        help_text="The real-estate licence, as it must appear on the CMA, e.g. DRE #01234567.",
    )
    phone = models.CharField(
        max_length=16,
        blank=True,
        validators=[e164_validator],
        help_text="E.164, e.g. +19095550123; printed as (909) 555-0123.",
    )
    email = models.EmailField(blank=True)
    photo = models.ImageField(
        "photo or logo",
        upload_to="agent/",
        blank=True,
        validators=[validate_photo_size],
        help_text="A headshot or the team's logo (JPEG or PNG); the CMA shows it small.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "agent profile"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="agent_profile_singleton")]

    def __str__(self):
        return f"{self.name} · {self.team}"


class ApiToken(models.Model):
    """A key a program uses to call the REST API as ``user``, read-only or read-write.

    Only a SHA-256 hash of the secret is stored: the secret is shown once, when it is issued
    (leads.services.api_tokens), and cannot be read back. Revoked tokens stay, for the audit.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    name = models.CharField(max_length=100, help_text="What uses it, e.g. “Jorge's website”.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The token acts as this user, with no more rights than the user has.",
    )
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(
        max_length=12, editable=False, help_text="The secret's first characters, to recognise it."
    )
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def allows_writes(self) -> bool:
        return self.scope == self.Scope.READ_WRITE


class LeadScoreModel(models.Model):
    """A trained lead-scoring model (``manage.py train_lead_model``): its version, how it did
    in cross-validation against the rule score, its calibration and the fitted model itself.

    The artifact lives in the database so the web, WebSocket and worker processes on any
    machine read the same one; exactly one row is active at a time.
    """

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=False)
    algorithm = models.CharField(max_length=80)
    feature_names = models.JSONField(default=list)
    # Training set, folds, AUC of the model and of the rule score per fold and on average.
    metrics = models.JSONField(default=dict)
    # Out-of-fold predictions by decile: [{"decile", "n", "predicted", "observed"}, ...]
    calibration = models.JSONField(default=list)
    # What scoring reads: the linear model's names, means, scales, coefficients and intercept
    # (plain numbers, so serving never unpickles anything nor imports scikit-learn).
    parameters = models.JSONField(default=dict)
    # joblib dump of the fitted scikit-learn pipeline, kept to inspect or reuse the model; only
    # ever written by our own training, never read from user input.
    artifact = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="lead_score_model_one_active"
            )
        ]
        ordering = ["-version"]

    def __str__(self):
        return f"Lead score model v{self.version}"
