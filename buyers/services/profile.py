"""The buyer profile: answers, questions, temperature, and what a hot buyer sets off.

Every function here runs inside the pipeline's turn transaction, under the locks it already
holds (contact, then conversation, then the profile row), audits in the same transaction and
leaves outside calls to after the commit. The rules are written out in docs/bots.md ("The
buyer bot").
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from analytics.services import broadcast_dashboard_event
from buyers.extraction import BuyerAnswers, extract_buyer_answers
from buyers.models import BuyerProfile
from compliance.models import AuditEvent
from compliance.services import audit
from leads.models import Contact, Conversation, Temperature, Timeline
from leads.services.qualification import record_lead_answers

BOT = AuditEvent.Actor.BOT
Stage = BuyerProfile.Stage
PreApproval = BuyerProfile.PreApproval

# The questions in the order the bot asks them; QUALIFIED follows the last one.
QUESTIONS = (
    Stage.FINANCING,
    Stage.PREAPPROVAL_DETAILS,
    Stage.BUDGET,
    Stage.DOWN_PAYMENT,
    Stage.AREAS,
    Stage.ROOMS,
    Stage.MUST_HAVES,
    Stage.TIMELINE,
)
# As the columns store them, so a value read back compares equal to the one just written.
CENT, TENTH = Decimal("0.01"), Decimal("0.1")
HOT_TIMELINES = frozenset({Timeline.ASAP, Timeline.ONE_TO_THREE})  # within 90 days
WARM_TIMELINES = HOT_TIMELINES | {Timeline.THREE_TO_SIX}  # within 6 months


def locked_profile(*, contact: Contact, transcript: list[tuple[str, str]] = ()) -> BuyerProfile:
    """The contact's buyer profile, locked for this transaction; created from what is known.

    A new profile starts from the contact's qualification (pre-approval, area) and from what
    the lead wrote before the buyer bot took over (``transcript``), so nothing the lead
    already said is asked again.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked_profile must run inside a transaction")
    profile = BuyerProfile.objects.select_for_update().filter(contact_id=contact.pk).first()
    if profile is not None:
        profile.contact = contact
        return profile
    # The caller holds the contact's row lock, so no one else can be creating it now.
    profile = BuyerProfile(contact=contact)
    profile.cities = [city.strip() for city in contact.area.split(",") if city.strip()]
    for speaker, text in transcript:
        if speaker == "lead":
            _merge(profile, extract_buyer_answers(text))
    if not profile.preapproval_status and profile.cash_buyer is None:
        # What the lead bot learned in context ("yes" to its pre-approval question).
        if contact.pre_approved is True:
            profile.preapproval_status = PreApproval.PRE_APPROVED
        elif contact.pre_approved is False:
            profile.preapproval_status = PreApproval.NOT_YET
    _recalculate_temperature(profile)
    profile.save()
    audit(
        action="buyer.profile_created",
        subject=profile,
        actor=BOT,
        actor_label="buyer_bot",
        data={"from_contact": _financing_view(profile), "cities": profile.cities},
    )
    return profile


# --------------------------------------------------------------------------------------------
# Temperature
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuyerTemperature:
    temperature: str  # hot, warm, cold
    reasons: list[str]


def _money(value: int) -> str:
    return f"${value:,}"


def buyer_temperature(
    *,
    preapproval_status: str,
    cash_buyer: bool | None,
    budget_min: int | None,
    budget_max: int | None,
    timeline: str,
) -> BuyerTemperature:
    """Hot, warm or cold by the rules in docs/bots.md, with the reasons that decided it.

    Hot: pre-approved or paying cash AND a budget AND a timeline within 90 days. Warm: a
    timeline within 6 months, or financially ready with a budget. Cold otherwise.
    """
    reasons: list[str] = []
    ready = bool(cash_buyer) or preapproval_status == PreApproval.PRE_APPROVED
    if cash_buyer:
        reasons.append("paying cash")
    elif preapproval_status == PreApproval.PRE_APPROVED:
        reasons.append("pre-approved")
    elif preapproval_status == PreApproval.PREQUALIFIED:
        reasons.append("pre-qualified only")
    elif preapproval_status == PreApproval.NOT_YET:
        reasons.append("not pre-approved yet")
    else:
        reasons.append("financing unknown")
    has_budget = budget_max is not None or budget_min is not None
    if budget_max is not None:
        low = f"{_money(budget_min)}–" if budget_min else "up to "
        reasons.append(f"budget {low}{_money(budget_max)}")
    elif budget_min is not None:
        reasons.append(f"budget from {_money(budget_min)}")
    else:
        reasons.append("budget unknown")
    if timeline in HOT_TIMELINES:
        reasons.append("timeline within 90 days")
    elif timeline in WARM_TIMELINES:
        reasons.append("timeline within 6 months")
    elif timeline and timeline != Timeline.UNKNOWN:
        reasons.append("timeline over 6 months")
    else:
        reasons.append("timeline unknown")
    if ready and has_budget and timeline in HOT_TIMELINES:
        return BuyerTemperature(Temperature.HOT, reasons)
    if timeline in WARM_TIMELINES or (ready and has_budget):
        return BuyerTemperature(Temperature.WARM, reasons)
    return BuyerTemperature(Temperature.COLD, reasons)


