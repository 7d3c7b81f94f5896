"""Jorge's business rules: what a deal pays him, and what his pipeline is likely to pay.

The one home of the commission math. Every figure the dashboard, the admin and the API show
about commission comes from here; nothing else multiplies a sale price by a rate.

How a sale pays Jorge (docs/dashboard.md, "Commission"):

    total commission  = sale price × commission rate         (6% by default)
    Jorge's side      = total × the share of his side         (buyer's or seller's agent, 50/50)
    Jorge's take-home = his side × his share of the brokerage split   (80%; the brokerage 20%)

The rate is the business's (``BusinessSettings``, edited in the admin) unless a deal was
negotiated at another one (``Deal.commission_percent_override``). The functions here take
the deals and a ``Rules`` and read nothing themselves, except that a missing ``Rules`` means
the current ones (read, and cached, by ``analytics.selectors.current_rules``).
"""

import calendar
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BigIntegerField,
    Case,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Round, TruncMonth
from django.utils import timezone

from leads.models import Deal

# --- The defaults (the admin's Business settings start from these) -------------------------

DEFAULT_COMMISSION_PERCENT = Decimal("6.00")  # of the sale price, both sides together
DEFAULT_SELLER_SIDE_PERCENT = Decimal("50.00")  # the listing side's share; the buyer's is the rest
DEFAULT_AGENT_SPLIT_PERCENT = Decimal("80.00")  # what Jorge keeps; the brokerage keeps the rest
DEFAULT_YEARLY_GOAL = Decimal("500000")  # Jorge's take-home commission for the calendar year

LEAD, APPOINTMENT, ACTIVE = Deal.Stage.LEAD, Deal.Stage.APPOINTMENT, Deal.Stage.ACTIVE
UNDER_CONTRACT, CLOSED_WON = Deal.Stage.UNDER_CONTRACT, Deal.Stage.CLOSED_WON
OPEN_STAGES = (LEAD, APPOINTMENT, ACTIVE, UNDER_CONTRACT)  # in pipeline order
SELL = Deal.Side.SELL

# Chance that a deal at this stage closes (percent); closed won is 100, closed lost 0.
DEFAULT_STAGE_PERCENT = {
    LEAD: Decimal("10"),
    APPOINTMENT: Decimal("25"),
    ACTIVE: Decimal("50"),
    UNDER_CONTRACT: Decimal("90"),
}

# When a deal has no expected close date: typical days from this stage to the closing
# (escrow is about a month; a buyer or a listing found today closes about two months later).
DAYS_TO_CLOSE = {LEAD: 120, APPOINTMENT: 90, ACTIVE: 60, UNDER_CONTRACT: 30}

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rules:
    """The business's rules at one moment, as fractions (0.06 = 6%)."""

    commission_rate: Decimal = DEFAULT_COMMISSION_PERCENT / HUNDRED
    seller_side_share: Decimal = DEFAULT_SELLER_SIDE_PERCENT / HUNDRED
    agent_share: Decimal = DEFAULT_AGENT_SPLIT_PERCENT / HUNDRED
    stage_probability: Mapping[str, Decimal] = field(
        default_factory=lambda: {s: p / HUNDRED for s, p in DEFAULT_STAGE_PERCENT.items()}
    )
    yearly_goal: Decimal = DEFAULT_YEARLY_GOAL

    @property
    def buyer_side_share(self) -> Decimal:
        return 1 - self.seller_side_share

    @property
    def brokerage_share(self) -> Decimal:
        return 1 - self.agent_share

    def side_share(self, side: str) -> Decimal:
        return self.seller_side_share if side == SELL else self.buyer_side_share

    def probability(self, stage: str) -> Decimal:
        if stage == CLOSED_WON:
            return Decimal(1)
        return self.stage_probability.get(stage, Decimal(0))


