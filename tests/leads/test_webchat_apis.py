"""The chat API a visitor's widget talks to: the origin check, the bounds and limits, and the
conversation it carries, answered by the same bot pipeline as a text."""

import json
import uuid

import pytest
from django.urls import reverse

from analytics.selectors import overview_kpis
from compliance.models import AuditEvent, ComplianceTicket, ConsentRecord
from leads.models import Channel, Contact, Conversation, EscalationTicket, Message, OutboxMessage
from leads.webchat.tokens import try_the_bot_pass
from tests.leads.factories import ContactFactory

SITE = "http://testserver"
JORGES_SITE = "https://jorgesells.example"
URL = "/api/v1/chat/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(client, django_capture_on_commit_callbacks):
    """Post as a visitor's widget on this site; the bot's turn runs (in-process) on commit."""

    def post(text, token="", *, origin=SITE, **extra):
        body = {"text": text, **({"token": token} if token else {}), **extra}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                URL, json.dumps(body), content_type="application/json", HTTP_ORIGIN=origin
            )

    return post


def poll(client, token, after=0):
    response = client.get(reverse("webchat:messages", args=[token]), {"after": after})
    assert response.status_code == 200, response.content
    return response.json()["messages"]


def assistant_texts(client, token):
    return [m["text"] for m in poll(client, token) if m["role"] == "assistant"]


def test_a_first_message_starts_a_web_conversation_the_bot_answers(client, chat):
    response = chat("Hi, I want to sell my house in Riverside")

    assert response.status_code == 201
    token = response.json()["token"]
    assert response.json()["message"]["role"] == "visitor"
    conversation = Conversation.objects.get()
    assert conversation.channel == Channel.WEB
    assert conversation.contact.source == "Web chat"
    assert conversation.contact.ghl_contact_id == ""  # not in HighLevel until a phone or email
    messages = poll(client, token)
    assert [m["role"] for m in messages] == ["visitor", "assistant"]
    assert messages[1]["text"]
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert reply.status == Message.Status.SENT and reply.channel == Channel.WEB
    # Delivered to the widget, not sent through HighLevel.
    assert not OutboxMessage.objects.filter(operation="send_message").exists()
    assert AuditEvent.objects.filter(action="webchat.started").exists()
    assert conversation.contact.consent_records.filter(channel=Channel.WEB).exists()


def test_the_conversation_continues_with_the_token_and_polls_return_only_newer_messages(
    client, chat
):
    token = chat("Hi, I want to buy a house in Fontana").json()["token"]
    seen = poll(client, token)[-1]["id"]

    again = chat("Yes, pre-approved for 500k", token)

    assert again.status_code == 201 and again.json()["token"] == token
    newer = poll(client, token, after=seen)
    assert newer[0]["text"] == "Yes, pre-approved for 500k"
    assert all(m["id"] > seen for m in newer)
    assert Conversation.objects.count() == 1


def test_the_answer_comes_back_with_the_post_when_the_turn_runs_in_process(
    transactional_db, client
):
    response = client.post(
        URL,
        json.dumps({"text": "Hi, I want to buy a home"}),
        content_type="application/json",
        HTTP_ORIGIN=SITE,
    )

    assert response.status_code == 201
    assert [m["role"] for m in response.json()["messages"]] == ["assistant"]


# --- The origin check ---------------------------------------------------------------------


def test_a_page_on_a_site_not_allowed_is_refused_and_cannot_read_the_answer(chat, settings):
    settings.WEBCHAT_ALLOWED_ORIGINS = [JORGES_SITE]

    response = chat("hello", origin="https://evil.example")

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This website may not use Jorge's chat."
    assert "Access-Control-Allow-Origin" not in response.headers
    assert not Message.objects.exists()


def test_jorges_website_on_the_allow_list_may_chat_and_read_the_answer(chat, settings):
    settings.WEBCHAT_ALLOWED_ORIGINS = [JORGES_SITE]

    response = chat("hello", origin=JORGES_SITE)

    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == JORGES_SITE
    assert response.headers["Vary"] == "Origin"


