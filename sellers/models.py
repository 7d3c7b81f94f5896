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

    class Meta:
        verbose_name_plural = "properties"
        constraints = [
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
