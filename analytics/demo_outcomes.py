"""Past leads whose story is over: the history the learned lead score trains on.

``load_demo_outcomes`` adds ``PAST_LEADS`` leads from 17 to 30 months ago, each with its
conversation and an outcome: a deal won, a deal lost, or no deal (they went cold). The
outcome comes from a hidden propensity, not from the rules (docs/lead-scoring.md, "The demo's
outcomes"):

    z = -1.6 + 1.1·engagement + source effect + 0.4·urgency + 0.35·pre-approved + noise
    P(won) = 1 / (1 + e^-z); otherwise a deal lost (40%) or gone cold (60%)

``engagement`` is a hidden trait per lead (standard normal) that shows only through how the
lead writes: how many messages, how fast they answer, how many of the bot's nudges they
ignore, how much they say. The source effect is one the rules never look at. Urgency
(timeline) and pre-approval, which the rules do score, weigh little, and a lead who writes
little never states them. Every value comes from a generator seeded per lead, so the data is
the same on every machine and loading it twice adds nothing.
"""

import math
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.demo import (
    CITIES,
    FIRST_EN,
    FIRST_ES,
    LAST_EN,
    LAST_ES,
    SCRIPTS,
    SEED,
    STREETS,
    TIMELINE_BY_MONTHS,
)
from leads.intelligence.schema import Budget
from leads.intelligence.scoring import score_lead
from leads.models import Contact, Conversation, Deal, Intent, Message, Timeline

