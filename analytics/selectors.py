"""Reads behind Jorge's dashboard."""

import math
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from analytics import cache as tiers
from analytics import rules
from analytics.models import BusinessSettings, LeadTally, PerformanceBucket
from compliance.models import ComplianceTicket, TicketStatus
from config import performance
from leads.models import (
    Appointment,
    Contact,
    Conversation,
    Deal,
    EscalationTicket,
    Language,
    Message,
    Temperature,
    Timeline,
    WebhookEvent,
    last_activity,
)
from sellers.models import CMAReport


def _leads():
    """Every lead the figures count: staff trying the bot from the chat demo are no lead."""
    return Contact.objects.filter(is_test=False)


def _test_contact_ids():
    """The ids of the test contacts, from their partial index (``contact_test``)."""
    return Contact.objects.filter(is_test=True).values("pk")


def _conversations():
    # "Not a test contact's" as a small subquery, not a join: the join read every contact to
    # check the flag (a hash join over the whole table on PostgreSQL), however few it kept.
    return Conversation.objects.exclude(contact_id__in=_test_contact_ids())


def _tickets(model):
    return model.objects.exclude(contact__is_test=True)


def lead_tallies() -> dict[str, dict[str, int]]:
    """Leads per value of each tallied field (temperature, source, language, timeline,
    budget): sums of the LeadTally journal, a few hundred rows whatever the number of leads."""
    counts: dict[str, dict[str, int]] = {dimension: {} for dimension in LeadTally.Dimension}
    rows = LeadTally.objects.order_by().values_list("dimension", "value").annotate(n=Sum("delta"))
    for dimension, value, n in rows:
        if n:
            counts[dimension][value] = n
    return counts


