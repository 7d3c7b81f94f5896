"""Dashboard page: Tickets — open escalation and compliance tickets by SLA (reviewers see
this page and only this one)."""

from django.shortcuts import render

from analytics import selectors
from analytics.access import dashboard_view


@dashboard_view(reviewers=True)
def tickets(request):
    return render(
        request,
        "dashboard/tickets.html",
        {"queue": selectors.open_ticket_queue()},
    )


@dashboard_view(reviewers=True)
def tickets_queue(request):
    return render(
        request, "dashboard/tickets/_queue.html", {"queue": selectors.open_ticket_queue()}
    )
