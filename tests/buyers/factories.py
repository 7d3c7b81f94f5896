import factory

from buyers.models import BuyerProfile
from tests.leads.factories import ContactFactory


class BuyerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BuyerProfile

    contact = factory.SubFactory(ContactFactory, intent="buyer")
    cities = factory.LazyFunction(lambda: ["Riverside", "Corona"])
    beds_min = 3
    must_haves = "Yard, RV parking"
