"""What comes in from HighLevel: webhook events stored and processed, and the contacts,
conversations, messages and deals they change.

The webhook view stores an event and acknowledges it; ``process_webhook_event`` (run by a
Celery task) applies it through the provider's handlers, which call the writes below.
Every write here is idempotent: HighLevel delivers duplicates and fans one change out
into several events.
"""

import contextlib
import hashlib
import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from analytics.services import broadcast_dashboard_event
from compliance.models import AuditEvent
from compliance.rules.privacy import redact_json_text, redact_sensitive, redact_sensitive_data
from compliance.services import audit
from config import metrics, performance
from config.queueing import publish
from leads import selectors
from leads.exceptions import WebhookRejectionsLimited
from leads.ghl import events, mapping
from leads.models import Channel, Contact, Conversation, Deal, Intent, Message, WebhookEvent
from leads.services import locks
from leads.services.escalation import pause_bot_for_human
from leads.webchat.ratelimit import Limit, seconds_until_allowed

logger = logging.getLogger(__name__)

WEBHOOK = AuditEvent.Actor.WEBHOOK

# Channels the bots answer; calls and voicemails are recorded for the humans only.
ANSWERABLE_CHANNELS = frozenset(
    {Channel.SMS, Channel.EMAIL, Channel.WHATSAPP, Channel.LIVE_CHAT, Channel.WEB}
)

# Called with the id of every new inbound message on an answerable channel, after the
# transaction that stored it commits. The bot pipeline registers itself here; a
# handler should only enqueue work, since it runs inside the webhook-processing task.
INBOUND_MESSAGE_HANDLERS: list[Callable[[int], object]] = []


def register_inbound_handler(handler: Callable[[int], object]) -> Callable[[int], object]:
    """Have ``handler(message_id)`` called for each new inbound message; usable as a decorator."""
    if handler not in INBOUND_MESSAGE_HANDLERS:
        INBOUND_MESSAGE_HANDLERS.append(handler)
    return handler


# --- Webhook events ----------------------------------------------------------


@dataclass(frozen=True)
class StoredWebhook:
    event: WebhookEvent | None
    duplicate: bool


@dataclass(frozen=True)
class HandlerResult:
    """What a provider handler did with an event."""

    status: str = WebhookEvent.Status.PROCESSED
    contact: Contact | None = None
    message: Message | None = None  # the message the event recorded (its turn answers to it)
    note: str = ""


@dataclass(frozen=True)
class ProcessOutcome:
    status: str
    retry: bool = False
    error: str = ""


def webhook_dedupe_key(*, source: str, webhook_id: str, body: bytes) -> str:
    """``source:webhookId``, or a hash of the (stored, redacted) body when HighLevel sent no id."""
    if webhook_id:
        if len(webhook_id) > 96:
            webhook_id = "sha256:" + hashlib.sha256(webhook_id.encode()).hexdigest()
        return f"{source}:{webhook_id}"
    return f"{source}:body-sha256:{hashlib.sha256(body).hexdigest()}"


def _enqueue_processing(event_id: int) -> None:
    from leads.tasks import process_webhook_event_task  # the tasks module imports this one

    publish(process_webhook_event_task, event_id)


def _on_commit_enqueue(event_id: int) -> None:
    # A broker outage after COMMIT must not turn the acknowledgement into a 500 or a wait:
    # ``publish`` gives up quickly and logs; the event is safe in the table and the sweeper
    # enqueues it once the broker is back (config/queueing.py).
    transaction.on_commit(lambda: _enqueue_processing(event_id))


def other_location_note(location_id: str) -> str:
    """Why an event of another HighLevel location is kept but not applied."""
    return (
        f"Not our HighLevel location: {location_id[:64]!r} is not in GHL_LOCATION_ID "
        "(or GHL_WEBHOOK_LOCATION_IDS). Kept, never applied."
    )


