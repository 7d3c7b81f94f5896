"""Celery tasks of the leads app. They receive ids, call a service and are safe to run twice.

Each is named ``<verb>_task`` after the service it calls. They run on three queues
(``CELERY_TASK_ROUTES``): ``ingest`` stores what HighLevel sends, ``turns`` runs the bot
turns (which wait on Claude), ``sends`` sends messages and runs the periodic sweeps, so a
slow model never holds up an acknowledgement or a reply that is ready to go.
"""

import logging
import random

from celery import shared_task
from django.conf import settings
from django.db import Error as DatabaseDriverError

from config.logs import log_context
from config.queueing import publish
from leads.ghl.exceptions import GHLError
from leads.services import (
    booking,
    crm,
    escalation,
    followups,
    inbound,
    messaging,
    pipeline,
    reconciliation,
)
from leads.webchat import services as webchat_services
from leads.webhooks.ghl import handlers as ghl_handlers

logger = logging.getLogger(__name__)


def webhook_retry_countdown(retries: int) -> int:
    """Exponential backoff with jitter, capped far below the Redis visibility timeout (1 h)."""
    base = settings.GHL_WEBHOOK_RETRY_BACKOFF * (2**retries)
    capped = min(base, settings.GHL_WEBHOOK_RETRY_BACKOFF_MAX)
    return max(1, int(capped * random.uniform(0.8, 1.0)))  # noqa: S311 (jitter, not crypto)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # The database attempt counter decides when to stop (it also counts attempts whose
    # worker died); this bound only keeps Celery from retrying past it.
    max_retries=20,
    # Storing an event is a few rows: a worker stuck longer than this is killed, and the
    # sweep retries the event after GHL_WEBHOOK_STUCK_PROCESSING_SECONDS.
    soft_time_limit=30,
    time_limit=45,
)
def process_webhook_event_task(self, event_id: int) -> str:
    """Apply one stored webhook event; retried with backoff, dead after GHL_WEBHOOK_MAX_ATTEMPTS."""
    try:
        with log_context(webhook_event_id=event_id):
            outcome = inbound.process_webhook_event(
                event_id=event_id, dispatch=ghl_handlers.dispatch
            )
    except DatabaseDriverError as exc:
        # The database went away mid-task; the row still says where we were.
        raise self.retry(exc=exc, countdown=webhook_retry_countdown(self.request.retries)) from exc
    if outcome.retry:
        raise self.retry(countdown=webhook_retry_countdown(self.request.retries))
    return outcome.status


@shared_task(acks_late=True)
def sweep_stuck_webhook_events_task() -> int:
    """Re-enqueue webhook events stored but never processed (runs every minute from beat)."""
    return len(inbound.sweep_stuck_webhook_events())


# --- The bot turn ---------------------------------------------------------------------------


def enqueue_turn(message_id: int) -> None:
    """Inbound handler: hand a new message to the turn task (called after commit)."""
    publish(run_turn_task, message_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def run_turn_task(self, message_id: int) -> str:
    """Run the bot's turn for one inbound message (and the contact's next ones); safe twice."""
    try:
        return pipeline.handle_inbound_message(message_id=message_id).result
    except DatabaseDriverError as exc:
        # The claim may stay behind: the turn sweep reruns it once it is stale.
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 5, 300)) from exc


@shared_task(acks_late=True)
def sweep_overdue_turns_task() -> int:
    """Run the bot turns that never ran or lost their worker (every minute from beat)."""
    return len(pipeline.sweep_overdue_turns())


@shared_task(acks_late=True)
def answer_held_messages_task() -> int:
    """The bots restarted: answer the messages the kill switch held (safe twice)."""
    return len(pipeline.answer_held_messages())


@shared_task(acks_late=True)
def send_message_task(message_id: int) -> str:
    """Send one queued automated message if the rules still allow it (at most once)."""
    return messaging.send_queued_message(message_id=message_id)


@shared_task(acks_late=True)
def send_due_messages_task() -> int:
    """Send messages whose wait for the sending window is over (every minute from beat)."""
    return len(messaging.send_due_messages())


@shared_task(acks_late=True)
def send_due_followups_task() -> int:
    """Send the nurture follow-ups that are due (from beat)."""
    return len(followups.send_due_followups())


@shared_task(acks_late=True)
def reconcile_unknown_sends_task() -> int:
    """Settle sends whose outcome is unknown by reading HighLevel back (from beat); safe twice."""
    settled = ("found", "resent", "flagged")
    return len([r for r in reconciliation.reconcile_unknown_sends() if r.outcome in settled])


