"""The bot turn: a contact's inbound message to its outcome, never waiting on the network
under a lock, never lost, never silent.

``handle_inbound_message`` is the one entry point (the turn task, the sweep, the simulator,
tests). A turn has up to three phases (docs/bots.md, "The turn"):

1. **Claim**, under a short lock of the contact, then the conversation (the one lock order,
   ``leads.services.locks``): the message is claimed, STOP/START/HELP are answered by rule,
   the compliance guards run and the analysis inputs are read. Messages of one contact are
   answered strictly in order: while one turn is in flight, a later message waits for it
   (its turn's owner takes it next), except a keyword, which is answered at once.
2. **Call out**, with no transaction open: Claude reads the message, HighLevel fills in a
   contact we only know from a message webhook, HighLevel's calendar gives free times or books
   the one the lead picked (``leads.bots.booking``), Claude words the reply.
3. **Apply**, under the lock again, after checking that nothing moved meanwhile: a newer
   message from the lead redoes the turn with it; an opt-out, a person's reply, a pause or the
   kill switch drops the reply. Then the qualification, the bot's state and stage, the
   hand-offs and the reply are written together, and the reply is sent once that commits.

With nothing to call out for (the offline engine, a contact we know), the phases run in one
transaction. Follow-ups (``send_followup``) go through the same apply step as replies.

A turn that crashes is recorded on the message and its webhook event, and handed to a person
(``_fail_turn``); ``sweep_overdue_turns`` reruns turns that never ran or lost their worker.
"""

import contextlib
import copy
import dataclasses
import logging
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from analytics.services import broadcast_dashboard_event
from compliance.models import AuditEvent
from compliance.rules.keywords import classify_keyword
from compliance.rules.privacy import redact_sensitive
from compliance.services import audit, audit_batch
from config import performance
from config.logs import bind_log_context, log_context
from config.queueing import publish, publish_on_commit
from leads import selectors
from leads.bots import booking as booking_flow
from leads.bots.base import BotTurn, TurnContext, get_bot
from leads.ghl.exceptions import GHLError
from leads.intelligence.claude import SecondOpinion
from leads.intelligence.engine import analyze_lead, compose_reply, engine_calls_out, second_opinion
from leads.intelligence.replies import ReplyDraft, ReplyRequest
from leads.intelligence.schema import LeadAnalysis
from leads.models import (
    Contact,
    Conversation,
    EscalationTicket,
    Message,
    Temperature,
    WebhookEvent,
)
from leads.selectors import CALL_BOOKED_STATE
from leads.services.booking import calendar_calls_out
from leads.services.consent import opt_in_contact, opt_out_contact, record_consent
from leads.services.escalation import escalate_to_human
from leads.services.locks import (
    lock_contact_and_conversation,
    lock_contact_and_conversation_of,
    lock_conversation,
    lock_messages,
)
from leads.services.messaging import queue_automated_message, send_queued_message
from leads.services.qualification import apply_lead_analysis

logger = logging.getLogger(__name__)

BOT = AuditEvent.Actor.BOT
Outcome = Message.TurnOutcome

# A newer message from the lead during the outside calls redoes the turn at most this often;
# then the turn answers what it has and the newer message gets its own turn.
MAX_REDOS = 2
# One task answers at most this many waiting messages of a contact in a row.
MAX_CHAINED_TURNS = 20
KILL_SWITCH = "kill switch: all bots are stopped"
# bot_state key: the lead's messages in a row the bot answered with nothing.
SILENT_STATE = "silent_turns"


@dataclass(frozen=True)
class GuardFinding:
    """An inbound guard's verdict: answer with the vetted ``reply`` ("" for none) and maybe
    hand to Jorge.

    ``escalate(conversation=, contact=)``, when given, runs once the turn settles, replied or
    not, under the turn's locks and after its reply is queued (a compliance ticket pauses the
    bot only once the vetted answer is on its way). It runs for every guard that found
    something, not only the one whose reply is sent.
    """

    rule: str
    reply: str
    hand_to_human: bool = False
    data: dict | None = None
    # The EscalationTicket.Reason of the hand-off ("" = compliance, the guards' first use).
    escalation_reason: str = ""
    escalate: Callable[..., None] | None = None


InboundGuard = Callable[[Message, Contact], GuardFinding | None]
# Returns the problems it finds in a reply's text (empty: fine).
OutboundGuard = Callable[[str, str], list[str]]
# Called with (conversation=, contact=, message=) for a bot draft the outbound guards
# blocked: ``message`` is the draft, stored as blocked and never sent.
BlockedDraftHandler = Callable[..., None]

INBOUND_GUARDS: list[InboundGuard] = []
OUTBOUND_GUARDS: list[OutboundGuard] = []
_GUARD_RANKS: dict[InboundGuard, int] = {}
BLOCKED_DRAFT_HANDLERS: list[BlockedDraftHandler] = []


def register_inbound_guard(guard: InboundGuard, *, rank: int = 0) -> InboundGuard:
    """Run ``guard(message, contact)`` on every inbound message before the bot sees it.

    Lower ranks run first and the first finding wins: the compliance guards (rank 0) come
    before the escalation signals (``leads.guards``, rank 10), whatever the app order.
    """
    if guard not in INBOUND_GUARDS:
        _GUARD_RANKS[guard] = rank
        INBOUND_GUARDS.append(guard)
        INBOUND_GUARDS.sort(key=lambda g: _GUARD_RANKS.get(g, 0))
    return guard


def register_outbound_guard(guard: OutboundGuard) -> OutboundGuard:
    """Run ``guard(text, language)`` on every bot reply before it is queued."""
    if guard not in OUTBOUND_GUARDS:
        OUTBOUND_GUARDS.append(guard)
    return guard


