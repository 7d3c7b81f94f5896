"""What a buyer is looking for in a home (budget and timeline live on the contact's
qualification; this is the home itself)."""

from django.db import models

from leads.models import Contact, TimeStampedModel


class BuyerProfile(TimeStampedModel):
    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="buyer_profile")
    cities = models.JSONField(default=list, blank=True, help_text="Cities the buyer would live in.")
    beds_min = models.PositiveSmallIntegerField(null=True, blank=True)
    baths_min = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    property_types = models.JSONField(default=list, blank=True)
    must_haves = models.TextField(blank=True, help_text="In the buyer's words: pool, RV parking…")

    def __str__(self):
        return f"Buyer profile of {self.contact}"
