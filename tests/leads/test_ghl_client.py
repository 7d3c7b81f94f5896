"""The HighLevel client, with HighLevel faked only at the httpx transport."""

import json
import random
from datetime import UTC, datetime

import httpx
import pytest
from django.test import override_settings

from leads.ghl.client import (
    Attachment,
    GHLContact,
    HighLevelClient,
    SendResult,
    get_client,
)
from leads.ghl.exceptions import (
    GHLClientError,
    GHLRateLimited,
    GHLServerError,
    GHLTransportError,
    GHLUploadError,
)
from leads.ghl.outbox import OutboxTransport
from leads.ghl.ratelimit import Limits, MemoryBucketStore, RateLimiter
from leads.models import OutboxMessage

BASE = "https://services.leadconnectorhq.com"
TOKEN = "pit-test-token-123"


class FakeHighLevel:
    """Answers each request with the next scripted response (or raises it)."""

    def __init__(self, *script):
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def json_body(self, index: int = -1):
        return json.loads(self.requests[index].content)


def ok(payload=None, status=200, headers=None):
    return httpx.Response(status, json=payload if payload is not None else {}, headers=headers)


def make_client(fake: FakeHighLevel, sleeps: list | None = None, limiter=None) -> HighLevelClient:
    return HighLevelClient(
        token=TOKEN,
        location_id="loc-1",
        base_url=BASE,
        timeout=5,
        transport=httpx.MockTransport(fake),
        limiter=limiter,
        sleep=(sleeps if sleeps is not None else []).append,
        rng=random.Random(7),
    )


SEND_OK = {
    "conversationId": "conv-1",
    "messageId": "msg-1",
    "msg": "Message queued",
    "status": "pending",
}
CONTACT = {"id": "c-1", "locationId": "loc-1", "firstName": "Ana", "tags": ["buyer"], "dnd": False}


def assert_common_headers(request: httpx.Request, version: str):
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Version"] == version
    assert request.headers["Accept"] == "application/json"


def test_sms_send_posts_to_conversations_with_its_version_and_returns_ids():
    fake = FakeHighLevel(ok(SEND_OK))

    result = make_client(fake).send_message(contact_id="c-1", message_type="SMS", message="Hi Ana")

    request = fake.requests[0]
    assert (request.method, request.url) == ("POST", httpx.URL(f"{BASE}/conversations/messages"))
    assert_common_headers(request, "2021-04-15")
    assert request.headers["Content-Type"] == "application/json"
    assert fake.json_body() == {"type": "SMS", "contactId": "c-1", "message": "Hi Ana"}
    assert result == SendResult(message_id="msg-1", conversation_id="conv-1", status="pending")


def test_email_attachment_is_uploaded_first_and_its_url_sent_with_subject_and_html():
    url = "https://storage.example/abc/cma.pdf"
    fake = FakeHighLevel(ok({"uploadedFiles": {"cma.pdf": url}}), ok(SEND_OK))

    make_client(fake).send_message(
        contact_id="c-1",
        message_type="Email",
        subject="Your home value",
        html="<p>Attached.</p>",
        attachments=[Attachment("cma.pdf", b"%PDF-1.7 fake", "application/pdf")],
        conversation_id="conv-1",
    )

    upload, send = fake.requests
    assert (upload.method, upload.url.path) == ("POST", "/conversations/messages/upload")
    assert_common_headers(upload, "2021-04-15")
    assert upload.headers["Content-Type"].startswith("multipart/form-data")
    form = upload.content
    assert b'name="fileAttachment"; filename="cma.pdf"' in form
    assert b"%PDF-1.7 fake" in form
    for field, value in [
        ("contactId", b"c-1"),
        ("locationId", b"loc-1"),
        ("conversationId", b"conv-1"),
    ]:
        assert f'name="{field}"'.encode() + b"\r\n\r\n" + value in form
    assert json.loads(send.content) == {
        "type": "Email",
        "contactId": "c-1",
        "subject": "Your home value",
        "html": "<p>Attached.</p>",
        "attachments": [url],
    }


