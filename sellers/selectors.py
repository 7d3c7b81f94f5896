"""Reads of the sellers app: properties, comparables and CMA reports."""

from datetime import date, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse

from leads.models import Contact
from sellers.cma.comparables import ComparableSearch, Subject, find_comparables, normalize_address
from sellers.models import CMAReport, Property

CMA_LINK_MAX_AGE = timedelta(days=30)
_CMA_LINK_SALT = "sellers.cma.shared-link"


def match_property(*, address: str, city: str) -> Property | None:
    """The Property at this address (same normalized street address and city), if we have it."""
    wanted = normalize_address(address)
    if not wanted or not city.strip():
        return None
    number = wanted.split()[0]
    candidates = Property.objects.filter(
        city__iexact=city.strip(), address__istartswith=number
    ).order_by("-sold_date", "-pk")
    return next((p for p in candidates if normalize_address(p.address) == wanted), None)


def comparables_for(*, subject: Subject, as_of: date) -> ComparableSearch:
    """The sold homes a CMA of ``subject`` is built from (see sellers.cma.comparables)."""
    return find_comparables(subject=subject, as_of=as_of)


def cma_reports() -> QuerySet[CMAReport]:
    """Every CMA report with its contact and subject home loaded."""
    return CMAReport.objects.select_related("contact", "subject_property")


def cma_report(*, report_id: int) -> CMAReport:
    """One CMA report; raises CMAReport.DoesNotExist."""
    return cma_reports().get(pk=report_id)


def recent_cma_for(*, contact: Contact, address: str, city: str, since) -> CMAReport | None:
    """The newest reusable report (pending, ready or insufficient) for this contact and home."""
    wanted = normalize_address(address)
    recent = CMAReport.objects.filter(
        contact=contact,
        city__iexact=city.strip(),
        created_at__gte=since,
        status__in=[
            CMAReport.Status.PENDING,
            CMAReport.Status.READY,
            CMAReport.Status.INSUFFICIENT,
        ],
    ).order_by("-created_at", "-pk")
    return next((r for r in recent if normalize_address(r.address) == wanted), None)


def latest_ready_cma(*, contact: Contact) -> CMAReport | None:
    """The contact's newest CMA with a value and a PDF, for the day-14 email."""
    return (
        CMAReport.objects.filter(contact=contact, status=CMAReport.Status.READY)
        .exclude(pdf="")
        .order_by("-created_at", "-pk")
        .first()
    )


def cma_share_token(report: CMAReport) -> str:
    """A signed, timestamped token naming the report (checked with ``cma_from_share_token``)."""
    return signing.TimestampSigner(salt=_CMA_LINK_SALT).sign(str(report.pk))


def cma_from_share_token(*, token: str) -> CMAReport:
    """The report a share token names; raises signing.SignatureExpired / BadSignature."""
    report_id = signing.TimestampSigner(salt=_CMA_LINK_SALT).unsign(token, max_age=CMA_LINK_MAX_AGE)
    return cma_reports().get(pk=int(report_id))


def cma_public_link(report: CMAReport) -> str:
    """An absolute link that downloads the report's PDF without a login, for 30 days."""
    path = reverse("sellers:cma-shared", kwargs={"token": cma_share_token(report)})
    return settings.SITE_URL.rstrip("/") + path


def cma_attachment(report: CMAReport) -> dict:
    """The report as an email attachment for a bot turn (path in default storage, link fallback)."""
    return {
        "path": report.pdf.name,
        "filename": f"CMA {report.address}.pdf",
        "content_type": "application/pdf",
        "link": cma_public_link(report),
    }


# --- Listings buyers see (public pages, matching) ---------------------------------------------


def public_listings() -> QuerySet[Property]:
    """Homes on the market with an asking price: the only ones buyers are shown or sent."""
    return Property.objects.filter(status=Property.Status.ACTIVE, list_price__isnull=False)


def property_by_slug(*, slug: str) -> Property:
    """The home behind a public page, whatever its status; raises Property.DoesNotExist."""
    return Property.objects.get(slug=slug)


def listing_public_url(home: Property, *, language: str = "en") -> str:
    """The absolute link to the home's public page (in Spanish for a Spanish speaker)."""
    path = reverse("listings:detail", kwargs={"slug": home.slug})
    query = "?lang=es" if language == "es" else ""
    return settings.SITE_URL.rstrip("/") + path + query


# What a list of CMA reports shows; the comparables and method stay on the report's page.
_CMA_SUMMARY_DEFERRED = ("subject", "comparables", "method")


def latest_cmas(*, contact_ids: list[int]) -> dict[int, CMAReport]:
    """Each contact's newest CMA report, by contact id (one query on ``cma_contact_recent``)."""
    if not contact_ids:
        return {}
    newest = (
        CMAReport.objects.filter(contact=OuterRef("pk")).order_by("-created_at", "-pk").values("pk")
    )
    ids = Contact.objects.filter(pk__in=contact_ids).values(latest=Subquery(newest[:1]))
    reports = CMAReport.objects.filter(pk__in=ids).defer(*_CMA_SUMMARY_DEFERRED)
    return {report.contact_id: report for report in reports}


def cma_reports_of(*, contact: Contact, limit: int = 10) -> list[CMAReport]:
    """The contact's CMA reports, newest first."""
    return list(
        CMAReport.objects.filter(contact=contact)
        .defer(*_CMA_SUMMARY_DEFERRED)
        .order_by("-created_at", "-pk")[:limit]
    )


def cma_report_status(*, report_id: int) -> CMAReport:
    """One report for its progress panel (no comparables); raises CMAReport.DoesNotExist."""
    return CMAReport.objects.defer(*_CMA_SUMMARY_DEFERRED).get(pk=report_id)


def properties(*, status: str = "", city: str = "") -> QuerySet[Property]:
    """Homes (listings and sales), optionally of one status or city (case-insensitive)."""
    found = Property.objects.all()
    if status:
        found = found.filter(status=status)
    if city:
        found = found.filter(city__iexact=city)
    return found
