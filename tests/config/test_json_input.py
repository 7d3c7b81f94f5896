"""JSON from outside read within bounds (config.json_input), on every API endpoint (the parser
in REST_FRAMEWORK) and in the compliance redactor: a 400 or plain text, never a 500."""

import json

import pytest
from django.test import Client

from compliance.rules.privacy import redact_json_text
from config import json_input

CHAT = "/api/v1/chat/"
DEEP = 50_000


@pytest.fixture
def no_500_pages():
    """A client that answers a crash as the server would (a 500), instead of raising it."""
    return Client(raise_request_exception=False)


def _post_chat(client, body: bytes):
    return client.post(CHAT, body, content_type="application/json", HTTP_ORIGIN="http://testserver")


@pytest.mark.django_db
def test_deeply_nested_body_to_the_api_is_a_400_with_a_message(no_500_pages):
    depth = 4_000  # past Python's recursion limit, and within the chat's 10 kB body bound
    body = b'{"text": ' + b"[" * depth + b"]" * depth + b"}"

    response = _post_chat(no_500_pages, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error" and "64 levels" in error["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["1e400", "-1e400", "1E+999"])
def test_number_out_of_range_to_the_api_is_a_400_not_a_message_reading_inf(no_500_pages, number):
    response = _post_chat(no_500_pages, f'{{"text": {number}}}'.encode())

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.django_db
def test_authenticated_api_reads_a_deep_body_as_a_400_too(api_client):
    body = b'{"message": ' + b"[" * DEEP + b"]" * DEEP + b"}"

    response = api_client.post("/api/v1/leads/analyze", body, content_type="application/json")

    assert response.status_code == 400


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = json.dumps({"a": "[[[[{{{{" * 100, "b": [['\\"]]]']]})

    assert json_input.nesting_depth(text) == 3
    assert json_input.loads(text)["b"] == [['\\"]]]']]


def test_redactor_reads_a_deep_document_as_text_and_still_redacts_it():
    text = '{"note": "my ssn is 123-45-6789", "x": ' + "[" * DEEP + "]" * DEEP + "}"

    redacted = redact_json_text(text)

    assert "123-45-6789" not in redacted
