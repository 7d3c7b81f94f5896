"""Reads of the leads app."""

import contextlib
import contextvars
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Lower, Round
from django.utils import timezone

from compliance.models import AuditEvent, ComplianceTicket, TicketStatus
from config.search import starts_with

from .bots.texts import AGENT, DEFAULT_TEXTS, TEAM
from .intelligence.learned_score import LeadFeatures, engagement_of
from .models import (
    AgentProfile,
    Appointment,
    BotSettings,
    Channel,
    Contact,
    Conversation,
    Deal,
    EscalationTicket,
    LeadScoreModel,
    Message,
    ReplyTemplate,
    SendLedgerEntry,
    WebhookEvent,
    last_activity,
)

logger = logging.getLogger(__name__)

# BOT_HUMAN_TAKEOVER_HOURS = 0 pauses the bot "until a person resumes it"; a far-future
# time keeps that in the one existing column instead of adding a flag.
BOT_PAUSED_INDEFINITELY = datetime(9999, 1, 1, tzinfo=UTC)


def contact_by_ghl_id(*, location_id: str, contact_id: str) -> Contact | None:
    """The contact mirrored from HighLevel contact ``contact_id`` in ``location_id``."""
    return Contact.objects.filter(ghl_location_id=location_id, ghl_contact_id=contact_id).first()


def conversation_by_ghl_id(*, conversation_id: str) -> Conversation | None:
    """The conversation with HighLevel id ``conversation_id``."""
    if not conversation_id:
        return None
    return (
        Conversation.objects.select_related("contact")
        .filter(ghl_conversation_id=conversation_id)
        .first()
    )


def message_by_ghl_id(*, ghl_message_id: str) -> Message | None:
    """The message HighLevel knows as ``ghl_message_id`` (stored cut to the column's 64)."""
    if not ghl_message_id:
        return None
    return (
        Message.objects.select_related("conversation__contact")
        .filter(ghl_message_id=ghl_message_id[:64])
        .first()
    )


def unconfirmed_bot_message(*, contact: Contact, body: str, since: datetime) -> Message | None:
    """Our message to ``contact`` (the bot's, or Jorge's reply from the dashboard) with this
    body whose HighLevel id is not known yet.

    HighLevel can fire the ``OutboundMessage`` echo before our send call has returned
    its ``messageId``; this finds our own message in that window.
    """
    return (
        Message.objects.filter(
            conversation__contact=contact,
            direction=Message.Direction.OUTBOUND,
            sender__in=[Message.Sender.BOT, Message.Sender.HUMAN],
            ghl_message_id="",
            body=body,
            created_at__gte=since,
        )
        .order_by("-created_at")
        .first()
    )


def is_bot_paused(*, conversation: Conversation, at: datetime | None = None) -> bool:
    """Whether a human took over ``conversation`` and the bot must stay quiet."""
    at = at or timezone.now()
    paused_until = conversation.contact.bot_paused_until
    return conversation.status == Conversation.Status.PAUSED or (
        paused_until is not None and paused_until > at
    )


def sends_to_reconcile(*, now: datetime | None = None) -> QuerySet[SendLedgerEntry]:
    """Sends not settled yet whose outcome is unknown (or whose worker died mid-send), oldest
    first: what ``leads.services.reconciliation`` reads back from HighLevel."""
    now = now or timezone.now()
    Status = SendLedgerEntry.Status
    unknown_before = now - timedelta(seconds=settings.SEND_RECONCILE_AFTER_SECONDS)
    pending_before = now - timedelta(seconds=settings.SEND_PENDING_STALE_SECONDS)
    return SendLedgerEntry.objects.filter(
        Q(status=Status.UNKNOWN, updated_at__lt=unknown_before)
        | Q(status=Status.PENDING, updated_at__lt=pending_before),
        reconciliation="",
    ).order_by("updated_at")


def webhook_events_due_for_sweep(*, now: datetime | None = None) -> QuerySet[WebhookEvent]:
    """Events stored but not processed in time: never enqueued, retry lost, or worker died."""
    now = now or timezone.now()
    received_before = now - timedelta(seconds=settings.GHL_WEBHOOK_SWEEP_AFTER_SECONDS)
    # A failed event has its own Celery retry pending for up to the longest backoff.
    failed_before = now - timedelta(seconds=settings.GHL_WEBHOOK_RETRY_BACKOFF_MAX + 60)
    processing_before = now - timedelta(seconds=settings.GHL_WEBHOOK_STUCK_PROCESSING_SECONDS)
    Status = WebhookEvent.Status
    return WebhookEvent.objects.filter(
        Q(status=Status.RECEIVED, updated_at__lt=received_before)
        | Q(status=Status.FAILED, updated_at__lt=failed_before)
        | Q(status=Status.PROCESSING, updated_at__lt=processing_before)
    ).order_by("updated_at")


# --- Bots ---------------------------------------------------------------------


# Inside ``bot_settings_read_once()``: a one-item list holding the row once it was read.
_settings_memo: contextvars.ContextVar[list[BotSettings] | None] = contextvars.ContextVar(
    "bot_settings", default=None
)


def agent_profile() -> AgentProfile:
    """The agent's profile as the CMA shows it (created with its defaults on first use)."""
    profile, _ = AgentProfile.objects.get_or_create(pk=1)
    return profile


def bot_settings() -> BotSettings:
    """The one row of bot switches (created with its defaults on first use)."""
    memo = _settings_memo.get()
    if memo:
        return memo[0]
    settings_row, _ = BotSettings.objects.get_or_create(
        pk=1, defaults={"followup_days": list(BotSettings.DEFAULT_FOLLOWUP_DAYS)}
    )
    if memo is not None:
        memo.append(settings_row)
    return settings_row


