"""Reads of the leads app."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Contact, Conversation, Message, WebhookEvent

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

