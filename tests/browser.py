"""Browser tests: pages opened in a real headless Chromium (Debian's, at /usr/bin/chromium)
through Playwright's sync API, against pytest-django's live server.

Playwright never downloads a browser here (``python3 dev.py test`` installs Debian's
chromium), and every request to anything but the live server is aborted and recorded: a
page that would reach the internet fails its test.

Playwright's sync API runs an asyncio event loop in the test's thread while a browser is
open, and Django refuses ORM calls from a thread with a running loop
(``SynchronousOnlyOperation``). Django's documented escape hatch is the
``DJANGO_ALLOW_ASYNC_UNSAFE`` environment variable: safe here because that loop only talks
to the browser and never runs Django code concurrently with the test. It is set for the
browser tests alone, and the loop is closed before the test's database is flushed.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEVICES = {
    # An ordinary phone (390 x 844 CSS pixels, as an iPhone 12-15) and a laptop screen.
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
    "laptop": {"viewport": {"width": 1366, "height": 768}},
}


class Browser:
    """Opens pages; each page gets its own Chromium with a fresh user-data directory."""

    def __init__(self, playwright, live_server_url: str, profiles: Path):
        self._playwright = playwright
        self._origin = live_server_url.rstrip("/")
        self._profiles = profiles
        self._contexts = []
        self.blocked: list[str] = []  # requests to anything but the live server
        # What the Content-Security-Policy refused (Chromium says so on the console): a page
        # whose script, style or socket it blocks is broken, so the test fails.
        self.csp_violations: list[str] = []

    def page(self, device: str = "laptop") -> Page:
        profile = self._profiles / f"chromium-profile-{len(self._contexts)}"
        context = self._playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            **DEVICES[device],
        )
        self._contexts.append(context)
        context.route("**/*", self._only_the_live_server)
        context.on("console", self._record_csp_violation)
        context.set_default_timeout(10_000)
        return context.pages[0] if context.pages else context.new_page()

    def _record_csp_violation(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(
                f"{message.page.url if message.page else ''}: {message.text}"
            )

    def _only_the_live_server(self, route) -> None:
        url = route.request.url
        if url == self._origin or url.startswith(self._origin + "/"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def browser(live_server, tmp_path, monkeypatch) -> Iterator[Browser]:
    """A headless Chromium against ``live_server``: ``browser.page("phone")``."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        opened = Browser(playwright, live_server.url, tmp_path)
        try:
            yield opened
        finally:
            opened.close()
    assert opened.blocked == [], f"the page reached outside the site: {opened.blocked}"
    assert opened.csp_violations == [], opened.csp_violations


def page_has_no_horizontal_scroll(page: Page) -> bool:
    """Nothing on the page is wider than the screen (the classic broken phone layout)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
