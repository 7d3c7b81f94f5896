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
def generate_cma_report_task(self, report_id: int) -> str:
    """Generate one pending CMA report (estimate and PDF); a report already done is left alone."""
    try:
        return cma.generate_cma_report(report_id=report_id).status
    except DatabaseDriverError as exc:
        raise self.retry(exc=exc, countdown=10 * (self.request.retries + 1)) from exc


# --- Seller bot (appended by the seller-bot work; the CMA tasks above are not its own) -------


@shared_task(bind=True, acks_late=True, max_retries=3)
def create_seller_opportunity_task(self, deal_id: int) -> str:
    """Create a hot seller's opportunity in HighLevel's seller pipeline (once per deal)."""
    # Imported here so this appended block leaves the head of the file to its owner.
    from leads.ghl.exceptions import GHLError
    from sellers.services import qualification

    try:
        return qualification.create_seller_opportunity(deal_id=deal_id)
    except GHLError as exc:
        # No idempotency key at HighLevel: retry only what surely did not land.
        if exc.may_have_reached_highlevel:
            raise
        raise self.retry(exc=exc, countdown=60 * (self.request.retries + 1)) from exc
