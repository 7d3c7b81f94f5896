import pytest
from django.db import connection

from tests.factories import UserFactory

CACHE_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        # Nothing listens on port 1: the connection is refused at once.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5},
    }
}
METRICS_TOKEN = "prometheus-token-for-tests"


def test_healthz_answers_without_touching_dependencies(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_names_each_dependency_it_checked(admin_client, settings):
    response = admin_client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {
        "ok": True,
        "backend": connection.vendor,
        "ms": body["checks"]["database"]["ms"],
    }
    assert body["checks"]["cache"]["ok"] is True
    if settings.REDIS_URL:
        assert body["checks"]["broker"]["ok"] is True
        assert body["checks"]["channel_layer"]["backend"] == "RedisChannelLayer"
    else:
        assert "broker" not in body["checks"]


def test_readyz_is_503_when_the_cache_is_unreachable(client, db, settings):
    settings.CACHES = CACHE_DOWN
    settings.METRICS_TOKEN = METRICS_TOKEN

    response = client.get("/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["ok"] is False
    assert "Connection" in body["checks"]["cache"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_an_anonymous_caller_sees_which_check_fails_but_no_host_port_or_error(client, db, settings):
    settings.CACHES = CACHE_DOWN

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["cache"] == {"ok": False}
    assert body["checks"]["database"] == {"ok": True}
    assert "127.0.0.1" not in response.content.decode()
    assert "6379" not in response.content.decode() and ":1" not in response.content.decode()


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_a_wrong_or_missing_metrics_token_sees_only_ok_or_failing(client, db, settings, token):
    settings.CACHES = CACHE_DOWN
    settings.METRICS_TOKEN = METRICS_TOKEN

    response = client.get("/readyz", headers={"Authorization": f"Bearer {token}"})

    assert response.json()["checks"]["cache"] == {"ok": False}


def test_a_non_staff_login_sees_only_ok_or_failing(client, db, settings):
    settings.CACHES = CACHE_DOWN
    client.force_login(UserFactory(username="visitor"))

    response = client.get("/readyz")

    assert response.json()["checks"]["cache"] == {"ok": False}


def test_staff_see_what_failed(client, db, settings):
    settings.CACHES = CACHE_DOWN
    client.force_login(UserFactory(username="jorge", is_staff=True))

    response = client.get("/readyz")

    assert "Connection" in response.json()["checks"]["cache"]["error"]
