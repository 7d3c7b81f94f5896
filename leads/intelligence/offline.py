"""The offline engine: deterministic, rule-based lead analysis in English and Spanish.

No network and no model: regular expressions over accent-folded text (``text.normalize``).
The rules, and the choices made where a message is ambiguous, are documented in
docs/lead-scoring.md; the table in tests/leads/test_offline_analysis.py pins them down.
"""

import bisect
import re
from dataclasses import dataclass

from compliance.rules.keywords import classify_keyword
from leads.intelligence.schema import Budget, LanguageValue, LeadAnalysis, TimelineValue
from leads.intelligence.scoring import with_score
from leads.intelligence.text import EN_UNITS, fold, normalize, words, wordset

# --------------------------------------------------------------------------------------------
# Shared building blocks
# --------------------------------------------------------------------------------------------

# Sentence and clause boundaries. Dots and commas inside numbers ("1.5M", "425,000") are not.
_SENTENCE_END = re.compile(r"[!?;\n]|\.(?!\d)")
_CLAUSE_BREAK = re.compile(
    r"[!?;:\n]|\.(?!\d)|,(?!\d)|\b(?:and|but|y|pero|then|so|luego|entonces|also|tambien|plus|or|o)\b"
)
_TOKEN = re.compile(r"[a-z0-9$~]+(?:-[a-z0-9]+)*")
_PHONE = re.compile(r"(?<![\d$])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?!\d)")


# "actually make that 600k", "perdón, mejor 600 mil", "I mean 6 months": what follows corrects
# what came before, so a figure or window after it replaces the earlier one.
_CORRECTION = re.compile(
    r"\b(?:actually|i mean|i meant|make (?:that|it)|correction|scratch that|no wait|wait no|"
    r"on second thought|rather|perdon|perdona|corrijo|quise decir|mejor dicho|mas bien|"
    r"en realidad)\b|(?:^|[,;.!?-]\s*|\b(?:no|o|bueno)\s+)mejor\b"
)


def correction_start(text: str) -> int:
    """Where the last correction in (normalised) ``text`` begins its new value; 0 when none."""
    last = None
    for last in _CORRECTION.finditer(text):  # noqa: B007 - the last one is wanted
        pass
    return last.end() if last else 0


# Clauses and cues further apart than this are unrelated; the bound keeps long texts linear.
_REACH = 240


