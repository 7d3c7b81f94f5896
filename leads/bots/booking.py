"""Booking a call with Jorge inside the conversation, for every bot alike.

The pipeline (``leads.services.pipeline``) drives it:

- a turn whose bot set ``book_call`` (a lead or seller turned hot) gets ``plan_offer``: two or
  three free times from Jorge's calendar (``leads.services.booking``), numbered, in the lead's
  language and time zone, kept in ``conversation.bot_state["booking"]``;
- while that offer is open, a message about the times goes to ``plan_answer`` instead of the
  bot: a pick ("2", "el martes a las 10") books that time, "none work" offers other times once,
  an unclear answer gets one clarifying question; after that Jorge takes over. A message about
  something else ("actually make that 600k") goes to the bot as usual; the offer stays open.

A step's calendar part (``BookingStep.run``) may wait on HighLevel: the pipeline runs it in the
turn's outside-call phase, with no transaction open, when it does, and inline when the calendar
is local. ``settle`` then turns what the calendar said into the turn's words and state. Every
time in a message comes from the calendar's answer: nothing here invents one, and the words are
never reworded by a model.
"""

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from compliance.models import AuditEvent
from compliance.services import audit
from leads import selectors
from leads.ghl.exceptions import GHLError
from leads.models import Contact, Conversation, Language
from leads.services import booking
from leads.services.booking import BookingResult, Slot

from .base import BotTurn, TurnContext
from .picks import read_pick

logger = logging.getLogger(__name__)

STATE_KEY = "booking"

OFFER = "offer"  # a hot turn: offer free times
BOOK = "book"  # the lead picked one: book it
MORE = "more"  # none of them works: offer other times (once)
CLARIFY = "clarify"  # unclear: ask once which one
HAND_OVER = "hand_over"  # still no time: Jorge finds one with the lead

# Offered -> (picked) booked | (none) offered again once | (unclear) clarified once -> handed over.
OFFERED, BOOKED = "offered", "booked"
MAX_ROUNDS = 2

BOT = AuditEvent.Actor.BOT


@dataclass
class BookingStep:
    """What this turn does about a call with Jorge; ``run`` does the calendar part."""

    action: str
    contact: Contact
    conversation_id: int
    zone: ZoneInfo  # the lead's zone: the times are worded, and read back, in it
    read_at: datetime  # when the lead reads the reply (the sending window may defer it)
    offered: tuple[datetime, ...] = ()  # the open offer's start times
    pick: datetime | None = None
    round: int = 1
    then: str = ""  # the bot's own hand-off to Jorge, kept until the booking settles
    lead_in: str = ""  # the bot's template key, said before the times
    lead_in_context: dict = field(default_factory=dict)
    lead_in_text: str = ""  # or its vetted text
    slots: list[Slot] = field(default_factory=list)
    result: BookingResult | None = None
    error: str = ""
    done: bool = False

    @property
    def calls_out(self) -> bool:
        """Whether ``run`` would wait on HighLevel (then: with no transaction open)."""
        return not self.done and self.action in (OFFER, MORE, BOOK) and booking.calendar_calls_out()

    def run(self) -> None:
        """Read free times, or book the pick. A HighLevel failure is kept, never raised: the
        lead then hears Jorge will call, and Jorge has his task."""
        if self.done:
            return
        try:
            if self.action in (OFFER, MORE):
                self.slots = booking.free_slots_for(
                    contact=self.contact, now=self.read_at, declined=self.offered
                )
            elif self.action == BOOK:
                self.result = booking.book_slot(
                    contact_id=self.contact.pk,
                    conversation_id=self.conversation_id,
                    start=self.pick,
                    offer_from=self.read_at,
                )
        except GHLError as exc:
            logger.warning("calendar step %s failed: %s", self.action, exc)
            self.error = str(exc)
        self.done = True

    def placeholder(self) -> BotTurn:
        """The turn before the calendar answered (``settle`` gives its words)."""
        return BotTurn(goal=f"booking_{self.action}")


# --- Planning (under the turn's lock) ----------------------------------------------------------


def offer_state(conversation: Conversation) -> dict:
    state = conversation.bot_state.get(STATE_KEY)
    return state if isinstance(state, dict) else {}


