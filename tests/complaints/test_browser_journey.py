"""Headless Chromium: an owner files online, the desk handles it, the owner confirms."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from complaints.models import Category, Channel, Complaint
from complaints.services import complaint_file
from servicedesk.core.models import Role
from tests.browser import browser_marks, login, new_page, shot
from tests.factories import ProjectFactory, ResidentFactory, StaffFactory, UnitFactory, UserFactory

pytestmark = browser_marks


@pytest.fixture
def desk_data(db):
    """The complaints defaults come from a data migration; a flushed database lacks them."""
    if not Channel.objects.filter(code="online").exists():
        importlib.import_module("complaints.migrations.0002_defaults").seed(apps, None)
    project = ProjectFactory(code="lvcheng", name="绿城花园")
    unit = UnitFactory(building__project=project, building__code="1", number="1-101")
    owner = UserFactory(username="owner101")
    ResidentFactory(unit=unit, name="陈静", user=owner, phone="+8613811112222")
    clerk = UserFactory(username="lina")
    StaffFactory(user=clerk, name="李娜", roles=[Role.FRONT_DESK], projects=[project])
    return {"project": project, "unit": unit, "owner": owner, "clerk": clerk}


@pytest.mark.django_db(transaction=True)
def test_owner_files_desk_handles_owner_confirms(live_server, browser, desk_data):
    base = live_server.url
    owner = new_page(browser)
    login(owner, base, "owner101")
    owner.click("nav >> text=我的投诉")
    owner.click("[data-testid=portal-new]")
    owner.select_option("select[name=kind]", "complaint")
    owner.fill("textarea[name=description]", "楼上装修噪音，晚上十点还在施工")
    owner.fill("input[name=location]", "1栋 1-201")
    owner.fill("input[name=expectation]", "晚上不要施工")
    owner.click("button:has-text('提交')")
    owner.wait_for_url(re.compile(r"/complaints/my/\d+/$"))
    number = owner.locator("h1").inner_text().split()[0]
    c = Complaint.objects.get(number=number)
    assert c.channel.code == "online"

    desk = new_page(browser)
    login(desk, base, "lina")
    desk.goto(f"{base}/complaints/")
    desk.click(f"text={number}")
    desk.wait_for_url(f"{base}/complaints/{c.pk}/")
    desk.fill("#action-contact input[name=contact-note]", "已电话联系业主")
    desk.click("#action-contact button[type=submit]")
    assert desk.locator("[data-testid=status]").inner_text() == "处理中"
    desk.fill("#action-reply textarea[name=reply-text]", "已通知装修户晚上停止施工")
    desk.click("#action-reply button[type=submit]")
    desk.fill("#action-rectify textarea[name=rectify-note]", "装修户已承诺 18 点后停工")
    desk.click("#action-rectify button[type=submit]")
    assert desk.locator("[data-testid=status]").inner_text() == "待回访"

    owner.reload()
    owner.check("input[name=result][value=satisfied]")
    owner.fill("textarea[name=note]", "处理及时")
    owner.click("[data-testid=portal-callback] button[type=submit]")
    assert owner.locator("[data-testid=status]").inner_text() == "已结案"

    desk.reload()
    assert desk.locator("[data-testid=status]").inner_text() == "已结案"
    assert "业主在线确认" in desk.locator("[data-testid=callbacks]").inner_text()
    shot(desk, "complaints-detail-closed")
    shot(owner, "complaints-portal-detail")

    # The closed complaint shows in the month's statistics, satisfied (CMP-16).
    desk.goto(f"{base}/complaints/stats/")
    assert int(desk.locator("[data-testid=stats-total]").inner_text()) >= 1
    assert desk.locator("[data-testid=stats-satisfaction]").inner_text().startswith("100")
    shot(desk, "complaints-stats")


@pytest.mark.django_db(transaction=True)
def test_intake_lookup_fills_the_caller_and_flags_a_repeat(live_server, browser, desk_data):
    base = live_server.url
    project, unit, clerk = desk_data["project"], desk_data["unit"], desk_data["clerk"]
    facilities = Category.objects.get(code="facilities")
    phone = Channel.objects.get(code="phone")
    now = timezone.now()
    other = UnitFactory(building=unit.building, number="1-102")
    for i, (u, hours, text) in enumerate(
        [
            (unit, 30, "厨房水管漏水，楼下天花板滴水"),
            (other, 3, "电梯异响"),
            (unit, 1, "门禁卡失效"),
            (other, 0.2, "地下车库灯不亮"),
        ]
    ):
        complaint_file(
            project=project,
            unit=u,
            channel=phone,
            category=facilities if i != 2 else Category.objects.get(code="other"),
            description=text,
            reporter_name="陈静" if u == unit else "王芳",
            reporter_phone="13811112222",
            received_at=now - timedelta(hours=hours),
            hot=i == 1,
            by=clerk,
        )
    page = new_page(browser)
    login(page, base, "lina")
    page.click("nav >> text=投诉受理")
    page.wait_for_url(f"{base}/complaints/new/")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'lookup-q'")
    assert page.evaluate("document.activeElement.id") == "lookup-q"
    page.keyboard.type("2222")
    page.wait_for_selector(".lookup-pick")
    page.keyboard.press("Enter")  # picks the first match, does not submit
    assert page.input_value("input[name=reporter_name]") == "陈静"
    assert page.input_value("input[name=reporter_phone]") == "13811112222"
    assert page.input_value("input[name=unit]") == str(unit.pk)
    page.wait_for_selector("[data-testid=unit-history]")
    page.select_option("select[name=category]", str(facilities.pk))
    page.wait_for_selector("[data-testid=repeat-flag]")
    page.fill("textarea[name=description]", "厨房水管又漏水了，要求今天修好并检修楼下")
    page.fill("input[name=location]", "厨房水槽下")
    page.wait_for_selector("[data-testid=suggestions]")
    shot(page, "complaints-intake")
    page.keyboard.press("Alt+s")
    page.wait_for_url(re.compile(r"/complaints/\d+/$"))
    c = Complaint.objects.order_by("-id").first()
    assert c is not None and c.description.startswith("厨房水管又漏水")
    assert c.unit == unit
    shot(page, "complaints-detail")

    page.goto(f"{base}/complaints/")
    assert page.locator("tr.row-overdue").count() >= 1
    shot(page, "complaints-queue")
    page.goto(f"{base}/")
    assert page.locator("[data-panel='complaints.due'] li.overdue").count() >= 1
    shot(page, "complaints-home")
