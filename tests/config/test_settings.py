"""Production settings refuse unsafe configuration and pass Django's deploy checklist."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "-production-secret-" + "q" * 30


def _manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ALLOWED_HOSTS"))}
    base.update(DJANGO_SETTINGS_MODULE="config.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", ALLOWED_HOSTS="jorge.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _manage("check", DJANGO_SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


@pytest.mark.parametrize("hosts", ["*", "jorge.example.com,*", "*.example.com", ","])
def test_production_refuses_any_host_or_none(hosts):
    result = _manage("check", DJANGO_SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS=hosts)

    assert result.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS must name this site's host names" in result.stderr


def test_production_accepts_named_hosts_and_a_subdomain_wildcard():
    result = _manage(
        "check", DJANGO_SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="jorge.example.com,.example.org,web"
    )

    assert result.returncode == 0, result.stderr


def test_production_refuses_the_embedded_default_key():
    result = _manage(
        "check",
        DJANGO_SECRET_KEY="insecure-embedded-default-key-change-me" * 2,
        ALLOWED_HOSTS="x.com",
    )
    assert result.returncode != 0
    assert "long random value" in result.stderr


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="jorge.example.com",
        GHL_LOCATION_ID="loc-jorge",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_the_highlevel_location_is_left_at_the_demo_default():
    """Every webhook would be ignored as another location's: the deploy check says so."""
    env = {"DJANGO_SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "jorge.example.com"}
    unset = _manage("check", "--deploy", "--fail-level", "WARNING", GHL_LOCATION_ID="", **env)
    assert unset.returncode != 0
    assert "leads.W001" in unset.stderr and "GHL_LOCATION_ID" in unset.stderr

    # Naming the locations to accept is enough too.
    listed = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        GHL_LOCATION_ID="",
        GHL_WEBHOOK_LOCATION_IDS="loc-jorge",
        **env,
    )
    assert listed.returncode == 0, listed.stderr