def plan_offer(ctx: TurnContext, bot_turn: BotTurn) -> BookingStep | None:
    """A bot turn that books a call with Jorge: offer free times (not twice once booked)."""
    if not bot_turn.book_call or ctx.inbound is None:
        return None
    if offer_state(ctx.conversation).get("status") in (BOOKED, booking.UNKNOWN):
        return None
    return BookingStep(
        action=OFFER,
        contact=ctx.contact,
        conversation_id=ctx.conversation.pk,
        zone=booking.lead_timezone(ctx.contact),
        read_at=_read_at(ctx),
        then=bot_turn.hand_to_human,
        lead_in=bot_turn.key,
        lead_in_context=dict(bot_turn.template_context),
        lead_in_text=bot_turn.verbatim_text,
    )


def plan_answer(ctx: TurnContext) -> BookingStep | None:
    """The lead wrote about the times while an offer is open: their pick, "none work", or
    something unclear. None when the offer is closed (every time has passed) or the message is
    about something else: the bot answers it as usual.
    """
    state = offer_state(ctx.conversation)
    if state.get("status") != OFFERED or ctx.inbound is None:
        return None
    offered = _times(state.get("offered"))
    now = timezone.now()
    if not offered or max(offered) <= now:
        return None
    zone = _zone(state.get("zone"), ctx.contact)
    pick = read_pick(ctx.inbound.body, slots=offered, zone=zone, now=now)
    if not pick.answers:
        return None
    rounds = int(state.get("round") or 1)
    if pick.index is not None:
        action = BOOK
    elif pick.none:
        action = MORE if rounds < MAX_ROUNDS else HAND_OVER
    else:
        action = HAND_OVER if state.get("clarified") else CLARIFY
    return BookingStep(
        action=action,
        contact=ctx.contact,
        conversation_id=ctx.conversation.pk,
        zone=zone,
        read_at=_read_at(ctx),
        offered=tuple(offered),
        pick=offered[pick.index] if pick.index is not None else None,
        round=rounds,
        then=str(state.get("then") or ""),
    )


def _read_at(ctx: TurnContext) -> datetime:
    """When the lead will read this turn's reply: now, or when their sending window opens."""
    from leads.services.messaging import sending_verdict

    now = timezone.now()
    verdict = sending_verdict(
        contact=ctx.contact,
        conversation=ctx.conversation,
        channel=ctx.conversation.channel,
        now=now,
        keyword_reply=False,
    )
    return verdict.not_before or now


def _times(values) -> list[datetime]:
    times = []
    for value in values if isinstance(values, list) else []:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            continue
        if moment.tzinfo is not None:
            times.append(moment)
    return times


def _zone(name, contact: Contact) -> ZoneInfo:
    try:
        return ZoneInfo(str(name)) if name else booking.lead_timezone(contact)
    except (ZoneInfoNotFoundError, ValueError):
        return booking.lead_timezone(contact)


# --- Settling (under the turn's lock again) -----------------------------------------------------


def settle(ctx: TurnContext, bot_turn: BotTurn, step: BookingStep) -> BotTurn:
    """The turn's final move from what the calendar said: its words (vetted, sent as they are),
    its state, and whether Jorge takes over."""
    if not step.done:
        # Planned to call out but applied without the call (settings changed mid-turn).
        step.error, step.done = "the calendar was not read", True
    settle_step = {
        OFFER: _settle_offer,
        MORE: _settle_more,
        BOOK: _settle_book,
        CLARIFY: _settle_clarify,
        HAND_OVER: _settle_hand_over,
    }[step.action]
    return settle_step(ctx, bot_turn, step)


def _settle_offer(ctx: TurnContext, bot_turn: BotTurn, step: BookingStep) -> BotTurn:
    lead_in = step.lead_in_text or _say(ctx, step.lead_in, **step.lead_in_context)
    if not step.slots:
        _audit(ctx, "booking.no_slots", step, error=step.error)
        return _turn(
            bot_turn,
            goal="booking_no_slots",
            text=f"{lead_in} {_say(ctx, 'booking_no_slots')}",
            state={"status": "none_free"},
            hand_to_human=bot_turn.hand_to_human,
        )
    _audit(ctx, "booking.offered", step, slots=step.slots)
    key = "booking_offer" if len(step.slots) > 1 else "booking_offer_one"
    return _turn(
        bot_turn,
        goal="booking_offer",
        text=f"{lead_in} {_say(ctx, key, **_slot_words(ctx, step, step.slots))}",
        state=_offered(step, step.slots, rounds=1),
        hand_to_human="",  # kept in the offer until the booking settles: the bot reads the pick
    )


