"""Dashboard page: Commission."""

from analytics.access import dashboard_view

from .placeholder import render_placeholder


@dashboard_view
def commission(request):
    return render_placeholder(request, page="commission", title="Commission")
