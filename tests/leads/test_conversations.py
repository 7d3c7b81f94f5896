"""Whole conversations with the lead bot, as people text: short answers, answers out of order,
corrections, Spanish, and leads who mix both languages. Every message goes through the real
pipeline entry point (``receive_sms``, then what it triggers on commit)."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leads.intelligence.replies import detect_language
from leads.models import Contact, Conversation, Message
from tests.leads.factories import ContactFactory, bot_texts, receive_sms

pytestmark = pytest.mark.django_db

# 10:00 in Riverside (PDT), well inside the sending window.
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)

ASK_TIMELINE = {"en": "When are you hoping to make a move?", "es": "¿Para cuándo le gustaría"}
ASK_BUDGET = {"en": "What price range are you shopping in?", "es": "¿En qué rango de precio"}
ASK_PREAPPROVAL = {"en": "Have you been pre-approved", "es": "algún banco o prestamista?"}
ASK_AREA = {"en": "Which cities or areas are you looking at?", "es": "¿En qué ciudades o zonas"}


@pytest.fixture
def lead(django_capture_on_commit_callbacks):
    """A new lead texting the bot; ``says`` returns what the bot sent back ("" for nothing)."""

    class Lead:
        def __init__(self):
            ContactFactory(ghl_contact_id="c-1", ghl_location_id="loc", first_name="Ana")

        def says(self, text: str) -> str:
            clock.shift(timedelta(minutes=1))
            before = Message.objects.filter(direction="outbound").count()
            with django_capture_on_commit_callbacks(execute=True):
                receive_sms("c-1", text, conversation_id="conv-1")
            sent = Message.objects.filter(direction="outbound").order_by("id")[before:]
            return " | ".join(message.body for message in sent)

        @property
        def contact(self) -> Contact:
            return Contact.objects.get(ghl_contact_id="c-1")

    with time_machine.travel(MORNING, tick=False) as clock:
        yield Lead()


# --- Natural answers to each question ---------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "opening", "timeline", "budget", "preapproval", "area"),
    [
        (
            "en",
            "Hi, we want to buy a house",
            "hopefully in the next couple months",
            "somewhere around 450",
            "not yet",
            "riverside or corona",
        ),
        (
            "es",
            "Hola, queremos comprar una casa",
            "como en unos 2 meses",
            "unos 450 mil más o menos",
            "todavía no",
            "por riverside o corona",
        ),
    ],
)
def test_a_buyer_answering_each_question_in_their_own_words_is_understood(
    lead, language, opening, timeline, budget, preapproval, area
):
    assert ASK_TIMELINE[language] in lead.says(opening)
    assert ASK_BUDGET[language] in lead.says(timeline)
    assert ASK_PREAPPROVAL[language] in lead.says(budget)
    assert ASK_AREA[language] in lead.says(preapproval)
    lead.says(area)

    contact = lead.contact
    assert (contact.intent, contact.timeline, contact.budget_max) == (
        "buyer",
        "1_3_months",
        450_000,
    )
    assert contact.pre_approved is False
    assert contact.area == "Riverside, Corona"
    assert contact.language == language


@pytest.mark.parametrize("answer", ["both actually", "las dos cosas", "ambas"])
def test_both_as_the_answer_to_buy_or_sell_makes_a_buy_and_sell_lead(lead, answer):
    assert "buy a home, sell one, or both?" in lead.says("Hi")

    reply = lead.says(answer)

    assert lead.contact.intent == "both"
    assert Conversation.objects.get().bot == "seller"  # the seller bot runs both sides
    assert "address" in reply or "dirección" in reply


@pytest.mark.parametrize(
    ("answer", "pre_approved"),
    [
        ("yes we are", True),
        ("nope, working on it", False),
        ("sí, ya estamos", True),
        ("aún no", False),
    ],
)
def test_a_plain_yes_or_not_yet_to_the_preapproval_question_is_recorded(lead, answer, pre_approved):
    lead.says("I want to buy a home in 2 months")
    assert ASK_PREAPPROVAL["en"] in lead.says("around 500k")

    lead.says(answer)

    assert lead.contact.pre_approved is pre_approved
    lead.says("ok")  # a later message that does not repeat it keeps it, and its points
    contact = lead.contact
    assert contact.pre_approved is pre_approved
    assert ("Financing: pre-approved or paying cash (+20)" in contact.score_reasons) is pre_approved


@pytest.mark.parametrize(
    "answer",
    [
        "todavía no he hablado con un prestamista",
        "aún no hablo con ningún banco",
        "no tengo preaprobación",
    ],
)
def test_a_spanish_buyer_who_has_not_talked_to_a_lender_is_not_pre_approved(lead, answer):
    lead.says("Hola, busco casa en Fontana")
    lead.says("en 3 meses")
    assert ASK_BUDGET["es"] in bot_texts()[-1]

    lead.says(f"unos 400 mil, {answer}")

    contact = lead.contact
    assert (contact.budget_max, contact.pre_approved) == (400_000, False)
    assert ASK_PREAPPROVAL["es"] not in " ".join(bot_texts())  # nothing left to ask about it


def test_an_answer_given_out_of_order_is_kept_and_its_question_never_asked(lead):
    assert ASK_TIMELINE["en"] in lead.says("hi, looking to buy a home")

    reply = lead.says("our budget is 550k and we're pre-approved")

    contact = lead.contact
    assert (contact.budget_max, contact.pre_approved) == (550_000, True)
    assert ASK_AREA["en"] in reply
    lead.says("Temecula")
    texts = " ".join(bot_texts())
    assert ASK_BUDGET["en"] not in texts and ASK_PREAPPROVAL["en"] not in texts
    assert texts.count(ASK_TIMELINE["en"]) == 1  # asked once, never again


# --- Corrections win --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "correction"),
    [
        ("we're looking around 500k", "actually make that 600k"),
        ("buscamos algo de unos 500 mil", "perdón, mejor 600 mil"),
        ("max 500k", "sorry I meant 600k, no more than that"),
    ],
)
def test_a_corrected_budget_replaces_the_old_one(lead, first, correction):
    lead.says("I want to buy a house")
    lead.says(first)
    assert lead.contact.budget_max == 500_000

    lead.says(correction)

    assert lead.contact.budget_max == 600_000


def test_a_correction_inside_one_message_wins_over_the_figure_it_corrects(lead):
    lead.says("I want to buy a house, budget around 700k, actually make that 650k")

    assert lead.contact.budget_max == 650_000


@pytest.mark.parametrize(
    ("first", "correction", "timeline"),
    [
        ("in 2 months", "actually, more like 6 months", "3_6_months"),
        ("en 2 meses", "perdón, mejor en un año", "6_12_months"),
        ("asap", "no wait, within 3 months is more realistic", "1_3_months"),
    ],
)
def test_a_corrected_timeline_replaces_the_old_one(lead, first, correction, timeline):
    lead.says("I want to buy a house")
    lead.says(first)

    lead.says(correction)

    assert lead.contact.timeline == timeline


def test_a_correction_of_the_window_in_the_same_message_wins_over_the_sooner_one(lead):
    lead.says("want to buy in 2 months, I mean 6 months")

    assert lead.contact.timeline == "3_6_months"


# --- Language over the conversation -------------------------------------------------------------


def test_a_short_english_thanks_from_a_spanish_speaker_does_not_flip_the_replies(lead):
    lead.says("Hola, quiero comprar una casa en Rialto")
    lead.says("ok perfecto, thank you")
    assert lead.contact.language == "es"

    reply = lead.says("ok thanks")

    assert lead.contact.language == "es"
    assert detect_language(reply) == "es"


def test_a_short_spanish_thanks_from_an_english_speaker_does_not_flip_the_replies(lead):
    lead.says("Hi, I'd like to buy a home in Rialto")

    reply = lead.says("ok gracias")

    assert lead.contact.language == "en"
    assert ASK_BUDGET["en"] in reply


def test_a_lead_who_switches_language_for_good_is_followed(lead):
    lead.says("Hi, I'd like to buy a home in Rialto")
    lead.says("Bueno, la verdad prefiero escribir en mi idioma si se puede")
    assert lead.contact.language == "en"  # one message is not a switch yet

    reply = lead.says("Queremos comprar en unos 3 meses, tenemos el crédito aprobado")

    assert lead.contact.language == "es"
    assert detect_language(reply) == "es"


def test_asking_for_the_other_language_switches_at_once(lead):
    lead.says("Hola, quiero comprar una casa en Rialto")

    reply = lead.says("can you text me in English please?")

    assert lead.contact.language == "en"
    assert ASK_BUDGET["en"] in reply


# --- Never the same text twice in a row ---------------------------------------------------------


def test_the_qualified_message_is_not_sent_again_when_the_lead_answers_it(lead):
    lead.says("Hi, I want to buy a home")
    lead.says("not sure when")
    lead.says("no idea yet")
    qualified = lead.says("Ontario")
    assert "I've shared this with Jorge" in qualified

    reply = lead.says("no that's all, thanks")

    assert reply == "Got it, thanks! I've passed that on to Jorge."
    texts = bot_texts()
    assert texts.count(qualified) == 1
    assert all(a != b for a, b in itertools.pairwise(texts))
    assert Conversation.objects.get().stage == Conversation.Stage.HANDED_OFF


def test_after_the_pause_ends_the_same_acknowledgement_is_not_sent_again(lead, settings):
    settings.BOT_HUMAN_TAKEOVER_HOURS = 1
    lead.says("Hi, I want to buy a home")
    lead.says("not sure when")
    lead.says("no idea yet")
    lead.says("Ontario")
    lead.says("no that's all, thanks")
    Conversation.objects.update(status=Conversation.Status.ACTIVE)
    Contact.objects.update(bot_paused_until=None)

    reply = lead.says("thanks again!")

    assert reply == ""  # the bot stays quiet rather than repeat itself
    texts = bot_texts()
    assert all(a != b for a, b in itertools.pairwise(texts))
