"""The conversations table's reads (leads.selectors.active_conversations): filters, sorting,
pages, and a number of queries that does not grow with the rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.models import ComplianceTicket
from leads.models import Conversation, EscalationTicket
from leads.selectors import ConversationFilters, active_conversations, conversation_rows
from tests.leads.factories import ContactFactory, ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def conversation(name: str, *, minutes_ago: int = 0, score: int = 0, **kwargs) -> Conversation:
    first, _, last = name.partition(" ")
    contact_fields = {
        k: kwargs.pop(k) for k in ("language", "temperature", "phone", "email") if k in kwargs
    }
    at = NOW - timedelta(minutes=minutes_ago)
    return ConversationFactory(
        contact=ContactFactory(first_name=first, last_name=last, score=score, **contact_fields),
        last_inbound_at=at,
        created_at=at - timedelta(days=1),
        **kwargs,
    )


def names(page) -> list[str]:
    return [str(row.conversation.contact) for row in page.rows]


def listed(**filters) -> list[str]:
    return names(active_conversations(filters=ConversationFilters(**filters), per_page=100))


# --- Sorting -------------------------------------------------------------------------------------


@pytest.fixture
def three():
    conversation("Ana Zapata", minutes_ago=30, score=40)
    conversation("bob Young", minutes_ago=5, score=90)
    conversation("Carla alvarez", minutes_ago=60, score=10)


@pytest.mark.usefixtures("three")
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-activity", ["bob Young", "Ana Zapata", "Carla alvarez"]),
        ("activity", ["Carla alvarez", "Ana Zapata", "bob Young"]),
        ("-score", ["bob Young", "Ana Zapata", "Carla alvarez"]),
        ("score", ["Carla alvarez", "Ana Zapata", "bob Young"]),
        # By last name, whatever its case ("alvarez" before "Young").
        ("name", ["Carla alvarez", "bob Young", "Ana Zapata"]),
        ("-name", ["Ana Zapata", "bob Young", "Carla alvarez"]),
        ("-started", ["bob Young", "Ana Zapata", "Carla alvarez"]),
    ],
)
def test_each_sort_orders_the_whole_table(sort, expected):
    page = active_conversations(filters=ConversationFilters(), sort=sort)

    assert names(page) == expected


def test_last_activity_counts_our_own_messages_and_a_thread_nobody_answered_yet():
    """A bot reply after the lead's message is activity; a thread with no message at all
    sorts by when it started."""
    replied = conversation("Recent Reply", minutes_ago=120)
    replied.last_outbound_at = NOW - timedelta(minutes=1)
    replied.save()
    conversation("Lead Wrote", minutes_ago=10)
    ConversationFactory(
        contact=ContactFactory(first_name="Silent", last_name="Start"),
        created_at=NOW - timedelta(minutes=20),
    )

    page = active_conversations(filters=ConversationFilters(), sort="-activity")

    assert names(page) == ["Recent Reply", "Lead Wrote", "Silent Start"]


# --- Filters -------------------------------------------------------------------------------------


def test_open_means_active_or_paused_and_any_status_shows_the_rest():
    conversation("Active One", status="active")
    conversation("Paused One", status="paused")
    conversation("Closed One", status="closed")
    conversation("Stopped One", status="opted_out")

    assert sorted(listed()) == ["Active One", "Paused One"]
    assert sorted(listed(status="all")) == ["Active One", "Closed One", "Paused One", "Stopped One"]
    assert listed(status="closed") == ["Closed One"]


def test_filters_combine():
    conversation("Seller Hot", bot="seller", stage="qualifying", temperature="hot", language="es")
    conversation("Seller Cold", bot="seller", stage="qualifying", temperature="cold", language="es")
    conversation("Buyer Hot", bot="buyer", stage="qualifying", temperature="hot", language="es")
    conversation("Seller New", bot="seller", stage="new", temperature="hot", language="es")
    conversation("Seller English", bot="seller", stage="qualifying", temperature="hot")

    assert listed(bot="seller", stage="qualifying", temperature="hot", language="es") == [
        "Seller Hot"
    ]


def test_needs_a_person_filters_both_ways():
    conversation("Needs Help", needs_human_review=True)
    conversation("All Good")

    assert listed(needs_review=True) == ["Needs Help"]
    assert listed(needs_review=False) == ["All Good"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("mari", ["Maria Lopez", "Mario Garcia"]),
        ("maria", ["Maria Lopez"]),
        ("mar lop", ["Maria Lopez"]),
        ("LOP", ["Maria Lopez"]),
        ("garc", ["Mario Garcia"]),
        ("(909) 555-0142", ["Maria Lopez"]),
        ("909 555 0142", ["Maria Lopez"]),
        ("+19095550142", ["Maria Lopez"]),
        ("Mario@Example.com", ["Mario Garcia"]),
        ("opez", []),  # names match from the start of a word, not inside one
        ("zzz", []),
    ],
)
def test_search_by_the_start_of_a_name_a_phone_in_any_format_or_an_email(q, expected):
    conversation("Maria Lopez", phone="+19095550142", minutes_ago=1)
    conversation("Mario Garcia", phone="+19095550999", email="mario@example.com", minutes_ago=2)

    assert listed(q=q) == expected


# --- Pages ---------------------------------------------------------------------------------------


def test_pages_cover_every_row_once_and_a_page_past_the_end_shows_the_last():
    for n in range(7):
        conversation(f"Lead N{n}", minutes_ago=n)

    pages = [
        active_conversations(filters=ConversationFilters(), page=p, per_page=3) for p in (1, 2, 3)
    ]

    assert [names(p) for p in pages] == [
        ["Lead N0", "Lead N1", "Lead N2"],
        ["Lead N3", "Lead N4", "Lead N5"],
        ["Lead N6"],
    ]
    assert (pages[0].total, pages[0].pages) == (7, 3)
    assert (pages[2].first_index, pages[2].last_index) == (7, 7)
    beyond = active_conversations(filters=ConversationFilters(), page=99, per_page=3)
    assert beyond.page == 3 and names(beyond) == ["Lead N6"]


def test_ties_keep_a_stable_order_across_pages():
    for n in range(6):
        conversation(f"Same Score{n}", score=50)

    first = active_conversations(filters=ConversationFilters(), sort="-score", per_page=3)
    second = active_conversations(filters=ConversationFilters(), sort="-score", page=2, per_page=3)

    assert len(set(names(first)) | set(names(second))) == 6


# --- Rows ----------------------------------------------------------------------------------------


def test_a_row_has_its_message_count_last_message_and_open_tickets():
    row_conversation = conversation("Busy Lead")
    MessageFactory(conversation=row_conversation, body="first", sent_at=NOW - timedelta(minutes=3))
    last = MessageFactory(
        conversation=row_conversation,
        direction="outbound",
        sender="bot",
        status="sent",
        body="the bot's answer",
        sent_at=NOW - timedelta(minutes=1),
    )
    MessageFactory(body="another conversation's")
    EscalationTicket.objects.create(
        conversation=row_conversation,
        contact=row_conversation.contact,
        reason="asked_for_person",
        priority="high",
        due_at=NOW,
        notify_at=NOW,
    )
    ComplianceTicket.objects.create(
        conversation=row_conversation,
        contact=row_conversation.contact,
        type="privacy",
        category="ssn",
        severity="high",
        direction="inbound",
        evidence="[SSN]",
        due_at=NOW,
    )
    ComplianceTicket.objects.create(
        conversation=row_conversation,
        type="privacy",
        category="dob",
        severity="medium",
        direction="inbound",
        evidence="[DOB]",
        due_at=NOW,
        status="resolved",
        resolved_at=NOW,
        resolution_note="done",
    )

    [row] = conversation_rows(ids=[row_conversation.pk])

    assert row.message_count == 2
    assert row.last_message == last
    assert row.open_tickets == 2  # the resolved one does not count


def test_a_paused_contact_shows_as_paused():
    paused = conversation("Paused Lead")
    paused.contact.bot_paused_until = NOW + timedelta(hours=3)
    paused.contact.save()
    running = conversation("Running Lead")

    rows = conversation_rows(ids=[paused.pk, running.pk])

    assert [row.bot_paused for row in rows] == [True, False]


# --- Queries -------------------------------------------------------------------------------------


def make_rows(count: int) -> None:
    for n in range(count):
        row_conversation = conversation(f"Lead Q{n}", minutes_ago=n)
        MessageFactory(conversation=row_conversation)
        MessageFactory(
            conversation=row_conversation, direction="outbound", sender="bot", status="sent"
        )


def queries_for_a_page(**filters) -> int:
    with CaptureQueriesContext(connection) as captured:
        page = active_conversations(filters=ConversationFilters(**filters), per_page=50)
        for row in page.rows:  # what the template reads
            str(row.conversation.contact), row.last_message.conversation.contact.first_name
    return len(captured)


@pytest.mark.parametrize("filters", [{}, {"q": "lead"}, {"temperature": "cold"}])
def test_a_page_costs_four_queries_whatever_its_rows(filters):
    make_rows(3)
    few = queries_for_a_page(**filters)
    make_rows(30)
    many = queries_for_a_page(**filters)

    assert few == many == 4
