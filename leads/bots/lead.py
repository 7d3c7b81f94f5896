"""The lead bot: greets a new lead, qualifies them one question at a time, books a call
with Jorge when they turn hot, and hands them to the buyer or seller bot once installed."""

import dataclasses
import re

from leads.intelligence.offline import read_answer
from leads.intelligence.text import fold
from leads.models import BotKind, Contact, Conversation, Intent, Temperature, Timeline
from leads.services.qualification import record_lead_answers

from .base import BotTurn, TurnContext, registered_kinds
from .repeats import without_repeat

# Questions the bot cannot answer from what it knows: prices and availability of
# listings, showings, fees, financing terms. Jorge answers those himself.
_NEEDS_JORGE = re.compile(
    r"\b(how much (is|does|for)|what(?:'s| is) the (price|asking)|price of|is it (still )?available|"
    r"(can|could) (i|we) (see|tour|visit)|showing|open house|commission|hoa|property tax|"
    r"interest rate|closing cost|cuanto cuesta|cual es el precio|precio de|sigue disponible|"
    r"esta disponible|puedo (verla|ver la casa|visitarla)|comision|tasa de interes)\b"
)


def needs_jorge(text: str) -> bool:
    """A question about listings, prices, showings or fees that only Jorge may answer."""
    return bool(_NEEDS_JORGE.search(fold(text)))


def _open_questions(contact: Contact) -> list[str]:
    """The qualification questions still unanswered, in the order the bot asks them."""
    questions = []
    if contact.intent == Intent.UNKNOWN:
        questions.append("ask_intent")
    if contact.timeline == Timeline.UNKNOWN:
        questions.append("ask_timeline")
    buying = contact.intent in (Intent.BUYER, Intent.BOTH)
    if buying and contact.budget_max is None:
        questions.append("ask_budget")
    elif buying and contact.pre_approved is None:
        questions.append("ask_preapproval")
    if not contact.area:
        questions.append("ask_area_seller" if contact.intent == Intent.SELLER else "ask_area")
    return questions


def _handoff_target(contact: Contact) -> str | None:
    """Sellers (also buy-and-sell leads) go to the seller bot, buyers to the buyer bot."""
    wanted = {
        Intent.SELLER: BotKind.SELLER,
        Intent.BOTH: BotKind.SELLER,
        Intent.BUYER: BotKind.BUYER,
    }
    target = wanted.get(contact.intent)
    return target if target in registered_kinds() else None


def _read_short_answer(ctx: TurnContext, question: str) -> None:
    """Record what the lead's reply means as the answer to ``question`` ("both", "not yet")."""
    answers = read_answer(question=question, message=ctx.inbound.body)
    if answers:
        record_lead_answers(contact=ctx.contact, answers=answers, question=question)


class LeadBot:
    kind = BotKind.LEAD

    def next_turn(self, ctx: TurnContext) -> BotTurn:
        turn = self._decide(ctx)
        # "pending" is the question this turn asks; any other turn leaves none open.
        turn = dataclasses.replace(turn, state={"pending": "", **turn.state})
        return without_repeat(ctx, turn)

    def _decide(self, ctx: TurnContext) -> BotTurn:
        contact, state = ctx.contact, ctx.conversation.bot_state
        asked = set(state.get("asked", []))
        greeting = ["greeting"] if ctx.is_first_reply else []
        if state.get("pending") and ctx.inbound is not None:
            _read_short_answer(ctx, state["pending"])

        # A specialist bot answers its own questions ("what's my house worth?" is the CMA's).
        target = _handoff_target(contact)
        if target:
            return BotTurn(
                goal="handoff", handoff_to=target, send=False, state={"handed_off_to": target}
            )

        if ctx.inbound is not None and needs_jorge(ctx.inbound.body):
            return BotTurn(goal="handoff_to_human", hand_to_human="question only Jorge can answer")

        if state.get("call_booked"):
            return BotTurn(goal="call_time_noted", hand_to_human="call booked; Jorge takes over")

        if contact.temperature == Temperature.HOT:
            return BotTurn(
                goal="book_call",
                stage=Conversation.Stage.APPOINTMENT,
                book_call=True,
                state={"call_booked": True},
            )

        # Never repeat a question: ask each open one once, then wrap up.
        for question in _open_questions(contact):
            if question not in asked:
                return BotTurn(
                    goal=question,
                    template_key="+".join([*greeting, question]),
                    stage=Conversation.Stage.QUALIFYING,
                    state={"asked": sorted(asked | {question}), "pending": question},
                )

        if state.get("qualified_sent"):
            # The lead answered "anything else?": a short thanks, never the same message again.
            return BotTurn(
                goal="qualified_noted",
                template_key="call_time_noted",
                hand_to_human="lead qualified; waiting for Jorge",
            )
        return BotTurn(
            goal="qualified",
            template_key="+".join([*greeting, "qualified"]),
            stage=Conversation.Stage.QUALIFIED,
            state={"qualified_sent": True},
        )

    def follow_up(self, ctx: TurnContext, *, step: int, by_email: bool) -> BotTurn:
        return BotTurn(goal=f"followup_{step}", stage=Conversation.Stage.NURTURE)


lead_bot = LeadBot()
