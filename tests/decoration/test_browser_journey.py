"""Headless Chromium: an owner files online naming the contractor, the contractor hands in
the drawings, engineering approves, the desk takes the deposit and issues the permit and a
pass, an inspection finds a violation and a fine, the contractor applies for completion,
engineering accepts and the desk refunds 20000.00 − 500.00 = 19500.00
(DEC-01, DEC-02, DEC-04, DEC-06, DEC-10, DEC-11, DEC-12)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from decoration.models import Contractor, LedgerEntry, Permit
from servicedesk.core.models import Role
from tests.browser import browser_marks, login, new_page, shot
from tests.decoration.conftest import WORKER_ID
from tests.factories import (
    ProjectFactory,
    ResidentFactory,
    StaffFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = browser_marks

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"


@pytest.fixture(autouse=True)
def cjk_fonts(tmp_path_factory, monkeypatch):
    """Screenshots need the bundled Noto Sans SC: point fontconfig at static/fonts."""
    conf = tmp_path_factory.mktemp("fonts") / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f'<dir>{FONTS}</dir><include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        "</fontconfig>",
        encoding="utf-8",
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people(db):
    project = ProjectFactory(code="lvcheng", name="绿城花园")
    unit = UnitFactory(building__project=project, building__code="1", number="1-101")
    ResidentFactory(unit=unit, name="陈静", user=UserFactory(username="owner101"))
    contractor = UserFactory(username="hengan")
    StaffFactory(user=contractor, name="恒安装饰工程有限公司", roles=[Role.CONTRACTOR])
    Contractor.objects.create(
        name="恒安装饰工程有限公司", licence_no="JZ-2025-0001", user=contractor
    )
    for username, name, role in (
        ("lina", "李娜", Role.FRONT_DESK),
        ("sungong", "孙工", Role.ENGINEER),
        ("zhangmin", "张敏", Role.SUPERVISOR),
    ):
        StaffFactory(
            user=UserFactory(username=username), name=name, roles=[role], projects=[project]
        )
    return {"project": project, "unit": unit}


def as_user(browser, base: str, username: str):
    page = new_page(browser)
    login(page, base, username)
    return page


def submit(page, action: str) -> None:
    page.click(f"#action-{action} button[type=submit]")
    page.wait_for_load_state("load")


def status_of(page) -> str:
    return page.inner_text("[data-testid=status]")


@pytest.mark.django_db(transaction=True)
def test_owner_files_contractor_draws_engineer_approves_desk_refunds_19500__DEC_11(
    live_server, browser, people, tmp_path
):
    base = live_server.url
    today = timezone.localdate().isoformat()

    # The owner files online, naming the contractor by its licence (DEC-02, DEC-03).
    owner = as_user(browser, base, "owner101")
    owner.click("nav >> text='我的装修'")
    owner.wait_for_url(f"{base}/decoration/portal/")
    owner.click("[data-testid=portal-file]")
    owner.fill("input[name=contractor_name]", "恒安装饰工程有限公司")
    owner.fill("input[name=contractor_licence]", "JZ-2025-0001")
    owner.check("input[name=contract_signed]")
    owner.fill("input[name=site_leader_name]", "郑师傅")
    owner.fill("input[name=area_m2]", "120.00")
    owner.fill("input[name=planned_start]", today)
    owner.fill("textarea[name=items]", "墙面翻新\n水电改造")
    shot(owner, "decoration-portal-file")
    owner.click("[data-testid=submit-permit]")
    owner.wait_for_url(re.compile(r"/decoration/permits/\d+/$"))
    permit_url = owner.url
    assert status_of(owner) == "已申请，待交图纸"
    assert "业主本人网上填写" in owner.inner_text("body")
    owner.context.close()

    # The contractor logs in, finds it in its portal and uploads the floor plan (DEC-01).
    contractor = as_user(browser, base, "hengan")
    contractor.goto(f"{base}/decoration/portal/")
    contractor.click("[data-testid=portal-permits] a.mono")
    contractor.wait_for_url(permit_url)
    plan = tmp_path / "平面图.pdf"
    plan.write_bytes(PDF)
    contractor.set_input_files("input[name=drawings-plan]", str(plan))
    submit(contractor, "drawings")
    assert status_of(contractor) == "审图中"
    assert contractor.locator("[data-testid=drawing-link]").count() == 1

    # Engineering ticks the checklist and approves.
    engineer = as_user(browser, base, "sungong")
    engineer.goto(permit_url)
    for name in ("structure_ok", "water_electric_ok", "waterproofing_ok"):
        engineer.check(f"input[name=review-{name}]")
    shot(engineer, "decoration-review")
    submit(engineer, "review")
    assert status_of(engineer) == "已批准，待交押金"

    # The desk takes the deposit (prefilled 20000.00), issues the permit and a pass.
    desk = as_user(browser, base, "lina")
    desk.goto(permit_url)
    assert desk.input_value("input[name=deposit-amount]") == "20000.00"
    desk.fill("input[name=deposit-receipt_no]", "YJ-0001")
    submit(desk, "deposit")
    assert status_of(desk) == "押金已交，待发证"
    assert desk.input_value("input[name=issue-start_date]") == today
    submit(desk, "issue")
    assert status_of(desk) == "施工中"
    desk.fill("input[name=pass_issue-worker_name]", "刘强")
    desk.fill("input[name=pass_issue-id_number]", WORKER_ID)
    submit(desk, "pass_issue")
    assert desk.inner_text("[data-testid=pass-status]") == "使用中"
    assert WORKER_ID not in desk.inner_text("[data-testid=passes]")

    # The supervisor's inspection finds too few extinguishers: a violation and a fine.
    supervisor = as_user(browser, base, "zhangmin")
    supervisor.goto(permit_url)
    supervisor.fill("input[name=inspection-extinguishers_found]", "1")
    supervisor.fill("textarea[name=inspection-findings]", "现场灭火器不足")
    submit(supervisor, "inspection")
    assert "违规" in supervisor.inner_text("[data-testid=inspections]")
    supervisor.fill("input[name=fine-amount]", "500.00")
    supervisor.fill("input[name=fine-reason]", "现场灭火器不足")
    submit(supervisor, "fine")
    assert supervisor.inner_text("[data-testid=fines-outstanding]") == "500.00"
    supervisor.context.close()

    # The contractor applies for completion: the pass comes back.
    contractor.goto(permit_url)
    submit_confirmed(contractor, "completion")
    assert status_of(contractor) == "已申请验收"
    contractor.context.close()

    # Engineering accepts.
    engineer.goto(permit_url)
    engineer.check("input[name=acceptance-no_illegal_alterations]")
    engineer.check("input[name=acceptance-debris_cleared]")
    submit(engineer, "acceptance")
    assert status_of(engineer) == "验收合格，待退押金"
    engineer.context.close()

    # The desk refunds against the receipt: the unpaid fine comes off the deposit.
    desk.goto(permit_url)
    assert "应退 19500.00 元" in desk.inner_text("[data-testid=refund-plan]")
    desk.fill("input[name=refund-receipt_no]", "YJ-0001")
    submit_confirmed(desk, "refund")
    assert status_of(desk) == "已退押金，结案"
    assert desk.inner_text("[data-testid=refunded]") == "19500.00"
    assert "已退还押金 19500.00 元" in desk.inner_text("[data-testid=refund-done]")
    shot(desk, "decoration-refunded")

    permit = Permit.objects.get()
    refund = LedgerEntry.objects.get(permit=permit, kind=LedgerEntry.Kind.DEPOSIT_REFUNDED)
    assert str(refund.amount) == "19500.00"

    # The notice 《完工通知及押金返还通知》 states the refunded amount (DEC-11).
    try:
        pdf_url = reverse("decoration:pdf_refund_notice", args=[permit.pk])
    except NoReverseMatch:
        desk.context.close()
        return
    response = desk.request.get(f"{base}{pdf_url}")
    assert response.ok, response.status
    body = response.body()
    desk.context.close()
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext is not installed")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "refund.pdf"
        path.write_bytes(body)
        text = subprocess.run(  # noqa: S603 (a fixed local tool)
            [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    assert "19500.00" in text and "500.00" in text and "20000.00" in text


def submit_confirmed(page, action: str) -> None:
    """Submit an action form that asks for confirmation (data-confirm): accept the dialog."""
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page, action)
