"""Settings for the test suite: the same services as configured, made fast and offline."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests never reach the network: outside services are faked at their HTTP transport.
ANTHROPIC_API_KEY = ""
GHL_API_TOKEN = ""
FINANCIAL_ASSESSMENT_URL = ""
GHL_CALENDAR_ID = ""
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in-process in tests whatever broker is configured; tests that need the
# on-commit hand-off use django_capture_on_commit_callbacks(execute=True).
CELERY_TASK_ALWAYS_EAGER = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, like the embedded default's: concurrent tests then see SQLite's real locking
    # (WAL, IMMEDIATE, the busy timeout), not an in-memory database's shared-cache table locks.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"jorge-test-{os.getpid()}.sqlite3")
    }
if "SQLiteChannelLayer" in CHANNEL_LAYERS["default"]["BACKEND"]:  # noqa: F405
    # One shared-layer file per test run (a daphne server the browser tests start is told it).
    CHANNEL_LAYERS["default"]["CONFIG"]["path"] = env(  # noqa: F405
        "CHANNEL_LAYER_SQLITE_PATH",
        default=str(Path(tempfile.gettempdir()) / f"jorge-test-channels-{os.getpid()}.sqlite3"),
    )
# Someone is always on call in tests, so a test's outcome never depends on the hour it runs;
# the on-call tests set the hours they need.
ESCALATION_ONCALL_START_HOUR = 0
ESCALATION_ONCALL_END_HOUR = 24
ESCALATION_ONCALL_DAYS = [0, 1, 2, 3, 4, 5, 6]
# No background flusher thread in tests: a test flushes the tracker when it means to.
PERFORMANCE_FLUSH_SECONDS = 0
