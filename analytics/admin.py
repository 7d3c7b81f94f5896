from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse

from analytics import selectors
from analytics.models import BusinessSettings
from analytics.services import update_business_settings


@admin.register(BusinessSettings)
class BusinessSettingsAdmin(admin.ModelAdmin):
    """One row: Jorge's commission rate and splits, the pipeline's odds, the yearly goal."""

    fieldsets = [
        (
            "Commission",
            {
                "description": "What a sale pays: the sale price × the commission, Jorge's "
                "side's share of it, and Jorge's share of that after the brokerage split.",
                "fields": ["commission_percent", "seller_side_percent", "agent_split_percent"],
            },
        ),
        (
            "Forecast",
            {
                "description": "The chance that a deal at each stage closes: the commission "
                "page weights every open deal by it.",
                "fields": [
                    "lead_probability",
                    "appointment_probability",
                    "active_probability",
                    "under_contract_probability",
                ],
            },
        ),
        ("Goal", {"fields": ["yearly_goal"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        # One row: the list would be a page with one link on it.
        row = selectors.business_settings()
        return redirect(reverse("admin:analytics_businesssettings_change", args=[row.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        selectors.business_settings()  # the row exists from the first visit on
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        update_business_settings(settings_row=obj, changed=form.changed_data, user=request.user)
