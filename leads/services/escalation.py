"""People in the loop: the one way a conversation reaches a person, and back to the bot.

``escalate_to_human`` opens (or reuses) an ``EscalationTicket``, marks the conversation for
review, pauses its bot until a person resumes it (except for the reasons in
``BOT_KEEPS_ANSWERING``), stops its follow-ups, audits, tells the dashboard and,
after commit, tells the on-call person (email, SMS through HighLevel, a HighLevel task).
Outside on-call hours, or with nobody on call, the email and SMS wait for the next on-call
morning (``notify_due_escalations``, from beat) and a lead left waiting for a person gets one
polite holding message. Reviewers work the tickets in the admin through the functions below.
See docs/bots.md, "Escalation".
"""

import logging
from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from analytics.services import broadcast_dashboard_event
from compliance.models import AuditEvent
from compliance.services import audit
from config.queueing import publish, publish_on_commit
from leads import selectors
from leads.exceptions import EscalationError
from leads.ghl.exceptions import GHLClientError, GHLError
from leads.models import Contact, Conversation, EscalationTicket, Message
from leads.services import summaries
from leads.services.locks import (
    lock_contact,
    lock_contact_and_conversation,
    lock_conversations_of,
    relock,
)

logger = logging.getLogger(__name__)

Reason = EscalationTicket.Reason
Status = EscalationTicket.Status

# Reasons where the bot keeps answering: a person checks something beside the conversation
# (the buyer's finances), or owes the lead an answer the bot still sends (the five-minute
# rule: pausing the bot would take away the reply the lead has been waiting for).
BOT_KEEPS_ANSWERING = frozenset(
    {Reason.FINANCIAL_REVIEW, Reason.MISSED_FIRST_REPLY, Reason.SEND_UNCONFIRMED}
)


# --- On call ---------------------------------------------------------------------------------


def _on_call_zone() -> ZoneInfo:
    return ZoneInfo(settings.ESCALATION_ONCALL_TIMEZONE)


def is_on_call(*, at: datetime) -> bool:
    """Whether someone takes escalations at ``at`` (on-call days and hours, and the switch)."""
    if not selectors.bot_settings().someone_on_call:
        return False
    local = at.astimezone(_on_call_zone())
    start, end = settings.ESCALATION_ONCALL_START_HOUR, settings.ESCALATION_ONCALL_END_HOUR
    return local.weekday() in settings.ESCALATION_ONCALL_DAYS and start <= local.hour < end


def next_on_call_start(*, after: datetime) -> datetime:
    """The start of the next on-call day after ``after`` (the morning a queued ticket waits for)."""
    zone = _on_call_zone()
    local = after.astimezone(zone)
    start = time(hour=settings.ESCALATION_ONCALL_START_HOUR)
    for days in range(0, 8):
        day = local.date() + timedelta(days=days)
        if day.weekday() not in settings.ESCALATION_ONCALL_DAYS:
            continue
        candidate = datetime.combine(day, start, tzinfo=zone)
        if candidate > local:
            return candidate
    # No on-call day configured: try again in a day rather than never.
    return after + timedelta(days=1)


# --- Escalating -------------------------------------------------------------------------------


