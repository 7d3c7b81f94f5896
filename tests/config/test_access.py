"""Every URL of the site, walked from the URLconf: a visitor who is not logged in is refused
everywhere except the pages meant for the public (listed below with why), and a logged-in
session cannot write anywhere without the CSRF token. A new URL is covered the day it is added.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"

# Patterns a visitor may reach without a login, and what guards each instead.
PUBLIC = {
    "": "the home page: links to the login and the docs, no data",
    "healthz": "the load balancer's liveness probe: {'status': 'ok'}",
    "readyz": "the readiness probe: ok or failing per check; the errors only to staff "
    "or METRICS_TOKEN (tests/config/test_health.py)",
    "metrics": "Prometheus: METRICS_TOKEN and/or METRICS_ALLOWED_NETWORKS, else 404 "
    "(tests/config/test_metrics.py)",
    "webhooks/ghl/": "HighLevel: every delivery's signature is verified, else 401 "
    "(tests/leads/test_webhooks_ghl.py)",
    "webhooks/ghl/workflow/": "HighLevel workflows: X-Webhook-Secret, else 401",
    "api/v1/chat/": "the web chat widget's API: Origin-checked, a visitor's own token "
    "(tests/leads/test_webchat_apis.py)",
    "api/v1/chat/<str:token>/messages": "the web chat: a visitor's own conversation, by token",
    "chat/demo/": "the web chat's demo page",
    "p/<slug:slug>/": "a home on the market as buyers see it: no personal data "
    "(tests/sellers/test_listing_page.py)",
    "sellers/cma/shared/<str:token>/": "the seller's CMA through a signed, expiring link "
    "(tests/sellers/test_cma_views.py)",
    "admin/login/": "the login itself (locked out after repeated failures)",
    "admin/logout/": "logging out (POST, with the CSRF token)",
}

# Writes that carry no session, so no CSRF token: each is authenticated another way.
NO_SESSION = {
    "webhooks/ghl/": "signed by HighLevel",
    "webhooks/ghl/workflow/": "X-Webhook-Secret",
    "api/v1/chat/": "no session at all: the visitor's token and the Origin check",
    "api/v1/chat/<str:token>/messages": "no session at all",
}

SAMPLES = {"int": "1", "slug": "a-home", "str": "abc", "path": "1"}


def _example(pattern) -> str:
    """A concrete path for one pattern: <int:id> → 1; (?P<app>a|b) → a; (?P<url>.*) → a page."""
    text = str(pattern)
    if isinstance(pattern, RoutePattern):
        return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], text)
    text = text.lstrip("^").removesuffix("$").removesuffix(r"\Z")
    text = text.replace("(?P<url>.*)", "no-such-page/")
    return re.sub(r"\(\?P<\w+>(\w+)(?:\|[\w|]+)?\)", r"\1", text)


def _routes(patterns=None, prefix=("", "")):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        pattern, url = prefix[0] + str(entry.pattern), prefix[1] + _example(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, (pattern, url))
        elif isinstance(entry, URLPattern):
            yield pattern, "/" + url, entry.callback


ROUTES = list(_routes())


def test_the_walk_reaches_every_kind_of_url_and_each_example_resolves_to_its_view():
    for pattern, url, callback in ROUTES:
        assert resolve(url).func == callback, (pattern, url)
    patterns = {pattern for pattern, _, _ in ROUTES}
    assert len(ROUTES) > 150  # the admin's model pages, the dashboard, the API, the webhooks
    assert set(PUBLIC) <= patterns, "a public pattern listed here no longer exists"
    assert set(NO_SESSION) <= set(PUBLIC)


def _refused(response) -> str | None:
    """How the request was refused, or None if it was served."""
    if any(url.startswith(LOGIN) for url, _ in response.redirect_chain):
        return "login"
    if response.status_code in (401, 403):
        return "auth"
    if response.status_code == 405:
        return "method"
    return None


def test_a_visitor_who_is_not_logged_in_is_refused_everywhere_but_the_public_pages():
    client = Client()
    served = []
    for pattern, url, _ in ROUTES:
        if pattern in PUBLIC:
            continue
        got, posted = client.get(url, follow=True), client.post(url, follow=True)
        refusals = {_refused(got), _refused(posted)}
        # Each method refused, and at least one of them for want of a login (a POST-only
        # view answers GET with 405 before it asks who you are).
        if None in refusals or not refusals & {"login", "auth"}:
            served.append((pattern, got.status_code, posted.status_code))

    assert served == []


def test_a_logged_in_session_cannot_write_anywhere_without_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="jorge", is_staff=True, is_superuser=True))
    written = []
    for pattern, url, _ in ROUTES:
        if pattern in NO_SESSION:
            continue
        response = client.post(url, {"name": "x"})
        csrf_refused = response.status_code == 403 and b"CSRF" in response.content
        if not (csrf_refused or response.status_code == 405):
            written.append((pattern, response.status_code))

    assert written == []
