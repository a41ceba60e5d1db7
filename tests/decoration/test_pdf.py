"""Decoration's official forms as PDF (DEC-01..DEC-12): 《装修施工申请表》, 《装修审图意见表》,
《装修许可证》, 施工人员出入证, 《动火申请表》, 《整改通知单》, 《罚款单》 and
《完工通知及押金返还通知》 — Chinese in the shipped font, scoped, money from the ledger."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from decoration import pdf, services
from decoration.models import Contractor, LedgerEntry, Permit, WorkerPass
from servicedesk.core.models import Resident, Role
from servicedesk.pdf import render_html
from tests.decoration.conftest import WORKER_ID, WORKER_ID_2, local
from tests.factories import ResidentFactory, StaffFactory, UnitFactory, UserFactory
from tests.pdf.conftest import needs_poppler, pdf_fonts, pdf_text
from tests.visitors.test_pdf import png

pytestmark = [pytest.mark.django_db, needs_poppler]


def flat(text: str) -> str:
    """pdftotext breaks table cells over lines: compare without any whitespace."""
    return "".join(text.split())


def fetch(client, user, url: str, tmp_path: Path, name: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")
    png(response.content, name)
    fonts = pdf_fonts(response.content, tmp_path)
    assert "SD-Noto-Sans-SC" in fonts and "DejaVu" not in fonts
    return pdf_text(response.content, tmp_path)


def assert_404(client, user, url: str) -> None:
    client.force_login(user)
    assert client.get(url).status_code == 404, url


def assert_has(text: str, *expected: str) -> None:
    for item in expected:
        assert flat(item) in flat(text), item


def photo_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 800), (40, 90, 160)).save(buffer, format="PNG")
    return SimpleUploadedFile("工人.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def other_contractor(db):
    """Another company's login, with a permit of its own elsewhere in the project."""
    user = UserFactory(username="jiangxin")
    StaffFactory(user=user, name="匠心家装", roles=[Role.CONTRACTOR])
    return user


@pytest.fixture
def other_resident(unit):
    """The owner of 1-102 (same project, another unit) with a portal login."""
    user = UserFactory(username="owner102")
    ResidentFactory(
        unit=UnitFactory(building=unit.building, number="1-102"), name="周洁", user=user
    )
    return user


@pytest.fixture
def on_site(owner, file_permit, frontdesk, engineer, contractor_user):
    """1-101 (陈静): filed on 9 Oct 2025, approved, deposit paid, issued from 13 Oct,
    one worker's pass with a photo."""
    Contractor.objects.filter(user=contractor_user).update(
        qualification="建筑装修装饰工程专业承包二级", phone="0571-86001234"
    )
    with time_machine.travel(local("2025-10-09 10:00"), tick=False):
        permit = file_permit(
            contract_no="HT-2025-088",
            site_leader_phone="13900001234",
            description="卫生间、厨房重做防水；客厅吊顶。",
        )
        services.drawings_submit(permit=permit, by=frontdesk)
    with time_machine.travel(local("2025-10-10 15:00"), tick=False):
        services.review_decide(
            permit=permit,
            by=engineer,
            approve=True,
            structure_ok=True,
            water_electric_ok=True,
            waterproofing_ok=True,
            comments="同意施工；卫生间闭水试验 48 小时。",
        )
    with time_machine.travel(local("2025-10-11 09:00"), tick=False):
        services.deposit_pay(permit=permit, amount="20000.00", receipt_no="YJ-0001", by=frontdesk)
        services.permit_issue(permit=permit, start_date=date(2025, 10, 13), by=frontdesk)
    with time_machine.travel(local("2025-10-13 08:30"), tick=False):
        services.pass_issue(
            permit=permit,
            worker_name="王建军",
            id_number=WORKER_ID,
            receipt_no="CR-0001",
            photo=photo_upload(),
            by=frontdesk,
        )
    return Permit.objects.get(pk=permit.pk)


@pytest.fixture
def violation(on_site, supervisor):
    """An inspection on 20 Oct found one extinguisher of 3: a notice and a 500.00 fine."""
    with time_machine.travel(local("2025-10-20 10:00"), tick=False):
        inspection = services.inspection_record(
            permit=on_site, by=supervisor, extinguishers_found=1, findings="楼道堆放建筑垃圾"
        )
        notice = services.notice_issue(
            permit=on_site,
            items="清理楼道垃圾；补足灭火器。",
            due_at=local("2025-10-22 18:00"),
            inspection=inspection,
            by=supervisor,
        )
        fine = services.fine_charge(
            permit=on_site,
            amount="500.00",
            reason="楼道堆放建筑垃圾，经提醒未清理",
            notice=notice,
            by=supervisor,
        )
    return notice, fine


