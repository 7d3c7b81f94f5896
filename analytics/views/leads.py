"""Dashboard page: Leads explorer. Every filter lives in the URL; htmx swaps the explorer."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from analytics import selectors
from analytics.access import dashboard_view
from analytics.forms import LeadFilterForm
from leads.models import Conversation

from .charts import distribution_figure

STAGE_LABELS = dict(Conversation.Stage.choices)
PAGE = "dashboard/leads.html"
PARTIAL = "dashboard/leads/_explorer.html"
# Short labels under the bars (the links below the chart use the long ones).
BUDGET_SHORT = {
    "under-300k": "<$300k",
    "300k-400k": "$300–400k",
    "400k-500k": "$400–500k",
    "500k-600k": "$500–600k",
    "600k-750k": "$600–750k",
    "750k-1m": "$750k–1M",
    "1m-plus": "$1M+",
    "none": "None",
}
TIMELINE_SHORT = {
    "asap": "<30 days",
    "1_3_months": "1–3 mo",
    "3_6_months": "3–6 mo",
    "6_12_months": "6–12 mo",
    "12_plus_months": "12+ mo",
    "unknown": "Unknown",
}


def _query(params: dict[str, str]) -> str:
    return "?" + urlencode(params) if params else "?"


def _bars(bars, *, filters: selectors.LeadFilters, name: str) -> list[dict]:
    """Each bar with the link that selects it (or clears it when it is the one selected)."""
    current = getattr(filters, name)
    rest = filters.without(name).params()
    return [
        {
            "key": bar.key,
            "label": bar.label,
            "count": bar.count,
            "selected": bar.key == current,
            "url": _query(rest if bar.key == current else {**rest, name: bar.key}),
        }
        for bar in bars
    ]


def _wants_partial(request) -> bool:
    # A history restore asks for the whole page (htmx puts it back in the body).
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@dashboard_view
def leads(request):
    form = LeadFilterForm(request.GET, sources=selectors.lead_sources())
    template = PARTIAL if _wants_partial(request) else PAGE
    context = {"form": form, "clear_url": request.path}
    if not form.is_valid():
        response = render(request, template, context, status=400)
    else:
        filters = form.filters()
        paginator = Paginator(selectors.lead_list(filters), selectors.LEADS_PER_PAGE)
        number = form.cleaned_data["page"] or 1
        if number > paginator.num_pages:
            form.add_error(
                "page", f"There is no page {number}: these filters give {paginator.num_pages}."
            )
            response = render(request, template, context, status=404)
        else:
            budget = selectors.budget_distribution(filters)
            timeline = selectors.timeline_distribution(filters)
            params = filters.params()
            page = paginator.page(number)
            for lead in page.object_list:
                lead.stage_label = STAGE_LABELS.get(lead.stage, "—")
            self_url = request.path + _query({**params, "page": number} if number > 1 else params)
            context |= {
                "self_url": self_url.rstrip("?"),
                "filters": filters,
                "leads_page": page,
                "page_url": _query(params) + ("&" if params else "") + "page=",
                "budget_bars": _bars(budget, filters=filters, name="budget"),
                "timeline_bars": _bars(timeline, filters=filters, name="timeline"),
                "budget_figure": distribution_figure(
                    budget, selected=filters.budget, labels=BUDGET_SHORT
                ),
                "timeline_figure": distribution_figure(
                    timeline, selected=filters.timeline, labels=TIMELINE_SHORT
                ),
            }
            response = render(request, template, context)
            if template == PARTIAL:
                # The address bar shows the filters set, not every empty field of the form.
                response["HX-Push-Url"] = context["self_url"]
    patch_vary_headers(response, ["HX-Request"])  # the partial and the page share one URL
    return response
