"""Changes we push to HighLevel about a contact: tags, tasks for Jorge, notes.

Each runs in a Celery task after the change that caused it has committed.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from compliance.models import AuditEvent
from compliance.services import audit
from leads.ghl.client import get_client
from leads.ghl.exceptions import GHLClientError, GHLError, GHLRecipientError
from leads.models import Contact

HOT_LEAD_TAG = "hot-lead"


def refresh_contact_from_ghl(*, contact_id: int, contact: Contact | None = None) -> Contact:
    """Fetch the contact from HighLevel and mirror it (phone, time zone, DND, name, tags).

    Message webhooks carry no phone number: without it the lead's time zone, and so their
    quiet hours, would be a guess. Called before the bot answers a contact we know too little of
    (``contact``: its row as the caller just read it, to save reading it again).
    """
    from leads.services.inbound import mirror_ghl_contact

    contact = contact or Contact.objects.get(pk=contact_id)
    with get_client() as client:
        fetched = client.get_contact(contact_id=contact.ghl_contact_id)
    mirrored = mirror_ghl_contact(
        location_id=contact.ghl_location_id, payload=fetched.raw, source="ghl_api"
    )
    return mirrored or contact


def sync_ghl_tags(*, contact_id: int, add: list[str], remove: list[str]) -> None:
    """Add and remove tags on the HighLevel contact, and mirror them on ours."""
    contact = Contact.objects.get(pk=contact_id)
    if not contact.in_highlevel:
        # A web-chat visitor (or staff trying the bot): the tags are ours alone.
        _mirror_tags(contact, add=add, remove=remove)
        return
    with get_client() as client:
        if add:
            client.add_tags(contact_id=contact.ghl_contact_id, tags=add)
        if remove:
            client.remove_tags(contact_id=contact.ghl_contact_id, tags=remove)
    _mirror_tags(contact, add=add, remove=remove)


def _mirror_tags(contact: Contact, *, add: list[str], remove: list[str]) -> None:
    tags = [t for t in contact.tags if t not in remove]
    tags += [t for t in add if t not in tags]
    if tags != contact.tags:
        Contact.objects.filter(pk=contact.pk).update(tags=tags)


def set_ghl_dnd(*, contact_id: int, dnd: bool) -> None:
    """Set the HighLevel contact's do-not-disturb flag (all channels) to ``dnd``."""
    contact = Contact.objects.get(pk=contact_id)
    if not contact.in_highlevel:
        return
    with get_client() as client:
        client.update_contact(contact_id=contact.ghl_contact_id, fields={"dnd": dnd})


def book_call_with_agent(*, contact_id: int, reason: str) -> None:
    """A hot lead: create a HighLevel task for Jorge to call them today, and tag them."""
    contact = Contact.objects.get(pk=contact_id)
    if not contact.in_highlevel:
        return  # a visitor not yet in HighLevel, or a test: the hot lead shows on the dashboard
    summary = ", ".join(contact.score_reasons[:4]) or reason
    with get_client() as client:
        task = client.create_task(
            contact_id=contact.ghl_contact_id,
            title=f"Call {contact} ({contact.get_temperature_display().lower()} lead)",
            body=f"{reason}. {summary}. Phone: {contact.phone or 'n/a'}.",
            due_date=timezone.now() + timedelta(hours=2),
        )
        client.add_tags(contact_id=contact.ghl_contact_id, tags=[HOT_LEAD_TAG])
    if HOT_LEAD_TAG not in contact.tags:
        Contact.objects.filter(pk=contact.pk).update(tags=[*contact.tags, HOT_LEAD_TAG])
    audit(
        action="lead.call_booked",
        subject=contact,
        actor=AuditEvent.Actor.BOT,
        actor_label="lead_bot",
        data={"ghl_task_id": task.id, "reason": reason},
    )


def notify_agent(*, contact_id: int, reason: str, due_at: datetime | None = None) -> None:
    """The bot handed a conversation to Jorge: leave him a task in HighLevel (due ``due_at``)."""
    contact = Contact.objects.get(pk=contact_id)
    if not contact.in_highlevel:
        return
    with get_client() as client:
        client.create_task(
            contact_id=contact.ghl_contact_id,
            title=f"Reply to {contact}: the bot handed over",
            body=reason,
            due_date=due_at or timezone.now() + timedelta(hours=1),
        )


ON_CALL_CONTACT_NAME = "On call (escalations)"


def text_on_call(*, phone: str, body: str) -> str:
    """Text the on-call person through HighLevel; returns HighLevel's message id.

    HighLevel sends only to contacts, so the on-call phone is upserted as an internal
    contact (matched by phone, so never duplicated) and texted at that number.
    """
    with get_client() as client:
        try:
            contact = client.upsert_contact(
                fields={"phone": phone, "firstName": ON_CALL_CONTACT_NAME, "source": "escalations"}
            )
        except GHLClientError:
            raise  # refused (a bad number): trying again will not help
        except GHLError as exc:
            # Nothing was texted yet, whatever became of the upsert: safe to try again.
            raise GHLRecipientError(
                f"On-call contact not upserted: {exc}", status_code=exc.status_code
            ) from exc
        if not contact.id:
            raise GHLRecipientError("HighLevel returned no contact id for the on-call phone.")
        sent = client.send_message(
            contact_id=contact.id, message_type="SMS", message=body, to_number=phone
        )
    return sent.message_id
