"""The seller bot's nurture follow-ups: texts for sellers, and the day-14 email with the CMA."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone

from compliance.models import AuditEvent
from leads.bots.texts import DEFAULT_TEXTS
from leads.models import Conversation, Message, OutboxMessage
from leads.selectors import reply_text
from leads.services.followups import send_due_followups
from sellers.models import CMAReport
from tests.leads.factories import ConversationFactory
from tests.sellers.factories import (
    TODAY,
    CMAReportFactory,
    PropertyFactory,
    SellerQualificationFactory,
)

pytestmark = pytest.mark.django_db

# The seller last wrote at 12:00 in Los Angeles (PST).
NOON = datetime(TODAY.year, TODAY.month, TODAY.day, 20, 0, tzinfo=UTC)
HIGHLEVEL = "https://services.leadconnectorhq.com"


@pytest.fixture
def seller(db):
    """A seller who answered two questions and then went quiet; due for the day-14 touch."""
    qualification = SellerQualificationFactory(
        contact__first_name="Dana", contact__email="dana@example.com"
    )
    conversation = ConversationFactory(
        contact=qualification.contact,
        bot="seller",
        stage=Conversation.Stage.QUALIFYING,
        last_inbound_at=NOON,
        followup_step=3,  # days 1, 3 and 7 went out
        next_followup_at=NOON + timedelta(days=14),
    )
    return conversation


@pytest.fixture
def ready_cma(seller):
    report = CMAReportFactory(
        contact=seller.contact,
        address="1234 Magnolia Ave",
        status=CMAReport.Status.READY,
        estimate_low=580_000,
        estimate_mid=605_000,
        estimate_high=630_000,
        generated_at=timezone.now(),
    )
    report.pdf.save("cma-1234-magnolia.pdf", ContentFile(b"%PDF-1.7 the report"), save=True)
    return report


def run_day(day: int, captured):
    with (
        time_machine.travel(NOON + timedelta(days=day, minutes=1), tick=False),
        captured(execute=True),
    ):
        send_due_followups()


def test_the_day_14_email_carries_the_ready_cma(
    seller, ready_cma, django_capture_on_commit_callbacks
):
    run_day(14, django_capture_on_commit_callbacks)

    email = Message.objects.get(direction="outbound")
    assert (email.channel, email.status) == ("email", Message.Status.SENT)
    assert email.subject == "Your home's market analysis"
    assert "attached is the free market analysis (CMA) of 1234 Magnolia Ave" in email.body
    [attachment] = email.attachments
    assert attachment["path"] == ready_cma.pdf.name
    assert attachment["content_type"] == "application/pdf"
    assert "/cma/" in attachment["link"]
    upload = OutboxMessage.objects.get(operation="upload_attachment")
    assert upload.request_body["files"][0]["filename"].endswith(".pdf")
    send = OutboxMessage.objects.get(operation="send_message")
    assert send.request_body["type"] == "Email" and send.request_body["attachments"]
    event = AuditEvent.objects.get(action="seller.cma_emailed")
    assert event.data["report"] == ready_cma.pk


@respx.mock(assert_all_called=False)
def test_when_the_upload_fails_the_email_goes_with_a_link_to_the_cma(
    seller, ready_cma, settings, respx_mock, django_capture_on_commit_callbacks
):
    settings.GHL_API_TOKEN = "test-token"
    respx_mock.post(f"{HIGHLEVEL}/conversations/messages/upload").mock(
        return_value=httpx.Response(413, json={"statusCode": 413, "message": "File too large"})
    )
    sends = respx_mock.post(f"{HIGHLEVEL}/conversations/messages").mock(
        return_value=httpx.Response(200, json={"conversationId": "c", "messageId": "m-1"})
    )

    run_day(14, django_capture_on_commit_callbacks)

    original, fallback = Message.objects.filter(direction="outbound").order_by("id")
    assert original.status == Message.Status.FAILED
    assert fallback.status == Message.Status.SENT
    link = original.attachments[0]["link"]
    assert link in fallback.body and "attached is the free market analysis" in fallback.body
    assert len(sends.calls) == 1
    assert AuditEvent.objects.filter(action="message.attachment_fallback").exists()


def test_without_a_ready_cma_the_email_offers_one_and_requests_it(
    seller, django_capture_on_commit_callbacks
):
    PropertyFactory.create_batch(4)

    run_day(14, django_capture_on_commit_callbacks)

    email = Message.objects.get(direction="outbound")
    assert email.channel == "email" and email.attachments == []
    assert "free market analysis (CMA)" in email.body
    assert email.subject == "What could your home sell for?"
    report = CMAReport.objects.get(contact=seller.contact)
    assert report.address == "1234 Magnolia Ave"  # being prepared for the seller's reply
    event = AuditEvent.objects.get(action="seller.cma_offered_by_email")
    assert event.data["requested_report"] == report.pk


def test_a_seller_without_an_email_gets_the_text_version(
    seller, ready_cma, django_capture_on_commit_callbacks
):
    seller.contact.email = ""
    seller.contact.save()

    run_day(14, django_capture_on_commit_callbacks)

    text = Message.objects.get(direction="outbound")
    assert text.channel == "sms" and text.attachments == []
    assert text.body == reply_text(key="seller_followup_4", language="en", first_name="Dana")


def test_seller_follow_ups_speak_of_selling_and_move_the_conversation_to_nurture(
    seller, django_capture_on_commit_callbacks
):
    seller.followup_step = 0
    seller.next_followup_at = NOON + timedelta(days=1)
    seller.save()

    run_day(1, django_capture_on_commit_callbacks)

    text = Message.objects.get(direction="outbound")
    assert "selling your home" in text.body and text.ai_metadata["followup_step"] == 1
    seller.refresh_from_db()
    assert seller.stage == Conversation.Stage.NURTURE


# --- Wording --------------------------------------------------------------------------------

SMS_KEYS = [
    key
    for key in DEFAULT_TEXTS
    if key.startswith("seller_")
    and not key.startswith("seller_followup_email")
    and not key.endswith("_subject")
]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("key", SMS_KEYS)
def test_every_seller_text_fits_one_sms_with_the_greeting_and_asks_at_most_one_question(
    key, language
):
    text = reply_text(
        key=f"greeting+{key}",
        language=language,
        first_name="Maximiliano",
        source="Zillow",
    )

    assert len(text) <= 320, text
    assert text.count("?") <= 1
    assert "{" not in text
