"""Slugs are unique and never empty: a home without one would have no public page."""

from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):

    dependencies = [
        ("sellers", "0004_fill_property_slugs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="property",
            name="slug",
            field=models.SlugField(editable=False, max_length=120, unique=True),
        ),
        migrations.AddConstraint(
            model_name="property",
            constraint=models.CheckConstraint(condition=~Q(slug=""), name="property_has_slug"),
        ),
    ]