PAST_LEADS = 480
ID_PREFIX = "demo-past-"
# What a lead's source says about them that the rules do not see (log-odds).
SOURCE_EFFECT = {
    "Referral": 1.0,
    "Open house": 0.5,
    "Website form": 0.2,
    "Realtor.com": 0.0,
    "Zillow": -0.3,
    "Facebook ad": -0.8,
}
URGENCY = {
    Timeline.ASAP: 1.0,
    Timeline.ONE_TO_THREE: 0.6,
    Timeline.THREE_TO_SIX: 0.3,
    Timeline.SIX_TO_TWELVE: 0.1,
}
MORE_FROM_LEAD = {
    "en": [
        "Thanks! Any new ones this week?",
        "Can we see a couple this weekend?",
        "Sounds good, talk soon.",
        "My wife wants to see the one on {street} too.",
    ],
    "es": [
        "¡Gracias! ¿Hay nuevas esta semana?",
        "¿Podemos ver un par este fin de semana?",
        "Está bien, hablamos pronto.",
        "Mi esposa quiere ver la de {street} también.",
    ],
}
DETAIL = {
    "en": " We have two kids and a dog, so a yard and a good school matter a lot to us.",
    "es": " Tenemos dos niños y un perro, así que nos importa el patio y una buena escuela.",
}
MORE_FROM_BOT = {
    "en": "Happy to help, {name}. I'll let Jorge know.",
    "es": "Con gusto, {name}. Le aviso a Jorge.",
}
NUDGE = {
    "en": "Hi {name}, just checking in: still thinking about {city}?",
    "es": "Hola {name}, solo para saludar: ¿sigue pensando en {city}?",
}


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _past_lead(i: int, now: datetime) -> dict:
    """One past lead, its conversation and outcome, from its own seeded generator."""
    rng = random.Random(SEED * 31 + i)  # noqa: S311 - reproducible demo data
    spanish = rng.random() < 0.38
    language = "es" if spanish else "en"
    first = rng.choice(FIRST_ES if spanish else FIRST_EN)
    last = rng.choice(LAST_ES if spanish else LAST_EN)
    city = rng.choice(CITIES)[0]
    intent = rng.choices([Intent.BUYER, Intent.SELLER, Intent.BOTH, Intent.UNKNOWN], [5, 3, 1, 1])[
        0
    ]
    source = rng.choice(list(SOURCE_EFFECT))
    months = rng.choice(list(TIMELINE_BY_MONTHS))
    budget = rng.randrange(350, 950, 25)
    buying = intent in (Intent.BUYER, Intent.BOTH)
    pre_approved = rng.random() < 0.45 if buying else None

    engagement = rng.gauss(0, 1)  # hidden: seen only through how the lead writes
    lead_messages = max(1, min(8, round(2.5 + 1.5 * engagement + rng.gauss(0, 0.8))))
    nudges_ignored = max(0, round(1.0 - 0.9 * engagement + rng.gauss(0, 0.7)))
    reply_minutes = [
        math.exp(3.2 - 0.9 * engagement + rng.gauss(0, 0.8)) for _ in range(lead_messages)
    ]
    adds_detail = rng.random() < 0.3 + 0.2 * engagement

    # What the lead said is all that is known: a lead who writes little never says when or how
    # much (as the bots learn it, turn by turn).
    timeline = TIMELINE_BY_MONTHS[months] if lead_messages >= 2 else Timeline.UNKNOWN
    budget_max = budget * 1000 if buying and lead_messages >= 3 else None
    pre_approved = pre_approved if lead_messages >= 3 else None

    z = (
        -1.6
        + 1.1 * engagement
        + SOURCE_EFFECT[source]
        + 0.4 * URGENCY.get(timeline, 0.0)
        + 0.35 * bool(pre_approved)
        + rng.gauss(0, 0.7)
    )
    won = rng.random() < _sigmoid(z)
    outcome = "won" if won else "lost" if rng.random() < 0.4 else "cold"

    created = now - timedelta(days=rng.randint(500, 900), minutes=rng.randint(0, 1440))
    script = SCRIPTS[("seller" if intent in (Intent.SELLER, Intent.BOTH) else "buyer", language)]
    words = {
        "city": city,
        "name": first,
        "months": months,
        "budget": budget,
        "address": f"{rng.randint(100, 9999)} {rng.choice(STREETS)}, {city}",
        "street": rng.choice(STREETS),
    }
    turns = []  # (direction, text, minutes after the previous message)
    nudge_at = {rng.randrange(lead_messages) for _ in range(nudges_ignored)}
    for n in range(lead_messages):
        if n < len(script):
            lead_text, bot_text = script[n]
        else:
            lead_text = MORE_FROM_LEAD[language][n % len(MORE_FROM_LEAD[language])]
            bot_text = MORE_FROM_BOT[language]
        if n == 0 and adds_detail:
            lead_text += DETAIL[language]
        if n > 0 and n in nudge_at:  # the bot nudged and the lead did not answer that one
            turns.append(("outbound", NUDGE[language], reply_minutes[n] * 2))
        turns.append(("inbound", lead_text, reply_minutes[n] if n else 0))
        turns.append(("outbound", bot_text, rng.uniform(0.1, 0.3)))
    if 0 in nudge_at or outcome == "cold":  # a last nudge nobody answered
        turns.append(("outbound", NUDGE[language], 60 * 24 * rng.randint(2, 5)))

    score, temperature, reasons = score_lead(
        intent=intent,
        timeline=timeline,
        budget=Budget(max=budget_max),
        pre_approved=pre_approved,
        area=city,
    )
    return {
        "i": i,
        "rng": rng,
        "first": first,
        "last": last,
        "language": language,
        "city": city,
        "intent": intent,
        "source": source,
        "timeline": timeline,
        "budget_max": budget_max,
        "pre_approved": pre_approved,
        "score": score,
        "temperature": temperature,
        "reasons": reasons,
        "created": created,
        "turns": [(d, t.format(**words), m) for d, t, m in turns],
        "outcome": outcome,
        "value": budget * 1000 if buying else rng.randrange(450, 900, 5) * 1000,
        "address": words["address"],
    }


