"""Homes: on the market and recently sold. Sellers are compared against them (CMA);
buyers are shown them."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from leads.models import TimeStampedModel


class Property(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PENDING = "pending", "Pending"
        SOLD = "sold", "Sold"
        OFF_MARKET = "off_market", "Off market"

    class Type(models.TextChoices):
        SINGLE_FAMILY = "sfr", "Single family"
        CONDO = "condo", "Condo"
        TOWNHOUSE = "townhouse", "Townhouse"
        MULTI_FAMILY = "multi", "Multi-family"

    mls_id = models.CharField("MLS number", max_length=32, unique=True)
    # The public page's address (/p/<slug>/): set once when the home is first saved and never
    # changed, so a link already texted to a buyer keeps working.
    slug = models.SlugField(max_length=120, unique=True, editable=False)
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=100, db_index=True)
    state = models.CharField(max_length=2, default="CA")
    postal_code = models.CharField(max_length=10)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    property_type = models.CharField(
        max_length=10, choices=Type.choices, default=Type.SINGLE_FAMILY
    )
    beds = models.PositiveSmallIntegerField()
    baths = models.DecimalField(max_digits=3, decimal_places=1)
    living_sqft = models.PositiveIntegerField(validators=[MinValueValidator(100)])
    lot_sqft = models.PositiveIntegerField(null=True, blank=True)
    year_built = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    list_price = models.PositiveIntegerField(null=True, blank=True)
    sold_price = models.PositiveIntegerField(null=True, blank=True)
    sold_date = models.DateField(null=True, blank=True)
    features = models.TextField(
        blank=True,
        help_text="What the home has, separated by commas: pool, RV parking, solar, single story…",
    )
    description = models.TextField(blank=True, help_text="Shown on the public listing page.")

    class Meta:
        verbose_name_plural = "properties"
        constraints = [
            # A home saved without a slug has no public page; fail loudly instead.
            models.CheckConstraint(condition=~Q(slug=""), name="property_has_slug"),
            models.CheckConstraint(
                condition=~Q(status="sold")
                | (Q(sold_price__isnull=False) & Q(sold_date__isnull=False)),
                name="property_sold_has_price_and_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "city", "-sold_date"], name="property_comps")]

    def __str__(self):
        return f"{self.address}, {self.city}"

    @property
    def price(self) -> int | None:
        return self.sold_price if self.status == self.Status.SOLD else self.list_price

    @property
    def is_public_listing(self) -> bool:
        """On the market with an asking price: the only homes buyers are shown."""
        return self.status == self.Status.ACTIVE and self.list_price is not None

    @property
    def feature_list(self) -> list[str]:
        return [f.strip() for f in self.features.replace(";", ",").split(",") if f.strip()]


class SellerQualification(TimeStampedModel):
    """Where a seller lead is in the Q0–Q4 conversation, and what they told us.

    State lives in the database (cached read-through by the seller bot) and is only
    written under the conversation's row lock, so concurrent messages cannot corrupt it.
    """

    class Stage(models.TextChoices):
        Q0_ADDRESS = "q0_address", "Q0 · address and permission"
        Q1_MOTIVATION = "q1_motivation", "Q1 · motivation"
        Q2_TIMELINE = "q2_timeline", "Q2 · timeline"
        Q3_CONDITION = "q3_condition", "Q3 · condition"
        Q4_PRICE = "q4_price", "Q4 · price expectation"
        QUALIFIED = "qualified", "Qualified (CMA and call offered)"
        NURTURE = "nurture", "Nurture (stopped pushing)"

    class Strategy(models.TextChoices):
        NONE = "", "None"
        OFFER_CMA = "offer_cma", "Acknowledge and offer the free CMA"
        FOLLOW_UP_LATER = "follow_up_later", "Schedule a later follow-up"
        HAND_TO_AGENT = "hand_to_agent", "Hand to Jorge"

    class Condition(models.TextChoices):
        UNKNOWN = "", "Unknown"
        MOVE_IN_READY = "move_in_ready", "Move-in ready / updated"
        NEEDS_UPDATES = "needs_updates", "Needs some updates"
        NEEDS_REPAIRS = "needs_repairs", "Needs major repairs"

    class Occupancy(models.TextChoices):
        UNKNOWN = "", "Unknown"
        OWNER = "owner", "Owner-occupied"
        TENANT = "tenant", "Tenant-occupied"
        VACANT = "vacant", "Vacant"

    contact = models.OneToOneField(
        "leads.Contact", on_delete=models.CASCADE, related_name="seller_qualification"
    )
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.Q0_ADDRESS)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    permission_given = models.BooleanField(null=True, blank=True)
    subject_property = models.ForeignKey(
        Property, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    motivation = models.TextField(blank=True)
    motivation_kind = models.CharField(max_length=24, blank=True)
    timeline = models.CharField(max_length=16, blank=True)
    condition = models.CharField(max_length=16, choices=Condition.choices, blank=True)
    condition_notes = models.TextField(blank=True)
    occupancy = models.CharField(max_length=8, choices=Occupancy.choices, blank=True)
    price_expectation = models.PositiveIntegerField(null=True, blank=True, help_text="USD")
    stall_count = models.PositiveSmallIntegerField(default=0)
    last_stall_kind = models.CharField(max_length=32, blank=True)
    strategy = models.CharField(max_length=16, choices=Strategy.choices, blank=True)
    temperature = models.CharField(max_length=4, default="cold")
    temperature_reasons = models.JSONField(default=list, blank=True)
    cma_offered_at = models.DateTimeField(null=True, blank=True)
    ghl_opportunity_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["stage", "temperature"], name="sellerq_stage_temp")]

    def __str__(self):
        return f"{self.contact} · {self.get_stage_display()}"


class CMAReport(TimeStampedModel):
    """A comparative market analysis of a seller's home, with the inputs it was made from."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being generated"
        READY = "ready", "Ready"
        INSUFFICIENT = "insufficient", "Too few comparables"
        FAILED = "failed", "Failed"

    class Confidence(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"
        NONE = "none", "None (not enough data)"

    contact = models.ForeignKey(
        "leads.Contact", on_delete=models.CASCADE, related_name="cma_reports"
    )
    subject_property = models.ForeignKey(
        Property, null=True, blank=True, on_delete=models.SET_NULL, related_name="cma_reports"
    )
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=100)
    subject = models.JSONField(default=dict, help_text="The home's facts the estimate used.")
    comparables = models.JSONField(
        default=list, help_text="Each comparable with its adjustments and weight."
    )
    comparables_fingerprint = models.CharField(
        max_length=64,
        db_index=True,
        help_text="Changes when the comparables or their prices change.",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    estimate_low = models.PositiveIntegerField(null=True, blank=True)
    estimate_mid = models.PositiveIntegerField(null=True, blank=True)
    estimate_high = models.PositiveIntegerField(null=True, blank=True)
    confidence = models.CharField(max_length=6, choices=Confidence.choices, default=Confidence.NONE)
    method = models.TextField(blank=True)
    pdf = models.FileField(upload_to="cma/%Y/%m/", blank=True)
    pdf_bytes = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "CMA report"
        indexes = [models.Index(fields=["contact", "-created_at"], name="cma_contact_recent")]

    def __str__(self):
        return f"CMA {self.address} ({self.get_status_display()})"
