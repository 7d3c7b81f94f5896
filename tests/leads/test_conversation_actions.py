"""What a person does to a conversation (leads.services.conversations): reply as Jorge through
HighLevel, advance its stage; and pausing the bot from the dashboard. HighLevel is the outbox
(the embedded default) or a fake at the HTTP transport."""

from datetime import timedelta

import httpx
import pytest
from django.db import transaction
from django.utils import timezone

from compliance.models import AuditEvent
from leads import selectors
from leads.exceptions import ConversationActionError
from leads.models import Conversation, Message, OutboxMessage, SendLedgerEntry
from leads.services import conversations, escalation
from sellers.models import SellerQualification
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory, MessageFactory
from tests.leads.test_outbound import FakeHighLevel, client_for

Stage = Conversation.Stage


@pytest.fixture
def jorge(db):
    return UserFactory(username="jorge", is_staff=True)


def audits(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- Reply as Jorge ------------------------------------------------------------------------------

reply_db = pytest.mark.django_db(transaction=True)  # the reply commits before HighLevel is called


@reply_db
def test_a_reply_is_sent_through_highlevel_recorded_as_jorges_and_pauses_the_bot(jorge, settings):
    settings.BOT_HUMAN_TAKEOVER_HOURS = 24
    conversation = ConversationFactory(contact__ghl_contact_id="ghl-ana")
    MessageFactory(conversation=conversation, body="Can someone call me?")

    outcome = conversations.reply_as_agent(
        conversation=conversation, user=jorge, body="  Hi Ana, Jorge here. I'll call you at 5.  "
    )

    message = Message.objects.get(pk=outcome.message.pk)
    assert outcome.sent is True
    assert message.body == "Hi Ana, Jorge here. I'll call you at 5."
    assert (message.direction, message.sender, message.status) == ("outbound", "human", "sent")
    [sent] = OutboxMessage.objects.filter(operation="send_message")
    assert sent.ghl_contact_id == "ghl-ana"
    assert sent.request_body["message"] == "Hi Ana, Jorge here. I'll call you at 5."
    assert sent.request_body["type"] == "SMS"
    conversation.refresh_from_db()
    conversation.contact.refresh_from_db()
    assert conversation.status == Conversation.Status.PAUSED
    paused_for = conversation.contact.bot_paused_until - timezone.now()
    assert timedelta(hours=23) < paused_for <= timedelta(hours=24)
    [reply_audit] = audits("message.human_reply")
    assert (reply_audit.actor, reply_audit.actor_label) == ("human", "jorge")
    assert reply_audit.subject == f"leads.message:{message.pk}"
    [pause] = audits("bot.paused_for_human")
    assert pause.data["reason"] == "jorge replied from the dashboard"
    assert [a.action for a in AuditEvent.objects.filter(subject_id=str(message.pk))] == [
        "message.sent",
        "message.human_reply",
    ]


@reply_db
def test_highlevel_refusing_the_reply_says_so_and_nothing_is_resent(jorge, monkeypatch):
    conversation = ConversationFactory()
    fake = FakeHighLevel(httpx.Response(422, json={"message": "Invalid phone number"}))
    monkeypatch.setattr("leads.services.outbound.get_client", lambda: client_for(fake))

    outcome = conversations.reply_as_agent(conversation=conversation, user=jorge, body="Hello!")

    assert outcome.sent is False
    assert "did not take it" in outcome.detail and "Invalid phone number" in outcome.detail
    message = Message.objects.get(pk=outcome.message.pk)
    assert message.status == Message.Status.FAILED
    assert SendLedgerEntry.objects.get(message=message).status == SendLedgerEntry.Status.FAILED
    assert len(fake.requests) == 1


@reply_db
@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        ("   ", "empty_reply", "Write the reply first"),
        ("x" * 1601, "reply_too_long", "1,601 characters"),
        (
            "This neighborhood is perfect for families without kids, very quiet.",
            "reply_not_compliant",
            "fair housing",
        ),
    ],
)
def test_a_reply_that_may_not_go_is_refused_before_anything_is_written(jorge, body, code, says):
    conversation = ConversationFactory()

    with pytest.raises(ConversationActionError) as refused:
        conversations.reply_as_agent(conversation=conversation, user=jorge, body=body)

    assert refused.value.code == code
    assert says in refused.value.message
    assert not Message.objects.filter(direction="outbound").exists()
    assert not OutboxMessage.objects.exists()
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ACTIVE


@reply_db
@pytest.mark.parametrize(
    ("contact", "says"),
    [
        ({"opted_out": True, "opted_out_at": timezone.now()}, "opted out"),
        ({"dnd": True}, "do-not-disturb"),
    ],
)
def test_no_reply_reaches_a_lead_who_opted_out_or_is_on_do_not_disturb(jorge, contact, says):
    conversation = ConversationFactory(contact=ContactFactory(**contact))

    with pytest.raises(ConversationActionError, match=says):
        conversations.reply_as_agent(conversation=conversation, user=jorge, body="Hi there")

    assert not OutboxMessage.objects.exists()
    assert not Message.objects.filter(direction="outbound").exists()


