"""What a buyer is looking for in a home (budget and timeline live on the contact's
qualification; this is the home itself), and the listings they were alerted to."""

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


class ListingAlert(TimeStampedModel):
    """A listing a buyer was alerted to, at one asking price: never twice for the same price.

    Written with the alert's message, in one transaction; the score and its explanation
    are kept as they were when the alert was decided.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="listing_alerts")
    listing = models.ForeignKey(
        "sellers.Property", on_delete=models.CASCADE, related_name="buyer_alerts"
    )
    price = models.PositiveIntegerField(help_text="The asking price the alert named (USD).")
    message = models.ForeignKey(
        "leads.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.PositiveSmallIntegerField()
    explanation = models.JSONField(
        default=list, help_text="[part, points, why] for each part of the score."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "listing", "price"], name="listing_alert_once_per_price"
            )
        ]
        indexes = [models.Index(fields=["contact", "-created_at"], name="listing_alert_recent")]

    def __str__(self):
        return f"{self.listing} at ${self.price:,} to {self.contact}"