@contextlib.contextmanager
def bot_settings_read_once() -> Iterator[None]:
    """Within the block, ``bot_settings()`` reads the row once (a bot turn asks several times)."""
    token = _settings_memo.set(_settings_memo.get() or [])
    try:
        yield
    finally:
        _settings_memo.reset(token)


def reply_text(*, key: str, language: str, **context) -> str:
    """The wording of bot message ``key`` (``a+b`` joins several), staff's version first."""
    parts = key.split("+")
    overrides = dict(
        ReplyTemplate.objects.filter(key__in=parts, language=language).values_list("key", "body")
    )
    first_name = context.pop("first_name", "") or ""
    values = {
        "agent": AGENT,
        "team": TEAM,
        "first_name": first_name,
        "greeting_name": f" {first_name}" if first_name else "",
        **context,
    }
    texts = []
    for part in parts:
        default = DEFAULT_TEXTS[part].get(language) or DEFAULT_TEXTS[part]["en"]
        try:
            texts.append((overrides.get(part) or default).format_map(_Blank(values)))
        except (ValueError, IndexError, AttributeError):
            # A stored template with broken braces must never silence the bot.
            logger.warning("Reply template %s/%s is malformed; using the default", part, language)
            texts.append(default.format_map(_Blank(values)))
    return " ".join(texts)


def template_problem(body: str) -> str:
    """Why ``body`` cannot be a reply template ("" when it can): it does not render, or it
    breaks a compliance rule (the bots would have every message with it blocked)."""
    from compliance.checks import check_message

    try:
        rendered = body.format_map(_Blank())
    except (ValueError, IndexError, AttributeError) as exc:
        return f"Check the braces around placeholders: {exc}."
    violations = check_message(rendered, "outbound")
    if violations:
        found = "; ".join(f"{v.type} / {v.category}: “{v.evidence}”" for v in violations)
        return f"This wording breaks a compliance rule and would never be sent ({found})."
    return ""


class _Blank(dict):
    """A placeholder staff typed that we do not know renders as nothing, not a crash."""

    def __missing__(self, key):
        return ""


def _conversations_of(contact_id: int) -> QuerySet[Conversation]:
    """The contact's conversations, as a subquery: a read of one contact's messages then starts
    from the contact's index, whatever the planner's statistics say of a young table (a join
    on the contact let PostgreSQL scan every outbound message instead)."""
    return Conversation.objects.filter(contact_id=contact_id).values("id")


def transcript_for_turn(*, conversation: Conversation) -> tuple[list[tuple[str, str]], bool]:
    """The transcript a bot turn reads, and whether the bot has not yet written here.

    One query: the bot's first reply is the first one that was not blocked by a rule.
    """
    rows = list(
        Message.objects.filter(conversation=conversation)
        .exclude(status=Message.Status.BLOCKED)
        .order_by("-sent_at", "-id")
        .values_list("direction", "body", "sender")[:TRANSCRIPT_LIMIT]
    )
    transcript = [
        ("lead" if d == Message.Direction.INBOUND else "bot", body) for d, body, _ in reversed(rows)
    ]
    bot_wrote = any(sender == Message.Sender.BOT for _, _, sender in rows)
    if not bot_wrote and len(rows) == TRANSCRIPT_LIMIT:
        bot_wrote = (
            Message.objects.filter(
                conversation=conversation,
                direction=Message.Direction.OUTBOUND,
                sender=Message.Sender.BOT,
            )
            .exclude(status=Message.Status.BLOCKED)
            .exists()
        )
    return transcript, not bot_wrote


TRANSCRIPT_LIMIT = 12


def conversation_transcript(
    *, conversation: Conversation, limit: int = 12
) -> list[tuple[str, str]]:
    """The last ``limit`` messages as (``lead`` | ``bot``, text), oldest first."""
    rows = (
        Message.objects.filter(conversation=conversation)
        .exclude(status=Message.Status.BLOCKED)
        .order_by("-sent_at", "-id")
        .values_list("direction", "body")[:limit]
    )
    return [
        ("lead" if d == Message.Direction.INBOUND else "bot", body) for d, body in reversed(rows)
    ]


def automated_messages_for_rules(
    *, conversation: Conversation, since: datetime, excluding: int | None = None
) -> tuple[int, list[datetime]]:
    """What the sending rules read, in one query: how many automated messages were sent or
    queued since the contact last wrote (but ``excluding``), and when automated messages
    reached the contact since ``since``, oldest first. An unknown outcome may have reached
    the contact: it counts for both."""
    last_inbound = conversation.last_inbound_at
    start = min(since, last_inbound) if last_inbound else None
    rows = Message.objects.filter(
        conversation__in=_conversations_of(conversation.contact_id),
        direction=Message.Direction.OUTBOUND,
        sender__in=[Message.Sender.BOT, Message.Sender.SYSTEM],
        status__in=[
            Message.Status.QUEUED,
            Message.Status.SENT,
            Message.Status.DELIVERED,
            Message.Status.UNKNOWN,
        ],
    ).exclude(pk=excluding)
    if start is not None:
        rows = rows.filter(Q(created_at__gte=start) | Q(sent_at__gte=start))
    unanswered, sent = 0, []
    for status, created_at, sent_at in rows.values_list("status", "created_at", "sent_at"):
        if last_inbound is None or created_at > last_inbound:
            unanswered += 1
        if status != Message.Status.QUEUED and sent_at >= since:
            sent.append(sent_at)
    return unanswered, sorted(sent)


