"""The CMA as a PDF: an HTML template rendered by WeasyPrint, with an inline SVG chart."""

from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from sellers.models import CMAReport

TEMPLATE = "sellers/cma_report.html"
BRAND = "Jorge's real-estate team"
MAX_PDF_BYTES = 2 * 1024 * 1024
CHART_WIDTH = 640
CHART_LABEL_WIDTH = 220
CHART_VALUE_WIDTH = 70
CHART_BAR_HEIGHT = 16
CHART_GAP = 6


@dataclass(frozen=True)
class Bar:
    label: str
    value: str
    y: int
    width: int
    text_y: int
    subject: bool = False


def ppsf_chart(*, rows: list[dict], subject_ppsf: Decimal | None) -> dict:
    """Geometry of a horizontal bar chart of $/sqft, one bar per sale (and the estimate)."""
    values = [(r["address"], Decimal(r["price_per_sqft"]), False) for r in rows]
    if subject_ppsf is not None:
        values.append(("Your home (estimate)", subject_ppsf, True))
    top = max((v for _, v, _ in values), default=Decimal(1)) or Decimal(1)
    span = CHART_WIDTH - CHART_LABEL_WIDTH - CHART_VALUE_WIDTH
    bars = []
    for index, (label, value, is_subject) in enumerate(values):
        y = index * (CHART_BAR_HEIGHT + CHART_GAP)
        bars.append(
            Bar(
                label=label[:34],
                value=f"${value:,.0f}",
                y=y,
                width=max(1, int(value / top * span)),
                text_y=y + CHART_BAR_HEIGHT - 4,
                subject=is_subject,
            )
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(1, len(bars) * (CHART_BAR_HEIGHT + CHART_GAP)),
        "label_width": CHART_LABEL_WIDTH,
        "bar_height": CHART_BAR_HEIGHT,
        "value_x": CHART_WIDTH - CHART_VALUE_WIDTH + 6,
    }


def report_context(report: CMAReport) -> dict:
    """What the PDF template (and the staff page) shows of a report."""
    sqft = (report.subject or {}).get("living_sqft")
    subject_ppsf = (
        (Decimal(report.estimate_mid) / sqft).quantize(Decimal("1"))
        if report.estimate_mid and sqft
        else None
    )
    return {
        "report": report,
        "subject": report.subject or {},
        "rows": report.comparables,
        "chart": ppsf_chart(rows=report.comparables, subject_ppsf=subject_ppsf),
        "subject_ppsf": subject_ppsf,
        "brand": BRAND,
        "prepared_on": timezone.localdate(),
    }


def render_cma_pdf(*, report: CMAReport) -> bytes:
    """Render the report to PDF bytes (no network: every resource is inline)."""
    import weasyprint  # imported here: it loads Pango, which the web process rarely needs

    html = render_to_string(TEMPLATE, report_context(report))
    return weasyprint.HTML(string=html, base_url=None).write_pdf()
