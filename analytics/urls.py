from django.urls import path

from .apis import PipelineSummaryApi
from .views import commission, conversations, leads, overview, performance, tickets

app_name = "analytics"
urlpatterns = [
    path("pipeline", PipelineSummaryApi.as_view(), name="pipeline"),
]

# Jorge's dashboard, mounted at /dashboard/ under the namespace "dashboard" (config/urls.py).
# Each page's htmx partials sit under its own prefix (e.g. "overview/kpis/").
dashboard_urlpatterns = [
    path("", overview.overview, name="overview"),
    path("overview/kpis/", overview.overview_kpis, name="overview-kpis"),
    path("overview/activity/", overview.overview_activity, name="overview-activity"),
    path("overview/charts/", overview.overview_charts, name="overview-charts"),
    path("leads/", leads.leads, name="leads"),
    path("conversations/", conversations.conversations, name="conversations"),
    path("commission/", commission.commission, name="commission"),
    path("performance/", performance.performance, name="performance"),
    path("tickets/", tickets.tickets, name="tickets"),
    path("tickets/queue/", tickets.tickets_queue, name="tickets-queue"),
]
