"""Starting a CMA over the API and following it to its PDF."""

import pytest
from django.urls import reverse

from compliance.models import AuditEvent
from sellers.models import CMAReport, SellerQualification
from tests.leads.factories import ContactFactory
from tests.sellers.factories import CMAReportFactory, PropertyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_today")]


@pytest.fixture
def seller():
    PropertyFactory(mls_id="HOME", address="4200 Magnolia Avenue", days_ago=900)
    for n, price in enumerate((590_000, 600_000, 610_000, 620_000)):
        PropertyFactory(mls_id=f"COMP{n}", sold_price=price, days_ago=20 + 30 * n)
    contact = ContactFactory()
    SellerQualification.objects.create(
        contact=contact, address="4200 Magnolia Ave", city="Riverside"
    )
    return contact


def test_a_cma_is_started_then_followed_to_its_pdf(
    api_client, seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        started = api_client.post(reverse("sellers-api:cma-trigger", args=[seller.pk]))

    assert started.status_code == 202
    body = started.json()
    assert (body["status"], body["reused"], body["address"]) == (
        "pending",
        False,
        "4200 Magnolia Avenue",
    )
    followed = api_client.get(reverse("sellers-api:cma-report", args=[body["id"]])).json()
    assert followed["status"] == "ready"
    assert followed["pdf_url"] == reverse("sellers:cma-download", args=[body["id"]])
    assert AuditEvent.objects.get(action="cma.requested").actor_label == "jorge"


def test_a_second_request_within_the_week_reuses_the_report(
    api_client, seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post(reverse("sellers-api:cma-trigger", args=[seller.pk])).json()
    again = api_client.post(reverse("sellers-api:cma-trigger", args=[seller.pk])).json()

    assert again["id"] == first["id"] and again["reused"] is True
    assert CMAReport.objects.count() == 1


def test_no_address_is_a_400_that_asks_for_it(api_client):
    contact = ContactFactory()

    response = api_client.post(reverse("sellers-api:cma-trigger", args=[contact.pk]))

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "cma_address_missing",
        "message": "We need the home's address to prepare a CMA.",
        "details": {},
    }


def test_unknown_contacts_and_reports_are_404s(api_client):
    assert api_client.post(reverse("sellers-api:cma-trigger", args=[999999])).status_code == 404
    assert api_client.get(reverse("sellers-api:cma-report", args=[999999])).status_code == 404


def test_a_pending_report_has_no_pdf_yet(api_client):
    report = CMAReportFactory()

    body = api_client.get(reverse("sellers-api:cma-report", args=[report.pk])).json()

    assert (body["status"], body["pdf_url"]) == ("pending", None)
