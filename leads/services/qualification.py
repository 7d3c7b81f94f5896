"""What each inbound message teaches us about a lead: intent, budget, timeline, score."""

from analytics.services import broadcast_dashboard_event
from compliance.models import AuditEvent
from compliance.services import audit
from leads.intelligence.schema import Budget, LeadAnalysis
from leads.intelligence.scoring import score_lead
from leads.models import Contact, Intent, Timeline
from leads.services.lead_score import learned_fields

LIVE_SCORE_FIELDS = {"score", "temperature", "learned_score", "learned_temperature"}


def _scored(contact: Contact, *, opt_out: bool = False) -> dict:
    """Score, temperature and reasons of everything known about ``contact`` (one set of rules)."""
    score, temperature, reasons = score_lead(
        intent=contact.intent,
        timeline=contact.timeline,
        budget=Budget(min=contact.budget_min, max=contact.budget_max),
        pre_approved=contact.pre_approved,
        area=contact.area,
        opt_out=opt_out,
    )
    return {"score": score, "temperature": temperature, "score_reasons": list(reasons)}


def _save(
    contact: Contact,
    updates: dict,
    *,
    actor_label: str,
    opt_out: bool = False,
    extra: dict | None = None,
) -> dict:
    """Write the fields of ``updates`` that change (and the score they give), audited."""
    changed = {field: value for field, value in updates.items() if getattr(contact, field) != value}
    for field, value in changed.items():
        setattr(contact, field, value)
    # The learned score reads engagement too, so it moves with every message the lead sends.
    scored = {
        field: value
        for field, value in (
            _scored(contact, opt_out=opt_out) | learned_fields(contact=contact)
        ).items()
        if getattr(contact, field) != value
    }
    for field, value in scored.items():
        setattr(contact, field, value)
    changed |= scored
    if not changed:
        return {}
    contact.save(update_fields=[*changed, "updated_at"])
    audit(
        action="lead.qualification_updated",
        subject=contact,
        actor=AuditEvent.Actor.BOT,
        actor_label=actor_label,
        data={k: v for k, v in changed.items() if k != "score_reasons"}
        | {"reasons": list(contact.score_reasons), **(extra or {})},
    )
    if scored.keys() & LIVE_SCORE_FIELDS:
        broadcast_dashboard_event(
            kind="lead.scored",
            data={
                "contact": contact.pk,
                "score": contact.score,
                "temperature": contact.temperature,
                "learned_score": contact.learned_score,
                "learned_temperature": contact.learned_temperature,
            },
        )
    return changed


def apply_lead_analysis(*, contact: Contact, analysis: LeadAnalysis) -> dict:
    """Update ``contact``'s qualification from ``analysis``; returns the fields that changed.

    What the lead said before stays unless this message says something new: an
    "unknown" never erases a known answer. Score and temperature are those of everything
    known about the lead, so an answer a bot read in context (``record_lead_answers``) keeps
    counting when a later message does not repeat it.
    """
    updates: dict = {"language": analysis.language}
    if analysis.intent != Intent.UNKNOWN:
        updates["intent"] = analysis.intent
    if analysis.timeline != Timeline.UNKNOWN:
        updates["timeline"] = analysis.timeline
    if analysis.budget.max is not None:
        updates["budget_min"], updates["budget_max"] = analysis.budget.min, analysis.budget.max
    if analysis.pre_approved is not None:
        updates["pre_approved"] = analysis.pre_approved
    if analysis.area:
        updates["area"] = analysis.area[:120]
    return _save(
        contact, updates, actor_label=f"analysis:{analysis.engine}", opt_out=analysis.opt_out
    )


def record_lead_answers(
    *, contact: Contact, answers: dict, question: str, actor_label: str = "lead_bot"
) -> dict:
    """Store what the lead answered to the bot's ``question`` that only makes sense as its
    answer ("both", "not yet"); returns the fields that changed."""
    return _save(contact, answers, actor_label=actor_label, extra={"question": question})
