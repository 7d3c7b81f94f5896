"""The chat widget in a real headless Chromium on /chat/demo/: a visitor's conversation with
the bot, the rate limit's message, and a STOP; screenshots for the README."""

from pathlib import Path

import pytest

from compliance.models import ConsentRecord
from leads.models import Channel, Contact, Conversation, Message
from tests.browser import page_has_no_horizontal_scroll
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def open_demo(browser, live_server, device="laptop"):
    page = browser.page(device)
    page.goto(f"{live_server.url}/chat/demo/")
    page.wait_for_selector("#jc-panel:not([hidden])")  # the demo opens the chat at once
    return page


def say(page, text):
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send").click()


def bubbles(page, role):
    return page.locator(f".jc-{role} .jc-text")


def test_a_visitor_chats_with_the_bot_through_the_widget(browser, live_server):
    page = open_demo(browser, live_server)
    assert page.get_by_label("Your message").evaluate("el => el === document.activeElement")

    say(page, "Hi, I want to sell my house in Riverside")

    page.wait_for_selector(".jc-visitor >> text=I want to sell my house")
    bubbles(page, "assistant").nth(1).wait_for()  # the greeting, then the bot's answer
    answer = bubbles(page, "assistant").nth(1).inner_text()
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert answer == reply.body and reply.channel == Channel.WEB
    assert page.get_by_role("log").get_attribute("aria-live") == "polite"
    conversation = Conversation.objects.get()
    assert conversation.channel == Channel.WEB and not conversation.contact.is_test

    # The answer to the next message arrives by polling, and a reload keeps the conversation.
    say(page, "In about 2 months")
    bubbles(page, "assistant").nth(2).wait_for()
    page.reload()
    page.wait_for_selector(".jc-visitor >> text=In about 2 months")
    assert Conversation.objects.count() == 1
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=SCREENSHOTS / "chat-demo-desktop.png")


def test_the_widget_fits_a_phone(browser, live_server):
    page = open_demo(browser, live_server, device="phone")

    say(page, "Hola, quiero comprar una casa en Fontana")
    bubbles(page, "assistant").nth(1).wait_for()

    assert page_has_no_horizontal_scroll(page)
    box = page.locator("#jc-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=SCREENSHOTS / "chat-demo-phone.png")
    page.get_by_role("button", name="Close chat").click()
    assert page.locator("#jc-panel").is_hidden()
    assert page.get_by_role("button", name="Chat with us").get_attribute("aria-expanded") == "false"


def test_a_visitor_over_the_limit_is_told_to_wait(browser, live_server, settings):
    settings.WEBCHAT_VISITOR_LIMIT = 1
    page = open_demo(browser, live_server)
    say(page, "Hi, I want to buy a home")
    bubbles(page, "assistant").nth(1).wait_for()

    say(page, "Hello again")

    alert = page.get_by_role("alert")
    alert.filter(has_text="too quickly").wait_for()
    assert "Please wait" in alert.inner_text()
    assert page.get_by_label("Your message").input_value() == "Hello again"  # not lost
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1


def test_stop_in_chat_opts_out_and_the_bot_goes_quiet(browser, live_server):
    page = open_demo(browser, live_server)
    say(page, "Hi, I want to sell my house")
    bubbles(page, "assistant").nth(1).wait_for()

    say(page, "STOP")
    bubbles(page, "assistant").nth(2).wait_for()  # the opt-out confirmation
    say(page, "Are you there?")
    page.wait_for_selector(".jc-visitor >> text=Are you there?")
    page.wait_for_timeout(2500)  # more than one poll

    assert bubbles(page, "assistant").count() == 3
    contact = Contact.objects.get()
    assert contact.opted_out
    assert ConsentRecord.objects.filter(contact=contact, kind=ConsentRecord.Kind.REVOKED).exists()


def test_staff_try_the_bot_in_test_mode(browser, live_server):
    UserFactory(username="jorge", is_staff=True)
    page = browser.page()
    page.goto(f"{live_server.url}/admin/login/?next=/chat/demo/")
    page.fill("#id_username", "jorge")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#jc-panel:not([hidden])")
    assert page.get_by_text("Test mode: this chat is not a real lead.").is_visible()

    say(page, "Hi, I want to buy a home")
    bubbles(page, "assistant").nth(1).wait_for()

    assert Contact.objects.get().is_test
