from django import forms
from django.contrib import admin
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from compliance.models import ConsentRecord
from compliance.selectors import audit_trail
from config.backoffice import (
    EMPTY,
    BackOfficeAdmin,
    SingleRowAdmin,
    duration,
    local_time,
    money_cell,
    phone,
    readable_data,
)
from config.errors import ApplicationError
from config.search import IndexedSearch

from . import selectors
from .models import (
    AgentProfile,
    ApiToken,
    Appointment,
    BotSettings,
    Contact,
    Conversation,
    Deal,
    EscalationTicket,
    Message,
    OutboxMessage,
    ReplyTemplate,
    SendLedgerEntry,
    WebhookEvent,
)
from .services import consent, conversations, escalation
from .services.api_tokens import issue_api_token, revoke_api_token
from .services.bot_config import (
    ensure_reply_templates,
    update_agent_profile,
    update_bot_settings,
)


class AuditHistoryMixin:
    """Shows the object's audit trail, read-only, on its change page."""

    @admin.display(description="Audit history")
    def audit_history(self, obj):
        if obj is None or obj.pk is None:
            return EMPTY
        events = audit_trail(subject=obj)[:50]
        return render_to_string("admin/audit_history.html", {"events": events})


def _contact_link(contact: Contact) -> str:
    url = reverse("admin:leads_contact_change", args=[contact.pk])
    return format_html('<a href="{}">{}</a>', url, contact)


def thread(
    *,
    conversation_id: int,
    lead: Contact | None,
    limit: int,
    flagged: int | None = None,
    template: str = "admin/chat_thread.html",
) -> str:
    """A conversation as a chat thread, oldest first (conversation and ticket pages)."""
    messages, total = selectors.latest_messages_of(conversation_id=conversation_id, limit=limit)
    return render_to_string(
        template,
        {
            "messages": messages,
            "total": total,
            "shown": len(messages),
            "flagged": flagged,
            "lead": lead,
            "conversation_id": conversation_id,
        },
    )


