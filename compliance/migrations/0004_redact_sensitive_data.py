"""Redact sensitive data from consent evidence (a lead's first message is kept as its
wording) and from the data of audit events stored before the privacy rules existed.

Audit rows are append-only; this rewrites only the strings that carried an SSN, a card or
bank number or a date of birth, never who did what. It cannot be reversed: the original is
not kept.
"""

from django.db import migrations

BATCH = 500


def _in_batches(queryset):
    """Rows in primary-key order, a batch at a time (no cursor held open while writing)."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def redact_stored_rows(apps, schema_editor):
    from compliance.rules.privacy import redact_sensitive, redact_sensitive_data

    ConsentRecord = apps.get_model("compliance", "ConsentRecord")
    for rows in _in_batches(ConsentRecord.objects.only("id", "wording")):
        changed = []
        for record in rows:
            wording = redact_sensitive(record.wording)
            if wording != record.wording:
                record.wording = wording
                changed.append(record)
        ConsentRecord.objects.bulk_update(changed, ["wording"])

    AuditEvent = apps.get_model("compliance", "AuditEvent")
    for rows in _in_batches(AuditEvent.objects.only("id", "data")):
        changed = []
        for event in rows:
            data = redact_sensitive_data(event.data)
            if data != event.data:
                event.data = data
                changed.append(event)
        AuditEvent.objects.bulk_update(changed, ["data"])


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_compliance_tickets")]

    operations = [migrations.RunPython(redact_stored_rows, migrations.RunPython.noop)]
