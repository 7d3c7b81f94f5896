"""Which offered call time a lead picked, read from their reply, in English or Spanish.

"2", "option 3", "the second", "la primera", "the first one works", "Tuesday at 10", "el martes
a las 10", "tomorrow morning" pick one of the offered times; "none work", "ninguno", "another
day" say none does; a reply about the times that names no single one ("yes", "1 or 2", a time
that was not offered) is unclear, and the bot asks once. A message that says nothing about
times at all ("actually make that 600k") is not an answer: the bot in charge reads it. The
times are read in the zone the offer was worded in.

Rules, not a model: the pick decides a booking, so it must be exact and testable. A reading is
accepted only when it points at exactly one offered time.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from leads.intelligence.text import fold


@dataclass(frozen=True)
class Pick:
    """``index`` (0-based) of the offered time picked, or ``none``: none of them works.

    ``answers``: the message is about the offered times at all (else neither is set).
    """

    index: int | None = None
    none: bool = False
    answers: bool = True

    @property
    def unclear(self) -> bool:
        return self.answers and self.index is None and not self.none


UNCLEAR = Pick()
NONE_WORK = Pick(none=True)
NOT_AN_ANSWER = Pick(answers=False)

_ORDINALS = [
    (0, r"first|1st|primer|primero|primera|1ro|1ra|1er"),
    (1, r"second|2nd|segundo|segunda|2do|2da"),
    (2, r"third|3rd|tercer|tercero|tercera|3ro|3ra|3er"),
]
_LAST = re.compile(r"\b(?:last|(?:el|la) ultim[oa])\b")
_ANY = re.compile(
    r"\b(?:any|either|whichever|any of them|any one|cualquiera|cualquier|la que sea|el que sea|"
    r"earliest|soonest|lo antes posible|(?:el|la|lo) mas pronto)\b"
)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "uno": 1, "dos": 2, "tres": 3}
_OPTION = re.compile(
    r"\b(?:option|opcion|number|numero|num|choice)\s*#?\s*(\d|one|two|three|uno|dos|tres)\b"
    r"|#\s*(\d)\b"
    r"|\b(?:la|el)\s+(\d|uno|dos|tres)\b(?!\s*(?::|de\b|am\b|pm\b|a m\b|p m\b))"
)
# A bare number counts as an option only in a short reply, and never as a quantity.
_QUANTITY_AFTER = re.compile(
    r"^\s*(?:bed|beds|bedroom|bedrooms|bath|baths|bathroom|bathrooms|br|ba|kids|children|hijos|"
    r"recamaras|cuartos|habitaciones|banos|k|mil|years|anos|months|meses|weeks|semanas|days|"
    r"dias|hours|horas|minutes|minutos|people|personas|car|cars|garage)\b"
)
_SHORT_REPLY_WORDS = 8

_NEGATION = re.compile(
    r"\b(?:none|neither|nope|nah|not|no|cant|cannot|dont|doesnt|wont|isnt|aint|ninguno|ninguna|"
    r"ningun|tampoco|nada|nunca)\b"
)
_NOT_NEGATION = re.compile(
    r"\bno (?:problem|problemo|prob|worries)\b|\bnot a problem\b|\bno hay (?:problema|bronca)\b"
    r"|\bsin problema\b|\bcant wait\b"
)
# "None", "neither", "doesn't work", "no me queda": none of the times works. A negation
# elsewhere ("I don't have an agent yet") is not an answer about the times.
_NONE_WORK = re.compile(
    r"\b(?:none|neither|ninguno|ninguna|ningun|ni uno|ni una)\b"
    r"|\b(?:doesnt|dont|wont|cant|cannot|not|isnt) (?:work|make it|do (?:it|that|those|them|any)|"
    r"good|possible|available)\b"
    r"|\bno (?:me |nos )?(?:funciona|funcionan|queda|quedan|sirve|sirven|puedo|podemos|es posible)\b"
)
_SHORT_NO = 4  # "no", "nope", "not really", "no gracias": words at most
_OTHER_TIMES = re.compile(
    r"\b(?:other|another|different|diferente) (?:time|times|day|days|date|slot|slots|option|options)\b"
    r"|\b(?:otro|otra|otros|otras) (?:horario|horarios|hora|horas|dia|dias|fecha|momento|opcion|opciones)\b"
    r"|\b(?:next week|la proxima semana|la otra semana|la semana que viene|something later|"
    r"anything later|mas tarde)\b"
)
_YES = re.compile(
    r"\b(?:yes|yeah|yep|yup|sure|ok|okay|sounds good|works|perfect|great|good|fine|si|claro|"
    r"perfecto|esta bien|me funciona|me queda|dale|de acuerdo|va)\b"
)

# In a long message a day, a time or "first" may be about anything ("see the house first"):
# it picks only next to words that pick; else the bot asks which time.
_PICK_PHRASE = re.compile(
    r"\b(?:works?|is good|is fine|sounds good|perfect|book|lets do|let s do|ill take|i ll take|"
    r"take the|go with|how about|can we do|can do|i can|im free|i m free|available|prefer|"
    r"funciona|me queda|esta bien|reserv\w*|prefiero|puedo|me sirve|quiero)\b"
)

# A short "thanks!" to an offer is a reply to it that picks nothing yet.
_ACK = re.compile(
    r"\b(?:thanks|thank you|thx|ty|gracias|cool|awesome|genial|excelente|okey|k|got it|entendido)\b"
)

_WEEKDAYS = {
    "monday": 0, "mon": 0, "lunes": 0,
    "tuesday": 1, "tue": 1, "tues": 1, "martes": 1,
    "wednesday": 2, "wed": 2, "miercoles": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "jueves": 3,
    "friday": 4, "fri": 4, "viernes": 4,
    "saturday": 5, "sat": 5, "sabado": 5,
    "sunday": 6, "sun": 6, "domingo": 6,
}  # fmt: skip
_MONTHS = {
    "january": 1, "jan": 1, "enero": 1, "february": 2, "feb": 2, "febrero": 2,
    "march": 3, "mar": 3, "marzo": 3, "april": 4, "apr": 4, "abril": 4, "may": 5, "mayo": 5,
    "june": 6, "jun": 6, "junio": 6, "july": 7, "jul": 7, "julio": 7,
    "august": 8, "aug": 8, "agosto": 8, "september": 9, "sept": 9, "sep": 9, "septiembre": 9,
    "october": 10, "oct": 10, "octubre": 10, "november": 11, "nov": 11, "noviembre": 11,
    "december": 12, "dec": 12, "diciembre": 12,
}  # fmt: skip


def _alt(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_WEEKDAY = re.compile(rf"\b({_alt(_WEEKDAYS)})\b")
_MONTH_DAY = re.compile(
    rf"\b(?P<m1>{_alt(_MONTHS)}) (?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b"
    rf"|\b(?P<d2>\d{{1,2}}) de (?P<m2>{_alt(_MONTHS)})\b"
    r"|\bthe (?P<d3>\d{1,2})(?:st|nd|rd|th)\b"
)
_TODAY = re.compile(r"\b(?:today|hoy)\b")
_DAY_AFTER = re.compile(r"\bpasado manana\b")
# "mañana" is "tomorrow", except "la/esta/por la mañana" ("the/this morning").
_TOMORROW = re.compile(
    r"\b(?:tomorrow|tomorow|tmrw|tmr)\b|(?<!la )(?<!esta )(?<!pasado )\bmanana\b"
)
_MORNING = re.compile(r"\bmornings?\b|\b(?:la|las|esta) mananas?\b|\bam\b|\ba m\b")
_AFTERNOON = re.compile(r"\bafternoons?\b|(?<!mas )\btardes?\b")
_EVENING = re.compile(r"\bevenings?\b|\bnights?\b|\bnoches?\b")
_NOON = re.compile(r"\bnoon\b|\bmediodia\b")
_TIME = re.compile(
    r"(?P<at>\b(?:at|a las|a la|around|como a las|tipo|by|@)\s*)?"
    r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm|a m|p m)?\b"
    r"(?P<oclock>\s*(?:oclock|o clock|en punto|hrs|hs))?"
)


_HOUR_WORDS = {
    "una": 1, "one": 1, "dos": 2, "two": 2, "tres": 3, "three": 3, "cuatro": 4, "four": 4,
    "cinco": 5, "five": 5, "seis": 6, "six": 6, "siete": 7, "seven": 7, "ocho": 8, "eight": 8,
    "nueve": 9, "nine": 9, "diez": 10, "ten": 10, "once": 11, "eleven": 11, "doce": 12,
    "twelve": 12,
}  # fmt: skip
_HOUR_IN_WORDS = re.compile(rf"\b(a las|a la|at|around) ({_alt(_HOUR_WORDS)})\b")


def _normalise(text: str) -> str:
    text = fold(text).replace("'", "").replace("’", "")
    text = re.sub(r"(?<=\d)\.(?=\d{2}\b)", ":", text)  # "10.30" → "10:30"
    text = re.sub(r"[^a-z0-9:#@ ]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    # "a las diez" / "at ten" → "a las 10"; "10 y media" → "10:30".
    text = _HOUR_IN_WORDS.sub(lambda m: f"{m[1]} {_HOUR_WORDS[m[2]]}", text)
    text = re.sub(r"\b(\d{1,2}) y media\b", r"\1:30", text)
    return re.sub(r"\b(\d{1,2}) y cuarto\b", r"\1:15", text)


@dataclass
class _Reading:
    indexes: set[int]
    weekdays: set[int]
    dates: set[date]
    numbers: bool = False  # a bare number or option was mentioned
    hour: int | None = None  # 0-23 when am/pm is known, else 1-12 (either half of the day)
    minute: int | None = None
    half_known: bool = False
    parts: set[str] | None = None

    @property
    def has_time_constraint(self) -> bool:
        return bool(self.weekdays or self.dates or self.hour is not None or self.parts)


def read_pick(text: str, *, slots: Sequence[datetime], zone: tzinfo, now: datetime) -> Pick:
    """What the lead's ``text`` says about the offered ``slots`` (start times, oldest first)."""
    if not slots:
        return UNCLEAR
    t = _normalise(text)
    if not t:
        return NOT_AN_ANSWER
    negative = bool(_NEGATION.search(_NOT_NEGATION.sub(" ", t)))
    reading = _read(t, count=len(slots), today=now.astimezone(zone).date())

    long_without_pick = len(t.split()) > _SHORT_REPLY_WORDS and not _PICK_PHRASE.search(t)
    if long_without_pick and (reading.indexes or reading.has_time_constraint):
        return UNCLEAR
    candidates: set[int] = set()
    if reading.indexes:
        if len(reading.indexes) > 1:
            return UNCLEAR  # "1 or 2"
        candidates = set(reading.indexes)
    elif reading.has_time_constraint:
        candidates = {
            i for i, start in enumerate(slots) if _matches(start.astimezone(zone), reading)
        }
        if not candidates:
            return UNCLEAR if not negative else NONE_WORK  # a time we did not offer
    if candidates:
        if negative or len(candidates) > 1:
            return UNCLEAR  # "not Tuesday", "2 doesn't work", two Tuesday slots
        return Pick(index=candidates.pop())

    short_no = negative and len(t.split()) <= _SHORT_NO
    if short_no or _NONE_WORK.search(t) or _OTHER_TIMES.search(t):
        return NONE_WORK
    if _ANY.search(t):
        return Pick(index=0)  # "any of them": the soonest
    if _YES.search(t):
        return Pick(index=0) if len(slots) == 1 else UNCLEAR  # "yes" to three times: which?
    if reading.numbers or (_ACK.search(t) and len(t.split()) <= _SHORT_NO):
        return UNCLEAR  # "1 or 2", "4" when three were offered, "thanks!"
    return NOT_AN_ANSWER