def _clause_before(text: str, start: int) -> str:
    """The text of the clause that ends at ``start``."""
    before = text[max(0, start - _REACH) : start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    return before[breaks[-1].end() :] if breaks else before


def _last_tokens(text: str, count: int) -> list[str]:
    return _TOKEN.findall(text)[-count:] if count else []


# Negation of a verb or noun that follows. English "no" is left out on purpose: "no I want to
# buy" is an answer, not a negation; Spanish "no" negates ("no quiero vender").
_EN_NEGATION = re.compile(
    r"\b(?:not|dont|do not|doesnt|never|wont|isnt|arent|aint|cant|cannot|no longer|"
    r"no plans to|no intention of|no intention to|no interest in)\s+"
    r"(?:(?:i|we|im|were|am|are|is|really|currently|planning|plan|looking|going|trying|want|"
    r"wanting|to|on|in|interested|ready|yet|need|have|gonna|wanna|actually|anymore)\s+){0,4}$"
)
_ES_NEGATION = re.compile(
    r"\b(?:no|ni|nunca|tampoco)\s+"
    r"(?:(?:quiero|queremos|quisiera|vamos|voy|a|estoy|estamos|pensando|planeando|buscando|"
    r"pienso|planeo|planeamos|tengo|tenemos|que|necesito|necesitamos|me|nos|interesa|de|en|"
    r"por|ahora|ahorita|todavia|aun|ya|van|va)\s+){0,3}$"
)


def _negated(text: str, start: int) -> bool:
    clause = _clause_before(text, start)
    return bool(_EN_NEGATION.search(clause) or _ES_NEGATION.search(clause))


# --------------------------------------------------------------------------------------------
# Language
# --------------------------------------------------------------------------------------------

_ES_WORDS = wordset(
    """hola quiero queremos quisiera comprar compra vender vendo casa casas casita busco buscamos
    buscando estoy estamos tengo tenemos necesito necesitamos gracias meses mes semanas semana dias
    ano anos presupuesto mil millon millones hasta alrededor para por pero tambien cuanto cuanta
    cuando donde como dinero precio preaprobado preaprobada precalificado aprobado aprobada
    recamaras recamara cuartos banos pronto ahora ahorita mi mis nuestra nuestro nuestros una unos
    unas del los las el la que y o con sin muy mas menos si es son soy somos esta este esto eso ya
    aun todavia lo le nos se porque bueno buenas buenos tardes noches senor senora favor interesa
    interesado interesada informacion vivienda hogar propiedad depa credito prestamo banco familia
    hijos trabajo mudar mudarnos mudarme pagar contado efectivo puedo podemos gustaria ver saber
    vale venta zona cerca escuela grande pequena nueva nuevo antes posible al de en dos tres cuatro
    cinco seis siete ocho nueve diez doce primera vez cuantos cuantas tiempo dentro proximo proxima
    entre algo aqui alla otra otro estaria quisieramos ayuda vivo vivimos dolares dolar alto parar
    cancelar"""
)
_EN_WORDS = wordset(
    """i im we were want wanna to the an my our house home buy buying sell selling looking for in
    and is are of with around budget approved preapproved pre-approved thanks thank hi hello hey
    months month weeks week days year years asap need have got just about what whats how much worth
    can will would like this that it be do dont not yes please interested info place bedroom
    bedrooms bed beds near school close move moving soon price up under between so but ready cash
    lender loan mortgage first time buyer family kids something bigger smaller next within right
    away you your get sure know when where there their they them if or at on by from out now still
    yet been has had should could us am was sold bought selling looking"""
)
_SPANISH_MARKS = re.compile(r"[áéíóúñü¿¡]", re.IGNORECASE)


def _language_votes(raw: str, text: str) -> tuple[int, int]:
    """(Spanish, English) evidence in one message; an accent or ¿¡ is strong Spanish evidence."""
    tokens = words(text)
    spanish = sum(token in _ES_WORDS for token in tokens) + 2 * len(_SPANISH_MARKS.findall(raw))
    english = sum(token in _EN_WORDS for token in tokens)
    return spanish, english


_ASKS_FOR_LANGUAGE = re.compile(
    r"\b(?:in|en)\s+(?P<language>english|ingles|spanish|espanol)\b(?!\s+(?:class|classes|speaking|clases))"
)


def _asked_language(text: str) -> str:
    """ "Can you text me in English?", "¿me escribe en español?": the language asked for."""
    match = _ASKS_FOR_LANGUAGE.search(text)
    if not match:
        return ""
    return "en" if match["language"] in ("english", "ingles") else "es"


# --------------------------------------------------------------------------------------------
# Opt-out and area
# --------------------------------------------------------------------------------------------


def is_opt_out_keyword(message: str) -> bool:
    """True when the message is an opt-out; the one list of them lives in compliance."""
    return classify_keyword(message) == "opt_out"


_AREAS = {
    "Inland Empire": ("inland empire", "the ie"),
    "Riverside": ("riverside",),
    "San Bernardino": ("san bernardino", "san berdoo", "san berdo"),
    "Fontana": ("fontana",),
    "Rancho Cucamonga": ("rancho cucamonga", "rancho cucamunga", "rancho cuca"),
    "Ontario": ("ontario",),
    "Corona": ("corona",),
    "Moreno Valley": ("moreno valley", "moval"),
    "Temecula": ("temecula",),
    "Murrieta": ("murrieta", "murietta"),
    "Chino Hills": ("chino hills",),
    "Chino": ("chino",),
    "Upland": ("upland",),
    "Redlands": ("redlands",),
    "Rialto": ("rialto",),
    "Colton": ("colton",),
    "Highland": ("highland",),
    "Eastvale": ("eastvale",),
    "Jurupa Valley": ("jurupa valley", "jurupa"),
    "Menifee": ("menifee",),
    "Perris": ("perris",),
    "Hemet": ("hemet",),
    "Lake Elsinore": ("lake elsinore", "elsinore"),
    "Yucaipa": ("yucaipa",),
    "Victorville": ("victorville",),
    "Hesperia": ("hesperia",),
    "Apple Valley": ("apple valley",),
    "Loma Linda": ("loma linda",),
    "Grand Terrace": ("grand terrace",),
    "Montclair": ("montclair",),
    "Norco": ("norco",),
    "Beaumont": ("beaumont",),
    "Banning": ("banning",),
    "Calimesa": ("calimesa",),
    "San Jacinto": ("san jacinto",),
    "Wildomar": ("wildomar",),
    "Canyon Lake": ("canyon lake",),
    "Adelanto": ("adelanto",),
    "Mira Loma": ("mira loma",),
    "Pomona": ("pomona",),
    "Claremont": ("claremont",),
}
_AREA_BY_ALIAS = {alias: name for name, aliases in _AREAS.items() for alias in aliases}
_AREA = re.compile(
    r"\b(?:"
    + "|".join(
        alias.replace(" ", r"\s+") for alias in sorted(_AREA_BY_ALIAS, key=len, reverse=True)
    )
    + r")\b"
)


def _areas(text: str) -> str:
    found: list[str] = []
    for match in _AREA.finditer(text):
        name = _AREA_BY_ALIAS[" ".join(match.group().split())]
        if name not in found:
            found.append(name)
    return ", ".join(found)


def areas_named(text: str) -> list[str]:
    """The cities and areas ``text`` names, in the order named ("Riverside o Corona" → both).

    Read by the buyer bot, which keeps every area a buyer names, not only the latest.
    """
    found = _areas(normalize(text))
    return found.split(", ") if found else []


def area_at_start(text: str) -> str:
    """The city ``text`` starts with ("riverside ca 92503" → "Riverside"), or "".

    Read by the seller's address rules: a city typed in lower case is only known from this list.
    """
    match = _AREA.match(fold(text).lstrip(" ,"))
    return _AREA_BY_ALIAS[" ".join(match.group().split())] if match else ""


# --------------------------------------------------------------------------------------------
# Intent
# --------------------------------------------------------------------------------------------

_HOME = r"(?:house|home|place|condo|townhome|townhouse|property|properties)"
_CASA = r"(?:casa|casita|hogar|propiedad|depa|departamento|condominio|condo|vivienda|terreno)"
_BUY_INTENT = [
    re.compile(p)
    for p in (
        r"\b(?:buy|buying|purchase|purchasing|buyers?)\b",
        rf"\blooking for (?:a |an |my |our |the )?(?:new |first |forever |dream |bigger |smaller |"
        rf"starter |family )?(?:{_HOME}|\d+ ?(?:bed|br|bd|bedroom))",
        r"\b(?:house|home) (?:hunting|shopping)\b",
        rf"\b(?:is|are) (?:it|this|that|they|the {_HOME}) (?:still )?available\b",
        r"\bstill (?:available|for sale|on the market)\b",
        r"\bhow much (?:is|are|does|do|for) (?:the|this|that|it|houses|homes)\b",
        r"\bcuanto (?:cuesta|cuestan|piden|vale|valen) (?:la|esta|esa|las|una|casas)\b",
        r"\b(?:schedule|book|set up|do) (?:a )?(?:showing|tour|viewing)\b",
        rf"\b(?:see|tour|view) (?:the|this|that) (?:{_HOME}|listing)\b",
        r"\binterested in (?:the|this|that|your) (?!(?:value|price) of)",
        rf"\b(?:want|need|wanna get|looking to get) (?:a|an) (?:new |bigger |smaller )?{_HOME}\b",
        r"\b(?:comprar|compra|compramos|compro|comprando|comprarnos|comprarme|comprarla|"
        r"comprador|compradora|compradores)\b",
        rf"\b(?:busco|buscamos|buscando|buscar) (?:una |un |mi |nuestra |nuestro )?(?:{_CASA}|algo)\b",
        rf"\b(?:quiero|queremos|necesito|necesitamos|quisiera|quisieramos) (?:una|un) {_CASA}\b",
        rf"\b(?:me|nos) interesa (?:la|esta|esa|una) {_CASA}\b",
        r"\b(?:primera casa|casa propia)\b",
        r"\b(?:sigue|esta|estara) disponible\b",
        rf"\bver (?:la|esta|esa) {_CASA}\b",
    )
]
_SELL_INTENT = [
    re.compile(p)
    for p in (
        r"\b(?:sell|selling|sells|sellers?)\b",
        rf"\blist(?:ing)? (?:my|our) {_HOME}\b",
        r"\blist (?:it|the house|the home)\b",
        rf"\b(?:whats|what is|how much is|how much|value of) (?:my|our) {_HOME}(?: is)? worth\b",
        rf"\b(?:my|our) {_HOME} (?:is )?worth\b",
        r"\bhome (?:valuation|value)\b",
        r"\b(?:cma|comparative market analysis)\b",
        rf"\bput (?:my|our|the) {_HOME} (?:on the market|up for sale)\b",
        rf"\bget (?:my|our|the) {_HOME} sold\b",
        r"\b(?:vender|vendo|vendemos|vendiendo|venderla|venderlo|venderle|vendedor|vendedora|"
        r"vendedores)\b",
        r"\bponer (?:mi|nuestra) casa en venta\b",
        r"\b(?:cuanto|que tanto) vale (?:mi|nuestra) casa\b",
        r"\bvalor de (?:mi|nuestra) casa\b",
        r"\b(?:mi|nuestra) casa (?:vale|esta valuada)\b",
        r"\bavaluo\b",
    )
]
# Downsizing or upsizing means a home to sell and one to buy.
_BOTH_INTENT = re.compile(r"\b(?:downsiz|upsiz)\w*")


def _side_signal(text: str, patterns: list[re.Pattern]) -> bool | None:
    """True if the side is stated, False if only negated ("not selling"), None if absent."""
    stated = negated = False
    for pattern in patterns:
        for match in pattern.finditer(text):
            if _negated(text, match.start()):
                negated = True
            else:
                stated = True
    if stated:
        return True
    return False if negated else None


# --------------------------------------------------------------------------------------------
# Budget
# --------------------------------------------------------------------------------------------

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3})+(?![\d,])|\d+(?:[.,]\d+)?"
_SUFFIX = r"k|mm|m|mil|mill|million|millions|millon|millones|thousand|grand"
_MILLIONS = frozenset({"m", "mm", "mill", "million", "millions", "millon", "millones"})
_THOUSANDS = frozenset({"k", "thousand", "grand"})


