"""A substring index of buyers' must-haves, which the admin searches for any fragment ("pool",
"RV"): a pg_trgm GIN index on PostgreSQL, an FTS5 trigram table on SQLite (config/search.py)."""

from django.db import migrations

from config.search import install_search_indexes, remove_search_indexes

LABELS = ("buyers.buyerprofile",)


def forwards(apps, schema_editor):
    install_search_indexes(schema_editor, apps, LABELS)


def backwards(apps, schema_editor):
    remove_search_indexes(schema_editor, apps, LABELS)


class Migration(migrations.Migration):
    dependencies = [
        ("buyers", "0003_buyer_bot_and_financial_assessment"),
        ("leads", "0015_admin_list_and_search_indexes"),  # pg_trgm is installed there
    ]

    operations = [migrations.RunPython(forwards, backwards)]
