"""The listing page in a real browser (headless Chromium): on a phone and on a laptop, and
opened from the link in a buyer's matches message."""

from decimal import Decimal

import pytest

from buyers.services.matching import matches_message
from tests.browser import page_has_no_horizontal_scroll
from tests.buyers.factories import BuyerProfileFactory
from tests.leads.factories import ContactFactory
from tests.sellers.factories import ListingFactory, SellerQualificationFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def home():
    listing = ListingFactory(
        address="27350 Mission Inn Avenue North, Unit 1204",
        city="Rancho Cucamonga",
        postal_code="91739",
        list_price=1_245_000,
        beds=5,
        baths=Decimal("3.5"),
        living_sqft=3420,
        lot_sqft=9800,
        year_built=2004,
        features="Pool, RV parking, Solar panels, Casita (ADU), Mountain views, Three-car garage",
        description="A long description of the home. " * 12,
    )
    # The seller behind the listing: nothing of them may reach the page.
    seller = ContactFactory(first_name="Rosalind", last_name="Okafor", phone="+19095550188")
    SellerQualificationFactory(contact=seller, address=listing.address, subject_property=listing)
    return listing


def test_on_a_phone_the_page_fits_the_screen_and_shows_the_home(browser, live_server, home):
    page = browser.page("phone")

    response = page.goto(f"{live_server.url}/p/{home.slug}/")

    assert response.status == 200
    assert page.locator("h1").inner_text() == home.address
    assert page.get_by_text("$1,245,000").is_visible()
    assert page_has_no_horizontal_scroll(page)
    # The facts sit two to a row on a phone.
    boxes = [fact.bounding_box() for fact in page.locator(".listing-facts > div").all()[:3]]
    assert boxes[0]["y"] == boxes[1]["y"] < boxes[2]["y"]
    text = page.locator("body").inner_text()
    assert "Rosalind" not in text and "Okafor" not in text and "5550188" not in text
    assert "Log in" not in text
    assert browser.blocked == []  # the page loads nothing from outside the site


def test_on_a_laptop_the_price_sits_beside_the_address_and_the_facts_three_to_a_row(
    browser, live_server, home
):
    page = browser.page("laptop")

    page.goto(f"{live_server.url}/p/{home.slug}/")

    title = page.locator("h1").bounding_box()
    price = page.locator(".listing-price").bounding_box()
    assert price["x"] > title["x"] + title["width"] - 1
    boxes = [fact.bounding_box() for fact in page.locator(".listing-facts > div").all()[:4]]
    assert boxes[0]["y"] == boxes[1]["y"] == boxes[2]["y"] < boxes[3]["y"]
    assert page_has_no_horizontal_scroll(page)
    # The stylesheet is really applied: the price is in the accent green.
    color = page.locator(".listing-price").evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(11, 110, 79)"


def test_the_link_in_a_matches_message_opens_that_listing(browser, live_server, settings):
    settings.SITE_URL = live_server.url
    contact = ContactFactory(language="es", first_name="Lupe", intent="buyer", budget_max=600_000)
    BuyerProfileFactory(contact=contact, cities=["Riverside"], beds_min=3, must_haves="Pool")
    ListingFactory(address="1 Pine Ave", list_price=590_000)
    second = ListingFactory(address="2 Oak Ave", list_price=570_000)
    link = matches_message(contact).splitlines()[2].rsplit(" ", 1)[1]
    page = browser.page("phone")

    page.goto(link)

    assert page.locator("h1").inner_text() == "2 Oak Ave"
    assert page.url == f"{live_server.url}/p/{second.slug}/?lang=es"
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_text("Recámaras").is_visible()


def test_a_sold_home_opened_from_an_old_link_says_it_is_gone(browser, live_server, home):
    home.status = "sold"
    home.sold_price, home.sold_date = 1_200_000, "2026-10-01"
    home.save()
    page = browser.page("phone")

    response = page.goto(f"{live_server.url}/p/{home.slug}/")

    assert response.status == 410
    assert page.locator("h1").inner_text() == "This home is no longer on the market"
    assert page_has_no_horizontal_scroll(page)
