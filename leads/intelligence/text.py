"""Text normalisation shared by the lead-intelligence engines (English and Spanish)."""

import re
import unicodedata

# Phones type many look-alike characters; rules downstream only need the ASCII ones.
_LOOKALIKES = str.maketrans(
    {
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "´": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "\u00a0": " ",
    }
)
_APOSTROPHE_IN_WORD = re.compile(r"(?<=[a-z0-9])'(?=[a-z])")
_NOT_KEPT = re.compile(r"[^a-z0-9$%~.,;:!?/\-\n ]+")
_SPACES = re.compile(r"[ \t]+")

# Also read by the timeline rules (offline.py).
EN_UNITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_EN_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_ES_HUNDREDS = {
    "cien": 100,
    "ciento": 100,
    "doscientos": 200,
    "trescientos": 300,
    "cuatrocientos": 400,
    "quinientos": 500,
    "seiscientos": 600,
    "setecientos": 700,
    "ochocientos": 800,
    "novecientos": 900,
}
_ES_TENS = {
    "veinte": 20,
    "treinta": 30,
    "cuarenta": 40,
    "cincuenta": 50,
    "sesenta": 60,
    "setenta": 70,
    "ochenta": 80,
    "noventa": 90,
}
_ES_UNITS = {
    "uno": 1,
    "un": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
}


def _alt(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_EN_HUNDREDS_THOUSAND = re.compile(
    rf"\b(?P<h>{_alt(EN_UNITS)}) hundred(?: and)?(?: (?P<t>{_alt(_EN_TENS)}))?"
    rf"(?:[ -](?P<u>{_alt(EN_UNITS)}))? (?P<unit>thousand|grand|k)\b"
)
_ES_HUNDREDS_MIL = re.compile(
    rf"\b(?P<h>{_alt(_ES_HUNDREDS)})(?: (?P<t>{_alt(_ES_TENS)}))?"
    rf"(?: y (?P<u>{_alt(_ES_UNITS)}))? mil\b"
)
# Order matters: the longer idioms first, so "a million and a half" is not read as "a million".
_MONEY_IDIOMS = (
    (re.compile(r"\b(?:one|1) and a half million\b"), "1.5 million"),
    (re.compile(r"\b(?:a|one|1) million and a half\b"), "1.5 million"),
    (re.compile(r"\bhalf (?:a )?million\b"), "0.5 million"),
    (re.compile(r"\b(?:a|one) million\b"), "1 million"),
    (re.compile(r"\b(?:un )?millon y medio\b"), "1.5 millon"),
    (re.compile(r"\bmedio millon\b"), "0.5 millon"),
    (re.compile(r"\bun millon\b"), "1 millon"),
)
_MILLION_PLUS_THOUSANDS = re.compile(
    r"\b(?P<m>\d+) (?:millon|millones|million|millions) (?:y |and )?(?P<k>\d{1,3}) (?:mil|thousand)\b"
)


def fold(text: str) -> str:
    """Lower-case ``text``, strip accents (á→a, ñ→n) and unify dashes and quotes."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LOOKALIKES).lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _spell_money_words(text: str) -> str:
    for pattern, replacement in _MONEY_IDIOMS:
        text = pattern.sub(replacement, text)

    def english(match: re.Match) -> str:
        value = EN_UNITS[match["h"]] * 100
        value += _EN_TENS.get(match["t"] or "", 0) + EN_UNITS.get(match["u"] or "", 0)
        return f"{value} thousand"

    def spanish(match: re.Match) -> str:
        value = _ES_HUNDREDS[match["h"]]
        value += _ES_TENS.get(match["t"] or "", 0) + _ES_UNITS.get(match["u"] or "", 0)
        return f"{value} mil"

    def million_plus(match: re.Match) -> str:
        return str(int(match["m"]) * 1_000_000 + int(match["k"]) * 1_000)

    text = _EN_HUNDREDS_THOUSAND.sub(english, text)
    text = _ES_HUNDREDS_MIL.sub(spanish, text)
    return _MILLION_PLUS_THOUSANDS.sub(million_plus, text)


def normalize(text: str) -> str:
    """Fold ``text`` and reduce it to the plain ASCII the extraction rules read.

    Apostrophes inside words disappear ("don't" → "dont"), emojis and other symbols become
    spaces, and spelled-out amounts become digits ("medio millón" → "0.5 millon").
    """
    folded = _APOSTROPHE_IN_WORD.sub("", fold(text))
    folded = _NOT_KEPT.sub(" ", folded)
    folded = _SPACES.sub(" ", folded)
    return _spell_money_words(folded).strip()


def words(text: str) -> list[str]:
    """The word tokens of already-normalised text."""
    return re.findall(r"[a-z]+(?:-[a-z]+)*", text)


def wordset(text: str) -> frozenset[str]:
    """The whitespace-separated words of a vocabulary list, as a set."""
    return frozenset(text.split())
