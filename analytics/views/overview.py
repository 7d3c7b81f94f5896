"""Dashboard page: Overview — the tiles, the activity feed and the lead charts.

The page renders skeletons; each section is a partial that htmx loads (and reloads when a
live event concerns it), so a failing section shows its own error card.
"""

from django.shortcuts import render

from analytics import charts, selectors
from analytics.access import dashboard_view


@dashboard_view
def overview(request):
    return render(request, "dashboard/overview.html")


@dashboard_view
def overview_kpis(request):
    return render(request, "dashboard/overview/_kpis.html", {"kpis": selectors.overview_kpis()})


@dashboard_view
def overview_activity(request):
    return render(
        request, "dashboard/overview/_activity.html", {"items": selectors.recent_activity()}
    )


@dashboard_view
def overview_charts(request):
    figures = charts.lead_figures(selectors.lead_charts())
    return render(request, "dashboard/overview/_charts.html", {"figures": figures})
