"""Reads of the leads app."""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from .bots.texts import AGENT, DEFAULT_TEXTS, TEAM
from .models import BotSettings, Contact, Conversation, Message, ReplyTemplate, WebhookEvent

logger = logging.getLogger(__name__)

# BOT_HUMAN_TAKEOVER_HOURS = 0 pauses the bot "until a person resumes it"; a far-future
# time keeps that in the one existing column instead of adding a flag.
BOT_PAUSED_INDEFINITELY = datetime(9999, 1, 1, tzinfo=UTC)


def contact_by_ghl_id(*, location_id: str, contact_id: str) -> Contact | None:
    """The contact mirrored from HighLevel contact ``contact_id`` in ``location_id``."""
    return Contact.objects.filter(ghl_location_id=location_id, ghl_contact_id=contact_id).first()


def conversation_by_ghl_id(*, conversation_id: str) -> Conversation | None:
    """The conversation with HighLevel id ``conversation_id``."""
    if not conversation_id:
        return None
    return (
        Conversation.objects.select_related("contact")
        .filter(ghl_conversation_id=conversation_id)
        .first()
    )


def message_by_ghl_id(*, ghl_message_id: str) -> Message | None:
    """The message HighLevel knows as ``ghl_message_id``."""
    if not ghl_message_id:
        return None
    return (
        Message.objects.select_related("conversation__contact")
        .filter(ghl_message_id=ghl_message_id)
        .first()
    )


def unconfirmed_bot_message(*, contact: Contact, body: str, since: datetime) -> Message | None:
    """A bot message to ``contact`` with this body whose HighLevel id is not known yet.

    HighLevel can fire the ``OutboundMessage`` echo before our send call has returned
    its ``messageId``; this finds our own message in that window.
    """
    return (
        Message.objects.filter(
            conversation__contact=contact,
            direction=Message.Direction.OUTBOUND,
            sender=Message.Sender.BOT,
            ghl_message_id="",
            body=body,
            created_at__gte=since,
        )
        .order_by("-created_at")
        .first()
    )


def is_bot_paused(*, conversation: Conversation, at: datetime | None = None) -> bool:
    """Whether a human took over ``conversation`` and the bot must stay quiet."""
    at = at or timezone.now()
    paused_until = conversation.contact.bot_paused_until
    return conversation.status == Conversation.Status.PAUSED or (
        paused_until is not None and paused_until > at
    )


def webhook_events_due_for_sweep(*, now: datetime | None = None) -> QuerySet[WebhookEvent]:
    """Events stored but not processed in time: never enqueued, retry lost, or worker died."""
    now = now or timezone.now()
    received_before = now - timedelta(seconds=settings.GHL_WEBHOOK_SWEEP_AFTER_SECONDS)
    # A failed event has its own Celery retry pending for up to the longest backoff.
    failed_before = now - timedelta(seconds=settings.GHL_WEBHOOK_RETRY_BACKOFF_MAX + 60)
    processing_before = now - timedelta(seconds=settings.GHL_WEBHOOK_STUCK_PROCESSING_SECONDS)
    Status = WebhookEvent.Status
    return WebhookEvent.objects.filter(
        Q(status=Status.RECEIVED, updated_at__lt=received_before)
        | Q(status=Status.FAILED, updated_at__lt=failed_before)
        | Q(status=Status.PROCESSING, updated_at__lt=processing_before)
    ).order_by("updated_at")


# --- Bots ---------------------------------------------------------------------


def bot_settings() -> BotSettings:
    """The one row of bot switches (created with its defaults on first use)."""
    settings_row, _ = BotSettings.objects.get_or_create(
        pk=1, defaults={"followup_days": list(BotSettings.DEFAULT_FOLLOWUP_DAYS)}
    )
    return settings_row


def reply_text(*, key: str, language: str, **context) -> str:
    """The wording of bot message ``key`` (``a+b`` joins several), staff's version first."""
    parts = key.split("+")
    overrides = dict(
        ReplyTemplate.objects.filter(key__in=parts, language=language).values_list("key", "body")
    )
    first_name = context.pop("first_name", "") or ""
    values = {
        "agent": AGENT,
        "team": TEAM,
        "first_name": first_name,
        "greeting_name": f" {first_name}" if first_name else "",
        **context,
    }
    texts = []
    for part in parts:
        default = DEFAULT_TEXTS[part].get(language) or DEFAULT_TEXTS[part]["en"]
        try:
            texts.append((overrides.get(part) or default).format_map(_Blank(values)))
        except (ValueError, IndexError, AttributeError):
            # A stored template with broken braces must never silence the bot.
            logger.warning("Reply template %s/%s is malformed; using the default", part, language)
            texts.append(default.format_map(_Blank(values)))
    return " ".join(texts)


