"""Reads behind Jorge's dashboard."""

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from analytics import rules
from analytics.models import BusinessSettings
from leads.models import Contact, Conversation, Deal, Temperature, Timeline


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


class DealRow(NamedTuple):
    """What the commission page needs of a deal: a plain row, not a model instance (the page
    reads every open deal, and building a thousand models costs more than the math)."""

    pk: int
    name: str
    side: str
    stage: str
    value: Decimal | None
    commission_percent_override: Decimal | None
    expected_close_on: date | None
    closed_at: datetime | None

    @property
    def stage_label(self) -> str:
        return Deal.Stage(self.stage).label


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _deals_for_commission(*, won_since: date) -> list[DealRow]:
    """Open deals, and the deals won since ``won_since`` (by index: stage, closed_at)."""
    rows = (
        Deal.objects.filter(
            Q(stage__in=rules.OPEN_STAGES)
            | Q(stage=Deal.Stage.CLOSED_WON, closed_at__gte=_local_midnight(won_since))
        )
        .order_by("id")
        .values_list(*DealRow._fields)
    )
    return [DealRow(*row) for row in rows]


@dataclass(frozen=True)
class CommissionOverview:
    today: date
    rules: rules.Rules
    this_month: rules.MonthForecast
    pipeline: rules.Pipeline
    forecast: list[rules.MonthForecast]
    year_to_date: rules.YearToDate
    deals: list[rules.PricedDeal]  # open (soonest first), then won this year (latest first)


def commission_overview(*, now: datetime | None = None) -> CommissionOverview:
    """Everything the commission page shows, from one read of the deals (two with the rules).

    It reads the open deals and the wins since the forecast's first month, whole (their number
    is the business's open pipeline, not its history), and prices each once (rules.py).
    """
    today = rules.local_date(now or timezone.now())
    current = current_rules()
    this_month = rules.month_of(today)
    start = rules.add_months(this_month, -FORECAST_MONTHS_BACK)
    priced = rules.price_deals(
        _deals_for_commission(won_since=min(start, today.replace(month=1, day=1))),
        today=today,
        rules=current,
    )
    forecast = rules.forecast_by_month(
        priced, start=start, months=FORECAST_MONTHS_BACK + 1 + FORECAST_MONTHS_AHEAD
    )
    open_lines = sorted(
        (line for line in priced if line.is_open),
        key=lambda line: (line.month, -rules.OPEN_STAGES.index(line.deal.stage), -line.weighted),
    )
    won_lines = sorted(
        (line for line in priced if line.is_won and line.month.year == today.year),
        key=lambda line: line.deal.closed_at,
        reverse=True,
    )
    return CommissionOverview(
        today=today,
        rules=current,
        this_month=forecast[FORECAST_MONTHS_BACK],
        pipeline=rules.weighted_pipeline(priced, current),
        forecast=forecast,
        year_to_date=rules.closed_year_to_date(priced, today=today, rules=current),
        deals=open_lines + won_lines,
    )


def projected_commission_this_month(*, now: datetime | None = None) -> Decimal:
    """Jorge's take-home projected for this month: won so far plus open deals, weighted."""
    today = rules.local_date(now or timezone.now())
    month = rules.month_of(today)
    deals = _deals_for_commission(won_since=month)
    return rules.projected_commission(
        month, rules.price_deals(deals, today=today, rules=current_rules())
    )


# --- Leads explorer -------------------------------------------------------------------------

# Budget ranges of the explorer's chart and filter, on what the lead can spend (budget_max).
BUDGET_RANGES = [
    ("under-300k", "Under $300k", None, 300_000),
    ("300k-400k", "$300k–400k", 300_000, 400_000),
    ("400k-500k", "$400k–500k", 400_000, 500_000),
    ("500k-600k", "$500k–600k", 500_000, 600_000),
    ("600k-750k", "$600k–750k", 600_000, 750_000),
    ("750k-1m", "$750k–1M", 750_000, 1_000_000),
    ("1m-plus", "$1M and up", 1_000_000, None),
    ("none", "Not given", None, None),
]
BUDGET_LABELS = {key: label for key, label, _, _ in BUDGET_RANGES}
LEADS_PER_PAGE = 25
_SOURCES_CACHE_KEY = "analytics:lead-sources"
_SOURCES_CACHE_SECONDS = 300