def _recalculate_temperature(profile: BuyerProfile) -> bool:
    """Set the profile's temperature from what is known; True when it changed."""
    contact = profile.contact
    result = buyer_temperature(
        preapproval_status=profile.preapproval_status,
        cash_buyer=profile.cash_buyer,
        budget_min=contact.budget_min,
        budget_max=contact.budget_max,
        timeline=contact.timeline,
    )
    changed = (result.temperature, result.reasons) != (
        profile.temperature,
        profile.temperature_reasons,
    )
    profile.temperature, profile.temperature_reasons = result.temperature, result.reasons
    return changed


# --------------------------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------------------------

_PROFILE_FIELDS = (
    "preapproval_status",
    "preapproval_lender",
    "preapproval_amount",
    "cash_buyer",
    "down_payment_amount",
    "down_payment_percent",
    "cities",
    "beds_min",
    "baths_min",
    "property_types",
    "must_haves",
)
FINANCIAL_FIELDS = (
    "preapproval_status",
    "preapproval_lender",
    "preapproval_amount",
    "cash_buyer",
    "down_payment_amount",
    "down_payment_percent",
)


def _merge(profile: BuyerProfile, answers: BuyerAnswers) -> None:
    """Write ``answers`` onto ``profile`` (unsaved): a new answer replaces the old one, lists
    grow, and nothing said is never an erasure."""
    if answers.preapproval_status:
        profile.preapproval_status = answers.preapproval_status
        if answers.preapproval_status != PreApproval.PRE_APPROVED:
            # "Not yet" after "pre-approved"? The lender and amount no longer describe them.
            profile.preapproval_lender, profile.preapproval_amount = "", None
    if answers.lender:
        profile.preapproval_lender = answers.lender
    if answers.preapproval_amount is not None:
        profile.preapproval_amount = answers.preapproval_amount
    if (answers.lender or answers.preapproval_amount) and not profile.preapproval_status:
        profile.preapproval_status = PreApproval.PRE_APPROVED  # "Chase, 480k" to "which lender?"
    if answers.cash is not None:
        profile.cash_buyer = answers.cash
    if answers.down_payment_amount is not None or answers.down_payment_percent is not None:
        # The latest statement is the down payment, whichever way it was put.
        percent = answers.down_payment_percent
        profile.down_payment_amount = answers.down_payment_amount
        profile.down_payment_percent = None if percent is None else percent.quantize(CENT)
    new_cities = [city for city in answers.cities if city not in profile.cities]
    if new_cities:
        profile.cities = [*profile.cities, *new_cities]
    if answers.beds_min is not None:
        profile.beds_min = answers.beds_min
    if answers.baths_min is not None:
        profile.baths_min = answers.baths_min.quantize(TENTH)
    new_types = [kind for kind in answers.property_types if kind not in profile.property_types]
    if new_types:
        profile.property_types = [*profile.property_types, *new_types]
    wishes = [w for w in profile.must_haves.split(", ") if w] if profile.must_haves else []
    for wish in [
        *answers.must_haves,
        *([answers.must_haves_text] if answers.must_haves_text else []),
    ]:
        if wish.lower() not in {w.lower() for w in wishes}:
            wishes.append(wish)
    profile.must_haves = ", ".join(wishes)


def _financing_view(profile: BuyerProfile) -> bool | None:
    """What ``Contact.pre_approved`` should say, from the buyer profile."""
    if profile.financially_ready:
        return True
    if profile.preapproval_status in (PreApproval.NOT_YET, PreApproval.PREQUALIFIED):
        return False
    return None


def _snapshot(profile: BuyerProfile) -> dict:
    return {name: getattr(profile, name) for name in _PROFILE_FIELDS}


def _jsonable(value):
    return str(value) if isinstance(value, Decimal) else value