class ConsentRecordInline(admin.TabularInline):
    model = ConsentRecord
    fields = ["at", "kind", "source", "channel", "wording"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ConversationInline(admin.TabularInline):
    model = Conversation
    fields = ["channel", "bot", "stage", "status", "last_inbound_at", "last_outbound_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # conversations start when the lead writes, never by hand


class LeadSourceFilter(admin.SimpleListFilter):
    """The contact list's *source* filter from the dashboard's cached list of sources: Django's
    own reads every contact (SELECT DISTINCT) on each page of the list."""

    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        from analytics.selectors import lead_sources  # analytics reads leads; not at import

        return [(source, source) for source in lead_sources()]

    def queryset(self, request, queryset):
        return queryset.filter(source=self.value()) if self.value() else queryset


@admin.register(Contact)
class ContactAdmin(AuditHistoryMixin, BackOfficeAdmin):
    list_display = [
        "name",
        "phone_number",
        "intent",
        "temperature_and_score",
        "language",
        "consent",
        "source",
        "created_at",
    ]
    list_filter = [
        "temperature",
        "intent",
        "language",
        "opted_out",
        "dnd",
        "timeline",
        LeadSourceFilter,
        "created_at",
        "is_test",
    ]
    search_fields = ["first_name", "last_name", "phone", "email", "ghl_contact_id"]
    # Thousands of contacts: names and emails through their substring index, the phone and
    # HighLevel id whole (config.search); no date hierarchy (it reads every row's date), the
    # "Created" filter instead; no second count of the whole table.
    indexed_search = IndexedSearch(exact=("ghl_contact_id",), phone="phone")
    show_full_result_count = False
    # Consent and pauses change only through the actions (services: audit, HighLevel tag).
    readonly_fields = [
        "opted_out",
        "opted_out_at",
        "opted_out_reason",
        "dnd",
        "dnd_at",
        "dnd_reason",
        "bot_paused_until",
        "is_test",
        "created_at",
        "updated_at",
        "audit_history",
    ]
    inlines = [ConversationInline, ConsentRecordInline]
    actions = ["opt_out", "opt_in", "dnd_on", "dnd_off", "pause_bot", "resume_bot"]
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "phone", "email", "language", "timezone"]}),
        (
            "HighLevel",
            {"fields": ["ghl_contact_id", "ghl_location_id", "source", "tags", "is_test"]},
        ),
        (
            "Qualification",
            {
                "fields": [
                    "intent",
                    "timeline",
                    "budget_min",
                    "budget_max",
                    "pre_approved",
                    "area",
                    "score",
                    "temperature",
                    "score_reasons",
                ]
            },
        ),
        (
            "Consent",
            {
                "fields": [
                    "opted_out",
                    "opted_out_at",
                    "opted_out_reason",
                    "dnd",
                    "dnd_at",
                    "dnd_reason",
                    "bot_paused_until",
                ]
            },
        ),
        ("History", {"fields": ["created_at", "updated_at", "audit_history"]}),
    ]

    @admin.display(description="Contact", ordering="last_name")
    def name(self, contact: Contact) -> str:
        return str(contact)

    @admin.display(description="Phone", ordering="phone")
    def phone_number(self, contact: Contact) -> str:
        return phone(contact.phone)

    @admin.display(description="Temperature", ordering="score")
    def temperature_and_score(self, contact: Contact) -> str:
        return format_html(
            '<span class="temp temp-{}">{}</span>&nbsp;{}',
            contact.temperature,
            contact.get_temperature_display(),
            contact.score,
        )

    @admin.display(description="Texts")
    def consent(self, contact: Contact) -> str:
        if contact.opted_out:
            return "Opted out"
        if contact.dnd:
            return "Do not disturb"
        return "Allowed"

    def _each(self, request, queryset, change, done: str) -> None:
        changed = sum(bool(change(contact)) for contact in queryset)
        self.message_user(request, f"{changed} of {len(queryset)} contacts {done}.")

    @admin.action(description="Opt out: stop every automated message", permissions=["change"])
    def opt_out(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: consent.opt_out_contact(
                contact=c, source="admin", wording=_by(request), user=request.user
            ),
            "opted out",
        )

    @admin.action(description="Opt back in (the contact asked to)", permissions=["change"])
    def opt_in(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: consent.opt_in_contact(
                contact=c, source="admin", wording=_by(request), user=request.user
            ),
            "opted back in",
        )

    @admin.action(description="Do not disturb: on", permissions=["change"])
    def dnd_on(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: consent.set_do_not_disturb(
                contact=c, dnd=True, reason=_by(request), user=request.user
            ),
            "put on do-not-disturb",
        )

    @admin.action(description="Do not disturb: off", permissions=["change"])
    def dnd_off(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: consent.set_do_not_disturb(
                contact=c, dnd=False, reason=_by(request), user=request.user
            ),
            "taken off do-not-disturb",
        )

    @admin.action(description="Pause the bot until resumed", permissions=["change"])
    def pause_bot(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: escalation.pause_contact_bot(contact=c, user=request.user),
            "paused",
        )

    @admin.action(description="Resume the bot", permissions=["change"])
    def resume_bot(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: escalation.resume_contact_bot(contact=c, user=request.user),
            "handed back to the bot",
        )


def _by(request) -> str:
    return f"changed in the admin by {request.user.get_username()}"


