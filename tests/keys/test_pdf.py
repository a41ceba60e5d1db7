"""Key custody's paper forms: 《业户钥匙委托书》 (KEY-02), 《借用钥匙登记表》 (KEY-03, KEY-04),
the monthly report (KEY-09), 《紧急动用钥匙记录》 (KEY-07), 《钥匙交接班记录》 (KEY-10)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keys import services
from keys.models import Entrustment, Key
from keys.pdf import loan_log_context, previous_month
from servicedesk.core.models import Resident, Role
from tests.factories import ResidentFactory, StaffFactory, UnitFactory, UserFactory
from tests.keys.conftest import local
from tests.pdf.conftest import needs_poppler, pdf_fonts, pdf_text
from tests.visitors.test_pdf import png

pytestmark = [pytest.mark.django_db, needs_poppler]

SEPTEMBER = date(2025, 9, 1)


def flat(text: str) -> str:
    """pdftotext breaks table cells over lines: compare without any whitespace."""
    return "".join(text.split())


def fetch(client, user, url: str, tmp_path: Path, name: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    png(response.content, name)
    fonts = pdf_fonts(response.content, tmp_path)
    assert "SD-Noto-Sans-SC" in fonts and "DejaVu" not in fonts
    return pdf_text(response.content, tmp_path)


def assert_404(client, user, url: str) -> None:
    client.force_login(user)
    assert client.get(url).status_code == 404


@pytest.fixture
def other_resident(unit):
    """The owner of 1-102 (same project, another unit) with a portal login."""
    user = UserFactory(username="owner102")
    ResidentFactory(
        unit=UnitFactory(building=unit.building, number="1-102"),
        name="周洁",
        user=user,
    )
    return user


@pytest.fixture
def contractor(project):
    return StaffFactory(name="恒安装饰", roles=[Role.CONTRACTOR], projects=[project]).user


@pytest.fixture
def september(public_key, request_loan, manager, frontdesk, engineer, project):
    """September 2025: a returned loan, one returned late (damaged), a maintenance
    loan, and a loan still out (overdue), all of the public key G-001."""
    with time_machine.travel(local("2025-09-03 09:00"), tick=False):
        loan = request_loan(public_key, borrower_name="孙工", borrower_unit="工程部")
        services.loan_approve(loan=loan, by=manager)
        services.loan_checkout(loan=loan, by=frontdesk)
    with time_machine.travel(local("2025-09-03 11:30"), tick=False):
        services.loan_return(loan=loan, by=frontdesk)
    with time_machine.travel(local("2025-09-10 15:00"), tick=False):
        late = request_loan(public_key, purpose="清洗天台水箱", borrower_name="保洁班长")
        services.loan_approve(loan=late, by=manager)
        services.loan_checkout(loan=late, by=frontdesk)
    with time_machine.travel(local("2025-09-11 08:40"), tick=False):
        services.loan_return(loan=late, by=frontdesk, condition="damaged", note="钥匙齿磨损")
    with time_machine.travel(local("2025-09-15 09:00"), tick=False):
        works = request_loan(
            public_key,
            purpose="更换卫生间角阀",
            maintenance=True,
            due_at=local("2025-09-17 18:00"),
        )
        services.loan_approve(loan=works, by=manager)
        services.loan_checkout(loan=works, by=frontdesk)
    with time_machine.travel(local("2025-09-17 16:00"), tick=False):
        services.loan_return(loan=works, by=frontdesk)
    with time_machine.travel(local("2025-09-29 17:00"), tick=False):
        out = request_loan(public_key, purpose="检查天台防水", borrower_name="陈磊")
        services.loan_approve(loan=out, by=manager)
        services.loan_checkout(loan=out, by=frontdesk)
    return [loan, late, works, out]


@pytest.fixture
def emergency(spare_key, duty, frontdesk, supervisor, owner_resident):
    """A water leak in 1-101 at night: owner unreachable, emergency contact reached."""
    with time_machine.travel(local("2025-09-20 22:10"), tick=False):
        use = services.emergency_open(
            key=spare_key, kind="water_leak", reason="楼下 1-001 天花板滴水", by=duty
        )
        services.emergency_attempt(
            use=use,
            whom="owner",
            name="陈静",
            phone="13800001111",
            method="phone",
            result="no_answer",
            by=duty,
        )
    with time_machine.travel(local("2025-09-20 22:14"), tick=False):
        services.emergency_attempt(
            use=use,
            whom="emergency_contact",
            name="陈父",
            phone="13900002222",
            method="phone",
            result="reached",
            note="同意开门处置",
            by=duty,
        )
    with time_machine.travel(local("2025-09-20 22:20"), tick=False):
        services.emergency_enter(use=use, witness_name="保安 马超", by=duty)
    with time_machine.travel(local("2025-09-20 22:55"), tick=False):
        services.emergency_close(use=use, outcome="关闭进水总阀，清理积水", by=duty)
    with time_machine.travel(local("2025-09-22 10:00"), tick=False):
        services.emergency_review(use=use, by=supervisor, note="处置及时，记录完整")
    use.refresh_from_db()
    return use


# --- 《业户钥匙委托书》 --------------------------------------------------------------------


def test_the_entrustment_lists_every_use_ticked_or_not__KEY_02(
    client, spare_key, frontdesk, tmp_path
):
    entrustment = spare_key.entrustment
    url = reverse("keys:entrustment_pdf", args=[entrustment.pk])
    text = fetch(client, frontdesk, url, tmp_path, "key_entrustment_paper")
    for expected in [
        "业户钥匙委托书",
        entrustment.number,
        "陈静",
        "1-101",
        "Y-101",
        "B-01",
        "■ 紧急情况（火警、漏水等）",
        "■ 维修",
        "□ 看房",
        "□ 清洁",
        "□ 代收物品",
        "□ 查验/抄表",
        "2099年12月31日",
        "在客服前台签署纸质委托书",
        "紧急联系人",  # the emergency clause (KEY-07)
        "退还委托人",  # revocation returns the key (KEY-02)
        "委托人（业主）签字",
        "经办人（客服部）",
        "李娜",
    ]:
        assert flat(expected) in flat(text), expected


def test_a_portal_confirmation_prints_with_its_time__KEY_02(
    client, owner_resident, owner, frontdesk, tmp_path
):
    with time_machine.travel(local("2025-09-01 10:00"), tick=False):
        entrustment = services.entrustment_create(
            resident=owner_resident,
            allowed_uses=["inspection"],
            valid_until=date(2026, 8, 31),
            key_tag="Y-101B",
            by=frontdesk,
        )
    url = reverse("keys:entrustment_pdf", args=[entrustment.pk])
    pending = fetch(client, frontdesk, url, tmp_path, "key_entrustment_pending")
    assert flat("待业主签字或网上确认") in flat(pending)
    with time_machine.travel(local("2025-09-02 20:15"), tick=False):
        services.entrustment_confirm(entrustment=entrustment, by=owner, method="portal")
    text = fetch(client, owner, url, tmp_path, "key_entrustment_portal")
    assert flat("2025年9月2日 20:15 在业主门户网上确认") in flat(text)
    assert Entrustment.objects.get(pk=entrustment.pk).status == "active"


def test_the_entrustment_is_404_outside_the_project_and_the_unit__KEY_02(
    client, spare_key, outsider, other_resident, contractor, owner
):
    url = reverse("keys:entrustment_pdf", args=[spare_key.entrustment_id])
    assert_404(client, outsider, url)
    assert_404(client, other_resident, url)
    assert_404(client, contractor, url)
    client.force_login(owner)
    assert client.get(url).status_code == 200


# --- 《借用钥匙登记表》 ------------------------------------------------------------------


def test_the_loan_log_has_one_line_per_loan_with_marks__KEY_03_KEY_04(
    client, september, emergency, frontdesk, project, tmp_path
):
    url = reverse("keys:loan_log_pdf") + "?month=2025-09"
    with time_machine.travel(local("2025-10-08 09:00"), tick=False):
        text = fetch(client, frontdesk, url, tmp_path, "key_loan_log")
    for expected in [
        "借用钥匙登记表",
        "登记月份：2025年9月",
        "序号",
        "钥匙牌号",
        "开启部位",
        "借用人/部门",
        "批准人",
        "借出时间",
        "应还时间",
        "归还时间",
        "接收人",
        "G-001",
        "1栋 天台门",
        "孙工",
        "工程部",
        "王强",  # approved by the manager
        "李娜",  # received back by the front desk
        "09-03 09:00",
        "09-03 23:59",
        "09-03 11:30",
        "逾期归还",
        "归还状况：损坏",
        "维修工程",
        "09-17 18:00",
        "紧急动用",
        "紧急动用，事后复核",
        "逾期未还",
        "合计：借出 5 次",
    ]:
        assert flat(expected) in flat(text), expected
    assert text.count("G-001") >= 3


def test_the_loan_log_defaults_to_the_previous_month(client, frontdesk, project, tmp_path):
    with time_machine.travel(local("2025-01-15 10:00"), tick=False):
        text = fetch(
            client, frontdesk, reverse("keys:loan_log_pdf"), tmp_path, "key_loan_log_empty"
        )
    assert flat("登记月份：2024年12月") in flat(text)
    assert "本月无钥匙借用" in flat(text)
    assert previous_month(date(2025, 3, 31)) == date(2025, 2, 1)


def test_the_loan_log_costs_the_same_queries_for_2_and_10_loans(
    client, project, frontdesk, manager
):
    keys = [
        services.key_register(
            project=project,
            tag=f"P-{n:02d}",
            kind=Key.Kind.PLANT_ROOM,
            opens="配电房",
            by=frontdesk,
        )
        for n in range(10)
    ]

    def lend(key: Key, day: int) -> None:
        with time_machine.travel(local(f"2025-09-{day:02d} 09:00"), tick=False):
            loan = services.loan_request(key=key, purpose="巡检", by=frontdesk)
            services.loan_approve(loan=loan, by=manager)
            services.loan_checkout(loan=loan, by=frontdesk)
        with time_machine.travel(local(f"2025-09-{day:02d} 10:00"), tick=False):
            services.loan_return(loan=loan, by=frontdesk)

    for n, key in enumerate(keys[:2]):
        lend(key, n + 1)
    client.force_login(frontdesk)
    url = reverse("keys:loan_log_pdf") + "?month=2025-09"
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    for n, key in enumerate(keys[2:]):
        lend(key, n + 3)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(url).status_code == 200
    assert len(loan_log_context(project, SEPTEMBER)["rows"]) == 10
    assert len(ten) == len(two), [q["sql"] for q in ten.captured_queries]


def test_the_loan_log_is_only_for_staff_of_the_project(
    client, september, outsider, owner, contractor, project
):
    url = reverse("keys:loan_log_pdf") + f"?month=2025-09&project={project.pk}"
    assert_404(client, outsider, url)
    assert_404(client, owner, url)
    assert_404(client, contractor, url)
    client.force_login(outsider)
    # Without ?project= an outsider gets their own project's (empty) log.
    response = client.get(reverse("keys:loan_log_pdf") + "?month=2025-09")
    assert response.status_code == 200
    assert client.get(reverse("keys:loan_log_pdf") + "?month=2025-13").status_code == 404


# --- Monthly report ------------------------------------------------------------------------


def test_the_monthly_report_prints_figures_review_and_the_loan_log__KEY_09(
    client, september, emergency, frontdesk, supervisor, project, tmp_path
):
    with time_machine.travel(local("2025-10-02 09:00"), tick=False):
        report = services.report_submit(
            project=project, month=SEPTEMBER, by=frontdesk, note="天台钥匙一把齿磨损，已申请配制。"
        )
    with time_machine.travel(local("2025-10-03 14:00"), tick=False):
        services.report_review(report=report, by=supervisor, note="已阅，督促按时归还")
        url = reverse("keys:report_pdf", args=[report.pk])
        text = fetch(client, supervisor, url, tmp_path, "key_report")
    for expected in [
        "钥匙管理月报",
        "报告月份：2025年9月",
        "钥匙借用",
        "逾期未还/逾期归还",
        "紧急动用",
        "钥匙损坏",
        "钥匙遗失",
        "更换锁芯",
        "配制钥匙",
        "天台钥匙一把齿磨损",
        "张敏",  # the supervisor who reviewed it
        "已阅，督促按时归还",
        "2025-10-03 14:00",
        "借用钥匙登记表（2025年9月）",
        "G-001",
        "逾期归还",
    ]:
        assert flat(expected) in flat(text), expected
    figures = report.figures
    assert figures["loans"] == 5 and figures["overdue"] == 2 and figures["damaged"] == 1
    for number in figures["overdue_numbers"]:
        assert number in text


def test_the_monthly_report_is_404_for_another_project_and_residents(
    client, september, frontdesk, outsider, owner, project
):
    with time_machine.travel(local("2025-10-02 09:00"), tick=False):
        report = services.report_submit(project=project, month=SEPTEMBER, by=frontdesk)
    url = reverse("keys:report_pdf", args=[report.pk])
    assert_404(client, outsider, url)
    assert_404(client, owner, url)


# --- 《紧急动用钥匙记录》 ---------------------------------------------------------------------


def test_the_emergency_record_lists_attempts_in_order_and_the_review__KEY_07(
    client, emergency, frontdesk, tmp_path
):
    url = reverse("keys:emergency_pdf", args=[emergency.pk])
    text = fetch(client, frontdesk, url, tmp_path, "key_emergency")
    for expected in [
        "紧急动用钥匙记录",
        emergency.number,
        "■ 跑水/漏水",
        "□ 火警",
        "楼下 1-001 天花板滴水",
        "刘建国",
        "13800001111",
        "无人接听/联系不上",
        "陈父",
        "同意开门处置",
        "保安 马超",
        "2025-09-20 22:20",
        "2025-09-20 22:55",
        "关闭进水总阀，清理积水",
        "事后告知业主",
        "处置及时，记录完整",
        "张敏",
    ]:
        assert flat(expected) in flat(text), expected
    assert flat(text).index("陈静") < flat(text).index("陈父")  # owner first, then the contact


def test_the_owner_prints_the_emergency_record_with_phones_masked__KEY_07(
    client, emergency, owner, other_resident, outsider, contractor, tmp_path
):
    url = reverse("keys:emergency_pdf", args=[emergency.pk])
    text = fetch(client, owner, url, tmp_path, "key_emergency_owner")
    assert "138****1111" in text and "13800001111" not in text
    assert_404(client, other_resident, url)
    assert_404(client, outsider, url)
    assert_404(client, contractor, url)


# --- 《钥匙交接班记录》 -----------------------------------------------------------------------


def test_the_handover_prints_snapshot_items_and_both_signatures__KEY_10(
    client, september, project, frontdesk, manager, outsider, owner, tmp_path
):
    with time_machine.travel(local("2025-09-29 15:00"), tick=False):
        services.lock_change_record(
            project=project, location="2栋 水泵房", reason="锁芯损坏", new_tag="J-201", by=manager
        )
    with time_machine.travel(local("2025-09-29 20:00"), tick=False):
        handover = services.handover_create(
            project=project,
            taken_by=manager,
            by=frontdesk,
            other_items="对讲机 2 台、手电筒 1 支",
            discrepancies="",
        )
    with time_machine.travel(local("2025-09-29 20:05"), tick=False):
        services.handover_sign(handover=handover, by=manager, note="已当面清点")
    url = reverse("keys:handover_pdf", args=[handover.pk])
    text = fetch(client, manager, url, tmp_path, "key_handover")
    for expected in [
        "钥匙交接班记录",
        "借出未还钥匙（1 把）",
        "G-001",
        "陈磊",
        "封存/待封存钥匙（1 把）",
        "J-201",
        "待封存",
        "对讲机 2 台、手电筒 1 支",
        "无差异",
        "李娜",
        "王强",
        "2025年9月29日 20:00",
        "2025年9月29日 20:05",
        "已当面清点",
    ]:
        assert flat(expected) in flat(text), expected
    assert_404(client, outsider, url)
    assert_404(client, owner, url)


def test_every_form_prints_with_the_shipped_chinese_font(client, spare_key, frontdesk, tmp_path):
    url = reverse("keys:entrustment_pdf", args=[spare_key.entrustment_id])
    client.force_login(frontdesk)
    fonts = pdf_fonts(client.get(url).content, tmp_path)
    for line in fonts.splitlines()[2:]:
        assert " yes " in line, f"font not embedded: {line}"
    assert Resident.objects.filter(unit__number="1-101").exists()
