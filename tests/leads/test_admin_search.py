"""The back office searches messages, contacts and conversations through indexes
(config/search.py): messages the same rows Django's LIKE '%q%' found, contacts (and the
conversations of them) by the start of a name or email, without reading the tables."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config import backoffice
from leads.models import Contact, Conversation, Message
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory, MessageFactory

BODIES = [
    "Do you have anything with a POOL near Fontana?",
    "Spool of wire, not a home",
    "We're pre-approved up to 650k, is that enough for Riverside?",
    "¿Tiene algo con alberca cerca de Corona?",
    "Thanks, we'll talk it over",
    "no",
]


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def messages(db):
    conversation = ConversationFactory(contact=ContactFactory(phone="+19095550123"))
    return [MessageFactory(conversation=conversation, body=body) for body in BODIES]


def _admin_search(model, term: str) -> set[int]:
    model_admin = admin.site._registry[model]
    found, _ = model_admin.get_search_results(None, model.objects.all(), term)
    return set(found.values_list("pk", flat=True))


def _like_search(term: str) -> set[int]:
    """What Django's own search over the bodies found: every word in the body, any case."""
    rows = Message.objects.all()
    for word in term.split():
        rows = rows.filter(body__icontains=word)
    return set(rows.values_list("pk", flat=True))


@pytest.mark.parametrize(
    "term",
    ["pool", "POOL", "Pool near", "ool", "pre-approved riverside", "alberca", "no", "o", "zzz"],
)
def test_message_search_finds_what_a_substring_search_found(messages, term):
    assert _admin_search(Message, term) == _like_search(term)


def test_message_search_finds_substrings_in_any_case(messages):
    found = _admin_search(Message, "pOoL")

    assert {Message.objects.get(pk=pk).body for pk in found} == {BODIES[0], BODIES[1]}


def test_message_search_finds_a_message_by_its_highlevel_id(messages):
    message = MessageFactory(body="Hello", ghl_message_id="ghl-msg-XYZ123")

    assert _admin_search(Message, "ghl-msg-XYZ123") == {message.pk}


def test_message_search_finds_a_leads_messages_by_phone_however_written(messages):
    expected = {m.pk for m in messages}

    assert _admin_search(Message, "(909) 555-0123") == expected
    assert _admin_search(Message, "+19095550123") == expected


def test_message_search_follows_edits_and_deletions(messages):
    edited, deleted = messages[0], messages[2]
    Message.objects.filter(pk=edited.pk).update(body="Rewritten: a yard with a jacuzzi")
    Message.objects.filter(pk=deleted.pk).delete()

    assert _admin_search(Message, "jacuzzi") == {edited.pk}
    assert edited.pk not in _admin_search(Message, "Fontana")
    assert _admin_search(Message, "Riverside") == set()


def test_contact_search_finds_the_start_of_names_and_emails_phones_and_ids(db):
    maria = ContactFactory(
        first_name="María", last_name="Hernández", email="maria.h@example.com", phone="+19515550142"
    )
    ContactFactory(first_name="Mark", last_name="Smith", email="mark@example.com")

    assert _admin_search(Contact, "hernán") == {maria.pk}
    assert _admin_search(Contact, "maria.h@example") == {maria.pk}
    assert _admin_search(Contact, "951-555-0142") == {maria.pk}
    assert _admin_search(Contact, maria.ghl_contact_id) == {maria.pk}
    assert _admin_search(Contact, "ma") == set(Contact.objects.values_list("pk", flat=True))
    assert _admin_search(Contact, "MARÍA hern") == {maria.pk}  # every word, any case
    # The start of a word, as the dashboard searches: not a fragment from its middle.
    assert _admin_search(Contact, "ernán") == set()
    assert _admin_search(Contact, "example.com") == set()


