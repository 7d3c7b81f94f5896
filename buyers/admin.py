from django.contrib import admin

from .models import BuyerProfile, FinancialAssessment, ListingAlert


@admin.register(BuyerProfile)
class BuyerProfileAdmin(admin.ModelAdmin):
    list_display = [
        "contact",
        "stage",
        "temperature",
        "preapproval_status",
        "cash_buyer",
        "beds_min",
        "baths_min",
        "updated_at",
    ]
    list_filter = ["stage", "temperature", "preapproval_status", "cash_buyer"]
    list_select_related = ["contact"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__phone", "must_haves"]
    autocomplete_fields = ["contact"]
    # Written by the buyer bot from the conversation; the answers stay editable.
    readonly_fields = ["temperature", "temperature_reasons", "qualified_at", "hot_at"]


@admin.register(FinancialAssessment)
class FinancialAssessmentAdmin(admin.ModelAdmin):
    """Every assessment as it was made: read-only, like an audit row."""

    list_display = [
        "contact",
        "source",
        "pre_approved",
        "requires_review",
        "confidence",
        "max_purchase_price",
        "created_at",
    ]
    list_filter = ["source", "pre_approved", "requires_review"]
    list_select_related = ["contact"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__phone"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Listing alerts (read-only: written by buyers.services.alerts) -----------------------------
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

    def has_delete_permission(self, request, obj=None):
        return False
