import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from analytics.services import DASHBOARD_GROUP


class DashboardListener:
    """A channel in the dashboard group of the (in-memory) channel layer, as a browser's is."""

    def __init__(self):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(DASHBOARD_GROUP, self.channel)

    def events(self) -> list[dict]:
        received = []
        while True:
            try:
                message = async_to_sync(self._receive_now)()
            except TimeoutError:
                return received
            received.append(message["payload"])

    async def _receive_now(self):
        import asyncio

        return await asyncio.wait_for(self.layer.receive(self.channel), timeout=0.05)


@pytest.fixture
def dashboard():
    """What the live dashboard receives during the test."""
    listener = DashboardListener()
    yield listener
    async_to_sync(listener.layer.group_discard)(DASHBOARD_GROUP, listener.channel)


@pytest.fixture
def officer(settings):
    settings.COMPLIANCE_OFFICER_EMAIL = "compliance@jorge.example"
    settings.SITE_URL = "https://jorge.example"
    return settings.COMPLIANCE_OFFICER_EMAIL


# The HighLevel webhook poster and the fake Claude of the leads tests, for the end-to-end
# compliance tests (the webhook, the turn and the prompts are the real code).
from tests.leads.conftest import (  # noqa: E402, F401
    _key_pairs,
    claude_settings,
    fake_claude,
    ghl,
    ghl_keys,
    signer,
)
