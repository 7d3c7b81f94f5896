import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from analytics.cache import invalidate_everything
from tests.browser import browser  # noqa: F401 - the browser tests' fixture (tests/browser.py)
from tests.factories import UserFactory

# Property-based tests (hypothesis): few examples, always the same ones (derandomize), so the
# suite stays fast and a failure reproduces; HYPOTHESIS_PROFILE=thorough explores far more,
# at random, when hunting. Examples share their test's database transaction and fixtures.
hypothesis_settings.register_profile(
    "jorge",
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "thorough",
    parent=hypothesis_settings.get_profile("jorge"),
    max_examples=1000,
    derandomize=False,
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "jorge"))


@pytest.fixture(autouse=True)
def _clear_cache():
    # The cache is shared state (Redis in CI); every test starts from an empty one. A daphne
    # server a browser test started keeps its own local-memory cache: moving the versions
    # every cached value carries (in the shared channel-layer file) empties it too.
    cache.clear()
    invalidate_everything()
    yield
    cache.clear()


# The HighLevel locations the tests' data comes from: the default GHL_LOCATION_ID, the
# factories' and tests' own ids, and the locations of HighLevel's documented samples (each
# from its own). An event of any other location is kept but never applied, as in production
# (tests/leads/test_webhook_input.py).
TEST_LOCATION_IDS = [
    "demo-location",
    "test-location",
    "loc",
    "loc-1",
    "loc-burst",
    "loc-faults",
    "0007BWpSzSwfiuSl0tR2",
    "0d48aEf7q67DAu134bpy",
    "0d48aEf7q67DAuXUxbpy",
    "0dalah57827q67DAuXUxbpy",
    "GKAWb4yu7A4LSc0skQ6g",
    "GKifVDyQeo7nwe27vMP0",
    "kF4NJ5gzRyQF2gKFD34G",
    "l1C08ntBrFjLS0elLIYU",
    "ve9EPM428h8vShlRW1KT",
]


@pytest.fixture(autouse=True)
def _our_highlevel_locations(settings):
    settings.GHL_WEBHOOK_LOCATION_IDS = TEST_LOCATION_IDS


@pytest.fixture
def staff_user(db):
    """Jorge: a staff user who can see the dashboard and the back office."""
    return UserFactory(username="jorge", is_staff=True)


@pytest.fixture
def dashboard_client(client, staff_user):
    """A browser session logged in as Jorge."""
    client.force_login(staff_user)
    return client


@pytest.fixture
def api_client(staff_user):
    """A DRF client authenticated as Jorge."""
    api = APIClient()
    api.force_authenticate(staff_user)
    return api


def log_in(client, username: str, password: str, **request) -> bool:
    """Log in through the back office's login form, as a person does: the login protection
    (django-axes) needs the request, which ``client.login`` does not pass. True when in."""
    response = client.post("/admin/login/", {"username": username, "password": password}, **request)
    return response.status_code == 302 and "_auth_user_id" in client.session


@pytest.fixture
def anonymous_api_client():
    return APIClient()


def business_hours_clock():
    """The clock set to the last 10:00 in California (today's or yesterday's), and running: a
    bot's reply goes out at once instead of waiting for the end of the quiet hours, whenever
    the suite runs, and what it records is still within the last 24 hours of the real clock
    (what a server in another process reads)."""
    california = ZoneInfo("America/Los_Angeles")
    now = datetime.now(california)
    morning = now.replace(hour=10, minute=0, second=0, microsecond=0)
    if morning > now:
        morning -= timedelta(days=1)
    return time_machine.travel(morning, tick=True)


@pytest.fixture
def business_hours():
    with business_hours_clock():
        yield
