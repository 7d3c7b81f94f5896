"""How well a listing fits a buyer: a score out of 100 from four parts, each explained.

Pure functions over plain values (no database), so every rule is tested directly. The parts:

| part | points | full points when |
| --- | --- | --- |
| price | 40 | the asking price is within the budget (and not far below it) |
| area | 25 | the home is in one of the buyer's cities (or no city was given) |
| beds_baths | 20 | 12 for enough bedrooms, 8 for enough bathrooms |
| features | 15 | every must-have the buyer named is in the listing's features or description |

Some misses rule a listing out whatever its score: no budget known, more than 10 % over
budget, outside the buyer's cities, two or more bedrooms short, a property type the buyer
did not ask for. A listing fits when it is not ruled out and scores at least ``MIN_SCORE``.
An unknown preference (no bedroom minimum, no must-haves) costs nothing: the buyer did
not ask for it.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

PRICE_POINTS = 40
AREA_POINTS = 25
BEDS_POINTS = 12
BATHS_POINTS = 8
FEATURES_POINTS = 15
MIN_SCORE = 65
# Over budget by at most this share still fits, for fewer points; more rules the home out.
MAX_OVER_BUDGET = Decimal("0.10")


@dataclass(frozen=True)
class BuyerWants:
    """What a buyer is looking for, as the scoring reads it."""

    budget_min: int | None = None
    budget_max: int | None = None
    cities: tuple[str, ...] = ()
    beds_min: int | None = None
    baths_min: Decimal | None = None
    property_types: tuple[str, ...] = ()  # Property.Type values ("sfr", "condo", …)
    must_haves: tuple[str, ...] = ()  # in the buyer's words, one item each

    @property
    def ceiling(self) -> int | None:
        """The most the buyer means to pay: the top of their range, else their one figure."""
        return self.budget_max or self.budget_min

    @property
    def floor(self) -> int | None:
        """The bottom of a stated range (None for a single figure)."""
        if self.budget_min and self.budget_max and self.budget_min < self.budget_max:
            return self.budget_min
        return None


@dataclass(frozen=True)
class ListingFacts:
    """A listing's facts the scoring reads (from ``sellers.Property``)."""

    price: int
    city: str
    beds: int
    baths: Decimal
    property_type: str = "sfr"
    features: str = ""
    description: str = ""


@dataclass(frozen=True)
class ScorePart:
    part: str  # "price", "area", "beds_baths", "features"
    points: int
    max_points: int
    why: str


@dataclass(frozen=True)
class ListingScore:
    parts: tuple[ScorePart, ...]
    ruled_out: str = ""  # why the listing cannot be shown whatever its points ("" if it can)
    total: int = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "total", sum(p.points for p in self.parts))

    @property
    def fits(self) -> bool:
        return not self.ruled_out and self.total >= MIN_SCORE

    def explanation(self) -> list[tuple[str, int, str]]:
        """(part, points, why) for each part, then ("ruled_out", 0, why) if it is."""
        rows = [(p.part, p.points, p.why) for p in self.parts]
        if self.ruled_out:
            rows.append(("ruled_out", 0, self.ruled_out))
        return rows


def score_listing(wants: BuyerWants, listing: ListingFacts) -> ListingScore:
    """Score ``listing`` for a buyer who wants ``wants``; see the module's table."""
    price, price_out = _price_part(wants, listing.price)
    area, area_out = _area_part(wants, listing.city)
    rooms, rooms_out = _rooms_part(wants, listing.beds, listing.baths)
    features = _features_part(wants, f"{listing.features}\n{listing.description}")
    type_out = _type_rule(wants, listing.property_type)
    ruled_out = next((why for why in (price_out, area_out, rooms_out, type_out) if why), "")
    return ListingScore(parts=(price, area, rooms, features), ruled_out=ruled_out)


# --- Price -----------------------------------------------------------------------------------


def _money(value: int) -> str:
    return f"${value:,}"


def _price_part(wants: BuyerWants, price: int) -> tuple[ScorePart, str]:
    ceiling, floor = wants.ceiling, wants.floor
    if not ceiling:
        why = "no budget known, so the price fit cannot be judged"
        return ScorePart("price", 0, PRICE_POINTS, why), why
    budget = f"{_money(floor)}–{_money(ceiling)}" if floor else f"up to {_money(ceiling)}"
    if price > ceiling:
        over = Decimal(price - ceiling) / Decimal(ceiling)
        percent = f"{over * 100:.0f}%"
        if over > MAX_OVER_BUDGET:
            why = f"{_money(price)} is {percent} over the budget ({budget})"
            return ScorePart("price", 0, PRICE_POINTS, why), why
        points = 24 if over <= Decimal("0.05") else 12
        return ScorePart(
            "price",
            points,
            PRICE_POINTS,
            f"{_money(price)} is {percent} over the budget ({budget})",
        ), ""
    if floor and price < floor:
        return ScorePart(
            "price", 24, PRICE_POINTS, f"{_money(price)} is below the buyer's range ({budget})"
        ), ""
    if floor or price >= ceiling * 0.8:
        return ScorePart(
            "price", PRICE_POINTS, PRICE_POINTS, f"{_money(price)} is within the budget ({budget})"
        ), ""
    if price >= ceiling * 0.6:
        return ScorePart(
            "price", 32, PRICE_POINTS, f"{_money(price)} is well under the budget ({budget})"
        ), ""
    return ScorePart(
        "price",
        20,
        PRICE_POINTS,
        f"{_money(price)} is far under the budget ({budget}): maybe less home than wanted",
    ), ""


