"""What the buyer bot reads from a message, as buyers write it in English and Spanish."""

from decimal import Decimal

import pytest

from buyers.extraction import extract_buyer_answers

# (message, the question just asked, what is read); only the fields listed are checked, and
# every other field must be empty.
READINGS = [
    # --- Pre-approval: lender, amount, or cash ---------------------------------------------
    ("pre-approved with Chase for 500k", "", {"preapproval_status": "pre_approved", "lender": "Chase", "preapproval_amount": 500_000}),
    ("I'm pre-approved with Wells Fargo for $450,000", "", {"preapproval_status": "pre_approved", "lender": "Wells Fargo", "preapproval_amount": 450_000}),
    ("we got approved up to $1.2M with rocket", "", {"preapproval_status": "pre_approved", "lender": "Rocket Mortgage", "preapproval_amount": 1_200_000}),
    ("I have a 500k pre-approval from my credit union", "", {"preapproval_status": "pre_approved", "lender": "Credit Union", "preapproval_amount": 500_000}),
    ("we're preapproved for 480 thru our bank", "", {"preapproval_status": "pre_approved", "preapproval_amount": 480_000}),
    ("pre-approved for 500k, looking around 450k", "", {"preapproval_status": "pre_approved", "preapproval_amount": 500_000}),
    ("pre-qualified with chase", "", {"preapproval_status": "prequalified", "lender": "Chase"}),
    ("ya estoy pre-aprobado con Banco de America por 400 mil", "", {"preapproval_status": "pre_approved", "lender": "Banco de America", "preapproval_amount": 400_000}),
    ("tengo una carta de preaprobación de 450 mil", "", {"preapproval_status": "pre_approved", "preapproval_amount": 450_000}),
    ("estamos preaprobados", "", {"preapproval_status": "pre_approved"}),
    ("yes", "financing", {"preapproval_status": "pre_approved"}),
    ("sí, ya", "financing", {"preapproval_status": "pre_approved"}),
    ("we're paying cash", "", {"cash": True}),
    ("all cash", "", {"cash": True}),
    ("cash", "financing", {"cash": True}),
    ("contado", "financing", {"cash": True}),
    ("vamos a pagar de contado", "", {"cash": True}),
    ("en efectivo", "", {"cash": True}),
    ("not paying cash, we need a loan", "", {"cash": False}),
    # --- Not (yet) pre-approved -----------------------------------------------------------------
    ("I'm not pre-approved yet", "", {"preapproval_status": "not_yet"}),
    ("no not yet", "financing", {"preapproval_status": "not_yet"}),
    ("todavía no", "financing", {"preapproval_status": "not_yet"}),
    ("we need to get pre-approved", "", {"preapproval_status": "not_yet"}),
    ("can you help me get pre-approved?", "", {"preapproval_status": "not_yet"}),
    ("haven't talked to a lender", "", {"preapproval_status": "not_yet"}),
    ("no tengo prestamista", "", {"preapproval_status": "not_yet"}),
    # --- Down payment ---------------------------------------------------------------------------
    ("20% down", "", {"down_payment_percent": Decimal("20")}),
    ("we can put 60k down", "", {"down_payment_amount": 60_000}),
    ("$35,000 for the down payment", "", {"down_payment_amount": 35_000}),
    ("a 3.5% down payment, FHA", "", {"down_payment_percent": Decimal("3.5")}),
    ("no money down, VA loan", "", {"down_payment_percent": Decimal("0")}),
    ("enganche de 50 mil", "", {"down_payment_amount": 50_000}),
    ("el 10% de enganche", "", {"down_payment_percent": Decimal("10")}),
    ("tenemos 40 mil para el enganche", "", {"down_payment_amount": 40_000}),
    # --- Beds and baths ---------------------------------------------------------------------------
    ("3 bed 2 bath", "", {"beds_min": 3, "baths_min": Decimal("2")}),
    ("3bd/2ba", "", {"beds_min": 3, "baths_min": Decimal("2")}),
    ("3/2", "rooms", {"beds_min": 3, "baths_min": Decimal("2")}),
    ("at least 3", "rooms", {"beds_min": 3}),
    ("3-4 bedrooms and 2.5 baths", "", {"beds_min": 3, "baths_min": Decimal("2.5")}),
    ("four bedrooms", "", {"beds_min": 4}),
    ("3 recámaras", "", {"beds_min": 3}),
    ("tres recámaras y dos baños", "", {"beds_min": 3, "baths_min": Decimal("2")}),
    ("3 cuartos y 2 baños y medio", "", {"beds_min": 3, "baths_min": Decimal("2.5")}),
    # --- Areas, types, must-haves ---------------------------------------------------------------
    ("Riverside or Corona", "", {"cities": ("Riverside", "Corona")}),
    ("en Fontana o Rialto", "", {"cities": ("Fontana", "Rialto")}),
    ("Pasadena or Glendale", "areas", {"cities": ("Pasadena", "Glendale")}),
    ("anywhere really", "areas", {"flexible_area": True}),
    ("a condo, not a townhouse", "", {"property_types": ("condo",)}),
    ("single family or a townhome", "", {"property_types": ("sfr", "townhouse")}),
    ("a pool and RV parking, no HOA", "", {"must_haves": ("pool", "RV parking", "no HOA")}),
    ("alberca y patio grande", "", {"must_haves": ("pool", "yard")}),
    ("single story with a 3 car garage", "", {"must_haves": ("single story", "garage")}),
    ("we don't need a pool", "", {}),
    ("nothing in particular", "must_haves", {"no_must_haves": True}),
    ("nada en especial", "must_haves", {"no_must_haves": True}),
    ("a big kitchen", "must_haves", {"must_haves_text": "a big kitchen"}),
]  # fmt: skip

