"""The demo data set: a realistic, deterministic slice of Jorge's business.

Everything is derived from a seeded random generator and keyed by stable ids
(``demo-…``), so loading it twice changes nothing and every machine sees the same data.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from buyers.models import BuyerProfile
from leads.models import Contact, Conversation, Deal, Intent, Message, Temperature, Timeline
from sellers.models import Property
from sellers.services.properties import slug_for

SEED = 20261121
CONTACT_COUNT = 300
PROPERTY_COUNT = 160
DEMO_USERNAME = "jorge"

# The phones the README's examples text from (simulate_inbound). No demo contact ever has one,
# so a new user trying the README starts a new conversation instead of landing in a demo one.
# The demo's own numbers are 909/951-555-xxxx (history) and 714-555-03xx (recent activity).
README_PHONES = frozenset({"+17145550100", "+17145550999"})


def demo_phone(phone: str) -> str:
    """``phone``, checked: the demo must never give a contact one of the README's numbers."""
    if phone in README_PHONES:
        raise ValueError(f"{phone} is the README's example number: the demo must not use it.")
    return phone


# (city, zip, $/sqft of a typical sale, latitude, longitude)
CITIES = [
    ("Riverside", "92503", 395, 33.9533, -117.3962),
    ("San Bernardino", "92404", 310, 34.1083, -117.2898),
    ("Fontana", "92336", 400, 34.0922, -117.4350),
    ("Rancho Cucamonga", "91739", 470, 34.1064, -117.5931),
    ("Ontario", "91761", 420, 34.0633, -117.6509),
    ("Corona", "92882", 455, 33.8753, -117.5664),
    ("Moreno Valley", "92557", 350, 33.9425, -117.2297),
    ("Temecula", "92592", 420, 33.4936, -117.1484),
    ("Chino Hills", "91709", 500, 33.9898, -117.7326),
    ("Redlands", "92374", 405, 34.0556, -117.1825),
    ("Eastvale", "92880", 440, 33.9639, -117.5644),
    ("Murrieta", "92563", 400, 33.5539, -117.2139),
]
STREETS = [
    "Magnolia Ave",
    "Mission Inn Ave",
    "Arrow Route",
    "Baseline Rd",
    "Sierra Ave",
    "Foothill Blvd",
    "Haven Ave",
    "Citrus Ave",
    "Victoria St",
    "Orange St",
    "Main St",
    "Pine Ave",
    "Limonite Ave",
    "Cajalco Rd",
    "Alessandro Blvd",
    "Winchester Rd",
    "Redlands Blvd",
    "Euclid Ave",
    "Chino Ave",
    "Grove Ave",
    "Jurupa Ave",
    "Van Buren Blvd",
    "Walnut Ave",
    "Palm Ave",
]
FIRST_EN = [
    "James",
    "Emily",
    "Michael",
    "Sarah",
    "David",
    "Ashley",
    "Ryan",
    "Jessica",
    "Kevin",
    "Megan",
    "Brian",
    "Lauren",
    "Jason",
    "Nicole",
    "Tyler",
    "Amanda",
    "Eric",
    "Rachel",
]
LAST_EN = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Thompson",
    "White",
    "Harris",
]
FIRST_ES = [
    "José",
    "María",
    "Juan",
    "Guadalupe",
    "Luis",
    "Verónica",
    "Carlos",
    "Alejandra",
    "Miguel",
    "Lucía",
    "Jorge",
    "Adriana",
    "Ricardo",
    "Gabriela",
    "Fernando",
    "Rosa",
]
LAST_ES = [
    "García",
    "Hernández",
    "Martínez",
    "López",
    "González",
    "Rodríguez",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gómez",
    "Díaz",
    "Reyes",
    "Cruz",
]
SOURCES = ["Zillow", "Realtor.com", "Facebook ad", "Website form", "Open house", "Referral"]

