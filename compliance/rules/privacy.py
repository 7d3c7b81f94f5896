"""Sensitive personal data in messages: find it, redact it, never keep it.

A lead sometimes texts a Social Security number "for the pre-approval", a card number "for
the deposit", or bank details. None of it may be stored, logged, shown in the admin or sent
to the AI (docs/compliance.md, "Privacy"). This module finds:

- ``ssn``: a Social Security number (or an ITIN, which shares its shape) written
  ``123-45-6789`` / ``123 45 6789``, or nine bare digits right after "SSN", "social",
  "seguro social", "ITIN"; numbers the SSA never issues (area 000/666, group 00, serial 0000)
  are not SSNs.
- ``card_number``: 13 to 19 digits (spaces or dashes allowed) with a card network's prefix
  that pass the Luhn check.
- ``card_security_code``: three or four digits right after "CVV", "CVC", "security code",
  "código de seguridad".
- ``routing_number``: nine digits that pass the ABA checksum, with a Federal Reserve prefix,
  in a message that talks about a bank ("routing", "ABA", "account", "banco", "cuenta", …).
- ``bank_account``: 6 to 17 digits right after "account (number)", "acct", "checking",
  "savings", "número de cuenta", "cuenta bancaria".
- ``date_of_birth``: a date right after "DOB", "date of birth", "born on", "fecha de
  nacimiento", "nací el", or a birth-like date (year up to ``BIRTH_YEAR_MAX``) in a message
  that carries one of the numbers above.

``redact_sensitive`` replaces each with a placeholder ("[SSN removed]"); the original is
not kept anywhere. ``redacted_kinds`` reads the placeholders back, so a stored message still
says what it carried. Pure functions: no database, no I/O, no clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from config import json_input

from ._text import fold

SensitiveKind = Literal[
    "ssn",
    "card_number",
    "card_security_code",
    "bank_account",
    "routing_number",
    "date_of_birth",
]

PLACEHOLDERS: dict[str, str] = {
    "ssn": "[SSN removed]",
    "card_number": "[card number removed]",
    "card_security_code": "[security code removed]",
    "bank_account": "[account number removed]",
    "routing_number": "[routing number removed]",
    "date_of_birth": "[date of birth removed]",
}
_PLACEHOLDER_KINDS = {text: kind for kind, text in PLACEHOLDERS.items()}
_PLACEHOLDER_RE = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))

# A date with a year up to this one, next to another sensitive number, is taken for a date
# of birth (a closing date or "we moved in 2019" is later; leads are adults). A constant,
# not the clock, so the rule stays pure; it only needs to move if leads get much younger.
BIRTH_YEAR_MAX = 2010

_I = re.IGNORECASE


@dataclass(frozen=True)
class SensitiveMatch:
    """One piece of sensitive data: what it is and where it is in the text."""

    kind: SensitiveKind
    start: int
    end: int


# --- Checksums ------------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# Card networks' leading digits (IIN ranges): Visa, Mastercard, Amex, Discover, Diners, JCB,
# UnionPay, Maestro. A Luhn-valid number without one of them is not taken for a card.
_CARD_PREFIX = re.compile(
    r"^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|6(?:011|5|4[4-9]|2)|3(?:0[0-5]|[68])|35|5[06-9]|6\d)"
)


def card_number_valid(digits: str) -> bool:
    """13 to 19 digits, a card network's prefix, and the Luhn check."""
    return 13 <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and luhn_valid(digits)


