"""What each inbound message teaches us about a lead: intent, budget, timeline, score."""

from compliance.models import AuditEvent
from compliance.services import audit
from leads.intelligence.schema import LeadAnalysis
from leads.models import Contact, Intent, Timeline


def apply_lead_analysis(*, contact: Contact, analysis: LeadAnalysis) -> dict:
    """Update ``contact``'s qualification from ``analysis``; returns the fields that changed.

    What the lead said before stays unless this message says something new: an
    "unknown" never erases a known answer. Score and temperature always follow the
    latest analysis, which reads the whole history.
    """
    updates = {
        "language": analysis.language,
        "score": analysis.score,
        "temperature": analysis.temperature,
        "score_reasons": list(analysis.reasons),
    }
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

    changed = {field: value for field, value in updates.items() if getattr(contact, field) != value}
    if not changed:
        return {}
    for field, value in changed.items():
        setattr(contact, field, value)
    contact.save(update_fields=[*changed, "updated_at"])
    audit(
        action="lead.qualification_updated",
        subject=contact,
        actor=AuditEvent.Actor.BOT,
        actor_label=f"analysis:{analysis.engine}",
        data={k: v for k, v in changed.items() if k != "score_reasons"}
        | {"reasons": list(analysis.reasons)},
    )
    return changed