@pytest.mark.parametrize(
    ("model", "term"), [(Contact, "garc"), (Contact, "maria lopez"), (Conversation, "lop")]
)
def test_contact_and_conversation_searches_never_scan_the_contact_table(db, model, term):
    ConversationFactory(contact=ContactFactory(first_name="Maria", last_name="Lopez"))
    ConversationFactory(contact=ContactFactory(first_name="Ana", last_name="García"))

    with CaptureQueriesContext(connection) as captured:
        _admin_search(model, term)

    for sql in (q["sql"] for q in captured.captured_queries):
        plan = _plan(sql)
        if connection.vendor == "postgresql":
            assert not [line for line in plan if "Seq Scan on leads_contact" in line], plan
        else:
            assert not [line for line in plan if line.strip().startswith("SCAN leads_contact")]


def test_conversation_search_finds_the_contacts_conversations(db):
    lopez = ConversationFactory(contact=ContactFactory(last_name="Lopez", phone="+17605550100"))
    ConversationFactory(contact=ContactFactory(last_name="Smith"))

    assert _admin_search(Conversation, "lopez") == {lopez.pk}
    assert _admin_search(Conversation, "LOP") == {lopez.pk}
    assert _admin_search(Conversation, "7605550100") == {lopez.pk}
    assert _admin_search(Conversation, lopez.ghl_conversation_id) == {lopez.pk}


