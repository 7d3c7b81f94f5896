"""A seller's whole conversation through the real HTTP endpoint: signed HighLevel webhooks in,
replies out through the HighLevel client into the outbox."""

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from analytics.services import DASHBOARD_GROUP
from compliance.models import AuditEvent
from leads.models import Contact, Conversation, Deal, OutboxMessage
from sellers.models import CMAReport, SellerQualification
from tests.leads import conftest as lead_fixtures
from tests.sellers.factories import TODAY, PropertyFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The signed-webhook fixtures of the leads tests, shared as they are.
_key_pairs = lead_fixtures._key_pairs
ghl_keys = lead_fixtures.ghl_keys
signer = lead_fixtures.signer
ghl = lead_fixtures.ghl

# 10:00 in Los Angeles (PST) on the day the property factories date their sales from.
MORNING = datetime(TODAY.year, TODAY.month, TODAY.day, 18, 0, tzinfo=UTC)
_ids = itertools.count(1)


@pytest.fixture
def clock():
    """The clock at 10:00 in California; every message the lead sends moves it one minute."""
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def lead(ghl, clock):
    """Sends what a lead in Riverside types, through signed webhooks; returns our reply."""

    class Lead:
        def __init__(self):
            self.contact_id = f"seller-{next(_ids)}"
            self.conversation_id = f"conv-{self.contact_id}"

        def created(self, *, first_name="Dana", source="Zillow"):
            response = ghl.post(
                {
                    "type": "ContactCreate",
                    "locationId": "loc-1",
                    "id": self.contact_id,
                    "firstName": first_name,
                    "lastName": "Reyes",
                    "phone": "+19515550178",
                    "email": "dana@example.com",
                    "source": source,
                    "dateAdded": clock_now(),
                    "tags": [],
                    "dnd": False,
                }
            )
            assert response.status_code == 200

        def says(self, text: str) -> str:
            clock.shift(timedelta(minutes=1))
            before = set(OutboxMessage.objects.values_list("id", flat=True))
            n = next(_ids)
            response = ghl.post(
                {
                    "type": "InboundMessage",
                    "locationId": "loc-1",
                    "contactId": self.contact_id,
                    "conversationId": self.conversation_id,
                    "messageId": f"sms-{n}",
                    "webhookId": f"wh-{n}",
                    "body": text,
                    "direction": "inbound",
                    "messageType": "SMS",
                    "contentType": "text/plain",
                    "status": "delivered",
                    "attachments": [],
                    "dateAdded": clock_now(),
                }
            )
            assert response.status_code == 200
            sent = [
                row.request_body["message"]
                for row in OutboxMessage.objects.filter(operation="send_message")
                .exclude(id__in=before)
                .order_by("id")
            ]
            return " | ".join(sent)

        @property
        def qualification(self) -> SellerQualification:
            return SellerQualification.objects.get(contact__ghl_contact_id=self.contact_id)

        @property
        def conversation(self) -> Conversation:
            return Conversation.objects.get(ghl_conversation_id=self.conversation_id)

    return Lead()


def clock_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def riverside_sales():
    """Recent sales like a 2,000 sq ft 3-bed home in Riverside (the CMA's comparables)."""
    return [
        PropertyFactory(mls_id=f"COMP{n}", sold_price=price, days_ago=20 + 25 * n)
        for n, price in enumerate((590_000, 600_000, 610_000, 620_000, 605_000))
    ]


