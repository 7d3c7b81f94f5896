"""Public listing pages and matching: a slug for every home (filled in 0004, unique from 0005),
and features and a description of listings."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("sellers", "0002_cmareport_sellerqualification"),
    ]

    operations = [
        migrations.AddField(
            model_name="property",
            name="slug",
            field=models.SlugField(default="", editable=False, max_length=120),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="property",
            name="features",
            field=models.TextField(
                blank=True,
                help_text="What the home has, separated by commas: pool, RV parking, solar, single story…",
            ),
        ),
        migrations.AddField(
            model_name="property",
            name="description",
            field=models.TextField(blank=True, help_text="Shown on the public listing page."),
        ),
    ]