# A queued message whose send task never ran (broker down at commit) is picked up after this.
STALE_QUEUED_AFTER = timedelta(minutes=2)


def messages_due_to_send(*, now: datetime | None = None) -> QuerySet[Message]:
    """Queued messages whose wait (quiet hours, daily cap) is over, or whose send was lost.

    A message with a send-ledger entry is excluded: its send started, and the ledger (not a
    second attempt) decides what happened to it.
    """
    now = now or timezone.now()
    return (
        Message.objects.filter(status=Message.Status.QUEUED, ledger_entry__isnull=True)
        .filter(
            Q(scheduled_for__lte=now)
            | Q(scheduled_for__isnull=True, created_at__lte=now - STALE_QUEUED_AFTER)
        )
        .order_by("created_at")
    )


def previous_lead_message_answered(*, message: Message) -> str | None:
    """The lead's message before ``message`` in its conversation, if we answered it (a bot or
    person wrote in between); None otherwise. One query of the last three messages."""
    rows = list(
        Message.objects.filter(
            conversation_id=message.conversation_id, sent_at__lte=message.sent_at
        )
        .exclude(pk=message.pk)
        .exclude(status=Message.Status.BLOCKED)
        .order_by("-sent_at", "-id")
        .values_list("direction", "body")[:2]
    )
    answered = len(rows) == 2 and rows[0][0] == Message.Direction.OUTBOUND
    return rows[1][1] if answered and rows[1][0] == Message.Direction.INBOUND else None


# The latest messages a ticket's page shows of its conversation.
TICKET_THREAD_LIMIT = 60


def latest_messages_of(*, conversation_id: int, limit: int) -> tuple[list[Message], int]:
    """The last ``limit`` messages of a conversation, oldest first, and how many it has
    (the back office's chat thread)."""
    rows = Message.objects.filter(conversation_id=conversation_id).order_by("-sent_at", "-id")
    latest = list(reversed(rows[:limit]))
    total = len(latest) if len(latest) < limit else rows.count()
    return latest, total


@dataclass(frozen=True)
class DealTotals:
    count: int
    value: Decimal
    commission: Decimal


def deal_totals(*, deals: QuerySet[Deal]) -> DealTotals:
    """How many deals, their summed sale prices and Jorge's commissions under the business
    rules (the deal list's footer, for whatever the list is filtered to); each commission
    rounded to the dollar as listed."""
    from analytics.rules import jorge_commission_expression
    from analytics.selectors import current_rules

    row = deals.order_by().aggregate(
        deals=Count("id"),
        total_value=Sum("value"),
        total_commission=Sum(
            Round(jorge_commission_expression(current_rules())),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        ),
    )
    return DealTotals(
        count=row["deals"],
        value=Decimal(row["total_value"] or 0),
        commission=Decimal(row["total_commission"] or 0),
    )


# Conversation.bot_state key set when the bot books Jorge's call (any bot's ``book_call``).
CALL_BOOKED_STATE = "call_booked"


def followups_stop_reason(*, conversation: Conversation) -> str:
    """Why no nurture follow-up may go to this conversation's lead ("" when they may).

    A hand-off stops them: a lead waiting for a person, or for Jorge's call, must not get
    "still thinking about it?" meanwhile. Consent, pauses and closed deals are checked where
    the follow-up is sent (``leads.services.followups``). A review that leaves the bot
    running (financial review, the five-minute rule) is no hand-off.
    """
    if conversation.stage == Conversation.Stage.HANDED_OFF:
        return "handed to a person"
    if conversation.bot_state.get(CALL_BOOKED_STATE):
        return "Jorge's call is booked"
    if conversation.channel == Channel.WEB:
        # A chat reaches the visitor only while its window is open on Jorge's website.
        return "a web chat: the visitor is not there to read a follow-up"
    return ""


def conversations_due_for_followup(*, now: datetime | None = None) -> QuerySet[Conversation]:
    """Active conversations whose next nurture follow-up is due."""
    now = now or timezone.now()
    return (
        Conversation.objects.filter(status=Conversation.Status.ACTIVE, next_followup_at__lte=now)
        .exclude(channel=Channel.WEB)
        .select_related("contact")
    )


def conversations_waiting_for_answer(*, older_than: datetime) -> QuerySet[Conversation]:
    """Conversations whose lead wrote before ``older_than`` and got no answer since, not yet
    escalated for that message (bot or person: any message out after theirs is an answer)."""
    return (
        Conversation.objects.filter(last_inbound_at__isnull=False, last_inbound_at__lt=older_than)
        .filter(Q(last_outbound_at__isnull=True) | Q(last_outbound_at__lt=F("last_inbound_at")))
        .filter(
            Q(speed_to_lead_escalated_at__isnull=True)
            | Q(speed_to_lead_escalated_at__lt=F("last_inbound_at"))
        )
        .exclude(status__in=[Conversation.Status.OPTED_OUT, Conversation.Status.CLOSED])
        .exclude(contact__opted_out=True)
        .exclude(contact__dnd=True)
        .exclude(contact__is_test=True)  # staff trying the bot wake nobody
    )


# --- Bot turns ------------------------------------------------------------------


def messages_awaiting_turn(*, contact_id: int) -> QuerySet[Message]:
    """The contact's inbound messages whose bot turn has not finished, oldest first."""
    return (
        Message.objects.filter(
            conversation__in=_conversations_of(contact_id),
            direction=Message.Direction.INBOUND,
            handled_at__isnull=True,
        )
        .select_related("conversation")
        .order_by("sent_at", "id")
    )


