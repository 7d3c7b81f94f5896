"""Every page runs only this site's scripts (Content-Security-Policy, django-csp), the API docs'
inline start-up script only with its response's nonce, and production's cookies and transport
headers are locked down (docs/security.md). That the pages still work under the policy is shown
by the browser tests: tests/browser.py fails any page that breaks it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sellers.factories import ListingFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def _pages(client, admin_client):
    home = ListingFactory()
    yield "home", client.get("/")
    yield "listing", client.get(f"/p/{home.slug}/")
    yield "chat demo", client.get("/chat/demo/")
    yield "login", client.get("/admin/login/")
    yield "back office", admin_client.get("/admin/")
    yield "dashboard", admin_client.get("/dashboard/")
    yield "API docs", admin_client.get("/api/docs/")
    yield "API reference", admin_client.get("/api/redoc/")


def test_every_page_runs_only_this_sites_scripts_and_cannot_be_framed(client, admin_client):
    for name, response in _pages(client, admin_client):
        assert response.status_code == 200, name
        policy = _policy(response)
        scripts = policy["script-src"]
        assert scripts[0] == "'self'", name
        assert all(s.startswith("'nonce-") for s in scripts[1:]), (name, scripts)
        assert policy["default-src"] == ["'self'"], name
        assert policy["object-src"] == ["'none'"], name
        assert policy["frame-ancestors"] == ["'none'"], name
        assert policy["connect-src"] == ["'self'"], name


def test_the_api_docs_inline_script_runs_only_with_its_own_responses_nonce(admin_client):
    nonces = []
    for _ in range(2):
        response = admin_client.get("/api/docs/")
        (nonce,) = [s for s in _policy(response)["script-src"] if s.startswith("'nonce-")]
        nonce = nonce.removeprefix("'nonce-").removesuffix("'")
        inline = re.findall(r"<script( nonce=\"[^\"]*\")?>", response.content.decode())
        assert inline == [f' nonce="{nonce}"'], inline  # the one inline script, with the nonce
        nonces.append(nonce)

    assert nonces[0] != nonces[1]


def test_a_page_without_inline_script_offers_no_nonce(client):
    assert _policy(client.get("/admin/login/"))["script-src"] == ["'self'"]


PRODUCTION_PROBE = """
import json, django
django.setup()
from django.conf import settings as s
from django.test import Client
r = Client().get("/healthz", secure=True, HTTP_HOST="jorge.example.com")
print(json.dumps({
    "cookies": [s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,
                s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY, s.CSRF_COOKIE_SAMESITE],
    "ssl_redirect": s.SECURE_SSL_REDIRECT,
    "headers": {k: r.headers.get(k) for k in (
        "Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options",
        "Referrer-Policy", "Cross-Origin-Opener-Policy", "X-Frame-Options")},
}))
"""


def test_production_cookies_are_secure_httponly_and_same_site_and_https_is_enforced():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ALLOWED_HOSTS"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-" + "q" * 30,
        "ALLOWED_HOSTS": "jorge.example.com",
    }
    finished = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    seen = json.loads(finished.stdout.strip().splitlines()[-1])

    assert seen["cookies"] == [True, True, "Lax", True, True, "Lax"]
    assert seen["ssl_redirect"] is True
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
