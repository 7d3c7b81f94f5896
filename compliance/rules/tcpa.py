"""Automated-texting risks in a message: disputed consent and TCPA threats in, a bot that
obstructs opting out or claims to be a person out.

Opt-out keywords themselves are handled (and honoured) by ``keywords.py``; this module
finds what a person has to look at:

- INBOUND ``consent_dispute``: the lead says they never agreed to be texted ("I never signed
  up", "I didn't give you permission", "nunca me registré"). Texting without consent is
  what the TCPA punishes per message [R1][R2], so the bot stops and someone checks the
  consent record. A bare question ("how did you get my number?", "¿quién le dio mi
  número?") is not a dispute: the seller bot answers it with the lead's source and STOP.
- INBOUND ``litigation_threat``: the lead names the TCPA, the FCC or the Do Not Call
  registry, or threatens to sue or report over the texts.
- OUTBOUND ``opt_out_obstruction``: a draft that discourages or denies opting out ("don't
  reply STOP", "you can't unsubscribe"): revocation by any reasonable means must be
  honoured [R2].
- OUTBOUND ``bot_impersonation``: a draft that claims a person wrote it ("I'm not a bot",
  "this is Jorge himself"). California's bot-disclosure law (Bus. & Prof. Code §17941)
  forbids it; it is grouped here with the other automated-messaging rules.

Patterns run on folded text (``_text.fold``), so matches are reported in that form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._text import fold


@dataclass(frozen=True)
class TcpaFlag:
    """A TCPA risk: its category and the words that showed it."""

    category: str
    matched: str


def _compile(rules: list[tuple[str, str]]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((category, re.compile(pattern)) for category, pattern in rules)


_INBOUND = _compile(
    [
        (
            "consent_dispute",
            r"\b(?:i|we) (?:never|didnt|did not|dont remember|do not remember) "
            r"(?:ever )?(?:signed? up|sign(?:ed)? up|opted? in|opt(?:ed)? in|subscribed?|"
            r"gave (?:you |anyone )?(?:my|permission|consent)|"
            r"give (?:you |anyone )?(?:my|permission|consent)|register(?:ed)?|"
            r"authoriz(?:e|ed) (?:this|these|you|texts|messages)|fill(?:ed)? out anything)\b",
        ),
        (
            # "We never agreed on a price" is not about texts: what was agreed to must be named.
            "consent_dispute",
            r"\b(?:i|we) (?:never|didnt|did not) (?:agree|agreed|consent|consented|ask|asked) "
            r"(?:to|for) (?:this|these|any|your|receive|receiving|get|getting|be (?:texted|"
            r"contacted|messaged)|texts|messages|text messages|information|info|to be)\b",
        ),
        (
            "consent_dispute",
            r"\b(?:never|didnt|did not) ask(?:ed)? for (?:this|these|any of this|texts|messages)\b",
        ),
        (
            "consent_dispute",
            r"\b(?:without my (?:permission|consent)|not something i signed up for|"
            r"i am not on your list|im not on your list|never requested (?:this|these|info))\b",
        ),
        (
            "consent_dispute",
            r"\b(?:yo )?(?:nunca|no) (?:me )?(?:registre|inscribi|suscribi|autorice|"
            r"di (?:mi )?(?:permiso|autorizacion|consentimiento|numero)|"
            r"les di (?:mi )?(?:permiso|numero)|le di (?:mi )?(?:permiso|numero)|"
            r"pedi (?:informacion|que me escribieran|estos mensajes)|acepte)\b",
        ),
        ("consent_dispute", r"\bsin mi (?:permiso|autorizacion|consentimiento)\b"),
        (
            "litigation_threat",
            r"\b(?:tcpa|fcc|ftc|do not call (?:list|registry)|dnc (?:list|registry)|"
            r"telephone consumer protection|lista de no llamar|registro de no llamar)\b",
        ),
        (
            "litigation_threat",
            r"\b(?:sue|suing|report|reporting|lawsuit against|lawyer|attorney|take legal action)"
            r"\b(?: \w+){0,4} (?:for|over|about) (?:the |these |this |your |all )?(?:texts?|texting|"
            r"messages?|spam|spamming|calls?|robo ?texts?)\b",
        ),
        (
            "litigation_threat",
            r"\b(?:demandar(?:los|le|te)?|denunciar(?:los|le|te)?|reportar(?:los|le|te)?|abogado)"
            r"\b(?: \w+){0,4} (?:por|sobre) (?:los |estos |sus |tus |el |tanto |tantos |todos los )?(?:mensajes|textos|"
            r"spam|llamadas|acoso)\b",
        ),
    ]
)

_OUTBOUND = _compile(
    [
        (
            "opt_out_obstruction",
            r"\b(?:dont|do not|please dont|please do not|no need to) (?:reply|respond|text|send) "
            r"(?:with )?(?:stop|unsubscribe|alto|baja)\b",
        ),
        (
            "opt_out_obstruction",
            r"\b(?:you )?(?:cant|cannot|can not|wont be able to|are not able to) "
            r"(?:unsubscribe|opt out|stop (?:these|the|our) (?:texts|messages))\b",
        ),
        (
            "opt_out_obstruction",
            r"\b(?:replying|texting|sending) stop (?:wont|will not|doesnt|does not)\b",
        ),
        (
            "opt_out_obstruction",
            r"\bno (?:responda|conteste|envie|mande) (?:con )?(?:stop|alto|baja)\b",
        ),
        (
            "opt_out_obstruction",
            r"\bno (?:puede|podra|se puede) (?:darse de baja|cancelar (?:los|estos) mensajes)\b",
        ),
        (
            "bot_impersonation",
            r"\b(?:im|i am) (?:not a (?:bot|robot|machine|computer|ai)|a real (?:person|human)|"
            r"(?:a )?human|jorge(?: himself| personally)?)\b(?! ?s\b)(?!s assistant)",
        ),
        (
            "bot_impersonation",
            r"\b(?:this is|its) (?:jorge (?:himself|personally|here in person)|a real person|"
            r"not (?:a bot|an automated))\b",
        ),
        (
            "bot_impersonation",
            r"\bno soy (?:un )?(?:bot|robot|maquina|computadora|programa)\b|"
            r"\bsoy (?:una )?persona real\b|\bsoy jorge\b|\bhabla jorge (?:en persona|personalmente)\b",
        ),
    ]
)


def _scan(rules, text: str) -> list[TcpaFlag]:
    folded = fold(text)
    flags: list[TcpaFlag] = []
    for category, pattern in rules:
        if any(flag.category == category for flag in flags):
            continue
        found = pattern.search(folded)
        if found:
            flags.append(TcpaFlag(category=category, matched=found.group(0)))
    return flags


def detect_inbound_tcpa_risk(text: str) -> list[TcpaFlag]:
    """Disputed consent or a TCPA threat in a lead's message; empty when there is none."""
    return _scan(_INBOUND, text)


def find_outbound_tcpa_problems(text: str) -> list[TcpaFlag]:
    """A bot draft that obstructs opting out or claims to be a person; empty when clean."""
    return _scan(_OUTBOUND, text)


_REPLIES = {
    "en": (
        "Sorry about that. This is Jorge's automated assistant; I'll have someone from his team "
        "look into it. You can reply STOP at any time and you won't get more texts from us."
    ),
    "es": (
        "Disculpe la molestia. Soy el asistente automático de Jorge; alguien de su equipo lo "
        "revisará. Puede responder STOP en cualquier momento y no recibirá más mensajes nuestros."
    ),
}


def tcpa_reply(language: str) -> str:
    """What the bot answers to disputed consent or a TCPA threat, in "en" or "es" (else English)."""
    code = (language or "").strip().lower()[:2]
    return _REPLIES.get(code, _REPLIES["en"])
