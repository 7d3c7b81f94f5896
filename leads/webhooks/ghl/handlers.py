"""HighLevel event types → the services that apply them.

Each handler turns one loosely-specified HighLevel payload into the typed arguments of a
service in ``leads.services.inbound``. Payloads vary in the wild and HighLevel's own
examples contain mistakes (NOTES.md §1, §3), so every field is read defensively:
missing ``messageId``, a Call example typed ``OutboundMessage`` with ``direction:
inbound``, an outbound SMS example with ``direction: inbound``, ``TaskCreate`` without
``contactId``, and the integration guide's test payload wrapped in ``data{}``.
"""

from collections.abc import Callable
from datetime import datetime

from leads.ghl import events, mapping
from leads.ghl.calendar import GHLAppointment
from leads.models import Channel, Message, WebhookEvent
from leads.services import booking, inbound

Handler = Callable[[WebhookEvent, dict], "inbound.HandlerResult"]


# --- Reading payloads (bodies are read by leads.ghl.events) ----------------------


def _datetime_or(value, default: datetime) -> datetime:
    try:
        return events.parse_timestamp(value) or default
    except ValueError:
        return default


_text = mapping.text


def _location(event: WebhookEvent, payload: dict) -> str:
    return event.location_id or _text(payload, "locationId")


# --- Contacts -----------------------------------------------------------------


def handle_contact(event: WebhookEvent, payload: dict) -> inbound.HandlerResult:
    contact = inbound.mirror_ghl_contact(
        location_id=_location(event, payload), payload=payload, source=event.source
    )
    if contact is None:
        return inbound.HandlerResult(status=WebhookEvent.Status.IGNORED, note="No contact id.")
    return inbound.HandlerResult(contact=contact)


def handle_contact_delete(event: WebhookEvent, payload: dict) -> inbound.HandlerResult:
    contact_id = _text(payload, "id") or _text(payload, "contactId")
    if not contact_id:
        return inbound.HandlerResult(status=WebhookEvent.Status.IGNORED, note="No contact id.")
    contact = inbound.mark_contact_deleted_in_ghl(
        location_id=_location(event, payload), contact_id=contact_id
    )
    return inbound.HandlerResult(
        contact=contact, note="" if contact else "Contact was never mirrored here."
    )


# --- Messages -----------------------------------------------------------------

_CHANNELS = {
    "SMS": Channel.SMS,
    "CUSTOM_PROVIDER_SMS": Channel.SMS,
    "RCS": Channel.SMS,
    "EMAIL": Channel.EMAIL,
    "CUSTOM_PROVIDER_EMAIL": Channel.EMAIL,
    "WHATSAPP": Channel.WHATSAPP,
    "LIVE_CHAT": Channel.LIVE_CHAT,
    "LIVECHAT": Channel.LIVE_CHAT,
    "CALL": Channel.CALL,
    "VOICEMAIL": Channel.VOICEMAIL,
}

_OUTBOUND_STATUSES = {
    "delivered": Message.Status.DELIVERED,
    "read": Message.Status.DELIVERED,
    "opened": Message.Status.DELIVERED,
    "clicked": Message.Status.DELIVERED,
    "completed": Message.Status.DELIVERED,
    "voicemail": Message.Status.DELIVERED,
    "sent": Message.Status.SENT,
    "failed": Message.Status.FAILED,
    "undelivered": Message.Status.FAILED,
    "bounced": Message.Status.FAILED,
    "pending": Message.Status.QUEUED,
    "queued": Message.Status.QUEUED,
    "scheduled": Message.Status.QUEUED,
}

# ``source`` values of messages HighLevel sends by itself; a person sending from the
# app or phone shows up as "app"/"mobile_app" or with a userId.
_AUTOMATED_SOURCES = {"workflow", "campaign", "bulk_actions", "bulk_action", "trigger", "api"}


