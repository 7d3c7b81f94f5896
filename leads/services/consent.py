"""Consent to automated messages: opt-outs, re-subscriptions and their evidence."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from compliance.models import AuditEvent, ConsentRecord
from compliance.services import audit
from config.queueing import publish_on_commit
from leads.models import Contact, Conversation
from leads.services.locks import lock_contact

OPTED_OUT_TAG = "opted-out"
DND_TAG = "do-not-disturb"


def _tag_later(contact: Contact, *, add: list[str], remove: list[str]) -> None:
    from leads.tasks import sync_ghl_tags_task

    publish_on_commit(sync_ghl_tags_task, contact.pk, add, remove)


def opt_out_contact(
    *,
    contact: Contact,
    source: str,
    wording: str,
    channel: str = "",
    at: datetime | None = None,
    user: AbstractBaseUser | None = None,
) -> bool:
    """Stop every automated message to ``contact`` for good; False if already opted out.

    Records the revocation as consent evidence, closes the contact's conversations to
    the bots and tags the contact in HighLevel after commit.
    """
    at = at or timezone.now()
    with transaction.atomic():
        contact = lock_contact(contact_id=contact.pk)
        ConsentRecord.objects.create(
            contact=contact,
            kind=ConsentRecord.Kind.REVOKED,
            at=at,
            source=source,
            wording=wording[:1000],
            channel=channel,
        )
        if contact.opted_out:
            return False
        contact.opted_out, contact.opted_out_at = True, at
        contact.opted_out_reason = f"{source}: {wording}"[:255]
        contact.save(update_fields=["opted_out", "opted_out_at", "opted_out_reason", "updated_at"])
        Conversation.objects.filter(contact=contact).exclude(
            status=Conversation.Status.CLOSED
        ).update(status=Conversation.Status.OPTED_OUT, next_followup_at=None)
        audit(
            action="contact.opted_out",
            subject=contact,
            actor=AuditEvent.Actor.BOT,
            actor_label=source,
            user=user,
            data={"wording": wording[:200], "channel": channel, "source": source},
        )
        _tag_later(contact, add=[OPTED_OUT_TAG], remove=[])
    return True


def opt_in_contact(
    *,
    contact: Contact,
    source: str,
    wording: str,
    channel: str = "",
    user: AbstractBaseUser | None = None,
) -> bool:
    """Re-subscribe a contact who opted out (START/UNSTOP); False if they were subscribed."""
    with transaction.atomic():
        contact = lock_contact(contact_id=contact.pk)
        if not contact.opted_out:
            return False
        ConsentRecord.objects.create(
            contact=contact,
            kind=ConsentRecord.Kind.RESTORED,
            source=source,
            wording=wording[:1000],
            channel=channel,
        )
        contact.opted_out, contact.opted_out_at, contact.opted_out_reason = False, None, ""
        contact.save(update_fields=["opted_out", "opted_out_at", "opted_out_reason", "updated_at"])
        Conversation.objects.filter(contact=contact, status=Conversation.Status.OPTED_OUT).update(
            status=Conversation.Status.ACTIVE
        )
        audit(
            action="contact.opted_in",
            subject=contact,
            actor=AuditEvent.Actor.BOT,
            actor_label=source,
            user=user,
            data={"wording": wording[:200], "source": source},
        )
        _tag_later(contact, add=[], remove=[OPTED_OUT_TAG])
    return True


def record_consent(
    *, contact: Contact, source: str, wording: str, channel: str = ""
) -> ConsentRecord:
    """Keep evidence that ``contact`` agreed to automated messages (form, keyword, import)."""
    with transaction.atomic():
        record = ConsentRecord.objects.create(
            contact=contact,
            kind=ConsentRecord.Kind.GRANTED,
            source=source,
            wording=wording[:1000],
            channel=channel,
        )
        audit(action="consent.recorded", subject=contact, data={"source": source})
    return record


def set_do_not_disturb(
    *, contact: Contact, dnd: bool, reason: str, user: AbstractBaseUser | None = None
) -> bool:
    """Turn do-not-disturb on or off by a person's decision; False if nothing changed.

    Audited with the user's name; after commit HighLevel gets the contact's DND flag and the
    ``do-not-disturb`` tag, so its own automations stop too.
    """
    from leads.tasks import set_ghl_dnd_task

    with transaction.atomic():
        contact = lock_contact(contact_id=contact.pk)
        if contact.dnd == dnd:
            return False
        contact.dnd = dnd
        contact.dnd_at = timezone.now() if dnd else None
        contact.dnd_reason = reason[:255] if dnd else ""
        contact.save(update_fields=["dnd", "dnd_at", "dnd_reason", "updated_at"])
        audit(
            action="contact.dnd_on" if dnd else "contact.dnd_off",
            subject=contact,
            user=user,
            data={"reason": reason[:200]},
        )
        publish_on_commit(set_ghl_dnd_task, contact.pk, dnd)
        _tag_later(contact, add=[DND_TAG] if dnd else [], remove=[] if dnd else [DND_TAG])
    return True