def _settle_more(ctx: TurnContext, bot_turn: BotTurn, step: BookingStep) -> BotTurn:
    if not step.slots:
        return _settle_hand_over(ctx, bot_turn, step, reason="no other free time to offer")
    _audit(ctx, "booking.offered", step, slots=step.slots, declined=True)
    return _turn(
        bot_turn,
        goal="booking_more",
        text=_say(ctx, "booking_more", **_slot_words(ctx, step, step.slots)),
        state=_offered(step, step.slots, rounds=step.round + 1),
    )


def _settle_book(ctx: TurnContext, bot_turn: BotTurn, step: BookingStep) -> BotTurn:
    result = step.result
    if result is not None and result.status == booking.BOOKED:
        # A call is booked: no "still thinking about it?" follow-ups before it.
        ctx.conversation.next_followup_at = None
        return _turn(
            bot_turn,
            goal="booking_confirmed",
            text=_say(ctx, "booking_confirmed", **_slot_words(ctx, step, [result.slot])),
            state={
                "status": BOOKED,
                "appointment": result.appointment.pk if result.appointment else None,
                "start": result.slot.start.isoformat(),
            },
            stage=Conversation.Stage.APPOINTMENT,
            hand_to_human=step.then,
        )
    if result is not None and result.status == booking.TAKEN:
        if result.fresh:
            return _turn(
                bot_turn,
                goal="booking_taken",
                text=_say(ctx, "booking_taken", **_slot_words(ctx, step, result.fresh)),
                state=_offered(step, result.fresh, rounds=step.round),
            )
        return _turn(
            bot_turn,
            goal="booking_taken_none",
            text=_say(ctx, "booking_taken_none"),
            state={"status": "taken"},
            hand_to_human="the picked time was taken and no other time is free",
        )
    # HighLevel failed, or may have booked it: never confirm a time we are not sure of.
    status = result.status if result is not None else booking.FAILED
    error = (result.error if result is not None else "") or step.error
    if result is None:
        _audit(ctx, "booking.failed", step, error=error)
    return _turn(
        bot_turn,
        goal="booking_unconfirmed",
        text=_say(ctx, "booking_unconfirmed"),
        state={
            "status": status,
            "appointment": result.appointment.pk if result and result.appointment else None,
            "start": step.pick.isoformat() if step.pick else None,
        },
        hand_to_human=f"booking not confirmed ({status}): check Jorge's calendar and call the lead",
    )


def _settle_clarify(ctx: TurnContext, bot_turn: BotTurn, step: BookingStep) -> BotTurn:
    _audit(ctx, "booking.clarified", step)
    slots = [Slot(start, start) for start in step.offered]
    key = "booking_clarify" if len(slots) > 1 else "booking_clarify_one"
    state = {**offer_state(ctx.conversation), "clarified": True}
    return _turn(
        bot_turn,
        goal="booking_clarify",
        text=_say(ctx, key, **_slot_words(ctx, step, slots)),
        state=state,
    )


def _settle_hand_over(
    ctx: TurnContext, bot_turn: BotTurn, step: BookingStep, *, reason: str = ""
) -> BotTurn:
    reason = reason or "the lead did not pick one of the offered call times"
    _audit(ctx, "booking.handed_over", step, error=reason)
    return _turn(
        bot_turn,
        goal="booking_hand_over",
        text=_say(ctx, "booking_hand_over"),
        state={"status": "handed_over"},
        hand_to_human=reason,
    )


def _turn(
    bot_turn: BotTurn,
    *,
    goal: str,
    text: str,
    state: dict,
    hand_to_human: str = "",
    stage: str | None = None,
) -> BotTurn:
    return dataclasses.replace(
        bot_turn,
        goal=goal,
        verbatim_text=text,
        state={**bot_turn.state, STATE_KEY: state},
        hand_to_human=hand_to_human,
        stage=stage or bot_turn.stage,
        send=True,
    )


def _offered(step: BookingStep, slots, *, rounds: int) -> dict:
    return {
        "status": OFFERED,
        "offered": [slot.start.isoformat() for slot in slots],
        "zone": step.zone.key,
        "round": rounds,
        "clarified": False,
        "then": step.then,
    }