def record_buyer_answers(*, profile: BuyerProfile, answers: BuyerAnswers) -> list[str]:
    """Store what the buyer just told us and recalculate the temperature; returns the profile
    fields that changed.

    The contact's ``pre_approved`` follows the profile once it knows (cash counts as ready,
    as in the lead scoring; pre-qualified is not pre-approved). A message carrying an SSN, an
    account or card number, or a redaction marker is never proof of financing: if the lead
    analysis took it for one, the contact goes back to what the profile knows.
    """
    contact = profile.contact
    before = _snapshot(profile)
    _merge(profile, answers)
    after = _snapshot(profile)
    changed = [name for name in _PROFILE_FIELDS if before[name] != after[name]]
    temperature_before = profile.temperature
    temperature_changed = _recalculate_temperature(profile)
    fields = [*changed, *(["temperature", "temperature_reasons"] if temperature_changed else [])]
    if fields:
        profile.save(update_fields=[*fields, "updated_at"])
    if changed or temperature_changed:
        audit(
            action="buyer.answers_recorded",
            subject=profile,
            actor=BOT,
            actor_label="buyer_bot",
            data={
                **{name: _jsonable(after[name]) for name in changed},
                "temperature": profile.temperature,
                "temperature_before": temperature_before,
                "reasons": profile.temperature_reasons,
            },
        )
    view = _financing_view(profile)
    misread = answers.sensitive and view is None and contact.pre_approved is True
    if (view is not None or misread) and contact.pre_approved != view:
        record_lead_answers(
            contact=contact,
            answers={"pre_approved": view},
            question="buyer_bot:financing",
            actor_label="buyer_bot",
        )
        if _recalculate_temperature(profile):
            profile.save(update_fields=["temperature", "temperature_reasons", "updated_at"])
    return changed


# --------------------------------------------------------------------------------------------
# Questions
# --------------------------------------------------------------------------------------------


def question_is_open(profile: BuyerProfile, question: str, *, asked: dict) -> bool:
    """Whether ``question`` still wants an answer (``asked``: question -> times asked)."""
    contact = profile.contact
    cash = bool(profile.cash_buyer)
    if question == Stage.FINANCING:
        return not (profile.preapproval_status or profile.cash_buyer is not None)
    if question == Stage.PREAPPROVAL_DETAILS:
        return (
            profile.preapproval_status == PreApproval.PRE_APPROVED
            and not cash
            and not profile.preapproval_lender
            and profile.preapproval_amount is None
        )
    if question == Stage.BUDGET:
        if contact.budget_max is None and contact.budget_min is None:
            return True
        # A budget that is only the pre-approval amount is the ceiling, not what they shop for.
        return contact.budget_max == profile.preapproval_amount and not asked.get(question)
    if question == Stage.DOWN_PAYMENT:
        return not cash and (
            profile.down_payment_amount is None and profile.down_payment_percent is None
        )
    if question == Stage.AREAS:
        return not profile.cities
    if question == Stage.ROOMS:
        return profile.beds_min is None
    if question == Stage.MUST_HAVES:
        return not profile.must_haves
    if question == Stage.TIMELINE:
        return contact.timeline == Timeline.UNKNOWN
    return False


def next_question(profile: BuyerProfile, *, settled: frozenset[str], asked: dict) -> str:
    """The first question still open and not settled (passed or "no preference"), or
    QUALIFIED."""
    for question in QUESTIONS:
        if question not in settled and question_is_open(profile, question, asked=asked):
            return question
    return Stage.QUALIFIED


def move_to_stage(*, profile: BuyerProfile, stage: str, reason: str = "") -> bool:
    """Put the buyer at ``stage`` (audited); False when already there."""
    if profile.stage == stage:
        return False
    previous = profile.stage
    profile.stage = stage
    fields = ["stage", "updated_at"]
    if stage == Stage.QUALIFIED and profile.qualified_at is None:
        profile.qualified_at = timezone.now()
        fields.append("qualified_at")
    profile.save(update_fields=fields)
    audit(
        action="buyer.stage_changed",
        subject=profile,
        actor=BOT,
        actor_label="buyer_bot",
        data={"from": previous, "to": stage, "reason": reason},
    )
    return True


def mark_buyer_hot(*, profile: BuyerProfile, conversation: Conversation) -> bool:
    """A hot buyer: noted once (``hot_at``), audited, and the dashboard hears of it after
    commit. Returns whether this call made them hot (the bot books a call only then)."""
    if profile.hot_at is not None:
        return False
    profile.hot_at = timezone.now()
    profile.save(update_fields=["hot_at", "updated_at"])
    audit(
        action="buyer.hot",
        subject=profile,
        actor=BOT,
        actor_label="buyer_bot",
        data={"reasons": profile.temperature_reasons},
    )
    broadcast_dashboard_event(
        kind="buyer.hot",
        data={
            "contact": profile.contact_id,
            "conversation": conversation.pk,
            "budget_max": profile.contact.budget_max,
            "reasons": profile.temperature_reasons,
        },
    )
    return True
