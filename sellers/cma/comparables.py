"""Which recent sales a home is compared against.

A comparable is a sold ``Property`` that sold within the last 6 months (12 when fewer than
``MIN_COMPARABLES`` are found), in the same city or within ``RADIUS_MILES``, with a living
area within ±20% and beds within ±1 of the subject, and is not the subject itself.
See docs/cma.md.
"""

import calendar
import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q

from sellers.models import Property

MIN_COMPARABLES = 3
RECENT_MONTHS = 6
WIDENED_MONTHS = 12
RADIUS_MILES = 2.0
SIZE_TOLERANCE = Decimal("0.20")
BED_TOLERANCE = 1
# Enough for a sound weighted estimate and a one-page table; the most similar are kept.
MAX_COMPARABLES = 10
EARTH_RADIUS_MILES = 3958.8
# Part of the fingerprint: a change of method makes every stored report stale.
METHOD_VERSION = "cma-1"

_SUFFIXES = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "boulevard": "blvd",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "circle": "cir",
    "parkway": "pkwy",
    "highway": "hwy",
    "terrace": "ter",
    "trail": "trl",
    "way": "way",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


@dataclass(frozen=True)
class Subject:
    """The facts of the home being valued; ``None`` means we do not know it."""

    address: str
    city: str
    beds: int | None = None
    baths: Decimal | None = None
    living_sqft: int | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    property_id: int | None = None
    source: str = "seller"  # "property": matched to a Property row; "seller": what they told us

    @classmethod
    def from_property(cls, home: Property) -> "Subject":
        return cls(
            address=home.address,
            city=home.city,
            beds=home.beds,
            baths=Decimal(home.baths),
            living_sqft=home.living_sqft,
            latitude=home.latitude,
            longitude=home.longitude,
            property_id=home.pk,
            source="property",
        )

    def as_json(self) -> dict:
        data = asdict(self)
        for key in ("baths", "latitude", "longitude"):
            if data[key] is not None:
                data[key] = str(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Subject":
        values = dict(data)
        for key in ("baths", "latitude", "longitude"):
            if values.get(key) is not None:
                values[key] = Decimal(values[key])
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass
class Comparable:
    """One sold home next to the subject, with its distance (miles, ``None`` if unknown)."""

    home: Property
    distance_miles: Decimal | None


@dataclass
class ComparableSearch:
    comparables: list[Comparable]
    months: int
    as_of: date
    considered: int = 0  # sold homes in the window and the area before the size/bed filters
    notes: list[str] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return len(self.comparables) >= MIN_COMPARABLES


def normalize_address(address: str) -> str:
    """Lower-case, without punctuation, with the usual street suffixes abbreviated."""
    words = re.sub(r"[^\w\s]", " ", address.lower()).split()
    return " ".join(_SUFFIXES.get(word, word) for word in words)


def months_before(day: date, months: int) -> date:
    """The same calendar day ``months`` months earlier (the last day when it does not exist)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def haversine_miles(lat1: Decimal, lng1: Decimal, lat2: Decimal, lng2: Decimal) -> Decimal:
    """Great-circle distance in miles, rounded to a hundredth."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dphi = phi2 - phi1
    dlambda = math.radians(float(lng2) - float(lng1))
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    miles = 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))
    return Decimal(f"{miles:.2f}")


def _area_filter(subject: Subject) -> Q:
    """Same city, or inside the radius's bounding box (refined with haversine in Python)."""
    area = Q(city__iexact=subject.city.strip()) if subject.city.strip() else Q(pk__in=[])
    if subject.has_coordinates:
        dlat = RADIUS_MILES / 69.0
        dlng = RADIUS_MILES / (69.0 * max(0.01, math.cos(math.radians(float(subject.latitude)))))
        lat, lng = float(subject.latitude), float(subject.longitude)
        area |= Q(
            latitude__gte=Decimal(f"{lat - dlat:.6f}"),
            latitude__lte=Decimal(f"{lat + dlat:.6f}"),
            longitude__gte=Decimal(f"{lng - dlng:.6f}"),
            longitude__lte=Decimal(f"{lng + dlng:.6f}"),
        )
    return area


def _candidates(subject: Subject, *, since: date, as_of: date) -> list[Comparable]:
    homes = Property.objects.filter(
        _area_filter(subject),
        status=Property.Status.SOLD,
        sold_date__gte=since,
        sold_date__lte=as_of,
    ).order_by("-sold_date", "pk")
    if subject.property_id is not None:
        homes = homes.exclude(pk=subject.property_id)
    city = subject.city.strip().lower()
    subject_address = normalize_address(subject.address)
    found = []
    for home in homes:
        if home.city.lower() == city and normalize_address(home.address) == subject_address:
            continue  # the subject's own earlier sale is not a comparable of itself
        distance = None
        if subject.has_coordinates and home.latitude is not None and home.longitude is not None:
            distance = haversine_miles(
                subject.latitude, subject.longitude, home.latitude, home.longitude
            )
        same_city = home.city.lower() == city
        if same_city or (distance is not None and distance <= Decimal(str(RADIUS_MILES))):
            found.append(Comparable(home=home, distance_miles=distance))
    return found


def _similar(subject: Subject, home: Property) -> bool:
    if subject.living_sqft is not None:
        gap = abs(Decimal(home.living_sqft - subject.living_sqft)) / subject.living_sqft
        if gap > SIZE_TOLERANCE:
            return False
    return subject.beds is None or abs(home.beds - subject.beds) <= BED_TOLERANCE


def _closeness(subject: Subject, comparable: Comparable) -> tuple:
    home = comparable.home
    size_gap = (
        abs(home.living_sqft - subject.living_sqft) / subject.living_sqft
        if subject.living_sqft
        else 0
    )
    beds_gap = abs(home.beds - subject.beds) if subject.beds is not None else 0
    distance = comparable.distance_miles if comparable.distance_miles is not None else RADIUS_MILES
    return (beds_gap, size_gap, distance, -home.sold_date.toordinal(), home.pk)


def find_comparables(*, subject: Subject, as_of: date) -> ComparableSearch:
    """Sold homes like the subject: 6 months back, widened to 12 when fewer than the minimum."""
    search = None
    for months in (RECENT_MONTHS, WIDENED_MONTHS):
        candidates = _candidates(subject, since=months_before(as_of, months), as_of=as_of)
        similar = [c for c in candidates if _similar(subject, c.home)]
        search = ComparableSearch(
            comparables=similar, months=months, as_of=as_of, considered=len(candidates)
        )
        if search.enough:
            break
    if len(search.comparables) > MAX_COMPARABLES:
        search.comparables = sorted(search.comparables, key=lambda c: _closeness(subject, c))[
            :MAX_COMPARABLES
        ]
        search.notes.append(f"The {MAX_COMPARABLES} most similar sales were kept.")
    search.comparables.sort(key=lambda c: (-c.home.sold_date.toordinal(), c.home.pk))
    return search


def fingerprint(*, subject: Subject, search: ComparableSearch) -> str:
    """A digest of the subject and of each comparable's facts and price; changes when they do."""
    payload = {
        "method": METHOD_VERSION,
        "subject": subject.as_json(),
        "months": search.months,
        "comparables": [
            [
                c.home.pk,
                c.home.sold_price,
                c.home.sold_date.isoformat(),
                c.home.living_sqft,
                c.home.beds,
                str(c.home.baths),
            ]
            for c in search.comparables
        ],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
