"""Bad input at POST /webhooks/ghl/: never a 500, nothing HighLevel signed is lost, forgeries
cost a few bytes each and are limited per address, and another location's events are kept
but never applied."""

import hashlib
import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance.models import AuditEvent
from leads.models import Contact, Message, WebhookEvent
from leads.services import inbound, pipeline
from tests.leads.conftest import load_sample

Status = WebhookEvent.Status
DEEP = 100_000  # far past Python's recursion limit


@pytest.fixture(autouse=True)
def _bot_pipeline_not_under_test(inbound_handler_calls):
    """Only a recorder is registered as inbound handler: the bot's replies are tested elsewhere."""


@pytest.fixture
def webhook_admin(staff_user, dashboard_client):
    """Jorge, allowed to see webhook events in the back office."""
    staff_user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="leads", codename__in=["view_webhookevent"]
        )
    )
    return dashboard_client


@pytest.fixture
def no_500_pages():
    """A client that answers a crash as the server would (a 500), instead of raising it."""
    return Client(raise_request_exception=False)


def _inbound_sms(**overrides) -> dict:
    payload = load_sample("inboundmessage-sms")
    payload.update({"messageId": "msg-0001", "webhookId": "wh-0001"}, **overrides)
    return payload


def _with_raw_field(payload: dict, raw: str) -> bytes:
    """``payload`` as JSON with ``"odd": <raw>`` appended as written (json.dumps cannot)."""
    return (json.dumps(payload)[:-1] + f', "odd": {raw}}}').encode()


def _nested(depth: int) -> bytes:
    head = json.dumps(_inbound_sms())[:-1]
    return f'{head}, "attachments": {"[" * depth}{"]" * depth}}}'.encode()


# --- 1. Deeply nested JSON -----------------------------------------------------------------


@pytest.mark.parametrize("signature", [None, "AAAA"], ids=["unsigned", "badly-signed"])
def test_deeply_nested_forgery_is_refused_and_recorded_not_a_500(ghl, no_500_pages, signature):
    ghl.client = no_500_pages
    body = _nested(DEEP)
    extra = {"HTTP_X_GHL_SIGNATURE": signature} if signature else {}

    response = ghl.post(None, body=body, scheme=None, **extra)

    assert response.status_code == 401
    assert response.json()["error"]["message"]
    event = WebhookEvent.objects.get()
    assert (event.status, event.body_size) == (Status.REJECTED, len(body))


