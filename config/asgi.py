"""ASGI entry point: HTTP and WebSocket in one process (daphne)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# Django must be set up before anything imports models (consumers, routing).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from analytics.mcp.http import with_mcp  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from config.websocket import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        # /mcp/ is the MCP server while ENABLE_MCP_SERVER is on (docs/feature-flags.md).
        "http": with_mcp(django_asgi_app),
        # Only this site's own pages, host and port (config/websocket.py).
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