def _audit(ctx: TurnContext, action: str, step: BookingStep, *, slots=(), error="", **data):
    audit(
        action=action,
        subject=ctx.conversation,
        actor=BOT,
        actor_label=ctx.conversation.bot,
        data={
            "calendar": booking.calendar_source(),
            "slots": [slot.start.isoformat() for slot in slots],
            **({"error": error[:500]} if error else {}),
            **data,
        },
    )


# --- Words ---------------------------------------------------------------------------------


def _say(ctx: TurnContext, key: str, **context) -> str:
    return selectors.reply_text(
        key=key, language=ctx.contact.language, first_name=ctx.contact.first_name, **context
    )


def _slot_words(ctx: TurnContext, step: BookingStep, slots) -> dict:
    language = ctx.contact.language
    listed = [format_slot(s.start, zone=step.zone, language=language, short=True) for s in slots]
    numbers = [str(n) for n in range(1, len(listed) + 1)]
    joiner = " o " if language == Language.SPANISH else " or "
    return {
        # A text message: the list is short ("1) Wed Jun 10, 12:30 PM"), one time is spelled out.
        "slots": "\n".join(f"{n}) {text}" for n, text in zip(numbers, listed, strict=True)),
        "slot": format_slot(slots[0].start, zone=step.zone, language=language) if slots else "",
        "zone": zone_name(step.zone, language=language),
        "choices": ", ".join(numbers[:-1]) + joiner + numbers[-1] if len(numbers) > 1 else "1",
    }


_WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
}
_SHORT_WEEKDAYS = {
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "es": ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
}
_MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"],
}  # fmt: skip


def format_slot(start: datetime, *, zone: ZoneInfo, language: str, short: bool = False) -> str:
    """A time in ``zone``: "Tuesday, June 16 at 10 AM" / "martes 16 de junio a las 10:00 a. m.",
    or ``short`` for a list: "Tue Jun 16, 10 AM" / "mar 16 jun, 10:00 a. m."."""
    local = start.astimezone(zone)
    hour12 = local.hour % 12 or 12
    weekday, month = local.weekday(), local.month - 1
    if language == Language.SPANISH:
        clock = f"{hour12}:{local.minute:02d} {'a. m.' if local.hour < 12 else 'p. m.'}"
        if short:
            return (
                f"{_SHORT_WEEKDAYS['es'][weekday]} {local.day} {_MONTHS['es'][month][:3]}, {clock}"
            )
        article = "a la" if hour12 == 1 else "a las"
        return f"{_WEEKDAYS['es'][weekday]} {local.day} de {_MONTHS['es'][month]} {article} {clock}"
    clock = f"{hour12}:{local.minute:02d}" if local.minute else str(hour12)
    clock += " AM" if local.hour < 12 else " PM"
    if short:
        return f"{_SHORT_WEEKDAYS['en'][weekday]} {_MONTHS['en'][month][:3]} {local.day}, {clock}"
    return f"{_WEEKDAYS['en'][weekday]}, {_MONTHS['en'][month]} {local.day} at {clock}"


_ZONE_NAMES = {
    "America/Los_Angeles": ("Pacific time", "hora del Pacífico"),
    "America/Denver": ("Mountain time", "hora de la Montaña"),
    "America/Boise": ("Mountain time", "hora de la Montaña"),
    "America/Phoenix": ("Arizona time", "hora de Arizona"),
    "America/Chicago": ("Central time", "hora del Centro"),
    "America/New_York": ("Eastern time", "hora del Este"),
    "America/Detroit": ("Eastern time", "hora del Este"),
    "America/Indiana/Indianapolis": ("Eastern time", "hora del Este"),
    "America/Kentucky/Louisville": ("Eastern time", "hora del Este"),
    "America/Anchorage": ("Alaska time", "hora de Alaska"),
    "Pacific/Honolulu": ("Hawaii time", "hora de Hawái"),
    "America/Puerto_Rico": ("Atlantic time", "hora del Atlántico"),
}


def zone_name(zone: ZoneInfo, *, language: str) -> str:
    """How the lead's zone is named next to the times ("Pacific time", "hora del Este")."""
    names = _ZONE_NAMES.get(zone.key)
    if names:
        return names[1] if language == Language.SPANISH else names[0]
    abbreviation = timezone.now().astimezone(zone).tzname() or zone.key
    return f"hora {abbreviation}" if language == Language.SPANISH else f"{abbreviation} time"
