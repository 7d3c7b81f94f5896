"""How well a listing fits a buyer: each part of the score, with the reason it gives."""

from decimal import Decimal

import pytest

from buyers.matching import (
    MIN_SCORE,
    BuyerWants,
    ListingFacts,
    must_have_items,
    property_type_codes,
    score_listing,
)

WANTS = BuyerWants(
    budget_max=600_000,
    cities=("Riverside", "Corona"),
    beds_min=3,
    baths_min=Decimal("2"),
    must_haves=("pool", "rv parking"),
)


def listing(**overrides) -> ListingFacts:
    values = {
        "price": 580_000,
        "city": "Riverside",
        "beds": 3,
        "baths": Decimal("2.0"),
        "property_type": "sfr",
        "features": "Pool, RV parking, Solar panels",
        "description": "",
    }
    return ListingFacts(**(values | overrides))


def part(score, name):
    return next(p for p in score.parts if p.part == name)


def test_a_listing_that_has_everything_scores_100_and_says_why_for_each_part():
    score = score_listing(WANTS, listing())

    assert score.total == 100 and score.fits
    assert score.explanation() == [
        ("price", 40, "$580,000 is within the budget (up to $600,000)"),
        ("area", 25, "in Riverside, one of the buyer's cities"),
        ("beds_baths", 20, "3 bedrooms (wants 3+); 2 bathrooms (wants 2+)"),
        ("features", 15, "has pool, rv parking"),
    ]


# --- Price ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "points", "why"),
    [
        (600_000, 40, "$600,000 is within the budget (up to $600,000)"),
        (480_000, 40, "$480,000 is within the budget (up to $600,000)"),
        (420_000, 32, "$420,000 is well under the budget (up to $600,000)"),
        (
            300_000,
            20,
            "$300,000 is far under the budget (up to $600,000): maybe less home than wanted",
        ),
        (624_000, 24, "$624,000 is 4% over the budget (up to $600,000)"),
        (650_000, 12, "$650,000 is 8% over the budget (up to $600,000)"),
    ],
)
def test_price_fit_is_graded_against_the_budget(price, points, why):
    score = score_listing(WANTS, listing(price=price))

    assert (part(score, "price").points, part(score, "price").why) == (points, why)
    assert not score.ruled_out


def test_more_than_ten_percent_over_budget_rules_the_listing_out_whatever_else_fits():
    score = score_listing(WANTS, listing(price=670_000))

    assert part(score, "price").points == 0
    assert score.ruled_out == "$670,000 is 12% over the budget (up to $600,000)"
    assert not score.fits
    assert ("ruled_out", 0, score.ruled_out) in score.explanation()


def test_a_price_below_a_stated_range_scores_less_than_one_inside_it():
    wants = BuyerWants(budget_min=500_000, budget_max=600_000)

    inside = score_listing(wants, listing(price=520_000))
    below = score_listing(wants, listing(price=450_000))

    assert part(inside, "price").points == 40
    assert part(inside, "price").why == "$520,000 is within the budget ($500,000–$600,000)"
    assert part(below, "price").points == 24
    assert "below the buyer's range" in part(below, "price").why


def test_without_a_budget_nothing_fits_because_the_price_cannot_be_judged():
    score = score_listing(BuyerWants(cities=("Riverside",)), listing())

    assert not score.fits
    assert score.ruled_out == "no budget known, so the price fit cannot be judged"


def test_a_single_budget_figure_stated_as_a_minimum_is_still_the_buyers_number():
    score = score_listing(BuyerWants(budget_min=600_000), listing(price=590_000))

    assert part(score, "price").points == 40


# --- Area ----------------------------------------------------------------------------------


def test_a_listing_in_one_of_the_buyers_cities_gets_the_area_points_however_it_is_spelled():
    score = score_listing(WANTS, listing(city="corona, CA"))

    assert part(score, "area").points == 25
    assert part(score, "area").why == "in corona, CA, one of the buyer's cities"


def test_a_listing_outside_the_buyers_cities_is_ruled_out():
    score = score_listing(WANTS, listing(city="Temecula"))

    assert part(score, "area").points == 0
    assert score.ruled_out == "in Temecula, not in the buyer's cities (Riverside, Corona)"
    assert not score.fits


def test_a_buyer_who_named_no_city_takes_any_city():
    score = score_listing(BuyerWants(budget_max=600_000), listing(city="Temecula"))

    assert part(score, "area").points == 25
    assert part(score, "area").why == "in Temecula; no area given, any city fits"


def test_spanish_city_names_with_accents_match_the_listing():
    wants = BuyerWants(budget_max=600_000, cities=("San Bernardíno",))

    assert part(score_listing(wants, listing(city="San Bernardino")), "area").points == 25


# --- Bedrooms and bathrooms ----------------------------------------------------------------


