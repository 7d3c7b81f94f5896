"""The business rules (analytics.rules): what a deal pays Jorge, and what his pipeline will."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from analytics import rules
from analytics.rules import Rules
from leads.models import Deal

UTC = ZoneInfo("UTC")
TODAY = date(2026, 6, 15)
DEFAULT = Rules()


def deal(stage=Deal.Stage.ACTIVE, *, value=500_000, side=Deal.Side.BUY, **fields) -> Deal:
    """A deal as the rules see it (no database needed)."""
    return Deal(stage=stage, value=value, side=side, **fields)


def priced(deals, rules_=DEFAULT):
    return rules.price_deals(deals, today=TODAY, rules=rules_)


def won(on: date, *, value=500_000, **fields) -> Deal:
    closed_at = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
    return deal(Deal.Stage.CLOSED_WON, value=value, closed_at=closed_at, **fields)


# --- One deal ---------------------------------------------------------------------------


def test_a_sale_pays_6_percent_split_between_the_sides_and_with_the_brokerage():
    figures = rules.commission_for(deal(value=500_000), DEFAULT)

    assert figures.rate == Decimal("0.06")
    assert figures.total == Decimal("30000.00")  # both agents together
    assert figures.side == Decimal("15000.00")  # the buyer's agent's half
    assert figures.brokerage == Decimal("3000.00")  # 20% of Jorge's side
    assert figures.jorge == Decimal("12000.00")  # what Jorge takes home
    assert figures.rate_is_override is False


def test_the_side_jorge_represents_decides_his_share_of_the_commission():
    listing_heavy = Rules(seller_side_share=Decimal("0.6"))

    seller = rules.commission_for(deal(side=Deal.Side.SELL, value=500_000), listing_heavy)
    buyer = rules.commission_for(deal(side=Deal.Side.BUY, value=500_000), listing_heavy)

    assert seller.side == Decimal("18000.00")  # 60% of 30,000
    assert buyer.side == Decimal("12000.00")  # the other 40%


def test_a_better_brokerage_split_leaves_jorge_more():
    figures = rules.commission_for(deal(value=500_000), Rules(agent_share=Decimal("0.9")))

    assert figures.jorge == Decimal("13500.00")
    assert figures.brokerage == Decimal("1500.00")


def test_a_deal_negotiated_at_its_own_rate_uses_it_instead_of_the_business_rate():
    figures = rules.commission_for(
        deal(value=400_000, commission_percent_override=Decimal("5.00")), DEFAULT
    )

    assert figures.rate == Decimal("0.05")
    assert figures.rate_is_override is True
    assert figures.total == Decimal("20000.00")
    assert figures.jorge == Decimal("8000.00")


def test_a_deal_negotiated_at_zero_pays_nothing_rather_than_the_business_rate():
    figures = rules.commission_for(deal(commission_percent_override=Decimal("0")), DEFAULT)

    assert figures.jorge == Decimal(0)
    assert figures.rate_is_override is True


def test_a_deal_without_a_price_pays_nothing_yet():
    assert rules.commission_for(deal(value=None), DEFAULT).jorge == Decimal(0)


def test_amounts_are_rounded_to_the_cent():
    figures = rules.commission_for(deal(value=333_333), DEFAULT)

    assert figures.side == Decimal("9999.99")  # 333,333 × 6% ÷ 2 = 9,999.99
    assert figures.jorge == Decimal("7999.99")  # 9,999.99 × 80% = 7,999.992


# --- The pipeline --------------------------------------------------------------------------


def test_the_weighted_pipeline_counts_open_deals_by_stage_and_weights_them_by_their_odds():
    deals = [
        deal(Deal.Stage.LEAD, value=500_000),  # pays 12,000; 10% → 1,200
        deal(Deal.Stage.UNDER_CONTRACT, value=500_000),  # 12,000; 90% → 10,800
        deal(Deal.Stage.UNDER_CONTRACT, value=250_000),  # 6,000; 90% → 5,400
        won(TODAY),  # closed: not pipeline
        deal(Deal.Stage.CLOSED_LOST),
    ]

    pipeline = rules.weighted_pipeline(priced(deals), DEFAULT)

    lines = {line.stage: line for line in pipeline.stages}
    assert [line.stage for line in pipeline.stages] == list(rules.OPEN_STAGES)
    assert (lines["lead"].deals, lines["lead"].weighted) == (1, Decimal("1200.00"))
    assert lines["under_contract"].deals == 2
    assert lines["under_contract"].sale_value == Decimal(750_000)
    assert lines["under_contract"].commission == Decimal("18000.00")
    assert lines["under_contract"].weighted == Decimal("16200.00")
    assert lines["appointment"].deals == 0
    assert pipeline.deals == 3
    assert pipeline.weighted == Decimal("17400.00")
    assert pipeline.commission == Decimal("30000.00")


def test_stage_probabilities_come_from_the_rules():
    cautious = Rules(stage_probability={**DEFAULT.stage_probability, "lead": Decimal("0.05")})

    pipeline = rules.weighted_pipeline(priced([deal(Deal.Stage.LEAD)], cautious), cautious)

    assert pipeline.weighted == Decimal("600.00")
    assert cautious.probability(Deal.Stage.CLOSED_WON) == 1
    assert cautious.probability(Deal.Stage.CLOSED_LOST) == 0


# --- The forecast --------------------------------------------------------------------------


def months(forecast):
    return {line.month: line for line in forecast}


def test_an_open_deal_is_forecast_in_its_expected_month_weighted_by_its_stage():
    deals = [deal(Deal.Stage.UNDER_CONTRACT, expected_close_on=date(2026, 7, 20))]

    forecast = rules.forecast_by_month(priced(deals), start=TODAY, months=3)

    assert [line.month for line in forecast] == [
        date(2026, 6, 1),
        date(2026, 7, 1),
        date(2026, 8, 1),
    ]
    july = months(forecast)[date(2026, 7, 1)]
    assert july.weighted == Decimal("10800.00")  # 12,000 × 90%
    assert july.open_deals == 1
    assert months(forecast)[date(2026, 6, 1)].total == 0


def test_an_open_deal_without_a_date_is_expected_the_typical_time_after_its_stage():
    # Active: about 60 days from today (15 June) → August; a lead: 120 days → October.
    deals = [deal(Deal.Stage.ACTIVE), deal(Deal.Stage.LEAD)]

    forecast = months(rules.forecast_by_month(priced(deals), start=TODAY, months=6))

    assert forecast[date(2026, 8, 1)].weighted == Decimal("6000.00")  # 12,000 × 50%
    assert forecast[date(2026, 10, 1)].weighted == Decimal("1200.00")  # 12,000 × 10%


def test_an_open_deal_past_its_expected_date_is_expected_this_month():
    late = deal(Deal.Stage.UNDER_CONTRACT, expected_close_on=date(2026, 5, 2))

    forecast = rules.forecast_by_month(priced([late]), start=TODAY, months=1)

    assert forecast[0].weighted == Decimal("10800.00")


def test_won_deals_count_in_full_in_the_month_they_closed_and_lost_ones_not_at_all():
    deals = [won(date(2026, 5, 3)), won(date(2026, 6, 1)), deal(Deal.Stage.CLOSED_LOST)]

    forecast = months(rules.forecast_by_month(priced(deals), start=date(2026, 5, 1), months=2))

    assert forecast[date(2026, 5, 1)].closed == Decimal("12000.00")
    assert forecast[date(2026, 6, 1)].closed == Decimal("12000.00")
    assert forecast[date(2026, 6, 1)].weighted == 0


def test_deals_beyond_the_window_are_left_out_of_the_forecast():
    far = deal(Deal.Stage.UNDER_CONTRACT, expected_close_on=date(2027, 3, 1))

    forecast = rules.forecast_by_month(priced([far]), start=TODAY, months=6)

    assert sum(line.total for line in forecast) == 0


def test_this_months_projection_is_what_closed_plus_the_weighted_deals_expected_in_it():
    deals = [
        won(date(2026, 6, 2)),  # 12,000
        won(date(2026, 5, 30)),  # last month
        deal(Deal.Stage.UNDER_CONTRACT, expected_close_on=date(2026, 6, 28)),  # 10,800
        deal(Deal.Stage.ACTIVE),  # August
    ]

    projected = rules.projected_commission(date(2026, 6, 1), priced(deals))

    assert projected == Decimal("22800.00")


# --- The year ------------------------------------------------------------------------------


def test_closed_year_to_date_counts_this_years_wins_against_the_goal():
    deals = [
        won(date(2026, 1, 10)),
        won(date(2026, 6, 14), value=250_000),
        won(date(2025, 12, 31)),  # last year
        deal(Deal.Stage.UNDER_CONTRACT),
    ]

    ytd = rules.closed_year_to_date(
        priced(deals), today=TODAY, rules=Rules(yearly_goal=Decimal(200_000))
    )

    assert ytd.year == 2026
    assert ytd.deals == 2
    assert ytd.closed == Decimal("18000.00")
    assert ytd.goal_fraction == Decimal("0.09")
    assert ytd.to_go == Decimal("182000.00")
    # 15 June is day 166 of 365: a steady year would be at 166/365 of the goal.
    assert ytd.on_pace == Decimal("90958.90")
    assert ytd.ahead_of_pace == Decimal("-72958.90")


def test_a_year_beyond_the_goal_has_nothing_left_to_go():
    ytd = rules.closed_year_to_date(
        priced([won(date(2026, 2, 1))]), today=TODAY, rules=Rules(yearly_goal=Decimal(10_000))
    )

    assert ytd.to_go == 0
    assert ytd.goal_fraction == Decimal("1.2")


@pytest.mark.parametrize(
    ("month", "n", "expected"),
    [(date(2026, 11, 1), 3, date(2027, 2, 1)), (date(2026, 2, 1), -3, date(2025, 11, 1))],
)
def test_months_are_added_across_years(month, n, expected):
    assert rules.add_months(month, n) == expected