@admin.register(Conversation)
class ConversationAdmin(AuditHistoryMixin, BackOfficeAdmin):
    """A conversation is the bots' record: read here as a chat thread, changed only through the
    actions (resume the bot) and the services behind the dashboard, never by a form."""

    list_display = ["contact", "bot", "stage", "status", "first_reply", "last_message"]
    list_filter = ["status", "needs_human_review", "bot", "stage", "channel", "created_at"]
    list_select_related = ["contact"]
    search_fields = [
        "contact__first_name",
        "contact__last_name",
        "contact__phone",
        "ghl_conversation_id",
    ]
    # As the contacts: the contact's name through its index, phone and id whole; no date
    # hierarchy (every row's date), no count of the whole table.
    indexed_search = IndexedSearch(
        text="contact", exact=("ghl_conversation_id",), phone="contact__phone"
    )
    show_full_result_count = False
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "contact_link",
                    "channel",
                    "bot",
                    "stage",
                    "status",
                    "needs_human_review",
                ]
            },
        ),
        ("Conversation", {"fields": ["transcript"]}),
        ("What the bot knows", {"fields": ["bot_memory", "followup_step", "next_followup_at"]}),
        (
            "Timing",
            {
                "fields": [
                    "first_reply",
                    "last_inbound_at",
                    "last_outbound_at",
                    "speed_to_lead_escalated_at",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
        ("HighLevel", {"fields": ["ghl_conversation_id"]}),
        ("History", {"fields": ["audit_history"]}),
    ]
    readonly_fields = [f.name for f in Conversation._meta.fields] + [
        "contact_link",
        "transcript",
        "bot_memory",
        "first_reply",
        "last_message",
        "audit_history",
    ]
    actions = ["advance_stage", "pause_bot", "resume_bot"]

    @admin.action(description="Advance to the next stage", permissions=["change"])
    def advance_stage(self, request, queryset):
        moved = 0
        for conversation in queryset.select_related("contact"):
            try:
                conversations.advance_stage(conversation=conversation, user=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{conversation.contact}: {exc.message}", "warning")
            else:
                moved += 1
        self.message_user(request, f"{moved} of {len(queryset)} conversations advanced.")

    @admin.action(description="Pause the bot until resumed", permissions=["change"])
    def pause_bot(self, request, queryset):
        contacts = {c.contact_id: c.contact for c in queryset.select_related("contact")}
        paused = sum(
            escalation.pause_contact_bot(contact=contact, user=request.user)
            for contact in contacts.values()
        )
        self.message_user(request, f"The bot is paused for {paused} of {len(contacts)} leads.")

    def has_add_permission(self, request):
        return False  # a conversation starts when a lead writes

    # The latest messages a conversation page shows (all of them are under Messages).
    THREAD_LIMIT = 200

    @admin.display(description="Contact")
    def contact_link(self, conversation: Conversation) -> str:
        return _contact_link(conversation.contact)

    @admin.display(description="First reply", ordering="first_response_seconds")
    def first_reply(self, conversation: Conversation) -> str:
        return duration(conversation.first_response_seconds)

    @admin.display(description="Last message", ordering="last_inbound_at")
    def last_message(self, conversation: Conversation) -> str:
        times = [t for t in (conversation.last_inbound_at, conversation.last_outbound_at) if t]
        return local_time(max(times)) if times else EMPTY

    @admin.display(description="Messages, oldest first")
    def transcript(self, conversation: Conversation) -> str:
        return thread(
            conversation_id=conversation.pk, lead=conversation.contact, limit=self.THREAD_LIMIT
        )

    @admin.display(description="Bot's memory")
    def bot_memory(self, conversation: Conversation) -> str:
        return readable_data(conversation.bot_state)

    @admin.action(description="Resume the bot", permissions=["change"])
    def resume_bot(self, request, queryset):
        for conversation in queryset:
            escalation.resume_bot(conversation=conversation, user=request.user)
        self.message_user(request, f"The bot is back on {len(queryset)} conversations.")


@admin.register(Message)
class MessageAdmin(BackOfficeAdmin):
    """Every message in and out. A message is a record: read here, never rewritten (what a
    lead or the bot wrote is stored redacted); a failed turn can be run again."""

    list_display = ["sent_at", "contact", "sender_label", "text", "status_label"]
    list_filter = ["direction", "sender", "status", "turn_outcome", "channel", "sent_at"]
    list_select_related = ["conversation__contact"]
    search_fields = ["body", "ghl_message_id", "conversation__contact__phone"]
    # The biggest table. Newest first through the msg_sent index (a walk, LIMIT); the text
    # through its substring index, the HighLevel id and the lead's phone whole
    # (config.search); a "Sent" filter of ranges on that index instead of a date hierarchy
    # (which reads every row's date); no second count of the whole table.
    ordering = ["-sent_at", "-id"]
    indexed_search = IndexedSearch(exact=("ghl_message_id",), phone="conversation__contact__phone")
    show_full_result_count = False
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "conversation_link",
                    "direction",
                    "sender",
                    "channel",
                    "status",
                    "sent_at",
                    "scheduled_for",
                    "subject",
                    "body",
                    "attachments_list",
                ]
            },
        ),
        (
            "The bot's turn",
            {"fields": ["turn_started_at", "handled_at", "turn_outcome", "turn_error"]},
        ),
        ("How the reply was made", {"fields": ["ai_details"]}),
        ("HighLevel", {"fields": ["ghl_message_id", "created_at", "updated_at"]}),
    ]
    readonly_fields = [f.name for f in Message._meta.fields] + [
        "conversation_link",
        "attachments_list",
        "ai_details",
    ]
    actions = ["retry_turns"]

    def has_add_permission(self, request):
        return False  # messages come from HighLevel and the bots, never typed in here

    # Long enough to read a text; the whole message is on its page.
    LIST_BODY_CHARS = 280

    @admin.display(description="Contact")
    def contact(self, message: Message) -> str:
        return str(message.conversation.contact)

    @admin.display(description="From", ordering="sender")
    def sender_label(self, message: Message) -> str:
        if message.direction == Message.Direction.INBOUND:
            return "Lead"
        return message.get_sender_display()

    @admin.display(description="Message")
    def text(self, message: Message) -> str:
        body = message.body
        if len(body) > self.LIST_BODY_CHARS:
            body = body[: self.LIST_BODY_CHARS].rstrip() + "…"
        return format_html('<span class="message-text">{}</span>', body)

    @admin.display(description="Status", ordering="status")
    def status_label(self, message: Message) -> str:
        notable = {"", Message.TurnOutcome.REPLIED, Message.TurnOutcome.SUPERSEDED}
        if message.turn_outcome not in notable:
            return f"{message.get_status_display()} · {message.get_turn_outcome_display()}"
        return message.get_status_display()

    @admin.display(description="Conversation")
    def conversation_link(self, message: Message) -> str:
        url = reverse("admin:leads_conversation_change", args=[message.conversation_id])
        return format_html('<a href="{}">{}</a>', url, message.conversation)

    @admin.display(description="Attachments")
    def attachments_list(self, message: Message) -> str:
        return readable_data(message.attachments)

    @admin.display(description="Engine, model, tokens, cost")
    def ai_details(self, message: Message) -> str:
        return readable_data(message.ai_metadata)

    @admin.action(
        description="Run the bot's turn again (failed turns only)", permissions=["change"]
    )
    def retry_turns(self, request, queryset):
        from leads.services.pipeline import retry_failed_turns

        queued = retry_failed_turns(
            message_ids=queryset.values_list("pk", flat=True), user=request.user
        )
        self.message_user(request, f"{queued} failed turns queued to run again.")


