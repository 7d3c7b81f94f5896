"""The PerformanceTracker, its flush into PerformanceBucket, the three cache tiers and the
Performance page, with real samples: requests, a signed webhook played through the bot
(Claude faked at its HTTP transport), HighLevel's outbox."""

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import reverse

from analytics import cache as tiers
from analytics import selectors
from analytics.models import PerformanceBucket
from analytics.services import broadcast_dashboard_event, save_performance_samples
from config import performance
from config.performance import PerformanceTracker, percentile
from leads.permissions import REVIEWERS_GROUP
from tests.analytics.processes import process_env
from tests.factories import UserFactory
from tests.leads.claude_fake import analysis_answer, reply_answer
from tests.leads.factories import ContactFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
NOON = datetime(2026, 6, 10, 12, 0, tzinfo=UTC).timestamp()
SECTIONS = [
    "performance-latency",
    "performance-cache",
    "performance-ai",
    "performance-ai-cost",
    "performance-reply-times",
    "performance-webhooks",
]


@pytest.fixture(autouse=True)
def empty_tracker():
    """The process's tracker starts each test with nothing pending (tests never flush by
    themselves: PERFORMANCE_FLUSH_SECONDS = 0)."""
    performance.tracker.reset()
    yield performance.tracker
    performance.tracker.reset()


# --- The tracker ------------------------------------------------------------------------------


def test_percentiles_of_the_histogram_are_within_the_stated_error():
    tracker = PerformanceTracker(clock=lambda: NOON)
    for ms in range(1, 1001):  # 1 … 1000 ms
        tracker.observe("x.latency", float(ms), "a")

    (aggregate,) = tracker.pending().values()

    assert aggregate.count == 1000 and aggregate.total == sum(range(1, 1001))
    error = performance.RATIO**0.5 - 1
    assert abs(percentile(aggregate.histogram, 0.5) - 500) <= 500 * error
    assert abs(percentile(aggregate.histogram, 0.95) - 950) <= 950 * error


def test_samples_of_different_hours_and_labels_stay_apart():
    now = [NOON]
    tracker = PerformanceTracker(clock=lambda: now[0])
    tracker.count(performance.CACHE_HIT, "live")
    tracker.count(performance.CACHE_HIT, "charts", n=3)
    now[0] += 3600
    tracker.count(performance.CACHE_HIT, "live")

    pending = tracker.pending()

    assert sorted((label, a.count) for (_, label, _), a in pending.items()) == [
        ("charts", 3),
        ("live", 1),
        ("live", 1),
    ]


def test_two_flushes_of_the_same_hour_merge_into_one_row():
    tracker = PerformanceTracker(clock=lambda: NOON)
    tracker.sink = save_performance_samples
    tracker.observe(performance.GHL_LATENCY, 100.0, "send_message")
    tracker.add(performance.AI_COST_USD, 0.25, "reply")
    assert tracker.flush() == 2

    tracker.observe(performance.GHL_LATENCY, 100.0, "send_message")
    tracker.observe(performance.GHL_LATENCY, 900.0, "send_message")
    tracker.add(performance.AI_COST_USD, 0.5, "reply")
    tracker.flush()

    latency = PerformanceBucket.objects.get(metric=performance.GHL_LATENCY)
    assert latency.hour == datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    assert (latency.count, latency.total) == (3, 1100.0)
    histogram = {int(index): n for index, n in latency.histogram.items()}
    assert sum(histogram.values()) == 3
    assert percentile(histogram, 0.5) == pytest.approx(100, rel=0.05)
    assert percentile(histogram, 0.95) == pytest.approx(900, rel=0.05)
    cost = PerformanceBucket.objects.get(metric=performance.AI_COST_USD)
    assert (cost.count, cost.total) == (2, 0.75)
    assert tracker.pending() == {}


def test_a_failed_flush_keeps_the_samples_for_the_next_one():
    tracker = PerformanceTracker(clock=lambda: NOON)

    def database_away(samples):
        raise ConnectionError("the database went away")

    tracker.sink = database_away
    tracker.count(performance.WEBHOOK_RECEIVED, "accepted", n=2)
    assert tracker.flush() == 0

    tracker.sink = save_performance_samples
    tracker.count(performance.WEBHOOK_RECEIVED, "accepted")
    tracker.flush()

    assert PerformanceBucket.objects.get(metric=performance.WEBHOOK_RECEIVED).count == 3


# --- Nothing on the request path -------------------------------------------------------------


def _without_tracking(settings_fixture):
    settings_fixture.MIDDLEWARE = [
        name for name in settings.MIDDLEWARE if name != "config.performance.PerformanceMiddleware"
    ]