def _amount(tag: str) -> str:
    return (
        rf"(?P<cur{tag}>\$)?\s?(?P<num{tag}>{_NUMBER})(?!\d)"
        rf"(?:\s?(?P<suf{tag}>{_SUFFIX})\b)?(?:\s?(?:dollars|dolares|usd)\b)?"
    )


_SINGLE = re.compile(rf"(?<![\w.,$]){_amount('')}")
_RANGE = re.compile(
    r"(?P<pre>\b(?:between|from|entre|de|desde)\s+)?"
    rf"(?<![\w.,$]){_amount('1')}\s*(?P<sep>-|to|and|a|y|hasta)\s*{_amount('2')}"
)
# "the 400s", "mid 400's", "low 500s": a price band, always about a price.
_BAND = re.compile(r"\b(?:(?P<part>low|mid|middle|high|upper)[\s-]*)?\$?(?P<base>\d{3})k?s\b")
_BAND_SPAN = {None: (0, 100), "low": (0, 50), "mid": (25, 75), "middle": (25, 75)}
_BAND_SPAN |= {"high": (50, 100), "upper": (50, 100)}

_UNITS_AFTER = re.compile(
    r"\s*(?:-\s*)?(?:bed|beds|bedroom|bedrooms|br|bd|bds|bdrm|bdrms|bath|baths|bathroom|bathrooms|"
    r"ba|sq|sqft|square|sf|ft|feet|acre|acres|car|cars|garage|kids|children|people|story|stories|"
    r"unit|units|year|years|yr|yrs|month|months|mo|mos|mth|mths|week|weeks|wk|wks|day|days|hour|"
    r"hours|hr|hrs|min|mins|minutes|pm|am|miles|mi|mile|percent|recamara|recamaras|cuarto|"
    r"cuartos|habitacion|habitaciones|bano|banos|pies|metros|ano|anos|mes|meses|semana|semanas|"
    r"dia|dias|hijos|ninos|personas|minutos|millas|horas|pisos|por ciento|credit|fico|score|st|nd|"
    r"rd|th|street|ave|avenue|blvd|road|dr|drive|ln|lane|way|ct|court|calle|times|veces)\b|\s*%"
)
# Amounts that are not the price of a home: down payment, income, rent, savings, credit score,
# and numbers that are addresses, zip codes or phones.
_EXCLUDED_BEFORE = re.compile(
    r"\b(?:down payment|downpayment|put down|putting down|enganche|deposito|deposit|income|"
    r"salary|make(?!\s+(?:that|it)\b)|makes|earn|earns|ganamos|gano|gana|ingresos|salario|sueldo|rent|renta|payment|"
    r"payments|pago|pagos|mensualidad|hoa|taxes|impuestos|saved|savings|"
    r"ahorrado|ahorrados|ahorros|closing|cierre|zip|zipcode|postal|code|apt|unit|suite|"
    r"number|numero|phone|cel|tel)\b|#"
)
# A bare 300-850 next to these is a credit score ("credito de 700"), never a price.
_CREDIT_SCORE_BEFORE = re.compile(r"\b(?:credit|credito|score|fico|puntaje|puntos)\b")
_EXCLUDED_AFTER = re.compile(
    r"\s*(?:down|for (?:the |a |my |our )?down|de enganche|para (?:el |la )?(?:enganche|down|pago inicial)|"
    r"de pago inicial|a year|per year|"
    r"a yr|/yr|/year|annually|yearly|al ano|anual|anuales|por ano|a month|per month|/mo|/month|"
    r"monthly|al mes|mensual|mensuales|por mes|in savings|saved|ahorrados|de ahorro|in the bank|"
    r"en el banco|credit|fico|income|de ingresos|de renta|in rent|rent|hoa|salary|de sueldo|"
    r"in equity|equity|de equity|de equidad)\b"
)
_PRICE_BEFORE = re.compile(
    r"\b(?:around|about|approx|approximately|roughly|up to|upto|under|below|max|maximum|"
    r"no more than|not more than|less than|budget|price|priced|range|between|from|approved|"
    r"afford|spend|spending|pay|paying|looking at|something|like|presupuesto|hasta|alrededor|"
    r"unos|aproximadamente|aprox|maximo|menos|precio|rango|entre|de|desde|aprobado|aprobada|"
    r"gastar|pagar|como|algo|cap|for|por|en|listed|asking|cuesta|cuestan|vale)\b|~|\$"
)
_PRICE_AFTER = re.compile(
    r"\s*(?:ish|tops|max|or less|or under|or so|range|budget|o menos|maximo|mas o menos|"
    r"dollars|dolares|usd)\b"
)
_BUY_CUE = re.compile(
    r"\b(?:buy|buying|buyer|buyers|purchase|purchasing|budget|afford|spend|spending|can pay|"
    r"could pay|approved|pre-approved|preapproved|approval|pre-approval|preapproval|qualified|"
    r"prequalified|pre-qualified|looking for|looking at|looking in|searching|range|something|"
    r"new (?:house|home|place|one)|next (?:house|home|place|one)|bigger|smaller|comprar|compra|"
    r"compramos|compro|comprando|comprador|busco|buscamos|buscando|presupuesto|aprobado|aprobada|"
    r"aprobados|preaprobado|preaprobada|preaprobados|pre-aprobado|pre-aprobada|precalificado|"
    r"precalificada|pre-calificado|calificado|gastar|puedo pagar|podemos pagar|rango|algo|"
    r"otr[ao] (?:casa|lugar|propiedad|depa|departamento)|casa nueva|nueva casa)\b"
    r"|\b(?:a|an|una|un)\s+(?:(?:new|bigger|smaller|larger|nice|nicer|cheaper|\d+\s*(?:bed|beds|"
    r"bedroom|bedrooms|br|bd|bdrm|recamaras|cuartos))\s+)*"
    r"(?:house|home|place|condo|townhouse|townhome|property|casa|propiedad|depa|departamento|"
    r"condominio)\b"
    r"|\b(?:a|an|una|un)\s+\d+\s*(?:bed|beds|bedroom|bedrooms|br|bd|bdrm|recamaras|cuartos)\b"
)
_SELL_CUE = re.compile(
    r"\b(?:sell|selling|sells|sold|seller|worth|value|valued|valuation|appraised|appraisal|"
    r"appraise|zestimate|zillow says|redfin says|owe|owed|payoff|paid|bought it|"
    r"bought (?:my|our|the) (?:house|home|place)|list (?:my|our|it|the)|listing (?:my|our|it|the)|"
    r"vender|vendo|vendemos|vendiendo|venderla|venderlo|vendi|vendimos|venta|vale|valor|valuada|"
    r"valuado|avaluo|avaluada|debo|debemos|pague|get|getting|net|sacar|my current (?:house|home))\b"
)
# Below $50,000 a figure in a lead's text is a down payment or savings, not a home price.
_MIN_PRICE, _MAX_PRICE = 50_000, 100_000_000


