"""The web chat's writes: a visitor's message in, under the abuse limits, as an inbound
message of a ``web`` conversation that the bot pipeline answers like any other; and the
visitor's contact created in HighLevel once they give a phone or an email.

The replies go through the pipeline's own rules (compliance guards, STOP, escalation, the
audit trail) and are delivered to the widget by ``leads.services.messaging`` instead of
HighLevel; the widget reads them through ``webchat.selectors``.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from analytics.services import broadcast_dashboard_event
from compliance.models import AuditEvent, ComplianceTicket
from compliance.rules.privacy import redact_sensitive
from compliance.services import audit
from config import metrics
from config.queueing import publish, publish_on_commit
from leads.exceptions import (
    ChatRateLimited,
    InvalidChatMessage,
    MessageTooLong,
    UnknownVisitor,
)
from leads.ghl.client import get_client
from leads.models import Channel, Contact, Conversation, EscalationTicket, Message
from leads.services.consent import OPTED_OUT_TAG
from leads.services.inbound import hand_to_inbound_handlers_on_commit
from leads.services.locks import lock_contact_and_conversation, lock_contacts, lock_conversations_of
from leads.webchat.ratelimit import Limit, seconds_until_allowed
from leads.webchat.tokens import conversation_id_from_token, is_valid_try_pass, visitor_token

WEB_CHAT_SOURCE = "Web chat"
TEST_SOURCE = "Web chat (staff trying the bot)"

# A US phone number as people type it: (909) 555-0100, 909.555.0100, +1 909 555 0100.
_PHONE = re.compile(
    r"(?<![\d+])(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})(?!\d)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class ChatPost:
    token: str
    message: Message
    conversation: Conversation


@dataclass(frozen=True)
class ContactDetails:
    phone: str = ""
    email: str = ""


def contact_details_in(text: str) -> ContactDetails:
    """The first US phone number (E.164) and email address a visitor typed, if any."""
    phone = ""
    if match := _PHONE.search(text):
        phone = "+1" + "".join(match.groups())
    email = ""
    for candidate in _EMAIL.findall(text):
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        email = candidate.lower()[:254]
        break
    return ContactDetails(phone=phone, email=email)


def _limits() -> tuple[Limit, Limit]:
    return (
        Limit("ip", settings.WEBCHAT_IP_LIMIT, settings.WEBCHAT_IP_WINDOW_SECONDS),
        Limit("visitor", settings.WEBCHAT_VISITOR_LIMIT, settings.WEBCHAT_VISITOR_WINDOW_SECONDS),
    )


def _check_limits(*, client_ip: str, conversation_id: int | None) -> None:
    ip_limit, visitor_limit = _limits()
    wait = seconds_until_allowed(limit=ip_limit, key=client_ip)
    if not wait and conversation_id is not None:
        wait = seconds_until_allowed(limit=visitor_limit, key=str(conversation_id))
    if wait:
        raise ChatRateLimited(
            f"You're sending messages too quickly. Please wait {wait} seconds and try again.",
            retry_after=wait,
        )


def check_poll_limit(*, conversation_id: int) -> None:
    """The widget polls for answers every few seconds; a script polling flat out is refused."""
    wait = seconds_until_allowed(
        limit=Limit("poll", settings.WEBCHAT_POLL_LIMIT_PER_MINUTE, 60), key=str(conversation_id)
    )
    if wait:
        raise ChatRateLimited(f"Too many requests. Please wait {wait} seconds.", retry_after=wait)


def _clean_text(text: str) -> str:
    text = text.replace("\x00", "").strip()
    if not text:
        raise InvalidChatMessage("Please type a message.")
    if len(text) > settings.WEBCHAT_MAX_MESSAGE_CHARS:
        raise MessageTooLong(
            f"That message is too long: please keep it under "
            f"{settings.WEBCHAT_MAX_MESSAGE_CHARS} characters.",
            details={"max_chars": settings.WEBCHAT_MAX_MESSAGE_CHARS},
        )
    return text


def _start_conversation(*, is_test: bool, origin: str) -> tuple[Contact, Conversation]:
    contact = Contact.objects.create(
        ghl_location_id=settings.GHL_LOCATION_ID,
        ghl_contact_id="",  # until they give a phone or an email
        source=TEST_SOURCE if is_test else WEB_CHAT_SOURCE,
        is_test=is_test,
    )
    conversation = Conversation.objects.create(contact=contact, channel=Channel.WEB)
    audit(
        action="webchat.started",
        subject=conversation,
        actor=AuditEvent.Actor.SYSTEM,
        actor_label="web_chat",
        data={"origin": origin[:200], "test": is_test},
    )
    if not is_test:
        broadcast_dashboard_event(kind="lead.new", data={"contact": contact.pk})
    return contact, conversation


def post_chat_message(
    *, token: str, text: str, client_ip: str, origin: str = "", try_pass: str = ""
) -> ChatPost:
    """Take a visitor's message: limits, size, their conversation (a new one without a token),
    the message stored redacted, and the bot's turn after commit.

    ``try_pass``: staff trying the bot from the demo page; a conversation it starts is a test.
    """
    text = _clean_text(text)
    conversation_id = None
    if token:
        conversation_id = conversation_id_from_token(token)
        if conversation_id is None:
            raise UnknownVisitor("This chat has expired. Reload the page to start a new one.")
    _check_limits(client_ip=client_ip, conversation_id=conversation_id)
    body = redact_sensitive(text)  # an SSN or a card number is never stored
    details = contact_details_in(body)
    now = timezone.now()
    with transaction.atomic():
        if conversation_id is None:
            contact, conversation = _start_conversation(
                is_test=bool(try_pass) and is_valid_try_pass(try_pass), origin=origin
            )
            # The first message counts against the new visitor's own limit too.
            seconds_until_allowed(limit=_limits()[1], key=str(conversation.pk))
        else:
            contact, conversation = _lock_visitor(conversation_id)
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.INBOUND,
            channel=Channel.WEB,
            body=body,
            status=Message.Status.RECEIVED,
            sender=Message.Sender.CONTACT,
            sent_at=now,
        )
        conversation.last_inbound_at = now
        conversation.save(update_fields=["last_inbound_at", "updated_at"])
        if _remember_details(contact, details) and not contact.is_test:
            transaction.on_commit(lambda: _enqueue_link(contact.pk))
        if not contact.is_test:
            broadcast_dashboard_event(
                kind="message.inbound",
                data={
                    "message": message.pk,
                    "conversation": conversation.pk,
                    "contact": contact.pk,
                    "channel": Channel.WEB,
                },
            )
        hand_to_inbound_handlers_on_commit(message.pk)
    if not contact.is_test:
        metrics.record_message(direction=Message.Direction.INBOUND, channel=Channel.WEB)
    return ChatPost(
        token=token or visitor_token(conversation_id=conversation.pk),
        message=message,
        conversation=conversation,
    )


def _lock_visitor(conversation_id: int) -> tuple[Contact, Conversation]:
    contact_id = (
        Conversation.objects.filter(pk=conversation_id, channel=Channel.WEB)
        .values_list("contact_id", flat=True)
        .first()
    )
    if contact_id is None:
        raise UnknownVisitor("This chat has ended. Reload the page to start a new one.")
    return lock_contact_and_conversation(contact_id=contact_id, conversation_id=conversation_id)


def _remember_details(contact: Contact, details: ContactDetails) -> bool:
    """Keep a phone or email the visitor typed on their contact; True if one is new."""
    fields = []
    if details.phone and details.phone != contact.phone:
        contact.phone = details.phone
        fields.append("phone")
    if details.email and details.email != contact.email:
        contact.email = details.email
        fields.append("email")
    if fields:
        contact.save(update_fields=[*fields, "updated_at"])
    return bool(fields)


def _enqueue_link(contact_id: int) -> None:
    from leads.tasks import link_visitor_to_highlevel_task

    publish(link_visitor_to_highlevel_task, contact_id)


def link_visitor_to_highlevel(*, contact_id: int) -> str:
    """Create (or match, by phone or email) the visitor's contact in HighLevel and keep its id.

    Returns what happened. HighLevel may answer with a contact we already mirror (a lead who
    texted before): the chat's conversations then move to that contact, so Jorge sees one
    lead with every thread, and the visitor's token (which names the conversation) still works.
    Runs after commit, outside any transaction (it waits on HighLevel).
    """
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None or contact.is_test or not (contact.phone or contact.email):
        return "nothing to do"
    fields = {"source": WEB_CHAT_SOURCE}
    for name, value in (
        ("phone", contact.phone),
        ("email", contact.email),
        ("firstName", contact.first_name),
        ("lastName", contact.last_name),
    ):
        if value:
            fields[name] = value
    with get_client() as client:
        ghl_contact = client.upsert_contact(fields=fields)
    if not ghl_contact.id:
        return "HighLevel returned no contact id"
    visitor = Contact.objects.get(pk=contact_id)
    known_id = (
        Contact.objects.filter(
            ghl_location_id=visitor.ghl_location_id, ghl_contact_id=ghl_contact.id
        )
        .exclude(pk=contact_id)
        .values_list("pk", flat=True)
        .first()
    )
    with transaction.atomic():
        # Both leads' rows, in ascending id: the one lock order (leads/services/locks.py).
        locked = lock_contacts(contact_ids=[contact_id, known_id])
        contact, known = locked[contact_id], locked.get(known_id)
        if known is not None and (
            known.ghl_location_id,
            known.ghl_contact_id,
        ) != (contact.ghl_location_id, ghl_contact.id):
            known = None  # changed before we locked it: this visitor is not that lead
        if known is not None:
            return _move_chat_to(visitor=contact, known=known, ghl_contact_id=ghl_contact.id)
        first_link = contact.ghl_contact_id != ghl_contact.id
        if first_link:
            contact.ghl_contact_id = ghl_contact.id[:64]
            contact.save(update_fields=["ghl_contact_id", "updated_at"])
        audit(
            action="webchat.contact_linked",
            subject=contact,
            actor=AuditEvent.Actor.SYSTEM,
            actor_label="web_chat",
            data={"ghl_contact_id": ghl_contact.id, "moved_to_known_contact": False},
        )
        if first_link and contact.opted_out:
            # A STOP typed in the chat reaches HighLevel too, as it would from a text.
            from leads.tasks import sync_ghl_tags_task

            publish_on_commit(sync_ghl_tags_task, contact.pk, [OPTED_OUT_TAG], [])
    return "linked"


def _move_chat_to(*, visitor: Contact, known: Contact, ghl_contact_id: str) -> str:
    """The visitor is a lead we know: their chat threads and its tickets become that lead's."""
    conversations = [
        conversation.pk
        for conversation in lock_conversations_of(contact=visitor, channel=Channel.WEB)
    ]
    Conversation.objects.filter(pk__in=conversations).update(
        contact=known, updated_at=timezone.now()
    )
    EscalationTicket.objects.filter(conversation_id__in=conversations).update(contact=known)
    ComplianceTicket.objects.filter(conversation_id__in=conversations).update(contact=known)
    if visitor.opted_out and not known.opted_out:
        from leads.services.consent import opt_out_contact

        opt_out_contact(
            contact=known,
            source="web_chat",
            wording=visitor.opted_out_reason or "STOP",
            channel=Channel.WEB,
        )
    audit(
        action="webchat.contact_linked",
        subject=known,
        actor=AuditEvent.Actor.SYSTEM,
        actor_label="web_chat",
        data={
            "ghl_contact_id": ghl_contact_id,
            "moved_to_known_contact": True,
            "visitor_contact": visitor.pk,
            "conversations": conversations,
        },
    )
    return "moved to a known contact"
