"""Redact sensitive data (SSNs, card, bank and routing numbers, dates of birth) from messages
and webhook events stored before the privacy rules (compliance.rules.privacy) existed.

From now on they are redacted before storage; this cleans what came in earlier, in place.
The original is not kept anywhere, so this cannot be reversed. The issue that asked for it
also named three columns (SSN, card, CVV) holding such data; this schema never had them
(no model field or migration names them), so there is no column to remove.
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
    from compliance.rules.privacy import redact_json_text, redact_sensitive, redact_sensitive_data

    Message = apps.get_model("leads", "Message")
    for rows in _in_batches(Message.objects.only("id", "body", "subject")):
        changed = []
        for message in rows:
            body, subject = redact_sensitive(message.body), redact_sensitive(message.subject)
            if (body, subject) != (message.body, message.subject):
                message.body, message.subject = body, subject
                changed.append(message)
        Message.objects.bulk_update(changed, ["body", "subject"])

    WebhookEvent = apps.get_model("leads", "WebhookEvent")
    for rows in _in_batches(WebhookEvent.objects.only("id", "body", "payload")):
        changed = []
        for event in rows:
            body, payload = redact_json_text(event.body), redact_sensitive_data(event.payload)
            if (body, payload) != (event.body, event.payload):
                event.body, event.payload = body, payload
                changed.append(event)
        WebhookEvent.objects.bulk_update(changed, ["body", "payload"])


class Migration(migrations.Migration):
    dependencies = [("leads", "0008_appointments")]

    operations = [migrations.RunPython(redact_stored_rows, migrations.RunPython.noop)]