def escalate_to_human(
    *,
    conversation: Conversation,
    reason: str,
    context: dict | None = None,
    message: Message | None = None,
    summary: str = "",
    priority: str | None = None,
    lead_told: Message | None = None,
    actor: str = AuditEvent.Actor.BOT,
    actor_label: str = "escalation",
    now: datetime | None = None,
) -> EscalationTicket:
    """Hand ``conversation`` to a person for ``reason``; returns the (new or reused) ticket.

    Call it inside the transaction of the decision (the bot turn's, or its own): every write
    commits with it and every outside call (email, SMS, HighLevel task) runs after commit.
    ``context`` is for machines and must hold no personal data. ``lead_told``: a message the
    caller queued that already tells the lead a person will answer (no holding message then).
    An open ticket of the same reason on the conversation is reused and counted, not duplicated.
    """
    try:
        reason = Reason(reason)
    except ValueError as exc:
        raise EscalationError(f"Unknown escalation reason {reason!r}.") from exc
    if priority is not None and priority not in EscalationTicket.Priority.values:
        raise EscalationError(f"Unknown priority {priority!r}.")
    now = now or timezone.now()
    context = dict(context or {})
    summary = (summary or reason.label)[:255]
    with transaction.atomic():
        contact = _lock(conversation)
        ticket = (
            EscalationTicket.objects.select_for_update()
            .filter(conversation=conversation, reason=reason)
            .exclude(status=Status.RESOLVED)
            .first()
        )
        if ticket is not None:
            _count_again(ticket, context=context, message=message, now=now)
        else:
            ticket = _open_ticket(
                conversation=conversation,
                contact=contact,
                reason=reason,
                priority=priority or EscalationTicket.DEFAULT_PRIORITY[reason],
                summary=summary,
                context=context,
                message=message,
                now=now,
                actor=actor,
                actor_label=actor_label,
            )
        pauses = reason not in BOT_KEEPS_ANSWERING
        # Only the fields changed here are saved: a caller's other pending changes are its own.
        fields = ["needs_human_review", "updated_at"]
        if pauses:
            pause_bot_for_human(
                conversation=conversation,
                reason=f"escalation: {summary}",
                message=message,
                actor=actor,
                actor_label=actor_label,
                until_resumed=True,
            )
            conversation.stage = Conversation.Stage.HANDED_OFF
            conversation.next_followup_at = None  # a hand-off stops the nurture cadence
            fields += ["stage", "next_followup_at"]
        conversation.needs_human_review = True
        conversation.save(update_fields=fields)
        if pauses and ticket.notified_at is None and ticket.notify_at > now:
            _hold_the_lead(ticket, conversation=conversation, lead_told=lead_told)
    return ticket


def _lock(conversation: Conversation) -> Contact:
    """Lock the contact, then the conversation (the one lock order), keeping the caller's objects.

    The bot turn passes rows it already holds and has changed in memory: they are locked
    again (a no-op for the holder) but not re-read, so its pending changes survive.
    """
    return relock(conversation=conversation)


def _open_ticket(
    *,
    conversation: Conversation,
    contact: Contact,
    reason: str,
    priority: str,
    summary: str,
    context: dict,
    message: Message | None,
    now: datetime,
    actor: str,
    actor_label: str,
) -> EscalationTicket:
    notify_at = now if is_on_call(at=now) else next_on_call_start(after=now)
    ticket = EscalationTicket.objects.create(
        conversation=conversation,
        contact=contact,
        message=message,
        reason=reason,
        summary=summary,
        priority=priority,
        due_at=notify_at + EscalationTicket.SLA[priority],
        context=context,
        notify_at=notify_at,
    )
    queued = notify_at > now
    audit(
        action="escalation.opened",
        subject=ticket,
        actor=actor,
        actor_label=actor_label,
        data={
            "conversation": conversation.pk,
            "reason": reason,
            "priority": priority,
            "due_at": ticket.due_at.isoformat(),
            "queued_for_morning": queued,
            "message": message.pk if message else None,
            **context,
        },
    )
    transaction.on_commit(partial(_notify_after_commit, ticket.pk, queued=queued))
    if summaries.handover_summaries_call_out():
        from leads.tasks import summarize_escalation_task

        # The model is asked after commit, with no lock held (leads/services/summaries.py).
        publish_on_commit(summarize_escalation_task, ticket.pk)
    broadcast_dashboard_event(
        kind="escalation.opened",
        data={
            "ticket": ticket.pk,
            "conversation": conversation.pk,
            "contact": contact.pk,
            "reason": reason,
            "priority": priority,
            "due_at": ticket.due_at.isoformat(),
            "queued_for_morning": queued,
        },
    )
    return ticket


def _count_again(
    ticket: EscalationTicket, *, context: dict, message: Message | None, now: datetime
) -> None:
    ticket.occurrences += 1
    ticket.context = {**ticket.context, **context}
    ticket.save(update_fields=["occurrences", "context", "updated_at"])
    audit(
        action="escalation.repeated",
        subject=ticket,
        actor=AuditEvent.Actor.SYSTEM,
        actor_label="escalation",
        data={"occurrences": ticket.occurrences, "message": message.pk if message else None},
    )