@transaction.atomic
def load_demo_outcomes(*, now: datetime | None = None) -> int:
    """Add the past leads and their outcomes (those already there are left alone); returns
    how many were created."""
    now = now or timezone.now()
    existing = set(
        Contact.objects.filter(ghl_contact_id__startswith=ID_PREFIX).values_list(
            "ghl_contact_id", flat=True
        )
    )
    leads = [
        lead
        for lead in (_past_lead(i, now) for i in range(PAST_LEADS))
        if f"{ID_PREFIX}{lead['i'] + 1:04d}" not in existing
    ]
    if not leads:
        return 0
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                ghl_contact_id=f"{ID_PREFIX}{lead['i'] + 1:04d}",
                ghl_location_id=settings.GHL_LOCATION_ID,
                first_name=lead["first"],
                last_name=lead["last"],
                # 626-555-xxxx: apart from the demo's other numbers and the README's.
                phone=f"+1626555{lead['i'] + 1:04d}",
                source=lead["source"],
                tags=["demo", "past"],
                timezone="America/Los_Angeles",
                language=lead["language"],
                intent=lead["intent"],
                timeline=lead["timeline"],
                budget_max=lead["budget_max"],
                pre_approved=lead["pre_approved"],
                area=lead["city"],
                score=lead["score"],
                temperature=lead["temperature"],
                score_reasons=lead["reasons"],
                created_at=lead["created"],
            )
            for lead in leads
        ]
    )
    conversations = Conversation.objects.bulk_create(
        [
            Conversation(
                contact=contact,
                ghl_conversation_id=f"demo-past-conv-{lead['i'] + 1:04d}",
                bot={"buyer": "buyer", "seller": "seller", "both": "seller"}.get(
                    lead["intent"], "lead"
                ),
                stage=Conversation.Stage.CLOSED,
                status=Conversation.Status.CLOSED,
                first_response_seconds=round(lead["rng"].uniform(2.0, 14.0), 1),
                created_at=lead["created"],
            )
            for lead, contact in zip(leads, contacts, strict=True)
        ]
    )
    messages, deals = [], []
    for lead, contact, conversation in zip(leads, contacts, conversations, strict=True):
        at = lead["created"]
        for direction, text, minutes in lead["turns"]:
            at += timedelta(minutes=minutes)
            inbound = direction == "inbound"
            messages.append(
                Message(
                    conversation=conversation,
                    direction=direction,
                    sender=Message.Sender.CONTACT if inbound else Message.Sender.BOT,
                    status=Message.Status.RECEIVED if inbound else Message.Status.DELIVERED,
                    body=text,
                    sent_at=at,
                    created_at=at,
                    turn_started_at=at if inbound else None,
                    handled_at=at if inbound else None,
                    turn_outcome=Message.TurnOutcome.REPLIED if inbound else "",
                    ai_metadata={} if inbound else {"engine": "offline"},
                )
            )
            if inbound:
                conversation.last_inbound_at = at
            else:
                conversation.last_outbound_at = at
        if lead["outcome"] in ("won", "lost"):
            closed_at = at + timedelta(days=lead["rng"].randint(20, 75))
            deals.append(
                Deal(
                    contact=contact,
                    name=f"{contact.full_name} – "
                    f"{'purchase' if lead['intent'] == Intent.BUYER else 'listing'}",
                    side=Deal.Side.BUY if lead["intent"] == Intent.BUYER else Deal.Side.SELL,
                    stage=Deal.Stage.CLOSED_WON
                    if lead["outcome"] == "won"
                    else Deal.Stage.CLOSED_LOST,
                    property_address=lead["address"] if lead["intent"] != Intent.BUYER else "",
                    value=lead["value"],
                    closed_at=closed_at,
                    created_at=lead["created"] + timedelta(days=1),
                    updated_at=closed_at,
                )
            )
    Message.objects.bulk_create(messages, batch_size=1000)
    Conversation.objects.bulk_update(
        conversations, ["last_inbound_at", "last_outbound_at"], batch_size=500
    )
    Deal.objects.bulk_create(deals)
    return len(leads)
