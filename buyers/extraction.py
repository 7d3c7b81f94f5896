"""What a buyer's message answers, read deterministically in English and Spanish.

The buyer bot asks about financing (pre-approval with its lender and amount, or cash), the down
payment, the areas, beds and baths, must-haves and the property type. This module reads those
answers from one message with rules over accent-folded text, no network and no model. The
budget and the timeline are not read here: the lead analysis reads them from every message
and keeps them on the contact (``budget_min``/``budget_max``, ``timeline``); the bot reuses them.

``expecting`` names the question the bot asked last (a ``BuyerProfile.Stage`` value); a few
readings only make sense as the answer to it: "yes" / "todavía no" / "cash" to the financing
question, "3/2" or a bare "3" to the rooms question, "nothing in particular" to the
must-haves, a city we do not know by name to the areas question.

Social security, account, routing and card numbers, and the markers that replace them once
redacted ("[redacted ssn]"), are never read as anything: they are blanked before the rules run,
and the message is flagged ``sensitive`` so the bot never takes it as proof of financing.
"""

import re
from dataclasses import dataclass, fields
from decimal import Decimal

from compliance.rules.keywords import classify_keyword
from leads.intelligence.offline import areas_named, read_answer
from leads.intelligence.text import fold, normalize, wordset

# The questions, as BuyerProfile.Stage values.
FINANCING = "financing"
PREAPPROVAL_DETAILS = "preapproval_details"
BUDGET = "budget"
DOWN_PAYMENT = "down_payment"
AREAS = "areas"
ROOMS = "rooms"
MUST_HAVES = "must_haves"
TIMELINE = "timeline"

PRE_APPROVED = "pre_approved"
PREQUALIFIED = "prequalified"
NOT_YET = "not_yet"

MIN_PRICE = 50_000
MAX_PRICE = 20_000_000


@dataclass(frozen=True, kw_only=True)
class BuyerAnswers:
    """What one message told us; empty values are "not said"."""

    preapproval_status: str = ""  # pre_approved, prequalified or not_yet
    lender: str = ""
    preapproval_amount: int | None = None
    cash: bool | None = None
    down_payment_amount: int | None = None
    down_payment_percent: Decimal | None = None
    cities: tuple[str, ...] = ()
    flexible_area: bool = False  # "anywhere", "donde sea"
    beds_min: int | None = None
    baths_min: Decimal | None = None
    property_types: tuple[str, ...] = ()
    must_haves: tuple[str, ...] = ()
    must_haves_text: str = ""  # a wish we have no name for, in the buyer's words (when asked)
    no_must_haves: bool = False  # "nothing in particular" to the must-haves question
    unsure: bool = False  # "not sure", "no sé": the question asked has no answer yet
    sensitive: bool = False  # an SSN, account or card number, or a redaction marker

    def said(self) -> dict:
        """The answers actually given, by field name (flags only when set)."""
        said = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("unsure", "sensitive") or value is None:
                continue
            if isinstance(value, str | tuple) and not value:
                continue
            if value is False and f.name != "cash":  # a flag that is not set
                continue
            said[f.name] = value
        return said


# --------------------------------------------------------------------------------------------
# Sensitive numbers: never facts
# --------------------------------------------------------------------------------------------

# "[SSN removed]", "[redacted: account]", "<removed>": what a redactor leaves behind.
_REDACTION_MARKER = re.compile(
    r"[\[<({][^\]>)}\n]{0,40}\b(?:redact\w*|removed|oculto|ocultad[oa]|eliminad[oa]|"
    r"censurad[oa]|retirad[oa]|quitad[oa])\b[^\]>)}\n]{0,40}[\]>)}]|\bredact(?:ed|ado|ada)\b",
    re.IGNORECASE,
)
_SSN = re.compile(r"(?<![\d$])\d{3}[-\s.]\d{2}[-\s.]\d{4}(?!\d)")
# Eight or more digits in a row (dashes or single spaces between): accounts, routing and card
# numbers, phones. None of them is ever an amount.
_DIGIT_RUN = re.compile(r"(?<![\d$,.])\d(?:[\s-]?\d){7,}(?![\d,])")
_SENSITIVE_WORDS = re.compile(
    r"\b(?:ssn|social security|social sec|seguro social|itin|account (?:number|no|#)|acct|"
    r"routing|card number|credit card|debit card|cvv|cvc|numero de cuenta|cuenta bancaria|"
    r"numero de tarjeta|tarjeta de credito|tarjeta de debito|date of birth|dob|"
    r"fecha de nacimiento)\b"
)


