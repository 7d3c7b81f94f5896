"""Dashboard page: Active conversations."""

from analytics.access import dashboard_view

from .placeholder import render_placeholder


@dashboard_view
def conversations(request):
    return render_placeholder(request, page="conversations", title="Active conversations")
