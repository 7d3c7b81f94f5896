"""POST /webhooks/ghl/: HighLevel's documented samples replayed with real signatures,
and every way a delivery can be wrong."""

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import InterfaceError, OperationalError, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.models import AuditEvent
from leads import tasks
from leads.models import Appointment, Channel, Contact, Conversation, Deal, Message, WebhookEvent
from tests.config.publisher_fake import wait_for
from tests.leads.conftest import SAMPLES_DIR, WEBHOOK_URL, WORKFLOW_URL, Signer, load_sample

Status = WebhookEvent.Status


@pytest.fixture(autouse=True)
def _bot_pipeline_not_under_test(inbound_handler_calls):
    """Only a recorder is registered as inbound handler: the bot's replies are tested elsewhere."""


def _inbound_sms(**overrides) -> dict:
    payload = load_sample("inboundmessage-sms")
    payload.update({"messageId": "msg-0001", "webhookId": "wh-0001"}, **overrides)
    return payload


# --- Every documented sample, with both signature schemes ----------------------


def _contact(contact_id: str) -> Contact:
    return Contact.objects.get(ghl_contact_id=contact_id)


def _check_inbound(contact_id, channel, handed_to_bot):
    def check(event, handler_calls):
        message = Message.objects.get()
        assert message.direction == Message.Direction.INBOUND
        assert message.sender == Message.Sender.CONTACT
        assert message.channel == channel
        assert message.conversation.contact == _contact(contact_id)
        assert message.conversation.last_inbound_at == message.sent_at
        assert handler_calls == ([message.pk] if handed_to_bot else [])

    return check


def _check_outbound(sender, paused):
    def check(event, handler_calls):
        message = Message.objects.get()
        assert message.direction == Message.Direction.OUTBOUND
        assert message.sender == sender
        conversation = message.conversation
        assert (conversation.status == Conversation.Status.PAUSED) is paused
        assert (conversation.contact.bot_paused_until is not None) is paused
        assert handler_calls == []

    return check


def _check_contact(contact_id, **fields):
    def check(event, handler_calls):
        contact = _contact(contact_id)
        assert event.contact == contact
        for name, value in fields.items():
            assert getattr(contact, name) == value, name

    return check


def _check_linked(contact_id):
    def check(event, handler_calls):
        assert event.contact == _contact(contact_id)
        assert not Message.objects.exists()

    return check


def _check_appointment(event, handler_calls):
    _check_linked("9NkT25Vor1v4aQatFsv2")(event, handler_calls)
    # Made in HighLevel (not by the bot): recorded, so its time is busy on Jorge's calendar.
    appointment = Appointment.objects.get(ghl_appointment_id="0007BWpSzSwfiuSl0tR2")
    assert appointment.source == Appointment.Source.HIGHLEVEL
    assert appointment.end > appointment.start  # the sample's endTime equals its startTime


def _check_deal(event, handler_calls):
    deal = Deal.objects.get(ghl_opportunity_id="wWhVuzqpRuOA1ZVWi4FC")
    assert deal.contact.ghl_contact_id == "cJAWDskpkJHbRbhAT7bs"
    assert deal.value == 40
    assert deal.name == "Loram ipsu"
    assert event.contact == deal.contact


def _check_nothing(event, handler_calls):
    assert not Contact.objects.exists()
    assert not Message.objects.exists()