def _blank(text: str, pattern: re.Pattern) -> str:
    return pattern.sub(lambda match: " " * len(match.group()), text)


def _without_sensitive(text: str) -> tuple[str, bool]:
    """``text`` with sensitive numbers and redaction markers blanked, and whether it had any."""
    folded = fold(text)
    sensitive = bool(
        _REDACTION_MARKER.search(text)
        or _SSN.search(text)
        or _SENSITIVE_WORDS.search(folded)
        or any(len(re.sub(r"\D", "", m.group())) >= 12 for m in _DIGIT_RUN.finditer(text))
    )
    for pattern in (_REDACTION_MARKER, _SSN, _DIGIT_RUN):
        text = _blank(text, pattern)
    return text, sensitive


# --------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------

_MONEY = re.compile(
    r"(?<![\w.,$])(?P<dollar>\$\s?)?(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<unit>k|mm|m|mil|mill|million|millions|millon|millones|thousand|grand)\b)?"
    r"(?:\s?(?:dollars|dolares|usd)\b)?"
)
_THOUSANDS = frozenset({"k", "thousand", "grand"})
_MILLIONS = frozenset({"m", "mm", "mill", "million", "millions", "millon", "millones"})


def _money_value(match: re.Match, *, bare_thousands: bool) -> int | None:
    """Dollars of one amount ("450k", "$1.2M", "450 mil", "$60,000"); None when it is not one.

    ``bare_thousands``: a bare 50-999 means thousands ("approved for 500").
    """
    number, unit = match["n"], match["unit"]
    value = float(number.replace(",", ""))
    if unit in _THOUSANDS:
        value *= 1_000
    elif unit == "mil":
        # Spanish "450 mil" is thousands; "1.5 mil" can only mean millions.
        value *= 1_000_000 if value < 10 else 1_000
    elif unit in _MILLIONS:
        value *= 1_000_000 if value < 50 else 1_000
    elif "," in number or value >= 10_000:
        pass
    elif bare_thousands and 50 <= value < 1000:
        value *= 1_000
    else:
        return None
    return round(value)


# --------------------------------------------------------------------------------------------
# Financing: pre-approval (lender, amount), pre-qualification, cash, not yet
# --------------------------------------------------------------------------------------------

_APPROVAL = re.compile(
    r"\b(?P<w>pre[- ]?approv(?:ed|al|als)?|pre[- ]?aprob(?:ad[oa]s?|acion)|"
    r"pre[- ]?qualif(?:ied|ication)|pre[- ]?calific(?:ad[oa]s?|acion))\b"
    r"|\b(?:got|been|were|was|am|im|are|already|just|ya|credito|estoy|estamos|tengo|tenemos|"
    r"salimos|sali|fuimos|fui)\s+(?P<w2>approved|aprobad[oa]s?)\b"
    r"|\b(?P<w3>approved|aprobad[oa]s?)(?=\s+(?:for|with|by|up to|thru|through|at|por|con|"
    r"hasta|para)\b)"
    r"|\b(?:have|got|has|tengo|tenemos)\s+(?:a |an |my |our |the |una |la |mi |nuestra )?"
    r"(?P<w4>approval(?: letter)?|carta de aprobacion|aprobacion)\b"
)
# Before the word: it is not (yet) a fact, or it is the lead asking about it.
_APPROVAL_NEGATED = wordset("""not no never havent hasnt dont didnt isnt arent aint wasnt werent without sin ni nunca
    todavia aun tampoco""")
_APPROVAL_FUTURE = wordset("""need needs needed want wanna gotta get getting will gonna going plan planning try trying
    working help can could how should would start started starting apply applying applied
    necesito necesitamos quiero queremos voy vamos puede pueden podria ayudar ayudarme ayudarnos
    como tramitando tramite sacar solicitar solicite aplicar aplique empezar""")
