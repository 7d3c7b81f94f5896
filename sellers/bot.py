"""The seller bot: qualifies a seller in a short conversation (Q0-Q4), handles stalls, offers
the CMA and a call with Jorge, and nurtures the ones who are not ready.

The lead bot hands a seller (or a buy-and-sell lead) over as soon as it knows the intent; the
pipeline then calls ``next_turn`` with the same inbound message, so the first answers are read
from it too. Flow, rules and examples: docs/seller-bot.md.

``next_turn`` runs inside a locked step of the pipeline's turn, with the contact and the
conversation locked (never while the turn waits on Claude); it reads and writes the ``SellerQualification`` row under that lock (never from the
cache) through ``sellers.services.qualification``.
"""

import dataclasses
import re

from compliance.models import AuditEvent
from compliance.services import audit
from leads import selectors as lead_selectors
from leads.bots.base import BotTurn, TurnContext
from leads.bots.lead import needs_jorge
from leads.bots.repeats import without_repeat
from leads.bots.texts import readable_lead_source
from leads.intelligence.text import fold
from leads.models import BotKind, Conversation, Temperature
from sellers import selectors
from sellers.extraction import extract_seller_answers
from sellers.models import SellerQualification
from sellers.services import qualification as services
from sellers.stalls import (
    ALWAYS_HONOURED,
    DECLINED,
    EVASIVE,
    HOW_GOT_NUMBER,
    OFFER_CMA,
    Stall,
    detect_stall,
    stall_of_kind,
)
from sellers.state import locked_qualification

Stage = SellerQualification.Stage

# The question each stage asks, by the name its templates use.
QUESTION_NAMES = {
    Stage.Q0_ADDRESS: "address",
    Stage.Q1_MOTIVATION: "motivation",
    Stage.Q2_TIMELINE: "timeline",
    Stage.Q3_CONDITION: "condition",
    Stage.Q4_PRICE: "price",
}
# A question is asked at most this many times (once, then once in other words); a reply that
# leaves it open that many times passes it: an evasive stall when the reply said nothing.
MAX_MISSES = 2
MAX_ASKS = 2

# "How much is my house worth?" is what the CMA answers, not a question for Jorge.
_HOME_VALUE = re.compile(
    r"\b(?:worth|value|valued|appraisal|cma|market analysis|vale|valor|avaluo|valuada)\b"
)

