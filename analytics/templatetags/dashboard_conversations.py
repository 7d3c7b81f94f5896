"""Words for the conversations pages: who wrote a message, what an audit event means, money."""

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from leads.bots.texts import AGENT
from leads.models import Conversation, Message

register = template.Library()

# Audit actions shown in a thread or a history, in Jorge's words.
EVENT_LABELS = {
    "bot.paused_for_human": "Bot paused for a person",
    "bot.resumed": "Bot resumed",
    "bot.handoff": "Handed over",
    "conversation.stage_changed": "Stage changed",
    "guard.inbound": "A rule answered the lead's message",
    "guard.outbound": "A bot draft was blocked by a rule",
    "reply.dropped": "The bot's reply was dropped",
    "reply.repeat_blocked": "The bot would have repeated itself: nothing sent",
    "bot.turn_failed": "The bot's turn failed",
    "lead.qualification_updated": "Qualification updated",
}

STAGE_WORDS = dict(Conversation.Stage.choices)


@register.filter
def event_label(event) -> str:
    return EVENT_LABELS.get(event.action, event.action.replace(".", " ").replace("_", " "))


@register.filter
def event_detail(event) -> str:
    """The one line that says what the event did."""
    data = event.data or {}
    if event.action == "conversation.stage_changed":
        before, after = data.get("from", ""), data.get("to", "")
        return f"{STAGE_WORDS.get(before, before)} → {STAGE_WORDS.get(after, after)}"
    if event.action == "bot.paused_for_human":
        return data.get("reason", "")
    if event.action == "bot.handoff":
        return f"from the {event.actor_label} bot to the {data.get('to', '?')} bot"
    if event.action in ("guard.inbound", "guard.outbound"):
        return str(data.get("rule") or data.get("problems") or "")
    if event.action in ("reply.dropped", "bot.turn_failed"):
        return str(data.get("reason") or data.get("error") or "")[:200]
    return ""


@register.filter
def sender_label(message: Message) -> str:
    """Who wrote it: the lead's first name, the bot, Jorge (a person), or the system."""
    if message.direction == Message.Direction.INBOUND:
        return message.conversation.contact.first_name or "Lead"
    return {
        Message.Sender.BOT: "Bot",
        Message.Sender.HUMAN: AGENT,
        Message.Sender.SYSTEM: "System",
    }.get(message.sender, message.get_sender_display())


@register.filter
def sender_class(message: Message) -> str:
    if message.direction == Message.Direction.INBOUND:
        return "lead"
    return message.sender


@register.filter
def money(value) -> str:
    """725000 → "$725,000"; nothing → "—"."""
    if value in (None, ""):
        return "—"
    return f"${int(value):,}"


@register.filter
def usd(value) -> str:
    """An AI cost: 0.00312 → "$0.0031"."""
    try:
        return f"${float(value):.4f}"
    except (TypeError, ValueError):
        return "—"


@register.filter
def humanize_key(value: str) -> str:
    """``budget_max`` → "budget max"."""
    return str(value).replace("_", " ")


@register.filter
def ago(value) -> str:
    """ "just now", "5 minutes ago", "3 hours ago": the largest unit only."""
    if not value:
        return "—"
    seconds = (timezone.now() - value).total_seconds()
    if seconds < 60:
        return "just now"
    return f"{timesince(value, depth=1)} ago"


@register.filter
def by_whom(event) -> str:
    """ "by jorge" for a person's event; "" for the bots' and the system's (the label says)."""
    return f"by {event.actor_label}" if event.actor == "human" and event.actor_label else ""