# "for the pre-approval", "about pre-approval": talk about it, not a statement of it.
_APPROVAL_TOPIC = re.compile(
    r"\b(?:for|about|on|regarding|para|sobre)\s+(?:the |a |my |our |la |el |mi |una )?$"
)
_NOT_YET_AFTER = re.compile(r"\s*[?:-]?\s*(?:not yet|todavia no|aun no|no aun|nope)\b")
_NOT_YET = re.compile(
    r"\b(?:no lender(?: yet)?|no financing(?: yet)?|dont have (?:a |any )?(?:lender|financing)|"
    r"(?:havent|have not|didnt|not yet) (?:talked|spoken|spoke|gone|reached out|contacted) "
    r"(?:to |with )?(?:a |an |any |the )?(?:lender|bank|loan officer)|"
    r"need (?:a |to find a )?(?:lender|loan officer)|need (?:help with )?financing|"
    r"no (?:tengo|tenemos) (?:un |una |ningun |ninguna )?(?:prestamista|lender|banco|"
    r"financiamiento)|no (?:he |hemos )?(?:hablado|hablo|hablamos|ido|voy|vamos|contactado|"
    r"consultado) (?:con|a|al) (?:un |una |ningun |ninguna |el |la |algun |alguna )?"
    r"(?:prestamista|banco|lender)|necesito (?:un |una )?(?:prestamista|lender|financiamiento))\b"
)
_CASH = re.compile(
    r"\bcash (?:buyer|buyers|offer|purchase|deal)\b"
    r"|\b(?:paying|pay|buying|buy it|purchase|purchasing|pagar|pago|pagaria|pagariamos|"
    r"pagamos|pagaremos|comprar|comprarla|compraria|comprariamos)\s+(?:it\s+|la\s+)?"
    r"(?:all\s+|in\s+|with\s+|en\s+|con\s+|de\s+|al\s+)?(?:cash|efectivo|contado)\b"
    r"|\ball cash\b|\ben efectivo\b|\bde contado\b|\bal contado\b|\bin cash\b"
)
_CASH_ANSWER = re.compile(
    r"^(?:(?:we(?:ll| will)?|i(?:ll| will)?|im|were|seria|sera|vamos a|voy a)\s+)?"
    r"(?:(?:pay|paying|pagar|pago)\s+)?(?:all\s+|in\s+|en\s+|de\s+|al\s+)?"
    r"(?:cash|efectivo|contado)(?:\s+(?:actually|really|la verdad))?$"
)
_CASH_NEGATED = wordset(
    "not no never dont cant cannot wont wouldnt isnt without sin ni nunca tampoco"
)

_LENDER_LEAD = re.compile(
    r"^\s*(?:letter\s+|carta\s+)?(?:(?:for|of|por|de|up to|hasta)\s+\$?\s?[\d.,]+\s?"
    r"(?:k|m|mil|thousand|million|millones)?\s+)?"
    r"(?:with|through|thru|by|from|con|via|de parte de|por parte de|at)\s+"
    r"(?:the |my |our |a |an |el |la |mi |un |una |nuestro |nuestra )?"
)
_LENDER_WORD = re.compile(r"[ ]*([a-z][a-z0-9&'-]*)")
_LENDER_STOP = wordset("""for por para up hasta and y but pero at around about approx unos unas so too also tambien
    already ya last this that que we i is it was en in on a an the my our el la mi to yet now
    ahorita ahora pre-approved preaprobado preaprobada approved aprobado aprobada letter carta
    since desde back hace ago with con""")
_GENERIC_LENDERS = wordset("""lender lenders bank banco banks prestamista prestamistas broker lender-broker loan-officer
    mortgage""")