def test_tracking_a_page_adds_no_query(
    dashboard_client,
    settings,
    django_assert_num_queries,
    django_assert_max_num_queries,
    empty_tracker,
):
    url = reverse("dashboard:overview-kpis")
    dashboard_client.get(url)  # rows made on first use (the business settings) made once
    _without_tracking(settings)
    tiers.invalidate_everything()
    with django_assert_max_num_queries(1000) as untracked:
        dashboard_client.get(url)

    settings.MIDDLEWARE = [*settings.MIDDLEWARE]
    settings.MIDDLEWARE.insert(0, "config.performance.PerformanceMiddleware")
    tiers.invalidate_everything()
    empty_tracker.reset()
    with django_assert_num_queries(len(untracked.captured_queries)):
        assert dashboard_client.get(url).status_code == 200

    timed = empty_tracker.pending()
    statements = sum(a.count for (m, _, _), a in timed.items() if m == performance.DB_LATENCY)
    assert statements == len(untracked.captured_queries)
    assert any(m == performance.CACHE_MISS for (m, _, _) in timed)


def test_tracking_a_webhook_through_the_bot_adds_no_query(
    business_hours,
    ghl,
    settings,
    django_assert_num_queries,
    django_assert_max_num_queries,
    empty_tracker,
):
    def deliver(n):
        return ghl.post(
            {
                "type": "InboundMessage",
                "locationId": "loc",
                "contactId": f"c-{n}",
                "conversationId": f"v-{n}",
                "messageId": f"m-{n}",
                "messageType": "SMS",
                "direction": "inbound",
                "body": "Hi, I want to buy a house in Riverside",
                "dateAdded": "2026-06-10T12:00:00Z",
            }
        )

    for n in (0, 1, 2):
        ContactFactory(ghl_contact_id=f"c-{n}", ghl_location_id="loc", first_name="Sam")
    deliver(0)  # rows made on first use (the bot settings) made once
    _without_tracking(settings)
    with django_assert_max_num_queries(1000) as untracked:
        assert deliver(1).status_code == 200

    settings.MIDDLEWARE = ["config.performance.PerformanceMiddleware", *settings.MIDDLEWARE]
    empty_tracker.reset()
    with django_assert_num_queries(len(untracked.captured_queries)):
        assert deliver(2).status_code == 200

    recorded = {(metric, label) for metric, label, _ in empty_tracker.pending()}
    assert (performance.WEBHOOK_RECEIVED, "accepted") in recorded
    assert (performance.WEBHOOK_PROCESSED, "processed") in recorded
    assert (performance.AI_OFFLINE_REPLY, "no_api_key") in recorded
    assert (performance.GHL_LATENCY, "send_message") in recorded
    assert any(metric == performance.BOT_REPLY_TIME for metric, _ in recorded)


# --- The cache tiers -------------------------------------------------------------------------


def test_a_tier_counts_a_miss_then_hits(empty_tracker):
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    values = [tiers.CHARTS.get_or_set("k", compute, topics=(tiers.LEADS,)) for _ in range(3)]

    assert values == [1, 1, 1]
    pending = {(m, label): a.count for (m, label, _), a in empty_tracker.pending().items()}
    assert pending[(performance.CACHE_MISS, "charts")] == 1
    assert pending[(performance.CACHE_HIT, "charts")] == 2
    assert pending[(performance.CACHE_LATENCY, "charts")] == 3


def test_an_event_makes_the_next_read_of_what_it_changed_fresh_and_leaves_the_rest(
    django_capture_on_commit_callbacks,
):
    ContactFactory.create_batch(2)
    assert selectors.overview_kpis().new_leads_today == 2
    before_charts = selectors.lead_charts()
    commission = selectors.commission_overview()

    ContactFactory()  # written without an event: the tiles keep what they had
    assert selectors.overview_kpis().new_leads_today == 2
    with django_capture_on_commit_callbacks(execute=True):
        broadcast_dashboard_event(kind="lead.new", data={"contact": 0})

    assert selectors.overview_kpis().new_leads_today == 3
    assert sum(n for _, n in selectors.lead_charts().by_temperature) == 3
    assert sum(n for _, n in before_charts.by_temperature) == 2
    assert selectors.commission_overview() == commission  # a lead event changes no deal


def test_a_change_of_the_business_rules_is_read_at_once(
    staff_user, django_capture_on_commit_callbacks
):
    from analytics.services import update_business_settings

    row = selectors.business_settings()
    before = selectors.current_rules()
    row.yearly_goal = before.yearly_goal + 1000
    with django_capture_on_commit_callbacks(execute=True):
        update_business_settings(settings_row=row, changed=["yearly_goal"], user=staff_user)

    assert selectors.current_rules().yearly_goal == before.yearly_goal + 1000