def aba_routing_valid(digits: str) -> bool:
    """Nine digits with a Federal Reserve routing prefix and a valid ABA checksum."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    prefix = int(digits[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    d = [int(c) for c in digits]
    checksum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return checksum % 10 == 0


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """A number the SSA could have issued, or an ITIN (9XX with group 50-65, 70-88, 90-92, 94-99)."""
    if group == "00" or serial == "0000" or area in ("000", "666"):
        return False
    if area.startswith("9"):
        g = int(group)
        return 50 <= g <= 65 or 70 <= g <= 88 or 90 <= g <= 92 or 94 <= g <= 99
    return True


# --- Patterns ---------------------------------------------------------------------------------

# Digits not glued to other digits (or to a dash-joined number such as an APN "0234-123-45-0000").
_NOT_AFTER = r"(?<![\d\-/.])"
_NOT_BEFORE = r"(?![\d]|-\d|/\d|\.\d)"

_SSN_DASHED = re.compile(rf"{_NOT_AFTER}(\d{{3}})([- .])(\d{{2}})\2(\d{{4}}){_NOT_BEFORE}")
_NINE_DIGITS = re.compile(rf"{_NOT_AFTER}(\d{{3}})[ ]?(\d{{2}})[ ]?(\d{{4}}){_NOT_BEFORE}")
_SSN_LABEL = re.compile(
    r"(?:\bssn\b|\bss ?#|\bs\.s\.n?\.?|\bsocial(?: security)?(?: number| no\.?| #)?|\bsoc sec\b|"
    r"\bitin\b|\bseguro social\b|\bsocial security\b|\bn[uú]mero de seguro\b)",
    _I,
)
# A run of digits that may be a card number typed in groups ("4111 1111 1111 1111").
_DIGIT_GROUPS = re.compile(rf"{_NOT_AFTER}\d+(?:[ -]\d+)*{_NOT_BEFORE}")
_CVV = re.compile(
    r"\b(?:cvv2?|cvc2?|csc|cid|security code|c[oó]digo de seguridad|c[oó]digo cvv|"
    r"c[oó]digo de atr[aá]s|3 digits on the back|(?:the )?code on the back)\b"
    r"\s*(?:is|es|:|#|=|-)?\s*(\d{3,4})\b",
    _I,
)
_ROUTING_LABEL = re.compile(
    r"\b(?:routing|aba|rtn|n[uú]mero de ruta|ruta bancaria|c[oó]digo de ruta|ruta)\b", _I
)
_BANK_CONTEXT = re.compile(
    r"\b(?:routing|aba|rtn|bank|banks|banking|account|acct|checking|savings|wire|direct deposit|"
    r"credit union|banco|cuenta|ruta|transferencia|dep[oó]sito directo|cheques|ahorros)\b",
    _I,
)
# "Account number 12345678", "acct 12345678", "número de cuenta: 12345678"; a bare "account"
# "cuenta" needs a marker ("es", "#", ":") so "tener en cuenta 250000" is not an account, and
# "savings" needs "account" so "savings 250000" stays an amount.
_ACCOUNT = re.compile(
    r"(?:\b(?:bank )?account (?:number|num|no\.?|nbr|#)|\bacct\.?(?: number| no\.?| #)?|\bacc ?#|"
    r"\bbank account|\b(?:checking|savings) account(?: number| no\.?| #)?|"
    r"\bn[uú]mero de (?:la |mi |su )?cuenta(?: bancaria| de banco)?|"
    r"\bcuenta (?:bancaria|de banco|de cheques|de ahorros?)(?: n[uú]mero)?|"
    r"\baccount(?= ?(?:is|:|#|no\.|\d))|\bcuenta(?= ?(?:es|:|#|no\.)))"
    r"\s*(?:is|es|:|#|=|-|no\.)?\s*(?:is|es|:|#)?\s*"
    rf"(\d(?:[ -]?\d){{5,16}}){_NOT_BEFORE}(?!\s*(?:k\b|dollars|usd|mil\b|bucks|pesos|%))",
    _I,
)
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|"
    r"mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)"
)
_DATE = re.compile(
    rf"{_NOT_AFTER}(?:\d{{1,2}}[/\-.]\d{{1,2}}[/\-.](?P<y1>\d{{4}}|\d{{2}})|"
    rf"(?P<y2>(?:19|20)\d{{2}})-\d{{1,2}}-\d{{1,2}}|"
    rf"{_MONTHS}\.? \d{{1,2}}(?:st|nd|rd|th)?,? (?P<y3>(?:19|20)\d{{2}})|"
    rf"\d{{1,2}}(?: de)? {_MONTHS}(?: de(?:l)?)?,? (?P<y4>(?:19|20)\d{{2}}))"
    rf"{_NOT_BEFORE}",
    _I,
)
# An explicit label names a date of birth whatever its year; "born", "birthday" only a
# birth-like one (a lead's child "born 01/02/2024" is not read as the lead's own).
_DOB_LABEL = re.compile(
    r"(?:\bdob\b|\bd\.o\.b\.?|\bdate of birth\b|\bbirth ?date\b|\bfecha de nacimiento\b|"
    r"\bf\. ?de nac\.?)",
    _I,
)
_BIRTH_WORD = re.compile(
    r"(?:\bborn(?: on)?\b|\bbirthday\b|\bb-?day\b|\bnacimiento\b|\bnac[ií](?: el)?\b|"
    r"\bcumplea[nñ]os\b)",
    _I,
)
# Words one of which must appear (lower-cased) before a pattern that needs them is run: a
# plain substring test is far cheaper than the pattern (every log record is scanned).
_SSN_WORDS = ("ssn", "ss#", "ss #", "social", "soc sec", "itin", "seguro", "s.s")
_ACCOUNT_WORDS = ("account", "acct", "acc", "checking", "savings", "cuenta")
_CVV_WORDS = ("cvv", "cvc", "csc", "cid", "security code", "digo", "code on the back", "3 digits")
_BIRTH_WORDS = ("dob", "d.o.b", "birth", "born", "b-day", "bday", "nacimiento", "nac", "cumplea")
_NINE_RUN = re.compile(r"\d{9}")

# How close a label must be to the number it names (characters before it).
_LABEL_REACH = 40


def _labelled(pattern: re.Pattern[str], text: str, start: int) -> bool:
    window = text[max(0, start - _LABEL_REACH) : start]
    return bool(pattern.search(window))


def _year(match: re.Match[str]) -> int:
    raw = next(match.group(g) for g in ("y1", "y2", "y3", "y4") if match.group(g))
    if len(raw) == 2:
        value = int(raw)
        return 2000 + value if value <= 25 else 1900 + value
    return int(raw)


# --- Finding ----------------------------------------------------------------------------------


def _cards(text: str) -> Iterator[SensitiveMatch]:
    for run in _DIGIT_GROUPS.finditer(text):
        if sum(ch.isdigit() for ch in run.group(0)) < 13:
            continue  # too short for any card: most runs (ids, prices, phones) stop here
        groups = [
            (m.group(0), run.start() + m.start(), run.start() + m.end())
            for m in re.finditer(r"\d+", run.group(0))
        ]
        i = 0
        while i < len(groups):
            found = None
            digits = ""
            for j in range(i, len(groups)):
                digits += groups[j][0]
                if len(digits) > 19:
                    break
                if card_number_valid(digits):
                    found = j  # keep going: the longest valid number wins
            if found is not None:
                yield SensitiveMatch("card_number", groups[i][1], groups[found][2])
                i = found + 1
            else:
                i += 1


def _ssns(text: str, lowered: str) -> Iterator[SensitiveMatch]:
    for m in _SSN_DASHED.finditer(text):
        if ssn_valid(m.group(1), m.group(3), m.group(4)):
            yield SensitiveMatch("ssn", m.start(), m.end())
    if not any(word in lowered for word in _SSN_WORDS):
        return
    for m in _NINE_DIGITS.finditer(text):
        if _labelled(_SSN_LABEL, text, m.start()) and ssn_valid(m.group(1), m.group(2), m.group(3)):
            yield SensitiveMatch("ssn", m.start(), m.end())


def _routing_numbers(text: str) -> Iterator[SensitiveMatch]:
    if not _NINE_RUN.search(text) or not _BANK_CONTEXT.search(text):
        return
    for m in re.finditer(rf"{_NOT_AFTER}\d{{9}}{_NOT_BEFORE}", text):
        if aba_routing_valid(m.group(0)) and not _labelled(_SSN_LABEL, text, m.start()):
            yield SensitiveMatch("routing_number", m.start(), m.end())


def _accounts(text: str, lowered: str) -> Iterator[SensitiveMatch]:
    if not any(word in lowered for word in _ACCOUNT_WORDS):
        return
    for m in _ACCOUNT.finditer(text):
        yield SensitiveMatch("bank_account", m.start(1), m.end(1))


def _security_codes(text: str, lowered: str) -> Iterator[SensitiveMatch]:
    if not any(word in lowered for word in _CVV_WORDS):
        return
    for m in _CVV.finditer(text):
        yield SensitiveMatch("card_security_code", m.start(1), m.end(1))


def _dates_of_birth(text: str, lowered: str, *, near_other: bool) -> Iterator[SensitiveMatch]:
    if not near_other and not any(word in lowered for word in _BIRTH_WORDS):
        return  # a date alone, with no birth word and nothing else sensitive, is just a date
    for m in _DATE.finditer(text):
        birth_like = _year(m) <= BIRTH_YEAR_MAX
        if _labelled(_DOB_LABEL, text, m.start()) or (
            birth_like and (near_other or _labelled(_BIRTH_WORD, text, m.start()))
        ):
            yield SensitiveMatch("date_of_birth", m.start(), m.end())


def _without_overlaps(matches: list[SensitiveMatch]) -> list[SensitiveMatch]:
    # Earlier detectors win a tie (a card beats the SSN-shaped digits inside it).
    kept: list[SensitiveMatch] = []
    for match in sorted(matches, key=lambda m: (m.start, -(m.end - m.start))):
        if kept and match.start < kept[-1].end:
            continue
        kept.append(match)
    return kept


def find_sensitive_data(text: str) -> list[SensitiveMatch]:
    """Every piece of sensitive data in ``text``, in order, without overlaps."""
    if not text or not any(ch.isdigit() for ch in text):
        return []
    lowered = text.lower()
    numbers = _without_overlaps(
        [
            *_cards(text),
            *_ssns(text, lowered),
            *_routing_numbers(text),
            *_accounts(text, lowered),
            *_security_codes(text, lowered),
        ]
    )
    near_other = bool(numbers) or bool(_PLACEHOLDER_RE.search(text))
    taken = [(m.start, m.end) for m in numbers]
    births = [
        m
        for m in _dates_of_birth(text, lowered, near_other=near_other)
        if not any(m.start < end and start < m.end for start, end in taken)
    ]
    return _without_overlaps([*numbers, *births])


def find_placeholders(text: str) -> list[SensitiveMatch]:
    """Where data was already redacted from ``text``: its placeholders, in order."""
    return [
        SensitiveMatch(_PLACEHOLDER_KINDS[m.group(0)], m.start(), m.end())  # type: ignore[arg-type]
        for m in _PLACEHOLDER_RE.finditer(text or "")
    ]


def redacted_kinds(text: str) -> list[str]:
    """The kinds of data already redacted from ``text`` (its placeholders), in order, once each."""
    return list(dict.fromkeys(m.kind for m in find_placeholders(text)))


def contains_sensitive_data(text: str) -> bool:
    """Whether ``text`` carries sensitive data, raw or already redacted."""
    return bool(find_sensitive_data(text)) or bool(_PLACEHOLDER_RE.search(text or ""))


# --- Redacting --------------------------------------------------------------------------------


def redact_sensitive(text: str) -> str:
    """``text`` with every piece of sensitive data replaced by its placeholder."""
    if not text:
        return text
    matches = find_sensitive_data(text)
    if not matches:
        return text
    parts, last = [], 0
    for match in matches:
        parts.append(text[last : match.start])
        parts.append(PLACEHOLDERS[match.kind])
        last = match.end
    parts.append(text[last:])
    return "".join(parts)


# Keys that carry an identifier (HighLevel's contactId, messageId, …): never rewritten, since
# processing needs them and they are not personal data.
_ID_KEY = re.compile(r"(?:^id$|Id$|_id$|^webhookId$)")
# Keys that name sensitive data (HighLevel's contact ``dateOfBirth``, a form's "ssn"): their
# value is replaced whatever it looks like.
_SENSITIVE_KEYS = {
    "dateofbirth": "date_of_birth",
    "dob": "date_of_birth",
    "birthdate": "date_of_birth",
    "ssn": "ssn",
    "socialsecuritynumber": "ssn",
    "cardnumber": "card_number",
    "creditcard": "card_number",
    "cvv": "card_security_code",
    "cvc": "card_security_code",
    "accountnumber": "bank_account",
    "bankaccount": "bank_account",
    "routingnumber": "routing_number",
}


def redact_sensitive_data(value: Any, *, key: str = "") -> Any:
    """A JSON-like value (dicts, lists, strings) with its sensitive data redacted.

    Every string is redacted, except under identifier keys (``contactId``); a value under a
    key that names sensitive data (``dateOfBirth``, ``ssn``) is replaced whole.
    """
    sensitive = _SENSITIVE_KEYS.get(re.sub(r"[^a-z]", "", key.lower()))
    if sensitive and value not in (None, "", [], {}):
        return PLACEHOLDERS[sensitive]
    if isinstance(value, str):
        return value if _ID_KEY.search(key) else redact_sensitive(value)
    if isinstance(value, dict):
        return {k: redact_sensitive_data(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_sensitive_data(item, key=key) for item in value]
    return value


def redact_json_text(text: str) -> str:
    """A raw JSON body as it may be stored: unchanged when it carries no sensitive data,
    else the redacted document (re-serialised, so escaped characters hide nothing).

    Text that is not JSON (or JSON nested too deep to walk) is redacted as text.
    """
    try:
        document = json_input.loads(text)
    except ValueError:
        return redact_sensitive(text)
    redacted = redact_sensitive_data(document)
    if redacted == document:
        return text
    return json.dumps(redacted, ensure_ascii=False)


def evidence_around(text: str, start: int, end: int, *, reach: int = 40) -> str:
    """The words around ``text[start:end]``, with any sensitive data in them redacted."""
    left = max(0, start - reach)
    right = min(len(text), end + reach)
    snippet = redact_sensitive(text[left:right]).strip()
    return ("…" if left > 0 else "") + snippet + ("…" if right < len(text) else "")


# --- Sentences a lead's qualification must not be read from -----------------------------------

_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;\n]*")


def without_sensitive_sentences(text: str) -> str:
    """``text`` without the sentences that carry sensitive data, raw or redacted.

    An SSN "for the pre-approval" is not a pre-approval, and its digits are not a budget:
    the qualification reads only what is left.
    """
    if not text or not contains_sensitive_data(text):
        return text
    kept = [s for s in _SENTENCE.findall(text) if not contains_sensitive_data(s)]
    return "".join(kept).strip()


# --- Bot drafts: asking for, or claiming to pass on, sensitive data ---------------------------

_SENSITIVE_NOUN_EN = (
    r"(?:ssn|ss ?#|social(?! media)(?: security)?(?: number| no| #)?|soc sec|itin|tax id|"
    r"(?:credit|debit) card(?: number| no| #| details| info(?:rmation)?)?|"
    r"card (?:number|no|#|details|info(?:rmation)?)|cvv|cvc|security code|"
    r"bank (?:account|details|info(?:rmation)?|statements?)|account number|acct(?: number)?|"
    r"routing(?: number)?|date of birth|dob|birth ?date)"
)
_SENSITIVE_NOUN_ES = (
    r"(?:seguro social|numero de seguro(?: social)?|ssn|itin|tarjeta de (?:credito|debito)|"
    r"numero de (?:la |su |tu )?tarjeta|datos de (?:la |su |tu )?tarjeta|cvv|"
    r"codigo de seguridad|cuenta bancaria|numero de (?:la |su |tu )?cuenta|cuenta de banco|"
    r"numero de ruta|datos bancarios|fecha de nacimiento)"
)
_ASKS = re.compile(
    r"\b(?:send|text|share|give|provide|email|tell|confirm|need|reply with|what(?:s| is)|"
    r"can i (?:get|have)|could you (?:send|share|give)|please (?:send|share|give|provide)|"
    r"ask(?:ing)? (?:you )?for|enter|type)\b(?: \w+){0,4}? (?:me |us |jorge )?(?:your |the |a )?"
    + _SENSITIVE_NOUN_EN
    + r"\b|"
    r"\b(?:envie|envieme|enviame|envienos|mande|mandeme|mandame|comparta|compartame|"
    r"compartanos|deme|dame|proporcione|proporcioneme|confirme|digame|dime|escriba|"
    r"necesito|necesitamos|cual es|me pasa|me da|pasenos)\b(?: \w+){0,4}? "
    r"(?:su |tu |el |la |sus |tus )?" + _SENSITIVE_NOUN_ES + r"\b"
)
_SHARED = re.compile(
    r"\b(?:(?:i|ive|i have|we|weve|we have)(?: already)? (?:shared|sent|forwarded|passed|"
    r"given|handed)|(?:has|have) been (?:shared|sent|forwarded|passed))\b(?: \w+){0,3}? "
    r"(?:your |the |this |that )?" + _SENSITIVE_NOUN_EN + r"\b|"
    r"\b(?:ya )?(?:le |se lo |se la |se los )?(?:pase|comparti|envie|mande|di|entregue)\b"
    r"(?: \w+){0,3}? (?:su |tu |el |la )?" + _SENSITIVE_NOUN_ES + r"\b"
)
# "Please don't send your SSN by text", "Jorge will never ask for your card number": the
# privacy notice itself, which must pass.
_NEGATED = re.compile(
    r"\b(?:dont|do not|never|wont|will not|no need to|not|please dont|no|nunca|jamas|evite|"
    r"no nos|no le|no me)\b(?: \w+){0,3}$"
)


def asks_for_sensitive_data(text: str) -> str:
    """The words of a bot draft that ask the lead for sensitive data ("" when it does not)."""
    folded = fold(text)
    for m in _ASKS.finditer(folded):
        if not _NEGATED.search(folded[: m.start()].rstrip()[-60:]):
            return m.group(0)
    return ""


def claims_sharing_sensitive_data(text: str) -> str:
    """The words of a bot draft that say sensitive data was passed on ("" when it does not)."""
    found = _SHARED.search(fold(text))
    return found.group(0) if found else ""


# --- The notice to a lead who sent such data ---------------------------------------------------

# It may be the lead's first answer, so it says it is automated (California's bot-disclosure law).
_NOTICES = {
    "en": (
        "This is Jorge's automated assistant. For your security, please don't send Social "
        "Security, card or bank numbers, or dates of birth, by text. I've removed what you sent "
        "and won't use it. Someone from Jorge's team will follow up with you."
    ),
    "es": (
        "Soy el asistente automático de Jorge. Por su seguridad, no envíe por mensaje números "
        "de seguro social, de tarjeta o de cuenta bancaria, ni fechas de nacimiento. Eliminé lo "
        "que envió y no lo usaré. Alguien del equipo de Jorge le dará seguimiento."
    ),
}


def privacy_notice(language: str) -> str:
    """What the bot tells a lead who texted sensitive data, in "en" or "es" (else English)."""
    code = (language or "").strip().lower()[:2]
    return _NOTICES.get(code, _NOTICES["en"])
