"""What a seller's message answers, read deterministically in English and Spanish.

The seller bot asks five things (Q0-Q4): the address (and permission to ask), why they sell,
when, the home's condition and occupancy, and the price they expect. This module reads those
answers from one message with rules over accent-folded text, no network and no model. The
timeline is not read here: the lead analysis already reads it from every message (and keeps
it on the contact), and the seller bot reuses it.

``expecting`` names the question the bot asked last; a few readings only make sense as an
answer to it (a bare "650" is a price only after "what price do you have in mind?", a bare
"sure" is a permission only after "may I ask a few questions?").

The lead analysis deliberately discards the value of a home being sold; the seller's price
expectation is read here.
"""

import re
from dataclasses import dataclass, fields

from leads.intelligence.offline import area_at_start, buying_spans, correction_start
from leads.intelligence.text import fold, normalize, wordset

# The question being answered; mirrors SellerQualification.Stage values.
Q0_ADDRESS = "q0_address"
Q1_MOTIVATION = "q1_motivation"
Q3_CONDITION = "q3_condition"
Q4_PRICE = "q4_price"

MOTIVATION_KINDS = (
    "relocation",
    "upsizing",
    "downsizing",
    "financial",
    "inheritance",
    "divorce",
    "retirement",
    "investment",
    "other",
)

# A home in the Inland Empire sells for more than this and less than that; other figures in a
# message are square feet, years, payments or street numbers.
MIN_PRICE = 30_000
MAX_PRICE = 20_000_000