def _notify_after_commit(ticket_id: int, *, queued: bool) -> None:
    from leads.tasks import create_escalation_task_task, notify_on_call_task

    # The HighLevel task is Jorge's to-do list: it goes at once. The email and SMS wake a
    # person, so outside on-call hours they wait for the morning sweep.
    publish(create_escalation_task_task, ticket_id)
    if not queued:
        publish(notify_on_call_task, ticket_id)


def _hold_the_lead(
    ticket: EscalationTicket, *, conversation: Conversation, lead_told: Message | None
) -> None:
    """Nobody can answer before the morning: tell the lead once, under the sending rules."""
    from leads.services.messaging import queue_automated_message, sending_verdict

    already = EscalationTicket.objects.filter(
        conversation=conversation, holding_message__isnull=False
    ).exclude(status=Status.RESOLVED)
    if ticket.holding_message_id or already.exists():
        return
    if lead_told is not None and lead_told.status == Message.Status.BLOCKED:
        lead_told = None  # a rule stopped that message: the lead was told nothing
    if lead_told is None:
        verdict = sending_verdict(
            contact=conversation.contact,
            conversation=conversation,
            channel=conversation.channel,
            now=timezone.now(),
            keyword_reply=False,
        )
        if verdict.blocked or (verdict.not_before and verdict.not_before >= ticket.notify_at):
            # The lead could only read it once the team is back: it would say nothing true.
            audit(
                action="escalation.holding_skipped",
                subject=ticket,
                actor=AuditEvent.Actor.SYSTEM,
                actor_label="escalation",
                data={"why": verdict.blocked or "the lead's sending window opens after on-call"},
            )
            return
        lead_told = queue_automated_message(
            conversation=conversation,
            body=selectors.reply_text(
                key="escalation_holding",
                language=conversation.contact.language,
                first_name=conversation.contact.first_name,
            ),
            sender=Message.Sender.SYSTEM,
            ai_metadata={"engine": "rules", "rule": "escalation_holding"},
            reason="escalation:holding",
        )
    ticket.holding_message = lead_told
    ticket.save(update_fields=["holding_message", "updated_at"])


# --- Pausing and resuming the bot ---------------------------------------------------------------


def pause_bot_for_human(
    *,
    conversation: Conversation,
    reason: str,
    message: Message | None = None,
    actor: str = AuditEvent.Actor.WEBHOOK,
    actor_label: str = "ghl",
    until_resumed: bool = False,
) -> datetime:
    """Stop the bot on a conversation a person is handling; returns the end of the pause.

    ``until_resumed`` (an escalation) pauses it until a person resumes it (``resume_bot``);
    otherwise (a person replied from HighLevel) for BOT_HUMAN_TAKEOVER_HOURS, 0 meaning the same.
    """
    hours = settings.BOT_HUMAN_TAKEOVER_HOURS
    if until_resumed or hours <= 0:
        until = selectors.BOT_PAUSED_INDEFINITELY
    else:
        until = timezone.now() + timedelta(hours=hours)
    contact = conversation.contact
    if contact.bot_paused_until is None or contact.bot_paused_until < until:
        contact.bot_paused_until = until
        contact.save(update_fields=["bot_paused_until", "updated_at"])
    if conversation.status == Conversation.Status.ACTIVE:
        conversation.status = Conversation.Status.PAUSED
        conversation.save(update_fields=["status", "updated_at"])
    audit(
        action="bot.paused_for_human",
        subject=conversation,
        actor=actor,
        actor_label=actor_label,
        data={
            "reason": reason,
            "paused_until": contact.bot_paused_until.isoformat(),
            "message_id": message.pk if message else None,
        },
    )
    return contact.bot_paused_until


