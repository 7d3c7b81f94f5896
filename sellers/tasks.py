"""Celery tasks of the sellers app. They receive ids, call a service and are safe to run twice."""

from celery import shared_task
from django.db import Error as DatabaseDriverError

from sellers.services import cma


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    # A CMA renders in well under a second; these stay far below the 1 h visibility timeout.
    soft_time_limit=60,
    time_limit=90,
)
def generate_cma_report(self, report_id: int) -> str:
    """Generate one pending CMA report (estimate and PDF); a report already done is left alone."""
    try:
        return cma.generate_cma_report(report_id=report_id).status
    except DatabaseDriverError as exc:
        raise self.retry(exc=exc, countdown=10 * (self.request.retries + 1)) from exc
