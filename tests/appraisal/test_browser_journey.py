"""Headless Chromium: a manager enters and finalises a month's appraisal, the staff
member reads every deduction's reason and acknowledges, the dashboard shows the total."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.utils import timezone

from appraisal.models import Assessment, CriteriaSet
from appraisal.selectors import add_months
from servicedesk.core.models import Role
from tests.browser import browser_marks, login, new_page, shot
from tests.factories import DepartmentFactory, ProjectFactory, StaffFactory, UserFactory

pytestmark = browser_marks


@pytest.fixture
def desk_data(db):
    """The default criteria come from a data migration; a flushed database lacks them."""
    if not CriteriaSet.objects.filter(status="published").exists():
        importlib.import_module("appraisal.migrations.0002_default_criteria").seed(apps, None)
    project = ProjectFactory(code="lvcheng", name="绿城花园")
    department = DepartmentFactory(code="service", name="客户服务部")
    manager = StaffFactory(
        user=UserFactory(username="wang"),
        name="王经理",
        roles=[Role.MANAGER],
        projects=[project],
        department=department,
    )
    clerk = StaffFactory(
        user=UserFactory(username="lina"),
        name="李娜",
        roles=[Role.FRONT_DESK],
        projects=[project],
        department=department,
    )
    StaffFactory(name="周洁", roles=[Role.FRONT_DESK], projects=[project], department=department)
    # Real time with live_server: last month is a past period the services accept,
    # and the month the dashboard opens on.
    month = add_months(timezone.localdate().replace(day=1), -1)
    return {"manager": manager, "clerk": clerk, "month": month}


@pytest.mark.django_db(transaction=True)
def test_manager_appraises_staff_acknowledges_dashboard_shows_it__APR_02_APR_07_APR_10(
    live_server, browser, desk_data
):
    base = live_server.url
    clerk = desk_data["clerk"]
    month = f"{desk_data['month']:%Y-%m}"

    boss = new_page(browser)
    login(boss, base, "wang")
    boss.click("nav >> text=员工考核")
    boss.wait_for_url(f"{base}/appraisal/")
    row = boss.locator(f"[data-testid=scores] tr[data-staff='{clerk.pk}']")
    assert "未考核" in row.inner_text()
    row.locator("[data-testid=start]").click()
    boss.wait_for_url(re.compile(r"/appraisal/new/\?"))
    assert boss.input_value("input[name=period]") == month
    boss.click("[data-testid=open]")
    boss.wait_for_url(re.compile(r"/appraisal/\d+/entry/$"))
    a = Assessment.objects.get(staff=clerk)
    assert a.kind == "monthly" and a.period == desk_data["month"]

    # Keyboard first: the first row's item has the focus.
    boss.wait_for_function("document.activeElement && document.activeElement.name === 'd-0-item'")
    assert boss.inner_text("[data-total]") == "100.00"
    boss.select_option("select[name=d-0-item]", "de2")
    boss.fill("input[name=d-0-points]", "2")
    boss.select_option("select[name=d-0-standard]", "与客户争吵")
    boss.fill("input[name=d-0-reason]", "11 日与 3-502 业主在前台争吵")
    assert boss.inner_text("[data-total]") == "98.00"
    assert boss.inner_text("[data-item-score='de2']") == "3.00"
    boss.press("input[name=d-0-reason]", "Enter")  # adds a row, does not submit
    boss.wait_for_function("document.activeElement && document.activeElement.name === 'd-1-item'")
    assert boss.url.endswith("/entry/")
    boss.select_option("select[name=d-1-item]", "qin2")
    boss.fill("input[name=d-1-points]", "1.5")
    boss.select_option("select[name=d-1-standard]", "__other__")
    boss.fill("input[name=d-1-reason]", "未参加 15 日的消防演练")
    assert boss.inner_text("[data-total]") == "96.50"
    assert boss.inner_text("[data-dim-total='qin']") == "18.50"
    # From the criteria table: a row for ji1 with the focus on its points; then removed.
    boss.click("[data-item-row='ji1'] [data-add-row]")
    boss.wait_for_function("document.activeElement && document.activeElement.name === 'd-2-points'")
    assert boss.input_value("select[name=d-2-item]") == "ji1"
    boss.keyboard.type("3")
    assert boss.inner_text("[data-total]") == "93.50"
    boss.check("input[name=d-2-DELETE]")
    assert boss.inner_text("[data-total]") == "96.50"
    boss.fill("textarea[name=comment]", "服务态度需改进。")
    shot(boss, "appraisal-entry")
    boss.click("[data-testid=finalise]")
    boss.wait_for_url(f"{base}/appraisal/{a.pk}/")
    assert boss.inner_text("[data-testid=status]") == "已定稿"
    assert boss.inner_text("[data-testid=scores] [data-testid=total]") == "96.50"
    a.refresh_from_db()
    assert a.status == "final" and a.total == 96.5

    # The staff member, in their own browser context.
    staff = new_page(browser)
    login(staff, base, "lina")
    assert "待确认的考核" in staff.inner_text("main")
    staff.click("nav >> text=我的考核")
    staff.wait_for_url(f"{base}/appraisal/mine/")
    staff.click("[data-testid=pending] >> text=查看并确认")
    staff.wait_for_url(re.compile(rf"/appraisal/{a.pk}/"))
    reasons = staff.inner_text("[data-testid=deductions]")
    assert "11 日与 3-502 业主在前台争吵" in reasons and "与客户争吵" in reasons
    assert "未参加 15 日的消防演练" in reasons and "其它" in reasons
    staff.fill("textarea[name=ack-comment]", "已知悉，会改进。")
    staff.evaluate("window.scrollTo(0, 0)")  # the sticky top bar, for the full-page shot
    shot(staff, "appraisal-assessment")
    staff.click("[data-testid=acknowledge]")
    staff.wait_for_selector("text=已确认。")
    assert staff.inner_text("[data-testid=status]") == "本人已确认"
    assert "已知悉，会改进。" in staff.inner_text("[data-testid=staff-comment]")

    # The manager's dashboard shows the person appraised with their total.
    boss.goto(f"{base}/appraisal/")
    row = boss.locator(f"[data-testid=scores] tr[data-staff='{clerk.pk}']")
    assert row.locator("[data-testid=total]").inner_text() == "96.50"
    assert row.locator("[data-testid=status]").inner_text() == "本人已确认"
    assert (
        boss.inner_text("[data-testid=appraised-count]") == "1 / 2"
    )  # 李娜 of 李娜 and 周洁; the manager is not on his own board
    assert "未参加 15 日的消防演练" in boss.inner_text("[data-testid=top-reasons]")
    # Both charts were drawn by the static script from the json_script data.
    boss.wait_for_function(
        "window.Chart && Chart.getChart('distribution-chart') && Chart.getChart('trend-chart')"
    )
    shot(boss, "appraisal-dashboard")
    href = row.locator("[data-testid=record-link]").get_attribute("href")
    assert href == f"/appraisal/{a.pk}/"
