"""What a person does to a conversation: reply as Jorge, move it to its next stage.

The dashboard, the admin and the API all call these (pausing and resuming the bot live in
``leads.services.escalation``). Every one is audited and tells the live dashboard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from analytics.services import broadcast_dashboard_event
from compliance.checks import check_message
from compliance.models import AuditEvent
from compliance.services import audit
from leads.bots.texts import AGENT
from leads.exceptions import ConversationActionError, NoNextStage
from leads.models import Channel, Conversation, Message, SendLedgerEntry
from leads.services.escalation import pause_bot_for_human
from leads.services.locks import lock_contact_and_conversation
from leads.services.messaging import deliver_to_web_chat
from leads.services.outbound import HIGHLEVEL_MESSAGE_TYPES, send_message_once

logger = logging.getLogger(__name__)

Stage = Conversation.Stage

# --- Stages -----------------------------------------------------------------------------------

# Where "advance" takes a conversation, by hand. Appointment set and Closed have no next
# stage; a hand-off goes on to the appointment Jorge sets.
NEXT_STAGE = {
    Stage.NEW: Stage.QUALIFYING,
    Stage.QUALIFYING: Stage.QUALIFIED,
    Stage.NURTURE: Stage.QUALIFYING,
    Stage.QUALIFIED: Stage.APPOINTMENT,
    Stage.HANDED_OFF: Stage.APPOINTMENT,
}


@dataclass(frozen=True)
class StageChange:
    """What an advance did, in words for the person who asked."""

    before: str
    after: str
    label: str  # e.g. "Qualifying → Qualified", or the bot's own stages


# A bot with stages of its own (the seller bot's questions) advances those instead: the bot
# asks its next question from them. Registered in the bot app's ``AppConfig.ready()``.
StageAdvancer = Callable[..., StageChange]
STAGE_ADVANCERS: dict[str, StageAdvancer] = {}
# The same bots say where "advance" would go: ``describe(conversation)`` → label or "".
STAGE_DESCRIBERS: dict[str, Callable[[Conversation], str]] = {}


def register_stage_advancer(
    bot: str, advancer: StageAdvancer, *, describe: Callable[[Conversation], str]
) -> StageAdvancer:
    """Have ``advancer(conversation=..., user=...)`` advance conversations run by ``bot``, and
    ``describe(conversation)`` name the stage it would move them to."""
    STAGE_ADVANCERS[bot] = advancer
    STAGE_DESCRIBERS[bot] = describe
    return advancer


def next_stage_label(conversation: Conversation) -> str:
    """The stage "advance" would move ``conversation`` to, in words ("" when there is none)."""
    if conversation.bot in STAGE_DESCRIBERS:
        return STAGE_DESCRIBERS[conversation.bot](conversation)
    target = NEXT_STAGE.get(conversation.stage)
    return Stage(target).label if target else ""


def advance_stage(*, conversation: Conversation, user: AbstractBaseUser) -> StageChange:
    """Move ``conversation`` to its next stage (audited); raises when it has none.

    The bot may move it again on its next turn, as it would after any answer.
    """
    advancer = STAGE_ADVANCERS.get(conversation.bot)
    if advancer is not None:
        return advancer(conversation=conversation, user=user)
    with transaction.atomic():
        _, conversation = lock_contact_and_conversation(
            contact_id=conversation.contact_id, conversation_id=conversation.pk
        )
        before = conversation.stage
        after = NEXT_STAGE.get(before)
        if after is None:
            raise NoNextStage(
                f"“{conversation.get_stage_display()}” is the last stage: nothing to advance to."
            )
        conversation.stage = after
        conversation.save(update_fields=["stage", "updated_at"])
        audit(
            action="conversation.stage_changed",
            subject=conversation,
            user=user,
            data={"from": before, "to": after},
        )
        broadcast_dashboard_event(
            kind="conversation.stage_changed",
            data={
                "conversation": conversation.pk,
                "contact": conversation.contact_id,
                "stage": after,
            },
        )
    return StageChange(
        before=before, after=after, label=f"{Stage(before).label} → {Stage(after).label}"
    )


# --- Replying as Jorge ------------------------------------------------------------------------

# HighLevel splits a long SMS into segments; past ten of them carriers start dropping it.
MAX_REPLY_CHARS = 1600


@dataclass(frozen=True)
class ReplyOutcome:
    message: Message
    sent: bool
    detail: str  # what happened, for the person who wrote it


def reply_as_agent(
    *, conversation: Conversation, user: AbstractBaseUser, body: str
) -> ReplyOutcome:
    """Send ``body`` to the lead as Jorge, through HighLevel (or into the visitor's widget on
    a web chat), and pause the bot.

    The message is recorded as a person's (so a bot turn running now drops its reply) and the
    bot pauses as when Jorge answers from HighLevel (``BOT_HUMAN_TAKEOVER_HOURS``), in one
    transaction; HighLevel is called after it commits, at most once (the send ledger).
    Refused with a clear error: an empty or too long text, a contact who opted out or is on
    do-not-disturb, a channel we cannot send on, and words that break a compliance rule.
    """
    body = (body or "").strip()
    if not body:
        raise ConversationActionError("Write the reply first.", code="empty_reply")
    if len(body) > MAX_REPLY_CHARS:
        raise ConversationActionError(
            f"The reply is {len(body):,} characters; keep it under {MAX_REPLY_CHARS:,}.",
            code="reply_too_long",
        )
    violations = check_message(body, "outbound")
    if violations:
        found = "; ".join(
            f"{v.type.replace('_', ' ')}: {v.category.replace('_', ' ')}" for v in violations
        )
        raise ConversationActionError(
            f"Not sent: the reply breaks a compliance rule ({found}). Please reword it.",
            code="reply_not_compliant",
            details={"violations": [v.as_dict() for v in violations]},
        )
    if transaction.get_connection().in_atomic_block:
        # HighLevel is called below: never while a transaction holds locks.
        raise RuntimeError("reply_as_agent must not run inside a transaction")
    with transaction.atomic():
        contact, conversation = lock_contact_and_conversation(
            contact_id=conversation.contact_id, conversation_id=conversation.pk
        )
        problem = _why_not_reply(conversation)
        if problem:
            raise ConversationActionError(f"Not sent: {problem}.", code="cannot_reply")
        now = timezone.now()
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.OUTBOUND,
            channel=conversation.channel,
            body=body,
            subject=_email_subject(conversation),
            sender=Message.Sender.HUMAN,
            status=Message.Status.QUEUED,
            sent_at=now,
        )
        pause_bot_for_human(
            conversation=conversation,
            reason=f"{user.get_username()} replied from the dashboard",
            message=message,
            actor=AuditEvent.Actor.HUMAN,
            actor_label=user.get_username(),
        )
        audit(
            action="message.human_reply",
            subject=message,
            user=user,
            data={"conversation": conversation.pk, "channel": message.channel, "chars": len(body)},
        )
        broadcast_dashboard_event(
            kind="conversation.human_reply",
            data={"conversation": conversation.pk, "contact": contact.pk, "message": message.pk},
        )
    if conversation.channel == Channel.WEB:
        # A web chat is answered in the visitor's widget (it polls), not through HighLevel.
        status = deliver_to_web_chat(message)
        if status == Message.Status.SENT:
            return ReplyOutcome(message=message, sent=True, detail="Shown in the visitor's chat.")
        return ReplyOutcome(
            message=message, sent=False, detail=f"Not shown in the chat: it is {status}."
        )
    entry = send_message_once(
        ledger_key=f"message:{message.pk}", message=message, conversation=conversation
    )
    if entry.status == SendLedgerEntry.Status.SENT:
        return ReplyOutcome(message=message, sent=True, detail="Sent through HighLevel.")
    if entry.status == SendLedgerEntry.Status.FAILED:
        detail = f"HighLevel did not take it, so it was not sent: {entry.error}"
    else:
        detail = (
            f"HighLevel did not confirm it; check HighLevel before sending it again: {entry.error}"
        )
    return ReplyOutcome(message=message, sent=False, detail=detail)


def _email_subject(conversation: Conversation) -> str:
    """An email reply answers the lead's last subject ("Re: …"); a text has none."""
    if conversation.channel != Channel.EMAIL:
        return ""
    last = (
        Message.objects.filter(conversation=conversation)
        .exclude(subject="")
        .order_by("-sent_at", "-id")
        .values_list("subject", flat=True)
        .first()
    )
    if not last:
        return f"A message from {AGENT}"
    return (last if last.lower().startswith("re:") else f"Re: {last}")[:255]


def _why_not_reply(conversation: Conversation) -> str:
    contact = conversation.contact
    if contact.opted_out:
        return "the lead opted out (texted STOP); they must opt back in first"
    if contact.dnd:
        return "the lead is on do-not-disturb"
    if conversation.channel == Channel.WEB:
        return ""  # answered in the visitor's widget, with or without a HighLevel contact
    if conversation.channel not in HIGHLEVEL_MESSAGE_TYPES:
        return f"we cannot send on the {conversation.get_channel_display()} channel"
    if not contact.ghl_contact_id:
        return "the contact has no HighLevel id"
    return ""
