"""deploy/prometheus/: the alert rules load in Prometheus (promtool, when Debian's package
could be installed: dev.py), and every series they and the dashboard read is one /metrics
exposes, so no alert waits forever on a name that does not exist."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "jorge.json"
RULES = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())
# The issue's alerts, by the names in alerts.yml.
REQUIRED_ALERTS = {
    "FirstResponseSlow",  # first-response p95 over 60 s
    "WebhookProcessingFailing",  # webhook failures
    "HighLevelRateLimited",  # any HighLevel 429
    "CeleryBacklog",
    "AIFallbackRateHigh",
    "TicketsBreachedSLA",
}
OUR_SERIES = re.compile(r"\b((?:jorge|django)_[a-z0-9_]+)")
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def _family(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def rules() -> list[dict]:
    return [rule for group in RULES["groups"] for rule in group["rules"]]


@pytest.fixture
def exposed(settings) -> set[str]:
    """The series families /metrics declares (its # TYPE lines), scraped for real."""
    settings.METRICS_TOKEN = "rules-test-token"
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer rules-test-token")
    assert response.status_code == 200
    return {
        _family(family.name) for family in text_string_to_metric_families(response.content.decode())
    }


def test_every_alert_the_issue_asks_for_is_there():
    names = {rule["alert"] for rule in rules()}
    assert names >= REQUIRED_ALERTS
    for rule in rules():
        assert rule["annotations"]["runbook"].startswith("docs/monitoring.md#"), rule["alert"]
        anchor = rule["annotations"]["runbook"].split("#")[1]
        assert anchor in _anchors_of_monitoring_doc(), rule["alert"]


def _anchors_of_monitoring_doc() -> set[str]:
    headings = re.findall(r"^#+ (.+)$", (ROOT / "docs" / "monitoring.md").read_text(), re.M)
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}


@pytest.mark.django_db
def test_every_series_an_alert_reads_is_exposed(exposed):
    for rule in rules():
        for name in OUR_SERIES.findall(rule["expr"]):
            assert _family(name) in exposed, f"{rule['alert']}: {name}"


@pytest.mark.django_db
def test_every_series_the_dashboard_reads_is_exposed(exposed):
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for name in OUR_SERIES.findall(target["expr"]):
                assert _family(name) in exposed, f"{panel['title']}: {name}"
            assert target["datasource"]["uid"] == "jorge-prometheus"


def test_the_rules_and_the_scrape_config_pass_promtool_or_parse(tmp_path):
    """promtool when dev.py could install it (Debian's prometheus); else the same file is
    parsed here: every rule has a name, an expression and a severity, and the expressions'
    brackets balance."""
    promtool = shutil.which("promtool")
    if promtool is None:
        for rule in rules():
            assert rule["alert"] and rule["expr"].strip()
            assert rule["labels"]["severity"] in ("page", "warn")
            assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
            assert rule["expr"].count("[") == rule["expr"].count("]"), rule["alert"]
        return
    checked = subprocess.run(
        [promtool, "check", "rules", str(PROMETHEUS_DIR / "alerts.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules())} rules found" in checked.stdout
    # The scrape config too, with its secret where docker-compose would mount it.
    token = tmp_path / "metrics_token"
    token.write_text("token\n")
    config = (PROMETHEUS_DIR / "prometheus.yml").read_text()
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/run/secrets/metrics_token", str(token))
    )
    shutil.copy(PROMETHEUS_DIR / "alerts.yml", tmp_path / "alerts.yml")
    checked = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