def _read(t: str, *, count: int, today: date) -> _Reading:
    reading = _Reading(indexes=set(), weekdays=set(), dates=set(), parts=set())
    for index, words in _ORDINALS:
        if re.search(rf"\b(?:{words})\b", t) and index < count:
            reading.indexes.add(index)
    if _LAST.search(t):
        reading.indexes.add(count - 1)
    for match in _OPTION.finditer(t):
        value = next(group for group in match.groups() if group)
        number = int(value) if value.isdigit() else _NUMBER_WORDS[value]
        reading.numbers = True
        if 1 <= number <= count:
            reading.indexes.add(number - 1)

    used: list[tuple[int, int]] = []
    for match in _MONTH_DAY.finditer(t):
        month = _MONTHS[match["m1"] or match["m2"]] if (match["m1"] or match["m2"]) else None
        day_number = int(match["d1"] or match["d2"] or match["d3"])
        found = _date_for(today, month, day_number)
        if found is not None:
            reading.dates.add(found)
            used.append(match.span())
    for match in _WEEKDAY.finditer(t):
        reading.weekdays.add(_WEEKDAYS[match.group(1)])
    if _TODAY.search(t):
        reading.dates.add(today)
    if _DAY_AFTER.search(t):
        reading.dates.add(today + timedelta(days=2))
    if _TOMORROW.search(t):
        reading.dates.add(today + timedelta(days=1))

    _read_time(t, reading, used, count=count)
    if _NOON.search(t):
        reading.hour, reading.minute, reading.half_known = 12, 0, True
    if _MORNING.search(t):
        reading.parts.add("morning")
    if _AFTERNOON.search(t):
        reading.parts.add("afternoon")
    if _EVENING.search(t):
        reading.parts.add("evening")
    if reading.hour is not None and not reading.half_known and reading.parts:
        # "a las 5 de la tarde", "at 9 in the morning"
        if reading.parts <= {"afternoon", "evening"} and reading.hour < 12:
            reading.hour, reading.half_known = reading.hour + 12, True
        elif reading.parts == {"morning"}:
            reading.hour, reading.half_known = reading.hour % 12, True
    return reading


