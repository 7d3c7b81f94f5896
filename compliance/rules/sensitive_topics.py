"""The trigger of the compliance second opinion (``ENABLE_AGENT_MESH``, docs/compliance.md).

A bot reply the rules pass is shown to a model only if it talks about a topic where
fair-housing trouble lives and the rules' phrase lists are known to miss some phrasings
(docs/compliance.md §10): the area or neighbourhood, schools, safety or crime, the people
who live somewhere (families, neighbours, community, religion, language, origin), or
accessibility. Plain questions about "the area" or a city do not trigger it. Deliberately broad and cheap (one regular expression on folded text): a
false trigger costs one short call, a missed one leaves the rules alone.
"""

from __future__ import annotations

import re

from ._text import fold

_WORDS = (
    # English
    r"neighbou?rhoods?|neighbou?rs?|community|communities|school district"
    r"|schools?|safe|safety|unsafe|crime|crimes|criminal|dangerous"
    r"|families|family|kids|children|retirees?|seniors?|elderly"
    r"|people|residents?|demographics?|diverse|diversity|ethnic|race|racial"
    r"|church|churches|mosque|temple|synagogue|religious|christian|jewish|muslim"
    r"|immigrants?|hispanic|latino|latina|asian|black|white|english speaking|spanish speaking"
    r"|disabled|disability|wheelchair|section 8|vouchers?|fit in|belong|like you"
    # Spanish
    r"|vecindario|barrio|colonia|vecinos?|comunidad|escuelas?|seguro|segura|seguridad"
    r"|crimen|delincuencia|peligroso|peligrosa|familias?|ninos|gente|personas|residentes"
    r"|iglesia|religion|inmigrantes?|latinos?|discapacidad"
)
_TRIGGER = re.compile(rf"\b(?:{_WORDS})\b")


def touches_sensitive_topic(text: str) -> str:
    """The first sensitive word in ``text`` (folded), or "" when it touches none."""
    match = _TRIGGER.search(fold(text or ""))
    return match.group(0) if match else ""
