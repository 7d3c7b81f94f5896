"""At-most-once sending through the ledger, with HighLevel faked at the transport."""

import json

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from compliance.models import AuditEvent
from leads.ghl.client import Attachment, HighLevelClient
from leads.models import Channel, Message, OutboxMessage, SendLedgerEntry
from leads.services.outbound import send_message_once
from tests.leads.factories import ContactFactory, ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

SEND_OK = {
    "conversationId": "conv-1",
    "messageId": "ghl-msg-1",
    "msg": "Message queued",
    "status": "pending",
}


class FakeHighLevel:
    def __init__(self, *script, on_request=None):
        self.script = list(script)
        self.requests: list[httpx.Request] = []
        self.on_request = on_request

    def __call__(self, request):
        request.read()
        self.requests.append(request)
        if self.on_request:
            self.on_request(request)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def client_for(fake) -> HighLevelClient:
    return HighLevelClient(
        token="pit-test",
        location_id="loc-1",
        transport=httpx.MockTransport(fake),
        sleep=lambda seconds: None,
    )


def queued_reply(**kwargs) -> Message:
    defaults = {
        "direction": Message.Direction.OUTBOUND,
        "sender": Message.Sender.BOT,
        "status": Message.Status.QUEUED,
        "body": "Thanks Ana! What area are you looking in?",
    }
    return MessageFactory(**{**defaults, **kwargs})


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_sms_reply_is_sent_and_highlevel_ids_are_stored():
    message = queued_reply()
    fake = FakeHighLevel(httpx.Response(200, json=SEND_OK))

    entry = send_message_once(
        ledger_key="inbound-1:reply", message=message, client=client_for(fake)
    )

    assert json.loads(fake.requests[0].content) == {
        "type": "SMS",
        "contactId": message.conversation.contact.ghl_contact_id,
        "message": "Thanks Ana! What area are you looking in?",
    }
    entry.refresh_from_db()
    message.refresh_from_db()
    assert (entry.status, entry.ghl_message_id, entry.message_id) == (
        "sent",
        "ghl-msg-1",
        message.pk,
    )
    assert (message.status, message.ghl_message_id) == (Message.Status.SENT, "ghl-msg-1")
    assert message.conversation.last_outbound_at == message.sent_at
    event = AuditEvent.objects.get(action="message.sent")
    assert (event.actor, event.subject_id) == (AuditEvent.Actor.BOT, str(message.pk))
    assert event.data["ghl_message_id"] == "ghl-msg-1"


@pytest.mark.django_db(transaction=True)
def test_ledger_entry_is_committed_before_the_request_leaves():
    message = queued_reply()
    seen = {}

    def look(request):
        seen["status"] = SendLedgerEntry.objects.get(key="k-commit").status
        seen["in_transaction"] = connection.in_atomic_block

    fake = FakeHighLevel(httpx.Response(200, json=SEND_OK), on_request=look)

    send_message_once(ledger_key="k-commit", message=message, client=client_for(fake))

    assert seen == {"status": "pending", "in_transaction": False}


def test_a_second_call_with_the_same_key_does_not_send_again():
    message = queued_reply()
    fake = FakeHighLevel(httpx.Response(200, json=SEND_OK), httpx.Response(200, json=SEND_OK))

    send_message_once(ledger_key="k-twice", message=message, client=client_for(fake))
    again = send_message_once(ledger_key="k-twice", message=message, client=client_for(fake))

    assert len(fake.requests) == 1
    assert again.status == SendLedgerEntry.Status.SENT
    assert actions() == ["message.sent", "message.send_skipped"]


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(502, text="Bad Gateway"), httpx.ReadTimeout("timed out after sending")],
    ids=["5xx", "read-timeout"],
)
def test_an_outcome_highlevel_may_have_acted_on_is_unknown_and_never_resent(failure):
    message = queued_reply()
    fake = FakeHighLevel(failure, httpx.Response(200, json=SEND_OK))

    entry = send_message_once(ledger_key="k-unknown", message=message, client=client_for(fake))
    again = send_message_once(ledger_key="k-unknown", message=message, client=client_for(fake))

    assert len(fake.requests) == 1
    assert entry.status == again.status == SendLedgerEntry.Status.UNKNOWN
    message.refresh_from_db()
    assert message.status == Message.Status.UNKNOWN
    assert actions() == ["message.send_unknown", "message.send_skipped"]


def test_a_refusal_by_highlevel_marks_the_send_failed():
    message = queued_reply()
    refusal = {"statusCode": 422, "message": ["contactId must be a valid id"]}
    fake = FakeHighLevel(httpx.Response(422, json=refusal))

    entry = send_message_once(ledger_key="k-422", message=message, client=client_for(fake))

    message.refresh_from_db()
    assert entry.status == SendLedgerEntry.Status.FAILED
    assert "contactId must be a valid id" in entry.error
    assert message.status == Message.Status.FAILED
    event = AuditEvent.objects.get(action="message.send_failed")
    assert event.data["status_code"] == 422


