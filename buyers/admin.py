from django.contrib import admin

from config.backoffice import BackOfficeAdmin, money_cell, percent, readable_data
from config.search import IndexedSearch

from .models import BuyerProfile, FinancialAssessment, ListingAlert


@admin.register(BuyerProfile)
class BuyerProfileAdmin(BackOfficeAdmin):
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
    # Through indexes: any fragment of the must-haves, the start of the buyer's name or email,
    # the phone whole (Django's LIKE over each of them read every profile).
    indexed_search = IndexedSearch(text=("", "contact"), phone="contact__phone")
    show_full_result_count = False
    autocomplete_fields = ["contact"]
    # Written by the buyer bot from the conversation; the answers stay editable.
    readonly_fields = ["temperature", "temperature_reasons", "qualified_at", "hot_at"]


@admin.register(FinancialAssessment)
class FinancialAssessmentAdmin(BackOfficeAdmin):
    """Every assessment as it was made: read-only, like an audit row."""

    list_display = [
        "contact",
        "source",
        "pre_approved",
        "requires_review",
        "confidence_percent",
        "max_price",
        "created_at",
    ]
    list_filter = ["source", "pre_approved", "requires_review"]
    list_select_related = ["contact"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__phone"]
    date_hierarchy = "created_at"
    fields = [
        "contact",
        "conversation",
        "source",
        "pre_approved",
        "requires_review",
        "confidence_percent",
        "max_price",
        "reasons_readable",
        "inputs_readable",
        "provider_attempts",
        "provider_error",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="Confidence", ordering="confidence")
    def confidence_percent(self, assessment: FinancialAssessment) -> str:
        return percent(assessment.confidence)

    @admin.display(description="Max purchase price", ordering="max_purchase_price")
    def max_price(self, assessment: FinancialAssessment) -> str:
        return money_cell(assessment.max_purchase_price)

    @admin.display(description="Reasons")
    def reasons_readable(self, assessment: FinancialAssessment) -> str:
        return readable_data(assessment.reasons)

    @admin.display(description="What was assessed")
    def inputs_readable(self, assessment: FinancialAssessment) -> str:
        return readable_data(assessment.inputs)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Listing alerts (read-only: written by buyers.services.alerts) -----------------------------
@admin.register(ListingAlert)
class ListingAlertAdmin(BackOfficeAdmin):
    list_display = ["created_at", "contact", "listing", "asking_price", "score", "message_status"]
    list_select_related = ["contact", "listing", "message"]
    list_filter = ["created_at"]
    search_fields = [
        "contact__first_name",
        "contact__last_name",
        "contact__phone",
        "listing__address",
    ]
    date_hierarchy = "created_at"
    fields = [
        "contact",
        "listing",
        "asking_price",
        "score",
        "explanation_readable",
        "message",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="Asking price", ordering="price")
    def asking_price(self, alert: ListingAlert) -> str:
        return money_cell(alert.price)

    @admin.display(description="Why this score")
    def explanation_readable(self, alert: ListingAlert) -> str:
        return readable_data(alert.explanation)

    @admin.display(description="Message")
    def message_status(self, alert: ListingAlert) -> str:
        return alert.message.get_status_display() if alert.message else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