def test_another_process_invalidates_what_this_one_cached(transactional_db):
    """The server caches; simulate_inbound (another process) sends the event: the versions
    live in the channel layer's shared file, or in Redis, so the server's next read misses."""
    calls = []
    tiers.CHARTS.get_or_set("shared", lambda: calls.append(1), topics=(tiers.DEALS,))
    tiers.CHARTS.get_or_set("shared", lambda: calls.append(1), topics=(tiers.DEALS,))
    assert len(calls) == 1

    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from analytics import cache; cache.invalidate_for_event('deal.stage_changed')",
        ],
        cwd=ROOT,
        env=process_env(),
        check=True,
        timeout=60,
    )

    tiers.CHARTS.get_or_set("shared", lambda: calls.append(1), topics=(tiers.DEALS,))
    assert len(calls) == 2


# --- The page -------------------------------------------------------------------------------


@pytest.fixture
def reviewer_client(client):
    maria = UserFactory(username="maria", is_staff=True)
    maria.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    client.force_login(maria)
    return client


@pytest.mark.parametrize("section", SECTIONS)
def test_reviewers_are_sent_to_the_tickets_from_every_section(reviewer_client, section):
    response = reviewer_client.get(reverse(f"dashboard:{section}"))

    assert response.status_code == 302 and response.url == reverse("dashboard:tickets")


def test_the_page_shows_a_skeleton_for_each_section(dashboard_client):
    html = dashboard_client.get(reverse("dashboard:performance")).content.decode()

    for section in SECTIONS:
        assert f'hx-get="{reverse(f"dashboard:{section}")}"' in html
    assert html.count("data-section") == len(SECTIONS)
    assert "vendor/plotly/plotly.min.js" in html


def test_an_empty_page_says_what_will_appear(dashboard_client):
    ai = dashboard_client.get(reverse("dashboard:performance-ai")).content.decode()
    replies = dashboard_client.get(reverse("dashboard:performance-reply-times")).content.decode()
    hooks = dashboard_client.get(reverse("dashboard:performance-webhooks")).content.decode()

    assert "No call to Claude in the last 14 days" in ai
    assert "No bot reply sent in the last 14 days" in replies
    assert "No webhook from HighLevel in the last 14 days" in hooks


@pytest.fixture
def traffic(business_hours, ghl, fake_claude, empty_tracker):
    """Two leads text through the signed webhook; Claude analyses and words one reply each
    (the second with 800 tokens read from the prompt cache); the samples are flushed."""
    lukewarm = {
        "pre_approved": None,
        "timeline": "unknown",
        "budget": {"min": None, "max": None},
        "reasons": [],
    }
    fake_claude.answer(
        analysis_answer(**lukewarm),
        reply_answer("Hi Sam! I'm Jorge's assistant. What area are you looking in?"),
        analysis_answer(**lukewarm),
        reply_answer(
            "Hi Ana! I'm Jorge's assistant. What area are you looking in?", cache_read=800
        ),
    )
    for n, name in ((1, "Sam"), (2, "Ana")):
        ContactFactory(ghl_contact_id=f"c-{n}", ghl_location_id="loc", first_name=name)
        response = ghl.post(
            {
                "type": "InboundMessage",
                "locationId": "loc",
                "contactId": f"c-{n}",
                "conversationId": f"v-{n}",
                "messageId": f"m-{n}",
                "messageType": "SMS",
                "direction": "inbound",
                "body": "Hi, I want to buy a house in Riverside",
                "dateAdded": "2026-06-10T12:00:00Z",
            }
        )
        assert response.status_code == 200
    ghl.post({"type": "InboundMessage", "locationId": "loc"}, scheme=None)  # a forgery
    empty_tracker.flush()
    return empty_tracker


def test_the_sections_show_the_real_figures(dashboard_client, traffic):
    latency = dashboard_client.get(reverse("dashboard:performance-latency")).content.decode()
    cache = dashboard_client.get(reverse("dashboard:performance-cache")).content.decode()
    ai = dashboard_client.get(reverse("dashboard:performance-ai")).content.decode()
    replies = dashboard_client.get(reverse("dashboard:performance-reply-times")).content.decode()
    hooks = dashboard_client.get(reverse("dashboard:performance-webhooks")).content.decode()

    for metric in ("ai.latency", "ghl.latency", "db.latency"):
        assert f'data-latency="{metric}-p50"' in latency
    assert "claude-sonnet-4-6" in latency and "send_message" in latency
    # The section's own read of the HISTORY tier is a miss, then a hit.
    assert 'data-hit-rate="history"' in cache
    # Two analyses and two replies: (900 in × $1 or $3 + 60 out × $5 or $15) per million;
    # the cache-read 800 tokens of the second reply saved 800 × ($3 − $0.30) per million.
    cost = 2 * (900 * 1 + 60 * 5) / 1e6 + 2 * (900 * 3 + 60 * 15) / 1e6 + 800 * 0.30 / 1e6
    assert f'data-ai="cost">${cost:.4f}<' in ai
    assert f'data-ai="cache-saved">${800 * 2.70 / 1e6:.4f}<' in ai
    assert "4 calls" in ai
    assert "2 replies" in replies
    assert 'data-outcome="accepted"' in hooks and 'data-outcome="rejected"' in hooks
    assert "Processed" in hooks


