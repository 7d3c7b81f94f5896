"""Automated messages out: queue them under every rule, then send them when allowed.

The rules live here, in code, after any AI: opted-out and do-not-disturb contacts get
nothing, the kill switch stops everything, a contact who stops answering gets at most
``max_unanswered_automated`` messages, and texts wait for the lead's sending window
(quiet hours, Florida's daily cap). They are checked when a message is queued and again
when it is sent, because hours may pass in between.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from compliance.models import AuditEvent
from compliance.rules.quiet_hours import (
    ROLLING_PERIOD,
    contact_state,
    contact_timezone,
    next_allowed_send_time,
)
from compliance.services import audit
from config import metrics
from config.queueing import publish
from leads import selectors
from leads.ghl.client import Attachment
from leads.models import Channel, Contact, Conversation, Message, SendLedgerEntry
from leads.services.locks import lock_conversation, lock_message

logger = logging.getLogger(__name__)

# Channels that are "texts" under the TCPA's calling-time rules.
TEXT_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP})


@dataclass(frozen=True)
class Verdict:
    """Whether an automated message may go now, later (``not_before``), or never (``blocked``)."""

    blocked: str = ""
    not_before: datetime | None = None


def sending_verdict(
    *,
    contact: Contact,
    conversation: Conversation,
    channel: str,
    now: datetime,
    keyword_reply: bool,
    message_id: int | None = None,
) -> Verdict:
    """Apply the sending rules to one automated message for ``contact``.

    ``keyword_reply`` marks the confirmation of STOP/START or the answer to HELP: the
    contact asked for it just now, so only do-not-disturb can stop it.
    """
    if contact.dnd and not keyword_reply:
        return Verdict(blocked="contact is on do-not-disturb")
    if keyword_reply:
        return Verdict()
    if contact.opted_out:
        return Verdict(blocked="contact opted out")
    bot_settings = selectors.bot_settings()
    if not bot_settings.bots_enabled:
        return Verdict(blocked="kill switch: all bots are stopped")
    unanswered, recent_sends = selectors.automated_messages_for_rules(
        conversation=conversation, since=now - ROLLING_PERIOD, excluding=message_id
    )
    if unanswered >= bot_settings.max_unanswered_automated:
        return Verdict(blocked="cap reached: too many messages without a reply")
    if channel not in TEXT_CHANNELS:
        return Verdict()
    tz = contact_timezone(
        phone=contact.phone, timezone_name=contact.timezone, default=settings.DEFAULT_TIMEZONE
    )
    state = contact.state or contact_state(phone=contact.phone)
    allowed_at = next_allowed_send_time(now=now, tz=tz, state=state, recent_sends=recent_sends)
    return Verdict(not_before=None if allowed_at <= now else allowed_at)


def queue_automated_message(
    *,
    conversation: Conversation,
    body: str,
    subject: str = "",
    channel: str | None = None,
    sender: str = Message.Sender.BOT,
    ai_metadata: dict | None = None,
    attachments: list[dict] | None = None,
    reason: str,
    now: datetime | None = None,
    send_after_commit: bool = True,
) -> Message:
    """Record an automated message and send it after commit, later, or never, by the rules.

    A text the outbound guards refuse is stored as blocked and escalated, never sent.

    Call inside the transaction that decided to send it; the audit row joins it. With
    ``send_after_commit=False`` the caller sends it itself once that transaction commits
    (the bot turn does, to save a task hop); the minute sweep sends it if the caller dies.
    """
    now = now or timezone.now()
    contact = conversation.contact
    channel = channel or conversation.channel
    ai_metadata = ai_metadata or {}
    if not ai_metadata.get("keyword"):
        # Every automated text passes the outbound guards (fair housing, sensitive data,
        # TCPA): whatever wrote it, a refused one is kept as blocked and never sent.
        # (STOP/START/HELP confirmations are fixed, vetted texts.)
        from leads.services.pipeline import block_draft, outbound_problems

        problems = outbound_problems(f"{subject}\n{body}", language=contact.language)
        if problems:
            return block_draft(
                conversation=conversation,
                contact=contact,
                text=body,
                subject=subject,
                channel=channel,
                problems=problems,
                metadata=ai_metadata,
            )
    verdict = sending_verdict(
        contact=contact,
        conversation=conversation,
        channel=channel,
        now=now,
        keyword_reply=bool(ai_metadata.get("keyword")),
    )
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        channel=channel,
        body=body,
        subject=subject,
        sender=sender,
        status=Message.Status.BLOCKED if verdict.blocked else Message.Status.QUEUED,
        sent_at=now,
        scheduled_for=verdict.not_before,
        ai_metadata=ai_metadata,
        attachments=attachments or [],
    )
    if verdict.blocked:
        action, data = "message.blocked", {"rule": verdict.blocked}
    elif verdict.not_before:
        action, data = "message.deferred", {"until": verdict.not_before.isoformat()}
    else:
        action, data = "message.queued", {}
        if send_after_commit:
            # A broker outage must not undo the decision: publish gives up quickly and the
            # minute sweep sends it later (config/queueing.py).
            transaction.on_commit(lambda: _enqueue_send(message.pk))
    audit(
        action=action,
        subject=message,
        actor=AuditEvent.Actor.BOT if sender == Message.Sender.BOT else AuditEvent.Actor.SYSTEM,
        actor_label=reason,
        data={"conversation": conversation.pk, "channel": channel, **data},
    )
    return message


def is_keyword_reply(message: Message) -> bool:
    """A confirmation of STOP/START or an answer to HELP (see ``sending_verdict``)."""
    return bool(message.ai_metadata.get("keyword"))


def _enqueue_send(message_id: int) -> None:
    from leads.tasks import send_message_task

    publish(send_message_task, message_id)


# A caller that queued a message and sends it right after commit need not check the rules
# again within this many seconds; the send ledger still refuses opted-out and DND contacts.
RULES_FRESH_FOR = 30


def send_queued_message(
    *,
    message_id: int,
    now: datetime | None = None,
    rules_checked_at: datetime | None = None,
    first_inbound_at: datetime | None = None,
    queued: Message | None = None,
) -> str:
    """Send a queued automated message if the rules still allow it; returns its new status.

    Safe to run twice: the send ledger (``send_message_once``) sends at most once.
    ``rules_checked_at``: the caller queued it under the rules just now (the bot turn).
    ``first_inbound_at``: when the lead first wrote, if the caller knows (saves a read).
    ``queued``: that caller's message, with its conversation and contact as it just wrote
    them (saves reading them again; the send ledger still refuses a second send).
    """
    now = now or timezone.now()
    if rules_checked_at is not None and (now - rules_checked_at).total_seconds() < RULES_FRESH_FOR:
        if queued is not None and queued.status == Message.Status.QUEUED:
            if queued.scheduled_for and queued.scheduled_for > now:
                return "waiting"
            return _send(queued, first_inbound_at=first_inbound_at)
        message = _queued(message_id=message_id, now=now, lock=False)
        if isinstance(message, str):
            return message
        return _send(message, first_inbound_at=first_inbound_at)
    with transaction.atomic():
        message = _queued(message_id=message_id, now=now, lock=True)
        if isinstance(message, str):
            return message
        conversation = message.conversation
        verdict = sending_verdict(
            contact=conversation.contact,
            conversation=conversation,
            channel=message.channel,
            now=now,
            keyword_reply=is_keyword_reply(message),
            message_id=message.pk,
        )
        if verdict.blocked:
            message.status = Message.Status.BLOCKED
            message.save(update_fields=["status", "updated_at"])
            audit(
                action="message.blocked",
                subject=message,
                actor=AuditEvent.Actor.SYSTEM,
                actor_label="send",
                data={"rule": verdict.blocked, "at_send_time": True},
            )
            return message.status
        if verdict.not_before:
            message.scheduled_for = verdict.not_before
            message.save(update_fields=["scheduled_for", "updated_at"])
            audit(
                action="message.deferred",
                subject=message,
                actor=AuditEvent.Actor.SYSTEM,
                actor_label="send",
                data={"until": verdict.not_before.isoformat()},
            )
            return "waiting"
    return _send(message)


def _queued(*, message_id: int, now: datetime, lock: bool) -> Message | str:
    """The queued message with its contact, or why it is not to be sent now.

    ``lock``: the contact, the conversation and the message locked in the one order
    (leads/services/locks.py), so a STOP being recorded meanwhile is seen by the rules.
    """
    if lock:
        try:
            _, _, message = lock_message(message_id=message_id)
        except (Contact.DoesNotExist, Conversation.DoesNotExist, Message.DoesNotExist):
            return "not_queued"
        if message.status != Message.Status.QUEUED:
            return "not_queued"
    else:
        message = (
            Message.objects.select_related("conversation__contact")
            .filter(pk=message_id, status=Message.Status.QUEUED)
            .first()
        )
    if message is None:
        return "not_queued"
    if message.scheduled_for and message.scheduled_for > now:
        return "waiting"
    return message


def _send(message: Message, *, first_inbound_at: datetime | None = None) -> str:
    from leads.services.outbound import send_message_once

    if message.channel == Channel.WEB:
        return deliver_to_web_chat(message, first_inbound_at=first_inbound_at)
    entry = send_message_once(
        ledger_key=f"message:{message.pk}",
        message=message,
        attachments=_load_attachments(message),
        to_opted_out=is_keyword_reply(message) and not message.conversation.contact.dnd,
        conversation=message.conversation,  # read with the message just now
    )
    if entry.status == SendLedgerEntry.Status.FAILED and message.attachments:
        _resend_with_links(message=message, error=entry.error)
    if message.status == Message.Status.SENT:
        _count_sent(message)
        _record_first_response(
            conversation=message.conversation,
            sent_at=message.sent_at,
            first_inbound_at=first_inbound_at,
        )
    return message.status


def _count_sent(message: Message) -> None:
    if message.conversation.contact.is_test:
        return  # staff trying the bot from the chat demo
    engine = message.ai_metadata.get("engine") or (
        "human" if message.sender == Message.Sender.HUMAN else "rules"
    )
    metrics.record_message(
        direction=Message.Direction.OUTBOUND, channel=message.channel, engine=engine
    )


def deliver_to_web_chat(message: Message, *, first_inbound_at: datetime | None = None) -> str:
    """A web-chat reply is not a text: it is marked sent here and the visitor's widget reads
    it (docs/web-chat.md). The opt-out and do-not-disturb rules were applied when it was
    queued and again by the caller; quiet hours do not apply to a chat the visitor is in."""
    now = timezone.now()
    contact = message.conversation.contact
    unreachable = contact.dnd or (contact.opted_out and not is_keyword_reply(message))
    with transaction.atomic():
        # The conversation's row before the message's: the one lock order (locks.py).
        lock_conversation(conversation_id=message.conversation_id)
        if unreachable and message.sender != Message.Sender.HUMAN:
            # Last line of defence, as for texts: the rules upstream should never queue this.
            Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).update(
                status=Message.Status.BLOCKED, updated_at=now
            )
            audit(
                action="message.blocked",
                subject=message,
                actor=AuditEvent.Actor.SYSTEM,
                actor_label="web_chat",
                data={"rule": "contact opted out or is on do-not-disturb", "at_send_time": True},
            )
            return Message.Status.BLOCKED
        sent = Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).update(
            status=Message.Status.SENT, sent_at=now, updated_at=now
        )
        if not sent:
            return Message.objects.filter(pk=message.pk).values_list("status", flat=True).first()
        Conversation.objects.filter(pk=message.conversation_id).update(
            last_outbound_at=now, updated_at=now
        )
        audit(
            action="message.sent",
            subject=message,
            actor=AuditEvent.Actor.BOT
            if message.sender == Message.Sender.BOT
            else AuditEvent.Actor.SYSTEM,
            actor_label="web_chat",
            data={"channel": Channel.WEB},
        )
    message.status, message.sent_at = Message.Status.SENT, now
    _count_sent(message)
    _record_first_response(
        conversation=message.conversation, sent_at=now, first_inbound_at=first_inbound_at
    )
    return message.status


def _load_attachments(message: Message) -> list[Attachment]:
    files = []
    for item in message.attachments:
        with default_storage.open(item["path"], "rb") as handle:
            files.append(
                Attachment(
                    filename=item.get("filename") or item["path"].rsplit("/", 1)[-1],
                    content=handle.read(),
                    content_type=item.get("content_type", "application/octet-stream"),
                )
            )
    return files


def _resend_with_links(*, message: Message, error: str) -> Message | None:
    """An attachment could not be sent: send the same email with links to the files instead."""
    links = [item["link"] for item in message.attachments if item.get("link")]
    if not links:
        return None
    with transaction.atomic():
        fallback = queue_automated_message(
            conversation=message.conversation,
            body=f"{message.body}\n\n" + "\n".join(links),
            subject=message.subject,
            channel=message.channel,
            sender=message.sender,
            ai_metadata={**message.ai_metadata, "attachment_fallback_for": message.pk},
            reason="attachment_fallback",
        )
        audit(
            action="message.attachment_fallback",
            subject=message,
            actor=AuditEvent.Actor.SYSTEM,
            actor_label="send",
            data={"error": error[:300], "fallback_message": fallback.pk},
        )
    return fallback


def _record_first_response(
    *, conversation: Conversation, sent_at: datetime, first_inbound_at: datetime | None = None
) -> None:
    """Speed to lead: seconds from the lead's first message to our first reply."""
    if conversation.first_response_seconds is not None:
        return
    first_inbound = first_inbound_at or (
        Message.objects.filter(conversation=conversation, direction=Message.Direction.INBOUND)
        .order_by("sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    if first_inbound is None:
        return
    updated = Conversation.objects.filter(
        pk=conversation.pk, first_response_seconds__isnull=True
    ).update(first_response_seconds=max((sent_at - first_inbound).total_seconds(), 0.0))
    if updated:
        seconds = (sent_at - first_inbound).total_seconds()
        logger.info("First response to conversation %s after %.1fs", conversation.pk, seconds)
        if not conversation.contact.is_test:
            metrics.record_first_response(channel=conversation.channel, seconds=seconds)


def send_due_messages(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Hand every queued message whose wait is over to the send task; returns their ids."""
    ids = list(selectors.messages_due_to_send(now=now).values_list("id", flat=True)[:limit])
    for message_id in ids:
        _enqueue_send(message_id)
    return ids