def test_the_cors_preflight_is_answered_for_allowed_origins_only(client, settings):
    settings.WEBCHAT_ALLOWED_ORIGINS = [JORGES_SITE]
    preflight = {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST"}

    allowed = client.options(URL, HTTP_ORIGIN=JORGES_SITE, **preflight)
    refused = client.options(URL, HTTP_ORIGIN="https://evil.example", **preflight)

    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == JORGES_SITE
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert allowed.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_a_post_that_names_no_origin_is_refused(client):
    response = client.post(URL, {"text": "hi"}, content_type="application/json")

    assert response.status_code == 403


# --- Bounds and malformed input -----------------------------------------------------------


def test_a_message_over_the_size_bound_is_refused_with_a_message(chat, settings):
    settings.WEBCHAT_MAX_MESSAGE_CHARS = 50

    response = chat("x" * 51)

    assert response.status_code == 413
    assert response.json()["error"]["message"] == (
        "That message is too long: please keep it under 50 characters."
    )
    assert not Message.objects.exists()


def test_a_huge_body_is_refused_before_it_is_read(client):
    response = client.post(
        URL,
        json.dumps({"text": "x" * 200_000}),
        content_type="application/json",
        HTTP_ORIGIN=SITE,
    )

    assert response.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'["a list"]',
        b'{"text": ["a", "list"]}',
        b'{"token": "x"}',
        b'{"text": "  "}',
        b'{"text": "a lone surrogate \\ud800"}',  # no database could store it
        b'{"text": "hi", "token": "\\ud800"}',
    ],
)
def test_malformed_input_is_a_4xx_with_a_message(client, body):
    response = client.post(URL, body, content_type="application/json", HTTP_ORIGIN=SITE)

    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_a_forged_token_is_refused(chat, client):
    assert chat("hi", "forged:token").status_code == 404
    assert client.get(reverse("webchat:messages", args=["forged:token"])).status_code == 404


def test_a_poll_after_something_that_is_not_an_id_is_a_400(client, chat):
    token = chat("hi").json()["token"]

    response = client.get(reverse("webchat:messages", args=[token]), {"after": "-1"})

    assert response.status_code == 400


# --- Abuse limits ----------------------------------------------------------------------------


def test_a_visitor_over_the_limit_gets_a_429_with_retry_after(chat, settings):
    settings.WEBCHAT_VISITOR_LIMIT = 2
    settings.WEBCHAT_VISITOR_WINDOW_SECONDS = 60
    token = chat("hi").json()["token"]
    assert chat("are you there?", token).status_code == 201

    response = chat("hello??", token)

    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.json()["error"]["message"].startswith("You're sending messages too quickly")
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 2


def test_an_address_over_its_limit_cannot_start_new_conversations(chat, settings):
    settings.WEBCHAT_IP_LIMIT = 2
    settings.WEBCHAT_IP_WINDOW_SECONDS = 600
    chat("hi")
    chat("hi again, new visitor")

    response = chat("and another")

    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 600
    assert Conversation.objects.count() == 2


