"""trigger_cma and the generation task: reuse, regeneration, audit, the PDF."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from pypdf import PdfReader

from compliance.models import AuditEvent
from sellers import selectors, tasks
from sellers.cma.pdf import MAX_PDF_BYTES
from sellers.models import CMAReport, SellerQualification
from sellers.services.cma import CMAAddressMissing, generate_cma_report, trigger_cma
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory
from tests.sellers.factories import CMAReportFactory, PropertyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_today")]


@pytest.fixture
def riverside_sales():
    """Four sales like a 2,000 sq ft 3-bed home in Riverside, and that home's own record."""
    home = PropertyFactory(mls_id="HOME", address="4200 Magnolia Avenue", days_ago=900)
    comps = [
        PropertyFactory(mls_id=f"COMP{n}", sold_price=price, days_ago=20 + 30 * n)
        for n, price in enumerate((590_000, 600_000, 610_000, 620_000))
    ]
    return home, comps


@pytest.fixture
def seller(riverside_sales):
    contact = ContactFactory()
    SellerQualification.objects.create(
        contact=contact, address="4200 Magnolia Ave", city="Riverside"
    )
    return contact


def request_cma(contact, django_capture_on_commit_callbacks, by="seller_bot") -> CMAReport:
    with django_capture_on_commit_callbacks(execute=True):
        report = trigger_cma(contact=contact, by=by)
    report.refresh_from_db()
    return report