_KNOWN_LENDERS = {
    "chase": "Chase",
    "wells fargo": "Wells Fargo",
    "bank of america": "Bank of America",
    "boa": "Bank of America",
    "rocket": "Rocket Mortgage",
    "rocket mortgage": "Rocket Mortgage",
    "us bank": "U.S. Bank",
    "usaa": "USAA",
    "navy federal": "Navy Federal",
    "citi": "Citi",
    "citibank": "Citibank",
    "guild": "Guild Mortgage",
    "guild mortgage": "Guild Mortgage",
    "loandepot": "loanDepot",
    "loan depot": "loanDepot",
    "uwm": "UWM",
    "fha": "FHA",
    "va": "VA",
}
_LOWER_WORDS = frozenset({"of", "de", "del", "la", "and", "y"})


def _lender_after(text: str, end: int) -> str:
    """The lender named right after a pre-approval ("…with Chase for 500k"), or ""."""
    rest = text[end : end + 80]
    lead = _LENDER_LEAD.match(rest)
    if not lead:
        return ""
    words: list[str] = []
    position = lead.end()
    while len(words) < 4:
        match = _LENDER_WORD.match(rest, position)
        if not match:
            break  # punctuation or a number ends the name
        word = match.group(1)
        if word in _LENDER_STOP and not (word in _LOWER_WORDS and words):
            break
        words.append(word)
        position = match.end()
    while words and words[-1] in _LOWER_WORDS:
        words.pop()
    if not words or all(word in _GENERIC_LENDERS for word in words):
        return ""
    name = " ".join(words)
    if name in _KNOWN_LENDERS:
        return _KNOWN_LENDERS[name]
    return " ".join(
        w if w in _LOWER_WORDS else (w.upper() if len(w) <= 3 and w.isalpha() else w.title())
        for w in words
    )[:80]


def _amount_near(text: str, start: int, end: int) -> int | None:
    """The amount a pre-approval names: after it in the same clause, or right before it."""
    clause_end = _CLAUSE_END.search(text, end)
    after = text[end : clause_end.start() if clause_end else end + 100][:100]
    for match in _MONEY.finditer(after):
        if _is_down_payment(after, match.start(), match.end()) or re.match(
            r"\s?(?:%|percent|por ciento)", after[match.end() :]
        ):
            continue
        value = _money_value(match, bare_thousands=True)
        if value is not None and MIN_PRICE <= value <= MAX_PRICE:
            return value
    match = re.search(rf"{_MONEY.pattern}\s*$", text[max(0, start - 20) : start])
    if match:
        value = _money_value(match, bare_thousands=False)
        if value is not None and MIN_PRICE <= value <= MAX_PRICE:
            return value
    return None


_CLAUSE_END = re.compile(r"[,;!?\n]|\.(?!\d)|\b(?:and|but|y|pero|looking|buscando|so)\b")


def _clause_tokens_before(text: str, start: int, count: int) -> list[str]:
    before = text[max(0, start - 80) : start]
    breaks = list(re.finditer(r"[,.;:!?\n]|\b(?:but|pero)\b", before))
    if breaks:
        before = before[breaks[-1].end() :]
    return re.findall(r"[a-z]+", before)[-count:]


@dataclass(frozen=True)
class _Financing:
    status: str = ""
    lender: str = ""
    amount: int | None = None
    cash: bool | None = None