@dataclass(frozen=True)
class _Amount:
    value: float
    explicit: bool  # a currency sign, a suffix or a full dollar figure says it is money
    suffix: str | None


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    low: int | None
    high: int


def _parse_amount(match: re.Match, tag: str = "") -> _Amount:
    number, suffix = match[f"num{tag}"], match[f"suf{tag}"]
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", number):
        value = float(number.replace(",", ""))
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number) and suffix not in _MILLIONS:
        value = float(number.replace(".", ""))  # Spanish thousands separator: 425.000
    else:
        value = float(number.replace(",", "."))  # Spanish decimal comma: 1,5 millones
    full_figure = "," in number or value >= 100_000
    return _Amount(value, bool(match[f"cur{tag}"] or suffix or full_figure), suffix)


def _multiplier(amount: _Amount) -> float:
    suffix = amount.suffix
    if suffix in _THOUSANDS:
        return 1_000
    if suffix == "mil":
        # Spanish "450 mil" is thousands; "1.5 mil" can only be English slang for millions.
        return 1_000_000 if amount.value < 10 else 1_000
    if suffix in _MILLIONS:
        # "450M" is the old accounting M (thousands); no home here costs 450 million.
        return 1_000 if amount.value >= 50 else 1_000_000
    return 1


def _dollars(amount: _Amount, *, price_context: bool) -> int | None:
    """Whole dollars of one amount, or None when it is not a plausible home price."""
    if amount.suffix:
        value = amount.value * _multiplier(amount)
    elif amount.value >= _MIN_PRICE and (amount.explicit or amount.value >= 100_000):
        value = amount.value
    elif not (price_context or amount.explicit):
        return None
    elif 50 <= amount.value < 1000:
        value = amount.value * 1_000  # "around 425" means $425,000
    elif amount.value < 10 and amount.value != int(amount.value):
        value = amount.value * 1_000_000  # "approved for 1.2"
    else:
        return None
    if not _MIN_PRICE <= value <= _MAX_PRICE:
        return None
    return round(value)


def _window_before(text: str, start: int, count: int = 4) -> str:
    before = text[max(0, start - 60) : start]
    ends = list(_SENTENCE_END.finditer(before))
    if ends:
        before = before[ends[-1].end() :]
    return " ".join(_last_tokens(before, count))


def _not_a_price(text: str, start: int, end: int, *, bare: bool) -> bool:
    after, before = text[end:], _window_before(text, start, 3)
    return bool(
        _UNITS_AFTER.match(after)
        or _EXCLUDED_AFTER.match(after)
        or _EXCLUDED_BEFORE.search(before)
        or (bare and _CREDIT_SCORE_BEFORE.search(before))
    )


def _has_price_context(text: str, start: int, end: int) -> bool:
    if _PRICE_BEFORE.search(_window_before(text, start)) or _PRICE_AFTER.match(text[end:]):
        return True
    # A message that is only a number answers "what's your budget?".
    return not re.search(r"[a-z0-9]", text[:start] + text[end:])