def test_failed_upload_raises_without_sending_the_message():
    fake = FakeHighLevel(
        httpx.Response(415, json={"statusCode": 415, "message": "Unsupported type"})
    )

    with pytest.raises(GHLUploadError) as caught:
        make_client(fake).send_message(
            contact_id="c-1", message_type="Email", attachments=[Attachment("x.exe", b"MZ")]
        )

    assert len(fake.requests) == 1
    assert caught.value.may_have_reached_highlevel is False
    assert "Unsupported type" in str(caught.value)


DUE = datetime(2026, 11, 21, 17, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("call", "answer", "method", "path", "body", "expected"),
    [
        (
            lambda c: c.get_contact(contact_id="c-1"),
            {"contact": CONTACT},
            "GET",
            "/contacts/c-1",
            None,
            GHLContact(id="c-1", location_id="loc-1", first_name="Ana", tags=("buyer",)),
        ),
        (
            lambda c: c.update_contact(contact_id="c-1", fields={"firstName": "Ana"}),
            {"succeded": True, "contact": CONTACT},
            "PUT",
            "/contacts/c-1",
            {"firstName": "Ana"},
            GHLContact(id="c-1", location_id="loc-1", first_name="Ana", tags=("buyer",)),
        ),
        (
            lambda c: c.add_tags(contact_id="c-1", tags=["hot-lead"]),
            {"tags": ["buyer", "hot-lead"]},
            "POST",
            "/contacts/c-1/tags",
            {"tags": ["hot-lead"]},
            ["buyer", "hot-lead"],
        ),
        (
            lambda c: c.remove_tags(contact_id="c-1", tags=["buyer"]),
            {"tags": []},
            "DELETE",
            "/contacts/c-1/tags",
            {"tags": ["buyer"]},
            [],
        ),
        (
            lambda c: c.add_note(contact_id="c-1", body="Wants 3 beds").id,
            {"note": {"id": "n-1", "body": "Wants 3 beds"}},
            "POST",
            "/contacts/c-1/notes",
            {"body": "Wants 3 beds"},
            "n-1",
        ),
        (
            lambda c: (
                c.create_task(contact_id="c-1", title="Call Ana", due_date=DUE, body="Hot").id
            ),
            {"task": {"id": "t-1"}},
            "POST",
            "/contacts/c-1/tasks",
            {
                "title": "Call Ana",
                "dueDate": "2026-11-21T17:30:00Z",
                "completed": False,
                "body": "Hot",
            },
            "t-1",
        ),
        (
            lambda c: (
                c.create_opportunity(
                    pipeline_id="p-1",
                    name="Ana purchase",
                    contact_id="c-1",
                    pipeline_stage_id="s-1",
                    monetary_value=550000,
                ).id
            ),
            {"opportunity": {"id": "o-1"}},
            "POST",
            "/opportunities/",
            {
                "pipelineId": "p-1",
                "locationId": "loc-1",
                "name": "Ana purchase",
                "status": "open",
                "contactId": "c-1",
                "pipelineStageId": "s-1",
                "monetaryValue": 550000.0,
            },
            "o-1",
        ),
        (
            lambda c: (
                c.update_opportunity(
                    opportunity_id="o-1", status="won", monetary_value=560000
                ).status
            ),
            {"opportunity": {"id": "o-1", "status": "won"}},
            "PUT",
            "/opportunities/o-1",
            {"status": "won", "monetaryValue": 560000.0},
            "won",
        ),
    ],
    ids=[
        "get_contact",
        "update_contact",
        "add_tags",
        "remove_tags",
        "add_note",
        "create_task",
        "create_opportunity",
        "update_opportunity",
    ],
)
def test_contact_and_opportunity_calls_have_highlevel_shape(
    call, answer, method, path, body, expected
):
    fake = FakeHighLevel(ok(answer))

    result = call(make_client(fake))

    request = fake.requests[0]
    assert (request.method, request.url.path) == (method, path)
    assert_common_headers(request, "2021-07-28")
    assert (json.loads(request.content) if request.content else None) == body
    assert result == expected


def test_update_contact_refuses_tags_because_put_overwrites_them():
    fake = FakeHighLevel()

    with pytest.raises(ValueError, match="add_tags"):
        make_client(fake).update_contact(contact_id="c-1", fields={"tags": ["x"]})

    assert fake.requests == []


