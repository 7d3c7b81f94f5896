"""The Active conversations page: the table and its htmx partials, a conversation's page, and
the row actions (each through its service, audited), with access and CSRF."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance.models import AuditEvent, ComplianceTicket
from leads.models import Contact, Conversation, Message, OutboxMessage
from leads.permissions import REVIEWERS_GROUP
from sellers.models import CMAReport, SellerQualification
from tests.factories import UserFactory
from tests.leads.factories import (
    ContactFactory,
    ConversationFactory,
    LeadScoreModelFactory,
    MessageFactory,
    receive_sms,
)
from tests.sellers.factories import TODAY, CMAReportFactory, PropertyFactory

pytestmark = pytest.mark.django_db

LIST = reverse("dashboard:conversations")
HTMX = {"HTTP_HX_REQUEST": "true"}
NOW = timezone.now()


def lead(name: str, *, minutes_ago: int = 0, **kwargs) -> Conversation:
    first, _, last = name.partition(" ")
    contact_fields = {k: kwargs.pop(k) for k in ("score", "intent", "phone") if k in kwargs}
    return ConversationFactory(
        contact=ContactFactory(first_name=first, last_name=last, **contact_fields),
        last_inbound_at=NOW - timedelta(minutes=minutes_ago),
        **kwargs,
    )


def row_names(html: str) -> list[str]:
    return re.findall(r'class="conv-name">([^<]+)</a>', html)


def url(name: str, conversation: Conversation) -> str:
    return reverse(f"dashboard:conversations-{name}", args=[conversation.pk])


# --- Access --------------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_log_in_and_a_reviewer_to_the_tickets(client):
    conversation = lead("Ana Ruiz")
    detail = url("detail", conversation)

    assert client.get(detail).url == f"{reverse('admin:login')}?next={detail}"
    assert client.post(url("pause", conversation)).status_code == 302
    maria = UserFactory(username="maria", is_staff=True)
    maria.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    client.force_login(maria)
    assert client.post(url("pause", conversation)).url == reverse("dashboard:tickets")
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ACTIVE


def test_a_logged_in_user_who_is_not_staff_is_refused(client):
    client.force_login(UserFactory(username="visitor"))

    assert client.get(LIST).status_code == 403


def test_every_action_needs_the_csrf_token(staff_user):
    conversation = lead("Ana Ruiz")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)

    for action in ("pause", "resume", "advance", "reply", "cma"):
        assert browser.post(url(action, conversation), {"body": "hi"}).status_code == 403
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ACTIVE
    assert not AuditEvent.objects.filter(actor="human").exists()


def test_actions_only_answer_post(dashboard_client):
    conversation = lead("Ana Ruiz")

    for action in ("pause", "resume", "advance", "reply"):
        assert dashboard_client.get(url(action, conversation)).status_code == 405


# --- The table -----------------------------------------------------------------------------------


def test_the_table_lists_open_conversations_newest_activity_first(dashboard_client):
    lead("Older Lead", minutes_ago=50)
    lead("Newest Lead", minutes_ago=1)
    lead("Closed Lead", status="closed")

    response = dashboard_client.get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert row_names(html) == ["Newest Lead", "Older Lead"]
    assert "Showing 1–2 of 2 conversations." in html
    assert 'aria-sort="descending"' in html  # the activity column


def test_sorting_and_paging_keep_their_state_in_the_url(dashboard_client):
    for n in range(12):
        lead(f"Lead S{n:02d}", score=n, minutes_ago=n)

    first = dashboard_client.get(LIST, {"sort": "score", "per_page": 10}).content.decode()
    second = dashboard_client.get(LIST, {"sort": "score", "per_page": 10, "page": 2})

    assert row_names(first) == [f"Lead S{n:02d}" for n in range(10)]
    assert row_names(second.content.decode()) == ["Lead S10", "Lead S11"]
    assert 'href="/dashboard/conversations/?sort=score&amp;per_page=10&amp;page=2"' in first
    # The score header now offers the other direction, from the first page.
    assert 'href="/dashboard/conversations/?sort=-score&amp;per_page=10"' in first


def test_an_htmx_request_gets_only_the_table_section(dashboard_client):
    lead("Ana Ruiz")

    response = dashboard_client.get(LIST, {"sort": "-score"}, **HTMX)

    html = response.content.decode()
    assert '<section id="conversations-table"' in html
    assert "<html" not in html
    assert 'id="filter-sort" value="-score" hx-swap-oob="true"' in html
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(dashboard_client):
    response = dashboard_client.get(
        LIST, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )

    assert "<html" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"stage": "bogus"}, "Stage: Select a valid choice."),
        ({"sort": "-bogus"}, "Sort: Select a valid choice."),
        ({"page": "zero"}, "Page: Enter a whole number."),
        ({"per_page": "1000"}, "Per page: Select a valid choice."),
    ],
)
def test_a_bad_filter_is_a_400_that_says_which(dashboard_client, query, says):
    response = dashboard_client.get(LIST, query)

    assert response.status_code == 400
    html = response.content.decode()
    assert says in html
    assert "Show every open conversation" in html


def test_filters_and_search_narrow_the_table(dashboard_client):
    lead("Maria Lopez", bot="seller", phone="+19095550142")
    lead("Mario Garcia", bot="buyer")

    by_bot = dashboard_client.get(LIST, {"bot": "seller"}).content.decode()
    by_phone = dashboard_client.get(LIST, {"q": "(909) 555-0142"}).content.decode()

    assert row_names(by_bot) == ["Maria Lopez"]
    assert '<option value="seller" selected>Seller bot</option>' in by_bot  # the form shows it
    assert row_names(by_phone) == ["Maria Lopez"]
    assert "matching the filters" in by_bot


def count_queries(client, django_assert_max_num_queries, path, **extra) -> int:
    with django_assert_max_num_queries(50) as captured:
        assert client.get(path, **extra).status_code == 200
    return len(captured)


def make_leads(count: int) -> None:
    for n in range(count):
        conversation = lead(f"Lead Q{n}", minutes_ago=n, bot="seller" if n % 2 else "lead")
        MessageFactory(conversation=conversation)
        MessageFactory(conversation=conversation, direction="outbound", sender="bot", status="sent")
        if n % 2:
            CMAReportFactory(contact=conversation.contact)


def test_the_table_costs_the_same_queries_for_3_or_40_rows(
    dashboard_client, django_assert_max_num_queries
):
    make_leads(3)
    few = count_queries(dashboard_client, django_assert_max_num_queries, LIST + "?per_page=50")
    make_leads(37)
    many = count_queries(dashboard_client, django_assert_max_num_queries, LIST + "?per_page=50")

    assert few == many
    assert many <= 8  # session, user, count, ids, rows, last messages, CMAs


# --- Row actions from the table ------------------------------------------------------------------


def test_pausing_from_a_row_swaps_the_row_with_a_note_and_audits(dashboard_client):
    conversation = lead("Ana Ruiz")

    response = dashboard_client.post(
        url("pause", conversation), {"from": "row", "next": LIST + "?sort=score"}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<tr id="conversation-{conversation.pk}"')
    assert "The bot is paused for Ana Ruiz." in html
    assert "Resume bot" in html and "Bot paused" in html
    conversation.contact.refresh_from_db()
    assert conversation.contact.bot_paused_until.year == 9999
    event = AuditEvent.objects.get(action="bot.paused_for_human")
    assert (event.actor_label, event.data["reason"]) == (
        "jorge",
        "paused in the dashboard by jorge",
    )


def test_resuming_from_a_row_hands_the_lead_back_to_the_bot(dashboard_client):
    conversation = lead("Ana Ruiz", status="paused", needs_human_review=True)
    Contact.objects.filter(pk=conversation.contact_id).update(
        bot_paused_until=NOW + timedelta(hours=5)
    )

    response = dashboard_client.post(url("resume", conversation), {"from": "row"}, **HTMX)

    assert "The bot is back on for Ana Ruiz." in response.content.decode()
    conversation.refresh_from_db()
    assert (conversation.status, conversation.needs_human_review) == ("active", False)
    assert AuditEvent.objects.filter(action="bot.resumed", actor_label="jorge").exists()


def test_advancing_from_a_row_says_where_it_went(dashboard_client):
    conversation = lead("Ana Ruiz", stage="qualifying")

    response = dashboard_client.post(url("advance", conversation), {"from": "row"}, **HTMX)

    assert "Ana Ruiz: Qualifying → Qualified." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.stage == "qualified"
    assert AuditEvent.objects.filter(action="conversation.stage_changed").count() == 1


def test_advancing_past_the_last_stage_is_a_409_that_says_why(dashboard_client):
    conversation = lead("Ana Ruiz", stage="closed")

    response = dashboard_client.post(url("advance", conversation), {"from": "row"}, **HTMX)

    assert response.status_code == 409
    html = response.content.decode()
    assert "“Closed” is the last stage" in html and 'role="alert"' in html


def test_without_javascript_an_action_returns_to_where_it_came_from_with_a_message(
    dashboard_client,
):
    conversation = lead("Ana Ruiz", stage="new")
    back = LIST + "?bot=lead"

    response = dashboard_client.post(url("advance", conversation), {"next": back}, follow=True)

    assert response.redirect_chain[-1][0] == back
    assert "Ana Ruiz: New → Qualifying." in response.content.decode()


def test_an_action_never_redirects_off_the_site(dashboard_client):
    conversation = lead("Ana Ruiz")

    response = dashboard_client.post(url("pause", conversation), {"next": "https://evil.test/"})

    assert response.url == url("detail", conversation)


def test_an_unknown_conversation_is_a_404(dashboard_client):
    assert dashboard_client.get("/dashboard/conversations/999999/").status_code == 404
    assert dashboard_client.post("/dashboard/conversations/999999/pause/").status_code == 404


# --- A conversation's page -----------------------------------------------------------------------


@pytest.fixture
def talked(django_capture_on_commit_callbacks):
    """A lead who texted twice through the real pipeline (offline engine, outbox)."""
    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("ghl-rosa", "Hi, I want to buy a house in Riverside, budget 550k")
    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("ghl-rosa", "We are pre-approved and want to move in 2 months")
    return Conversation.objects.get(contact__ghl_contact_id="ghl-rosa")


def test_the_thread_reads_oldest_first_with_the_bots_reasoning_and_what_it_read(
    dashboard_client, talked
):
    response = dashboard_client.get(url("detail", talked))

    html = response.content.decode()
    assert response.status_code == 200
    messages = list(talked.messages.order_by("sent_at", "id"))
    positions = [html.index(f'id="message-{m.pk}"') for m in messages]
    assert positions == sorted(positions) and len(messages) >= 4
    assert html.count("Why the bot said this") == talked.messages.filter(sender="bot").count()
    goal = AuditEvent.objects.filter(action="bot.turn").latest("at").data["goal"]
    assert goal.replace("_", " ") in html
    assert "What the bot read" in html
    assert "Engine</dt><dd>offline" in html
    assert "Score history" in html and "No score yet" not in html


def test_the_score_history_lists_each_change_newest_first(dashboard_client, talked):
    scores = [
        e.data["score"]
        for e in AuditEvent.objects.filter(action="lead.qualification_updated").order_by("at", "id")
        if "score" in e.data
    ]

    html = dashboard_client.get(url("detail", talked)).content.decode()

    listed = html[html.index('class="score-list"') :]
    shown = [int(s) for s in re.findall(r'<span class="conv-score">(\d+)</span>', listed)]
    assert shown == list(reversed(scores))


def test_the_learned_score_shows_next_to_the_rule_score_in_the_table_page_and_history(
    dashboard_client, django_capture_on_commit_callbacks
):
    LeadScoreModelFactory(version=2)  # the likelier, the more of our messages the lead answers
    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("ghl-rosa", "Hi, I want to buy a house in Riverside, budget 550k")
    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("ghl-rosa", "We are pre-approved and want to move in 2 months")
    conversation = Conversation.objects.get(contact__ghl_contact_id="ghl-rosa")
    contact = conversation.contact

    row = dashboard_client.get(LIST).content.decode()
    page = dashboard_client.get(url("detail", conversation)).content.decode()

    cell = row[row.index('class="conv-score-cell"') :].split("</td>")[0]
    assert f'aria-label="score {contact.score}">{contact.score}</span>' in cell
    assert ">73%</span>" in cell and "model v2" in cell
    assert f"{contact.get_temperature_display()} · {contact.score}</span>" in page
    assert "Learned · 73%" in page
    history = page[page.index('class="score-list"') :]
    assert re.findall(r"learned (\d+)%", history) == ["73", "27"]  # newest first


def test_compliance_flags_and_blocked_drafts_show_on_the_page(dashboard_client):
    conversation = lead("Ana Ruiz")
    blocked = MessageFactory(
        conversation=conversation,
        direction="outbound",
        sender="bot",
        status="blocked",
        body="[draft that broke a rule]",
        ai_metadata={"engine": "claude", "blocked_by": ["fair_housing: familial_status: kids"]},
    )
    ComplianceTicket.objects.create(
        conversation=conversation,
        contact=conversation.contact,
        message=blocked,
        type="fair_housing",
        category="familial_status",
        severity="high",
        direction="outbound",
        evidence="no kids",
        due_at=NOW,
    )

    html = dashboard_client.get(url("detail", conversation)).content.decode()

    assert "Fair housing</strong>: familial status" in html
    assert "“no kids”" in html
    assert "bubble from-bot blocked" in html
    assert "Blocked by</dt><dd>fair_housing: familial_status: kids" in html


def test_the_page_costs_the_same_queries_for_a_short_or_a_long_thread(
    dashboard_client, django_assert_max_num_queries
):
    conversation = lead("Ana Ruiz", bot="seller")
    for _ in range(2):
        MessageFactory(conversation=conversation)
    short = count_queries(
        dashboard_client, django_assert_max_num_queries, url("detail", conversation)
    )
    for n in range(40):
        MessageFactory(
            conversation=conversation,
            direction="outbound" if n % 2 else "inbound",
            sender="bot" if n % 2 else "contact",
            status="sent" if n % 2 else "received",
            ai_metadata={"engine": "offline"} if n % 2 else {},
        )
    long = count_queries(
        dashboard_client, django_assert_max_num_queries, url("detail", conversation)
    )

    assert short == long


def test_a_long_thread_shows_its_latest_messages_and_loads_the_earlier_ones_on_request(
    dashboard_client, django_assert_max_num_queries
):
    conversation = lead("Ana Ruiz", bot="seller")
    start = timezone.now() - timedelta(days=2)
    for n in range(120):
        MessageFactory(
            conversation=conversation,
            body=f"Message number {n:03}",
            sent_at=start + timedelta(minutes=n),
        )

    html = dashboard_client.get(url("detail", conversation)).content.decode()

    # The latest 50, oldest first, under a link to the ones before them.
    shown = re.findall(r"Message number (\d+)", html)
    assert shown == [f"{n:03}" for n in range(70, 120)]
    link = re.search(r'hx-get="([^"]+\?before=\d+)"', html).group(1)
    assert 'href="' + url("detail", conversation) + "?before=" in html

    with django_assert_max_num_queries(12):
        earlier = dashboard_client.get(link, HTTP_HX_REQUEST="true").content.decode()
    assert re.findall(r"Message number (\d+)", earlier) == [f"{n:03}" for n in range(20, 70)]
    first = re.search(r'hx-get="([^"]+\?before=\d+)"', earlier).group(1)
    oldest = dashboard_client.get(first, HTTP_HX_REQUEST="true").content.decode()
    assert re.findall(r"Message number (\d+)", oldest) == [f"{n:03}" for n in range(20)]
    assert "Earlier messages" not in oldest

    # Without JavaScript the link opens the page at those messages.
    page = dashboard_client.get(url("detail", conversation) + link[link.index("?") :])
    assert re.findall(r"Message number (\d+)", page.content.decode()) == [
        f"{n:03}" for n in range(20, 70)
    ]
    assert "back to the latest" in page.content.decode()


# --- Reply as Jorge ------------------------------------------------------------------------------

reply_db = pytest.mark.django_db(transaction=True)


@reply_db
def test_a_reply_lands_in_the_thread_and_the_outbox_and_pauses_the_bot(dashboard_client):
    conversation = lead("Ana Ruiz")
    MessageFactory(conversation=conversation, body="Is the house still available?")

    response = dashboard_client.post(
        url("reply", conversation), {"body": "Yes it is! Jorge here."}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    thread = html[: html.index('<form id="reply"')]
    assert "Yes it is! Jorge here." in thread
    assert '<span class="who">Jorge</span>' in thread
    assert "Sent through HighLevel." in html
    assert (
        'hx-swap-oob="true"' in html and "Yes it is!" not in html[html.index('<form id="reply"') :]
    )
    message = Message.objects.get(sender="human")
    assert message.status == "sent"
    assert OutboxMessage.objects.get(operation="send_message").request_body["message"] == (
        "Yes it is! Jorge here."
    )
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.PAUSED
    assert AuditEvent.objects.filter(action="message.human_reply", actor_label="jorge").exists()


@reply_db
def test_a_refused_reply_is_a_400_that_keeps_the_text_and_says_why(dashboard_client):
    conversation = lead("Ana Ruiz")
    Contact.objects.filter(pk=conversation.contact_id).update(opted_out=True, opted_out_at=NOW)

    response = dashboard_client.post(
        url("reply", conversation), {"body": "Please come back"}, **HTMX
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Not sent: the lead opted out (texted STOP)" in html
    assert not OutboxMessage.objects.exists()


@reply_db
def test_an_empty_reply_without_javascript_shows_the_page_again_with_the_error(dashboard_client):
    conversation = lead("Ana Ruiz")

    response = dashboard_client.post(url("reply", conversation), {"body": "   "})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Write the reply first." in html
    assert 'aria-invalid="true"' in html
    assert not Message.objects.filter(direction="outbound").exists()


@reply_db
def test_a_reply_without_javascript_comes_back_to_the_thread_with_a_message(dashboard_client):
    conversation = lead("Ana Ruiz")

    response = dashboard_client.post(url("reply", conversation), {"body": "On my way"}, follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == url("detail", conversation) + "#reply"
    assert "Sent through HighLevel." in html and "On my way" in html


# --- CMA -----------------------------------------------------------------------------------------


@pytest.fixture
def seller(on_today):
    PropertyFactory(mls_id="HOME", address="4200 Magnolia Avenue", days_ago=900)
    for n, price in enumerate((590_000, 600_000, 610_000, 620_000)):
        PropertyFactory(mls_id=f"COMP{n}", sold_price=price, days_ago=20 + 30 * n)
    conversation = lead("Rosa Diaz", bot="seller", intent="seller")
    SellerQualification.objects.create(
        contact=conversation.contact, address="4200 Magnolia Ave", city="Riverside"
    )
    return conversation


@pytest.fixture
def on_today():
    """The day the property factories date their sales from (tests/sellers/conftest.py)."""
    with time_machine.travel(
        datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC), tick=False
    ):
        yield


def test_the_cma_asks_for_confirmation_with_the_sellers_address(dashboard_client, seller):
    response = dashboard_client.get(url("cma", seller))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Trigger a CMA for Rosa Diaz?" in html
    assert 'value="4200 Magnolia Ave"' in html and 'value="Riverside"' in html
    assert not CMAReport.objects.exists()


def test_confirming_starts_the_cma_and_the_page_shows_it_with_its_pdf(
    dashboard_client, seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = dashboard_client.post(
            url("cma", seller), {"address": "4200 Magnolia Ave", "city": "Riverside"}
        )

    report = CMAReport.objects.get()
    assert response.status_code == 302
    assert response.url == f"{url('detail', seller)}?cma={report.pk}#cma"
    assert report.status == CMAReport.Status.READY
    assert AuditEvent.objects.get(action="cma.requested").actor_label == "jorge"
    page = dashboard_client.get(response.url).content.decode()
    assert "CMA requested for 4200 Magnolia Avenue." in page  # our record of the home
    assert reverse("sellers:cma-download", args=[report.pk]) in page
    assert f'id="cma-report-{report.pk}" class="cma-progress cma-ready highlighted"' in page


def test_a_pending_cma_polls_its_progress_until_it_is_ready(dashboard_client):
    report = CMAReportFactory(status=CMAReport.Status.PENDING)
    progress = reverse("dashboard:conversations-cma-progress", args=[report.pk])

    pending = dashboard_client.get(progress, **HTMX).content.decode()
    CMAReport.objects.filter(pk=report.pk).update(
        status=CMAReport.Status.READY, estimate_low=500_000, estimate_high=560_000
    )
    ready = dashboard_client.get(progress, **HTMX).content.decode()

    assert 'hx-trigger="every 2s"' in pending and "Preparing the CMA" in pending
    assert "hx-trigger" not in ready
    assert "$500,000 – $560,000" in ready


def test_a_cma_without_an_address_is_a_400_that_asks_for_it(dashboard_client, seller):
    response = dashboard_client.post(url("cma", seller), {"address": "", "city": "Riverside"})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not CMAReport.objects.exists()


def test_confirming_again_within_the_week_says_the_cma_was_reused(
    dashboard_client, seller, django_capture_on_commit_callbacks
):
    form = {"address": "4200 Magnolia Ave", "city": "Riverside"}
    with django_capture_on_commit_callbacks(execute=True):
        dashboard_client.post(url("cma", seller), form)

    response = dashboard_client.post(url("cma", seller), form, follow=True)

    assert "A CMA of 4200 Magnolia Avenue from the last 7 days still holds: reused." in (
        response.content.decode()
    )
    assert CMAReport.objects.count() == 1
