"""Login protection (django-axes; docs/security.md): whose address a failed login counts
against, and the page a locked-out person sees instead of the login."""

import math
from ipaddress import ip_address

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from leads.webchat.apis import client_ip as _client_ip


def client_ip(request: HttpRequest) -> str | None:
    """The address a failed login counts against: the peer's, or the one the trusted proxies
    in front saw (``WEBCHAT_TRUSTED_PROXIES``, as the web chat's limits read it). None when
    there is none that parses (a test client's force_login, a proxy's garbage): axes stores it
    in an IP address column, which PostgreSQL checks."""
    try:
        return str(ip_address(_client_ip(request)))
    except ValueError:
        return None


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """429 with the back office's page that says the login is paused, until when, and how staff
    unlock it; Retry-After gives the cool-off in seconds."""
    from axes.helpers import get_cool_off, get_failure_limit

    cool_off = get_cool_off(request)
    seconds = math.ceil(cool_off.total_seconds()) if cool_off else None
    context = {
        **admin.site.each_context(request),
        "title": "Login paused after too many wrong passwords",
        "failure_limit": get_failure_limit(request, credentials),
        "cool_off_minutes": math.ceil(seconds / 60) if seconds else None,
        "retry_at": timezone.localtime() + cool_off if cool_off else None,
    }
    response: HttpResponse = render(request, "admin/locked_out.html", context, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