def test_ids_from_webhooks_cannot_steer_the_path():
    fake = FakeHighLevel(ok({"contact": CONTACT}))

    make_client(fake).get_contact(contact_id="../opportunities/o-1?x=1")

    assert fake.requests[0].url.raw_path == b"/contacts/..%2Fopportunities%2Fo-1%3Fx%3D1"


def test_server_errors_are_retried_with_exponential_backoff_and_jitter():
    sleeps: list[float] = []
    fake = FakeHighLevel(
        httpx.Response(503), httpx.Response(502), httpx.Response(500), ok({"contact": CONTACT})
    )

    contact = make_client(fake, sleeps).get_contact(contact_id="c-1")

    assert contact.id == "c-1"
    assert len(fake.requests) == 4
    assert len(sleeps) == 3
    for wait, base in zip(sleeps, [0.5, 1.0, 2.0], strict=True):
        assert base * 0.9 <= wait <= base * 1.1
    assert sleeps != [0.5, 1.0, 2.0]  # jittered


def test_server_errors_give_up_after_three_retries_with_a_typed_error():
    sleeps: list[float] = []
    body = {"statusCode": 500, "message": "Internal server error"}
    fake = FakeHighLevel(*[httpx.Response(500, json=body) for _ in range(4)])

    with pytest.raises(GHLServerError) as caught:
        make_client(fake, sleeps).add_tags(contact_id="c-1", tags=["a"])

    assert len(fake.requests) == 4
    assert len(sleeps) == 3
    assert caught.value.status_code == 500
    assert caught.value.message == "Internal server error"


def test_429_is_retried_after_the_retry_after_header_even_for_a_send():
    sleeps: list[float] = []
    fake = FakeHighLevel(
        httpx.Response(429, json={"message": "Too Many Requests"}, headers={"Retry-After": "3"}),
        ok(SEND_OK),
    )

    result = make_client(fake, sleeps).send_message(
        contact_id="c-1", message_type="SMS", message="x"
    )

    assert result.message_id == "msg-1"
    assert len(fake.requests) == 2
    assert sleeps == [3.0]


def test_429_without_retry_after_waits_for_the_announced_window():
    sleeps: list[float] = []
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Interval-Milliseconds": "4000"}
    fake = FakeHighLevel(httpx.Response(429, headers=headers), ok({"contact": CONTACT}))

    make_client(fake, sleeps).get_contact(contact_id="c-1")

    assert sleeps == [4.0]


def test_long_retry_after_is_capped_and_repeated_429s_raise_rate_limited():
    sleeps: list[float] = []
    fake = FakeHighLevel(*[httpx.Response(429, headers={"Retry-After": "120"}) for _ in range(4)])

    with pytest.raises(GHLRateLimited) as caught:
        make_client(fake, sleeps).get_contact(contact_id="c-1")

    assert sleeps == [10.0, 10.0, 10.0]
    assert caught.value.retry_after == 120.0
    assert caught.value.may_have_reached_highlevel is False


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, {"statusCode": 400, "message": "Bad Request"}, "Bad Request"),
        (
            401,
            {"statusCode": 401, "message": "Invalid token: access token is invalid"},
            "Invalid token",
        ),
        (404, {"statusCode": 404, "message": "Contact not found"}, "Contact not found"),
        (
            422,
            {"statusCode": 422, "message": ["type must be one of SMS, Email"]},
            "type must be one of",
        ),
    ],
)
def test_client_errors_are_not_retried_and_carry_highlevel_message(status, body, message):
    sleeps: list[float] = []
    fake = FakeHighLevel(httpx.Response(status, json=body))

    with pytest.raises(GHLClientError) as caught:
        make_client(fake, sleeps).send_message(contact_id="c-1", message_type="SMS", message="x")

    assert len(fake.requests) == 1
    assert sleeps == []
    assert caught.value.status_code == status
    assert message in caught.value.message
    assert caught.value.may_have_reached_highlevel is False


