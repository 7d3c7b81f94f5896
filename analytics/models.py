"""The business's own numbers, edited in the admin; the math that uses them is in rules.py."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from analytics import rules


def _percent(verbose_name: str, default: Decimal, help_text: str, *, maximum=100):
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        default=default,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(maximum))],
        help_text=help_text,
    )


class BusinessSettings(models.Model):
    """The one row of Jorge's business rules: commission, splits, pipeline odds, the goal."""

    commission_percent = _percent(
        "commission (% of the sale price)",
        rules.DEFAULT_COMMISSION_PERCENT,
        "The total commission on a sale, both agents together, e.g. 6.00. A deal negotiated "
        "at another rate says so on the deal.",
        maximum=10,
    )
    seller_side_percent = _percent(
        "seller's side (% of the commission)",
        rules.DEFAULT_SELLER_SIDE_PERCENT,
        "The listing agent's share of the commission; the buyer's agent gets the rest. "
        "Jorge's side of a deal is the one he represents.",
    )
    agent_split_percent = _percent(
        "Jorge's brokerage split (% he keeps)",
        rules.DEFAULT_AGENT_SPLIT_PERCENT,
        "Of the commission paid to Jorge's side, what Jorge keeps; the brokerage keeps the rest.",
    )
    lead_probability = _percent(
        "lead: chance to close (%)",
        rules.DEFAULT_STAGE_PERCENT[rules.LEAD],
        "Used to weight the commission forecast.",
    )
    appointment_probability = _percent(
        "appointment: chance to close (%)", rules.DEFAULT_STAGE_PERCENT[rules.APPOINTMENT], ""
    )
    active_probability = _percent(
        "active (listing or searching): chance to close (%)",
        rules.DEFAULT_STAGE_PERCENT[rules.ACTIVE],
        "",
    )
    under_contract_probability = _percent(
        "under contract: chance to close (%)",
        rules.DEFAULT_STAGE_PERCENT[rules.UNDER_CONTRACT],
        "",
    )
    yearly_goal = models.PositiveIntegerField(
        "yearly goal (USD)",
        default=int(rules.DEFAULT_YEARLY_GOAL),
        validators=[MinValueValidator(1)],
        help_text="Jorge's take-home commission goal for the calendar year (after the "
        "brokerage split).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "business settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="business_settings_singleton"),
            models.CheckConstraint(
                condition=Q(commission_percent__gt=0, commission_percent__lte=10),
                name="business_commission_percent_range",
                violation_error_message="The commission must be more than 0%% and at most 10%% "
                "of the sale price.",
            ),
            models.CheckConstraint(
                condition=Q(seller_side_percent__gte=0, seller_side_percent__lte=100)
                & Q(agent_split_percent__gt=0, agent_split_percent__lte=100),
                name="business_splits_range",
                violation_error_message="Splits are percentages from 0 to 100 (Jorge keeps "
                "more than 0%%).",
            ),
            models.CheckConstraint(
                condition=Q(lead_probability__gte=0)
                & Q(appointment_probability__gte=F("lead_probability"))
                & Q(active_probability__gte=F("appointment_probability"))
                & Q(under_contract_probability__gte=F("active_probability"))
                & Q(under_contract_probability__lte=100),
                name="business_stage_probabilities_rise",
                violation_error_message="Chances to close go from 0%% to 100%% and never fall "
                "from one stage to the next (lead ≤ appointment ≤ active ≤ under contract).",
            ),
            models.CheckConstraint(condition=Q(yearly_goal__gt=0), name="business_goal_positive"),
        ]

    def __str__(self):
        return "Business settings"


class PerformanceBucket(models.Model):
    """One metric and label over one hour, as the PerformanceTracker aggregated it
    (config/performance.py): how many samples, their sum, and for latencies their histogram
    (bin index → count). Processes merge into it; the Performance page reads it."""

    metric = models.CharField(max_length=64)
    label = models.CharField(max_length=100, blank=True)
    hour = models.DateTimeField(help_text="The hour's start, UTC.")
    count = models.BigIntegerField(default=0)
    total = models.FloatField(default=0)
    histogram = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "label", "hour"], name="performance_bucket_unique"
            )
        ]
        indexes = [models.Index(fields=["hour"], name="performance_bucket_hour")]

    def __str__(self):
        return f"{self.metric} [{self.label}] {self.hour:%Y-%m-%d %H:00}"


class LeadTally(models.Model):
    """How many leads (contacts that are not tests) have a value of one field, kept as a
    journal of +1/-1 rows that database triggers on ``leads_contact`` write with every insert,
    update and delete, bulk or not (migration 0003). A count is the sum of its rows; the
    overview's charts, the explorer's distributions and the hot-leads tile read these sums
    instead of every contact. ``compact_lead_tallies`` folds the journal into one row per value
    (every minute, and after a bulk load), so a read stays a few hundred rows at any size."""

    class Dimension(models.TextChoices):
        TEMPERATURE = "temperature"
        SOURCE = "source"
        LANGUAGE = "language"
        TIMELINE = "timeline"
        BUDGET = "budget"  # the lead's budget_max in whole dollars, "" when not given

    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    value = models.CharField(max_length=120, blank=True)
    delta = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["dimension", "value"], name="lead_tally_value")]

    def __str__(self):
        return f"{self.dimension}={self.value!r} {self.delta:+d}"
