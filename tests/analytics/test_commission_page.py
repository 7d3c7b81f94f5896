"""The commission page: the pipeline by stage, the forecast by month, the year against the goal,
and every deal's figures, all under the business rules."""

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from analytics import cache as tiers
from analytics import selectors
from analytics.services import update_business_settings
from leads.models import Deal
from tests.leads.factories import DealFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:commission")
NOW = datetime(2026, 6, 15, 18, 0, tzinfo=UTC)


def won(on: date, value=500_000, **fields):
    closed_at = datetime(on.year, on.month, on.day, 18, tzinfo=UTC)
    return DealFactory(stage=Deal.Stage.CLOSED_WON, value=value, closed_at=closed_at, **fields)


def text(response) -> str:
    """The page's visible words, one space between them."""
    html = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def book(db):
    """Two closings this year, one last year, and open deals at every stage."""
    won(date(2026, 2, 10), name="Lopez purchase")  # pays 12,000
    won(date(2026, 6, 3), value=250_000, side=Deal.Side.SELL, name="Reyes listing")  # 6,000
    won(date(2025, 12, 20), name="Last year's sale")
    DealFactory(
        stage=Deal.Stage.UNDER_CONTRACT,
        value=500_000,
        expected_close_on=date(2026, 6, 28),
        name="Garcia purchase",
    )  # 12,000 × 90% = 10,800 this month
    DealFactory(
        stage=Deal.Stage.ACTIVE,
        value=400_000,
        commission_percent_override=Decimal("5.00"),
        side=Deal.Side.SELL,
        name="Friend's listing",
    )  # 400k × 5% ÷ 2 × 80% = 8,000 × 50% = 4,000, in August
    DealFactory(stage=Deal.Stage.LEAD, value=600_000, name="Tran lead")  # 14,400 × 10%
    DealFactory(stage=Deal.Stage.CLOSED_LOST, value=900_000, name="Lost deal")


@time_machine.travel(NOW, tick=False)
def test_the_tiles_show_this_month_the_weighted_pipeline_and_the_year(dashboard_client, book):
    page = text(dashboard_client.get(URL))

    # This month: 6,000 closed on 3 June + 10,800 expected.
    assert "Projected this month $16,800 $6,000 closed + $10,800 expected" in page
    # Pipeline: 10,800 + 4,000 + 1,440.
    assert "Weighted pipeline $16,240 of $34,400 if all 3 open deals closed" in page
    assert "Closed in 2026 $18,000 4% of the $500,000 goal · 2 deals" in page
    assert "Open deals' sale value $1,500,000" in page


@time_machine.travel(NOW, tick=False)
def test_the_pipeline_lists_each_stage_with_its_chance_to_close(dashboard_client, book):
    page = text(dashboard_client.get(URL))

    assert "Lead 10% 1 $600,000 $14,400 $1,440" in page
    assert "Appointment 25% 0 $0 $0 $0" in page
    assert "Active (listing or searching) 50% 1 $400,000 $8,000 $4,000" in page
    assert "Under contract 90% 1 $500,000 $12,000 $10,800" in page
    assert "Open deals 3 $1,500,000 $34,400 $16,240" in page


@time_machine.travel(NOW, tick=False)
def test_the_forecast_chart_has_closed_and_weighted_commission_by_month(dashboard_client, book):
    response = dashboard_client.get(URL)

    figure = response.context["forecast_figure"]
    closed, expected = figure["data"]
    assert closed["x"][:5] == ["Mar 2026", "Apr 2026", "May 2026", "This month", "Jul 2026"]
    assert closed["y"][3] == 6000.0
    assert expected["y"][3] == 10800.0
    assert expected["y"][5] == 4000.0  # August: the active listing, 60 days out
    assert expected["y"][7] == 1440.0  # October: the lead, 120 days out
    assert 'id="forecast-figure"' in response.content.decode()
    assert json.dumps(figure["data"][0]["name"]) in response.content.decode()
    assert "June 2026 $6,000 $10,800 (1) $16,800" in text(response)


