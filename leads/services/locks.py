"""Row locks on a contact and its conversations, always taken in one order.

Every writer that locks both a contact and one of its conversations goes through here:
the contact first, then the conversation. Two writers that took them in opposite orders
(webhook processing and the bot turn did, once) can deadlock on PostgreSQL.
"""

from django.db import transaction

from leads.models import Contact, Conversation, Message


def lock_contact_and_conversation(
    *, contact_id: int, conversation_id: int
) -> tuple[Contact, Conversation]:
    """Lock the contact, then the conversation, for the rest of the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_contact_and_conversation must run inside a transaction")
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.contact_id != contact.pk:
        raise ValueError(f"Conversation {conversation_id} is not contact {contact_id}'s.")
    conversation.contact = contact
    return contact, conversation


def lock_contact_and_conversation_of(*, message_id: int) -> tuple[Contact, Conversation]:
    """The same locks, in the same order, found from one of the conversation's messages."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_contact_and_conversation_of must run inside a transaction")
    contact = Contact.objects.select_for_update(of=("self",)).get(
        conversations__messages__id=message_id
    )
    conversation = Conversation.objects.select_for_update(of=("self",)).get(messages__id=message_id)
    conversation.contact = contact
    return contact, conversation


def lock_message(*, message_id: int) -> tuple[Contact, Conversation, Message]:
    """The message's contact and conversation, then the message itself: the same order."""
    contact, conversation = lock_contact_and_conversation_of(message_id=message_id)
    message = Message.objects.select_for_update(of=("self",)).get(pk=message_id)
    message.conversation = conversation
    return contact, conversation, message