def test_polling_flat_out_is_limited(client, chat, settings):
    settings.WEBCHAT_POLL_LIMIT_PER_MINUTE = 3
    token = chat("hi").json()["token"]
    url = reverse("webchat:messages", args=[token])

    statuses = [client.get(url).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


# --- Every pipeline rule applies --------------------------------------------------------------


def test_stop_in_chat_opts_the_visitor_out_and_the_bot_goes_quiet(client, chat):
    token = chat("Hi, I want to sell my house").json()["token"]

    chat("STOP", token)
    contact = Contact.objects.get()
    answers_after_stop = len(assistant_texts(client, token))
    chat("Hello? Are you still there?", token)

    assert contact.conversations.get().contact.opted_out
    assert ConsentRecord.objects.filter(
        contact=contact, kind=ConsentRecord.Kind.REVOKED, channel=Channel.WEB
    ).exists()
    assert len(assistant_texts(client, token)) == answers_after_stop  # nothing after STOP
    last = Message.objects.filter(direction=Message.Direction.INBOUND).order_by("pk").last()
    assert last.turn_outcome == Message.TurnOutcome.NO_REPLY


def test_an_ssn_typed_in_chat_is_never_stored_and_opens_a_compliance_ticket(client, chat):
    token = chat("Hi, I want to buy a home").json()["token"]

    chat("my ssn is 123-45-6789", token)

    stored = Message.objects.filter(direction=Message.Direction.INBOUND).order_by("pk").last()
    assert "123-45-6789" not in stored.body and "[SSN removed]" in stored.body
    assert ComplianceTicket.objects.filter(conversation=stored.conversation).exists()
    assert "123-45-6789" not in json.dumps(poll(client, token))


def test_asking_for_a_person_opens_an_escalation_ticket(chat):
    token = chat("Hi, I want to buy a home").json()["token"]

    chat("can I talk to a real person?", token)

    ticket = EscalationTicket.objects.get()
    assert ticket.reason == EscalationTicket.Reason.ASKED_FOR_PERSON
    # The visitor is not in HighLevel yet: no HighLevel task for a contact it does not know.
    assert not OutboxMessage.objects.filter(operation="create_task").exists()


@pytest.mark.django_db(transaction=True)  # the reply is sent after its transaction commits
def test_jorge_replying_from_the_dashboard_reaches_the_visitors_chat_and_pauses_the_bot(
    client, chat, admin_user
):
    token = chat("can I talk to a real person?").json()["token"]
    conversation = Conversation.objects.get()
    client.force_login(admin_user)

    response = client.post(
        reverse("dashboard:conversations-reply", args=[conversation.pk]),
        {"body": "Hi, this is Jorge. How can I help?"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200, response.content
    shown = [m for m in poll(client, token) if m["role"] == "agent"]
    assert [m["text"] for m in shown] == ["Hi, this is Jorge. How can I help?"]
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.PAUSED
    # Answered in the widget: nothing goes through HighLevel for a visitor it does not know.
    assert not OutboxMessage.objects.filter(operation="send_message").exists()


def test_a_phone_number_creates_the_contact_in_highlevel_and_keeps_the_conversation(client, chat):
    token = chat("Hi, I want to sell my house").json()["token"]

    response = chat("Sure, call me at (909) 555-0142", token)

    upsert = OutboxMessage.objects.get(operation="upsert_contact")
    assert upsert.request_body["phone"] == "+19095550142"
    assert upsert.request_body["source"] == "Web chat"
    contact = Contact.objects.get()
    assert contact.phone == "+19095550142"
    assert contact.ghl_contact_id == upsert.response_body["contact"]["id"]
    assert response.json()["token"] == token and Conversation.objects.count() == 1
    assert AuditEvent.objects.filter(action="webchat.contact_linked").exists()


def test_a_visitor_highlevel_already_knows_joins_that_lead(client, chat):
    # The outbox (the fake HighLevel transport) matches an upsert by email, as HighLevel
    # does: this lead texted before, so HighLevel answers with their existing contact id.
    email_id = f"outbox-contact-{uuid.uuid5(uuid.NAMESPACE_URL, 'maria@example.com').hex}"
    known = ContactFactory(ghl_location_id="demo-location", ghl_contact_id=email_id)
    token = chat("Hi, I want to buy").json()["token"]

    chat("my email is Maria@Example.com", token)

    conversation = Conversation.objects.get(channel=Channel.WEB)
    assert conversation.contact == known  # one lead with every thread
    assert chat("still there?", token).status_code == 201
    assert Message.objects.filter(conversation=conversation).count() >= 3


def test_staff_trying_the_bot_make_a_test_kept_out_of_the_figures_and_highlevel(
    client, chat, staff_user
):
    before = overview_kpis()
    token = chat("Hi, I want to sell", try_pass=try_the_bot_pass(user_id=staff_user.pk)).json()[
        "token"
    ]

    chat("my number is 909-555-0177", token)
    chat("can I talk to a real person?", token)

    contact = Contact.objects.get()
    assert contact.is_test and contact.source.startswith("Web chat (staff")
    assert assistant_texts(client, token)  # the bot answers as it would a lead
    after = overview_kpis()
    assert (after.new_leads_today, after.open_tickets) == (
        before.new_leads_today,
        before.open_tickets,
    )
    assert EscalationTicket.objects.exists()  # the reviewer can still read it in the back office
    assert not OutboxMessage.objects.exists()  # nothing went to HighLevel, nobody was paged
    assert Conversation.objects.get().next_followup_at is None


def test_a_forged_try_pass_makes_a_real_lead(chat):
    chat("Hi", try_pass="not-a-real-pass")

    assert not Contact.objects.get().is_test


def test_a_body_that_is_not_json_or_a_form_is_a_415_with_a_message(client):
    response = client.post(URL, b"hello", content_type="text/plain", HTTP_ORIGIN=SITE)

    assert response.status_code == 415
    assert response.json()["error"]["message"]
