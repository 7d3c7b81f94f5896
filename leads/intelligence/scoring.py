"""How hot a lead is: a 0-100 score, a temperature and the reasons, by the rules in docs/lead-scoring.md."""

import dataclasses

from leads.intelligence.schema import Budget, Intent, LeadAnalysis, TemperatureValue, TimelineValue

HOT_AT = 70
WARM_AT = 40

INTENT_POINTS = {"buyer": 20, "both": 25, "seller": 35, "unknown": 0}
TIMELINE_POINTS = {
    "asap": 35,
    "1_3_months": 25,
    "3_6_months": 15,
    "6_12_months": 5,
    "12_plus_months": 0,
    "unknown": 0,
}
BUDGET_POINTS = 15
PRE_APPROVED_POINTS = 20
AREA_POINTS = 10
SELLER_AREA_POINTS = 15

TIMELINE_LABELS = {
    "asap": "within 30 days",
    "1_3_months": "1-3 months",
    "3_6_months": "3-6 months",
    "6_12_months": "6-12 months",
    "12_plus_months": "over a year",
}
INTENT_LABELS = {"buyer": "buying", "seller": "selling", "both": "selling and buying"}


def _money(amount: int) -> str:
    return f"${amount:,}"


def _budget_label(budget: Budget) -> str:
    if budget.min is not None and budget.max is not None:
        return f"{_money(budget.min)}-{_money(budget.max)}"
    if budget.max is not None:
        return f"up to {_money(budget.max)}"
    return f"from {_money(budget.min)}"  # type: ignore[arg-type]


def temperature_for(score: int) -> TemperatureValue:
    """Hot at 70 and above, warm from 40 to 69, cold below 40."""
    if score >= HOT_AT:
        return "hot"
    if score >= WARM_AT:
        return "warm"
    return "cold"


def score_lead(
    *,
    intent: Intent,
    timeline: TimelineValue,
    budget: Budget | None = None,
    pre_approved: bool | None = None,
    area: str = "",
    opt_out: bool = False,
) -> tuple[int, TemperatureValue, list[str]]:
    """Score a lead's qualification facts: (score 0-100, temperature, human-readable reasons)."""
    if opt_out:
        return 0, "cold", ["Opted out of messages (score 0)"]

    budget = budget or Budget()
    points = 0
    reasons: list[str] = []

    def add(amount: int, reason: str) -> None:
        nonlocal points
        points += amount
        reasons.append(f"{reason} (+{amount})")

    if intent != "unknown":
        add(INTENT_POINTS[intent], f"Intent: {INTENT_LABELS[intent]}")
    if TIMELINE_POINTS[timeline]:
        add(TIMELINE_POINTS[timeline], f"Timeline: {TIMELINE_LABELS[timeline]}")
    # Budget and financing describe the home to buy; a pure seller is scored on the listing.
    if intent != "seller":
        if budget.min is not None or budget.max is not None:
            add(BUDGET_POINTS, f"Budget: {_budget_label(budget)}")
        if pre_approved:
            add(PRE_APPROVED_POINTS, "Financing: pre-approved or paying cash")
    if area:
        add(SELLER_AREA_POINTS if intent == "seller" else AREA_POINTS, f"Area: {area}")

    score = max(0, min(100, points))
    return score, temperature_for(score), reasons


def with_score(analysis: LeadAnalysis) -> LeadAnalysis:
    """Return ``analysis`` with score, temperature and reasons filled from its facts."""
    score, temperature, reasons = score_lead(
        intent=analysis.intent,
        timeline=analysis.timeline,
        budget=analysis.budget,
        pre_approved=analysis.pre_approved,
        area=analysis.area,
        opt_out=analysis.opt_out,
    )
    return dataclasses.replace(analysis, score=score, temperature=temperature, reasons=reasons)
