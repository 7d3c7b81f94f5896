"""Text folding shared by the keyword and fair-housing rules."""

import re
import unicodedata

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