def _money_mentions(text: str) -> list[_Mention]:
    mentions: list[_Mention] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for match in _BAND.finditer(text):
        base = int(match["base"]) * 1_000
        low, high = _BAND_SPAN[match["part"]]
        if base >= 100_000 and not _UNITS_AFTER.match(text[match.end() :]):
            mentions.append(
                _Mention(match.start(), match.end(), base + low * 1_000, base + high * 1_000)
            )
            taken.append(match.span())

    for match in _RANGE.finditer(text):
        if not free(*match.span()):
            continue
        first, second = _parse_amount(match, "1"), _parse_amount(match, "2")
        if _not_a_price(text, match.start(), match.end(), bare=not second.explicit):
            continue
        if match["sep"] in ("and", "a", "y") and not (match["pre"] or second.explicit):
            continue
        context = bool(match["pre"]) or _has_price_context(text, match.start(), match.end())
        high = _dollars(second, price_context=context)
        if high is None:
            continue
        if first.suffix or first.explicit:
            low = _dollars(first, price_context=context)
        else:
            low = _dollars(_Amount(first.value, True, second.suffix), price_context=context)
            if low is not None and low > high:
                low = _dollars(_Amount(first.value, False, None), price_context=True)
        if (
            low is None
            and first.value.is_integer()
            and 1 <= first.value < 10
            and second.value >= 100
            and second.suffix
        ):
            # "4-500k": the first figure shares the second's leading digits (400k-500k).
            scale = 10 ** (len(str(int(second.value))) - 1)
            low = _dollars(_Amount(first.value * scale, True, second.suffix), price_context=True)
        if low is None:
            continue
        low, high = sorted((low, high))
        mentions.append(_Mention(match.start(), match.end(), low, high))
        taken.append(match.span())

    for match in _SINGLE.finditer(text):
        amount = _parse_amount(match)
        if not free(*match.span()) or _not_a_price(
            text, match.start(), match.end(), bare=not amount.explicit
        ):
            continue
        context = _has_price_context(text, match.start(), match.end())
        value = _dollars(amount, price_context=context)
        if value is not None:
            mentions.append(_Mention(match.start(), match.end(), None, value))
    return sorted(mentions, key=lambda mention: mention.start)


def _cue_distance(text: str, cue: re.Match, mention: _Mention) -> int | None:
    """How far a cue is from an amount, in words; clause breaks weigh 10 words each."""
    if cue.end() < mention.start - _REACH or cue.start() > mention.end + _REACH:
        return None
    if cue.end() <= mention.start:
        between = text[cue.end() : mention.start]
        return len(_TOKEN.findall(between)) + 10 * len(_CLAUSE_BREAK.findall(between))
    if cue.start() >= mention.end:
        between = text[mention.end : cue.start()]
        if _CLAUSE_BREAK.search(between):
            return None  # a cue after the amount only counts inside the same clause
        return len(_TOKEN.findall(between)) + 5
    return None


def _side_of(text: str, mention: _Mention, cues: list[tuple[re.Match, str]]) -> str:
    """'buy', 'sell' or 'neutral': the side the nearest buying or selling cue gives an amount.

    ``cues`` are sorted by position; only those within reach of the amount are weighed.
    """
    best: tuple[int, str] | None = None
    first = bisect.bisect_left(cues, mention.start - _REACH - 50, key=lambda c: c[0].start())
    last = bisect.bisect_right(cues, mention.end + _REACH, key=lambda c: c[0].start())
    for cue, side in cues[first:last]:
        distance = _cue_distance(text, cue, mention)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, side)
    return best[1] if best else "neutral"


def _sided_mentions(text: str) -> list[tuple[_Mention, str]]:
    """Every amount in (normalised) ``text`` with the side its nearest cue gives it."""
    cues = [(cue, "buy") for cue in _BUY_CUE.finditer(text)]
    cues += [(cue, "sell") for cue in _SELL_CUE.finditer(text)]
    cues.sort(key=lambda item: item[0].start())
    return [(mention, _side_of(text, mention, cues)) for mention in _money_mentions(text)]


# The home a lead buys after selling theirs: "the new one", "a bigger place", "otra casa".
_NEXT_HOME = re.compile(
    r"\b(?:new|next|bigger|smaller|larger|other) (?:house|home|place|one|property)\b"
    r"|\b(?:otra|nueva) casa\b|\bcasa (?:nueva|mas grande|mas chica|mas pequena)\b"
)


def buying_spans(message: str) -> list[tuple[int, int]]:
    """Where ``message`` (as ``normalize`` reads it) names an amount for the home to BUY.

    The seller's price rules (sellers.extraction) skip these, so a lead who sells one home and
    buys another never has the budget read as the price of the home they sell.
    """
    text = _PHONE.sub(lambda m: " " * len(m.group()), normalize(message))
    if not (_side_signal(text, _BUY_INTENT) or _NEXT_HOME.search(text)):
        return []  # a lead who is only selling: "looking at 650k" is their price
    return [(m.start, m.end) for m, side in _sided_mentions(text) if side == "buy"]


def _budget_from(mentions: list[_Mention], *, corrected_from: int = 0) -> Budget | None:
    """Ranges fill min and max; otherwise the largest single figure fills max only. Figures
    after a correction ("actually make that 600k") replace the ones before it."""
    if not mentions:
        return None
    corrected = [m for m in mentions if m.start >= corrected_from]
    if corrected_from and corrected:
        mentions = corrected
    ranges = [m for m in mentions if m.low is not None]
    if ranges:
        return Budget(min=min(m.low for m in ranges), max=max(m.high for m in ranges))  # type: ignore[type-var]
    return Budget(min=None, max=max(m.high for m in mentions))


# --------------------------------------------------------------------------------------------
# Timeline
# --------------------------------------------------------------------------------------------

