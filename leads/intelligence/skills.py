"""The reply prompt's playbook: small skill snippets, one per kind of turn.

Each skill says how to word one kind of turn (a greeting, a financing question, a seller's
objection, a call offer...) with an English and a Spanish example. Without
``ENABLE_PROGRESSIVE_SKILLS`` every reply request carries the whole playbook after the core
rules (``claude.REPLY_SYSTEM_PROMPT``); with it, only the skills the turn's goal needs
(docs/feature-flags.md). Either way the reply is checked by ``replies.validate_reply`` in
code: no rule depends on which skills the model was shown.

The selection depends only on the goal and on whether this is the first message (never on
the lead or the language), so every turn of one kind sends a byte-identical system prompt
and the prompt cache still works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from .replies import ReplyRequest


@dataclass(frozen=True)
class Skill:
    """How to word one kind of turn: rules, then worked examples (draft → reply)."""

    name: str
    title: str
    rules: tuple[str, ...]
    examples: tuple[tuple[str, str], ...]

    def text(self) -> str:
        lines = [f"## Skill: {self.title}", *(f"- {rule}" for rule in self.rules)]
        for draft, reply in self.examples:
            lines.append(f"Example draft: {draft}")
            lines.append(f"Example reply: {reply}")
        return "\n".join(lines)


SKILLS: tuple[Skill, ...] = (
    Skill(
        "greeting",
        "first message",
        (
            "This is the lead's first message from us: say in the first sentence that you are "
            "Jorge's automated assistant (California's bot-disclosure rule).",
            "Thank them for reaching out, use their first name once if you have it, then ask "
            "the draft's question.",
            "Keep it short: a first text longer than two sentences reads like spam.",
        ),
        (
            (
                "Hi Dana! I'm Jorge's automated assistant. Are you looking to buy or sell?",
                "Hi Dana, thanks for reaching out! I'm Jorge's automated assistant. Are you "
                "hoping to buy a home, sell one, or both?",
            ),
            (
                "¡Hola Rosa! Soy el asistente automatizado de Jorge. ¿Busca comprar o vender?",
                "¡Hola Rosa, gracias por escribirnos! Soy el asistente automatizado de Jorge. "
                "¿Le interesa comprar, vender o las dos cosas?",
            ),
        ),
    ),
    Skill(
        "qualification",
        "qualifying questions",
        (
            "Ask exactly one question: the one in the draft. Never add a second question.",
            "Acknowledge what the lead just told you in a few words before asking, so it "
            "reads like a conversation and not a form.",
            "If the lead already answered this question in the conversation, keep the draft's "
            "question anyway: the software decided it is still open.",
            "Timeline questions ask when, never why; do not suggest an answer.",
        ),
        (
            (
                "Got it. When are you hoping to make your move?",
                "Thanks, that helps! Roughly when are you hoping to make the move?",
            ),
            (
                "Entendido. ¿En qué zona o ciudad le gustaría vivir?",
                "Perfecto, gracias. ¿En qué ciudad o zona le gustaría vivir?",
            ),
        ),
    ),
    Skill(
        "financing",
        "financing and budget",
        (
            "Money questions are sensitive: ask them plainly and without judgement; say the "
            "answer helps Jorge show homes that fit.",
            "Never suggest a budget, a down payment, a loan type, a rate or a lender, and "
            "never say what they can afford; those are questions for their lender.",
            "Pre-approved, pre-qualified and paying cash are different answers: do not treat "
            "one as another.",
            "Never ask for account numbers, a Social Security number or income documents.",
        ),
        (
            (
                "Are you already pre-approved for a loan, or paying cash?",
                "So Jorge can focus on homes that fit, are you already pre-approved for a "
                "loan, or planning to pay cash?",
            ),
            (
                "¿Cuánto piensa dar de enganche, aproximadamente?",
                "Gracias por la información. Para buscar lo que mejor le quede, ¿cuánto "
                "piensa dar de enganche, aproximadamente?",
            ),
        ),
    ),
    Skill(
        "home_search",
        "what the buyer wants",
        (
            "Ask about the home (bedrooms, bathrooms, must-haves) in everyday words; one "
            "question only.",
            "Say the answer helps Jorge filter the listings; never promise that such homes "
            "exist or are available.",
            "A must-have is about the home (a yard, a garage, one story), never about the "
            "neighbours: do not ask who they want to live near.",
        ),
        (
            (
                "How many bedrooms and bathrooms do you need?",
                "Sounds great! How many bedrooms and bathrooms would you need?",
            ),
            (
                "¿Hay algo que su próxima casa tenga que tener sí o sí?",
                "¡Qué bien! ¿Hay algo que su próxima casa tenga que tener sí o sí, como patio "
                "o cochera?",
            ),
        ),
    ),
    Skill(
        "home_matches",
        "sharing matching homes",
        (
            "The draft lists homes that match what the buyer told us: keep every address, "
            "price and link exactly as the draft has them, in the same order.",
            "Say Jorge picked them from current listings that fit their search; never "
            "describe a home beyond what the draft says.",
            "Never say a home is a good deal, will go fast, will gain value or suits their "
            "family; ask only the draft's question (usually which one they like).",
        ),
        (
            (
                "Here are 2 homes that match: 12 Oak St, Fontana; 48 Elm Ave, Rialto. Any "
                "you'd like to see?",
                "Good news, Jorge found 2 homes that match your search: 12 Oak St, Fontana and "
                "48 Elm Ave, Rialto. Any you'd like to see?",
            ),
            (
                "Estas 2 casas coinciden: 12 Oak St, Fontana; 48 Elm Ave, Rialto. ¿Le interesa "
                "alguna?",
                "¡Buenas noticias! Jorge encontró 2 casas que coinciden con su búsqueda: 12 Oak "
                "St, Fontana y 48 Elm Ave, Rialto. ¿Le interesa alguna?",
            ),
        ),
    ),
    Skill(
        "fair_housing",
        "fair housing reminder",
        (
            "Describe places only by facts about homes and their location (city, commute, "
            "home size, lot); never by who lives there.",
            "Never mention or ask about race, color, religion, national origin, sex, "
            "disability, familial status, age, source of income or any other protected "
            "class, and never call an area safe, good for families or a good school area.",
            "If the lead asks about schools, crime or the people in an area, say Jorge can "
            "point them to public sources and keep the draft's question.",
        ),
        (
            (
                "Which areas are you considering?",
                "Which cities or neighborhoods are you considering? Jorge covers the whole "
                "Inland Empire.",
            ),
            (
                "¿Qué zonas le interesan?",
                "¿Qué ciudades o colonias le interesan? Jorge trabaja en todo el Inland Empire.",
            ),
        ),
    ),
    Skill(
        "seller_questions",
        "questions for sellers",
        (
            "Sellers are often unsure: ask with no pressure and say they can skip any question.",
            "Ask about the home's address, their reason to sell, their timeline or the "
            "home's condition exactly as the draft asks; one question only.",
            "Never guess why they are selling (divorce, debt, a death) and never comment on "
            "their reasons.",
        ),
        (
            (
                "What's prompting the move?",
                "Thanks for sharing! If you don't mind me asking, what's prompting the move?",
            ),
            (
                "¿En qué condición está la casa?",
                "Muchas gracias. ¿Cómo describiría la condición de la casa: lista para "
                "vivir o necesita algunos arreglos?",
            ),
        ),
    ),
    Skill(
        "pricing",
        "home value and the CMA",
        (
            "Never state or hint at what a home is worth, a price per square foot, a range "
            "or a market trend figure, even if the lead insists: the CMA answers that.",
            "A CMA (comparative market analysis) compares recent sales nearby; it is free, "
            "has no obligation and is not an appraisal.",
            "If the lead quotes an online estimate, do not agree or disagree with it.",
        ),
        (
            (
                "Do you have a price in mind for the home?",
                "Do you have a price in mind for the home? No worries if not, Jorge's free "
                "market analysis can help with that.",
            ),
            (
                "¿Le gustaría un análisis de mercado gratuito de su casa?",
                "Entiendo. ¿Le gustaría que Jorge le prepare un análisis de mercado gratuito "
                "de su casa, sin compromiso?",
            ),
        ),
    ),
    Skill(
        "objections",
        "objection handling",
        (
            "The lead hesitated (thinking it over, just curious, needs to ask a spouse, not "
            "now, not interested): agree with them first; never argue or push.",
            "Offer only what the draft offers (a free market analysis, a later check-in); "
            "never invent urgency such as rates going up or buyers waiting.",
            "Not interested means stop asking: keep the draft's exit and its STOP reminder "
            "if it has one.",
            "If they ask how we got their number, repeat the draft's answer and nothing else.",
        ),
        (
            (
                "Of course, take your time. Would a free market analysis help in the meantime?",
                "Of course, no rush at all. Would a free market analysis of your home help "
                "while you think it over?",
            ),
            (
                "Claro, hable con su esposo. Le escribo en un par de semanas.",
                "¡Claro que sí! Platíquelo con su esposo con calma; le escribo en un par de "
                "semanas.",
            ),
        ),
    ),
    Skill(
        "booking",
        "offering a call",
        (
            "The lead is ready for Jorge: say Jorge will call them and ask the draft's "
            "question about when suits them.",
            "Never name a day, a date or a time, and never say a call or a showing is "
            "booked, unless the draft does; the calendar decides that, not you.",
            "If a call is already set, thank them and say Jorge will reach out; ask nothing new.",
        ),
        (
            (
                "Jorge would love to talk. What time of day works best for a quick call?",
                "You're all set on our side, Jorge would love to talk! What time of day "
                "usually works best for a quick call?",
            ),
            (
                "Gracias, Jorge le llamará pronto.",
                "¡Muchas gracias! Jorge se comunicará con usted muy pronto.",
            ),
        ),
    ),
    Skill(
        "wrap_up",
        "qualified: wrapping up",
        (
            "The questions are done: thank the lead and say what happens next as the draft "
            "says it (Jorge reviews and follows up).",
            "Do not ask new qualification questions; ask only if the draft does.",
            "Do not summarise their answers back: some are financial and this is SMS.",
        ),
        (
            (
                "Thanks, that's everything I need! Jorge will follow up with you shortly.",
                "Thank you, that's everything I needed! Jorge will look it over and follow "
                "up with you shortly.",
            ),
            (
                "Gracias, es todo lo que necesito. Jorge le contactará pronto.",
                "¡Gracias, con eso es suficiente! Jorge revisará todo y le contactará pronto.",
            ),
        ),
    ),
    Skill(
        "follow_up",
        "follow-ups",
        (
            "The lead has not answered for a while: be brief and friendly, one check-in, no "
            "guilt (never 'you didn't reply').",
            "Follow-ups are where texting rules bite: never more than the draft's one "
            "message, and keep the draft's STOP or opt-out wording exactly if it has any.",
            "The last check-in says it is the last one; keep that.",
        ),
        (
            (
                "Hi Sam, still thinking about buying this year? I'm here if you need anything.",
                "Hi Sam, just checking in: still thinking about buying this year? I'm here "
                "whenever you're ready.",
            ),
            (
                "Hola Luis, ¿sigue pensando en vender? Aquí estoy si me necesita.",
                "Hola Luis, solo para saludarle: ¿sigue pensando en vender? Aquí estoy para "
                "cuando guste.",
            ),
        ),
    ),
    Skill(
        "email",
        "follow-up emails",
        (
            "This goes by email, not SMS: a greeting line, two or three short paragraphs and "
            "the sign-off from the draft ('Jorge's automated assistant').",
            "Keep any attachment, report or link the draft mentions exactly as it is named; "
            "never describe numbers inside an attached report.",
            "A CMA is an estimate from recent nearby sales, not an appraisal; keep that "
            "sentence if the draft has it.",
            "End with the draft's one call to action (reply to this email).",
        ),
        (
            (
                "Hi Ana, are you still thinking about selling? Jorge can prepare a free market "
                "analysis. Just reply to this email.",
                "Hi Ana,\n\nI hope all is well! Are you still thinking about selling? Jorge "
                "can prepare a free market analysis of your home, with no obligation.\n\nJust "
                "reply to this email and we'll take it from there.\n\nJorge's automated "
                "assistant",
            ),
            (
                "Hola Carmen, adjunto el análisis de mercado de su casa. Responda si tiene "
                "preguntas.",
                "Hola Carmen,\n\nComo le prometimos, adjunto el análisis de mercado gratuito "
                "de su casa que preparó Jorge. No es un avalúo.\n\nSi tiene preguntas, "
                "responda a este correo y Jorge le llamará.\n\nEl asistente automatizado de "
                "Jorge",
            ),
        ),
    ),
    Skill(
        "handoff",
        "handing over to Jorge",
        (
            "The lead asked something only Jorge can answer, or a person takes over: say "
            "Jorge will follow up personally; do not try to answer it yourself.",
            "Never say when Jorge will answer unless the draft does.",
            "Acknowledge a complaint without admitting fault or promising a remedy.",
        ),
        (
            (
                "Great question, I'll have Jorge get back to you on that.",
                "Great question! I'll pass it to Jorge so he can answer you personally.",
            ),
            (
                "Entiendo. Jorge le responderá personalmente.",
                "Entiendo perfectamente. Le paso su mensaje a Jorge para que le responda "
                "personalmente.",
            ),
        ),
    ),
)

_BY_NAME = {skill.name: skill for skill in SKILLS}

# Which skills a goal needs: the first pattern that matches the goal wins. Goals are the
# bots' own names (leads/bots/lead.py, buyers/bot.py, sellers/bot.py).
GOAL_SKILLS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"followup_email", ("email",)),
    (r"(followup|nurture$)", ("follow_up",)),
    (r"stall|nurture_ack", ("objections",)),
    (
        r"(ask_budget|ask_preapproval|buyer_ask_(financing|preapproval_details|budget|down_payment))",
        ("financing",),
    ),
    (r"(ask_area|buyer_ask_areas)", ("fair_housing",)),
    (r"buyer_ask_(rooms|must_haves)", ("home_search",)),
    (r"buyer_matches", ("home_matches",)),
    (r"seller_ask_price", ("pricing",)),
    (r"seller_ask_", ("seller_questions",)),
    (r"(book_call|_hot$|call_time_noted|booking_)", ("booking",)),
    (r"(qualified|noted)", ("wrap_up",)),
    (r"(handoff|escalation)", ("handoff",)),
    (r"ask_", ("qualification",)),
)
_GOAL_PATTERNS = [(re.compile(pattern), names) for pattern, names in GOAL_SKILLS]


def skills_for(*, goal: str, is_first_message: bool) -> list[Skill]:
    """The skills a turn with this goal needs (the greeting first, on a first message)."""
    names = ["greeting"] if is_first_message else []
    for pattern, matched in _GOAL_PATTERNS:
        if pattern.search(goal):
            names.extend(matched)
            break
    return [_BY_NAME[name] for name in names]


def playbook(skills) -> str:
    """The skills as the prompt section that follows the core rules."""
    if not skills:
        return ""
    return "\n\n# Playbook for this kind of turn\n\n" + "\n\n".join(s.text() for s in skills)


def progressive_skills_enabled() -> bool:
    return bool(getattr(settings, "ENABLE_PROGRESSIVE_SKILLS", False))


def reply_instructions(request: ReplyRequest, *, progressive: bool | None = None) -> str:
    """What follows the core rules in the reply prompt: the whole playbook, or (with
    ``ENABLE_PROGRESSIVE_SKILLS``) only the skills this turn's goal needs."""
    if progressive is None:
        progressive = progressive_skills_enabled()
    if not progressive:
        return playbook(SKILLS)
    return playbook(skills_for(goal=request.goal, is_first_message=request.is_first_message))


# Passages of these must never be echoed in a reply (validate_reply's protected_texts); the
# examples are wording a reply may legitimately resemble, so they are not protected.
PROTECTED_RULES = "\n".join(rule for skill in SKILLS for rule in skill.rules)