@pytest.fixture
def accepted(on_site, violation, contractor_user, engineer, supervisor):
    """Rectified on 22 Oct, completed and accepted on 20 Nov: the fine still unpaid."""
    notice, _fine = violation
    with time_machine.travel(local("2025-10-22 16:00"), tick=False):
        services.notice_verify(notice=notice, by=supervisor, note="已清理，灭火器已补足")
    with time_machine.travel(local("2025-11-20 10:00"), tick=False):
        services.completion_apply(permit=on_site, by=contractor_user)
    with time_machine.travel(local("2025-11-21 10:00"), tick=False):
        services.acceptance_decide(permit=on_site, by=engineer, passed=True, note="验收合格")
    return Permit.objects.get(pk=on_site.pk)


# --- 《装修施工申请表》 -----------------------------------------------------------------


def test_the_application_prints_owner_contractor_items_and_signature__DEC_01_02_03_07(
    client, on_site, frontdesk, tmp_path
):
    url = reverse("decoration:pdf_application", args=[on_site.pk])
    text = fetch(client, frontdesk, url, tmp_path, "dec_application")
    assert_has(
        text,
        "装修施工申请表",
        on_site.number,
        "陈静",
        "1-101",
        "恒安装饰工程有限公司",
        "JZ-2025-0001",
        "建筑装修装饰工程专业承包二级",
        "HT-2025-088",
        "郑师傅",
        "13900001234",
        "120.00 ㎡",
        "墙面翻新",
        "水电改造",
        "2025年10月13日",
        "3 具",  # 120 m² at one per 50 m², rounded up (DEC-07)
        "20000.00",
        "■ 业主在纸质申请表上签名",
        "□ 业主本人网上填写",
        "业主已在纸质申请表上签名",
        "李娜",
    )


def test_an_online_application_says_the_owner_filed_it__DEC_02(client, unit, owner, tmp_path):
    with time_machine.travel(local("2025-10-09 20:15"), tick=False):
        permit = services.permit_file(
            unit=unit,
            contractor_name="恒安装饰工程有限公司",
            contractor_licence="JZ-2025-0001",
            area_m2="89.50",
            planned_start=date(2025, 10, 20),
            items="墙面翻新，更换地板",
            by=owner,
        )
    url = reverse("decoration:pdf_application", args=[permit.pk])
    text = fetch(client, owner, url, tmp_path, "dec_application_portal")
    assert_has(
        text, "■ 业主本人网上填写", "2025-10-09 20:15 在业主门户网上填写", "2 具", "更换地板"
    )


def test_a_tenant_of_the_unit_sees_the_phones_masked(client, on_site, unit, tmp_path):
    tenant = UserFactory(username="tenant101")
    ResidentFactory(unit=unit, name="李喆", kind=Resident.Kind.TENANT, user=tenant)
    url = reverse("decoration:pdf_application", args=[on_site.pk])
    text = fetch(client, tenant, url, tmp_path, "dec_application_tenant")
    assert "139****1234" in text and "13900001234" not in text


# --- Scope: every form, every outsider -------------------------------------------------


def test_every_form_is_404_outside_its_scope__ORG_01(
    client,
    accepted,
    violation,
    outsider,
    other_resident,
    other_contractor,
    owner,
    contractor_user,
    frontdesk,
    engineer,
):
    notice, fine = violation
    worker_pass = WorkerPass.objects.get(permit=accepted)
    urls = [
        reverse("decoration:pdf_application", args=[accepted.pk]),
        reverse("decoration:pdf_review", args=[accepted.pk]),
        reverse("decoration:pdf_permit", args=[accepted.pk]),
        reverse("decoration:pdf_refund_notice", args=[accepted.pk]),
        reverse("decoration:pdf_pass", args=[worker_pass.pk]),
        reverse("decoration:pdf_rectification", args=[notice.pk]),
        reverse("decoration:pdf_fine", args=[fine.pk]),
    ]
    for url in urls:
        assert_404(client, outsider, url)  # another project's staff
        assert_404(client, other_resident, url)  # the owner of another unit
        assert_404(client, other_contractor, url)  # the contractor of another permit
    for user in (owner, contractor_user, frontdesk):
        client.force_login(user)
        for url in urls[:2]:
            assert client.get(url).status_code == 200, (user, url)
    client.logout()
    response = client.get(urls[0])
    assert response.status_code == 302  # login first


