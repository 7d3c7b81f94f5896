"""The seller qualification: answers, stage, stalls, temperature, and what a hot seller sets off.

Every function here writes under the locks the pipeline already holds (conversation, then
contact, then the qualification row; see ``sellers.state``), audits in the same transaction,
and leaves HighLevel calls and dashboard pushes to after the commit. The rules are written
out in docs/seller-bot.md.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from analytics.services import broadcast_dashboard_event
from compliance.models import AuditEvent
from compliance.services import audit
from config.errors import ApplicationError
from config.queueing import publish_on_commit
from leads import selectors as lead_selectors
from leads.ghl.client import get_client
from leads.models import Contact, Conversation, Deal, Timeline
from leads.services.locks import lock_contact_and_conversation
from sellers import selectors
from sellers.extraction import SellerAnswers
from sellers.models import CMAReport, SellerQualification
from sellers.services.cma import CMAAddressMissing, trigger_cma
from sellers.stalls import FOLLOW_UP_LATER, FOLLOW_UP_LATER_DAYS, MAX_STALLS, Stall
from sellers.state import forget_qualification, locked_qualification

logger = logging.getLogger(__name__)

Stage = SellerQualification.Stage

# The questions in the order the bot asks them; QUALIFIED follows the last one.
QUESTION_STAGES = (
    Stage.Q0_ADDRESS,
    Stage.Q1_MOTIVATION,
    Stage.Q2_TIMELINE,
    Stage.Q3_CONDITION,
    Stage.Q4_PRICE,
)
STAGE_ORDER = (*QUESTION_STAGES, Stage.QUALIFIED)

HOT_TIMELINES = frozenset({Timeline.ASAP, Timeline.ONE_TO_THREE})  # within 90 days
WARM_TIMELINES = HOT_TIMELINES | {Timeline.THREE_TO_SIX}  # within 6 months
CLEAR_MOTIVATIONS = frozenset(
    {
        "relocation",
        "upsizing",
        "downsizing",
        "financial",
        "inheritance",
        "divorce",
        "retirement",
        "investment",
    }
)
# A price up to 10 % over the top of the CMA range is still "within range".
PRICE_TOLERANCE = 0.10

BOT = AuditEvent.Actor.BOT


class SellerStageError(ApplicationError):
    code = "seller_stage"


def _actor(by: AbstractBaseUser | str) -> dict:
    if isinstance(by, str):
        return {"actor": BOT, "actor_label": by}
    return {"user": by}


# --------------------------------------------------------------------------------------------
# Temperature
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SellerTemperature:
    temperature: str  # hot, warm, cold
    reasons: list[str]


def _money(value: int) -> str:
    return f"${value:,}"


def seller_temperature(
    *,
    timeline: str,
    motivation_kind: str,
    price_expectation: int | None,
    has_address: bool,
    cma: CMAReport | None = None,
    nurture: bool = False,
) -> SellerTemperature:
    """Hot, warm or cold from the rules in docs/seller-bot.md, with the reasons that decided it.

    Hot: a timeline within 90 days AND a clear motivation AND a price expectation that is
    within range of the CMA when one is ready (at most 10 % over its top). Warm: a timeline
    within 6 months, or a clear motivation with an address. Cold otherwise; nurture is cold.
    """
    reasons: list[str] = []
    soon = timeline in HOT_TIMELINES
    within_six_months = timeline in WARM_TIMELINES
    clear = motivation_kind in CLEAR_MOTIVATIONS
    if soon:
        reasons.append("timeline within 90 days")
    elif within_six_months:
        reasons.append("timeline within 6 months")
    elif timeline and timeline != Timeline.UNKNOWN:
        reasons.append("timeline over 6 months")
    else:
        reasons.append("timeline unknown")
    if clear:
        reasons.append(f"clear motivation: {motivation_kind}")
    elif motivation_kind:
        reasons.append("motivation not clear")
    else:
        reasons.append("motivation unknown")

    price_ok = False
    if price_expectation is None:
        reasons.append("price expectation unknown")
    elif cma is not None and cma.estimate_high:
        ceiling = round(cma.estimate_high * (1 + PRICE_TOLERANCE))
        price_ok = price_expectation <= ceiling
        band = f"{_money(cma.estimate_low or cma.estimate_high)}–{_money(cma.estimate_high)}"
        reasons.append(
            f"price {_money(price_expectation)} "
            + ("within" if price_ok else "above")
            + f" CMA range {band}"
        )
    else:
        price_ok = True
        reasons.append(f"price {_money(price_expectation)} (no CMA yet)")

    if nurture:
        return SellerTemperature("cold", [*reasons, "in nurture after repeated stalls"])
    if soon and clear and price_ok:
        return SellerTemperature("hot", reasons)
    if within_six_months or (clear and has_address):
        return SellerTemperature("warm", reasons)
    return SellerTemperature("cold", reasons)


def _recalculate_temperature(qualification: SellerQualification) -> bool:
    """Set the qualification's temperature from its answers; True when it changed."""
    result = seller_temperature(
        timeline=qualification.timeline,
        motivation_kind=qualification.motivation_kind,
        price_expectation=qualification.price_expectation,
        has_address=bool(qualification.address),
        cma=selectors.latest_ready_cma(contact=qualification.contact),
        nurture=qualification.stage == Stage.NURTURE,
    )
    changed = (result.temperature, result.reasons) != (
        qualification.temperature,
        qualification.temperature_reasons,
    )
    qualification.temperature = result.temperature
    qualification.temperature_reasons = result.reasons
    return changed