def _financing(text: str, *, expecting: str, sensitive: bool) -> _Financing:
    statements: list[tuple[int, str, re.Match]] = []
    for match in _APPROVAL.finditer(text):
        before = _clause_tokens_before(text, match.start(), 4)
        word = match["w"] or match["w2"] or match["w3"] or match["w4"]
        kind = PREQUALIFIED if ("qualif" in word or "calific" in word) else PRE_APPROVED
        negated = any(token in _APPROVAL_NEGATED for token in before)
        if negated or _NOT_YET_AFTER.match(text[match.end() :]):
            statements.append((match.start(), NOT_YET, match))
        elif any(token in _APPROVAL_FUTURE for token in before):
            # "we need to get pre-approved", "can you help me get pre-approved?"
            statements.append((match.start(), NOT_YET, match))
        elif _APPROVAL_TOPIC.search(text[max(0, match.start() - 20) : match.start()]):
            continue  # "for the pre-approval": about it, not a fact
        elif re.match(r"[\w-]*\s*\?", text[match.end() :]):
            continue  # "pre-approved?": a question
        else:
            statements.append((match.start(), kind, match))
    for match in _NOT_YET.finditer(text):
        statements.append((match.start(), NOT_YET, match))

    status, lender, amount = "", "", None
    if statements:
        _, status, match = max(statements, key=lambda item: item[0])
        if status in (PRE_APPROVED, PREQUALIFIED):
            lender = _lender_after(text, match.end())
            amount = _amount_near(text, match.start(), match.end())

    cash = None
    stripped = text.strip(" .!")
    if expecting in (FINANCING, PREAPPROVAL_DETAILS) and _CASH_ANSWER.match(stripped):
        cash = True
    for match in _CASH.finditer(text):
        negated = any(t in _CASH_NEGATED for t in _clause_tokens_before(text, match.start(), 4))
        cash = not negated
    if cash is None and re.search(r"\b(?:no|not|sin)\s+(?:cash|efectivo)\b", text):
        cash = False

    if not status and cash is None and expecting in (FINANCING, PREAPPROVAL_DETAILS):
        if sensitive:
            # "Yes" sent with an account number is someone offering it as proof: never one.
            return _Financing(cash=cash)
        # "yes", "not yet", "todavía no", "working on it" as the answer to the question.
        answer = read_answer(question="ask_preapproval", message=text)
        if answer.get("pre_approved") is True:
            status = PRE_APPROVED
        elif answer.get("pre_approved") is False:
            status = NOT_YET
    return _Financing(status=status, lender=lender, amount=amount, cash=cash)


def _lender_answer(text: str) -> str:
    """A bare lender name as the answer to "which lender, and for how much?"."""
    match = re.match(
        r"^\s*(?:(?:it was|its|it is|with|through|con|fue con|es con|el banco es)\s+)?", text
    )
    return _lender_after(" with " + text[match.end() :], 0) if match else ""


# --------------------------------------------------------------------------------------------
# Down payment
# --------------------------------------------------------------------------------------------

_DOWN_AFTER = re.compile(
    r"\s*(?:down(?!\s?town)\b|(?:as|for|for the|for a|on the|towards the|como|de|del|para|"
    r"para el|para la|de lo de|en)\s*(?:down payment|downpayment|down|enganche|pago inicial)\b|"
    r"(?:de )?enganche\b|de pago inicial\b|(?:saved |ahorrados )?(?:for|para) (?:the |el )?"
    r"(?:down payment|downpayment|enganche)\b)"
)
_DOWN_BEFORE = re.compile(
    r"(?:down payment|downpayment|down|put|putting|puttin|put down|putting down|enganche|"
    r"pago inicial|dar|dariamos|daria|damos|doy|poner|pondriamos|pondria)\s*(?:of|is|would be|"
    r"will be|de|del|es|seria|sera|around|about|like|maybe|unos|como|el|como el|down|"
    r"approximately|roughly)?\s*(?:around |about |like |unos |el |como )?$"
)
_PERCENT = re.compile(r"(?<![\d.])(?P<p>\d{1,2}(?:\.\d+)?)\s?(?:%|percent|por ciento|porciento)")
_ZERO_DOWN = re.compile(
    r"\b(?:no money down|zero down|nothing down|no down payment|0 down|sin enganche|"
    r"sin dar enganche|sin pago inicial|cero enganche)\b"
)


def _is_down_payment(text: str, start: int, end: int) -> bool:
    return bool(
        _DOWN_AFTER.match(text[end : end + 40])
        or _DOWN_BEFORE.search(text[max(0, start - 30) : start])
    )


def _down_payment(text: str) -> tuple[int | None, Decimal | None]:
    amount = percent = None
    for match in _PERCENT.finditer(text):
        if _is_down_payment(text, match.start(), match.end()):
            value = Decimal(match["p"])
            if value <= 100:
                percent = value
    taken = [m.span() for m in _PERCENT.finditer(text)]
    for match in _MONEY.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        if re.match(r"\s?(?:%|percent|por ciento)", text[match.end() :]):
            continue
        if _is_down_payment(text, match.start(), match.end()):
            value = _money_value(match, bare_thousands=False)
            if value is not None and 1_000 <= value <= MAX_PRICE:
                amount = value
    if amount is None and percent is None and _ZERO_DOWN.search(text):
        percent = Decimal(0)
    return amount, percent


