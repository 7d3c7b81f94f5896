from django.contrib import admin

from .models import AuditEvent


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
