"""Rule-based signals that a lead needs a person, in English and Spanish.

``detect_escalation`` reads one inbound message (and, for a repeated question, the lead's
previous one) and names the reason (``EscalationTicket.Reason``) or returns None. It runs
as an inbound guard before the bot answers (``leads.guards``), so it must be fast,
deterministic and quiet on ordinary messages: "Jorge's listing", "real estate agent",
"prices are ridiculous", "hay mucha demanda", "my lawyer will review the contract" pass.

Patterns run on folded text (lower case, no accents, apostrophes or punctuation:
"I'll" is "ill", "¿Está?" is "esta"), so they are written in that form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compliance.rules._text import fold

ASKED_FOR_PERSON = "asked_for_person"
ANGER_OR_COMPLAINT = "anger_or_complaint"
BOT_FAILED = "bot_failed"


@dataclass(frozen=True)
class EscalationSignal:
    """Why the message goes to a person: the reason, and the rule that said so (no PII)."""

    reason: str
    rule: str


def _any(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_PERSON_EN = r"(?:a |an |the )?(?:real |actual |live |human )?(?:person|human(?: being)?|someone|somebody|agent|realtor|representative|rep|operator|man|woman|jorge)"
_PERSON_ES = r"(?:alguien|una persona(?: real| de verdad)?|un humano|un ser humano|un agente|una agente|el agente|un asesor|una asesora|un representante|jorge)"

_ASKED_FOR_PERSON = _any(
    # "can I talk to Jorge", "I want to speak with a real person", "let me chat with someone"
    rf"\b(?:talk|speak|chat|text) (?:to|with) {_PERSON_EN}\b",
    # "have Jorge call me", "can Jorge text me back", "jorge please call me"
    r"\b(?:have|get|can|could|would|will|need|want) jorge (?:to )?(?:call|text|phone|contact|reach out to|get back to) me\b",
    r"\bjorge (?:please |pls )?call me\b",
    # "put me through to a person", "get me a human"
    rf"\b(?:put|get|transfer|connect) me (?:through )?(?:to|with)? ?{_PERSON_EN}\b",
    # "not a bot", "no bots", "I don't want a bot", "stop the bot"
    r"\bnot (?:a |an |the )?(?:bot|robot|machine|computer|ai)\b",
    r"\b(?:no|dont want (?:a |the |to talk to a )?|hate) (?:bots|bot|robots|robot)\b",
    # "is this a real person", "are you a bot", "am I texting a robot", "are you human"
    r"\b(?:is this|are you|am i (?:talking|texting|chatting|speaking) (?:to |with )?|is that) ?(?:a |an )?(?:real (?:person|human)|human|person|bot|robot|machine|computer|ai|automated)\b",
    r"\b(?:real|live|actual) (?:person|human)\b",
    r"\bhuman being\b",
    # the whole message is a request for a person: "agent please", "human", "representative"
    r"^(?:a )?(?:human|person|agent|representative|operator|real person)(?: please| pls| now)?$",
    # Spanish: "quiero hablar con alguien", "con una persona", "¿eres un robot?"
    rf"\b(?:hablar|hable|platicar|comunicar(?:me|se)?|chatear|tratar|atienda|atender|conteste|contestar) con {_PERSON_ES}\b",
    rf"\b(?:pasame|paseme|pasenme|comunicame|comuniqueme|comuniquenme) con {_PERSON_ES}\b",
    # the whole message: "con una persona", "una persona por favor" (not "vivo con una persona")
    r"^(?:con )?una persona(?: real)?(?: por favor| porfa)?$",
    r"\b(?:persona real|ser humano)\b",
    r"\b(?:eres|es usted|usted es|estoy hablando con|hablo con) (?:un |una )?(?:robot|bot|maquina|persona|humano|computadora)\b",
    r"\bno (?:quiero|me gusta) (?:hablar con )?(?:un |una |los )?(?:robot|robots|bot|bots|maquina)\b",
    r"\b(?:que|quiero que|puede|podria) jorge (?:me )?(?:llame|hable|marque|conteste|escriba|llamar|hablar|marcar)\b",
    r"\bjorge (?:me )?(?:puede|podria) (?:llamar|hablar|marcar)\b",
)

# Legal threats: always a person's job.
_LEGAL_THREAT = _any(
    r"\b(?:ill|i will|im going to|im gonna|gonna|going to|we will|well) (?:sue|report (?:you|u|this|jorge|your)|take you to court)\b",
    r"\b(?:sue|suing|sued) (?:you|u|your|jorge|them|this)\b",
    r"\blawsuit\b",
    r"\blegal action\b",
    r"\b(?:see you|take (?:you|this|it) to) (?:in )?court\b",
    r"\bsmall claims\b",
    r"\b(?:better business bureau|bbb|attorney general)\b",
    r"\b(?:lawyer|attorney) (?:up|will be in touch)\b",
    r"\b(?:los|las|lo|la|te|le|les) (?:voy|vamos) a (?:demandar|denunciar)\b",
    r"\bdemandar(?:los|las|lo|la|te|le|les)?\b",
    r"\b(?:poner|meter|presentar|levantar) (?:una |la )?(?:demanda|denuncia)\b",
    r"\bdemanda (?:legal|contra)\b",
    r"\b(?:denunciar(?:los|las|lo|la|te|le|les)?|profeco|procuraduria)\b",
)
# A lawyer mentioned: a threat ("my lawyer", "abogado"), unless it is the deal's own
# paperwork ("my attorney will review the contract", "mi abogado revisa la escritura").
_LAWYER = re.compile(r"\b(?:lawyer|attorney|abogado|abogada|abogados)\b")
_DEAL_PAPERWORK = re.compile(
    r"\b(?:contracts?|offers?|paperwork|documents?|closing|escrow|title|deed|trust|agreement|"
    r"disclosures?|probate|estate planning|inspection|contrato|oferta|papeles|documentos?|cierre|"
    r"escritura|titulo|testamento|herencia|sucesion|intestado|inspeccion)\b"
)

# Anger and complaints aimed at us, not at the market: "this is ridiculous", "estoy harto";
# not "prices are ridiculous" or "I'm angry about prices".
_ANGER = _any(
    r"\bthis is (?:ridiculous|unacceptable|insane|absurd|a joke|bs|bullshit|harassment|a scam)\b",
    r"\b(?:this|that) is (?:so |really )?(?:ridiculous|unacceptable)\b",
    r"^(?:ridiculous|unacceptable|unbelievable|wtf)$",
    r"\b(?:you|youre|you are|ur|you (?:guys|people|all)(?: are)?|your (?:bot|service|team|company|assistant)|this bot|jorge) (?:is |are )?(?:so |really )?(?:useless|incompetent|rude|a joke|a scam|terrible|awful|pathetic|worthless|clueless|unprofessional)\b",
    r"\b(?:worst|horrible|terrible|awful|pathetic) (?:service|experience|agent|company|realtor|team|bot)\b",
    r"\b(?:angry|furious|pissed|upset|mad|frustrated|disappointed) (?:with|at) (?:you|u|your|ur|this|jorge|the bot|the service)\b",
    r"\b(?:im|i am) (?:so |really |very )?(?:fed up|sick and tired|done with (?:you|this|your))\b",
    r"\bstop (?:harassing|spamming|bothering|pestering) (?:me|us)\b",
    r"\b(?:harassment|scam|scammers?)\b",
    r"\bare you (?:kidding|serious|joking) me\b",
    r"\b(?:what the (?:hell|fuck|f)|wtf)\b",
    r"\b(?:i|id like to|i want to|i need to|i will|ill) (?:file |make |lodge )?(?:a )?(?:formal )?complaint\b",
    r"\b(?:formal complaint|file a complaint|complain(?:ing)? (?:about|to))\b",
    # Spanish
    r"\b(?:estoy|ya estoy|estamos) (?:muy |bien )?(?:harto|harta|hartos|hartas|hasta la madre|hasta el gorro)\b",
    r"\b(?:esto es|esto esta|que|es un|es una) (?:ridiculo|inaceptable|absurdo|burla|una burla|estafa|una estafa|fraude|un fraude|abuso|un abuso)\b",
    r"\b(?:pesimo|mal(?:isimo)?|terrible|horrible) (?:servicio|trato|agente|atencion)\b",
    r"\b(?:enojado|enojada|molesto|molesta|furioso|furiosa|enfadado|enfadada) con (?:ustedes|usted|contigo|jorge|su servicio|el servicio|el bot)\b",
    r"\b(?:que|es una) falta de respeto\b",
    r"\b(?:estafa|estafadores?|fraude|acoso|acosando)\b",
    r"\b(?:me quiero quejar|quiero (?:poner|presentar|hacer) una queja|tengo una queja|queja formal)\b",
    r"\b(?:dejen|deje|deja) de (?:acosarme|fastidiarme)\b",
)
_NOT_A_COMPLAINT = re.compile(r"\b(?:cant|cannot|can not|no) complain\b")

_QUESTION_WORD = re.compile(
    r"^(?:what|when|where|who|why|how|is|are|can|could|do|does|did|will|would|should|which|"
    r"que|cual|cuando|donde|quien|por que|como|cuanto|cuanta|cuantos|cuantas|puede|puedo|hay|tiene|es|esta)\b"
)


def detect_escalation(text: str, *, previous: str | None = None) -> EscalationSignal | None:
    """The reason ``text`` needs a person (anger first, then a request for one), or None.

    ``previous``: the lead's message before it, when the bot answered in between; the same
    question asked again means the bot did not answer it.
    """
    folded = fold(text)
    if not folded:
        return None
    if _LEGAL_THREAT.search(folded) or (
        _LAWYER.search(folded) and not _DEAL_PAPERWORK.search(folded)
    ):
        return EscalationSignal(reason=ANGER_OR_COMPLAINT, rule="legal_threat")
    if _ANGER.search(folded) and not _NOT_A_COMPLAINT.search(folded):
        return EscalationSignal(reason=ANGER_OR_COMPLAINT, rule="anger_or_complaint")
    if _ASKED_FOR_PERSON.search(folded):
        return EscalationSignal(reason=ASKED_FOR_PERSON, rule="asked_for_person")
    if previous is not None and is_question(text) and _same_question(folded, fold(previous)):
        return EscalationSignal(reason=BOT_FAILED, rule="same_question_twice")
    return None


def is_question(text: str) -> bool:
    """A question mark, or an opening question word (texts often drop the mark)."""
    return "?" in text or "¿" in text or bool(_QUESTION_WORD.search(fold(text)))


def _same_question(folded: str, previous: str) -> bool:
    # Three words at least: "why?" twice is not a question the bot failed to answer.
    return len(folded.split()) >= 3 and folded == previous
