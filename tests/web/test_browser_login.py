"""Headless Chromium logs in through the form and sees the home page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from servicedesk.core.models import Role
from tests.factories import ProjectFactory, StaffFactory, UserFactory

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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


@pytest.fixture
def allow_sync_db_in_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django would
    # otherwise refuse the ORM calls the test makes while it is running.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser_page(allow_sync_db_in_playwright):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.mark.django_db(transaction=True)
def test_a_front_desk_clerk_logs_in_and_sees_the_home_page(live_server, browser_page):
    project = ProjectFactory(code="lvcheng", name="绿城花园")
    user = UserFactory(username="lina")
    StaffFactory(user=user, name="李娜", roles=[Role.FRONT_DESK], projects=[project])
    page = browser_page

    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "lina")
    page.fill("input[name=password]", "pw-12345678")
    page.click(".login-card button[type=submit]")

    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "今日工作台"
    assert page.locator("[data-panel='core.today']").is_visible()
    assert page.locator("[data-panel='core.notifications']").is_visible()
    assert "李娜" in page.locator(".topbar").inner_text()
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=f"{os.environ['SCREENSHOT_DIR']}/browser-home.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_clicking_a_demo_account_fills_the_login_form(live_server, browser_page, settings):
    settings.DEMO_MODE = True
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.click("button.demo-account[data-username='manager']")
    assert page.input_value("input[name=username]") == "manager"
    assert page.input_value("input[name=password]") == "demo12345"
