"""``/metrics``: every Prometheus series of the platform, for Prometheus only.

Who may read it is settings-driven (``METRICS_TOKEN``, ``METRICS_ALLOWED_NETWORKS``;
docs/monitoring.md): the figures name no lead, but they tell a stranger how much business
Jorge does and how his systems are doing, so an unconfigured production answers 404.
"""

from __future__ import annotations

import hmac
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from config import metrics


@lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(network, strict=False) for network in configured)


def _peer(request: HttpRequest):
    try:
        return ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return None


def _has_token(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def has_metrics_token(request: HttpRequest) -> bool:
    """The request carries METRICS_TOKEN (False when none is configured)."""
    token = settings.METRICS_TOKEN
    return bool(token) and _has_token(request, token)


def refusal(request: HttpRequest) -> HttpResponse | None:
    """Why this request may not read the metrics (404, 403 or 401), or None if it may."""
    token, networks = settings.METRICS_TOKEN, tuple(settings.METRICS_ALLOWED_NETWORKS)
    peer = _peer(request)
    if not token and not networks:
        # Unconfigured: nobody, except this machine while developing (DEBUG, dev.py run).
        if settings.DEBUG and peer is not None and peer.is_loopback:
            return None
        return HttpResponseNotFound()
    if networks and (peer is None or not any(peer in net for net in _networks(networks))):
        return HttpResponseForbidden("Not from an allowed network.", content_type="text/plain")
    if token and not _has_token(request, token):
        response = HttpResponse(
            "A bearer token is required.", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return None


@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Every series in Prometheus's text format, to those allowed to read it."""
    refused = refusal(request)
    if refused is not None:
        return refused
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