# --------------------------------------------------------------------------------------------
# Answers and stages
# --------------------------------------------------------------------------------------------


def record_seller_answers(
    *,
    qualification: SellerQualification,
    answers: SellerAnswers,
    timeline: str = "",
    by: AbstractBaseUser | str = "seller_bot",
) -> list[str]:
    """Store what the seller just told us and recalculate the temperature; returns the fields
    that changed. Known answers are only replaced by a new answer, never erased; the timeline
    comes from the lead analysis (``Contact.timeline``)."""
    updates: dict = {}
    for field in ("address", "city", "motivation", "motivation_kind", "condition", "occupancy"):
        value = getattr(answers, field)
        if value:
            updates[field] = value
    if answers.condition and answers.condition_notes:
        updates["condition_notes"] = answers.condition_notes
    if answers.permission is not None:
        updates["permission_given"] = answers.permission
    if answers.price is not None:
        updates["price_expectation"] = answers.price
    if timeline and timeline != Timeline.UNKNOWN:
        updates["timeline"] = timeline
    if updates.get("address") and not updates.get("city") and not qualification.city:
        updates["city"] = qualification.contact.area.split(",")[0].strip()[:100]
    if updates.get("address") and updates["address"] != qualification.address:
        home = selectors.match_property(
            address=updates["address"], city=updates.get("city") or qualification.city
        )
        updates["subject_property"] = home

    changed = {f: v for f, v in updates.items() if getattr(qualification, f) != v}
    for field, value in changed.items():
        setattr(qualification, field, value)
    before = qualification.temperature
    temperature_changed = _recalculate_temperature(qualification)
    fields = [*changed, *(["temperature", "temperature_reasons"] if temperature_changed else [])]
    if fields:
        qualification.save(update_fields=[*fields, "updated_at"])
        forget_qualification(contact_id=qualification.contact_id)
    if changed or temperature_changed:
        data = {
            k: (v.pk if hasattr(v, "pk") else v)
            for k, v in changed.items()
            if k not in ("motivation", "condition_notes")
        }
        audit(
            action="seller.answers_recorded",
            subject=qualification,
            data={
                **data,
                "temperature": qualification.temperature,
                "temperature_before": before,
                "reasons": qualification.temperature_reasons,
            },
            **_actor(by),
        )
    return sorted(changed)


def stage_is_answered(qualification: SellerQualification, stage: str) -> bool:
    """Whether the question of ``stage`` already has its answer."""
    return {
        Stage.Q0_ADDRESS: bool(qualification.address),
        Stage.Q1_MOTIVATION: bool(qualification.motivation_kind),
        Stage.Q2_TIMELINE: bool(qualification.timeline)
        and qualification.timeline != Timeline.UNKNOWN,
        Stage.Q3_CONDITION: bool(qualification.condition),
        Stage.Q4_PRICE: qualification.price_expectation is not None,
    }.get(stage, True)


