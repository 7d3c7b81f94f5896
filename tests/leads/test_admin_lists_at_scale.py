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
