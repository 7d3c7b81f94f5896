"""The Active conversations page in a real browser (headless Chromium): Jorge logs in, sorts and
pages the table, triggers a CMA through its confirmation, replies as Jorge and sees the reply in
the transcript. Saves the screenshots in docs/screenshots/."""

from pathlib import Path

import pytest
from django.conf import settings

from analytics.demo import load_demo_data
from leads.models import Conversation, Message, OutboxMessage
from sellers.models import CMAReport
from tests.browser import page_has_no_horizontal_scroll
from tests.leads.factories import ContactFactory, receive_sms

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "demo-password-for-the-browser"

# A seller who texts the bot through the real pipeline (offline engine, outbox): her page has
# the bot's reasoning, her score history and a CMA.
ROSA = [
    "Hi, I'm thinking about selling my house",
    "It's 4200 Magnolia Ave in Riverside, and yes you can look it up",
    "We're relocating to Texas for work",
    "In about 2 months",
    "Move-in ready, we updated the kitchen last year",
    "Hoping for around 650k",
]


@pytest.fixture
def demo(live_server):
    """The demo data, and Rosa's conversation (made before the browser opens: the pipeline's
    dashboard pushes must not run beside Playwright's event loop)."""
    settings.SITE_URL = live_server.url
    load_demo_data(password=PASSWORD)
    ContactFactory(
        ghl_contact_id="ghl-rosa",
        ghl_location_id="loc",
        first_name="Rosa",
        last_name="Delgado",
        phone="+17145550142",
    )
    for text in ROSA:
        receive_sms("ghl-rosa", text)  # commits: the turn runs in-process, as on the default
    return Conversation.objects.get(contact__ghl_contact_id="ghl-rosa")


def log_in(page, live_server, path="/dashboard/conversations/"):
    page.goto(f"{live_server.url}{path}")
    page.fill("#id_username", "jorge")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}{path}")


def scores(page) -> list[int]:
    return [int(s) for s in page.locator("tbody .conv-score").all_inner_texts()]


def test_jorge_sorts_and_pages_triggers_a_cma_and_replies(demo, browser, live_server):
    page = browser.page()
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server)
    assert page.locator("h1").inner_text() == "Active conversations"
    open_count = Conversation.objects.filter(status__in=["active", "paused"]).count()
    assert page.locator(".conv-count").inner_text().endswith(f"of {open_count} conversations.")
    page.screenshot(path=SCREENSHOTS / "conversations-desktop.png")

    # Sort by score, highest first, then lowest first; each is a URL of its own.
    page.click("th a[data-sort=score]")
    page.wait_for_url("**sort=-score**")
    highest = scores(page)
    assert highest == sorted(highest, reverse=True) and len(highest) == 25
    page.click("th a[data-sort=score]")
    page.wait_for_url("**sort=score**")
    assert scores(page) == sorted(scores(page))
    assert page.locator("th[aria-sort=ascending]").text_content().startswith("Score")

    # The next page carries on where the first stopped.
    last_on_first = scores(page)[-1]
    page.click("a[rel=next]")
    page.wait_for_url("**page=2**")
    assert page.locator(".conv-count").inner_text().startswith("Showing 26–50 of")
    assert scores(page)[0] >= last_on_first
    page.go_back()
    page.wait_for_url("**sort=score")
    assert page.locator(".conv-count").inner_text().startswith("Showing 1–25 of")

    # A filter applies as soon as it is picked (an htmx trigger that needs no eval: the
    # Content-Security-Policy allows none), and picking the default again drops it.
    page.select_option("#id_status", "all")
    page.wait_for_url("**status=all**")
    every = Conversation.objects.count()
    assert every > open_count
    assert f"of {every} conversations matching" in page.locator(".conv-count").inner_text()
    page.select_option("#id_status", "open")
    page.wait_for_url("**/conversations/?sort=score")

    # Rosa, found by name: her CMA, through its confirmation.
    page.fill("#id_q", "rosa del")
    page.wait_for_url("**/conversations/?q=rosa%20del&sort=score")  # only what is not a default
    assert page.locator("tbody .conv-name").all_inner_texts() == ["Rosa Delgado"]
    page.click("tbody .row-menu summary")
    page.click("text=Trigger CMA…")
    page.wait_for_url(f"**/dashboard/conversations/{demo.pk}/cma/**")
    assert page.locator("h1").inner_text() == "Trigger a CMA for Rosa Delgado?"
    assert page.locator("#id_address").input_value() != ""
    page.click("text=Yes, prepare the CMA")
    page.wait_for_url(f"**/dashboard/conversations/{demo.pk}/?cma=*")
    report = CMAReport.objects.filter(contact=demo.contact).latest("created_at")
    panel = page.locator(f"#cma-report-{report.pk}")
    panel.locator(".cma-pdf").wait_for()
    assert "Download the PDF" in panel.inner_text() or "The PDF says why" in panel.inner_text()
    assert report.status in (CMAReport.Status.READY, CMAReport.Status.INSUFFICIENT)

    # Reply as Jorge: the reply shows in the transcript without a reload; the bot pauses.
    page.click("a[href='#reply']")
    page.fill("#id_body", "Hi Rosa, Jorge here. I just sent you the market analysis.")
    page.click("#reply button[type=submit]")
    mine = page.locator(".bubble.from-human").last
    mine.wait_for()
    assert "Jorge here. I just sent you the market analysis." in mine.inner_text()
    assert page.locator("#reply .reply-sent").inner_text() == "Sent through HighLevel."
    assert page.locator("#id_body").input_value() == ""
    assert Message.objects.get(sender="human").status == Message.Status.SENT
    assert OutboxMessage.objects.filter(
        operation="send_message", request_body__message__startswith="Hi Rosa, Jorge here"
    ).exists()
    demo.refresh_from_db()
    assert demo.status == Conversation.Status.PAUSED

    # The bot's reasoning is a click away under each of its replies.
    page.locator(".bubble.from-bot details.why summary").first.click()
    assert "Engine" in page.locator(".bubble.from-bot details.why").first.inner_text()
    page.goto(f"{live_server.url}/dashboard/conversations/{demo.pk}/")
    page.evaluate(
        "document.querySelectorAll('.bubble.from-bot details.why')[1].open = true;"
        "window.scrollTo(0, 0)"
    )
    page.screenshot(path=SCREENSHOTS / "conversation-detail-desktop.png")
    assert page_has_no_horizontal_scroll(page)


def test_on_a_phone_the_table_is_a_list_of_cards_and_the_page_fits(demo, browser, live_server):
    page = browser.page("phone")
    log_in(page, live_server)

    first, second = page.locator("tr.conv-row").all()[:2]
    assert first.bounding_box()["y"] + first.bounding_box()["height"] <= second.bounding_box()["y"]
    assert page.locator("details.filters-panel").get_attribute("open") is None
    assert page_has_no_horizontal_scroll(page)
    page.screenshot(path=SCREENSHOTS / "conversations-phone.png")

    page.goto(f"{live_server.url}/dashboard/conversations/{demo.pk}/")
    assert page.locator("h1").inner_text() == "Rosa Delgado"
    assert page.locator("details.facts-panel").get_attribute("open") is None  # folded
    assert page.locator("#thread-panel").is_visible()
    assert page_has_no_horizontal_scroll(page)
    page.screenshot(path=SCREENSHOTS / "conversation-detail-phone.png")
