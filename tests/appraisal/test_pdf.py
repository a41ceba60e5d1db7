"""The appraisal's printable records (APR-08): 《员工月绩效考核记录表》,
《员工年终绩效考核记录表》, 《员工月/年绩效考核情况统计表》 and
《年度员工绩效考核情况统计表》, visible as the records are (APR-07).

``SD_PDF_PNG_DIR=/tmp/apr pytest tests/appraisal/test_pdf.py`` keeps page images.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal import services
from appraisal.models import Assessment, Suggestion
from appraisal.pdf import record_context, record_queryset
from servicedesk.core.models import Role
from tests.appraisal.conftest import d
from tests.factories import StaffFactory
from tests.pdf.conftest import needs_poppler, pdf_text
from tests.visitors.test_pdf import assert_cjk_font_embedded, png

pytestmark = [pytest.mark.django_db, needs_poppler]


@pytest.fixture(autouse=True)
def _april_2026():
    with time_machine.travel("2026-04-10 10:00 +0800", tick=False):
        yield


def record_url(a: Assessment) -> str:
    return reverse("appraisal:monthly_record_pdf", args=[a.pk])


def year_end_url(a: Assessment) -> str:
    return reverse("appraisal:year_end_record_pdf", args=[a.pk])


def person_url(staff, year: int = 2026) -> str:
    return reverse("appraisal:person_year_pdf", args=[staff.pk, year])


def department_url(department, year: int = 2026) -> str:
    return reverse("appraisal:department_year_pdf") + f"?department={department.pk}&year={year}"


def get_pdf(client, user, url: str) -> bytes:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    return response.content


def flat(text: str) -> str:
    """pdftotext breaks lines inside table cells: compare without white space."""
    return "".join(text.split())


@pytest.fixture
def march(appraise, boss, clerk):
    """李娜's March 2026 appraisal: deductions (one 其它), a commendation, a penalty,
    finalised and acknowledged."""
    a = appraise(
        clerk,
        period=date(2026, 3, 1),
        deductions=[],
        finalise=False,
    )
    a = services.assessment_save(
        assessment=a,
        deductions=[
            services.DeductionInput(
                item="de2",
                points=d(2),
                reason="接听业主来电语气生硬，业主当场表示不满",
                standard="对客户冷淡、推诿、使用不文明用语",
            ),
            services.DeductionInput(
                item="de1",
                points=d(3),
                reason="未核对委托书即借出3-303钥匙",
                standard="违反国家法律法规或公司制度",
            ),
            services.DeductionInput(
                item="ji4", points=d("1.5"), reason="未按新通知更新公告栏", is_other=True
            ),
        ],
        bonus=d(3),
        bonus_reason="拾获业主钱包及时归还，获业主锦旗表扬",
        comment="服务意识有待加强。",
        by=boss.user,
    )
    services.penalty_add(
        assessment=a,
        measure="written_warning",
        description="违反钥匙管理规定，造成业主投诉",
        by=boss.user,
    )
    services.assessment_finalise(assessment=a, by=boss.user)
    services.assessment_acknowledge(assessment=a, by=clerk.user, comment="已知悉，今后注意")
    return Assessment.objects.get(pk=a.pk)


@pytest.fixture
def other_manager(project, other_department):
    return StaffFactory(
        name="钱经理", roles=[Role.MANAGER], projects=[project], department=other_department
    )


def test_the_monthly_record_prints_every_deduction_bonus_and_penalty__APR_08(
    client, march, clerk, tmp_path
):
    pdf = get_pdf(client, clerk.user, record_url(march))
    png(pdf, "apr_monthly_record")
    text = flat(pdf_text(pdf, tmp_path))

    for expected in (
        "员工月绩效考核记录表",
        "李娜",
        "客户服务部",
        "2026年3月",
        "操作层员工操作技能考核标准",
        "服务态度",
        "接听业主来电语气生硬",
        "对客户冷淡、推诿、使用不文明用语",
        "其它",
        "未按新通知更新公告栏",
        "拾获业主钱包及时归还",
        "书面警告",
        "违反钥匙管理规定，造成业主投诉",
        "王经理",
        "已知悉，今后注意",
        "被考核人签字",
    ):
        assert expected in text, expected
    # 德 20 − 2 − 3 = 15; 绩 30 − 1.5 = 28.5; total 93.5 + 3 bonus = 96.5
    assert "96.5" in text and "28.5" in text
    assert "■已阅知全部扣分原因并确认" in text
    assert_cjk_font_embedded(pdf, tmp_path)


def test_the_record_context_scores_come_from_the_rules__APR_02(march):
    ctx = record_context(record_queryset(Assessment.objects.all()).get(pk=march.pk))

    assert ctx["scores"].total == march.total == d("96.5")
    de = ctx["dimensions"][0]
    assert (de.label, de.score) == ("德", d(15))
    de1 = de.items[0]
    assert (de1.code, de1.score, len(de1.deductions)) == ("de1", d(2), 1)
    # Each dimension: one row per deduction or item, plus its subtotal row.
    assert ctx["rows"][0].dim_rowspan == 5
    assert sum(1 for r in ctx["rows"] if r.subtotal) == 4


def test_a_check_prints_on_the_monthly_form_with_its_kind_in_the_heading__APR_03(
    client, appraise, lead, clerk, tmp_path
):
    check = appraise(
        clerk, kind="weekly", period=date(2026, 3, 11), deductions=[("qin1", 2)], by=lead.user
    )
    pdf = get_pdf(client, lead.user, record_url(check))
    png(pdf, "apr_weekly_check")
    text = flat(pdf_text(pdf, tmp_path))

    assert "员工月绩效考核记录表（周检）" in text
    assert "2026-03-09至2026-03-15" in text
    assert "张主管" in text


def test_a_draft_is_marked_as_not_final(client, appraise, boss, clerk, tmp_path):
    draft = appraise(clerk, deductions=[("de3", 1)], finalise=False)
    text = flat(pdf_text(get_pdf(client, boss.user, record_url(draft)), tmp_path))

    assert "草稿" in text and "未定稿" in text
    assert "□已阅知" in text


def test_a_deduction_accepted_from_service_data_is_marked__CMP_22(
    client, appraise, boss, clerk, tmp_path
):
    a = appraise(clerk, finalise=False)
    suggestion = Suggestion.objects.create(
        staff=clerk,
        month=date(2026, 3, 1),
        source=Suggestion.Source.VALID_COMPLAINT,
        item_code="ji3",
        points=d(2),
        reason="本月服务态度类有效投诉 1 宗",
    )
    services.suggestion_decide(
        suggestion=suggestion, assessment=a, accept=True, reason="属实", by=boss.user
    )
    text = flat(pdf_text(get_pdf(client, boss.user, record_url(a)), tmp_path))

    assert "服务数据有效投诉" in text and "本月服务态度类有效投诉1宗" in text
    assert "“服务数据”：由投诉、首问责任等服务记录建议" in text


def test_records_print_only_for_those_who_may_see_them__APR_07(
    client, march, clerk, colleague, boss, gm_staff, other_manager, owner
):
    url = record_url(march)
    for user, status in (
        (colleague.user, 404),  # a clerk never prints a colleague's form
        (other_manager.user, 404),  # another department's manager
        (owner, 404),  # a resident
        (boss.user, 200),
        (gm_staff.user, 200),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_a_contractor_prints_nothing__APR_07(client, march):
    contractor = StaffFactory(name="恒安装饰", roles=[Role.CONTRACTOR], department=None)
    client.force_login(contractor.user)

    assert client.get(record_url(march)).status_code == 404
    assert client.get(person_url(contractor)).status_code == 404


@pytest.fixture
def excellent_year(appraise, lead, clerk):
    """李娜's 2026: a weekly check 105, a monthly appraisal 102 and a year-end 101."""
    appraise(clerk, kind="weekly", period=date(2026, 1, 5), bonus=5, by=lead.user)
    appraise(clerk, kind="spot", period=date(2026, 2, 17), deductions=[("de3", 4)], by=lead.user)
    appraise(clerk, kind="monthly", period=date(2026, 1, 1), bonus=2)
    appraise(clerk, kind="monthly", period=date(2026, 3, 1), deductions=[("ji1", 2)])
    return appraise(clerk, kind="year_end", period=date(2026, 12, 31), bonus=1)


