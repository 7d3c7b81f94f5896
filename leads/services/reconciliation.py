"""Sends whose outcome is unknown, settled by reading the conversation back from HighLevel.

A send that timed out or got a 5xx after the request left may have texted the lead, and
HighLevel's send call has no idempotency key: it is never retried (``outbound.py``). A send
whose worker died mid-request stays ``pending`` with the same doubt. Once such a send is
``SEND_RECONCILE_AFTER_SECONDS`` old (HighLevel's echo webhook usually settles it first), the
conversation's messages are read from HighLevel (``GET /conversations/{id}/messages``):

- found (our text, sent after we asked): the send is marked sent with HighLevel's id;
- not found after ``SEND_RECONCILE_GIVE_UP_SECONDS``: sent again once, as a new message under
  the sending rules, if that is still right (a bot's or system's text, recent, nothing said
  in the conversation since, never a resend itself); otherwise a person is asked to look
  (a ``send_unconfirmed`` ticket; the bot keeps answering).

Either way a lead never gets the same text twice from us: the original is never sent again,
and its ledger entry, once settled, is never read again.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from compliance.models import AuditEvent
from compliance.services import audit
from config import metrics
from leads import selectors
from leads.ghl.client import GHLMessage, HighLevelClient, get_client
from leads.ghl.exceptions import GHLError
from leads.models import Conversation, EscalationTicket, Message, SendLedgerEntry
from leads.services.locks import lock_message

logger = logging.getLogger(__name__)

Status = SendLedgerEntry.Status
Reconciliation = SendLedgerEntry.Reconciliation

# HighLevel's clock and ours may disagree a little on when the send happened.
CLOCK_SKEW = timedelta(minutes=2)
# How far back a conversation is read: pages of 50, newest first.
MAX_PAGES = 4
RESEND_OF = "resend_of"

_HIGHLEVEL_STATUSES = {
    "delivered": Message.Status.DELIVERED,
    "read": Message.Status.DELIVERED,
    "opened": Message.Status.DELIVERED,
    "clicked": Message.Status.DELIVERED,
    "failed": Message.Status.FAILED,
    "undelivered": Message.Status.FAILED,
}


@dataclass(frozen=True)
class Reconciled:
    """What one run did with one send: found, resent, flagged, waiting, unreadable, settled."""

    entry_id: int
    outcome: str
    detail: str = ""


def _text(value: str) -> str:
    return re.sub(r"\s+", " ", unescape(strip_tags(value or ""))).strip().casefold()


def is_our_text(*, ours: str, theirs: str) -> bool:
    """Whether HighLevel's body is the text we sent (an email's body comes back as HTML)."""
    ours, theirs = _text(ours), _text(theirs)
    return bool(ours) and (ours == theirs or (len(ours) >= 20 and ours in theirs))


def find_in_highlevel(
    *, client: HighLevelClient, conversation_id: str, message: Message, since: datetime
) -> GHLMessage | None:
    """Our ``message`` among the conversation's outbound messages HighLevel lists after
    ``since``, unless that id is already another message of ours."""
    last = ""
    for _ in range(MAX_PAGES):
        page, last = client.conversation_messages(
            conversation_id=conversation_id, last_message_id=last
        )
        for item in page:
            if item.date_added is not None and item.date_added < since:
                continue
            if item.direction != "outbound" or not is_our_text(ours=message.body, theirs=item.body):
                continue
            taken = Message.objects.filter(ghl_message_id=item.id).exclude(pk=message.pk)
            if not taken.exists():
                return item
        oldest = [m.date_added for m in page if m.date_added is not None]
        if not last or (oldest and min(oldest) < since):
            return None
    return None


def reconcile_unknown_sends(
    *, now: datetime | None = None, limit: int = 50, client: HighLevelClient | None = None
) -> list[Reconciled]:
    """Settle the sends whose outcome is unknown (or whose worker died mid-send)."""
    now = now or timezone.now()
    ids = list(selectors.sends_to_reconcile(now=now).values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    own_client = client is None
    client = client or get_client()
    results = []
    try:
        for entry_id in ids:
            try:
                results.append(reconcile_send(entry_id=entry_id, now=now, client=client))
            except GHLError as exc:
                # HighLevel could not be read: nothing is decided, the next run asks again.
                logger.warning("send %s: HighLevel could not be read back: %s", entry_id, exc)
                results.append(Reconciled(entry_id, "unreadable", str(exc)[:200]))
    finally:
        if own_client:
            client.close()
    settled = [r for r in results if r.outcome in ("found", "resent", "flagged")]
    if settled:
        logger.info("reconciled %d sends: %s", len(settled), [r.outcome for r in settled])
    return results


def reconcile_send(*, entry_id: int, now: datetime, client: HighLevelClient) -> Reconciled:
    """Settle one send: read HighLevel with no lock held, then decide under the locks."""
    entry = SendLedgerEntry.objects.select_related("message__conversation").get(pk=entry_id)
    message = entry.message
    if message is None:
        return _settle_orphan(entry, now)
    if entry.status == Status.PENDING:
        _worker_died(entry_id=entry.pk, now=now)
    found: GHLMessage | None = None
    conversation = message.conversation
    confirmed_by_echo = bool(message.ghl_message_id) and message.status in (
        Message.Status.SENT,
        Message.Status.DELIVERED,
        Message.Status.FAILED,
    )
    if not confirmed_by_echo and conversation.ghl_conversation_id:
        found = find_in_highlevel(
            client=client,
            conversation_id=conversation.ghl_conversation_id,
            message=message,
            since=entry.created_at - CLOCK_SKEW,
        )
    with transaction.atomic():
        _, conversation, message = lock_message(message_id=message.pk)
        entry = SendLedgerEntry.objects.select_for_update().get(pk=entry_id)
        if entry.reconciliation or entry.status not in (Status.UNKNOWN, Status.PENDING):
            return Reconciled(entry.pk, "settled", "settled meanwhile")
        if confirmed_by_echo or message.ghl_message_id:
            return _found(entry, message, ghl_id=message.ghl_message_id, status="", now=now)
        if found is not None:
            return _found(entry, message, ghl_id=found.id, status=found.status, now=now)
        if now - entry.created_at < timedelta(seconds=settings.SEND_RECONCILE_GIVE_UP_SECONDS):
            return Reconciled(entry.pk, "waiting", "not in HighLevel yet")
        why_not = _why_not_resend(message, conversation, now=now)
        if why_not:
            return _flag(entry, message, conversation, why=why_not, now=now)
        return _resend(entry, message, conversation, now=now)


def _settle_orphan(entry: SendLedgerEntry, now: datetime) -> Reconciled:
    SendLedgerEntry.objects.filter(pk=entry.pk, reconciliation="").update(
        reconciliation=Reconciliation.FLAGGED, reconciled_at=now, updated_at=now
    )
    return Reconciled(entry.pk, "flagged", "its message was deleted")


def _worker_died(*, entry_id: int, now: datetime) -> None:
    """A send still pending this long lost its worker mid-request: its outcome is unknown."""
    with transaction.atomic():
        entry = SendLedgerEntry.objects.select_related("message").get(pk=entry_id)
        _, _, message = lock_message(message_id=entry.message_id)
        entry = SendLedgerEntry.objects.select_for_update().get(pk=entry_id)
        if entry.status != Status.PENDING:
            return
        entry.status = Status.UNKNOWN
        entry.error = "The worker stopped during the send (killed or timed out)."
        entry.save(update_fields=["status", "error", "updated_at"])
        Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).update(
            status=Message.Status.UNKNOWN, updated_at=now
        )
        audit(
            action="message.send_unknown",
            subject=message,
            actor=AuditEvent.Actor.SYSTEM,
            actor_label="reconcile",
            data={"ledger_key": entry.key, "error": entry.error},
        )


def _found(
    entry: SendLedgerEntry, message: Message, *, ghl_id: str, status: str, now: datetime
) -> Reconciled:
    entry.status = Status.SENT
    entry.ghl_message_id = ghl_id[:64]
    entry.reconciliation = Reconciliation.FOUND
    entry.reconciled_at = now
    entry.save(
        update_fields=["status", "ghl_message_id", "reconciliation", "reconciled_at", "updated_at"]
    )
    was = message.status
    new_status = _HIGHLEVEL_STATUSES.get(status, Message.Status.SENT)
    fields = []
    if message.status in (Message.Status.UNKNOWN, Message.Status.QUEUED):
        message.status = new_status
        fields.append("status")
    if not message.ghl_message_id and ghl_id:
        message.ghl_message_id = ghl_id[:64]
        fields.append("ghl_message_id")
    if fields:
        try:
            with transaction.atomic():
                message.save(update_fields=[*fields, "updated_at"])
        except IntegrityError:  # the echo stored that id on another row meanwhile
            message.ghl_message_id = ""
            message.save(update_fields=["status", "updated_at"])
    Conversation.objects.filter(pk=message.conversation_id).filter(
        Q(last_outbound_at__isnull=True) | Q(last_outbound_at__lt=message.sent_at)
    ).update(last_outbound_at=message.sent_at, updated_at=now)
    audit(
        action="message.send_reconciled",
        subject=message,
        actor=AuditEvent.Actor.SYSTEM,
        actor_label="reconcile",
        data={"ledger_key": entry.key, "found": True, "ghl_message_id": ghl_id, "was": was},
    )
    if was in (Message.Status.UNKNOWN, Message.Status.QUEUED):
        metrics.record_message(
            direction=Message.Direction.OUTBOUND,
            channel=message.channel,
            engine=message.ai_metadata.get("engine") or "rules",
        )
    return Reconciled(entry.pk, "found", ghl_id)


def _why_not_resend(message: Message, conversation: Conversation, *, now: datetime) -> str:
    """Why this text must not go again by itself ("" when it may, once)."""
    if message.ai_metadata.get(RESEND_OF):
        return "it was already a second try"
    if message.sender == Message.Sender.HUMAN:
        return "a person wrote it"
    if not conversation.ghl_conversation_id:
        return "its conversation cannot be read back from HighLevel"
    if now - message.created_at > timedelta(seconds=settings.SEND_RESEND_MAX_AGE_SECONDS):
        return "it is too old to send now"
    moved_on = (
        conversation.messages.filter(created_at__gt=message.created_at)
        .exclude(pk=message.pk)
        .exclude(status=Message.Status.BLOCKED)
    )
    if moved_on.exists():
        return "the conversation moved on since"
    return ""


def _resend(
    entry: SendLedgerEntry, message: Message, conversation: Conversation, *, now: datetime
) -> Reconciled:
    from leads.services.messaging import queue_automated_message

    copy = queue_automated_message(
        conversation=conversation,
        body=message.body,
        subject=message.subject,
        channel=message.channel,
        sender=message.sender,
        ai_metadata={**message.ai_metadata, RESEND_OF: message.pk},
        attachments=message.attachments,
        reason="reconcile_resend",
        now=now,
    )
    if copy.status == Message.Status.BLOCKED:
        return _flag(entry, message, conversation, why="a rule stops it now", now=now)
    entry.reconciliation = Reconciliation.RESENT
    entry.reconciled_at = now
    entry.save(update_fields=["reconciliation", "reconciled_at", "updated_at"])
    audit(
        action="message.send_reconciled",
        subject=message,
        actor=AuditEvent.Actor.SYSTEM,
        actor_label="reconcile",
        data={"ledger_key": entry.key, "found": False, "resent_as": copy.pk},
    )
    return Reconciled(entry.pk, "resent", str(copy.pk))


def _flag(
    entry: SendLedgerEntry,
    message: Message,
    conversation: Conversation,
    *,
    why: str,
    now: datetime,
) -> Reconciled:
    from leads.services.escalation import escalate_to_human

    entry.reconciliation = Reconciliation.FLAGGED
    entry.reconciled_at = now
    entry.save(update_fields=["reconciliation", "reconciled_at", "updated_at"])
    escalate_to_human(
        conversation=conversation,
        reason=EscalationTicket.Reason.SEND_UNCONFIRMED,
        summary="a reply may not have reached the lead: check HighLevel, answer by hand",
        context={"message": message.pk, "ledger_key": entry.key, "not_resent_because": why},
        message=message,
        actor=AuditEvent.Actor.SYSTEM,
        actor_label="reconcile",
        now=now,
    )
    audit(
        action="message.send_reconciled",
        subject=message,
        actor=AuditEvent.Actor.SYSTEM,
        actor_label="reconcile",
        data={"ledger_key": entry.key, "found": False, "flagged": why},
    )
    return Reconciled(entry.pk, "flagged", why)
