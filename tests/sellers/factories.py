"""Factories of the sellers app (homes, CMA reports)."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils.text import slugify

from sellers.models import CMAReport, Property
from tests.leads.factories import ContactFactory

# The day the CMA tests pretend it is (time_machine travels there).
TODAY = date(2026, 11, 21)


class PropertyFactory(factory.django.DjangoModelFactory):
    """A sold single-family home in Riverside; pass ``days_ago`` to date the sale."""

    class Meta:
        model = Property

    class Params:
        days_ago = 30

    mls_id = factory.Sequence(lambda n: f"TEST-{n:05d}")
    address = factory.Sequence(lambda n: f"{100 + n} Magnolia Ave")
    city = "Riverside"
    # The MLS number keeps it unique when a test gives two homes the same address.
    slug = factory.LazyAttribute(lambda p: slugify(f"{p.address} {p.city} {p.mls_id}"))
    postal_code = "92503"
    beds = 3
    baths = Decimal("2.0")
    living_sqft = 2000
    status = Property.Status.SOLD
    sold_price = 600_000
    list_price = factory.LazyAttribute(lambda p: p.sold_price)
    sold_date = factory.LazyAttribute(
        lambda p: TODAY - timedelta(days=p.days_ago) if p.status == Property.Status.SOLD else None
    )


class CMAReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CMAReport

    contact = factory.SubFactory(ContactFactory)
    address = factory.Sequence(lambda n: f"{500 + n} Orange St")
    city = "Riverside"
    subject = factory.LazyAttribute(
        lambda r: {"address": r.address, "city": r.city, "living_sqft": 2000, "beds": 3}
    )
    comparables_fingerprint = factory.Sequence(lambda n: f"{n:064x}")
    status = CMAReport.Status.PENDING


# --- Seller qualification (appended by the seller-bot tests) -----------------------------------


class SellerQualificationFactory(factory.django.DjangoModelFactory):
    """A seller half-way through the questions: address and motivation known."""

    class Meta:
        model = "sellers.SellerQualification"

    contact = factory.SubFactory(ContactFactory)
    stage = "q2_timeline"
    address = "1234 Magnolia Ave"
    city = "Riverside"
    permission_given = True
    motivation = "We're relocating for work"
    motivation_kind = "relocation"


class ListingFactory(PropertyFactory):
    """A home on the market in Riverside: active, with an asking price and features."""

    status = Property.Status.ACTIVE
    sold_price = None
    list_price = 550_000
    features = "Pool, RV parking"
    description = "A bright single-story home on a quiet street."