def test_a_failed_send_may_be_retried_under_the_same_key():
    message = queued_reply()
    fake = FakeHighLevel(
        httpx.Response(400, json={"message": "Bad"}), httpx.Response(200, json=SEND_OK)
    )

    send_message_once(ledger_key="k-retry", message=message, client=client_for(fake))
    entry = send_message_once(ledger_key="k-retry", message=message, client=client_for(fake))

    assert len(fake.requests) == 2
    assert (entry.status, entry.error) == (SendLedgerEntry.Status.SENT, "")


def test_email_goes_with_subject_html_and_uploaded_attachment():
    conversation = ConversationFactory(channel=Channel.EMAIL, ghl_conversation_id="conv-e")
    message = queued_reply(
        conversation=conversation,
        channel=Channel.EMAIL,
        subject="Your home's value",
        body="Hi Ana,\n\nYour CMA is attached.",
    )
    url = "https://storage.example/cma.pdf"
    fake = FakeHighLevel(
        httpx.Response(200, json={"uploadedFiles": {"cma.pdf": url}}),
        httpx.Response(200, json=SEND_OK),
    )

    entry = send_message_once(
        ledger_key="k-email",
        message=message,
        attachments=[Attachment("cma.pdf", b"%PDF", "application/pdf")],
        client=client_for(fake),
    )

    upload, send = fake.requests
    assert upload.url.path == "/conversations/messages/upload"
    body = json.loads(send.content)
    assert body["type"] == "Email"
    assert body["subject"] == "Your home's value"
    assert body["html"] == "<p>Hi Ana,</p>\n\n<p>Your CMA is attached.</p>"
    assert body["attachments"] == [url]
    assert entry.status == SendLedgerEntry.Status.SENT


@pytest.mark.parametrize(
    ("contact_state", "to_opted_out"),
    [({"dnd": True}, False), ({"dnd": True}, True), ({"opted_out": True}, False)],
    ids=["dnd", "dnd-even-for-a-stop-confirmation", "opted-out"],
)
def test_an_automated_message_to_an_unreachable_contact_is_not_sent(contact_state, to_opted_out):
    contact = ContactFactory(**contact_state, opted_out_at=timezone.now())
    message = queued_reply(conversation=ConversationFactory(contact=contact))
    fake = FakeHighLevel()

    entry = send_message_once(
        ledger_key="k-blocked", message=message, to_opted_out=to_opted_out, client=client_for(fake)
    )

    assert fake.requests == []
    assert entry.status == SendLedgerEntry.Status.FAILED
    assert AuditEvent.objects.get(action="message.send_failed").data["blocked"] is True


def test_the_stop_confirmation_still_reaches_an_opted_out_contact():
    contact = ContactFactory(opted_out=True, opted_out_at=timezone.now())
    message = queued_reply(
        conversation=ConversationFactory(contact=contact), body="You're unsubscribed."
    )
    fake = FakeHighLevel(httpx.Response(200, json=SEND_OK))

    entry = send_message_once(
        ledger_key="k-stop", message=message, to_opted_out=True, client=client_for(fake)
    )

    assert len(fake.requests) == 1
    assert entry.status == SendLedgerEntry.Status.SENT


def test_a_status_the_echo_already_advanced_is_not_moved_back():
    message = queued_reply()

    def echo_arrives_first(request):
        Message.objects.filter(pk=message.pk).update(
            ghl_message_id="ghl-msg-1", status=Message.Status.DELIVERED
        )

    fake = FakeHighLevel(httpx.Response(200, json=SEND_OK), on_request=echo_arrives_first)

    send_message_once(ledger_key="k-delivered", message=message, client=client_for(fake))

    message.refresh_from_db()
    assert (message.status, message.ghl_message_id) == (Message.Status.DELIVERED, "ghl-msg-1")


def test_when_the_echo_was_stored_first_the_send_is_still_recorded_once():
    message = queued_reply()
    echo = MessageFactory(conversation=message.conversation, ghl_message_id="ghl-msg-1")
    fake = FakeHighLevel(httpx.Response(200, json=SEND_OK))

    entry = send_message_once(ledger_key="k-echo", message=message, client=client_for(fake))

    message.refresh_from_db()
    assert (entry.status, entry.ghl_message_id) == (SendLedgerEntry.Status.SENT, "ghl-msg-1")
    assert (message.status, message.ghl_message_id) == (Message.Status.SENT, "")
    assert echo.pk != message.pk
    assert AuditEvent.objects.get(action="message.sent").data["echo_stored_first"] is True


def test_without_a_token_the_reply_lands_in_the_outbox():
    message = queued_reply()

    entry = send_message_once(ledger_key="k-outbox", message=message)

    row = OutboxMessage.objects.get()
    message.refresh_from_db()
    assert row.operation == "send_message"
    assert row.request_body["message"] == message.body
    assert message.ghl_message_id == entry.ghl_message_id == row.response_body["messageId"]
    assert message.ghl_message_id.startswith("outbox-")


def test_inbound_messages_are_refused():
    message = MessageFactory()

    with pytest.raises(ValueError, match="outbound"):
        send_message_once(ledger_key="k-in", message=message, client=client_for(FakeHighLevel()))

    assert not SendLedgerEntry.objects.exists()
