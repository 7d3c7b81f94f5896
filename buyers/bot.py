"""The buyer bot: qualifies a buyer one question at a time (financing, budget and down
payment, areas, beds and baths, must-haves, timeline), books a call with Jorge when the buyer
is hot, and has their financial readiness assessed once the money questions are settled.

The lead bot hands a buyer over as soon as it knows the intent; the pipeline then calls
``next_turn`` with the same inbound message, so the first answers are read from it too.
Flow, rules and examples: docs/bots.md ("The buyer bot").

``next_turn`` runs inside a locked step of the pipeline's turn, with the contact and the
conversation locked (never while the turn waits on Claude); it reads and writes the
``BuyerProfile`` row under that lock through ``buyers.services.profile``. The financial
assessment waits on the network, so it never runs here: it is queued as a Celery task that
starts once the turn has committed (``buyers.tasks.assess_financial_readiness_task``).
"""

import dataclasses
import re

from buyers.extraction import BuyerAnswers, extract_buyer_answers
from buyers.models import BuyerProfile
from buyers.services import profile as services
from buyers.services.matching import compose_matches
from compliance.models import AuditEvent
from compliance.services import audit
from config.queueing import publish_on_commit
from leads.bots.base import BotTurn, TurnContext, registered_kinds
from leads.bots.lead import needs_jorge
from leads.bots.repeats import without_repeat
from leads.intelligence.text import fold
from leads.models import BotKind, Conversation, Intent, Temperature

Stage = BuyerProfile.Stage
BOT = AuditEvent.Actor.BOT

# A question is asked at most this many times (once, then once in other words); a reply that
# leaves it open that many times passes it.
MAX_ASKS = 2
MAX_MISSES = 2
FOLLOWUP_STEPS = 5
# Settled before the financial assessment runs.
MONEY_QUESTIONS = frozenset(
    {Stage.FINANCING, Stage.PREAPPROVAL_DETAILS, Stage.BUDGET, Stage.DOWN_PAYMENT}
)
# "No HOA" is a wish about the home, not a question about fees for Jorge.
_HOA_WISH = re.compile(r"\b(?:no|low|without|sin|bajo|baja)\s+hoa\b")

