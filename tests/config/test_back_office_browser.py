"""The back office in a real browser (headless Chromium) at laptop width: lists fit the
screen, nothing is cut off, and a conversation reads as a chat."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, ConversationFactory, DealFactory, MessageFactory
from tests.sellers.factories import PropertyFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
LONG_TEXT = (
    "Hi, we are relocating from Orange County for work and want a 4 bedroom single story "
    "home in Riverside or Corona with a pool, RV parking and a big yard, under 750k."
)


@pytest.fixture
def logged_in(browser, live_server):
    UserFactory(username="jorge", is_staff=True, is_superuser=True)

    def open_page(device="laptop", width=None):
        page = browser.page(device)
        if width:
            page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "jorge")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        return page

    return open_page


@pytest.fixture
def data():
    for n in range(12):
        contact = ContactFactory(first_name="Guadalupe", last_name=f"Hernández-Villaseñor{n}")
        conversation = ConversationFactory(contact=contact)
        MessageFactory(conversation=conversation, body=LONG_TEXT)
        DealFactory(contact=contact, value=Decimal("1245000.00"), closed_at=datetime.now(UTC))
        PropertyFactory(address=f"{27350 + n} Mission Inn Avenue North")


def _fits(page) -> bool:
    return page.evaluate(
        "() => { const r = document.querySelector('.results');"
        " return r.scrollWidth <= r.clientWidth; }"
    )


@pytest.mark.parametrize("width", [1280, 1366])
def test_the_busiest_lists_fit_a_laptop_screen_without_cutting_anything_off(
    logged_in, live_server, data, width
):
    page = logged_in(width=width)

    for path in [
        "/admin/leads/message/",
        "/admin/leads/contact/",
        "/admin/sellers/property/",
        "/admin/leads/deal/",
        "/admin/leads/conversation/",
    ]:
        page.goto(live_server.url + path)
        assert _fits(page), f"{path} scrolls sideways at {width}px"

    page.goto(live_server.url + "/admin/leads/message/")
    text = page.locator(".message-text").first
    assert text.inner_text() == LONG_TEXT
    box = text.bounding_box()
    assert box["x"] + box["width"] <= width


def test_a_conversation_reads_as_a_chat_with_the_lead_on_the_left(logged_in, live_server):
    conversation = ConversationFactory(contact=ContactFactory(first_name="Rosa"))
    start = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    MessageFactory(conversation=conversation, body="Hola, busco casa en Fontana", sent_at=start)
    MessageFactory(
        conversation=conversation,
        direction="outbound",
        sender="bot",
        status="delivered",
        body="¡Hola Rosa! ¿Para cuándo piensa mudarse?",
        sent_at=start + timedelta(seconds=4),
    )
    page = logged_in()

    page.goto(f"{live_server.url}/admin/leads/conversation/{conversation.pk}/change/")

    lead = page.locator(".chat-in .chat-bubble").bounding_box()
    bot = page.locator(".chat-out .chat-bubble").bounding_box()
    assert lead["y"] < bot["y"]  # oldest first
    assert lead["x"] < bot["x"]  # the lead on the left, the bot on the right
    assert page.locator("input[name=_save]").count() == 0
