"""The contract between the pipeline and the bots, and the registry that connects them."""

from dataclasses import dataclass, field
from typing import Protocol

from leads.intelligence.schema import LeadAnalysis
from leads.models import Contact, Conversation, Message


@dataclass(frozen=True, kw_only=True)
class TurnContext:
    """Everything a bot may look at to decide its turn."""

    conversation: Conversation
    contact: Contact
    inbound: Message | None  # None for a follow-up the bot starts itself
    analysis: LeadAnalysis | None
    transcript: list[tuple[str, str]]  # ("lead" | "bot", text), oldest first
    is_first_reply: bool


@dataclass(frozen=True, kw_only=True)
class BotTurn:
    """What the bot decided: the message (by template) and the actions around it."""

    goal: str  # names the move, e.g. "ask_timeline"; also the default template key
    template_key: str = ""
    template_context: dict = field(default_factory=dict)
    verbatim_text: str = ""  # vetted wording (e.g. a compliance answer): sent as is, never reworded
    stage: str | None = None  # the conversation's new stage, if it changes
    handoff_to: str | None = None  # another bot kind takes the conversation over
    book_call: bool = False  # hot lead: create a HighLevel task and tag the contact
    hand_to_human: str = ""  # a reason: the bot stops and Jorge takes over
    # Why, as an EscalationTicket.Reason ("" = other): the ticket's reason and priority.
    escalation_reason: str = ""
    state: dict = field(default_factory=dict)  # merged into Conversation.bot_state
    send: bool = True  # False: nothing to say this turn
    # Files for an email turn: {"path" (default storage), "filename", "content_type", "link"}.
    attachments: tuple[dict, ...] = ()

    @property
    def key(self) -> str:
        return self.template_key or self.goal


class Bot(Protocol):
    kind: str

    def next_turn(self, ctx: TurnContext) -> BotTurn: ...

    def follow_up(self, ctx: TurnContext, *, step: int, by_email: bool) -> BotTurn: ...


_REGISTRY: dict[str, Bot] = {}


def register_bot(bot: Bot) -> Bot:
    """Make ``bot`` run the conversations whose ``bot`` field is its kind."""
    _REGISTRY[bot.kind] = bot
    return bot


def get_bot(kind: str) -> Bot:
    """The bot for ``kind``; the lead bot keeps qualifying until that bot is installed."""
    return _REGISTRY.get(kind) or _REGISTRY["lead"]


def registered_kinds() -> set[str]:
    return set(_REGISTRY)
