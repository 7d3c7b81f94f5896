"""Serve the MCP tools over stdio, for an AI assistant that starts the server as a subprocess
(docs/feature-flags.md, "ENABLE_MCP_SERVER"). The API token comes in MCP_API_TOKEN."""

import os

import anyio
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from analytics.mcp.access import refusal_for
from analytics.mcp.tools import mcp_server

TOKEN_VARIABLE = "MCP_API_TOKEN"  # noqa: S105 (the variable's name, not a secret)


class Command(BaseCommand):
    help = (
        "Serve the read-only MCP tools (find a lead, conversation summary, pipeline and "
        f"commission, open tickets) on stdin/stdout. Needs ENABLE_MCP_SERVER=true and an API "
        f"token of Jorge or his staff in {TOKEN_VARIABLE}."
    )

    def handle(self, *args, **options):
        if not settings.ENABLE_MCP_SERVER:
            raise CommandError("The MCP server is off: set ENABLE_MCP_SERVER=true.")
        refusal = refusal_for(authorization=f"Bearer {os.environ.get(TOKEN_VARIABLE, '')}")
        if refusal:
            raise CommandError(f"{refusal.message} (the token comes in {TOKEN_VARIABLE})")
        # stdout is the protocol's: nothing else may be written to it from here on.
        anyio.run(mcp_server().run_stdio_async)