# --------------------------------------------------------------------------------------------
# The home: beds, baths, type, must-haves
# --------------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "uno": 1,
    "una": 1,
    "un": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
}
_QTY = r"(?:\d{1,2}(?:\.5)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
_BED_WORD = (
    r"(?:bed(?:room)?s?|br|bd|bds|bdr|bdrm|bdrms|recamaras?|cuartos?|habitacion(?:es)?|"
    r"dormitorios?)\b"
)
_BATH_WORD = r"(?:bath(?:room)?s?|ba|bth|banos?)\b"
_BEDS = re.compile(
    rf"\b(?:(?P<a>{_QTY})\s*(?:-|to|or|a|o)\s*)?(?P<n>{_QTY})\s*\+?\s*-?\s*"
    rf"(?:or more\s+|o mas\s+)?{_BED_WORD}"
)
_BATHS = re.compile(
    rf"\b(?P<n>{_QTY})(?P<half>\s*(?:and a half|1/2|y medio))?\s*(?:full\s+)?{_BATH_WORD}"
    r"(?P<half_after>\s+y medio)?"
)
_SLASH_ROOMS = re.compile(r"^\D{0,20}?\b(?P<beds>[1-9])\s*(?:/|x)\s*(?P<baths>[1-9](?:\.5)?)\b")
_BARE_NUMBER = re.compile(
    r"^\D{0,25}?\b(?P<n>\d|two|three|four|five|six|seven|dos|tres|cuatro|cinco|seis|siete)\b"
    r"(?:\s*\+|\s+or more|\s+o mas)?\D{0,25}$"
)


def _qty(value: str) -> Decimal:
    return Decimal(_NUMBER_WORDS[value]) if value in _NUMBER_WORDS else Decimal(value)


def _rooms(text: str, *, expecting: str) -> tuple[int | None, Decimal | None]:
    beds = baths = None
    for match in _BEDS.finditer(text):
        count = _qty(match["n"])
        if match["a"]:
            count = min(count, _qty(match["a"]))
        if 1 <= count <= 12:
            beds = int(count)
    for match in _BATHS.finditer(text):
        count = _qty(match["n"]) + (Decimal("0.5") if match["half"] or match["half_after"] else 0)
        if 1 <= count <= 10:
            baths = count
    if expecting == ROOMS and beds is None:
        slash = _SLASH_ROOMS.match(text)
        if slash:
            beds, baths = int(slash["beds"]), Decimal(slash["baths"])
        else:
            bare = _BARE_NUMBER.match(text)
            if bare and not _MONEY_CUE.search(text) and 1 <= _qty(bare["n"]) <= 8:
                beds = int(_qty(bare["n"]))
    return beds, baths


_MONEY_CUE = re.compile(r"\$|\bk\b|\bmil\b|\bthousand\b|%|\bdown\b|\benganche\b")