@pytest.fixture
def dashboard_events():
    """Listens to the live dashboard: ``listen()`` joins its group, ``received()`` drains it."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()

    async def drain():
        events = []
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.2)
            except TimeoutError:
                return events
            events.append(message["payload"])

    class Listener:
        def listen(self):
            # The in-memory layer drops a member whose messages expired (the clock moves).
            async_to_sync(layer.group_add)(DASHBOARD_GROUP, channel)

        def received(self) -> list[dict]:
            return async_to_sync(drain)()

    yield Listener()
    async_to_sync(layer.group_discard)(DASHBOARD_GROUP, channel)


def outbox(operation: str) -> list[dict]:
    return [
        row.request_body for row in OutboxMessage.objects.filter(operation=operation).order_by("id")
    ]


# --- The full conversations (the first must-show) -------------------------------------


def test_an_english_seller_is_qualified_step_by_step_and_offered_the_cma(lead, riverside_sales):
    lead.created()

    first = lead.says("Hi, I want to sell my house")
    assert "Jorge's automated assistant" in first
    assert "address" in first and first.count("?") == 1

    reply = lead.says("It's 1234 Magnolia Ave, Riverside. Sure, go ahead")
    assert reply == "Thank you! What's got you thinking about selling?"
    assert (lead.qualification.address, lead.qualification.city) == (
        "1234 Magnolia Ave",
        "Riverside",
    )
    assert lead.qualification.permission_given is True

    # A stall on the way: acknowledged, the free CMA offered, no pushing.
    reply = lead.says("Hmm, let me think about it")
    assert "take your time" in reply and "free market analysis" in reply
    assert (lead.qualification.stall_count, lead.qualification.last_stall_kind) == (1, "thinking")
    assert lead.qualification.strategy == "offer_cma"
    assert CMAReport.objects.filter(address="1234 Magnolia Ave").exists()  # being prepared

    reply = lead.says("We're relocating to Texas for my job")
    assert reply == "Got it. When would you ideally like to have the home sold?"
    assert lead.qualification.motivation_kind == "relocation"

    reply = lead.says("Within the next 2 months")
    assert reply.startswith("Thanks! How would you describe the home right now")
    assert lead.qualification.timeline == "1_3_months"

    reply = lead.says("It needs some updates, the kitchen is original. We live there")
    assert reply.startswith("Last question: do you have a price in mind")
    assert (lead.qualification.condition, lead.qualification.occupancy) == (
        "needs_updates",
        "owner",
    )

    reply = lead.says("I'd want at least 650k")
    assert "free market analysis (CMA)" in reply and "Jorge" in reply
    qualification = lead.qualification
    assert qualification.price_expectation == 650_000
    assert qualification.stage == SellerQualification.Stage.QUALIFIED
    assert qualification.cma_offered_at is not None
    assert qualification.temperature == "hot"  # 650k is within the CMA's range (+10 %)
    assert "will call you personally" in reply
    assert lead.conversation.stage == Conversation.Stage.QUALIFIED
    assert lead.conversation.bot == "seller"
    # One question per message, all the way.
    texts = [m["message"] for m in outbox("send_message")]
    assert len(texts) == 7 and all(t.count("?") <= 1 for t in texts)
    assert all(len(t) <= 320 for t in texts)


def test_a_spanish_seller_is_qualified_in_spanish_with_a_stall_on_the_way(lead, riverside_sales):
    lead.created(first_name="Lupe")

    first = lead.says("Hola, quiero vender mi casa")
    assert "asistente automático" in first and "dirección" in first

    reply = lead.says("mi casa está en 5678 Calle Sol, Fontana. Claro, pregunte")
    assert reply == "¡Gracias! ¿Qué le hace pensar en vender?"
    assert (lead.qualification.address, lead.qualification.city) == ("5678 Calle Sol", "Fontana")

    reply = lead.says("déjame pensarlo")
    assert "tómese su tiempo" in reply and "análisis de mercado" in reply
    assert lead.qualification.last_stall_kind == "thinking"

    reply = lead.says("Nos mudamos a Texas por trabajo")
    assert reply == "Entiendo. ¿Para cuándo le gustaría tener la casa vendida?"

    reply = lead.says("en unos 2 meses")
    assert reply.startswith("¡Gracias! ¿Cómo describiría la casa")

    reply = lead.says("necesita algunos arreglos, vivimos ahí")
    assert reply.startswith("Última pregunta")

    reply = lead.says("quiero unos 600 mil")
    assert "análisis de mercado (CMA)" in reply
    qualification = lead.qualification
    assert (
        qualification.motivation_kind,
        qualification.timeline,
        qualification.condition,
        qualification.occupancy,
        qualification.price_expectation,
        qualification.stage,
    ) == ("relocation", "1_3_months", "needs_updates", "owner", 600_000, "qualified")
    assert Contact.objects.get(ghl_contact_id=lead.contact_id).language == "es"


# --- Skipping, repeating, stalling ------------------------------------------------------------


def test_questions_the_seller_already_answered_are_skipped(lead):
    lead.created()

    first = lead.says(
        "Hi, I want to sell my home at 77 Olive Street, Corona, we're downsizing "
        "since the kids moved out. Hoping to sell within 3 months"
    )

    # Address, motivation and timeline are known: the first question is the condition.
    assert "How would you describe the home right now" in first
    assert "address" not in first and "thinking about selling" not in first
    qualification = lead.qualification
    assert (qualification.address, qualification.city) == ("77 Olive Street", "Corona")
    assert (qualification.motivation_kind, qualification.timeline) == ("downsizing", "1_3_months")
    assert qualification.stage == SellerQualification.Stage.Q3_CONDITION

    reply = lead.says("Move-in ready, we remodeled last year. I'd like 700k")
    assert "everything I need" in reply


def test_a_question_not_answered_twice_is_an_evasive_stall_and_is_passed(lead):
    lead.created()
    lead.says("I want to sell my house, it's at 1234 Magnolia Ave, Riverside")

    first_miss = lead.says("ok")
    assert first_miss.startswith("No problem if it's personal")  # asked again, in other words
    assert lead.qualification.stall_count == 0

    second_miss = lead.says("hmm")
    assert second_miss.startswith("No worries, we can skip that one")
    qualification = lead.qualification
    assert (qualification.stall_count, qualification.last_stall_kind) == (1, "evasive")
    # The motivation question is passed for good: the next one is the timeline.
    assert qualification.stage == SellerQualification.Stage.Q2_TIMELINE
    assert lead.says("sure") == "Got it. When would you ideally like to have the home sold?"


def test_a_plain_no_to_the_first_question_is_a_stall_and_the_bot_backs_off(lead):
    lead.created()
    lead.says("I want to sell my house")

    reply = lead.says("no")

    assert reply.startswith("No problem") and "?" not in reply
    qualification = lead.qualification
    assert (qualification.permission_given, qualification.last_stall_kind) == (False, "declined")
    assert qualification.strategy == "follow_up_later"


def test_a_question_about_the_commission_goes_to_jorge_but_one_about_the_value_does_not(lead):
    lead.created()
    lead.says("I want to sell my house")

    reply = lead.says("How much is my house worth? It's 1234 Magnolia Ave, Riverside")
    assert reply == "Thank you! What's got you thinking about selling?"

    reply = lead.says("What's your commission?")
    assert "I'll have Jorge get back to you on that personally" in reply
    assert lead.conversation.stage == Conversation.Stage.HANDED_OFF


def test_three_stalls_and_the_bot_stops_pushing_the_seller_goes_to_nurture(lead):
    lead.created()
    lead.says("I want to sell my house")

    lead.says("just curious")
    lead.says("I need to talk to my wife first")
    third = lead.says("not right now")

    assert third.startswith("Totally understand") and "?" not in third
    qualification = lead.qualification
    assert (qualification.stall_count, qualification.stage) == (3, "nurture")
    assert qualification.temperature == "cold"
    conversation = lead.conversation
    assert conversation.stage == Conversation.Stage.NURTURE
    assert conversation.next_followup_at is not None  # the nurture cadence goes on
    stalls = AuditEvent.objects.filter(action="seller.stall").order_by("id")
    assert [(e.data["kind"], e.data["strategy"]) for e in stalls] == [
        ("just_curious", "offer_cma"),
        ("spouse", "offer_cma"),
        ("not_now", "follow_up_later"),
    ]
    assert stalls.last().data["to_nurture"] is True

    # In nurture the bot only acknowledges; it asks nothing.
    assert "?" not in lead.says("thanks")


def test_not_now_schedules_the_next_follow_up_later(lead):
    lead.created()
    lead.says("I want to sell my house")

    reply = lead.says("ahorita no")

    conversation = lead.conversation
    # The cadence jumps to its day-14 touch instead of texting again tomorrow.
    assert conversation.next_followup_at == datetime.now(UTC) + timedelta(days=14)
    assert conversation.followup_step == 3
    assert lead.qualification.strategy == "follow_up_later"
    assert "couple of weeks" in reply or "par de semanas" in reply


def test_how_did_you_get_my_number_is_answered_honestly_and_handed_to_jorge(lead):
    lead.created(source="Zillow")
    lead.says("I might sell my house")

    reply = lead.says("Wait, how did you get my number?")

    assert "through Zillow" in reply and "reply STOP" in reply
    assert "automated assistant" in reply
    qualification = lead.qualification
    assert (qualification.last_stall_kind, qualification.strategy) == (
        "how_got_number",
        "hand_to_agent",
    )
    conversation = lead.conversation
    assert conversation.stage == Conversation.Stage.HANDED_OFF
    contact = Contact.objects.get(ghl_contact_id=lead.contact_id)
    assert contact.bot_paused_until is not None  # the bot stays quiet; Jorge answers
    assert any(t["title"].startswith("Reply to") for t in outbox("create_task"))


def test_a_spanish_seller_asking_how_we_got_the_number_gets_the_same_honest_answer(lead):
    lead.created(source="")
    lead.says("quiero vender mi casa")

    reply = lead.says("¿cómo consiguió mi número?")

    assert "no tengo ese dato" in reply and "STOP" in reply


# --- Hot sellers -----------------------------------------------------------------------------


def test_a_hot_seller_gets_a_call_task_an_opportunity_a_deal_and_the_dashboard_hears(
    lead, riverside_sales, settings, dashboard_events
):
    settings.GHL_SELLER_PIPELINE_ID = "pipe-sellers"
    settings.GHL_SELLER_PIPELINE_STAGE_ID = "stage-new"
    lead.created()
    lead.says("I need to sell my house at 1234 Magnolia Ave, Riverside, we're relocating for work")
    lead.says("asap, within 30 days")
    lead.says("Move-in ready, we live there")
    dashboard_events.listen()

    reply = lead.says("I'd want about 620k")

    assert "will call you personally" in reply
    qualification = lead.qualification
    assert qualification.temperature == "hot"
    assert "timeline within 90 days" in qualification.temperature_reasons
    assert "clear motivation: relocation" in qualification.temperature_reasons
    [task] = outbox("create_task")
    assert task["title"].startswith("Call Dana")
    assert {"tags": ["hot-lead"]} in outbox("add_tags")
    [opportunity] = outbox("create_opportunity")
    assert opportunity["pipelineId"] == "pipe-sellers"
    assert opportunity["pipelineStageId"] == "stage-new"
    assert opportunity["monetaryValue"] == 620_000
    deal = Deal.objects.get()
    assert (deal.side, deal.stage, deal.value) == ("sell", "lead", 620_000)
    assert deal.ghl_opportunity_id and qualification.ghl_opportunity_id == deal.ghl_opportunity_id
    kinds = [event["kind"] for event in dashboard_events.received()]
    assert "seller.hot" in kinds

    # The reply offered Jorge's free times; "afternoons" picks the one afternoon time, which is
    # booked: no second task, opportunity or deal.
    assert "1) Mon Nov 23, 9 AM\n2) Mon Nov 23, 12 PM\n3) Tue Nov 24, 9 AM" in reply
    confirmation = lead.says("Afternoons are best")
    assert "Jorge will call you on Monday, November 23 at 12 PM (Pacific time)" in confirmation
    [appointment] = outbox("create_appointment")
    assert appointment["startTime"] == "2026-11-23T12:00:00-08:00"
    assert len(outbox("create_task")) == 1
    assert len(outbox("create_opportunity")) == 1
    assert Deal.objects.count() == 1


def test_without_a_seller_pipeline_the_opportunity_is_skipped_with_an_audit_note(
    lead, riverside_sales, settings
):
    settings.GHL_SELLER_PIPELINE_ID = ""
    lead.created()
    lead.says("I need to sell my house at 1234 Magnolia Ave, Riverside, we're relocating for work")
    lead.says("asap")
    lead.says("Move-in ready, we live there")
    lead.says("620k")

    assert outbox("create_opportunity") == []
    assert Deal.objects.get().ghl_opportunity_id == ""  # on the dashboard all the same
    note = AuditEvent.objects.get(action="seller.opportunity_skipped")
    assert "GHL_SELLER_PIPELINE_ID" in note.data["reason"]


def test_a_seller_asking_far_above_the_cma_is_not_hot(lead, riverside_sales, settings):
    settings.GHL_SELLER_PIPELINE_ID = "pipe-sellers"
    lead.created()
    lead.says("I need to sell my house at 1234 Magnolia Ave, Riverside, we're relocating for work")
    lead.says("asap")
    lead.says("Move-in ready, we live there")
    report = CMAReport.objects.get()
    assert report.status == CMAReport.Status.READY  # generated by the task after commit

    reply = lead.says("I'd want at least 900k")

    qualification = lead.qualification
    assert qualification.temperature == "warm"
    assert any(
        r.startswith("price $900,000 above CMA range") for r in qualification.temperature_reasons
    )
    assert "will call you personally" not in reply
    assert outbox("create_opportunity") == [] and not Deal.objects.exists()
