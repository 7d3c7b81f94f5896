"""/metrics: who may scrape it (METRICS_TOKEN, METRICS_ALLOWED_NETWORKS, DEBUG)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families


def scrape(client: Client | None = None, **headers) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def names(samples) -> set[str]:
    """The series present: a histogram by its own name as well as its _bucket/_count/_sum."""
    found = {name for name, _ in samples}
    return found | {name.rsplit("_", 1)[0] for name in found if name.endswith(HISTOGRAM_PARTS)}


HISTOGRAM_PARTS = ("_bucket", "_count", "_sum")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_metrics_need_the_bearer_token_when_one_is_set(settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    settings.METRICS_ALLOWED_NETWORKS = []

    assert Client().get("/metrics").status_code == 401
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer guessed")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert scrape(HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")


@pytest.mark.django_db
def test_metrics_refuse_addresses_outside_the_allowed_networks(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 403
    assert scrape(Client(REMOTE_ADDR="10.1.2.3"))


@pytest.mark.django_db
def test_with_both_set_a_scrape_needs_the_network_and_the_token(settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    inside = Client(REMOTE_ADDR="10.1.2.3")

    assert inside.get("/metrics").status_code == 401
    outside = Client(REMOTE_ADDR="203.0.113.9")
    assert (
        outside.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 403
    )
    assert scrape(inside, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")


@pytest.mark.django_db
def test_unconfigured_metrics_are_not_there_in_production(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.DEBUG = False

    assert Client().get("/metrics").status_code == 404


@pytest.mark.django_db
def test_unconfigured_metrics_serve_only_this_machine_while_developing(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.DEBUG = True

    assert scrape(Client(REMOTE_ADDR="127.0.0.1"))
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 404


def test_several_processes_add_up_in_one_scrape(tmp_path):
    """Multiprocess mode: two worker processes count, a third (the web one) scrapes the sum."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    }
    (tmp_path / "metrics").mkdir()

    def run(code: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    for _ in range(2):
        run("from config import metrics; metrics.record_five_minute_rule_miss()")
    exposition = run("import sys; from config import metrics; print(metrics.exposition().decode())")

    assert "jorge_five_minute_rule_misses_total 2.0" in exposition.splitlines()
    host = socket.gethostname().replace("_", "-")
    files = [path.name for path in (tmp_path / "metrics").iterdir()]
    assert len([name for name in files if name.startswith(f"counter_{host}-")]) >= 2


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="the Redis broker: CI's Redis pass")
def test_the_queue_length_is_what_waits_in_the_redis_broker(settings):
    import redis

    from config.metrics import CeleryQueueCollector

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = ["turns", "turns\x06\x163", "ingest"]
    client.delete(*keys)
    try:
        client.rpush("turns", "a", "b")
        client.rpush("turns\x06\x163", "c")  # a priority-3 task of the same queue
        client.rpush("ingest", "d")

        lengths = CeleryQueueCollector().lengths()
    finally:
        client.delete(*keys)

    assert lengths == {"ingest": 1, "sends": 0, "turns": 3}