def store_webhook_event(
    *,
    source: str,
    body: bytes,
    payload: dict,
    headers: dict,
    signature_scheme: str,
    event_type: str,
    location_id: str,
    webhook_id: str,
    known_event: bool,
    client_ip: str = "",
) -> StoredWebhook:
    """Store an authentic webhook once, then enqueue its processing after commit.

    The signature was verified on the raw bytes; what is stored is redacted (an SSN or a
    card number a lead texted is never kept, not even in the body's hash). Duplicates are
    detected by the unique ``dedupe_key`` (an insert that fails), never by a check before
    the insert, so concurrent copies cannot both be stored. An event of another HighLevel
    location, or of a type we do not act on, is stored as ignored. A payload the database
    refuses is stored as unprocessable instead (``store_unprocessable_webhook``). Other
    database errors propagate: the caller answers 429.
    """
    stored_body = events.storable_json_text(
        redact_json_text(body.decode("utf-8", errors="replace"))
    )
    dedupe_key = webhook_dedupe_key(
        source=source, webhook_id=webhook_id, body=stored_body.encode("utf-8")
    )
    ours = events.is_our_location(location_id)
    applied = known_event and ours
    if not ours:
        note, outcome = other_location_note(location_id), "other_location"
    elif not known_event:
        note, outcome = "Event type not handled.", "not_handled"
    else:
        note, outcome = "", "accepted"
    status = WebhookEvent.Status.RECEIVED if applied else WebhookEvent.Status.IGNORED
    by_type = {"event_type": event_type[:64]}
    # Outside a transaction (the webhook view) the INSERT commits by itself: one round trip
    # instead of BEGIN, INSERT, COMMIT, and the same fsync. Inside a caller's transaction a
    # savepoint keeps a duplicate's IntegrityError from breaking that transaction.
    own_statement = not transaction.get_connection().in_atomic_block

    def refused(exc: Exception) -> StoredWebhook:
        # Kept as an unprocessable event (escaped raw bytes): an authentic delivery is never lost.
        return store_unprocessable_webhook(
            source=source,
            body=body,
            headers=headers,
            client_ip=client_ip,
            signature_scheme=signature_scheme,
            reason=f"The database refused the event: {exc}",
            event_type=event_type,
            location_id=location_id,
        )

    try:
        with contextlib.nullcontext() if own_statement else transaction.atomic():
            event = WebhookEvent.objects.create(
                source=source,
                event_type=event_type[:64],
                location_id=location_id[:64],
                dedupe_key=dedupe_key,
                signature_scheme=signature_scheme,
                headers=headers,
                client_ip=client_ip[:64],
                body=stored_body,
                body_size=len(body),
                payload=redact_sensitive_data(payload),
                status=status,
                last_error=note,
                processed_at=None if applied else timezone.now(),
            )
            if applied:
                _on_commit_enqueue(event.pk)
    except IntegrityError as exc:
        if not WebhookEvent.objects.filter(dedupe_key=dedupe_key).exists():
            return refused(exc)  # not the unique key: SQLite's JSON check refused a value
        performance.tracker.count(performance.WEBHOOK_RECEIVED, "duplicate", labels=by_type)
        return StoredWebhook(event=None, duplicate=True)
    except DataError as exc:  # PostgreSQL's refusal of a value (a JSON number out of range, …)
        return refused(exc)
    performance.tracker.count(performance.WEBHOOK_RECEIVED, outcome, labels=by_type)
    return StoredWebhook(event=event, duplicate=False)