def resume_bot(*, conversation: Conversation, user: AbstractBaseUser | None = None) -> None:
    """Hand a paused conversation back to the bot: the pause ends, the review flag clears,
    and the nurture cadence starts again from now."""
    now = timezone.now()
    with transaction.atomic():
        contact, conversation = lock_contact_and_conversation(
            contact_id=conversation.contact_id, conversation_id=conversation.pk
        )
        was = {
            "paused_until": contact.bot_paused_until.isoformat()
            if contact.bot_paused_until
            else None,
            "status": conversation.status,
            "needs_human_review": conversation.needs_human_review,
        }
        contact.bot_paused_until = None
        contact.save(update_fields=["bot_paused_until", "updated_at"])
        if conversation.status == Conversation.Status.PAUSED:
            conversation.status = Conversation.Status.ACTIVE
        if conversation.stage == Conversation.Stage.HANDED_OFF:
            conversation.stage = Conversation.Stage.QUALIFYING
        conversation.needs_human_review = False
        days = selectors.bot_settings().followup_days
        if (
            conversation.status == Conversation.Status.ACTIVE
            and days
            and not selectors.followups_stop_reason(conversation=conversation)
        ):
            conversation.followup_step = 0
            conversation.next_followup_at = now + timedelta(days=days[0])
        conversation.save(
            update_fields=[
                "status",
                "stage",
                "needs_human_review",
                "followup_step",
                "next_followup_at",
                "updated_at",
            ]
        )
        audit(action="bot.resumed", subject=conversation, user=user, data=was)
        broadcast_dashboard_event(
            kind="conversation.resumed", data={"conversation": conversation.pk}
        )


def pause_contact_bot(*, contact: Contact, user: AbstractBaseUser, via: str = "the admin") -> bool:
    """A person stops the bot on every open conversation of ``contact`` until resumed.

    Returns False when it was already paused that way. ``via``: where they did it, for the
    audit trail ("the admin", "the dashboard", "the API").
    """
    with transaction.atomic():
        contact = lock_contact(contact_id=contact.pk)
        if contact.bot_paused_until == selectors.BOT_PAUSED_INDEFINITELY:
            return False
        conversations = lock_conversations_of(
            contact=contact,
            status__in=[Conversation.Status.ACTIVE, Conversation.Status.PAUSED],
        )
        for conversation in conversations:
            conversation.contact = contact
            pause_bot_for_human(
                conversation=conversation,
                reason=f"paused in {via} by {user.get_username()}",
                actor=AuditEvent.Actor.HUMAN,
                actor_label=user.get_username(),
                until_resumed=True,
            )
        if contact.bot_paused_until != selectors.BOT_PAUSED_INDEFINITELY:
            # No open conversation: the pause still holds for the next one.
            contact.bot_paused_until = selectors.BOT_PAUSED_INDEFINITELY
            contact.save(update_fields=["bot_paused_until", "updated_at"])
            audit(action="bot.paused_for_human", subject=contact, user=user)
        broadcast_dashboard_event(kind="contact.bot_paused", data={"contact": contact.pk})
    return True


def resume_contact_bot(*, contact: Contact, user: AbstractBaseUser) -> bool:
    """Hand every paused conversation of ``contact`` back to the bot; False if none was paused."""
    paused = list(Conversation.objects.filter(contact=contact, status=Conversation.Status.PAUSED))
    if not paused and contact.bot_paused_until is None:
        return False
    for conversation in paused:
        resume_bot(conversation=conversation, user=user)
    if not paused:
        with transaction.atomic():
            Contact.objects.filter(pk=contact.pk).update(
                bot_paused_until=None, updated_at=timezone.now()
            )
            audit(action="bot.resumed", subject=contact, user=user)
    return True


# --- Working a ticket ---------------------------------------------------------------------------


def assign_ticket(*, ticket: EscalationTicket, user: AbstractBaseUser) -> EscalationTicket:
    """``user`` takes the ticket (open → assigned; an assigned one changes hands)."""
    with transaction.atomic():
        ticket = EscalationTicket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status == Status.RESOLVED:
            raise EscalationError(f"Ticket #{ticket.pk} is already resolved.")
        previous = ticket.assignee.get_username() if ticket.assignee else None
        ticket.assignee, ticket.status, ticket.assigned_at = user, Status.ASSIGNED, timezone.now()
        ticket.save(update_fields=["assignee", "status", "assigned_at", "updated_at"])
        audit(
            action="escalation.assigned",
            subject=ticket,
            user=user,
            data={"from": previous, "to": user.get_username()},
        )
        _broadcast_ticket(ticket)
    return ticket