# sample → (HTTP status, event status, check). The WIG test payload is from January
# 2025: its timestamp is far outside the replay window, so it is refused and recorded.
SAMPLE_OUTCOMES = {
    "appointmentcreate": (200, Status.PROCESSED, _check_appointment),
    "contactcreate": (
        200,
        Status.PROCESSED,
        _check_contact(
            "nmFmQEsNgz6AVpgLVUJ0",
            first_name="John",
            last_name="Deo",
            phone="+919509597501",
            email="JohnDeo@gmail.comm",
            tags=["id magna sed Lorem", "Duis dolor commodo aliqua"],
            dnd=True,
            opted_out=False,
        ),
    ),
    "contactdndupdate": (
        200,
        Status.PROCESSED,
        _check_contact("nmFmQEsNgz6AVpgLVUJ0", dnd=True, ghl_location_id="ve9EPM428h8vShlRW1KT"),
    ),
    # Sent to a conversation provider's delivery URL, not an event: "type" is "SMS"/"Email".
    "conversation-provider-outbound-message-email": (200, Status.IGNORED, _check_nothing),
    "conversation-provider-outbound-message-sms": (200, Status.IGNORED, _check_nothing),
    # Typed OutboundMessage by mistake in HighLevel's docs; direction says inbound.
    "inboundmessage-call": (
        200,
        Status.PROCESSED,
        _check_inbound("gblakL5aYQC4glDtP1r2t3", Channel.CALL, False),
    ),
    "inboundmessage-email": (
        200,
        Status.PROCESSED,
        _check_inbound("3bN9f8LYJFG8F232XMUbfq", Channel.EMAIL, True),
    ),
    "inboundmessage-sms": (
        200,
        Status.PROCESSED,
        _check_inbound("cI08i1Bls3iTB9bKgFJh", Channel.SMS, True),
    ),
    "inboundmessage-unanswered-call-to-voicemail": (
        200,
        Status.PROCESSED,
        _check_inbound("gb7laj5aYQC4glDtP1r5", Channel.VOICEMAIL, False),
    ),
    "notecreate": (200, Status.PROCESSED, _check_linked("CWBf1PR9LvvBkcYqiXlc")),
    "opportunitycreate": (200, Status.PROCESSED, _check_deal),
    "outboundmessage-call-and-voicemail": (
        200,
        Status.PROCESSED,
        _check_outbound(Message.Sender.HUMAN, True),
    ),
    "outboundmessage-email": (200, Status.PROCESSED, _check_outbound(Message.Sender.HUMAN, True)),
    # direction "inbound" by mistake in HighLevel's docs; source "app" says a person sent it.
    "outboundmessage-sms": (200, Status.PROCESSED, _check_outbound(Message.Sender.HUMAN, True)),
    "outboundmessage-voicemail-sent-through-workflow": (
        200,
        Status.PROCESSED,
        _check_outbound(Message.Sender.SYSTEM, False),
    ),
    "taskcreate": (200, Status.PROCESSED, _check_linked("CWBf1PR9LvvBkcYqiXlc")),
    "test-payload-shown-in-the-webhook-integration-guide": (401, Status.REJECTED, _check_nothing),
}


def test_every_recorded_sample_has_an_expected_outcome():
    assert {p.stem for p in SAMPLES_DIR.glob("*.json")} == set(SAMPLE_OUTCOMES)


@pytest.mark.parametrize("scheme", ["ed25519", "rsa"])
@pytest.mark.parametrize("sample", sorted(SAMPLE_OUTCOMES))
def test_documented_sample_signed_by_highlevel_is_stored_and_applied(
    ghl, inbound_handler_calls, sample, scheme
):
    body = (SAMPLES_DIR / f"{sample}.json").read_bytes()  # byte for byte as documented
    http_status, event_status, check = SAMPLE_OUTCOMES[sample]

    response = ghl.post(None, body=body, scheme=scheme)

    assert response.status_code == http_status, response.content
    event = WebhookEvent.objects.get()
    assert event.status == event_status, event.last_error
    sent = json.loads(body)
    if http_status != 200:
        # Refused (stale): what it was is kept, not what it said.
        assert (event.body, event.body_size) == ("", len(body))
        assert event.body_sha256 == hashlib.sha256(body).hexdigest()
    elif "dateOfBirth" in sent:
        # A contact's date of birth is never kept; the rest is stored as sent.
        assert json.loads(event.body) == {**sent, "dateOfBirth": "[date of birth removed]"}
    else:
        assert event.body == body.decode()
    if http_status == 200:
        assert event.signature_scheme == ("ed25519" if scheme == "ed25519" else "rsa-sha256")
        assert event.event_type == sent["type"]
        assert event.payload == json.loads(event.body)
        assert response.json()["duplicate"] is False
    else:
        assert event.dedupe_key is None
        assert response.json()["error"]["code"] == "timestamp_too_old"
    check(event, inbound_handler_calls)


# --- Signatures -----------------------------------------------------------------


def test_signature_over_compact_json_is_accepted_for_a_pretty_printed_body(ghl, signer):
    payload = _inbound_sms()
    pretty = json.dumps(payload, indent=2).encode()
    compact = json.dumps(payload, separators=(",", ":")).encode()

    response = ghl.post(
        None, body=pretty, scheme=None, HTTP_X_GHL_SIGNATURE=signer.ed25519(compact)
    )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().signature_scheme == "ed25519-json"