def store_unprocessable_webhook(
    *,
    source: str,
    body: bytes,
    headers: dict,
    signature_scheme: str,
    reason: str,
    client_ip: str = "",
    event_type: str = "",
    location_id: str = "",
) -> StoredWebhook:
    """Keep an authentic delivery we cannot read or store as sent, so it is never lost.

    Its body is kept as escaped text (redacted) with no payload, marked unprocessable and
    never applied; a person reads it in the back office. A copy of it (HighLevel redelivers)
    is a duplicate. Database errors propagate: the caller answers 429.
    """
    text = redact_sensitive(events.escaped_body(body))
    dedupe_key = f"{source}:unprocessable-sha256:{hashlib.sha256(text.encode()).hexdigest()}"
    labels = {"event_type": event_type[:64]}
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                source=source,
                event_type=event_type[:64],
                location_id=location_id[:64],
                dedupe_key=dedupe_key,
                signature_scheme=signature_scheme,
                headers=headers,
                client_ip=client_ip[:64],
                body=text,
                body_size=len(body),
                payload=None,
                status=WebhookEvent.Status.UNPROCESSABLE,
                last_error=reason[:4000],
                processed_at=timezone.now(),
            )
            audit(
                action="webhook.unprocessable",
                subject=event,
                actor=WEBHOOK,
                actor_label=source,
                data={"reason": reason[:500], "bytes": len(body)},
            )
    except IntegrityError:
        performance.tracker.count(performance.WEBHOOK_RECEIVED, "duplicate", labels=labels)
        return StoredWebhook(event=None, duplicate=True)
    logger.warning("stored an unreadable %s webhook as unprocessable: %s", source, reason[:200])
    performance.tracker.count(performance.WEBHOOK_RECEIVED, "unprocessable", labels=labels)
    return StoredWebhook(event=event, duplicate=False)


def _rejections_wait(client_ip: str) -> int:
    """Count one rejected delivery from ``client_ip``; the seconds it must wait, 0 if allowed."""
    limit = Limit(
        "webhook_rejections",
        settings.GHL_WEBHOOK_REJECTION_LIMIT,
        settings.GHL_WEBHOOK_REJECTION_WINDOW_SECONDS,
    )
    try:
        return seconds_until_allowed(limit=limit, key=client_ip or "unknown", namespace="ghl")
    except Exception:  # the cache is down: record the rejection rather than fail the request
        logger.warning("cannot count webhook rejections (cache unavailable)", exc_info=True)
        return 0


def record_rejected_webhook(
    *,
    source: str,
    body: bytes,
    headers: dict,
    signature_scheme: str,
    reason: str,
    client_ip: str = "",
) -> WebhookEvent:
    """Keep what an unauthentic or replayed delivery was, not what it said; never processed.

    Only metadata is stored (time, address, size, the headers kept for diagnosis, the
    reason) and the body's sha256, so a flood of forgeries cannot fill the disk. Past
    GHL_WEBHOOK_REJECTION_LIMIT rejections from one address in the window, nothing is
    stored: ``WebhookRejectionsLimited`` tells the caller how long that address must wait.
    """
    wait = _rejections_wait(client_ip)
    if wait:
        performance.tracker.count(performance.WEBHOOK_RECEIVED, "rate_limited")
        raise WebhookRejectionsLimited(
            "Too many refused deliveries from this address; try again later.", retry_after=wait
        )
    with transaction.atomic():
        event = WebhookEvent.objects.create(
            source=source,
            dedupe_key=None,
            signature_scheme=signature_scheme,
            headers=headers,
            client_ip=client_ip[:64],
            body="",
            body_size=len(body),
            body_sha256=hashlib.sha256(body).hexdigest(),
            status=WebhookEvent.Status.REJECTED,
            last_error=reason[:2000],
        )
        audit(
            action="webhook.rejected",
            subject=event,
            actor=WEBHOOK,
            actor_label=source,
            data={"reason": reason[:500], "client_ip": client_ip[:64]},
        )
    performance.tracker.count(performance.WEBHOOK_RECEIVED, "rejected")
    return event