_QUANTITIES = {
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "couple": 2,
    "a few": 3,
    "few": 3,
    "several": 6,
    **EN_UNITS,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "eighteen": 18,
    "twenty": 20,
    "thirty": 30,
    "forty-five": 45,
    "forty five": 45,
    "forty": 40,
    "sixty": 60,
    "ninety": 90,
    "a": 1,
    "an": 1,
    "un par de": 2,
    "par de": 2,
    "unos cuantos": 3,
    "unas cuantas": 3,
    "unos": 3,
    "unas": 3,
    "pocos": 3,
    "pocas": 3,
    "varios": 6,
    "varias": 6,
    "un": 1,
    "una": 1,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
    "catorce": 14,
    "quince": 15,
    "dieciocho": 18,
    "veinte": 20,
    "treinta": 30,
    "cuarenta y cinco": 45,
    "cuarenta": 40,
    "sesenta": 60,
    "noventa": 90,
}
_VAGUE = frozenset(
    {"few", "several", "couple", "unos", "unas", "pocos", "pocas", "varios", "varias"}
)
_QTY = (
    r"(?:\d+(?:\.\d+)?|"
    + "|".join(q.replace(" ", r"\s+") for q in sorted(_QUANTITIES, key=len, reverse=True))
    + ")"
)
_UNIT = r"(?:days?|weeks?|wks?|months?|mos?|mths?|years?|yrs?|dias?|semanas?|meses|mes|anos?)"
# The second number of "a month or two": a count, never an article ("in 3 months to a house").
_COUNT = (
    r"(?:\d+(?:\.\d+)?|"
    + "|".join(q for q, n in _QUANTITIES.items() if n >= 2 and " " not in q and q not in _VAGUE)
    + ")"
)
_DURATION = re.compile(
    rf"\b(?P<a>{_QTY})\s*(?P<ua>{_UNIT})?\s*(?P<sep>-|to|or|a|o|y|hasta)\s*(?P<b>{_QTY})\s*"
    rf"(?P<ub>{_UNIT})\b"
    rf"|\b(?P<c>{_QTY})\s*(?P<uc>{_UNIT})\s*(?:or|o|to|-)\s*(?P<d>{_COUNT})\b(?!\s*(?:{_UNIT}|\d))"
    rf"|\b(?P<e>{_QTY})\s*(?P<ue>{_UNIT})\b"
)
# Durations that are fixed phrases; the number is the upper end in days.
_DURATION_PHRASES = [
    (re.compile(r"\b(?:a |one )?(?:year and a half|ano y medio)\b|\bun ano y medio\b"), 545),
    (re.compile(r"\b(?:a |one )?(?:month and a half)\b|\b(?:un )?mes y medio\b"), 45),
    (re.compile(r"\bhalf (?:a )?year\b|\bmedio ano\b|\bseis meses\b"), 180),
]
_WINDOW_BEFORE = wordset(
    """in within next en dentro proximos proximas over than menos max maximo under timeline
    timeframe frame plazo by about around like maybe approximately approx aprox aproximadamente
    unos unas como roughly say probably prob hopefully ideally idealmente quizas vez ready move
    buy sell comprar vender mudarnos mudarme mudar moving buying selling the los las de entre
    between"""
)
_NOT_A_WINDOW_BEFORE = wordset(
    """for since ago hace desde durante been lived owned have had has llevamos llevo vivimos
    vivido after despues past last ultimos ultimas pasados every cada old tiene tienen"""
)
_NOT_A_WINDOW_AFTER = re.compile(
    r"\s*(?:ago|old|atras|de edad|of|at|here|there|aqui|alli|en la casa|in the house|"
    r"on the job|at my job)\b"
)
_WINDOW_AFTER = re.compile(
    r"\s*(?:from now|out|away|de ahora|a partir de hoy|from today|or so|or less|tops|max|maximo|"
    r"o menos|mas o menos)\b"
)
_PHRASE_DAYS = [
    (
        re.compile(
            r"\b(?:asap|a\.s\.a\.p|as soon as possible|right away|immediately|urgent|urgently|"
            r"this week|next week|this weekend|a few weeks|few weeks|couple (?:of )?weeks|"
            r"lo antes posible|cuanto antes|lo mas pronto posible|lo mas rapido posible|"
            r"de inmediato|inmediatamente|urgente|esta semana|la proxima semana|"
            r"la semana que viene|unas semanas|unas cuantas semanas|un par de semanas|"
            r"pocas semanas|ya mismo|para ya|en cuanto se pueda|lo antes que se pueda|"
            r"the sooner the better|(?:entre|mientras) mas pronto mejor)\b"
            r"|\bready (?:to \w+ )?(?:right )?now\b|\b(?:need|want|have) to (?:buy|move|sell) "
            r"(?:right )?now\b|\b(?:comprar|vender|mudarme|mudarnos|moverme|cambiarnos|"
            r"cambiarme|comprarla|lo quiero|la quiero) ya\b"
        ),
        7,
    ),
    (
        re.compile(
            r"\b(?:this month|end of (?:the|this) month|by the end of the month|este mes|"
            r"fin de mes|finales de mes|fin de este mes)\b"
        ),
        30,
    ),
    (
        re.compile(
            r"\b(?:next month|end of next month|el proximo mes|el mes que viene|"
            r"el mes entrante)\b"
        ),
        60,
    ),
    # "Soon" states no window; we read it as within three months and the bot asks to confirm.
    (re.compile(r"\b(?:soon|very soon|pronto|muy pronto)\b"), 90),
    (
        re.compile(
            r"\b(?:this year|later this year|end of (?:the|this) year|este ano|"
            r"fin de ano|finales de ano|fin de este ano|antes de que termine el ano)\b"
        ),
        365,
    ),
    (
        re.compile(
            r"\b(?:next year|el proximo ano|el ano que viene|el ano entrante|"
            r"(?:in )?a year or two|(?:en )?un ano o dos)\b"
        ),
        730,
    ),
]
# "not soon", "no es urgente", "not anytime soon", "not this year": no window stated.
_PHRASE_NEGATION = re.compile(
    r"\b(?:not|no|isnt|nada|no es|not in|not for|not until|how|as|que tan|what)\s+"
    r"(?:any\s?time\s+|tan\s+|so\s+)?$"
)


def _quantity(text: str) -> float:
    text = " ".join(text.split())
    return float(text) if text[0].isdigit() else float(_QUANTITIES[text])


def _unit_days(unit: str) -> int:
    if unit.startswith("me") or unit.startswith("mo") or unit.startswith("mth"):
        return 30
    if unit.startswith(("dia", "day")):
        return 1
    if unit.startswith(("w", "sem")):
        return 7
    return 365


def _is_window(text: str, start: int, end: int) -> bool:
    """Whether a duration states when the lead moves ("in 3 months"), not how long ("lived 10 years")."""
    if _NOT_A_WINDOW_AFTER.match(text[end:]):
        return False
    before = _last_tokens(_clause_before(text, start), 2)
    if any(token in _NOT_A_WINDOW_BEFORE for token in before):
        return False
    if _WINDOW_AFTER.match(text[end:]) or not before:
        return True
    return any(token in _WINDOW_BEFORE for token in before)


# "at least a year", "not for another 6 months": the window opens after the duration, so its
# upper end lies beyond it (one day more puts it in the next bucket).
_BEYOND = re.compile(
    r"\b(?:at least|al menos|por lo menos|minimo|not for|not until|not before|no antes de|"
    r"more than|longer than|mas de)\s+(?:another\s+|otros\s+|otras\s+|the next\s+)?(?:in\s+|en\s+|within\s+)?$"
)


def _window_days(text: str, match: re.Match, days: int) -> int | None:
    if _BEYOND.search(_clause_before(text, match.start())):
        return days + 1
    return days if _is_window(text, match.start(), match.end()) else None


