"""Dashboard page: Performance — latency, cache tiers, AI usage, reply times, webhooks.

The page renders skeletons; each section is a partial htmx loads, all reading the same
aggregates (``selectors.performance_data``: the settled hours from the HISTORY tier, the
latest from one query and this process's unflushed samples).
"""

from django.shortcuts import render

from analytics import charts, selectors
from analytics.access import dashboard_view


@dashboard_view
def performance(request):
    return render(request, "dashboard/performance.html")


@dashboard_view
def performance_latency(request):
    groups = selectors.performance_latency(selectors.performance_data())
    return render(
        request,
        "dashboard/performance/_latency.html",
        {
            "groups": [
                (group, charts.latency_figure(group), f"latency-{group.metric.replace('.', '-')}")
                for group in groups
            ]
        },
    )


@dashboard_view
def performance_cache(request):
    rates = selectors.cache_hit_rates(selectors.performance_data())
    return render(request, "dashboard/performance/_cache.html", {"rates": rates})


@dashboard_view
def performance_ai(request):
    usage = selectors.ai_usage(selectors.performance_data())
    return render(
        request,
        "dashboard/performance/_ai.html",
        {"usage": usage, "figure": charts.ai_usage_figure(usage)},
    )


@dashboard_view
def performance_ai_cost(request):
    costs = selectors.ai_cost_per_conversation()
    return render(request, "dashboard/performance/_ai_cost.html", {"costs": costs})


@dashboard_view
def performance_reply_times(request):
    times = selectors.reply_times(selectors.performance_data())
    return render(
        request,
        "dashboard/performance/_reply_times.html",
        {"times": times, "figure": charts.reply_time_figure(times)},
    )


@dashboard_view
def performance_webhooks(request):
    outcomes = selectors.webhook_outcomes(selectors.performance_data())
    return render(
        request,
        "dashboard/performance/_webhooks.html",
        {"outcomes": outcomes, "figure": charts.webhook_figure(outcomes)},
    )