def _claim(event_id: int) -> tuple[WebhookEvent | None, ProcessOutcome | None]:
    Status = WebhookEvent.Status
    now = timezone.now()
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            return None, ProcessOutcome(status="missing")
        if event.status in (
            Status.PROCESSED,
            Status.IGNORED,
            Status.REJECTED,
            Status.UNPROCESSABLE,
            Status.DEAD,
        ):
            return None, ProcessOutcome(status=event.status)
        stuck_after = timedelta(seconds=settings.GHL_WEBHOOK_STUCK_PROCESSING_SECONDS)
        if event.status == Status.PROCESSING and event.updated_at > now - stuck_after:
            return None, ProcessOutcome(status=event.status)  # another worker has it
        if event.attempts >= settings.GHL_WEBHOOK_MAX_ATTEMPTS:
            # Attempts are counted before running, so a poison event that kills its
            # worker ends here instead of being redelivered forever.
            _mark_dead(event, "Gave up: every attempt died before finishing.")
            return None, ProcessOutcome(status=Status.DEAD, error=event.last_error)
        event.status = Status.PROCESSING
        event.attempts += 1
        event.save(update_fields=["status", "attempts", "updated_at"])
    return event, None


def _mark_dead(event: WebhookEvent, error: str) -> None:
    event.status = WebhookEvent.Status.DEAD
    event.last_error = error[:4000]
    event.save(update_fields=["status", "last_error", "updated_at"])
    audit(
        action="webhook.dead",
        subject=event,
        actor=WEBHOOK,
        actor_label=event.source,
        data={"attempts": event.attempts, "error": error[:500]},
    )


def process_webhook_event(
    *, event_id: int, dispatch: Callable[[WebhookEvent], HandlerResult]
) -> ProcessOutcome:
    """Apply a stored event once through ``dispatch``; record failure, or death after the last attempt.

    The attempt is counted in its own transaction before the handler runs; the handler's
    writes and the ``processed`` status commit together, so a failure leaves no half-applied
    event behind.
    """
    event, done = _claim(event_id)
    if done is not None:
        return done
    by_type = {"event_type": event.event_type}
    try:
        with transaction.atomic():
            result = dispatch(event)
            event.status = result.status
            event.contact = result.contact
            event.message = result.message
            event.last_error = result.note[:4000]
            event.processed_at = timezone.now()
            event.save(
                update_fields=[
                    "status",
                    "contact",
                    "message",
                    "last_error",
                    "processed_at",
                    "updated_at",
                ]
            )
    except Exception as exc:  # any handler failure is recorded; nothing is dropped silently
        error = "".join(traceback.format_exception_only(exc)).strip()
        logger.warning("webhook event %s failed (attempt %s): %s", event_id, event.attempts, error)
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(pk=event_id)
            if event.attempts >= settings.GHL_WEBHOOK_MAX_ATTEMPTS:
                _mark_dead(event, error)
                performance.tracker.count(
                    performance.WEBHOOK_PROCESSED, WebhookEvent.Status.DEAD, labels=by_type
                )
                return ProcessOutcome(status=WebhookEvent.Status.DEAD, error=error)
            event.status = WebhookEvent.Status.FAILED
            event.last_error = error[:4000]
            event.save(update_fields=["status", "last_error", "updated_at"])
        performance.tracker.count(
            performance.WEBHOOK_PROCESSED, WebhookEvent.Status.FAILED, labels=by_type
        )
        return ProcessOutcome(status=WebhookEvent.Status.FAILED, retry=True, error=error)
    performance.tracker.count(performance.WEBHOOK_PROCESSED, event.status, labels=by_type)
    return ProcessOutcome(status=event.status)