def rules_from_settings(row) -> Rules:
    """The ``Rules`` held by a ``BusinessSettings`` row (its fields are percentages)."""
    return Rules(
        commission_rate=row.commission_percent / HUNDRED,
        seller_side_share=row.seller_side_percent / HUNDRED,
        agent_share=row.agent_split_percent / HUNDRED,
        stage_probability={
            LEAD: row.lead_probability / HUNDRED,
            APPOINTMENT: row.appointment_probability / HUNDRED,
            ACTIVE: row.active_probability / HUNDRED,
            UNDER_CONTRACT: row.under_contract_probability / HUNDRED,
        },
        yearly_goal=Decimal(row.yearly_goal),
    )


# Rules held for the length of one piece of work (``held``): a list that prices a hundred deals
# reads them once, not once per deal and column (each a cache lookup).
_held: ContextVar[Rules | None] = ContextVar("held_business_rules", default=None)


@contextmanager
def held(rules: Rules) -> Iterator[Rules]:
    """Within the block, ``commission_for`` and the rest price with ``rules`` by default."""
    token = _held.set(rules)
    try:
        yield rules
    finally:
        _held.reset(token)


def _current(rules: Rules | None) -> Rules:
    if rules is not None:
        return rules
    if (held_rules := _held.get()) is not None:
        return held_rules
    from analytics.selectors import current_rules  # the database read lives in selectors

    return current_rules()


# --- One deal ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Commission:
    """What one deal pays, step by step (every amount in USD, to the cent)."""

    sale_price: Decimal
    rate: Decimal  # of the sale price, both sides
    rate_is_override: bool  # the deal was negotiated at its own rate
    total: Decimal  # sale price × rate
    side_share: Decimal
    side: Decimal  # Jorge's side of the total, paid to his brokerage
    agent_share: Decimal
    brokerage: Decimal  # the brokerage's cut of Jorge's side
    jorge: Decimal  # what Jorge takes home


def commission_for(deal, rules: Rules | None = None) -> Commission:
    """What ``deal`` pays Jorge under ``rules`` (the business's current rules by default).

    ``deal`` is a ``leads.Deal`` or anything with ``value``, ``side`` and
    ``commission_percent_override``; a deal with no price yet pays nothing.
    """
    rules = _current(rules)
    override = getattr(deal, "commission_percent_override", None)
    rate = rules.commission_rate if override is None else Decimal(override) / HUNDRED
    price = Decimal(deal.value or 0)
    total = price * rate
    side_share = rules.side_share(deal.side)
    side = cents(total * side_share)
    jorge = cents(side * rules.agent_share)
    return Commission(
        sale_price=price,
        rate=rate,
        rate_is_override=override is not None,
        total=cents(total),
        side_share=side_share,
        side=side,
        agent_share=rules.agent_share,
        brokerage=side - jorge,
        jorge=jorge,
    )


def jorge_commission_expression(rules: Rules):
    """``commission_for(deal).jorge`` as a database expression, for sums over many deals.

    Kept next to ``commission_for`` so the two cannot drift (a test holds them within a cent a
    deal: the database sums before rounding).
    """
    money = DecimalField(max_digits=16, decimal_places=6)
    rate = Coalesce(
        # × 0.01 rather than ÷ 100: SQLite stores 5.00 as the integer 5, and 5 / 100 is 0 there.
        F("commission_percent_override") * Value(CENT, output_field=money),
        Value(rules.commission_rate, output_field=money),
        output_field=money,
    )
    side_share = Case(
        When(side=SELL, then=Value(rules.seller_side_share, output_field=money)),
        default=Value(rules.buyer_side_share, output_field=money),
        output_field=money,
    )
    return ExpressionWrapper(
        Coalesce(F("value"), Value(0, output_field=money))
        * rate
        * side_share
        * Value(rules.agent_share, output_field=money),
        output_field=money,
    )


