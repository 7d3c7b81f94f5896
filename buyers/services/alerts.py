"""Listing alerts: a listing that comes on the market, or gets a new price, is texted to the
buyers it fits, under the rules of every automated message.

``sellers.services.properties`` enqueues ``send_listing_alerts_task`` when a home is saved as
a new or re-priced listing. For each buyer the listing fits (``buyers.matching``):

- nothing goes to a contact who opted out or is on do-not-disturb, whose conversation is
  closed, paused or handed to a person, whose bot a person paused, or while the kill switch
  is on; the message is queued with ``queue_automated_message``, so quiet hours defer it and
  the cap on unanswered messages applies;
- never twice for the same listing and price (``ListingAlert``), and a new price is only news
  when it is lower than one the buyer was sent;
- at most ``MAX_ALERTS_PER_DAY`` alerts per buyer in 24 hours, so loading a batch of listings
  does not flood anyone.

Every alert sent or held back for a buyer it fits is audited, and so is each run.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from buyers import selectors
from buyers.matching import ListingScore, score_listing
from buyers.models import ListingAlert
from buyers.services.matching import listing_placeholders
from compliance.models import AuditEvent
from compliance.services import audit
from leads import selectors as lead_selectors
from leads.models import Channel, Contact, Conversation
from leads.services.locks import lock_contact_and_conversation
from leads.services.messaging import queue_automated_message
from sellers.models import Property
from sellers.selectors import public_listings

MAX_ALERTS_PER_DAY = 2
ALERTS_WINDOW = timedelta(hours=24)


@dataclass
class AlertRun:
    """What one run did for one listing."""

    property_id: int
    listed: bool = True
    fitting: int = 0
    alerted: list[int] = field(default_factory=list)  # contact ids
    held_back: dict[int, str] = field(default_factory=dict)  # contact id → why


def send_listing_alerts(*, property_id: int, now: datetime | None = None) -> AlertRun:
    """Alert every buyer ``property_id`` fits, once per price; safe to run twice."""
    now = now or timezone.now()
    run = AlertRun(property_id=property_id)
    home = public_listings().filter(pk=property_id).first()
    if home is None:
        # Sold, withdrawn or unpriced before the task ran: nothing to announce.
        run.listed = False
        return run
    facts = selectors.listing_facts(home)
    known_cities = selectors.listing_cities()
    # Read first: each buyer is then decided in a transaction of their own.
    for contact in list(selectors.buyers_for_listing(home=home)):
        wants = selectors.buyer_wants(contact=contact, known_cities=known_cities)
        score = score_listing(wants, facts)
        if not score.fits:
            continue
        run.fitting += 1
        why_not = _alert_buyer(contact=contact, home=home, score=score, now=now)
        if why_not:
            run.held_back[contact.pk] = why_not
        else:
            run.alerted.append(contact.pk)
    with transaction.atomic():
        audit(
            action="listing_alert.run",
            subject=home,
            actor=AuditEvent.Actor.BOT,
            actor_label="listing_alerts",
            data={
                "price": home.list_price,
                "fitting_buyers": run.fitting,
                "alerted": run.alerted,
                "held_back": {str(k): v for k, v in run.held_back.items()},
            },
        )
    return run


def _alert_buyer(*, contact: Contact, home: Property, score: ListingScore, now: datetime) -> str:
    """Queue one buyer's alert, or say why not ("" when queued)."""
    with transaction.atomic():
        conversation = selectors.alert_conversation(contact=contact)
        if conversation is None:
            return _held_back(contact, home, score, "no conversation")
        # Under the locks every writer of a contact and its conversation takes, so a bot turn
        # or an opt-out in flight is seen before deciding.
        contact, conversation = lock_contact_and_conversation(
            contact_id=contact.pk, conversation_id=conversation.pk
        )
        earlier = list(selectors.alerts_for(contact=contact, home=home))
        if any(alert.price <= home.list_price for alert in earlier):
            # Already sent at this price or a lower one: not news (and not audited again).
            return "already alerted at this price or lower"
        why_not = _why_not(contact=contact, conversation=conversation, now=now)
        if why_not:
            return _held_back(contact, home, score, why_not)
        language = contact.language
        values = listing_placeholders(home, language=language)
        price_drop = min((a.price for a in earlier), default=None)
        if price_drop is not None:
            key, values["old_price"] = "listing_alert_price_drop", f"${price_drop:,}"
        else:
            key = "listing_alert"
        body = lead_selectors.reply_text(
            key=key, language=language, first_name=contact.first_name, **values
        )
        subject = (
            lead_selectors.reply_text(key="listing_alert_subject", language=language)
            if conversation.channel == Channel.EMAIL
            else ""
        )
        message = queue_automated_message(
            conversation=conversation,
            body=body,
            subject=subject,
            ai_metadata={"engine": "offline", "listing_alert": home.pk},
            reason="listing_alert",
            now=now,
        )
        alert = ListingAlert.objects.create(
            contact=contact,
            listing=home,
            price=home.list_price,
            message=message,
            score=score.total,
            explanation=score.explanation(),
        )
        audit(
            action="listing_alert.queued",
            subject=alert,
            actor=AuditEvent.Actor.BOT,
            actor_label="listing_alerts",
            data={
                "contact": contact.pk,
                "property": home.pk,
                "price": home.list_price,
                "price_drop_from": price_drop,
                "score": score.total,
                "explanation": score.explanation(),
                "message": message.pk,
                "message_status": message.status,  # queued, or blocked by a sending rule
                "scheduled_for": message.scheduled_for.isoformat()
                if message.scheduled_for
                else None,  # quiet hours: sent when the window opens
            },
        )
    return ""


def _why_not(*, contact: Contact, conversation: Conversation, now: datetime) -> str:
    """Why this buyer must not get an alert now ("" when they may)."""
    if not contact.can_receive_automated:
        return "contact opted out or on do-not-disturb"
    if conversation.status != Conversation.Status.ACTIVE:
        return f"conversation {conversation.status}"
    if conversation.stage in (Conversation.Stage.HANDED_OFF, Conversation.Stage.CLOSED):
        return f"conversation {conversation.stage}"
    if lead_selectors.is_bot_paused(conversation=conversation, at=now):
        return "a human has taken over"
    if not lead_selectors.bot_settings().bots_enabled:
        return "kill switch: all bots are stopped"
    if selectors.alerts_since(contact=contact, since=now - ALERTS_WINDOW) >= MAX_ALERTS_PER_DAY:
        return f"already {MAX_ALERTS_PER_DAY} listing alerts in 24 hours"
    return ""


def _held_back(contact: Contact, home: Property, score: ListingScore, why: str) -> str:
    audit(
        action="listing_alert.held_back",
        subject=contact,
        actor=AuditEvent.Actor.BOT,
        actor_label="listing_alerts",
        data={"property": home.pk, "price": home.list_price, "score": score.total, "why": why},
    )
    return why
