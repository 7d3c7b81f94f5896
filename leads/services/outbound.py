"""Sending our messages to leads through HighLevel, at most once.

HighLevel's send call has no idempotency key, so every send goes through a
``SendLedgerEntry`` committed *before* the request: a retried or redelivered task
that finds its key already sent, in flight, or with an unknown outcome does not send
again. Only an entry that failed before reaching HighLevel may be claimed again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import linebreaks

from compliance.models import AuditEvent
from compliance.services import audit
from leads.ghl.client import Attachment, HighLevelClient, SendResult, get_client
from leads.ghl.exceptions import GHLError
from leads.models import Channel, Conversation, Message, SendLedgerEntry

logger = logging.getLogger(__name__)

# Our channels → HighLevel's message ``type``; calls and voicemails are not sent by us.
HIGHLEVEL_MESSAGE_TYPES = {
    Channel.SMS: "SMS",
    Channel.EMAIL: "Email",
    Channel.WHATSAPP: "WhatsApp",
    Channel.LIVE_CHAT: "Live_Chat",
}


def _actor(message: Message) -> str:
    return AuditEvent.Actor.BOT if message.sender == Message.Sender.BOT else AuditEvent.Actor.SYSTEM


def _claim(*, ledger_key: str, message: Message) -> tuple[SendLedgerEntry, bool]:
    """Write (and commit) the ledger entry; True when this caller now owns the send."""
    try:
        # Insert first: the unique key, not a read before it, decides who owns the send.
        with transaction.atomic():
            return SendLedgerEntry.objects.create(key=ledger_key, message=message), True
    except IntegrityError:
        entry = SendLedgerEntry.objects.get(key=ledger_key)
    if entry.status == SendLedgerEntry.Status.FAILED:
        # HighLevel never acted on it, so it may go again; the conditional update lets
        # exactly one of several concurrent retries win.
        won = SendLedgerEntry.objects.filter(
            pk=entry.pk, status=SendLedgerEntry.Status.FAILED
        ).update(status=SendLedgerEntry.Status.PENDING, error="", updated_at=timezone.now())
        entry.refresh_from_db()
        return entry, bool(won)
    return entry, False


def _record_sent(*, entry: SendLedgerEntry, message: Message, result: SendResult) -> None:
    now = timezone.now()
    with transaction.atomic():
        # The conversation, the message, then the ledger entry: the one lock order (locks.py).
        Conversation.objects.filter(pk=message.conversation_id).update(
            last_outbound_at=now, updated_at=now
        )
        rows = Message.objects.filter(pk=message.pk)
        echo_first, advanced = False, 0
        try:
            with transaction.atomic():
                # The echo may already have advanced it to delivered: never move it back.
                advanced = rows.filter(
                    status__in=[Message.Status.QUEUED, Message.Status.FAILED]
                ).update(
                    ghl_message_id=result.message_id,
                    sent_at=now,
                    status=Message.Status.SENT,
                    updated_at=now,
                )
                if not advanced:
                    rows.update(ghl_message_id=result.message_id, sent_at=now, updated_at=now)
        except IntegrityError:
            # HighLevel's OutboundMessage echo was stored as another message under this
            # id before we got here; the ledger keeps the id, the send is still recorded.
            echo_first = True
            rows.filter(status__in=[Message.Status.QUEUED, Message.Status.FAILED]).update(
                status=Message.Status.SENT, sent_at=now, updated_at=now
            )
            rows.update(sent_at=now, updated_at=now)
        if advanced and not echo_first:
            message.status, message.ghl_message_id = Message.Status.SENT, result.message_id
            message.sent_at = message.updated_at = now
        else:
            message.refresh_from_db(fields=["status", "ghl_message_id", "sent_at", "updated_at"])
        entry.status = SendLedgerEntry.Status.SENT
        entry.ghl_message_id = result.message_id
        entry.error = ""
        entry.save(update_fields=["status", "ghl_message_id", "error", "updated_at"])
        audit(
            action="message.sent",
            subject=message,
            actor=_actor(message),
            actor_label="send_message_once",
            data={
                "ledger_key": entry.key,
                "ghl_message_id": result.message_id,
                "ghl_conversation_id": result.conversation_id,
                "echo_stored_first": echo_first,
            },
        )


def _record_not_sent(
    *, entry: SendLedgerEntry, message: Message, status: str, error: str, data: dict
) -> None:
    with transaction.atomic():
        # The message says what the ledger knows; an echo may already have advanced it.
        # The message before its ledger entry: the one lock order (locks.py).
        outcome = (
            Message.Status.FAILED
            if status == SendLedgerEntry.Status.FAILED
            else Message.Status.UNKNOWN
        )
        Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).update(
            status=outcome, updated_at=timezone.now()
        )
        message.refresh_from_db(fields=["status", "updated_at"])
        entry.status = status
        entry.error = error[:2000]
        entry.save(update_fields=["status", "error", "updated_at"])
        audit(
            action="message.send_failed"
            if status == SendLedgerEntry.Status.FAILED
            else "message.send_unknown",
            subject=message,
            actor=_actor(message),
            actor_label="send_message_once",
            data={"ledger_key": entry.key, "error": error[:500], **data},
        )


def send_message_once(
    *,
    ledger_key: str,
    message: Message,
    attachments: Sequence[Attachment] = (),
    client: HighLevelClient | None = None,
    to_opted_out: bool = False,
    conversation: Conversation | None = None,
) -> SendLedgerEntry:
    """Send a queued outbound ``message`` through HighLevel at most once per ``ledger_key``.

    Call it outside any transaction (from a task): the ledger entry must be committed
    before the request leaves. Returns the entry; its status says what happened
    (sent, failed before reaching HighLevel, unknown, or still pending elsewhere).
    ``to_opted_out`` lets the one confirmation of a STOP reach an opted-out contact;
    do-not-disturb always blocks automated messages. ``conversation``: the message's
    conversation with its contact, if the caller read them just now.
    """
    highlevel_type = HIGHLEVEL_MESSAGE_TYPES.get(message.channel)
    if message.direction != Message.Direction.OUTBOUND or highlevel_type is None:
        raise ValueError(f"Only outbound {sorted(HIGHLEVEL_MESSAGE_TYPES)} messages can be sent.")
    if conversation is None:
        # The last line of defence reads the contact as it is now.
        conversation = Conversation.objects.select_related("contact").get(
            pk=message.conversation_id
        )
    contact = conversation.contact
    if not contact.ghl_contact_id:
        raise ValueError("The contact has no HighLevel id to send to.")

    entry, owned = _claim(ledger_key=ledger_key, message=message)
    if not owned:
        audit(
            action="message.send_skipped",
            subject=message,
            actor=_actor(message),
            actor_label="send_message_once",
            data={"ledger_key": ledger_key, "ledger_status": entry.status},
        )
        return entry

    unreachable = contact.dnd or (contact.opted_out and not to_opted_out)
    if message.sender != Message.Sender.HUMAN and unreachable:
        # Last line of defence: the rules upstream should never queue this.
        _record_not_sent(
            entry=entry,
            message=message,
            status=SendLedgerEntry.Status.FAILED,
            error="Contact opted out or is on do-not-disturb.",
            data={"blocked": True},
        )
        return entry

    own_client = client is None
    try:
        if client is None:
            client = get_client()
        result = client.send_message(
            contact_id=contact.ghl_contact_id,
            message_type=highlevel_type,
            message=message.body,
            subject=message.subject if message.channel == Channel.EMAIL else "",
            html=linebreaks(message.body, autoescape=True)
            if message.channel == Channel.EMAIL
            else "",
            attachments=attachments,
            conversation_id=conversation.ghl_conversation_id,
        )
    except GHLError as exc:
        reached = exc.may_have_reached_highlevel
        _record_not_sent(
            entry=entry,
            message=message,
            status=SendLedgerEntry.Status.UNKNOWN if reached else SendLedgerEntry.Status.FAILED,
            error=str(exc),
            data={"error_type": type(exc).__name__, "status_code": exc.status_code},
        )
        logger.warning("Send %s not confirmed (%s): %s", ledger_key, entry.status, exc)
        return entry
    except Exception as exc:
        # Whatever broke, the request may have left: never let a retry send it again.
        _record_not_sent(
            entry=entry,
            message=message,
            status=SendLedgerEntry.Status.UNKNOWN,
            error=f"{type(exc).__name__}: {exc}",
            data={"error_type": type(exc).__name__},
        )
        raise
    finally:
        if own_client and client is not None:
            client.close()

    _record_sent(entry=entry, message=message, result=result)
    return entry