def next_message_awaiting_turn(*, contact_id: int) -> int | None:
    """The id of the contact's oldest message whose turn has not started (or lost its worker)."""
    stale_before = timezone.now() - timedelta(seconds=settings.BOT_TURN_STALE_SECONDS)
    return (
        Message.objects.filter(
            conversation__in=_conversations_of(contact_id),
            direction=Message.Direction.INBOUND,
            handled_at__isnull=True,
        )
        .filter(Q(turn_started_at__isnull=True) | Q(turn_started_at__lt=stale_before))
        .order_by("sent_at", "id")
        .values_list("id", flat=True)
        .first()
    )


def messages_with_overdue_turn(*, now: datetime | None = None) -> QuerySet[Message]:
    """Inbound messages whose turn never ran (lost task) or lost its worker, oldest first.

    A message waits ``BOT_TURN_OVERDUE_SECONDS`` for its own task before the sweep runs it;
    one older than ``BOT_TURN_SWEEP_WINDOW_HOURS`` is left to the people (the five-minute rule
    has escalated it): a bot answering a day-old text would surprise the lead.
    """
    now = now or timezone.now()
    overdue = now - timedelta(seconds=settings.BOT_TURN_OVERDUE_SECONDS)
    stale = now - timedelta(seconds=settings.BOT_TURN_STALE_SECONDS)
    window = now - timedelta(hours=settings.BOT_TURN_SWEEP_WINDOW_HOURS)
    return Message.objects.filter(
        Q(turn_started_at__isnull=True, created_at__lt=overdue) | Q(turn_started_at__lt=stale),
        direction=Message.Direction.INBOUND,
        handled_at__isnull=True,
        created_at__gte=window,
    ).order_by("created_at")


def messages_held_by_kill_switch(*, now: datetime | None = None) -> QuerySet[Message]:
    """Each conversation's last inbound message, if the kill switch held its turn, it is
    within the sweep window and nothing was sent to the lead after it."""
    now = now or timezone.now()
    window = now - timedelta(hours=settings.BOT_TURN_SWEEP_WINDOW_HOURS)
    later = Message.objects.filter(
        conversation=OuterRef("conversation"), sent_at__gt=OuterRef("sent_at")
    )
    return (
        Message.objects.filter(
            direction=Message.Direction.INBOUND,
            turn_outcome=Message.TurnOutcome.HELD,
            created_at__gte=window,
        )
        .exclude(Exists(later.exclude(status=Message.Status.BLOCKED)))
        .order_by("created_at")
    )


def inbound_messages_of(*, contact_id: int) -> list[Message]:
    """Everything the contact wrote, oldest first: a turn reads its history and what waits."""
    return list(
        Message.objects.filter(
            conversation__in=_conversations_of(contact_id), direction=Message.Direction.INBOUND
        )
        .select_related("conversation")
        .order_by("sent_at", "id")
    )


def messages_since(
    *, contact_id: int, since: datetime, including: Iterable[int] = ()
) -> QuerySet[Message]:
    """The contact's messages created since ``since``, and those ``including`` (one read of
    what moved during a bot turn)."""
    return Message.objects.filter(
        Q(created_at__gte=since) | Q(pk__in=list(including)),
        conversation__in=_conversations_of(contact_id),
    ).order_by("created_at", "id")


# --- Jorge's calendar --------------------------------------------------------------------------


def busy_appointments(*, start: datetime, end: datetime) -> QuerySet[Appointment]:
    """Appointments that hold time on Jorge's calendar between ``start`` and ``end``."""
    return Appointment.objects.filter(
        status__in=Appointment.ACTIVE_STATUSES, start__lt=end, end__gt=start
    ).order_by("start")


def active_booking_of(*, contact_id: int, start: datetime) -> Appointment | None:
    """The bot's booking of ``contact_id`` at ``start`` that still holds its time, if any."""
    return (
        Appointment.objects.filter(
            contact_id=contact_id,
            start=start,
            source=Appointment.Source.BOT,
            status__in=Appointment.ACTIVE_STATUSES,
        )
        .order_by("-id")
        .first()
    )


def appointment_by_ghl_id(*, ghl_appointment_id: str) -> Appointment | None:
    """The appointment HighLevel knows as ``ghl_appointment_id``."""
    if not ghl_appointment_id:
        return None
    return (
        Appointment.objects.select_related("contact")
        .filter(ghl_appointment_id=ghl_appointment_id)
        .first()
    )


def booking_awaiting_ghl_id(*, contact: Contact, start: datetime) -> Appointment | None:
    """Our booking of ``contact`` at ``start`` whose HighLevel id we do not know yet.

    HighLevel can fire the AppointmentCreate echo before our booking call has returned its
    id; this finds our own booking in that window.
    """
    return (
        Appointment.objects.filter(
            contact=contact,
            start=start,
            source=Appointment.Source.BOT,
            ghl_appointment_id="",
            status__in=Appointment.ACTIVE_STATUSES,
        )
        .order_by("-id")
        .first()
    )


# --- Active conversations (Jorge's dashboard) ------------------------------------------------

# "Open": the bot or a person is still talking with the lead.
OPEN_STATUSES = (Conversation.Status.ACTIVE, Conversation.Status.PAUSED)
CLOSED_STATUSES = tuple(s for s in Conversation.Status.values if s not in OPEN_STATUSES)


# Sort keys of the conversations table → its ORDER BY (ascending; "-key" reverses every
# term). Each starts with an indexed expression, and the id makes the order total so a page
# never repeats or skips a row.
CONVERSATION_SORTS = {
    "activity": (last_activity(), "id"),
    "started": ("created_at", "id"),
    "score": ("contact__score", "id"),
    "name": (Lower("contact__last_name"), Lower("contact__first_name"), "id"),
}
DEFAULT_CONVERSATION_SORT = "-activity"


