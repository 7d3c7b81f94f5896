from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Q
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from config.backoffice import BackOfficeAdmin, readable_data
from config.errors import ApplicationError

from . import audit_labels
from .models import AuditEvent, ComplianceTicket
from .selectors import audit_trail
from .services import assign_compliance_ticket, resolve_compliance_ticket, resume_bot_after_review
from .templatetags.audit_labels import audit_actor

# The latest messages a compliance ticket's page shows of its conversation.
TRANSCRIPT_MESSAGES = 20


class ActionFilter(admin.SimpleListFilter):
    """Filter the trail by what happened, in words (the codes that occur, labelled)."""

    title = "what happened"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by().values_list("action", flat=True)
        return sorted(
            ((code, audit_labels.action_label(code)) for code in set(codes)),
            key=lambda pair: pair[1],
        )

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class SubjectFilter(admin.SimpleListFilter):
    """Filter the trail by the kind of thing it is about, by its name (not ``leads.contact``)."""

    title = "about"
    parameter_name = "about"

    def lookups(self, request, model_admin):
        kinds = model_admin.get_queryset(request).order_by().values_list("subject_type", flat=True)
        return sorted(
            ((kind, audit_labels.subject_kind_label(kind)) for kind in set(kinds)),
            key=lambda pair: pair[1],
        )

    def queryset(self, request, queryset):
        return queryset.filter(subject_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(BackOfficeAdmin):
    """The audit trail is read-only for everyone, superusers included."""

    list_display = ["at", "who", "what", "about", "details"]
    list_filter = ["actor", ActionFilter, SubjectFilter]
    search_fields = ["action", "subject_id", "actor_label"]
    date_hierarchy = "at"
    fields = ["at", "who", "what", "about", "details", "action", "actor_label", "data"]
    readonly_fields = fields

    @admin.display(description="Who", ordering="actor")
    def who(self, event: AuditEvent) -> str:
        return audit_actor(event)

    @admin.display(description="What happened", ordering="action")
    def what(self, event: AuditEvent) -> str:
        return format_html(
            '<span title="{}">{}</span>', event.action, audit_labels.action_label(event.action)
        )

    @admin.display(description="About")
    def about(self, event: AuditEvent) -> str:
        label = audit_labels.subject_label(event.subject_type, event.subject_id)
        url = audit_labels.subject_admin_url(event.subject_type, event.subject_id)
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    @admin.display(description="Details")
    def details(self, event: AuditEvent) -> str:
        return readable_data(event.data)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DueStateFilter(admin.SimpleListFilter):
    """The SLA state of a ticket: overdue, due within the day, or on time."""

    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("today", "Due within 24 hours"), ("ok", "On time")]

    def queryset(self, request, queryset):
        now = timezone.now()
        unresolved = ~Q(status=ComplianceTicket.Status.RESOLVED)
        if self.value() == "overdue":
            return queryset.filter(unresolved, due_at__lt=now)
        if self.value() == "today":
            return queryset.filter(
                unresolved, due_at__gte=now, due_at__lt=now + timezone.timedelta(hours=24)
            )
        if self.value() == "ok":
            return queryset.filter(Q(status=ComplianceTicket.Status.RESOLVED) | Q(due_at__gte=now))
        return queryset


class ResolveForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        max_length=5000,
        help_text="What was done (e.g. the lead was called, the data was deleted in HighLevel).",
    )


@admin.register(ComplianceTicket)
class ComplianceTicketAdmin(BackOfficeAdmin):
    """Reviewers' queue: read the evidence, assign, resolve with a note, resume the bot.

    Nothing is edited by hand: every change is an action that calls a service and is audited.
    """

    list_display = [
        "id",
        "created_at",
        "type",
        "category",
        "severity",
        "status",
        "due",
        "assignee",
        "contact",
        "short_evidence",
    ]
    # Date ranges rather than a date hierarchy, which reads every ticket's date.
    list_filter = [
        "status",
        "severity",
        "type",
        DueStateFilter,
        "assignee",
        "direction",
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["contact", "assignee"]
    search_fields = ["category", "evidence", "contact__first_name", "contact__last_name"]
    actions = ["assign_to_me", "resolve_with_note", "resume_bot"]
    fields = [
        "type",
        "category",
        "severity",
        "direction",
        "status",
        "due",
        "assignee",
        "evidence",
        "contact",
        "conversation",
        "message",
        "transcript",
        "resolution_note",
        "created_at",
        "assigned_at",
        "resolved_at",
        "officer_notified_at",
        "audit_history",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # the compliance check opens tickets

    def has_delete_permission(self, request, obj=None):
        return False  # a compliance record is resolved, never deleted

    @admin.display(description="Evidence")
    def short_evidence(self, obj):
        return obj.evidence[:80]

    @admin.display(description="Due", ordering="due_at")
    def due(self, obj):
        if obj.is_overdue():
            return format_html(
                '<strong style="color:#ba2121">OVERDUE · {}</strong>',
                timezone.localtime(obj.due_at).strftime("%Y-%m-%d %H:%M"),
            )
        return timezone.localtime(obj.due_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="Conversation (latest 20 messages, oldest first)")
    def transcript(self, obj):
        if obj.conversation_id is None:
            return "—"
        from leads.admin import thread  # the one chat thread of the back office

        return thread(
            conversation_id=obj.conversation_id,
            lead=obj.contact,
            limit=TRANSCRIPT_MESSAGES,
            flagged=obj.message_id,
            template="admin/tickets/transcript.html",
        )

    @admin.display(description="Audit history")
    def audit_history(self, obj):
        events = audit_trail(subject=obj)[:50]
        return render_to_string("admin/audit_history.html", {"events": events})

    def _each(self, request, queryset, service, done: str) -> None:
        changed, refused = 0, []
        for ticket in queryset:
            try:
                service(ticket)
                changed += 1
            except ApplicationError as exc:
                refused.append(exc.message)
        if changed:
            self.message_user(request, f"{changed} ticket(s) {done}.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda t: assign_compliance_ticket(ticket=t, assignee=request.user, user=request.user),
            "assigned to you",
        )

    @admin.action(description="Resolve with a note…", permissions=["change"])
    def resolve_with_note(self, request, queryset):
        form = ResolveForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            note = form.cleaned_data["note"]
            self._each(
                request,
                queryset,
                lambda t: resolve_compliance_ticket(ticket=t, note=note, user=request.user),
                "resolved",
            )
            return None  # back to the list
        context = {
            **self.admin_site.each_context(request),
            "title": "Resolve compliance tickets",
            "opts": self.model._meta,
            "tickets": [
                _labelled(
                    t,
                    f"#{t.pk} · {t.get_type_display()} · {t.category} · "
                    f"{t.get_status_display()} — {t.evidence[:100]}",
                )
                for t in queryset
            ],
            "notice": "The bot stays paused: resume it with its own action once the lead has "
            "been looked after.",
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/tickets/resolve.html", context)

    @admin.action(description="Resume the bot on the conversation", permissions=["change"])
    def resume_bot(self, request, queryset):
        self._each(
            request,
            queryset.select_related("conversation__contact"),
            lambda t: resume_bot_after_review(ticket=t, user=request.user),
            "handed back to the bot",
        )


def _labelled(ticket, label: str):
    """The ticket with the line the resolve form lists it by."""
    ticket.resolve_label = label
    return ticket