def test_the_year_end_record_prints_the_composite_and_the_excellent_flag__APR_04_APR_05(
    client, excellent_year, clerk, tmp_path
):
    pdf = get_pdf(client, clerk.user, year_end_url(excellent_year))
    png(pdf, "apr_year_end_record")
    text = flat(pdf_text(pdf, tmp_path))

    assert "员工年终绩效考核记录表" in text and "2026年度" in text
    # checks: weekly 105 and spot 96, equal weights → 100.50; monthly (102 + 98) / 2 = 100
    # composite = 20 % × 100.5 + 30 % × 100 + 50 % × 101 = 100.60 > 100 → 优秀员工
    assert "周检1次，平均105.00（权重1）" in text
    assert "抽检1次，平均96.00（权重1）" in text
    assert "月考核2个月" in text
    assert "100.50" in text and "100.60" in text
    assert "■是" in text and "□否" in text
    # The same record also prints through the generic record URL.
    assert b"%PDF" in get_pdf(client, clerk.user, record_url(excellent_year))[:8]


def test_the_year_end_url_is_only_for_year_end_records__APR_08(client, march, clerk):
    client.force_login(clerk.user)

    assert client.get(year_end_url(march)).status_code == 404


def test_a_year_end_record_without_all_parts_has_no_composite_yet__APR_04(
    client, appraise, clerk, boss, tmp_path
):
    year_end = appraise(clerk, kind="year_end", period=date(2026, 1, 1))
    text = flat(pdf_text(get_pdf(client, boss.user, year_end_url(year_end)), tmp_path))

    assert "暂不能计算" in text and "□是" in text and "□否" in text


