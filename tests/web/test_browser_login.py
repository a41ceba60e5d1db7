"""Headless Chromium logs in through the form and sees the home page."""

from __future__ import annotations

import os

import pytest

from servicedesk.core.models import Role
from tests.browser import browser_marks, new_page
from tests.factories import ProjectFactory, StaffFactory, UserFactory

pytestmark = browser_marks


@pytest.fixture
def browser_page(browser):
    return new_page(browser)


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