# Conversation scripts: (lead says, bot says) turns, per intent and language.
SCRIPTS = {
    ("buyer", "en"): [
        (
            "Hi, I saw a listing in {city} and I'm looking to buy.",
            "Hi {name}! This is Jorge's automated assistant. Happy to help you find a home in {city}. When are you hoping to move?",
        ),
        (
            "Probably in the next {months} months.",
            "Got it. Do you have a price range in mind, or are you pre-approved with a lender?",
        ),
        (
            "Pre-approved up to {budget}k.",
            "Great, that helps a lot. How many bedrooms do you need?",
        ),
        (
            "At least 3, ideally with a yard.",
            "Perfect. I'll pass this to Jorge so he can send you homes that fit. Would a quick call tomorrow work?",
        ),
    ],
    ("buyer", "es"): [
        (
            "Hola, busco casa en {city}.",
            "¡Hola {name}! Soy el asistente automático de Jorge. Con gusto le ayudo a encontrar casa en {city}. ¿Para cuándo piensa mudarse?",
        ),
        (
            "En unos {months} meses.",
            "Entendido. ¿Tiene un presupuesto en mente o ya está preaprobado con un banco?",
        ),
        ("Estoy preaprobado por {budget} mil.", "Excelente. ¿Cuántas recámaras necesita?"),
        (
            "Tres por lo menos.",
            "Perfecto. Le paso esto a Jorge para que le mande casas que le queden. ¿Le parece una llamada mañana?",
        ),
    ],
    ("seller", "en"): [
        (
            "Hi, I'm thinking about selling my house in {city}.",
            "Hi {name}! This is Jorge's automated assistant. What's the address of the home you're thinking of selling?",
        ),
        (
            "{address}",
            "Thanks! Mind if I ask a few quick questions? What has you thinking about selling?",
        ),
        (
            "We need more space, the family is growing.",
            "That makes sense. When would you ideally like to be moved?",
        ),
        (
            "Within {months} months or so.",
            "Good to know. Jorge can put together a free market analysis of your home. Want me to send it?",
        ),
    ],
    ("seller", "es"): [
        (
            "Hola, quiero vender mi casa en {city}.",
            "¡Hola {name}! Soy el asistente automático de Jorge. ¿Cuál es la dirección de la casa que quiere vender?",
        ),
        (
            "{address}",
            "¡Gracias! ¿Me permite unas preguntas rápidas? ¿Por qué está pensando en vender?",
        ),
        (
            "Nos vamos a mudar más cerca del trabajo.",
            "Entiendo. ¿Para cuándo le gustaría haberse mudado?",
        ),
        (
            "En unos {months} meses.",
            "Muy bien. Jorge le puede preparar un análisis de mercado gratis de su casa. ¿Se lo mando?",
        ),
    ],
}
TIMELINE_BY_MONTHS = {
    1: Timeline.ASAP,
    2: Timeline.ONE_TO_THREE,
    3: Timeline.ONE_TO_THREE,
    6: Timeline.THREE_TO_SIX,
    9: Timeline.SIX_TO_TWELVE,
    12: Timeline.SIX_TO_TWELVE,
}


@dataclass
class DemoSummary:
    properties_created: int
    contacts_created: int
    conversations_created: int
    messages_created: int
    deals_created: int
    username: str
    password: str


HOME_FEATURES = [
    "Pool",
    "RV parking",
    "Solar panels",
    "Single story",
    "Two-car garage",
    "Large backyard",
    "Updated kitchen",
    "Mountain views",
    "Fireplace",
    "Central air",
    "Home office",
    "No HOA",
    "Covered patio",
    "Casita (ADU)",
]


def _features(i: int, beds: int, city: str, kind: str) -> tuple[str, str]:
    """A home's features and description, from their own generator: adding them left every
    other demo value as it was."""
    rng = random.Random(SEED * 1000 + i)  # noqa: S311 - reproducible demo data
    features = rng.sample(HOME_FEATURES, rng.randint(2, 4))
    kind = {"sfr": "home", "condo": "condo", "townhouse": "townhouse"}.get(kind, "home")
    description = (
        f"{beds}-bedroom {kind} in {city} with {features[0].lower()} "
        f"and {features[1].lower()}. Close to schools, shopping and the freeway."
    )
    return ", ".join(features), description


