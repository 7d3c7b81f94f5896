"""Sends whose outcome is unknown are settled by reading the conversation back from HighLevel
(faked at its HTTP transport): found = sent with HighLevel's id; not found after the window =
sent again once, or handed to a person; never twice."""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from django.utils import timezone

from leads.ghl import client as ghl_client
from leads.models import EscalationTicket, Message, SendLedgerEntry
from leads.services import reconciliation
from leads.services.messaging import send_queued_message
from leads.tasks import reconcile_unknown_sends_task
from tests.leads.factories import ConversationFactory, MessageFactory, receive_sms

pytestmark = pytest.mark.django_db

# 10:00 in California: inside the sending window, so a message may go at once.
MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)
TEXT = "Thanks Ana! What area are you looking in?"


class HighLevel:
    """HighLevel's send and conversation-messages endpoints, scripted; every request kept."""

    def __init__(self):
        self.sends: list[object] = []  # what each POST /conversations/messages answers, in turn
        self.listing: list[dict] = []  # what GET /conversations/{id}/messages lists
        self.listing_answer: httpx.Response | None = None
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        path = request.url.path
        if request.method == "POST" and path == "/conversations/messages":
            step = self.sends.pop(0)
            if isinstance(step, Exception):
                raise step
            return step
        if request.method == "GET" and path.endswith("/messages"):
            if self.listing_answer is not None:
                return self.listing_answer
            page = {"lastMessageId": "", "nextPage": False, "messages": self.listing}
            return httpx.Response(200, json={"messages": page, "traceId": "t-1"})
        return httpx.Response(404, json={"statusCode": 404, "message": "Not found"})

    def posted(self) -> list[dict]:
        return [
            json.loads(r.content)
            for r in self.requests
            if r.method == "POST" and r.url.path == "/conversations/messages"
        ]

    def lists(self, message_id: str, body: str, at: datetime, status: str = "delivered"):
        self.listing.insert(
            0,
            {
                "id": message_id,
                "direction": "outbound",
                "body": body,
                "status": status,
                "messageType": "TYPE_SMS",
                "dateAdded": at.isoformat().replace("+00:00", "Z"),
            },
        )


def sent(message_id: str) -> httpx.Response:
    return httpx.Response(200, json={"conversationId": "c", "messageId": message_id, "msg": "ok"})


@pytest.fixture
def highlevel(settings, monkeypatch):
    """Every HighLevel call of the app (sends, reads) goes to the scripted fake."""
    settings.GHL_API_TOKEN = "pit-test"
    fake = HighLevel()
    monkeypatch.setattr(ghl_client, "_shared_transport", lambda: httpx.MockTransport(fake))
    return fake


