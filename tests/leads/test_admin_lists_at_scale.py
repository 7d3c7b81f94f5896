"""The deal and ticket lists of the back office read the rows of their page and counts, never
every row's date (a date hierarchy) or every row's assignee ("related only" filter): the
queries that grow with the table as the business does."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.compliance.factories import ComplianceTicketFactory
from tests.leads.factories import ContactFactory, DealFactory, EscalationTicketFactory

pytestmark = pytest.mark.django_db

WHOLE_TABLE_READS = re.compile(r"SELECT DISTINCT|\bMIN\(.*\bMAX\(")


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/admin/leads/deal/", lambda: DealFactory(stage="closed_won")),
        ("/admin/leads/escalationticket/", EscalationTicketFactory),
        ("/admin/compliance/complianceticket/", ComplianceTicketFactory),
    ],
)
def test_the_list_reads_no_column_of_every_row(admin_client, path, make):
    for _ in range(3):
        make()

    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(path)

    assert response.status_code == 200
    assert "3 " in response.content.decode()  # the rows are listed
    assert [q["sql"] for q in captured if WHOLE_TABLE_READS.search(q["sql"])] == []
    # The dates are still there to filter by: ranges on the date's index.
    assert "Past 7 days" in response.content.decode()


def test_the_contact_lists_source_filter_offers_each_source_without_reading_every_contact(
    admin_client,
):
    ContactFactory(source="Zillow")
    ContactFactory(source="Referral")
    ContactFactory(source="Referral", first_name="Rosa")

    admin_client.get("/admin/leads/contact/")  # the sources are read once, then cached
    with CaptureQueriesContext(connection) as captured:
        page = admin_client.get("/admin/leads/contact/", {"source": "Referral"})

    assert page.status_code == 200
    shown = {contact.source for contact in page.context["cl"].result_list}
    assert shown == {"Referral"} and len(page.context["cl"].result_list) == 2
    assert "?source=Zillow" in page.content.decode()
    assert not [q for q in captured.captured_queries if "DISTINCT" in q["sql"]]


def test_the_deal_list_reads_the_business_rules_once_however_many_deals_it_prices(
    admin_client, monkeypatch
):
    """Each row shows a rate and a commission; the rules behind them are read per page, not
    twice per deal (each read a cache lookup, a Redis round trip in production)."""
    from analytics import selectors as analytics_selectors
    from analytics.rules import commission_for
    from config.backoffice import money_cell

    reads = []
    real = analytics_selectors.current_rules

    def counting():
        reads.append(1)
        return real()

    monkeypatch.setattr(analytics_selectors, "current_rules", counting)

    def reads_for_the_page() -> tuple[int, str]:
        reads.clear()
        page = admin_client.get("/admin/leads/deal/")
        assert page.status_code == 200
        return len(reads), page.content.decode()

    DealFactory.create_batch(2, value=500_000)
    few, _ = reads_for_the_page()
    DealFactory.create_batch(10, value=500_000)
    many, html = reads_for_the_page()

    assert many == few <= 2
    # And every row is still priced by the rules in force.
    each = money_cell(commission_for(DealFactory.build(value=500_000)).jorge)
    assert html.count(each) == 12
