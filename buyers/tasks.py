"""Celery tasks of the buyers app. They receive ids, call a service and are safe to run twice."""

from celery import shared_task
from django.db import Error as DatabaseDriverError

from buyers.services import alerts


@shared_task(bind=True, acks_late=True, max_retries=3)
def send_listing_alerts_task(self, property_id: int) -> int:
    """Alert the buyers a new or re-priced listing fits; returns how many were alerted."""
    try:
        return len(alerts.send_listing_alerts(property_id=property_id).alerted)
    except DatabaseDriverError as exc:
        raise self.retry(exc=exc, countdown=10 * (self.request.retries + 1)) from exc
