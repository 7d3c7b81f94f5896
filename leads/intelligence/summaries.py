"""The hand-over summary: a few lines for the person who takes a conversation over.

The offline summary is rule-based (the lead's qualification, why a person is needed, how
many messages there are): what answers without ``ENABLE_AGENT_MESH`` or an API key, and
whenever the model's summary fails. With both, ``engine.summarize_conversation`` asks the
mesh's ``summary`` task and keeps the model's text only if it passes ``validate_summary``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compliance.checks import check_message
from compliance.rules.privacy import redact_sensitive

from .claude import MAX_SUMMARY_CHARS

_INTENT = {"buyer": "Buyer", "seller": "Seller", "both": "Selling and buying"}
_TIMELINE = {
    "asap": "within 30 days",
    "1_3_months": "in 1–3 months",
    "3_6_months": "in 3–6 months",
    "6_12_months": "in 6–12 months",
    "12_plus_months": "in over 12 months",
}


@dataclass(frozen=True)
class SummaryRequest:
    """What a summary is written from: why a person is needed, the facts, the transcript."""

    reason: str
    facts: dict
    transcript: list[tuple[str, str]]


@dataclass(frozen=True)
class HandoverSummary:
    text: str
    engine: str  # claude | offline
    model: str = ""
    cost_usd: float = 0.0
    fallback_reason: str = ""
    route: dict = field(default_factory=dict)


def summarize_offline(request: SummaryRequest) -> str:
    """The rule-based summary: one line from the qualification, with no words of the lead."""
    facts = request.facts
    parts = [_INTENT.get(facts.get("intent") or "", "Intent unknown")]
    if facts.get("budget_max"):
        parts.append(f"budget up to ${int(facts['budget_max']):,}")
    if facts.get("timeline") in _TIMELINE:
        parts.append(f"moving {_TIMELINE[facts['timeline']]}")
    if facts.get("pre_approved") is True:
        parts.append("pre-approved")
    elif facts.get("pre_approved") is False:
        parts.append("not pre-approved")
    if facts.get("area"):
        parts.append(f"area {facts['area']}")
    if facts.get("temperature"):
        parts.append(f"{facts['temperature']} lead")
    from_lead = sum(1 for speaker, _ in request.transcript if speaker == "lead")
    line = f"{', '.join(parts)}. {from_lead} message{'s' if from_lead != 1 else ''} from the lead"
    if request.reason:
        line += f"; needs a person: {request.reason}"
    return redact_sensitive(line + ".")[:MAX_SUMMARY_CHARS]


def validate_summary(text: str) -> tuple[str, list[str]]:
    """The model's summary with sensitive data redacted, and what is wrong with it (if anything):
    empty, too long, or breaking a compliance rule (``check_message``)."""
    text = redact_sensitive(text.strip())
    problems = []
    if not text:
        problems.append("empty")
    if len(text) > MAX_SUMMARY_CHARS:
        problems.append("too_long")
    problems += [f"{v.type}:{v.category}" for v in check_message(text, "outbound")]
    return text, problems
