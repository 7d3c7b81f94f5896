"""The demo's recent activity: what a few hours of Jorge's business leaves in the back office.

``analytics.demo`` lays down the history (contacts, conversations, deals, homes) as rows. This
module then plays a few new leads through the real product, so the first run shows every
back-office page filled the way the product fills it: HighLevel webhook events, the bots'
replies and the HighLevel calls they make (in the outbox), a call booked by a hot buyer, a new
listing and the buyers alerted to it, escalation and compliance tickets (some assigned, some
resolved by Jorge), CMA reports with their PDFs, and the audit trail of all of it.

Safe to run twice: each webhook has a stable id (a second delivery is a duplicate and does
nothing), each ticket step and CMA is taken only if it has not been. It always runs on the
embedded default's engines, whatever is configured: the offline engine (no Anthropic key),
HighLevel's outbox (no token) and tasks in-process, so seeding never reaches the network.
"""

import csv
import io
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone

from analytics.demo import demo_phone
from compliance.models import ComplianceTicket
from compliance.services import assign_compliance_ticket, resolve_compliance_ticket
from config.celery import app as celery_app
from leads.models import Contact, EscalationTicket, WebhookEvent
from leads.selectors import agent_profile
from leads.services import escalation
from leads.services.bot_config import update_agent_profile
from leads.services.inbound import store_webhook_event
from leads.webhooks.ghl.handlers import is_known_event
from sellers.models import CMAReport, Property
from sellers.services.cma import trigger_cma
from sellers.services.properties import import_properties_csv

SOURCE = WebhookEvent.Source.GHL
# Seeded events were never signed by HighLevel: they say so.
SIGNATURE_SCHEME = "demo"

# Phones of the live demo leads: Orange County numbers (714-555-03xx). The historic demo
# contacts are 909/951, the README's examples analytics.demo.README_PHONES: none collide.
LEADS = [
    {
        "key": "01",
        "first": "Marcus",
        "last": "Bennett",
        "phone": "+17145550301",
        "texts": [
            "Hi, I'm thinking about selling my house in Fontana",
            "It's 8421 Sierra Ave, Fontana. Sure, ask away",
        ],
        "cma": "8421 Sierra Ave",
        "city": "Fontana",
    },
    {
        "key": "02",
        "first": "Lucía",
        "last": "Navarro",
        "phone": "+17145550302",
        "texts": [
            "Hola, quiero comprar una casa en Riverside",
            "Sí, estoy preaprobada por 550 mil",
        ],
    },
    {
        "key": "03",
        "first": "Dana",
        "last": "Whitfield",
        "phone": "+17145550303",
        "texts": ["Hi, I want to buy a home in Corona", "Can I talk to a real person please?"],
    },
    {
        "key": "04",
        "first": "Greg",
        "last": "Holloway",
        "phone": "+17145550304",
        "texts": [
            "I've asked three times already. This is ridiculous, I'm going to file a complaint"
        ],
    },
    {
        "key": "05",
        "first": "Priya",
        "last": "Raman",
        "phone": "+17145550305",
        "texts": [
            "Hi, we're looking to buy in Eastvale",
            "For the pre-approval my social is 612-44-9087",
        ],
    },
    {
        "key": "06",
        "first": "Tom",
        "last": "Kessler",
        "phone": "+17145550306",
        "texts": ["Hi, is the house on Haven Ave still available?", "STOP"],
    },
    {
        # A hot buyer, from first text to a call booked on Jorge's calendar.
        "key": "07",
        "first": "Elena",
        "last": "Castillo",
        "phone": "+17145550307",
        "texts": [
            "Hi, I want to buy a house in Riverside",
            "Yes, pre-approved with Chase for 600k",
            "around 550k",
            "20% down",
            "3 bed 2 bath",
            "a pool would be nice",
            "in the next 2 months",
            "2",
        ],
    },
]

# A home that came on the market today, imported as a CSV row: the buyers it fits are alerted.
NEW_LISTING = {
    "mls_id": "LIVE-IE0001",
    "address": "4120 Magnolia Ave",
    "city": "Riverside",
    "postal_code": "92503",
    "beds": "4",
    "baths": "2.5",
    "living_sqft": "2140",
    "lot_sqft": "7200",
    "year_built": "1998",
    "property_type": "sfr",
    "status": "active",
    "list_price": "689000",
    "features": "Pool, Solar panels, RV parking, Large backyard",
    "description": "4-bedroom home in Riverside with a pool and solar. Close to schools, "
    "shopping and the freeway.",
}

# Historic demo sellers whose homes get a CMA too: each one's home is a demo property of
# their city (the first by MLS number), so the report has the home's facts.
HISTORIC_CMA_CONTACTS = ["demo-contact-0007", "demo-contact-0020"]


@dataclass
class ActivitySummary:
    webhooks: int = 0
    new_listings: int = 0
    cma_reports: int = 0
    ticket_steps: int = 0
    notes: list[str] = field(default_factory=list)


def load_demo_activity(*, user: AbstractBaseUser) -> ActivitySummary:
    """Play the live demo leads through the product and work some of their tickets as ``user``."""
    summary = ActivitySummary()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the turns run here, on the settings below
    try:
        with override_settings(ANTHROPIC_API_KEY="", GHL_API_TOKEN="", GHL_CALENDAR_ID=""):
            _agent_profile(user=user)
            for lead in LEADS:
                summary.webhooks += _play(lead)
            summary.new_listings += _new_listing(user=user)
            summary.cma_reports += _cmas(user=user)
            summary.ticket_steps += _work_tickets(user=user)
    finally:
        celery_app.conf.task_always_eager = eager
    return summary