# --- Area ------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Lower case, no accents, words separated by single spaces ("Rancho  Cucamonga, CA" →
    "rancho cucamonga ca")."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def same_city(a: str, b: str) -> bool:
    """ "Riverside" is "riverside, CA" is "Riverside CA"."""
    a, b = normalize(a), normalize(b)
    for suffix in (" ca", " california"):
        a, b = a.removesuffix(suffix), b.removesuffix(suffix)
    return bool(a) and a == b


def _area_part(wants: BuyerWants, city: str) -> tuple[ScorePart, str]:
    if not wants.cities:
        return ScorePart(
            "area", AREA_POINTS, AREA_POINTS, f"in {city}; no area given, any city fits"
        ), ""
    if any(same_city(city, wanted) for wanted in wants.cities):
        return ScorePart(
            "area", AREA_POINTS, AREA_POINTS, f"in {city}, one of the buyer's cities"
        ), ""
    why = f"in {city}, not in the buyer's cities ({', '.join(wants.cities)})"
    return ScorePart("area", 0, AREA_POINTS, why), why


# --- Bedrooms and bathrooms ----------------------------------------------------------------


def _rooms_part(wants: BuyerWants, beds: int, baths: Decimal) -> tuple[ScorePart, str]:
    points, reasons, ruled_out = 0, [], ""
    bedrooms = f"{beds} bedroom" + ("" if beds == 1 else "s")
    if wants.beds_min is None:
        points += BEDS_POINTS
        reasons.append(f"{bedrooms} (no minimum given)")
    elif beds >= wants.beds_min:
        points += BEDS_POINTS
        reasons.append(f"{bedrooms} (wants {wants.beds_min}+)")
    elif beds == wants.beds_min - 1:
        points += 4
        reasons.append(f"{bedrooms}, one short of {wants.beds_min}")
    else:
        ruled_out = f"{bedrooms}; the buyer wants {wants.beds_min}+"
        reasons.append(ruled_out)
    shown = f"{baths.normalize():f} bathroom" + ("" if baths == 1 else "s")
    if wants.baths_min is None:
        points += BATHS_POINTS
        reasons.append(f"{shown} (no minimum given)")
    elif baths >= wants.baths_min:
        points += BATHS_POINTS
        reasons.append(f"{shown} (wants {wants.baths_min.normalize():f}+)")
    elif baths >= wants.baths_min - Decimal("0.5"):
        points += 4
        reasons.append(f"{shown}, half a bath short of {wants.baths_min.normalize():f}")
    else:
        reasons.append(f"{shown}, short of {wants.baths_min.normalize():f}")
    return ScorePart(
        "beds_baths", points, BEDS_POINTS + BATHS_POINTS, "; ".join(reasons)
    ), ruled_out


# --- Property type ---------------------------------------------------------------------------

# The buyer's words for a type (English and Spanish) → Property.Type values.
_TYPE_WORDS = {
    "sfr": "sfr",
    "single family": "sfr",
    "house": "sfr",
    "home": "sfr",
    "casa": "sfr",
    "condo": "condo",
    "condominium": "condo",
    "condominio": "condo",
    "apartment": "condo",
    "departamento": "condo",
    "townhouse": "townhouse",
    "townhome": "townhouse",
    "casa adosada": "townhouse",
    "multi": "multi",
    "multi family": "multi",
    "duplex": "multi",
    "multifamiliar": "multi",
}


def property_type_codes(words) -> tuple[str, ...]:
    """The Property.Type values a buyer's words name; words we do not know are left out."""
    codes = []
    for word in words:
        code = _TYPE_WORDS.get(normalize(str(word)).removesuffix("s"))
        code = code or _TYPE_WORDS.get(normalize(str(word)))
        if code and code not in codes:
            codes.append(code)
    return tuple(codes)


_TYPE_LABELS = {
    "sfr": "single-family home",
    "condo": "condo",
    "townhouse": "townhouse",
    "multi": "multi-family",
}


