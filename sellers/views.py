"""Pages of the sellers app: the CMA report for staff, and its downloads."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sellers import selectors
from sellers.cma.pdf import report_context
from sellers.models import CMAReport


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