def _timeline_days(text: str) -> int | None:
    """Upper end, in days, of the soonest window the text states."""
    found: list[int | None] = []
    blanked = text
    for pattern, days in _DURATION_PHRASES:
        found.extend(_window_days(blanked, match, days) for match in pattern.finditer(blanked))
        blanked = pattern.sub(lambda m: " " * len(m.group()), blanked)
    for match in _DURATION.finditer(blanked):
        if match["b"]:
            days = _quantity(match["b"]) * _unit_days(match["ub"])
            if match["ua"] and match["sep"] == "y":
                days += _quantity(match["a"]) * _unit_days(match["ua"])  # "2 años y 6 meses"
        elif match["d"]:
            days = _quantity(match["d"]) * _unit_days(match["uc"])
        else:
            days = _quantity(match["e"]) * _unit_days(match["ue"])
        days = round(days)
        found.append(_window_days(blanked, match, days))
    for pattern, days in _PHRASE_DAYS:
        for match in pattern.finditer(text):
            if not _PHRASE_NEGATION.search(_clause_before(text, match.start())):
                found.append(days)
    windows = [days for days in found if days is not None]
    return min(windows) if windows else None


def timeline_for_days(days: int | None) -> TimelineValue:
    """The bucket holding a window whose upper end is ``days`` away (boundaries inclusive)."""
    if days is None:
        return "unknown"
    for limit, value in (
        (30, "asap"),
        (90, "1_3_months"),
        (180, "3_6_months"),
        (365, "6_12_months"),
    ):
        if days <= limit:
            return value  # type: ignore[return-value]
    return "12_plus_months"


# --------------------------------------------------------------------------------------------
# Financing
# --------------------------------------------------------------------------------------------

_FINANCED = re.compile(
    r"\bpre[- ]?approv\w*|\bpre[- ]?qualif\w*|\bapproved (?:for|up to|by|with|thru|through)\b"
    r"|\b(?:have|got|has) (?:a |an |my |our )?(?:approval|approval letter|letter from (?:my|our|the) "
    r"(?:lender|bank))\b"
    r"|\bpre[- ]?aprob\w*|\bpre[- ]?calific\w*|\baprobad[oa]s? (?:para|por|con|hasta)\b"
    r"|\b(?:im|i am|were|we are|got|get|getting|been|already|am|are|was)\s+approved\b"
    r"|\bcredito aprobado\b|\b(?:tengo|tenemos|estoy|estamos) aprobad[oa]s?\b"
)
_CASH = re.compile(
    r"\bcash (?:buyer|buyers|offer|purchase|deal)\b|\b(?:paying|pay|buying|buy it|purchase|"
    r"purchasing) (?:all |in |with )?cash\b|\ball cash\b|\b(?:en efectivo|de contado|al contado)\b"
    r"|\b(?:pagar|pago|pagaria|pagariamos|comprar|comprarla) (?:en |con )?cash\b"
)
_NOT_FINANCED = re.compile(
    r"\b(?:havent|have not|didnt|did not|not yet|never|dont know any)\s+(?:\w+\s+){0,1}"
    r"(?:talked|spoken|spoke|gone|went|reached out|contacted|checked|met|called)\s+(?:to|with)?\s*"
    r"(?:a |an |any |the |my )?(?:lender|bank|loan officer|mortgage)"
    r"|\b(?:dont|do not|dont yet) have (?:a |an |any )?(?:lender|loan officer|financing)\b"
    r"|\bno (?:lender|loan officer|financing)(?: yet)?\b|\bnot (?:yet )?approved\b"
    r"|\bneed (?:a |an )?(?:lender|loan officer)\b"
    r"|\bneed help (?:with|getting) (?:a |the )?(?:loan|mortgage|financing)\b"
    r"|\bno (?:he |hemos )?(?:hablado|hablo|hablamos|ido|voy|vamos|contactado|consultado|"
    r"buscado|busco|buscamos) (?:con |al |a )?(?:un |una |ningun |ninguna |el |la |algun |"
    r"alguna )?(?:prestamista|banco|lender|loan officer|asesor de (?:prestamos|credito)|"
    r"agente hipotecario)"
    r"|\bno (?:tengo|tenemos) (?:un |una |ningun |ninguna )?(?:prestamista|lender|banco|"
    r"financiamiento)\b"
    r"|\bnecesito (?:un |una )?(?:prestamista|lender|ayuda con (?:el |un )?(?:prestamo|credito|"
    r"financiamiento))\b"
)
_FINANCING_NEGATED_BEFORE = wordset(
    """not no never havent hasnt dont didnt isnt arent aint need needs gotta getting get will
    gonna going plan planning trying working process todavia aun necesito necesitamos quiero
    queremos voy vamos nunca sin ni que hoping hope"""
)
_NOT_YET_AFTER = re.compile(r"\s*[?:-]?\s*(?:not yet|todavia no|aun no|no aun|nope)\b")


def _pre_approved(text: str) -> bool | None:
    """True/False for the last financing statement in the text, None when financing is not mentioned."""
    statements: list[tuple[int, bool]] = []
    for match in _FINANCED.finditer(text):
        before = _last_tokens(_clause_before(text, match.start()), 4)
        negated = any(token in _FINANCING_NEGATED_BEFORE for token in before)
        negated = negated or bool(_NOT_YET_AFTER.match(text[match.end() :]))
        statements.append((match.start(), not negated))
    for match in _CASH.finditer(text):
        if not _negated(text, match.start()):
            statements.append((match.start(), True))
    statements.extend((match.start(), False) for match in _NOT_FINANCED.finditer(text))
    if not statements:
        return None
    return max(statements)[1]


# --------------------------------------------------------------------------------------------
# Short answers to the lead bot's questions
# --------------------------------------------------------------------------------------------

# "both" means nothing alone; as the answer to "buy, sell, or both?" it is the intent.
_BOTH_ANSWER = re.compile(
    r"^(?:(?:um+|uh+|well|pues|bueno|oh|ok|yeah|si|actually|en realidad|honestly|probably|"
    r"probablemente|creo que|i think|maybe|tal vez|a bit of|a little of|un poco de)\s+)*"
    r"(?:both|the two|las dos|los dos|ambas|ambos)(?:\s+(?:cosas|actually|really|things|"
    r"of them|de hecho|la verdad))*$"
)
# Clauses that answer "are you pre-approved?" with a plain yes or no (not yet, working on it).
_YES_CLAUSE = re.compile(
    r"^(?:yes|yeah|yea|yep|yup|sure|of course|correct|we are|i am|im|we have|already|"
    r"si|claro|asi es|correcto|ya|ya estoy|ya estamos|ya tengo|ya tenemos)"
    r"(?:\s+(?:we are|i am|we have|i have|already|ya|lo estoy|lo estamos|estamos|estoy|tenemos|"
    r"tengo|senor|senora|sir|maam))*$"
)
_NO_CLAUSE = re.compile(
    r"^(?:no|nope|nah|not yet|not really|no not yet|no we arent|no im not|no we havent|"
    r"working on it|were working on it|im working on it|in process|in the process|"
    r"todavia no|aun no|no todavia|no aun|todavia|aun|no estamos|no estoy|no tenemos|no tengo|"
    r"en eso estamos|estamos en eso|en proceso|en tramite)"
    r"(?:\s+(?:yet|todavia|aun|senor|senora|sir|maam))*$"
)
_ANSWER_CLAUSE = re.compile(r"[,.;:!?\n]|\b(?:and|but|y|pero)\b")


