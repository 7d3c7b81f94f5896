"""The public listing page a buyer opens from a text: the home's facts, nobody's personal data."""

from decimal import Decimal

import pytest

from sellers.models import Property
from tests.leads.factories import ContactFactory
from tests.sellers.factories import CMAReportFactory, ListingFactory, SellerQualificationFactory

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_homes_address_price_rooms_size_and_features(client):
    home = ListingFactory(
        address="4521 Magnolia Ave",
        city="Riverside",
        postal_code="92503",
        list_price=615_000,
        beds=4,
        baths=Decimal("2.5"),
        living_sqft=2150,
        lot_sqft=7200,
        year_built=1994,
        features="Pool; RV parking, Solar panels",
        description="Updated kitchen and a big backyard.",
    )

    response = client.get(f"/p/{home.slug}/")

    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        "4521 Magnolia Ave",
        "Riverside, CA 92503",
        "$615,000",
        "<dd>4</dd>",
        "<dd>2.5</dd>",
        "2,150 sq ft",
        "7,200 sq ft",
        "1994",
        "Single family",
        "<li>Pool</li>",
        "<li>RV parking</li>",
        "<li>Solar panels</li>",
        "Updated kitchen and a big backyard.",
    ):
        assert text in body, text


def test_the_page_needs_no_login_and_shows_no_persons_data(client):
    seller = ContactFactory(
        first_name="Rosalind", last_name="Okafor", phone="+19095550188", email="ro@example.com"
    )
    home = ListingFactory(address="77 Orange St")
    SellerQualificationFactory(contact=seller, address="77 Orange St", subject_property=home)
    CMAReportFactory(contact=seller, subject_property=home, address="77 Orange St")

    body = client.get(f"/p/{home.slug}/").content.decode()

    assert "77 Orange St" in body
    for private in ("Rosalind", "Okafor", "+19095550188", "5550188", "ro@example.com"):
        assert private not in body
    # Not the back office's login link either: a buyer has nothing to log in to.
    assert "/admin/" not in body


def test_the_page_is_in_spanish_when_the_link_asks_for_it(client):
    home = ListingFactory(beds=3)

    body = client.get(f"/p/{home.slug}/", {"lang": "es"}).content.decode()

    assert '<html lang="es">' in body
    assert "Recámaras" in body and "Precio de venta" in body and "Casa unifamiliar" in body


def test_an_unknown_language_falls_back_to_english(client):
    home = ListingFactory()

    body = client.get(f"/p/{home.slug}/", {"lang": "xx<script>"}).content.decode()

    assert '<html lang="en">' in body and "Bedrooms" in body


def test_an_unknown_link_is_a_404_page_that_says_so(client):
    response = client.get("/p/no-such-home-riverside/")

    assert response.status_code == 404
    assert "We couldn&#x27;t find this home" in response.content.decode()


@pytest.mark.parametrize(
    "changes",
    [
        {"status": Property.Status.SOLD, "sold_price": 600_000, "sold_date": "2026-10-01"},
        {"status": Property.Status.PENDING},
        {"status": Property.Status.OFF_MARKET},
        {"list_price": None},
    ],
)
def test_a_home_no_longer_on_the_market_says_so_without_its_details(client, changes):
    home = ListingFactory(address="12 Citrus Ave", list_price=555_000, features="Pool")
    Property.objects.filter(pk=home.pk).update(**changes)

    response = client.get(f"/p/{home.slug}/")

    assert response.status_code == 410
    body = response.content.decode()
    assert "This home is no longer on the market" in body
    assert "12 Citrus Ave" in body
    assert "$555,000" not in body and "600,000" not in body and "Pool" not in body


def test_the_page_answers_head_requests_and_refuses_posts(client):
    home = ListingFactory()

    assert client.head(f"/p/{home.slug}/").status_code == 200
    assert client.post(f"/p/{home.slug}/").status_code == 405


def test_the_page_reads_the_database_once(client, django_assert_num_queries):
    home = ListingFactory()

    with django_assert_num_queries(1):
        assert client.get(f"/p/{home.slug}/").status_code == 200