def register_blocked_draft_handler(handler: BlockedDraftHandler) -> BlockedDraftHandler:
    """Call ``handler(conversation=, contact=, message=)`` for every draft the guards block."""
    if handler not in BLOCKED_DRAFT_HANDLERS:
        BLOCKED_DRAFT_HANDLERS.append(handler)
    return handler


@dataclass(frozen=True)
class PipelineOutcome:
    """What the pipeline did with one inbound message (for callers, tests and the simulator).

    ``result``: replied, opted_out, opted_in, help, no_reply, dropped, failed, duplicate
    (already answered), in_flight (another worker is on it) or queued (waits for the turn in
    flight on the same contact, which answers it next).
    """

    result: str
    reply: Message | None = None
    detail: str = ""


@dataclass
class _Turn:
    """One turn in progress: what phase 1 read, carried across the outside calls."""

    contact_id: int
    conversation_id: int
    claimed_at: datetime
    messages: list[Message]  # the lead's messages this turn answers, oldest first
    history: list[str]  # what the lead wrote before them
    finding: GuardFinding | None = None
    # What the guards found to escalate (compliance tickets), run once the turn settles.
    escalations: list[Callable[..., None]] = field(default_factory=list)
    needs_contact: bool = False  # known only from a message webhook: fetch from HighLevel
    redos: int = 0
    sends: list[Message] = field(default_factory=list)  # replies to send once the turn commits
    others_waiting: bool = False  # other messages of the contact waited when it was claimed
    contact: Contact | None = None  # locked by phase 1, for a turn that needs no second lock
    conversation: Conversation | None = None

    @property
    def latest(self) -> Message:
        return self.messages[-1]

    @property
    def text(self) -> str:
        return "\n".join(m.body for m in self.messages)


# --- Entry points --------------------------------------------------------------------------


def handle_inbound_message(*, message_id: int) -> PipelineOutcome:
    """Answer inbound message ``message_id``, then any later ones of its contact left waiting.

    Safe to run twice and concurrently: the claim on the message decides who answers it.
    """
    outcome, contact_id = _run_turn_safely(message_id)
    if outcome.result in ("queued", "in_flight", "duplicate") or contact_id is None:
        return outcome  # (None: one locked step, nothing else waited, so nothing queued behind)
    for _ in range(MAX_CHAINED_TURNS):
        waiting = selectors.next_message_awaiting_turn(contact_id=contact_id)
        if waiting is None:
            break
        if _run_turn_safely(waiting)[0].result in ("queued", "in_flight", "duplicate"):
            break
    return outcome