@pytest.mark.parametrize("scheme", ["ed25519", "rsa"])
def test_signature_of_other_bytes_is_rejected_and_recorded(ghl, signer, scheme):
    body = json.dumps(_inbound_sms()).encode()
    forged = body.replace(b"This is a test message", b"This is a test messagE")
    header = "HTTP_X_GHL_SIGNATURE" if scheme == "ed25519" else "HTTP_X_WH_SIGNATURE"
    signature = signer.ed25519(body) if scheme == "ed25519" else signer.rsa(body)

    response = ghl.post(None, body=forged, scheme=None, **{header: signature})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    event = WebhookEvent.objects.get()
    assert (event.status, event.dedupe_key, event.payload) == (Status.REJECTED, None, None)
    # Only what the delivery was: its size and hash, not its body.
    assert (event.body, event.body_size) == ("", len(forged))
    assert event.body_sha256 == hashlib.sha256(forged).hexdigest()
    assert AuditEvent.objects.filter(action="webhook.rejected", subject_id=str(event.pk)).exists()
    assert not Message.objects.exists()


@pytest.mark.parametrize("scheme", ["ed25519", "rsa"])
def test_signature_from_an_untrusted_key_is_rejected(ghl, signer, scheme):
    body = json.dumps(_inbound_sms()).encode()
    if scheme == "ed25519":
        headers = {"HTTP_X_GHL_SIGNATURE": signer.ed25519(body, key="ed25519_untrusted")}
    else:
        headers = {"HTTP_X_WH_SIGNATURE": signer.rsa(body, key="rsa_untrusted")}

    response = ghl.post(None, body=body, scheme=None, **headers)

    assert response.status_code == 401
    assert WebhookEvent.objects.get().status == Status.REJECTED


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_GHL_SIGNATURE": ""},
        {"HTTP_X_WH_SIGNATURE": "N/A"},
        {"HTTP_X_GHL_SIGNATURE": "N/A", "HTTP_X_WH_SIGNATURE": "n/a"},
        {"HTTP_X_WH_SIGNATURE": "not base64 !!"},
    ],
    ids=["none", "empty", "na", "both-na", "garbage"],
)
def test_missing_or_placeholder_signature_fails_closed(ghl, headers):
    response = ghl.post(_inbound_sms(), scheme=None, **headers)

    assert response.status_code == 401
    assert response.json()["error"]["message"]
    assert WebhookEvent.objects.get().status == Status.REJECTED
    assert not Message.objects.exists()


def test_ed25519_header_is_the_only_one_checked_when_present(ghl, signer):
    body = json.dumps(_inbound_sms()).encode()
    headers = {
        "HTTP_X_GHL_SIGNATURE": signer.ed25519(b"something else"),
        "HTTP_X_WH_SIGNATURE": signer.rsa(body),  # valid, but must not rescue the delivery
    }

    response = ghl.post(None, body=body, scheme=None, **headers)

    assert response.status_code == 401
    assert WebhookEvent.objects.get().signature_scheme == "ed25519"


def test_placeholder_ed25519_header_counts_as_absent(ghl, signer):
    body = json.dumps(_inbound_sms()).encode()

    response = ghl.post(
        None,
        body=body,
        scheme=None,
        HTTP_X_GHL_SIGNATURE="N/A",
        HTTP_X_WH_SIGNATURE=signer.rsa(body),
    )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().signature_scheme == "rsa-sha256"


def test_any_of_several_configured_keys_is_trusted_during_rotation(
    ghl, signer, settings, public_pem
):
    settings.GHL_WEBHOOK_ED25519_PUBLIC_KEY = "\n".join(
        [public_pem(signer.keys["ed25519"]), public_pem(signer.keys["ed25519_next"])]
    )
    body = json.dumps(_inbound_sms()).encode()

    response = ghl.post(
        None, body=body, scheme=None, HTTP_X_GHL_SIGNATURE=signer.ed25519(body, "ed25519_next")
    )

    assert response.status_code == 200


def test_highlevel_published_keys_are_trusted_by_default(ghl, settings, signer):
    settings.GHL_WEBHOOK_ED25519_PUBLIC_KEY = ""
    settings.GHL_WEBHOOK_RSA_PUBLIC_KEY = ""

    response = ghl.post(_inbound_sms(), scheme="ed25519")  # signed with a test key

    assert response.status_code == 401


