import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from analytics.cache import invalidate_everything
from tests.browser import browser  # noqa: F401 - the browser tests' fixture (tests/browser.py)
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    # The cache is shared state (Redis in CI); every test starts from an empty one. A daphne
    # server a browser test started keeps its own local-memory cache: moving the versions
    # every cached value carries (in the shared channel-layer file) empties it too.
    cache.clear()
    invalidate_everything()
    yield
    cache.clear()


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


@pytest.fixture
def anonymous_api_client():
    return APIClient()
