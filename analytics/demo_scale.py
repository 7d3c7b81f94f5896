"""Bulk demo data at a chosen size (``seed_demo --contacts 10000 --messages 100000``), to see
and measure the dashboard and the back office at the size of a busy year.

Deterministic (every contact from its own seeded generator, keyed ``scale-…``), written with
``bulk_create`` in batches, and true to the models' invariants: each conversation's
``first_response_seconds`` and last inbound/outbound times are those of its messages, every
inbound message's turn is settled (none waits for the bots), temperatures follow scores,
resolved tickets have their times and notes, opted-out contacts their opt-out time.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics.demo import (
    CITIES,
    FIRST_EN,
    FIRST_ES,
    LAST_EN,
    LAST_ES,
    SOURCES,
    STREETS,
    demo_phone,
)
from analytics.services import compact_lead_tallies
from buyers.models import BuyerProfile
from compliance.models import ComplianceTicket, TicketStatus
from leads.models import (
    Contact,
    Conversation,
    Deal,
    EscalationTicket,
    Intent,
    Language,
    Message,
    Temperature,
    Timeline,
)

SEED = 20261205
PREFIX = "scale-"
BATCH = 500  # contacts per batch (about 5,000 messages): bounded memory, few round trips
HISTORY_DAYS = 365
MAX_MESSAGES_PER_CONVERSATION = 600  # a few long threads, past the conversation page's limit
# Area codes of the Inland Empire and around, none used by the demo's history (909/951 555)
# or recent activity (714-555-03xx); the exchange is never 555.
AREA_CODES = ["909", "951", "760", "626", "562", "714", "949", "619"]

INBOUND = {
    ("buyer", "en"): [
        "Hi, I saw a listing in {city} and I'm looking to buy.",
        "We're pre-approved up to {budget}k, is that enough for {city}?",
        "Do you have anything with a pool near {city}?",
        "Can we see the house on {street} this weekend?",
        "What are the HOA fees on that one?",
        "We need at least 3 bedrooms, ideally a big yard.",
        "Thanks, we'll talk it over and get back to you.",
        "Is the price negotiable?",
    ],
    ("buyer", "es"): [
        "Hola, busco casa en {city}.",
        "Estoy preaprobado por {budget} mil, ¿alcanza para {city}?",
        "¿Tiene algo con alberca cerca de {city}?",
        "¿Podemos ver la casa de {street} el sábado?",
        "Necesitamos tres recámaras por lo menos.",
        "Gracias, lo platicamos y le aviso.",
    ],
    ("seller", "en"): [
        "Hi, I'm thinking about selling my house in {city}.",
        "It's at {number} {street}, {city}.",
        "What do you think it would sell for right now?",
        "We need more space, the family is growing.",
        "Can you send me the market analysis?",
        "We'd like to list in the spring if the numbers work.",
    ],
    ("seller", "es"): [
        "Hola, quiero vender mi casa en {city}.",
        "Está en {number} {street}, {city}.",
        "¿En cuánto cree que se vendería?",
        "Nos vamos a mudar más cerca del trabajo.",
        "¿Me manda el análisis de mercado?",
    ],
}
OUTBOUND = {
    "en": [
        "Hi {name}! This is Jorge's assistant. Happy to help in {city}.",
        "Got it. When are you hoping to move?",
        "Great, that helps a lot. How many bedrooms do you need?",
        "I'll pass this to Jorge so he can send you homes that fit.",
        "Jorge can put together a free market analysis of your home. Want me to send it?",
        "Would a quick call with Jorge tomorrow work?",
        "Thanks {name}, talk soon!",
    ],
    "es": [
        "¡Hola {name}! Soy el asistente de Jorge. Con gusto le ayudo en {city}.",
        "Entendido. ¿Para cuándo piensa mudarse?",
        "Excelente. ¿Cuántas recámaras necesita?",
        "Le paso esto a Jorge para que le mande casas que le queden.",
        "Jorge le puede preparar un análisis de mercado gratis. ¿Se lo mando?",
        "¿Le parece una llamada con Jorge mañana?",
        "¡Gracias {name}, hablamos pronto!",
    ],
}
TIMELINES = [
    (Timeline.ASAP, 2),
    (Timeline.ONE_TO_THREE, 4),
    (Timeline.THREE_TO_SIX, 4),
    (Timeline.SIX_TO_TWELVE, 3),
    (Timeline.TWELVE_PLUS, 2),
    (Timeline.UNKNOWN, 3),
]
STAGES = [
    (Conversation.Stage.NEW, 2),
    (Conversation.Stage.QUALIFYING, 5),
    (Conversation.Stage.QUALIFIED, 3),
    (Conversation.Stage.NURTURE, 6),
    (Conversation.Stage.APPOINTMENT, 2),
    (Conversation.Stage.HANDED_OFF, 1),
    (Conversation.Stage.CLOSED, 3),
]


@dataclass
class ScaleSummary:
    contacts: int
    conversations: int
    messages: int
    deals: int
    tickets: int


def _pick(rng: random.Random, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def _temperature(score: int) -> str:
    if score >= 70:
        return Temperature.HOT
    return Temperature.WARM if score >= 40 else Temperature.COLD


def _message_counts(total: int, contacts: int) -> list[int]:
    """How many messages each contact's conversation has: most a handful, a few hundreds,
    summing to ``total`` exactly (at least one each)."""
    if contacts == 0:
        return []
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data
    weights = [rng.lognormvariate(0, 1.1) for _ in range(contacts)]
    scale = max(total - contacts, 0) / sum(weights)
    counts = [min(1 + int(w * scale), MAX_MESSAGES_PER_CONVERSATION) for w in weights]
    # Hand out (or take back) what rounding and the cap left, in a fixed order.
    missing, i = total - sum(counts), 0
    while missing and any(c < MAX_MESSAGES_PER_CONVERSATION for c in counts):
        step = 1 if missing > 0 else -1
        j = i % contacts
        if (step > 0 and counts[j] < MAX_MESSAGES_PER_CONVERSATION) or (step < 0 and counts[j] > 1):
            counts[j] += step
            missing -= step
        i += 1
    return counts


def load_scale_data(*, contacts: int, messages: int, now: datetime | None = None) -> ScaleSummary:
    """Add ``scale-`` contacts until the database holds ``contacts`` contacts, with
    conversations holding ``messages`` messages between them (on top of what is there: the
    demo). Contacts already added are left alone, so running it twice adds nothing."""
    now = now or timezone.now()
    others = Contact.objects.exclude(ghl_contact_id__startswith=PREFIX).count()
    other_messages = Message.objects.exclude(
        conversation__contact__ghl_contact_id__startswith=PREFIX
    ).count()
    wanted = max(contacts - others, 0)
    counts = _message_counts(max(messages - other_messages, wanted), wanted)
    existing = set(
        Contact.objects.filter(ghl_contact_id__startswith=PREFIX).values_list(
            "ghl_contact_id", flat=True
        )
    )
    summary = ScaleSummary(0, 0, 0, 0, 0)
    todo = [i for i in range(wanted) if _contact_id(i) not in existing]
    for start in range(0, len(todo), BATCH):
        _load_batch(todo[start : start + BATCH], counts, now, summary)
    if todo:
        compact_lead_tallies()  # five journal rows per new lead, folded before ANALYZE
        _refresh_planner_statistics()
    return summary


def _refresh_planner_statistics() -> None:
    # A bulk load leaves the planner's statistics describing the tables before it (PostgreSQL's
    # autovacuum catches up later; SQLite keeps none until asked), and it then picks plans for
    # a small table. What a running database has, refreshed now.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _contact_id(i: int) -> str:
    return f"{PREFIX}contact-{i + 1:05d}"


@transaction.atomic
def _load_batch(indexes: list[int], counts: list[int], now: datetime, summary: ScaleSummary):
    people = [_person(i, counts[i], now) for i in indexes]
    Contact.objects.bulk_create([p.contact for p in people], batch_size=BATCH)
    for p in people:
        p.conversation.contact = p.contact
    Conversation.objects.bulk_create([p.conversation for p in people], batch_size=BATCH)
    thread = []
    for p in people:
        for message in p.messages:
            message.conversation = p.conversation
        thread += p.messages
    Message.objects.bulk_create(thread, batch_size=2000)
    BuyerProfile.objects.bulk_create(
        [
            BuyerProfile(
                contact=p.contact,
                cities=[p.contact.area],
                beds_min=3,
                must_haves="Yard",
                temperature=p.contact.temperature,
            )
            for p in people
            if p.contact.intent in (Intent.BUYER, Intent.BOTH)
        ],
        batch_size=BATCH,
    )
    deals = [d for p in people for d in p.deals(now)]
    Deal.objects.bulk_create(deals, batch_size=BATCH)
    escalations = [t for p in people for t in p.escalations(now)]
    EscalationTicket.objects.bulk_create(escalations, batch_size=BATCH)
    compliance = [t for p in people for t in p.compliance(now)]
    ComplianceTicket.objects.bulk_create(compliance, batch_size=BATCH)
    summary.contacts += len(people)
    summary.conversations += len(people)
    summary.messages += len(thread)
    summary.deals += len(deals)
    summary.tickets += len(escalations) + len(compliance)


class _Person:
    """One generated lead: contact, conversation and messages, from the lead's own generator."""

    def __init__(self, i: int, message_count: int, now: datetime):
        rng = self.rng = random.Random(SEED * 100_000 + i)  # noqa: S311 - reproducible demo data
        spanish = rng.random() < 0.38
        language = Language.SPANISH if spanish else Language.ENGLISH
        first = rng.choice(FIRST_ES if spanish else FIRST_EN)
        last = rng.choice(LAST_ES if spanish else LAST_EN)
        city = rng.choice(CITIES)[0]
        intent = _pick(
            rng, [(Intent.BUYER, 5), (Intent.SELLER, 3), (Intent.BOTH, 1), (Intent.UNKNOWN, 1)]
        )
        score = min(100, max(0, int(rng.gauss(45, 22))))
        budget = rng.randrange(250, 1400, 25)
        # More leads lately than a year ago: a growing business.
        age = timedelta(days=HISTORY_DAYS * rng.random() ** 1.6, seconds=rng.randint(0, 86399))
        created = now - age
        opted_out = rng.random() < 0.03
        area_code = AREA_CODES[i % len(AREA_CODES)]
        exchange = 200 + (i // 10_000) % 355  # 200–554: never the demo's 555
        self.contact = Contact(
            ghl_contact_id=_contact_id(i),
            ghl_location_id=settings.GHL_LOCATION_ID,
            first_name=first,
            last_name=last,
            phone=demo_phone(f"+1{area_code}{exchange}{i % 10_000:04d}"),
            email=f"{first.lower()}.{last.lower()}.{i + 1}@example.com".encode(
                "ascii", "ignore"
            ).decode(),
            source=rng.choice(SOURCES),
            tags=["demo", "scale", intent],
            timezone="America/Los_Angeles",
            language=language,
            intent=intent,
            timeline=_pick(rng, TIMELINES),
            budget_min=(budget - 100) * 1000 if intent == Intent.BUYER and budget > 350 else None,
            budget_max=budget * 1000 if intent in (Intent.BUYER, Intent.BOTH) else None,
            pre_approved=rng.random() < 0.45 if intent in (Intent.BUYER, Intent.BOTH) else None,
            area=city,
            score=score,
            temperature=_temperature(score),
            score_reasons=["Demo data (scale)"],
            opted_out=opted_out,
            opted_out_at=created + timedelta(days=1) if opted_out else None,
            opted_out_reason="Texted STOP" if opted_out else "",
            created_at=created,
        )
        stage = _pick(rng, STAGES)
        status = Conversation.Status.ACTIVE
        if opted_out:
            status = Conversation.Status.OPTED_OUT
        elif stage == Conversation.Stage.CLOSED:
            status = Conversation.Status.CLOSED
        elif rng.random() < 0.01:
            status = Conversation.Status.PAUSED
        # A paused conversation is a person's: about half wait on an open escalation ticket.
        self.open_escalation = status == Conversation.Status.PAUSED and rng.random() < 0.5
        self.conversation = Conversation(
            ghl_conversation_id=f"{PREFIX}conv-{i + 1:05d}",
            bot={"buyer": "buyer", "seller": "seller", "both": "seller"}.get(intent, "lead"),
            stage=stage,
            status=status,
            needs_human_review=self.open_escalation,
            created_at=created,
        )
        self.messages = self._thread(i, message_count, created, now, language, first, city)
        inbound = [m for m in self.messages if m.direction == Message.Direction.INBOUND]
        outbound = [m for m in self.messages if m.direction == Message.Direction.OUTBOUND]
        self.conversation.last_inbound_at = inbound[-1].sent_at if inbound else None
        self.conversation.last_outbound_at = outbound[-1].sent_at if outbound else None
        if inbound and outbound:
            first_reply = outbound[0].sent_at - inbound[0].sent_at
            self.conversation.first_response_seconds = round(first_reply.total_seconds(), 1)

    def _thread(self, i, count, created, now, language, name, city) -> list[Message]:
        """``count`` messages from ``created``: the lead writes, the bot answers in seconds
        (now and then minutes: a miss of the five-minute rule), the next message comes minutes
        to days later; never after ``now``."""
        rng = self.rng
        side = "buyer" if self.contact.intent in (Intent.BUYER, Intent.UNKNOWN) else "seller"
        words = {
            "city": city,
            "name": name,
            "budget": (self.contact.budget_max or 500_000) // 1000,
            "street": rng.choice(STREETS),
            "number": rng.randint(100, 19999),
        }
        span = max((now - created).total_seconds() - 60, 60)
        gap = span / max(count, 1)
        at = created
        thread = []
        for n in range(count):
            inbound = n % 2 == 0
            if inbound:
                body = rng.choice(INBOUND[(side, language)]).format(**words)
                message = Message(
                    direction=Message.Direction.INBOUND,
                    sender=Message.Sender.CONTACT,
                    status=Message.Status.RECEIVED,
                    turn_started_at=at,
                    handled_at=at,  # settled: no turn waits for it
                    turn_outcome=Message.TurnOutcome.REPLIED,
                )
            else:
                body = rng.choice(OUTBOUND[language]).format(**words)
                message = Message(
                    direction=Message.Direction.OUTBOUND,
                    sender=Message.Sender.BOT,
                    status=Message.Status.DELIVERED,
                    ai_metadata={"engine": "offline"},
                )
            message.body = body
            message.sent_at = message.created_at = at
            message.ghl_message_id = f"{PREFIX}msg-{i + 1:05d}-{n + 1:03d}"
            thread.append(message)
            if inbound:  # the reply
                slow = rng.random() < 0.06
                at += timedelta(seconds=rng.uniform(300, 1800) if slow else rng.uniform(2, 25))
            else:  # the lead's next message
                at += timedelta(seconds=rng.uniform(0.2, 1.8) * gap)
            at = min(at, now - timedelta(seconds=count - n))
        return thread

    def deals(self, now: datetime) -> list[Deal]:
        rng, contact = self.rng, self.contact
        if contact.intent == Intent.UNKNOWN or rng.random() >= 0.08:
            return []
        stage = _pick(
            rng,
            [
                (Deal.Stage.LEAD, 3),
                (Deal.Stage.APPOINTMENT, 2),
                (Deal.Stage.ACTIVE, 3),
                (Deal.Stage.UNDER_CONTRACT, 1),
                (Deal.Stage.CLOSED_WON, 2),
                (Deal.Stage.CLOSED_LOST, 1),
            ],
        )
        buying = contact.intent == Intent.BUYER
        closed = stage in (Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST)
        return [
            Deal(
                contact=contact,
                ghl_opportunity_id=f"{PREFIX}opp-{contact.ghl_contact_id.rsplit('-', 1)[1]}",
                name=f"{contact.full_name} – {'purchase' if buying else 'listing'}",
                side=Deal.Side.BUY if buying else Deal.Side.SELL,
                stage=stage,
                property_address="" if buying else f"{rng.randint(100, 19999)} {contact.area}",
                value=(contact.budget_max or rng.randrange(450, 1200, 5) * 1000),
                expected_close_on=(now + timedelta(days=rng.randint(7, 60))).date()
                if stage == Deal.Stage.UNDER_CONTRACT
                else None,
                closed_at=max(contact.created_at, now - timedelta(days=rng.randint(1, 300)))
                if closed
                else None,
                created_at=contact.created_at,
            )
        ]

    def escalations(self, now: datetime) -> list[EscalationTicket]:
        rng = self.rng
        resolved = not self.open_escalation and rng.random() < 0.02
        if not (self.open_escalation or resolved):
            return []
        reason = rng.choice(
            [
                EscalationTicket.Reason.ASKED_FOR_PERSON,
                EscalationTicket.Reason.ANGER_OR_COMPLAINT,
                EscalationTicket.Reason.MISSED_FIRST_REPLY,
            ]
        )
        priority = EscalationTicket.DEFAULT_PRIORITY[reason]
        opened = self.conversation.last_inbound_at or self.conversation.created_at
        return [
            EscalationTicket(
                conversation=self.conversation,
                contact=self.contact,
                reason=reason,
                summary=EscalationTicket.Reason(reason).label,
                priority=priority,
                status=TicketStatus.RESOLVED if resolved else TicketStatus.OPEN,
                due_at=opened + EscalationTicket.SLA[priority],
                notify_at=opened,
                notified_at=opened,
                resolved_at=opened + timedelta(hours=2) if resolved else None,
                resolution_note="Called the lead back." if resolved else "",
                created_at=opened,
            )
        ]

    def compliance(self, now: datetime) -> list[ComplianceTicket]:
        rng = self.rng
        if rng.random() >= 0.006 or not self.messages:
            return []
        resolved = rng.random() < 0.8
        flagged = self.messages[0]
        return [
            ComplianceTicket(
                type=ComplianceTicket.Type.PRIVACY,
                category="ssn",
                severity=ComplianceTicket.Severity.HIGH,
                direction=ComplianceTicket.Direction.INBOUND,
                evidence="My SSN is [redacted]",
                message=flagged,
                conversation=self.conversation,
                contact=self.contact,
                status=TicketStatus.RESOLVED if resolved else TicketStatus.OPEN,
                resolution_note="Privacy notice sent; number removed." if resolved else "",
                resolved_at=flagged.sent_at + timedelta(hours=3) if resolved else None,
                created_at=flagged.sent_at,
                due_at=flagged.sent_at + timedelta(hours=4),
            )
        ]


def _person(i: int, message_count: int, now: datetime) -> _Person:
    return _Person(i, message_count, now)
