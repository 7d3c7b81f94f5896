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


# --- Natural answers ------------------------------------------------------------------------------
# A buyer's own questions are the buyer bot's (tests/buyers/test_buyer_conversations.py).


@pytest.mark.parametrize("answer", ["both actually", "las dos cosas", "ambas"])
def test_both_as_the_answer_to_buy_or_sell_makes_a_buy_and_sell_lead(lead, answer):
    assert "buy a home, sell one, or both?" in lead.says("Hi")

    reply = lead.says(answer)

    assert lead.contact.intent == "both"
    assert Conversation.objects.get().bot == "seller"  # the seller bot runs both sides
    assert "address" in reply or "dirección" in reply


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
    assert detect_language(reply) == "en"


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
    assert detect_language(reply) == "en"


# --- Never the same text twice in a row ---------------------------------------------------------


def test_the_qualified_message_is_not_sent_again_when_the_lead_answers_it(lead):
    # A lead who never says whether they buy or sell stays with the lead bot.
    assert "buy a home, sell one, or both?" in lead.says("Hi, I saw your ad")
    assert ASK_TIMELINE["en"] in lead.says("not sure yet")
    assert ASK_AREA["en"] in lead.says("no idea")
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
    lead.says("Hi, I saw your ad")
    lead.says("not sure yet")
    lead.says("no idea")
    lead.says("Ontario")
    lead.says("no that's all, thanks")
    Conversation.objects.update(status=Conversation.Status.ACTIVE)
    Contact.objects.update(bot_paused_until=None)

    reply = lead.says("thanks again!")

    assert reply == ""  # the bot stays quiet rather than repeat itself
    texts = bot_texts()
    assert all(a != b for a, b in itertools.pairwise(texts))
