"""The schema a client reads: every endpoint is in it, with an example and its error answers, and
what the API answers to a bad body, no credentials or too many requests is what it says."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import UserFactory
from tests.leads.factories import api_token_secret

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_shows_an_example(document):
    missing = [
        name
        for name, operation in _operations(document)
        if "examples"
        not in str(operation.get("responses", {}).get(next(iter(operation["responses"]))))
    ]

    assert not missing


def test_every_api_operation_documents_its_errors_as_json(document):
    for name, operation in _operations(document):
        responses = operation["responses"]
        assert "429" in responses, name
        if "/api/" in name:
            # The web chat is public (its Origin is checked, 403): no credentials, so no 401.
            public = {} in operation.get("security", [{}])
            assert ({"403"} if public else {"401", "403"}) <= responses.keys(), name
            assert responses["403"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
        if "{" in name:
            assert "404" in responses, name
    assert "Retry-After" in document["paths"]["/api/v1/deals"]["get"]["responses"]["429"]["headers"]


def test_the_webhooks_are_described(document):
    webhook = document["paths"]["/webhooks/ghl/"]["post"]

    # No security scheme: HighLevel signs the body instead (no token, no session).
    assert "security" not in webhook and "security" not in document
    assert {"200", "401", "413", "415", "429"} <= webhook["responses"].keys()
    assert "X-GHL-Signature" in {p["name"] for p in webhook["parameters"]}


WRITES = {"post", "put", "patch", "delete"}


def _api_operations(document):
    for path, item in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            # Any id will do: credentials, the body and the rate limit are checked first.
            url = re.sub(r"\{[^}]+\}", "1", path)
            signed = {} not in operation.get("security", [{}])
            yield method, url, operation, signed


def test_every_operation_documents_the_400_401_415_and_429_it_can_answer(document):
    for method, url, operation, signed in _api_operations(document):
        responses = operation["responses"]
        name = f"{method.upper()} {url}"
        assert "429" in responses, name
        if signed:
            assert "401" in responses, name
        queried = any(p["in"] == "query" for p in operation.get("parameters", []))
        if method in WRITES or queried:
            assert "400" in responses, name
        if method in WRITES:
            assert "415" in responses, name


@pytest.fixture
def session_with_csrf(db):
    """Jorge's browser session as the dashboard or Swagger UI uses it: cookie and CSRF token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="jorge", is_staff=True, is_superuser=True))
    secret = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    return client, _mask_cipher_secret(secret)


def test_a_write_with_a_body_that_does_not_parse_answers_a_status_its_schema_lists(
    document, session_with_csrf
):
    client, csrf = session_with_csrf
    answered = {}
    for method, url, operation, signed in _api_operations(document):
        if method not in WRITES or not signed:
            continue
        send = getattr(client, method)
        plain = send(url, data="hello", content_type="text/plain", HTTP_X_CSRFTOKEN=csrf)
        broken = send(url, data="{oops", content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
        answered[f"{method.upper()} {url}"] = (plain.status_code, broken.status_code)
        assert (plain.status_code, broken.status_code) == (415, 400), url
        assert {"415", "400"} <= operation["responses"].keys(), url
    assert "POST /api/v1/conversations/1/pause" in answered


def test_every_signed_operation_answers_401_without_credentials(document, client):
    for method, url, operation, signed in _api_operations(document):
        if signed:
            response = getattr(client, method)(url)
            assert response.status_code == 401, url
            assert "401" in operation["responses"], url


def test_every_operation_answers_429_past_its_rate_limit(document, client, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"user": "1/min", "anon": "1/min", "analyze": "1/min"}
    )
    jorge = UserFactory(username="jorge", is_staff=True, is_superuser=True)
    token = {"HTTP_AUTHORIZATION": f"Bearer {api_token_secret(jorge)}"}
    for method, url, operation, signed in _api_operations(document):
        if not signed:
            continue
        cache.clear()
        send = getattr(client, method)
        send(url, **token)
        response = send(url, **token)
        assert response.status_code == 429, url
        assert "429" in operation["responses"], url