def resolve_ticket(
    *,
    ticket: EscalationTicket,
    user: AbstractBaseUser,
    note: str,
    resume: bool = False,
) -> EscalationTicket:
    """Close the ticket with what was done; the conversation leaves the review queue when it was
    its last open ticket. ``resume`` hands the conversation back to the bot as well."""
    note = (note or "").strip()
    if not note:
        raise EscalationError("Say how the ticket was resolved.")
    with transaction.atomic():
        # The lead's contact and conversation before the ticket: the one lock order
        # (leads/services/locks.py); this may resume the bot and changes the conversation.
        lock_contact_and_conversation(
            contact_id=ticket.contact_id, conversation_id=ticket.conversation_id
        )
        ticket = EscalationTicket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status == Status.RESOLVED:
            raise EscalationError(f"Ticket #{ticket.pk} is already resolved.")
        now = timezone.now()
        ticket.status, ticket.resolved_at, ticket.resolution_note = Status.RESOLVED, now, note
        if ticket.assignee_id is None:
            ticket.assignee, ticket.assigned_at = user, now
        ticket.save(
            update_fields=[
                "status",
                "resolved_at",
                "resolution_note",
                "assignee",
                "assigned_at",
                "updated_at",
            ]
        )
        audit(
            action="escalation.resolved",
            subject=ticket,
            user=user,
            data={"late": now > ticket.due_at, "resume": resume},
        )
        others_open = (
            EscalationTicket.objects.filter(conversation_id=ticket.conversation_id)
            .exclude(status=Status.RESOLVED)
            .exists()
        )
        if not others_open:
            Conversation.objects.filter(pk=ticket.conversation_id).update(
                needs_human_review=False, updated_at=now
            )
        _broadcast_ticket(ticket)
        if resume:
            resume_bot(conversation=ticket.conversation, user=user)
    return ticket


def _broadcast_ticket(ticket: EscalationTicket) -> None:
    broadcast_dashboard_event(
        kind="escalation.updated",
        data={
            "ticket": ticket.pk,
            "conversation": ticket.conversation_id,
            "status": ticket.status,
            "assignee": ticket.assignee.get_username() if ticket.assignee else None,
        },
    )


# --- Telling the on-call person (Celery tasks, after commit) ----------------------------------


def ticket_admin_url(ticket: EscalationTicket) -> str:
    path = reverse("admin:leads_escalationticket_change", args=[ticket.pk])
    return settings.SITE_URL.rstrip("/") + path


def _notice_text(ticket: EscalationTicket) -> str:
    # The lead's words stay in the admin: a text or an email may be read on a lock screen.
    return (
        f"Escalation #{ticket.pk} ({ticket.get_priority_display()}): "
        f"{ticket.get_reason_display()}"
        f"{'' if ticket.summary == ticket.get_reason_display() else ': ' + ticket.summary}. "
        f"Lead: {ticket.contact.first_name or 'unknown name'}. "
        f"Due {timezone.localtime(ticket.due_at, _on_call_zone()):%a %H:%M}. "
        f"{ticket_admin_url(ticket)}"
    )


# Tickets that also text the on-call phone; every ticket is emailed and gets a HighLevel task.
PAGED_PRIORITIES = frozenset({EscalationTicket.Priority.URGENT, EscalationTicket.Priority.HIGH})