# --- 《装修审图意见表》 -------------------------------------------------------------------


def test_the_review_form_lists_each_round_with_its_checklist__DEC_01(
    client, file_permit, frontdesk, engineer, contractor_user, tmp_path
):
    with time_machine.travel(local("2025-10-09 10:00"), tick=False):
        permit = file_permit()
        services.drawings_submit(permit=permit, by=frontdesk)
    with time_machine.travel(local("2025-10-10 11:00"), tick=False):
        services.review_decide(
            permit=permit,
            by=engineer,
            approve=False,
            structure_ok=False,
            water_electric_ok=True,
            waterproofing_ok=True,
            comments="拆除 B 轴承重墙，不予批准。",
        )
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        services.drawings_submit(permit=permit, by=contractor_user)
    url = reverse("decoration:pdf_review", args=[permit.pk])
    pending = fetch(client, frontdesk, url, tmp_path, "dec_review_pending")
    # Second round handed in Monday 13 Oct 09:00: 5 working days → Monday 20 Oct.
    assert_has(pending, "装修审图意见表", "审图期限", "2025-10-20", "审图中")
    with time_machine.travel(local("2025-10-15 16:30"), tick=False):
        services.review_decide(
            permit=permit,
            by=engineer,
            approve=True,
            structure_ok=True,
            water_electric_ok=True,
            waterproofing_ok=True,
            comments="修改后同意。",
        )
    text = fetch(client, contractor_user, url, tmp_path, "dec_review")
    assert_has(
        text,
        "平面图",
        "水电平面布置图",
        "纸质图纸",
        "审核不通过",
        "□ 不合格：不破坏主体结构/承重墙",
        "■ 合格：水电线路符合规范",
        "■ 合格：防水处理符合要求",
        "拆除 B 轴承重墙，不予批准。",
        "审核通过",
        "修改后同意。",
        "孙工",
        "2025-10-10 11:00",
        "2025-10-15 16:30",
        "5 个工作日",
    )
    assert flat(text).index("审核不通过") < flat(text).index("审核通过")


# --- 《装修许可证》 -----------------------------------------------------------------------


def test_the_permit_prints_period_deposit_receipt_and_rules__DEC_04_05_07(
    client, on_site, frontdesk, contractor_user, tmp_path
):
    url = reverse("decoration:pdf_permit", args=[on_site.pk])
    text = fetch(client, contractor_user, url, tmp_path, "dec_permit")
    assert_has(
        text,
        "装修许可证",
        "开工许可证",
        on_site.number,
        "1-101",
        "恒安装饰工程有限公司",
        "2025年10月13日",
        "2025年11月26日",  # 45 days counting the start day (DEC-05)
        "45 天",
        "3 具",
        "20000.00",
        "YJ-0001",
        "施工须知",
        "开工当日计为第 1 天",
        "工本费 10.00 元",
        "保证金 40.00 元",
        "动火证",
        "李娜",
    )


def test_the_permit_is_404_before_it_is_issued(client, approved_permit, frontdesk):
    assert_404(client, frontdesk, reverse("decoration:pdf_permit", args=[approved_permit.pk]))


# --- 施工人员出入证 ------------------------------------------------------------------------


def test_the_pass_card_shows_the_masked_id_and_the_photo__DEC_06(
    client, on_site, frontdesk, tmp_path
):
    worker_pass = WorkerPass.objects.get(permit=on_site)
    url = reverse("decoration:pdf_pass", args=[worker_pass.pk])
    text = fetch(client, frontdesk, url, tmp_path, "dec_pass")
    assert_has(
        text,
        "施工人员出入证",
        worker_pass.number,
        "王建军",
        "110***********002X",
        "1-101",
        on_site.number,
        "2025年11月26日",
        "郑师傅（施工负责人）",
        "恒安装饰工程有限公司",
    )
    assert WORKER_ID not in text and "19491231" not in text
    context = pdf.pass_context(worker_pass)
    assert context["photo"].startswith("data:image/jpeg;base64,")
    html = render_html(pdf.WORKER_PASS_TEMPLATE, context)
    assert WORKER_ID not in html and worker_pass.id_number_encrypted not in html


def test_a_pass_without_photo_prints_an_empty_box_and_a_returned_one_is_void(
    client, on_site, frontdesk, tmp_path
):
    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        second = services.pass_issue(
            permit=on_site, worker_name="李四", id_number=WORKER_ID_2, by=frontdesk
        )
        services.pass_return(worker_pass=second, by=frontdesk)
    url = reverse("decoration:pdf_pass", args=[second.pk])
    text = fetch(client, frontdesk, url, tmp_path, "dec_pass_void")
    assert_has(text, "照片", "已作废", "李四")