def _budget_q(key: str) -> Q:
    for name, _, low, high in BUDGET_RANGES:
        if name != key:
            continue
        if low is None and high is None:
            return Q(budget_max__isnull=True)
        q = Q()
        if low is not None:
            q &= Q(budget_max__gte=low)
        if high is not None:
            q &= Q(budget_max__lt=high)
        return q
    raise ValueError(f"unknown budget range {key!r}")


@dataclass(frozen=True)
class LeadFilters:
    """The explorer's filters; empty = any. Every one is also a URL parameter."""

    budget: str = ""
    timeline: str = ""
    temperature: str = ""
    intent: str = ""
    stage: str = ""  # of any of the lead's conversations
    language: str = ""
    source: str = ""
    created_from: date | None = None  # the lead's first contact, in the business's calendar
    created_to: date | None = None

    def without(self, name: str) -> "LeadFilters":
        return replace(self, **{name: LeadFilters.__dataclass_fields__[name].default})

    def params(self) -> dict[str, str]:
        """The filters set, as URL parameters."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in values.items()
            if value
        }

    @property
    def is_empty(self) -> bool:
        return not self.params()


def _filtered_leads(filters: LeadFilters):
    leads = Contact.objects.all()
    if filters.budget:
        leads = leads.filter(_budget_q(filters.budget))
    for name in ("timeline", "temperature", "intent", "language", "source"):
        if value := getattr(filters, name):
            leads = leads.filter(**{name: value})
    if filters.stage:
        # The leads with a conversation at that stage, found by the index on (stage, contact).
        leads = leads.filter(
            pk__in=Conversation.objects.filter(stage=filters.stage).values("contact_id")
        )
    if filters.created_from:
        leads = leads.filter(created_at__gte=_local_midnight(filters.created_from))
    if filters.created_to:
        leads = leads.filter(created_at__lt=_local_midnight(filters.created_to + timedelta(days=1)))
    return leads


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    count: int


def budget_distribution(filters: LeadFilters) -> list[Bar]:
    """Leads per budget range, under every filter but the budget's own (one pass)."""
    counts = _filtered_leads(filters.without("budget")).aggregate(
        **{key: Count("pk", filter=_budget_q(key)) for key, *_ in BUDGET_RANGES}
    )
    return [Bar(key, label, counts[key]) for key, label, _, _ in BUDGET_RANGES]


def timeline_distribution(filters: LeadFilters) -> list[Bar]:
    """Leads per timeline, under every filter but the timeline's own."""
    counts = dict(
        _filtered_leads(filters.without("timeline"))
        .order_by()
        .values_list("timeline")
        .annotate(n=Count("pk"))
    )
    return [Bar(value, label, counts.get(value, 0)) for value, label in Timeline.choices]


def lead_list(filters: LeadFilters):
    """The leads under ``filters``, newest first, with their latest conversation's stage."""
    latest = Conversation.objects.filter(contact=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        _filtered_leads(filters)
        .annotate(stage=Subquery(latest.values("stage")[:1]))
        .only(
            "id",
            "first_name",
            "last_name",
            "phone",
            "temperature",
            "score",
            "intent",
            "budget_max",
            "timeline",
            "language",
            "source",
            "created_at",
        )
        .order_by("-created_at", "-id")
    )


def lead_sources() -> list[str]:
    """Every lead source seen, for the filter (cached: it changes rarely and reads every lead)."""
    sources = cache.get(_SOURCES_CACHE_KEY)
    if sources is None:
        sources = sorted(
            Contact.objects.exclude(source="")
            .order_by()
            .values_list("source", flat=True)
            .distinct()
        )
        cache.set(_SOURCES_CACHE_KEY, sources, _SOURCES_CACHE_SECONDS)
    return sources
