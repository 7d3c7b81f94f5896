"""The commission rules in SQL (analytics/rules.py's expressions) give the same figures, to the
cent, as the rules in Python, and the commission page sums in the database instead of pricing
every deal in Python."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.urls import reverse

from analytics import rules, selectors
from analytics.rules import Rules
from analytics.views.commission import DEALS_PER_PAGE
from leads.models import Deal
from tests.leads.factories import DealFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 18, 0, tzinfo=UTC)
TODAY = date(2026, 6, 15)
# Odd splits, so every rounding step matters (the settings hold percentages to 0.01).
ODD = Rules(
    commission_rate=Decimal("0.0575"),
    seller_side_share=Decimal("0.5555"),
    agent_share=Decimal("0.7235"),
    stage_probability={
        rules.LEAD: Decimal("0.0333"),
        rules.APPOINTMENT: Decimal("0.2575"),
        rules.ACTIVE: Decimal("0.5"),
        rules.UNDER_CONTRACT: Decimal("0.9999"),
    },
)


@pytest.fixture
def book(db):
    """A hundred-odd deals: every stage and side, prices with odd cents, negotiated rates,
    no price, expected dates past, near and far, and closings around month and year ends."""
    draw = random.Random(10)
    stages = list(Deal.Stage.values)
    for n in range(120):
        stage = stages[n % len(stages)]
        value = Decimal(draw.randrange(0, 2_000_000_00)) / 100 if n % 17 else None
        expected = TODAY + timedelta(days=draw.randrange(-90, 300)) if n % 3 else None
        closed_at = (
            NOW - timedelta(days=draw.randrange(0, 500), hours=draw.randrange(0, 24))
            if stage == Deal.Stage.CLOSED_WON
            else None
        )
        override = Decimal(draw.randrange(0, 1000)) / 100 if n % 5 == 0 else None
        DealFactory(
            stage=stage,
            side=draw.choice(Deal.Side.values),
            value=value,
            commission_percent_override=override,
            expected_close_on=expected,
            closed_at=closed_at,
        )
    # A price whose seller side lands on half a cent: rounded up, as in Python.
    DealFactory(stage=Deal.Stage.ACTIVE, side=Deal.Side.SELL, value=Decimal("100000.05"))


@pytest.mark.parametrize("rules_", [Rules(), ODD], ids=["default", "odd"])
def test_each_deals_figures_in_sql_equal_the_python_rules(book, rules_):
    rows = Deal.objects.annotate(
        jorge=rules.jorge_cents_expression(rules_),
        weighted=rules.weighted_cents_expression(rules_),
        sale=rules.sale_cents_expression(),
        month=rules.expected_close_month_expression(today=TODAY),
    ).order_by("id")

    for deal, line in zip(rows, rules.price_deals(rows, today=TODAY, rules=rules_), strict=True):
        assert rules.from_cents(deal.jorge) == line.commission.jorge, deal.pk
        assert rules.from_cents(deal.weighted) == line.weighted, deal.pk
        assert rules.from_cents(deal.sale) == line.commission.sale_price, deal.pk
        if line.is_open:
            assert deal.month == line.month, deal.pk
        else:
            assert deal.month is None


def python_overview(today: date, rules_: Rules):
    """The commission page as it was computed before the sums moved into SQL: every deal
    priced in Python (rules.py's functions over the rows)."""
    deals = list(Deal.objects.order_by("id"))
    priced = rules.price_deals(deals, today=today, rules=rules_)
    start = rules.add_months(rules.month_of(today), -selectors.FORECAST_MONTHS_BACK)
    forecast = rules.forecast_by_month(
        priced,
        start=start,
        months=selectors.FORECAST_MONTHS_BACK + 1 + selectors.FORECAST_MONTHS_AHEAD,
    )
    open_lines = sorted(
        (line for line in priced if line.is_open),
        key=lambda line: (line.month, -rules.OPEN_STAGES.index(line.deal.stage), -line.weighted),
    )
    won_lines = sorted(
        (
            line
            for line in priced
            if line.is_won and line.deal.closed_at and line.month.year == today.year
        ),
        key=lambda line: line.deal.closed_at,
        reverse=True,
    )
    return {
        "forecast": forecast,
        "pipeline": rules.weighted_pipeline(priced, rules_),
        "year": rules.closed_year_to_date(priced, today=today, rules=rules_),
        "deals": [(line.deal.pk, line.weighted, line.month) for line in open_lines + won_lines],
        "projected": rules.projected_commission(rules.month_of(today), priced),
    }


@pytest.mark.parametrize("rules_", [Rules(), ODD], ids=["default", "odd"])
def test_the_commission_page_and_the_tile_show_the_figures_of_the_python_rules(book, rules_):
    with mock.patch.object(selectors, "current_rules", return_value=rules_):
        overview = selectors.commission_overview(now=NOW)
        projected = selectors.projected_commission_this_month(now=NOW)
    expected = python_overview(TODAY, rules_)

    assert overview.forecast == expected["forecast"]
    assert overview.this_month == expected["forecast"][selectors.FORECAST_MONTHS_BACK]
    assert overview.pipeline == expected["pipeline"]
    assert overview.year_to_date == expected["year"]
    assert projected == expected["projected"]
    # Read in pages of 7 (one page spans the open deals and the closings).
    shown = []
    for start in range(0, overview.deals.count(), 7):
        shown += overview.deals[start : start + 7]
    assert [(line.deal.pk, line.weighted, line.month) for line in shown] == expected["deals"]


@time_machine.travel(NOW, tick=False)
def test_the_page_prices_only_the_deals_it_shows(dashboard_client):
    DealFactory.create_batch(3 * DEALS_PER_PAGE, stage=Deal.Stage.ACTIVE)
    priced = []
    real = rules.price_deals

    def counting(deals, **kwargs):
        lines = real(deals, **kwargs)
        priced.extend(lines)
        return lines

    with mock.patch.object(rules, "price_deals", counting):
        page = dashboard_client.get(reverse("dashboard:commission"), {"page": "2"})
        tile = selectors.projected_commission_this_month()

    assert page.status_code == 200
    assert page.context["deals_page"].paginator.count == 3 * DEALS_PER_PAGE
    assert page.context["overview"].pipeline.deals == 3 * DEALS_PER_PAGE
    assert len(page.context["deals_page"].object_list) == DEALS_PER_PAGE
    assert len(priced) == DEALS_PER_PAGE  # one page, not every open deal
    assert tile == Decimal(0)  # none expected this month (active deals: two months out)