def template_problem(body: str) -> str:
    """Why ``body`` cannot be rendered as a reply template ("" when it can)."""
    try:
        body.format_map(_Blank())
    except (ValueError, IndexError, AttributeError) as exc:
        return f"Check the braces around placeholders: {exc}."
    return ""


class _Blank(dict):
    """A placeholder staff typed that we do not know renders as nothing, not a crash."""

    def __missing__(self, key):
        return ""


def conversation_transcript(
    *, conversation: Conversation, limit: int = 12
) -> list[tuple[str, str]]:
    """The last ``limit`` messages as (``lead`` | ``bot``, text), oldest first."""
    rows = (
        Message.objects.filter(conversation=conversation)
        .exclude(status=Message.Status.BLOCKED)
        .order_by("-sent_at", "-id")
        .values_list("direction", "body")[:limit]
    )
    return [
        ("lead" if d == Message.Direction.INBOUND else "bot", body) for d, body in reversed(rows)
    ]


def unanswered_automated_count(*, conversation: Conversation, excluding: int | None = None) -> int:
    """Automated messages sent or queued since the contact last wrote (but ``excluding``)."""
    since = conversation.last_inbound_at
    qs = Message.objects.filter(
        conversation__contact_id=conversation.contact_id,
        direction=Message.Direction.OUTBOUND,
        sender__in=[Message.Sender.BOT, Message.Sender.SYSTEM],
        # An unknown outcome may have reached the contact: it counts.
        status__in=[
            Message.Status.QUEUED,
            Message.Status.SENT,
            Message.Status.DELIVERED,
            Message.Status.UNKNOWN,
        ],
    ).exclude(pk=excluding)
    return qs.filter(created_at__gt=since).count() if since else qs.count()


def automated_sent_since(*, contact: Contact, since: datetime) -> list[datetime]:
    """When automated messages went to ``contact`` since ``since``, oldest first."""
    return list(
        Message.objects.filter(
            conversation__contact=contact,
            direction=Message.Direction.OUTBOUND,
            sender__in=[Message.Sender.BOT, Message.Sender.SYSTEM],
            status__in=[Message.Status.SENT, Message.Status.DELIVERED, Message.Status.UNKNOWN],
            sent_at__gte=since,
        )
        .order_by("sent_at")
        .values_list("sent_at", flat=True)
    )


# A queued message whose send task never ran (broker down at commit) is picked up after this.
STALE_QUEUED_AFTER = timedelta(minutes=2)


def messages_due_to_send(*, now: datetime | None = None) -> QuerySet[Message]:
    """Queued messages whose wait (quiet hours, daily cap) is over, or whose send was lost.

    A message with a send-ledger entry is excluded: its send started, and the ledger (not a
    second attempt) decides what happened to it.
    """
    now = now or timezone.now()
    return (
        Message.objects.filter(status=Message.Status.QUEUED, ledger_entry__isnull=True)
        .filter(
            Q(scheduled_for__lte=now)
            | Q(scheduled_for__isnull=True, created_at__lte=now - STALE_QUEUED_AFTER)
        )
        .order_by("created_at")
    )


def conversations_due_for_followup(*, now: datetime | None = None) -> QuerySet[Conversation]:
    """Active conversations whose next nurture follow-up is due."""
    now = now or timezone.now()
    return Conversation.objects.filter(
        status=Conversation.Status.ACTIVE, next_followup_at__lte=now
    ).select_related("contact")


def conversations_waiting_for_first_reply(*, older_than: datetime) -> QuerySet[Conversation]:
    """New leads that wrote before ``older_than`` and have had no reply, not yet escalated."""
    return Conversation.objects.filter(
        last_inbound_at__isnull=False,
        last_inbound_at__lt=older_than,
        first_response_seconds__isnull=True,
        speed_to_lead_escalated_at__isnull=True,
    ).exclude(status__in=[Conversation.Status.OPTED_OUT, Conversation.Status.CLOSED])


def contact_to_complete(*, message_id: int) -> Contact | None:
    """The sender of a lead's first message when we do not know their phone (so their zone)."""
    message = Message.objects.select_related("conversation__contact").get(pk=message_id)
    contact = message.conversation.contact
    if contact.phone or not contact.ghl_contact_id:
        return None
    earlier = Message.objects.filter(
        conversation__contact=contact, direction=Message.Direction.INBOUND, pk__lt=message.pk
    )
    return None if earlier.exists() else contact
