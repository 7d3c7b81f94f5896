"""The leads explorer: distributions of budget and timeline, filters that combine and live in
the URL, htmx partials, server-side pages."""

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.core.cache import cache
from django.urls import reverse

from analytics import selectors
from leads.models import Conversation, Intent, Language, Temperature, Timeline
from tests.leads.factories import ContactFactory, ConversationFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:leads")
HTMX = {"HTTP_HX_REQUEST": "true"}


def lead(name: str, **fields):
    first, last = name.split()
    return ContactFactory(first_name=first, last_name=last, **fields)


def names(response) -> list[str]:
    return [f"{c.first_name} {c.last_name}" for c in response.context["leads_page"].object_list]


def text(response) -> str:
    html = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def leads(db):
    """Five leads that differ in every filter."""
    return {
        "ana": lead(
            "Ana Lopez",
            budget_max=550_000,
            timeline=Timeline.ASAP,
            temperature=Temperature.HOT,
            intent=Intent.BUYER,
            language=Language.SPANISH,
            source="Zillow",
        ),
        "ben": lead(
            "Ben Carter",
            budget_max=580_000,
            timeline=Timeline.ONE_TO_THREE,
            temperature=Temperature.HOT,
            intent=Intent.BUYER,
            language=Language.ENGLISH,
            source="Referral",
        ),
        "cruz": lead(
            "Cruz Diaz",
            budget_max=850_000,
            timeline=Timeline.ASAP,
            temperature=Temperature.WARM,
            intent=Intent.BOTH,
            language=Language.SPANISH,
            source="Zillow",
        ),
        "dee": lead(
            "Dee Evans",
            budget_max=None,
            timeline=Timeline.SIX_TO_TWELVE,
            temperature=Temperature.COLD,
            intent=Intent.SELLER,
            language=Language.ENGLISH,
            source="Open house",
        ),
        "eli": lead(
            "Eli Fox",
            budget_max=299_000,
            timeline=Timeline.UNKNOWN,
            temperature=Temperature.COLD,
            intent=Intent.UNKNOWN,
            source="",
        ),
    }


def test_every_lead_is_listed_newest_first_with_its_details(dashboard_client, leads):
    ConversationFactory(contact=leads["ana"], stage=Conversation.Stage.QUALIFIED)

    response = dashboard_client.get(URL)

    assert response.status_code == 200
    assert names(response) == ["Eli Fox", "Dee Evans", "Cruz Diaz", "Ben Carter", "Ana Lopez"]
    assert "Ana Lopez Hot 0 Buying $550,000 Within 30 days Qualified Spanish Zillow" in text(
        response
    )
    assert "1–5 of 5 leads" in text(response)


def test_the_budget_and_timeline_charts_count_the_leads_in_each_bar(dashboard_client, leads):
    response = dashboard_client.get(URL)

    budget = dict(
        zip(
            *[response.context["budget_figure"]["data"][0][k] for k in ("customdata", "y")],
            strict=True,
        )
    )
    timeline = dict(
        zip(
            *[response.context["timeline_figure"]["data"][0][k] for k in ("customdata", "y")],
            strict=True,
        )
    )
    assert budget == {
        "under-300k": 1,
        "300k-400k": 0,
        "400k-500k": 0,
        "500k-600k": 2,
        "600k-750k": 0,
        "750k-1m": 1,
        "1m-plus": 0,
        "none": 1,
    }
    assert timeline == {
        "asap": 2,
        "1_3_months": 1,
        "3_6_months": 0,
        "6_12_months": 1,
        "12_plus_months": 0,
        "unknown": 1,
    }


def test_a_budget_filter_narrows_the_list_and_the_timeline_chart_but_not_its_own(
    dashboard_client, leads
):
    response = dashboard_client.get(URL, {"budget": "500k-600k"})

    assert names(response) == ["Ben Carter", "Ana Lopez"]
    timeline = response.context["timeline_figure"]["data"][0]["y"]
    assert sum(timeline) == 2  # Ana (asap) and Ben (1-3 months)
    budget = response.context["budget_figure"]["data"][0]
    assert sum(budget["y"]) == 5  # every budget still shown, so another can be picked
    selected = budget["customdata"].index("500k-600k")
    assert budget["marker"]["color"][selected] != budget["marker"]["color"][0]


def test_filters_combine(dashboard_client, leads):
    response = dashboard_client.get(
        URL, {"timeline": "asap", "language": "es", "temperature": "hot", "source": "Zillow"}
    )

    assert names(response) == ["Ana Lopez"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"intent": "both"}, ["Cruz Diaz"]),
        ({"budget": "none"}, ["Dee Evans"]),
        ({"budget": "under-300k"}, ["Eli Fox"]),
        ({"budget": "750k-1m", "intent": "buyer"}, []),
        ({"source": "Open house"}, ["Dee Evans"]),
        ({"temperature": "cold", "language": "en"}, ["Eli Fox", "Dee Evans"]),
    ],
)
def test_each_filter_keeps_only_the_leads_that_match(dashboard_client, leads, params, expected):
    assert names(dashboard_client.get(URL, params)) == expected


def test_the_stage_filter_matches_a_lead_with_a_conversation_at_that_stage(dashboard_client, leads):
    ConversationFactory(contact=leads["ben"], stage=Conversation.Stage.NURTURE)
    ConversationFactory(contact=leads["ben"], stage=Conversation.Stage.APPOINTMENT)
    ConversationFactory(contact=leads["cruz"], stage=Conversation.Stage.QUALIFYING)

    response = dashboard_client.get(URL, {"stage": "appointment"})

    assert names(response) == ["Ben Carter"]
    assert "Ben Carter Hot 0 Buying $580,000 1–3 months Appointment set" in text(response)


