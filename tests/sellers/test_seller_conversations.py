"""Whole conversations with the seller bot, as people text: answers in their own words (English,
Spanish, both mixed), answers out of order, corrections, and a lead who sells one home and buys
another. Every message goes through the real pipeline entry point (``receive_sms``, then what
it triggers on commit)."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leads.intelligence.replies import detect_language
from leads.models import Contact, Conversation, Message
from sellers.models import SellerQualification
from tests.leads.factories import ContactFactory, bot_texts, receive_sms

pytestmark = pytest.mark.django_db

# 10:00 in Riverside (PDT), well inside the sending window.
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)

OPENING = {"en": "Hi, I want to sell my house", "es": "Hola, quiero vender mi casa"}
# What each question (and the final offer) says, to tell which one the bot sent.
ASKS = {
    "address": {"en": "address", "es": "dirección"},
    "motivation": {"en": "thinking about selling", "es": "pensar en vender"},
    "timeline": {"en": "When would you ideally like", "es": "¿Para cuándo le gustaría tener"},
    "condition": {"en": "How would you describe the home", "es": "¿Cómo describiría la casa"},
    "price": {"en": "price in mind", "es": "algún precio"},
    "qualified": {"en": "free market analysis (CMA)", "es": "análisis de mercado (CMA)"},
}
ASKS_AGAIN = {
    "timeline": {"en": "Roughly speaking", "es": "Más o menos"},
    "condition": {"en": "Would you say the home", "es": "¿Diría que la casa"},
}
QUESTIONS = ["address", "motivation", "timeline", "condition", "price"]
# Plain answers that take the seller to the next question.
PLAIN = {
    "en": {
        "address": "1234 Magnolia Ave, Riverside",
        "motivation": "we're relocating for work",
        "timeline": "in about 2 months",
        "condition": "needs some updates, we live there",
        "price": "650k",
    },
    "es": {
        "address": "mi casa está en 5678 Calle Sol, Fontana",
        "motivation": "nos mudamos a Texas por trabajo",
        "timeline": "en unos 2 meses",
        "condition": "necesita algunos arreglos, vivimos ahí",
        "price": "quiero unos 600 mil",
    },
}


@pytest.fixture
def seller(django_capture_on_commit_callbacks):
    """A new lead texting the bot; ``says`` returns what the bot sent back ("" for nothing)."""

    class Seller:
        def __init__(self):
            self.contact_row = ContactFactory(
                ghl_contact_id="s-1", ghl_location_id="loc", first_name="Lupe", source="Zillow"
            )

        def says(self, text: str) -> str:
            clock.shift(timedelta(minutes=1))
            before = Message.objects.filter(direction="outbound").count()
            with django_capture_on_commit_callbacks(execute=True):
                receive_sms("s-1", text, conversation_id="conv-s-1")
            sent = Message.objects.filter(direction="outbound").order_by("id")[before:]
            return " | ".join(message.body for message in sent)

        def reaches(self, question: str, language: str) -> None:
            """Answer plainly up to ``question``, which the bot has just asked."""
            reply = self.says(OPENING[language])
            for earlier in QUESTIONS[: QUESTIONS.index(question)]:
                reply = self.says(PLAIN[language][earlier])
            assert ASKS[question][language] in reply

        @property
        def qualification(self) -> SellerQualification:
            return SellerQualification.objects.get(contact__ghl_contact_id="s-1")

        @property
        def contact(self) -> Contact:
            return Contact.objects.get(ghl_contact_id="s-1")

    with time_machine.travel(MORNING, tick=False) as clock:
        yield Seller()


def never_twice_in_a_row(texts: list[str]) -> bool:
    return all(a != b for a, b in itertools.pairwise(texts))


# --- Each question answered in the seller's own words ----------------------------------------

NATURAL_ANSWERS = [
    # (question, language, answer, what is recorded)
    ("address", "en", "1234 maple st riverside ca 92503", {"address": "1234 Maple St", "city": "Riverside"}),
    ("address", "en", "4521 n main street, corona 92879", {"address": "4521 N Main Street", "city": "Corona"}),
    ("address", "en", "sure, 1234 maple riverside ca 92503", {"address": "1234 Maple", "city": "Riverside"}),
    ("address", "es", "es el 5678 calle sol fontana 92335", {"address": "5678 Calle Sol", "city": "Fontana"}),
    ("address", "es", "claro, 910 w 5th st, ontario ca 91762", {"address": "910 W 5th St", "city": "Ontario"}),
    ("motivation", "en", "we want to move closer to family", {"motivation_kind": "relocation"}),
    ("motivation", "en", "honestly we can't keep up with the payments", {"motivation_kind": "financial"}),
    ("motivation", "es", "queremos algo más pequeño", {"motivation_kind": "downsizing"}),
    ("motivation", "es", "mi mamá falleció y la casa quedó a nuestro nombre", {"motivation_kind": "inheritance"}),
    ("timeline", "en", "asap, the sooner the better", {"timeline": "asap"}),
    ("timeline", "en", "like in 2-3 months", {"timeline": "1_3_months"}),
    ("timeline", "es", "en cuanto se pueda", {"timeline": "asap"}),
    ("timeline", "es", "para fin de año", {"timeline": "6_12_months"}),
    ("condition", "en", "it's in good shape, nothing major", {"condition": "move_in_ready"}),
    ("condition", "en", "good", {"condition": "move_in_ready"}),
    ("condition", "en", "needs a little work, my tenant lives there", {"condition": "needs_updates", "occupancy": "tenant"}),
    ("condition", "es", "Está lista para entrar a vivir, vivimos ahí", {"condition": "move_in_ready", "occupancy": "owner"}),
    ("condition", "es", "le falta algo de trabajo, está vacía", {"condition": "needs_updates", "occupancy": "vacant"}),
    ("condition", "es", "muy bien", {"condition": "move_in_ready"}),
    ("price", "en", "we're thinking 700", {"price_expectation": 700_000}),
    ("price", "en", "no less than 600 thousand", {"price_expectation": 600_000}),
    ("price", "es", "quisiera sacarle unos 650 mil", {"price_expectation": 650_000}),
    ("price", "es", "no menos de 600", {"price_expectation": 600_000}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "language", "answer", "recorded"),
    [pytest.param(*case, id=f"{case[0]}-{case[2]}") for case in NATURAL_ANSWERS],
)
def test_a_natural_answer_to_each_question_is_read_and_the_bot_moves_on(
    seller, question, language, answer, recorded
):
    seller.reaches(question, language)

    reply = seller.says(answer)

    qualification = seller.qualification
    assert {field: getattr(qualification, field) for field in recorded} == recorded
    following = [*QUESTIONS[QUESTIONS.index(question) + 1 :], "qualified"]
    assert ASKS[following[0]][language] in reply  # the next question, not the same one again
    assert detect_language(reply) == language


# --- Never the same question a third time ---------------------------------------------------


def test_a_spanish_seller_is_asked_about_the_condition_at_most_twice(seller):
    seller.reaches("condition", "es")

    again = seller.says("pues ya le dije que vivimos ahí")
    assert ASKS_AGAIN["condition"]["es"] in again  # once more, in other words
    assert seller.qualification.occupancy == "owner"  # what it did say is kept

    seller.says("ah pues ahí vivimos nosotros, mis hijos y yo")
    reply = seller.says("ok")

    texts = bot_texts()
    asked = [t for t in texts if ASKS["condition"]["es"] in t or ASKS_AGAIN["condition"]["es"] in t]
    assert len(asked) == 2
    assert ASKS["price"]["es"] in reply  # the bot moved on
    assert never_twice_in_a_row(texts)


def test_a_seller_who_keeps_answering_something_else_is_not_asked_a_third_time(seller):
    seller.reaches("timeline", "en")

    again = seller.says("I'd want about 650k")
    assert ASKS_AGAIN["timeline"]["en"] in again
    reply = seller.says("honestly at least 640k, it's a great house")

    qualification = seller.qualification
    assert qualification.price_expectation == 640_000
    assert qualification.stall_count == 0  # talking, just not about that: no stall
    assert ASKS["condition"]["en"] in reply
    texts = " ".join(bot_texts())
    assert texts.count(ASKS["timeline"]["en"]) + texts.count(ASKS_AGAIN["timeline"]["en"]) == 2


def test_a_price_given_while_asked_the_timeline_is_kept_and_never_asked_for(seller):
    seller.reaches("timeline", "en")

    seller.says("I'd want about 650k")
    seller.says("within 3 months")
    reply = seller.says("move-in ready, we live there")

    qualification = seller.qualification
    assert (qualification.price_expectation, qualification.timeline) == (650_000, "1_3_months")
    assert ASKS["qualified"]["en"] in reply
    assert ASKS["price"]["en"] not in " ".join(bot_texts())


def test_a_spanish_seller_who_gives_the_price_and_the_condition_early_is_not_asked_again(seller):
    seller.reaches("motivation", "es")

    reply = seller.says("nos vamos a otro estado, la casa está en buen estado y quiero 700 mil")

    qualification = seller.qualification
    assert (qualification.motivation_kind, qualification.condition) == (
        "relocation",
        "move_in_ready",
    )
    assert qualification.price_expectation == 700_000
    assert ASKS["timeline"]["es"] in reply
    assert ASKS["qualified"]["es"] in seller.says("en 2 meses")


# --- Corrections win ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "first", "correction", "price"),
    [
        ("en", "I'd want 650k", "actually make that 600k", 600_000),
        ("es", "quiero 650 mil", "perdón, mejor 600 mil", 600_000),
        ("en", "at least 700k", "sorry, I meant 680k", 680_000),
    ],
)
def test_a_corrected_price_replaces_the_old_one(seller, language, first, correction, price):
    seller.reaches("price", language)
    seller.says(first)

    seller.says(correction)

    assert seller.qualification.price_expectation == price


def test_a_price_corrected_in_the_same_message_is_the_corrected_one(seller):
    seller.reaches("price", "en")

    seller.says("I'd like 700k, actually make that 680k")

    assert seller.qualification.price_expectation == 680_000


def test_a_corrected_timeline_replaces_the_old_one(seller):
    seller.reaches("timeline", "en")
    seller.says("in 2 months")

    seller.says("actually, more like 6 months")

    assert seller.qualification.timeline == "3_6_months"
    assert seller.contact.timeline == "3_6_months"


# --- Buying and selling: each side keeps its own figures -----------------------------------------


def test_a_lead_selling_one_home_and_buying_another_keeps_both_figures_apart(seller):
    seller.says("I want to sell my house for 700k and buy a bigger one around 900k")
    assert (seller.qualification.price_expectation, seller.contact.budget_max) == (
        700_000,
        900_000,
    )
    assert seller.contact.intent == "both"

    seller.says("123 Oak St, Riverside")
    seller.says("for the new one we could go up to 950k")
    assert (seller.qualification.price_expectation, seller.contact.budget_max) == (
        700_000,
        950_000,
    )

    seller.says("we'd take 680k for ours")
    assert (seller.qualification.price_expectation, seller.contact.budget_max) == (
        680_000,
        950_000,
    )


def test_a_spanish_lead_selling_and_buying_keeps_both_figures_apart(seller):
    seller.says("quiero vender mi casa en 500 mil y comprar una más grande de unos 800 mil")

    assert (seller.qualification.price_expectation, seller.contact.budget_max) == (
        500_000,
        800_000,
    )
    seller.says("está en 5678 Calle Sol, Fontana")
    seller.says("en 3 meses")
    seller.says("quiero 520 mil")  # the price question: the seller's side only
    assert (seller.qualification.price_expectation, seller.contact.budget_max) == (
        520_000,
        800_000,
    )


# --- Language over the conversation ---------------------------------------------------------


def test_a_spanish_seller_who_says_thank_you_in_english_keeps_getting_spanish(seller):
    seller.reaches("motivation", "es")

    reply = seller.says("ok perfecto, thank you")

    assert seller.contact.language == "es"
    assert detect_language(reply) == "es"
    reply = seller.says("ok thanks, we're relocating")
    assert detect_language(reply) == "es"
    assert ASKS["timeline"]["es"] in reply


# --- Never the same text twice; never an internal value ------------------------------------------


def test_a_seller_in_nurture_who_writes_twice_gets_one_thanks_not_two(seller):
    seller.says(OPENING["en"])
    seller.says("just curious")
    seller.says("I need to talk to my wife first")
    seller.says("not right now")
    assert seller.qualification.stage == "nurture"

    first = seller.says("thanks")
    second = seller.says("thanks!")

    assert first.startswith("Thanks Lupe! I've let Jorge know")
    assert second == ""
    assert never_twice_in_a_row(bot_texts())


def test_the_same_stall_twice_is_not_answered_with_the_same_text(seller):
    seller.says(OPENING["en"])
    first = seller.says("just curious")

    second = seller.says("just curious")

    assert "free market analysis" in first
    assert second == ""
    assert never_twice_in_a_row(bot_texts())


@pytest.mark.parametrize("source", ["simulate_inbound", "ghl_api", "formId123", "API"])
@pytest.mark.parametrize(
    ("language", "question", "honest"),
    [
        ("en", "how did you get my number?", "I don't have those details"),
        ("es", "¿cómo consiguió mi número?", "no tengo ese dato"),
    ],
)
def test_how_did_you_get_my_number_never_shows_an_internal_source(
    seller, source, language, question, honest
):
    Contact.objects.filter(pk=seller.contact_row.pk).update(source=source)
    seller.says(OPENING[language])

    reply = seller.says(question)

    assert honest in reply and "STOP" in reply
    assert source not in reply
    assert Conversation.objects.get().stage == Conversation.Stage.HANDED_OFF


def test_a_lead_source_people_know_is_still_quoted(seller):
    Contact.objects.filter(pk=seller.contact_row.pk).update(source="Realtor.com")
    seller.says(OPENING["en"])

    reply = seller.says("who is this?")

    assert "through Realtor.com" in reply
