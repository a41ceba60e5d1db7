"""Shared plumbing of the browser journeys: Debian's headless Chromium via Playwright.

``playwright install`` cannot download here, so the launch always names
/usr/bin/chromium. Import the fixtures into a test module with
``from tests.browser import *`` (they are fixtures, so the names must be there).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-12345678"  # tests/factories.py UserFactory

browser_marks = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


@pytest.fixture
def allow_sync_db_in_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django would
    # otherwise refuse the ORM calls the test makes while it is running.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(allow_sync_db_in_playwright):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def login(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(f"{base}/")


def shot(page, name: str) -> None:
    """Save a screenshot when SCREENSHOT_DIR is set (to look at what a person sees)."""
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=f"{directory}/{name}.png", full_page=True)
