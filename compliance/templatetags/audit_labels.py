"""Template filters that show audit rows in words (compliance/audit_labels.py)."""

from django import template

from compliance import audit_labels
from config.backoffice import readable_data

register = template.Library()


@register.filter
def audit_action(code: str) -> str:
    """``bot.turn`` → "Bot answered a message"."""
    return audit_labels.action_label(code)


@register.filter
def audit_actor(event) -> str:
    """Who did it: a person's username, or the bot or system part that did, in words."""
    who = event.get_actor_display()
    if not event.actor_label:
        return who
    label = audit_labels.actor_label(event.actor_label)
    return label if event.actor == event.Actor.HUMAN else f"{who} · {label}"


@register.filter
def readable(data):
    """A JSON value as labelled values (keys as words, yes/no, local times)."""
    return readable_data(data)