def next_open_stage(
    qualification: SellerQualification, *, start: str, settled: frozenset[str] = frozenset()
) -> str:
    """The first question from ``start`` on that is still open (``settled`` ones count as
    answered), or QUALIFIED. Questions before ``start`` were answered or passed on purpose."""
    first = STAGE_ORDER.index(start) if start in STAGE_ORDER else 0
    for stage in QUESTION_STAGES[first:]:
        if stage not in settled and not stage_is_answered(qualification, stage):
            return stage
    return Stage.QUALIFIED


def move_to_stage(
    *,
    qualification: SellerQualification,
    stage: str,
    by: AbstractBaseUser | str = "seller_bot",
    reason: str = "",
) -> bool:
    """Put the seller at ``stage`` (audited); False when already there."""
    if qualification.stage == stage:
        return False
    previous = qualification.stage
    qualification.stage = stage
    _recalculate_temperature(qualification)
    qualification.save(update_fields=["stage", "temperature", "temperature_reasons", "updated_at"])
    forget_qualification(contact_id=qualification.contact_id)
    audit(
        action="seller.stage_changed",
        subject=qualification,
        data={"from": previous, "to": stage, "reason": reason},
        **_actor(by),
    )
    return True


def request_cma(
    *, qualification: SellerQualification, by: AbstractBaseUser | str
) -> CMAReport | None:
    """Ask for the CMA of the seller's home (reused when recent); None without an address."""
    if not qualification.address:
        audit(
            action="seller.cma_not_requested",
            subject=qualification,
            data={"reason": "no address yet"},
            **_actor(by),
        )
        return None
    try:
        with transaction.atomic():
            return trigger_cma(contact=qualification.contact, by=by)
    except CMAAddressMissing:
        return None
    except Exception as exc:  # the CMA is a side job: its failure never blocks the reply
        logger.exception("CMA request for contact %s failed", qualification.contact_id)
        audit(
            action="seller.cma_request_failed",
            subject=qualification,
            data={"error": f"{type(exc).__name__}: {exc}"[:300]},
            **_actor(by),
        )
        return None


def mark_qualified(
    *,
    qualification: SellerQualification,
    conversation: Conversation,
    by: AbstractBaseUser | str = "seller_bot",
    offered: bool = True,
) -> CMAReport | None:
    """Every question is settled: stage QUALIFIED, the CMA requested, the offer time noted."""
    move_to_stage(qualification=qualification, stage=Stage.QUALIFIED, by=by, reason="qualified")
    if offered and qualification.cma_offered_at is None:
        qualification.cma_offered_at = timezone.now()
        qualification.save(update_fields=["cma_offered_at", "updated_at"])
        forget_qualification(contact_id=qualification.contact_id)
    if conversation.stage != Conversation.Stage.QUALIFIED:
        conversation.stage = Conversation.Stage.QUALIFIED
        conversation.save(update_fields=["stage", "updated_at"])
    return request_cma(qualification=qualification, by=by)


def advance_stage(*, conversation: Conversation, by: AbstractBaseUser | str) -> SellerQualification:
    """Move the seller of ``conversation`` to the next stage (staff action or automation).

    From a question to the next one, from the last question to QUALIFIED (the CMA is then
    requested), from NURTURE back to the first open question. A qualified seller has no
    next stage.
    """
    with transaction.atomic():
        # The one lock order: contact, conversation, then the qualification.
        contact, conversation = lock_contact_and_conversation(
            contact_id=conversation.contact_id, conversation_id=conversation.pk
        )
        qualification = locked_qualification(contact=contact)
        if qualification.stage == Stage.QUALIFIED:
            raise SellerStageError("This seller is already qualified.")
        if qualification.stage == Stage.NURTURE:
            target = next_open_stage(qualification, start=Stage.Q0_ADDRESS)
        else:
            target = STAGE_ORDER[STAGE_ORDER.index(qualification.stage) + 1]
        if target == Stage.QUALIFIED:
            mark_qualified(
                qualification=qualification, conversation=conversation, by=by, offered=False
            )
        else:
            move_to_stage(qualification=qualification, stage=target, by=by, reason="advanced")
            if conversation.stage in (Conversation.Stage.NEW, Conversation.Stage.NURTURE):
                conversation.stage = Conversation.Stage.QUALIFYING
                conversation.save(update_fields=["stage", "updated_at"])
        broadcast_dashboard_event(
            kind="seller.stage_changed",
            data={
                "conversation": conversation.pk,
                "contact": contact.pk,
                "stage": qualification.stage,
            },
        )
    return qualification