def notify_on_call(*, ticket_id: int) -> list[str]:
    """Email and text the on-call person about a ticket; each channel at most once.

    Returns the channels sent this time. A channel with no destination configured is skipped,
    one HighLevel refused (4xx) is given up, and an SMS that may have reached HighLevel is
    never resent: each is noted on the ticket. Any other failure raises after the other
    channel was tried, so the task, then ``notify_due_escalations``, tries that one again.
    """
    ticket = (
        EscalationTicket.objects.select_related("contact", "conversation")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or ticket.notified_at is not None:
        return []
    if ticket.contact.is_test:
        # Staff trying the bot from the chat demo: nobody is paged for it (and, marked
        # notified, the morning sweep leaves it too).
        for channel in ("email", "sms"):
            _mark(ticket, channel, "skipped: a test conversation (staff trying the bot)")
        EscalationTicket.objects.filter(pk=ticket.pk).update(notified_at=timezone.now())
        return []
    text = _notice_text(ticket)
    sent, errors = [], []
    for channel, send in (("email", _email_on_call), ("sms", _text_on_call)):
        if channel in ticket.notifications:
            continue
        try:
            outcome = send(ticket, text)
        except GHLClientError as exc:
            outcome = f"refused by HighLevel, not retried: {exc}"
        except GHLError as exc:
            if not exc.may_have_reached_highlevel:
                errors.append(exc)
                continue
            outcome = f"outcome unknown, not resent: {exc}"
        except Exception as exc:  # the mail server: tried again by the task and the sweep
            logger.warning("escalation %s: %s to on call failed: %s", ticket.pk, channel, exc)
            errors.append(exc)
            continue
        if outcome == "sent":
            sent.append(channel)
        _mark(ticket, channel, outcome)
    if errors:
        raise errors[0]
    with transaction.atomic():
        EscalationTicket.objects.filter(pk=ticket.pk, notified_at__isnull=True).update(
            notified_at=timezone.now(), updated_at=timezone.now()
        )
        audit(
            action="escalation.notified",
            subject=ticket,
            actor=AuditEvent.Actor.SYSTEM,
            actor_label="on_call",
            data={"channels": sent, "notifications": ticket.notifications},
        )
    return sent


def _email_on_call(ticket: EscalationTicket, text: str) -> str:
    if not settings.ESCALATION_NOTIFY_EMAIL:
        return "skipped: no ESCALATION_NOTIFY_EMAIL"
    send_mail(
        subject=f"[Escalation #{ticket.pk}] {ticket.get_reason_display()}",
        message=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[settings.ESCALATION_NOTIFY_EMAIL],
    )
    return "sent"


def _text_on_call(ticket: EscalationTicket, text: str) -> str:
    from leads.services.crm import text_on_call

    if not settings.ESCALATION_NOTIFY_PHONE:
        return "skipped: no ESCALATION_NOTIFY_PHONE"
    if ticket.priority not in PAGED_PRIORITIES:
        # A routine hand-off (a qualified lead waiting for Jorge) must not page anyone's
        # phone: the email and the HighLevel task carry it.
        return f"skipped: {ticket.get_priority_display().lower()} priority is not paged by text"
    text_on_call(phone=settings.ESCALATION_NOTIFY_PHONE, body=text[:600])
    return "sent"


def _mark(ticket: EscalationTicket, channel: str, outcome: str) -> None:
    # Saved per channel, so a retry after the SMS failed does not email twice.
    ticket.notifications = {
        **ticket.notifications,
        channel: {"at": timezone.now().isoformat(), "outcome": outcome},
    }
    EscalationTicket.objects.filter(pk=ticket.pk).update(notifications=ticket.notifications)


def create_escalation_task(*, ticket_id: int) -> None:
    """Leave Jorge a HighLevel task for the ticket, due when its SLA is (at most once)."""
    from leads.services.crm import notify_agent

    ticket = EscalationTicket.objects.select_related("contact").filter(pk=ticket_id).first()
    if ticket is None or "ghl_task" in ticket.notifications:
        return
    if not ticket.contact.in_highlevel:
        # A web-chat visitor who gave no phone or email yet, or staff trying the bot.
        _mark(ticket, "ghl_task", "skipped: the contact is not in HighLevel")
        return
    notify_agent(
        contact_id=ticket.contact_id,
        reason=f"{ticket.get_reason_display()}: {ticket.summary} ({ticket_admin_url(ticket)})",
        due_at=ticket.due_at,
    )
    _mark(ticket, "ghl_task", "created")


def notify_due_escalations(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """While someone is on call, tell them about every ticket not yet notified: those queued
    for the morning, those opened while *someone on call* was unticked, and those whose
    notification task failed."""
    from leads.tasks import notify_on_call_task

    now = now or timezone.now()
    if not is_on_call(at=now):
        return []
    ids = list(
        # A minute's grace: a ticket opened on call is being notified by its own task.
        EscalationTicket.objects.filter(
            notified_at__isnull=True, created_at__lte=now - timedelta(seconds=60)
        )
        .exclude(status=Status.RESOLVED)
        .order_by("notify_at")
        .values_list("pk", flat=True)[:limit]
    )
    for ticket_id in ids:
        notify_on_call_task.delay(ticket_id)
    return ids
