"""The compliance check in the bot's turn: every inbound message, every outbound text.

Driven through the webhook or the service the webhook task calls, with HighLevel's outbox
and Claude faked only at their HTTP transports.
"""

import json
import logging
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from compliance.models import AuditEvent, ComplianceTicket, ConsentRecord
from compliance.rules.privacy import PLACEHOLDERS
from compliance.services import resume_bot_after_review
from leads import selectors
from leads.models import Contact, Conversation, Message, OutboxMessage, ReplyTemplate, WebhookEvent
from leads.services.messaging import queue_automated_message
from tests.compliance.samples import PII
from tests.factories import UserFactory
from tests.leads.claude_fake import analysis_answer, reply_answer
from tests.leads.conftest import load_sample
from tests.leads.factories import ContactFactory, receive_sms

pytestmark = pytest.mark.django_db

# 10:00 in Riverside (PDT), inside the sending window.
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
def says(django_capture_on_commit_callbacks, lead, officer):
    """The lead texts; returns what the bot sent back to them (outbox), "" when nothing."""

    def send(text: str) -> str:
        before = OutboxMessage.objects.filter(operation="send_message").count()
        with django_capture_on_commit_callbacks(execute=True):
            receive_sms("c-1", text, conversation_id="conv-1")
        sent = OutboxMessage.objects.filter(operation="send_message").order_by("id")[before:]
        return "\n".join(row.request_body["message"] for row in sent)

    return send


def everything_stored() -> str:
    """Every text the database holds about the conversation, for "is it anywhere?" checks."""
    rows = [
        *Message.objects.values_list("body", "subject", "ai_metadata"),
        *WebhookEvent.objects.values_list("body", "payload", "last_error"),
        *ConsentRecord.objects.values_list("wording", flat=True),
        *AuditEvent.objects.values_list("data", flat=True),
        *ComplianceTicket.objects.values_list("evidence", flat=True),
        *OutboxMessage.objects.values_list("request_body", flat=True),
    ]
    return json.dumps(rows, default=str)


# --- Privacy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "text", "secrets"), PII)
@time_machine.travel(MORNING, tick=False)
def test_each_kind_of_sensitive_data_is_redacted_in_the_stored_message(says, kind, text, secrets):
    says(text)

    stored = Message.objects.get(direction="inbound").body
    assert PLACEHOLDERS[kind] in stored
    for secret in secrets:
        assert secret not in everything_stored()
    assert kind in ComplianceTicket.objects.values_list("category", flat=True)


@pytest.mark.parametrize(("kind", "text", "secrets"), PII)
@time_machine.travel(MORNING, tick=False)
def test_each_kind_of_sensitive_data_is_redacted_in_the_stored_webhook_event(
    ghl, officer, kind, text, secrets
):
    payload = {
        **load_sample("inboundmessage-sms"),
        "body": text,
        "messageId": "m-1",
        "webhookId": "wh-1",
        "dateAdded": MORNING.isoformat(),
    }

    response = ghl.post(payload)  # signed over the raw bytes, with the digits in them

    assert response.status_code == 200, response.content
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.PROCESSED
    for secret in secrets:
        assert secret not in event.body
        assert secret not in json.dumps(event.payload)
        assert secret not in everything_stored()
    assert "removed]" in json.loads(event.body)["body"]
    assert event.payload["contactId"] == payload["contactId"]  # ids are kept for processing


@time_machine.travel(MORNING, tick=False)
def test_a_lead_who_texts_an_ssn_is_told_once_not_to_and_is_not_pre_approved(says):
    says("Hi, I want to buy a house in Fontana")
    says("in 2 months, around 500k")

    reply = says("here is my SSN for the pre-approval 123-45-6789, card 4111 1111 1111 1111")

    assert "please don't send Social Security, card or bank numbers" in reply
    assert "shared" not in reply.lower() and "passed that on" not in reply.lower()
    contact = Contact.objects.get()
    assert contact.pre_approved is None
    assert contact.budget_max == 500_000  # the SSN's digits are not a budget
    conversation = Conversation.objects.get()
    assert selectors.is_bot_paused(conversation=conversation)
    assert sorted(ComplianceTicket.objects.values_list("category", flat=True)) == [
        "card_number",
        "ssn",
    ]
    [email] = mail.outbox
    assert "123-45-6789" not in email.body and "4111" not in email.body