EMPTY = extract_buyer_answers("").said()


@pytest.mark.parametrize(
    ("text", "expecting", "expected"),
    [pytest.param(*case, id=case[0]) for case in READINGS],
)
def test_a_buyer_answer_is_read_as_people_write_it(text, expecting, expected):
    answers = extract_buyer_answers(text, expecting=expecting)

    assert answers.said() == expected
    assert EMPTY == {}


# --- Sensitive numbers are never facts --------------------------------------------------------

SENSITIVE = [
    "here is my ssn 123-45-6789",
    "my social is 123 45 6789 for the pre-approval",
    "my social is [SSN removed] for the pre-approval",
    "yes, [account number removed]",
    "account number 12345678901234",
    "sí, mi número de cuenta es [account number removed]",
    "[redacted ssn]",
    "card 4111 1111 1111 1111",
]


@pytest.mark.parametrize("text", SENSITIVE)
def test_an_ssn_or_account_number_is_never_a_pre_approval_or_an_amount(text):
    answers = extract_buyer_answers(text, expecting="financing")

    assert answers.sensitive
    assert answers.said() == {}


def test_a_pre_approval_stated_beside_a_redacted_number_is_still_read():
    answers = extract_buyer_answers("I'm pre-approved with Chase for 500k, [SSN removed]")

    assert answers.sensitive
    assert (answers.preapproval_status, answers.lender, answers.preapproval_amount) == (
        "pre_approved",
        "Chase",
        500_000,
    )


@pytest.mark.parametrize(
    "text", ["call me at 909-555-0100", "I'm pre-approved, call me at (909) 555-0100"]
)
def test_a_phone_number_is_neither_sensitive_nor_an_amount(text):
    answers = extract_buyer_answers(text)

    assert not answers.sensitive
    assert answers.preapproval_amount is None and answers.down_payment_amount is None


# --- Readings that only make sense as an answer -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [("yes", "preapproval_status"), ("3/2", "beds_min"), ("Pasadena", "cities")],
)
def test_a_short_reply_is_read_only_as_the_answer_to_its_question(text, field):
    assert field not in extract_buyer_answers(text).said()


@pytest.mark.parametrize(
    ("text", "expecting"),
    [
        ("un momento", "rooms"),
        ("ok thanks", "must_haves"),
        ("in three months", "must_haves"),
        ("idk yet", "areas"),
        ("hmm", "areas"),
        ("not sure", "areas"),
    ],
)
def test_a_reply_that_answers_nothing_is_not_taken_for_an_answer(text, expecting):
    assert extract_buyer_answers(text, expecting=expecting).said() == {}


@pytest.mark.parametrize("text", ["not sure yet", "no sé todavía", "idk, depends"])
def test_not_sure_is_recognised(text):
    assert extract_buyer_answers(text, expecting="budget").unsure


@pytest.mark.parametrize(
    "text", ["we got our approval letter from Chase", "ya tenemos la carta de aprobación"]
)
def test_an_approval_letter_is_a_pre_approval(text):
    assert extract_buyer_answers(text).preapproval_status == "pre_approved"