_PROPERTY_TYPES = {
    "condo": r"condos?|condominiums?|condominios?",
    "townhouse": r"town ?houses?|town ?homes?|casas? adosadas?",
    "sfr": r"single[- ]family|sfr|sfh|casa sola|casa independiente",
    "multi": r"duplex|triplex|fourplex|4-?plex|multi[- ]?family|multifamiliar|multi-unit",
}
_MUST_HAVES = {
    "pool": r"pool|swimming pool|alberca|piscina|pileta",
    "yard": r"(?:big |large |nice |a )?(?:back ?yard|front ?yard|yard)|patio(?: grande)?|jardin",
    "RV parking": r"rv(?: parking| access)?|boat parking|motorhome|estacionamiento para (?:rv|traila|"
    r"casa rodante)",
    "garage": r"(?:\d[- ]car )?garage|garaje|cochera",
    "single story": r"single[- ]story|one[- ]story|1[- ]story|single[- ]level|one[- ]level|"
    r"una (?:sola )?planta|un (?:solo )?piso|de un nivel",
    "ADU": r"adu|guest ?house|granny flat|in-?law (?:unit|suite|quarters)|casa de huespedes",
    "home office": r"(?:home )?office|oficina",
    "solar": r"solar(?: panels)?|paneles solares",
    "big lot": r"big lot|large lot|acreage|an acre|terreno grande|lote grande",
    "fireplace": r"fireplace|chimenea",
    "horse property": r"horse property|horses|caballos",
    "air conditioning": r"central air|air conditioning|aire acondicionado|a/c",
    "updated kitchen": r"updated kitchen|remodeled kitchen|new kitchen|cocina remodelada|cocina nueva",
    "move-in ready": r"move[- ]in ready|turn ?key|lista para vivir|lista para entrar",
    "view": r"(?:mountain|city|lake|golf course|nice|good|great) views?|with a view|con vista",
    "gated community": r"gated(?: community)?|comunidad cerrada",
}
_NO_HOA = re.compile(r"\b(?:no|low|without|sin|bajo|baja|poco de|little|cheap)\s+hoa\b")
_NEGATED_WISH = wordset("not no dont without sin ni nada never")
_NO_MUST_HAVES = re.compile(
    r"^(?:(?:um+|well|pues|bueno|hmm+|ok|oh)\s+)*(?:no|nope|nah|not really|nothing|none|"
    r"nothing (?:in particular|special|specific|really)|no preference|no preferences|"
    r"not that i can think of|thats it|thats all|nada|nada en (?:especial|particular)|ninguno|"
    r"ninguna|no realmente|no tengo preferencia|la verdad no|no en especial|no en particular|"
    r"lo que sea|cualquiera)\b"
)


def _wishes(text: str, table: dict[str, str]) -> list[str]:
    found: list[tuple[int, str]] = []
    for label, pattern in table.items():
        for match in re.finditer(rf"\b(?:{pattern})\b", text):
            before = _clause_tokens_before(text, match.start(), 3)
            if not any(token in _NEGATED_WISH for token in before):
                found.append((match.start(), label))
                break
    return [label for _, label in sorted(found)]


# A reply to "anything the home must have?" that names no wish.
_NOT_A_WISH = re.compile(
    r"^(?:(?:ok|okay|thanks|thank you|thx|ty|yes|yeah|sure|cool|great|perfect|gracias|si|claro|"
    r"perfecto|vale|bueno|listo|hi|hello|hola)\b[\s,.!]*)+$"
)


_WHEN = re.compile(
    r"\b(?:days?|weeks?|months?|years?|dias?|semanas?|mes|meses|anos?|asap|soon|pronto|"
    r"summer|spring|fall|winter|verano|invierno|primavera|otono)\b"
)


def _wish_in_words(raw: str, clean: str) -> str:
    """What a buyer wants that we have no name for ("a big kitchen"), as they wrote it.

    Only a short reply to the must-haves question without figures: a longer one, or one with
    numbers, is more likely about something else (a date, a price).
    """
    words = clean.split()
    if not 1 <= len(words) <= 12 or re.search(r"\d", clean) or _NOT_A_WISH.match(clean):
        return ""
    if _UNSURE.search(clean) or classify_keyword(raw) is not None or _WHEN.search(clean):
        return ""
    return " ".join(raw.split())[:200]


# --------------------------------------------------------------------------------------------
# Areas
# --------------------------------------------------------------------------------------------

_FLEXIBLE_AREA = re.compile(
    r"\b(?:anywhere|flexible|open to (?:anything|any area|anywhere|any city)|no preference|"
    r"wherever|anyplace|any area|donde sea|cualquier (?:lugar|parte|ciudad|zona|area)|"
    r"no importa (?:donde|la zona|la ciudad)|en cualquier lado)\b"
)
# Words that make a short reply something other than a city's name.
_NOT_A_CITY = wordset("""yes yeah yep no nope ok okay thanks thank you sure idk not know dont maybe probably the a
    an i im we were my our it its is are be near close by around area areas city cities any
    anywhere somewhere there here that this what where which when how why good great fine
    si claro gracias no se tal vez quizas cerca de la el los las por en mi nuestra zona zonas
    ciudad ciudades donde sea cualquier aqui alla bien buena bueno hola hi hello hey lol haha
    pool yard house home casa""")


