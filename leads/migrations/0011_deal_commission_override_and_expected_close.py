"""A deal's commission follows the business rules (analytics.rules, Business settings).

``Deal.commission_rate`` was the rate of Jorge's side (value × rate), 2.5% by default, set
on every deal, demo deals included. The rate now lives in one place, the business's settings
(6% of the sale price for both sides, split between the sides and with the brokerage); a
deal keeps a rate of its own only when it was negotiated at another one.

Data: a deal at the old default (2.5%) follows the business rate from now on (nothing
distinguished it from a deal nobody had set); any other rate becomes that deal's negotiated
total commission, its side's rate over the seller/buyer split of the time (50/50), so its
side's commission stays what it was (capped at the new maximum of 10%).
"""

from decimal import Decimal

from django.db import migrations, models

OLD_DEFAULT = Decimal("0.0250")
SIDE_SHARE = Decimal("0.5")


def to_overrides(apps, schema_editor):
    Deal = apps.get_model("leads", "Deal")
    for deal in Deal.objects.exclude(commission_rate=OLD_DEFAULT).only("id", "commission_rate"):
        total = min(deal.commission_rate / SIDE_SHARE * 100, Decimal(10))
        deal.commission_percent_override = total.quantize(Decimal("0.01"))
        deal.save(update_fields=["commission_percent_override"])


def to_rates(apps, schema_editor):
    Deal = apps.get_model("leads", "Deal")
    for deal in Deal.objects.exclude(commission_percent_override=None).only(
        "id", "commission_percent_override"
    ):
        deal.commission_rate = deal.commission_percent_override / 100 * SIDE_SHARE
        deal.save(update_fields=["commission_rate"])


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0010_dashboard_conversation_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="deal",
            name="commission_percent_override",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Only when this deal's commission differs from the business's rate "
                "(Business settings), e.g. 5.00 for 5% of the sale price. Blank = the "
                "business's rate.",
                max_digits=4,
                null=True,
                verbose_name="negotiated commission (%)",
            ),
        ),
        migrations.RunPython(to_overrides, to_rates),
        migrations.RemoveConstraint(
            model_name="deal",
            name="deal_commission_rate_sane",
        ),
        migrations.RemoveField(
            model_name="deal",
            name="commission_rate",
        ),
        migrations.AddField(
            model_name="deal",
            name="expected_close_on",
            field=models.DateField(
                blank=True,
                help_text="When Jorge expects it to close; blank = estimated from the stage.",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="deal",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("commission_percent_override__isnull", True),
                    models.Q(
                        ("commission_percent_override__gte", 0),
                        ("commission_percent_override__lte", 10),
                    ),
                    _connector="OR",
                ),
                name="deal_commission_override_range",
                violation_error_message="A negotiated commission is from 0%% to 10%% of the "
                "sale price.",
            ),
        ),
    ]