@shared_task(acks_late=True)
def escalate_unanswered_messages_task() -> int:
    """Escalate leads waiting over five minutes for an answer (every minute from beat)."""
    return len(followups.escalate_unanswered_messages())


# HighLevel calls after a change commits. The client already retried transient errors;
# a task retry covers a longer outage, with countdowns far below the visibility timeout.
_GHL_TASK = {"bind": True, "acks_late": True, "max_retries": 3}


def _retry_unless_it_may_have_landed(task, exc: GHLError) -> None:
    """Creating a HighLevel task has no idempotency key: retry only what surely failed."""
    if exc.may_have_reached_highlevel:
        raise exc
    raise task.retry(exc=exc, countdown=60 * (task.request.retries + 1)) from exc


@shared_task(**_GHL_TASK)
def sync_ghl_tags_task(self, contact_id: int, add: list[str], remove: list[str]) -> None:
    """Mirror tag changes to the HighLevel contact."""
    try:
        crm.sync_ghl_tags(contact_id=contact_id, add=add, remove=remove)
    except GHLError as exc:
        raise self.retry(exc=exc, countdown=60 * (self.request.retries + 1)) from exc


@shared_task(**_GHL_TASK)
def set_ghl_dnd_task(self, contact_id: int, dnd: bool) -> None:
    """Mirror a do-not-disturb decision made here onto the HighLevel contact."""
    try:
        crm.set_ghl_dnd(contact_id=contact_id, dnd=dnd)
    except GHLError as exc:
        raise self.retry(exc=exc, countdown=60 * (self.request.retries + 1)) from exc


@shared_task(**_GHL_TASK)
def book_call_with_agent_task(self, contact_id: int, reason: str) -> None:
    """Create Jorge's call task for a hot lead in HighLevel and tag the contact."""
    try:
        crm.book_call_with_agent(contact_id=contact_id, reason=reason)
    except GHLError as exc:
        _retry_unless_it_may_have_landed(self, exc)


@shared_task(**_GHL_TASK)
def notify_agent_task(self, contact_id: int, reason: str) -> None:
    """Leave Jorge a HighLevel task when the bot hands a conversation over.

    Hand-offs now go through escalation tickets (``create_escalation_task_task``); this task
    stays so the ones queued before that change still run.
    """
    try:
        crm.notify_agent(contact_id=contact_id, reason=reason)
    except GHLError as exc:
        _retry_unless_it_may_have_landed(self, exc)


# --- Escalations (leads/services/escalation.py) ------------------------------------------------


@shared_task(**_GHL_TASK)
def notify_on_call_task(self, ticket_id: int) -> list[str]:
    """Email and text the on-call person about an escalation ticket (each channel once)."""
    try:
        return escalation.notify_on_call(ticket_id=ticket_id)
    except GHLError as exc:
        # The email (if any) is marked sent; only the SMS is tried again.
        _retry_unless_it_may_have_landed(self, exc)


@shared_task(**_GHL_TASK)
def create_escalation_task_task(self, ticket_id: int) -> None:
    """Leave Jorge a HighLevel task for an escalation ticket, due at its SLA."""
    try:
        escalation.create_escalation_task(ticket_id=ticket_id)
    except GHLError as exc:
        _retry_unless_it_may_have_landed(self, exc)


@shared_task(acks_late=True)
def notify_due_escalations_task() -> int:
    """Tell the on-call person about tickets that waited for on-call hours (from beat)."""
    return len(escalation.notify_due_escalations())


@shared_task(**_GHL_TASK)
def record_appointment_in_ghl_task(self, appointment_id: int) -> str:
    """Record a call the bot booked on the local calendar in HighLevel (the outbox by default)."""
    try:
        return booking.record_appointment_in_ghl(appointment_id=appointment_id)
    except GHLError as exc:
        _retry_unless_it_may_have_landed(self, exc)
        raise


@shared_task(bind=True, acks_late=True, max_retries=3)
def link_visitor_to_highlevel_task(self, contact_id: int) -> str:
    """Create or match the web-chat visitor's contact in HighLevel (an upsert: safe to repeat)."""
    try:
        return webchat_services.link_visitor_to_highlevel(contact_id=contact_id)
    except GHLError as exc:
        raise self.retry(exc=exc, countdown=60 * (self.request.retries + 1)) from exc


@shared_task(acks_late=True)
def summarize_escalation_task(ticket_id: int) -> str:
    """Write the hand-over summary of a new escalation ticket (``ENABLE_AGENT_MESH``)."""
    from leads.services.summaries import write_handover_summary

    return write_handover_summary(ticket_id=ticket_id)