@dataclass(frozen=True)
class ConversationFilters:
    """What the conversations table is narrowed to ("" = any). ``status`` "open" means
    active or paused, "all" any status."""

    status: str = "open"
    bot: str = ""
    stage: str = ""
    temperature: str = ""
    language: str = ""
    needs_review: bool | None = None
    q: str = ""


@dataclass
class ConversationRow:
    conversation: Conversation
    message_count: int
    last_message: Message | None
    open_tickets: int  # escalation and compliance tickets not resolved
    bot_paused: bool
    # Filled by the page: whether it offers a CMA, and the contact's latest CMA report.
    offers_cma: bool = False
    cma: object | None = None


@dataclass
class ConversationPage:
    rows: list[ConversationRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


def _phone_candidates(text: str) -> list[str]:
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 10:
        return [f"+1{digits}"]
    if len(digits) > 10:
        return [f"+{digits}"]
    return []


def _search(conversations: QuerySet[Conversation], q: str) -> QuerySet[Conversation]:
    """A phone (any format), an email, or the starts of a name's words ("mar lop")."""
    q = q.strip()
    if not q:
        return conversations
    phones = _phone_candidates(q)
    if phones and not any(ch.isalpha() for ch in q):
        return conversations.filter(contact__phone__in=phones)
    if "@" in q:
        return conversations.filter(contact__email__in={q, q.lower()})
    for word in q.split()[:3]:
        conversations = conversations.filter(
            starts_with("contact__first_name", word) | starts_with("contact__last_name", word)
        )
    return conversations


def _filtered_conversations(filters: ConversationFilters) -> QuerySet[Conversation]:
    # Staff trying the bot from the chat demo are no lead (docs/web-chat.md).
    conversations = Conversation.objects.filter(contact__is_test=False)
    if filters.status == "open":
        # Written as "not closed": no index narrows it (most conversations are open), so even
        # a planner without statistics walks the sort's index instead of sorting them all.
        conversations = conversations.exclude(status__in=CLOSED_STATUSES)
    elif filters.status and filters.status != "all":
        conversations = conversations.filter(status=filters.status)
    if filters.bot:
        conversations = conversations.filter(bot=filters.bot)
    if filters.stage:
        conversations = conversations.filter(stage=filters.stage)
    if filters.temperature:
        conversations = conversations.filter(contact__temperature=filters.temperature)
    if filters.language:
        conversations = conversations.filter(contact__language=filters.language)
    if filters.needs_review is not None:
        conversations = conversations.filter(needs_human_review=filters.needs_review)
    return _search(conversations, filters.q)


def active_conversations(
    *,
    filters: ConversationFilters,
    sort: str = DEFAULT_CONVERSATION_SORT,
    page: int = 1,
    per_page: int = 25,
) -> ConversationPage:
    """One page of the conversations table, filtered and sorted, in four queries whatever its
    size: the count, the page's ids (an index walk: ORDER BY an indexed expression, LIMIT),
    those rows with their contact and per-row figures (subqueries on indexed columns, run for
    the page's rows only), and their last messages. A page past the end shows the last one."""
    descending = sort.startswith("-")
    terms = CONVERSATION_SORTS[sort.removeprefix("-")]
    ordering = [(F(t) if isinstance(t, str) else t).desc() if descending else t for t in terms]
    conversations = _filtered_conversations(filters)
    total = conversations.count()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    ids = list(
        conversations.order_by(*ordering).values_list("pk", flat=True)[start : start + per_page]
    )
    return ConversationPage(
        rows=conversation_rows(ids=ids), total=total, page=page, per_page=per_page
    )


def conversation_rows(*, ids: list[int]) -> list[ConversationRow]:
    """The table's rows for these conversations, in this order (two queries)."""
    if not ids:
        return []
    of_row = {"conversation": OuterRef("pk")}
    unresolved = ~Q(status=TicketStatus.RESOLVED)
    found = {
        c.pk: c
        for c in Conversation.objects.filter(pk__in=ids)
        .select_related("contact")
        .annotate(
            activity=last_activity(),
            message_count=_count(Message.objects.filter(**of_row)),
            last_message_id=Subquery(
                Message.objects.filter(**of_row).order_by("-sent_at", "-id").values("id")[:1]
            ),
            open_escalations=_count(EscalationTicket.objects.filter(unresolved, **of_row)),
            open_compliance=_count(ComplianceTicket.objects.filter(unresolved, **of_row)),
        )
    }
    last = Message.objects.in_bulk([c.last_message_id for c in found.values() if c.last_message_id])
    for c in found.values():
        if c.last_message_id in last:
            last[c.last_message_id].conversation = c  # its contact is at hand: no query per row
    now = timezone.now()
    return [
        ConversationRow(
            conversation=c,
            message_count=c.message_count,
            last_message=last.get(c.last_message_id),
            open_tickets=c.open_escalations + c.open_compliance,
            bot_paused=is_bot_paused(conversation=c, at=now),
        )
        for c in (found[pk] for pk in ids if pk in found)
    ]


def _count(rows: QuerySet) -> Coalesce:
    """COUNT(*) of ``rows`` (filtered on ``conversation=OuterRef("pk")``) as a column."""
    counted = rows.order_by().values("conversation").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted[:1]), 0)


def conversation_with_contact(*, conversation_id: int) -> Conversation:
    """One conversation with its contact; raises ``Conversation.DoesNotExist``."""
    return Conversation.objects.select_related("contact").get(pk=conversation_id)


