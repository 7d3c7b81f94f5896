from django import forms
from django.contrib import admin
from django.template.loader import render_to_string

from compliance.models import ConsentRecord
from compliance.selectors import audit_trail

from . import selectors
from .models import (
    BotSettings,
    Contact,
    Conversation,
    Deal,
    Message,
    OutboxMessage,
    ReplyTemplate,
    SendLedgerEntry,
    WebhookEvent,
)
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
    readonly_fields = ["created_at", "updated_at", "audit_history"]
    inlines = [ConversationInline, ConsentRecordInline]
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
    list_filter = ["status", "bot", "stage", "channel"]
    list_select_related = ["contact"]
    search_fields = [
        "contact__first_name",
        "contact__last_name",
        "contact__phone",
        "ghl_conversation_id",
    ]
    autocomplete_fields = ["contact"]
    date_hierarchy = "last_inbound_at"
    readonly_fields = ["first_response_seconds", "created_at", "updated_at", "audit_history"]
    inlines = [MessageInline]


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


@admin.register(BotSettings)
class BotSettingsAdmin(admin.ModelAdmin):
    """One row: the kill switch, the cap on unanswered messages and the nurture cadence."""

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