def test_a_missing_photo_file_does_not_break_the_pass(on_site):
    worker_pass = WorkerPass.objects.get(permit=on_site)
    worker_pass.photo.storage.delete(worker_pass.photo.name)
    assert pdf.photo_data_uri(worker_pass) == ""


# --- 《动火申请表》 -----------------------------------------------------------------------


def test_the_hot_work_form_prints_welder_certificate_checklist_and_approval__DEC_08(
    client, on_site, contractor_user, engineer, outsider, tmp_path
):
    with time_machine.travel(local("2025-10-15 09:00"), tick=False):
        hot = services.hot_work_request(
            permit=on_site,
            by=contractor_user,
            work_kind="welding",
            location="阳台防盗窗",
            starts_at=local("2025-10-16 14:00"),
            ends_at=local("2025-10-16 17:00"),
            welder_name="赵铁柱",
            welder_certificate_no="T330106198001011234",
            welder_certificate_valid_until=date(2027, 5, 31),
            guardian_name="郑师傅",
            extinguishers_ready=True,
            combustibles_cleared=True,
        )
    url = reverse("decoration:pdf_hot_work", args=[hot.pk])
    pending = fetch(client, contractor_user, url, tmp_path, "dec_hot_work_pending")
    assert_has(pending, "待审批 · 批准前不得动火")
    with time_machine.travel(local("2025-10-15 11:00"), tick=False):
        services.hot_work_decide(hot_work=hot, by=engineer, approve=True, note="注意看护")
    text = fetch(client, contractor_user, url, tmp_path, "dec_hot_work")
    assert_has(
        text,
        "动火申请表",
        hot.number,
        "■ 电焊/气焊",
        "□ 切割",
        "阳台防盗窗",
        "自 2025-10-16 14:00 至 2025-10-16 17:00",
        "赵铁柱",
        "T330106198001011234",
        "2027年5月31日",
        "■ 现场已配备灭火器",
        "■ 周边易燃物已清理",
        "同意动火",
        "孙工",
        "2025-10-15 11:00",
        "注意看护",
    )
    assert "待审批" not in flat(text)
    assert_404(client, outsider, url)


# --- 《整改通知单》 and 《罚款单》 -----------------------------------------------------------


def test_the_rectification_notice_prints_items_deadline_and_verification__DEC_10(
    client, violation, supervisor, contractor_user, tmp_path
):
    notice, fine = violation
    url = reverse("decoration:pdf_rectification", args=[notice.pk])
    text = fetch(client, contractor_user, url, tmp_path, "dec_rectification_open")
    assert_has(
        text,
        "整改通知单",
        notice.number,
        "楼道堆放建筑垃圾",
        "现场灭火器 1 具，应配 3 具。",
        "清理楼道垃圾；补足灭火器。",
        "2025-10-22 18:00",
        "张敏",
        f"罚款单 {fine.number}：500.00 元",
        "待复查",
    )
    with time_machine.travel(local("2025-10-22 16:00"), tick=False):
        services.notice_verify(notice=notice, by=supervisor, note="已清理")
    text = fetch(client, supervisor, url, tmp_path, "dec_rectification")
    assert_has(text, "■ 已整改", "2025-10-22 16:00", "已清理")


def test_the_fine_prints_the_amount_in_capitals_and_its_settlement__DEC_10_12(
    client, violation, frontdesk, contractor_user, tmp_path
):
    notice, fine = violation
    url = reverse("decoration:pdf_fine", args=[fine.pk])
    text = fetch(client, contractor_user, url, tmp_path, "dec_fine_unpaid")
    assert_has(
        text,
        "罚款单",
        fine.number,
        "楼道堆放建筑垃圾，经提醒未清理",
        notice.number,
        "¥ 500.00",
        "伍佰元整",
        "开具罚款",
        "尚欠",
        "未缴",
    )
    with time_machine.travel(local("2025-10-21 09:00"), tick=False):
        services.fine_pay(fine=fine, receipt_no="FK-SJ-0007", by=frontdesk)
    text = fetch(client, frontdesk, url, tmp_path, "dec_fine_paid")
    assert_has(text, "现金缴纳罚款", "FK-SJ-0007", "已结清")
    assert flat("尚欠0.00") in flat(text)