def read_answer(*, question: str, message: str) -> dict:
    """Facts that ``message`` states only as the answer to the lead bot's ``question``.

    The message itself is read by ``analyze_offline`` (context free); this adds what a short
    reply means after the question: "both" to "buy, sell or both?", "yes" / "not yet" /
    "todavía no" to "are you pre-approved?". Returns Contact field names and values.
    """
    text = normalize(message).strip(" .!")
    if question == "ask_intent" and _BOTH_ANSWER.match(text):
        return {"intent": "both"}
    # A message that states its financing itself ("not pre-approved yet") is read as it says.
    if question in ("ask_budget", "ask_preapproval") and _pre_approved(text) is None:
        clauses = [c.strip() for c in _ANSWER_CLAUSE.split(text) if c and c.strip()]
        for clause in reversed(clauses):  # the last statement wins, as for _pre_approved
            if _NO_CLAUSE.match(clause):
                return {"pre_approved": False}
            if _YES_CLAUSE.match(clause):
                return {"pre_approved": True}
    return {}


# --------------------------------------------------------------------------------------------
# One message, then the conversation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """What one message states."""

    buy: bool | None = None
    sell: bool | None = None
    buy_budget: Budget | None = None  # amounts a buying cue points at
    neutral_budget: Budget | None = None  # amounts no cue points at
    timeline_days: int | None = None
    pre_approved: bool | None = None
    area: str = ""
    votes: tuple[int, int] = (0, 0)
    asks_for: str = ""  # "in English please", "en español": the language the lead asks for
    opt_out: bool = False


def _read(message: str) -> _Facts:
    text = _PHONE.sub(lambda m: " " * len(m.group()), normalize(message))
    buy = _side_signal(text, _BUY_INTENT)
    sell = _side_signal(text, _SELL_INTENT)
    if _BOTH_INTENT.search(text):
        buy = buy if buy is False else True
        sell = sell if sell is False else True

    buy_side: list[_Mention] = []
    neutral: list[_Mention] = []
    for mention, side in _sided_mentions(text):
        if side == "buy":
            buy_side.append(mention)
        elif side == "neutral":
            neutral.append(mention)
    corrected_from = correction_start(text)

    return _Facts(
        buy=buy,
        sell=sell,
        buy_budget=_budget_from(buy_side, corrected_from=corrected_from),
        neutral_budget=_budget_from(neutral, corrected_from=corrected_from),
        timeline_days=_timeline_days(text[corrected_from:]) or _timeline_days(text),
        pre_approved=_pre_approved(text),
        area=_areas(text),
        votes=_language_votes(message, text),
        asks_for=_asked_language(text),
        opt_out=is_opt_out_keyword(message),
    )


def _latest(values) -> object:
    """The value the most recent message stated (None if none did)."""
    for value in reversed(list(values)):
        if value is not None:
            return value
    return None


def _lean(votes: tuple[int, int]) -> tuple[str | None, bool]:
    """The language one message leans to, and whether it is a full message clearly in it."""
    spanish, english = votes
    if spanish == english:
        return None, False
    lean, more, fewer = ("es", spanish, english) if spanish > english else ("en", english, spanish)
    return lean, more >= 3 and more >= 2 * fewer


def _language(facts: list[_Facts]) -> LanguageValue:
    """The language of the conversation, not of one message.

    Until the lead writes a full message clearly in one language, each leaning message
    decides. After that a short or mixed message ("ok perfecto, thank you") changes nothing;
    two full messages in a row in the other language, or asking for it, switch it.
    """
    language: str | None = None
    settled = False
    switching = 0
    for fact in facts:
        lean, clear = _lean(fact.votes)
        if fact.asks_for:
            language, settled, switching = fact.asks_for, True, 0
        elif not settled:
            language = lean or language
            settled = clear
        elif lean and lean != language:
            switching += clear
            if switching >= 2:
                language, switching = lean, 0
        elif lean == language:
            switching = 0
    return "es" if language == "es" else "en"


def analyze_offline(*, message: str, history: list[str] | None = None) -> LeadAnalysis:
    """Analyse a lead's latest message (and earlier inbound ones) without any network call."""
    facts = [_read(text) for text in [*(history or []), message] if text is not None]
    latest = facts[-1]

    sell = _latest(f.sell for f in facts)
    pre_approved = _latest(f.pre_approved for f in facts)
    buy = _latest(f.buy for f in facts)
    selling = sell is True
    seller_only = selling and buy is not True

    # The latest message that states a budget wins. Amounts with no cue are the budget unless
    # the lead is selling a home: then they are most likely its price (the seller bot asks for
    # it), and a lead who sells one home and buys another keeps the budget they gave for it.
    budget = None
    for fact in reversed(facts):
        budget = fact.buy_budget or (None if selling else fact.neutral_budget)
        if budget:
            break

    # A budget or a financing statement is about buying, unless the lead said they are not.
    if buy is None and (
        (budget and not seller_only) or pre_approved is not None or any(f.buy_budget for f in facts)
    ):
        buy = True

    if buy and sell:
        intent = "both"
    elif buy:
        intent = "buyer"
    elif sell:
        intent = "seller"
    else:
        intent = "unknown"

    analysis = LeadAnalysis(
        intent=intent,
        budget=budget or Budget(),
        timeline=timeline_for_days(_latest(f.timeline_days for f in facts)),  # type: ignore[arg-type]
        pre_approved=pre_approved,  # type: ignore[arg-type]
        language=_language(facts),
        engine="offline",
        area=_latest(f.area or None for f in facts) or "",  # type: ignore[arg-type]
        opt_out=latest.opt_out,
    )
    return with_score(analysis)
