"""Dashboard page: Performance."""

from analytics.access import dashboard_view

from .placeholder import render_placeholder


@dashboard_view
def performance(request):
    return render_placeholder(request, page="performance", title="Performance")
