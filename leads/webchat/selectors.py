"""The web chat's reads: what the visitor's widget shows."""

from django.db.models import Q, QuerySet

from leads.models import Channel, Message

# At most this many messages per answer; the widget asks again from the last one it has.
PAGE_SIZE = 50

# What the visitor sees: what they wrote, and what reached them (never a queued, deferred or
# blocked draft, nor a message of another channel of the same lead).
_SHOWN = Q(direction=Message.Direction.INBOUND) | Q(
    direction=Message.Direction.OUTBOUND,
    status__in=[Message.Status.SENT, Message.Status.DELIVERED],
)


def chat_messages(*, conversation_id: int, after: int = 0) -> QuerySet[Message]:
    """The visitor's conversation after message ``after``, oldest first, one page."""
    return (
        Message.objects.filter(conversation_id=conversation_id, channel=Channel.WEB, pk__gt=after)
        .filter(_SHOWN)
        .only("pk", "direction", "sender", "body", "sent_at")
        .order_by("pk")[:PAGE_SIZE]
    )


def visitor_role(message: Message) -> str:
    """Who wrote it, as the widget labels it: the visitor, the assistant, or a person."""
    if message.direction == Message.Direction.INBOUND:
        return "visitor"
    return "agent" if message.sender == Message.Sender.HUMAN else "assistant"
