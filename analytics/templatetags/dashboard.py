"""Template helpers of the dashboard: the nav, which shows each user only what they may open."""

from django import template
from django.urls import reverse

from analytics.access import can_see_everything, can_see_tickets

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
            "current": name == current,
        }
        for name, label in PAGES
        if everything or (name == "tickets" and can_see_tickets(user))
    ]
    return {"items": items}


@register.simple_tag(takes_context=True)
def dashboard_home_url(context):
    """The brand link: the overview, or the tickets panel for a reviewer."""
    user = context["request"].user
    return reverse("dashboard:overview" if can_see_everything(user) else "dashboard:tickets")
