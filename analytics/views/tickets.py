"""Dashboard page: Tickets (the one page reviewers see)."""

from analytics.access import dashboard_view

from .placeholder import render_placeholder


@dashboard_view(reviewers=True)
def tickets(request):
    return render_placeholder(request, page="tickets", title="Tickets")