def _read_time(t: str, reading: _Reading, used: list[tuple[int, int]], *, count: int) -> None:
    bare: list[int] = []
    for match in _TIME.finditer(t):
        start = match.start("h")
        if any(a <= start < b for a, b in used):
            continue  # the day of a date ("June 16")
        hour = int(match["h"])
        marked = bool(match["at"] or match["m"] or match["ampm"] or match["oclock"])
        if not marked:
            if _QUANTITY_AFTER.match(t[match.end() :]) or t[:start].rstrip().endswith("$"):
                continue  # "3 bedrooms", "$500"
            bare.append(hour)
            continue
        if hour > 23 or (match["m"] and int(match["m"]) > 59):
            continue
        ampm = (match["ampm"] or "").replace(" ", "")
        reading.minute = int(match["m"]) if match["m"] else None
        if ampm:
            reading.hour, reading.half_known = hour % 12 + (12 if ampm == "pm" else 0), True
        elif hour > 12 or hour == 0:
            reading.hour, reading.half_known = hour, True
        else:
            reading.hour, reading.half_known = hour, False
    # A bare number in a short reply: an option ("2"), or an hour when no option has that
    # number ("10"). Several ("1 or 2") are unclear; in a long message they say nothing.
    short = len(t.split()) <= _SHORT_REPLY_WORDS
    reading.numbers = reading.numbers or (bool(bare) and short)
    if len(bare) == 1 and short and not reading.indexes:
        number = bare[0]
        if 1 <= number <= count:
            reading.indexes.add(number - 1)
        elif 1 <= number <= 12 and reading.hour is None:
            reading.hour, reading.half_known = number, False
    for word, number in _NUMBER_WORDS.items():
        if number <= count and re.fullmatch(rf"(?:the )?{word}(?: please| por favor)?", t):
            reading.indexes.add(number - 1)  # "two", "dos por favor"


def _date_for(today: date, month: int | None, day_number: int) -> date | None:
    """The next date (from today) with that day number, in ``month`` if given."""
    for offset in range(0, 62):
        candidate = today + timedelta(days=offset)
        if candidate.day == day_number and (month is None or candidate.month == month):
            return candidate
    return None


def _matches(local: datetime, reading: _Reading) -> bool:
    if reading.weekdays and local.weekday() not in reading.weekdays:
        return False
    if reading.dates and local.date() not in reading.dates:
        return False
    if reading.hour is not None:
        if reading.half_known and local.hour != reading.hour:
            return False
        if not reading.half_known and local.hour % 12 != reading.hour % 12:
            return False
        if reading.minute is not None and local.minute != reading.minute:
            return False
    if reading.parts and reading.hour is None:
        part = "morning" if local.hour < 12 else "afternoon" if local.hour < 17 else "evening"
        if part not in reading.parts:
            return False
    return True