@time_machine.travel(MORNING, tick=False)
def test_the_privacy_notice_is_sent_once_per_conversation(says, lead):
    first = says("my social is 123-45-6789")
    resume_bot_after_review(ticket=ComplianceTicket.objects.get(), user=UserFactory())
    second = says("sorry, here it is again 123 45 6789 ssn")

    assert "For your security" in first
    assert second == ""  # no second notice, and nothing that reads as taking the data
    assert ComplianceTicket.objects.count() == 2
    assert selectors.is_bot_paused(conversation=Conversation.objects.get())


@time_machine.travel(MORNING, tick=False)
def test_the_privacy_notice_speaks_spanish(says, lead):
    Contact.objects.filter(pk=lead.pk).update(language="es")

    reply = says("le mando mi número de cuenta: 000123456789")

    assert "Por su seguridad, no envíe por mensaje números de seguro social" in reply
    assert Message.objects.get(direction="inbound").body == (
        "le mando mi número de cuenta: [account number removed]"
    )


@time_machine.travel(MORNING, tick=False)
def test_the_first_message_kept_as_consent_evidence_is_redacted(says):
    says("Hi! my ssn is 123-45-6789, I want to buy")

    assert ConsentRecord.objects.get().wording == "Hi! my ssn is [SSN removed], I want to buy"


@pytest.mark.parametrize(("kind", "text", "secrets"), PII)
@time_machine.travel(MORNING, tick=False)
def test_no_prompt_sent_to_claude_carries_sensitive_data(says, fake_claude, kind, text, secrets):
    analysis = analysis_answer(pre_approved=None, timeline="unknown")
    reply = reply_answer("Thanks! When would you like to move?")
    fake_claude.answer(analysis, reply, analysis, analysis, reply)
    says("Hi, I want to buy in Fontana")
    says(text)  # the analysis reads it; the privacy notice answers it
    resume_bot_after_review(ticket=ComplianceTicket.objects.first(), user=UserFactory())

    says("3 bedrooms please")  # Claude words a reply over a transcript that holds it

    prompts = json.dumps(fake_claude.bodies)
    for secret in secrets:
        assert secret not in prompts
    assert len(fake_claude.requests) == 5  # Claude read and wrote every turn, with clean text


@time_machine.travel(MORNING, tick=False)
def test_the_analyze_api_never_sends_sensitive_data_to_claude(api_client, fake_claude):
    fake_claude.answer(analysis_answer())

    response = api_client.post(
        "/api/v1/leads/analyze",
        {"message": "Pre-approved for 450k in Fontana. My card is 4111 1111 1111 1111"},
        format="json",
    )

    assert response.status_code == 200
    assert "4111" not in json.dumps(fake_claude.bodies)


@time_machine.travel(MORNING, tick=False)
@pytest.mark.parametrize(("kind", "text", "secrets"), PII)
def test_logs_never_carry_sensitive_data(caplog, kind, text, secrets):
    logging.getLogger("leads.anything").warning("lead %s wrote %r", 42, text)
    try:
        raise ValueError(f"could not store: {text}")
    except ValueError:
        logging.getLogger("leads.anything").exception("failed")

    for secret in secrets:
        assert secret not in caplog.text
    assert PLACEHOLDERS[kind] in caplog.text
    assert caplog.text.count(PLACEHOLDERS[kind]) >= 2  # the message and the traceback


# --- Fair housing ------------------------------------------------------------------------------


@time_machine.travel(MORNING, tick=False)
def test_a_fair_housing_question_gets_the_vetted_answer_and_a_ticket(says):
    says("Hi, I want to buy in Fontana")

    reply = says("are there a lot of Muslims in that neighborhood?")

    assert "To treat everyone fairly" in reply
    ticket = ComplianceTicket.objects.get()
    assert (ticket.type, ticket.category, ticket.direction) == (
        "fair_housing",
        "religion",
        "inbound",
    )
    assert ticket.message == Message.objects.filter(direction="inbound").last()
    assert selectors.is_bot_paused(conversation=Conversation.objects.get())
    assert says("ok thanks, 3 bedrooms") == ""  # paused until a reviewer resumes it


@time_machine.travel(MORNING, tick=False)
def test_ordinary_property_talk_is_answered_by_the_bot(says):
    says("Hi, I want to buy in Fontana")

    reply = says("we have three kids, need four bedrooms near the church on Main")

    assert reply and "To treat everyone fairly" not in reply
    assert ComplianceTicket.objects.count() == 0
    assert not selectors.is_bot_paused(conversation=Conversation.objects.get())


