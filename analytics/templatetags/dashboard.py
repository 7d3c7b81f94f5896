"""Template helpers of the dashboard: the nav, which shows each user only what they may open."""

from datetime import datetime
from decimal import Decimal

from django import template
from django.urls import reverse
from django.utils import timezone

from analytics.access import can_see_everything, can_see_tickets
from analytics.services import current_sequence

register = template.Library()

# (URL name in the "dashboard" namespace, label); the order of the nav.
PAGES = [
    ("overview", "Overview"),
    ("leads", "Leads"),
    ("conversations", "Conversations"),
    ("commission", "Commission"),
    ("performance", "Performance"),
    ("tickets", "Tickets"),
]


@register.inclusion_tag("dashboard/_nav.html", takes_context=True)
def dashboard_nav(context):
    request = context["request"]
    user = request.user
    current = getattr(request.resolver_match, "url_name", "")
    everything = can_see_everything(user)
    items = [
        {
            "name": name,
            "label": label,
            "url": reverse(f"dashboard:{name}"),
            # A page's own sub-pages ("conversations-detail") keep its tab current.
            "current": current == name or current.startswith(f"{name}-"),
        }
        for name, label in PAGES
        if everything or (name == "tickets" and can_see_tickets(user))
    ]
    return {"items": items}


@register.simple_tag
def dashboard_sequence() -> int:
    """The latest live event's number as the page is rendered: the page's WebSocket compares
    it with the server's on connecting, so an event between the two is not missed."""
    return current_sequence()


@register.simple_tag(takes_context=True)
def dashboard_home_url(context):
    """The brand link: the overview, or the tickets panel for a reviewer."""
    user = context["request"].user
    return reverse("dashboard:overview" if can_see_everything(user) else "dashboard:tickets")


@register.filter
def duration_short(seconds) -> str:
    """8.4 → "8s", 134 → "2m 14s", 5400 → "1h 30m"; None → "—" (nothing to measure yet)."""
    if seconds is None:
        return "—"
    seconds = round(float(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds}s" if seconds else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m" if minutes else f"{hours}h"


@register.filter
def ago(moment: datetime) -> str:
    """A compact age for feeds and tables: "just now", "5m ago", "3h ago", "2d ago"."""
    seconds = max(0, (timezone.now() - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"


@register.filter
def money_short(amount) -> str:
    """$ for a tile: "$845,000" below a million, "$21.37M" from there (the title has it all)."""
    if amount is None:
        return "—"
    amount = Decimal(amount)
    if abs(amount) >= 1_000_000:
        return f"${amount / 1_000_000:,.2f}M"
    return f"${amount:,.0f}"


def _span(seconds: float) -> str:
    minutes = int(max(0, seconds) // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


@register.filter
def age(moment: datetime) -> str:
    """How long ago, for a ticket: "12m", "3h 5m", "2d 4h"."""
    return _span((timezone.now() - moment).total_seconds())


@register.filter
def until(moment: datetime) -> str:
    """How long from now: "40m", "3h"."""
    return _span((moment - timezone.now()).total_seconds())


@register.filter
def ms(value) -> str:
    """Milliseconds as read: 0.42 → "0.42 ms", 12.3 → "12 ms", 1420 → "1.4 s"; None → "—"."""
    if value is None:
        return "—"
    value = float(value)
    if value < 1:
        return f"{value:.2f} ms"
    if value < 1000:
        return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"
    return f"{value / 1000:.1f} s"


@register.filter
def usd(value) -> str:
    """Dollars to the cent, or to the hundredth of a cent under a dollar: "$0.0123"; None → "—"."""
    if value is None:
        return "—"
    value = float(value)
    return f"${value:,.2f}" if value >= 1 else f"${value:.4f}"