def test_the_person_year_statistics_print_twelve_months_checks_and_composite__APR_08(
    client, excellent_year, clerk, colleague, boss, other_manager, tmp_path
):
    pdf = get_pdf(client, clerk.user, person_url(clerk))
    png(pdf, "apr_person_year")
    text = flat(pdf_text(pdf, tmp_path))

    assert "员工月/年绩效考核情况统计表" in text
    assert "李娜" in text and "2026年" in text
    for month in ("1月", "6月", "12月"):
        assert month in text
    assert "已考核2个月" in text
    assert "102" in text and "98" in text and "100.60" in text
    assert b"%PDF" in get_pdf(client, boss.user, person_url(clerk))[:8]
    for user in (colleague.user, other_manager.user):
        client.force_login(user)
        assert client.get(person_url(clerk)).status_code == 404


def test_a_bad_year_is_not_found(client, clerk):
    client.force_login(clerk.user)

    assert client.get(person_url(clerk, year=1900)).status_code == 404
    url = reverse("appraisal:department_year_pdf") + "?year=abc"
    assert client.get(url).status_code == 404


def test_the_department_statistics_list_everyone_in_landscape__APR_08(
    client, excellent_year, appraise, colleague, boss, department, tmp_path
):
    appraise(colleague, period=date(2026, 3, 1), deductions=[("de2", 2)])
    pdf = get_pdf(client, boss.user, department_url(department))
    png(pdf, "apr_department_year")
    text = flat(pdf_text(pdf, tmp_path))

    assert "年度员工绩效考核情况统计表" in text
    for name in ("李娜", "周洁", "王经理", "张主管"):
        assert name in text
    assert "■优秀" in text and "优秀员工：李娜" in text
    assert "100.60" in text and "98" in text
    info = pdf_info(pdf, tmp_path)
    assert "A4" in info and "841.89 x 595.276" in info  # landscape


def pdf_info(pdf: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdfinfo")
    if tool is None:
        pytest.skip("pdfinfo not installed")
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run(  # noqa: S603 (fixed poppler tool, our own temp file)
        [tool, str(path)], check=True, capture_output=True, text=True
    ).stdout


def test_the_department_statistics_are_for_its_managers_and_the_gm__APR_07(
    client, boss, lead, clerk, gm_staff, other_manager, department
):
    url = department_url(department)
    for user, status in (
        (clerk.user, 404),
        (other_manager.user, 404),
        (lead.user, 200),
        (gm_staff.user, 200),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user


def test_the_department_statistics_cost_the_same_queries_for_3_or_12_people__APR_08(
    client, appraise, boss, project, department
):
    def queries() -> int:
        client.force_login(boss.user)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(department_url(department))
        assert response.status_code == 200
        return len(captured)

    people = [StaffFactory(projects=[project], department=department) for _ in range(3)]
    for p in people:
        appraise(p, period=date(2026, 3, 1), deductions=[("qin2", 1)])
    small = queries()
    for _ in range(9):
        p = StaffFactory(projects=[project], department=department)
        appraise(p, period=date(2026, 3, 1), deductions=[("qin2", 1)])
        appraise(p, kind="weekly", period=date(2026, 3, 2))
    assert queries() == small
