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


def _log_in(page, live_server, path):
    UserFactory(username="jorge", is_staff=True)
    page.goto(f"{live_server.url}/admin/login/?next={path}")
    page.fill("#id_username", "jorge")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}{path}")


def test_swagger_ui_calls_the_api_under_the_content_security_policy(browser, live_server):
    # The start-up script runs with the page's nonce, and "Try it out" reaches the API with the
    # session (fetch, same origin); the fixture fails the test on any CSP violation.
    page = browser.page("laptop")
    _log_in(page, live_server, "/api/docs/")
    operation = page.locator("#operations-api-api_v1_analytics_overview_retrieve")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()

    status = operation.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for(timeout=15_000)
    assert status.inner_text().strip() == "200"


def test_redoc_draws_the_reference_under_the_content_security_policy(browser, live_server):
    page = browser.page("laptop")
    _log_in(page, live_server, "/api/redoc/")

    page.get_by_text("/api/v1/leads/analyze").first.wait_for(state="attached", timeout=15_000)
    assert page.locator("h1").first.inner_text().startswith("Jorge's real-estate AI platform")
    # Redoc's menu always draws Redocly's logo from their CDN: the policy refuses it (only the
    # link's text shows), as "nothing from a third party" wants. Anything else fails the test.
    logo = [v for v in browser.csp_violations if "https://cdn.redoc.ly/redoc/logo-mini.svg" in v]
    assert len(logo) == len(browser.csp_violations)
    browser.csp_violations.clear()
