"""Celery tasks of the leads app. They receive ids, call a service and are safe to run twice."""

import random

from celery import shared_task
from django.conf import settings
from django.db import Error as DatabaseDriverError

from leads.services import inbound
from leads.webhooks.ghl import handlers as ghl_handlers


def webhook_retry_countdown(retries: int) -> int:
    """Exponential backoff with jitter, capped far below the Redis visibility timeout (1 h)."""
    base = settings.GHL_WEBHOOK_RETRY_BACKOFF * (2**retries)
    capped = min(base, settings.GHL_WEBHOOK_RETRY_BACKOFF_MAX)
    return max(1, int(capped * random.uniform(0.8, 1.0)))


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # The database attempt counter decides when to stop (it also counts attempts whose
    # worker died); this bound only keeps Celery from retrying past it.
    max_retries=20,
)
def process_webhook_event(self, event_id: int) -> str:
    """Apply one stored webhook event; retried with backoff, dead after GHL_WEBHOOK_MAX_ATTEMPTS."""
    try:
        outcome = inbound.process_webhook_event(event_id=event_id, dispatch=ghl_handlers.dispatch)
    except DatabaseDriverError as exc:
        # The database went away mid-task; the row still says where we were.
        raise self.retry(exc=exc, countdown=webhook_retry_countdown(self.request.retries)) from exc
    if outcome.retry:
        raise self.retry(countdown=webhook_retry_countdown(self.request.retries))
    return outcome.status


@shared_task(acks_late=True)
def sweep_stuck_webhook_events() -> int:
    """Re-enqueue webhook events stored but never processed (runs every minute from beat)."""
    return len(inbound.sweep_stuck_webhook_events())

