"""The leads explorer and the commission page in a real browser (headless Chromium, against
daphne as `dev.py run` serves them): log in, click a budget bar and get the filtered list,
reload and keep it; a deal won in HighLevel shows on the commission page without a reload; and
the screenshots of both pages at desktop and phone width (docs/screenshots/)."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone

from analytics.demo import load_demo_data
from leads.models import Deal, Language, Temperature
from tests.analytics.test_dashboard_browser import post_webhook, wait_until_live
from tests.browser import page_has_no_horizontal_scroll
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, DealFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "jorge-browser-test-1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def jorge(db):
    return UserFactory(username="jorge", is_staff=True, is_superuser=True, password=PASSWORD)


def log_in(page, server, next_path: str):
    page.goto(f"{server.url}/admin/login/?next={next_path}")
    page.fill("#id_username", "jorge")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}{next_path}")


def charts_drawn(page, count: int):
    page.wait_for_function(
        "n => document.querySelectorAll('.chart .main-svg').length >= n", arg=count
    )


def click_bar(page, chart: str, index: int):
    """Click the middle of a bar, as a person does (Plotly listens on the plot area above it)."""
    bar = page.locator(f'[data-filter-chart="{chart}"] g.point').nth(index)
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def listed(page) -> list[str]:
    return page.locator(".leads-table tbody tr td:first-child").all_inner_texts()


def test_clicking_a_budget_bar_filters_the_list_and_a_reload_keeps_it(
    live_browser, daphne_server, jorge
):
    for n in range(3):
        ContactFactory(first_name="Mid", last_name=f"Buyer{n}", budget_max=550_000)
    for n in range(2):
        ContactFactory(first_name="Big", last_name=f"Buyer{n}", budget_max=820_000)
    ContactFactory(first_name="Some", last_name="Seller", budget_max=None)
    page = live_browser.page("laptop")
    log_in(page, daphne_server, "/dashboard/leads/")
    charts_drawn(page, 2)
    assert len(listed(page)) == 6

    click_bar(page, "budget", 5)  # $750k–1M

    page.wait_for_url(re.compile(r"/dashboard/leads/\?budget=750k-1m$"))
    page.wait_for_function("() => document.querySelectorAll('.leads-table tbody tr').length === 2")
    assert sorted(listed(page)) == ["Big Buyer0", "Big Buyer1"]
    assert page.locator("#lead-count").inner_text() == "1–2 of 2 leads"
    assert page.locator("#id_budget").input_value() == "750k-1m"

    page.reload()

    charts_drawn(page, 2)
    assert page.url.endswith("/dashboard/leads/?budget=750k-1m")
    assert sorted(listed(page)) == ["Big Buyer0", "Big Buyer1"]
    assert page.locator("#id_budget").input_value() == "750k-1m"
    assert page.locator('[data-filter="budget"].selected').inner_text().startswith("$750k–1M")

    page.go_back()  # to the page before the bar was clicked: every lead again

    page.wait_for_url(re.compile(r"/dashboard/leads/$"))
    page.wait_for_function("() => document.querySelectorAll('.leads-table tbody tr').length === 6")
    assert page.locator("#id_budget").input_value() == ""


def test_filters_combine_from_the_form_and_the_bars_and_clicking_a_bar_again_clears_it(
    live_browser, daphne_server, jorge
):
    ContactFactory(
        first_name="Ana",
        last_name="Hot",
        budget_max=550_000,
        temperature=Temperature.HOT,
        language=Language.SPANISH,
    )
    ContactFactory(
        first_name="Ben",
        last_name="Cold",
        budget_max=560_000,
        temperature=Temperature.COLD,
        language=Language.SPANISH,
    )
    ContactFactory(
        first_name="Cy",
        last_name="Hot",
        budget_max=900_000,
        temperature=Temperature.HOT,
        language=Language.ENGLISH,
    )
    page = live_browser.page("laptop")
    log_in(page, daphne_server, "/dashboard/leads/?language=es")
    charts_drawn(page, 2)

    page.select_option("#id_temperature", "hot")
    page.wait_for_url(re.compile(r"\?temperature=hot&language=es$"))
    page.wait_for_function("() => document.querySelectorAll('.leads-table tbody tr').length === 1")
    charts_drawn(page, 2)
    click_bar(page, "budget", 3)  # $500k–600k

    page.wait_for_url(re.compile(r"\?budget=500k-600k&temperature=hot&language=es$"))
    assert listed(page) == ["Ana Hot"]
    assert page.locator("#id_temperature").input_value() == "hot"

    charts_drawn(page, 2)
    click_bar(page, "budget", 3)  # the selected bar again: any budget

    page.wait_for_function("() => !location.search.includes('budget=')")
    assert page.locator("#id_budget").input_value() == ""


def test_a_deal_won_in_highlevel_shows_on_the_commission_page_without_a_reload(
    live_browser, daphne_server, jorge
):
    contact = ContactFactory(ghl_contact_id="ghl-lopez", ghl_location_id="demo-location")
    DealFactory(
        contact=contact,
        ghl_opportunity_id="opp-lopez",
        name="Lopez purchase",
        stage=Deal.Stage.UNDER_CONTRACT,
        value=500_000,
        expected_close_on=date(2099, 1, 1),  # beyond the forecast: only the win shows
    )
    page = live_browser.page("laptop")
    log_in(page, daphne_server, "/dashboard/commission/")
    wait_until_live(page)
    year = timezone.localdate().year
    assert page.locator('[data-kpi="commission-ytd"]').inner_text() == "$0"
    page.evaluate("() => { window.notReloaded = true; }")

    response = post_webhook(
        daphne_server,
        {
            "type": "OpportunityStatusUpdate",
            "locationId": "demo-location",
            "id": "opp-lopez",
            "contactId": "ghl-lopez",
            "status": "won",
            "monetaryValue": 500000,
        },
    )

    assert response.status_code == 200, response.text
    # 500,000 × 6% ÷ 2 × 80%: Jorge's take-home, counted in this year and this month (the
    # tiles count up to it).
    for kpi in ("commission-ytd", "commission-month"):
        page.wait_for_function(
            "kpi => document.querySelector(`[data-kpi=${kpi}]`).textContent.trim() === '$12,000'",
            arg=kpi,
        )
    assert page.evaluate("() => window.notReloaded") is True
    assert f"Closed in {year}" in page.locator("#commission-live").inner_text()
    assert "Closed won" in page.locator(".deals-table tr", has_text="Lopez purchase").inner_text()


def _screenshot(page, name: str, *, phone: bool):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=True, scale="css" if phone else "device")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_screenshots_of_the_leads_explorer_and_the_commission_page(
    live_browser, daphne_server, jorge, device
):
    load_demo_data(password=PASSWORD)  # the demo's 300 leads and their deals
    page = live_browser.page("phone" if device == "phone" else "laptop")
    if device == "desktop":
        page.set_viewport_size(DESKTOP)

    log_in(page, daphne_server, "/dashboard/leads/?intent=buyer")
    charts_drawn(page, 2)
    wait_until_live(page)
    assert page_has_no_horizontal_scroll(page)
    _screenshot(page, f"leads-{device}.png", phone=device == "phone")

    page.goto(f"{daphne_server.url}/dashboard/commission/")
    charts_drawn(page, 1)
    wait_until_live(page)
    assert page.locator(".kpi-value").first.inner_text().startswith("$")
    assert page_has_no_horizontal_scroll(page)
    _screenshot(page, f"commission-{device}.png", phone=device == "phone")
