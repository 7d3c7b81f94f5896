"""Reads behind Jorge's dashboard."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from analytics import rules
from analytics.models import BusinessSettings
from leads.models import Contact, Conversation, Deal, Temperature


def pipeline_summary(*, as_of=None) -> dict:
    """Leads by temperature, conversations by stage, and deals with their commission."""
    as_of = as_of or timezone.now()
    temperatures = dict(
        Contact.objects.filter(created_at__lte=as_of)
        .values_list("temperature")
        .annotate(n=Count("id"))
        .values_list("temperature", "n")
    )
    stages = dict(
        Conversation.objects.filter(created_at__lte=as_of)
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    commission = rules.jorge_commission_expression(current_rules())
    deals = Deal.objects.filter(created_at__lte=as_of).aggregate(
        open=Count("id", filter=~Q(stage__in=[Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST])),
        won=Count("id", filter=Q(stage=Deal.Stage.CLOSED_WON)),
        commission_earned=Sum(commission, filter=Q(stage=Deal.Stage.CLOSED_WON)),
        commission_pending=Sum(commission, filter=Q(stage=Deal.Stage.UNDER_CONTRACT)),
    )
    return {
        "as_of": as_of,
        "leads_by_temperature": {t: temperatures.get(t, 0) for t, _ in Temperature.choices},
        "conversations_by_stage": {s: stages.get(s, 0) for s, _ in Conversation.Stage.choices},
        "deals_open": deals["open"],
        "deals_won": deals["won"],
        "commission_earned": rules.cents(deals["commission_earned"] or Decimal(0)),
        "commission_pending": rules.cents(deals["commission_pending"] or Decimal(0)),
    }


# --- Business rules -------------------------------------------------------------------------

_RULES_CACHE_KEY = "analytics:business-rules"
_RULES_CACHE_SECONDS = 60  # a change is also forgotten at once on save (update_business_settings)


def business_settings() -> BusinessSettings:
    """The one row of business rules (created with rules.py's defaults on first use)."""
    row, _ = BusinessSettings.objects.get_or_create(pk=1)
    return row


def current_rules() -> rules.Rules:
    """The business rules in force (cached briefly: every page with money reads them)."""
    cached = cache.get(_RULES_CACHE_KEY)
    if cached is None:
        cached = rules.rules_from_settings(business_settings())
        cache.set(_RULES_CACHE_KEY, cached, _RULES_CACHE_SECONDS)
    return cached


def forget_current_rules() -> None:
    cache.delete(_RULES_CACHE_KEY)


# --- Commission -----------------------------------------------------------------------------

FORECAST_MONTHS_BACK = 3
FORECAST_MONTHS_AHEAD = 5
_DEAL_COLUMNS = [
    "id",
    "name",
    "side",
    "stage",
    "value",
    "commission_percent_override",
    "expected_close_on",
    "closed_at",
    "property_address",
    "contact__id",
    "contact__first_name",
    "contact__last_name",
]


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _deals_for_commission(*, won_since: date) -> list[Deal]:
    """Open deals, and the deals won since ``won_since`` (by index: stage, closed_at)."""
    return list(
        Deal.objects.filter(
            Q(stage__in=rules.OPEN_STAGES)
            | Q(stage=Deal.Stage.CLOSED_WON, closed_at__gte=_local_midnight(won_since))
        )
        .select_related("contact")
        .only(*_DEAL_COLUMNS)
        .order_by("id")
    )


@dataclass(frozen=True)
class DealLine:
    """One deal on the commission page: its figures under the rules."""

    deal: Deal
    commission: rules.Commission
    probability: Decimal
    weighted: Decimal
    month: date | None  # closed in, or expected to close in

    @property
    def is_open(self) -> bool:
        return self.deal.stage in rules.OPEN_STAGES


@dataclass(frozen=True)
class CommissionOverview:
    today: date
    rules: rules.Rules
    this_month: rules.MonthForecast
    pipeline: rules.Pipeline
    forecast: list[rules.MonthForecast]
    year_to_date: rules.YearToDate
    deals: list[DealLine]  # open (soonest first), then won this year (latest first)


def commission_overview(*, now: datetime | None = None) -> CommissionOverview:
    """Everything the commission page shows, from one read of the deals (two with the rules)."""
    today = rules.local_date(now or timezone.now())
    current = current_rules()
    this_month = rules.month_of(today)
    start = rules.add_months(this_month, -FORECAST_MONTHS_BACK)
    deals = _deals_for_commission(won_since=min(start, today.replace(month=1, day=1)))
    forecast = rules.forecast_by_month(
        deals,
        start=start,
        months=FORECAST_MONTHS_BACK + 1 + FORECAST_MONTHS_AHEAD,
        today=today,
        rules=current,
    )
    lines = []
    for deal in deals:
        if (
            deal.stage == Deal.Stage.CLOSED_WON
            and rules.local_date(deal.closed_at).year != today.year
        ):
            continue  # won last year: only in the forecast's earlier months
        figures = rules.commission_for(deal, current)
        probability = current.probability(deal.stage)
        lines.append(
            DealLine(
                deal=deal,
                commission=figures,
                probability=probability,
                weighted=rules.cents(figures.jorge * probability),
                month=rules.expected_close_month(deal, today=today),
            )
        )
    open_lines = sorted(
        (line for line in lines if line.is_open),
        key=lambda line: (line.month, -rules.OPEN_STAGES.index(line.deal.stage), -line.weighted),
    )
    won_lines = sorted(
        (line for line in lines if not line.is_open),
        key=lambda line: line.deal.closed_at,
        reverse=True,
    )
    return CommissionOverview(
        today=today,
        rules=current,
        this_month=forecast[FORECAST_MONTHS_BACK],
        pipeline=rules.weighted_pipeline(deals, current),
        forecast=forecast,
        year_to_date=rules.closed_year_to_date(deals, today=today, rules=current),
        deals=open_lines + won_lines,
    )


def projected_commission_this_month(*, now: datetime | None = None) -> Decimal:
    """Jorge's take-home projected for this month: won so far plus open deals, weighted."""
    today = rules.local_date(now or timezone.now())
    month = rules.month_of(today)
    deals = _deals_for_commission(won_since=month)
    return rules.projected_commission(month, deals, today=today, rules=current_rules())