def next_seller_stage_label(conversation: Conversation) -> str:
    """Where ``advance_stage`` would move the conversation's seller ("" when qualified)."""
    from sellers.state import cached_qualification

    qualification = cached_qualification(contact_id=conversation.contact_id)
    stage = qualification.stage if qualification is not None else Stage.Q0_ADDRESS
    if stage == Stage.QUALIFIED:
        return ""
    if stage == Stage.NURTURE:
        return "the first open question"
    return Stage(STAGE_ORDER[STAGE_ORDER.index(stage) + 1]).label


def advance_seller_conversation(*, conversation: Conversation, user: AbstractBaseUser):
    """``advance_stage`` for the dashboard and the API ("advance" on a seller conversation is
    the seller's next question: the bot asks from there); returns the change in words."""
    from leads.services.conversations import StageChange

    before = (
        SellerQualification.objects.filter(contact_id=conversation.contact_id)
        .values_list("stage", flat=True)
        .first()
    ) or Stage.Q0_ADDRESS
    qualification = advance_stage(conversation=conversation, by=user)
    return StageChange(
        before=before,
        after=qualification.stage,
        label=f"{Stage(before).label} → {qualification.get_stage_display()}",
    )


# --------------------------------------------------------------------------------------------
# Stalls
# --------------------------------------------------------------------------------------------


def _follow_up_later(*, conversation: Conversation, now: datetime) -> datetime | None:
    """Jump the nurture cadence to its first touch at least FOLLOW_UP_LATER_DAYS away."""
    days = list(lead_selectors.bot_settings().followup_days)
    if not days:
        return None
    later = [i for i, day in enumerate(days) if day >= FOLLOW_UP_LATER_DAYS]
    step = later[0] if later else len(days) - 1
    conversation.followup_step = step
    conversation.next_followup_at = now + timedelta(days=max(days[step], FOLLOW_UP_LATER_DAYS))
    conversation.save(update_fields=["followup_step", "next_followup_at", "updated_at"])
    return conversation.next_followup_at


@dataclass(frozen=True)
class StallOutcome:
    stall_count: int
    strategy: str
    nurture: bool  # this stall was one too many: the bot stops pushing
    follow_up_at: datetime | None


def record_stall(
    *,
    qualification: SellerQualification,
    conversation: Conversation,
    stall: Stall,
    now: datetime | None = None,
    by: AbstractBaseUser | str = "seller_bot",
) -> StallOutcome:
    """Count a stall, record its strategy and carry it out; the MAX_STALLS-th moves the seller
    to nurture (the bot stops asking; the nurture cadence keeps going)."""
    now = now or timezone.now()
    qualification.stall_count += 1
    qualification.last_stall_kind = stall.kind
    qualification.strategy = stall.strategy
    qualification.save(update_fields=["stall_count", "last_stall_kind", "strategy", "updated_at"])
    forget_qualification(contact_id=qualification.contact_id)
    follow_up_at = (
        _follow_up_later(conversation=conversation, now=now)
        if stall.strategy == FOLLOW_UP_LATER
        else None
    )
    nurture = qualification.stall_count >= MAX_STALLS and qualification.stage != Stage.NURTURE
    audit(
        action="seller.stall",
        subject=qualification,
        data={
            "kind": stall.kind,
            "strategy": stall.strategy,
            "stall_count": qualification.stall_count,
            "stage": qualification.stage,
            "follow_up_at": follow_up_at.isoformat() if follow_up_at else None,
            "to_nurture": nurture,
        },
        **_actor(by),
    )
    if nurture:
        move_to_stage(
            qualification=qualification,
            stage=Stage.NURTURE,
            by=by,
            reason=f"{qualification.stall_count} stalls",
        )
        conversation.stage = Conversation.Stage.NURTURE
        conversation.save(update_fields=["stage", "updated_at"])
    return StallOutcome(
        stall_count=qualification.stall_count,
        strategy=stall.strategy,
        nurture=nurture,
        follow_up_at=follow_up_at,
    )