def sweep_overdue_turns(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Run the turns that never ran (lost task) or lost their worker; returns the message ids.

    A turn still in flight is left alone: its claim is younger than ``BOT_TURN_STALE_SECONDS``.
    """
    from leads.tasks import run_turn_task

    ids = list(selectors.messages_with_overdue_turn(now=now).values_list("id", flat=True)[:limit])
    for message_id in ids:
        publish(run_turn_task, message_id)
    if ids:
        logger.warning("sweep: %d inbound messages were waiting for their bot turn", len(ids))
    return ids


def _run_turn_safely(message_id: int) -> tuple[PipelineOutcome, int | None]:
    try:
        with log_context():  # the turn binds its conversation's id, until it ends
            return _run_turn(message_id)
    except (OperationalError, InterfaceError):
        # The database went away: the task retries, and the sweep reruns the claim if not.
        raise
    except Exception as exc:  # a crash must show on the message and reach a person
        logger.exception("bot turn for message %s failed", message_id)
        return _fail_turn(message_id=message_id, exc=exc)


# --- The turn ------------------------------------------------------------------------------


def _run_turn(message_id: int) -> tuple[PipelineOutcome, int | None]:
    now = timezone.now()
    turn = None
    with _turn_transaction():
        claimed = _claim(message_id=message_id, now=now)
        if isinstance(claimed, PipelineOutcome):
            outcome, contact_id = claimed, None
        else:
            turn, contact_id, outcome = claimed, claimed.contact_id, None
            bind_log_context(conversation_id=turn.conversation.pk)
            if not _calls_out(turn):
                # Nothing to wait for: decide and apply under this same lock.
                locked = _Locked(contact=turn.contact, conversation=turn.conversation)
                outcome = _apply(turn, locked, _decide(turn, locked, analysis=_analyze(turn)))
                if not turn.others_waiting:
                    # No claim was visible before this commit, so no message was told to wait
                    # for this turn (its own task answers it): no need to look for one.
                    contact_id = None
    if outcome is None:
        outcome = _two_phase(turn)
    _send_replies(outcome, turn)
    if contact_id is None and outcome.result in ("opted_out", "opted_in", "help"):
        # A keyword answered: the contact's other waiting messages come next.
        contact_id = (
            Message.objects.filter(pk=message_id)
            .values_list("conversation__contact_id", flat=True)
            .first()
        )
    return outcome, contact_id


@contextlib.contextmanager
def _turn_transaction() -> Iterator[None]:
    """One locked step of a turn: its audit rows written together, bot settings read once."""
    with transaction.atomic(), audit_batch(), selectors.bot_settings_read_once():
        yield


def _calls_out(turn: "_Turn") -> bool:
    # With HighLevel's calendar any turn may offer or book a call (a lead turns hot, or picks
    # a time), so every turn keeps its outside-call phase free for it.
    return turn.needs_contact or engine_calls_out() or calendar_calls_out()


def _two_phase(turn: "_Turn") -> PipelineOutcome:
    """Phases 2 and 3: outside calls with no transaction open, then re-check and apply."""
    if turn.needs_contact:
        _complete_contact(turn)
    while True:
        analysis = _analyze(turn)  # Claude, with no lock held
        with _turn_transaction():
            locked = _relock(turn)
            if isinstance(locked, PipelineOutcome):
                return locked
            if locked.redo:
                continue  # the lead wrote again while Claude was reading: read that too
            decision = _decide(turn, locked, analysis=analysis)
            if not decision.needs_wording and not decision.needs_calendar:
                return _apply(turn, locked, decision)
        if decision.needs_calendar:
            decision.booking.run()  # HighLevel's calendar: free times, or the booking; no lock
        if decision.needs_wording:
            decision.draft = compose_reply(decision.request)  # Claude words it, no lock held
            record_ai_cost(conversation_id=turn.conversation_id, cost_usd=decision.draft.cost_usd)
            decision.second_opinion = _second_opinion(decision)  # also no lock held
        with _turn_transaction():
            # A booking made is answered whatever the lead wrote meanwhile; the newer message
            # gets its own turn.
            locked = _relock(turn, take_newer=not decision.booked_outside)
            if isinstance(locked, PipelineOutcome):
                return locked
            if not locked.redo:
                return _apply(turn, locked, decision)
        # The lead wrote again during the outside calls: decide again with that message.


def _claim(*, message_id: int, now: datetime) -> "_Turn | PipelineOutcome":
    """Phase 1: lock, claim the oldest waiting message of the contact, keywords, guards."""
    try:
        contact, conversation = lock_contact_and_conversation_of(message_id=message_id)
    except (Contact.DoesNotExist, Conversation.DoesNotExist):
        return PipelineOutcome("duplicate", detail="message not found")
    inbound = selectors.inbound_messages_of(contact_id=contact.pk)
    waiting = [m for m in inbound if m.handled_at is None]
    stale_before = now - timedelta(seconds=settings.BOT_TURN_STALE_SECONDS)
    mine = next((m for m in waiting if m.pk == message_id), None)
    if mine is None:
        return PipelineOutcome("duplicate")
    in_flight = [m for m in waiting if m.turn_started_at and m.turn_started_at > stale_before]
    if mine in in_flight:
        return PipelineOutcome("in_flight", detail="another worker is answering it")

    keyword = classify_keyword(mine.body)
    if keyword is not None:
        # STOP wins at once, even over a turn in flight: that turn re-checks before it sends.
        return _answer_keyword(mine, contact, keyword, now)
    if in_flight:
        return PipelineOutcome("queued", detail="waits for the turn in flight on this contact")

    # A message left unanswered for longer than the sweep window is for the people the
    # five-minute rule alerted, not for the bot: this turn reads it (history) but never
    # answers it hours late.
    window = now - timedelta(hours=settings.BOT_TURN_SWEEP_WINDOW_HOURS)
    too_old = [m for m in waiting if m.created_at < window and m.pk != message_id]
    if too_old:
        Message.objects.filter(pk__in=[m.pk for m in too_old]).update(
            handled_at=now, turn_outcome=Outcome.SUPERSEDED, updated_at=now
        )
        waiting = [m for m in waiting if m not in too_old]

    # Strictly in order: the oldest waiting message is answered first.
    target = waiting[0]
    if target.conversation_id != conversation.pk:
        conversation = lock_conversation(conversation_id=target.conversation_id)
        conversation.contact = contact
    keyword = classify_keyword(target.body)
    if keyword is not None:
        return _answer_keyword(target, contact, keyword, now)
    history = [m.body for m in inbound if (m.sent_at, m.pk) < (target.sent_at, target.pk)]
    if not history and not contact.consent_records.exists():
        # The lead wrote to us first: their own message is the evidence they asked for replies.
        record_consent(
            contact=contact,
            source=f"first inbound {target.get_channel_display()}",
            wording=target.body,
            channel=target.channel,
        )
    finding, escalations = _run_guards(target, contact, conversation)
    turn = _Turn(
        contact_id=contact.pk,
        conversation_id=conversation.pk,
        claimed_at=now,
        messages=[target],
        history=history,
        finding=finding,
        escalations=escalations,
        needs_contact=not history and not contact.phone and bool(contact.ghl_contact_id),
    )
    turn.contact, turn.conversation = contact, conversation
    turn.others_waiting = len(waiting) > 1
    if _calls_out(turn):
        # Committed before the outside calls: the claim keeps other workers off this message.
        Message.objects.filter(pk=target.pk).update(turn_started_at=now, updated_at=now)
    target.turn_started_at = now
    return turn


def _run_guards(
    message: Message, contact: Contact, conversation: Conversation
) -> tuple[GuardFinding | None, list[Callable[..., None]]]:
    """Every guard reads the message: the first finding answers it, every one escalates."""
    first, escalations = None, []
    for guard in INBOUND_GUARDS:
        finding = guard(message, contact)
        if finding:
            audit(
                action="guard.inbound",
                subject=conversation,
                actor=BOT,
                actor_label=finding.rule,
                data={"message": message.pk, **(finding.data or {})},
            )
            first = first or finding
            if finding.escalate is not None:
                escalations.append(finding.escalate)
    return first, escalations


def _complete_contact(turn: _Turn) -> None:
    """A lead known only from a message webhook: fetch their phone (so their time zone)."""
    from leads.services import crm

    try:
        crm.refresh_contact_from_ghl(contact_id=turn.contact_id, contact=turn.contact)
    except GHLError:
        # Answering on the default time zone beats not answering; the next message retries.
        logger.warning("could not fetch contact %s from HighLevel", turn.contact_id, exc_info=True)


def _analyze(turn: _Turn) -> LeadAnalysis:
    analysis = analyze_lead(message=turn.latest.body, history=[*turn.history, *_earlier(turn)])
    record_ai_cost(conversation_id=turn.conversation_id, cost_usd=analysis.cost_usd)
    return analysis


def record_ai_cost(*, conversation_id: int, cost_usd: float) -> None:
    """Add what an AI call cost to its conversation (one atomic UPDATE; nothing when free)."""
    if cost_usd:
        Conversation.objects.filter(pk=conversation_id).update(
            ai_cost_usd=F("ai_cost_usd") + Decimal(str(round(cost_usd, 6)))
        )


def _second_opinion(decision: "_Decision") -> SecondOpinion | None:
    """With ``ENABLE_AGENT_MESH``: a model's compliance verdict on Claude's draft when the
    rules pass it and it touches a sensitive topic (docs/compliance.md, "Second opinion")."""
    draft, request = decision.draft, decision.request
    if draft.engine != "claude" or outbound_problems(draft.text, language=request.language):
        return None  # the vetted template, or a draft the rules already block
    opinion = second_opinion(text=draft.text, language=request.language)
    if opinion is not None:
        record_ai_cost(conversation_id=decision.ctx.conversation.pk, cost_usd=opinion.cost_usd)
    return opinion


def _earlier(turn: _Turn) -> list[str]:
    return [m.body for m in turn.messages[:-1]]


@dataclass
class _Locked:
    """Phase 3's fresh view of the contact and conversation, and whether the lead wrote again."""

    contact: Contact
    conversation: Conversation
    redo: bool = False


def _relock(turn: _Turn, *, take_newer: bool = True) -> "_Locked | PipelineOutcome":
    """Lock again and check what moved while no lock was held.

    ``take_newer=False``: a newer message from the lead is left for its own turn, not read
    into this one (a call was booked on the strength of the earlier one).
    """
    contact, conversation = lock_contact_and_conversation(
        contact_id=turn.contact_id, conversation_id=turn.conversation_id
    )
    ours = {m.pk for m in turn.messages}
    moved = list(
        selectors.messages_since(contact_id=contact.pk, since=turn.claimed_at, including=ours)
    )
    since = [m for m in moved if m.pk not in ours]
    claimed = [m for m in moved if m.pk in ours and m.turn_started_at == turn.claimed_at]
    if len(claimed) != len(ours):
        # The claim went stale and another worker took the message over: it answers.
        return PipelineOutcome("in_flight", detail="claim taken over by another worker")
    locked = _Locked(contact=contact, conversation=conversation)
    if any(
        m.direction == Message.Direction.OUTBOUND and m.sender == Message.Sender.HUMAN
        for m in since
    ):
        return _drop(turn, locked, reason="a person replied during the turn")
    newer = [
        m
        for m in since
        if m.direction == Message.Direction.INBOUND
        and m.pk not in ours
        and m.handled_at is None
        and m.turn_started_at is None
    ]
    if newer and take_newer and turn.redos < MAX_REDOS:
        turn.redos += 1
        now = timezone.now()
        Message.objects.filter(pk__in=[m.pk for m in newer]).update(
            turn_started_at=turn.claimed_at, updated_at=now
        )
        for message in newer:
            message.turn_started_at = turn.claimed_at
            if classify_keyword(message.body) is None:
                finding, escalations = _run_guards(message, contact, conversation)
                turn.finding = turn.finding or finding
                turn.escalations.extend(escalations)
        turn.messages.extend(newer)
        locked.redo = True
        audit(
            action="bot.turn_redone",
            subject=conversation,
            actor=BOT,
            actor_label="pipeline",
            data={"messages": [m.pk for m in turn.messages]},
        )
    return locked


# --- Deciding and applying ------------------------------------------------------------------


@dataclass
class _Decision:
    turn: BotTurn | None = None
    ctx: TurnContext | None = None
    analysis: LeadAnalysis | None = None
    changed: dict = field(default_factory=dict)
    request: ReplyRequest | None = None
    draft: ReplyDraft | None = None
    second_opinion: SecondOpinion | None = None  # a model's compliance verdict on the draft
    outcome: PipelineOutcome | None = None
    booking: booking_flow.BookingStep | None = None  # offering or booking a call with Jorge

    @property
    def needs_wording(self) -> bool:
        return self.request is not None and self.draft is None

    @property
    def needs_calendar(self) -> bool:
        return self.booking is not None and not self.booking.done

    @property
    def booked_outside(self) -> bool:
        """A booking was tried during the outside calls: its answer must go out."""
        return self.booking is not None and self.booking.action == booking_flow.BOOK


def _decide(turn: _Turn, locked: _Locked, *, analysis: LeadAnalysis) -> _Decision:
    """Learn from the messages, then let the guard or the bot in charge decide the turn."""
    contact, conversation = locked.contact, locked.conversation
    # The keywords of a redo (STOP while Claude was reading) are answered before anything.
    for message in turn.messages:
        keyword = classify_keyword(message.body)
        answered = message.turn_outcome == Outcome.KEYWORD  # by an earlier pass of a redo
        if keyword is not None and message is not turn.messages[0] and not answered:
            outcome = _answer_keyword(message, contact, keyword, timezone.now())
            turn.sends.extend([outcome.reply] if outcome.reply else [])
            if keyword == "opt_out":
                return _Decision(outcome=_drop(turn, locked, reason="the lead opted out"))

    was_hot = contact.temperature == Temperature.HOT
    changed = apply_lead_analysis(contact=contact, analysis=analysis)
    # Every message from the lead restarts the nurture cadence.
    _restart_followups(conversation, now=turn.claimed_at)

    silent = _why_silent(contact=contact, conversation=conversation, now=timezone.now())
    if silent:
        _announce_if_hot(contact, was_hot=was_hot)
        if turn.finding is not None and turn.finding.hand_to_human:
            # The bot stays quiet, but a new reason (a legal threat while Jorge has the
            # conversation) still reaches a person.
            _escalate_finding(turn.finding, conversation=conversation, message=turn.latest)
        # Held by the kill switch, the message is answered when the bots restart (it was
        # the bots, not the rules or a person, that made the lead wait).
        outcome = Outcome.HELD if silent == KILL_SWITCH else Outcome.NO_REPLY
        return _Decision(outcome=_drop(turn, locked, reason=silent, outcome=outcome))

    transcript, is_first_reply = selectors.transcript_for_turn(conversation=conversation)
    inbound = turn.latest
    if len(turn.messages) > 1:
        # The bot reads everything the lead wrote during the turn as one message.
        inbound = copy.copy(turn.latest)
        inbound.body = turn.text
    ctx = TurnContext(
        conversation=conversation,
        contact=contact,
        inbound=inbound,
        analysis=analysis,
        transcript=transcript,
        is_first_reply=is_first_reply,
    )
    booking = None
    if turn.finding is not None:
        finding = turn.finding
        bot_turn = BotTurn(
            goal=finding.rule,
            verbatim_text=finding.reply,
            send=bool(finding.reply),
            hand_to_human=_finding_summary(finding) if finding.hand_to_human else "",
            escalation_reason=_finding_reason(finding) if finding.hand_to_human else "",
        )
    elif (booking := booking_flow.plan_answer(ctx)) is not None:
        # An offer of call times is open: this message answers it, whichever bot runs.
        bot_turn = booking.placeholder()
    else:
        bot_turn = get_bot(conversation.bot).next_turn(ctx)
        if bot_turn.handoff_to:
            _hand_off(ctx, to=bot_turn.handoff_to, state=bot_turn.state)
            bot_turn = get_bot(bot_turn.handoff_to).next_turn(ctx)
        booking = booking_flow.plan_offer(ctx, bot_turn)  # a hot turn offers free times
    # After the bot: an answer it read in context ("yes" to pre-approval) can make a lead hot.
    _announce_if_hot(contact, was_hot=was_hot)
    decision = _Decision(
        turn=bot_turn, ctx=ctx, analysis=analysis, changed=changed, booking=booking
    )
    if booking is not None:
        if not booking.calls_out:
            booking.run()  # the local calendar: nothing to wait for
    elif bot_turn.send and not bot_turn.verbatim_text:
        decision.request = _reply_request(ctx, bot_turn)
        if not engine_calls_out():
            decision.draft = compose_reply(decision.request)  # the template: nothing to wait for
    return decision


def _finding_reason(finding: GuardFinding) -> str:
    return finding.escalation_reason or EscalationTicket.Reason.COMPLIANCE


def _finding_summary(finding: GuardFinding) -> str:
    if finding.escalation_reason:
        return f"inbound guard: {finding.rule}"
    return f"compliance: {finding.rule}"


def _escalate_finding(finding: GuardFinding, *, conversation: Conversation, message: Message):
    escalate_to_human(
        conversation=conversation,
        reason=_finding_reason(finding),
        summary=_finding_summary(finding),
        context={"goal": finding.rule, "bot": conversation.bot},
        message=message,
    )


def _announce_if_hot(contact: Contact, *, was_hot: bool) -> None:
    if contact.temperature == Temperature.HOT and not was_hot:
        broadcast_dashboard_event(
            kind="lead.hot", data={"contact": contact.pk, "score": contact.score}
        )


def _apply(turn: _Turn, locked: _Locked, decision: _Decision) -> PipelineOutcome:
    """Write the turn's decision and its reply together, and settle the lead's messages."""
    if decision.outcome is not None:
        return decision.outcome
    bot_turn, ctx = decision.turn, decision.ctx
    if ctx.conversation is not locked.conversation:
        # Decided before the outside call; applied on the rows as they are now (their status,
        # a pause, may have moved), carrying what the decision changed on the conversation.
        for name in ("bot", "bot_state", "stage", "followup_step", "next_followup_at"):
            setattr(locked.conversation, name, getattr(ctx.conversation, name))
        ctx = dataclasses.replace(ctx, conversation=locked.conversation, contact=locked.contact)
    if decision.booking is not None:
        # Times come from the calendar and are sent as worded here, never reworded by a model.
        bot_turn = booking_flow.settle(ctx, bot_turn, decision.booking)
        words = Reply(
            text=bot_turn.verbatim_text,
            metadata={"engine": "rules", "rule": bot_turn.goal},
            reason=f"{ctx.conversation.bot}:{bot_turn.goal}",
        )
    else:
        words = _reply_from(ctx, bot_turn, decision) if bot_turn.send else None
    reply = apply_turn(ctx, bot_turn, reply=words, learned=sorted(decision.changed))
    _escalate(turn, locked)
    if reply is not None and reply.status == Message.Status.QUEUED and not reply.scheduled_for:
        turn.sends.append(reply)
    outcome = PipelineOutcome(
        "replied" if reply is not None else "no_reply",
        reply=reply,
        detail=bot_turn.goal if reply is not None else (bot_turn.hand_to_human or bot_turn.goal),
    )
    _settle(turn, Outcome.REPLIED if reply is not None else Outcome.NO_REPLY)
    _broadcast_turn(locked, outcome)
    return outcome


def _drop(
    turn: _Turn, locked: _Locked, *, reason: str, outcome: str = Outcome.DROPPED
) -> PipelineOutcome:
    """The turn ends without a reply; why is audited (the lead's words were still read)."""
    audit(
        action="reply.dropped" if outcome == Outcome.DROPPED else "reply.skipped",
        subject=locked.conversation,
        actor=BOT,
        actor_label="pipeline",
        data={"reason": reason, "messages": [m.pk for m in turn.messages]},
    )
    _escalate(turn, locked)
    _settle(turn, outcome)
    # The lead's message still restarts the nurture cadence (kept while the bot is silent).
    locked.conversation.save(update_fields=["followup_step", "next_followup_at", "updated_at"])
    result = PipelineOutcome("dropped" if outcome == Outcome.DROPPED else "no_reply", detail=reason)
    _broadcast_turn(locked, result)
    return result


def _escalate(turn: _Turn, locked: _Locked) -> None:
    """What the guards found is escalated once, whether or not the bot answers."""
    escalations, turn.escalations = turn.escalations, []
    for escalate in escalations:
        escalate(conversation=locked.conversation, contact=locked.contact)


def _settle(turn: _Turn, outcome: str) -> None:
    """The turn's messages are answered: the latest with ``outcome``, earlier ones with it."""
    now = timezone.now()
    latest = turn.latest.pk
    earlier = [m.pk for m in turn.messages if m.pk != latest]
    Message.objects.filter(pk=latest, handled_at__isnull=True).update(
        turn_started_at=turn.claimed_at, handled_at=now, turn_outcome=outcome, updated_at=now
    )
    if earlier:
        Message.objects.filter(pk__in=earlier, handled_at__isnull=True).update(
            handled_at=now, turn_outcome=Outcome.SUPERSEDED, updated_at=now
        )


def _broadcast_turn(locked: _Locked, outcome: PipelineOutcome) -> None:
    broadcast_dashboard_event(
        kind="conversation.updated",
        data={
            "conversation": locked.conversation.pk,
            "contact": locked.contact.pk,
            "result": outcome.result,
            "stage": locked.conversation.stage,
            "temperature": locked.contact.temperature,
        },
    )


def _send_replies(outcome: PipelineOutcome, turn: _Turn | None) -> None:
    """Send what the turn queued, now that it has committed (the minute sweep covers a crash)."""
    replies = list(turn.sends) if turn is not None else []
    keyword_reply = outcome.result in ("opted_out", "opted_in", "help")
    if keyword_reply and outcome.reply is not None and outcome.reply not in replies:
        replies.append(outcome.reply)
    # The lead's very first message starts the speed-to-lead clock; the send records it.
    first_inbound_at = turn.messages[0].sent_at if turn is not None and not turn.history else None
    for reply in replies:
        # The message, its conversation and its contact as the turn just wrote them.
        status = send_queued_message(
            message_id=reply.pk,
            rules_checked_at=timezone.now(),
            first_inbound_at=first_inbound_at,
            queued=reply,
        )
        if status == Message.Status.SENT and turn is not None and reply.sent_at:
            # How long the lead waited: their oldest message this turn answers, recorded as
            # its webhook was processed, to the reply handed to HighLevel.
            waited = (reply.sent_at - turn.messages[0].created_at).total_seconds()
            performance.tracker.observe(
                performance.BOT_REPLY_TIME, max(waited, 0) * 1000, reply.conversation.bot
            )


# --- Keywords ---------------------------------------------------------------------------------


def _answer_keyword(message: Message, contact: Contact, keyword: str, now: datetime):
    """STOP, START and HELP are answered by rule and never reach the bot."""
    conversation = message.conversation  # its contact is locked by the caller
    Message.objects.filter(pk=message.pk).update(
        turn_started_at=now, handled_at=now, turn_outcome=Outcome.KEYWORD, updated_at=now
    )
    message.handled_at, message.turn_outcome = now, Outcome.KEYWORD
    language = contact.language
    if keyword == "opt_out":
        if not opt_out_contact(
            contact=contact, source="sms_keyword", wording=message.body, channel=message.channel
        ):
            return PipelineOutcome("opted_out", detail="already opted out: no second confirmation")
        contact.refresh_from_db()
        reply = _queue_keyword_reply(
            conversation, contact, "opt_out_confirmation", keyword, language
        )
        return PipelineOutcome("opted_out", reply=reply)
    if keyword == "opt_in":
        if not opt_in_contact(
            contact=contact, source="sms_keyword", wording=message.body, channel=message.channel
        ):
            return PipelineOutcome("opted_in", detail="was not opted out")
        contact.refresh_from_db()
        reply = _queue_keyword_reply(
            conversation, contact, "opt_in_confirmation", keyword, language
        )
        return PipelineOutcome("opted_in", reply=reply)
    reply = _queue_keyword_reply(conversation, contact, "help", keyword, language)
    audit(action="keyword.help", subject=conversation, actor=BOT, actor_label="keywords")
    return PipelineOutcome("help", reply=reply)


def _queue_keyword_reply(conversation, contact, key: str, keyword: str, language: str) -> Message:
    conversation.contact = contact
    return queue_automated_message(
        conversation=conversation,
        body=selectors.reply_text(key=key, language=language),
        sender=Message.Sender.SYSTEM,
        ai_metadata={"engine": "rules", "keyword": keyword},
        reason=f"keyword:{keyword}",
        send_after_commit=False,
    )


# --- The apply step, shared by replies and follow-ups --------------------------------------------


@dataclass(frozen=True)
class Reply:
    """The words of a turn, ready to queue."""

    text: str
    metadata: dict
    reason: str
    subject: str = ""
    channel: str | None = None
    attachments: tuple[dict, ...] = ()


def apply_turn(
    ctx: TurnContext, turn: BotTurn, *, reply: Reply | None, learned: list[str] = ()
) -> Message | None:
    """Write what the bot decided: state and stage, bookings, hand-offs, and its reply.

    The one apply step of replies and follow-ups; the caller holds the contact and
    conversation locks and sends the returned message once its transaction commits.
    """
    conversation, contact = ctx.conversation, ctx.contact
    if turn.state:
        conversation.bot_state = {**conversation.bot_state, **turn.state}
    if turn.stage:
        conversation.stage = turn.stage
    audit(
        action="bot.turn",
        subject=conversation,
        actor=BOT,
        actor_label=conversation.bot,
        data={
            "goal": turn.goal,
            "stage": conversation.stage,
            "learned": list(learned),
            "followup": ctx.inbound is None,
        },
    )
    if turn.book_call:
        from leads.tasks import book_call_with_agent_task

        publish_on_commit(book_call_with_agent_task, contact.pk, "Hot lead from the bot")
        # Jorge calls them now: a "still thinking about it?" nudge would talk over him.
        conversation.bot_state = {**conversation.bot_state, CALL_BOOKED_STATE: True}
        conversation.next_followup_at = None
    message = None
    hand_to_human, why = turn.hand_to_human, turn.escalation_reason or EscalationTicket.Reason.OTHER
    if reply is not None:
        if _repeats_last_bot_message(ctx, reply.text):
            # A bot that would say the same thing twice in a row has nothing new to say.
            audit(
                action="reply.repeat_blocked",
                subject=conversation,
                actor=BOT,
                actor_label=conversation.bot,
                data={"goal": turn.goal},
            )
            if not hand_to_human:
                hand_to_human, why = (
                    "the bot had nothing new to say",
                    EscalationTicket.Reason.BOT_FAILED,
                )
        else:
            message = queue_automated_message(
                conversation=conversation,
                body=reply.text,
                subject=reply.subject,
                channel=reply.channel,
                ai_metadata=reply.metadata,
                attachments=list(reply.attachments),
                reason=reply.reason,
                send_after_commit=False,
            )
    if ctx.inbound is not None and not hand_to_human:
        # The lead wrote and the bot had nothing to say: once can be by design (a repeated
        # thanks), twice in a row the bot is failing them.
        silent = 0 if message is not None else conversation.bot_state.get(SILENT_STATE, 0) + 1
        if silent or SILENT_STATE in conversation.bot_state:
            conversation.bot_state = {**conversation.bot_state, SILENT_STATE: silent}
        if silent >= 2:
            hand_to_human = "the bot had nothing to say twice in a row"
            why = EscalationTicket.Reason.BOT_FAILED
    if hand_to_human:
        _hand_to_human(
            conversation=conversation,
            reason=why,
            summary=hand_to_human,
            context={"goal": turn.goal, "bot": conversation.bot},
            message=ctx.inbound,
            lead_told=message,
        )
    conversation.save(
        update_fields=[
            "bot",
            "bot_state",
            "stage",
            "status",
            "followup_step",
            "next_followup_at",
            "updated_at",
        ]
    )
    return message


def _repeats_last_bot_message(ctx: TurnContext, text: str) -> bool:
    last_bot = next((body for who, body in reversed(ctx.transcript) if who == "bot"), None)
    return last_bot is not None and last_bot.strip() == text.strip()


def _reply_request(ctx: TurnContext, turn: BotTurn) -> ReplyRequest:
    contact = ctx.contact
    fallback = selectors.reply_text(
        key=turn.key,
        language=contact.language,
        first_name=contact.first_name,
        **turn.template_context,
    )
    return ReplyRequest(
        language=contact.language,
        bot=ctx.conversation.bot,
        goal=turn.goal,
        first_name=contact.first_name,
        known_facts=_known_facts(contact),
        transcript=ctx.transcript,
        fallback_text=fallback,
        is_first_message=ctx.is_first_reply,
    )


def _reply_from(ctx: TurnContext, turn: BotTurn, decision: _Decision) -> Reply:
    reason = f"{ctx.conversation.bot}:{turn.goal}"
    if turn.verbatim_text:
        return Reply(
            text=turn.verbatim_text,
            metadata={"engine": "rules", "rule": turn.goal},
            reason=f"guard:{turn.goal}",
        )
    request, draft = decision.request, decision.draft
    text, metadata = draft.text, draft.ai_metadata()
    problems = outbound_problems(text, language=request.language)
    opinion = decision.second_opinion
    if opinion is not None:
        metadata = {**metadata, "second_opinion": opinion.as_metadata()}
        if opinion.violation and not problems:
            # The model saw what the rules missed: blocked like a rule's finding.
            problems = [f"second_opinion: {opinion.type}: {opinion.reason}"]
    if problems and text != request.fallback_text:
        # Claude's draft is blocked (kept, never sent, escalated); the vetted template goes
        # instead, and the guards check that one too when it is queued.
        block_draft(
            conversation=ctx.conversation,
            contact=ctx.contact,
            text=text,
            problems=problems,
            metadata=metadata,
        )
        text = request.fallback_text
        metadata = {**metadata, "engine": "offline", "fallback_reason": "; ".join(problems)}
    return Reply(text=text, metadata=metadata, reason=reason)


def outbound_problems(text: str, *, language: str) -> list[str]:
    """What the outbound guards refuse in ``text`` (empty: it may be sent)."""
    return [problem for guard in OUTBOUND_GUARDS for problem in guard(text, language)]


def block_draft(
    *,
    conversation: Conversation,
    contact: Contact,
    text: str,
    problems: list[str],
    metadata: dict,
    subject: str = "",
    channel: str | None = None,
) -> Message:
    """Keep a text the outbound guards refused as blocked (never sent), and escalate it.

    The caller holds the contact's lock (the bot turn, ``queue_automated_message``).
    """
    draft = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        channel=channel or conversation.channel,
        body=redact_sensitive(text),
        subject=redact_sensitive(subject),
        sender=Message.Sender.BOT,
        status=Message.Status.BLOCKED,
        ai_metadata={**metadata, "blocked_by": problems},
    )
    audit(
        action="guard.outbound",
        subject=conversation,
        actor=BOT,
        actor_label="outbound_guards",
        data={"problems": problems, "engine": metadata.get("engine", ""), "message": draft.pk},
    )
    for handler in BLOCKED_DRAFT_HANDLERS:
        handler(conversation=conversation, contact=contact, message=draft)
    return draft


