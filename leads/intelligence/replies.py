"""What a bot asks an engine to word, what comes back, and the checks every AI reply passes.

The bot code decides what happens next (which question, a handoff, a booking); an engine
only words it. The offline engine sends ``ReplyRequest.fallback_text`` as is; Claude may
reword it, and ``validate_reply`` decides, deterministically, whether Claude's wording may
be sent. Anything it finds wrong sends the templated text instead (see ``engine.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings

from .schema import Engine, LanguageValue

SMS_MAX_CHARS = 320

# A marker placed inside every system prompt: if it ever shows up in a reply, the model
# is repeating its instructions, whatever words it used around it.
PROMPT_CANARY = "JRG-POLICY-7F3A"

# Tags that wrap untrusted data in our prompts; a reply that contains them is echoing the prompt.
PROMPT_TAGS = (
    "lead_message",
    "lead_history",
    "latest_lead_message",
    "conversation",
    "bot_message",
    "known_facts",
    "lead_first_name",
    "draft_reply",
)

Speaker = Literal["lead", "bot"]


@dataclass(frozen=True, kw_only=True)
class ReplyRequest:
    """What the bot decided to say next, for an engine to word."""

    language: LanguageValue
    bot: str
    goal: str  # what the bot code decided, e.g. "ask_timeline", "book_call"
    first_name: str = ""
    known_facts: dict = field(default_factory=dict)
    transcript: list[tuple[Speaker, str]] = field(default_factory=list)
    fallback_text: str  # the templated text; the offline engine sends it as is
    max_chars: int = SMS_MAX_CHARS
    is_first_message: bool = False


@dataclass(frozen=True, kw_only=True)
class ReplyDraft:
    """The text an engine produced, with what it cost. Never recipients or actions."""

    text: str
    engine: Engine
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0
    fallback_reason: str = ""
    route: dict = field(default_factory=dict)  # the agent mesh's models tried (mesh.Route)

    def ai_metadata(self) -> dict:
        """The JSON stored on ``Message.ai_metadata`` for this reply."""
        mesh = {"route": self.route} if self.route else {}
        return {
            "engine": self.engine,
            "model": self.model,
            "input_tokens": int(self.input_tokens),
            "output_tokens": int(self.output_tokens),
            "cache_read_tokens": int(self.cache_read_tokens),
            "cache_write_tokens": int(self.cache_write_tokens),
            "cost_usd": round(float(self.cost_usd), 6),
            "latency_ms": round(float(self.latency_ms), 1),
            "fallback_reason": self.fallback_reason,
            **mesh,
        }


# --- Language -----------------------------------------------------------------------------


def _vocabulary(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ES_WORDS = _vocabulary(
    """
    el la los las del de que y en un una unos unas para por con su sus es está están estás
    estoy esta este esto eso ese hola gracias usted ustedes tu tú cuando cuándo casa casas
    comprar vender quiere quieres puedo puede podemos le les nos muy más pero como cómo qué
    sí señor señora buenas buenos días tardes noches ya mi mis al lo hay tiene tienes tengo
    también porque dónde donde cuál cual sobre hasta desde ahora bien gusto soy somos
    asistente equipo quisiera busca buscando vivienda propiedad zona precio pronto meses
    """
)
_EN_WORDS = _vocabulary(
    """
    the and you your to of is are for with what when how hi hello hey thanks thank would
    like buy sell home homes house we i i'm it this that can will do does did be have has
    just about great looking here there they them our us my an in on at from if or
    not so get let know which where who assistant team area soon months sounds perfect
    """
)
_ES_MARKS = re.compile(r"[ñ¿¡áéíóú]", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def language_scores(text: str) -> dict[str, int]:
    """How many English and Spanish function words (and Spanish marks) a text holds."""
    words = [w.lower() for w in _WORD.findall(text)]
    return {
        "en": sum(w in _EN_WORDS for w in words),
        "es": sum(w in _ES_WORDS for w in words) + len(_ES_MARKS.findall(text)),
    }


def detect_language(text: str) -> LanguageValue | None:
    """``"en"`` or ``"es"`` when a text clearly leans one way, else ``None`` (too short or mixed)."""
    scores = language_scores(text)
    if max(scores.values()) < 2:
        return None
    if scores["es"] > scores["en"] * 1.5:
        return "es"
    if scores["en"] > scores["es"] * 1.5:
        return "en"
    return None


# --- Patterns -------------------------------------------------------------------------------

_HIDDEN_CHARS = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

_TLDS = (
    "com|net|org|io|co|ly|me|info|biz|xyz|app|link|site|online|us|ru|cn|top|club|shop|store|"
    "live|click|gl|to|gg|ai|dev|page|realty|homes|house|properties|estate|es|mx|uk|de|fr|it|"
    "nl|ca|au|in|tk|ml|ga|cf|cc|tv|ws|sh|su|pw|ly|be|lol|win|vip|work|tech|email|cash|loan"
)
_URL = re.compile(r"\b(?:https?|hxxps?|ftp)://[^\s<>\"']+", re.IGNORECASE)
_WWW = re.compile(r"(?<![\w.-])www\.[^\s<>\"'/]+", re.IGNORECASE)
_BARE_DOMAIN = re.compile(
    rf"(?<![@\w.-])((?:[\w-]+\.)+(?:{_TLDS}))(?![\w-])(?:[/:?#][^\s]*)?", re.IGNORECASE
)
_OBFUSCATED_DOMAIN = re.compile(
    r"\b[\w-]+\s*(?:\[\.\]|\(\.\)|\[dot\]|\(dot\)|\s+dot\s+|\s+punto\s+)\s*(?:com|net|org|io|ly|co)\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")

_MONEY = re.compile(
    r"""
    [$€£]\s*\d                                          # $450,000 / $ 450
    | \d\s*(?:usd|dollars?|d[oó]lares|bucks|pesos)\b    # 450000 dollars
    | \b\d+(?:[.,]\d+)?\s?(?:k|mm?|mil)\b               # 450k, 1.2M, 450 mil
    | \b\d{1,3}(?:,\d{3})+\b                            # 450,000
    | \b\d+(?:[.,]\d+)?\s*(?:%|percent|por\s*ciento)    # 3%, 6 percent
    | \b(?:thousand|million|billion|grand|millones?|mill[oó]n)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_PROMISE = re.compile(r"\b(?:guarantee[ds]?|guaranteeing|garantiz\w*|garant[ií]a)\b", re.IGNORECASE)
