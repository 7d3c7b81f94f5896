"""/mcp/ over streamable HTTP, in the ASGI process (daphne), when ENABLE_MCP_SERVER is on.

Every request must carry ``Authorization: Bearer <API token>``: the REST API's tokens
(leads.ApiToken), checked by the same service (unknown and revoked tokens refused, read scope
enough) and, like the dashboard, for Jorge and his staff only. The server is stateless and
answers in JSON: each request gets a fresh session manager, since daphne runs no ASGI
lifespan to start a long-lived one, and read-only tools need no session between requests.
"""

import json

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.http.request import split_domain_port, validate_host
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from analytics.mcp.access import refusal_for
from analytics.mcp.tools import mcp_server

MCP_PATH = "/mcp/"


def is_mcp_request(scope) -> bool:
    """An HTTP request for /mcp/ (or /mcp) while the flag is on."""
    return (
        scope["type"] == "http"
        and settings.ENABLE_MCP_SERVER
        and scope["path"] in (MCP_PATH, MCP_PATH.rstrip("/"))
    )


async def _respond(send, status: int, code: str, message: str, headers=()) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


async def mcp_app(scope, receive, send) -> None:
    """The /mcp/ endpoint: host and token checked, then the MCP SDK's streamable HTTP."""
    host, _ = split_domain_port(_header(scope, b"host"))
    if not validate_host(host, settings.ALLOWED_HOSTS):
        await _respond(send, 400, "bad_host", "This host is not served here.")
        return
    # Django's request signals: old database connections are closed as for any request.
    await signals.request_started.asend(sender=mcp_app, scope=scope)
    try:
        refusal = await sync_to_async(refusal_for)(authorization=_header(scope, b"authorization"))
        if refusal:
            await _respond(
                send,
                refusal.status,
                refusal.code,
                refusal.message,
                [(b"www-authenticate", b'Bearer realm="mcp"')],
            )
            return
        # The SDK's own streamable_http_app() builds this manager around the same low-level
        # server, but can start it only once, through a lifespan daphne never runs.
        manager = StreamableHTTPSessionManager(
            app=mcp_server()._lowlevel_server, stateless=True, json_response=True
        )
        async with manager.run():
            await manager.handle_request(scope, receive, send)
    finally:
        await signals.request_finished.asend(sender=mcp_app)


def with_mcp(django_app):
    """``django_app``, with /mcp/ answered by the MCP server while ENABLE_MCP_SERVER is on
    (checked on each request, so turning the flag off needs no other change)."""

    async def app(scope, receive, send):
        if is_mcp_request(scope):
            await mcp_app(scope, receive, send)
        else:
            await django_app(scope, receive, send)

    return app
