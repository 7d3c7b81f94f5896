"""The staff CMA page, the staff download, the signed link for the seller, and the admin."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from compliance.models import AuditEvent
from sellers import selectors
from sellers.models import CMAReport
from tests.factories import UserFactory
from tests.sellers.factories import CMAReportFactory, PropertyFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7 a stored report"


@pytest.fixture
def ready_report():
    report = CMAReportFactory(
        address="4200 Magnolia Ave",
        status=CMAReport.Status.READY,
        estimate_low=571_000,
        estimate_mid=604_000,
        estimate_high=636_000,
        confidence=CMAReport.Confidence.MEDIUM,
        method="We compared your home with 3 homes.",
        comparables=[
            {
                "mls_id": "A",
                "address": "15 Palm Ave",
                "city": "Riverside",
                "sold_date": "2026-10-22",
                "sold_price": 600_000,
                "beds": 3,
                "baths": "2.0",
                "living_sqft": 2000,
                "price_per_sqft": "300.00",
                "adjustment": 0,
                "adjusted_price": 600_000,
                "weight": "0.8630",
            }
        ],
        generated_at=timezone.now(),
    )
    report.pdf.save("cma-test.pdf", ContentFile(PDF), save=True)
    return report


def test_staff_see_the_report_with_its_estimate_comparables_and_download(
    dashboard_client, ready_report
):
    response = dashboard_client.get(reverse("sellers:cma-detail", args=[ready_report.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "4200 Magnolia Ave" in page
    assert "$571,000 – $636,000" in page
    assert "15 Palm Ave" in page
    assert "We compared your home with 3 homes." in page
    assert reverse("sellers:cma-download", args=[ready_report.pk]) in page


@pytest.mark.parametrize("name", ["sellers:cma-detail", "sellers:cma-download"])
def test_anonymous_visitors_are_sent_to_the_admin_login(client, ready_report, name):
    response = client.get(reverse(name, args=[ready_report.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_logged_in_user_who_is_not_staff_cannot_download(client, ready_report):
    client.force_login(UserFactory(is_staff=False))

    response = client.get(reverse("sellers:cma-download", args=[ready_report.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_download_the_pdf(dashboard_client, ready_report):
    response = dashboard_client.get(reverse("sellers:cma-download", args=[ready_report.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF


def test_a_report_that_does_not_exist_is_not_found(dashboard_client):
    assert dashboard_client.get(reverse("sellers:cma-detail", args=[999])).status_code == 404


def test_the_signed_link_downloads_the_pdf_without_a_login(client, ready_report, settings):
    settings.SITE_URL = "https://jorge.example.com"
    link = selectors.cma_public_link(ready_report)
    assert link.startswith("https://jorge.example.com/sellers/cma/shared/")

    response = client.get(link.removeprefix("https://jorge.example.com"))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_a_signed_link_older_than_thirty_days_has_expired(client, ready_report):
    with time_machine.travel(datetime(2026, 11, 1, 12, tzinfo=UTC), tick=False):
        path = reverse("sellers:cma-shared", args=[selectors.cma_share_token(ready_report)])
    with time_machine.travel(datetime(2026, 12, 1, 12, 1, tzinfo=UTC), tick=False):
        response = client.get(path)

    assert response.status_code == 410
    assert b"expired" in response.content


def test_a_forged_link_is_not_found(client, ready_report):
    other = CMAReportFactory(status=CMAReport.Status.READY)
    token = selectors.cma_share_token(ready_report)
    forged = token.replace(f"{ready_report.pk}:", f"{other.pk}:", 1)

    for bad in (forged, token[:-2] + "xx", "nonsense"):
        assert client.get(reverse("sellers:cma-shared", args=[bad])).status_code == 404


def test_a_signed_link_to_a_report_without_a_value_is_not_found(client):
    report = CMAReportFactory(status=CMAReport.Status.INSUFFICIENT)
    report.pdf.save("cma-insufficient.pdf", ContentFile(PDF), save=True)

    response = client.get(selectors.cma_public_link(report).removeprefix("http://127.0.0.1:8000"))

    assert response.status_code == 404


def test_the_admin_lists_reports_with_estimate_and_download_link(
    client, ready_report, django_assert_max_num_queries
):
    CMAReportFactory.create_batch(3)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    with django_assert_max_num_queries(8):
        response = client.get(reverse("admin:sellers_cmareport_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "$571,000 – $636,000 (mid $604,000)" in page
    assert reverse("sellers:cma-download", args=[ready_report.pk]) in page


def test_the_admin_shows_a_report_read_only(client, ready_report):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(reverse("admin:sellers_cmareport_change", args=[ready_report.pk]))

    assert response.status_code == 200
    assert b'name="_save"' not in response.content


def test_the_admin_action_requests_a_new_cma_for_the_reports_home(
    client, django_capture_on_commit_callbacks, on_today
):
    for price in (590_000, 600_000, 610_000):
        PropertyFactory(sold_price=price)
    old = CMAReportFactory(address="4200 Magnolia Ave", status=CMAReport.Status.FAILED)
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:sellers_cmareport_changelist"),
            {"action": "generate_cma", "_selected_action": [old.pk]},
        )

    assert response.status_code == 302
    new = CMAReport.objects.exclude(pk=old.pk).get()
    assert (new.contact, new.address, new.status) == (
        old.contact,
        "4200 Magnolia Ave",
        CMAReport.Status.READY,
    )
    event = AuditEvent.objects.get(action="cma.requested", subject_id=str(new.pk))
    assert event.actor_label == "boss"
