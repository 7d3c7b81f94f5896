from django.contrib import admin

from .models import BuyerProfile


@admin.register(BuyerProfile)
class BuyerProfileAdmin(admin.ModelAdmin):
    list_display = ["contact", "beds_min", "baths_min", "updated_at"]
    list_select_related = ["contact"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__phone", "must_haves"]
    autocomplete_fields = ["contact"]


# --- Listing alerts (read-only: written by buyers.services.alerts) -----------------------------
from buyers.models import ListingAlert  # noqa: E402


@admin.register(ListingAlert)
class ListingAlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "contact", "listing", "price", "score", "message_status"]
    list_select_related = ["contact", "listing", "message"]
    list_filter = ["created_at"]
    search_fields = [
        "contact__first_name",
        "contact__last_name",
        "contact__phone",
        "listing__address",
    ]
    date_hierarchy = "created_at"
    fields = ["contact", "listing", "price", "score", "explanation", "message", "created_at"]
    readonly_fields = fields

    @admin.display(description="Message")
    def message_status(self, alert: ListingAlert) -> str:
        return alert.message.get_status_display() if alert.message else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
