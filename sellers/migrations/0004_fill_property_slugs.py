"""Give every existing home its slug (three steps, as Django's docs advise for a new unique
field: add it, fill it, then make it unique)."""

from django.db import migrations
from django.utils.text import slugify


def fill_slugs(apps, schema_editor):
    # The same rule as sellers.services.properties.slug_for (copied: migrations stay frozen).
    Property = apps.get_model("sellers", "Property")
    taken = set()
    homes = list(Property.objects.order_by("pk").only("pk", "address", "city"))
    for home in homes:
        base = slugify(f"{home.address} {home.city}")[:100].strip("-") or "home"
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        home.slug = slug
    Property.objects.bulk_update(homes, ["slug"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("sellers", "0003_property_slug_features"),
    ]

    operations = [
        migrations.RunPython(fill_slugs, migrations.RunPython.noop),
    ]