_INTERJECTION = re.compile(
    r"h+m+|m+h?m+|u+[hm]+|a+h+|o+h+|e+h+|ha(?:ha)+|je(?:je)+|lol|jaja\w*|ugh|meh"
)


def _named_city(raw: str) -> tuple[str, ...]:
    """A short reply that names cities we do not know ("Pasadena or Glendale")."""
    if re.search(r"\d", raw):
        return ()
    text = fold(raw).strip(" .!?")
    parts = [p.strip() for p in re.split(r",|/|\bor\b|\band\b|\bo\b|\by\b", text) if p.strip()]
    if not parts or len(parts) > 3:
        return ()
    names = []
    for part in parts:
        tokens = part.split()
        if not 1 <= len(tokens) <= 3 or any(t in _NOT_A_CITY for t in tokens):
            return ()
        if any(_INTERJECTION.fullmatch(t) or len(t) < 3 for t in tokens):
            return ()
        if not all(re.fullmatch(r"[a-z][a-z'.-]+", t) for t in tokens):
            return ()
        names.append(" ".join(t.capitalize() for t in tokens))
    return tuple(names)


# --------------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------------

_UNSURE = re.compile(
    r"\b(?:not sure|no idea|idk|i dont know|dont know(?: yet)?|unsure|havent decided|"
    r"not decided|depends|no se|ni idea|no estoy segur[oa]s?|depende|no lo se|todavia no se|"
    r"aun no se|no sabemos|no hemos decidido)\b"
)


def extract_buyer_answers(text: str, *, expecting: str = "") -> BuyerAnswers:
    """Every buyer answer in ``text``; ``expecting`` is the question the bot asked last."""
    kept, sensitive = _without_sensitive(text)
    clean = normalize(kept)
    if not clean.strip(" .,!?"):
        return BuyerAnswers(sensitive=sensitive)

    financing = _financing(clean, expecting=expecting, sensitive=sensitive)
    lender = financing.lender
    if expecting == PREAPPROVAL_DETAILS and not lender and financing.cash is None:
        lender = _lender_answer(clean)
    amount = financing.amount
    if expecting == PREAPPROVAL_DETAILS and amount is None:
        for match in _MONEY.finditer(clean):
            if _is_down_payment(clean, match.start(), match.end()):
                continue
            value = _money_value(match, bare_thousands=True)
            if value is not None and MIN_PRICE <= value <= MAX_PRICE:
                amount = value
                break
    down_amount, down_percent = _down_payment(clean)
    beds, baths = _rooms(clean, expecting=expecting)
    hoa = ["no HOA"] if _NO_HOA.search(clean) else []
    must_haves = _wishes(clean, _MUST_HAVES) + hoa
    cities = tuple(areas_named(kept))
    if not cities and expecting == AREAS:
        cities = _named_city(kept)
    nothing_else = not (must_haves or cities or beds)
    unsure = bool(_UNSURE.search(clean))
    no_must_haves = (
        expecting == MUST_HAVES and nothing_else and bool(_NO_MUST_HAVES.match(clean.strip()))
    )
    wish_text = ""
    if expecting == MUST_HAVES and nothing_else and not (no_must_haves or unsure):
        wish_text = _wish_in_words(kept, clean)
    return BuyerAnswers(
        preapproval_status=financing.status,
        lender=lender,
        preapproval_amount=amount,
        cash=financing.cash,
        down_payment_amount=down_amount,
        down_payment_percent=down_percent,
        cities=cities,
        flexible_area=bool(_FLEXIBLE_AREA.search(clean)) and not cities,
        beds_min=beds,
        baths_min=baths,
        property_types=tuple(_wishes(clean, _PROPERTY_TYPES)),
        must_haves=tuple(must_haves),
        must_haves_text=wish_text,
        no_must_haves=no_must_haves,
        unsure=unsure,
        sensitive=sensitive,
    )
