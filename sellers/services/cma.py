"""Comparative market analyses: requested by the seller bot or staff, generated in a task."""

import logging
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from analytics.services import broadcast_dashboard_event
from compliance.models import AuditEvent
from compliance.services import audit
from config.errors import ApplicationError
from leads.models import Contact
from leads.services.locks import lock_contact
from sellers import selectors
from sellers.cma import valuation
from sellers.cma.comparables import Subject, fingerprint, normalize_address
from sellers.cma.pdf import MAX_PDF_BYTES, render_cma_pdf
from sellers.models import CMAReport, Property, SellerQualification

logger = logging.getLogger(__name__)

REUSE_DAYS = 7


class CMAAddressMissing(ApplicationError):
    code = "cma_address_missing"


class CMAPdfTooLarge(Exception):
    """The rendered PDF broke the 2 MB limit (an email attachment must stay small)."""


def _actor(by: AbstractBaseUser | str) -> dict:
    if isinstance(by, str):
        return {"actor": AuditEvent.Actor.BOT, "actor_label": by}
    return {"user": by}


def _subject_home(
    *, contact: Contact, address: str | None, city: str | None
) -> tuple[Subject, Property | None]:
    """The home to value: the matched Property's facts, else only what the seller told us."""
    qualification = SellerQualification.objects.filter(contact=contact).first()
    address = (address if address is not None else getattr(qualification, "address", "")).strip()
    city = (city if city is not None else getattr(qualification, "city", "")).strip()
    home = None
    if qualification is not None and qualification.subject_property_id:
        linked = qualification.subject_property
        if not address or normalize_address(linked.address) == normalize_address(address):
            home = linked
    if home is None and address:
        home = selectors.match_property(address=address, city=city or contact.area)
    if home is not None:
        return Subject.from_property(home), home
    if not address:
        raise CMAAddressMissing("We need the home's address to prepare a CMA.")
    return Subject(address=address, city=city or contact.area.strip()), None


def _enqueue_generation(report_id: int) -> None:
    from sellers import tasks  # the task module imports this one

    tasks.generate_cma_report_task.delay(report_id)


def trigger_cma(
    *,
    contact: Contact,
    by: AbstractBaseUser | str,
    address: str | None = None,
    city: str | None = None,
) -> CMAReport:
    """Start (or reuse) a CMA of the contact's home; the PDF is generated after commit.

    ``by`` is the staff user, or a label such as ``"seller_bot"`` for automated requests.
    The address defaults to the contact's seller qualification. A report of the same home
    made within 7 days is reused unless its comparables (or their prices) changed; the
    returned report's ``reused`` says which happened.
    """
    now = timezone.now()
    subject, home = _subject_home(contact=contact, address=address, city=city)
    search = selectors.comparables_for(subject=subject, as_of=timezone.localdate(now))
    digest = fingerprint(subject=subject, search=search)
    with transaction.atomic():
        # Two requests for one contact (bot and staff at once) must not both create a report.
        lock_contact(contact_id=contact.pk)
        recent = selectors.recent_cma_for(
            contact=contact,
            address=subject.address,
            city=subject.city,
            since=now - timedelta(days=REUSE_DAYS),
        )
        if recent is not None and recent.comparables_fingerprint == digest:
            recent.reused = True
            audit(
                action="cma.reused",
                subject=recent,
                data={"contact": contact.pk, "fingerprint": digest},
                **_actor(by),
            )
            return recent
        report = CMAReport.objects.create(
            contact=contact,
            subject_property=home,
            address=subject.address,
            city=subject.city,
            subject=subject.as_json(),
            comparables_fingerprint=digest,
            status=CMAReport.Status.PENDING,
        )
        report.reused = False
        audit(
            action="cma.requested",
            subject=report,
            data={
                "contact": contact.pk,
                "address": subject.address,
                "city": subject.city,
                "subject_source": subject.source,
                "comparables": len(search.comparables),
                "replaces": recent.pk if recent is not None else None,
                "fingerprint": digest,
            },
            **_actor(by),
        )
        transaction.on_commit(lambda: _enqueue_generation(report.pk))
    return report


def _compute(report: CMAReport) -> None:
    subject = Subject.from_json(report.subject)
    search = selectors.comparables_for(subject=subject, as_of=timezone.localdate())
    result = valuation.estimate(subject=subject, search=search)
    report.comparables = result.rows
    report.comparables_fingerprint = fingerprint(subject=subject, search=search)
    report.status = result.status
    report.confidence = result.confidence
    report.estimate_low, report.estimate_mid, report.estimate_high = (
        result.low,
        result.mid,
        result.high,
    )
    report.method = result.method
    content = render_cma_pdf(report=report)
    if len(content) > MAX_PDF_BYTES:
        raise CMAPdfTooLarge(f"The PDF is {len(content):,} bytes; the limit is {MAX_PDF_BYTES:,}.")
    name = f"cma-{report.pk}-{slugify(report.address)[:60] or 'home'}.pdf"
    report.pdf.save(name, ContentFile(content), save=False)
    report.pdf_bytes = len(content)


def generate_cma_report(*, report_id: int) -> CMAReport:
    """Compute the estimate, render and store the PDF; a report no longer pending is left alone.

    Too few comparables → INSUFFICIENT (no value, the PDF says why); any error → FAILED with
    the error recorded.
    """
    with transaction.atomic():
        report = CMAReport.objects.select_for_update().get(pk=report_id)
        if report.status != CMAReport.Status.PENDING:
            return report
        try:
            with transaction.atomic():
                _compute(report)
        except Exception as exc:
            logger.exception("CMA report %s failed", report_id)
            report.refresh_from_db()
            report.status = CMAReport.Status.FAILED
            report.error = f"{type(exc).__name__}: {exc}"[:2000]
        report.generated_at = timezone.now()
        report.save()
        audit(
            action=f"cma.{report.status}",
            subject=report,
            actor=AuditEvent.Actor.SYSTEM,
            actor_label="cma",
            data={
                "contact": report.contact_id,
                "estimate": [report.estimate_low, report.estimate_mid, report.estimate_high],
                "confidence": report.confidence,
                "comparables": len(report.comparables),
                "pdf_bytes": report.pdf_bytes,
                "error": report.error[:300],
            },
        )
        broadcast_dashboard_event(
            kind="cma.completed",
            data={"report": report.pk, "contact": report.contact_id, "status": report.status},
        )
    return report
