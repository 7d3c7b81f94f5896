"""Whole conversations with the buyer bot, as people text: English, Spanish, answers out of order,
short answers, a hot buyer, and numbers that must never count. Every message goes through the
real pipeline entry point (``receive_sms``, then what it triggers on commit), on the offline
engine, with HighLevel's calls landing in the outbox."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from buyers.models import BuyerProfile, FinancialAssessment
from compliance.models import AuditEvent
from leads.intelligence.replies import detect_language
from leads.models import Contact, Conversation, EscalationTicket, Message, OutboxMessage
from tests.leads.factories import ContactFactory, bot_texts, receive_sms

pytestmark = pytest.mark.django_db

# 10:00 in Riverside (PDT), well inside the sending window.
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)

# What each question (and each ending) says, to tell which one the bot sent.
ASKS = {
    "financing": {"en": "pre-approved with a lender yet", "es": "preaprobado con algún banco"},
    "preapproval_details": {"en": "Which lender pre-approved you", "es": "¿Con qué banco"},
    "budget": {"en": "What price range", "es": "¿En qué rango de precio"},
    "down_payment": {"en": "planning to put down", "es": "dar de enganche"},
    "areas": {"en": "Which cities or neighborhoods", "es": "¿En qué ciudades o zonas"},
    "rooms": {"en": "How many bedrooms and bathrooms", "es": "¿Cuántas recámaras y baños"},
    "must_haves": {"en": "anything the home must have", "es": "deba tener sí o sí"},
    "timeline": {"en": "be in your new home", "es": "estar en su nueva casa"},
    "qualified": {"en": "I've passed your answers on", "es": "Ya le pasé sus respuestas"},
    "hot": {"en": "will call you personally", "es": "le llamará personalmente"},
}
ASKS_AGAIN = {
    "financing": {"en": "Have you talked to a lender", "es": "¿Ya habló con algún prestamista"},
    "areas": {"en": "a city you'd like to be close to", "es": "alguna ciudad a la que"},
}


@pytest.fixture
def buyer(django_capture_on_commit_callbacks):
    """A new lead texting the bot; ``says`` returns what the bot sent back ("" for nothing)."""

    class Buyer:
        def __init__(self):
            self.contact_row = ContactFactory(
                ghl_contact_id="b-1", ghl_location_id="loc", first_name="Ana", source="Zillow"
            )

        def says(self, text: str) -> str:
            clock.shift(timedelta(minutes=1))
            before = Message.objects.filter(direction="outbound").count()
            with django_capture_on_commit_callbacks(execute=True):
                receive_sms("b-1", text, conversation_id="conv-b-1")
            sent = Message.objects.filter(direction="outbound").order_by("id")[before:]
            return " | ".join(message.body for message in sent)

        @property
        def profile(self) -> BuyerProfile:
            return BuyerProfile.objects.get(contact__ghl_contact_id="b-1")

        @property
        def contact(self) -> Contact:
            return Contact.objects.get(ghl_contact_id="b-1")

        @property
        def conversation(self) -> Conversation:
            return Conversation.objects.get(contact__ghl_contact_id="b-1")

    with time_machine.travel(MORNING, tick=False) as clock:
        yield Buyer()


def never_twice_in_a_row(texts: list[str]) -> bool:
    return all(a != b for a, b in itertools.pairwise(texts))


# --- Whole conversations ------------------------------------------------------------------------


def test_an_english_buyer_is_qualified_one_question_at_a_time_and_gets_a_call_when_hot(buyer):
    script = [
        ("Hi, I want to buy a house", "financing"),
        ("pre-approved with Chase for 500k", "budget"),
        ("somewhere around 450", "down_payment"),
        ("20% down", "areas"),
        ("riverside or corona", "rooms"),
        ("3 bed 2 bath", "must_haves"),
        ("a pool and RV parking, no HOA", "timeline"),
        ("hopefully in the next couple months", "hot"),
    ]
    for text, next_move in script:
        reply = buyer.says(text)
        assert ASKS[next_move]["en"] in reply, (text, reply)
        assert detect_language(reply) == "en"

    profile, contact = buyer.profile, buyer.contact
    assert (profile.preapproval_status, profile.preapproval_lender, profile.preapproval_amount) == (
        "pre_approved",
        "Chase",
        500_000,
    )
    assert (contact.budget_max, contact.timeline, contact.pre_approved) == (
        450_000,
        "1_3_months",
        True,
    )
    assert profile.down_payment_percent == Decimal("20")
    assert profile.cities == ["Riverside", "Corona"]
    assert (profile.beds_min, profile.baths_min) == (3, Decimal("2"))
    assert profile.must_haves == "pool, RV parking, no HOA"
    assert (profile.temperature, profile.stage) == ("hot", "qualified")
    assert buyer.conversation.stage == Conversation.Stage.APPOINTMENT
    # The call is booked once: Jorge's task and the hot-lead tag, in HighLevel's outbox.
    assert OutboxMessage.objects.filter(operation="create_task").count() == 1
    assert OutboxMessage.objects.filter(
        operation="add_tags", request_body={"tags": ["hot-lead"]}
    ).exists()
    assert never_twice_in_a_row(bot_texts())


def test_a_spanish_buyer_who_is_not_ready_is_qualified_in_spanish_and_not_booked(buyer):
    script = [
        ("Hola, queremos comprar una casa", "financing"),
        ("todavía no", "budget"),
        ("unos 450 mil más o menos", "down_payment"),
        ("el 10% de enganche", "areas"),
        ("por riverside o corona", "rooms"),
        ("tres recámaras y dos baños", "must_haves"),
        ("nada en especial", "timeline"),
        ("como en unos 2 meses", "qualified"),
    ]
    for text, next_move in script:
        reply = buyer.says(text)
        assert ASKS[next_move]["es"] in reply, (text, reply)
        assert detect_language(reply) == "es"

    profile, contact = buyer.profile, buyer.contact
    assert (profile.preapproval_status, contact.pre_approved) == ("not_yet", False)
    assert (contact.budget_max, contact.timeline, contact.language) == (
        450_000,
        "1_3_months",
        "es",
    )
    assert (profile.cities, profile.beds_min, profile.must_haves) == (
        ["Riverside", "Corona"],
        3,
        "",
    )
    assert profile.temperature == "warm"  # soon, but not pre-approved: not hot
    assert not OutboxMessage.objects.filter(operation="create_task").exists()
    assert buyer.conversation.stage == Conversation.Stage.QUALIFIED


def test_a_qualified_buyer_who_writes_again_is_handed_to_jorge_once(buyer):
    for text in [
        "Hi, I want to buy a house",
        "not yet",
        "around 400k",
        "10% down",
        "Fontana",
        "3 bed",
        "nothing in particular",
    ]:
        buyer.says(text)
    assert ASKS["qualified"]["en"] in buyer.says("next year")

    reply = buyer.says("that's all, thanks!")

    assert reply.startswith("Thanks, noted!")
    assert buyer.conversation.stage == Conversation.Stage.HANDED_OFF
    assert never_twice_in_a_row(bot_texts())


def test_a_buyer_who_says_everything_at_once_is_booked_without_questions(buyer):
    reply = buyer.says("Hi, I want to buy a home, paying cash, budget 600k, need to move asap")

    assert reply.startswith("Hi Ana! This is Jorge's automated assistant")
    assert ASKS["hot"]["en"] in reply
    assert not any(ASKS[q]["en"] in reply for q in ("financing", "budget", "timeline"))
    profile = buyer.profile
    assert (profile.cash_buyer, profile.preapproval_status, profile.temperature) == (
        True,
        "",
        "hot",
    )
    assert OutboxMessage.objects.filter(operation="create_task").count() == 1


# --- One question at a time, never what is known ----------------------------------------------


def test_the_lead_bot_hands_a_buyer_over_with_what_it_knows(buyer):
    assert "buy a home, sell one, or both?" in buyer.says("Hi")

    reply = buyer.says("we want to buy in Riverside, we're pre-approved for 500k")

    conversation = buyer.conversation
    assert conversation.bot == "buyer"
    handoff = AuditEvent.objects.get(action="bot.handoff")
    assert (handoff.data["from"], handoff.data["to"]) == ("lead", "buyer")
    assert handoff.data["context"]["area"] == "Riverside"
    profile = buyer.profile
    assert (profile.preapproval_status, profile.preapproval_amount, profile.cities) == (
        "pre_approved",
        500_000,
        ["Riverside"],
    )
    # Financing and the lender's amount are known: the next open question is the budget.
    assert ASKS["budget"]["en"] in reply
    assert ASKS["financing"]["en"] not in reply


def test_an_answer_given_out_of_order_is_kept_and_its_question_never_asked(buyer):
    assert ASKS["financing"]["en"] in buyer.says("hi, looking to buy a home")

    reply = buyer.says("our budget is 550k and we're pre-approved, 3 bedrooms in Temecula")

    contact, profile = buyer.contact, buyer.profile
    assert (contact.budget_max, contact.pre_approved) == (550_000, True)
    assert (profile.beds_min, profile.cities) == (3, ["Temecula"])
    assert ASKS["preapproval_details"]["en"] in reply
    buyer.says("with Wells Fargo")
    buyer.says("about 50k down")
    texts = " ".join(bot_texts())
    for question in ("budget", "areas", "rooms"):
        assert ASKS[question]["en"] not in texts
    assert texts.count(ASKS["financing"]["en"]) == 1


def test_a_question_is_asked_at_most_twice_then_passed(buyer):
    buyer.says("Hi, I want to buy a house")
    buyer.says("not yet")
    buyer.says("450k")
    buyer.says("20% down")

    again = buyer.says("hmm")
    assert ASKS_AGAIN["areas"]["en"] in again  # once more, in other words
    reply = buyer.says("ok")

    assert ASKS["rooms"]["en"] in reply  # passed, the bot moved on
    texts = " ".join(bot_texts())
    asked = texts.count(ASKS["areas"]["en"]) + texts.count(ASKS_AGAIN["areas"]["en"])
    assert asked == 2
    assert buyer.profile.cities == []


def test_a_city_the_bot_does_not_know_is_taken_as_the_answer_to_the_areas_question(buyer):
    for text in ["Hi, I want to buy a house", "not yet", "450k", "20% down"]:
        buyer.says(text)

    reply = buyer.says("Pasadena or Glendale")

    assert buyer.profile.cities == ["Pasadena", "Glendale"]
    assert ASKS["rooms"]["en"] in reply


@pytest.mark.parametrize(
    ("answer", "pre_approved"),
    [
        ("yes we are", True),
        ("nope, working on it", False),
        ("sí, ya estamos", True),
        ("aún no", False),
    ],
)
def test_a_plain_yes_or_not_yet_to_the_financing_question_is_recorded(buyer, answer, pre_approved):
    assert ASKS["financing"]["en"] in buyer.says("I want to buy a home in 2 months")

    buyer.says(answer)

    assert buyer.contact.pre_approved is pre_approved
    buyer.says("ok")  # a later message that does not repeat it keeps it, and its points
    contact = buyer.contact
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
def test_a_spanish_buyer_who_has_not_talked_to_a_lender_is_not_asked_again(buyer, answer):
    assert ASKS["financing"]["es"] in buyer.says("Hola, busco casa en Fontana")

    reply = buyer.says(f"unos 400 mil, {answer}")

    contact = buyer.contact
    assert (contact.budget_max, contact.pre_approved) == (400_000, False)
    assert buyer.profile.preapproval_status == "not_yet"
    assert ASKS["down_payment"]["es"] in reply
    assert " ".join(bot_texts()).count(ASKS["financing"]["es"]) == 1


def test_a_budget_that_is_only_the_pre_approval_amount_is_asked_once(buyer):
    reply = buyer.says("Hi, I'm pre-approved for 500k and want to buy")
    assert buyer.contact.budget_max == 500_000  # the lead analysis reads it as the budget
    assert ASKS["budget"]["en"] in reply  # the ceiling is not what they shop for

    reply = buyer.says("the same really, up to 500k")

    assert ASKS["down_payment"]["en"] in reply
    assert " ".join(bot_texts()).count(ASKS["budget"]["en"]) == 1


def test_a_no_hoa_wish_is_not_taken_for_a_question_about_fees(buyer):
    for text in ["Hi, I want to buy a house", "not yet", "450k", "20% down", "Corona", "3/2"]:
        buyer.says(text)

    reply = buyer.says("no HOA and a big yard")

    assert ASKS["timeline"]["en"] in reply
    assert buyer.profile.must_haves == "yard, no HOA"
    assert buyer.conversation.stage != Conversation.Stage.HANDED_OFF


def test_a_question_only_jorge_can_answer_goes_to_jorge(buyer):
    buyer.says("Hi, I want to buy a house")

    reply = buyer.says("can we see the one on Main St this weekend?")

    assert "Jorge get back to you on that personally" in reply
    conversation = buyer.conversation
    assert conversation.stage == Conversation.Stage.HANDED_OFF
    assert buyer.contact.bot_paused_until is not None


# --- Who runs the conversation -----------------------------------------------------------------


def test_a_buy_and_sell_lead_is_run_by_the_seller_bot(buyer):
    reply = buyer.says("Hi, I need to sell my house and buy a bigger one")

    assert buyer.conversation.bot == "seller"
    assert "address" in reply


def test_a_buyer_who_turns_out_to_sell_too_is_handed_to_the_seller_bot(buyer):
    buyer.says("Hi, I want to buy a house")
    assert buyer.conversation.bot == "buyer"

    reply = buyer.says("actually we also need to sell our current home first")

    assert buyer.conversation.bot == "seller"
    assert "address" in reply
    handoffs = AuditEvent.objects.filter(action="bot.handoff").order_by("id")
    assert [(h.data["from"], h.data["to"]) for h in handoffs] == [
        ("lead", "buyer"),
        ("buyer", "seller"),
    ]


# --- Language over the conversation ---------------------------------------------------------


def test_a_spanish_buyer_who_says_thank_you_in_english_keeps_getting_spanish(buyer):
    buyer.says("Hola, quiero comprar una casa")

    reply = buyer.says("ok perfecto, thank you")

    assert buyer.contact.language == "es"
    assert detect_language(reply) == "es"


# --- Numbers that are never facts ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "here is my ssn 123-45-6789",
        # What is left of one once redacted (messages are stored redacted, then read).
        "my social is [SSN removed] for the pre-approval",
        "yes, [account number removed]",
    ],
)
def test_an_ssn_or_account_number_is_never_taken_as_a_pre_approval(buyer, text):
    buyer.says("Hi, I want to buy a house")

    reply = buyer.says(text)

    profile, contact = buyer.profile, buyer.contact
    assert profile.preapproval_status == "" and profile.preapproval_amount is None
    assert contact.pre_approved is not True
    # The privacy notice (the compliance check), never a qualification step.
    assert "please don't send Social Security" in reply
    assert "shared" not in reply and "6789" not in reply


# --- Follow-ups -------------------------------------------------------------------------------


def test_a_buyer_who_stops_answering_gets_buyer_follow_ups_in_their_language(
    buyer, django_capture_on_commit_callbacks
):
    from leads.services.followups import send_followup

    buyer.says("Hola, quiero comprar una casa")
    conversation = buyer.conversation

    for _ in range(2):
        Conversation.objects.filter(pk=conversation.pk).update(
            next_followup_at=MORNING - timedelta(minutes=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            send_followup(conversation_id=conversation.pk, now=MORNING + timedelta(minutes=5))

    first, second = bot_texts()[-2:]
    assert first.startswith("Hola Ana, solo para saludarle. ¿Sigue buscando casa?")
    assert "siguen saliendo casas" in second
    assert Conversation.objects.get(pk=conversation.pk).stage == Conversation.Stage.NURTURE


def test_the_email_step_of_a_buyers_follow_ups_is_a_buyer_email(
    buyer, django_capture_on_commit_callbacks
):
    from leads.models import BotSettings
    from leads.services.followups import send_followup

    BotSettings.objects.update_or_create(
        pk=1, defaults={"followup_days": [1, 3], "email_followup_day": 1}
    )
    buyer.says("Hi, I want to buy a house")
    conversation = buyer.conversation
    Conversation.objects.filter(pk=conversation.pk).update(
        next_followup_at=MORNING - timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = send_followup(conversation_id=conversation.pk, now=MORNING + timedelta(minutes=5))

    assert result == "sent_email"
    email = Message.objects.filter(direction="outbound").latest("id")
    assert (email.channel, email.subject) == ("email", "Homes in the areas you're looking at")
    assert "new listings and price changes" in email.body


# --- Financial readiness, beside the conversation ----------------------------------------------


def test_once_the_money_questions_are_settled_readiness_is_assessed_and_the_chat_goes_on(buyer):
    buyer.says("Hi, I want to buy a house")
    buyer.says("pre-approved with Chase for 500k")
    buyer.says("around 450k")
    assert not FinancialAssessment.objects.exists()  # the down payment is still open

    reply = buyer.says("20% down")

    assert ASKS["areas"]["en"] in reply
    assessment = FinancialAssessment.objects.get()
    assert (assessment.source, assessment.pre_approved, assessment.requires_review) == (
        "heuristics",
        True,
        False,
    )
    assert assessment.conversation == buyer.conversation
    buyer.says("Riverside")  # nothing about money changed: not assessed again
    assert FinancialAssessment.objects.count() == 1


def test_a_buyer_with_nothing_to_go_on_gets_a_review_ticket_and_the_bot_keeps_answering(buyer):
    buyer.says("Hi, I want to buy a house")
    buyer.says("hmm")
    buyer.says("not sure")  # financing passed
    buyer.says("no idea")  # budget passed
    reply = buyer.says("don't know yet")  # down payment passed: the money questions are done

    assessment = FinancialAssessment.objects.get()
    assert assessment.source == "conservative"
    assert (assessment.pre_approved, assessment.requires_review, assessment.confidence) == (
        False,
        True,
        Decimal("0.60"),
    )
    ticket = EscalationTicket.objects.get()
    assert ticket.reason == EscalationTicket.Reason.FINANCIAL_REVIEW
    assert ticket.context["assessment"] == assessment.pk
    # The conversation carries on: the next question was asked and the bot is not paused.
    assert ASKS["areas"]["en"] in reply
    assert buyer.contact.bot_paused_until is None
    assert ASKS["rooms"]["en"] in buyer.says("Riverside")


# --- With Claude configured: the two-phase turn --------------------------------------------------


def test_with_claude_configured_but_down_the_buyer_bot_still_runs_in_the_two_phase_turn(
    buyer, settings
):
    """The turn calls out (Claude), so the bot decides in one transaction and the reply is
    applied in another; the assessment queued by the first still runs once, after commit."""
    import httpx2

    from leads.intelligence import claude

    settings.ANTHROPIC_API_KEY = "test-key"
    settings.ANTHROPIC_MAX_RETRIES = 0
    calls = []

    def down(request):
        calls.append(request)
        raise httpx2.ConnectError("no route to Anthropic")

    claude.use_http_client(httpx2.Client(transport=httpx2.MockTransport(down)))
    try:
        buyer.says("Hi, I want to buy a house")
        buyer.says("pre-approved with Chase for 500k")
        buyer.says("around 450k")
        reply = buyer.says("20% down")
    finally:
        claude.use_http_client(None)

    assert calls  # the turn did call out
    assert ASKS["areas"]["en"] in reply  # the offline wording, as the fallback
    assert FinancialAssessment.objects.get().source == "heuristics"
    assert buyer.profile.down_payment_percent == Decimal("20")


def test_a_pre_qualified_buyer_is_not_counted_as_pre_approved_on_later_messages(buyer):
    buyer.says("Hi, I want to buy a house")

    buyer.says("we're pre-qualified with Chase")
    buyer.says("around 450k")  # the lead analysis reads the history again

    assert buyer.profile.preapproval_status == "prequalified"
    contact = buyer.contact
    assert contact.pre_approved is False
    assert "Financing: pre-approved or paying cash (+20)" not in contact.score_reasons


# --- The listings that fit ------------------------------------------------------------------


def test_a_qualified_buyer_gets_the_three_listings_that_fit_best_with_their_links(buyer):
    from tests.sellers.factories import ListingFactory

    fits = [
        ListingFactory(city="Riverside", beds=3, baths=2, list_price=p, address=f"{n} Elm St")
        for n, p in [(1, 430_000), (2, 445_000), (3, 420_000), (4, 380_000)]
    ]
    too_dear = ListingFactory(city="Riverside", beds=3, baths=2, list_price=900_000)
    elsewhere = ListingFactory(city="Fontana", beds=3, baths=2, list_price=440_000)
    script = [
        "Hola, queremos comprar una casa",
        "todavía no",
        "unos 450 mil más o menos",
        "el 10% de enganche",
        "en riverside",
        "tres recámaras y dos baños",
        "nada en especial",
    ]
    for text in script:
        buyer.says(text)
    reply = buyer.says("como en unos 2 meses")

    assert detect_language(reply) == "es"
    links = [line for line in reply.splitlines() if "/p/" in line]
    assert len(links) == 3  # the top three, one message
    for home in (too_dear, elsewhere):
        assert home.slug not in reply  # never a listing that does not fit
    assert sum(home.slug in reply for home in fits) == 3
    event = AuditEvent.objects.get(action="buyer.matches_sent")
    assert {item["property"] for item in event.data["listings"]} <= {h.pk for h in fits}
    assert buyer.conversation.stage == Conversation.Stage.QUALIFIED


def test_a_qualified_buyer_with_no_listing_that_fits_is_told_jorge_follows_up(buyer):
    from tests.sellers.factories import ListingFactory

    ListingFactory(city="Fontana", beds=3, baths=2, list_price=440_000)
    for text in [
        "Hola, queremos comprar una casa",
        "todavía no",
        "unos 450 mil más o menos",
        "el 10% de enganche",
        "en riverside",
        "tres recámaras y dos baños",
        "nada en especial",
    ]:
        buyer.says(text)
    reply = buyer.says("como en unos 2 meses")

    assert ASKS["qualified"]["es"] in reply
    assert "/p/" not in reply
    assert not AuditEvent.objects.filter(action="buyer.matches_sent").exists()
