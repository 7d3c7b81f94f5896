"""Periodic work of the analytics app."""

from celery import shared_task

from analytics.services import compact_lead_tallies


@shared_task
def compact_lead_tallies_task() -> int:
    return compact_lead_tallies()