BUYER_TEXTS: dict[str, dict[str, str]] = {
    "buyer_intro": {
        "en": "I'd be glad to help you find a home!",
        "es": "¡Con gusto le ayudo a encontrar casa!",
    },
    # --- One question at a time ------------------------------------------------------------
    "buyer_ask_financing": {
        "en": "Have you been pre-approved with a lender yet, or would you be paying cash?",
        "es": "¿Ya está preaprobado con algún banco o prestamista, o pagaría de contado?",
    },
    "buyer_ask_financing_again": {
        "en": "No worries if you haven't started on that yet. Have you talked to a lender, or is it a cash purchase?",
        "es": "No se preocupe si aún no empieza con eso. ¿Ya habló con algún prestamista, o sería una compra de contado?",
    },
    "buyer_ask_preapproval_details": {
        "en": "Great! Which lender pre-approved you, and for how much?",
        "es": "¡Excelente! ¿Con qué banco o prestamista está preaprobado, y por cuánto?",
    },
    "buyer_ask_preapproval_details_again": {
        "en": "Roughly how much is the pre-approval for?",
        "es": "¿Más o menos de cuánto es la preaprobación?",
    },
    "buyer_ask_budget": {
        "en": "What price range are you shopping in?",
        "es": "¿En qué rango de precio está buscando?",
    },
    "buyer_ask_budget_again": {
        "en": "Even a rough top number helps. What's the most you'd like to spend on the home?",
        "es": "Aunque sea un número aproximado ayuda. ¿Cuánto es lo máximo que le gustaría gastar en la casa?",
    },
    "buyer_ask_down_payment": {
        "en": "About how much are you planning to put down?",
        "es": "¿Más o menos cuánto piensa dar de enganche?",
    },
    "buyer_ask_down_payment_again": {
        "en": "Is it closer to a small down payment, or 20% or more? A rough idea is fine.",
        "es": "¿Sería un enganche pequeño, o de 20% o más? Con una idea aproximada basta.",
    },
    "buyer_ask_areas": {
        "en": "Which cities or neighborhoods would you like to live in?",
        "es": "¿En qué ciudades o zonas le gustaría vivir?",
    },
    "buyer_ask_areas_again": {
        "en": "Is there a city you'd like to be close to, say for work?",
        "es": "¿Hay alguna ciudad a la que le gustaría estar cerca, por ejemplo por el trabajo?",
    },
    "buyer_ask_rooms": {
        "en": "How many bedrooms and bathrooms do you need?",
        "es": "¿Cuántas recámaras y baños necesita?",
    },
    "buyer_ask_rooms_again": {
        "en": "Roughly, how many bedrooms would work for you?",
        "es": "Más o menos, ¿cuántas recámaras le funcionarían?",
    },
    "buyer_ask_must_haves": {
        "en": "Is there anything the home must have, like a pool, a big yard, RV parking or a single story?",
        "es": "¿Hay algo que la casa deba tener sí o sí, como alberca, patio grande, estacionamiento para RV o de una sola planta?",
    },
    "buyer_ask_must_haves_again": {
        "en": "Any deal-breakers I should pass on to {agent}? It's fine if not.",
        "es": "¿Hay algo indispensable que deba comentarle a {agent}? Está bien si no.",
    },
    "buyer_ask_timeline": {
        "en": "And when would you ideally like to be in your new home?",
        "es": "¿Y para cuándo le gustaría estar en su nueva casa?",
    },
    "buyer_ask_timeline_again": {
        "en": "Roughly speaking, are you thinking within the next few months, or later on?",
        "es": "Más o menos, ¿piensa mudarse en los próximos meses, o más adelante?",
    },
    # --- Done -------------------------------------------------------------------------------
    "buyer_qualified": {
        "en": "Thank you{greeting_name}, that's everything I need! I've passed your answers on to {agent}, who will follow up with homes that fit. Is there anything else I should tell {agent}?",
        "es": "¡Gracias{greeting_name}, con eso es suficiente! Ya le pasé sus respuestas a {agent}, quien le dará seguimiento con casas que le queden. ¿Hay algo más que deba comentarle a {agent}?",
    },
    "buyer_hot": {
        "en": "You're in a great spot to buy{greeting_name}! {agent} will call you personally to go over homes that fit and the next steps.",
        "es": "¡Está en muy buena posición para comprar{greeting_name}! {agent} le llamará personalmente para ver casas que le queden y los siguientes pasos.",
    },
    "buyer_noted": {
        "en": "Thanks, noted! I've passed that on to {agent}, who will be in touch soon.",
        "es": "¡Gracias, anotado! Ya se lo comenté a {agent}, quien le contactará pronto.",
    },
    # --- Nurture follow-ups (step 1..5, and the email step) --------------------------------
    "buyer_followup_1": {
        "en": "Hi{greeting_name}, just checking in. Are you still looking for a home? Happy to help whenever you're ready.",
        "es": "Hola{greeting_name}, solo para saludarle. ¿Sigue buscando casa? Con gusto le ayudo cuando esté listo.",
    },
    "buyer_followup_2": {
        "en": "Hi{greeting_name}, new homes keep coming on the market in the Inland Empire. Would you like {agent} to send you a few that fit what you're looking for?",
        "es": "Hola{greeting_name}, siguen saliendo casas al mercado en el Inland Empire. ¿Le gustaría que {agent} le mandara algunas que le queden?",
    },
    "buyer_followup_3": {
        "en": "Hi{greeting_name}, no rush at all. If your plans or budget have changed, just let me know and I'll update {agent}.",
        "es": "Hola{greeting_name}, sin prisa. Si cambiaron sus planes o su presupuesto, avíseme y se lo comento a {agent}.",
    },
    "buyer_followup_4": {
        "en": "Hi{greeting_name}, {agent} keeps an eye on new listings and price drops in the areas you like. Want a quick update? No obligation.",
        "es": "Hola{greeting_name}, {agent} está al pendiente de casas nuevas y bajas de precio en las zonas que le gustan. ¿Quiere una actualización rápida? Sin compromiso.",
    },
    "buyer_followup_5": {
        "en": "Hi{greeting_name}, this is my last check-in for now. Whenever you're ready to look at homes, text me here and {agent} will take it from there.",
        "es": "Hola{greeting_name}, este es mi último mensaje por ahora. Cuando esté listo para ver casas, escríbame aquí y {agent} le atenderá.",
    },
    "buyer_followup_email": {
        "en": "Hi{greeting_name},\n\n{agent} keeps an eye on new listings and price changes in the areas you're looking at and would be glad to send you the ones that fit, with no obligation.\n\nJust reply to this email with anything that has changed (budget, areas, timing) and {agent} will take it from there.\n\n{agent}'s automated assistant",
        "es": "Hola{greeting_name},\n\n{agent} está al pendiente de casas nuevas y cambios de precio en las zonas que busca, y con gusto le manda las que le queden, sin compromiso.\n\nSolo responda a este correo con lo que haya cambiado (presupuesto, zonas, fechas) y {agent} le atenderá.\n\nAsistente automático de {agent}",
    },
    "buyer_followup_email_subject": {
        "en": "Homes in the areas you're looking at",
        "es": "Casas en las zonas que busca",
    },
}


