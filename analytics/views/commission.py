"""Dashboard page: Commission (the rules are in analytics/rules.py, the reads in selectors)."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from analytics import selectors
from analytics.access import dashboard_view

from .charts import forecast_figure

DEALS_PER_PAGE = 20


@dashboard_view
def commission(request):
    overview = selectors.commission_overview()
    paginator = Paginator(overview.deals, DEALS_PER_PAGE)
    number = request.GET.get("page", "1")
    if not number.isdigit() or int(number) < 1:
        return render(
            request,
            "dashboard/commission.html",
            {"error": f"“{number}” is not a page number."},
            status=400,
        )
    if int(number) > paginator.num_pages:
        raise Http404(f"There is no page {number}: the deals fill {paginator.num_pages}.")
    return render(
        request,
        "dashboard/commission.html",
        {
            "overview": overview,
            "rules": overview.rules,
            "deals_page": paginator.page(int(number)),
            "forecast_figure": forecast_figure(overview.forecast, this_month=overview.this_month),
        },
    )