# --- The same rules in SQL, for sums and pages over many deals ------------------------------
#
# Whole cents and basis points (0.01 %) in integer arithmetic, rounded half up at the same
# steps as ``commission_for``, so a sum in the database equals the sum of the deals' figures to
# the cent on SQLite (whose decimals are floats) and on PostgreSQL alike
# (tests/analytics/test_rules_sql.py holds the two together).

BASIS_POINTS = 10_000  # in one


def basis_points(fraction: Decimal) -> int:
    """``fraction`` (0.06) in basis points (600); the settings hold percentages to 0.01."""
    points = Decimal(fraction) * BASIS_POINTS
    if points != points.to_integral_value():
        raise ValueError(f"{fraction} is finer than a basis point")
    return int(points)


def _whole(expression):
    return ExpressionWrapper(expression, output_field=BigIntegerField())


def _hundredths(field: str):
    """A two-decimal column (dollars, percent) as a whole number of its hundredths."""
    scaled = ExpressionWrapper(
        F(field) * Value(100), output_field=DecimalField(max_digits=16, decimal_places=2)
    )
    return Cast(Round(scaled), BigIntegerField())


def _divided_rounding_half_up(numerator, divisor: int):
    # Integer division truncates on both databases; the amounts are never negative.
    return _whole((numerator + Value(divisor // 2)) / Value(divisor))


def sale_cents_expression():
    """A deal's sale price in cents (0 without a price)."""
    return Coalesce(_hundredths("value"), Value(0), output_field=BigIntegerField())


def jorge_cents_expression(rules: Rules):
    """``commission_for(deal).jorge`` in cents, as a database expression."""
    rate = Coalesce(
        _hundredths("commission_percent_override"),  # 5.00 % is 500 basis points
        Value(basis_points(rules.commission_rate)),
        output_field=BigIntegerField(),
    )
    side_share = Case(
        When(side=SELL, then=Value(basis_points(rules.seller_side_share))),
        default=Value(basis_points(rules.buyer_side_share)),
        output_field=BigIntegerField(),
    )
    # cents × rate × share / 10⁸ is Jorge's side in cents, rounded; then his split of it.
    side = _divided_rounding_half_up(
        _whole(sale_cents_expression() * rate * side_share), BASIS_POINTS * BASIS_POINTS
    )
    return _divided_rounding_half_up(
        _whole(side * Value(basis_points(rules.agent_share))), BASIS_POINTS
    )


def probability_expression(rules: Rules):
    """``rules.probability(deal.stage)`` in basis points."""
    return Case(
        When(stage=CLOSED_WON, then=Value(BASIS_POINTS)),
        *(
            When(stage=stage, then=Value(basis_points(rules.probability(stage))))
            for stage in OPEN_STAGES
        ),
        default=Value(0),
        output_field=BigIntegerField(),
    )


def weighted_cents_expression(rules: Rules):
    """``price_deals``' weighted figure (Jorge's commission × the stage's odds) in cents."""
    return _divided_rounding_half_up(
        _whole(jorge_cents_expression(rules) * probability_expression(rules)), BASIS_POINTS
    )


def from_cents(amount: int | None) -> Decimal:
    return Decimal(amount or 0) / HUNDRED


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def local_date(moment: datetime) -> date:
    """The business's calendar day of ``moment`` (months and years are counted in it)."""
    return timezone.localtime(moment).date()


def expected_close_month(deal, *, today: date) -> date | None:
    """The month ``deal`` closed, or is expected to close; None for a lost deal.

    An open deal closes on its expected date when it has one, else ``DAYS_TO_CLOSE`` of its
    stage from today; a date already past means it is late, so it is expected this month.
    """
    if deal.stage == CLOSED_WON:
        return month_of(local_date(deal.closed_at)) if deal.closed_at else month_of(today)
    if deal.stage not in OPEN_STAGES:
        return None
    expected = getattr(deal, "expected_close_on", None) or today + timedelta(
        days=DAYS_TO_CLOSE[deal.stage]
    )
    return month_of(max(expected, today))


def expected_close_month_expression(*, today: date):
    """``expected_close_month`` of an open deal, as a database expression (a month's first
    day); None for a deal that is not open."""
    next_month = add_months(month_of(today), 1)
    return Case(
        *(
            When(
                Q(stage=stage, expected_close_on__isnull=True),
                then=Value(month_of(today + timedelta(days=DAYS_TO_CLOSE[stage]))),
            )
            for stage in OPEN_STAGES
        ),
        When(
            Q(stage__in=OPEN_STAGES, expected_close_on__lt=next_month),
            then=Value(month_of(today)),
        ),
        When(
            stage__in=OPEN_STAGES,
            # A date on both databases (PostgreSQL's date_trunc gives a timestamp).
            then=Cast(TruncMonth("expected_close_on", output_field=DateField()), DateField()),
        ),
        default=None,
        output_field=DateField(),
    )


# --- Many deals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PricedDeal:
    """A deal with its figures worked out once: what it pays, its odds, when it closes."""

    deal: object  # a leads.Deal or a row with the same fields
    commission: Commission
    probability: Decimal  # of closing: 1 once won
    weighted: Decimal  # commission.jorge × probability
    month: date | None  # closed in, or expected to close in; None for a lost deal

    @property
    def is_open(self) -> bool:
        return self.deal.stage in OPEN_STAGES

    @property
    def is_won(self) -> bool:
        return self.deal.stage == CLOSED_WON


def price_deals(deals: Iterable, *, today: date, rules: Rules | None = None) -> list[PricedDeal]:
    """Each deal's commission, chance to close, weighted value and month under ``rules``."""
    rules = _current(rules)
    priced = []
    for deal in deals:
        commission = commission_for(deal, rules)
        probability = rules.probability(deal.stage)
        priced.append(
            PricedDeal(
                deal=deal,
                commission=commission,
                probability=probability,
                weighted=cents(commission.jorge * probability),
                month=expected_close_month(deal, today=today),
            )
        )
    return priced


@dataclass(frozen=True)
class StageLine:
    stage: str
    probability: Decimal
    deals: int
    sale_value: Decimal
    commission: Decimal  # Jorge's take-home if every deal at this stage closed
    weighted: Decimal  # commission × probability

    @property
    def label(self) -> str:
        return Deal.Stage(self.stage).label


@dataclass(frozen=True)
class Pipeline:
    stages: list[StageLine]
    deals: int
    sale_value: Decimal
    commission: Decimal
    weighted: Decimal


def weighted_pipeline(priced: Iterable[PricedDeal], rules: Rules | None = None) -> Pipeline:
    """Open deals by stage: how many, their prices, Jorge's commission and its weighted value."""
    sums = {stage: [0, Decimal(0), Decimal(0)] for stage in OPEN_STAGES}
    for line in priced:
        if line.deal.stage not in sums:
            continue
        total = sums[line.deal.stage]
        total[0] += 1
        total[1] += line.commission.sale_price
        total[2] += line.commission.jorge
    return pipeline_from_sums(sums, rules)


def pipeline_from_sums(
    sums: Mapping[str, tuple[int, Decimal, Decimal]], rules: Rules | None = None
) -> Pipeline:
    """The pipeline from each open stage's (deals, sale value, Jorge's commission)."""
    rules = _current(rules)
    stages = [
        StageLine(
            stage=stage,
            probability=rules.probability(stage),
            deals=count,
            sale_value=value,
            commission=commission,
            weighted=cents(commission * rules.probability(stage)),
        )
        for stage in OPEN_STAGES
        for count, value, commission in [sums.get(stage, (0, Decimal(0), Decimal(0)))]
    ]
    return Pipeline(
        stages=stages,
        deals=sum(line.deals for line in stages),
        sale_value=sum((line.sale_value for line in stages), Decimal(0)),
        commission=sum((line.commission for line in stages), Decimal(0)),
        weighted=sum((line.weighted for line in stages), Decimal(0)),
    )


@dataclass(frozen=True)
class MonthForecast:
    month: date  # its first day
    closed: Decimal  # Jorge's take-home from deals that closed in the month
    weighted: Decimal  # open deals expected to close in it, each × its stage probability
    open_deals: int

    @property
    def total(self) -> Decimal:
        return self.closed + self.weighted


def forecast_window(start: date, months: int) -> list[date]:
    first = month_of(start)
    return [add_months(first, n) for n in range(months)]


def forecast_by_month(
    priced: Iterable[PricedDeal], *, start: date, months: int
) -> list[MonthForecast]:
    """Jorge's commission month by month from ``start``: closed, plus open deals weighted."""
    window = forecast_window(start, months)
    closed = dict.fromkeys(window, Decimal(0))
    weighted = dict.fromkeys(window, Decimal(0))
    counts = dict.fromkeys(window, 0)
    for line in priced:
        if line.month not in closed:
            continue
        if line.is_won:
            closed[line.month] += line.commission.jorge
        elif line.is_open:
            weighted[line.month] += line.weighted
            counts[line.month] += 1
    return forecast_from_sums(window, closed=closed, weighted=weighted, open_deals=counts)


def forecast_from_sums(
    window: list[date],
    *,
    closed: Mapping[date, Decimal],
    weighted: Mapping[date, Decimal],
    open_deals: Mapping[date, int],
) -> list[MonthForecast]:
    """The forecast over ``window`` from each month's closed and weighted sums."""
    return [
        MonthForecast(
            month=month,
            closed=closed.get(month, Decimal(0)),
            weighted=weighted.get(month, Decimal(0)),
            open_deals=open_deals.get(month, 0),
        )
        for month in window
    ]


def projected_commission(month: date, priced: Iterable[PricedDeal]) -> Decimal:
    """What ``month`` is projected to pay Jorge: closed so far plus the weighted open deals."""
    return forecast_by_month(priced, start=month, months=1)[0].total


@dataclass(frozen=True)
class YearToDate:
    year: int
    closed: Decimal  # Jorge's take-home from deals closed this year so far
    deals: int
    goal: Decimal
    on_pace: Decimal  # the share of the goal a steady year would have reached by today

    @property
    def goal_fraction(self) -> Decimal:
        return self.closed / self.goal if self.goal else Decimal(0)

    @property
    def to_go(self) -> Decimal:
        return max(self.goal - self.closed, Decimal(0))

    @property
    def ahead_of_pace(self) -> Decimal:
        """Above (positive) or below (negative) where a steady year would be today."""
        return self.closed - self.on_pace

    @property
    def pace_gap(self) -> Decimal:
        return abs(self.ahead_of_pace)


def closed_year_to_date(
    priced: Iterable[PricedDeal], *, today: date, rules: Rules | None = None
) -> YearToDate:
    """Jorge's take-home from deals won from 1 January to ``today``, against the yearly goal."""
    closed, count = Decimal(0), 0
    for line in priced:
        if not line.is_won or line.deal.closed_at is None:
            continue
        day = local_date(line.deal.closed_at)
        if day.year == today.year and day <= today:
            closed += line.commission.jorge
            count += 1
    return year_to_date(closed, count, today=today, rules=rules)


def year_to_date(
    closed: Decimal, deals: int, *, today: date, rules: Rules | None = None
) -> YearToDate:
    """The year so far (``closed`` from ``deals`` won since 1 January) against the goal."""
    rules = _current(rules)
    days_in_year = 366 if calendar.isleap(today.year) else 365
    elapsed = today.timetuple().tm_yday
    return YearToDate(
        year=today.year,
        closed=closed,
        deals=deals,
        goal=rules.yearly_goal,
        on_pace=cents(rules.yearly_goal * elapsed / days_in_year),
    )