@reply_db
def test_an_email_reply_answers_the_leads_last_subject(jorge):
    conversation = ConversationFactory(channel="email")
    MessageFactory(conversation=conversation, channel="email", subject="Selling my condo")

    outcome = conversations.reply_as_agent(conversation=conversation, user=jorge, body="Hi!")

    assert outcome.message.subject == "Re: Selling my condo"
    [sent] = OutboxMessage.objects.filter(operation="send_message")
    assert (sent.request_body["type"], sent.request_body["subject"]) == (
        "Email",
        "Re: Selling my condo",
    )


@reply_db
def test_a_reply_on_a_channel_we_cannot_send_on_is_refused(jorge):
    conversation = ConversationFactory(channel="call")

    with pytest.raises(ConversationActionError, match="Call channel"):
        conversations.reply_as_agent(conversation=conversation, user=jorge, body="Hi there")


@reply_db
def test_the_reply_never_waits_on_highlevel_inside_a_transaction(jorge):
    conversation = ConversationFactory()

    with transaction.atomic(), pytest.raises(RuntimeError, match="inside a transaction"):
        conversations.reply_as_agent(conversation=conversation, user=jorge, body="Hi")


@reply_db
def test_a_bot_reply_drafted_while_jorge_replies_is_dropped(jorge):
    """The reply is recorded as a person's message: a bot turn that re-checks before sending
    (pipeline._relock) finds it and drops its own reply."""
    conversation = ConversationFactory()
    claimed_at = timezone.now() - timedelta(seconds=1)

    conversations.reply_as_agent(conversation=conversation, user=jorge, body="I've got this one")

    since = selectors.messages_since(contact_id=conversation.contact_id, since=claimed_at)
    assert [(m.direction, m.sender) for m in since] == [("outbound", "human")]


# --- Advance stage -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Stage.NEW, Stage.QUALIFYING),
        (Stage.QUALIFYING, Stage.QUALIFIED),
        (Stage.NURTURE, Stage.QUALIFYING),
        (Stage.QUALIFIED, Stage.APPOINTMENT),
        (Stage.HANDED_OFF, Stage.APPOINTMENT),
    ],
)
def test_advancing_moves_the_conversation_to_its_next_stage_audited(jorge, before, after):
    conversation = ConversationFactory(bot="lead", stage=before)

    change = conversations.advance_stage(conversation=conversation, user=jorge)

    conversation.refresh_from_db()
    assert conversation.stage == after
    assert (change.before, change.after) == (before, after)
    assert change.label == f"{Stage(before).label} → {Stage(after).label}"
    [event] = audits("conversation.stage_changed")
    assert event.data == {"from": before, "to": after}
    assert (event.actor, event.actor_label) == ("human", "jorge")


@pytest.mark.django_db
@pytest.mark.parametrize("stage", [Stage.APPOINTMENT, Stage.CLOSED])
def test_the_last_stages_have_nothing_to_advance_to(jorge, stage):
    conversation = ConversationFactory(bot="buyer", stage=stage)

    with pytest.raises(ConversationActionError, match="last stage") as refused:
        conversations.advance_stage(conversation=conversation, user=jorge)

    assert refused.value.code == "no_next_stage"
    conversation.refresh_from_db()
    assert conversation.stage == stage
    assert not audits("conversation.stage_changed")


@pytest.mark.django_db
def test_advancing_a_seller_conversation_moves_the_seller_to_the_next_question(jorge):
    conversation = ConversationFactory(bot="seller", stage=Stage.QUALIFYING)
    SellerQualification.objects.create(
        contact=conversation.contact, stage=SellerQualification.Stage.Q1_MOTIVATION
    )

    change = conversations.advance_stage(conversation=conversation, user=jorge)

    assert change.label == "Q1 · motivation → Q2 · timeline"
    qualification = SellerQualification.objects.get(contact=conversation.contact)
    assert qualification.stage == SellerQualification.Stage.Q2_TIMELINE
    [event] = audits("seller.stage_changed")
    assert event.data["to"] == "q2_timeline" and event.actor_label == "jorge"
    assert conversations.next_stage_label(conversation) == "Q3 · condition"


@pytest.mark.django_db
def test_a_qualified_seller_has_no_next_stage(jorge):
    conversation = ConversationFactory(bot="seller", stage=Stage.QUALIFIED)
    SellerQualification.objects.create(
        contact=conversation.contact, stage=SellerQualification.Stage.QUALIFIED
    )

    assert conversations.next_stage_label(conversation) == ""
    with pytest.raises(Exception, match="already qualified"):
        conversations.advance_stage(conversation=conversation, user=jorge)


# --- Pausing from the dashboard ------------------------------------------------------------------


@pytest.mark.django_db
def test_pausing_from_the_dashboard_says_where_in_the_audit_trail(jorge):
    conversation = ConversationFactory()

    assert escalation.pause_contact_bot(
        contact=conversation.contact, user=jorge, via="the dashboard"
    )

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.PAUSED
    assert conversation.contact.bot_paused_until == selectors.BOT_PAUSED_INDEFINITELY
    [event] = audits("bot.paused_for_human")
    assert event.data["reason"] == "paused in the dashboard by jorge"