def reprocess_webhook_events(
    *, event_ids: Iterable[int], user: AbstractBaseUser | None = None
) -> tuple[int, int]:
    """Put events back in the queue with a fresh attempt budget; rejected and unprocessable
    ones are never processed (nothing of them can be applied).

    Returns (queued, skipped).
    """
    queued = skipped = 0
    never = (WebhookEvent.Status.REJECTED, WebhookEvent.Status.UNPROCESSABLE)
    with transaction.atomic():
        rows = WebhookEvent.objects.select_for_update().filter(pk__in=list(event_ids))
        for event in rows:
            if event.status in never:
                skipped += 1
                continue
            previous = event.status
            event.status = WebhookEvent.Status.RECEIVED
            event.attempts = 0
            event.save(update_fields=["status", "attempts", "updated_at"])
            audit(
                action="webhook.reprocess",
                subject=event,
                user=user,
                actor=AuditEvent.Actor.SYSTEM,
                data={"previous_status": previous, "last_error": event.last_error[:500]},
            )
            _on_commit_enqueue(event.pk)
            queued += 1
    return queued, skipped


def sweep_stuck_webhook_events(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Re-enqueue events stored but not processed in time (lost enqueue, lost retry, dead worker)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            selectors.webhook_events_due_for_sweep(now=now)
            .select_for_update()
            .values_list("pk", "status")[:limit]
        )
        ids = [pk for pk, _ in due]
        # A "processing" row this old lost its worker; as "failed" it can be claimed again
        # (its attempt was already counted). Touching updated_at spaces the next sweep
        # of the same row, so a slow queue is not flooded with copies every minute.
        stuck = [pk for pk, status in due if status == WebhookEvent.Status.PROCESSING]
        WebhookEvent.objects.filter(pk__in=stuck).update(
            status=WebhookEvent.Status.FAILED,
            last_error="The worker did not finish (killed or timed out).",
            updated_at=now,
        )
        WebhookEvent.objects.filter(pk__in=ids).exclude(pk__in=stuck).update(updated_at=now)
        for event_id in ids:
            _on_commit_enqueue(event_id)
    if ids:
        logger.info("re-enqueued %d stuck webhook events", len(ids))
    return ids


# --- Contacts ----------------------------------------------------------------


def get_or_create_contact_from_ghl(*, location_id: str, contact_id: str) -> Contact:
    """The local mirror of a HighLevel contact, created bare if we have not seen it yet; locked."""
    if not contact_id:
        # Web-chat visitors have no HighLevel id yet: a blank id would pick one of them.
        raise ValueError("a HighLevel contact id is required")
    contact, created = locks.lock_or_create_ghl_contact(
        location_id=location_id, ghl_contact_id=contact_id
    )
    if created:
        broadcast_dashboard_event(kind="lead.new", data={"contact": contact.pk})
    return contact


def _set_dnd(contact: Contact, *, dnd: bool, reason: str, source: str) -> list[str]:
    if dnd == contact.dnd:
        if dnd and reason and reason != contact.dnd_reason:
            contact.dnd_reason = reason[:255]
            return ["dnd_reason"]
        return []
    contact.dnd = dnd
    contact.dnd_at = timezone.now() if dnd else None
    contact.dnd_reason = reason[:255] if dnd else ""
    audit(
        action="contact.dnd_on" if dnd else "contact.dnd_off",
        subject=contact,
        actor=WEBHOOK,
        actor_label=source,
        data={"reason": reason},
    )
    return ["dnd", "dnd_at", "dnd_reason"]


def upsert_contact_from_ghl(
    *,
    location_id: str,
    contact_id: str,
    changes: dict,
    dnd: bool | None = None,
    dnd_reason: str = "",
    source: str = "ghl",
) -> Contact:
    """Mirror a HighLevel contact: only the fields present in ``changes`` are written.

    ``dnd`` None leaves DND alone. ``opted_out`` is never touched here: HighLevel has
    no separate opt-out, and a STOP recorded by our own rules must survive any sync.
    """
    with transaction.atomic():
        contact = get_or_create_contact_from_ghl(location_id=location_id, contact_id=contact_id)
        fields = []
        for name, value in changes.items():
            if getattr(contact, name) != value:
                setattr(contact, name, value)
                fields.append(name)
        if dnd is not None:
            fields += _set_dnd(contact, dnd=dnd, reason=dnd_reason, source=source)
        if fields:
            contact.save(update_fields=[*fields, "updated_at"])
    return contact