def test_the_message_list_and_search_pages_show_what_was_found(staff_client, messages):
    response = staff_client.get("/admin/leads/message/", {"q": "pool"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    assert "Fontana" in response.content.decode()
    assert "Riverside" not in response.content.decode()


# --- No scan of the message table -----------------------------------------------------------


def _plan(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tiny test tables: make the planner say whether an index *can* answer the query.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [row[-1] for row in cursor.fetchall()]


def _scans_of_messages(plan: list[str]) -> list[str]:
    if connection.vendor == "postgresql":
        return [line for line in plan if re.search(r"Seq Scan on leads_message\b", line)]
    # "SCAN leads_message" alone reads the table; "... USING INDEX" walks an index (LIMIT).
    return [line for line in plan if re.fullmatch(r"SCAN leads_message( AS \w+)?", line.strip())]


@pytest.mark.parametrize("query", ["", "?q=pool", "?q=pre-approved+Fontana", "?q=%2B19095550123"])
def test_message_list_and_search_never_scan_the_message_table(staff_client, messages, query):
    with CaptureQueriesContext(connection) as captured:
        assert staff_client.get(f"/admin/leads/message/{query}").status_code == 200

    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and '"leads_message"' in q["sql"]
    ]
    assert reads
    for sql in reads:
        if re.fullmatch(r'SELECT COUNT\(\*\) AS "__count" FROM "leads_message"', sql):
            continue  # the paginator's count of the whole list: it reads an index, nothing else
        assert _scans_of_messages(_plan(sql)) == [], sql


def test_the_list_of_a_status_reads_that_status_from_its_index(staff_client, messages):
    # Failed messages are few: walking every message newest first to find them read 100k rows.
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get("/admin/leads/message/", {"status__exact": "failed"})
    assert response.status_code == 200
    page = next(
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "leads_message"."id"') and "ORDER BY" in q["sql"]
    )

    plan = "\n".join(_plan(page))
    # Read by its status, never by walking every message newest first.
    assert "msg_sent" not in plan, plan
    if connection.vendor == "postgresql":
        # Ten test rows: either status index, then a sort of the few it found.
        assert "Index Cond: ((status)::text = 'failed'::text)" in plan, plan
    else:
        # SQLite walks an index that gives the list's whole order, or, at scale, msg_sent.
        assert "msg_status_recent" in plan and "TEMP B-TREE" not in plan, plan


# --- A common word: counted up to a cap, its page found by walking the list's order ----------


@pytest.fixture
def common_word(db, monkeypatch):
    """Eight messages with "pool", two a page and a cap of three: a list counts to the cap or
    to the end of the page after the one shown (page 1: four), so "pool" is common here."""
    monkeypatch.setattr(backoffice, "RESULT_COUNT_CAP", 3)
    monkeypatch.setattr(admin.site._registry[Message], "list_per_page", 2)
    conversation = ConversationFactory()
    base = timezone.now() - timedelta(days=1)
    return [
        MessageFactory(
            conversation=conversation,
            body=f"Pool question {n}",
            sent_at=base + timedelta(minutes=n),
        )
        for n in range(8)
    ] + [MessageFactory(conversation=conversation, body="Just a roof", sent_at=base)]


def test_a_common_word_is_counted_up_to_the_cap_and_the_list_says_so(staff_client, common_word):
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get("/admin/leads/message/", {"q": "pool"})

    page = response.content.decode()
    assert response.context["cl"].paginator.capped
    assert "4+ results" in page
    assert "4+ messages" in page
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1 and re.search(r"LIMIT 5\b", counts[0]), counts  # never past the cap
    # Newest first, as without the cap: the page is the same rows in the same order.
    shown = [message.pk for message in response.context["cl"].result_list]
    assert shown == [message.pk for message in reversed(common_word[6:8])]


def test_a_rare_word_is_counted_in_full(staff_client, common_word):
    response = staff_client.get("/admin/leads/message/", {"q": "roof"})

    assert not response.context["cl"].paginator.capped
    assert "1 result" in response.content.decode()


def _page_query(staff_client, term: str) -> str:
    with CaptureQueriesContext(connection) as captured:
        assert staff_client.get("/admin/leads/message/", {"q": term}).status_code == 200
    return next(
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "leads_message"."id"') and "ORDER BY" in q["sql"]
    )


def test_the_page_of_a_common_word_walks_the_sent_index_and_stops_at_its_limit(
    staff_client, common_word
):
    plan = "\n".join(_plan(_page_query(staff_client, "pool")))

    if connection.vendor == "postgresql":
        # The matches are a hashed semi-join filtering the index walk, not a set joined and sorted.
        assert re.search(r"Index Scan Backward using msg_sent", plan), plan
        assert "hashed SubPlan" in plan, plan
        assert "Sort Key: leads_message.sent_at" not in plan, plan
    else:
        assert "SCAN leads_message USING INDEX msg_sent" in plan, plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_a_word_too_short_for_the_index_walks_the_sent_index_and_stops_at_its_limit(
    staff_client, common_word
):
    # "po" is in eight messages: no trigram index serves two letters, so the page is found by
    # checking rows along the list's order (stopping at the LIMIT), never by reading every
    # match first; the count carries no ORDER BY, so it stops at the cap.
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get("/admin/leads/message/", {"q": "po"})

    assert [m.pk for m in response.context["cl"].result_list] == [
        m.pk for m in reversed(common_word[6:8])
    ]
    count = next(q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"])
    assert "ORDER BY" not in count and " UNION " not in count, count
    plan = "\n".join(_plan(_page_query(staff_client, "po")))
    if connection.vendor == "postgresql":
        assert re.search(r"Index Scan Backward using msg_sent", plan), plan
        assert "Sort Key: leads_message.sent_at" not in plan, plan
    else:
        assert "SCAN leads_message USING INDEX msg_sent" in plan, plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_the_page_of_a_rare_word_reads_its_matches_by_key(staff_client, common_word):
    plan = "\n".join(_plan(_page_query(staff_client, "roof")))

    if connection.vendor == "postgresql":
        assert "hashed SubPlan" not in plan, plan
    else:
        assert "SEARCH leads_message USING INTEGER PRIMARY KEY" in plan, plan


def test_every_page_of_a_capped_list_stays_reachable(staff_client, common_word):
    newest_first = sorted(common_word, key=lambda message: message.sent_at, reverse=True)

    first = staff_client.get("/admin/leads/message/")
    third = staff_client.get("/admin/leads/message/", {"p": "3"})

    assert "4+ messages" in first.content.decode()  # counted to the end of page 2 only
    assert third.status_code == 200
    assert [m.pk for m in third.context["cl"].result_list] == [m.pk for m in newest_first[4:6]]
    assert "8+ messages" in third.content.decode()  # and from page 3, to the end of page 4
