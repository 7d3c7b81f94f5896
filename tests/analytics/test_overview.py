"""The overview: what each tile, the feed and the charts say, and what they cost in queries."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import selectors
from leads.models import Conversation, Deal, Message
from tests.compliance.factories import ComplianceTicketFactory
from tests.leads.factories import (
    ContactFactory,
    ConversationFactory,
    DealFactory,
    EscalationTicketFactory,
    MessageFactory,
)
from tests.sellers.factories import CMAReportFactory

pytestmark = pytest.mark.django_db

# 10:00 in California on June 10th (17:00 UTC): "today" began at 07:00 UTC.
NOW = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)
PACIFIC_MIDNIGHT = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def conversation_answered_in(seconds, *, created=NOW - timedelta(days=1), **fields):
    return ConversationFactory(
        created_at=created,
        first_response_seconds=seconds,
        last_inbound_at=created,
        last_outbound_at=created + timedelta(seconds=seconds),
        **fields,
    )


def test_new_leads_today_counts_from_midnight_in_jorges_time_zone(now):
    ContactFactory(created_at=PACIFIC_MIDNIGHT + timedelta(minutes=1))
    ContactFactory(created_at=NOW - timedelta(minutes=5))
    ContactFactory(created_at=PACIFIC_MIDNIGHT - timedelta(minutes=1))  # 23:59 yesterday there

    assert selectors.overview_kpis().new_leads_today == 2


def test_hot_leads_are_the_contacts_scored_hot_now(now):
    ContactFactory.create_batch(3, temperature="hot")
    ContactFactory(temperature="warm")

    assert selectors.overview_kpis().hot_leads == 3


def test_first_response_median_and_p95_over_the_last_30_days(now):
    for seconds in [4, 6, 8, 10, 12, 14, 16, 18, 20, 600]:
        conversation_answered_in(seconds)
    conversation_answered_in(9000, created=NOW - timedelta(days=31))  # outside the window

    kpis = selectors.overview_kpis()

    assert kpis.first_response_median == 12  # nearest rank: the 5th of 10
    assert kpis.first_response_p95 == 600


def test_five_minute_rule_counts_a_lead_still_waiting_past_five_minutes_as_a_miss(now):
    conversation_answered_in(30)
    conversation_answered_in(299)
    conversation_answered_in(301)
    ConversationFactory(  # nobody answered yet, 20 minutes on: already a miss
        created_at=NOW - timedelta(minutes=20), last_inbound_at=NOW - timedelta(minutes=20)
    )
    ConversationFactory(  # waiting two minutes: not counted yet
        created_at=NOW - timedelta(minutes=2), last_inbound_at=NOW - timedelta(minutes=2)
    )

    kpis = selectors.overview_kpis()

    assert kpis.five_minute_answered == 4
    assert kpis.five_minute_rate == 50.0


def test_with_no_conversations_the_response_tiles_say_so_instead_of_zero(dashboard_client, now):
    html = dashboard_client.get(reverse("dashboard:overview-kpis")).content.decode()

    kpis = selectors.overview_kpis()
    assert kpis.first_response_median is None and kpis.five_minute_rate is None
    assert 'data-kpi="first_response_median">—<' in html


def test_active_conversations_are_active_ones_with_a_message_this_week(now):
    ConversationFactory(last_inbound_at=NOW - timedelta(days=2))
    ConversationFactory(last_outbound_at=NOW - timedelta(days=6))
    ConversationFactory(last_inbound_at=NOW - timedelta(days=9))
    ConversationFactory(last_inbound_at=NOW - timedelta(hours=1), status=Conversation.Status.PAUSED)

    assert selectors.overview_kpis().active_conversations == 2


def test_open_tickets_add_escalation_and_compliance_and_count_the_overdue(now):
    EscalationTicketFactory(due_at=NOW - timedelta(minutes=5))
    EscalationTicketFactory(due_at=NOW + timedelta(minutes=30))
    EscalationTicketFactory(status="resolved", resolved_at=NOW, due_at=NOW - timedelta(days=1))
    ComplianceTicketFactory(due_at=NOW - timedelta(hours=1))

    kpis = selectors.overview_kpis()

    assert (kpis.open_tickets, kpis.overdue_tickets) == (3, 2)
    assert (kpis.open_escalations, kpis.open_compliance) == (2, 1)


def test_pipeline_value_sums_open_deals_and_projected_commission_counts_this_month(now):
    # Commission under the business rules (analytics.rules): 6% of the price, Jorge's side's
    # half, 80% of that after the brokerage split; open deals weighted by their stage's odds.
    DealFactory(stage=Deal.Stage.ACTIVE, value=500_000)  # expected in about 60 days
    DealFactory(
        stage=Deal.Stage.UNDER_CONTRACT,
        value=700_000,
        expected_close_on=date(2026, 6, 25),
    )  # 16,800 × 90% = 15,120 this month
    DealFactory(
        stage=Deal.Stage.CLOSED_WON,
        value=400_000,
        commission_percent_override=Decimal("5"),
        closed_at=datetime(2026, 6, 2, 18, 0, tzinfo=UTC),
    )  # 400k × 5% ÷ 2 × 80% = 8,000
    DealFactory(  # won last month: not this month's
        stage=Deal.Stage.CLOSED_WON, value=900_000, closed_at=datetime(2026, 5, 28, tzinfo=UTC)
    )
    DealFactory(stage=Deal.Stage.CLOSED_LOST, value=300_000)

    kpis = selectors.overview_kpis()

    assert kpis.pipeline_value == Decimal(1_200_000)
    assert kpis.open_deals == 2
    assert kpis.projected_commission == Decimal(15_120 + 8_000)


def test_the_tiles_show_formatted_figures(dashboard_client, now):
    DealFactory(stage=Deal.Stage.ACTIVE, value=21_370_000)
    ContactFactory(created_at=NOW, temperature="hot")

    html = dashboard_client.get(reverse("dashboard:overview-kpis")).content.decode()

    assert "$21.37M" in html and 'title="$21,370,000"' in html
    assert 'data-kpi="hot_leads" data-value="1"' in html


def test_the_overview_page_renders_skeletons_and_points_each_section_at_its_partial(
    dashboard_client,
):
    html = dashboard_client.get(reverse("dashboard:overview")).content.decode()

    for name in ["overview-kpis", "overview-activity", "overview-charts"]:
        assert f'hx-get="{reverse(f"dashboard:{name}")}"' in html
    assert html.count('class="skeleton') >= 3
    assert "/static/vendor/plotly/plotly.min.js" in html


def test_the_feed_puts_the_newest_first_across_kinds_with_links_to_the_admin(now):
    lead = ContactFactory(first_name="Ana", last_name="Ruiz", created_at=NOW - timedelta(hours=3))
    message = MessageFactory(
        conversation=ConversationFactory(contact=lead),
        body="Can we talk tomorrow?",
        created_at=NOW - timedelta(hours=1),
    )
    ticket = EscalationTicketFactory(
        conversation=message.conversation, created_at=NOW - timedelta(minutes=30)
    )
    report = CMAReportFactory(
        contact=lead, status="ready", generated_at=NOW - timedelta(minutes=10)
    )

    items = selectors.recent_activity()

    assert [item.kind for item in items[:4]] == ["cma", "ticket", "message", "lead"]
    assert items[2].text == "Ana Ruiz wrote" and items[2].detail == "Can we talk tomorrow?"
    assert items[1].url == reverse("admin:leads_escalationticket_change", args=[ticket.pk])
    assert items[0].url == reverse("admin:sellers_cmareport_change", args=[report.pk])


def test_the_feed_leaves_out_the_bots_own_messages(now):
    MessageFactory(
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        status=Message.Status.SENT,
        body="Hi! This is Jorge's assistant.",
    )

    assert [item.kind for item in selectors.recent_activity()] == ["lead"]


def test_the_charts_count_leads_by_temperature_source_language_and_day(now):
    ContactFactory.create_batch(
        3, temperature="hot", source="Zillow", language="es", created_at=NOW
    )
    ContactFactory(temperature="cold", source="", created_at=NOW - timedelta(days=2))
    ContactFactory(created_at=NOW - timedelta(days=45))  # before the per-day window

    charts = selectors.lead_charts()

    assert charts.by_temperature == [("Hot", 3), ("Warm", 0), ("Cold", 2)]
    assert charts.by_source == [("Zillow", 3), ("Unknown", 2)]
    assert dict(charts.by_language) == {"English": 2, "Spanish": 3}
    assert len(charts.per_day) == 30
    assert charts.per_day[-1] == (NOW.date(), 3)
    assert charts.per_day[-3][1] == 1 and charts.per_day[-2][1] == 0


def test_each_lead_counts_on_its_local_day_from_midnight_to_the_last_second(now):
    """Every day of the window, with leads at its first and last second in the business's
    time zone: each is counted on its own day, once."""
    tz = selectors.business_timezone()
    today = NOW.astimezone(tz).date()
    days = [today - timedelta(days=n) for n in range(29, -1, -1)]
    for n, day in enumerate(days):
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=tz)
        ContactFactory.create_batch(n % 3 + 1, created_at=midnight)
        if day != today:  # today's last second is still to come
            ContactFactory(created_at=midnight + timedelta(days=1, seconds=-1))
    first = datetime.combine(days[0], datetime.min.time(), tzinfo=tz)
    ContactFactory(created_at=first - timedelta(seconds=1))  # the day before the window

    per_day = selectors.lead_charts().per_day

    assert [day for day, _ in per_day] == days
    assert [n for _, n in per_day] == [n % 3 + 1 + (day != today) for n, day in enumerate(days)]


def test_sources_past_the_top_seven_are_summed_as_other(now):
    for n in range(9):
        ContactFactory.create_batch(9 - n, source=f"Source {n}")

    by_source = selectors.lead_charts().by_source

    assert len(by_source) == 8
    assert by_source[-1] == ("Other", 2 + 1)


def _seed(n):
    for i in range(n):
        contact = ContactFactory(temperature=["hot", "warm", "cold"][i % 3], created_at=NOW)
        conversation = conversation_answered_in(5 + i, contact=contact)
        MessageFactory(conversation=conversation)
        EscalationTicketFactory(conversation=conversation)
        ComplianceTicketFactory(conversation=conversation)
        DealFactory(contact=contact, stage=Deal.Stage.CLOSED_WON, closed_at=NOW)
        CMAReportFactory(contact=contact, status="ready", generated_at=NOW)


@pytest.mark.parametrize("rows", [2, 20])
def test_each_section_costs_the_same_few_queries_however_many_rows(
    dashboard_client, django_assert_max_num_queries, now, rows
):
    _seed(rows)
    selectors.current_rules()  # the business rules: read once a minute at most (cached)
    # session + user + the reviewers check, then the section's own reads
    budget = {
        "overview": 3,
        "overview-kpis": 3 + 9,
        "overview-activity": 3 + 7,
        "overview-charts": 3 + 2,
    }

    for name, queries in budget.items():
        with django_assert_max_num_queries(queries):
            response = dashboard_client.get(reverse(f"dashboard:{name}"))
        assert response.status_code == 200


def test_the_tiles_count_through_indexes_not_by_reading_every_lead_or_conversation(now):
    """New leads today from the created_at index, hot leads from the tallies, the active
    conversations and the five-minute rule's misses each from the index of its window: a
    cache miss of the tiles does not read the contact or conversation table as it grows."""
    _seed(3)
    with CaptureQueriesContext(connection) as captured:
        kpis = selectors.overview_kpis(now=now)
    assert kpis.hot_leads == 1

    tables = ("leads_contact", "leads_conversation")
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if any(f'FROM "{table}"' in q["sql"] for table in tables)
    ]
    assert len(reads) == 4  # today's leads; response times; misses; active
    for sql in reads:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute(f"EXPLAIN {sql}")
                plan = [row[0] for row in cursor.fetchall()]
                assert not any(f"Seq Scan on {t}" in line for line in plan for t in tables), plan
                # Which plan shape the planner picks depends on its statistics (a bitmap scan
                # once it has some): read the bitmap plan as well as the one it chose.
                cursor.execute("SET LOCAL enable_indexscan = off")
                cursor.execute("SET LOCAL enable_indexonlyscan = off")
                cursor.execute(f"EXPLAIN {sql}")
                plan += [row[0] for row in cursor.fetchall()]
                # The contact table's indexes a line uses ("Index Scan using x on leads_contact",
                # "Bitmap Index Scan on x"): a bitmap scan names its index on a line of its own.
                contact_reads = [
                    f"{line} (index {name})"
                    for line in plan
                    for name in re.findall(r"(?:using|Bitmap Index Scan on) (\w+)", line)
                    if name.startswith(("contact", "leads_contact"))
                ]
                assert contact_reads or "leads_contact" not in " ".join(plan), plan
            else:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                plan = [row[-1].strip() for row in cursor.fetchall()]
                # A bare "SCAN x" reads a whole table (x may be a subquery's alias, U0).
                assert not any(re.fullmatch(r"SCAN \w+", line) for line in plan), plan
                contact_reads = [line for line in plan if re.search(r"leads_contact|U0", line)]
            if sql.split(" FROM ", 1)[1].startswith('"leads_conversation"'):
                # A conversation's contact is checked for "test" through the few test
                # contacts' own index, not by reading (or joining) every contact.
                assert all("contact_test" in line for line in contact_reads), "\n".join(plan)