# --------------------------------------------------------------------------------------------
# Hot sellers
# --------------------------------------------------------------------------------------------


def _open_sell_deal(contact: Contact) -> Deal | None:
    return (
        Deal.objects.filter(contact=contact, side=Deal.Side.SELL)
        .exclude(stage__in=[Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST])
        .order_by("-created_at")
        .first()
    )


def mark_seller_hot(
    *, qualification: SellerQualification, conversation: Conversation
) -> tuple[Deal, bool]:
    """A hot seller: a sell-side Deal now (the dashboard shows it at once), an opportunity in
    HighLevel's seller pipeline after commit, and a ``seller.hot`` dashboard event. Returns the
    deal and whether this call created it (a seller is only made hot once)."""
    contact = qualification.contact
    deal = _open_sell_deal(contact)
    if deal is not None:
        return deal, False
    home = qualification.address + (f", {qualification.city}" if qualification.city else "")
    deal = Deal.objects.create(
        contact=contact,
        name=f"{contact} · sale of {home or 'their home'}"[:200],
        side=Deal.Side.SELL,
        stage=Deal.Stage.LEAD,
        property_address=home[:255],
        value=qualification.price_expectation,
    )
    audit(
        action="seller.hot",
        subject=qualification,
        actor=BOT,
        actor_label="seller_bot",
        data={"deal": deal.pk, "reasons": qualification.temperature_reasons},
    )
    from sellers.tasks import create_seller_opportunity_task

    publish_on_commit(create_seller_opportunity_task, deal.pk)
    broadcast_dashboard_event(
        kind="seller.hot",
        data={
            "contact": contact.pk,
            "conversation": conversation.pk,
            "deal": deal.pk,
            "address": home,
            "price_expectation": qualification.price_expectation,
            "reasons": qualification.temperature_reasons,
        },
    )
    return deal, True


def create_seller_opportunity(*, deal_id: int) -> str:
    """Create the hot seller's opportunity in HighLevel's seller pipeline (once) and keep its
    id on the deal and the qualification; returns the id ("" when skipped).

    Without ``GHL_SELLER_PIPELINE_ID`` nothing is sent and an audit note says so. The deal's
    row lock is held through the call: the endpoint has no idempotency key, and a second run
    of the task must wait and then see the id instead of creating a twin.
    """
    with transaction.atomic():
        # The deal's row only (a joined lock would hold the contact too, through the call).
        deal = (
            Deal.objects.select_for_update(of=("self",)).select_related("contact").get(pk=deal_id)
        )
        if deal.ghl_opportunity_id:
            return deal.ghl_opportunity_id
        contact = deal.contact
        pipeline_id = settings.GHL_SELLER_PIPELINE_ID
        if not pipeline_id:
            audit(
                action="seller.opportunity_skipped",
                subject=deal,
                actor=AuditEvent.Actor.SYSTEM,
                actor_label="seller_bot",
                data={"reason": "GHL_SELLER_PIPELINE_ID is not set"},
            )
            return ""
        with get_client() as client:
            opportunity = client.create_opportunity(
                pipeline_id=pipeline_id,
                pipeline_stage_id=settings.GHL_SELLER_PIPELINE_STAGE_ID,
                name=deal.name,
                contact_id=contact.ghl_contact_id,
                monetary_value=deal.value,
            )
        deal.ghl_opportunity_id = opportunity.id
        deal.save(update_fields=["ghl_opportunity_id", "updated_at"])
        updated = SellerQualification.objects.filter(contact=contact).update(
            ghl_opportunity_id=opportunity.id, updated_at=timezone.now()
        )
        if updated:
            forget_qualification(contact_id=contact.pk)
        audit(
            action="seller.opportunity_created",
            subject=deal,
            actor=AuditEvent.Actor.SYSTEM,
            actor_label="seller_bot",
            data={"ghl_opportunity_id": opportunity.id, "pipeline_id": pipeline_id},
        )
    return opportunity.id
