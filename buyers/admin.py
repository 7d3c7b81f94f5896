from django.contrib import admin

from .models import BuyerProfile


@admin.register(BuyerProfile)
class BuyerProfileAdmin(admin.ModelAdmin):
    list_display = ["contact", "beds_min", "baths_min", "updated_at"]
    list_select_related = ["contact"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__phone", "must_haves"]
    autocomplete_fields = ["contact"]
