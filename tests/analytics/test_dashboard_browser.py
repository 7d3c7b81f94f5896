"""The dashboard in a real headless Chromium against daphne: log in, read the tiles, watch a
lead's text posted through the signed webhook appear without a reload, catch up after a
dropped connection, survive a failing section; screenshots for the README."""

import base64
import json
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics import selectors
from leads.models import Contact, Message
from tests.browser import page_has_no_horizontal_scroll
from tests.compliance.factories import ComplianceTicketFactory
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory, EscalationTicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def jorge():
    return UserFactory(username="jorge", is_staff=True, is_superuser=True)


def log_in(page, server, next_path="/dashboard/", password=PASSWORD):
    page.goto(f"{server.url}/admin/login/?next={next_path}")
    page.fill("#id_username", "jorge")
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}{next_path}")


def wait_until_live(page):
    page.wait_for_selector("#live-status[data-state=live]")


def tile(page, name) -> str:
    return page.locator(f'[data-kpi="{name}"]').inner_text()


def post_webhook(server, payload: dict) -> httpx.Response:
    payload = {**payload, "webhookId": str(uuid.uuid4()), "timestamp": timezone.now().isoformat()}
    body = json.dumps(payload).encode()
    signature = base64.b64encode(server.key.sign(body)).decode()
    return httpx.post(
        f"{server.url}/webhooks/ghl/",
        content=body,
        headers={"Content-Type": "application/json", "X-GHL-Signature": signature},
        timeout=30,
    )


def lead_texts(server, *, contact_id, name, text):
    """A new lead as HighLevel delivers it: the contact, then the message (signed)."""
    first, last = name.split()
    now = timezone.now().isoformat()
    created = post_webhook(
        server,
        {
            "type": "ContactCreate",
            "locationId": "demo-location",
            "id": contact_id,
            "phone": "+17145550177",
            "firstName": first,
            "lastName": last,
            "source": "Zillow",
            "dateAdded": now,
        },
    )
    message = post_webhook(
        server,
        {
            "type": "InboundMessage",
            "locationId": "demo-location",
            "contactId": contact_id,
            "conversationId": f"conv-{contact_id}",
            "messageId": f"msg-{uuid.uuid4().hex[:12]}",
            "body": text,
            "contentType": "text/plain",
            "direction": "inbound",
            "messageType": "SMS",
            "messageTypeString": "TYPE_SMS",
            "status": "delivered",
            "attachments": [],
            "dateAdded": now,
        },
    )
    assert created.status_code == message.status_code == 200, (created.text, message.text)


def test_jorge_logs_in_and_reads_the_tiles(live_browser, daphne_server, jorge):
    ContactFactory.create_batch(3, temperature="hot")
    ContactFactory(temperature="cold")
    page = live_browser.page("laptop")

    log_in(page, daphne_server)

    page.wait_for_selector('[data-kpi="hot_leads"]')
    assert tile(page, "hot_leads") == "3"
    assert tile(page, "new_leads_today") == str(selectors.overview_kpis().new_leads_today)
    assert tile(page, "open_tickets") == "0"
    assert page.locator("#chart-temperature .main-svg").count() >= 1  # Plotly drew it
    wait_until_live(page)


def test_a_lead_texting_in_appears_on_the_overview_without_a_reload(
    live_browser, daphne_server, jorge
):
    page = live_browser.page("laptop")
    log_in(page, daphne_server)
    page.wait_for_selector('[data-kpi="new_leads_today"]')
    wait_until_live(page)
    before = int(tile(page, "new_leads_today"))
    page.evaluate("() => { window.notReloaded = true; }")

    lead_texts(
        daphne_server,
        contact_id="live-ana",
        name="Ana Ruiz",
        text="Hi, I want to sell my house in Fontana",
    )

    feed = page.locator("#activity")
    feed.get_by_text("Ana Ruiz wrote").wait_for()
    assert feed.get_by_text("Hi, I want to sell my house in Fontana").is_visible()
    page.wait_for_function(
        f"() => document.querySelector('[data-kpi=new_leads_today]').textContent.trim() === '{before + 1}'"
    )
    assert page.locator("#kpi-new-leads.changed").count() == 1  # the tile flashes
    assert page.locator("li.fresh", has_text="Ana Ruiz wrote").count() == 1
    assert page.evaluate("() => window.notReloaded === true")
    assert Contact.objects.filter(first_name="Ana").exists()


