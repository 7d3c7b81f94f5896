"""``manage.py mcp_server``: the MCP tools over stdio, as an assistant that starts the server as
a subprocess sees them, through the mcp package's own stdio client, on this run's database."""

import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from mcp import Client, StdioServerParameters

from leads.services.api_tokens import revoke_api_token
from tests.analytics.processes import process_env
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory, api_token_secret

# The subprocess reads what this test committed.
pytestmark = pytest.mark.django_db(transaction=True)
PROJECT = Path(__file__).resolve().parents[2]


def test_the_stdio_server_answers_the_assistant_with_masked_leads():
    jorge = UserFactory(username="jorge", is_staff=True, is_superuser=True)
    ConversationFactory(
        contact=ContactFactory(first_name="Maria", last_name="Lopez", phone="+17145550188")
    )
    parameters = StdioServerParameters(
        command=sys.executable,
        args=[str(PROJECT / "manage.py"), "mcp_server"],
        env=process_env(ENABLE_MCP_SERVER="true", MCP_API_TOKEN=api_token_secret(jorge)),
        cwd=PROJECT,
    )

    async def run():
        async with Client(parameters) as client:
            tools = [tool.name for tool in (await client.list_tools()).tools]
            found = await client.call_tool("find_lead", {"query": "maria"})
        return tools, found.structured_content

    tools, found = async_to_sync(run)()

    assert sorted(tools) == [
        "conversation_summary",
        "find_lead",
        "open_tickets",
        "pipeline_summary",
    ]
    assert [(lead["name"], lead["phone"]) for lead in found["leads"]] == [
        ("Maria Lopez", "•••-0188")
    ]


@pytest.mark.parametrize("flag", ["true", "false"])
def test_the_stdio_server_refuses_to_start_with_a_revoked_token_or_the_flag_off(flag):
    jorge = UserFactory(username="jorge", is_staff=True, is_superuser=True)
    secret = api_token_secret(jorge)
    revoke_api_token(token=jorge.api_tokens.get(), by=None)

    finished = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), "mcp_server"],
        env=process_env(ENABLE_MCP_SERVER=flag, MCP_API_TOKEN=secret),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )

    assert finished.returncode == 1
    assert finished.stdout == ""
    expected = "This API token was revoked." if flag == "true" else "set ENABLE_MCP_SERVER=true"
    assert expected in finished.stderr