@admin.register(Deal)
class DealAdmin(BackOfficeAdmin):
    # The deal's name carries the lead's ("Linda Woods purchase"): no contact column, so the
    # list fits a laptop.
    list_display = [
        "name",
        "side",
        "stage",
        "sale_price",
        "rate",
        "commission_amount",
        "expected_close_on",
        "closed_at",
    ]
    # Date ranges rather than a date hierarchy, which reads every deal's date.
    list_filter = ["side", "stage", ("closed_at", admin.DateFieldListFilter)]
    list_select_related = ["contact"]
    search_fields = ["name", "property_address", "contact__last_name", "ghl_opportunity_id"]
    autocomplete_fields = ["contact"]
    change_list_template = "admin/change_list_totals.html"
    fields = [
        "name",
        "contact",
        "side",
        "stage",
        "property_address",
        "value",
        "commission_percent_override",
        "expected_close_on",
        "closed_at",
        "ghl_opportunity_id",
    ]

    @admin.display(description="Sale price", ordering="value")
    def sale_price(self, deal: Deal) -> str:
        return money_cell(deal.value)

    @admin.display(description="Commission")
    def commission_amount(self, deal: Deal) -> str:
        return money_cell(deal.commission)

    def changelist_view(self, request, extra_context=None):
        from analytics.rules import held
        from analytics.selectors import current_rules

        # The page prices every deal shown twice (rate, commission): with the rules read once.
        with held(current_rules()):
            response = super().changelist_view(request, extra_context)
            changelist = getattr(response, "context_data", {}).get("cl")
            if changelist is not None:
                totals = selectors.deal_totals(deals=changelist.queryset)
                response.context_data["totals"] = [
                    ("Deals", f"{totals.count:,}"),
                    ("Sale prices", money_cell(totals.value)),
                    ("Commission", money_cell(totals.commission)),
                ]
            if hasattr(response, "render"):
                response.render()  # the rows are priced as they render: inside the block
        return response

    @admin.display(description="Commission rate")
    def rate(self, obj):
        from analytics.rules import commission_for

        figures = commission_for(obj)
        percent = f"{figures.rate * 100:.2f}".rstrip("0").rstrip(".")
        return f"{percent}% (negotiated)" if figures.rate_is_override else f"{percent}%"