def _why_silent(*, contact: Contact, conversation: Conversation, now) -> str:
    """Why the bot must not answer this conversation at all ("" when it may)."""
    if not contact.can_receive_automated:
        return "contact opted out or on do-not-disturb"
    if conversation.status in (Conversation.Status.OPTED_OUT, Conversation.Status.CLOSED):
        return f"conversation {conversation.status}"
    if selectors.is_bot_paused(conversation=conversation, at=now):
        return "a human has taken over"
    if not selectors.bot_settings().bots_enabled:
        return KILL_SWITCH
    return ""


def _hand_off(ctx: TurnContext, *, to: str, state: dict) -> None:
    conversation = ctx.conversation
    previous = conversation.bot
    conversation.bot = to
    conversation.bot_state = {**conversation.bot_state, **state}
    audit(
        action="bot.handoff",
        subject=conversation,
        actor=BOT,
        actor_label=previous,
        data={"from": previous, "to": to, "context": _known_facts(ctx.contact)},
    )
    broadcast_dashboard_event(
        kind="conversation.handoff", data={"conversation": conversation.pk, "to": to}
    )


def _known_facts(contact: Contact) -> dict:
    return {
        "intent": contact.intent,
        "timeline": contact.timeline,
        "budget_max": contact.budget_max,
        "pre_approved": contact.pre_approved,
        "area": contact.area,
        "temperature": contact.temperature,
    }


