"""What a buyer is looking for in a home and how ready they are to pay for it.

Budget and timeline live on the contact's qualification (``Contact.budget_min/budget_max``,
``Contact.timeline``); the profile holds the home itself, the financing the buyer told us
about and where the buyer bot is. ``FinancialAssessment`` keeps every readiness assessment
with the source that produced it.
"""

from django.db import models
from django.db.models import Q

from leads.models import Contact, Conversation, TimeStampedModel


class BuyerProfile(TimeStampedModel):
    class Stage(models.TextChoices):
        FINANCING = "financing", "Pre-approval or cash"
        PREAPPROVAL_DETAILS = "preapproval_details", "Lender and amount"
        BUDGET = "budget", "Budget"
        DOWN_PAYMENT = "down_payment", "Down payment"
        AREAS = "areas", "Areas"
        ROOMS = "rooms", "Beds and baths"
        MUST_HAVES = "must_haves", "Must-haves"
        TIMELINE = "timeline", "Timeline"
        QUALIFIED = "qualified", "Qualified (handed to Jorge)"

    class PreApproval(models.TextChoices):
        UNKNOWN = "", "Unknown"
        PRE_APPROVED = "pre_approved", "Pre-approved"
        PREQUALIFIED = "prequalified", "Pre-qualified only"
        NOT_YET = "not_yet", "Not yet"

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="buyer_profile")
    cities = models.JSONField(default=list, blank=True, help_text="Cities the buyer would live in.")
    beds_min = models.PositiveSmallIntegerField(null=True, blank=True)
    baths_min = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    property_types = models.JSONField(default=list, blank=True)
    must_haves = models.TextField(blank=True, help_text="In the buyer's words: pool, RV parking…")

    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.FINANCING)
    preapproval_status = models.CharField(
        "pre-approval", max_length=16, choices=PreApproval.choices, blank=True
    )
    preapproval_lender = models.CharField("lender", max_length=80, blank=True)
    preapproval_amount = models.PositiveIntegerField(
        "pre-approved for", null=True, blank=True, help_text="USD"
    )
    cash_buyer = models.BooleanField(null=True, blank=True)
    down_payment_amount = models.PositiveIntegerField(null=True, blank=True, help_text="USD")
    down_payment_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    temperature = models.CharField(max_length=4, default="cold")
    temperature_reasons = models.JSONField(default=list, blank=True)
    qualified_at = models.DateTimeField(null=True, blank=True)
    hot_at = models.DateTimeField(
        null=True, blank=True, help_text="When the bot first booked a call for this hot buyer."
    )

    class Meta:
        indexes = [models.Index(fields=["stage", "temperature"], name="buyerprofile_stage_temp")]

    def __str__(self):
        return f"Buyer profile of {self.contact}"

    @property
    def financially_ready(self) -> bool:
        """Pre-approved or paying cash, by the buyer's own word."""
        return bool(self.cash_buyer) or self.preapproval_status == self.PreApproval.PRE_APPROVED


class FinancialAssessment(TimeStampedModel):
    """One assessment of a buyer's financial readiness, and which source produced it."""

    class Source(models.TextChoices):
        PROVIDER = "provider", "Assessment provider"
        HEURISTICS = "heuristics", "Heuristics from the conversation"
        CONSERVATIVE = "conservative", "Conservative default (needs review)"

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="financial_assessments"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=12, choices=Source.choices)
    pre_approved = models.BooleanField()
    requires_review = models.BooleanField()
    confidence = models.DecimalField(max_digits=3, decimal_places=2)
    max_purchase_price = models.PositiveIntegerField(null=True, blank=True, help_text="USD")
    reasons = models.JSONField(default=list, blank=True)
    inputs = models.JSONField(
        default=dict, blank=True, help_text="What was assessed (no names, phones or numbers)."
    )
    provider_attempts = models.PositiveSmallIntegerField(default=0)
    provider_error = models.TextField(
        blank=True, help_text="Why the provider gave no answer, when it did not."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "-created_at"], name="finassess_contact_recent")]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=1),
                name="finassess_confidence_0_1",
            )
        ]

    def __str__(self):
        verdict = "pre-approved" if self.pre_approved else "not pre-approved"
        return f"{self.contact} · {verdict} ({self.get_source_display()})"


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