# --- Replay window ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "accepted", "code"),
    [
        (timedelta(hours=-1, minutes=-10), True, None),  # a redelivery 70 min later
        (timedelta(minutes=4), True, None),
        (timedelta(hours=-2, minutes=-1), False, "timestamp_too_old"),
        (timedelta(minutes=6), False, "timestamp_in_future"),
    ],
    ids=["redelivered-70-min-later", "slight-skew", "older-than-2h", "6-min-in-future"],
)
def test_timestamp_outside_the_replay_window_is_rejected(ghl, offset, accepted, code):
    stamp = (timezone.now() + offset).astimezone(UTC).isoformat().replace("+00:00", "Z")

    response = ghl.post(_inbound_sms(timestamp=stamp))

    assert (response.status_code == 200) is accepted
    event = WebhookEvent.objects.get()
    if accepted:
        assert event.status == Status.PROCESSED
    else:
        assert response.status_code == 401
        assert response.json()["error"]["code"] == code
        assert event.status == Status.REJECTED


def test_epoch_millisecond_timestamp_is_understood(ghl):
    old = int((timezone.now() - timedelta(hours=3)).timestamp() * 1000)

    assert ghl.post(_inbound_sms(timestamp=old)).status_code == 401
    assert (
        ghl.post(_inbound_sms(timestamp=int(timezone.now().timestamp() * 1000))).status_code == 200
    )