def pipeline_summary(*, as_of=None) -> dict:
    """Leads by temperature, conversations by stage, and deals with their commission."""
    as_of = as_of or timezone.now()
    temperatures = dict(
        _leads()
        .filter(created_at__lte=as_of)
        .values_list("temperature")
        .annotate(n=Count("id"))
        .values_list("temperature", "n")
    )
    stages = dict(
        _conversations()
        .filter(created_at__lte=as_of)
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


# --- The overview page -------------------------------------------------------------------------

# The windows the overview's figures cover (docs/dashboard.md says the same).
RESPONSE_WINDOW = timedelta(days=30)  # first-response times and the five-minute rule
ACTIVE_WINDOW = timedelta(days=7)  # a conversation with a message this recent is active
FIVE_MINUTES = 300.0
NEW_LEADS_DAYS = 30  # the new-leads-per-day chart
TOP_SOURCES = 7  # sources beyond these are summed as "Other"
OPEN_DEAL_STAGES = [
    Deal.Stage.LEAD,
    Deal.Stage.APPOINTMENT,
    Deal.Stage.ACTIVE,
    Deal.Stage.UNDER_CONTRACT,
]


def business_timezone() -> ZoneInfo:
    """Jorge's zone: "today" and the days of the charts are his, not UTC's."""
    return ZoneInfo(settings.DEFAULT_TIMEZONE)


def start_of_business_day(now: datetime) -> datetime:
    local = now.astimezone(business_timezone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _percentile(ordered: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not ordered:
        return None
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class OverviewKpis:
    as_of: datetime
    new_leads_today: int
    hot_leads: int
    first_response_median: float | None  # seconds
    first_response_p95: float | None
    five_minute_rate: float | None  # percent of first replies within five minutes
    five_minute_answered: int  # conversations the rate counts
    active_conversations: int
    open_tickets: int
    overdue_tickets: int
    open_escalations: int
    open_compliance: int
    pipeline_value: Decimal
    open_deals: int
    projected_commission: Decimal


def overview_kpis(*, now: datetime | None = None) -> OverviewKpis:
    """The overview's tiles, in seven queries whatever the size of the data (LIVE tier: up
    to 30 s old, recomputed after any event about leads, messages, tickets or deals)."""
    if now is not None:
        return _overview_kpis(now)
    return tiers.LIVE.get_or_set(
        f"overview-kpis:{start_of_business_day(timezone.now()).date()}",
        lambda: _overview_kpis(timezone.now()),
        topics=(
            tiers.LEADS,
            tiers.CONVERSATIONS,
            tiers.MESSAGES,
            tiers.TICKETS,
            tiers.DEALS,
            tiers.RULES,
        ),
    )


def _overview_kpis(now: datetime) -> OverviewKpis:
    # Today's leads from the created_at index; the hot ones from the tallies.
    leads = {
        "new_today": _leads().filter(created_at__gte=start_of_business_day(now)).count(),
        "hot": lead_tallies()[LeadTally.Dimension.TEMPERATURE].get(Temperature.HOT, 0),
    }
    since = now - RESPONSE_WINDOW
    # Only the recent conversations' times: bounded by the window, not by the table.
    times = sorted(
        _conversations()
        .filter(created_at__gte=since, first_response_seconds__isnull=False)
        .values_list("first_response_seconds", flat=True)
    )
    # Each count from the index of its own window, not a pass over every conversation.
    unanswered_late = (
        _conversations()
        .filter(
            # Waiting more than five minutes without any reply: a miss of the rule already.
            created_at__gte=since,
            first_response_seconds__isnull=True,
            last_inbound_at__isnull=False,
            last_inbound_at__lt=now - timedelta(seconds=FIVE_MINUTES),
            last_outbound_at__isnull=True,
        )
        .count()
    )
    recent = now - ACTIVE_WINDOW
    active = (
        _conversations()
        .alias(moved=last_activity())  # the conv_last_activity index finds the recent ones
        .filter(moved__gte=recent, status=Conversation.Status.ACTIVE)
        .filter(Q(last_inbound_at__gte=recent) | Q(last_outbound_at__gte=recent))
        .count()
    )
    counted = len(times) + unanswered_late
    in_time = sum(1 for seconds in times if seconds <= FIVE_MINUTES)
    unresolved = ~Q(status=TicketStatus.RESOLVED)
    escalations = (
        _tickets(EscalationTicket)
        .filter(unresolved)
        .aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    )
    compliance = (
        _tickets(ComplianceTicket)
        .filter(unresolved)
        .aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    )
    deals = Deal.objects.filter(stage__in=OPEN_DEAL_STAGES).aggregate(
        value=Sum("value"), count=Count("id")
    )
    return OverviewKpis(
        as_of=now,
        new_leads_today=leads["new_today"],
        hot_leads=leads["hot"],
        first_response_median=_percentile(times, 0.5),
        first_response_p95=_percentile(times, 0.95),
        five_minute_rate=round(100 * in_time / counted, 1) if counted else None,
        five_minute_answered=counted,
        active_conversations=active,
        open_tickets=escalations["open"] + compliance["open"],
        overdue_tickets=escalations["overdue"] + compliance["overdue"],
        open_escalations=escalations["open"],
        open_compliance=compliance["open"],
        pipeline_value=(deals["value"] or Decimal(0)).quantize(Decimal(1)),
        open_deals=deals["count"],
        projected_commission=projected_commission_this_month(now=now),
    )


@dataclass(frozen=True)
class ActivityItem:
    at: datetime
    kind: str  # lead, message, ticket, compliance, cma, deal, appointment
    key: str  # stable across renders: the page flashes the keys it has not shown before
    text: str
    detail: str
    url: str  # its admin page

    KIND_LABELS = {
        "lead": "New lead",
        "message": "Message",
        "ticket": "Escalation",
        "compliance": "Compliance",
        "cma": "CMA",
        "deal": "Deal",
        "appointment": "Call",
    }

    @property
    def get_kind_label(self) -> str:
        return self.KIND_LABELS[self.kind]


def _name(contact) -> str:
    return str(contact) if contact is not None else "A deleted contact"


def recent_activity(*, limit: int = 12) -> list[ActivityItem]:
    """The latest things that happened, newest first: new leads, messages from leads,
    tickets, finished CMAs, deals won or lost and booked calls (one query per kind)."""
    items: list[ActivityItem] = []
    for contact in _leads().order_by("-created_at")[:limit]:
        items.append(
            ActivityItem(
                at=contact.created_at,
                kind="lead",
                key=f"lead-{contact.pk}",
                text=f"New lead: {_name(contact)}",
                detail=contact.source or "",
                url=reverse("admin:leads_contact_change", args=[contact.pk]),
            )
        )
    messages = (
        Message.objects.filter(
            direction=Message.Direction.INBOUND, conversation__contact__is_test=False
        )
        .select_related("conversation__contact")
        .only("body", "channel", "created_at", "conversation__contact", "conversation_id")
        .order_by("-created_at")[:limit]
    )
    for message in messages:
        body = message.body.strip() or f"({message.get_channel_display()})"
        items.append(
            ActivityItem(
                at=message.created_at,
                kind="message",
                key=f"message-{message.pk}",
                text=f"{_name(message.conversation.contact)} wrote",
                detail=body if len(body) <= 90 else body[:89] + "…",
                url=reverse("admin:leads_conversation_change", args=[message.conversation_id]),
            )
        )
    for ticket in (
        _tickets(EscalationTicket).select_related("contact").order_by("-created_at")[:limit]
    ):
        items.append(
            ActivityItem(
                at=ticket.created_at,
                kind="ticket",
                key=f"escalation-{ticket.pk}",
                text=f"Escalated: {_name(ticket.contact)}",
                detail=f"{ticket.get_reason_display()} · {ticket.get_priority_display()}",
                url=reverse("admin:leads_escalationticket_change", args=[ticket.pk]),
            )
        )
    compliance = _tickets(ComplianceTicket).select_related("contact").order_by("-created_at")
    for ticket in compliance[:limit]:
        items.append(
            ActivityItem(
                at=ticket.created_at,
                kind="compliance",
                key=f"compliance-{ticket.pk}",
                text=f"Compliance ticket: {_name(ticket.contact)}",
                detail=f"{ticket.get_type_display()} · {ticket.get_severity_display()} severity",
                url=reverse("admin:compliance_complianceticket_change", args=[ticket.pk]),
            )
        )
    reports = (
        CMAReport.objects.filter(generated_at__isnull=False)
        .select_related("contact")
        .defer("comparables", "subject")
        .order_by("-generated_at")[:limit]
    )
    for report in reports:
        items.append(
            ActivityItem(
                at=report.generated_at,
                kind="cma",
                key=f"cma-{report.pk}-{report.status}",
                text=f"CMA {report.get_status_display().lower()}: {report.address}",
                detail=_name(report.contact),
                url=reverse("admin:sellers_cmareport_change", args=[report.pk]),
            )
        )
    closed = (
        Deal.objects.filter(
            stage__in=[Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST], closed_at__isnull=False
        )
        .select_related("contact")
        .order_by("-closed_at")[:limit]
    )
    for deal in closed:
        won = deal.stage == Deal.Stage.CLOSED_WON
        items.append(
            ActivityItem(
                at=deal.closed_at,
                kind="deal",
                key=f"deal-{deal.pk}-{deal.stage}",
                text=f"Deal {'won' if won else 'lost'}: {deal.name}",
                detail=f"${deal.value:,.0f}" if deal.value is not None else "",
                url=reverse("admin:leads_deal_change", args=[deal.pk]),
            )
        )
    for appointment in Appointment.objects.select_related("contact").order_by("-created_at")[
        :limit
    ]:
        items.append(
            ActivityItem(
                at=appointment.created_at,
                kind="appointment",
                key=f"appointment-{appointment.pk}",
                text=f"Call booked: {_name(appointment.contact)}",
                detail=appointment.get_status_display(),
                url=reverse("admin:leads_appointment_change", args=[appointment.pk]),
            )
        )
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


@dataclass(frozen=True)
class LeadCharts:
    by_temperature: list[tuple[str, int]]  # (label, count), in the temperature order
    by_source: list[tuple[str, int]]  # largest first, the tail as "Other"
    by_language: list[tuple[str, int]]
    per_day: list[tuple[date, int]]  # every day of the window, zeros included


def lead_charts(*, now: datetime | None = None) -> LeadCharts:
    """The overview's charts of every lead, in four grouped queries (CHARTS tier)."""
    if now is not None:
        return _lead_charts(now)
    return tiers.CHARTS.get_or_set(
        f"lead-charts:{start_of_business_day(timezone.now()).date()}",
        lambda: _lead_charts(timezone.now()),
        topics=(tiers.LEADS,),
    )


def _day_index(midnights: list[datetime], first: int):
    """The number of the day (``first`` + the midnights before it) of a ``created_at`` that
    falls between the window's first and last midnight: nested CASEs that halve the midnights
    at each level, so a row costs about log2(days) comparisons."""
    if not midnights:
        return Value(first, output_field=IntegerField())
    middle = len(midnights) // 2
    return Case(
        When(
            created_at__lt=midnights[middle],
            then=_day_index(midnights[:middle], first),
        ),
        default=_day_index(midnights[middle + 1 :], first + middle + 1),
        output_field=IntegerField(),
    )


def _lead_charts(now: datetime) -> LeadCharts:
    tallies = lead_tallies()
    temperatures = tallies[LeadTally.Dimension.TEMPERATURE]
    sources = sorted(tallies[LeadTally.Dimension.SOURCE].items(), key=lambda row: (-row[1], row[0]))
    top = [(source or "Unknown", n) for source, n in sources[:TOP_SOURCES]]
    rest = sum(n for _, n in sources[TOP_SOURCES:])
    languages = tallies[LeadTally.Dimension.LANGUAGE]
    tz = business_timezone()
    first_day = start_of_business_day(now) - timedelta(days=NEW_LEADS_DAYS - 1)
    # A count per local day between its midnights, in one pass over the created_at index: no
    # time-zone conversion per row (on SQLite a Python function call per contact), and each
    # lead's day found by a binary search of the midnights (five comparisons, not thirty).
    window = [first_day.date() + timedelta(days=n) for n in range(NEW_LEADS_DAYS)]
    midnights = [_local_midnight_in(day, tz) for day in (*window, window[-1] + timedelta(days=1))]
    counts = dict(
        _leads()
        .filter(created_at__gte=midnights[0], created_at__lt=midnights[-1])
        .annotate(day=_day_index(midnights[1:-1], 0))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
        .order_by()
    )
    days = {day: counts.get(n, 0) for n, day in enumerate(window)}
    return LeadCharts(
        by_temperature=[
            (label, temperatures.get(value, 0)) for value, label in Temperature.choices
        ],
        by_source=top + ([("Other", rest)] if rest else []),
        by_language=[(label, languages.get(value, 0)) for value, label in Language.choices],
        per_day=[
            (day, days.get(day, 0))
            for day in (first_day.date() + timedelta(days=n) for n in range(NEW_LEADS_DAYS))
        ],
    )


# --- The tickets panel -------------------------------------------------------------------------

# The panel lists the 50 soonest due (the most overdue first); the counts above it cover every
# open ticket, and the rest are a link away in the admin's lists.
TICKETS_SHOWN = 50
DUE_SOON = timedelta(hours=1)
ESCALATION_LEVEL = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
COMPLIANCE_LEVEL = {"high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class TicketRow:
    kind: str  # "escalation" or "compliance"
    pk: int
    title: str
    summary: str
    urgency: str  # the priority or severity, as a word
    level: int  # 0 (urgent) … 3 (low), to colour the badge
    contact: str
    status: str
    assignee: str
    created_at: datetime
    due_at: datetime
    overdue: bool
    due_soon: bool
    url: str

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.pk}"


@dataclass(frozen=True)
class TicketQueue:
    rows: list[TicketRow]  # the most urgent first: by SLA due time
    open: int
    overdue: int
    due_soon: int
    escalations: int
    compliance: int
    not_shown: int


def _ticket_counts(queryset, now: datetime) -> dict:
    by_sla = _ticket_counts_by_sla(now)
    return queryset.aggregate(
        open=Count("id"), overdue=by_sla["overdue"], due_soon=by_sla["due_soon"]
    )


def open_ticket_queue(*, now: datetime | None = None) -> TicketQueue:
    """Unresolved escalation and compliance tickets: counts of all of them, and the
    ``TICKETS_SHOWN`` soonest due, in four queries whatever the size of the queue."""
    now = now or timezone.now()
    unresolved = ~Q(status=TicketStatus.RESOLVED)
    escalations = _tickets(EscalationTicket).filter(unresolved)
    compliance = _tickets(ComplianceTicket).filter(unresolved)
    rows = [
        TicketRow(
            kind="escalation",
            pk=ticket.pk,
            title=ticket.get_reason_display(),
            summary=ticket.summary,
            urgency=ticket.get_priority_display(),
            level=ESCALATION_LEVEL.get(ticket.priority, 2),
            contact=_name(ticket.contact),
            status=ticket.get_status_display(),
            assignee=ticket.assignee.get_username() if ticket.assignee else "",
            created_at=ticket.created_at,
            due_at=ticket.due_at,
            overdue=ticket.due_at < now,
            due_soon=now <= ticket.due_at < now + DUE_SOON,
            url=reverse("admin:leads_escalationticket_change", args=[ticket.pk]),
        )
        for ticket in escalations.select_related("contact", "assignee")
        .defer("context", "notifications")
        .order_by("due_at")[:TICKETS_SHOWN]
    ]
    rows += [
        TicketRow(
            kind="compliance",
            pk=ticket.pk,
            title=f"{ticket.get_type_display()}: {ticket.category.replace('_', ' ')}",
            summary=ticket.evidence if len(ticket.evidence) <= 120 else ticket.evidence[:119] + "…",
            urgency=f"{ticket.get_severity_display()} severity",
            level=COMPLIANCE_LEVEL.get(ticket.severity, 2),
            contact=_name(ticket.contact),
            status=ticket.get_status_display(),
            assignee=ticket.assignee.get_username() if ticket.assignee else "",
            created_at=ticket.created_at,
            due_at=ticket.due_at,
            overdue=ticket.due_at < now,
            due_soon=now <= ticket.due_at < now + DUE_SOON,
            url=reverse("admin:compliance_complianceticket_change", args=[ticket.pk]),
        )
        for ticket in compliance.select_related("contact", "assignee").order_by("due_at")[
            :TICKETS_SHOWN
        ]
    ]
    rows.sort(key=lambda row: (row.due_at, row.level))
    rows = rows[:TICKETS_SHOWN]  # the soonest of both kinds are among each kind's soonest
    counts_e = _ticket_counts(escalations, now)
    counts_c = _ticket_counts(compliance, now)
    total = counts_e["open"] + counts_c["open"]
    return TicketQueue(
        rows=rows,
        open=total,
        overdue=counts_e["overdue"] + counts_c["overdue"],
        due_soon=counts_e["due_soon"] + counts_c["due_soon"],
        escalations=counts_e["open"],
        compliance=counts_c["open"],
        not_shown=total - len(rows),
    )


class OpenTicketCount(NamedTuple):
    kind: str  # "escalation" or "compliance"
    type: str  # the escalation's reason, the compliance ticket's type
    sla: str  # "ok", "due_soon" or "overdue", as on the tickets panel
    count: int


def open_tickets_by_sla(*, now: datetime | None = None) -> list[OpenTicketCount]:
    """Unresolved tickets counted by kind, type and SLA state, in two grouped queries."""
    now = now or timezone.now()
    rows = []
    for kind, model, type_field in (
        ("escalation", EscalationTicket, "reason"),
        ("compliance", ComplianceTicket, "type"),
    ):
        counts = (
            _tickets(model)
            .filter(~Q(status=TicketStatus.RESOLVED))
            .values(type_field)
            .annotate(**_ticket_counts_by_sla(now))
            .order_by(type_field)
        )
        for group in counts:
            rows += [
                OpenTicketCount(kind, group[type_field], sla, group[sla])
                for sla in ("ok", "due_soon", "overdue")
            ]
    return rows


def _ticket_counts_by_sla(now: datetime) -> dict:
    return {
        "overdue": Count("id", filter=Q(due_at__lt=now)),
        "due_soon": Count("id", filter=Q(due_at__gte=now, due_at__lt=now + DUE_SOON)),
        "ok": Count("id", filter=Q(due_at__gte=now + DUE_SOON)),
    }


# --- Business rules -------------------------------------------------------------------------


def business_settings() -> BusinessSettings:
    """The one row of business rules (created with rules.py's defaults on first use)."""
    row, _ = BusinessSettings.objects.get_or_create(pk=1)
    return row


def current_rules() -> rules.Rules:
    """The business rules in force (HISTORY tier: every page with money reads them, and
    ``update_business_settings`` invalidates them when it commits)."""
    return tiers.HISTORY.get_or_set(
        "business-rules",
        lambda: rules.rules_from_settings(business_settings()),
        topics=(tiers.RULES,),
    )


def forget_current_rules() -> None:
    tiers.bump(tiers.RULES)


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


def _local_midnight_in(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _open_deals():
    return Deal.objects.filter(stage__in=rules.OPEN_STAGES)


def _won_between(first: date, last: date):
    """Deals won from local midnight of ``first`` to local midnight of ``last`` (on the
    (stage, closed_at) index)."""
    return Deal.objects.filter(
        stage=Deal.Stage.CLOSED_WON,
        closed_at__gte=_local_midnight(first),
        closed_at__lt=_local_midnight(last),
    )


def _priced_rows(queryset, *, today: date, current: rules.Rules) -> list[rules.PricedDeal]:
    rows = [DealRow(*row) for row in queryset.values_list(*DealRow._fields)]
    return rules.price_deals(rows, today=today, rules=current)


@dataclass(frozen=True)
class CommissionDeals:
    """The commission page's per-deal detail, read a page at a time: open deals (soonest
    month first, then the later stage, then the larger weighted figure), then this year's
    closings (latest first). Sliced by the page's Paginator; ``count`` comes from the sums."""

    today: date
    rules: rules.Rules
    open_count: int
    won_count: int

    def count(self) -> int:
        return self.open_count + self.won_count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[rules.PricedDeal]:
        start, stop, _ = index.indices(self.count())
        lines = []
        if start < self.open_count:
            lines += self._open(start, min(stop, self.open_count))
        if stop > self.open_count:
            lines += self._won(max(start - self.open_count, 0), stop - self.open_count)
        return lines

    def _open(self, start: int, stop: int) -> list[rules.PricedDeal]:
        stage_order = Case(
            *(When(stage=stage, then=n) for n, stage in enumerate(rules.OPEN_STAGES)),
            output_field=IntegerField(),
        )
        page = (
            _open_deals()
            .alias(
                month=rules.expected_close_month_expression(today=self.today),
                stage_order=stage_order,
                weighted=rules.weighted_cents_expression(self.rules),
            )
            .order_by("month", "-stage_order", "-weighted", "id")[start:stop]
        )
        return _priced_rows(page, today=self.today, current=self.rules)

    def _won(self, start: int, stop: int) -> list[rules.PricedDeal]:
        year = self.today.replace(month=1, day=1)
        page = _won_between(year, year.replace(year=year.year + 1)).order_by("-closed_at", "id")
        return _priced_rows(page[start:stop], today=self.today, current=self.rules)


@dataclass(frozen=True)
class CommissionOverview:
    today: date
    rules: rules.Rules
    this_month: rules.MonthForecast
    pipeline: rules.Pipeline
    forecast: list[rules.MonthForecast]
    year_to_date: rules.YearToDate
    deals: CommissionDeals  # open (soonest first), then won this year (latest first)


def commission_overview(*, now: datetime | None = None) -> CommissionOverview:
    """Everything the commission page shows, in sums over the deals (rules.py's expressions):
    two aggregate queries however many deals there are, and the per-deal detail a page at a
    time. CHARTS tier: recomputed after a deal event or a change of the rules.
    """
    if now is not None:
        return _commission_overview(rules.local_date(now))
    today = rules.local_date(timezone.now())
    return tiers.CHARTS.get_or_set(
        f"commission:{today}",
        lambda: _commission_overview(today),
        topics=(tiers.DEALS, tiers.RULES),
    )


def _open_sums(today: date, current: rules.Rules) -> list[dict]:
    """Open deals' count, price, commission and weighted commission by stage and month."""
    return list(
        _open_deals()
        .values("stage", month=rules.expected_close_month_expression(today=today))
        .annotate(
            deals=Count("id"),
            sale=Sum(rules.sale_cents_expression()),
            jorge=Sum(rules.jorge_cents_expression(current)),
            weighted=Sum(rules.weighted_cents_expression(current)),
        )
        .order_by()
    )


def _won_sums(months: list[date], *, today: date, current: rules.Rules) -> dict:
    """Jorge's commission from deals won in each of ``months`` and this year to today, with the
    year's count: one query of filtered sums on the (stage, closed_at) index."""
    jorge = rules.jorge_cents_expression(current)
    year = today.replace(month=1, day=1)
    ranges = {f"m{n}": (month, rules.add_months(month, 1)) for n, month in enumerate(months)}
    ranges["ytd"] = (year, today + timedelta(days=1))
    first = min(first for first, _ in ranges.values())
    last = max(last for _, last in ranges.values())
    won = _won_between(first, last)

    def between(first, last):
        return Q(closed_at__gte=_local_midnight(first), closed_at__lt=_local_midnight(last))

    sums = won.aggregate(
        **{key: Sum(jorge, filter=between(*span)) for key, span in ranges.items()},
        ytd_deals=Count("id", filter=between(*ranges["ytd"])),
        year_deals=Count("id", filter=between(year, year.replace(year=year.year + 1))),
    )
    return {
        "closed": {month: rules.from_cents(sums[f"m{n}"]) for n, month in enumerate(months)},
        "ytd": rules.from_cents(sums["ytd"]),
        "ytd_deals": sums["ytd_deals"],
        "year_deals": sums["year_deals"],
    }


def _commission_overview(today: date) -> CommissionOverview:
    current = current_rules()
    this_month = rules.month_of(today)
    window = rules.forecast_window(
        rules.add_months(this_month, -FORECAST_MONTHS_BACK),
        FORECAST_MONTHS_BACK + 1 + FORECAST_MONTHS_AHEAD,
    )
    stages, weighted, open_deals = {}, {}, {}
    for row in _open_sums(today, current):
        count, sale, jorge = stages.get(row["stage"], (0, Decimal(0), Decimal(0)))
        stages[row["stage"]] = (
            count + row["deals"],
            sale + rules.from_cents(row["sale"]),
            jorge + rules.from_cents(row["jorge"]),
        )
        month = row["month"]
        weighted[month] = weighted.get(month, Decimal(0)) + rules.from_cents(row["weighted"])
        open_deals[month] = open_deals.get(month, 0) + row["deals"]
    won = _won_sums(window, today=today, current=current)
    forecast = rules.forecast_from_sums(
        window, closed=won["closed"], weighted=weighted, open_deals=open_deals
    )
    pipeline = rules.pipeline_from_sums(stages, current)
    return CommissionOverview(
        today=today,
        rules=current,
        this_month=forecast[FORECAST_MONTHS_BACK],
        pipeline=pipeline,
        forecast=forecast,
        year_to_date=rules.year_to_date(won["ytd"], won["ytd_deals"], today=today, rules=current),
        deals=CommissionDeals(
            today=today, rules=current, open_count=pipeline.deals, won_count=won["year_deals"]
        ),
    )


def projected_commission_this_month(*, now: datetime | None = None) -> Decimal:
    """Jorge's take-home projected for this month: won so far plus open deals, weighted (one
    query of two sums)."""
    today = rules.local_date(now or timezone.now())
    month = rules.month_of(today)
    current = current_rules()
    next_month = rules.add_months(month, 1)
    sums = (
        Deal.objects.filter(
            Q(stage__in=rules.OPEN_STAGES)
            | Q(
                stage=Deal.Stage.CLOSED_WON,
                closed_at__gte=_local_midnight(month),
                closed_at__lt=_local_midnight(next_month),
            )
        )
        .alias(expected=rules.expected_close_month_expression(today=today))
        .aggregate(
            closed=Sum(
                rules.jorge_cents_expression(current), filter=Q(stage=Deal.Stage.CLOSED_WON)
            ),
            weighted=Sum(rules.weighted_cents_expression(current), filter=Q(expected=month)),
        )
    )
    forecast = rules.forecast_from_sums(
        [month],
        closed={month: rules.from_cents(sums["closed"])},
        weighted={month: rules.from_cents(sums["weighted"])},
        open_deals={},
    )
    return forecast[0].total


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
LEADS_PER_PAGE = 25


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
    leads = _leads().all()
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


def _chart_topics(filters: LeadFilters) -> tuple[str, ...]:
    return (tiers.LEADS, tiers.CONVERSATIONS) if filters.stage else (tiers.LEADS,)


def budget_distribution(filters: LeadFilters) -> list[Bar]:
    """Leads per budget range, under every filter but the budget's own (CHARTS tier)."""
    return tiers.CHARTS.get_or_set(
        f"budget-distribution:{urlencode(sorted(filters.params().items()))}",
        lambda: _budget_distribution(filters),
        topics=_chart_topics(filters),
    )


def budget_range_of(budget_max: int | None) -> str:
    """The key of the range of BUDGET_RANGES that holds ``budget_max``."""
    for key, _, low, high in BUDGET_RANGES:
        if low is None and high is None:
            if budget_max is None:
                return key
        elif (
            budget_max is not None
            and (low is None or budget_max >= low)
            and (high is None or budget_max < high)
        ):
            return key
    raise ValueError(f"no budget range holds {budget_max!r}")


def _budget_distribution(filters: LeadFilters) -> list[Bar]:
    others = filters.without("budget")
    if others.is_empty:  # every lead: from the tallies, not from every contact
        counts = dict.fromkeys((key for key, *_ in BUDGET_RANGES), 0)
        for value, n in lead_tallies()[LeadTally.Dimension.BUDGET].items():
            counts[budget_range_of(int(value) if value else None)] += n
    else:
        counts = _filtered_leads(others).aggregate(
            **{key: Count("pk", filter=_budget_q(key)) for key, *_ in BUDGET_RANGES}
        )
    return [Bar(key, label, counts[key]) for key, label, _, _ in BUDGET_RANGES]


def timeline_distribution(filters: LeadFilters) -> list[Bar]:
    """Leads per timeline, under every filter but the timeline's own (CHARTS tier)."""
    return tiers.CHARTS.get_or_set(
        f"timeline-distribution:{urlencode(sorted(filters.params().items()))}",
        lambda: _timeline_distribution(filters),
        topics=_chart_topics(filters),
    )


def _timeline_distribution(filters: LeadFilters) -> list[Bar]:
    others = filters.without("timeline")
    if others.is_empty:  # every lead: from the tallies
        counts = lead_tallies()[LeadTally.Dimension.TIMELINE]
    else:
        counts = dict(
            _filtered_leads(others).order_by().values_list("timeline").annotate(n=Count("pk"))
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
            "learned_score",
            "learned_temperature",
            "learned_model_version",
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
    """Every lead source of a lead today, for the filter (CHARTS tier; from the tallies)."""
    return tiers.CHARTS.get_or_set(
        "lead-sources",
        lambda: sorted(source for source in lead_tallies()[LeadTally.Dimension.SOURCE] if source),
        topics=(tiers.LEADS,),
    )


# --- Performance ------------------------------------------------------------------------------

LATENCY_HOURS = 24  # the latency charts: hour by hour
PERFORMANCE_DAYS = 14  # the daily charts, the hit rates, the reply times
LATENCY_GROUPS = [
    (performance.AI_LATENCY, "AI (Claude)"),
    (performance.GHL_LATENCY, "HighLevel"),
    (performance.CACHE_LATENCY, "Cache"),
    (performance.DB_LATENCY, "Database"),
]
_LATENCY_METRICS = {metric for metric, _ in LATENCY_GROUPS}
# The reply-time chart's bars, in seconds: [low, high).
REPLY_TIME_BARS = [
    ("under 5 s", 0, 5),
    ("5–15 s", 5, 15),
    ("15–30 s", 15, 30),
    ("30–60 s", 30, 60),
    ("1–2 min", 60, 120),
    ("2–5 min", 120, 300),
    ("5 min or more", 300, None),
]


def _hour_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class PerformanceData:
    """Aggregates by hour (latencies, within LATENCY_HOURS) and by Jorge's day (everything)."""

    hourly: dict[tuple[str, str, datetime], performance.Aggregate]
    daily: dict[tuple[str, str, date], performance.Aggregate]

    def add(self, metric, label, hour, count, total, histogram, *, latency_since) -> None:
        histogram = {int(index): n for index, n in histogram.items()}
        if metric in _LATENCY_METRICS and hour >= latency_since:
            slot = self.hourly.setdefault((metric, label, hour), performance.Aggregate())
            slot.merge(performance.Aggregate(count, total, histogram))
        day = hour.astimezone(business_timezone()).date()
        kept = histogram if metric == performance.BOT_REPLY_TIME else {}
        slot = self.daily.setdefault((metric, label, day), performance.Aggregate())
        slot.merge(performance.Aggregate(count, total, kept))

    def copy(self) -> "PerformanceData":
        return PerformanceData(
            hourly={
                k: performance.Aggregate(a.count, a.total, dict(a.histogram))
                for k, a in self.hourly.items()
            },
            daily={
                k: performance.Aggregate(a.count, a.total, dict(a.histogram))
                for k, a in self.daily.items()
            },
        )


def _performance_rows(data: PerformanceData, *, since, until, latency_since) -> PerformanceData:
    rows = PerformanceBucket.objects.filter(hour__gte=since)
    if until is not None:
        rows = rows.filter(hour__lt=until)
    for row in rows.values_list("metric", "label", "hour", "count", "total", "histogram"):
        data.add(*row, latency_since=latency_since)
    return data


def performance_data(*, now: datetime | None = None) -> PerformanceData:
    """Every PerformanceBucket of the last PERFORMANCE_DAYS, and what this process has not
    flushed yet. The settled hours (ended more than two flush intervals ago, so no process
    still holds samples of them) come from the HISTORY tier; the hour or two after them from
    one query."""
    now = now or timezone.now()
    days = [
        start_of_business_day(now).date() - timedelta(days=n)
        for n in range(PERFORMANCE_DAYS - 1, -1, -1)
    ]
    since = _local_midnight(days[0])
    latency_since = _hour_start(now) - timedelta(hours=LATENCY_HOURS - 1)
    margin = timedelta(seconds=2 * settings.PERFORMANCE_FLUSH_SECONDS)
    settled = _hour_start(now - margin)
    history = tiers.HISTORY.get_or_set(
        f"performance:{since.isoformat()}:{settled.isoformat()}",
        lambda: _performance_rows(
            PerformanceData({}, {}), since=since, until=settled, latency_since=latency_since
        ),
        topics=(),
    )
    data = _performance_rows(history.copy(), since=settled, until=None, latency_since=latency_since)
    first_hour = int(since.timestamp()) // performance.HOUR_SECONDS
    for (metric, label, hour), aggregate in performance.tracker.pending().items():
        if hour >= first_hour:
            data.add(
                metric,
                label,
                datetime.fromtimestamp(hour * performance.HOUR_SECONDS, tz=UTC),
                aggregate.count,
                aggregate.total,
                aggregate.histogram,
                latency_since=latency_since,
            )
    return data


def _merged(aggregates) -> performance.Aggregate:
    total = performance.Aggregate()
    for aggregate in aggregates:
        total.merge(aggregate)
    return total


@dataclass(frozen=True)
class LatencyLine:
    label: str
    count: int
    p50: float | None  # ms
    p95: float | None


@dataclass(frozen=True)
class LatencyGroup:
    metric: str
    name: str
    hours: list[datetime]  # the last LATENCY_HOURS hours, oldest first
    p50: list[float | None]  # per hour, ms
    p95: list[float | None]
    lines: list[LatencyLine]  # per label over the whole window, busiest first
    overall: LatencyLine


def performance_latency(
    data: PerformanceData, *, now: datetime | None = None
) -> list[LatencyGroup]:
    """p50/p95 per hour of AI, HighLevel, cache and database latency, and per label."""
    now = now or timezone.now()
    first = _hour_start(now) - timedelta(hours=LATENCY_HOURS - 1)
    hours = [first + timedelta(hours=n) for n in range(LATENCY_HOURS)]
    groups = []
    for metric, name in LATENCY_GROUPS:
        rows = [
            (label, hour, a)
            for (m, label, hour), a in data.hourly.items()
            if m == metric and hour >= first
        ]
        per_hour = [_merged(a for _, h, a in rows if h == hour) for hour in hours]
        labels = sorted({label for label, _, _ in rows})
        lines = []
        for label in labels:
            merged = _merged(a for lab, _, a in rows if lab == label)
            lines.append(
                LatencyLine(
                    label or "—",
                    merged.count,
                    performance.percentile(merged.histogram, 0.5),
                    performance.percentile(merged.histogram, 0.95),
                )
            )
        lines.sort(key=lambda line: (-line.count, line.label))
        everything = _merged(per_hour)
        groups.append(
            LatencyGroup(
                metric=metric,
                name=name,
                hours=hours,
                p50=[performance.percentile(a.histogram, 0.5) for a in per_hour],
                p95=[performance.percentile(a.histogram, 0.95) for a in per_hour],
                lines=lines,
                overall=LatencyLine(
                    "all",
                    everything.count,
                    performance.percentile(everything.histogram, 0.5),
                    performance.percentile(everything.histogram, 0.95),
                ),
            )
        )
    return groups


def _daily_totals(data: PerformanceData, metric: str) -> dict[str, performance.Aggregate]:
    """A metric over the whole window, per label."""
    totals: dict[str, performance.Aggregate] = {}
    for (m, label, _), aggregate in data.daily.items():
        if m == metric:
            totals.setdefault(label, performance.Aggregate()).merge(aggregate)
    return totals


def _per_day(data: PerformanceData, metric: str, days: list[date], label: str | None = None):
    """The metric's (count, total) for each day, all labels or one."""
    found = {day: performance.Aggregate() for day in days}
    for (m, lab, day), aggregate in data.daily.items():
        if m == metric and day in found and (label is None or lab == label):
            found[day].merge(aggregate)
    return [found[day] for day in days]


def _window_days(now: datetime) -> list[date]:
    today = start_of_business_day(now).date()
    return [today - timedelta(days=n) for n in range(PERFORMANCE_DAYS - 1, -1, -1)]


@dataclass(frozen=True)
class TierRate:
    tier: str
    seconds: int
    kept: str  # "30 s", "5 min", "1 h"
    hits: int
    misses: int
    hit_rate: float | None  # percent
    today_hits: int
    today_misses: int


def cache_hit_rates(data: PerformanceData, *, now: datetime | None = None) -> list[TierRate]:
    """Hits and misses of each cache tier, over the window and today."""
    today = start_of_business_day(now or timezone.now()).date()
    hits = _daily_totals(data, performance.CACHE_HIT)
    misses = _daily_totals(data, performance.CACHE_MISS)
    rates = []
    for tier in tiers.TIERS:
        hit = hits.get(tier.name, performance.Aggregate()).count
        miss = misses.get(tier.name, performance.Aggregate()).count
        rates.append(
            TierRate(
                tier=tier.name,
                seconds=tier.seconds,
                kept=(
                    f"{tier.seconds} s"
                    if tier.seconds < 60
                    else f"{tier.seconds // 60} min"
                    if tier.seconds < 3600
                    else f"{tier.seconds // 3600} h"
                ),
                hits=hit,
                misses=miss,
                hit_rate=round(100 * hit / (hit + miss), 1) if hit + miss else None,
                today_hits=data.daily.get(
                    (performance.CACHE_HIT, tier.name, today), performance.Aggregate()
                ).count,
                today_misses=data.daily.get(
                    (performance.CACHE_MISS, tier.name, today), performance.Aggregate()
                ).count,
            )
        )
    return rates


# Why the offline engine answered (leads.intelligence.engine), in words.
OFFLINE_REASONS = {
    "no_api_key": "no API key",
    "timeout": "Claude timed out",
    "connection_error": "no connection",
    "api_error": "Claude's API refused",
    "sdk_error": "SDK error",
    "invalid_output": "unusable output",
    "invalid_reply": "reply failed the checks",
    "error": "other error",
}


PAID_FALLBACKS = {"invalid_reply", "invalid_output"}  # Claude answered, and was paid


@dataclass(frozen=True)
class AiUsage:
    days: list[date]
    input_tokens: list[int]
    output_tokens: list[int]
    cache_read_tokens: list[int]
    cost_usd: list[float]
    calls: int
    total_cost_usd: float
    cache_saved_usd: float
    claude_replies: int
    average_reply_cost_usd: float | None  # over the window's Claude replies
    offline_replies: list[tuple[str, int]]  # (reason in words, how many), most first
    offline_saved_usd: float | None  # unpaid offline replies × the average Claude reply's cost

    @property
    def offline_total(self) -> int:
        return sum(n for _, n in self.offline_replies)


def ai_usage(data: PerformanceData, *, now: datetime | None = None) -> AiUsage:
    """Claude's tokens and cost per day, and what prompt caching and the offline engine saved."""
    days = _window_days(now or timezone.now())
    costs = _per_day(data, performance.AI_COST_USD, days)
    replies = _daily_totals(data, performance.AI_COST_USD).get("reply", performance.Aggregate())
    average = replies.total / replies.count if replies.count else None
    # A reply Claude wrote and the checks refused was paid for: it saved nothing.
    free = sum(
        aggregate.count
        for label, aggregate in _daily_totals(data, performance.AI_OFFLINE_REPLY).items()
        if label not in PAID_FALLBACKS
    )
    offline = sorted(
        (
            (OFFLINE_REASONS.get(label, label.replace("_", " ")), aggregate.count)
            for label, aggregate in _daily_totals(data, performance.AI_OFFLINE_REPLY).items()
        ),
        key=lambda item: (-item[1], item[0]),
    )
    return AiUsage(
        days=days,
        input_tokens=[int(a.total) for a in _per_day(data, performance.AI_INPUT_TOKENS, days)],
        output_tokens=[int(a.total) for a in _per_day(data, performance.AI_OUTPUT_TOKENS, days)],
        cache_read_tokens=[
            int(a.total) for a in _per_day(data, performance.AI_CACHE_READ_TOKENS, days)
        ],
        cost_usd=[a.total for a in costs],
        calls=sum(a.count for a in costs),
        total_cost_usd=sum(a.total for a in costs),
        cache_saved_usd=sum(a.total for a in _per_day(data, performance.AI_CACHE_SAVED_USD, days)),
        claude_replies=replies.count,
        average_reply_cost_usd=average,
        offline_replies=offline,
        offline_saved_usd=free * average if average is not None else None,
    )


@dataclass(frozen=True)
class CostlyConversation:
    conversation_id: int
    contact_name: str
    bot: str
    cost_usd: Decimal


@dataclass(frozen=True)
class AiCostPerConversation:
    conversations: int  # active (changed) in the window
    total_cost_usd: Decimal
    costliest: list[CostlyConversation]
    models: list  # leads.intelligence.mesh.ModelHealth, when the agent mesh is on
    mesh_enabled: bool

    @property
    def average_usd(self) -> Decimal | None:
        return self.total_cost_usd / self.conversations if self.conversations else None


def ai_cost_per_conversation(*, now: datetime | None = None, top: int = 5) -> AiCostPerConversation:
    """What Claude cost per conversation active in the window (a message in or out since its
    start; all its calls, ``Conversation.ai_cost_usd``), the costliest ones, and each routed
    model's health."""
    from leads.intelligence import mesh

    since = start_of_business_day(now or timezone.now()) - timedelta(days=PERFORMANCE_DAYS - 1)
    # The window's conversations from the conv_last_activity index, not every conversation.
    active = Conversation.objects.alias(moved=last_activity()).filter(moved__gte=since)
    totals = active.aggregate(n=Count("id"), cost=Sum("ai_cost_usd"))
    costliest = [
        CostlyConversation(
            conversation_id=c.pk, contact_name=str(c.contact), bot=c.bot, cost_usd=c.ai_cost_usd
        )
        for c in active.filter(ai_cost_usd__gt=0)
        .select_related("contact")
        .order_by("-ai_cost_usd", "-pk")[:top]
    ]
    enabled = mesh.mesh_enabled()
    return AiCostPerConversation(
        conversations=totals["n"],
        total_cost_usd=totals["cost"] or Decimal(0),
        costliest=costliest,
        models=[mesh.health(model) for model in mesh.models_in_routes()] if enabled else [],
        mesh_enabled=enabled,
    )


@dataclass(frozen=True)
class ReplyTimes:
    bars: list[tuple[str, int]]
    count: int
    p50: float | None  # seconds
    p95: float | None
    by_bot: list[LatencyLine]  # seconds


def reply_times(data: PerformanceData) -> ReplyTimes:
    """How long leads waited for the bot's reply over the window, as bars and percentiles."""
    per_bot = _daily_totals(data, performance.BOT_REPLY_TIME)
    merged = _merged(per_bot.values())
    bars = []
    for name, low, high in REPLY_TIME_BARS:
        # A bin counts where its read-back value falls (within 4.9 % of the samples in it).
        seconds = {index: performance.bin_value(index) / 1000 for index in merged.histogram}
        bars.append(
            (
                name,
                sum(
                    n
                    for index, n in merged.histogram.items()
                    if seconds[index] >= low and (high is None or seconds[index] < high)
                ),
            )
        )

    def in_seconds(value):
        return None if value is None else value / 1000

    return ReplyTimes(
        bars=bars,
        count=merged.count,
        p50=in_seconds(performance.percentile(merged.histogram, 0.5)),
        p95=in_seconds(performance.percentile(merged.histogram, 0.95)),
        by_bot=[
            LatencyLine(
                bot,
                aggregate.count,
                in_seconds(performance.percentile(aggregate.histogram, 0.5)),
                in_seconds(performance.percentile(aggregate.histogram, 0.95)),
            )
            for bot, aggregate in sorted(per_bot.items())
        ],
    )


WEBHOOK_OUTCOMES = [
    ("accepted", "Accepted"),
    ("duplicate", "Duplicate"),
    ("not_handled", "Not handled (type we ignore)"),
    ("other_location", "Another location's (kept, not applied)"),
    ("unprocessable", "Unprocessable (authentic, kept, not read)"),
    ("rejected", "Rejected (not authentic)"),
    ("rate_limited", "Rejections over the limit (429, not kept)"),
    ("invalid", "Invalid (refused with 4xx)"),
    ("unavailable", "Storage unavailable (429)"),
]


@dataclass(frozen=True)
class OutcomeSeries:
    key: str
    label: str
    per_day: list[int]
    total: int


@dataclass(frozen=True)
class WebhookOutcomes:
    days: list[date]
    per_outcome: list[OutcomeSeries]
    processed: list[tuple[str, int]]  # (status label, count) over the window
    total: int


def webhook_outcomes(data: PerformanceData, *, now: datetime | None = None) -> WebhookOutcomes:
    """Webhook deliveries per day by what the endpoint did, and how processing ended."""
    days = _window_days(now or timezone.now())
    known = dict(WEBHOOK_OUTCOMES)
    seen = {label for (m, label, _) in data.daily if m == performance.WEBHOOK_RECEIVED}
    per_outcome = []
    for key in [key for key, _ in WEBHOOK_OUTCOMES] + sorted(seen - set(known)):
        if key in seen:
            counts = [a.count for a in _per_day(data, performance.WEBHOOK_RECEIVED, days, key)]
            per_outcome.append(OutcomeSeries(key, known.get(key, key), counts, sum(counts)))
    statuses = dict(WebhookEvent.Status.choices)
    processed = [
        (statuses.get(status, status), aggregate.count)
        for status, aggregate in sorted(
            _daily_totals(data, performance.WEBHOOK_PROCESSED).items(),
            key=lambda item: -item[1].count,
        )
    ]
    return WebhookOutcomes(
        days=days,
        per_outcome=per_outcome,
        processed=processed,
        total=sum(series.total for series in per_outcome),
    )
