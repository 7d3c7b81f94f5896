"""Reads of the buyers app: what a buyer wants, the listings that fit them, the buyers a
listing fits."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, QuerySet

from buyers.matching import (
    MAX_OVER_BUDGET,
    BuyerWants,
    ListingFacts,
    ListingScore,
    must_have_items,
    normalize,
    property_type_codes,
    same_city,
    score_listing,
)
from buyers.models import BuyerProfile, ListingAlert
from leads.models import Contact, Conversation, Intent
from sellers.models import Property
from sellers.selectors import public_listings


@dataclass(frozen=True)
class Match:
    """A listing on the market that fits a buyer, with its score and why."""

    home: Property
    score: ListingScore


def listing_cities() -> set[str]:
    """The cities that have a listing on the market (to read a free-text area against)."""
    return set(public_listings().values_list("city", flat=True).distinct())


def buyer_wants(*, contact: Contact, known_cities: set[str] | None = None) -> BuyerWants:
    """What ``contact`` wants, from their buyer profile and their qualification (the budget).

    Cities come from the profile; without any, the cities named in the contact's area
    ("Riverside or Corona"). ``known_cities``: ``listing_cities()``, when already read.
    """
    try:
        profile = contact.buyer_profile
    except BuyerProfile.DoesNotExist:
        profile = None
    cities = tuple(str(c) for c in (profile.cities if profile else []) if str(c).strip())
    if not cities and contact.area:
        known = listing_cities() if known_cities is None else known_cities
        area = f" {normalize(contact.area)} "
        cities = tuple(sorted(c for c in known if f" {normalize(c)} " in area))
    return BuyerWants(
        budget_min=contact.budget_min,
        budget_max=contact.budget_max,
        cities=cities,
        beds_min=profile.beds_min if profile else None,
        baths_min=Decimal(profile.baths_min) if profile and profile.baths_min else None,
        property_types=property_type_codes(profile.property_types if profile else []),
        must_haves=must_have_items(profile.must_haves if profile else ""),
    )


def listing_facts(home: Property) -> ListingFacts:
    return ListingFacts(
        price=home.list_price,
        city=home.city,
        beds=home.beds,
        baths=home.baths,
        property_type=home.property_type,
        features=home.features,
        description=home.description,
    )


def _ranked(matches: list[Match], wants: BuyerWants) -> list[Match]:
    # Best score first; then the price nearest the top of the budget (the most home the
    # buyer can afford), then the newest listing.
    ceiling = wants.ceiling or 0
    return sorted(
        matches, key=lambda m: (-m.score.total, abs(ceiling - m.home.list_price), -m.home.pk)
    )


def top_matches(*, contact: Contact, limit: int = 3) -> list[Match]:
    """The listings on the market that fit ``contact`` best, best first; [] when none fits.

    Only real, active listings with an asking price are read, and only those that fit
    (``buyers.matching``: not ruled out, score at least ``MIN_SCORE``) are returned.
    """
    wants = buyer_wants(contact=contact)
    if not wants.ceiling:
        return []  # no budget: no price fit to judge, so nothing is sent
    listings = public_listings().filter(list_price__lte=int(wants.ceiling * (1 + MAX_OVER_BUDGET)))
    if wants.cities:
        # The cities' names as the listings spell them ("Riverside, CA" is "Riverside").
        cities = [c for c in listing_cities() if any(same_city(c, w) for w in wants.cities)]
        listings = listings.filter(city__in=cities)
    matches = []
    for home in listings:
        score = score_listing(wants, listing_facts(home))
        if score.fits:
            matches.append(Match(home=home, score=score))
    return _ranked(matches, wants)[:limit]


# --- Alerts ------------------------------------------------------------------------------------


def buyers_for_listing(*, home: Property) -> QuerySet[Contact]:
    """Contacts who may be buying within reach of ``home``'s price (scored afterwards).

    Buyers are contacts who said they are buying (or both) or have a buyer profile, and
    whose budget is known and not more than 10 % under the price.
    """
    lowest_ceiling = int(home.list_price / (1 + MAX_OVER_BUDGET))
    return (
        Contact.objects.filter(
            Q(intent__in=[Intent.BUYER, Intent.BOTH]) | Q(buyer_profile__isnull=False)
        )
        .filter(
            Q(budget_max__gte=lowest_ceiling)
            | Q(budget_max__isnull=True, budget_min__gte=lowest_ceiling)
        )
        .select_related("buyer_profile")
        .order_by("pk")
    )


def alert_conversation(*, contact: Contact) -> Conversation | None:
    """The conversation a listing alert goes to: the one the contact wrote in last."""
    return (
        Conversation.objects.filter(contact=contact)
        .order_by(F("last_inbound_at").desc(nulls_last=True), "-created_at", "-pk")
        .first()
    )


def alerts_for(*, contact: Contact, home: Property) -> QuerySet[ListingAlert]:
    """The alerts ``contact`` already had about ``home``, at any price."""
    return ListingAlert.objects.filter(contact=contact, listing=home)


def alerts_since(*, contact: Contact, since) -> int:
    """How many listing alerts ``contact`` was sent since ``since``."""
    return ListingAlert.objects.filter(contact=contact, created_at__gte=since).count()