_ADVICE = re.compile(
    r"""
    \b(?:legal|tax|financial|investment|fiscal)\s+advice\b
    | \b(?:taxes|tax|irs|capital\s+gains?|1031|deduct\w*|write[-\s]?offs?|depreciation)\b
    | \b(?:lawsuits?|suing|attorneys?|lawyers?|legally)\b
    | \b(?:impuestos?|deducci\w+|deducible|demandar|abogad[oa]s?)\b
    | \bdemanda\s+(?:legal|judicial)\b
    | \basesor[ií]a\s+(?:legal|fiscal|financiera)\b
    | \bconsejos?\s+(?:legal(?:es)?|fiscal(?:es)?|financieros?)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_TIME = re.compile(
    r"""
    \b\d{1,2}(?::\d{2})?\s*(?:a\.?\s?m\.?|p\.?\s?m\.?)(?![a-z])   # 3pm, 10:30 a.m.
    | \b\d{1,2}:\d{2}\b                                          # 15:00
    | \bat\s+\d{1,2}\b(?!\s*(?:days?|weeks?|months?|years?|%|k\b|[ap]\.?\s?m\b))  # at 3
    | \ba\s+las?\s+(?:\d{1,2}|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce)\b
    | \b(?:noon|midnight|mediod[ií]a|medianoche|tonight|tomorrow|esta\s+noche)\b
    | (?<!la\s)\bmañana\b
    | \b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b
    | \b(?:lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_BOOKING_CLAIM = re.compile(
    r"""
    \b(?:i|we)(?:'ve|\s+have)?\s+(?:just\s+)?(?:booked|scheduled|set\s+up|confirmed|reserved)\b
    | \byou(?:'re|\s+are)\s+(?:all\s+)?(?:booked|scheduled|confirmed)\b
    | \b(?:appointment|showing|call|meeting|tour)\s+(?:is\s+|has\s+been\s+)?(?:booked|scheduled|confirmed|set)\b
    | \b(?:agend[éó]|reserv[éó]|program[éó])\b
    | \b(?:cita|llamada|visita|reuni[oó]n)\s+(?:est[aá]\s+|qued[oó]\s+)?(?:confirmada|agendada|programada|reservada)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_PROMPT_LEAK = re.compile(
    r"""
    \bsystem\s+(?:prompt|message|instructions?)\b
    | \b(?:my|the)\s+(?:instructions|prompt|guidelines|rules)\s+(?:are|say|is|tell)\b
    | \bi\s+(?:was|am|have\s+been|'ve\s+been)\s+(?:instructed|told|programmed)\s+to\b
    | \b(?:prompt|instrucciones)\s+del\s+sistema\b
    | \bmis\s+instrucciones\b
    | \bignore\s+(?:all\s+)?(?:previous|prior|above|earlier)\s+instructions\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_ROLE_CHANGE = re.compile(
    r"""
    \bdo\s+anything\s+now\b
    | \b(?:developer|god|admin|unrestricted)\s+mode\b
    | \bjail\s?(?:break|broken)\b
    | \b(?:no|without)\s+(?:restrictions|rules|limits|filters)\b
    | \bsin\s+(?:restricciones|reglas|l[ií]mites)\b
    | \bi(?:'m|\s+am)\s+now\b
    | \bfrom\s+now\s+on,?\s+i\b
    | \bahora\s+soy\b
    | \bi(?:'m|\s+am)\s+(?:a\s+|an\s+)?(?:human|real\s+person|person|lawyer|attorney|realtor|broker|licensed\b|not\s+(?:a\s+bot|an?\s+ai|automated))
    | \bi(?:'m|\s+am)\s+jorge\b(?!['’]s)
    | \b(?:this\s+is|it'?s)\s+jorge\s+(?:himself|personally)\b
    | \bsoy\s+(?:un\s+|una\s+)?(?:humano|humana|persona\s+real|abogad[oa])\b
    | \bsoy\s+jorge\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_DAN = re.compile(r"\bDAN\b")  # case-sensitive: the jailbreak persona, not "Dan" the lead
_PLACEHOLDER = re.compile(
    r"\{\{?\s*[\w.]+\s*\}?\}|\[(?:name|first\s+name|nombre|agent|link|url|date|time)\]",
    re.IGNORECASE,
)
_DISCLOSURE = re.compile(
    r"""
    \b(?:automated|virtual|ai|a\.i\.|digital)\s+assistant\b
    | \basistente\s+(?:automatizad[oa]|virtual|digital|de\s+ia)\b
    | \bbot\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_LEAK_SHINGLE_WORDS = 8


def _normalise(text: str) -> str:
    # NFKC folds full-width and compatibility forms (a full-width "evil.com") into what they spell.
    return unicodedata.normalize("NFKC", _HIDDEN_CHARS.sub("", text))


def _token_key(token: str) -> str:
    return re.sub(r"[\s.]+", "", token.lower())


def _ungrounded(pattern: re.Pattern, text: str, reference: str) -> list[str]:
    """Matches of ``pattern`` in ``text`` that the bot's own reference text does not contain."""
    allowed = {_token_key(m.group(0)) for m in pattern.finditer(reference)}
    return [m.group(0) for m in pattern.finditer(text) if _token_key(m.group(0)) not in allowed]


def _link_hosts(text: str) -> list[str]:
    hosts = []
    for match in _URL.finditer(text):
        url = re.sub(r"^hxxp", "http", match.group(0), flags=re.IGNORECASE)
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            host = ""
        hosts.append(host or "invalid-url")
    without_urls = _URL.sub(" ", text)
    for match in _WWW.finditer(without_urls):
        hosts.append(match.group(0).split(":")[0])
    without_www = _WWW.sub(" ", without_urls)
    for match in _BARE_DOMAIN.finditer(without_www):
        hosts.append(match.group(1))
    return [h.lower().rstrip(".") for h in hosts]


def _host_allowed(host: str, allowed: Iterable[str]) -> bool:
    for entry in allowed:
        entry = entry.lower().strip().rstrip(".")
        if entry and (host == entry or host.endswith("." + entry)):
            return True
    return False


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _shares_passage(text: str, protected: str, size: int = _LEAK_SHINGLE_WORDS) -> bool:
    words = _words(protected)
    shingles = {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}
    reply = _words(text)
    return any(" ".join(reply[i : i + size]) in shingles for i in range(len(reply) - size + 1))


def validate_reply(
    text: str,
    *,
    language: LanguageValue,
    max_chars: int = SMS_MAX_CHARS,
    allowed_link_hosts: Sequence[str] | None = None,
    reference_text: str = "",
    protected_texts: Sequence[str] = (),
    require_disclosure: bool = False,
) -> list[str]:
    """Problems that forbid sending ``text`` as an AI reply; an empty list means it may go.

    ``reference_text`` is the bot's own templated text for this turn: a figure, time, phone
    number, email or booking it already states is grounded and may be repeated.
    ``protected_texts`` are prompts whose passages must never be echoed. Deliberately
    strict: a false positive only costs sending the templated text instead.
    """
    if not text or not text.strip():
        return ["empty"]
    if allowed_link_hosts is None:
        allowed_link_hosts = settings.BOT_ALLOWED_LINK_HOSTS
    problems: list[str] = []
    if len(text) > max_chars:
        problems.append(f"too_long:{len(text)}>{max_chars}")
    if _HIDDEN_CHARS.search(text):
        problems.append("hidden_characters")
    clean = _normalise(text)
    reference = _normalise(reference_text)

    scores = language_scores(clean)
    other = "en" if language == "es" else "es"
    if scores[other] >= 2 and scores[other] > scores[language]:
        problems.append(f"wrong_language:{other}")

    for host in _link_hosts(clean):
        if not _host_allowed(host, allowed_link_hosts):
            problems.append(f"link_not_allowed:{host}")
    if _OBFUSCATED_DOMAIN.search(clean):
        problems.append("obfuscated_link")
    if _ungrounded(_EMAIL, clean, reference):
        problems.append("email_address")
    if _ungrounded(_PHONE, clean, reference):
        problems.append("phone_number")

    lowered = clean.lower()
    if (
        PROMPT_CANARY.lower() in lowered
        or _PROMPT_LEAK.search(clean)
        or any(f"<{tag}" in lowered or f"</{tag}" in lowered for tag in PROMPT_TAGS)
        or any(_shares_passage(clean, protected) for protected in protected_texts)
    ):
        problems.append("prompt_leak")
    if _ROLE_CHANGE.search(clean) or _DAN.search(clean):
        problems.append("role_change")
    if _ungrounded(_MONEY, clean, reference):
        problems.append("money_figure")
    if _ungrounded(_PROMISE, clean, reference):
        problems.append("promise")
    if _ADVICE.search(clean):
        problems.append("legal_or_financial_advice")
    if _ungrounded(_TIME, clean, reference):
        problems.append("appointment_time")
    if _BOOKING_CLAIM.search(clean) and not _BOOKING_CLAIM.search(reference):
        problems.append("booking_claim")
    if _PLACEHOLDER.search(clean):
        problems.append("placeholder")
    if require_disclosure and not _DISCLOSURE.search(clean):
        problems.append("missing_disclosure")
    return problems
