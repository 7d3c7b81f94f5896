"""The listings a buyer is shown: only real ones on the market, best first, in one message."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from buyers.selectors import top_matches
from buyers.services.matching import compose_matches, matches_message
from sellers.models import Property
from tests.buyers.factories import BuyerProfileFactory
from tests.leads.factories import ContactFactory
from tests.sellers.factories import ListingFactory, PropertyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://homes.example.com"


def buyer(**contact):
    """A buyer with $600k, looking in Riverside or Corona for 3+ beds, 2+ baths, a pool."""
    values = {"first_name": "Ana", "budget_max": 600_000, "intent": "buyer"} | contact
    return BuyerProfileFactory(
        contact=ContactFactory(**values),
        cities=["Riverside", "Corona"],
        beds_min=3,
        baths_min=Decimal("2"),
        must_haves="Pool",
    ).contact


def test_the_top_three_come_best_first_with_their_explanations():
    contact = buyer()
    nearest = ListingFactory(list_price=590_000, city="Corona")
    cheaper = ListingFactory(list_price=560_000)
    short = ListingFactory(list_price=580_000, beds=2)  # one bedroom short
    ListingFactory(list_price=500_000, features="")  # no pool: fourth
    ListingFactory(list_price=680_000)  # 13% over budget
    ListingFactory(list_price=550_000, city="Temecula")  # not one of their cities

    matches = top_matches(contact=contact)

    assert [m.home for m in matches] == [nearest, cheaper, short]
    assert [m.score.total for m in matches] == [100, 100, 92]
    assert matches[2].score.explanation()[2] == (
        "beds_baths",
        12,
        "2 bedrooms, one short of 3; 2 bathrooms (wants 2+)",
    )


def test_only_homes_on_the_market_with_a_price_are_ever_matched():
    contact = buyer()
    PropertyFactory(status=Property.Status.SOLD, sold_price=580_000)
    ListingFactory(status=Property.Status.PENDING)
    ListingFactory(status=Property.Status.OFF_MARKET)
    ListingFactory(list_price=None)

    assert top_matches(contact=contact) == []
    assert matches_message(contact) is None


def test_nothing_is_sent_when_no_listing_fits_reasonably():
    contact = buyer()
    ListingFactory(list_price=700_000)
    ListingFactory(city="Temecula")
    ListingFactory(beds=1)

    assert matches_message(contact) is None


def test_a_buyer_without_a_budget_gets_no_matches():
    contact = buyer(budget_max=None)
    ListingFactory()

    assert matches_message(contact) is None


def test_the_message_lists_the_matches_with_links_to_their_pages_in_english(client):
    contact = buyer()
    first = ListingFactory(list_price=590_000, city="Corona", beds=4, baths=Decimal("2.5"))
    second = ListingFactory(list_price=560_000)

    text = matches_message(contact)

    assert text == (
        "Hi Ana, here are 2 homes for sale that fit what you told me:\n"
        f"1) Corona, 4 bd/2.5 ba, $590,000: https://homes.example.com/p/{first.slug}/\n"
        f"2) Riverside, 3 bd/2 ba, $560,000: https://homes.example.com/p/{second.slug}/\n"
        "Reply here if one catches your eye."
    )


def test_the_message_is_in_spanish_for_a_spanish_speaker_and_links_to_spanish_pages():
    contact = buyer(language="es", first_name="Lupe")
    home = ListingFactory(list_price=575_000)

    text = matches_message(contact)

    assert text == (
        "Hola Lupe, esta casa en venta encaja con lo que me dijo:\n"
        f"1) Riverside, 3 rec/2 baños, $575,000: https://homes.example.com/p/{home.slug}/?lang=es\n"
        "Responda aquí si alguna le interesa."
    )


def test_each_link_in_the_message_opens_the_page_of_that_listing(client):
    contact = buyer()
    homes = [
        ListingFactory(list_price=590_000, address="1 Pine Ave"),
        ListingFactory(list_price=570_000, address="2 Oak Ave"),
        ListingFactory(list_price=550_000, address="3 Elm Ave"),
    ]

    links = [line.rsplit(" ", 1)[1] for line in matches_message(contact).splitlines()[1:4]]

    for home, link in zip(homes, links, strict=True):
        page = client.get(urlsplit(link).path)
        assert page.status_code == 200
        assert home.address in page.content.decode()


def test_without_a_profile_the_cities_named_in_the_contacts_area_are_used():
    contact = ContactFactory(intent="buyer", budget_max=600_000, area="Corona or Riverside, CA")
    riverside = ListingFactory(city="Riverside")
    corona = ListingFactory(city="Corona", list_price=560_000)
    ListingFactory(city="Temecula", list_price=590_000)

    assert {m.home for m in top_matches(contact=contact)} == {riverside, corona}


def test_the_composed_message_carries_each_listings_score_for_the_audit():
    contact = buyer()
    home = ListingFactory(list_price=590_000)

    composed = compose_matches(contact)

    assert composed.audit_data()["listings"] == [
        {
            "property": home.pk,
            "price": 590_000,
            "score": 100,
            "explanation": [
                ("price", 40, "$590,000 is within the budget (up to $600,000)"),
                ("area", 25, "in Riverside, one of the buyer's cities"),
                ("beds_baths", 20, "3 bedrooms (wants 3+); 2 bathrooms (wants 2+)"),
                ("features", 15, "has pool"),
            ],
        }
    ]


def test_reading_the_matches_takes_a_fixed_number_of_queries(django_assert_num_queries):
    contact = buyer()
    ListingFactory.create_batch(12)
    contact = type(contact).objects.select_related("buyer_profile").get(pk=contact.pk)

    # The cities on the market, then the listings within reach.
    with django_assert_num_queries(2):
        assert len(top_matches(contact=contact)) == 3
