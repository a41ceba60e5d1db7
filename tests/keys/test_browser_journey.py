"""Headless Chromium: the front desk asks to borrow a key, a manager approves it on
their own session, the desk hands the key out and takes it back; the key board
follows every step (KEY-01, KEY-03, KEY-04, ORG-04)."""

from __future__ import annotations

import re

import pytest

from keys import services
from keys.models import Key, Loan
from servicedesk.core.models import Role
from tests.browser import browser_marks, login, new_page, shot
from tests.factories import ProjectFactory, StaffFactory, UnitFactory, UserFactory

pytestmark = browser_marks


@pytest.fixture
def desk_data(db):
    project = ProjectFactory(code="lvcheng", name="绿城花园")
    UnitFactory(building__project=project, building__code="1", number="1-101")
    clerk = UserFactory(username="lina")
    StaffFactory(user=clerk, name="李娜", roles=[Role.FRONT_DESK], projects=[project])
    boss = UserFactory(username="wangqiang")
    StaffFactory(user=boss, name="王强", roles=[Role.MANAGER], projects=[project])
    key = services.key_register(
        project=project,
        tag="G-001",
        kind=Key.Kind.PUBLIC_AREA,
        opens="1栋 天台门",
        cabinet_position="A-01",
        by=clerk,
    )
    for i, opens in enumerate(["2栋 配电房", "地下车库 水泵房", "会所 储物间"], start=2):
        services.key_register(
            project=project,
            tag=f"G-00{i}",
            kind=Key.Kind.PLANT_ROOM,
            opens=opens,
            cabinet_position=f"A-0{i}",
            by=clerk,
        )
    return {"project": project, "key": key, "clerk": clerk, "boss": boss}


def board_row(page, tag: str):
    return page.locator(f"[data-testid=board] tr[data-tag='{tag}']")


@pytest.mark.django_db(transaction=True)
def test_desk_borrows_manager_approves_desk_lends_and_takes_back__KEY_03(
    live_server, browser, desk_data
):
    base = live_server.url
    desk = new_page(browser)
    login(desk, base, "lina")

    # The board: the search box has the focus; the key is in the cabinet.
    desk.click("nav >> text='钥匙'")
    desk.wait_for_url(f"{base}/keys/")
    desk.wait_for_function("document.activeElement && document.activeElement.name === 'q'")
    desk.keyboard.type("G-001")
    desk.keyboard.press("Enter")
    desk.wait_for_url(re.compile(r"/keys/\?.*q=G-001"))
    row = board_row(desk, "G-001")
    assert row.locator("[data-testid=key-status]").inner_text() == "在柜"
    assert desk.locator("[data-testid=board] tr[data-tag]").count() == 1
    desk.goto(f"{base}/keys/")
    assert desk.inner_text("[data-testid=count-available]") == "4"
    shot(desk, "keys-board-available")

    # The key page → the loan form, prefilled; the due time only for maintenance.
    board_row(desk, "G-001").locator("a.tag-no").click()
    desk.wait_for_url(re.compile(r"/keys/\d+/$"))
    assert desk.inner_text("[data-testid=status]") == "在柜"
    desk.click("[data-testid=request-loan]")
    desk.wait_for_url(re.compile(r"/keys/loans/new/\?key=\d+"))
    assert desk.input_value("input[name=key_tag]") == "G-001"
    due = desk.locator("input[name=due_at]")
    assert not due.is_visible()
    desk.check("input[name=maintenance]")
    assert due.is_visible() and due.is_enabled()
    desk.uncheck("input[name=maintenance]")
    assert not due.is_visible()
    desk.fill("input[name=purpose]", "天台水箱浮球阀维修")
    desk.fill("input[name=borrower_unit]", "工程部")
    shot(desk, "keys-loan-new")
    desk.keyboard.press("Alt+s")
    desk.wait_for_url(re.compile(r"/keys/loans/\d+/$"))
    loan_url = desk.url
    assert desk.inner_text("[data-testid=status]") == "待审批"
    assert desk.locator("#action-approve").count() == 0  # not for the requester (ORG-04)
    assert desk.locator("[data-testid=awaiting-approval]").count() == 1
    loan = Loan.objects.get()
    assert (loan.status, loan.borrower_name) == (Loan.Status.REQUESTED, "李娜")

    desk.goto(f"{base}/keys/")
    row = board_row(desk, "G-001")
    assert row.locator("[data-testid=key-status]").inner_text() == "在柜"
    assert row.locator("[data-testid=pending-loan]").inner_text() == "待审批"

    # The manager, on their own login, finds it from the home panel and approves.
    boss = new_page(browser)
    login(boss, base, "wangqiang")
    assert boss.inner_text("[data-testid=keys-awaiting-approval]") == "1"
    boss.click("[data-panel='keys.desk'] >> text=借用待审批")
    boss.wait_for_url(re.compile(r"/keys/loans/\?status=requested"))
    boss.click(f"text={loan.number}")
    boss.wait_for_url(loan_url)
    boss.fill("input[name=approve-note]", "同意，当日归还")
    boss.click("#action-approve button[type=submit]")
    boss.wait_for_selector("[data-testid=status]:has-text('已批准')")
    assert boss.inner_text("[data-testid=approved-by]") == "王强"
    boss.context.close()

    # The desk hands the key over: the board shows it out, with the borrower.
    desk.goto(loan_url)
    assert desk.inner_text("[data-testid=status]") == "已批准"
    desk.click("#action-checkout button[type=submit]")
    desk.wait_for_selector("[data-testid=status]:has-text('借出中')")
    assert desk.inner_text("[data-testid=due-at]").endswith("23:59")
    shot(desk, "keys-loan-out")
    desk.goto(f"{base}/keys/")
    row = board_row(desk, "G-001")
    assert row.locator("[data-testid=key-status]").inner_text() == "借出"
    assert row.locator("[data-testid=borrower]").inner_text() == "李娜"
    assert desk.inner_text("[data-testid=count-on_loan]") == "1"
    shot(desk, "keys-board-on-loan")

    # Back in the cabinet.
    row.locator("[data-testid=borrower] a").click()
    desk.wait_for_url(loan_url)
    assert desk.is_checked("input[name=return-condition][value=good]")
    desk.click("#action-return button[type=submit]")
    desk.wait_for_selector("[data-testid=status]:has-text('已归还')")
    desk.goto(f"{base}/keys/")
    row = board_row(desk, "G-001")
    assert row.locator("[data-testid=key-status]").inner_text() == "在柜"
    assert row.locator("[data-testid=borrower]").inner_text() == "—"
    assert desk.inner_text("[data-testid=count-available]") == "4"
    shot(desk, "keys-board-returned")
    desk.goto(loan_url)
    for label in ("提出申请", "批准", "借出", "归还"):
        assert label in desk.inner_text("[data-testid=timeline]")
    shot(desk, "keys-loan-returned")
    loan.refresh_from_db()
    assert loan.status == Loan.Status.RETURNED and loan.approved_by == desk_data["boss"]
