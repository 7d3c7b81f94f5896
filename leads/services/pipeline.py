"""The bot pipeline: one inbound message to its outcome.

``handle_inbound_message`` is the one entry point (webhook task, simulator, tests):

1. lock the conversation, so two messages from one contact are handled in order;
2. inbound guards: STOP/START/HELP keywords, then the compliance checks other apps
   register (``register_inbound_guard``);
3. the lead analysis updates the contact's qualification;
4. the bot in charge decides its turn (``leads.bots``), an engine words it, and the
   outbound guards (``register_outbound_guard``) and reply validation check the words;
5. the reply is queued under the sending rules (``leads.services.messaging``) and sent
   after commit; every decision is audited and the dashboard hears about it.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from analytics.services import broadcast_dashboard_event
from compliance.models import AuditEvent
from compliance.rules.keywords import classify_keyword
from compliance.services import audit
from leads import selectors
from leads.bots.base import BotTurn, TurnContext, get_bot
from leads.intelligence.engine import analyze_lead, compose_reply
from leads.intelligence.replies import ReplyRequest
from leads.intelligence.schema import LeadAnalysis
from leads.models import Contact, Conversation, Message, Temperature
from leads.services.consent import opt_in_contact, opt_out_contact, record_consent
from leads.services.messaging import queue_automated_message
from leads.services.qualification import apply_lead_analysis

logger = logging.getLogger(__name__)

BOT = AuditEvent.Actor.BOT


@dataclass(frozen=True)
class GuardFinding:
    """An inbound guard's verdict: answer with the vetted ``reply`` and maybe hand to Jorge."""

    rule: str
    reply: str
    hand_to_human: bool = False
    data: dict | None = None


InboundGuard = Callable[[Message, Contact], GuardFinding | None]
# Returns the problems it finds in a reply's text (empty: fine).
OutboundGuard = Callable[[str, str], list[str]]

INBOUND_GUARDS: list[InboundGuard] = []
OUTBOUND_GUARDS: list[OutboundGuard] = []


def register_inbound_guard(guard: InboundGuard) -> InboundGuard:
    """Run ``guard(message, contact)`` on every inbound message before the bot sees it."""
    if guard not in INBOUND_GUARDS:
        INBOUND_GUARDS.append(guard)
    return guard


def register_outbound_guard(guard: OutboundGuard) -> OutboundGuard:
    """Run ``guard(text, language)`` on every bot reply before it is queued."""
    if guard not in OUTBOUND_GUARDS:
        OUTBOUND_GUARDS.append(guard)
    return guard


@dataclass(frozen=True)
class PipelineOutcome:
    """What the pipeline did with one inbound message (for callers, tests and the simulator)."""

    result: str  # replied, opted_out, opted_in, help, no_reply, duplicate, skipped
    reply: Message | None = None
    detail: str = ""


def handle_inbound_message(*, message_id: int) -> PipelineOutcome:
    """Take inbound message ``message_id`` to its outcome; safe to run twice."""
    now = timezone.now()
    with transaction.atomic():
        conversation_id = Message.objects.values_list("conversation_id", flat=True).get(
            pk=message_id
        )
        # Lock order: conversation, then contact; every writer of both follows it.
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        contact = Contact.objects.select_for_update().get(pk=conversation.contact_id)
        conversation.contact = contact
        inbound = Message.objects.get(pk=message_id)
        if inbound.handled_at is not None:
            return PipelineOutcome("duplicate")
        inbound.handled_at = now
        inbound.save(update_fields=["handled_at", "updated_at"])

        outcome = _handle_keyword(inbound=inbound, conversation=conversation, contact=contact)
        if outcome is None:
            outcome = _converse(
                inbound=inbound, conversation=conversation, contact=contact, now=now
            )
        broadcast_dashboard_event(
            kind="conversation.updated",
            data={
                "conversation": conversation.pk,
                "contact": contact.pk,
                "result": outcome.result,
                "stage": conversation.stage,
                "temperature": contact.temperature,
            },
        )
    return outcome