def message_channel(payload: dict) -> str:
    """Our channel for HighLevel's ``messageType`` (or ``messageTypeString``)."""
    raw = _text(payload, "messageType") or _text(payload, "messageTypeString")
    key = raw.upper().replace(" ", "_").removeprefix("TYPE_")
    channel = _CHANNELS.get(key, Channel.OTHER)
    statuses = {_text(payload, "callStatus").lower(), _text(payload, "status").lower()}
    if channel == Channel.CALL and "voicemail" in statuses:
        return Channel.VOICEMAIL
    return channel


def message_direction(event_type: str, payload: dict) -> str:
    """inbound or outbound, when the event type and ``direction`` may disagree.

    HighLevel's examples get each wrong once: the inbound Call example is typed
    ``OutboundMessage`` and the outbound SMS example says ``direction: inbound``. Only
    outbound messages carry ``source``, so it settles a disagreement; else ``direction``.
    """
    by_type = "outbound" if event_type == "OutboundMessage" else "inbound"
    by_field = _text(payload, "direction").lower()
    if by_field not in ("inbound", "outbound") or by_field == by_type:
        return by_type
    return "outbound" if payload.get("source") else by_field


def _message_body(payload: dict, channel: str) -> str:
    body = _text(payload, "body")
    if body or channel not in (Channel.CALL, Channel.VOICEMAIL):
        return body
    # A call has no text; say what happened so the timeline reads right.
    status = _text(payload, "callStatus") or _text(payload, "status") or "call"
    duration = payload.get("callDuration")
    parts = [f"{'Voicemail' if channel == Channel.VOICEMAIL else 'Call'} ({status}"]
    parts[0] += f", {duration} s)" if isinstance(duration, int | float) else ")"
    attachments = payload.get("attachments")
    if isinstance(attachments, list):
        parts += [str(a) for a in attachments if a]
    return "\n".join(parts)


def handle_message(event: WebhookEvent, payload: dict) -> inbound.HandlerResult:
    contact_id = _text(payload, "contactId")
    if not contact_id:
        return inbound.HandlerResult(status=WebhookEvent.Status.IGNORED, note="No contactId.")
    channel = message_channel(payload)
    common = {
        "location_id": _location(event, payload),
        "contact_id": contact_id,
        "conversation_id": _text(payload, "conversationId"),
        "message_id": _text(payload, "messageId"),
        "channel": channel,
        "body": _message_body(payload, channel),
        "subject": _text(payload, "subject"),
        "sent_at": _datetime_or(payload.get("dateAdded"), event.created_at),
    }
    if message_direction(event.event_type, payload) == "inbound":
        message, created = inbound.record_inbound_message(**common)
        created_inbound = created
        note = "" if created else "Message already recorded."
    else:
        source = _text(payload, "source").lower()
        automated = source in _AUTOMATED_SOURCES or (
            channel == Channel.VOICEMAIL and not payload.get("userId") and not source
        )
        status = _OUTBOUND_STATUSES.get(_text(payload, "status").lower(), Message.Status.SENT)
        message, paused = inbound.record_outbound_message(
            **common, status=status, automated=automated
        )
        note = "A person took over: bot paused." if paused else ""
        created_inbound = False
    return inbound.HandlerResult(
        contact=message.conversation.contact,
        message=message if created_inbound else None,
        note=note,
    )


# --- Opportunities, appointments, notes, tasks --------------------------------


def handle_opportunity(event: WebhookEvent, payload: dict) -> inbound.HandlerResult:
    opportunity_id = _text(payload, "id") or _text(payload, "opportunityId")
    contact_id = _text(payload, "contactId")
    if not opportunity_id or not contact_id:
        return inbound.HandlerResult(
            status=WebhookEvent.Status.IGNORED, note="No opportunity id or contactId."
        )
    deal = inbound.upsert_deal_from_ghl(
        location_id=_location(event, payload),
        opportunity_id=opportunity_id,
        contact_id=contact_id,
        name=_text(payload, "name"),
        monetary_value=payload.get("monetaryValue"),
        status=_text(payload, "status"),
        deleted=event.event_type == "OpportunityDelete",
    )
    return inbound.HandlerResult(contact=deal.contact)