def mirror_ghl_contact(*, location_id: str, payload: dict, source: str) -> Contact | None:
    """Mirror HighLevel's JSON of a contact (a webhook, or ``GET /contacts/{id}``) onto ours."""
    contact_id = mapping.contact_id_of(payload)
    if not contact_id:
        return None
    dnd, reason = mapping.contact_dnd(payload)
    return upsert_contact_from_ghl(
        location_id=location_id,
        contact_id=contact_id,
        changes=mapping.contact_changes(payload),
        dnd=dnd,
        dnd_reason=reason,
        source=source,
    )


def mark_contact_deleted_in_ghl(*, location_id: str, contact_id: str) -> Contact | None:
    """A contact deleted in HighLevel: kept here for history, silenced, conversations closed.

    Deleting the row would cascade away its conversations, messages and deals, which the
    dashboard and the audit trail still refer to; DND stops every automated message.
    """
    with transaction.atomic():
        contact = locks.lock_ghl_contact(location_id=location_id, ghl_contact_id=contact_id)
        if contact is None:
            return None
        fields = _set_dnd(contact, dnd=True, reason="Deleted in HighLevel", source="ghl")
        if fields:
            contact.save(update_fields=[*fields, "updated_at"])
        closed = contact.conversations.exclude(status=Conversation.Status.CLOSED).update(
            status=Conversation.Status.CLOSED, updated_at=timezone.now()
        )
        audit(
            action="contact.deleted_in_ghl",
            subject=contact,
            actor=WEBHOOK,
            actor_label="ghl",
            data={"conversations_closed": closed},
        )
    return contact


# --- Conversations and messages ----------------------------------------------


def _conversation_for(
    *, contact: Contact, conversation_id: str, channel: str, defaults: dict | None = None
) -> Conversation:
    """The contact's conversation (locked after the contact: the one lock order)."""
    if conversation_id:
        return locks.lock_or_create_ghl_conversation(
            contact=contact,
            ghl_conversation_id=conversation_id,
            defaults={"channel": channel, **(defaults or {})},
        )
    conversation = locks.lock_latest_open_conversation(contact=contact, channel=channel)
    return conversation or Conversation.objects.create(
        contact=contact, channel=channel, **(defaults or {})
    )


def _existing_message(
    *,
    conversation: Conversation,
    message_id: str,
    direction: str,
    body: str,
    sent_at: datetime,
) -> Message | None:
    if message_id:
        return selectors.message_by_ghl_id(ghl_message_id=message_id)
    # No messageId (HighLevel's documented SMS examples have none): the same message
    # redelivered or re-processed has the same conversation, time and text. The
    # conversation row is locked, so two copies cannot race past this check.
    return conversation.messages.filter(
        ghl_message_id="", direction=direction, body=body, sent_at=sent_at
    ).first()


def _notify_inbound_handlers(message_id: int) -> None:
    for handler in list(INBOUND_MESSAGE_HANDLERS):
        handler(message_id)


def hand_to_inbound_handlers_on_commit(message_id: int) -> None:
    """Give a new inbound message recorded outside HighLevel (the web chat) its bot turn,
    once the transaction that stored it commits."""
    if INBOUND_MESSAGE_HANDLERS:
        transaction.on_commit(partial(_notify_inbound_handlers, message_id))