def _handle_keyword(
    *, inbound: Message, conversation: Conversation, contact: Contact
) -> PipelineOutcome | None:
    """STOP, START and HELP are answered by rule and never reach the bot."""
    keyword = classify_keyword(inbound.body)
    if keyword is None:
        return None
    language = contact.language
    if keyword == "opt_out":
        if not opt_out_contact(
            contact=contact, source="sms_keyword", wording=inbound.body, channel=inbound.channel
        ):
            return PipelineOutcome("opted_out", detail="already opted out: no second confirmation")
        contact.refresh_from_db()
        reply = _queue_keyword_reply(
            conversation, contact, "opt_out_confirmation", keyword, language
        )
        return PipelineOutcome("opted_out", reply=reply)
    if keyword == "opt_in":
        if not opt_in_contact(
            contact=contact, source="sms_keyword", wording=inbound.body, channel=inbound.channel
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
    return queue_automated_message(
        conversation=conversation,
        body=selectors.reply_text(key=key, language=language),
        sender=Message.Sender.SYSTEM,
        ai_metadata={"engine": "rules", "keyword": keyword},
        reason=f"keyword:{keyword}",
    )


def _why_silent(*, contact: Contact, conversation: Conversation, now) -> str:
    """Why the bot must not answer this conversation at all ("" when it may)."""
    if not contact.can_receive_automated:
        return "contact opted out or on do-not-disturb"
    if conversation.status in (Conversation.Status.OPTED_OUT, Conversation.Status.CLOSED):
        return f"conversation {conversation.status}"
    if selectors.is_bot_paused(conversation=conversation, at=now):
        return "a human has taken over"
    if not selectors.bot_settings().bots_enabled:
        return "kill switch: all bots are stopped"
    return ""


def _converse(
    *, inbound: Message, conversation: Conversation, contact: Contact, now
) -> PipelineOutcome:
    if not contact.consent_records.exists():
        # The lead wrote to us first: their own message is the evidence they asked for replies.
        record_consent(
            contact=contact,
            source=f"first inbound {inbound.get_channel_display()}",
            wording=inbound.body,
            channel=inbound.channel,
        )
    history = list(
        Message.objects.filter(
            conversation__contact=contact,
            direction=Message.Direction.INBOUND,
            sent_at__lt=inbound.sent_at,
        )
        .exclude(pk=inbound.pk)
        .order_by("sent_at")
        .values_list("body", flat=True)
    )
    analysis = analyze_lead(message=inbound.body, history=history)
    was_hot = contact.temperature == Temperature.HOT
    changed = apply_lead_analysis(contact=contact, analysis=analysis)
    if contact.temperature == Temperature.HOT and not was_hot:
        broadcast_dashboard_event(
            kind="lead.hot", data={"contact": contact.pk, "score": contact.score}
        )

    # Every reply from the lead restarts the nurture cadence.
    _restart_followups(conversation=conversation, now=now)

    silent = _why_silent(contact=contact, conversation=conversation, now=now)
    if silent:
        audit(
            action="reply.skipped",
            subject=conversation,
            actor=BOT,
            actor_label="pipeline",
            data={"reason": silent, "message": inbound.pk},
        )
        return PipelineOutcome("no_reply", detail=silent)

    transcript = selectors.conversation_transcript(conversation=conversation)
    is_first_reply = (
        not Message.objects.filter(
            conversation=conversation,
            direction=Message.Direction.OUTBOUND,
            sender=Message.Sender.BOT,
        )
        .exclude(status=Message.Status.BLOCKED)
        .exists()
    )
    ctx = TurnContext(
        conversation=conversation,
        contact=contact,
        inbound=inbound,
        analysis=analysis,
        transcript=transcript,
        is_first_reply=is_first_reply,
    )
    turn = _guarded_turn(ctx)
    reply = _apply_turn(ctx, turn, analysis=analysis, changed=changed)
    if reply is None:
        return PipelineOutcome("no_reply", detail=turn.hand_to_human or turn.goal)
    return PipelineOutcome("replied", reply=reply, detail=turn.goal)


def _guarded_turn(ctx: TurnContext) -> BotTurn:
    """The compliance guards speak first; otherwise the bot in charge (after any handoff)."""
    for guard in INBOUND_GUARDS:
        finding = guard(ctx.inbound, ctx.contact)
        if finding:
            audit(
                action="guard.inbound",
                subject=ctx.conversation,
                actor=BOT,
                actor_label=finding.rule,
                data={"message": ctx.inbound.pk, **(finding.data or {})},
            )
            return BotTurn(
                goal=finding.rule,
                verbatim_text=finding.reply,
                hand_to_human=f"compliance: {finding.rule}" if finding.hand_to_human else "",
            )
    turn = get_bot(ctx.conversation.bot).next_turn(ctx)
    if turn.handoff_to:
        _hand_off(ctx, to=turn.handoff_to, state=turn.state)
        turn = get_bot(turn.handoff_to).next_turn(ctx)
    return turn


def _hand_off(ctx: TurnContext, *, to: str, state: dict) -> None:
    conversation = ctx.conversation
    previous = conversation.bot
    conversation.bot = to
    conversation.bot_state = {**conversation.bot_state, **state}
    conversation.save(update_fields=["bot", "bot_state", "updated_at"])
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


def _apply_turn(
    ctx: TurnContext, turn: BotTurn, *, analysis: LeadAnalysis | None, changed: dict
) -> Message | None:
    conversation, contact = ctx.conversation, ctx.contact
    fields = []
    if turn.state:
        conversation.bot_state = {**conversation.bot_state, **turn.state}
        fields.append("bot_state")
    if turn.stage and turn.stage != conversation.stage:
        conversation.stage = turn.stage
        fields.append("stage")
    if fields:
        conversation.save(update_fields=[*fields, "updated_at"])
    audit(
        action="bot.turn",
        subject=conversation,
        actor=BOT,
        actor_label=conversation.bot,
        data={"goal": turn.goal, "stage": conversation.stage, "learned": sorted(changed)},
    )

    if turn.book_call:
        from leads.tasks import book_call_with_agent

        transaction.on_commit(
            partial(book_call_with_agent.delay, contact.pk, "Hot lead from the bot")
        )
    reply = _queue_reply(ctx, turn) if turn.send else None
    if turn.hand_to_human:
        _hand_to_human(conversation=conversation, contact=contact, reason=turn.hand_to_human)
    return reply


def _queue_reply(ctx: TurnContext, turn: BotTurn) -> Message:
    contact = ctx.contact
    language = contact.language
    if turn.verbatim_text:
        return queue_automated_message(
            conversation=ctx.conversation,
            body=turn.verbatim_text,
            ai_metadata={"engine": "rules", "rule": turn.goal},
            reason=f"guard:{turn.goal}",
        )
    fallback = selectors.reply_text(
        key=turn.key, language=language, first_name=contact.first_name, **turn.template_context
    )
    draft = compose_reply(
        ReplyRequest(
            language=language,
            bot=ctx.conversation.bot,
            goal=turn.goal,
            first_name=contact.first_name,
            known_facts=_known_facts(contact),
            transcript=ctx.transcript,
            fallback_text=fallback,
            is_first_message=ctx.is_first_reply,
        )
    )
    text, metadata = draft.text, draft.ai_metadata()
    problems = [p for guard in OUTBOUND_GUARDS for p in guard(text, language)]
    if problems and text != fallback:
        audit(
            action="guard.outbound",
            subject=ctx.conversation,
            actor=BOT,
            actor_label="outbound_guards",
            data={"problems": problems, "engine": draft.engine},
        )
        text, metadata = (
            fallback,
            {**metadata, "engine": "offline", "fallback_reason": "; ".join(problems)},
        )
    return queue_automated_message(
        conversation=ctx.conversation,
        body=text,
        ai_metadata=metadata,
        reason=f"{ctx.conversation.bot}:{turn.goal}",
    )


def _hand_to_human(*, conversation: Conversation, contact: Contact, reason: str) -> None:
    """The bot steps back; Jorge gets a task in HighLevel and the dashboard hears of it."""
    from leads.services.inbound import pause_bot_for_human
    from leads.tasks import notify_agent

    pause_bot_for_human(
        conversation=conversation, reason=reason, actor=BOT, actor_label=conversation.bot
    )
    conversation.stage = Conversation.Stage.HANDED_OFF
    conversation.next_followup_at = None
    conversation.save(update_fields=["stage", "next_followup_at", "updated_at"])
    transaction.on_commit(partial(notify_agent.delay, contact.pk, reason))
    broadcast_dashboard_event(
        kind="conversation.needs_human", data={"conversation": conversation.pk, "reason": reason}
    )


def _restart_followups(*, conversation: Conversation, now) -> None:
    days = selectors.bot_settings().followup_days
    conversation.followup_step = 0
    conversation.next_followup_at = now + timedelta(days=days[0]) if days else None
    conversation.save(update_fields=["followup_step", "next_followup_at", "updated_at"])