def test_unreadable_timestamp_is_a_bad_request(ghl):
    response = ghl.post(_inbound_sms(timestamp="yesterday-ish"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_timestamp"


# --- Duplicates ---------------------------------------------------------------------


def test_duplicate_webhook_is_acknowledged_once(ghl, inbound_handler_calls):
    first = ghl.post(_inbound_sms())
    second = ghl.post(_inbound_sms())

    assert first.status_code == second.status_code == 200
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert WebhookEvent.objects.count() == 1
    assert Message.objects.count() == 1
    assert len(inbound_handler_calls) == 1


def test_identical_payload_without_webhook_id_is_a_duplicate(ghl):
    payload = load_sample("inboundmessage-sms")  # no webhookId, no messageId

    assert ghl.post(payload).json()["duplicate"] is False
    assert ghl.post(payload).json()["duplicate"] is True
    assert WebhookEvent.objects.get().dedupe_key.startswith("ghl:body-sha256:")


@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_of_one_webhook_are_stored_and_processed_once(
    signer, inbound_handler_calls
):
    body = json.dumps(_inbound_sms(webhookId="wh-concurrent")).encode()
    headers = signer.headers(body)
    copies = 12
    barrier = threading.Barrier(copies)
    responses = []

    def deliver():
        try:
            barrier.wait()
            response = Client().post(
                WEBHOOK_URL, data=body, content_type="application/json", **headers
            )
            responses.append(response)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    codes = sorted(r.status_code for r in responses)
    assert len(codes) == copies and set(codes) <= {200, 429}, codes
    if connection.vendor == "postgresql":
        # Row locks make the losers wait for the winner and then see the duplicate.
        assert set(codes) == {200}
    # SQLite's in-memory shared cache refuses concurrent writers with "table is locked":
    # those copies got 429, and HighLevel would redeliver them, as we do here.
    for _ in range(codes.count(429)):
        retry = Client().post(WEBHOOK_URL, data=body, content_type="application/json", **headers)
        assert retry.status_code == 200
        responses.append(retry)
    stored = [r for r in responses if r.status_code == 200 and r.json()["duplicate"] is False]
    assert len(stored) == 1
    event = WebhookEvent.objects.get()
    if connection.vendor == "postgresql":
        assert event.attempts == 1
    elif event.status != Status.PROCESSED:
        # On SQLite the same table locks can fail a processing attempt too. It is then
        # retried, or, if even recording the failure hit a lock, left "processing" for
        # the sweeper: let its time pass.
        WebhookEvent.objects.filter(pk=event.pk).update(
            updated_at=timezone.now() - timedelta(hours=1)
        )
        tasks.sweep_stuck_webhook_events_task()
        event.refresh_from_db()
    assert event.status == Status.PROCESSED
    assert Message.objects.count() == 1
    assert len(inbound_handler_calls) == 1


# --- Bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{not json", b"  ", b"[1, 2, 3]", b'"text"'])
def test_malformed_json_is_a_bad_request_and_kept_as_unprocessable(ghl, body):
    response = ghl.post(None, body=body)  # signed: HighLevel sent it, so it is kept

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_json"
    event = WebhookEvent.objects.get(pk=error["details"]["event_id"])
    assert (event.status, event.body, event.payload) == (Status.UNPROCESSABLE, body.decode(), None)


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", ""])
def test_wrong_content_type_is_unsupported(ghl, content_type):
    response = ghl.post(_inbound_sms(), content_type=content_type)

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert not WebhookEvent.objects.exists()


def test_body_over_one_megabyte_is_too_large(ghl, settings):
    payload = _inbound_sms(body="x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    response = ghl.post(payload)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not WebhookEvent.objects.exists()


def test_body_just_under_the_limit_is_accepted(ghl, settings):
    payload = _inbound_sms()
    payload["body"] = ""
    room = settings.DATA_UPLOAD_MAX_MEMORY_SIZE - len(json.dumps(payload).encode())
    payload["body"] = "x" * room

    assert ghl.post(payload).status_code == 200


@pytest.mark.parametrize("missing", ["type", "locationId"])
def test_payload_without_type_or_location_is_a_bad_request(ghl, missing):
    payload = _inbound_sms()
    del payload[missing]

    response = ghl.post(payload)

    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert response.json()["error"] == {
        "code": "missing_fields",
        "message": "Required fields are missing.",
        "details": {"missing": [missing], "stored": True, "duplicate": False, "event_id": event.pk},
    }
    assert event.status == Status.UNPROCESSABLE
    assert not Message.objects.exists()


def test_data_wrapped_payload_is_read_like_a_flat_one(ghl):
    payload = load_sample("test-payload-shown-in-the-webhook-integration-guide")
    payload["timestamp"] = timezone.now().isoformat()
    payload["data"].update({"locationId": "loc-1", "id": "contact-wig"})

    response = ghl.post(payload)

    assert response.status_code == 200
    contact = Contact.objects.get(ghl_contact_id="contact-wig")
    assert (contact.first_name, contact.email) == ("John", "john@example.com")


def test_unknown_event_type_is_stored_as_ignored(ghl):
    response = ghl.post({"type": "LocationCreate", "locationId": "loc-1", "webhookId": "w-9"})

    assert response.status_code == 200
    assert response.json()["status"] == Status.IGNORED
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts, event.event_type) == (Status.IGNORED, 0, "LocationCreate")


# --- Outages ----------------------------------------------------------------------------


def _failing_webhook_insert(exc_class):
    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and "leads_webhookevent" in sql:
            raise exc_class("could not connect to server: Connection refused")
        return execute(sql, params, many, context)

    return wrapper


@pytest.mark.parametrize("exc_class", [OperationalError, InterfaceError])
def test_database_outage_asks_highlevel_to_redeliver(ghl, exc_class):
    # The failure is injected where Django hands SQL to the driver, as a dead server would.
    with connection.execute_wrapper(_failing_webhook_insert(exc_class)):
        response = ghl.post(_inbound_sms())

    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert not WebhookEvent.objects.exists()
    # HighLevel's redelivery, once the database is back, is stored and processed.
    assert ghl.post(_inbound_sms()).json()["duplicate"] is False
    assert Message.objects.count() == 1


def test_database_outage_while_recording_a_forgery_still_refuses_it(ghl):
    with connection.execute_wrapper(_failing_webhook_insert(OperationalError)):
        response = ghl.post(_inbound_sms(), scheme=None, HTTP_X_GHL_SIGNATURE="AAAA")

    assert response.status_code == 401


# --- Workflow webhooks ------------------------------------------------------------------


@pytest.fixture
def workflow_secret(settings):
    settings.GHL_WORKFLOW_WEBHOOK_SECRET = "s3cret-from-the-workflow-action"
    return settings.GHL_WORKFLOW_WEBHOOK_SECRET


def test_workflow_webhook_with_the_shared_secret_is_accepted(ghl, workflow_secret):
    response = ghl.post(
        _inbound_sms(), scheme=None, url=WORKFLOW_URL, HTTP_X_WEBHOOK_SECRET=workflow_secret
    )

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.source, event.signature_scheme, event.status) == (
        WebhookEvent.Source.GHL_WORKFLOW,
        "secret",
        Status.PROCESSED,
    )
    assert event.headers["X-Webhook-Secret"] == "[redacted]"
    assert workflow_secret not in json.dumps(event.headers)


@pytest.mark.parametrize("given", ["wrong", "", None])
def test_workflow_webhook_without_the_secret_is_rejected(ghl, workflow_secret, given):
    extra = {} if given is None else {"HTTP_X_WEBHOOK_SECRET": given}

    response = ghl.post(_inbound_sms(), scheme=None, url=WORKFLOW_URL, **extra)

    assert response.status_code == 401
    assert WebhookEvent.objects.get().status == Status.REJECTED


def test_workflow_endpoint_refuses_everything_while_no_secret_is_set(ghl, settings):
    settings.GHL_WORKFLOW_WEBHOOK_SECRET = ""

    response = ghl.post(_inbound_sms(), scheme=None, url=WORKFLOW_URL, HTTP_X_WEBHOOK_SECRET="")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "workflow_secret_not_configured"


def test_app_webhook_signature_does_not_open_the_workflow_endpoint(ghl, workflow_secret):
    response = ghl.post(_inbound_sms(), scheme="ed25519", url=WORKFLOW_URL)

    assert response.status_code == 401


# --- The view itself ---------------------------------------------------------------------


def test_webhook_needs_no_login_or_csrf_token(signer, db):
    client = APIClient(enforce_csrf_checks=True)
    body = json.dumps(_inbound_sms()).encode()

    response = client.post(
        WEBHOOK_URL, data=body, content_type="application/json", **Signer.headers(signer, body)
    )

    assert response.status_code == 200


def test_any_accept_header_gets_json(ghl):
    response = ghl.post(_inbound_sms(), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_get_is_not_allowed(client, db):
    assert client.get(WEBHOOK_URL).status_code == 405


def test_stored_event_keeps_the_headers_that_matter(ghl):
    ghl.post(_inbound_sms(), HTTP_USER_AGENT="HighLevel-Webhooks/1.0")

    headers = WebhookEvent.objects.get().headers
    assert headers["User-Agent"] == "HighLevel-Webhooks/1.0"
    assert headers["X-GHL-Signature"]
    assert headers["Content-Type"] == "application/json"


def test_naive_datetimes_never_leak_into_stored_rows(ghl):
    ghl.post(_inbound_sms(dateAdded="2026-03-01T10:00:00"))

    assert Message.objects.get().sent_at == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_unreadable_configured_key_fails_closed(ghl, settings):
    settings.GHL_WEBHOOK_ED25519_PUBLIC_KEY = (
        "-----BEGIN PUBLIC KEY-----\nbm9wZQ==\n-----END PUBLIC KEY-----"
    )

    response = ghl.post(_inbound_sms(), scheme="ed25519")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "key_misconfigured"
    assert WebhookEvent.objects.get().status == Status.REJECTED


# --- The acknowledgement's cost: one statement, and no wait for the broker -----------------


def _signed_inbound(signer, webhook_id):
    payload = load_sample("inboundmessage-sms")
    payload.update({"messageId": f"m-{webhook_id}", "webhookId": webhook_id})
    body = json.dumps(payload).encode()
    return body, signer.headers(body)


@pytest.mark.django_db(transaction=True)
def test_the_webhook_is_stored_by_one_insert_without_a_transaction_around_it(
    signer, settings, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    published = []
    monkeypatch.setattr(
        tasks.process_webhook_event_task, "apply_async", lambda args=(): published.append(args)
    )
    body, headers = _signed_inbound(signer, "wh-one-statement")
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(WEBHOOK_URL, data=body, content_type="application/json", **headers)
        again = Client().post(WEBHOOK_URL, data=body, content_type="application/json", **headers)

    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert response.status_code == 200 and again.json()["duplicate"] is True
    # The second INSERT is refused by the unique key, and a look-up confirms it is a duplicate
    # (not a value the database refused, which is kept as unprocessable).
    assert statements == ["INSERT", "INSERT", "SELECT"]
    event_id = response.json()["event_id"]
    assert wait_for(lambda: published == [(event_id,)])
    assert WebhookEvent.objects.get(pk=event_id).status == WebhookEvent.Status.RECEIVED