class BuyerBot:
    kind = BotKind.BUYER

    def next_turn(self, ctx: TurnContext) -> BotTurn:
        """Read the buyer's answers, then the next open question, a call for a hot buyer, or
        the wrap-up."""
        return without_repeat(ctx, self._decide(ctx))

    def _decide(self, ctx: TurnContext) -> BotTurn:
        contact, conversation = ctx.contact, ctx.conversation
        if contact.intent in (Intent.SELLER, Intent.BOTH) and BotKind.SELLER in registered_kinds():
            # A buyer who also sells a home is the seller bot's first (docs/bots.md).
            return BotTurn(
                goal="handoff",
                handoff_to=BotKind.SELLER,
                send=False,
                state={"handed_off_to": "seller"},
            )
        text = ctx.inbound.body if ctx.inbound is not None else ""
        if text and needs_jorge(_HOA_WISH.sub(" ", fold(text))):
            return BotTurn(goal="handoff_to_human", hand_to_human="question only Jorge can answer")

        memory = _Memory.load(conversation)
        greeting = ["greeting"] if ctx.is_first_reply else []
        profile = services.locked_profile(contact=contact, transcript=ctx.transcript)
        pending = memory.pending
        answers = extract_buyer_answers(text, expecting=pending) if text else BuyerAnswers()
        services.record_buyer_answers(profile=profile, answers=answers)

        settled = set(memory.settled)
        settled |= {q for q, times in memory.asked.items() if times >= MAX_ASKS}
        if pending and pending != Stage.QUALIFIED:
            if (pending == Stage.AREAS and answers.flexible_area) or (
                pending == Stage.MUST_HAVES and answers.no_must_haves
            ):
                settled.add(pending)  # "anywhere", "nothing in particular": an answer
            elif services.question_is_open(profile, pending, asked=memory.asked):
                if answers.unsure:
                    settled.add(pending)  # "not sure yet": Jorge takes it from here
                else:
                    # The reply left the question open: asked again in other words, then passed.
                    memory.misses[pending] = memory.misses.get(pending, 0) + 1
                    if memory.misses[pending] >= MAX_MISSES:
                        settled.add(pending)
        memory.settled = sorted(settled)
        target = services.next_question(profile, settled=frozenset(settled), asked=memory.asked)
        hot = profile.temperature == Temperature.HOT
        if hot or target not in MONEY_QUESTIONS or profile.stage == Stage.QUALIFIED:
            _queue_assessment(ctx, profile, memory)

        if profile.stage == Stage.QUALIFIED:
            return self._after_qualified(ctx, profile, memory)
        if hot:
            return self._hot_turn(ctx, profile, memory, greeting)
        if target == Stage.QUALIFIED:
            return self._qualified_turn(ctx, profile, memory, greeting)
        return self._ask(profile, target, memory, greeting)

    # --- the moves -------------------------------------------------------------------------

    def _ask(
        self, profile: BuyerProfile, question: str, memory: "_Memory", greeting: list[str]
    ) -> BotTurn:
        """Ask ``question``; a second time in other words, never the same twice."""
        times = memory.asked.get(question, 0)
        intro = ["buyer_intro"] if not memory.asked else []
        key = f"buyer_ask_{question}" + ("_again" if times else "")
        memory.asked[question] = times + 1
        memory.pending = question
        services.move_to_stage(profile=profile, stage=question, reason="next question")
        return BotTurn(
            goal=f"buyer_ask_{question}",
            template_key="+".join([*greeting, *intro, key]),
            stage=Conversation.Stage.QUALIFYING,
            state=memory.dump(),
        )

    def _hot_turn(
        self, ctx: TurnContext, profile: BuyerProfile, memory: "_Memory", greeting: list[str]
    ) -> BotTurn:
        """Pre-approved or cash, a budget, moving within 90 days: Jorge calls now. What is
        still open (areas, rooms, must-haves) he asks on the call."""
        booked = services.mark_buyer_hot(profile=profile, conversation=ctx.conversation)
        services.move_to_stage(profile=profile, stage=Stage.QUALIFIED, reason="hot buyer")
        memory.pending = ""
        memory.qualified_sent = True
        return BotTurn(
            goal="buyer_hot",
            template_key="+".join([*greeting, "buyer_hot"]),
            stage=Conversation.Stage.APPOINTMENT,
            book_call=booked,
            state=memory.dump(),
        )

    def _qualified_turn(
        self, ctx: TurnContext, profile: BuyerProfile, memory: "_Memory", greeting: list[str]
    ) -> BotTurn:
        """Every question settled and the buyer is not hot: the listings that fit best, as one
        message with links (sent word for word: never reworded, never invented), or, when none
        fits, word that Jorge follows up with homes."""
        services.move_to_stage(profile=profile, stage=Stage.QUALIFIED, reason="qualified")
        memory.pending = ""
        memory.qualified_sent = True
        matches = compose_matches(ctx.contact)
        if matches is not None:
            audit(
                action="buyer.matches_sent",
                subject=ctx.conversation,
                actor=BOT,
                actor_label="buyer_bot",
                data=matches.audit_data(),
            )
            return BotTurn(
                goal="buyer_matches",
                verbatim_text=matches.text,
                stage=Conversation.Stage.QUALIFIED,
                state={**memory.dump(), "matches_sent": [m["property"] for m in matches.listings]},
            )
        return BotTurn(
            goal="buyer_qualified",
            template_key="+".join([*greeting, "buyer_qualified"]),
            stage=Conversation.Stage.QUALIFIED,
            state=memory.dump(),
        )

    def _after_qualified(
        self, ctx: TurnContext, profile: BuyerProfile, memory: "_Memory"
    ) -> BotTurn:
        """A qualified buyer writes again (a call time, a question): Jorge takes over. One who
        turned hot since gets the call booked too."""
        booked = False
        if profile.temperature == Temperature.HOT:
            booked = services.mark_buyer_hot(profile=profile, conversation=ctx.conversation)
        return BotTurn(
            goal="buyer_noted",
            book_call=booked,
            hand_to_human="buyer qualified; Jorge takes over",
            state=memory.dump(),
        )

    # --- follow-ups ------------------------------------------------------------------------

    def follow_up(self, ctx: TurnContext, *, step: int, by_email: bool) -> BotTurn:
        """Nurture texts for buyers, each different, in their language; one step by email."""
        qualified = BuyerProfile.objects.filter(
            contact_id=ctx.contact.pk, stage=Stage.QUALIFIED
        ).exists()
        # A qualified buyer waiting for Jorge stays qualified on the dashboard.
        stage = None if qualified else Conversation.Stage.NURTURE
        if by_email:
            return BotTurn(goal="buyer_followup_email", stage=stage)
        return BotTurn(goal=f"buyer_followup_{min(step, FOLLOWUP_STEPS)}", stage=stage)


