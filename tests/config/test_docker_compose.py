"""docker-compose.yml describes the scaled deployment; every role must start real code."""

import importlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _module_of(command: list[str]) -> str:
    """The Python module a service command points at."""
    program = command[0]
    if program == "gunicorn" or program == "daphne":
        target = next(arg for arg in command[1:] if ":" in arg and not arg.startswith("0.0.0.0"))
        module, attribute = target.split(":")
        assert hasattr(importlib.import_module(module), attribute), target
        return module
    if program == "celery":
        return command[command.index("--app") + 1]
    if program == "python":
        assert command[1] == "manage.py"
        return "config.settings.production"
    raise AssertionError(f"unknown program {program}")


def test_every_role_of_the_deployment_is_present():
    assert {"postgres", "redis", "web", "ws", "worker", "beat", "migrate"} <= set(SERVICES)


def test_every_app_service_points_at_a_module_that_exists():
    for name, service in SERVICES.items():
        if "command" not in service or name in ("postgres", "redis"):
            continue
        module = _module_of(service["command"])
        assert importlib.util.find_spec(module) is not None, f"{name}: {module}"


def test_web_is_wsgi_and_ws_is_asgi():
    assert SERVICES["web"]["command"][:2] == ["gunicorn", "config.wsgi:application"]
    assert SERVICES["ws"]["command"][0] == "daphne"
    assert "config.asgi:application" in SERVICES["ws"]["command"]


def test_services_that_serve_have_health_checks():
    for name in ("postgres", "redis", "web", "ws", "worker", "worker-turns"):
        assert "healthcheck" in SERVICES[name], name


def test_there_is_exactly_one_beat():
    assert SERVICES["beat"].get("deploy", {}).get("replicas") == 1


def test_app_services_run_production_settings_on_postgres_and_redis():
    web = SERVICES["web"]
    assert web["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    assert web["environment"]["REDIS_URL"].startswith("redis://")


def test_every_celery_queue_has_a_worker():
    from django.conf import settings

    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    routed.add(settings.CELERY_TASK_DEFAULT_QUEUE)
    consumed = set()
    for service in SERVICES.values():
        command = service.get("command") or []
        if command[:1] == ["celery"] and "worker" in command:
            consumed |= set(command[command.index("--queues") + 1].split(","))
    assert routed == {"ingest", "turns", "sends"}
    assert routed <= consumed


def test_prometheus_and_grafana_are_optional_and_load_the_repositorys_files():
    for name in ("prometheus", "grafana"):
        service = SERVICES[name]
        assert service["profiles"] == ["monitoring"], name
        for volume in service["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).is_dir(), f"{name}: {source}"
        assert all(port.startswith("127.0.0.1:") for port in service["ports"]), name
    assert "metrics_token" in SERVICES["prometheus"]["secrets"]
    assert COMPOSE["secrets"]["metrics_token"]["environment"] == "METRICS_TOKEN"


def test_every_app_process_writes_its_metrics_where_a_web_scrape_adds_them_up():
    for name in ("web", "ws", "worker", "worker-turns", "beat", "migrate"):
        service = SERVICES[name]
        directory = service["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        assert f"metrics:{directory}" in service["volumes"], name
    assert COMPOSE["volumes"]["metrics"]["driver_opts"]["type"] == "tmpfs"
