"""Dashboard page: Leads."""

from analytics.access import dashboard_view

from .placeholder import render_placeholder


@dashboard_view
def leads(request):
    return render_placeholder(request, page="leads", title="Leads")