def test_deeply_nested_signed_delivery_is_kept_as_unprocessable_not_a_500(ghl, no_500_pages):
    ghl.client = no_500_pages
    body = _nested(DEEP)

    response = ghl.post(None, body=body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "too_deep" and "64 levels" in error["message"]
    event = WebhookEvent.objects.get(pk=error["details"]["event_id"])
    assert event.status == Status.UNPROCESSABLE
    assert event.body == body.decode()  # kept as sent, for a person to read
    assert event.payload is None
    assert not Message.objects.exists()


def test_nesting_up_to_the_bound_is_still_an_event(ghl):
    response = ghl.post(None, body=_nested(60))

    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == Status.PROCESSED


# --- 2. Odd payloads: kept, never lost -----------------------------------------------------


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_number_no_database_can_store_is_kept_as_unprocessable_not_called_a_duplicate(
    ghl, webhook_admin, raw
):
    body = _with_raw_field(_inbound_sms(), raw)

    response = ghl.post(None, body=body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "non_finite_number"
    assert error["details"]["duplicate"] is False
    event = WebhookEvent.objects.get(pk=error["details"]["event_id"])
    assert (event.status, event.event_type, event.payload) == (Status.UNPROCESSABLE, "", None)
    assert event.body == body.decode()
    assert AuditEvent.objects.filter(action="webhook.unprocessable").exists()
    # A person finds it in the back office, by its status, with the reason.
    page = webhook_admin.get(
        reverse("admin:leads_webhookevent_changelist"), {"status__exact": "unprocessable"}
    )
    assert page.status_code == 200
    assert "Unprocessable" in page.text and "non_finite_number" in page.text


def test_a_redelivered_unprocessable_event_is_kept_once(ghl):
    body = _with_raw_field(_inbound_sms(), "NaN")

    first, second = ghl.post(None, body=body), ghl.post(None, body=body)

    assert first.json()["error"]["details"]["duplicate"] is False
    assert second.status_code == 400 and second.json()["error"]["details"]["duplicate"] is True
    assert WebhookEvent.objects.count() == 1


def test_body_that_is_not_utf8_is_kept_with_its_bytes_escaped(ghl):
    body = json.dumps(_inbound_sms()).encode().replace(b"test message", b"test \xff\x00 message")

    response = ghl.post(None, body=body)

    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert event.status == Status.UNPROCESSABLE
    assert "test \\xff\\x00 message" in event.body


@pytest.mark.parametrize(
    ("escape", "kept"),
    [("\\u0000", "\ufffd"), ("\\ud83d", "\ufffd"), ("\\udc00x", "\ufffdx")],
    ids=["nul", "lone-high-surrogate", "lone-low-surrogate"],
)
def test_nul_or_lone_surrogate_in_a_message_is_applied_with_a_replacement_character(
    ghl, inbound_handler_calls, escape, kept
):
    # JSON.stringify writes these as escapes: a GSM "@" decoded as NUL, an emoji cut in two.
    body = json.dumps(_inbound_sms(body="Hi PLACEHOLDER there")).replace("PLACEHOLDER", escape)

    response = ghl.post(None, body=body.encode())

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == Status.PROCESSED
    assert json.loads(event.body)["body"] == json.loads(body)["body"]  # the raw text, escaped
    message = Message.objects.get()
    assert message.body == f"Hi {kept} there"
    assert inbound_handler_calls == [message.pk]


def test_stop_with_a_nul_is_still_an_opt_out(
    ghl, inbound_handler_calls, business_hours, django_capture_on_commit_callbacks
):
    body = json.dumps(_inbound_sms(body="STOPPLACEHOLDER")).replace("PLACEHOLDER", "\\u0000")

    assert ghl.post(None, body=body.encode()).status_code == 200
    # The bot's turn, as the task the real inbound handler enqueues runs it.
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.handle_inbound_message(message_id=inbound_handler_calls[0])

    assert Contact.objects.get(ghl_contact_id="cI08i1Bls3iTB9bKgFJh").opted_out is True


def test_highlevels_own_test_payload_without_location_is_kept_as_unprocessable(ghl):
    payload = load_sample("test-payload-shown-in-the-webhook-integration-guide")
    payload["timestamp"] = timezone.now().isoformat()  # as HighLevel's test button sends it today

    response = ghl.post(payload)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["details"]["missing"]) == ("missing_fields", ["locationId"])
    event = WebhookEvent.objects.get(pk=error["details"]["event_id"])
    assert (event.status, event.event_type) == (Status.UNPROCESSABLE, "ContactCreate")
    assert "locationId" in event.last_error
    assert not Contact.objects.exists()


def test_unreadable_timestamp_in_a_signed_delivery_is_kept_as_unprocessable(ghl):
    response = ghl.post(_inbound_sms(timestamp="0001-01-01T00:00:00+01:00"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_timestamp"
    assert WebhookEvent.objects.get().status == Status.UNPROCESSABLE


def test_a_value_the_database_refuses_is_kept_as_unprocessable_not_called_a_duplicate(db):
    # A caller of the service (the demo, a benchmark) with a payload no JSON column takes.
    payload = {"type": "InboundMessage", "locationId": "loc", "amount": float("nan")}

    stored = inbound.store_webhook_event(
        source=WebhookEvent.Source.GHL,
        body=b'{"type": "InboundMessage", "locationId": "loc", "amount": NaN}',
        payload=payload,
        headers={},
        signature_scheme="ed25519",
        event_type="InboundMessage",
        location_id="loc",
        webhook_id="wh-nan",
        known_event=True,
    )

    assert stored.duplicate is False
    assert stored.event.status == Status.UNPROCESSABLE
    assert "refused" in stored.event.last_error


def test_unprocessable_events_are_never_reprocessed(ghl):
    ghl.post(None, body=_with_raw_field(_inbound_sms(), "NaN"))
    event = WebhookEvent.objects.get()

    queued, skipped = inbound.reprocess_webhook_events(event_ids=[event.pk])

    assert (queued, skipped) == (0, 1)
    event.refresh_from_db()
    assert event.status == Status.UNPROCESSABLE


def test_a_message_redelivered_with_an_overlong_id_is_recorded_once(ghl):
    # Found by the property tests: an id past the column's 64 characters was stored cut, then
    # looked up whole when it came again, and the event died on an AttributeError.
    message_id = "m" * 80
    first = ghl.post(_inbound_sms(messageId=message_id, webhookId="wh-a"))
    again = ghl.post(_inbound_sms(messageId=message_id, webhookId="wh-b"))

    assert first.status_code == again.status_code == 200
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {Status.PROCESSED}
    assert Message.objects.count() == 1


# --- 3. Forgeries: metadata only, limited per address --------------------------------------


def test_forgery_keeps_its_metadata_and_hash_not_its_body(ghl, settings):
    body = json.dumps(_inbound_sms(body="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 1000)))

    response = ghl.post(
        None,
        body=body.encode(),
        scheme=None,
        HTTP_X_GHL_SIGNATURE="A" * 5000,
        HTTP_USER_AGENT="curl/8.5",
        REMOTE_ADDR="203.0.113.7",
    )

    assert response.status_code == 401
    event = WebhookEvent.objects.get()
    assert event.status == Status.REJECTED
    assert (event.body, event.payload, event.dedupe_key) == ("", None, None)
    assert event.body_size == len(body.encode())
    assert event.body_sha256 == hashlib.sha256(body.encode()).hexdigest()
    assert event.client_ip == "203.0.113.7"
    assert event.headers["User-Agent"] == "curl/8.5"
    assert len(event.headers["X-GHL-Signature"]) == 1024  # enough to diagnose, no more
    assert event.last_error == "invalid_signature"


def test_forgeries_past_the_limit_are_refused_with_retry_after_and_not_recorded(ghl, settings):
    settings.GHL_WEBHOOK_REJECTION_LIMIT = 3
    settings.GHL_WEBHOOK_REJECTION_WINDOW_SECONDS = 600
    flood = {"scheme": None, "REMOTE_ADDR": "198.51.100.9"}

    codes = [ghl.post(_inbound_sms(), **flood).status_code for _ in range(5)]

    assert codes == [401, 401, 401, 429, 429]
    limited = ghl.post(_inbound_sms(), **flood)
    assert limited.json()["error"]["code"] == "too_many_rejections"
    assert 0 < int(limited["Retry-After"]) <= 600
    assert WebhookEvent.objects.filter(status=Status.REJECTED).count() == 3
    assert AuditEvent.objects.filter(action="webhook.rejected").count() == 3
    # Another address is still recorded, and HighLevel's own signed events still get in.
    assert ghl.post(_inbound_sms(), scheme=None, REMOTE_ADDR="192.0.2.1").status_code == 401
    assert ghl.post(_inbound_sms(), REMOTE_ADDR="198.51.100.9").status_code == 200
    assert Message.objects.count() == 1


def test_the_limit_counts_the_client_behind_a_trusted_proxy(ghl, settings):
    settings.GHL_WEBHOOK_REJECTION_LIMIT = 1
    settings.WEBCHAT_TRUSTED_PROXIES = 1
    behind = {"scheme": None, "REMOTE_ADDR": "10.0.0.2"}

    first = ghl.post(_inbound_sms(), HTTP_X_FORWARDED_FOR="198.51.100.1", **behind)
    other = ghl.post(_inbound_sms(), HTTP_X_FORWARDED_FOR="198.51.100.2", **behind)
    again = ghl.post(_inbound_sms(), HTTP_X_FORWARDED_FOR="198.51.100.1", **behind)

    assert (first.status_code, other.status_code, again.status_code) == (401, 401, 429)
    assert set(WebhookEvent.objects.values_list("client_ip", flat=True)) == {
        "198.51.100.1",
        "198.51.100.2",
    }


def test_forgeries_are_still_recorded_when_the_cache_is_down(ghl, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }

    response = ghl.post(_inbound_sms(), scheme=None)

    assert response.status_code == 401
    assert WebhookEvent.objects.get().status == Status.REJECTED


# --- 4. Another HighLevel location ----------------------------------------------------------


def test_signed_event_of_another_location_is_kept_as_ignored_and_never_applied(ghl):
    response = ghl.post(_inbound_sms(locationId="someone-elses-location"))

    assert response.status_code == 200
    assert response.json()["status"] == Status.IGNORED
    event = WebhookEvent.objects.get()
    assert event.status == Status.IGNORED
    assert "someone-elses-location" in event.last_error
    assert "Not our HighLevel location" in event.last_error
    assert not Contact.objects.exists() and not Message.objects.exists()


def test_only_the_configured_location_is_ours_by_default(ghl, settings):
    settings.GHL_WEBHOOK_LOCATION_IDS = []
    settings.GHL_LOCATION_ID = "jorges-location"

    ours = ghl.post(_inbound_sms(locationId="jorges-location", webhookId="wh-ours"))
    theirs = ghl.post(_inbound_sms(webhookId="wh-theirs"))  # the sample's own location

    assert (ours.json()["status"], theirs.json()["status"]) == ("received", "ignored")
    assert Message.objects.count() == 1


def test_reprocessing_an_event_of_another_location_does_not_apply_it(ghl, settings):
    # Stored before the check existed: "received", another location's.
    event = WebhookEvent.objects.create(
        event_type="InboundMessage",
        location_id="someone-elses-location",
        dedupe_key="ghl:old",
        body="{}",
        payload=_inbound_sms(locationId="someone-elses-location"),
        status=Status.FAILED,
    )

    inbound.process_webhook_event(event_id=event.pk, dispatch=_dispatch())

    event.refresh_from_db()
    assert event.status == Status.IGNORED
    assert not Message.objects.exists()


def _dispatch():
    from leads.webhooks.ghl.handlers import dispatch

    return dispatch
