"""Pages of the sellers app: the CMA report for staff and its downloads, and the public
listing pages buyers are sent to."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_safe

from sellers import selectors
from sellers.cma.pdf import report_context
from sellers.models import CMAReport, Property


def _report_or_404(report_id: int) -> CMAReport:
    try:
        return selectors.cma_report(report_id=report_id)
    except CMAReport.DoesNotExist as exc:
        raise Http404("No such CMA report.") from exc


def _pdf_response(report: CMAReport) -> FileResponse:
    if not report.pdf:
        raise Http404("This report has no PDF yet.")
    return FileResponse(
        report.pdf.open("rb"),
        as_attachment=True,
        filename=f"CMA {report.address}.pdf",
        content_type="application/pdf",
    )


@require_GET
@staff_member_required
def cma_report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report as staff see it: status, estimate, comparables, method and a download button."""
    report = _report_or_404(report_id)
    context = report_context(report) | {"share_link": selectors.cma_public_link(report)}
    return render(request, "sellers/cma_detail.html", context)


@require_GET
@staff_member_required
def cma_report_download(request: HttpRequest, report_id: int) -> FileResponse:
    """The report's PDF, for staff."""
    return _pdf_response(_report_or_404(report_id))


@require_GET
def cma_report_shared(request: HttpRequest, token: str) -> HttpResponse:
    """The report's PDF through a signed link sent to the seller (valid 30 days, no login)."""
    try:
        report = selectors.cma_from_share_token(token=token)
    except signing.SignatureExpired:
        return render(request, "sellers/cma_link_expired.html", status=410)
    except (signing.BadSignature, ValueError, CMAReport.DoesNotExist) as exc:
        raise Http404("No such report.") from exc
    if report.status != CMAReport.Status.READY:
        raise Http404("No such report.")
    return _pdf_response(report)


# --- Public listing pages ----------------------------------------------------------------------

# The page's wording in the two languages leads speak; ?lang=es picks Spanish.
_PAGE_TEXT = {
    "en": {
        "beds": "Bedrooms",
        "baths": "Bathrooms",
        "living": "Living area",
        "lot": "Lot",
        "built": "Year built",
        "type": "Type",
        "sqft": "sq ft",
        "features": "Features",
        "about": "About this home",
        "asking": "Asking price",
        "interested": "Interested in this home?",
        "reply": "Reply to the message you got from Jorge's assistant and Jorge will get back to you.",
        "gone_title": "This home is no longer on the market",
        "gone_body": "Reply to the message you got from Jorge's assistant and Jorge can send you similar homes.",
        "missing_title": "We couldn't find this home",
        "missing_body": "The link may be mistyped. Reply to the message you got from Jorge's assistant and Jorge will help you.",
        "mls": "MLS number",
        "types": {
            "sfr": "Single family",
            "condo": "Condo",
            "townhouse": "Townhouse",
            "multi": "Multi-family",
        },
    },
    "es": {
        "beds": "Recámaras",
        "baths": "Baños",
        "living": "Superficie",
        "lot": "Terreno",
        "built": "Año de construcción",
        "type": "Tipo",
        "sqft": "pies²",
        "features": "Características",
        "about": "Sobre esta casa",
        "asking": "Precio de venta",
        "interested": "¿Le interesa esta casa?",
        "reply": "Responda al mensaje que recibió del asistente de Jorge y Jorge se pondrá en contacto.",
        "gone_title": "Esta casa ya no está a la venta",
        "gone_body": "Responda al mensaje que recibió del asistente de Jorge y Jorge puede enviarle casas parecidas.",
        "missing_title": "No encontramos esta casa",
        "missing_body": "Puede que el enlace esté mal escrito. Responda al mensaje que recibió del asistente de Jorge y Jorge le ayudará.",
        "mls": "Número MLS",
        "types": {
            "sfr": "Casa unifamiliar",
            "condo": "Condominio",
            "townhouse": "Casa adosada",
            "multi": "Multifamiliar",
        },
    },
}


def _number(value) -> str:
    """3 → "3", 2.5 → "2.5", 1850 → "1,850"."""
    return f"{value:,.1f}".removesuffix(".0") if value % 1 else f"{int(value):,}"


@require_safe
def listing_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A home on the market, for anyone with the link: the home's facts, never a person's."""
    language = "es" if request.GET.get("lang") == "es" else "en"
    text = _PAGE_TEXT[language]
    try:
        home = selectors.property_by_slug(slug=slug)
    except Property.DoesNotExist:
        context = {"text": text, "language": language, "title": text["missing_title"]}
        return render(request, "sellers/listing_unavailable.html", context, status=404)
    if not home.is_public_listing:
        # Sold, pending or withdrawn: old links say so (410 Gone) without the home's details.
        context = {"text": text, "language": language, "title": text["gone_title"], "home": home}
        return render(request, "sellers/listing_unavailable.html", context, status=410)
    facts = [
        (text["beds"], _number(home.beds)),
        (text["baths"], _number(home.baths)),
        (text["living"], f"{_number(home.living_sqft)} {text['sqft']}"),
    ]
    if home.lot_sqft:
        facts.append((text["lot"], f"{_number(home.lot_sqft)} {text['sqft']}"))
    if home.year_built:
        facts.append((text["built"], str(home.year_built)))
    facts.append((text["type"], text["types"].get(home.property_type, home.property_type)))
    context = {
        "home": home,
        "text": text,
        "language": language,
        "price": f"${home.list_price:,}",
        "facts": facts,
        "features": home.feature_list,
    }
    return render(request, "sellers/listing.html", context)