@time_machine.travel(MORNING, tick=False)
def test_a_steering_draft_from_claude_is_blocked_never_sent_and_escalated(says, fake_claude):
    fake_claude.answer(
        analysis_answer(pre_approved=None, timeline="unknown"),
        reply_answer(
            "Hi Ana, this is Jorge's automated assistant. Fontana is perfect for young "
            "families like yours. When do you want to move?"
        ),
    )

    reply = says("Hi, I want to buy a home in Fontana")

    draft = Message.objects.get(status=Message.Status.BLOCKED)
    assert "perfect for young families" in draft.body
    assert "perfect for young families" not in reply  # the vetted template went instead
    assert not OutboxMessage.objects.filter(request_body__message=draft.body).exists()
    ticket = ComplianceTicket.objects.get()
    assert (ticket.type, ticket.category, ticket.direction, ticket.message) == (
        "fair_housing",
        "familial_status",
        "outbound",
        draft,
    )
    assert selectors.is_bot_paused(conversation=Conversation.objects.get())
    assert AuditEvent.objects.filter(action="guard.outbound").exists()
    assert len(mail.outbox) == 1


@time_machine.travel(MORNING, tick=False)
def test_a_template_staff_edited_into_a_violation_is_never_sent(says):
    says("Hi, I want to buy")  # the buyer bot asks about financing
    ReplyTemplate.objects.update_or_create(
        key="buyer_ask_financing_again",
        language="en",
        defaults={"body": "Great for families! Have you talked to a lender yet?"},
    )

    reply = says("in about 2 months")

    assert reply == ""
    blocked = Message.objects.get(status=Message.Status.BLOCKED)
    assert blocked.body.startswith("Great for families!")
    assert ComplianceTicket.objects.get().message == blocked


@time_machine.travel(MORNING, tick=False)
def test_a_draft_asking_for_sensitive_data_is_blocked(says, fake_claude):
    fake_claude.answer(
        analysis_answer(pre_approved=None, timeline="unknown"),
        reply_answer(
            "Hi Ana, this is Jorge's automated assistant. To get you pre-approved, please "
            "text me your SSN. When do you want to move?"
        ),
    )

    says("Hi, I want to buy a home in Fontana")

    ticket = ComplianceTicket.objects.get()
    assert (ticket.type, ticket.category) == ("privacy", "requests_sensitive_data")
    assert not any(
        "SSN" in row.request_body["message"]
        for row in OutboxMessage.objects.filter(operation="send_message")
    )


# --- TCPA ------------------------------------------------------------------------------------------


@time_machine.travel(MORNING, tick=False)
def test_a_lead_who_says_they_never_agreed_gets_an_apology_with_stop_and_a_ticket(says):
    says("Hi, I want to sell")

    reply = says("I never signed up for this")

    assert "STOP" in reply and "Sorry" in reply
    ticket = ComplianceTicket.objects.get()
    assert (ticket.type, ticket.category) == ("tcpa", "consent_dispute")
    assert OutboxMessage.objects.filter(
        operation="add_tags", request_body={"tags": ["compliance-review"]}
    ).exists()


@time_machine.travel(MORNING, tick=False)
def test_a_violation_while_the_bot_is_silent_still_opens_a_ticket(says, lead):
    says("Hi, I want to buy")
    Contact.objects.filter(pk=lead.pk).update(opted_out=True, opted_out_at=MORNING)

    reply = says("my ssn is 123-45-6789")

    assert reply == ""
    assert ComplianceTicket.objects.get().category == "ssn"


@time_machine.travel(MORNING, tick=False)
def test_any_automated_text_is_checked_when_queued_not_only_bot_replies(
    lead, officer, django_capture_on_commit_callbacks
):
    # An alert or confirmation another app queues directly goes through the same guards.
    conversation = Conversation.objects.create(contact=lead, ghl_conversation_id="conv-9")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = queue_automated_message(
            conversation=conversation,
            body="New listing in a quiet, mostly white neighborhood: 3 bd, $520k",
            reason="alert",
        )

    assert message.status == Message.Status.BLOCKED
    assert not OutboxMessage.objects.filter(operation="send_message").exists()
    assert ComplianceTicket.objects.get().category == "race_color"
    assert selectors.is_bot_paused(conversation=Conversation.objects.get(pk=conversation.pk))
