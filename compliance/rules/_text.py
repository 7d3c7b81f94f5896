"""Text folding shared by the keyword and fair-housing rules."""

import re
import unicodedata

# Characters that show nothing but are not format characters (category Cf): Hangul fillers
# and the blank Braille pattern, which render as empty space in most phones' fonts.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def visible_text(text: str) -> str:
    r"""NFKC-normalised ``text`` without invisible characters: "S\u200bTOP", "\ufeffstop"
    and fullwidth "ＳＴＯＰ" all read "STOP".

    Format characters (zero-width space and joiners, the byte-order mark, soft hyphens,
    direction marks, tag characters) are removed, not turned into spaces, so a word split by
    one is whole again.
    """
    normalized = unicodedata.normalize("NFKC", text or "")
    return "".join(
        ch for ch in normalized if unicodedata.category(ch) != "Cf" and ch not in _INVISIBLE_LETTERS
    )


_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case, strip accents, apostrophes, punctuation and emoji; collapse spaces.

    "¡No me escribas MÁS! 🛑" becomes "no me escribas mas"; "Don't" becomes "dont",
    so patterns are written once, without accents or punctuation.
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = _APOSTROPHES.sub("", bare.casefold())
    return _NOT_ALNUM.sub(" ", bare).strip()