def _properties(rng: random.Random, today: date) -> list[Property]:
    homes = []
    for i in range(PROPERTY_COUNT):
        city, postal, ppsf, lat, lng = CITIES[i % len(CITIES)]
        beds = rng.choice([2, 3, 3, 3, 4, 4, 4, 5])
        sqft = int(rng.gauss(700 + beds * 380, 180))
        sqft = max(850, min(sqft, 4200))
        price = round(sqft * ppsf * rng.uniform(0.9, 1.1), -3)
        status = rng.choices(
            [Property.Status.SOLD, Property.Status.ACTIVE, Property.Status.PENDING], [6, 3, 1]
        )[0]
        sold = status == Property.Status.SOLD
        homes.append(
            Property(
                mls_id=f"DEMO-IE{i + 1:04d}",
                address=f"{rng.randint(100, 19999)} {rng.choice(STREETS)}",
                city=city,
                postal_code=postal,
                latitude=Decimal(f"{lat + rng.uniform(-0.03, 0.03):.6f}"),
                longitude=Decimal(f"{lng + rng.uniform(-0.03, 0.03):.6f}"),
                property_type=rng.choices(
                    [Property.Type.SINGLE_FAMILY, Property.Type.CONDO, Property.Type.TOWNHOUSE],
                    [7, 2, 1],
                )[0],
                beds=beds,
                baths=Decimal(rng.choice(["1.0", "2.0", "2.0", "2.5", "3.0"]))
                if beds > 2
                else Decimal("1.0"),
                living_sqft=sqft,
                lot_sqft=rng.randint(4000, 9000),
                year_built=rng.randint(1955, 2022),
                status=status,
                list_price=int(price * rng.uniform(0.98, 1.05)),
                sold_price=int(price) if sold else None,
                sold_date=today - timedelta(days=rng.randint(5, 330)) if sold else None,
            )
        )
        home = homes[-1]
        home.features, home.description = _features(i, beds, city, home.property_type)
    return homes


def _early_stage_and_close(i: int, stage: str, today: date) -> tuple[str, date | None]:
    """Spread the open deals over the whole pipeline and give those under contract their
    closing date, from their own generator (every other demo value stays as it was)."""
    rng = random.Random(SEED * 7 + i)  # noqa: S311 - reproducible demo data
    if stage == Deal.Stage.ACTIVE:
        stage = rng.choice([Deal.Stage.LEAD, Deal.Stage.APPOINTMENT, Deal.Stage.ACTIVE])
    if stage == Deal.Stage.UNDER_CONTRACT:
        return stage, today + timedelta(days=rng.randint(7, 45))
    return stage, None