def _hand_to_human(
    *,
    conversation: Conversation,
    reason: str,
    summary: str,
    context: dict,
    message: Message | None = None,
    lead_told: Message | None = None,
) -> None:
    """The bot steps back: one escalation ticket (``leads.services.escalation``) does the rest."""
    escalate_to_human(
        conversation=conversation,
        reason=reason,
        summary=summary,
        context=context,
        message=message,
        lead_told=lead_told,
        actor=BOT,
        actor_label=conversation.bot,
    )


def _restart_followups(conversation: Conversation, *, now: datetime) -> None:
    """The lead wrote: the nurture cadence starts again, unless a person has them."""
    if selectors.followups_stop_reason(conversation=conversation):
        conversation.next_followup_at = None
        return
    days = selectors.bot_settings().followup_days
    conversation.followup_step = 0
    conversation.next_followup_at = now + timedelta(days=days[0]) if days else None


def retry_failed_turns(*, message_ids: Iterable[int], user: AbstractBaseUser | None = None) -> int:
    """Run the bot's turn again for messages whose turn failed (a person fixed the cause).

    Returns how many were queued; messages whose turn did not fail are left alone.
    """
    from leads.tasks import run_turn_task

    with transaction.atomic():
        # Their contacts and conversations first: the one lock order (leads/services/locks.py).
        locked = lock_messages(message_ids=message_ids)
        failed = [message for message in locked if message.turn_outcome == Outcome.FAILED]
        for message in failed:
            Message.objects.filter(pk=message.pk).update(
                turn_started_at=None, handled_at=None, turn_outcome="", updated_at=timezone.now()
            )
            audit(
                action="bot.turn_retried",
                subject=message.conversation,
                user=user,
                data={"message": message.pk, "error": message.turn_error[:500]},
            )
            publish_on_commit(run_turn_task, message.pk)
    return len(failed)


