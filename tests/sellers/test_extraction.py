"""The seller's answers read from realistic messages, in English and Spanish (offline rules)."""

import pytest

from sellers.extraction import extract_seller_answers

Q0, Q1, Q3, Q4 = "q0_address", "q1_motivation", "q3_condition", "q4_price"


def case(text, expecting="", **expected):
    return pytest.param(text, expecting, expected, id=text[:60])


ANSWERS = [
    # --- Q0: address and permission ---------------------------------------------------------
    case("1234 Magnolia Ave, Riverside", address="1234 Magnolia Ave", city="Riverside"),
    case(
        "mi casa está en 5678 Calle Sol, Fontana",
        address="5678 Calle Sol",
        city="Fontana",
    ),
    case(
        "It's 1234 N. Magnolia Avenue, Riverside CA 92501. Sure go ahead",
        address="1234 N. Magnolia Avenue",
        city="Riverside",
        permission=True,
    ),
    case("1234 magnolia ave, riverside", address="1234 Magnolia Ave", city="Riverside"),
    case("Calle Sol 5678, Fontana", address="Calle Sol 5678", city="Fontana"),
    case(
        "la casa está en 910 Avenida Juárez en Ontario",
        address="910 Avenida Juárez",
        city="Ontario",
    ),
    case("77 Olive Street in Corona, we're downsizing", address="77 Olive Street", city="Corona"),
    case("432 W Grand Blvd apt 5, Corona", address="432 W Grand Blvd apt 5", city="Corona"),
    case("1234 Magnolia, Riverside", Q0, address="1234 Magnolia", city="Riverside"),
    case("1234 Magnolia, Riverside", "", address=""),  # no street word: only as an answer
    case("sure", Q0, permission=True),
    case("Claro que sí", Q0, permission=True),
    case("ok go ahead", Q0, permission=True),
    case("no thanks", Q0, permission=False),
    case("prefiero no", Q0, permission=False),
    case("sure", Q1, permission=None),  # a "sure" to another question is not a permission
    case("we have 3 beds and 2 baths", Q0, address=""),
    # --- Q1: motivation and its kind ----------------------------------------------------------
    case("We're relocating to Texas for my job", motivation_kind="relocation"),
    case("nos mudamos a Texas por trabajo", motivation_kind="relocation"),
    case("need a bigger place, the family is growing", motivation_kind="upsizing"),
    case("ya no cabemos, necesitamos algo más grande", motivation_kind="upsizing"),
    case("kids moved out and it's too big for us", motivation_kind="downsizing"),
    case("la casa es muy grande para nosotros dos", motivation_kind="downsizing"),
    case("we're behind on the mortgage payments", motivation_kind="financial"),
    case("tenemos muchas deudas", motivation_kind="financial"),
    case("my mom passed away and we inherited the house", motivation_kind="inheritance"),
    case("es una herencia de mi papá", motivation_kind="inheritance"),
    case("going through a divorce", motivation_kind="divorce"),
    case("me estoy divorciando", motivation_kind="divorce"),
    case("I'm retiring next year", motivation_kind="retirement"),
    case("ya me voy a jubilar", motivation_kind="retirement"),
    case("it's a rental property, tired of being a landlord", motivation_kind="investment"),
    case("es una casa de renta y queremos aprovechar los precios", motivation_kind="investment"),
    case("just time for a change honestly", Q1, motivation_kind="other"),
    case("just time for a change honestly", "", motivation_kind=""),  # only as an answer
    case("what is your commission?", Q1, motivation_kind=""),  # a question back is no reason
    case("we're not relocating, we just want something newer", Q1, motivation_kind="other"),
    # --- Q3: condition and occupancy ----------------------------------------------------------
    case(
        "It needs some updates, kitchen is original. We live there",
        condition="needs_updates",
        occupancy="owner",
    ),
    case("move-in ready, we remodeled last year", condition="move_in_ready"),
    case("needs a new roof and has water damage", condition="needs_repairs"),
    case("it's a fixer upper, sold as-is", condition="needs_repairs"),
    case(
        "doesn't need any repairs, tenants live there",
        condition="move_in_ready",
        occupancy="tenant",
    ),
    case("necesita algunos arreglos, vivimos ahí", condition="needs_updates", occupancy="owner"),
    case("está en buen estado, está desocupada", condition="move_in_ready", occupancy="vacant"),
    case("el techo tiene goteras y hay moho", condition="needs_repairs"),
    case("it's vacant right now", occupancy="vacant"),
    case("la rentamos a unos inquilinos", occupancy="tenant"),
    # --- Q4: price expectation ----------------------------------------------------------------
    case("I'd want at least 650k", price=650_000),
    case("quiero unos 600 mil", price=600_000),
    case("$650,000", price=650_000),
    case("650", Q4, price=650_000),
    case("650", "", price=None),  # a bare number is a price only as an answer
    case("around 700 thousand", price=700_000),
    case("medio millón", Q4, price=500_000),
    case("1.2 million", price=1_200_000),
    case("600-650k", price=625_000),
    case("we owe 250k, want at least 600k", price=600_000),
    case("Zillow says 700k but I'd want 750k", price=750_000),
    case("3 bed 2 bath 1800 sq ft", Q4, price=None),
    case("in 2 months", Q4, price=None),
    case("the mortgage is 2500 a month", Q4, price=None),
    case("1234 Magnolia Ave, Riverside", Q4, price=None, address="1234 Magnolia Ave"),
    case("not sure, you tell me", Q4, price=None, price_unsure=True),
    case("no sé, lo que valga", Q4, price_unsure=True),
    case("not sure", Q1, price_unsure=False),  # unsure of something else
]


@pytest.mark.parametrize(("text", "expecting", "expected"), ANSWERS)
def test_seller_answers_are_read_from_the_message(text, expecting, expected):
    answers = extract_seller_answers(text, expecting=expecting)

    got = {field: getattr(answers, field) for field in expected}
    assert got == expected


def test_a_message_with_everything_fills_every_answer():
    answers = extract_seller_answers(
        "We're relocating, the house at 1234 Magnolia Ave, Riverside is move-in ready "
        "and vacant, and I'd want about 640k"
    )

    assert answers.said() == {
        "address": "1234 Magnolia Ave",
        "city": "Riverside",
        "permission": True,
        "motivation": answers.motivation,
        "motivation_kind": "relocation",
        "condition": "move_in_ready",
        "condition_notes": answers.condition_notes,
        "occupancy": "vacant",
        "price": 640_000,
    }


def test_small_talk_answers_nothing():
    assert extract_seller_answers("ok", expecting=Q3).empty
    assert extract_seller_answers("hmm", expecting=Q1).empty
