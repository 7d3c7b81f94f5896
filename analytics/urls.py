from django.urls import path

from .apis import CommissionApi, OverviewApi, PipelineSummaryApi
from .views import commission, conversations, leads, overview, performance, tickets

app_name = "analytics"
urlpatterns = [
    path("analytics/overview", OverviewApi.as_view(), name="overview"),
    path("analytics/pipeline", PipelineSummaryApi.as_view(), name="pipeline"),
    path("analytics/commission", CommissionApi.as_view(), name="commission"),
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
    path(
        "conversations/<int:conversation_id>/",
        conversations.conversation,
        name="conversations-detail",
    ),
    path(
        "conversations/<int:conversation_id>/thread/",
        conversations.conversation_thread,
        name="conversations-thread",
    ),
    path(
        "conversations/<int:conversation_id>/pause/",
        conversations.pause_bot,
        name="conversations-pause",
    ),
    path(
        "conversations/<int:conversation_id>/resume/",
        conversations.resume_bot,
        name="conversations-resume",
    ),
    path(
        "conversations/<int:conversation_id>/advance/",
        conversations.advance_stage,
        name="conversations-advance",
    ),
    path(
        "conversations/<int:conversation_id>/reply/",
        conversations.reply,
        name="conversations-reply",
    ),
    path(
        "conversations/<int:conversation_id>/cma/",
        conversations.trigger_cma_view,
        name="conversations-cma",
    ),
    path(
        "conversations/cma/<int:report_id>/",
        conversations.cma_progress,
        name="conversations-cma-progress",
    ),
    path("commission/", commission.commission, name="commission"),
    path("performance/", performance.performance, name="performance"),
    path("performance/latency/", performance.performance_latency, name="performance-latency"),
    path("performance/cache/", performance.performance_cache, name="performance-cache"),
    path("performance/ai/", performance.performance_ai, name="performance-ai"),
    path("performance/ai-cost/", performance.performance_ai_cost, name="performance-ai-cost"),
    path(
        "performance/reply-times/",
        performance.performance_reply_times,
        name="performance-reply-times",
    ),
    path("performance/webhooks/", performance.performance_webhooks, name="performance-webhooks"),
    path("tickets/", tickets.tickets, name="tickets"),
    path("tickets/queue/", tickets.tickets_queue, name="tickets-queue"),
]