def handle_appointment(event: WebhookEvent, payload: dict) -> inbound.HandlerResult:
    """AppointmentCreate/Update/Delete: the bot's own booking is matched to its Appointment
    (HighLevel echoes every booking we make), anything else is recorded as made in HighLevel."""
    appointment = GHLAppointment.from_api(payload)
    if not appointment.contact_id:
        return inbound.HandlerResult(note="No contactId in the payload; not linked.")
    contact = inbound.get_or_create_contact_from_ghl(
        location_id=_location(event, payload), contact_id=appointment.contact_id
    )
    if not appointment.id:
        return inbound.HandlerResult(contact=contact, note="No appointment id; not recorded.")
    recorded, ours = booking.record_ghl_appointment(
        contact=contact, appointment=appointment, deleted=event.event_type == "AppointmentDelete"
    )
    if recorded is None:
        note = "Not on our calendar (no start time, or cancelled before we saw it)."
    elif ours:
        note = f"The bot's own booking (appointment {recorded.pk}): matched, not recorded twice."
    else:
        note = f"Made in HighLevel: recorded as appointment {recorded.pk}."
    return inbound.HandlerResult(contact=contact, note=note)


def handle_contact_linked(event: WebhookEvent, payload: dict) -> inbound.HandlerResult:
    """Notes and tasks: kept as the event, linked to its contact."""
    contact_id = _text(payload, "contactId")
    if not contact_id:
        return inbound.HandlerResult(note="No contactId in the payload; not linked.")
    contact = inbound.get_or_create_contact_from_ghl(
        location_id=_location(event, payload), contact_id=contact_id
    )
    return inbound.HandlerResult(contact=contact)


EVENT_HANDLERS: dict[str, Handler] = {
    "ContactCreate": handle_contact,
    "ContactUpdate": handle_contact,
    "ContactTagUpdate": handle_contact,
    "ContactDndUpdate": handle_contact,
    "ContactDelete": handle_contact_delete,
    "InboundMessage": handle_message,
    "OutboundMessage": handle_message,
    "OpportunityCreate": handle_opportunity,
    "OpportunityUpdate": handle_opportunity,
    "OpportunityStageUpdate": handle_opportunity,
    "OpportunityStatusUpdate": handle_opportunity,
    "OpportunityMonetaryValueUpdate": handle_opportunity,
    "OpportunityAssignedToUpdate": handle_opportunity,
    "OpportunityDelete": handle_opportunity,
    "AppointmentCreate": handle_appointment,
    "AppointmentUpdate": handle_appointment,
    "AppointmentDelete": handle_appointment,
    "NoteCreate": handle_contact_linked,
    "NoteUpdate": handle_contact_linked,
    "NoteDelete": handle_contact_linked,
    "TaskCreate": handle_contact_linked,
    "TaskComplete": handle_contact_linked,
    "TaskDelete": handle_contact_linked,
}


def is_known_event(event_type: str) -> bool:
    """Whether we act on this HighLevel event type (others are stored as ignored)."""
    return event_type in EVENT_HANDLERS


def dispatch(event: WebhookEvent) -> inbound.HandlerResult:
    """Apply ``event`` through the handler for its type."""
    if not events.is_our_location(event.location_id):
        # Stored as ignored when it arrived; this also covers a row stored before the check.
        return inbound.HandlerResult(
            status=WebhookEvent.Status.IGNORED, note=inbound.other_location_note(event.location_id)
        )
    handler = EVENT_HANDLERS.get(event.event_type)
    if handler is None:
        return inbound.HandlerResult(
            status=WebhookEvent.Status.IGNORED, note="Event type not handled."
        )
    payload = event.payload if isinstance(event.payload, dict) else {}
    return handler(event, events.flatten_payload(payload))
