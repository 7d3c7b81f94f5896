"""Row locks on a lead's rows, always taken in one order, so that two writers can never wait
for each other (a deadlock PostgreSQL breaks by failing one of them).

THE ORDER, for every transaction that locks (``select_for_update``) or updates these rows:

1. the contact (several contacts: ascending id);
2. its conversations (ascending id);
3. its messages (ascending id);
4. the other rows of the lead: send-ledger entries, the seller qualification and the buyer
   profile, deals, appointments, escalation and compliance tickets;
5. webhook events, last.

A transaction may skip levels (a send that only updates its conversation and message takes
no contact lock) but never takes a lock above one it holds: a writer holding a conversation or
a message must not then wait for the contact. Holding the contact serializes everything of
that lead (its conversations may then be taken in any order; without it, lock one at most),
which is why the webhook processing, the bot turn, the sends, the follow-ups and the admin's
actions go through the functions below rather than ``select_for_update`` of their own.

Found out of this order, and fixed (tests/leads/test_lock_order.py reproduces each deadlock on
PostgreSQL): a second send task for a message whose first send was in flight locked the
message, its conversation, then the contact in one joined ``SELECT … FOR UPDATE``, while
HighLevel's echo of that message held the contact and wanted the message; resolving a ticket
with "resume" locked the ticket and the conversation before the contact, while the bot
escalating the same lead held the contact and the conversation and wanted the ticket. A
sent message's ledger entry was also written before its message and conversation.

On PostgreSQL a joined ``select_for_update()`` locks a row of every joined table, in the
query's order: the helpers lock one table per statement (``of=("self",)``). SQLite has no row
locks: its writers queue on the database's one write lock and these calls lock nothing.
"""

from collections.abc import Iterable

from django.db import transaction

from leads.models import Contact, Conversation, Message


def _in_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name} must run inside a transaction")


def lock_contacts(*, contact_ids: Iterable[int]) -> dict[int, Contact]:
    """Lock several contacts, in ascending id: level 1 for a change that spans leads."""
    _in_transaction("lock_contacts")
    ids = sorted({pk for pk in contact_ids if pk is not None})
    contacts = Contact.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {contact.pk: contact for contact in contacts}


def lock_contact(*, contact_id: int) -> Contact:
    """Lock one contact (level 1)."""
    _in_transaction("lock_contact")
    return Contact.objects.select_for_update().get(pk=contact_id)


def lock_or_create_ghl_contact(*, location_id: str, ghl_contact_id: str) -> tuple[Contact, bool]:
    """The mirror of a HighLevel contact, created bare when new; locked (level 1)."""
    _in_transaction("lock_or_create_ghl_contact")
    return Contact.objects.select_for_update().get_or_create(
        ghl_location_id=location_id[:64], ghl_contact_id=ghl_contact_id[:64]
    )


def lock_ghl_contact(*, location_id: str, ghl_contact_id: str) -> Contact | None:
    """The mirror of a HighLevel contact, if there is one, locked (level 1)."""
    _in_transaction("lock_ghl_contact")
    return (
        Contact.objects.select_for_update()
        .filter(ghl_location_id=location_id, ghl_contact_id=ghl_contact_id)
        .first()
    )


def lock_conversation(*, conversation_id: int) -> Conversation:
    """One conversation (level 2): with its contact held, or as the only lead row locked."""
    _in_transaction("lock_conversation")
    return Conversation.objects.select_for_update(of=("self",)).get(pk=conversation_id)


def lock_or_create_ghl_conversation(
    *, contact: Contact, ghl_conversation_id: str, defaults: dict
) -> Conversation:
    """The conversation HighLevel knows by ``ghl_conversation_id``, created for ``contact``
    when new; locked (level 2, after the contact the caller holds)."""
    _in_transaction("lock_or_create_ghl_conversation")
    conversation, _ = Conversation.objects.select_for_update().get_or_create(
        ghl_conversation_id=ghl_conversation_id[:64], defaults={"contact": contact, **defaults}
    )
    return conversation


def lock_conversations_of(*, contact: Contact, **filters) -> list[Conversation]:
    """The held contact's conversations matching ``filters``, ascending id (level 2)."""
    _in_transaction("lock_conversations_of")
    return list(
        Conversation.objects.select_for_update().filter(contact=contact, **filters).order_by("pk")
    )


def lock_latest_open_conversation(*, contact: Contact, channel: str) -> Conversation | None:
    """The held contact's newest conversation on ``channel`` that is not closed (level 2)."""
    _in_transaction("lock_latest_open_conversation")
    return (
        Conversation.objects.select_for_update()
        .filter(contact=contact, channel=channel)
        .exclude(status=Conversation.Status.CLOSED)
        .order_by("-created_at")
        .first()
    )


def relock(*, conversation: Conversation) -> Contact:
    """Lock the contact, then the conversation, of objects the caller already has (and may have
    changed in memory): locked again, a no-op for a holder, but not re-read."""
    _in_transaction("relock")
    list(Contact.objects.select_for_update().filter(pk=conversation.contact_id).values("pk"))
    list(Conversation.objects.select_for_update().filter(pk=conversation.pk).values("pk"))
    return conversation.contact


def lock_contact_and_conversation(
    *, contact_id: int, conversation_id: int
) -> tuple[Contact, Conversation]:
    """Lock the contact, then the conversation, for the rest of the caller's transaction."""
    _in_transaction("lock_contact_and_conversation")
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.contact_id != contact.pk:
        raise ValueError(f"Conversation {conversation_id} is not contact {contact_id}'s.")
    conversation.contact = contact
    return contact, conversation


def lock_contact_and_conversation_of(*, message_id: int) -> tuple[Contact, Conversation]:
    """The same locks, in the same order, found from one of the conversation's messages."""
    _in_transaction("lock_contact_and_conversation_of")
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


def lock_messages(*, message_ids: Iterable[int]) -> list[Message]:
    """Messages of any leads, with their contacts and conversations, in the one order."""
    _in_transaction("lock_messages")
    rows = list(
        Message.objects.filter(pk__in=list(message_ids)).values_list(
            "pk", "conversation_id", "conversation__contact_id"
        )
    )
    contacts = lock_contacts(contact_ids=[contact_id for _, _, contact_id in rows])
    conversations = {
        conversation.pk: conversation
        for conversation in Conversation.objects.select_for_update()
        .filter(pk__in=sorted({conversation_id for _, conversation_id, _ in rows}))
        .order_by("pk")
    }
    messages = list(
        Message.objects.select_for_update().filter(pk__in=[pk for pk, _, _ in rows]).order_by("pk")
    )
    for message in messages:
        conversation = conversations[message.conversation_id]
        conversation.contact = contacts[conversation.contact_id]
        message.conversation = conversation
    return messages
