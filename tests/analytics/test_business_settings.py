"""The business settings: the admin's one place for the commission rate, splits, odds and goal."""

from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.db.models import Sum
from django.utils import timezone

from analytics import rules, selectors
from analytics.models import BusinessSettings
from compliance.models import AuditEvent
from leads.models import Deal
from tests.leads.factories import DealFactory

pytestmark = pytest.mark.django_db

URL = "/admin/analytics/businesssettings/1/change/"


def form(**changes) -> dict:
    values = {
        "commission_percent": "6.00",
        "seller_side_percent": "50.00",
        "agent_split_percent": "80.00",
        "lead_probability": "10",
        "appointment_probability": "25",
        "active_probability": "50",
        "under_contract_probability": "90",
        "yearly_goal": "500000",
    }
    return values | changes


def test_the_rules_start_from_the_defaults_in_rules_py():
    current = selectors.current_rules()

    assert current == rules.Rules()
    assert BusinessSettings.objects.get().commission_percent == Decimal("6.00")


def test_the_admin_list_opens_the_one_row(admin_client):
    response = admin_client.get("/admin/analytics/businesssettings/")

    assert response.status_code == 302
    assert response["Location"] == URL


def test_a_new_rate_saved_in_the_admin_is_used_at_once_and_audited(
    admin_client, django_capture_on_commit_callbacks
):
    selectors.current_rules()  # read (and cached) before the change
    DealFactory(stage=Deal.Stage.CLOSED_WON, value=500_000)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(URL, form(commission_percent="5.00", yearly_goal="300000"))

    assert response.status_code == 302
    assert selectors.current_rules().commission_rate == Decimal("0.05")
    assert selectors.current_rules().yearly_goal == 300_000
    assert Deal.objects.get().commission == Decimal("10000.00")  # 500k × 5% ÷ 2 × 80%
    event = AuditEvent.objects.get(action="business.settings_changed")
    assert event.actor_label == "admin"
    assert event.data == {"commission_percent": "5.00", "yearly_goal": "300000"}


def test_the_admin_refuses_a_commission_above_10_percent(admin_client):
    response = admin_client.post(URL, form(commission_percent="12"))

    assert response.status_code == 200
    assert "less than or equal to 10" in response.content.decode()
    assert BusinessSettings.objects.get().commission_percent == Decimal("6.00")


def test_the_admin_refuses_odds_that_fall_from_one_stage_to_the_next(admin_client):
    response = admin_client.post(URL, form(active_probability="95"))

    assert response.status_code == 200
    assert "never fall from one stage to the next" in response.content.decode()
    assert BusinessSettings.objects.get().active_probability == Decimal(50)


def test_the_settings_cannot_be_added_twice_or_deleted(admin_client):
    selectors.business_settings()

    assert admin_client.get("/admin/analytics/businesssettings/add/").status_code == 403
    assert admin_client.get(f"{URL[:-7]}delete/").status_code == 403


def test_a_deal_shows_its_rate_and_whether_it_was_negotiated_in_the_admin(admin_client):
    DealFactory(name="Standard deal")
    DealFactory(name="Friend's deal", commission_percent_override=Decimal("4.50"))

    page = admin_client.get("/admin/leads/deal/").content.decode()

    assert '<td class="field-rate">6%</td>' in page
    assert '<td class="field-rate">4.5% (negotiated)</td>' in page


def test_the_database_refuses_a_negotiated_rate_above_10_percent():
    with pytest.raises(IntegrityError):
        DealFactory(commission_percent_override=Decimal("12.5"))


def test_the_database_sum_of_commissions_matches_the_deal_by_deal_figures():
    current = rules.Rules(seller_side_share=Decimal("0.55"), agent_share=Decimal("0.7"))
    DealFactory(value=333_333, side=Deal.Side.BUY)
    DealFactory(value=719_900, side=Deal.Side.SELL)
    DealFactory(value=500_000, side=Deal.Side.SELL, commission_percent_override=Decimal("5.25"))
    DealFactory(value=None)

    in_sql = Deal.objects.aggregate(total=Sum(rules.jorge_commission_expression(current)))["total"]
    by_deal = sum(rules.commission_for(deal, current).jorge for deal in Deal.objects.all())

    # Deal by deal rounds each to the cent; the database sums before rounding.
    assert abs(Decimal(in_sql) - by_deal) < Decimal("0.02")
    assert by_deal == Decimal("6299.99") + Decimal("16629.69") + Decimal("10106.25")


def test_projected_commission_this_month_reads_the_deals_and_the_rules(django_assert_num_queries):
    DealFactory(
        stage=Deal.Stage.UNDER_CONTRACT, value=500_000, expected_close_on=timezone.localdate()
    )
    selectors.current_rules()

    with django_assert_num_queries(1):
        projected = selectors.projected_commission_this_month()

    assert projected == Decimal("10800.00")