def pdf_text(report: CMAReport) -> tuple[PdfReader, str]:
    with default_storage.open(report.pdf.name, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    # Lines wrap wherever the layout puts them; compare with single spaces.
    return reader, " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_pdf_is_generated_only_after_the_request_commits(
    seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        report = trigger_cma(contact=seller, by="seller_bot")
        assert report.status == CMAReport.Status.PENDING
        assert not report.pdf
    assert len(callbacks) == 1

    callbacks[0]()
    report.refresh_from_db()
    assert report.status == CMAReport.Status.READY
    assert report.generated_at is not None


def test_the_address_is_matched_to_our_property_record_for_its_facts(
    seller, riverside_sales, django_capture_on_commit_callbacks
):
    home, _ = riverside_sales

    report = request_cma(seller, django_capture_on_commit_callbacks)

    assert report.subject_property == home
    assert report.subject["living_sqft"] == 2000
    assert report.subject["source"] == "property"
    assert "HOME" not in {row["mls_id"] for row in report.comparables}
    assert len(report.comparables) == 4
    assert report.estimate_low < report.estimate_mid < report.estimate_high


def test_a_ready_report_is_a_readable_pdf_with_the_table_the_address_and_the_notices(
    seller, django_capture_on_commit_callbacks
):
    report = request_cma(seller, django_capture_on_commit_callbacks)

    reader, text = pdf_text(report)
    assert len(reader.pages) == 2
    assert "4200 Magnolia Avenue, Riverside" in text
    assert "Comparable sales" in text
    assert "Adjusted price" in text
    for row in report.comparables:
        assert row["address"] in text
        assert f"${row['sold_price']:,}" in text
    assert f"${report.estimate_low:,} – ${report.estimate_high:,}" in text
    assert "This is not an appraisal" in text
    assert "Fair housing" in text
    assert "Jorge's real-estate team" in text
    assert report.pdf_bytes == default_storage.size(report.pdf.name)
    assert report.pdf_bytes < MAX_PDF_BYTES


def test_too_few_comparables_give_an_insufficient_report_without_a_value(
    django_capture_on_commit_callbacks,
):
    PropertyFactory(city="Norco")
    contact = ContactFactory()
    SellerQualification.objects.create(contact=contact, address="9 Hidden Rd", city="Norco")

    report = request_cma(contact, django_capture_on_commit_callbacks)

    assert report.status == CMAReport.Status.INSUFFICIENT
    assert report.confidence == CMAReport.Confidence.NONE
    assert (report.estimate_low, report.estimate_mid, report.estimate_high) == (None, None, None)
    _, text = pdf_text(report)
    assert "No estimate" in text
    assert "at least 3" in text
    assert selectors.latest_ready_cma(contact=contact) is None


def test_a_request_within_seven_days_reuses_the_report(seller, django_capture_on_commit_callbacks):
    first = request_cma(seller, django_capture_on_commit_callbacks)

    with time_machine.travel(datetime(2026, 11, 27, 12, tzinfo=UTC), tick=False):
        again = request_cma(seller, django_capture_on_commit_callbacks)

    assert again.pk == first.pk
    assert CMAReport.objects.count() == 1
    actions = list(
        AuditEvent.objects.filter(subject_id=str(first.pk), action__startswith="cma.")
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["cma.requested", "cma.ready", "cma.reused"]


def test_a_changed_comparable_price_makes_a_new_report(
    seller, riverside_sales, django_capture_on_commit_callbacks
):
    _, comps = riverside_sales
    first = request_cma(seller, django_capture_on_commit_callbacks)
    comps[0].sold_price = 650_000
    comps[0].save(update_fields=["sold_price"])

    second = request_cma(seller, django_capture_on_commit_callbacks)

    assert second.pk != first.pk
    assert second.comparables_fingerprint != first.comparables_fingerprint
    assert second.estimate_mid > first.estimate_mid
    assert selectors.latest_ready_cma(contact=seller) == second


def test_a_report_older_than_seven_days_is_made_again(seller, django_capture_on_commit_callbacks):
    first = request_cma(seller, django_capture_on_commit_callbacks)

    with time_machine.travel(datetime(2026, 11, 29, 12, 1, tzinfo=UTC), tick=False):
        second = request_cma(seller, django_capture_on_commit_callbacks)

    assert second.pk != first.pk


def test_trigger_cma_is_audited_with_who_asked(seller, django_capture_on_commit_callbacks):
    jorge = UserFactory(username="jorge", is_staff=True)
    report = request_cma(seller, django_capture_on_commit_callbacks, by="seller_bot")
    PropertyFactory(mls_id="NEW", sold_price=605_000, days_ago=3)  # new sale: new report
    by_staff = request_cma(seller, django_capture_on_commit_callbacks, by=jorge)

    bot_event = AuditEvent.objects.get(action="cma.requested", subject_id=str(report.pk))
    assert (bot_event.actor, bot_event.actor_label) == (AuditEvent.Actor.BOT, "seller_bot")
    assert bot_event.subject_type == "sellers.cmareport"
    assert bot_event.data["contact"] == seller.pk
    staff_event = AuditEvent.objects.get(action="cma.requested", subject_id=str(by_staff.pk))
    assert (staff_event.actor, staff_event.actor_label) == (AuditEvent.Actor.HUMAN, "jorge")
    assert staff_event.data["replaces"] == report.pk


def test_a_seller_without_an_address_gets_no_cma():
    contact = ContactFactory()

    with pytest.raises(CMAAddressMissing):
        trigger_cma(contact=contact, by="seller_bot")
    assert not CMAReport.objects.exists()


def test_an_address_we_have_no_record_of_is_valued_with_low_confidence(
    riverside_sales, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    SellerQualification.objects.create(contact=contact, address="1 Unknown Way", city="Riverside")

    report = request_cma(contact, django_capture_on_commit_callbacks)

    assert report.subject_property is None
    assert report.subject["living_sqft"] is None
    assert report.status == CMAReport.Status.READY
    assert report.confidence == CMAReport.Confidence.LOW
    assert "living area is unknown" in report.method


def test_generation_that_fails_is_recorded_as_failed_with_the_error():
    # A corrupt subject (zero square feet) cannot be valued.
    report = CMAReportFactory(subject={"address": "1 A St", "city": "Riverside", "living_sqft": 0})
    PropertyFactory()

    generate_cma_report(report_id=report.pk)

    report.refresh_from_db()
    assert report.status == CMAReport.Status.FAILED
    assert report.error.startswith("DivisionByZero")
    assert not report.pdf
    assert AuditEvent.objects.filter(action="cma.failed", subject_id=str(report.pk)).exists()


def test_the_task_runs_once_even_when_delivered_twice(seller, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        report = trigger_cma(contact=seller, by="seller_bot")

    assert tasks.generate_cma_report_task(report.pk) == CMAReport.Status.READY
    report.refresh_from_db()
    generated_at, pdf_name = report.generated_at, report.pdf.name
    with time_machine.travel(timedelta(minutes=5)):
        assert tasks.generate_cma_report_task(report.pk) == CMAReport.Status.READY

    report.refresh_from_db()
    assert (report.generated_at, report.pdf.name) == (generated_at, pdf_name)
    assert AuditEvent.objects.filter(action="cma.ready", subject_id=str(report.pk)).count() == 1


def test_the_attachment_for_an_email_points_at_the_pdf_with_a_link_fallback(
    seller, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://jorge.example.com/"
    report = request_cma(seller, django_capture_on_commit_callbacks)

    attachment = selectors.cma_attachment(report)

    assert attachment["path"] == report.pdf.name
    assert attachment["content_type"] == "application/pdf"
    assert attachment["link"].startswith("https://jorge.example.com/sellers/cma/shared/")
