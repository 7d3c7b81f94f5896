"""Hand-over summaries: the conversation in a few lines for whoever takes it over.

With ``ENABLE_AGENT_MESH`` and an API key, a new escalation ticket gets one after its
transaction commits (``summarize_escalation_task``): the inputs are read, the mesh's
``summary`` task is asked with no transaction open, then the ticket is locked again and
the text written, and what the call cost is added to the conversation. Without them no
model is asked: ``conversation_summary`` gives the rule-based summary
(``leads.intelligence.summaries.summarize_offline``) wherever one is shown.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from leads import selectors
from leads.intelligence import engine, mesh
from leads.intelligence.summaries import HandoverSummary, SummaryRequest, summarize_offline
from leads.models import Conversation, EscalationTicket

logger = logging.getLogger(__name__)


def handover_summaries_call_out() -> bool:
    """Whether new tickets get a model-written summary (the mesh is on and a key is set)."""
    return mesh.mesh_enabled() and bool(settings.ANTHROPIC_API_KEY)


def _facts(conversation: Conversation) -> dict:
    contact = conversation.contact
    return {
        "intent": contact.intent,
        "timeline": contact.timeline,
        "budget_max": contact.budget_max,
        "pre_approved": contact.pre_approved,
        "area": contact.area,
        "temperature": contact.temperature,
    }


def summary_request(*, conversation: Conversation, reason: str = "") -> SummaryRequest:
    """What a summary of ``conversation`` is written from (the turn's transcript window)."""
    transcript, _first = selectors.transcript_for_turn(conversation=conversation)
    return SummaryRequest(reason=reason, facts=_facts(conversation), transcript=transcript)


def conversation_summary(*, conversation: Conversation) -> str:
    """The summary to show for ``conversation``: its latest ticket's hand-over summary, else
    the rule-based one (read only: no model is asked here)."""
    stored = (
        EscalationTicket.objects.filter(conversation=conversation)
        .exclude(handover_summary="")
        .order_by("-created_at", "-pk")
        .values_list("handover_summary", flat=True)
        .first()
    )
    return stored or summarize_offline(summary_request(conversation=conversation))


def write_handover_summary(*, ticket_id: int) -> str:
    """Summarise a ticket's conversation and store it on the ticket; returns the engine used.

    Lock, decide, unlock, call, lock again: the model is never asked inside a transaction.
    """
    ticket = (
        EscalationTicket.objects.select_related("conversation__contact")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or ticket.handover_summary:
        return "skipped"
    request = summary_request(
        conversation=ticket.conversation,
        reason=ticket.summary or ticket.get_reason_display(),
    )
    summary: HandoverSummary = engine.summarize_conversation(request)  # no transaction open
    from leads.services.pipeline import record_ai_cost

    with transaction.atomic():
        record_ai_cost(conversation_id=ticket.conversation_id, cost_usd=summary.cost_usd)
        locked = EscalationTicket.objects.select_for_update().get(pk=ticket_id)
        if locked.handover_summary:
            return "skipped"  # another worker wrote it meanwhile
        locked.handover_summary = summary.text
        locked.context = {
            **locked.context,
            "handover_summary": {
                "engine": summary.engine,
                "model": summary.model,
                "cost_usd": round(float(summary.cost_usd), 6),
                "fallback_reason": summary.fallback_reason,
            },
        }
        locked.save(update_fields=["handover_summary", "context", "updated_at"])
    logger.info(
        "handover_summary ticket=%s engine=%s reason=%s",
        ticket_id,
        summary.engine,
        summary.fallback_reason,
    )
    return summary.engine