SELLER_TEXTS: dict[str, dict[str, str]] = {
    # --- Q0-Q4: one question at a time -------------------------------------------------
    "seller_ask_address": {
        "en": "I'd be glad to help you sell. What's the address of the home, and is it OK if I ask you a few quick questions about it?",
        "es": "Con gusto le ayudo a vender. ¿Cuál es la dirección de la casa, y me permite hacerle unas preguntas rápidas sobre ella?",
    },
    "seller_ask_address_again": {
        "en": "Thanks! What's the street address and city of the home you're thinking of selling?",
        "es": "¡Gracias! ¿Cuál es la dirección y la ciudad de la casa que piensa vender?",
    },
    "seller_ask_motivation": {
        "en": "Thank you! What's got you thinking about selling?",
        "es": "¡Gracias! ¿Qué le hace pensar en vender?",
    },
    "seller_ask_motivation_again": {
        "en": "No problem if it's personal. Is it more about a move, needing a different size of home, or something else?",
        "es": "Está bien si es algo personal. ¿Es más por una mudanza, por necesitar una casa de otro tamaño, o por otra razón?",
    },
    "seller_ask_timeline": {
        "en": "Got it. When would you ideally like to have the home sold?",
        "es": "Entiendo. ¿Para cuándo le gustaría tener la casa vendida?",
    },
    "seller_ask_timeline_again": {
        "en": "Roughly speaking, are you thinking within the next few months, or later on?",
        "es": "Más o menos, ¿piensa venderla en los próximos meses, o más adelante?",
    },
    "seller_ask_condition": {
        "en": "Thanks! How would you describe the home right now: move-in ready, needing some updates, or major repairs, and is anyone living there?",
        "es": "¡Gracias! ¿Cómo describiría la casa ahora: lista para vivir, con algunos arreglos pendientes o con reparaciones grandes, y vive alguien ahí?",
    },
    "seller_ask_condition_again": {
        "en": "Would you say the home is move-in ready, or does it need some work?",
        "es": "¿Diría que la casa está lista para vivir, o necesita algo de trabajo?",
    },
    "seller_ask_price": {
        "en": "Last question: do you have a price in mind that you'd like to get for it?",
        "es": "Última pregunta: ¿tiene en mente algún precio que le gustaría obtener?",
    },
    "seller_ask_price_again": {
        "en": "Even a rough number helps, and it's fine if you're not sure. Is there a price you'd be happy with?",
        "es": "Aunque sea un número aproximado ayuda, y está bien si no está seguro. ¿Hay algún precio con el que estaría contento?",
    },
    # --- Qualified ----------------------------------------------------------------------
    "seller_qualified": {
        "en": "Thank you{greeting_name}, that's everything I need! {agent} is preparing a free market analysis (CMA) of your home and would love to walk you through it on a quick call. What time of day works best for you?",
        "es": "¡Gracias{greeting_name}, con eso es suficiente! {agent} está preparando un análisis de mercado (CMA) gratuito de su casa y con gusto se lo explica en una llamada corta. ¿A qué hora del día le queda mejor?",
    },
    # Followed by the free times on Jorge's calendar (leads.bots.booking).
    "seller_qualified_hot": {
        "en": "Thank you{greeting_name}, that's everything I need! {agent} will call you personally to go over a free market analysis (CMA) of your home and the next steps.",
        "es": "¡Gracias{greeting_name}, con eso es suficiente! {agent} le llamará personalmente para revisar un análisis de mercado (CMA) gratuito de su casa y los siguientes pasos.",
    },
    "seller_call_time_noted": {
        "en": "Got it, thanks! I've passed that on to {agent}, who will be in touch shortly.",
        "es": "¡Perfecto, gracias! Ya se lo comenté a {agent}, quien le contactará pronto.",
    },
    # --- Stalls (docs/seller-bot.md) -------------------------------------------------------
    "seller_stall_thinking": {
        "en": "Of course, take your time{greeting_name}. If it helps, {agent} can put together a free market analysis (CMA) of what homes like yours sell for, no strings attached. Would you like one?",
        "es": "Claro, tómese su tiempo{greeting_name}. Si le ayuda, {agent} puede prepararle un análisis de mercado (CMA) gratuito de lo que se venden casas como la suya, sin compromiso. ¿Le gustaría uno?",
    },
    "seller_stall_just_curious": {
        "en": "Totally fair, lots of owners start there! {agent} can put together a free market analysis (CMA) so you know what your home could sell for, no obligation. Would you like one?",
        "es": "¡Es muy válido, muchos dueños empiezan así! {agent} puede prepararle un análisis de mercado (CMA) gratuito para que sepa en cuánto podría venderse su casa, sin compromiso. ¿Le gustaría uno?",
    },
    "seller_stall_spouse": {
        "en": "Makes sense, it's a decision to make together. {agent} can prepare a free market analysis (CMA) of your home that you can both look over. Would that help?",
        "es": "Tiene sentido, es una decisión de los dos. {agent} puede prepararles un análisis de mercado (CMA) gratuito de su casa para que lo revisen juntos. ¿Les ayudaría?",
    },
    "seller_stall_not_now": {
        "en": "No problem at all{greeting_name}. I'll check back in a couple of weeks. If anything changes before then, just text me here.",
        "es": "No hay problema{greeting_name}. Le escribo de nuevo en un par de semanas. Si algo cambia antes, solo escríbame aquí.",
    },
    "seller_stall_not_interested": {
        "en": "Understood{greeting_name}, thanks for letting me know. I'll only check back down the road. If you'd rather not hear from us at all, reply STOP.",
        "es": "Entendido{greeting_name}, gracias por avisarme. Solo le escribiré más adelante. Si prefiere no recibir más mensajes, responda STOP.",
    },
    "seller_stall_declined": {
        "en": "No problem{greeting_name}, no pressure. I'll check back in a couple of weeks; if you'd like a free market analysis of your home before then, just text me here.",
        "es": "No hay problema{greeting_name}, sin presión. Le escribo en un par de semanas; si antes quiere un análisis de mercado gratuito de su casa, solo escríbame aquí.",
    },
    "seller_stall_evasive": {
        "en": "No worries, we can skip that one. If it's useful, {agent} can send you a free market analysis (CMA) of your home, no obligation. Would you like one?",
        "es": "No se preocupe, podemos saltar esa pregunta. Si le sirve, {agent} puede mandarle un análisis de mercado (CMA) gratuito de su casa, sin compromiso. ¿Le gustaría uno?",
    },
    "seller_stall_how_got_number": {
        "en": "Fair question! Your number came to {team} through {source}. I'm {agent}'s automated assistant, and {agent} will follow up with you personally. If you'd rather not hear from us, reply STOP.",
        "es": "¡Buena pregunta! Su número llegó al equipo de {agent} a través de {source}. Soy el asistente automático de {agent}, y {agent} le contactará personalmente. Si prefiere no recibir mensajes, responda STOP.",
    },
    "seller_stall_how_got_number_unknown": {
        "en": "Fair question! I'm {agent}'s automated assistant and I don't have those details, so {agent} will explain personally. If you'd rather not hear from us, reply STOP.",
        "es": "¡Buena pregunta! Soy el asistente automático de {agent} y no tengo ese dato, así que {agent} se lo explicará personalmente. Si prefiere no recibir mensajes, responda STOP.",
    },
    "seller_nurture": {
        "en": "Totally understand{greeting_name}, I'll stop the questions for now. Whenever you'd like a free market analysis of your home, just text me here.",
        "es": "Lo entiendo{greeting_name}, dejo las preguntas por ahora. Cuando quiera un análisis de mercado gratuito de su casa, solo escríbame aquí.",
    },
    "seller_nurture_ack": {
        "en": "Thanks{greeting_name}! I've let {agent} know. Whenever you're ready, just text me here.",
        "es": "¡Gracias{greeting_name}! Ya le avisé a {agent}. Cuando esté listo, solo escríbame aquí.",
    },
    # --- Nurture follow-ups (step 1..5; the email step has its own) ------------------------
    "seller_followup_1": {
        "en": "Hi{greeting_name}, just checking in. Are you still thinking about selling your home? Happy to help whenever you're ready.",
        "es": "Hola{greeting_name}, solo para saludarle. ¿Sigue pensando en vender su casa? Con gusto le ayudo cuando esté listo.",
    },
    "seller_followup_2": {
        "en": "Hi{greeting_name}, homes are still selling in the Inland Empire. Would a free market analysis (CMA) of what yours could sell for be helpful?",
        "es": "Hola{greeting_name}, las casas se siguen vendiendo en el Inland Empire. ¿Le serviría un análisis de mercado (CMA) gratuito de en cuánto podría vender la suya?",
    },
    "seller_followup_3": {
        "en": "Hi{greeting_name}, no rush at all. If your plans have changed, just let me know and I'll update {agent}.",
        "es": "Hola{greeting_name}, sin prisa. Si cambiaron sus planes, avíseme y se lo comento a {agent}.",
    },
    "seller_followup_4": {
        "en": "Hi{greeting_name}, {agent} can prepare a free market analysis (CMA) of your home with recent sales nearby. Would you like one? No obligation.",
        "es": "Hola{greeting_name}, {agent} puede prepararle un análisis de mercado (CMA) gratuito de su casa con ventas recientes de la zona. ¿Le gustaría uno? Sin compromiso.",
    },
    "seller_followup_5": {
        "en": "Hi{greeting_name}, this is my last check-in for now. Whenever you're ready to sell, text me here and {agent} will take it from there.",
        "es": "Hola{greeting_name}, este es mi último mensaje por ahora. Cuando esté listo para vender, escríbame aquí y {agent} le atenderá.",
    },
    "seller_followup_email_cma": {
        "en": "Hi{greeting_name},\n\nAs promised, attached is the free market analysis (CMA) of {address} that {agent} prepared. It shows what similar homes nearby sold for recently and an estimated range for yours. It is not an appraisal.\n\nIf you'd like to talk it through, just reply to this email and {agent} will call you.\n\n{agent}'s automated assistant",
        "es": "Hola{greeting_name},\n\nComo le prometimos, le adjunto el análisis de mercado (CMA) gratuito de {address} que preparó {agent}. Muestra en cuánto se vendieron recientemente casas parecidas de la zona y un rango estimado para la suya. No es un avalúo.\n\nSi quiere revisarlo, responda a este correo y {agent} le llamará.\n\nAsistente automático de {agent}",
    },
    "seller_followup_email_cma_subject": {
        "en": "Your home's market analysis",
        "es": "El análisis de mercado de su casa",
    },
    "seller_followup_email_offer": {
        "en": "Hi{greeting_name},\n\nAre you still thinking about selling? {agent} can prepare a free market analysis (CMA) of your home: what similar homes nearby sold for recently and an estimated range for yours, with no obligation.\n\nJust reply to this email (with the address of the home, if you haven't shared it yet) and we'll send it over.\n\n{agent}'s automated assistant",
        "es": "Hola{greeting_name},\n\n¿Sigue pensando en vender? {agent} puede prepararle un análisis de mercado (CMA) gratuito de su casa: en cuánto se vendieron recientemente casas parecidas de la zona y un rango estimado para la suya, sin compromiso.\n\nSolo responda a este correo (con la dirección de la casa, si aún no nos la ha dado) y se lo enviamos.\n\nAsistente automático de {agent}",
    },
    "seller_followup_email_offer_subject": {
        "en": "What could your home sell for?",
        "es": "¿En cuánto podría vender su casa?",
    },
}

