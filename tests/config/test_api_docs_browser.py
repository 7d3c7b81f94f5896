"""The API reference in a real browser with every outside request blocked: Swagger UI still
draws the endpoints (it used to load from a CDN and show a blank page offline)."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def test_the_api_reference_draws_every_endpoint_offline(browser, live_server):
    UserFactory(username="jorge", is_staff=True)
    page = browser.page("laptop")
    page.goto(f"{live_server.url}/api/docs/")
    page.click("a.button")  # the page's own link, which comes back here
    page.fill("#id_username", "jorge")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.wait_for_selector(".opblock", timeout=15_000)

    assert page.url == f"{live_server.url}/api/docs/"
    assert page.locator(".opblock").count() >= 3
    assert page.get_by_text("/api/v1/leads/").first.is_visible()
    assert browser.blocked == []  # nothing was asked of the internet