@admin.register(Appointment)
class AppointmentAdmin(BackOfficeAdmin):
    """Calls with Jorge: booked by the bot, or made in HighLevel. Read-only here: a booking is
    moved or cancelled in HighLevel, whose webhooks update it."""

    list_display = ["start", "contact", "status", "source", "calendar"]
    list_filter = ["status", "source"]
    list_select_related = ["contact"]
    search_fields = [
        "contact__first_name",
        "contact__last_name",
        "contact__phone",
        "ghl_appointment_id",
    ]
    date_hierarchy = "start"
    readonly_fields = [f.name for f in Appointment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(BackOfficeAdmin):
    """What HighLevel sent, as received. Read-only; failed events can be processed again.

    Filter by status for what needs a person: *Unprocessable* (authentic, but unreadable: the
    body is shown as received), *Rejected* (not authentic: only its metadata is kept),
    *Ignored* (another location's, or a type we do not act on: the reason says which).
    """

    list_display = ["created_at", "event_type", "status", "reason", "client_ip", "contact"]
    list_filter = ["status", "source", "event_type", "signature_scheme"]
    list_select_related = ["contact"]
    search_fields = ["dedupe_key", "location_id", "client_ip", "body_sha256", "body"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in WebhookEvent._meta.fields] + ["payload_readable"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "event_type",
                    "source",
                    "status",
                    "attempts",
                    "last_error",
                    "processed_at",
                    "contact",
                    "message",
                    "created_at",
                ]
            },
        ),
        ("What HighLevel sent", {"fields": ["payload_readable", "body"]}),
        (
            "Delivery",
            {
                "fields": [
                    "dedupe_key",
                    "location_id",
                    "signature_scheme",
                    "client_ip",
                    "body_size",
                    "body_sha256",
                    "headers",
                    "updated_at",
                ]
            },
        ),
    ]
    actions = ["reprocess"]

    @admin.display(description="Reason", ordering="last_error")
    def reason(self, event: WebhookEvent) -> str:
        """Why it was not applied (or what processing noted), in one short line."""
        text = " ".join(event.last_error.split())
        return (text[:117] + "…" if len(text) > 120 else text) or EMPTY

    @admin.display(description="Payload")
    def payload_readable(self, event: WebhookEvent) -> str:
        return readable_data(event.payload) if event.payload is not None else EMPTY

    def has_add_permission(self, request):
        return False

    @admin.action(description="Reprocess selected events", permissions=["change"])
    def reprocess(self, request, queryset):
        from leads.services.inbound import reprocess_webhook_events

        queued, skipped = reprocess_webhook_events(
            event_ids=queryset.values_list("pk", flat=True), user=request.user
        )
        note = (
            f" ({skipped} rejected or unprocessable events are never processed)" if skipped else ""
        )
        self.message_user(request, f"{queued} events queued for reprocessing{note}.")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(BackOfficeAdmin):
    """HighLevel calls captured instead of sent (no GHL_API_TOKEN): what would have gone out."""

    list_display = ["created_at", "operation", "method", "path", "ghl_contact_id"]
    list_filter = ["operation", "method"]
    search_fields = ["path", "ghl_contact_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxMessage._meta.fields] + ["request_readable"]
    fields = [
        "created_at",
        "operation",
        "method",
        "path",
        "ghl_contact_id",
        "request_readable",
        "request_body",
        "response_body",
    ]

    @admin.display(description="What would have been sent")
    def request_readable(self, row: OutboxMessage) -> str:
        return readable_data(row.request_body) if row.request_body is not None else EMPTY

    def has_add_permission(self, request):
        return False


@admin.register(SendLedgerEntry)
class SendLedgerEntryAdmin(BackOfficeAdmin):
    list_display = ["created_at", "key", "status", "reconciliation", "ghl_message_id"]
    list_filter = ["status", "reconciliation"]
    search_fields = ["key", "ghl_message_id"]
    readonly_fields = [f.name for f in SendLedgerEntry._meta.fields]

    def has_add_permission(self, request):
        return False


class DayListField(forms.CharField):
    """Days typed as staff think of them, "1, 3, 7, 14, 30" (a JSON list is read too)."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(day) for day in value)
        return value

    def to_python(self, value):
        text = (super().to_python(value) or "").strip().removeprefix("[").removesuffix("]")
        days = []
        for part in text.replace(",", " ").split():
            part = part.strip("\"'")
            try:
                days.append(int(part))
            except ValueError:
                raise forms.ValidationError(
                    f"“{part}” is not a whole number of days. Enter days in order, "
                    "e.g. 1, 3, 7, 14, 30."
                ) from None
        return days


class BotSettingsForm(forms.ModelForm):
    followup_days = DayListField(
        required=False,
        label="Follow-up days",
        help_text=BotSettings._meta.get_field("followup_days").help_text,
    )

    class Meta:
        model = BotSettings
        fields = [
            "bots_enabled",
            "someone_on_call",
            "max_unanswered_automated",
            "followup_days",
            "email_followup_day",
            "speed_to_lead_seconds",
        ]


@admin.register(BotSettings)
class BotSettingsAdmin(SingleRowAdmin):
    """One row: the kill switch, the cap on unanswered messages and the nurture cadence."""

    form = BotSettingsForm

    list_display = [
        "__str__",
        "bots_enabled",
        "max_unanswered_automated",
        "follow_ups",
        "updated_at",
    ]
    list_editable = ["bots_enabled"]
    list_display_links = ["__str__"]

    @admin.display(description="Follow-up days")
    def follow_ups(self, row: BotSettings) -> str:
        days = ", ".join(str(day) for day in row.followup_days)
        return f"days {days}" if days else "none"

    def single_row(self):
        return selectors.bot_settings()

    def save_model(self, request, obj, form, change):
        update_bot_settings(settings_row=obj, changed=form.changed_data, user=request.user)


@admin.register(AgentProfile)
class AgentProfileAdmin(SingleRowAdmin):
    """One row: the agent's name, licence, phone and photo or logo, as the CMA PDF shows them."""

    list_display = ["name", "team", "licence_number", "phone_number", "has_photo", "updated_at"]
    list_display_links = ["name"]
    fields = ["name", "team", "licence_number", "phone", "email", "photo", "updated_at"]
    readonly_fields = ["updated_at"]

    @admin.display(description="Phone")
    def phone_number(self, profile: AgentProfile) -> str:
        return phone(profile.phone)

    @admin.display(description="Photo or logo", boolean=True)
    def has_photo(self, profile: AgentProfile) -> bool:
        return bool(profile.photo)

    def single_row(self):
        return selectors.agent_profile()

    def save_model(self, request, obj, form, change):
        update_agent_profile(profile=obj, changed=form.changed_data, user=request.user)


class ReplyTemplateForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ["body"]

    def clean_body(self):
        body = self.cleaned_data["body"]
        problem = selectors.template_problem(body)
        if problem:
            raise forms.ValidationError(problem)
        return body


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(BackOfficeAdmin):
    """What the bots say. Every message has a row per language; edit the wording here."""

    form = ReplyTemplateForm
    list_display = ["key", "language", "body", "updated_at"]
    list_filter = ["language"]
    search_fields = ["key", "body"]
    readonly_fields = ["key", "language"]

    def changelist_view(self, request, extra_context=None):
        ensure_reply_templates()
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False


# --- The reviewers' work queue ------------------------------------------------------------


class SLAStateFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("due_soon", "Due within the hour"), ("ok", "On time")]

    def queryset(self, request, queryset):
        now = timezone.now()
        open_ = queryset.exclude(status=EscalationTicket.Status.RESOLVED)
        if self.value() == "overdue":
            return open_.filter(due_at__lte=now)
        if self.value() == "due_soon":
            return open_.filter(due_at__gt=now, due_at__lte=now + EscalationTicket.DUE_SOON)
        if self.value() == "ok":
            return open_.filter(due_at__gt=now + EscalationTicket.DUE_SOON)
        return queryset


class ResolveForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="What was done (shown on the ticket and in the audit trail).",
    )
    resume = forms.BooleanField(
        required=False, label="Hand the conversation back to the bot as well"
    )


_SLA_STYLE = {
    "overdue": ("#ba2121", "#fff", "OVERDUE"),
    "due_soon": ("#f5dd5d", "#000", "due soon"),
    "ok": ("#e1f0e1", "#000", "on time"),
}


@admin.register(EscalationTicket)
class EscalationTicketAdmin(AuditHistoryMixin, BackOfficeAdmin):
    """The reviewers' work queue. Tickets change only through the escalation services: the
    actions below (assign to me, resolve with a note, resume bot), every one audited."""

    list_display = [
        "__str__",
        "sla",
        "priority",
        "status",
        "due_at",
        "assignee",
        "contact",
        "summary",
        "created_at",
    ]
    list_filter = [
        "status",
        "priority",
        "reason",
        "assignee",  # the users (a short table); "related only" read every ticket
        SLAStateFilter,
        # Date ranges on the created_at index, not a date hierarchy (it reads every row's date).
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["contact", "assignee"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__phone", "summary"]
    ordering = ["status", "due_at"]
    actions = ["assign_to_me", "resolve_with_note", "resume_bot"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "sla",
                    "reason",
                    "summary",
                    "priority",
                    "status",
                    "due_at",
                    "assignee",
                    "assigned_at",
                    "resolved_at",
                    "resolution_note",
                ]
            },
        ),
        ("Lead", {"fields": ["contact", "conversation", "message", "transcript"]}),
        (
            "Notification",
            {
                "fields": [
                    "notify_at",
                    "notified_at",
                    "notified_by",
                    "holding_message",
                    "occurrences",
                ]
            },
        ),
        ("Why, for machines (no personal data)", {"fields": ["machine_context"]}),
        ("History", {"fields": ["created_at", "updated_at", "audit_history"]}),
    ]
    readonly_fields = [f.name for f in EscalationTicket._meta.fields] + [
        "sla",
        "transcript",
        "notified_by",
        "machine_context",
        "audit_history",
    ]

    @admin.display(description="Notifications")
    def notified_by(self, ticket: EscalationTicket) -> str:
        return readable_data(ticket.notifications)

    @admin.display(description="Context")
    def machine_context(self, ticket: EscalationTicket) -> str:
        return readable_data(ticket.context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is read-only: changes go through the actions, never a Save.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="SLA", ordering="due_at")
    def sla(self, obj):
        state = obj.sla_state()
        if not state:
            return "resolved"
        background, colour, label = _SLA_STYLE[state]
        return format_html(
            '<span style="background:{};color:{};padding:2px 6px;border-radius:3px;'
            'font-weight:bold">{}</span>',
            background,
            colour,
            label,
        )

    @admin.display(description="Transcript")
    def transcript(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return thread(
            conversation_id=obj.conversation_id,
            lead=obj.contact,
            limit=selectors.TICKET_THREAD_LIMIT,
            flagged=obj.message_id,
            template="admin/tickets/transcript.html",
        )

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        done = 0
        for ticket in queryset.exclude(status=EscalationTicket.Status.RESOLVED):
            escalation.assign_ticket(ticket=ticket, user=request.user)
            done += 1
        self.message_user(request, f"{done} tickets assigned to you.")

    @admin.action(description="Resolve with a note…", permissions=["change"])
    def resolve_with_note(self, request, queryset):
        tickets = queryset.exclude(status=EscalationTicket.Status.RESOLVED)
        form = ResolveForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            for ticket in tickets:
                escalation.resolve_ticket(
                    ticket=ticket,
                    user=request.user,
                    note=form.cleaned_data["note"],
                    resume=form.cleaned_data["resume"],
                )
            self.message_user(request, f"{len(tickets)} tickets resolved.")
            return None
        return TemplateResponse(
            request,
            "admin/tickets/resolve.html",
            {
                **self.admin_site.each_context(request),
                "title": "Resolve tickets",
                "opts": self.model._meta,
                "tickets": [
                    _labelled(t, f"{t} · {t.contact} · {t.summary}")
                    for t in tickets.select_related("contact")
                ],
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Resume the bot on these conversations", permissions=["change"])
    def resume_bot(self, request, queryset):
        conversations = {
            t.conversation_id: t.conversation for t in queryset.select_related("conversation")
        }
        for conversation in conversations.values():
            escalation.resume_bot(conversation=conversation, user=request.user)
        self.message_user(request, f"The bot is back on {len(conversations)} conversations.")


def _labelled(ticket, label: str):
    """The ticket with the line the resolve form lists it by."""
    ticket.resolve_label = label
    return ticket


@admin.register(ApiToken)
class ApiTokenAdmin(AuditHistoryMixin, BackOfficeAdmin):
    """API tokens: issued here (the secret is shown once, on the next page), revoked with the
    action; never edited, never deleted (the audit trail points at them)."""

    list_display = ["name", "user", "scope", "prefix", "created_at", "last_used_at", "state"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "user", "scope"]
        return [
            "name",
            "user",
            "scope",
            "prefix",
            "created_at",
            "last_used_at",
            "revoked_at",
            "audit_history",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    @admin.display(description="State")
    def state(self, token: ApiToken) -> str:
        return f"Revoked {local_time(token.revoked_at)}" if token.revoked_at else "Active"

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        issued = issue_api_token(user=obj.user, name=obj.name, scope=obj.scope, by=request.user)
        obj.pk, obj.prefix, obj._state.adding = issued.token.pk, issued.token.prefix, False
        self.message_user(
            request,
            format_html(
                "Copy the token now: it is not stored and will not be shown again. <code>{}</code>",
                issued.secret,
            ),
            level="warning",
        )

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = sum(revoke_api_token(token=t, by=request.user) for t in queryset)
        self.message_user(request, f"{revoked} token(s) revoked.", level="success")