def answer_held_messages(*, now: datetime | None = None) -> list[int]:
    """The bots restarted: run the turn of each conversation's last message the kill switch
    held, if nobody answered it since and it is recent (``BOT_TURN_SWEEP_WINDOW_HOURS``).

    Returns the message ids. The lead who waited (and was escalated by the five-minute
    rule) gets their reply as soon as the bots may send it.
    """
    from leads.tasks import run_turn_task

    ids = list(selectors.messages_held_by_kill_switch(now=now).values_list("pk", flat=True))
    with transaction.atomic():
        for message_id in ids:
            Message.objects.filter(pk=message_id, turn_outcome=Outcome.HELD).update(
                turn_started_at=None, handled_at=None, turn_outcome="", updated_at=timezone.now()
            )
            publish_on_commit(run_turn_task, message_id)
    if ids:
        logger.info("bots restarted: answering %d held messages", len(ids))
    return ids


# --- A turn that crashed ------------------------------------------------------------------------


def _fail_turn(*, message_id: int, exc: Exception) -> PipelineOutcome:
    """Record the crash on the message and its webhook event, and hand the lead to a person."""
    error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.select_related("conversation").filter(pk=message_id).first()
        if message is None:
            raise exc
        contact, conversation = lock_contact_and_conversation(
            contact_id=message.conversation.contact_id, conversation_id=message.conversation_id
        )
        # Everything the failed turn had claimed is settled with it, so the sweep leaves it.
        same_claim = Q(turn_started_at=message.turn_started_at) if message.turn_started_at else Q()
        claimed = Message.objects.filter(
            Q(pk=message_id) | same_claim,
            conversation__contact=contact,
            direction=Message.Direction.INBOUND,
            handled_at__isnull=True,
        )
        claimed_ids = list(claimed.values_list("pk", flat=True))
        Message.objects.filter(pk__in=claimed_ids).update(
            handled_at=now, turn_outcome=Outcome.FAILED, turn_error=error, updated_at=now
        )
        WebhookEvent.objects.filter(message_id__in=claimed_ids).update(
            status=WebhookEvent.Status.TURN_FAILED,
            last_error=f"The bot's turn failed: {error}",
            updated_at=now,
        )
        audit(
            action="bot.turn_failed",
            subject=conversation,
            actor=AuditEvent.Actor.SYSTEM,
            actor_label="pipeline",
            data={"messages": claimed_ids, "error": error[:500]},
        )
        _hand_to_human(
            conversation=conversation,
            reason=EscalationTicket.Reason.BOT_FAILED,
            summary="the bot failed to answer; please reply to the lead",
            context={"turn_failed": True, "messages": claimed_ids},
            message=message,
        )
    return PipelineOutcome("failed", detail=error), contact.pk
