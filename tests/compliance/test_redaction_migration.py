"""The data migrations that redact rows stored before the privacy rules existed."""

import importlib

import pytest
from django.apps import apps

from compliance.models import AuditEvent, ConsentRecord
from leads.models import Message, WebhookEvent
from tests.leads.factories import ContactFactory, MessageFactory

pytestmark = pytest.mark.django_db

leads_migration = importlib.import_module("leads.migrations.0009_redact_sensitive_data")
compliance_migration = importlib.import_module("compliance.migrations.0004_redact_sensitive_data")


def test_messages_and_webhook_events_stored_earlier_are_redacted_in_place():
    clean = MessageFactory(body="3 bedrooms in Fontana, 909-555-1234")
    leaky = MessageFactory(body="placeholder")
    # Written the way rows were before redaction existed: straight to the table.
    Message.objects.filter(pk=leaky.pk).update(
        body="my ssn 123-45-6789", subject="card 4111 1111 1111 1111"
    )
    event = WebhookEvent.objects.create(
        body='{"type": "InboundMessage", "contactId": "c1", "body": "routing 021000021"}',
        payload={"type": "InboundMessage", "contactId": "c1", "body": "routing 021000021"},
    )

    leads_migration.redact_stored_rows(apps, None)

    leaky.refresh_from_db()
    assert (leaky.body, leaky.subject) == ("my ssn [SSN removed]", "card [card number removed]")
    clean.refresh_from_db()
    assert clean.body == "3 bedrooms in Fontana, 909-555-1234"
    event.refresh_from_db()
    assert "021000021" not in event.body
    assert event.payload == {
        "type": "InboundMessage",
        "contactId": "c1",
        "body": "routing [routing number removed]",
    }


def test_consent_wording_and_audit_data_stored_earlier_are_redacted():
    record = ConsentRecord.objects.create(
        contact=ContactFactory(),
        kind="granted",
        source="first inbound SMS",
        wording="DOB 01/02/1980 ssn 123-45-6789",
    )
    contact = ContactFactory()
    event = AuditEvent.objects.create(
        actor="bot",
        action="bot.turn_failed",
        subject_type="leads.contact",
        subject_id=str(contact.pk),
        data={"error": "bad text: card 4111 1111 1111 1111"},
    )

    compliance_migration.redact_stored_rows(apps, None)

    record.refresh_from_db()
    assert record.wording == "DOB [date of birth removed] ssn [SSN removed]"
    assert AuditEvent.objects.get(pk=event.pk).data == {
        "error": "bad text: card [card number removed]"
    }