@dataclass(frozen=True, kw_only=True)
class SellerAnswers:
    """What one message told us; empty values are "not said"."""

    address: str = ""
    city: str = ""
    permission: bool | None = None
    motivation: str = ""
    motivation_kind: str = ""
    condition: str = ""  # SellerQualification.Condition values
    condition_notes: str = ""
    occupancy: str = ""  # SellerQualification.Occupancy values
    price: int | None = None
    price_unsure: bool = False  # "no idea, you tell me" to the price question

    @property
    def empty(self) -> bool:
        return not self.said()

    def said(self) -> dict:
        """The answers actually given, by field name (a "no" to the permission counts)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) not in ("", None)
            and not (f.name == "price_unsure" and not self.price_unsure)
        }


# --------------------------------------------------------------------------------------------
# Address
# --------------------------------------------------------------------------------------------

_SUFFIX = (
    r"(?:street|st|avenue|ave|av|road|rd|drive|dr|boulevard|blvd|lane|ln|court|ct|way|place|pl|"
    r"circle|cir|parkway|pkwy|terrace|ter|trail|trl|highway|hwy|loop|square|sq|row|run|path|"
    r"crossing|xing|point|pt|ridge|glen|grove|heights|hts|hill|hills|view|vista)"
)
_SPANISH_STREET = r"(?:calle|avenida|av|avda|camino|paseo|via|calzada|privada|cerrada|circuito)"
_WORD = r"[^\W\d_][\w'.-]*"
# A word of a street name: "N.", "Magnolia", "5th"; never a word that starts the next clause.
_STREET_WORD = (
    r"(?:(?!(?:and|or|in|en|y|o|is|its|it|the|we|i|but|pero|es|with|con|my|our|mi|sure|yes|si|"
    rf"claro|ok)\b){_WORD}|\d{{1,3}}(?:st|nd|rd|th)\b)"
)
_NUMBER = r"(?<![\d$,.])(?P<number>\d{1,6}[a-z]?)(?![\d,]|\.\d)"
_UNIT = r"(?:\s*,?\s*(?:apt|apartment|unit|suite|ste|#|no\.?|num\.?)\s*[\w-]+)?"
# "1234 Magnolia Ave", "1234 N. Magnolia Avenue", "4521 w 5th st", "5678 Calle Sol", "Calle Sol 5678"
_ADDRESS_PATTERNS = (
    # Greedy, so "12345 Mountain View Dr" keeps its last street word ("view" is one too).
    re.compile(
        rf"{_NUMBER}\s+(?P<street>(?:{_STREET_WORD}\s+){{0,4}}{_SUFFIX})\.?(?=\W|$){_UNIT}",
        re.IGNORECASE,
    ),
    re.compile(
        rf"{_NUMBER}\s+(?P<street>{_SPANISH_STREET}\.?\s+{_WORD}(?:\s+(?!en\b|in\b){_WORD}){{0,2}})"
        rf"{_UNIT}",
        re.IGNORECASE,
    ),
    re.compile(
        rf"(?P<street>\b{_SPANISH_STREET}\.?\s+{_WORD}(?:\s+{_WORD}){{0,2}}?)\s+(?:#\s*)?"
        rf"(?<![\d$])(?P<number>\d{{1,6}})(?!\d)",
        re.IGNORECASE,
    ),
)
# A number and one to three words ("1234 Magnolia"): an address as the answer to "what's the
# address?", or, unasked, when a city, the state or a zip code follows it and a zip ends it.
_BARE_ADDRESS = re.compile(
    rf"{_NUMBER}\s+(?P<street>{_STREET_WORD}(?:\s+{_STREET_WORD}){{0,2}})", re.IGNORECASE
)
_END_OF_ANSWER = re.compile(r"^\s*(?:,|\.|$|\bin\b|\ben\b)", re.IGNORECASE)
_ZIP = re.compile(r"(?<![\d$,.])\d{5}(?:-\d{4})?(?![\d,])")
_STATE_OR_ZIP = re.compile(
    r"^\s*,?\s*(?:(?:ca|calif|california)\b\.?\s*,?\s*(?:\d{5}(?:-\d{4})?)?|\d{5}(?:-\d{4})?)"
    r"(?![\w-])",
    re.IGNORECASE,
)
# Words that make "1234 something" a quantity, not a street.
_NOT_A_STREET = re.compile(
    r"^(?:k|mil|thousand|grand|million|millon|millones|dollars?|dolares|bucks|usd|sq|sqft|"
    r"square|feet|ft|pies|metros|beds?|bedrooms?|br|baths?|bathrooms?|ba|recamaras?|cuartos?|"
    r"banos?|years?|yrs?|anos?|months?|meses|weeks?|semanas?|days?|dias|percent|por|of|de|"
    r"or|o|and|y|to|a|homes?|houses?|casas?|units?|people|kids|hijos)\b",
    re.IGNORECASE,
)
_CITY_LEAD = re.compile(r"^\s*(?:,|\s+in\s+|\s+en\s+|\s+-\s+)\s*", re.IGNORECASE)
_CITY_WORDS = re.compile(r"(?P<city>[A-ZÁÉÍÓÚÑ][\w'.-]*(?:\s+[A-ZÁÉÍÓÚÑ][\w'.-]*){0,2})")
# "norwalk ca 90650", "Moreno Valley 92557": the words before the state or the zip are the city.
_CITY_BEFORE_STATE = re.compile(
    rf"^\s*(?P<city>{_WORD}(?:\s+{_WORD}){{0,2}}?)\s*,?\s*(?:(?:ca|calif|california)\b|\d{{5}}(?!\d))",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[,;:!?\n]|\.(?:\s|$)")
_STATES = {"ca", "california", "calif", "cal", "usa", "us"}


def _city_after(raw: str, end: int) -> str:
    """The city named right after an address ("…Ave, Riverside", "…Sol en Fontana",
    "…st riverside ca 92503")."""
    rest = raw[end:]
    lead = _CITY_LEAD.match(rest)
    # The city ends with its clause: "…Ave, Riverside. Sure, go ahead" names Riverside.
    segment = _CLAUSE_END.split(rest[lead.end() if lead else 0 :], maxsplit=1)[0]
    known = area_at_start(segment)
    if known:
        return known
    before_state = _CITY_BEFORE_STATE.match(segment)
    if before_state and fold(before_state["city"]) not in _STATES:
        return _tidy(before_state["city"])
    if not lead:
        return ""  # words after the street with no comma are only a city when we know it
    match = _CITY_WORDS.match(segment)
    if match:
        words = [w.strip(".") for w in match["city"].split()]
        while words and fold(words[-1]) in _STATES:
            words.pop()
        if words and fold(words[0]) not in _STATES:
            return " ".join(words)
    return ""


def _tidy(street: str) -> str:
    street = " ".join(street.replace(" ,", ",").split()).strip(" ,")
    if not street.islower():
        return street
    # Typed in lower case: capitalise each word, but "5th" stays "5th".
    return " ".join(word[:1].upper() + word[1:] for word in street.split())


def _without_city(street: str) -> str:
    """ "Calle Sol Fontana" → "Calle Sol": a known city typed after the street is not part of it."""
    words = street.split()
    for cut in range(2, len(words)):
        if area_at_start(" ".join(words[cut:])):
            return " ".join(words[:cut])
    return street


def _bare_address(raw: str, *, expecting: str) -> re.Match | None:
    """ "1234 Magnolia, Riverside" (answering Q0) or "1234 maple riverside ca 92503"."""
    for match in _BARE_ADDRESS.finditer(raw):
        words = list(re.finditer(r"\S+", match["street"]))
        for word in words:
            end = match.start("street") + word.end()
            after = raw[end:]
            if expecting == Q0_ADDRESS:
                followed = bool(
                    _STATE_OR_ZIP.match(after)
                    or area_at_start(after)
                    or _END_OF_ANSWER.match(after)
                )
            else:  # unasked, only with a zip code: "1234 maple riverside ca 92503"
                followed = bool(_STATE_OR_ZIP.match(after) or area_at_start(after)) and bool(
                    _ZIP.search(_CLAUSE_END.split(after, maxsplit=1)[0])
                )
            if followed:
                return _BARE_ADDRESS.match(raw, match.start(), end)
    return None


def extract_address(text: str, *, expecting: str = "") -> tuple[str, str]:
    """The street address and city in ``text`` (``("", "")`` when none)."""
    raw = text.replace("\u00a0", " ")
    matches = [m for pattern in _ADDRESS_PATTERNS for m in pattern.finditer(raw)]
    bare = _bare_address(raw, expecting=expecting)
    for match in [*matches, *([bare] if bare else [])]:
        street = _without_city(match["street"])
        if _NOT_A_STREET.match(street):
            continue
        street_end = match.start("street") + len(street)
        number = match["number"]
        address = (
            f"{number} {_tidy(street)}"
            if match.start("number") < match.start("street")
            else f"{_tidy(street)} {number}"
        )
        # Unit numbers belong to the address; keep what the lead typed after the street.
        end = match.end() if street_end == match.end("street") else street_end
        tail = raw[match.end("street") : end].strip(" ,.")
        if tail and not tail.isdigit():
            address = f"{address} {tail}"
        return address[:255], _city_after(raw, end)[:100]
    return "", ""


# --------------------------------------------------------------------------------------------
# Permission ("may I ask a few questions?")
# --------------------------------------------------------------------------------------------

_YES = re.compile(
    r"^(?:yes|yeah|yea|yep|yup|sure|ok|okay|k|of course|go ahead|fine|absolutely|definitely|"
    r"no problem|sounds good|please|shoot|ask away|si|claro|claro que si|por supuesto|adelante|"
    r"dale|esta bien|con gusto|orale|pregunte|pregunta|digame|va)\b"
)
_NO = re.compile(
    r"^(?:no|nope|nah|no thanks|no thank you|rather not|id rather not|prefer not|i prefer not|"
    r"no gracias|prefiero no|mejor no)\b"
)


def extract_permission(text: str) -> bool | None:
    """``True`` for "sure / claro", ``False`` for "no thanks / prefiero no", else ``None``."""
    clean = normalize(text).strip(" .!,")
    if _NO.match(clean) and not _YES.match(clean):
        return False
    if _YES.match(clean):
        return True
    return None


# --------------------------------------------------------------------------------------------
# Motivation
# --------------------------------------------------------------------------------------------

_MOTIVATIONS: tuple[tuple[str, re.Pattern], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            "divorce",
            r"\b(?:divorc\w*|separat(?:ed|ing|ion)|split(?:ting)? up|breaking up|"
            r"divorcio|divorciando|divorciamos|separacion|separando|nos separamos|separados)\b",
        ),
        (
            "inheritance",
            r"\b(?:inherit\w*|inheritance|passed away|probate|estate sale|my (?:late )?"
            r"(?:mom|mother|dad|father|parents|grandma|grandmother|grandpa|grandfather|aunt|uncle)s "
            r"(?:house|home)|herede|heredamos|herencia|heredada|heredado|fallecio|murio|"
            r"sucesion|intestado)\b",
        ),
        (
            "retirement",
            r"\b(?:retir(?:e|ed|ing|ement)|jubil\w*|me retiro|retiro)\b",
        ),
        (
            "relocation",
            r"\b(?:relocat\w*|moving (?:out of state|to|away|back|for)|job (?:transfer|offer)|"
            r"new job|transferred|got transferred|military|pcs orders|out of state|"
            r"nos mudamos|nos vamos a mudar|mudarnos|mudarme|me mudo|mudanza|me transfieren|"
            r"nos transfieren|trabajo nuevo|nuevo trabajo|otro estado|regresamos a|regresarnos a|"
            r"closer to (?:family|my|our|the kids|work)|cerca de (?:la|mi|mis|nuestra|nuestros) "
            r"(?:familia|hijos|hija|hijo|trabajo))\b",
        ),
        (
            "upsizing",
            r"\b(?:bigger|larger|more (?:space|room|bedrooms)|need (?:more )?room|"
            r"growing family|family is growing|baby on the way|outgrown|outgrew|upsiz\w*|"
            r"mas grande|mas espacio|mas cuartos|mas recamaras|familia (?:esta )?creciendo|"
            r"ya no cabemos|viene (?:un|otro) bebe)\b",
        ),
        (
            "downsizing",
            r"\b(?:downsiz\w*|smaller|too big|too much (?:house|space|upkeep)|empty nest\w*|"
            r"kids (?:moved out|are gone|left)|mas pequen[ao]|mas chic[ao]|mas chiquit[ao]|"
            r"muy grande para|demasiado grande|los hijos ya se fueron)\b",
        ),
        (
            "financial",
            r"\b(?:cant afford|can not afford|cannot afford|behind on (?:the )?(?:payments|mortgage)|"
            r"foreclos\w*|debts?|bills|financial\w*|money (?:problems|issues|is tight)|"
            r"lost (?:my|our) job|medical bills|payments? (?:are|is) too high|"
            r"keep up with (?:the )?(?:payments|mortgage)|ya no (?:podemos|puedo) con (?:los )?pagos|"
            r"no (?:podemos|puedo) pagar|atrasad[oa]s? (?:en|con) (?:los )?pagos|deudas?|"
            r"problemas (?:de dinero|economicos|financieros)|perdi (?:mi|el) trabajo|"
            r"hipoteca (?:muy|esta muy) (?:alta|cara))\b",
        ),
        (
            "investment",
            r"\b(?:investment|rental (?:property|house|home)|cash out|take (?:my|our|the) profits?|"
            r"sell (?:while|since) (?:the )?(?:market|prices)|market is (?:hot|high|good)|"
            r"prices are (?:high|good|up)|tired of (?:being a )?landlord|flip|"
            r"inversion|propiedad de renta|casa de renta|aprovechar (?:el mercado|los precios)|"
            r"precios (?:estan )?altos)\b",
        ),
    )
)
_NEGATED = re.compile(r"\b(?:not|no|dont|never|nunca|isnt|arent|wasnt|ni)\s+(?:\w+\s+){0,2}$")
# A reason offered in words the table does not know: "because …", "porque …".
_REASON_CUE = re.compile(
    r"\b(?:because|since|due to|we want to|we need to|i want to|i need to|time for|ready for|"
    r"porque|ya que|por que|queremos|necesitamos|quiero|necesito)\b"
)


# Words of a reply that only acknowledges ("ok perfecto, thank you"): never a reason to sell.
_ACKNOWLEDGEMENT_WORDS = wordset(
    """ok okay k perfect perfecto perfecta great cool nice good sure yes yeah yep si claro bueno
    vale thanks thank you gracias muchas many so much got it sounds listo va dale de nada hi hello
    hola buenas igualmente"""
)


def extract_motivation(text: str, *, expecting: str = "") -> tuple[str, str]:
    """Why they sell: ``(what they said, kind)``; ``("", "")`` when the message gives no reason."""
    clean = normalize(text)
    for kind, pattern in _MOTIVATIONS:
        for match in pattern.finditer(clean):
            if not _NEGATED.search(clean[max(0, match.start() - 40) : match.start()]):
                return text.strip()[:500], kind
    asks_back = clean.rstrip().endswith("?")
    only_thanks = set(re.findall(r"[a-z]+", clean)) <= _ACKNOWLEDGEMENT_WORDS
    if (
        expecting == Q1_MOTIVATION
        and not asks_back
        and not only_thanks
        and (_REASON_CUE.search(clean) or len(clean.split()) >= 4)
    ):
        return text.strip()[:500], "other"
    return "", ""


# --------------------------------------------------------------------------------------------
# Condition and occupancy
# --------------------------------------------------------------------------------------------

_CONDITIONS = (
    # Negated needs come first: "doesn't need any repairs" is move-in ready.
    (
        "move_in_ready",
        r"\b(?:(?:doesnt|does not|dont|do not) need (?:any(?:thing)?|much|a thing)|"
        r"no (?:repairs|work) (?:needed|necessary)|nothing to (?:fix|repair)|nothing major|"
        r"no (?:major )?(?:issues|problems|repairs)|"
        r"no necesita (?:nada|reparaciones|arreglos)|no hay que (?:arreglar|reparar) nada|"
        r"nada grave|nada (?:que|de) arreglar)\b",
    ),
    (
        "needs_repairs",
        r"\b(?:(?:major|big|lots? of|serious|extensive|significant) (?:repairs?|work|issues|damage)|"
        r"a lot of (?:work|repairs)|fixer(?:[- ]upper)?|needs (?:a )?(?:new )?(?:roof|foundation)|"
        r"(?:roof|foundation|plumbing) (?:leaks?|issues|problems|damage)|leaky roof|"
        r"water damage|fire damage|mold|gut(?:ted)?|tear ?down|as[- ]is|"
        r"(?:muchas|grandes|varias) reparaciones|mucho trabajo|necesita (?:un )?techo nuevo|"
        r"(?:el )?techo (?:gotea|tiene goteras|esta mal)|goteras|cimientos|dano(?:s)? (?:de|por) agua|"
        r"moho|incendio|para remodelar toda|tal como esta)\b",
    ),
    (
        "needs_updates",
        r"\b(?:needs? (?:some |a few |minor |a little )?(?:updat\w*|work|tlc|love|paint|"
        r"repairs?|fixing|touch[- ]?ups?)|(?:some|minor|small|a few|cosmetic) "
        r"(?:updates|repairs|fixes|work|issues|things)|dated|outdated|original (?:kitchen|bathrooms?|"
        r"condition)|(?:needs|could use) (?:new )?(?:carpet|flooring|paint)|"
        r"(?:algunos|unos|pequenos) (?:arreglos|detalles|reparaciones)|"
        r"le faltan? (?:algo de |un poco de |unos |algunos )?(?:trabajo|arreglos|detalles|pintura)|"
        r"necesita (?:algo de |un poco de )?"
        r"(?:trabajo|pintura|arreglos|actualizacion\w*|remodel\w*)|detallitos|anticuad[ao])\b",
    ),
    (
        "move_in_ready",
        r"\b(?:move[- ]?in ready|ready to move in|turn ?key|great (?:condition|shape)|"
        r"good (?:condition|shape)|excellent (?:condition|shape)|perfect (?:condition|shape)|"
        r"like new|well maintained|updated|remodeled|renovated|upgraded|new (?:kitchen|roof|floors)|"
        r"immaculate|pristine|"
        r"lista para (?:entrar|vivir|mudarse|habitar)|para entrar a vivir|(?:buen|excelente) estado|"
        r"buenas condiciones|excelentes condiciones|remodelad[ao]|renovad[ao]|remodelamos|"
        r"renovamos|como nueva|bien cuidad[ao]|impecable)\b",
    ),
)
_CONDITION_PATTERNS = tuple((kind, re.compile(p)) for kind, p in _CONDITIONS)
_OCCUPANCY = tuple(
    (kind, re.compile(p))
    for kind, p in (
        (
            "tenant",
            r"\b(?:tenants?|renters?|rented(?: out)?|renting (?:it )?out|leased|lease|"
            r"inquilinos?|rentada|rentado|la rento|la rentamos|rentandola|la estamos rentando|"
            r"arrendatari\w*)\b",
        ),
        (
            "vacant",
            r"\b(?:vacant|empty|nobody lives|no one lives|no one living|nobody living|"
            r"desocupada|vacia|nadie vive|sola|esta sola)\b",
        ),
        (
            "owner",
            r"\b(?:(?:we|i) (?:still )?live (?:in it|there|here|in the house|in the home)|"
            r"(?:we|i)(?:re| are| am|m) (?:still )?living (?:in it|there|here)|"
            r"owner[- ]occupied|(?:we|i) live in it|"
            r"(?:vivimos|vivo) (?:ahi|ahi mismo|alli|en ella|aqui|en la casa)|"
            r"(?:nosotros|yo) (?:la )?vivimos)\b",
        ),
    )
)


# Only as the answer to "how would you describe the home?": "good", "all good, ...", "muy bien".
_SHORT_GOOD = re.compile(
    r"^(?:(?:its|it is|the house is|all|pretty|really|very|muy|esta|la casa esta|es|todo)\s+)*"
    r"(?:good|fine|great|nice|excellent|perfect|buena|bien|excelente|bonita|perfecta)$"
)


def extract_condition(text: str, *, expecting: str = "") -> str:
    """The home's condition (``move_in_ready``, ``needs_updates``, ``needs_repairs``) or ``""``."""
    clean = normalize(text)
    for kind, pattern in _CONDITION_PATTERNS:
        if pattern.search(clean):
            return kind
    first_clause = re.split(r"[,.;!?]", clean, maxsplit=1)[0].strip()
    if expecting == Q3_CONDITION and _SHORT_GOOD.match(first_clause):
        return "move_in_ready"
    return ""


