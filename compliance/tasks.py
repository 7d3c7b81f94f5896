"""Celery tasks of the compliance app: they receive ids, call a service, are safe twice."""

import smtplib

from celery import shared_task

from compliance.services import notify_compliance_officer


@shared_task(bind=True, acks_late=True, max_retries=5)
def notify_compliance_officer_task(self, ticket_ids: list[int]) -> int:
    """Email the compliance officer about new tickets (each ticket once)."""
    try:
        return notify_compliance_officer(ticket_ids=ticket_ids)
    except (smtplib.SMTPException, OSError) as exc:
        raise self.retry(exc=exc, countdown=60 * (self.request.retries + 1)) from exc