def _type_rule(wants: BuyerWants, property_type: str) -> str:
    if not wants.property_types or property_type in wants.property_types:
        return ""
    wanted = " or ".join(_TYPE_LABELS.get(t, t) for t in wants.property_types)
    return f"a {_TYPE_LABELS.get(property_type, property_type)}; the buyer wants a {wanted}"


# --- Features (must-haves in the buyer's words) ------------------------------------------

# One concept, the ways people write it (English and Spanish, normalized).
CONCEPTS: dict[str, tuple[str, ...]] = {
    "pool": ("pool", "swimming pool", "piscina", "alberca"),
    "RV parking": ("rv", "rv parking", "rv access", "motorhome", "casa rodante", "trailer parking"),
    "garage": ("garage", "garages", "garaje", "cochera"),
    "yard": (
        "yard",
        "yards",
        "backyard",
        "back yard",
        "big yard",
        "large yard",
        "lawn",
        "jardin",
        "yarda",
        "patio trasero",
        "patio grande",
    ),
    "solar": ("solar", "solar panels", "paneles solares", "energia solar"),
    "single story": (
        "single story",
        "single level",
        "one story",
        "one level",
        "no stairs",
        "una planta",
        "un piso",
        "un solo piso",
        "una sola planta",
        "sin escaleras",
    ),
    "view": ("view", "views", "vista", "vistas"),
    "ADU": ("adu", "casita", "guest house", "granny flat", "in law", "unidad adicional"),
    "fireplace": ("fireplace", "chimenea"),
    "air conditioning": ("ac", "central air", "air conditioning", "aire acondicionado", "clima"),
    "home office": ("office", "home office", "oficina", "estudio"),
    "no HOA": ("no hoa", "sin hoa", "without hoa"),
    "updated kitchen": (
        "updated kitchen",
        "remodeled kitchen",
        "new kitchen",
        "cocina remodelada",
        "cocina nueva",
        "cocina actualizada",
    ),
    "patio": ("covered patio", "porch", "terraza"),
}
# Words that carry no feature ("a big pool" is a pool).
_FILLER_WORDS = (
    "a an the some with and or must have has need needs needed want would like really big "
    "large nice good great una un unos unas el la los las con y o tener tiene que necesito "
    "quiero queremos me gustaria buen buena bonito of for de del para"
)
_FILLER = frozenset(_FILLER_WORDS.split())


def must_have_items(text: str) -> tuple[str, ...]:
    """Split a buyer's must-haves ("Pool, RV parking and a big yard") into items."""
    parts = re.split(r"[,;/\n+&]|\band\b|\by\b|\bplus\b|\bademas\b", normalize_keep_commas(text))
    items = []
    for part in parts:
        words = part.split()
        # Leading fillers go ("must have a pool" → "pool"); the rest stays as the buyer wrote
        # it, so "un piso" keeps the word that makes it "single story".
        while (
            len(words) > 1
            and words[0] in _FILLER
            and _concepts_in(" ".join(words[1:])) == _concepts_in(" ".join(words))
        ):
            words = words[1:]
        if any(w not in _FILLER for w in words):
            items.append(" ".join(words))
    return tuple(dict.fromkeys(items))


def normalize_keep_commas(text: str) -> str:
    """``normalize`` that keeps the separators must-haves are listed with."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9,;/\n+&]+", " ", text)


def _has_phrase(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text) is not None


def _concepts_in(text: str) -> set[str]:
    return {name for name, words in CONCEPTS.items() if any(_has_phrase(text, w) for w in words)}


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _item_found(item: str, listing_text: str, listing_concepts: set[str]) -> bool:
    concepts = _concepts_in(item)
    if concepts:
        return bool(concepts & listing_concepts)
    # Not a feature we know: every meaningful word of it must appear in the listing.
    words = [_stem(w) for w in item.split() if w not in _FILLER and len(w) > 2]
    listing_words = {_stem(w) for w in listing_text.split()}
    return bool(words) and all(w in listing_words for w in words)


def _features_part(wants: BuyerWants, listing_text: str) -> ScorePart:
    if not wants.must_haves:
        return ScorePart("features", FEATURES_POINTS, FEATURES_POINTS, "no must-haves given")
    text = normalize(listing_text)
    found_concepts = _concepts_in(text)
    has = [item for item in wants.must_haves if _item_found(normalize(item), text, found_concepts)]
    missing = [item for item in wants.must_haves if item not in has]
    points = round(FEATURES_POINTS * len(has) / len(wants.must_haves))
    reasons = []
    if has:
        reasons.append("has " + ", ".join(has))
    if missing:
        reasons.append("no mention of " + ", ".join(missing))
    return ScorePart("features", points, FEATURES_POINTS, "; ".join(reasons))
