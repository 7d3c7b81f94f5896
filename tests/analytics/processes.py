"""The environment for another process (daphne, simulate_inbound) to work on this test run's
database and channel layer, whichever the run uses (SQLite and the shared file, or
PostgreSQL and Redis)."""

import os
from urllib.parse import quote

from django.conf import settings
from django.db import connection


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{db['NAME']}"
    raise NotImplementedError(f"no URL for a {connection.vendor} test database")


def process_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        **extra,
    }
    layer = settings.CHANNEL_LAYERS["default"]
    if "path" in layer.get("CONFIG", {}):  # the embedded default's shared file
        env["CHANNEL_LAYER_SQLITE_PATH"] = layer["CONFIG"]["path"]
    return env
