import factory
from django.utils import timezone

from leads.models import Contact, Conversation, Deal, Message


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
