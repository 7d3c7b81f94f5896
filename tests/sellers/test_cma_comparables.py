"""Which sales a CMA compares against: time window, area, size and bedrooms."""

from decimal import Decimal

import pytest

from sellers.cma.comparables import (
    Subject,
    find_comparables,
    haversine_miles,
    months_before,
    normalize_address,
)
from sellers.models import Property
from tests.sellers.factories import TODAY, PropertyFactory

pytestmark = pytest.mark.django_db

RIVERSIDE = (Decimal("33.953300"), Decimal("-117.396200"))


def found(subject: Subject) -> set[str]:
    return {c.home.mls_id for c in find_comparables(subject=subject, as_of=TODAY).comparables}


def subject(**kwargs) -> Subject:
    facts = {"address": "1 Test Ct", "city": "Riverside", "beds": 3, "living_sqft": 2000}
    return Subject(**(facts | kwargs))


def test_three_sales_in_six_months_keep_the_window_at_six_months():
    for n, days in enumerate((10, 60, 150)):
        PropertyFactory(mls_id=f"recent{n}", days_ago=days)
    PropertyFactory(mls_id="older", days_ago=240)

    search = find_comparables(subject=subject(), as_of=TODAY)

    assert search.months == 6
    assert {c.home.mls_id for c in search.comparables} == {"recent0", "recent1", "recent2"}


def test_fewer_than_three_recent_sales_widen_the_window_to_twelve_months():
    PropertyFactory(mls_id="recent0", days_ago=10)
    PropertyFactory(mls_id="recent1", days_ago=100)
    PropertyFactory(mls_id="eight-months", days_ago=240)
    PropertyFactory(mls_id="thirteen-months", days_ago=400)

    search = find_comparables(subject=subject(), as_of=TODAY)

    assert search.months == 12
    assert {c.home.mls_id for c in search.comparables} == {"recent0", "recent1", "eight-months"}


def test_six_months_is_counted_in_calendar_months():
    assert months_before(TODAY, 6).isoformat() == "2026-05-21"
    assert months_before(TODAY.replace(month=8, day=31), 6).isoformat() == "2026-02-28"


def test_living_area_within_twenty_percent_and_beds_within_one_are_comparable():
    PropertyFactory(mls_id="1600", living_sqft=1600)
    PropertyFactory(mls_id="1599", living_sqft=1599)
    PropertyFactory(mls_id="2400", living_sqft=2400)
    PropertyFactory(mls_id="2401", living_sqft=2401)
    PropertyFactory(mls_id="2-beds", beds=2)
    PropertyFactory(mls_id="4-beds", beds=4)
    PropertyFactory(mls_id="1-bed", beds=1)
    PropertyFactory(mls_id="5-beds", beds=5)

    assert found(subject()) == {"1600", "2400", "2-beds", "4-beds"}


def test_active_listings_and_the_subject_itself_are_not_comparables():
    home = PropertyFactory(mls_id="subject", address="77 Main Street")
    PropertyFactory(mls_id="same-address-earlier-sale", address="77 Main St.", days_ago=120)
    PropertyFactory(mls_id="active", status=Property.Status.ACTIVE, sold_price=None)
    PropertyFactory(mls_id="comp")

    assert found(Subject.from_property(home)) == {"comp"}


def test_sales_in_the_same_city_or_within_two_miles_are_comparable():
    lat, lng = RIVERSIDE
    # 0.01° of latitude ≈ 0.69 miles; 0.15° ≈ 10.4 miles.
    PropertyFactory(
        mls_id="other-city-1-mile",
        city="Jurupa Valley",
        latitude=lat + Decimal("0.0145"),
        longitude=lng,
    )
    PropertyFactory(
        mls_id="other-city-10-miles", city="Corona", latitude=lat - Decimal("0.15"), longitude=lng
    )
    PropertyFactory(
        mls_id="same-city-10-miles", city="Riverside", latitude=lat + Decimal("0.15"), longitude=lng
    )
    PropertyFactory(mls_id="other-city-no-coordinates", city="Norco")

    result = find_comparables(subject=subject(latitude=lat, longitude=lng), as_of=TODAY)

    assert {c.home.mls_id for c in result.comparables} == {
        "other-city-1-mile",
        "same-city-10-miles",
    }
    distances = {c.home.mls_id: c.distance_miles for c in result.comparables}
    assert distances["other-city-1-mile"] == Decimal("1.00")


def test_without_coordinates_only_the_same_city_counts():
    PropertyFactory(mls_id="riverside", city="riverside")  # case does not matter
    PropertyFactory(
        mls_id="jurupa", city="Jurupa Valley", latitude=RIVERSIDE[0], longitude=RIVERSIDE[1]
    )

    assert found(subject()) == {"riverside"}


def test_haversine_gives_great_circle_miles():
    # One degree of latitude along a meridian: 2π * 3,958.8 / 360 = 69.09 miles.
    assert haversine_miles(Decimal(0), Decimal(0), Decimal(1), Decimal(0)) == Decimal("69.09")
    # Riverside to San Bernardino: Δlat 0.155° ≈ 10.71 mi, Δlng 0.1064° * cos 34° ≈ 6.10 mi,
    # √(10.71² + 6.10²) ≈ 12.3 miles.
    miles = haversine_miles(*RIVERSIDE, Decimal("34.1083"), Decimal("-117.2898"))
    assert Decimal("12.2") < miles < Decimal("12.4")


def test_addresses_match_whatever_the_suffix_spelling():
    assert normalize_address("1234 N. Magnolia Avenue") == normalize_address(
        "1234 north magnolia ave"
    )