def extract_occupancy(text: str) -> str:
    """Who lives there (``owner``, ``tenant``, ``vacant``) or ``""``."""
    clean = normalize(text)
    for kind, pattern in _OCCUPANCY:
        if pattern.search(clean):
            return kind
    return ""


# --------------------------------------------------------------------------------------------
# Price expectation
# --------------------------------------------------------------------------------------------

_AMOUNT = re.compile(
    r"(?P<dollar>\$\s?)?(?<![\d.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s?(?:-|to|a|y|or|o)\s?\$?(?P<n2>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?))?"
    r"\s?(?P<unit>k|grand|thousand|mil|mm|m|million|millions|millon|millones)?(?![a-z0-9])"
)
_NOT_PRICE_AFTER = re.compile(
    r"^\s?(?:sq|sqft|square|feet|ft|pies|metros|beds?|bedrooms?|br|bd|baths?|bathrooms?|ba|"
    r"recamaras?|cuartos?|banos?|years?|yrs?|anos?|months?|meses|weeks?|semanas?|days?|dias|"
    r"%|percent|por ciento|car|garage|stor(?:y|ies)|pisos?|acres?)\b"
)
# Figures that are not what they want for the home: what they owe, paid, or pay a month.
_NOT_EXPECTATION_BEFORE = re.compile(
    r"\b(?:owe|owed|mortgage|payoff|pay off|loan|balance|paid|bought (?:it )?(?:for|at)|"
    r"purchased (?:it )?(?:for|at)|debo|debemos|hipoteca|pagamos|pague|compramos|compre|"
    r"prestamo|per month|a month|al mes|mensual)\b[^.;!?,]{0,25}$"
)
_WANT_CUE = re.compile(
    r"\b(?:want|wanting|would want|like to get|get|hoping|hope|expect|expecting|asking|ask|"
    r"at least|minimum|list (?:it )?(?:for|at)|sell (?:it )?for|around|about|looking for|"
    r"need|happy with|price|quiero|queremos|quisiera|espero|esperamos|pedir|pido|sacar|"
    r"minimo|al menos|por lo menos|unos|alrededor|como|vender(?:la|lo)? en|precio)\b"
)
_UNSURE = re.compile(
    r"\b(?:not sure|no idea|dont know|do not know|idk|unsure|no clue|you tell me|"
    r"whatever (?:its|it is) worth|whatever the market|what do you think|whats it worth|"
    r"what is it worth|market value|no se|no sabemos|ni idea|no tengo idea|usted (?:digame|dime)|"
    r"lo que (?:valga|vale)|cuanto vale|lo que diga el mercado)\b"
)


