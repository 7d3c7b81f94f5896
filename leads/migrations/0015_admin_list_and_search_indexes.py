"""Indexes for the admin's lists and searches at scale (config/search.py).

The message list's order gets an index; the text the admin searches (message bodies, contact
names and emails) gets a substring index: pg_trgm GIN indexes on UPPER(column) on PostgreSQL,
FTS5 trigram tables kept in step by triggers on SQLite. Both are created only on their own
database, and removed when migrating back.
"""

from django.db import migrations, models

from config.search import install_search_indexes, remove_search_indexes


# The models of this app that had a substring index then (contacts' went in 0023).
LABELS = ("leads.message",)


def forwards(apps, schema_editor):
    install_search_indexes(schema_editor, apps, LABELS)


def backwards(apps, schema_editor):
    remove_search_indexes(schema_editor, apps, LABELS)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0014_agent_profile"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["sent_at", "id"], name="msg_sent"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["ghl_contact_id"], name="contact_ghl_id"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