# A conversation's page shows this many of its latest messages; "Earlier messages" loads the
# same number again before them, so a page costs the same for a thread of 10 or of 10,000.
THREAD_PAGE = 50
# The bot's turn is audited just before its reply is queued, in the same transaction.
TURN_TO_REPLY = timedelta(seconds=10)


@dataclass
class ThreadItem:
    """A line of a conversation's thread: a message (with, for a bot's reply, the turn that
    wrote it, and for a lead's message, what the analysis learned from it), or an event."""

    at: datetime
    message: Message | None = None
    event: AuditEvent | None = None
    turn: AuditEvent | None = None
    learned: list[AuditEvent] = field(default_factory=list)


# Events of a conversation shown between its messages (the rest stay in the audit trail).
THREAD_EVENTS = (
    "bot.paused_for_human",
    "bot.resumed",
    "bot.handoff",
    "conversation.stage_changed",
    "guard.inbound",
    "guard.outbound",
    "reply.dropped",
    "reply.repeat_blocked",
    "bot.turn_failed",
)


def conversation_thread(
    *, conversation: Conversation, before: int | None = None
) -> tuple[list[ThreadItem], int | None]:
    """The latest ``THREAD_PAGE`` messages (or those just before message ``before``), oldest
    first, interleaved with what the bot did: each bot reply carries its turn (goal, stage,
    what it learned), each lead message what the analysis read from it (score, temperature,
    reasons). Returns (items, the id to pass as ``before`` for the page before, or None when
    these are the first). Three queries (four with ``before``), each bounded by the page."""
    thread = Message.objects.filter(conversation=conversation)
    until = None
    if before is not None:
        cursor = thread.filter(pk=before).values_list("sent_at", "id", "created_at").first()
        if cursor is None:
            return [], None
        sent_at, pk, until = cursor
        thread = thread.filter(Q(sent_at__lt=sent_at) | Q(sent_at=sent_at, id__lt=pk))
    latest = list(thread.order_by("-sent_at", "-id")[: THREAD_PAGE + 1])
    earlier = None
    if len(latest) > THREAD_PAGE:
        latest = latest[:THREAD_PAGE]
        earlier = latest[-1].pk
    messages = list(reversed(latest))
    for message in messages:
        message.conversation = conversation
    if not messages and before is not None:
        return [], None
    # The events from just before this page's first message; a page before another stops
    # where the later one's window starts, so no event shows twice.
    since = min((m.created_at for m in messages), default=conversation.created_at) - TURN_TO_REPLY
    window = Q(at__gte=since) if until is None else Q(at__gte=since, at__lt=until - TURN_TO_REPLY)
    events = list(
        AuditEvent.objects.filter(
            window,
            subject_type="leads.conversation",
            subject_id=str(conversation.pk),
            action__in=(*THREAD_EVENTS, "bot.turn"),
        ).order_by("at", "id")
    )
    learned = list(
        AuditEvent.objects.filter(
            window,
            subject_type="leads.contact",
            subject_id=str(conversation.contact_id),
            action="lead.qualification_updated",
        ).order_by("at", "id")
    )
    items = [ThreadItem(at=m.created_at, message=m) for m in messages]
    _attach_turns(items, [e for e in events if e.action == "bot.turn"])
    _attach_learned(items, learned)
    items += [ThreadItem(at=e.at, event=e) for e in events if e.action != "bot.turn"]
    items.sort(key=lambda item: item.at)
    return items, earlier


def _attach_turns(items: list[ThreadItem], turns: list[AuditEvent]) -> None:
    """Each bot reply gets the latest turn audited at most ``TURN_TO_REPLY`` before it."""
    replies = [
        i
        for i in items
        if i.message.direction == Message.Direction.OUTBOUND
        and i.message.sender == Message.Sender.BOT
    ]
    for item in replies:
        before = [t for t in turns if item.at - TURN_TO_REPLY <= t.at <= item.at]
        if before:
            item.turn = before[-1]
            turns.remove(before[-1])


def _attach_learned(items: list[ThreadItem], learned: list[AuditEvent]) -> None:
    """Each qualification update goes to the lead's latest message before it."""
    inbound = [i for i in items if i.message.direction == Message.Direction.INBOUND]
    for event in learned:
        read = [i for i in inbound if i.at <= event.at]
        if read:
            read[-1].learned.append(event)


def score_history(*, contact: Contact, limit: int = 100) -> list[AuditEvent]:
    """The contact's score and temperature changes, oldest first (their last ``limit``)."""
    events = AuditEvent.objects.filter(
        subject_type="leads.contact",
        subject_id=str(contact.pk),
        action="lead.qualification_updated",
    ).order_by("-at", "-id")
    return [
        e
        for e in reversed(events[:limit])
        if e.data.keys() & {"score", "temperature", "learned_score"}
    ]


# --- The learned lead score: outcomes and the features known before them ------------------------

# A lead with no deal who has not written for this long went cold (a negative outcome).
COLD_AFTER = timedelta(days=60)
# The most recent messages of a lead that its engagement features read.
FEATURE_MESSAGES = 300


@dataclass(frozen=True)
class LeadOutcome:
    """How a lead's story ended: converted (a deal won) or not (lost, or went cold), and when
    that was known; the features of a training row use only what was recorded before ``at``."""

    contact_id: int
    converted: bool
    how: str  # "won", "lost" or "cold"
    at: datetime