@time_machine.travel(NOW, tick=False)
def test_the_year_is_measured_against_the_goal_and_a_steady_pace(dashboard_client, book):
    update_business_settings(
        settings_row=_settings(yearly_goal=40_000), changed=["yearly_goal"], user=None
    )

    page = text(dashboard_client.get(URL))

    # 15 June is day 166: a steady year would be at 40,000 × 166/365 = 18,192 today.
    assert "$18,000 of $40,000 (45%). $22,000 to go." in page
    assert "A steady year would be at $18,192 today: $192 behind" in page


def _settings(**changes):
    row = selectors.business_settings()
    for name, value in changes.items():
        setattr(row, name, value)
    return row


@time_machine.travel(NOW, tick=False)
def test_every_deal_shows_its_commission_step_by_step(dashboard_client, book):
    page = text(dashboard_client.get(URL))

    assert (
        "Friend's listing Seller side · Active (listing or searching) Aug 2026 (est.) "
        "$400,000 5% deal $10,000 $2,000 $8,000 50% $4,000"
    ) in page
    assert (
        "Garcia purchase Buyer side · Under contract Jun 2026 "
        "$500,000 6% $15,000 $3,000 $12,000 90% $10,800"
    ) in page
    assert (
        "Reyes listing Seller side · Closed won Jun 3, 2026 "
        "$250,000 6% $7,500 $1,500 $6,000 100% $6,000"
    ) in page
    assert "Last year's sale" not in page
    assert "Lost deal" not in page


@time_machine.travel(NOW, tick=False)
def test_open_deals_come_first_soonest_first_then_this_years_closings(dashboard_client, book):
    response = dashboard_client.get(URL)

    names = [line.deal.name for line in response.context["deals_page"].object_list]
    assert names == [
        "Garcia purchase",
        "Friend's listing",
        "Tran lead",
        "Reyes listing",
        "Lopez purchase",
    ]


@time_machine.travel(NOW, tick=False)
def test_a_new_rate_in_the_settings_changes_every_figure(
    dashboard_client, book, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        update_business_settings(
            settings_row=_settings(commission_percent=Decimal("5")),
            changed=["commission_percent"],
            user=None,
        )

    page = text(dashboard_client.get(URL))

    assert "What Jorge takes home: 5% of the sale price" in page
    # The negotiated deal keeps its 5%; the others pay 5/6 of what they did.
    assert "Lead 10% 1 $600,000 $12,000 $1,200" in page
    assert "$8,000 50% $4,000" in page


def test_the_page_reads_sums_and_one_page_of_deals_however_many_there_are(
    dashboard_client, django_assert_max_num_queries
):
    DealFactory.create_batch(3, stage=Deal.Stage.ACTIVE)
    selectors.current_rules()  # read once a minute at most (cached)
    # Session, user, reviewers group, the open deals' sums, the wins' sums, the page's deals,
    # and the user's permissions (two).
    with django_assert_max_num_queries(8) as few:
        assert dashboard_client.get(URL).status_code == 200

    DealFactory.create_batch(40, stage=Deal.Stage.UNDER_CONTRACT)
    tiers.invalidate_for_event("deal.stage_changed")  # as HighLevel's webhook for each does
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = dashboard_client.get(URL)

    assert response.status_code == 200
    assert response.context["deals_page"].paginator.count == 43


def test_deals_are_paged_and_a_bad_page_is_refused(dashboard_client):
    DealFactory.create_batch(25, stage=Deal.Stage.ACTIVE)

    second = dashboard_client.get(URL, {"page": "2"})
    word = dashboard_client.get(URL, {"page": "two"})
    beyond = dashboard_client.get(URL, {"page": "9"})

    assert len(second.context["deals_page"].object_list) == 5
    assert word.status_code == 400
    assert "“two” is not a page number." in text(word)
    assert beyond.status_code == 404


def test_with_no_deals_the_page_says_so(dashboard_client):
    response = dashboard_client.get(URL)

    assert response.status_code == 200
    assert "No open deals and none closed this year yet." in text(response)