FOLLOWUP_STEPS = 5


def _asks_home_value(text: str) -> bool:
    return bool(_HOME_VALUE.search(fold(text)))


class SellerBot:
    kind = BotKind.SELLER

    def next_turn(self, ctx: TurnContext) -> BotTurn:
        """Read the seller's answers, then stall strategy, next question or the CMA offer."""
        return without_repeat(ctx, self._decide(ctx))

    def _decide(self, ctx: TurnContext) -> BotTurn:
        contact, conversation = ctx.contact, ctx.conversation
        memory = _Memory.load(conversation)
        greeting = ["greeting"] if ctx.is_first_reply else []
        text = ctx.inbound.body if ctx.inbound is not None else ""

        if text and needs_jorge(text) and not _asks_home_value(text):
            return BotTurn(goal="handoff_to_human", hand_to_human="question only Jorge can answer")

        qualification = locked_qualification(contact=contact)
        pending = memory.pending
        stall = detect_stall(text) if text else None
        answers = extract_seller_answers(text, expecting=pending)
        if stall is not None and answers.motivation_kind == "other":
            # "Let me think about it" is not a reason to sell.
            answers = dataclasses.replace(answers, motivation="", motivation_kind="")
        learned = services.record_seller_answers(
            qualification=qualification, answers=answers, timeline=contact.timeline
        )
        progress = [field for field in learned if field != "permission_given"]
        if "address" in learned:
            # Start the CMA now: it is ready (and its range known) by the price question.
            services.request_cma(qualification=qualification, by="seller_bot")
        if answers.permission is False and not progress and stall is None:
            stall = stall_of_kind(DECLINED)

        if stall is not None and (
            stall.kind in ALWAYS_HONOURED
            or (not progress and qualification.stage != Stage.QUALIFIED)
        ):
            # A qualified seller who hesitates is Jorge's to talk to (below), not the bot's.
            return self._stall_turn(ctx, qualification, memory, stall, greeting)

        if qualification.stage == Stage.QUALIFIED:
            return self._after_qualified(ctx, qualification, memory)
        if qualification.stage == Stage.NURTURE:
            if not progress:
                return self._nurture_ack(qualification, memory, greeting)
            start = Stage.Q0_ADDRESS  # they came back with answers: resume the questions
        else:
            start = qualification.stage

        # A question asked twice is never asked a third time (say, after a stall or nurture).
        settled = {stage for stage, times in memory.asked.items() if times >= MAX_ASKS}
        if pending == Stage.Q4_PRICE and answers.price_unsure:
            settled.add(Stage.Q4_PRICE)  # "you tell me": the CMA will answer it
        elif pending and not services.stage_is_answered(qualification, pending):
            # The reply left the question open: it said nothing we can read, or answered
            # another question ("600k" to "when?"). Asked again in other words, then passed.
            memory.misses[pending] = memory.misses.get(pending, 0) + 1
            if memory.misses[pending] >= MAX_MISSES and not progress:
                return self._stall_turn(
                    ctx, qualification, memory, stall_of_kind(EVASIVE), greeting, passed=pending
                )
            if memory.misses[pending] >= MAX_MISSES:
                settled.add(pending)  # the seller is talking, just not about this: move on

        target = services.next_open_stage(qualification, start=start, settled=frozenset(settled))
        services.move_to_stage(qualification=qualification, stage=target, reason="next question")
        if target == Stage.QUALIFIED:
            return self._qualified_turn(ctx, qualification, memory, greeting)
        return self._ask(target, memory, greeting)

    # --- the moves -------------------------------------------------------------------------

    def _ask(self, stage: str, memory: "_Memory", greeting: list[str]) -> BotTurn:
        """Ask the question of ``stage``; a second time in other words, never the same twice."""
        name = QUESTION_NAMES[stage]
        times = memory.asked.get(stage, 0)
        key = f"seller_ask_{name}" + ("_again" if times else "")
        memory.asked[stage] = times + 1
        memory.pending = stage
        return BotTurn(
            goal=f"seller_ask_{name}",
            template_key="+".join([*greeting, key]),
            stage=Conversation.Stage.QUALIFYING,
            state=memory.dump(),
        )

    def _qualified_turn(
        self, ctx: TurnContext, qualification, memory: "_Memory", greeting: list[str]
    ) -> BotTurn:
        """Every question settled: the CMA is requested and offered with a call with Jorge."""
        services.mark_qualified(qualification=qualification, conversation=ctx.conversation)
        hot = qualification.temperature == Temperature.HOT
        booked = (
            hot
            and services.mark_seller_hot(
                qualification=qualification, conversation=ctx.conversation
            )[1]
        )
        key = "seller_qualified_hot" if hot else "seller_qualified"
        memory.pending = ""
        memory.qualified_sent = True
        return BotTurn(
            goal=key,
            template_key="+".join([*greeting, key]),
            stage=Conversation.Stage.QUALIFIED,
            book_call=booked,
            state=memory.dump(),
        )

    def _after_qualified(self, ctx: TurnContext, qualification, memory: "_Memory") -> BotTurn:
        """A qualified seller writes again (a call time, a question): Jorge takes over."""
        booked = False
        if qualification.temperature == Temperature.HOT:
            booked = services.mark_seller_hot(
                qualification=qualification, conversation=ctx.conversation
            )[1]
        if not memory.qualified_sent:
            # Qualified by staff (advance_stage): the offer has not been made yet.
            return self._qualified_turn(ctx, qualification, memory, [])
        return BotTurn(
            goal="seller_call_time_noted",
            book_call=booked,
            hand_to_human="seller qualified; Jorge takes over",
            state=memory.dump(),
        )

    def _nurture_ack(self, qualification, memory: "_Memory", greeting: list[str]) -> BotTurn:
        """A seller in nurture writes without new answers: a short thanks, no question."""
        memory.pending = ""
        return BotTurn(
            goal="seller_nurture_ack",
            template_key="+".join([*greeting, "seller_nurture_ack"]),
            state=memory.dump(),
        )

    def _stall_turn(
        self,
        ctx: TurnContext,
        qualification,
        memory: "_Memory",
        stall: Stall,
        greeting: list[str],
        *,
        passed: str = "",
    ) -> BotTurn:
        """Record the stall and answer it with its strategy (or stop pushing: nurture)."""
        in_nurture = qualification.stage == Stage.NURTURE
        outcome = services.record_stall(
            qualification=qualification, conversation=ctx.conversation, stall=stall
        )
        memory.pending = ""
        if passed and not outcome.nurture:
            # An evasive answer: that question is passed for good, the next one waits.
            after = services.STAGE_ORDER[services.STAGE_ORDER.index(passed) + 1]
            target = services.next_open_stage(qualification, start=after)
            services.move_to_stage(
                qualification=qualification, stage=target, reason=f"{passed} not answered twice"
            )
            if target == Stage.QUALIFIED:
                return self._qualified_turn(ctx, qualification, memory, greeting)

        if stall.kind == HOW_GOT_NUMBER:
            # Only a source a person would recognise is quoted; "simulate_inbound" is not one.
            source = readable_lead_source(ctx.contact.source)
            key = "seller_stall_how_got_number" + ("" if source else "_unknown")
            # Vetted, honest wording with the opt-out: never reworded by a model.
            text = lead_selectors.reply_text(
                key=key,
                language=ctx.contact.language,
                first_name=ctx.contact.first_name,
                source=source,
            )
            return BotTurn(
                goal=key,
                verbatim_text=text,
                hand_to_human="seller asked how we got their number",
                state=memory.dump(),
            )
        if outcome.nurture:
            key, stage = "seller_nurture", Conversation.Stage.NURTURE
        elif in_nurture:
            key, stage = "seller_nurture_ack", None
        else:
            key, stage = f"seller_stall_{stall.kind}", None
            if stall.strategy == OFFER_CMA and qualification.address:
                services.request_cma(qualification=qualification, by="seller_bot")
        return BotTurn(
            goal=key,
            template_key="+".join([*greeting, key]),
            stage=stage,
            state=memory.dump(),
        )

    # --- follow-ups ------------------------------------------------------------------------

    def follow_up(self, ctx: TurnContext, *, step: int, by_email: bool) -> BotTurn:
        """Nurture texts for sellers; the email step carries the CMA when one is ready."""
        qualification = locked_qualification(contact=ctx.contact)
        # A qualified seller waiting for Jorge's call stays qualified on the dashboard.
        stage = None if qualification.stage == Stage.QUALIFIED else Conversation.Stage.NURTURE
        if not by_email:
            return BotTurn(goal=f"seller_followup_{min(step, FOLLOWUP_STEPS)}", stage=stage)
        report = selectors.latest_ready_cma(contact=ctx.contact)
        if report is not None:
            audit(
                action="seller.cma_emailed",
                subject=qualification,
                actor=AuditEvent.Actor.BOT,
                actor_label="seller_bot",
                data={"report": report.pk, "step": step, "fallback_link": True},
            )
            return BotTurn(
                goal="seller_followup_email_cma",
                template_context={"address": report.address},
                attachments=(selectors.cma_attachment(report),),
                stage=stage,
            )
        requested = services.request_cma(qualification=qualification, by="seller_bot")
        audit(
            action="seller.cma_offered_by_email",
            subject=qualification,
            actor=AuditEvent.Actor.BOT,
            actor_label="seller_bot",
            data={"step": step, "requested_report": requested.pk if requested else None},
        )
        return BotTurn(goal="seller_followup_email_offer", stage=stage)


@dataclasses.dataclass
class _Memory:
    """What the bot keeps in ``Conversation.bot_state["seller"]`` between turns."""

    pending: str = ""  # the question our last message asked ("" when it asked none)
    asked: dict = dataclasses.field(default_factory=dict)  # stage -> times asked
    misses: dict = dataclasses.field(default_factory=dict)  # stage -> replies without an answer
    qualified_sent: bool = False

    @classmethod
    def load(cls, conversation: Conversation) -> "_Memory":
        data = conversation.bot_state.get("seller") or {}
        return cls(
            pending=data.get("pending", ""),
            asked=dict(data.get("asked", {})),
            misses=dict(data.get("misses", {})),
            qualified_sent=bool(data.get("qualified_sent", False)),
        )

    def dump(self) -> dict:
        return {"seller": dataclasses.asdict(self)}


seller_bot = SellerBot()