def _value(number: str, unit: str, *, bare_ok: bool) -> int | None:
    amount = float(number.replace(",", ""))
    unit = unit or ""
    if unit in ("k", "grand", "thousand", "mil"):
        # "1.5 mil" is English slang for millions; "600 mil" is Spanish for thousands.
        amount *= 1_000_000 if unit == "mil" and amount < 10 else 1_000
    elif unit:
        amount *= 1_000_000
    elif amount < MIN_PRICE:
        if not bare_ok:
            return None
        # A bare "650" answering "what price do you have in mind?" means thousands.
        amount *= 1_000 if amount >= 50 else 1_000_000
    value = round(amount)
    return value if MIN_PRICE <= value <= MAX_PRICE else None


def _blank(text: str, pattern: str) -> str:
    """``text`` with the first match of ``pattern`` blanked out, keeping every position."""
    return re.sub(pattern, lambda m: " " * len(m.group()), text, count=1)


def extract_price(text: str, *, expecting: str = "") -> tuple[int | None, bool]:
    """The price they expect, in dollars, and whether they said they are unsure of it."""
    clean = normalize(text)
    address, _ = extract_address(text, expecting=expecting)
    if address:
        # The street number and the zip code are not prices.
        number = address.split()[0] if address[0].isdigit() else address.split()[-1]
        clean = _blank(clean, rf"(?<![\d$,.]){re.escape(number.lower())}(?![\d,])")
        clean = _blank(clean, _ZIP.pattern)
    # The budget for a home they buy is not the price of the home they sell.
    buying = buying_spans(text)
    corrected_from = correction_start(clean)
    candidates: list[tuple[bool, int, int]] = []
    for match in _AMOUNT.finditer(clean):
        if _NOT_PRICE_AFTER.match(clean[match.end() :]):
            continue
        if any(start < match.end() and match.start() < end for start, end in buying):
            continue
        before = clean[max(0, match.start() - 60) : match.start()]
        if _NOT_EXPECTATION_BEFORE.search(before):
            continue
        unit = match["unit"] or ""
        marked = bool(unit or match["dollar"] or "," in match["n"])
        bare_ok = expecting == Q4_PRICE or bool(match["dollar"])
        low = _value(match["n"], unit, bare_ok=bare_ok or marked)
        high = _value(match["n2"], unit, bare_ok=bare_ok or marked) if match["n2"] else None
        if low is None and high is None:
            continue
        if low is not None and high is not None:
            # "600-650k": a suffix on the second figure applies to the first; take the middle.
            value = (low + high) // 2 if low <= high else high
        else:
            value = low if low is not None else high
        if not marked and not _WANT_CUE.search(before[-30:]) and expecting != Q4_PRICE:
            continue
        candidates.append((bool(_WANT_CUE.search(before[-30:])), value, match.start()))
    if corrected_from:
        # "I'd want 700k, actually make that 680k": the corrected figure replaces the first.
        candidates = [c for c in candidates if c[2] >= corrected_from] or candidates
    if candidates:
        # A figure after "I want", "at least", "quiero" beats a figure said in passing.
        cued = [value for has_cue, value, _ in candidates if has_cue]
        return (cued[0] if cued else candidates[-1][1]), False
    return None, expecting == Q4_PRICE and bool(_UNSURE.search(clean))


# --------------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------------


def extract_seller_answers(text: str, *, expecting: str = "") -> SellerAnswers:
    """Every seller answer in ``text``; ``expecting`` is the question the bot asked last."""
    address, city = extract_address(text, expecting=expecting)
    motivation, kind = extract_motivation(text, expecting=expecting)
    condition = extract_condition(text, expecting=expecting)
    occupancy = extract_occupancy(text)
    price, unsure = extract_price(text, expecting=expecting)
    permission = extract_permission(text) if expecting == Q0_ADDRESS else None
    if address:
        permission = True  # giving the address is agreeing to talk about the home
    if motivation and kind == "other" and (address or condition or price):
        # A long answer to the motivation question that answered something else instead.
        motivation, kind = "", ""
    notes = text.strip()[:500] if condition else ""
    return SellerAnswers(
        address=address,
        city=city,
        permission=permission,
        motivation=motivation,
        motivation_kind=kind,
        condition=condition,
        condition_notes=notes,
        occupancy=occupancy,
        price=price,
        price_unsure=unsure,
    )
