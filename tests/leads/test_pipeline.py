"""The bot pipeline, driven through the same service the webhook task calls."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import timezone

from compliance.models import AuditEvent, ConsentRecord
from leads import selectors
from leads.models import Contact, Conversation, Message, OutboxMessage
from leads.services.messaging import send_due_messages
from leads.services.pipeline import handle_inbound_message
from tests.leads.factories import ContactFactory, receive_sms

pytestmark = pytest.mark.django_db

# 10:00 in Riverside (PDT), well inside the sending window.
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)


@pytest.fixture
def lead(db):
    return ContactFactory(
        ghl_contact_id="c-1",
        ghl_location_id="loc",
        first_name="Ana",
        phone="+19095550100",
        timezone="America/Los_Angeles",
        language="en",
    )


@pytest.fixture
def inbound(django_capture_on_commit_callbacks, lead):
    """Post one inbound SMS from the lead and run everything it triggers."""

    def send(text: str):
        with django_capture_on_commit_callbacks(execute=True):
            return receive_sms("c-1", text, conversation_id="conv-1")

    return send


def bot_replies():
    return list(
        Message.objects.filter(direction="outbound").exclude(status="blocked").order_by("id")
    )


def sent_texts():
    return [
        row.request_body["message"]
        for row in OutboxMessage.objects.filter(operation="send_message").order_by("id")
    ]


@time_machine.travel(MORNING, tick=False)
def test_first_reply_discloses_the_bot_and_asks_one_question(inbound):
    inbound("Hi, I saw your ad")

    [reply] = bot_replies()
    assert reply.status == Message.Status.SENT
    assert "automated assistant" in reply.body
    assert reply.body.count("?") == 1
    assert sent_texts() == [reply.body]
    conversation = Conversation.objects.get()
    assert conversation.first_response_seconds == 0
    assert reply.ai_metadata["engine"] == "offline"


@time_machine.travel(MORNING, tick=False)
def test_the_bot_never_asks_what_the_lead_already_said(inbound):
    inbound("Hi! I want to buy a 3 bedroom house in Fontana, budget around 500k")

    contact = Contact.objects.get()
    assert (contact.intent, contact.budget_max, contact.area) == ("buyer", 500_000, "Fontana")
    [reply] = bot_replies()
    # The buyer bot's first question: financing; the budget, area and rooms were said.
    assert "Have you been pre-approved" in reply.body
    assert "price range" not in reply.body
    assert "Which cities" not in reply.body and "bedrooms" not in reply.body


@time_machine.travel(MORNING, tick=False)
def test_a_second_message_continues_the_conversation(inbound):
    inbound("Hello, looking to buy")
    inbound("in about 5 months")

    _, second = bot_replies()
    assert "automated assistant" not in second.body
    # The timeline is kept; the financing question it left open is asked in other words.
    assert "Have you talked to a lender" in second.body
    assert Contact.objects.get().timeline == "3_6_months"


@time_machine.travel(MORNING, tick=False)
def test_a_hot_lead_gets_a_call_booked_with_jorge(inbound):
    inbound("I'm pre-approved for 650k and need to buy in Corona asap")

    contact = Contact.objects.get()
    assert contact.temperature == "hot"
    [reply] = bot_replies()
    assert "Jorge will call you" in reply.body
    task = OutboxMessage.objects.get(operation="create_task")
    assert task.request_body["title"].startswith("Call Ana")
    assert OutboxMessage.objects.filter(
        operation="add_tags", request_body={"tags": ["hot-lead"]}
    ).exists()
    assert "hot-lead" in contact.tags
    assert Conversation.objects.get().stage == Conversation.Stage.APPOINTMENT


@time_machine.travel(MORNING, tick=False)
def test_stop_opts_out_for_good_with_exactly_one_confirmation(inbound):
    inbound("Hi, I want to sell my house")
    inbound("STOP")
    inbound("stop")
    inbound("Actually what is my house worth?")

    contact = Contact.objects.get()
    assert contact.opted_out and contact.opted_out_at is not None
    texts = sent_texts()
    assert len(texts) == 2
    assert "unsubscribed" in texts[1] and "START" in texts[1]
    assert ConsentRecord.objects.filter(contact=contact, kind="revoked").count() == 2
    assert (
        OutboxMessage.objects.filter(
            operation="add_tags", request_body={"tags": ["opted-out"]}
        ).count()
        == 1
    )
    assert AuditEvent.objects.filter(action="reply.skipped").exists()


@time_machine.travel(MORNING, tick=False)
def test_start_resubscribes_and_is_not_a_conversation_message(inbound):
    inbound("STOP")
    inbound("START")

    contact = Contact.objects.get()
    assert not contact.opted_out
    assert "resubscribed" in sent_texts()[-1]
    assert (
        selectors.conversation_transcript(conversation=Conversation.objects.get())[-1][1]
        == sent_texts()[-1]
    )


@time_machine.travel(MORNING, tick=False)
def test_help_says_who_we_are_and_how_to_stop(inbound):
    inbound("HELP")

    [text] = sent_texts()
    assert "Jorge" in text and "STOP" in text


@time_machine.travel(MORNING, tick=False)
def test_spanish_lead_is_answered_in_spanish(inbound):
    inbound("Hola, quiero vender mi casa en Riverside")

    [reply] = bot_replies()
    assert "asistente automático" in reply.body
    assert Contact.objects.get().language == "es"


def test_a_message_at_23h_is_answered_at_8h(inbound):
    late = datetime(2026, 6, 11, 6, 0, tzinfo=UTC)  # 23:00 PDT on June 10
    with time_machine.travel(late, tick=False):
        inbound("Hi, are you still helping buyers?")
    [reply] = bot_replies()
    assert reply.status == Message.Status.QUEUED
    assert reply.scheduled_for == datetime(2026, 6, 11, 15, 0, tzinfo=UTC)  # 08:00 PDT
    assert sent_texts() == []

    with time_machine.travel(datetime(2026, 6, 11, 14, 59, tzinfo=UTC), tick=False):
        assert send_due_messages() == []
    with time_machine.travel(datetime(2026, 6, 11, 15, 0, tzinfo=UTC), tick=False):
        send_due_messages()

    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT
    assert sent_texts() == [reply.body]


@time_machine.travel(MORNING, tick=False)
def test_the_kill_switch_stops_every_bot(inbound):
    bot_settings = selectors.bot_settings()
    bot_settings.bots_enabled = False
    bot_settings.save()

    inbound("Hi, I want to buy")

    assert sent_texts() == []
    assert Contact.objects.get().intent == "buyer"  # still learns from the lead
    assert AuditEvent.objects.filter(
        action="reply.skipped", data__reason__startswith="kill switch"
    ).exists()


@time_machine.travel(MORNING, tick=False)
def test_a_paused_conversation_gets_no_bot_reply(inbound, lead):
    lead.bot_paused_until = timezone.now() + timezone.timedelta(hours=3)
    lead.save()

    inbound("Are you there?")

    assert sent_texts() == []


@time_machine.travel(MORNING, tick=False)
def test_a_listing_question_goes_to_jorge(inbound):
    inbound("How much is the house on Magnolia Ave? Is it still available?")

    [reply] = bot_replies()
    assert "Jorge get back to you" in reply.body
    conversation = Conversation.objects.get()
    assert conversation.stage == Conversation.Stage.HANDED_OFF
    assert selectors.is_bot_paused(conversation=conversation)
    assert OutboxMessage.objects.filter(operation="create_task").exists()


@time_machine.travel(MORNING, tick=False)
def test_a_demographic_question_gets_the_fair_housing_answer(inbound):
    inbound("Is Fontana a safe neighborhood? What kind of people live there?")

    [reply] = bot_replies()
    assert "objective" in reply.body or "police" in reply.body
    assert AuditEvent.objects.filter(
        action="guard.inbound", actor_label__startswith="fair_housing"
    ).exists()


@time_machine.travel(MORNING, tick=False)
def test_running_the_pipeline_twice_replies_once(inbound):
    message = inbound("Hi, I want to buy")

    assert handle_inbound_message(message_id=message.pk).result == "duplicate"
    assert len(sent_texts()) == 1


@time_machine.travel(MORNING, tick=False)
def test_a_seller_asking_what_their_home_is_worth_goes_to_the_seller_bot(inbound):
    inbound("Hi, I want to sell. How much is my house worth?")

    conversation = Conversation.objects.get()
    assert conversation.bot == "seller"
    assert not selectors.is_bot_paused(conversation=conversation)
    [reply] = bot_replies()
    assert "address" in reply.body


def test_a_reply_whose_send_task_was_lost_is_sent_by_the_minute_sweep(lead):
    # The reply was queued but its task never ran (say the broker was down at commit).
    conversation = Conversation.objects.create(contact=lead, ghl_conversation_id="conv-lost")
    with time_machine.travel(MORNING, tick=False):
        reply = Message.objects.create(
            conversation=conversation,
            direction="outbound",
            sender="bot",
            status="queued",
            body="Hi!",
        )
    with time_machine.travel(MORNING + timezone.timedelta(minutes=1), tick=False):
        assert send_due_messages() == []  # too fresh: its own task may still be running
    with time_machine.travel(MORNING + timezone.timedelta(minutes=3), tick=False):
        assert send_due_messages() == [reply.pk]

    reply.refresh_from_db()
    assert reply.status == Message.Status.SENT
    with time_machine.travel(MORNING + timezone.timedelta(minutes=4), tick=False):
        assert send_due_messages() == []


@time_machine.travel(MORNING, tick=False)
def test_the_leads_first_message_is_kept_as_consent_evidence(inbound):
    inbound("Hi, I'd like info on homes in Ontario")
    inbound("3 bedrooms")

    [record] = ConsentRecord.objects.all()
    assert (record.kind, record.wording, record.channel) == (
        "granted",
        "Hi, I'd like info on homes in Ontario",
        "sms",
    )
