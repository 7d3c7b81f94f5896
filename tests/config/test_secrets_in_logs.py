"""No secret ever reaches a log line, even at DEBUG: the keys the app holds (HighLevel's token,
Claude's key, METRICS_TOKEN), the API tokens programs send (right, revoked or unknown) and
the passwords people type (right or wrong). What a lead says is redacted in logs elsewhere
(tests/compliance/test_guards.py::test_logs_never_carry_sensitive_data)."""

import json
import logging
from datetime import UTC, datetime

import httpx
import pytest
import respx
import time_machine

from leads.intelligence import claude
from leads.models import ApiToken
from leads.services.api_tokens import issue_api_token, revoke_api_token
from tests.factories import UserFactory
from tests.leads.claude_fake import analysis_answer, reply_answer
from tests.leads.conftest import (  # noqa: F401 - signed webhooks and a faked Claude
    _key_pairs,
    claude_settings,
    fake_claude,
    ghl,
    ghl_keys,
    signer,
)

MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 10:00 in California
GHL_TOKEN = "pit-0d9c1f-highlevel-private-token"
CLAUDE_KEY = "sk-ant-api03-claude-key-never-logged"
METRICS_TOKEN = "metrics-token-never-logged-4c2e"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
WRONG_PASSWORD = "jorge's-bank-password-typed-by-mistake"
API = "https://services.leadconnectorhq.com"


def _claude(request):
    tool = json.loads(request.content)["tool_choice"]["name"]
    if tool == claude.ANALYSIS_TOOL_NAME:
        return analysis_answer(pre_approved=True, timeline="0_3_months", reasons=["ready"])
    return reply_answer("Great! Are you pre-approved, or paying cash?")


def _sms(text: str) -> dict:
    return {
        "type": "InboundMessage",
        "locationId": "loc-1",
        "contactId": "lead-secrets",
        "conversationId": "conv-secrets",
        "messageId": "sms-secrets-1",
        "webhookId": "wh-secrets-1",
        "body": text,
        "direction": "inbound",
        "messageType": "SMS",
        "dateAdded": MORNING.isoformat().replace("+00:00", "Z"),
    }


@time_machine.travel(MORNING, tick=False)
@pytest.mark.django_db(transaction=True)
@respx.mock(assert_all_called=False)
def test_no_secret_reaches_a_log_line_even_at_debug(
    ghl,  # noqa: F811
    fake_claude,  # noqa: F811
    settings,
    client,
    caplog,
    respx_mock,
):
    caplog.set_level(logging.DEBUG)
    settings.GHL_API_TOKEN = GHL_TOKEN
    settings.ANTHROPIC_API_KEY = CLAUDE_KEY
    settings.METRICS_TOKEN = METRICS_TOKEN
    sent = respx_mock.post(f"{API}/conversations/messages").mock(
        return_value=httpx.Response(200, json={"conversationId": "c", "messageId": "m-1"})
    )
    respx_mock.get(url__regex=rf"{API}/contacts/.+").mock(
        return_value=httpx.Response(200, json={"contact": {"id": "lead-secrets", "dnd": False}})
    )
    fake_claude.answer(_claude)
    jorge = UserFactory(username="jorge", is_staff=True, is_superuser=True)
    live = issue_api_token(user=jorge, name="website", scope=ApiToken.Scope.READ, by=jorge)
    revoked = issue_api_token(user=jorge, name="old", scope=ApiToken.Scope.READ, by=jorge)
    revoke_api_token(token=revoked.token, by=jorge)

    # A lead texts in: Claude reads it with the key, the reply goes out with HighLevel's token.
    assert ghl.post(_sms("Hi, I want to buy a house in Riverside")).status_code == 200
    assert sent.called and fake_claude.requests
    assert fake_claude.requests[0].headers["Authorization"] == f"Bearer {CLAUDE_KEY}"  # used
    assert sent.calls[0].request.headers["Authorization"] == f"Bearer {GHL_TOKEN}"
    # Programs call the API with a token, a revoked one, and one nobody issued.
    for secret in (live.secret, revoked.secret, "jrg_" + "x" * 43):
        client.get("/api/v1/deals", HTTP_AUTHORIZATION=f"Bearer {secret}")
    # Prometheus scrapes with its token, and someone tries without it.
    client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    # Jorge mistypes his password, then logs in.
    client.post("/admin/login/", {"username": "jorge", "password": WRONG_PASSWORD})
    client.post("/admin/login/", {"username": "jorge", "password": PASSWORD})

    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert "AXES: Successful login" in logged  # the log was listening all along
    for secret in (GHL_TOKEN, CLAUDE_KEY, METRICS_TOKEN, live.secret, revoked.secret):
        assert secret not in logged
    assert PASSWORD not in logged and WRONG_PASSWORD not in logged
