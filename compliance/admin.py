from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Q
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from config.errors import ApplicationError

from .models import AuditEvent, ComplianceTicket
from .selectors import audit_trail
from .services import assign_compliance_ticket, resolve_compliance_ticket, resume_bot_after_review


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail is read-only for everyone, superusers included."""

    list_display = ["at", "actor", "actor_label", "action", "subject_type", "subject_id"]
    list_filter = ["actor", "action", "subject_type"]
    search_fields = ["action", "subject_id", "actor_label"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

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
class ComplianceTicketAdmin(admin.ModelAdmin):
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
    list_filter = ["status", "severity", "type", DueStateFilter, "assignee", "direction"]
    list_select_related = ["contact", "assignee"]
    search_fields = ["category", "evidence", "contact__first_name", "contact__last_name"]
    date_hierarchy = "created_at"
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

    @admin.display(description="Conversation (latest 20 messages)")
    def transcript(self, obj):
        if obj.conversation_id is None:
            return "—"
        rows = obj.conversation.messages.order_by("-sent_at", "-id")[:20]
        return render_to_string(
            "admin/tickets/transcript.html",
            {"messages": list(reversed(rows)), "flagged": obj.message_id},
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
