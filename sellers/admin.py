from django.contrib import admin

from .models import Property


@admin.register(Property)
class PropertyAdmin(admin.ModelAdmin):
    list_display = [
        "address",
        "city",
        "status",
        "beds",
        "baths",
        "living_sqft",
        "list_price",
        "sold_price",
        "sold_date",
    ]
    list_filter = ["status", "city", "property_type", "beds"]
    search_fields = ["address", "city", "postal_code", "mls_id"]
    date_hierarchy = "sold_date"
