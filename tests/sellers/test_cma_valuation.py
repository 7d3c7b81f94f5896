"""The CMA estimate against hand-computed cases (the arithmetic is written out in comments)."""

from decimal import Decimal

import pytest

from sellers.cma.comparables import Subject, find_comparables
from sellers.cma.valuation import estimate
from sellers.models import CMAReport
from tests.sellers.factories import TODAY, PropertyFactory

pytestmark = pytest.mark.django_db


def value(subject: Subject):
    return estimate(subject=subject, search=find_comparables(subject=subject, as_of=TODAY))


def test_three_identical_recent_sales_give_their_average_with_the_minimum_spread():
    # Three 2,000 sq ft 3/2 homes in Riverside, sold 73 days ago, no coordinates.
    for price in (500_000, 510_000, 520_000):
        PropertyFactory(sold_price=price, days_ago=73)
    subject = Subject(
        address="1 Test Ct", city="Riverside", beds=3, baths=Decimal("2.0"), living_sqft=2000
    )

    result = value(subject)

    # No size/bed/bath difference: adjusted = sold price.
    # similarity = 1 - 0.05 * 2 miles (distance unknown = the radius) = 0.90
    # recency = 1 - 73/730 = 0.90; weight = 0.81 each
    # mean = (500,000 + 510,000 + 520,000) / 3 = 510,000
    # sd = sqrt((10,000² + 0 + 10,000²) / 3) = 8,164.97 < 3% of 510,000 = 15,300 → spread 15,300
    # low = 494,700 → 495,000; high = 525,300 → 525,000 (rounded to $1,000)
    assert sorted(r["adjusted_price"] for r in result.rows) == [500_000, 510_000, 520_000]
    assert {r["weight"] for r in result.rows} == {"0.8100"}
    assert (result.low, result.mid, result.high) == (495_000, 510_000, 525_000)
    # cv = 8,164.97 / 510,000 = 0.0160; 3 sales (< 5 for high) → medium
    assert result.coefficient_of_variation == Decimal("0.0160")
    assert result.confidence == CMAReport.Confidence.MEDIUM
    assert result.status == CMAReport.Status.READY


def test_sales_are_adjusted_for_size_beds_and_baths_and_weighted_by_similarity_and_recency():
    subject = Subject(
        address="1 Test Ct", city="Riverside", beds=3, baths=Decimal("2.0"), living_sqft=2000
    )
    PropertyFactory(mls_id="A", living_sqft=2000, sold_price=600_000, days_ago=30)
    PropertyFactory(mls_id="B", living_sqft=1800, sold_price=540_000, days_ago=90)
    PropertyFactory(
        mls_id="C",
        living_sqft=2200,
        beds=4,
        baths=Decimal("2.5"),
        sold_price=704_000,
        days_ago=180,
    )

    result = value(subject)
    rows = {r["mls_id"]: r for r in result.rows}

    # A: identical home. adjusted 600,000
    #    similarity 1 - 0.10 (2 miles) = 0.90; recency 1 - 30/730 = 0.9589; weight 0.8630
    assert (rows["A"]["adjustment"], rows["A"]["adjusted_price"]) == (0, 600_000)
    assert (rows["A"]["similarity"], rows["A"]["recency"], rows["A"]["weight"]) == (
        "0.9000",
        "0.9589",
        "0.8630",
    )
    # B: 200 sq ft smaller at $300/sq ft → +200 * 300 * 0.5 = +30,000 → 570,000
    #    similarity 1 - 2*200/2000 - 0.10 = 0.70; recency 1 - 90/730 = 0.8767; weight 0.6137
    assert (rows["B"]["size_adjustment"], rows["B"]["adjusted_price"]) == (30_000, 570_000)
    assert rows["B"]["weight"] == "0.6137"
    # C: $320/sq ft, 200 sq ft bigger → -200 * 320 * 0.5 = -32,000; one bed more → -10,000;
    #    half a bath more → -0.5 * 7,500 = -3,750; total -45,750 → 658,250
    #    similarity 1 - 0.2 - 0.10 - 0.025 - 0.10 = 0.575; recency 1 - 180/730 = 0.7534;
    #    weight 0.575 * 0.7534 = 0.4332
    assert (
        rows["C"]["size_adjustment"],
        rows["C"]["bed_adjustment"],
        rows["C"]["bath_adjustment"],
        rows["C"]["adjusted_price"],
        rows["C"]["weight"],
    ) == (-32_000, -10_000, -3_750, 658_250, "0.4332")
    # Σw = 0.8630 + 0.6137 + 0.4332 = 1.9099
    # Σw·p = 517,800 + 349,809 + 285,153.9 = 1,152,762.9 → mean 603,572.39 → mid 604,000
    # deviations -3,572.39, -33,572.39, +54,677.61
    # Σw·d² = 11,013,580 + 691,704,566 + 1,295,112,496 = 1,997,830,642; / 1.9099 → sd 32,342
    # (above the 3% floor of 18,107) → low 571,230 → 571,000; high 635,914 → 636,000
    assert (result.low, result.mid, result.high) == (571_000, 604_000, 636_000)
    # cv = 32,342 / 603,572 = 0.0536 → medium (more than 5% apart, and only 3 sales)
    assert result.coefficient_of_variation == Decimal("0.0536")
    assert result.confidence == CMAReport.Confidence.MEDIUM


