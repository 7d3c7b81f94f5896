"""Stalls: how sellers put the conversation off, in English and Spanish, and what we do about it.

A stall is a message that avoids the question: "let me think about it", "just curious",
"not now", "I need to talk to my wife", "how did you get my number?", "déjame pensarlo",
"solo estoy viendo", "ahorita no", "tengo que hablarlo con mi esposa", "¿cómo consiguió mi
número?", and the evasive kind the bot notices itself: the same question asked and not
answered twice. Each kind has one strategy (docs/seller-bot.md):

- ``offer_cma``: acknowledge and offer the free market analysis (CMA), which gives the seller
  something useful without another question about their plans;
- ``follow_up_later``: acknowledge, stop asking, and schedule the next follow-up later;
- ``hand_to_agent``: answer honestly and hand the conversation to Jorge.

After ``MAX_STALLS`` stalls the bot stops pushing and the seller goes to nurture.
"""

import re
from dataclasses import dataclass

from leads.intelligence.text import normalize

MAX_STALLS = 3
# "Schedule a later follow-up": the cadence jumps to its first touch at least this far out.
FOLLOW_UP_LATER_DAYS = 14

HOW_GOT_NUMBER = "how_got_number"
NOT_INTERESTED = "not_interested"
SPOUSE = "spouse"
NOT_NOW = "not_now"
THINKING = "thinking"
JUST_CURIOUS = "just_curious"
EVASIVE = "evasive"
DECLINED = "declined"  # a plain "no" to "may I ask you a few questions?"

OFFER_CMA = "offer_cma"
FOLLOW_UP_LATER = "follow_up_later"
HAND_TO_AGENT = "hand_to_agent"

STRATEGIES: dict[str, str] = {
    HOW_GOT_NUMBER: HAND_TO_AGENT,
    NOT_INTERESTED: FOLLOW_UP_LATER,
    SPOUSE: OFFER_CMA,
    NOT_NOW: FOLLOW_UP_LATER,
    THINKING: OFFER_CMA,
    JUST_CURIOUS: OFFER_CMA,
    EVASIVE: OFFER_CMA,
    DECLINED: FOLLOW_UP_LATER,
}

# Kinds that stand even when the message also answers something: a question about where we
# got their number, and a plain "not interested", are honoured whatever else was said.
ALWAYS_HONOURED = frozenset({HOW_GOT_NUMBER, NOT_INTERESTED})

_NUMBER = r"(?:number|phone number|phone|cell|info|information|contact(?: info)?|details)"
_NUMERO = r"(?:numero|telefono|celular|cel|datos|informacion|contacto)"
_PARTNER_EN = (
    r"(?:spouse|wife|husband|partner|family|hubby|fiance|fiancee|kids|son|daughter|mom|dad|parents)"
)
_PARTNER_ES = (
    r"(?:esposa|esposo|pareja|marido|mujer|familia|vieja|viejo|hijos|hija|hijo|mama|papa|padres)"
)

