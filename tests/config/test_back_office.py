"""The back office reads like a tool, not a database: an index grouped by the work, money
and rates formatted with totals, conversations as chat threads, read-only pages without a
Save button."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin

from compliance.models import ConsentRecord
from leads.models import Deal
from tests.leads.factories import ContactFactory, ConversationFactory, DealFactory, MessageFactory

pytestmark = pytest.mark.django_db


def _section_names(page: str) -> list[str]:
    return re.findall(r'class="section"[^>]*>([^<]+)</a>', page)


def test_the_index_leads_with_the_work_queue_and_ends_with_users_and_api_tokens(admin_client):
    page = admin_client.get("/admin/").content.decode()

    sections = _section_names(page)
    assert sections[:2] == ["Work queue", "Leads and conversations"]
    assert sections[-1] == "Users and API access"
    assert page.index("Escalation tickets") < page.index("Contacts") < page.index("API tokens")
    assert "Auth Token" not in page


def test_a_model_the_index_does_not_name_is_still_listed_under_other(admin_client):
    admin.site.register(ConsentRecord)
    try:
        page = admin_client.get("/admin/").content.decode()
    finally:
        admin.site.unregister(ConsentRecord)

    assert _section_names(page)[-1] == "Other"
    assert page.index(">Other<") < page.index("Consent records")


def test_an_apps_own_page_still_lists_that_app(admin_client):
    page = admin_client.get("/admin/sellers/").content.decode()

    assert "Properties" in page and "CMA reports" in page
    assert "Contacts" not in page


def test_every_page_says_times_are_in_the_business_time_zone(admin_client):
    page = admin_client.get("/admin/").content.decode()

    assert "Times are in the business's time zone, America/Los_Angeles" in page


# --- Money and rates --------------------------------------------------------------------------


def test_the_deal_list_shows_dollars_and_percentages_and_totals_what_is_listed(admin_client):
    from analytics.rules import commission_for

    negotiated = DealFactory(
        value=Decimal("725000.00"), commission_percent_override=Decimal("2.5"), stage="active"
    )
    standard = DealFactory(value=Decimal("480000.00"), stage="active")
    DealFactory(value=Decimal("999000.00"), stage="closed_lost")

    page = admin_client.get("/admin/leads/deal/", {"stage__exact": "active"}).content.decode()

    jorge = {d.pk: commission_for(d).jorge for d in (negotiated, standard)}
    assert "$725,000" in page and "2.5% (negotiated)" in page
    assert f"${jorge[negotiated.pk]:,.0f}" in page
    assert "$480,000" in page and "6%" in page and f"${jorge[standard.pk]:,.0f}" in page
    assert "725000.00" not in page
    totals = re.search(r'<p class="list-totals".*?</p>', page, re.S).group(0)
    assert "$1,205,000" in totals  # the two active deals, not the lost one
    assert f"${sum(jorge.values()):,.0f}" in totals
    assert "Deals</span> 2<" in totals


def test_the_deal_list_with_its_totals_does_not_query_once_per_row(
    admin_client, django_assert_max_num_queries
):
    DealFactory.create_batch(3)
    admin_client.get("/admin/leads/deal/")
    DealFactory.create_batch(20)

    with django_assert_max_num_queries(12):
        admin_client.get("/admin/leads/deal/")


def _deal_form(deal, **changes) -> dict:
    return {
        "name": deal.name,
        "contact": deal.contact_id,
        "side": "sell",
        "stage": "active",
        "value": "600000",
        "commission_percent_override": "",
        **changes,
    }


def test_a_negotiated_commission_is_typed_as_a_percentage(admin_client):
    deal = DealFactory(value=600000)
    form = admin_client.get(f"/admin/leads/deal/{deal.pk}/change/").content.decode()
    assert 'name="commission_percent_override"' in form

    response = admin_client.post(
        f"/admin/leads/deal/{deal.pk}/change/", _deal_form(deal, commission_percent_override="3")
    )

    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.commission_percent_override == Decimal("3")


def test_a_commission_above_ten_percent_is_refused(admin_client):
    deal = DealFactory(value=600000)

    response = admin_client.post(
        f"/admin/leads/deal/{deal.pk}/change/", _deal_form(deal, commission_percent_override="25")
    )

    assert response.status_code == 200  # the form again, with the field's error
    assert 'class="errorlist' in response.content.decode()
    assert Deal.objects.get().commission_percent_override is None


# --- Conversations and messages ------------------------------------------------------------------


def test_a_conversation_reads_as_a_chat_thread_oldest_first(admin_client):
    conversation = ConversationFactory(contact=ContactFactory(first_name="Rosa", last_name="Díaz"))
    start = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    MessageFactory(conversation=conversation, body="Hola, busco casa", sent_at=start)
    MessageFactory(
        conversation=conversation,
        direction="outbound",
        sender="bot",
        status="delivered",
        body="¡Hola Rosa! ¿Para cuándo piensa mudarse?",
        sent_at=start + timedelta(seconds=5),
    )
    MessageFactory(conversation=conversation, body="En tres meses", sent_at=start + timedelta(1))

    page = admin_client.get(f"/admin/leads/conversation/{conversation.pk}/change/")
    html = page.content.decode()

    thread = html[html.index('class="chat"') :]
    assert (
        thread.index("Hola, busco casa")
        < thread.index("¿Para cuándo piensa mudarse?")
        < thread.index("En tres meses")
    )
    assert thread.count('class="chat-row chat-in') == 2
    assert thread.count('class="chat-row chat-out') == 1
    assert "Rosa Díaz" in thread and "Jul 1, 2026, 9:00 a.m." in thread  # local time


def test_a_conversation_page_is_read_only_with_no_save_button(admin_client):
    conversation = ConversationFactory()

    html = admin_client.get(f"/admin/leads/conversation/{conversation.pk}/change/").content.decode()

    assert 'name="_save"' not in html and 'name="_continue"' not in html
    for field in ["last_inbound_at_0", "bot_state", "stage", "next_followup_at_0"]:
        assert f'name="{field}"' not in html
    assert "View conversation" in html


def test_the_bots_memory_reads_as_labelled_values_not_json(admin_client):
    conversation = ConversationFactory(
        bot_state={
            "handed_off_to": "seller",
            "seller": {"pending": "q1_motivation", "qualified_sent": False},
        }
    )

    html = admin_client.get(f"/admin/leads/conversation/{conversation.pk}/change/").content.decode()

    assert "<dt>Handed off to</dt><dd>seller</dd>" in html
    assert "<dt>Pending</dt><dd>q1_motivation</dd>" in html
    assert "<dt>Qualified sent</dt><dd>No</dd>" in html
    assert "handed_off_to" not in html


def test_a_long_conversation_shows_its_latest_messages_and_says_so(admin_client, monkeypatch):
    from leads.admin import ConversationAdmin

    monkeypatch.setattr(ConversationAdmin, "THREAD_LIMIT", 3)
    conversation = ConversationFactory()
    start = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    for n in range(5):
        MessageFactory(conversation=conversation, body=f"message {n}", sent_at=start + timedelta(n))

    html = admin_client.get(f"/admin/leads/conversation/{conversation.pk}/change/").content.decode()

    assert "message 0" not in html and "message 1" not in html
    assert html.index("message 2") < html.index("message 4")
    assert "The latest 3 of 5 messages" in html


def test_the_message_list_shows_the_text_a_person_needs_to_read(admin_client):
    long_text = "I want to buy a 4 bedroom home in Riverside with a pool and a big yard. " * 3
    MessageFactory(body=long_text.strip())

    html = admin_client.get("/admin/leads/message/").content.decode()

    assert long_text.strip()[:200] in html  # not cut at 80 characters any more


def test_a_message_page_is_read_only_and_no_message_is_added_by_hand(admin_client):
    message = MessageFactory()

    html = admin_client.get(f"/admin/leads/message/{message.pk}/change/").content.decode()

    assert 'name="_save"' not in html and 'name="sent_at_0"' not in html
    assert admin_client.get("/admin/leads/message/add/").status_code == 403
    assert admin_client.get("/admin/leads/conversation/add/").status_code == 403


# --- Read-only pages -----------------------------------------------------------------------------


def test_pages_with_something_to_change_keep_their_save_button(admin_client):
    contact = ContactFactory()
    deal = DealFactory()

    for url in [
        f"/admin/leads/contact/{contact.pk}/change/",
        f"/admin/leads/deal/{deal.pk}/change/",
    ]:
        assert 'name="_save"' in admin_client.get(url).content.decode(), url