def test_five_close_recent_sales_that_agree_give_high_confidence():
    for price in (590_000, 595_000, 600_000, 605_000, 610_000):
        PropertyFactory(sold_price=price, days_ago=73)
    subject = Subject(
        address="1 Test Ct", city="Riverside", beds=3, baths=Decimal("2.0"), living_sqft=2000
    )

    result = value(subject)

    # Equal weights: mean 600,000; sd = sqrt((10k² + 5k² + 0 + 5k² + 10k²) / 5) = 7,071.07
    # 3% floor 18,000 → 582,000 to 618,000; cv 0.0118 ≤ 0.05 with 5 sales in 6 months → high
    assert (result.low, result.mid, result.high) == (582_000, 600_000, 618_000)
    assert result.confidence == CMAReport.Confidence.HIGH


def test_unknown_size_gives_the_spread_of_nearby_sales_with_low_confidence():
    for price in (400_000, 500_000, 600_000):
        PropertyFactory(sold_price=price, days_ago=73, living_sqft=1500 + price // 1000)
    subject = Subject(address="1 Test Ct", city="Riverside")

    result = value(subject)

    # Nothing to adjust for: adjusted = sold price; weights equal (0.90 * 0.90 = 0.81)
    # mean 500,000; sd = sqrt((100k² + 0 + 100k²) / 3) = 81,649.66 > 10% floor (50,000)
    # low 418,350 → 418,000; high 581,650 → 582,000
    assert all(r["adjustment"] == 0 for r in result.rows)
    assert (result.low, result.mid, result.high) == (418_000, 500_000, 582_000)
    assert result.confidence == CMAReport.Confidence.LOW
    assert "living area is unknown" in result.method
    assert "square feet" in result.method


def test_too_few_comparables_gives_no_value_and_says_so():
    PropertyFactory(sold_price=500_000, days_ago=20)
    PropertyFactory(sold_price=520_000, days_ago=200)
    subject = Subject(
        address="1 Test Ct", city="Riverside", beds=3, baths=Decimal("2.0"), living_sqft=2000
    )

    result = value(subject)

    assert result.status == CMAReport.Status.INSUFFICIENT
    assert result.confidence == CMAReport.Confidence.NONE
    assert (result.low, result.mid, result.high) == (None, None, None)
    assert len(result.rows) == 2
    assert "We found 2" in result.method
    assert "at least 3" in result.method
    assert "$" not in result.method  # no figure is invented
