"""From comparables to a value range: adjustments, weights, the estimate and its confidence.

Deterministic Decimal arithmetic; every constant is documented in docs/cma.md.

* Adjusted price = sold price
  + (subject sqft - comp sqft) * comp $/sqft * ``SIZE_RATE_FACTOR``
  + (subject beds - comp beds) * ``BED_ADJUSTMENT``
  + (subject baths - comp baths) * ``BATH_ADJUSTMENT``   (each term rounded to whole dollars)
* Similarity = max(``MIN_SIMILARITY``, 1 - 2 * size gap - 0.10 * |Δbeds| - 0.05 * |Δbaths|
  - 0.05 * miles (capped at 5; unknown = the search radius)); size gap = |Δsqft| / subject sqft.
* Recency = max(``MIN_RECENCY``, 1 - days since the sale / 730).
* Weight = similarity * recency (each rounded to 4 places).
* Estimate = Σ weight * adjusted / Σ weight; spread = the weighted standard deviation, at least
  ``MIN_SPREAD`` of the estimate; range = estimate ± spread; all three rounded to $1,000.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sellers.cma.comparables import (
    BED_TOLERANCE,
    MIN_COMPARABLES,
    RADIUS_MILES,
    RECENT_MONTHS,
    SIZE_TOLERANCE,
    ComparableSearch,
    Subject,
)
from sellers.models import CMAReport

# The marginal square foot is worth less than the average one: the average $/sqft also pays
# for the lot and the location, which a bigger or smaller house on the same street shares.
SIZE_RATE_FACTOR = Decimal("0.50")
BED_ADJUSTMENT = 10_000  # USD per bedroom
BATH_ADJUSTMENT = 7_500  # USD per full bathroom (a half bath counts 0.5)
SIZE_GAP_PENALTY = Decimal("2")
BED_PENALTY = Decimal("0.10")
BATH_PENALTY = Decimal("0.05")
MILE_PENALTY = Decimal("0.05")
MAX_PENALIZED_MILES = Decimal("5")
MIN_SIMILARITY = Decimal("0.10")
RECENCY_DAYS = 730
MIN_RECENCY = Decimal("0.20")
MIN_SPREAD = Decimal("0.03")  # never a range narrower than ±3%
MIN_SPREAD_UNKNOWN_SIZE = Decimal("0.10")
ROUND_TO = 1_000
# Confidence: coefficient of variation (spread / estimate) of the adjusted prices.
HIGH_CONFIDENCE_MIN_COMPARABLES = 5
HIGH_CONFIDENCE_MAX_CV = Decimal("0.05")
MEDIUM_CONFIDENCE_MAX_CV = Decimal("0.10")

FOUR_PLACES = Decimal("0.0001")
CENTS = Decimal("0.01")


@dataclass
class Valuation:
    """The outcome of a CMA: a value range, or the honest reason there is none."""

    status: str  # CMAReport.Status.READY or INSUFFICIENT
    confidence: str
    rows: list[dict]
    method: str
    low: int | None = None
    mid: int | None = None
    high: int | None = None
    coefficient_of_variation: Decimal | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def has_value(self) -> bool:
        return self.mid is not None


def _dollars(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _round_to(value: Decimal, step: int = ROUND_TO) -> int:
    return int((value / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) * step


def _money(value: int | None) -> str:
    return "unknown" if value is None else f"${value:,}"


def adjust(*, subject: Subject, comparable, as_of: date) -> dict:
    """One comparable adjusted to the subject, with its similarity, recency and weight."""
    home = comparable.home
    price = Decimal(home.sold_price)
    ppsf = (price / home.living_sqft).quantize(CENTS, rounding=ROUND_HALF_UP)

    size_adj = bed_adj = bath_adj = 0
    penalty = Decimal(0)
    if subject.living_sqft is not None:
        diff = subject.living_sqft - home.living_sqft
        size_adj = _dollars(Decimal(diff) * price / home.living_sqft * SIZE_RATE_FACTOR)
        penalty += SIZE_GAP_PENALTY * Decimal(abs(diff)) / subject.living_sqft
    if subject.beds is not None:
        bed_adj = (subject.beds - home.beds) * BED_ADJUSTMENT
        penalty += BED_PENALTY * abs(subject.beds - home.beds)
    if subject.baths is not None:
        bath_diff = subject.baths - Decimal(home.baths)
        bath_adj = _dollars(bath_diff * BATH_ADJUSTMENT)
        penalty += BATH_PENALTY * abs(bath_diff)
    miles = comparable.distance_miles
    penalty += MILE_PENALTY * min(
        miles if miles is not None else Decimal(str(RADIUS_MILES)), MAX_PENALIZED_MILES
    )

    similarity = max(MIN_SIMILARITY, 1 - penalty).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
    age_days = (as_of - home.sold_date).days
    recency = max(MIN_RECENCY, 1 - Decimal(age_days) / RECENCY_DAYS).quantize(
        FOUR_PLACES, rounding=ROUND_HALF_UP
    )
    weight = (similarity * recency).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
    adjustment = size_adj + bed_adj + bath_adj
    return {
        "property_id": home.pk,
        "mls_id": home.mls_id,
        "address": home.address,
        "city": home.city,
        "sold_date": home.sold_date.isoformat(),
        "sold_price": home.sold_price,
        "beds": home.beds,
        "baths": str(home.baths),
        "living_sqft": home.living_sqft,
        "price_per_sqft": str(ppsf),
        "distance_miles": None if miles is None else str(miles),
        "size_adjustment": size_adj,
        "bed_adjustment": bed_adj,
        "bath_adjustment": bath_adj,
        "adjustment": adjustment,
        "adjusted_price": home.sold_price + adjustment,
        "similarity": str(similarity),
        "recency": str(recency),
        "weight": str(weight),
    }


def _confidence(*, subject: Subject, count: int, months: int, cv: Decimal) -> tuple[str, list[str]]:
    levels = CMAReport.Confidence
    if subject.living_sqft is None:
        return levels.LOW, ["the home's living area is unknown, so sizes could not be matched"]
    reasons = []
    if (
        count >= HIGH_CONFIDENCE_MIN_COMPARABLES
        and cv <= HIGH_CONFIDENCE_MAX_CV
        and months == RECENT_MONTHS
        and subject.beds is not None
    ):
        return levels.HIGH, [
            f"{count} close sales in the last {months} months agree within {cv:.1%}"
        ]
    if count < HIGH_CONFIDENCE_MIN_COMPARABLES:
        reasons.append(f"only {count} comparable sales")
    if months != RECENT_MONTHS:
        reasons.append(f"the search had to reach back {months} months")
    if subject.beds is None:
        reasons.append("the number of bedrooms is unknown")
    if cv > HIGH_CONFIDENCE_MAX_CV:
        reasons.append(f"the adjusted prices differ by {cv:.1%} on average")
    level = levels.MEDIUM if cv <= MEDIUM_CONFIDENCE_MAX_CV else levels.LOW
    return level, reasons


def _criteria(subject: Subject, months: int) -> str:
    where = f"in {subject.city}" if subject.city else "nearby"
    if subject.has_coordinates:
        where += f" or within {RADIUS_MILES:g} miles"
    parts = [f"sold in the last {months} months {where}"]
    if subject.living_sqft is not None:
        parts.append(
            f"with a living area within {SIZE_TOLERANCE:.0%} of {subject.living_sqft:,} sq ft"
        )
    if subject.beds is not None:
        parts.append(f"with {subject.beds} bedrooms give or take {BED_TOLERANCE}")
    return ", ".join(parts)


def estimate(*, subject: Subject, search: ComparableSearch) -> Valuation:
    """Value the subject from its comparables; too few comparables gives no value, and says so."""
    rows = [adjust(subject=subject, comparable=c, as_of=search.as_of) for c in search.comparables]
    criteria = _criteria(subject, search.months)
    if len(rows) < MIN_COMPARABLES:
        method = (
            f"We looked for homes that {criteria}. We found {len(rows)}, and an honest estimate "
            f"needs at least {MIN_COMPARABLES}, so this report gives no value. Jorge will "
            "prepare a personal analysis instead."
        )
        return Valuation(
            status=CMAReport.Status.INSUFFICIENT,
            confidence=CMAReport.Confidence.NONE,
            rows=rows,
            method=method,
            reasons=[f"{len(rows)} comparable sales found; {MIN_COMPARABLES} needed"],
        )

    weights = [Decimal(r["weight"]) for r in rows]
    prices = [Decimal(r["adjusted_price"]) for r in rows]
    total = sum(weights)
    mean = sum(w * p for w, p in zip(weights, prices, strict=True)) / total
    variance = sum(w * (p - mean) ** 2 for w, p in zip(weights, prices, strict=True)) / total
    deviation = variance.sqrt()
    floor = MIN_SPREAD if subject.living_sqft is not None else MIN_SPREAD_UNKNOWN_SIZE
    spread = max(deviation, floor * mean)
    cv = (deviation / mean).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
    low, mid, high = _round_to(mean - spread), _round_to(mean), _round_to(mean + spread)
    confidence, reasons = _confidence(subject=subject, count=len(rows), months=search.months, cv=cv)

    adjustments = []
    if subject.living_sqft is not None:
        adjustments.append(
            f"{SIZE_RATE_FACTOR:.0%} of the sale's price per square foot for each square foot "
            "of difference"
        )
    if subject.beds is not None:
        adjustments.append(f"${BED_ADJUSTMENT:,} per bedroom")
    if subject.baths is not None:
        adjustments.append(f"${BATH_ADJUSTMENT:,} per bathroom")
    adjusted = (
        "Each sale was adjusted to your home: " + ", ".join(adjustments) + "."
        if adjustments
        else "We do not know your home's size, bedrooms or bathrooms, so the sales were not "
        "adjusted: the range shows what similar nearby homes sold for."
    )
    method = (
        f"We compared your home with {len(rows)} homes that {criteria}. {adjusted} "
        "Sales more like your home and more recent count more: each weight is a similarity "
        "score (lower for differences in size, bedrooms, bathrooms and distance) times a recency "
        "score (lower for older sales). The estimate is the weighted average of the adjusted "
        f"prices, {_money(mid)}; the range is that average plus or minus the weighted spread of "
        f"the adjusted prices (at least {floor:.0%}), {_money(low)} to {_money(high)}. "
        f"Confidence is {confidence}: {'; '.join(reasons) or 'the sales agree closely'}."
    )
    if subject.living_sqft is None:
        method += (
            " Tell us the home's living area (square feet) and bedrooms and the estimate will be "
            "much narrower."
        )
    return Valuation(
        status=CMAReport.Status.READY,
        confidence=confidence,
        rows=rows,
        method=method,
        low=low,
        mid=mid,
        high=high,
        coefficient_of_variation=cv,
        reasons=reasons,
    )
