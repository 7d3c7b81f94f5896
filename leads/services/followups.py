"""Keeping leads warm: the nurture cadence, and the five-minute rule for new leads.

Both run from Celery beat. A follow-up goes out on each day of
``BotSettings.followup_days`` after the lead's last message (the step on
``email_followup_day`` by email), each one different and in the lead's language.
A reply restarts the cadence (see the pipeline); an opt-out, a human taking over or a
closed conversation stops it.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from analytics.services import broadcast_dashboard_event
from compliance.models import AuditEvent
from compliance.services import audit
from leads import selectors
from leads.bots.base import TurnContext, get_bot
from leads.bots.texts import DEFAULT_TEXTS
from leads.models import Channel, Contact, Conversation, Deal, Message
from leads.services.messaging import queue_automated_message

logger = logging.getLogger(__name__)


def _stop_reason(conversation: Conversation, contact: Contact, now: datetime) -> str:
    if not contact.can_receive_automated:
        return "contact opted out or on do-not-disturb"
    if conversation.status != Conversation.Status.ACTIVE:
        return f"conversation {conversation.status}"
    if selectors.is_bot_paused(conversation=conversation, at=now):
        return "a human has taken over"
    if Deal.objects.filter(
        contact=contact, stage__in=[Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST]
    ).exists():
        return "deal closed"
    return ""


def send_followup(*, conversation_id: int, now: datetime | None = None) -> str:
    """Send the due nurture follow-up of one conversation; returns what happened."""
    now = now or timezone.now()
    bot_settings = selectors.bot_settings()
    days = list(bot_settings.followup_days)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
        if (
            conversation is None
            or conversation.next_followup_at is None
            or conversation.next_followup_at > now
        ):
            return "not_due"
        contact = Contact.objects.select_for_update().get(pk=conversation.contact_id)
        conversation.contact = contact
        step = conversation.followup_step + 1
        stop = _stop_reason(conversation, contact, now)
        if stop or step > len(days):
            conversation.next_followup_at = None
            conversation.save(update_fields=["next_followup_at", "updated_at"])
            audit(
                action="followup.stopped",
                subject=conversation,
                actor=AuditEvent.Actor.BOT,
                actor_label="nurture",
                data={"reason": stop or "cadence finished", "step": step},
            )
            return "stopped"

        by_email = days[step - 1] == bot_settings.email_followup_day and bool(contact.email)
        ctx = TurnContext(
            conversation=conversation,
            contact=contact,
            inbound=None,
            analysis=None,
            transcript=selectors.conversation_transcript(conversation=conversation),
            is_first_reply=False,
        )
        turn = get_bot(conversation.bot).follow_up(ctx, step=step, by_email=by_email)
        # A step meant for email goes as its SMS version to a contact without an address.
        key = turn.key if by_email or not _is_email_only(turn.key) else f"{turn.key}_sms"
        body = selectors.reply_text(
            key=key,
            language=contact.language,
            first_name=contact.first_name,
            **turn.template_context,
        )
        subject = (
            selectors.reply_text(key=f"{turn.key}_subject", language=contact.language)
            if by_email
            else ""
        )
        queue_automated_message(
            conversation=conversation,
            body=body,
            subject=subject,
            channel=Channel.EMAIL if by_email else conversation.channel,
            ai_metadata={"engine": "offline", "followup_step": step},
            attachments=list(turn.attachments) if by_email else [],
            reason=f"nurture:step{step}",
            now=now,
        )
        conversation.followup_step = step
        if turn.stage:
            conversation.stage = turn.stage
        base = conversation.last_inbound_at or conversation.created_at
        conversation.next_followup_at = (
            base + timedelta(days=days[step]) if step < len(days) else None
        )
        conversation.save(
            update_fields=["followup_step", "stage", "next_followup_at", "updated_at"]
        )
    return "sent_email" if by_email else "sent"


def _is_email_only(key: str) -> bool:
    return f"{key}_subject" in DEFAULT_TEXTS


def send_due_followups(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Send every nurture follow-up that is due; returns the conversation ids handled."""
    ids = list(
        selectors.conversations_due_for_followup(now=now).values_list("id", flat=True)[:limit]
    )
    for conversation_id in ids:
        send_followup(conversation_id=conversation_id, now=now)
    return ids


def escalate_slow_first_responses(*, now: datetime | None = None) -> list[int]:
    """Raise an escalation for every new lead waiting longer than the five-minute rule.

    A lead whose first reply is only waiting for the sending window (quiet hours) is not
    escalated: the law, not the team, is making them wait.
    """
    now = now or timezone.now()
    limit = timedelta(seconds=selectors.bot_settings().speed_to_lead_seconds)
    escalated = []
    for conversation in selectors.conversations_waiting_for_first_reply(older_than=now - limit):
        deferred = conversation.messages.filter(
            direction=Message.Direction.OUTBOUND,
            status=Message.Status.QUEUED,
            scheduled_for__gt=now,
        ).exists()
        if deferred:
            continue
        with transaction.atomic():
            updated = Conversation.objects.filter(
                pk=conversation.pk, speed_to_lead_escalated_at__isnull=True
            ).update(speed_to_lead_escalated_at=now)
            if not updated:
                continue
            waited = (now - conversation.last_inbound_at).total_seconds()
            audit(
                action="escalation.speed_to_lead",
                subject=conversation,
                actor=AuditEvent.Actor.SYSTEM,
                actor_label="five_minute_rule",
                data={"waited_seconds": round(waited)},
            )
            broadcast_dashboard_event(
                kind="escalation.speed_to_lead",
                data={"conversation": conversation.pk, "waited_seconds": round(waited)},
            )
        escalated.append(conversation.pk)
    return escalated
