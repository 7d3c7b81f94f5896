"""Celery tasks of the buyers app."""

from celery import shared_task

from buyers.services.financial import assess_financial_readiness_of


@shared_task(ignore_result=True)
def assess_financial_readiness_task(contact_id: int, conversation_id: int | None = None) -> None:
    """Assess a buyer's financial readiness after the turn that settled the money questions."""
    assess_financial_readiness_of(contact_id=contact_id, conversation_id=conversation_id)
