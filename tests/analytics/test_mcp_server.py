"""The MCP server (ENABLE_MCP_SERVER) through the protocol: the mcp package's own client talks
streamable HTTP to the ASGI application (config.asgi) in process, over httpx2's ASGI transport.

The CI's flags pass re-runs this file with ENABLE_MCP_SERVER=true; each test sets the flag
it needs, so it passes either way.
"""

import json

import httpx2
import pytest
from asgiref.sync import async_to_sync
from django.core import signals
from django.db import close_old_connections
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from config.asgi import application
from leads.models import Deal, Message
from leads.services.api_tokens import revoke_api_token
from tests.compliance.factories import ComplianceTicketFactory
from tests.factories import UserFactory
from tests.leads.factories import (
    ContactFactory,
    ConversationFactory,
    DealFactory,
    EscalationTicketFactory,
    MessageFactory,
    api_token_secret,
)

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1/mcp/"
PHONE, EMAIL, SSN = "+17145550188", "maria.lopez@example.com", "123-45-6789"


@pytest.fixture(autouse=True)
def mcp_on(settings):
    settings.ENABLE_MCP_SERVER = True
    # As Django's test client does: the request signals must not close the test's
    # connection, whose transaction holds every row the test made.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield settings
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def jorge():
    return UserFactory(username="jorge", is_staff=True, is_superuser=True)


@pytest.fixture
def maria():
    """A lead who texted her email, her phone and her social security number."""
    conversation = ConversationFactory(
        contact=ContactFactory(
            first_name="Maria", last_name="Lopez", phone=PHONE, email=EMAIL, temperature="hot"
        ),
        stage="qualifying",
    )
    MessageFactory(conversation=conversation, body="Hi, I want to buy a house in Riverside")
    MessageFactory(
        conversation=conversation,
        body=f"Reach me at {EMAIL} or (714) 555-0188, my SSN is {SSN}",
    )
    MessageFactory(
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        status=Message.Status.SENT,
        body="Thanks Maria! Are you pre-approved, or paying cash?",
    )
    return conversation


def http_client(secret: str | None) -> httpx2.AsyncClient:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=application), headers=headers, timeout=30
    )


def session(secret: str | None):
    """What Jorge's assistant opens: the package's Client over streamable HTTP."""
    return Client(streamable_http_client(URL, http_client=http_client(secret)))


def call(secret: str, tool: str, arguments: dict | None = None) -> dict:
    """Call one tool through the protocol; its structured result."""

    async def run():
        async with session(secret) as client:
            result = await client.call_tool(tool, arguments or {})
        assert not result.is_error, result.content
        return result.structured_content

    return async_to_sync(run)()


def post(secret: str | None) -> httpx2.Response:
    """A bare MCP request (no client library), to read the HTTP status."""

    async def run():
        async with http_client(secret) as client:
            return await client.post(
                URL,
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
                headers={"Accept": "application/json, text/event-stream"},
            )

    return async_to_sync(run)()


def test_the_assistant_lists_the_four_read_only_tools(jorge):
    secret = api_token_secret(jorge, scope="read")

    async def run():
        async with session(secret) as client:
            return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in async_to_sync(run)()}

    assert set(tools) == {"find_lead", "conversation_summary", "pipeline_summary", "open_tickets"}
    assert all(tool.annotations.read_only_hint for tool in tools.values())


def test_find_lead_by_name_phone_or_email_masks_her_phone_and_email(jorge, maria):
    secret = api_token_secret(jorge, scope="read")

    for query in ("maria", "Lopez", "(714) 555-0188", EMAIL):
        found = call(secret, "find_lead", {"query": query})
        assert [lead["name"] for lead in found["leads"]] == ["Maria Lopez"], query

    lead = found["leads"][0]
    assert lead["phone"] == "•••-0188"
    assert lead["email"] == "m•••@example.com"
    assert lead["temperature"] == "hot"
    assert lead["conversations"][0]["conversation_id"] == maria.pk
    assert PHONE not in json.dumps(found) and EMAIL not in json.dumps(found)


def test_a_conversation_summary_has_the_messages_without_pii(jorge, maria):
    summary = call(
        api_token_secret(jorge, scope="read"),
        "conversation_summary",
        {"conversation_id": maria.pk},
    )

    texts = [message["text"] for message in summary["messages"]]
    assert texts[0] == "Hi, I want to buy a house in Riverside"
    assert texts[1] == "Reach me at m•••@example.com or •••-0188, my SSN is [SSN removed]"
    assert summary["messages"][2]["from"] == "bot"
    assert summary["stage"] == "qualifying"
    dumped = json.dumps(summary, ensure_ascii=False)
    for pii in (PHONE, EMAIL, SSN, "555-0188", "6789"):
        assert pii not in dumped


def test_an_unknown_conversation_is_an_error_the_assistant_can_read(jorge):
    secret = api_token_secret(jorge, scope="read")

    async def run():
        async with session(secret) as client:
            return await client.call_tool("conversation_summary", {"conversation_id": 999999})

    result = async_to_sync(run)()

    assert result.is_error
    assert "no conversation 999999" in result.content[0].text


def test_pipeline_summary_counts_leads_and_deals_with_commission(jorge, maria):
    DealFactory(contact=maria.contact, stage=Deal.Stage.UNDER_CONTRACT, value=600_000)

    summary = call(api_token_secret(jorge, scope="read"), "pipeline_summary")

    assert summary["leads_by_temperature"]["hot"] == 1
    assert summary["conversations_by_stage"]["qualifying"] == 1
    assert summary["deals_open"] == 1
    assert summary["commission_pending_under_contract"] > 0
    assert summary["pipeline"]["open_deals"] == 1
    assert summary["pipeline"]["sale_value"] == 600_000


def test_open_tickets_come_soonest_due_first_with_evidence_redacted(jorge, maria):
    EscalationTicketFactory(conversation=maria, summary=f"Call her back on {PHONE}")
    ComplianceTicketFactory(conversation=maria, contact=maria.contact)

    tickets = call(api_token_secret(jorge, scope="read"), "open_tickets")

    assert tickets["open"] == 2
    assert [t["kind"] for t in tickets["tickets"]] == ["escalation", "compliance"]
    assert tickets["tickets"][0]["summary"] == "Call her back on •••-0188"
    assert tickets["tickets"][0]["contact"] == "Maria Lopez"


def test_no_token_an_unknown_one_and_a_revoked_one_get_401(jorge):
    issued_secret = api_token_secret(jorge, scope="read")
    revoke_api_token(token=jorge.api_tokens.get(), by=jorge)

    for secret, message in (
        (None, "Send an API token"),
        ("jrg_not-a-token", "Unknown API token."),
        (issued_secret, "This API token was revoked."),
    ):
        response = post(secret)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="mcp"'
        assert response.json()["error"]["message"].startswith(message)


def test_the_client_library_cannot_connect_with_a_revoked_token(jorge):
    secret = api_token_secret(jorge, scope="read")
    revoke_api_token(token=jorge.api_tokens.get(), by=jorge)

    async def run():
        async with session(secret) as client:
            await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017 (the SDK reports a refused handshake variously)
        async_to_sync(run)()


def test_a_token_of_someone_who_may_not_see_the_dashboard_gets_403():
    clerk = UserFactory(username="clerk", is_staff=False)

    response = post(api_token_secret(clerk, scope="read"))

    assert response.status_code == 403


def test_with_the_flag_off_there_is_no_mcp_endpoint(jorge, mcp_on):
    mcp_on.ENABLE_MCP_SERVER = False

    response = post(api_token_secret(jorge, scope="read"))

    assert response.status_code == 404