def _deliver(*, webhook_id: str, payload: dict) -> bool:
    """Store a webhook as the endpoint does after checking its signature (then it is
    processed, on commit, by the same task and handlers); False if it was delivered before."""
    body = json.dumps(payload).encode()
    stored = store_webhook_event(
        source=SOURCE,
        body=body,
        payload=payload,
        headers={"content-type": "application/json"},
        signature_scheme=SIGNATURE_SCHEME,
        event_type=payload["type"],
        location_id=payload["locationId"],
        webhook_id=webhook_id,
        known_event=is_known_event(payload["type"]),
    )
    return not stored.duplicate


def _play(lead: dict) -> int:
    location = settings.GHL_LOCATION_ID
    contact_id = f"demo-live-{lead['key']}"
    now = timezone.now().isoformat()
    delivered = _deliver(
        webhook_id=f"demo-live-{lead['key']}-contact",
        payload={
            "type": "ContactCreate",
            "locationId": location,
            "id": contact_id,
            "firstName": lead["first"],
            "lastName": lead["last"],
            "name": f"{lead['first']} {lead['last']}",
            "phone": demo_phone(lead["phone"]),
            "source": "Website form",
            "dateAdded": now,
            "tags": [],
        },
    )
    for n, text in enumerate(lead["texts"], start=1):
        delivered += _deliver(
            webhook_id=f"demo-live-{lead['key']}-message-{n}",
            payload={
                "type": "InboundMessage",
                "locationId": location,
                "attachments": [],
                "body": text,
                "contactId": contact_id,
                "contentType": "text/plain",
                "conversationId": f"demo-live-conv-{lead['key']}",
                "dateAdded": timezone.now().isoformat(),
                "direction": "inbound",
                "messageType": "SMS",
                "messageTypeString": "TYPE_SMS",
                "messageId": f"demo-live-{lead['key']}-msg-{n}",
                "status": "delivered",
            },
        )
    return delivered


def _agent_profile(*, user: AbstractBaseUser) -> None:
    """A demo licence and phone for the CMA's first page, unless someone already set them."""
    profile = agent_profile()
    if profile.licence_number or profile.phone:
        return
    profile.licence_number = "DRE #00000000 (demo)"
    profile.phone = "+19515550000"  # no demo contact's number (theirs end 0001 and up)
    update_agent_profile(profile=profile, changed=["licence_number", "phone"], user=user)


def _new_listing(*, user: AbstractBaseUser) -> int:
    if Property.objects.filter(mls_id=NEW_LISTING["mls_id"]).exists():
        return 0
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(NEW_LISTING))
    writer.writeheader()
    writer.writerow(NEW_LISTING)
    upload = ContentFile(buffer.getvalue().encode(), name="new-listings.csv")
    result = import_properties_csv(file=upload, by=user)
    if not result.ok:
        raise ValueError(f"the demo listing did not import: {result.errors}")
    return result.created


def _cmas(*, user: AbstractBaseUser) -> int:
    location = settings.GHL_LOCATION_ID
    wanted = [
        (f"demo-live-{lead['key']}", lead["cma"], lead["city"]) for lead in LEADS if "cma" in lead
    ]
    for contact_id in HISTORIC_CMA_CONTACTS:
        contact = Contact.objects.filter(
            ghl_location_id=location, ghl_contact_id=contact_id
        ).first()
        home = (
            Property.objects.filter(city=contact.area, mls_id__startswith="DEMO-")
            .order_by("mls_id")
            .first()
            if contact
            else None
        )
        if home is not None:
            wanted.append((contact_id, home.address, home.city))
    made = 0
    for contact_id, address, city in wanted:
        contact = Contact.objects.filter(
            ghl_location_id=location, ghl_contact_id=contact_id
        ).first()
        if contact is None or CMAReport.objects.filter(contact=contact).exists():
            continue
        trigger_cma(contact=contact, by=user, address=address, city=city)
        made += 1
    return made


def _ticket(model, contact_id: str, **filters):
    return (
        model.objects.filter(
            contact__ghl_location_id=settings.GHL_LOCATION_ID,
            contact__ghl_contact_id=contact_id,
            **filters,
        )
        .order_by("pk")
        .first()
    )


def _work_tickets(*, user: AbstractBaseUser) -> int:
    """Jorge has picked one escalation up and settled another, and reviewed one compliance
    ticket: the queues show every state."""
    steps = 0
    asked = _ticket(EscalationTicket, "demo-live-03", status=EscalationTicket.Status.OPEN)
    if asked is not None:
        escalation.assign_ticket(ticket=asked, user=user)
        steps += 1
    angry = _ticket(EscalationTicket, "demo-live-04", status=EscalationTicket.Status.OPEN)
    if angry is not None:
        escalation.resolve_ticket(
            ticket=angry,
            user=user,
            note="Called Greg, apologised for the wait and booked a showing for Saturday.",
            resume=True,
        )
        steps += 1
    privacy = _ticket(ComplianceTicket, "demo-live-05", status=ComplianceTicket.Status.OPEN)
    if privacy is not None:
        assign_compliance_ticket(ticket=privacy, assignee=user, user=user)
        resolve_compliance_ticket(
            ticket=privacy,
            note="The number was never stored (redacted on arrival). Asked Priya to send "
            "lender documents through the lender's portal instead.",
            user=user,
        )
        steps += 2
    return steps