def test_the_cost_per_conversation_adds_up_every_call_of_each_conversation(
    dashboard_client, traffic
):
    html = dashboard_client.get(reverse("dashboard:performance-ai-cost")).content.decode()

    # Each conversation: one analysis (Haiku) and one reply (Sonnet); the second's reply read
    # 800 tokens from the prompt cache at $0.30 per million.
    first = (900 * 1 + 60 * 5) / 1e6 + (900 * 3 + 60 * 15) / 1e6
    second = first + 800 * 0.30 / 1e6
    assert f'data-ai-cost="average">${(first + second) / 2:.4f}<' in html
    assert 'data-ai-cost="conversations">2<' in html
    rows = html.split('data-ai-cost="conversation">')[1:]
    assert [row.split("<")[0] for row in rows] == [f"${second:.4f}", f"${first:.4f}"]


def test_with_the_agent_mesh_on_each_models_health_is_shown(dashboard_client, settings):
    from leads.intelligence import mesh

    settings.ENABLE_AGENT_MESH = True
    mesh.record_call("claude-sonnet-4-6", ok=True, latency_ms=800)
    mesh.record_call("claude-sonnet-4-6", ok=False, latency_ms=400)

    html = dashboard_client.get(reverse("dashboard:performance-ai-cost")).content.decode()

    assert 'data-error-rate="claude-sonnet-4-6">50%<' in html
    assert 'data-breaker="claude-haiku-4-5">closed<' in html
    assert "No conversation cost anything in the last 14 days" in html


def test_the_offline_engine_saving_is_priced_at_the_average_claude_reply(
    dashboard_client, traffic, ghl, settings
):
    settings.ANTHROPIC_API_KEY = ""  # the next lead is answered by the offline engine
    ContactFactory(ghl_contact_id="c-3", ghl_location_id="loc", first_name="Lu")
    ghl.post(
        {
            "type": "InboundMessage",
            "locationId": "loc",
            "contactId": "c-3",
            "conversationId": "v-3",
            "messageId": "m-3",
            "messageType": "SMS",
            "direction": "inbound",
            "body": "Hi, I want to buy a house",
            "dateAdded": "2026-06-10T12:00:00Z",
        }
    )
    performance.tracker.flush()

    ai = dashboard_client.get(reverse("dashboard:performance-ai")).content.decode()

    average = ((900 * 3 + 60 * 15) / 1e6 * 2 + 800 * 0.30 / 1e6) / 2
    assert f'data-ai="offline-saved">${average:.4f}<' in ai
    assert "1 no API key" in ai


@pytest.mark.parametrize("section", SECTIONS)
def test_a_section_costs_the_same_queries_with_little_or_much_data(
    dashboard_client, section, django_assert_max_num_queries
):
    tracker = PerformanceTracker()
    tracker.sink = save_performance_samples
    tracker.observe(performance.DB_LATENCY, 1.0, "select")
    tracker.flush()
    url = reverse(f"dashboard:{section}")
    # Session, user, reviewers group; the settled hours (HISTORY miss) and the latest.
    with django_assert_max_num_queries(5) as few:
        assert dashboard_client.get(url).status_code == 200

    for label in ("select", "insert", "update", "delete", "other"):
        for metric in (performance.DB_LATENCY, performance.GHL_LATENCY):
            tracker.observe(metric, 3.0, label)
        tracker.count(performance.WEBHOOK_RECEIVED, label, n=5)
    tracker.flush()
    tiers.invalidate_everything()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert dashboard_client.get(url).status_code == 200


def test_the_cost_per_conversation_counts_the_conversations_that_moved_in_the_window(
    dashboard_client,
):
    """Active means a message in or out in the 14 days: a conversation quiet for longer is
    left out even if a person edited it since (its stage, its status)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from leads.models import Conversation
    from tests.leads.factories import ConversationFactory

    now = timezone.now()
    recent = ConversationFactory(last_inbound_at=now - timedelta(hours=2))
    old = ConversationFactory(last_inbound_at=now - timedelta(days=40))
    Conversation.objects.filter(pk__in=[recent.pk, old.pk]).update(
        ai_cost_usd=Decimal("0.0500"), created_at=now - timedelta(days=60), updated_at=now
    )

    html = dashboard_client.get(reverse("dashboard:performance-ai-cost")).content.decode()

    assert 'data-ai-cost="conversations">1<' in html
    rows = html.split('data-ai-cost="conversation">')[1:]
    assert [row.split("<")[0] for row in rows] == ["$0.0500"]