def _financial_facts(profile: BuyerProfile) -> list:
    """What the financial assessment reads, to tell when it changed."""
    contact = profile.contact
    return [
        *(str(getattr(profile, name)) for name in services.FINANCIAL_FIELDS),
        contact.budget_min,
        contact.budget_max,
    ]


def _queue_assessment(ctx: TurnContext, profile: BuyerProfile, memory: "_Memory") -> None:
    """Have the buyer's financial readiness assessed once this turn commits, when the money
    questions are settled and what they said about money changed since the last time."""
    from buyers.tasks import assess_financial_readiness_task

    facts = _financial_facts(profile)
    if memory.assessed == facts:
        return
    memory.assessed = facts
    publish_on_commit(assess_financial_readiness_task, ctx.contact.pk, ctx.conversation.pk)


@dataclasses.dataclass
class _Memory:
    """What the bot keeps in ``Conversation.bot_state["buyer"]`` between turns."""

    pending: str = ""  # the question our last message asked ("" when it asked none)
    asked: dict = dataclasses.field(default_factory=dict)  # question -> times asked
    misses: dict = dataclasses.field(default_factory=dict)  # question -> replies without answer
    settled: list = dataclasses.field(default_factory=list)  # passed or "no preference"
    qualified_sent: bool = False
    assessed: list | None = None  # the financial facts last sent for assessment

    @classmethod
    def load(cls, conversation: Conversation) -> "_Memory":
        data = conversation.bot_state.get("buyer") or {}
        return cls(
            pending=data.get("pending", ""),
            asked=dict(data.get("asked", {})),
            misses=dict(data.get("misses", {})),
            settled=list(data.get("settled", [])),
            qualified_sent=bool(data.get("qualified_sent", False)),
            assessed=data.get("assessed"),
        )

    def dump(self) -> dict:
        return {"buyer": dataclasses.asdict(self)}


buyer_bot = BuyerBot()
