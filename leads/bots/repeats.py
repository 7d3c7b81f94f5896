"""A bot never sends a lead the same text twice in a row.

Both bots pass their turn through ``without_repeat``: a second consecutive "I've passed that
on to Jorge" tells the lead nothing new, so the bot stays quiet instead (the rest of the turn,
a hand-off to Jorge or a state change, still happens).
"""

import dataclasses

from leads import selectors

from .base import BotTurn, TurnContext


def turn_text(ctx: TurnContext, turn: BotTurn) -> str:
    """The text ``turn`` sends when no model rewords it (what the pipeline falls back to)."""
    if turn.verbatim_text:
        return turn.verbatim_text
    return selectors.reply_text(
        key=turn.key,
        language=ctx.contact.language,
        first_name=ctx.contact.first_name,
        **turn.template_context,
    )


def last_bot_text(ctx: TurnContext) -> str | None:
    """The last message we sent in this conversation (None before the first)."""
    return next((text for speaker, text in reversed(ctx.transcript) if speaker == "bot"), None)


def without_repeat(ctx: TurnContext, turn: BotTurn) -> BotTurn:
    """``turn``, kept silent when its text is the one the bot sent last."""
    last = last_bot_text(ctx)
    if not turn.send or last is None or last.strip() != turn_text(ctx, turn).strip():
        return turn
    return dataclasses.replace(turn, send=False)
