import factory
from django.utils import timezone

from compliance.models import ComplianceTicket
from tests.leads.factories import ConversationFactory


class ComplianceTicketFactory(factory.django.DjangoModelFactory):
    """A ticket as the check opens it (no side effects: use the service for those)."""

    class Meta:
        model = ComplianceTicket

    type = ComplianceTicket.Type.PRIVACY
    category = "ssn"
    severity = ComplianceTicket.Severity.HIGH
    direction = ComplianceTicket.Direction.INBOUND
    evidence = "my social is [SSN removed]"
    conversation = factory.SubFactory(ConversationFactory)
    contact = factory.LazyAttribute(lambda t: t.conversation.contact)
    due_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(hours=4))
