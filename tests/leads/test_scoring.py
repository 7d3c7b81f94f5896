"""Lead scoring and temperature (rules: docs/lead-scoring.md). Pure functions, no database."""

import pytest

from leads.intelligence.offline import analyze_offline
from leads.intelligence.schema import Budget, LeadAnalysis
from leads.intelligence.scoring import score_lead, temperature_for, with_score


@pytest.mark.parametrize(
    ("score", "temperature"),
    [(100, "hot"), (70, "hot"), (69, "warm"), (40, "warm"), (39, "cold"), (0, "cold")],
)
def test_temperature_thresholds(score, temperature):
    assert temperature_for(score) == temperature


def test_fully_qualified_buyer_scores_100_and_is_hot():
    score, temperature, reasons = score_lead(
        intent="buyer",
        timeline="asap",
        budget=Budget(max=450_000),
        pre_approved=True,
        area="Fontana",
    )

    assert (score, temperature) == (100, "hot")
    assert reasons == [
        "Intent: buying (+20)",
        "Timeline: within 30 days (+35)",
        "Budget: up to $450,000 (+15)",
        "Financing: pre-approved or paying cash (+20)",
        "Area: Fontana (+10)",
    ]


@pytest.mark.parametrize(
    ("timeline", "points"),
    [
        ("asap", 35),
        ("1_3_months", 25),
        ("3_6_months", 15),
        ("6_12_months", 5),
        ("12_plus_months", 0),
        ("unknown", 0),
    ],
)
def test_timeline_points(timeline, points):
    with_timeline, _, _ = score_lead(intent="buyer", timeline=timeline)
    without, _, _ = score_lead(intent="buyer", timeline="unknown")

    assert with_timeline - without == points


def test_each_buyer_fact_adds_its_points():
    base, _, _ = score_lead(intent="unknown", timeline="unknown")

    assert base == 0
    assert score_lead(intent="buyer", timeline="unknown")[0] == 20
    assert score_lead(intent="both", timeline="unknown")[0] == 25
    assert score_lead(intent="unknown", timeline="unknown", budget=Budget(min=1, max=2))[0] == 15
    assert score_lead(intent="unknown", timeline="unknown", pre_approved=True)[0] == 20
    assert score_lead(intent="unknown", timeline="unknown", area="Corona")[0] == 10


def test_not_pre_approved_scores_like_not_mentioned():
    refused, _, refused_reasons = score_lead(intent="buyer", timeline="asap", pre_approved=False)
    silent, _, _ = score_lead(intent="buyer", timeline="asap", pre_approved=None)

    assert refused == silent == 55
    assert not any("Financing" in reason for reason in refused_reasons)


def test_a_range_budget_is_described_with_both_ends():
    _, _, reasons = score_lead(
        intent="buyer", timeline="unknown", budget=Budget(min=400_000, max=450_000)
    )

    assert "Budget: $400,000-$450,000 (+15)" in reasons


def test_seller_is_scored_on_intent_timeline_and_area_only():
    score, temperature, reasons = score_lead(
        intent="seller",
        timeline="1_3_months",
        budget=Budget(max=600_000),
        pre_approved=True,
        area="Corona",
    )

    assert (score, temperature) == (75, "hot")
    assert reasons == ["Intent: selling (+35)", "Timeline: 1-3 months (+25)", "Area: Corona (+15)"]


def test_seller_without_a_timeline_is_cold_or_warm_never_hot():
    assert score_lead(intent="seller", timeline="unknown") == (
        35,
        "cold",
        ["Intent: selling (+35)"],
    )
    assert score_lead(intent="seller", timeline="unknown", area="Hemet")[:2] == (50, "warm")


def test_seller_and_buyer_score_is_capped_at_100():
    score, temperature, _ = score_lead(
        intent="both",
        timeline="asap",
        budget=Budget(max=500_000),
        pre_approved=True,
        area="Temecula",
    )

    assert (score, temperature) == (100, "hot")


def test_opt_out_zeroes_the_score_whatever_else_is_known():
    score, temperature, reasons = score_lead(
        intent="buyer",
        timeline="asap",
        budget=Budget(max=500_000),
        pre_approved=True,
        area="Fontana",
        opt_out=True,
    )

    assert (score, temperature) == (0, "cold")
    assert reasons == ["Opted out of messages (score 0)"]


def test_unknown_everything_is_cold_with_no_reasons():
    assert score_lead(intent="unknown", timeline="unknown") == (0, "cold", [])


def test_with_score_replaces_any_score_already_on_the_analysis():
    stale = LeadAnalysis(
        intent="buyer", timeline="asap", score=3, temperature="cold", reasons=["stale"]
    )

    scored = with_score(stale)

    assert (scored.score, scored.temperature) == (55, "warm")
    assert scored.reasons == ["Intent: buying (+20)", "Timeline: within 30 days (+35)"]
    assert scored.intent == "buyer"


@pytest.mark.parametrize(
    ("message", "score", "temperature"),
    [
        ("pre-approved for 500k, want to buy in Fontana asap", 100, "hot"),
        ("Need to sell my mom's house in Riverside in 30 days", 85, "hot"),
        ("quiero vender mi casa en Corona en 2 meses", 75, "hot"),
        ("Estoy preaprobado por 450 mil, quiero comprar lo antes posible", 90, "hot"),
        ("looking to buy around 450k in 2 months", 60, "warm"),
        ("busco casa en Rialto, preaprobado", 50, "warm"),
        ("cash buyer", 40, "warm"),
        ("what's my house worth?", 35, "cold"),
        ("we'd like to buy in 2 years", 20, "cold"),
        ("Hola", 0, "cold"),
        ("STOP", 0, "cold"),
    ],
)
def test_offline_analysis_is_scored_by_the_documented_examples(message, score, temperature):
    analysis = analyze_offline(message=message)

    assert (analysis.score, analysis.temperature) == (score, temperature)
    assert analysis.score == sum(
        int(r.rsplit("(+", 1)[1][:-1]) for r in analysis.reasons if "(+" in r
    )


def test_lead_turns_hot_as_the_conversation_qualifies_it():
    first = analyze_offline(message="Hi, I want to buy a house")
    second = analyze_offline(
        message="in Fontana, around 450k", history=["Hi, I want to buy a house"]
    )
    third = analyze_offline(
        message="we're pre-approved and want to move in 2 months",
        history=["Hi, I want to buy a house", "in Fontana, around 450k"],
    )

    assert [a.temperature for a in (first, second, third)] == ["cold", "warm", "hot"]
    assert first.score < second.score < third.score
    assert third.score == 90  # buyer 20 + 1-3 months 25 + budget 15 + financing 20 + area 10