@pytest.fixture
def reconcile(django_capture_on_commit_callbacks):
    """One run of the reconciliation; what it queues is sent after commit, as in production."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return reconciliation.reconcile_unknown_sends()

    return run


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def unknown_send(highlevel, failure=None) -> Message:
    """A bot reply whose send got a 502 after it left: its outcome is unknown."""
    message = MessageFactory(
        conversation=ConversationFactory(),
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        status=Message.Status.QUEUED,
        body=TEXT,
    )
    highlevel.sends.append(failure or httpx.Response(502, text="Bad Gateway"))
    assert send_queued_message(message_id=message.pk) == Message.Status.UNKNOWN
    return message


def ledger(message: Message) -> SendLedgerEntry:
    return SendLedgerEntry.objects.get(message=message)


def test_an_unknown_send_found_in_highlevel_is_marked_sent_with_its_id(highlevel, clock, reconcile):
    message = unknown_send(highlevel)
    highlevel.lists("ghl-42", TEXT, at=timezone.now() + timedelta(seconds=1))
    clock.shift(timedelta(minutes=3))

    [result] = reconcile()

    assert result.outcome == "found"
    entry, message = ledger(message), Message.objects.get(pk=message.pk)
    assert (entry.status, entry.ghl_message_id, entry.reconciliation) == ("sent", "ghl-42", "found")
    assert (message.status, message.ghl_message_id) == (Message.Status.DELIVERED, "ghl-42")
    assert len(highlevel.posted()) == 1  # never sent again
    assert reconcile() == []  # settled: never read again


def test_an_unknown_send_is_left_alone_until_the_echo_had_its_chance(highlevel, clock, reconcile):
    unknown_send(highlevel)
    clock.shift(timedelta(seconds=30))

    assert reconcile() == []
    assert [r.method for r in highlevel.requests] == ["POST"]


def test_not_listed_yet_it_waits_within_the_window(highlevel, clock, reconcile):
    message = unknown_send(highlevel)
    clock.shift(timedelta(minutes=5))

    [result] = reconcile()

    assert result.outcome == "waiting"
    assert ledger(message).status == "unknown" and not ledger(message).reconciliation
    assert len(highlevel.posted()) == 1


def test_still_missing_after_the_window_it_is_sent_again_once(highlevel, clock, reconcile):
    message = unknown_send(highlevel)
    highlevel.lists("ghl-other", "Something else we said earlier", at=timezone.now())
    highlevel.sends.append(sent("ghl-resent"))
    clock.shift(timedelta(minutes=16))

    [result] = reconcile()
    clock.shift(timedelta(minutes=30))
    assert reconcile() == []

    assert result.outcome == "resent"
    assert [body["message"] for body in highlevel.posted()] == [TEXT, TEXT]
    copy = Message.objects.get(ai_metadata__resend_of=message.pk)
    assert (copy.status, copy.ghl_message_id) == (Message.Status.SENT, "ghl-resent")
    original = Message.objects.get(pk=message.pk)
    assert original.status == Message.Status.UNKNOWN  # the truth: we never learned
    assert ledger(original).reconciliation == "resent"


def test_a_second_try_whose_outcome_is_unknown_again_goes_to_a_person_never_a_third_time(
    highlevel, clock, reconcile
):
    message = unknown_send(highlevel)
    highlevel.sends.append(httpx.ReadTimeout("timed out after sending"))
    clock.shift(timedelta(minutes=16))
    assert reconcile()[0].outcome == "resent"
    copy = Message.objects.get(ai_metadata__resend_of=message.pk)
    assert copy.status == Message.Status.UNKNOWN

    clock.shift(timedelta(minutes=16))
    [result] = reconcile()

    assert (result.outcome, result.detail) == ("flagged", "it was already a second try")
    assert len(highlevel.posted()) == 2
    ticket = EscalationTicket.objects.get()
    assert (ticket.reason, ticket.message_id) == ("send_unconfirmed", copy.pk)
    assert ticket.conversation.status == "active"  # the bot keeps answering the lead


def test_in_a_conversation_that_moved_on_it_goes_to_a_person(highlevel, clock, reconcile):
    message = unknown_send(highlevel)
    clock.shift(timedelta(minutes=2))
    contact = message.conversation.contact
    receive_sms(
        contact.ghl_contact_id, "hello?", conversation_id=message.conversation.ghl_conversation_id
    )
    clock.shift(timedelta(minutes=16))

    [result] = reconcile()

    assert (result.outcome, result.detail) == ("flagged", "the conversation moved on since")
    assert len(highlevel.posted()) == 1
    assert EscalationTicket.objects.get().context["not_resent_because"] == result.detail


def test_a_reply_jorge_typed_is_never_resent_by_the_machine(highlevel, clock, reconcile):
    message = unknown_send(highlevel)
    Message.objects.filter(pk=message.pk).update(sender=Message.Sender.HUMAN)
    clock.shift(timedelta(minutes=16))

    assert reconcile()[0].detail == "a person wrote it"
    assert len(highlevel.posted()) == 1


def test_a_send_whose_worker_died_mid_request_is_read_back_and_settled(highlevel, clock, reconcile):
    message = MessageFactory(
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        status=Message.Status.QUEUED,
        body=TEXT,
    )
    # The worker wrote its ledger entry, sent, and died before it heard back.
    SendLedgerEntry.objects.create(key=f"message:{message.pk}", message=message)
    highlevel.lists("ghl-7", TEXT, at=timezone.now())
    clock.shift(timedelta(minutes=2))
    assert reconcile() == []  # may still be in flight
    clock.shift(timedelta(minutes=4))

    [result] = reconcile()

    assert result.outcome == "found"
    message.refresh_from_db()
    assert (message.status, message.ghl_message_id) == (Message.Status.DELIVERED, "ghl-7")
    assert highlevel.posted() == []


def test_a_send_the_echo_webhook_confirmed_is_settled_without_asking_highlevel(
    highlevel, clock, reconcile
):
    message = unknown_send(highlevel)
    Message.objects.filter(pk=message.pk).update(status="sent", ghl_message_id="ghl-echo")
    clock.shift(timedelta(minutes=3))

    assert reconcile()[0].outcome == "found"
    assert ledger(message).ghl_message_id == "ghl-echo"
    assert [r.method for r in highlevel.requests] == ["POST"]


def test_when_highlevel_cannot_be_read_nothing_is_decided(highlevel, clock, reconcile):
    message = unknown_send(highlevel)
    highlevel.listing_answer = httpx.Response(401, json={"message": "Invalid token"})
    clock.shift(timedelta(minutes=20))

    [result] = reconcile()

    assert result.outcome == "unreadable"
    assert (ledger(message).status, ledger(message).reconciliation) == ("unknown", "")
    assert len(highlevel.posted()) == 1


def test_an_older_copy_of_the_same_text_is_not_taken_for_this_send(highlevel, clock, reconcile):
    earlier = timezone.now() - timedelta(hours=2)
    highlevel.lists("ghl-yesterday", TEXT, at=earlier)  # the same question, asked before
    message = unknown_send(highlevel)
    clock.shift(timedelta(minutes=3))

    assert reconcile()[0].outcome == "waiting"
    assert Message.objects.get(pk=message.pk).ghl_message_id == ""


def test_the_periodic_task_runs_from_beat(settings, highlevel, clock):
    assert (
        settings.CELERY_BEAT_SCHEDULE["leads.reconcile_unknown_sends"]["task"]
        == "leads.tasks.reconcile_unknown_sends_task"
    )
    unknown_send(highlevel)
    highlevel.lists("ghl-9", TEXT, at=timezone.now())
    clock.shift(timedelta(minutes=3))

    assert reconcile_unknown_sends_task.delay().get() == 1


@pytest.mark.parametrize("wrapped", [True, False], ids=["examples-shape", "openapi-shape"])
def test_both_shapes_of_highlevels_message_list_are_read(wrapped):
    page = {
        "lastMessageId": "m-2",
        "nextPage": True,
        "messages": [
            {
                "id": "m-1",
                "direction": "outbound",
                "body": "Hi",
                "dateAdded": "2026-06-10T17:00:00Z",
            },
            {"id": "m-2", "direction": "inbound", "body": "Yo", "status": "delivered"},
        ],
    }
    answer = {"messages": page} if wrapped else page
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=answer)

    client = ghl_client.HighLevelClient(
        token="t", location_id="loc", transport=httpx.MockTransport(handler)
    )
    messages, following = client.conversation_messages(conversation_id="conv/../x")

    assert [(m.id, m.direction) for m in messages] == [("m-1", "outbound"), ("m-2", "inbound")]
    assert messages[0].date_added == datetime(2026, 6, 10, 17, 0, tzinfo=UTC)
    assert following == "m-2"
    assert seen[0].url.raw_path == b"/conversations/conv%2F..%2Fx/messages?limit=50"
    assert seen[0].headers["Version"] == "2021-04-15"


def test_on_the_embedded_default_the_outbox_lists_what_it_took(clock):
    """No HighLevel account: the outbox answers the read-back with the sends it recorded."""
    message = MessageFactory(
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        status=Message.Status.QUEUED,
        body=TEXT,
    )
    assert send_queued_message(message_id=message.pk) == Message.Status.SENT
    message.refresh_from_db()

    with ghl_client.get_client() as client:
        found = reconciliation.find_in_highlevel(
            client=client,
            conversation_id=message.conversation.ghl_conversation_id,
            message=Message(pk=0, body=TEXT),
            since=timezone.now() - timedelta(minutes=1),
        )

    assert found is None  # that id is already this message's: never another's
    with ghl_client.get_client() as client:
        page, _ = client.conversation_messages(
            conversation_id=message.conversation.ghl_conversation_id
        )
    assert [(m.id, m.body) for m in page] == [(message.ghl_message_id, TEXT)]