def test_the_date_range_counts_whole_days(dashboard_client, leads):
    for contact, day in zip(leads.values(), [1, 2, 3, 4, 5], strict=True):
        contact.created_at = datetime(2026, 10, day, 23, 59, tzinfo=UTC)
        contact.save(update_fields=["created_at"])

    response = dashboard_client.get(URL, {"created_from": "2026-10-02", "created_to": "2026-10-04"})

    assert names(response) == ["Dee Evans", "Cruz Diaz", "Ben Carter"]


def test_every_filter_is_in_the_url_and_the_page_opened_from_it_shows_it(dashboard_client, leads):
    response = dashboard_client.get(URL, {"budget": "500k-600k", "language": "es"})

    html = response.content.decode()
    assert '<option value="500k-600k" selected>' in html
    assert '<option value="es" selected>' in html
    # The budget links keep the language and toggle the budget.
    assert (
        'href="?language=es" hx-get="?language=es" data-filter="budget" data-value="500k-600k" class="selected"'
        in html
    )
    assert 'href="?language=es&amp;budget=750k-1m"' in html
    assert 'href="?budget=500k-600k&amp;language=es&amp;timeline=asap"' in html


def test_htmx_gets_the_explorer_alone_with_the_clean_address_to_show(dashboard_client, leads):
    response = dashboard_client.get(
        URL,
        {"budget": "500k-600k", "timeline": "", "temperature": "", "source": "", "created_to": ""},
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="explorer"')
    assert "<html" not in html
    assert response["HX-Push-Url"] == f"{URL}?budget=500k-600k"
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(dashboard_client, leads):
    response = dashboard_client.get(
        URL, {"budget": "none"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )

    assert "<html" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"budget": "cheap"}, "Select a valid choice. cheap is not one of the available choices."),
        ({"temperature": "boiling"}, "Select a valid choice."),
        ({"created_from": "yesterday"}, "Enter a valid date."),
        (
            {"created_from": "2026-10-05", "created_to": "2026-10-01"},
            "The end of the date range is before its start.",
        ),
        ({"page": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"page": "last"}, "Enter a whole number."),
    ],
)
def test_a_bad_filter_is_refused_with_the_reason(dashboard_client, leads, params, message):
    response = dashboard_client.get(URL, params)

    assert response.status_code == 400
    assert message in text(response)
    assert "Some filters could not be used." in text(response)


def test_a_bad_filter_from_htmx_comes_back_as_the_explorer_with_the_reason(dashboard_client, leads):
    response = dashboard_client.get(URL, {"created_from": "2026-13-01"}, **HTMX)

    assert response.status_code == 400
    assert response.content.decode().lstrip().startswith('<section id="explorer"')
    assert "Enter a valid date." in text(response)


def test_leads_come_a_page_at_a_time(dashboard_client):
    ContactFactory.create_batch(selectors.LEADS_PER_PAGE + 3, language=Language.SPANISH)

    first = dashboard_client.get(URL, {"language": "es"})
    second = dashboard_client.get(URL, {"language": "es", "page": "2"})
    beyond = dashboard_client.get(URL, {"language": "es", "page": "3"})

    assert len(first.context["leads_page"].object_list) == selectors.LEADS_PER_PAGE
    assert 'href="?language=es&amp;page=2"' in first.content.decode()
    assert len(second.context["leads_page"].object_list) == 3
    assert "26–28 of 28 leads" in text(second)
    assert beyond.status_code == 404
    assert "There is no page 3: these filters give 2." in text(beyond)


def test_a_source_seen_for_the_first_time_is_offered_once_the_list_is_refreshed(
    dashboard_client, leads
):
    dashboard_client.get(URL)
    lead("New Person", source="Billboard")

    # Cached 5 minutes: listed, but not yet a choice.
    assert '<option value="Billboard">' not in dashboard_client.get(URL).content.decode()
    cache.clear()
    assert '<option value="Billboard">' in dashboard_client.get(URL).content.decode()


def test_the_page_costs_the_same_queries_for_five_leads_or_fifty(
    dashboard_client, leads, django_assert_max_num_queries
):
    for contact in leads.values():
        ConversationFactory(contact=contact)
    selectors.lead_sources()  # cached, as it is after the first visit
    filters = {"budget": "500k-600k", "stage": "new", "created_from": "2026-01-01"}
    # Session, user, reviewers group; the count, the page, the two charts.
    with django_assert_max_num_queries(7) as few:
        dashboard_client.get(URL, filters)

    for _ in range(45):
        ConversationFactory(contact=ContactFactory(budget_max=510_000))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = dashboard_client.get(URL, filters)

    assert response.context["leads_page"].paginator.count == 47  # Ana, Ben and the 45
    assert len(response.context["leads_page"].object_list) == selectors.LEADS_PER_PAGE


def test_each_lead_shows_its_learned_score_next_to_the_rule_score(dashboard_client):
    lead("Ana Lopez", score=80, temperature=Temperature.HOT)
    lead(
        "Ben Carter",
        score=45,
        temperature=Temperature.WARM,
        learned_score=0.62,
        learned_temperature=Temperature.HOT,
        learned_model_version=3,
    )

    page = text(dashboard_client.get(URL))

    assert "Ben Carter Warm 45 62%" in page
    assert "Ana Lopez Hot 80 " in page and "Ana Lopez Hot 80 %" not in page  # not scored yet
