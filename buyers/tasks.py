"""Celery tasks of the buyers app. They receive ids, call a service and are safe to run twice."""

from celery import shared_task
from django.db import Error as DatabaseDriverError

from buyers.services import alerts
from buyers.services.financial import assess_financial_readiness_of


@shared_task(bind=True, acks_late=True, max_retries=3)
def send_listing_alerts_task(self, property_id: int) -> int:
    """Alert the buyers a new or re-priced listing fits; returns how many were alerted."""
    try:
        return len(alerts.send_listing_alerts(property_id=property_id).alerted)
    except DatabaseDriverError as exc:
        raise self.retry(exc=exc, countdown=10 * (self.request.retries + 1)) from exc


@shared_task(ignore_result=True)
def assess_financial_readiness_task(contact_id: int, conversation_id: int | None = None) -> None:
    """Assess a buyer's financial readiness after the turn that settled the money questions."""
    assess_financial_readiness_of(contact_id=contact_id, conversation_id=conversation_id)