def lead_outcomes(*, now: datetime | None = None) -> list[LeadOutcome]:
    """Every lead whose outcome is known, oldest contact first. Leads with an open deal, or
    still talking, or who opted out (that may come after the outcome), have none yet."""
    now = now or timezone.now()
    deals: dict[int, list[tuple[str, datetime]]] = {}
    for contact_id, stage, closed_at, updated_at in Deal.objects.order_by().values_list(
        "contact_id", "stage", "closed_at", "updated_at"
    ):
        deals.setdefault(contact_id, []).append((stage, closed_at or updated_at))
    last_message = dict(
        Message.objects.order_by()
        .values_list("conversation__contact_id")
        .annotate(last=Max("created_at"))
        .values_list("conversation__contact_id", "last")
    )
    outcomes = []
    for contact_id in (
        Contact.objects.filter(opted_out=False).order_by("pk").values_list("pk", flat=True)
    ):
        of_contact = deals.get(contact_id, [])
        won = [at for stage, at in of_contact if stage == Deal.Stage.CLOSED_WON]
        lost = [at for stage, at in of_contact if stage == Deal.Stage.CLOSED_LOST]
        still_open = len(of_contact) > len(won) + len(lost)
        if won:
            outcomes.append(LeadOutcome(contact_id, True, "won", min(won)))
        elif still_open:
            continue
        elif lost:
            outcomes.append(LeadOutcome(contact_id, False, "lost", max(lost)))
        elif (last := last_message.get(contact_id)) and last <= now - COLD_AFTER:
            outcomes.append(LeadOutcome(contact_id, False, "cold", last + COLD_AFTER))
    return outcomes


def qualification_changed_after(*, cutoffs: dict[int, datetime]) -> set[int]:
    """The contacts whose qualification was updated after their cutoff: their stored
    qualification is not what was known then, so they cannot be a training row."""
    last = dict(
        AuditEvent.objects.filter(
            subject_type="leads.contact",
            action="lead.qualification_updated",
            subject_id__in=[str(pk) for pk in cutoffs],
        )
        .order_by()
        .values_list("subject_id")
        .annotate(last=Max("at"))
        .values_list("subject_id", "last")
    )
    return {pk for pk, cutoff in cutoffs.items() if (at := last.get(str(pk))) and at > cutoff}


def lead_features(
    *, cutoffs: dict[int, datetime | None], contacts: Iterable[Contact] | None = None
) -> dict[int, LeadFeatures]:
    """The features of each contact in ``cutoffs`` from what was recorded before its cutoff
    (None: everything so far). Two queries whatever the number of contacts; one when the
    caller passes the ``contacts`` (e.g. with qualification not saved yet)."""
    ids = list(cutoffs)
    rows: dict[int, list[tuple[str, datetime, str]]] = {pk: [] for pk in ids}
    first_response: dict[int, float] = {}
    messages = (
        Message.objects.filter(conversation__contact_id__in=ids)
        .order_by("conversation__contact_id", "created_at", "id")
        .values_list(
            "conversation__contact_id",
            "direction",
            "created_at",
            "body",
            "conversation__first_response_seconds",
        )
    )
    for contact_id, direction, at, body, first_seconds in messages:
        cutoff = cutoffs[contact_id]
        if cutoff is None or at < cutoff:
            rows[contact_id].append((direction, at, body))
            if first_seconds is not None:
                first_response.setdefault(contact_id, first_seconds)  # the first conversation's
    if contacts is None:
        contacts = Contact.objects.filter(pk__in=ids).only(*CONTACT_FEATURE_FIELDS)
    features = {}
    for contact in contacts:
        engagement = engagement_of(rows[contact.pk][-FEATURE_MESSAGES:])
        features[contact.pk] = LeadFeatures(
            intent=contact.intent,
            timeline=contact.timeline,
            budget_max=contact.budget_max,
            pre_approved=contact.pre_approved,
            area=contact.area,
            language=contact.language,
            source=contact.source,
            inbound_messages=engagement.inbound_messages,
            avg_words=engagement.avg_words,
            reply_rate=engagement.reply_rate,
            median_reply_minutes=engagement.median_reply_minutes,
            first_response_seconds=first_response.get(contact.pk),
        )
    return features


CONTACT_FEATURE_FIELDS = (
    "id",
    "intent",
    "timeline",
    "budget_max",
    "pre_approved",
    "area",
    "language",
    "source",
)


def active_lead_score_model() -> LeadScoreModel | None:
    """The lead-scoring model in use, without its (large) artifact; None before any training."""
    return LeadScoreModel.objects.filter(active=True).defer("artifact").first()


def escalation_tickets_of(*, conversation: Conversation) -> list[EscalationTicket]:
    """The conversation's escalation tickets, open ones first, then the newest."""
    return list(
        EscalationTicket.objects.filter(conversation=conversation)
        .select_related("assignee")
        .order_by(F("resolved_at").asc(nulls_first=True), "-created_at")[:20]
    )


def compliance_tickets_of(*, conversation: Conversation) -> list[ComplianceTicket]:
    """The conversation's compliance flags (tickets), open ones first, then the newest."""
    return list(
        ComplianceTicket.objects.filter(conversation=conversation)
        .select_related("assignee")
        .order_by(F("resolved_at").asc(nulls_first=True), "-created_at")[:20]
    )


# --- The REST API's reads ----------------------------------------------------------------------


def conversations_visible_to(*, user) -> QuerySet[Conversation]:
    """The conversations ``user`` may read: all for Jorge and staff; for a reviewer only those
    an escalation or compliance ticket is about (with their contact)."""
    from analytics.access import can_see_everything

    conversations = Conversation.objects.select_related("contact")
    if can_see_everything(user):
        return conversations
    return conversations.filter(
        Exists(EscalationTicket.objects.filter(conversation=OuterRef("pk")))
        | Exists(ComplianceTicket.objects.filter(conversation=OuterRef("pk")))
    )