def record_inbound_message(
    *,
    location_id: str,
    contact_id: str,
    conversation_id: str,
    message_id: str,
    channel: str,
    body: str,
    subject: str = "",
    sent_at: datetime,
) -> tuple[Message, bool]:
    """Record a message from a contact once; new answerable ones go to the inbound handlers.

    Returns (message, created). Calls and voicemails are recorded but not handed on: they
    are settled at once, so no bot turn waits for them. Sensitive data (an SSN, a card
    number) is redacted before the message is stored; the original is never kept.
    """
    body, subject = redact_sensitive(body), redact_sensitive(subject)
    answerable = channel in ANSWERABLE_CHANNELS
    with transaction.atomic():
        contact = get_or_create_contact_from_ghl(location_id=location_id, contact_id=contact_id)
        conversation = _conversation_for(
            contact=contact,
            conversation_id=conversation_id,
            channel=channel,
            defaults={"last_inbound_at": sent_at},
        )
        fields = {
            "conversation": conversation,
            "direction": Message.Direction.INBOUND,
            "channel": channel,
            "body": body,
            "subject": subject[:255],
            "ghl_message_id": message_id[:64],
            "status": Message.Status.RECEIVED,
            "sender": Message.Sender.CONTACT,
            "sent_at": sent_at,
            "handled_at": None if answerable else timezone.now(),
            "turn_outcome": "" if answerable else Message.TurnOutcome.NOT_ANSWERABLE,
        }
        if message_id:
            # HighLevel's messageId is unique: the insert, not a read before it, finds a copy.
            try:
                with transaction.atomic():
                    message = Message.objects.create(**fields)
            except IntegrityError:
                copy = selectors.message_by_ghl_id(ghl_message_id=message_id)
                if copy is None:  # not the messageId that clashed: fail, and say so
                    raise
                return copy, False
        else:
            existing = _existing_message(
                conversation=conversation,
                message_id=message_id,
                direction=Message.Direction.INBOUND,
                body=body,
                sent_at=sent_at,
            )
            if existing is not None:
                return existing, False
            message = Message.objects.create(**fields)
        if conversation.last_inbound_at is None or sent_at > conversation.last_inbound_at:
            conversation.last_inbound_at = sent_at
            conversation.save(update_fields=["last_inbound_at", "updated_at"])
        broadcast_dashboard_event(
            kind="message.inbound",
            data={
                "message": message.pk,
                "conversation": conversation.pk,
                "contact": contact.pk,
                "channel": channel,
            },
        )
        if answerable and INBOUND_MESSAGE_HANDLERS:
            transaction.on_commit(partial(_notify_inbound_handlers, message.pk))
    metrics.record_message(direction=Message.Direction.INBOUND, channel=channel)
    return message, True


_STATUS_RANK = {
    Message.Status.QUEUED: 0,
    Message.Status.SENT: 1,
    Message.Status.DELIVERED: 2,
}


def _advance_status(message: Message, status: str) -> bool:
    current = message.status
    if status == current or current in (Message.Status.BLOCKED, Message.Status.RECEIVED):
        return False
    if status == Message.Status.FAILED:
        if current == Message.Status.DELIVERED:
            return False
    elif _STATUS_RANK.get(status, -1) <= _STATUS_RANK.get(current, -1):
        return False  # a late "sent" never downgrades "delivered"
    message.status = status
    return True


