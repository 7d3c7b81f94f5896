"""Who may open a WebSocket, and the answer to a path that is not one.

A browser sends its cookies with a WebSocket handshake to any page's request, whatever the
page's origin, and cookies are not per port: a page on another port of the same host (another
app on 127.0.0.1:9999, say) could otherwise open Jorge's dashboard socket with his session. So
the handshake's Origin must be this site itself, host *and* port, as Django's CSRF check
requires of a form: the Origin equals the Host the browser asked for (which must be one of
ALLOWED_HOSTS), or is one of CSRF_TRUSTED_ORIGINS (a proxy that rewrites Host).
"""

from urllib.parse import urlsplit

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}

# The close code of a path that is no WebSocket route (a 404's counterpart).
NOT_FOUND = 4404


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _netloc(origin: str) -> str | None:
    """``host[:port]`` of an Origin, without the scheme's default port (as a Host header)."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path:
        return None
    host = parts.netloc.rpartition("@")[2].lower()
    if port == DEFAULT_PORTS[parts.scheme]:
        host = host.rsplit(":", 1)[0]
    return host


def same_origin(scope) -> bool:
    """The handshake comes from a page of this site: see the module's docstring."""
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if not origin or not host:
        return False
    domain, _port = split_domain_port(host.lower())
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    if origin.rstrip("/") in settings.CSRF_TRUSTED_ORIGINS:
        return True
    return _netloc(origin) == host.lower()


class SameOriginValidator:
    """ASGI middleware: refuses (closes before accepting) a handshake from any other origin."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not same_origin(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any path that is not a route: the socket opens and closes at once with 4404, which the
    client can read, instead of the server answering the handshake with a 500."""

    async def connect(self):
        await self.accept()
        await self.close(code=NOT_FOUND)