def test_after_a_dropped_connection_the_page_catches_up_on_what_it_missed(
    live_browser, daphne_server, jorge
):
    page = live_browser.page("laptop")
    log_in(page, daphne_server)
    page.wait_for_selector("#activity .feed, #activity .muted")
    wait_until_live(page)

    # The network drops: the socket closes and reconnecting fails until it is back.
    page.evaluate(
        """() => {
            window.RealWebSocket = window.WebSocket;
            window.WebSocket = function () { throw new Error("offline"); };
            Dashboard.socket().close();
        }"""
    )
    page.wait_for_selector("#live-status[data-state=reconnecting]")
    lead_texts(
        daphne_server,
        contact_id="live-bo",
        name="Bo Chen",
        text="Is the Corona house still for sale?",
    )
    assert Message.objects.filter(body__startswith="Is the Corona house").exists()
    assert page.locator("#activity").get_by_text("Bo Chen wrote").count() == 0
    page.evaluate("() => { window.WebSocket = window.RealWebSocket; }")

    # Back online: the hello's sequence number is ahead of the page's, so it re-renders.
    page.locator("#activity").get_by_text("Bo Chen wrote").wait_for(timeout=20_000)
    wait_until_live(page)


def test_a_failing_section_shows_an_error_card_with_retry_and_the_rest_keeps_working(
    live_browser, daphne_server, jorge
):
    page = live_browser.page("laptop")
    failures = []

    def fail_once(route):
        if not failures:
            failures.append(route.request.url)
            route.fulfill(status=500, body="boom")
        else:
            route.continue_()

    page.route("**/dashboard/overview/activity/", fail_once)
    ContactFactory(first_name="Cleo", last_name="Park")
    log_in(page, daphne_server)

    card = page.locator("#activity .error-card")
    card.wait_for()
    assert "could not be loaded" in card.inner_text()
    page.wait_for_selector('[data-kpi="new_leads_today"]')  # the tiles loaded all the same
    page.get_by_role("button", name="Retry").click()
    page.locator("#activity").get_by_text("New lead: Cleo Park").wait_for()
    assert page.locator("#activity .error-card").count() == 0


def test_a_reviewer_is_sent_to_the_tickets_panel(live_browser, daphne_server):
    from django.contrib.auth.models import Group

    from leads.permissions import REVIEWERS_GROUP

    maria = UserFactory(username="maria", is_staff=True)
    maria.groups.add(Group.objects.get_or_create(name=REVIEWERS_GROUP)[0])
    page = live_browser.page("phone")

    page.goto(f"{daphne_server.url}/admin/login/?next=/dashboard/")
    page.fill("#id_username", "maria")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.wait_for_url(f"{daphne_server.url}/dashboard/tickets/")
    assert page.locator(".dash-nav a").all_inner_texts() == ["Tickets"]
    wait_until_live(page)


def _open_tickets():
    now = timezone.now()
    rosa = ContactFactory(first_name="Rosa", last_name="Díaz")
    EscalationTicketFactory(
        conversation=ConversationFactory(contact=rosa),
        created_at=now - timedelta(hours=1, minutes=25),
        due_at=now - timedelta(minutes=25),
        summary="Asked to talk to Jorge about the offer on Sierra Ave.",
    )
    tom = ContactFactory(first_name="Tom", last_name="Lee")
    ComplianceTicketFactory(
        conversation=ConversationFactory(contact=tom), due_at=now + timedelta(minutes=40)
    )
    EscalationTicketFactory(
        reason="anger_or_complaint",
        priority="urgent",
        summary="Upset that nobody called back.",
        created_at=now - timedelta(minutes=4),
        due_at=now + timedelta(minutes=11),
    )
    EscalationTicketFactory(
        reason="financial_review",
        priority="normal",
        summary="Financial readiness needs a look.",
        created_at=now - timedelta(minutes=50),
        due_at=now + timedelta(hours=3, minutes=10),
    )


def test_screenshots_of_the_overview_and_the_tickets_at_desktop_and_phone_width(
    live_browser, daphne_server, settings
):
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    call_command("seed_demo", password="demo-pass-123")  # and creates jorge
    _open_tickets()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    desktop = live_browser.page("laptop")
    desktop.set_viewport_size(DESKTOP)
    log_in(desktop, daphne_server, password="demo-pass-123")
    phone = live_browser.page("phone")
    log_in(phone, daphne_server, password="demo-pass-123")

    for page, width in ((desktop, "desktop"), (phone, "phone")):
        page.goto(f"{daphne_server.url}/dashboard/")
        page.wait_for_selector("#chart-per-day .main-svg")
        page.wait_for_selector("#activity .feed")
        wait_until_live(page)
        assert page_has_no_horizontal_scroll(page)
        page.screenshot(path=SCREENSHOTS / f"overview-{width}.png", full_page=True)

        page.goto(f"{daphne_server.url}/dashboard/tickets/")
        page.wait_for_selector("table.tickets")
        wait_until_live(page)
        assert page.locator("tr.overdue").count() == 1
        assert page_has_no_horizontal_scroll(page)
        page.screenshot(path=SCREENSHOTS / f"tickets-{width}.png", full_page=True)
