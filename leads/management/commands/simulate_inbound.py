"""Try the product without HighLevel: post a lead's text through the real webhook endpoint.

The command cannot sign with HighLevel's private key, so it makes an Ed25519 key pair of
its own, adds the public half to the trusted keys for this process only, signs the
payload with the private half and POSTs it to ``/webhooks/ghl/`` through Django's
request handling: the same middleware, signature check, storage, deduplication, task
and handlers as a real delivery. Nothing else is bypassed, and the key is gone when the
command exits.
"""

import base64
import json
import re
import time
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client, override_settings
from django.utils import timezone

from compliance.models import AuditEvent
from leads.models import Contact, Conversation, OutboxMessage, WebhookEvent
from leads.webhooks.ghl.signatures import HIGHLEVEL_ED25519_PUBLIC_KEY

WEBHOOK_PATH = "/webhooks/ghl/"


class Command(BaseCommand):
    help = "Post a realistic HighLevel InboundMessage through the real webhook path and show what happened."

    def add_arguments(self, parser):
        parser.add_argument(
            "--phone", required=True, help="The lead's phone, E.164 (+17145550100)."
        )
        parser.add_argument("--text", required=True, help="What the lead texts.")
        parser.add_argument("--name", default="", help="The lead's name, for a new contact.")
        parser.add_argument("--email", default="", help="The lead's email, for a new contact.")
        parser.add_argument(
            "--location",
            default="",
            help="HighLevel location id (default GHL_LOCATION_ID; another location's events are "
            "kept as ignored, not applied).",
        )
        parser.add_argument(
            "--wait", type=float, default=15.0, help="Seconds to wait for a worker (with Redis)."
        )

    def handle(self, *args, **options):
        phone = options["phone"].strip()
        if not re.fullmatch(r"\+[1-9]\d{6,14}", phone):
            raise CommandError("--phone must be in E.164 form, e.g. +17145550100.")
        location = options["location"] or settings.GHL_LOCATION_ID
        started = timezone.now()

        contact = Contact.objects.filter(ghl_location_id=location, phone=phone).first()
        contact_id = contact.ghl_contact_id if contact else f"sim-{phone[1:]}"
        conversation = (
            contact.conversations.exclude(ghl_conversation_id="").order_by("-created_at").first()
            if contact
            else None
        )
        conversation_id = (
            conversation.ghl_conversation_id if conversation else f"sim-conv-{phone[1:]}"
        )

        key = ed25519.Ed25519PrivateKey.generate()
        trusted = settings.GHL_WEBHOOK_ED25519_PUBLIC_KEY or HIGHLEVEL_ED25519_PUBLIC_KEY
        trusted = [trusted] if isinstance(trusted, str) else list(trusted)
        public_pem = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        client = Client()
        posted = []
        with override_settings(
            GHL_WEBHOOK_ED25519_PUBLIC_KEY=[*trusted, public_pem],
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        ):
            if contact is None or options["name"] or options["email"]:
                # A new lead reaches HighLevel first as a contact, then as a message.
                posted.append(
                    self._post(
                        client,
                        key,
                        self._contact_payload(
                            location, contact_id, phone, options, contact is None
                        ),
                    )
                )
            posted.append(
                self._post(
                    client,
                    key,
                    self._message_payload(location, contact_id, conversation_id, options["text"]),
                )
            )
        self._wait(posted, options["wait"])
        self._report(posted, location, contact_id, started)

    # --- Payloads as HighLevel sends them ---------------------------------------------

    def _contact_payload(self, location, contact_id, phone, options, new) -> dict:
        first, _, last = options["name"].strip().partition(" ")
        payload = {
            "type": "ContactCreate" if new else "ContactUpdate",
            "locationId": location,
            "id": contact_id,
            "phone": phone,
            "source": "simulate_inbound",
            "dateAdded": timezone.now().isoformat(),
            "tags": [],
        }
        if options["name"]:
            payload.update(firstName=first, lastName=last.strip(), name=options["name"].strip())
        if options["email"]:
            payload["email"] = options["email"].strip()
        return payload

    def _message_payload(self, location, contact_id, conversation_id, text) -> dict:
        return {
            "type": "InboundMessage",
            "locationId": location,
            "attachments": [],
            "body": text,
            "contactId": contact_id,
            "contentType": "text/plain",
            "conversationId": conversation_id,
            "dateAdded": timezone.now().isoformat(),
            "direction": "inbound",
            "messageType": "SMS",
            "messageTypeString": "TYPE_SMS",
            "messageId": f"sim-{uuid.uuid4().hex[:16]}",
            "status": "delivered",
        }

    def _post(self, client, key, payload) -> tuple[dict, object]:
        payload = {
            **payload,
            "webhookId": str(uuid.uuid4()),
            "timestamp": timezone.now().isoformat(),
        }
        body = json.dumps(payload).encode()
        signature = base64.b64encode(key.sign(body)).decode()
        response = client.post(
            WEBHOOK_PATH, data=body, content_type="application/json", HTTP_X_GHL_SIGNATURE=signature
        )
        return payload, response

    # --- What happened ----------------------------------------------------------------

    def _wait(self, posted, seconds: float) -> None:
        ids = [r.json().get("event_id") for _, r in posted if r.status_code == 200]
        pending = {
            WebhookEvent.Status.RECEIVED,
            WebhookEvent.Status.PROCESSING,
            WebhookEvent.Status.FAILED,
        }
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not WebhookEvent.objects.filter(pk__in=ids, status__in=pending).exists():
                return
            time.sleep(0.25)

    def _report(self, posted, location, contact_id, started) -> None:
        out = self.stdout.write
        for payload, response in posted:
            data = response.json()
            out(
                f"POST {WEBHOOK_PATH} {payload['type']} → HTTP {response.status_code} {json.dumps(data)}"
            )
            event = WebhookEvent.objects.filter(pk=data.get("event_id")).first()
            if event:
                error = f" ({event.last_error})" if event.last_error else ""
                out(f"  event #{event.pk}: {event.status}, attempts {event.attempts}{error}")

        contact = Contact.objects.filter(
            ghl_location_id=location, ghl_contact_id=contact_id
        ).first()
        if contact is None:
            out("No contact was recorded.")
            return
        paused = (
            f", bot paused until {timezone.localtime(contact.bot_paused_until):%Y-%m-%d %H:%M %Z}"
            if contact.bot_paused_until
            else ""
        )
        out(
            f"Contact #{contact.pk} {contact} · {contact.phone or 'no phone'} · "
            f"opted out: {contact.opted_out} · DND: {contact.dnd}{paused}"
        )
        for conversation in Conversation.objects.filter(contact=contact).order_by("pk"):
            out(
                f"Conversation #{conversation.pk} ({conversation.ghl_conversation_id}) · "
                f"{conversation.channel} · bot {conversation.bot} · stage {conversation.stage} · "
                f"status {conversation.status}"
            )
            for message in conversation.messages.filter(created_at__gte=started):
                out(
                    f"  [{message.direction} · {message.sender} · {message.status}] "
                    f"{message.body[:200]}"
                )
        outbox = OutboxMessage.objects.filter(created_at__gte=started).order_by("created_at", "pk")
        out(f"Outbox (HighLevel calls captured, no GHL_API_TOKEN): {outbox.count()}")
        for row in outbox:
            body = json.dumps(row.request_body, ensure_ascii=False)[:200]
            out(f"  {row.method} {row.path} [{row.operation}] {body}")
        audits = AuditEvent.objects.filter(at__gte=started).order_by("at", "pk")
        out(f"Audit trail since start: {audits.count()}")
        for audit in audits:
            out(f"  {audit.actor} {audit.action} {audit.subject}")
