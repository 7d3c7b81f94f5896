"""Emails with files: uploaded to HighLevel first, or sent with links when the upload fails."""

import json

import httpx
import pytest
import respx
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from compliance.models import AuditEvent
from leads.models import Message, OutboxMessage
from leads.services.messaging import queue_automated_message
from tests.leads.factories import ConversationFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7 fake report"


@pytest.fixture
def email_with_report(django_capture_on_commit_callbacks):
    path = default_storage.save("cma/test-report.pdf", ContentFile(PDF))
    conversation = ConversationFactory(channel="email", contact__email="seller@example.com")

    def queue():
        with django_capture_on_commit_callbacks(execute=True):
            return queue_automated_message(
                conversation=conversation,
                body="Here is the market analysis of your home.",
                subject="Your home's market analysis",
                channel="email",
                attachments=[
                    {
                        "path": path,
                        "filename": "CMA.pdf",
                        "content_type": "application/pdf",
                        "link": "https://jorge.example.com/cma/abc/",
                    }
                ],
                reason="test",
            )

    return queue


def test_the_file_is_uploaded_then_sent_with_the_email(email_with_report):
    message = email_with_report()

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    upload = OutboxMessage.objects.get(operation="upload_attachment")
    [file] = upload.request_body["files"]
    assert (file["field"], file["filename"], file["size"]) == (
        "fileAttachment",
        "CMA.pdf",
        len(PDF),
    )
    send = OutboxMessage.objects.get(operation="send_message")
    assert send.request_body["type"] == "Email"
    assert send.request_body["attachments"]


@respx.mock(assert_all_called=False)
def test_a_failed_upload_sends_the_email_with_a_link_instead(
    email_with_report, settings, respx_mock
):
    settings.GHL_API_TOKEN = "test-token"
    respx_mock.post("https://services.leadconnectorhq.com/conversations/messages/upload").mock(
        return_value=httpx.Response(413, json={"statusCode": 413, "message": "File too large"})
    )
    sends = respx_mock.post("https://services.leadconnectorhq.com/conversations/messages").mock(
        return_value=httpx.Response(
            200, json={"conversationId": "c", "messageId": "m-1", "msg": "ok"}
        )
    )

    original = email_with_report()

    original.refresh_from_db()
    assert original.status == Message.Status.FAILED
    fallback = Message.objects.exclude(pk=original.pk).get(direction="outbound")
    assert fallback.status == Message.Status.SENT
    assert "https://jorge.example.com/cma/abc/" in fallback.body
    [call] = sends.calls
    assert "https://jorge.example.com/cma/abc/" in json.loads(call.request.content)["message"]
    assert AuditEvent.objects.filter(action="message.attachment_fallback").exists()