def test_rmb_capitals():
    assert pdf.rmb_upper(Decimal("19500.00")) == "壹万玖仟伍佰元整"
    assert pdf.rmb_upper(Decimal("10005.00")) == "壹万零伍元整"
    assert pdf.rmb_upper(Decimal("20000.50")) == "贰万元伍角"
    assert pdf.rmb_upper(Decimal("1.05")) == "壹元零伍分"
    assert pdf.rmb_upper(Decimal("0.00")) == "零元整"
    assert pdf.rmb_upper(Decimal("100010000.00")) == "壹亿零壹万元整"
    assert pdf.yuan(Decimal("20000")) == "20000.00"


# --- 《完工通知及押金返还通知》 -------------------------------------------------------------


def test_the_refund_notice_states_every_amount_from_the_ledger__DEC_11_12(
    client, accepted, violation, frontdesk, contractor_user, tmp_path
):
    url = reverse("decoration:pdf_refund_notice", args=[accepted.pk])
    text = fetch(client, contractor_user, url, tmp_path, "dec_refund_before")
    assert_has(
        text,
        "完工通知及押金返还通知",
        "2025-11-21 10:00",
        "验收合格",
        "孙工",
        "YJ-0001",
        "20000.00",
        "500.00",
        "19500.00",
        "应退 19500.00 元",
        "壹万玖仟伍佰元整",
        "10.00",  # the pass fee
        "40.00",  # its deposit, received and refunded
        "押金台账明细",
    )
    balances = services.balances(accepted)
    assert balances.pass_deposits_refunded == Decimal("40.00")
    with time_machine.travel(local("2025-11-24 10:00"), tick=False):
        _entry, plan = services.deposit_refund(permit=accepted, receipt_no="YJ-0001", by=frontdesk)
    assert plan.refund == Decimal("19500.00")
    text = fetch(client, frontdesk, url, tmp_path, "dec_refund")
    assert_has(
        text,
        "实退装修押金",
        "实退 19500.00 元",
        "罚款从押金中扣除",
        "退还装修押金",
        "2025-11-24 10:00 凭收据 YJ-0001 退还",
    )
    # Every ledger amount appears in the notice, with two decimals.
    for amount in LedgerEntry.objects.filter(permit=accepted).values_list("amount", flat=True):
        assert f"{amount:.2f}" in text


def test_the_refund_notice_settles_fines_and_deductions_exactly__DEC_11_12(
    accepted, violation, engineer, frontdesk
):
    with time_machine.travel(local("2025-11-22 09:00"), tick=False):
        services.deduction_record(
            permit=accepted, amount="1234.56", reason="损坏电梯轿厢不锈钢板", by=engineer
        )
        services.fine_charge(permit=accepted, amount="0.10", reason="补罚", by=engineer)
    context = pdf.refund_context(accepted)
    rows = {row.label: row.amount for row in context["rows"]}
    assert rows["装修押金（已收）"] == "20000.00"
    assert rows["罚款合计"] == "500.10"
    assert rows["其中：退款时从押金中扣除"] == "500.10"
    assert rows["其他扣款（损坏赔偿等）"] == "1234.56"
    assert rows["应退装修押金"] == "18265.34"
    plan = services.rules.refund_plan(services.balances(accepted))
    assert context["refund"] == f"{plan.refund:.2f}" == "18265.34"
    with time_machine.travel(local("2025-11-24 10:00"), tick=False):
        services.deposit_refund(permit=accepted, receipt_no="YJ-0001", by=frontdesk)
    closed = pdf.refund_context(Permit.objects.get(pk=accepted.pk))
    assert closed["refund"] == "18265.34"
    rows = {row.label: row.amount for row in closed["rows"]}
    assert rows["其中：已从押金中扣除"] == "500.10"


def test_the_refund_notice_is_404_before_acceptance(client, on_site, frontdesk):
    assert_404(client, frontdesk, reverse("decoration:pdf_refund_notice", args=[on_site.pk]))


def test_typed_markup_is_inert_in_every_form(client, file_permit, frontdesk, tmp_path):
    """User text is autoescaped: no element, no fetch (file, network)."""
    evil = '<img src="http://evil.invalid/x.png"><img src="file:///etc/passwd">'
    with time_machine.travel(local("2025-10-09 10:00"), tick=False):
        permit = file_permit(description=evil, items=["<b>墙面</b>"])
    html = render_html(pdf.APPLICATION_TEMPLATE, pdf.application_context(permit))
    assert '<img src="http://evil' not in html and "&lt;img" in html
    text = fetch(
        client,
        frontdesk,
        reverse("decoration:pdf_application", args=[permit.pk]),
        tmp_path,
        "dec_application_evil",
    )
    assert "evil.invalid" in text and "<b>墙面</b>" in text