# In priority order: the first kind that matches is the stall.
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            HOW_GOT_NUMBER,
            rf"\b(?:(?:how|where) (?:did|do|does|did you guys) (?:you|u|ya|yall|your team) "
            rf"(?:get|got|find|have) (?:my|this) {_NUMBER}|who gave (?:you|u) (?:my|this) {_NUMBER}|"
            rf"why do you have my {_NUMBER}|why are you (?:texting|messaging|contacting|calling) me|"
            rf"who is this|whos this|who are you|"
            rf"(?:como|donde|de donde) (?:consiguio|consiguieron|consiguio usted|obtuvo|obtuvieron|"
            rf"saco|sacaron|tiene|tienen|tienes|conseguiste|sacaste) (?:mi|este) {_NUMERO}|"
            rf"quien (?:le|les|te) dio mi {_NUMERO}|por que (?:me )?(?:escribe|escriben|manda|"
            rf"mandan|contacta|contactan)|quien (?:es|habla|eres))\b",
        ),
        (
            NOT_INTERESTED,
            r"\b(?:not interested|no longer interested|no thanks|no thank you|leave me alone|"
            r"(?:dont|do not|not) (?:want|planning|going|looking) to sell"
            r"(?!\s+(?:it\s+)?(?:for|below|under|at|less|unless|cheap|too|without))|"
            r"changed my mind|no me interesa|no nos interesa|no gracias|"
            r"(?:no|ya no) (?:quiero|queremos|vamos a) vender(?:la|lo)?(?!\s+(?:por|en|a|barat|sin))|"
            r"cambie de opinion|dejeme en paz|dejenme en paz)\b",
        ),
        (
            SPOUSE,
            rf"\b(?:(?:talk|speak|check|discuss|run it by|run this by|consult|ask|see what) "
            rf"(?:it |this |that )?(?:over )?(?:to|with|by)? ?(?:my|the) {_PARTNER_EN}|"
            rf"my {_PARTNER_EN} (?:and i )?(?:needs?|has|have|wants?) to (?:decide|agree|think|talk|"
            rf"see|look)|"
            rf"(?:hablarlo|hablar|platicarlo|platicar|consultarlo|consultar|comentarlo|"
            rf"preguntarle|preguntar|decidirlo) (?:con|a) (?:mi|la|el) {_PARTNER_ES}|"
            rf"(?:mi|la) {_PARTNER_ES} (?:tiene que|debe|necesita) (?:decidir|estar de acuerdo|"
            rf"verlo|pensarlo))\b",
        ),
        (
            NOT_NOW,
            r"\b(?:not (?:right )?now|not yet|not at this time|not at the moment|maybe later|"
            r"(?:talk|text|contact|reach out|message|write) (?:to )?(?:me )?later|later please|"
            r"not ready|not a good time|bad time|busy right now|im busy|some other time|"
            r"another time|down the road|ahorita no|ahora no|todavia no|aun no|mas adelante|"
            r"en otro momento|otro dia|luego (?:le|te) (?:aviso|digo|hablo|escribo)|"
            r"despues (?:le|te) (?:aviso|digo|hablo|escribo)|no es buen momento|"
            r"estoy ocupad[oa]|no estoy list[oa])\b",
        ),
        (
            THINKING,
            r"\b(?:let me think|i(?:ll| will| need to| have to|d like to| want to)? think (?:about it|it over)|"
            r"need (?:some )?time to think|thinking (?:about it|it over)|sleep on it|"
            r"give me (?:some )?time|mull it over|dejame pensarlo|dejeme pensarlo|"
            r"(?:lo )?(?:voy a|tengo que|necesito|quiero) pensar(?:lo)?|lo (?:pienso|pensare|"
            r"estoy pensando)|pensarlo bien|deme tiempo|dame tiempo|(?:lo )?voy a pensar)\b",
        ),
        (
            JUST_CURIOUS,
            r"\b(?:just (?:curious|looking|browsing|wondering|checking|seeing|want(?:ed)? to know)|"
            r"only curious|out of curiosity|curious what|not serious|"
            r"solo (?:estoy|estaba|estamos) (?:viendo|checando|mirando|preguntando)|"
            r"(?:nomas|nada mas|solamente|solo) (?:viendo|checando|mirando|preguntando|por curiosidad)|"
            r"(?:por|de) pura curiosidad|solo (?:queria|quiero) saber|curiosidad)\b",
        ),
    )
)


@dataclass(frozen=True)
class Stall:
    """A stall and the strategy it calls for."""

    kind: str
    strategy: str


def detect_stall(text: str) -> Stall | None:
    """The stall in ``text`` (its kind and strategy), or ``None`` when it is not one."""
    clean = normalize(text)
    for kind, pattern in _PATTERNS:
        if pattern.search(clean):
            return Stall(kind=kind, strategy=STRATEGIES[kind])
    return None


def stall_of_kind(kind: str) -> Stall:
    """The stall ``kind`` the bot noticed itself (``evasive``, ``declined``) with its strategy."""
    return Stall(kind=kind, strategy=STRATEGIES[kind])
