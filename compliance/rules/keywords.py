r"""Opt-out, opt-in and HELP keywords of inbound SMS, in English and Spanish.

Two layers, both run on the folded text (lower case, no accents, no punctuation or emoji),
after invisible characters are removed and compatibility forms normalised (NFKC), so "S\u200bTOP",
"\ufeffstop" and fullwidth "ＳＴＯＰ" are STOP:

1. Standard keywords as the *whole* message, optionally repeated or softened with
   "please"/"thanks" ("Stop!", "STOP 🛑", "Opt-Out", "stop please", "ALTO"). These are the
   FCC's per-se revocation words (47 CFR §64.1200(a)(10)), Twilio's default opt-out list
   and CTIA's HELP/START conventions (docs/compliance.md, sources R2, R4, R5, R7).
2. Plain-language requests that can only mean "stop texting me" ("please stop texting me",
   "remove me from your list", "no me escriba más"). The FCC requires honouring any
   reasonable revocation [R2]; the patterns are anchored on "me"/"my number"/"messages"
   so that "stop by the house", "cancel my showing" or "no more than 500k" do not match.
   Ambiguous wording is left to the conversation engine and, if needed, a human.

Opt-in is deliberately narrow (START, UNSTOP, INICIAR): "YES" answers questions all day,
and re-subscribing someone by mistake is worse than asking them to send START.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ._text import fold, visible_text

KeywordKind = Literal["opt_out", "opt_in", "help"]

OPT_OUT_KEYWORDS = frozenset(
    {
        # FCC per-se revocation words [R2] and Twilio's defaults [R4].
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "optout",
        # Spanish equivalents; BAJA is the usual Spanish-language SMS opt-out word.
        "alto",
        "parar",
        "cancelar",
        "baja",
        "basta",
    }
)
OPT_IN_KEYWORDS = frozenset({"start", "unstop", "iniciar"})
HELP_KEYWORDS = frozenset({"help", "info", "ayuda"})

# Words that may surround a keyword without changing its meaning ("stop please", "ALTO ya").
_SOFTENERS = frozenset(
    {"please", "pls", "plz", "now", "thanks", "thank", "you", "thx", "ty", "asap"}
    | {"por", "favor", "porfa", "ya", "gracias"}
)
# Two-word spellings of single keywords.
_JOINED = {"opt out": "optout", "stop all": "stopall", "un subscribe": "unsubscribe"}

# Plain-language opt-outs, written against folded text. Each one names the sender's
# messages or the person ("me", "my number"), which is what makes it unambiguous.
_MSGS = r"(?:texts?|txts?|messages?|msgs?|sms|text messages?)"
_SEND = (
    r"(?:texting|txting|messaging|msging|contacting|calling|emailing|bothering|spamming|harassing)"
)
_ES_SEND_VERB = (
    r"(?:escriba|escribas|escriban|mande|mandes|manden|envie|envies|envien|"
    r"contacte|contactes|contacten|textee|textees|texteen)"
)
# What may follow a request before the end of the message ("no more texts please").
_TAIL = (
    r"(?: (?:any ?more|again|from you|de ustedes|please|thanks|thank you|por favor|gracias|mas))*"
)
_PLAIN_OPT_OUTS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        # English
        rf"\bstop {_SEND} (?:me|us|this number)\b",
        rf"\bstop (?:sending|send) (?:me )?(?:any ?more )?(?:these |your |the )?{_MSGS}\b",
        r"\b(?:remove|take|delete|drop|erase) (?:me|my number|this number|my (?:phone|cell|info)) (?:off|from|out of)\b",
        r"\b(?:remove|delete|erase) (?:me|my number|this number)$",
        r"\bunsubscribe (?:me|my number|this number)\b",
        r"\b(?:i want|id like|i would like|please|how do i|how can i) (?:to )?(?:unsubscribe|opt out)\b",
        r"\bopt me out\b",
        r"\b(?:dont|do not|never) (?:text|txt|message|msg|sms|contact|email) (?:me|us|this number)(?: (?:any ?more|again|ever again|ever|please|thanks|thank you|ok|period))*$",
        rf"\b(?:i )?(?:dont|do not) want (?:any ?more |more |any |these |your )*{_MSGS}{_TAIL}$",
        rf"\bno (?:more|further) {_MSGS}{_TAIL}$",
        r"\bleave me alone\b",
        r"^wrong number(?: sorry| please| thanks| stop)*$",
        # Spanish (accents already folded)
        r"\bno (?:me )?(?:vuelva|vuelvas|vuelvan) a (?:escribir|mandar|enviar|contactar|textear)",
        rf"\bno me {_ES_SEND_VERB}(?: (?:mas|nunca mas|ya|por favor|gracias))*(?: (?:mensajes|textos))?(?: (?:mas|por favor|gracias))*$",
        rf"\b(?:ya )?no me {_ES_SEND_VERB} (?:mas )?(?:mensajes|textos|sms)\b",
        rf"\bno me {_ES_SEND_VERB} mas\b",
        r"\b(?:borrenme|borreme|borrame|eliminenme|elimineme|eliminame|quitenme|quiteme|quitame|saquenme|saqueme|sacame) de (?:su|sus|tu|tus|la|esta|esa) (?:lista|base)",
        r"\b(?:borren|borre|borra|eliminen|elimine|elimina) (?:mi|este) (?:numero|telefono|celular)\b",
        rf"\bno mas (?:mensajes|textos|sms){_TAIL}$",
        r"^no mas(?: por favor| gracias)*$",
        r"\b(?:dejen|deje|deja) de (?:escribirme|mandarme|enviarme|textearme|contactarme|molestarme)\b",
        rf"\b(?:ya )?no quiero (?:recibir )?(?:mas )?(?:sus |tus |estos |los )?(?:mensajes|textos){_TAIL}$",
        r"\b(?:darme|dame|denme|deme|quiero darme) de baja\b",
        r"\bcancelar (?:la )?(?:suscripcion|subscripcion)\b",
    )
)


@dataclass(frozen=True)
class KeywordMatch:
    """What an inbound message asks for, and what in it said so."""

    kind: KeywordKind
    matched: str
    # True for a standard keyword as the whole message, False for a plain-language request.
    exact: bool


def _whole_message_keyword(folded: str) -> KeywordMatch | None:
    for spaced, joined in _JOINED.items():
        folded = re.sub(rf"\b{spaced}\b", joined, folded)
    words = [w for w in folded.split() if w not in _SOFTENERS]
    if not words:
        return None
    kinds: list[KeywordKind] = []
    for word in words:
        if word in OPT_OUT_KEYWORDS:
            kinds.append("opt_out")
        elif word in OPT_IN_KEYWORDS:
            kinds.append("opt_in")
        elif word in HELP_KEYWORDS:
            kinds.append("help")
        else:
            return None
    # Mixed keywords ("HELP STOP"): stopping wins, because sending after a stop is the
    # costly mistake.
    for kind in ("opt_out", "opt_in", "help"):
        if kind in kinds:
            return KeywordMatch(kind=kind, matched=words[kinds.index(kind)], exact=True)
    return None  # pragma: no cover - kinds is never empty here


def match_keyword(text: str) -> KeywordMatch | None:
    """Classify an inbound message as opt-out, opt-in or HELP, with the words that decided it."""
    folded = fold(visible_text(text))
    if not folded:
        return None
    exact = _whole_message_keyword(folded)
    if exact is not None:
        return exact
    for pattern in _PLAIN_OPT_OUTS:
        found = pattern.search(folded)
        if found:
            return KeywordMatch(kind="opt_out", matched=found.group(0).strip(), exact=False)
    return None


def classify_keyword(text: str) -> KeywordKind | None:
    """ "opt_out", "opt_in", "help" or None (an ordinary conversation message)."""
    found = match_keyword(text)
    return found.kind if found else None
