"""Dashboard page: Overview."""

from analytics.access import dashboard_view

from .placeholder import render_placeholder


@dashboard_view
def overview(request):
    return render_placeholder(request, page="overview", title="Overview")