def test_one_bedroom_short_costs_points_and_two_short_rules_the_home_out():
    wants = BuyerWants(budget_max=600_000, beds_min=4)

    short = score_listing(wants, listing(beds=3))
    far = score_listing(wants, listing(beds=2))

    assert part(short, "beds_baths").points == 4 + 8
    assert "3 bedrooms, one short of 4" in part(short, "beds_baths").why
    assert not short.ruled_out
    assert far.ruled_out == "2 bedrooms; the buyer wants 4+"


def test_bathrooms_short_by_half_get_half_the_points_and_more_get_none():
    wants = BuyerWants(budget_max=600_000, baths_min=Decimal("2.5"))

    half = score_listing(wants, listing(baths=Decimal("2.0")))
    whole = score_listing(wants, listing(baths=Decimal("1.0")))

    assert part(half, "beds_baths").points == 12 + 4
    assert "2 bathrooms, half a bath short of 2.5" in part(half, "beds_baths").why
    assert part(whole, "beds_baths").points == 12
    assert "1 bathroom, short of 2.5" in part(whole, "beds_baths").why


def test_no_bedroom_or_bathroom_minimum_costs_nothing():
    score = score_listing(BuyerWants(budget_max=600_000), listing(beds=2, baths=Decimal("1.0")))

    assert part(score, "beds_baths").points == 20
    assert "no minimum given" in part(score, "beds_baths").why


# --- Features ------------------------------------------------------------------------------


def test_must_haves_are_found_in_the_listings_features_and_description():
    wants = BuyerWants(budget_max=600_000, must_haves=("pool", "rv parking", "single story"))

    score = score_listing(
        wants,
        listing(features="Pool", description="A one-story home with room for an RV and a boat."),
    )

    assert part(score, "features").points == 15
    assert part(score, "features").why == "has pool, rv parking, single story"


def test_a_missing_must_have_costs_its_share_and_is_named():
    wants = BuyerWants(budget_max=600_000, must_haves=("pool", "solar", "fireplace"))

    score = score_listing(wants, listing(features="Pool, Central air", description=""))

    assert part(score, "features").points == 5
    assert part(score, "features").why == "has pool; no mention of solar, fireplace"


def test_must_haves_in_spanish_match_features_written_in_english():
    wants = BuyerWants(
        budget_max=600_000, must_haves=must_have_items("Alberca, cochera y un solo piso")
    )

    score = score_listing(
        wants, listing(features="Swimming pool, Two-car garage, Single story", description="")
    )

    assert part(score, "features").points == 15


def test_a_must_have_we_have_no_word_list_for_is_matched_by_its_words():
    wants = BuyerWants(budget_max=600_000, must_haves=("wine cellar",))

    has = score_listing(wants, listing(description="Downstairs, a wine cellar for 300 bottles."))
    lacks = score_listing(wants, listing(description="A cellar."))

    assert part(has, "features").points == 15
    assert part(lacks, "features").points == 0


def test_a_word_inside_another_word_is_not_a_feature():
    wants = BuyerWants(budget_max=600_000, must_haves=("pool",))

    score = score_listing(wants, listing(features="Whirlpool tub", description="Near Liverpool St"))

    assert part(score, "features").points == 0


def test_no_must_haves_costs_nothing():
    score = score_listing(BuyerWants(budget_max=600_000), listing(features=""))

    assert (part(score, "features").points, part(score, "features").why) == (
        15,
        "no must-haves given",
    )


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("Pool, RV parking and a big yard", ("pool", "rv parking", "yard")),
        ("must have a pool; no HOA / solar", ("pool", "no hoa", "solar")),
        ("Quiero alberca y un piso, con cochera", ("alberca", "un piso", "cochera")),
        ("", ()),
    ],
)
def test_must_haves_are_split_into_items_as_the_buyer_listed_them(text, items):
    assert must_have_items(text) == items


# --- Property type and the threshold -------------------------------------------------------


def test_a_property_type_the_buyer_did_not_ask_for_is_ruled_out():
    wants = BuyerWants(budget_max=600_000, property_types=property_type_codes(["Condos"]))

    score = score_listing(wants, listing(property_type="sfr"))

    assert score.ruled_out == "a single-family home; the buyer wants a condo"


def test_the_buyers_words_for_property_types_become_property_types():
    assert property_type_codes(["house", "Townhomes", "condominio", "castle"]) == (
        "sfr",
        "townhouse",
        "condo",
    )


def test_a_listing_that_fits_only_loosely_falls_under_the_minimum_score():
    # Far under budget, half a bath short, none of the must-haves: not worth a text.
    wants = BuyerWants(
        budget_max=600_000,
        cities=("Riverside",),
        baths_min=Decimal("2.5"),
        must_haves=("pool", "solar"),
    )

    score = score_listing(wants, listing(price=300_000, baths=Decimal("2.0"), features=""))

    assert score.total == 20 + 25 + 12 + 4 + 0
    assert score.total < MIN_SCORE and not score.ruled_out
    assert not score.fits
