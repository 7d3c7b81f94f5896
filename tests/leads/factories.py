import itertools

import factory
from django.utils import timezone

from leads.models import Contact, Conversation, Deal, EscalationTicket, LeadScoreModel, Message
from leads.services.inbound import record_inbound_message


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    ghl_contact_id = factory.Sequence(lambda n: f"contact{n:06d}")
    ghl_location_id = "test-location"
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    phone = factory.Sequence(lambda n: f"+1909555{n % 10000:04d}")
    email = factory.LazyAttribute(
        lambda c: f"{c.first_name.lower()}.{c.ghl_contact_id}@example.com"
    )
    timezone = "America/Los_Angeles"


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    contact = factory.SubFactory(ContactFactory)
    ghl_conversation_id = factory.Sequence(lambda n: f"conv{n:06d}")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    direction = Message.Direction.INBOUND
    sender = Message.Sender.CONTACT
    status = Message.Status.RECEIVED
    body = "Hi, I'm looking to buy a home in Riverside."
    sent_at = factory.LazyFunction(timezone.now)


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    contact = factory.SubFactory(ContactFactory)
    name = factory.LazyAttribute(lambda d: f"{d.contact} purchase")
    side = Deal.Side.BUY
    value = 550000


_sms_ids = itertools.count(1)


def receive_sms(contact_id: str, text: str, *, conversation_id: str = "", location_id: str = "loc"):
    """An SMS from a HighLevel contact, recorded by the service the webhook task calls.

    Wrap it in ``django_capture_on_commit_callbacks(execute=True)`` to run the bot pipeline.
    """
    message, _ = record_inbound_message(
        location_id=location_id,
        contact_id=contact_id,
        conversation_id=conversation_id or f"conv-{contact_id}",
        message_id=f"sms-{next(_sms_ids)}",
        channel="sms",
        body=text,
        sent_at=timezone.now(),
    )
    return message


def bot_texts() -> list[str]:
    """Everything the bots sent or queued to leads (not what a rule blocked), oldest first."""
    return list(
        Message.objects.filter(direction="outbound")
        .exclude(status="blocked")
        .order_by("id")
        .values_list("body", flat=True)
    )


class EscalationTicketFactory(factory.django.DjangoModelFactory):
    """A ticket as a hand-off opens it (no side effects: use escalate_to_human for those)."""

    class Meta:
        model = EscalationTicket

    conversation = factory.SubFactory(ConversationFactory)
    contact = factory.LazyAttribute(lambda t: t.conversation.contact)
    reason = EscalationTicket.Reason.ASKED_FOR_PERSON
    summary = "Asked to talk to Jorge."
    priority = EscalationTicket.Priority.HIGH
    due_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(hours=1))
    notify_at = factory.LazyFunction(timezone.now)


def api_token_secret(user, *, scope: str = "read_write", name: str = "integration") -> str:
    """Issue an API token for ``user`` through the service; returns the secret (shown once)."""
    from leads.services.api_tokens import issue_api_token

    return issue_api_token(user=user, name=name, scope=scope, by=None).secret


class LeadScoreModelFactory(factory.django.DjangoModelFactory):
    """An active lead-score model with hand-set coefficients: the more of our messages the
    lead answers, the likelier they convert (reply_rate 1.0 → about 73%, 0 → about 27%)."""

    class Meta:
        model = LeadScoreModel

    version = factory.Sequence(lambda n: n + 1)
    active = True
    algorithm = "hand-set for tests"
    feature_names = factory.LazyFunction(lambda: ["reply_rate"])
    metrics = factory.LazyFunction(lambda: {"auc_model": 0.7, "auc_rules": 0.6})
    parameters = factory.LazyFunction(
        lambda: {
            "names": ["reply_rate"],
            "means": [0.5],
            "scales": [0.5],
            "coefficients": [1.0],
            "intercept": 0.0,
        }
    )
    artifact = b""
