"""The CMA as a PDF: an HTML template rendered by WeasyPrint, with an inline SVG chart and
the agent's profile (name, licence, phone, photo or logo) on its first page."""

import base64
import io
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from config.backoffice import phone
from leads.models import AgentProfile
from leads.selectors import agent_profile
from sellers.models import CMAReport

logger = logging.getLogger(__name__)

TEMPLATE = "sellers/cma_report.html"
MAX_PDF_BYTES = 2 * 1024 * 1024
# The photo is printed about 26 mm wide: this many pixels is sharp, and keeps the PDF small.
PHOTO_PIXELS = 360
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


def _photo_data_uri(profile: AgentProfile) -> str:
    """The agent's photo or logo, scaled down, as a data: URI (the PDF loads nothing from
    anywhere); "" when there is none or it cannot be read."""
    if not profile.photo:
        return ""
    from PIL import Image  # WeasyPrint's own dependency

    try:
        with profile.photo.open("rb") as handle:
            image = Image.open(handle)
            image.load()
    except (OSError, ValueError) as exc:
        logger.warning("agent photo %s unreadable, left out of the CMA: %s", profile.photo, exc)
        return ""
    image.thumbnail((PHOTO_PIXELS, PHOTO_PIXELS))
    keeps_transparency = image.mode in ("RGBA", "LA", "P")
    out = io.BytesIO()
    if keeps_transparency:  # a logo: PNG keeps its edges and background
        image.convert("RGBA").save(out, format="PNG", optimize=True)
        kind = "png"
    else:
        image.convert("RGB").save(out, format="JPEG", quality=85)
        kind = "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(out.getvalue()).decode()}"


def agent_context(profile: AgentProfile) -> dict:
    """The agent as the CMA shows them; the initials stand in for a missing photo or logo."""
    initials = "".join(word[0] for word in profile.name.split()[:2]).upper() or "J"
    return {
        "name": profile.name,
        "team": profile.team,
        "licence_number": profile.licence_number,
        "phone": phone(profile.phone) if profile.phone else "",
        "email": profile.email,
        "photo": _photo_data_uri(profile),
        "initials": initials,
        "footer": _css_string(
            " · ".join(
                part for part in (profile.name, profile.team, profile.licence_number) if part
            )
        ),
    }


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string for the page footer (escaped for CSS, not HTML)."""
    escaped = text.replace("\\", "\\\\").replace('"', "\\22 ").replace("<", "\\3c ")
    return f'"{" ".join(escaped.split())}"'


def report_context(report: CMAReport) -> dict:
    """What the PDF template (and the staff page) shows of a report."""
    agent = agent_context(agent_profile())
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
        "brand": agent["team"],
        "agent": agent,
        "prepared_on": timezone.localdate(),
    }


def render_cma_pdf(*, report: CMAReport) -> bytes:
    """Render the report to PDF bytes (no network: every resource is inline)."""
    import weasyprint  # imported here: it loads Pango, which the web process rarely needs

    html = render_to_string(TEMPLATE, report_context(report))
    return weasyprint.HTML(string=html, base_url=None).write_pdf()
