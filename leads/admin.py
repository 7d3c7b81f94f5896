from django import forms
from django.contrib import admin
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from compliance.models import ConsentRecord
from compliance.selectors import audit_trail

from . import selectors
from .models import (
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
from .services import consent, escalation
from .services.bot_config import ensure_reply_templates, update_bot_settings


class AuditHistoryMixin:
    """Shows the object's audit trail, read-only, on its change page."""

    @admin.display(description="Audit history")
    def audit_history(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        events = audit_trail(subject=obj)[:50]
        return render_to_string("admin/audit_history.html", {"events": events})


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


@admin.register(Contact)
class ContactAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "phone",
        "email",
        "intent",
        "temperature",
        "score",
        "language",
        "opted_out",
        "dnd",
        "created_at",
    ]
    list_filter = ["temperature", "intent", "language", "opted_out", "dnd", "timeline", "source"]
    search_fields = ["first_name", "last_name", "phone", "email", "ghl_contact_id"]
    date_hierarchy = "created_at"
    # Consent and pauses change only through the actions (services: audit, HighLevel tag).
    readonly_fields = [
        "opted_out",
        "opted_out_at",
        "opted_out_reason",
        "dnd",
        "dnd_at",
        "dnd_reason",
        "bot_paused_until",
        "created_at",
        "updated_at",
        "audit_history",
    ]
    inlines = [ConversationInline, ConsentRecordInline]
    actions = ["opt_out", "opt_in", "dnd_on", "dnd_off", "pause_bot", "resume_bot"]
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "phone", "email", "language", "timezone"]}),
        ("HighLevel", {"fields": ["ghl_contact_id", "ghl_location_id", "source", "tags"]}),
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


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["sent_at", "direction", "sender", "channel", "status", "turn_outcome", "body"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-sent_at"]


@admin.register(Conversation)
class ConversationAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "contact",
        "channel",
        "bot",
        "stage",
        "status",
        "first_response_seconds",
        "last_inbound_at",
        "last_outbound_at",
    ]
    list_filter = ["status", "needs_human_review", "bot", "stage", "channel"]
    list_select_related = ["contact"]
    search_fields = [
        "contact__first_name",
        "contact__last_name",
        "contact__phone",
        "ghl_conversation_id",
    ]
    autocomplete_fields = ["contact"]
    date_hierarchy = "last_inbound_at"
    # A pause or a review changes through the services (resume below; tickets), not a field.
    readonly_fields = [
        "status",
        "needs_human_review",
        "first_response_seconds",
        "created_at",
        "updated_at",
        "audit_history",
    ]
    inlines = [MessageInline]
    actions = ["resume_bot"]

    @admin.action(description="Resume the bot", permissions=["change"])
    def resume_bot(self, request, queryset):
        for conversation in queryset:
            escalation.resume_bot(conversation=conversation, user=request.user)
        self.message_user(request, f"The bot is back on {len(queryset)} conversations.")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "sent_at",
        "conversation",
        "direction",
        "sender",
        "channel",
        "status",
        "turn_outcome",
        "short_body",
    ]
    list_filter = ["direction", "sender", "status", "turn_outcome", "channel"]
    list_select_related = ["conversation__contact"]
    search_fields = ["body", "ghl_message_id", "conversation__contact__phone"]
    autocomplete_fields = ["conversation"]
    date_hierarchy = "sent_at"
    # The bot's turn is the pipeline's record: staff read it, never edit it. What a lead or
    # the bot wrote is a record too (stored redacted): never rewritten by hand.
    readonly_fields = [
        "body",
        "subject",
        "created_at",
        "updated_at",
        "turn_started_at",
        "handled_at",
        "turn_outcome",
        "turn_error",
    ]

    actions = ["retry_turns"]

    @admin.display(description="Body")
    def short_body(self, obj):
        return obj.body[:80]

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
class DealAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "contact",
        "side",
        "stage",
        "value",
        "commission_rate",
        "commission",
        "closed_at",
    ]
    list_filter = ["side", "stage"]
    list_select_related = ["contact"]
    search_fields = ["name", "property_address", "contact__last_name", "ghl_opportunity_id"]
    autocomplete_fields = ["contact"]
    date_hierarchy = "closed_at"


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Calls with Jorge: booked by the bot, or made in HighLevel. Read-only here: a booking is
    moved or cancelled in HighLevel, whose webhooks update it."""

    list_display = ["start", "contact", "status", "source", "calendar", "ghl_appointment_id"]
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
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "source",
        "event_type",
        "status",
        "attempts",
        "signature_scheme",
        "contact",
    ]
    list_filter = ["status", "source", "event_type", "signature_scheme"]
    list_select_related = ["contact"]
    search_fields = ["dedupe_key", "location_id", "body"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
    actions = ["reprocess"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Reprocess selected events", permissions=["change"])
    def reprocess(self, request, queryset):
        from leads.services.inbound import reprocess_webhook_events

        queued, skipped = reprocess_webhook_events(
            event_ids=queryset.values_list("pk", flat=True), user=request.user
        )
        note = f" ({skipped} rejected events are never processed)" if skipped else ""
        self.message_user(request, f"{queued} events queued for reprocessing{note}.")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "operation", "method", "path", "ghl_contact_id"]
    list_filter = ["operation", "method"]
    search_fields = ["path", "ghl_contact_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(SendLedgerEntry)
class SendLedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "key", "status", "ghl_message_id"]
    list_filter = ["status"]
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
class BotSettingsAdmin(admin.ModelAdmin):
    """One row: the kill switch, the cap on unanswered messages and the nurture cadence."""

    form = BotSettingsForm

    list_display = [
        "__str__",
        "bots_enabled",
        "max_unanswered_automated",
        "followup_days",
        "updated_at",
    ]
    list_editable = ["bots_enabled"]
    list_display_links = ["__str__"]

    def changelist_view(self, request, extra_context=None):
        selectors.bot_settings()  # the row exists from the first visit on
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        update_bot_settings(settings_row=obj, changed=form.changed_data, user=request.user)


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
class ReplyTemplateAdmin(admin.ModelAdmin):
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
class EscalationTicketAdmin(AuditHistoryMixin, admin.ModelAdmin):
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
        ("assignee", admin.RelatedOnlyFieldListFilter),
        SLAStateFilter,
    ]
    list_select_related = ["contact", "assignee"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__phone", "summary"]
    date_hierarchy = "created_at"
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
                    "notifications",
                    "holding_message",
                    "occurrences",
                ]
            },
        ),
        ("Machine context (no personal data)", {"fields": ["context"]}),
        ("History", {"fields": ["created_at", "updated_at", "audit_history"]}),
    ]
    readonly_fields = [f.name for f in EscalationTicket._meta.fields] + [
        "sla",
        "transcript",
        "audit_history",
    ]

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
        messages = selectors.ticket_transcript(ticket=obj)
        return render_to_string(
            "admin/tickets/transcript.html", {"messages": messages, "flagged": obj.message_id}
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