def record_outbound_message(
    *,
    location_id: str,
    contact_id: str,
    conversation_id: str,
    message_id: str,
    channel: str,
    body: str,
    subject: str = "",
    sent_at: datetime,
    status: str,
    automated: bool,
) -> tuple[Message, bool]:
    """Record HighLevel's report of an outbound message. Returns (message, paused_bot).

    Our own message (known ``messageId``, or our unconfirmed send with the same text)
    only has its status updated. Anything else was sent from HighLevel: by a person,
    which pauses the bot, or by a HighLevel automation (``automated``), which does not.
    Its text is stored redacted, like every message.
    """
    body, subject = redact_sensitive(body), redact_sensitive(subject)
    with transaction.atomic():
        ours = selectors.message_by_ghl_id(ghl_message_id=message_id)
        contact = get_or_create_contact_from_ghl(location_id=location_id, contact_id=contact_id)
        if ours is None and body:
            ours = selectors.unconfirmed_bot_message(
                contact=contact, body=body, since=timezone.now() - timedelta(minutes=10)
            )
            if ours is not None and message_id:
                ours.ghl_message_id = message_id[:64]
                ours.save(update_fields=["ghl_message_id", "updated_at"])
        if ours is not None and ours.direction == Message.Direction.OUTBOUND:
            if _advance_status(ours, status):
                ours.save(update_fields=["status", "updated_at"])
            return ours, False
        if ours is not None:
            return ours, False  # an id we know as inbound: nothing to learn

        conversation = _conversation_for(
            contact=contact, conversation_id=conversation_id, channel=channel
        )
        existing = _existing_message(
            conversation=conversation,
            message_id=message_id,
            direction=Message.Direction.OUTBOUND,
            body=body,
            sent_at=sent_at,
        )
        if existing is not None:
            if _advance_status(existing, status):
                existing.save(update_fields=["status", "updated_at"])
            return existing, False
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.OUTBOUND,
            channel=channel,
            body=body,
            subject=subject[:255],
            ghl_message_id=message_id[:64],
            status=status,
            sender=Message.Sender.SYSTEM if automated else Message.Sender.HUMAN,
            sent_at=sent_at,
        )
        if conversation.last_outbound_at is None or sent_at > conversation.last_outbound_at:
            conversation.last_outbound_at = sent_at
            conversation.save(update_fields=["last_outbound_at", "updated_at"])
        if automated:
            return message, False
        pause_bot_for_human(
            conversation=conversation,
            reason="A person sent a message from HighLevel.",
            message=message,
        )
    return message, True


# --- Deals -------------------------------------------------------------------


def _money(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and abs(amount) < Decimal("1e10") else None


def upsert_deal_from_ghl(
    *,
    location_id: str,
    opportunity_id: str,
    contact_id: str,
    name: str = "",
    monetary_value=None,
    status: str = "",
    deleted: bool = False,
) -> Deal:
    """Mirror a HighLevel opportunity as a Deal; the fan-out copies of one change are harmless.

    HighLevel's won/lost/abandoned close the deal; an ``open`` status keeps our stage,
    which HighLevel's opaque pipeline-stage ids cannot be mapped onto. A deleted
    opportunity closes the deal as lost and keeps the row.
    """
    with transaction.atomic():
        contact = get_or_create_contact_from_ghl(location_id=location_id, contact_id=contact_id)
        deal = Deal.objects.select_for_update().filter(ghl_opportunity_id=opportunity_id).first()
        if deal is None:
            deal = Deal(
                ghl_opportunity_id=opportunity_id[:64],
                contact=contact,
                name=(name or f"HighLevel opportunity {opportunity_id}")[:200],
                # HighLevel has no buy/sell side; the contact's intent is the best guess.
                side=Deal.Side.SELL if contact.intent == Intent.SELLER else Deal.Side.BUY,
            )
        if name:
            deal.name = name[:200]
        value = _money(monetary_value)
        if value is not None:
            deal.value = value
        deal.contact = contact
        was_stage = deal.stage if deal.pk else None
        status = (status or "").lower()
        if deleted or status in ("lost", "abandoned"):
            deal.stage = Deal.Stage.CLOSED_LOST
        elif status == "won":
            deal.stage = Deal.Stage.CLOSED_WON
        elif status == "open" and deal.stage in (Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST):
            deal.stage = Deal.Stage.ACTIVE  # reopened in HighLevel
        if deal.stage in (Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST):
            deal.closed_at = deal.closed_at or timezone.now()
        else:
            deal.closed_at = None
        deal.save()
        if deal.stage != was_stage:
            broadcast_dashboard_event(
                kind="deal.stage_changed",
                data={"deal": deal.pk, "contact": contact.pk, "stage": deal.stage},
            )
        if deleted:
            audit(
                action="deal.deleted_in_ghl",
                subject=deal,
                actor=WEBHOOK,
                actor_label="ghl",
                data={"opportunity_id": opportunity_id},
            )
    return deal