def _at(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(
        datetime.combine(day, time(hour, minute)), timezone.get_default_timezone()
    )


@transaction.atomic
def load_demo_data(*, now: datetime | None = None, password: str) -> DemoSummary:
    """Create the demo data set and the demo login; rows that already exist are left alone."""
    now = now or timezone.now()
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not secrets
    location = settings.GHL_LOCATION_ID

    homes = _properties(rng, now.date())
    existing_mls = set(
        Property.objects.filter(mls_id__startswith="DEMO-").values_list("mls_id", flat=True)
    )
    new_homes = [h for h in homes if h.mls_id not in existing_mls]
    taken: set[str] = set()
    for home in new_homes:
        home.slug = slug_for(address=home.address, city=home.city, taken=taken)
        taken.add(home.slug)
    # Seeding alerts nobody: bulk_create skips the service that would alert buyers.
    Property.objects.bulk_create(new_homes)

    existing_contacts = set(
        Contact.objects.filter(
            ghl_location_id=location, ghl_contact_id__startswith="demo-"
        ).values_list("ghl_contact_id", flat=True)
    )
    counts = {"contacts": 0, "conversations": 0, "messages": 0, "deals": 0}
    for i in range(CONTACT_COUNT):
        # Draw every value even for existing contacts so later contacts stay identical.
        spanish = rng.random() < 0.38
        first = rng.choice(FIRST_ES if spanish else FIRST_EN)
        last = rng.choice(LAST_ES if spanish else LAST_EN)
        city, *_ = rng.choice(CITIES)
        intent = rng.choices(
            [Intent.BUYER, Intent.SELLER, Intent.BOTH, Intent.UNKNOWN], [5, 3, 1, 1]
        )[0]
        months = rng.choice(list(TIMELINE_BY_MONTHS))
        budget = rng.randrange(350, 950, 25)
        pre_approved = rng.random() < 0.45 if intent in (Intent.BUYER, Intent.BOTH) else None
        score = rng.randint(5, 98)
        created = now - timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 1440))
        turns = rng.randint(1, 4)
        stage = rng.choice(list(Conversation.Stage.values))
        deal_roll = rng.random()
        ghl_id = f"demo-contact-{i + 1:04d}"
        if ghl_id in existing_contacts:
            continue

        contact = Contact.objects.create(
            ghl_contact_id=ghl_id,
            ghl_location_id=location,
            first_name=first,
            last_name=last,
            phone=demo_phone(f"+1{rng.choice(['909', '951'])}555{i + 1:04d}"),
            email=f"{first.lower()}.{last.lower()}{i + 1}@example.com".encode(
                "ascii", "ignore"
            ).decode(),
            source=rng.choice(SOURCES),
            tags=["demo", intent],
            timezone="America/Los_Angeles",
            language="es" if spanish else "en",
            intent=intent,
            timeline=TIMELINE_BY_MONTHS[months],
            budget_max=budget * 1000 if intent in (Intent.BUYER, Intent.BOTH) else None,
            pre_approved=pre_approved,
            area=city,
            score=score,
            temperature=Temperature.HOT
            if score >= 70
            else Temperature.WARM
            if score >= 40
            else Temperature.COLD,
            score_reasons=["Demo data"],
            created_at=created,
        )
        counts["contacts"] += 1
        if intent in (Intent.BUYER, Intent.BOTH):
            BuyerProfile.objects.create(
                contact=contact, cities=[city], beds_min=3, must_haves="Yard"
            )

        bot = {"buyer": "buyer", "seller": "seller", "both": "seller"}.get(intent, "lead")
        conversation = Conversation.objects.create(
            contact=contact,
            ghl_conversation_id=f"demo-conv-{i + 1:04d}",
            bot=bot,
            stage=stage,
            status=Conversation.Status.CLOSED
            if stage == Conversation.Stage.CLOSED
            else Conversation.Status.ACTIVE,
            first_response_seconds=round(rng.uniform(2.0, 14.0), 1),
            created_at=created,
        )
        counts["conversations"] += 1

        script = SCRIPTS[
            ("seller" if intent in (Intent.SELLER, Intent.BOTH) else "buyer", contact.language)
        ]
        words = {
            "city": city,
            "name": first,
            "months": months,
            "budget": budget,
            "address": f"{rng.randint(100, 9999)} {rng.choice(STREETS)}, {city}",
        }
        at = created
        messages = []
        for lead_text, bot_text in script[:turns]:
            messages.append(
                Message(
                    conversation=conversation,
                    direction=Message.Direction.INBOUND,
                    sender=Message.Sender.CONTACT,
                    status=Message.Status.RECEIVED,
                    body=lead_text.format(**words),
                    sent_at=at,
                    created_at=at,
                    # Answered (the bot's reply follows): no turn is waiting for it.
                    turn_started_at=at,
                    handled_at=at,
                    turn_outcome=Message.TurnOutcome.REPLIED,
                )
            )
            at += timedelta(seconds=rng.randint(3, 12))
            messages.append(
                Message(
                    conversation=conversation,
                    direction=Message.Direction.OUTBOUND,
                    sender=Message.Sender.BOT,
                    status=Message.Status.DELIVERED,
                    body=bot_text.format(**words),
                    sent_at=at,
                    created_at=at,
                    ai_metadata={"engine": "offline"},
                )
            )
            at += timedelta(minutes=rng.randint(2, 600))
        Message.objects.bulk_create(messages)
        counts["messages"] += len(messages)
        conversation.last_inbound_at = messages[-2].sent_at
        conversation.last_outbound_at = messages[-1].sent_at
        conversation.save(update_fields=["last_inbound_at", "last_outbound_at"])

        if intent != Intent.UNKNOWN and deal_roll < 0.16:
            stage_choice = (
                Deal.Stage.CLOSED_WON
                if deal_roll < 0.07
                else Deal.Stage.UNDER_CONTRACT
                if deal_roll < 0.11
                else Deal.Stage.ACTIVE
            )
            stage_choice, expected_close = _early_stage_and_close(i, stage_choice, now.date())
            value = budget * 1000 if intent == Intent.BUYER else rng.randrange(450, 900, 5) * 1000
            Deal.objects.create(
                contact=contact,
                name=f"{contact.full_name} – {'purchase' if intent == Intent.BUYER else 'listing'}",
                side=Deal.Side.BUY if intent == Intent.BUYER else Deal.Side.SELL,
                stage=stage_choice,
                property_address=words["address"] if intent != Intent.BUYER else "",
                value=value,  # its commission follows the business rules (analytics.rules)
                expected_close_on=expected_close,
                closed_at=_at(now.date() - timedelta(days=rng.randint(1, 90)), 12, 0)
                if stage_choice == Deal.Stage.CLOSED_WON
                else None,
                created_at=created,
            )
            counts["deals"] += 1

    user, _ = get_user_model().objects.get_or_create(
        username=DEMO_USERNAME, defaults={"first_name": "Jorge", "email": "jorge@example.com"}
    )
    user.is_staff = True
    user.is_superuser = True
    user.set_password(password)
    user.save()

    return DemoSummary(
        properties_created=len(new_homes),
        contacts_created=counts["contacts"],
        conversations_created=counts["conversations"],
        messages_created=counts["messages"],
        deals_created=counts["deals"],
        username=DEMO_USERNAME,
        password=password,
    )
