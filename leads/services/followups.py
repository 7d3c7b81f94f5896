"""Keeping leads warm: the nurture cadence, and the five-minute rule for every message.

Both run from Celery beat. A follow-up goes out on each day of
``BotSettings.followup_days`` after the lead's last message (the step on
``email_followup_day`` by email), each one different and in the lead's language. It is a
bot turn without an inbound message: the bot decides it, and the turn's apply step writes
it (``pipeline.apply_turn``), hand-offs and state included. A reply restarts the cadence
(see the pipeline); an opt-out, a human taking over, a hand-off (a lead waiting for a person
or for Jorge's call) or a closed conversation stops it.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from compliance.models import AuditEvent
from compliance.services import audit
from config import metrics
from leads import selectors
from leads.bots.base import TurnContext, get_bot
from leads.bots.texts import DEFAULT_TEXTS
from leads.models import Channel, Contact, Conversation, Deal, EscalationTicket, Message
from leads.services.escalation import escalate_to_human
from leads.services.locks import lock_contact_and_conversation
from leads.services.messaging import send_queued_message
from leads.services.pipeline import Reply, apply_turn

logger = logging.getLogger(__name__)


def send_followup(*, conversation_id: int, now: datetime | None = None) -> str:
    """Send the due nurture follow-up of one conversation; returns what happened."""
    now = now or timezone.now()
    bot_settings = selectors.bot_settings()
    days = list(bot_settings.followup_days)
    send = None
    with transaction.atomic():
        contact_id = (
            Conversation.objects.filter(pk=conversation_id)
            .values_list("contact_id", flat=True)
            .first()
        )
        if contact_id is None:
            return "not_due"
        contact, conversation = lock_contact_and_conversation(
            contact_id=contact_id, conversation_id=conversation_id
        )
        if conversation.next_followup_at is None or conversation.next_followup_at > now:
            return "not_due"
        if selectors.messages_awaiting_turn(contact_id=contact.pk).exists():
            return "not_due"  # the lead just wrote: their turn restarts the cadence
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
        transcript, _ = selectors.transcript_for_turn(conversation=conversation)
        ctx = TurnContext(
            conversation=conversation,
            contact=contact,
            inbound=None,
            analysis=None,
            transcript=transcript,
            is_first_reply=False,
        )
        turn = get_bot(conversation.bot).follow_up(ctx, step=step, by_email=by_email)
        conversation.followup_step = step
        base = conversation.last_inbound_at or conversation.created_at
        conversation.next_followup_at = (
            base + timedelta(days=days[step]) if step < len(days) else None
        )
        reply = _followup_reply(turn, contact, conversation, step=step, by_email=by_email)
        message = apply_turn(ctx, turn, reply=reply)
        if message is not None and message.status == Message.Status.QUEUED:
            send = None if message.scheduled_for else message.pk
    if send is not None:
        send_queued_message(message_id=send, now=now, rules_checked_at=now)
    return "sent_email" if by_email else "sent"


def _followup_reply(
    turn, contact: Contact, conversation: Conversation, *, step: int, by_email: bool
):
    if not turn.send:
        return None
    # A step meant for email goes as its SMS version to a contact without an address.
    key = turn.key if by_email or not _is_email_only(turn.key) else f"{turn.key}_sms"
    body = selectors.reply_text(
        key=key, language=contact.language, first_name=contact.first_name, **turn.template_context
    )
    subject = (
        selectors.reply_text(key=f"{turn.key}_subject", language=contact.language)
        if by_email
        else ""
    )
    return Reply(
        text=body,
        subject=subject,
        channel=Channel.EMAIL if by_email else conversation.channel,
        metadata={"engine": "offline", "followup_step": step},
        attachments=tuple(turn.attachments) if by_email else (),
        reason=f"nurture:step{step}",
    )


def _stop_reason(conversation: Conversation, contact: Contact, now: datetime) -> str:
    if not contact.can_receive_automated:
        return "contact opted out or on do-not-disturb"
    if conversation.status != Conversation.Status.ACTIVE:
        return f"conversation {conversation.status}"
    if selectors.is_bot_paused(conversation=conversation, at=now):
        return "a human has taken over"
    handed_over = selectors.followups_stop_reason(conversation=conversation)
    if handed_over:
        return handed_over
    if Deal.objects.filter(
        contact=contact, stage__in=[Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST]
    ).exists():
        return "deal closed"
    return ""


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


def escalate_unanswered_messages(*, now: datetime | None = None) -> list[int]:
    """Escalate every conversation whose lead has waited over five minutes for an answer.

    Not only a new lead's first message: any message nobody (bot or person) has answered.
    A lead whose answer is only waiting for the sending window (quiet hours) is not
    escalated: the law, not the team, is making them wait. Each message escalates once, as
    a ``missed_first_reply`` ticket that leaves the bot running, so the reply the lead waits
    for still goes out as soon as the bots may send it (a held turn is answered when the
    kill switch is lifted, ``pipeline.answer_held_messages``). A conversation a person
    already has (an open ticket that paused the bot) is not escalated again.
    """
    now = now or timezone.now()
    limit = timedelta(seconds=selectors.bot_settings().speed_to_lead_seconds)
    escalated = []
    for waiting in selectors.conversations_waiting_for_answer(older_than=now - limit):
        deferred = waiting.messages.filter(
            direction=Message.Direction.OUTBOUND,
            status=Message.Status.QUEUED,
            scheduled_for__gt=now,
        ).exists()
        if deferred:
            continue
        with transaction.atomic():
            _, conversation = lock_contact_and_conversation(
                contact_id=waiting.contact_id, conversation_id=waiting.pk
            )
            updated = (
                Conversation.objects.filter(pk=conversation.pk)
                .exclude(speed_to_lead_escalated_at__gte=conversation.last_inbound_at)
                .update(speed_to_lead_escalated_at=now)
            )
            if not updated:
                continue
            if conversation.needs_human_review and selectors.is_bot_paused(
                conversation=conversation, at=now
            ):
                continue  # a ticket already put a person on it, with its own SLA
            waited = round((now - conversation.last_inbound_at).total_seconds())
            escalate_to_human(
                conversation=conversation,
                reason=EscalationTicket.Reason.MISSED_FIRST_REPLY,
                summary=f"the lead has waited {waited // 60} min for an answer",
                context={
                    "waited_seconds": waited,
                    "first_message": conversation.first_response_seconds is None,
                },
                actor=AuditEvent.Actor.SYSTEM,
                actor_label="five_minute_rule",
                now=now,
            )
        metrics.record_five_minute_rule_miss()
        escalated.append(conversation.pk)
    return escalated