def test_network_errors_and_timeouts_are_retried_for_reads():
    sleeps: list[float] = []
    fake = FakeHighLevel(
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("read timed out"),
        ok({"contact": CONTACT}),
    )

    assert make_client(fake, sleeps).get_contact(contact_id="c-1").first_name == "Ana"
    assert len(fake.requests) == 3
    assert len(sleeps) == 2


def test_refused_connection_is_retried_for_a_send_because_nothing_left():
    sleeps: list[float] = []
    fake = FakeHighLevel(httpx.ConnectError("connection refused"), ok(SEND_OK))

    make_client(fake, sleeps).send_message(contact_id="c-1", message_type="SMS", message="x")

    assert len(fake.requests) == 2
    assert 0.45 <= sleeps[0] <= 0.55


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (httpx.ReadTimeout("read timed out"), GHLTransportError),
        (httpx.Response(502, text="Bad Gateway"), GHLServerError),
    ],
)
def test_a_send_that_may_have_reached_highlevel_is_not_retried(failure, error):
    fake = FakeHighLevel(failure, ok(SEND_OK))

    with pytest.raises(error) as caught:
        make_client(fake).send_message(contact_id="c-1", message_type="SMS", message="x")

    assert len(fake.requests) == 1
    assert caught.value.may_have_reached_highlevel is True


def test_rate_limit_headers_make_the_next_call_wait():
    clock = {"now": 1_000.0}
    waits: list[float] = []

    def sleep(seconds):
        waits.append(seconds)
        clock["now"] += seconds

    limiter = RateLimiter(
        store=MemoryBucketStore(),
        location_id="loc-1",
        limits=Limits(limit=90, burst=10),
        clock=lambda: clock["now"],
        sleep=sleep,
    )
    fake = FakeHighLevel(
        ok({"contact": CONTACT}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Max": "100"}),
        ok({"contact": CONTACT}),
    )
    client = make_client(fake, limiter=limiter)

    client.get_contact(contact_id="c-1")
    client.get_contact(contact_id="c-1")

    # HighLevel said nothing is left: the bucket drops to -1 and refills at 8/s.
    assert waits == [pytest.approx(2 / 8)]


@pytest.mark.django_db
def test_without_a_token_calls_land_in_the_outbox_with_a_realistic_answer():
    client = get_client()

    result = client.send_message(contact_id="c-9", message_type="SMS", message="Hello from the bot")

    row = OutboxMessage.objects.get()
    assert (row.method, row.path, row.operation, row.ghl_contact_id) == (
        "POST",
        "/conversations/messages",
        "send_message",
        "c-9",
    )
    assert row.request_body == {"type": "SMS", "contactId": "c-9", "message": "Hello from the bot"}
    assert row.request_headers["version"] == "2021-04-15"
    assert row.request_headers["authorization"] == "Bearer [redacted]"
    assert result.message_id.startswith("outbox-")
    assert row.response_body["messageId"] == result.message_id
    assert client.limiter is None


@pytest.mark.django_db
def test_outbox_redacts_the_token_and_summarises_uploads():
    client = HighLevelClient(token=TOKEN, location_id="loc-1", transport=OutboxTransport())

    result = client.send_message(
        contact_id="c-9",
        message_type="Email",
        subject="CMA",
        html="<p>Hi</p>",
        attachments=[Attachment("cma.pdf", b"%PDF-1.7", "application/pdf")],
    )

    upload, send = OutboxMessage.objects.order_by("id")
    assert TOKEN not in json.dumps(upload.request_headers) + json.dumps(send.request_headers)
    assert upload.request_body == {
        "fields": {"contactId": "c-9", "locationId": "loc-1"},
        "files": [
            {
                "field": "fileAttachment",
                "filename": "cma.pdf",
                "content_type": "application/pdf",
                "size": 8,
            }
        ],
    }
    assert send.request_body["attachments"] == list(upload.response_body["uploadedFiles"].values())
    assert result.email_message_id.startswith("outbox-")


@override_settings(GHL_API_TOKEN="pit-real")
def test_with_a_token_the_client_goes_through_the_rate_limiter():
    with get_client() as client:
        assert client.limiter is not None
        assert client.limiter.limits.limit == 90