def messages_of(*, conversation: Conversation) -> QuerySet[Message]:
    """A conversation's messages (the API pages through them newest first)."""
    return Message.objects.filter(conversation=conversation)


def contact_detail(*, contact_id: int) -> Contact:
    """A contact with its conversations and consent records; raises ``Contact.DoesNotExist``."""
    return Contact.objects.prefetch_related("conversations", "consent_records").get(pk=contact_id)


def deals(*, stage: str = "", side: str = "", contact_id: int | None = None) -> QuerySet[Deal]:
    """Deals, optionally of one stage, side or contact, with their contact."""
    found = Deal.objects.select_related("contact")
    if stage:
        found = found.filter(stage=stage)
    if side:
        found = found.filter(side=side)
    if contact_id is not None:
        found = found.filter(contact_id=contact_id)
    return found


def escalation_tickets(*, status: str = "") -> QuerySet[EscalationTicket]:
    """Escalation tickets, optionally of one status, with their contact and assignee."""
    found = EscalationTicket.objects.select_related("contact", "assignee")
    return found.filter(status=status) if status else found


# --- The reconciliation report (manage.py reconciliation_report) ----------------------------

# Younger than this, an event or a message may simply still be on its way through the queues.
RECONCILIATION_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class EventState:
    """A webhook event's final state; ``flag`` says why it needs a person ("" when it does not)."""

    id: int
    received_at: datetime
    event_type: str
    status: str
    state: str
    flag: str = ""


@dataclass(frozen=True)
class InboundState:
    """An inbound message's final state: answered, rightly not, waiting, or ``flag``ged."""

    id: int
    received_at: datetime
    lead: str
    channel: str
    state: str
    flag: str = ""


def webhook_event_states(*, since: datetime, now: datetime) -> list[EventState]:
    """Every webhook event stored since ``since``, oldest first, with its final state."""
    Status = WebhookEvent.Status
    states = []
    rows = (
        WebhookEvent.objects.filter(created_at__gte=since)
        .order_by("created_at", "pk")
        .values_list(
            "pk", "created_at", "updated_at", "event_type", "status", "attempts", "last_error"
        )
    )
    for pk, created, updated, event_type, status, attempts, error in rows.iterator():
        label = WebhookEvent.Status(status).label
        flag = ""
        if status == Status.DEAD:
            flag = (
                f"gave up after {attempts} attempts: {error.splitlines()[0][:120] if error else ''}"
            )
        elif status in (Status.RECEIVED, Status.PROCESSING, Status.FAILED):
            if now - updated > RECONCILIATION_GRACE:
                flag = f"still {status} after {int((now - updated).total_seconds() // 60)} min"
            else:
                label = f"{label} (in progress)"
        elif status == Status.REJECTED:
            label = f"{label}: {error[:60]}"
        states.append(EventState(pk, created, event_type or "?", status, label, flag))
    return states


def inbound_message_states(*, since: datetime, now: datetime) -> list[InboundState]:
    """Every message a lead sent since ``since``, oldest first: answered (a reply sent or
    delivered after it in its conversation, by the bot or a person), rightly not (a call, an
    opted-out or do-not-disturb lead), waiting (its turn running, its reply queued for the
    sending window), or flagged as unanswered with the reason its turn gave."""
    later = Message.objects.filter(
        conversation=OuterRef("conversation"),
        direction=Message.Direction.OUTBOUND,
        created_at__gte=OuterRef("created_at"),
    )
    Status = Message.Status
    rows = (
        Message.objects.filter(
            direction=Message.Direction.INBOUND,
            created_at__gte=since,
            conversation__contact__is_test=False,
        )
        .annotate(
            answered=Exists(later.filter(status__in=[Status.SENT, Status.DELIVERED])),
            queued_until=Subquery(
                later.filter(status=Status.QUEUED)
                .order_by("-created_at")
                .values("scheduled_for")[:1]
            ),
            queued=Exists(later.filter(status=Status.QUEUED)),
            unconfirmed=Exists(later.filter(status=Status.UNKNOWN)),
        )
        .select_related("conversation__contact")
        .order_by("created_at", "pk")
    )
    states = []
    for message in rows.iterator():
        contact = message.conversation.contact
        lead = contact.ghl_contact_id or f"contact {contact.pk}"
        state, flag = _inbound_state(message, contact, now=now)
        states.append(
            InboundState(message.pk, message.created_at, lead, message.channel, state, flag)
        )
    return states


def _inbound_state(message: Message, contact: Contact, *, now: datetime) -> tuple[str, str]:
    Outcome = Message.TurnOutcome
    outcome = Message.TurnOutcome(message.turn_outcome).label if message.turn_outcome else ""
    if message.turn_outcome == Outcome.NOT_ANSWERABLE:
        return "not for the bot (call or voicemail)", ""
    if message.answered:
        return "answered", ""
    if contact.opted_out or contact.dnd:
        return "not answered: the lead opted out or is on do-not-disturb", ""
    if message.queued:
        until = message.queued_until
        return f"reply queued{f' until {until:%Y-%m-%d %H:%M} UTC' if until else ''}", ""
    if message.handled_at is None and now - message.created_at <= RECONCILIATION_GRACE:
        return "its turn is running", ""
    if message.unconfirmed:
        return "reply sent, delivery unknown", "its reply's delivery could not be confirmed"
    if message.handled_at is None:
        return "waiting for its turn", "its turn never finished"
    return f"no reply ({outcome})", f"unanswered: {outcome or 'no reply'}"
