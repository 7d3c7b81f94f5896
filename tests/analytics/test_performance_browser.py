"""The Performance page in a real headless Chromium against daphne: leads text in through the
signed webhook (timed by the server itself), Claude is called (faked at its HTTP transport) in
this process and flushed; the page draws every section at desktop and phone width, and the
screenshots land in docs/screenshots/."""

from pathlib import Path

import httpx2
import pytest

from analytics.demo import load_demo_data
from config import performance
from leads.intelligence import claude, engine
from tests.analytics.test_dashboard_browser import wait_until_live
from tests.browser import page_has_no_horizontal_scroll
from tests.conftest import business_hours_clock
from tests.factories import UserFactory
from tests.leads.claude_fake import FakeAnthropic, analysis_answer
from tests.leads.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "jorge-browser-test-1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def jorge(db):
    return UserFactory(username="jorge", is_staff=True, is_superuser=True, password=PASSWORD)


@pytest.fixture
def claude_calls(settings, monkeypatch):
    """Three analyses by a faked Claude in this process, flushed into the table."""
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    settings.ANTHROPIC_API_KEY = "test-key"
    settings.ANTHROPIC_MAX_RETRIES = 0
    fake = FakeAnthropic()
    fake.answer(analysis_answer())
    claude.use_http_client(httpx2.Client(transport=httpx2.MockTransport(fake.handler)))
    performance.tracker.reset()
    try:
        for text in ("Hi, I want to buy", "Pre-approved for 450k", "Looking in Riverside"):
            engine.analyze_lead(message=text)
    finally:
        claude.use_http_client(None)
    performance.tracker.flush()


@pytest.fixture
def replies_this_morning(ghl, claude_calls, settings):
    """Three leads text in through the signed webhook in this process, this morning, and the
    offline engine answers each (a server's own replies would wait for the end of the quiet
    hours when the suite runs at night); the samples are flushed."""
    settings.ANTHROPIC_API_KEY = ""  # Claude's faked calls were ``claude_calls``; none here
    with business_hours_clock():
        for n, name in enumerate(("Rosa", "Tom", "Ana")):
            ContactFactory(ghl_contact_id=f"perf-{n}", ghl_location_id="loc", first_name=name)
            response = ghl.post(
                {
                    "type": "InboundMessage",
                    "locationId": "loc",
                    "contactId": f"perf-{n}",
                    "conversationId": f"perf-v-{n}",
                    "messageId": f"perf-m-{n}",
                    "messageType": "SMS",
                    "direction": "inbound",
                    "body": "Hi, I want to buy a house in Riverside",
                }
            )
            assert response.status_code == 200, response.content
    performance.tracker.flush()


def log_in(page, server, next_path: str):
    page.goto(f"{server.url}/admin/login/?next={next_path}")
    page.fill("#id_username", "jorge")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}{next_path}")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_performance_page_at_desktop_and_phone_width(
    live_browser, daphne_server, jorge, replies_this_morning, device
):
    load_demo_data(password=PASSWORD)
    page = live_browser.page("phone" if device == "phone" else "laptop")
    if device == "desktop":
        page.set_viewport_size(DESKTOP)

    log_in(page, daphne_server, "/dashboard/")  # the overview reads the cache tiers
    page.wait_for_selector('[data-kpi="new_leads_today"]')
    page.goto(f"{daphne_server.url}/dashboard/performance/")
    wait_until_live(page)
    page.wait_for_selector('[data-latency="db.latency-p50"]')
    page.wait_for_selector('[data-hit-rate="live"]')
    page.wait_for_selector('[data-ai="cost"]')
    page.wait_for_selector('[data-reply="p50"]')
    page.wait_for_selector('[data-outcome="accepted"]')
    page.wait_for_function("n => document.querySelectorAll('.chart .main-svg').length >= n", arg=6)

    assert page.locator('[data-ai="cost"]').inner_text().startswith("$0.00")
    assert page.locator('[data-hit-rate="live"]').inner_text().endswith("%")
    assert page.locator('[data-outcome="accepted"] td.num').inner_text() != "0"
    assert page_has_no_horizontal_scroll(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=SCREENSHOTS / f"performance-{device}.png",
        full_page=True,
        scale="css" if device == "phone" else "device",
    )
