"""The visitor desk's paper forms: 《访客登记单》 (VIS-03, VIS-04) and the daily
《访客登记表》 (VIS-04..07)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse

from servicedesk.core.models import Role
from tests.complaints.conftest import local
from tests.factories import ResidentFactory, StaffFactory, UnitFactory, UserFactory
from tests.pdf.conftest import needs_poppler, pdf_fonts, pdf_text
from tests.visitors.conftest import resident_id
from visitors.models import Visit
from visitors.pdf import daily_log_context, slip_context, visit_queryset
from visitors.services import (
    pre_register,
    visit_amend,
    visit_consent,
    visit_register,
    visit_sign_out,
)

pytestmark = [pytest.mark.django_db, needs_poppler]

NUMBER = resident_id()  # 110105198503121234-like, valid check character
PASSPORT = "E12345678"


def slip_url(v: Visit) -> str:
    return reverse("visitors:slip-pdf", args=[v.pk])


def log_url(day: str = "2025-05-06") -> str:
    return reverse("visitors:daily-pdf", kwargs={"day": day})


def export_url(fmt: str, day: str = "2025-05-06") -> str:
    return reverse("visitors:daily-export", kwargs={"day": day, "fmt": fmt})


def png(pdf: bytes, name: str) -> None:
    """Keep page images for a look (``SD_PDF_PNG_DIR=/tmp/x pytest ...``)."""
    target = os.environ.get("SD_PDF_PNG_DIR")
    tool = shutil.which("pdftoppm")
    if not target or not tool:
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    src = Path(target) / f"{name}.pdf"
    src.write_bytes(pdf)
    subprocess.run([tool, "-r", "80", "-png", str(src), str(Path(target) / name)], check=True)  # noqa: S603


def assert_cjk_font_embedded(pdf: bytes, tmp_path: Path) -> None:
    fonts = pdf_fonts(pdf, tmp_path)
    assert "SD-Noto-Sans-SC" in fonts
    assert "DejaVu" not in fonts, "every glyph comes from the shipped font"
    for line in fonts.splitlines()[2:]:
        assert " yes " in line, f"font not embedded: {line}"


@pytest.fixture
def inside(register_visit, frontdesk):
    """A visit to 1-101 let in by phone at 09:05 on 6 May 2025."""
    with time_machine.travel(local("2025-05-06 09:00"), tick=False):
        v = register_visit(
            id_number=NUMBER, phone="13800001111", vehicle_plate="浙a12345", people_count=2
        )
    with time_machine.travel(local("2025-05-06 09:05"), tick=False):
        visit_consent(visit=v, by=frontdesk, granted=True, method="intercom")
    return visit_queryset().get(pk=v.pk)


@pytest.fixture
def day(inside, register_visit, frontdesk, duty, project, other_project, outsider):
    """6 May 2025: inside, left (corrected), refused, pending, a company visitor, a night
    visit registered by the duty manager; plus visits on the 5th, the 7th and in another
    project on the 6th, which the log must leave out."""
    with time_machine.travel(local("2025-05-06 10:00"), tick=False):
        left = register_visit(visitor_name="王五", id_type="passport", id_number=PASSPORT)
        visit_consent(visit=left, by=frontdesk, granted=True)
    with time_machine.travel(local("2025-05-06 10:30"), tick=False):
        visit_amend(visit=left, by=frontdesk, field="visitor_name", new_value="王武", reason="笔误")
        visit_amend(visit=left, by=frontdesk, field="purpose", new_value="送货", reason="补充")
    with time_machine.travel(local("2025-05-06 11:00"), tick=False):
        visit_sign_out(visit=left, by=frontdesk)
        refused = register_visit(visitor_name="赵六", id_number=resident_id(serial="456"))
        visit_consent(visit=refused, by=frontdesk, granted=False, note="业主不认识此人")
    with time_machine.travel(local("2025-05-06 14:00"), tick=False):
        register_visit(visitor_name="孙七", id_number=resident_id(serial="789"))  # pending
        register_visit(
            visitor_name="周八",
            host_unit=None,
            host_name="王强",
            host_department="客服部",
            host_position="经理",
            purpose="商务洽谈",
        )
    with time_machine.travel(local("2025-05-06 21:30"), tick=False):
        register_visit(visitor_name="吴九", purpose="送药")  # night: the duty manager registers
    with time_machine.travel(local("2025-05-05 23:50"), tick=False):
        register_visit(visitor_name="昨日访客")
    with time_machine.travel(local("2025-05-07 00:10"), tick=False):
        register_visit(visitor_name="次日访客")
    other_unit = UnitFactory(building__project=other_project, building__code="8", number="8-801")
    with time_machine.travel(local("2025-05-06 12:00"), tick=False):
        visit_register(
            project=other_project,
            visitor_name="别处访客",
            id_type="resident_id",
            id_number=resident_id(serial="999"),
            purpose="探亲",
            by=outsider,
            host_unit=other_unit,
        )
    return Visit.objects.get(visitor_name="王五")


# --- 《访客登记单》 ------------------------------------------------------------------------


def test_the_slip_has_an_upper_and_a_lower_part_with_the_serial_twice__VIS_03(
    client, inside, frontdesk, tmp_path
):
    client.force_login(frontdesk)
    response = client.get(slip_url(inside))
    assert response.status_code == 200
    png(response.content, "visit_slip_inside")
    text = pdf_text(response.content, tmp_path)
    assert text.count(inside.slip_number) == 2
    assert "上联 · 访客联" in text and "下联 · 存根联" in text
    assert "裁剪线" in "".join(text.split())
    for expected in [
        "访客登记单",
        "张伟",
        "居民身份证",
        inside.id_number_masked,
        "1-101",
        "探亲",
        "浙A12345",
        "2025-05-06 09:05",
        "被访人签名",
        "离开时请将此联交回前台",
        "可视对讲",
        "李娜",
        "13800001111",
    ]:
        assert expected in text, expected
    assert "待被访人同意" not in text


def test_the_slip_never_prints_the_full_id_number__VIS_07(client, inside, frontdesk, tmp_path):
    client.force_login(frontdesk)
    text = pdf_text(client.get(slip_url(inside)).content, tmp_path)
    assert NUMBER not in text and NUMBER not in text.replace(" ", "")
    assert NUMBER not in str(slip_context(inside))


def test_a_pending_slip_says_the_host_has_not_agreed_yet__VIS_03(
    client, register_visit, frontdesk, tmp_path
):
    with time_machine.travel(local("2025-05-06 09:00"), tick=False):
        visit = register_visit()
    client.force_login(frontdesk)
    response = client.get(slip_url(visit))
    assert response.status_code == 200
    png(response.content, "visit_slip_pending")
    text = pdf_text(response.content, tmp_path)
    assert "待被访人同意" in text
    assert text.count(visit.slip_number) == 2


def test_the_slip_prints_the_duty_manager_who_registered_at_night__VIS_05(
    client, register_visit, frontdesk, duty, tmp_path
):
    with time_machine.travel(local("2025-05-06 22:00"), tick=False):
        visit = register_visit()
    assert visit.registered_by == duty
    client.force_login(frontdesk)
    text = pdf_text(client.get(slip_url(visit)).content, tmp_path)
    assert "刘建国（录入：李娜）" in text


def test_the_slip_of_a_pre_registered_guest_names_the_resident__VIS_03(
    client, project, unit, owner, frontdesk, tmp_path
):
    from servicedesk.core.models import Resident

    with time_machine.travel(local("2025-05-06 08:30"), tick=False):
        pre = pre_register(
            resident=Resident.objects.get(user=owner),
            by=owner,
            guest_name="钱十",
            expected_on=local("2025-05-06 08:30").date(),
        )
        visit = visit_register(
            project=project,
            visitor_name="钱十",
            id_type="passport",
            id_number=PASSPORT,
            purpose="做客",
            by=frontdesk,
            host_unit=unit,
            host_resident=pre.host_resident,
            pre_registration=pre,
        )
    client.force_login(frontdesk)
    text = pdf_text(client.get(slip_url(visit)).content, tmp_path)
    assert "业主预约（陈静）" in text


def test_the_slip_prints_corrections_as_current_values__VIS_06(client, day, frontdesk, tmp_path):
    client.force_login(frontdesk)
    text = pdf_text(client.get(slip_url(day)).content, tmp_path)
    assert "王武" in text and "已更正" in text
    assert "送货" in text
    assert "访客姓名“王五”更正为“王武”" in text.replace("\n", "")


def test_the_slip_embeds_the_cjk_font(client, inside, frontdesk, tmp_path):
    client.force_login(frontdesk)
    response = client.get(slip_url(inside))
    assert_cjk_font_embedded(response.content, tmp_path)
    assert response["Content-Type"] == "application/pdf"
    assert quote(f"访客登记单-{inside.slip_number}.pdf") in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


def test_the_slip_is_staff_only_and_scoped__ORG_01(client, inside, owner, outsider):
    client.force_login(owner)  # the host resident: the desk's form is not theirs
    assert client.get(slip_url(inside)).status_code == 403
    client.force_login(outsider)
    assert client.get(slip_url(inside)).status_code == 404
    other = UserFactory(username="owner11101")
    ResidentFactory(
        unit=UnitFactory(building=inside.host_unit.building, number="1-102"), user=other
    )
    client.force_login(other)
    assert client.get(slip_url(inside)).status_code == 404


def test_the_slip_needs_a_login_and_get(client, inside, frontdesk):
    assert client.get(slip_url(inside)).status_code == 302
    client.force_login(frontdesk)
    assert client.post(slip_url(inside)).status_code == 405
    assert client.get("/visitors/999999/slip.pdf").status_code == 404


# --- Daily 《访客登记表》 ---------------------------------------------------------------------


def test_the_urls_are_under_visitors():
    assert reverse("visitors:slip-pdf", args=[7]) == "/visitors/7/slip.pdf"
    assert log_url() == "/visitors/log/2025-05-06.pdf"
    assert export_url("xlsx") == "/visitors/log/2025-05-06.xlsx"
    assert export_url("csv") == "/visitors/log/2025-05-06.csv"


def test_the_daily_log_lists_that_day_of_the_users_projects_only(client, day, frontdesk, tmp_path):
    client.force_login(frontdesk)
    response = client.get(log_url())
    assert response.status_code == 200
    png(response.content, "visitor_daily_log")
    text = pdf_text(response.content, tmp_path)
    flat = "".join(text.split())
    assert "客服部王强（经理）" in flat
    for expected in ["访客登记表", "2025年5月6日", "张伟", "王武", "赵六", "孙七", "周八", "吴九"]:
        assert expected in text, expected
    for absent in ["昨日访客", "次日访客", "别处访客", "滨江苑"]:
        assert absent not in text, absent
    assert "被访人拒绝" in text and "待被访人同意" in text and "已离开" in text
    assert "刘建国（录入：李娜）" in "".join(text.split())  # 21:30: the duty manager (VIS-05)
    assert quote("访客登记表-2025-05-06.pdf") in response["Content-Disposition"]


def test_the_daily_log_shows_corrections_as_current_values__VIS_06(
    client, day, frontdesk, tmp_path
):
    ctx = daily_log_context(local("2025-05-06 12:00").date(), frontdesk)
    row = next(r for r in ctx["rows"] if r.slip_number == day.slip_number)
    assert row.visitor_name == "王武" and row.purpose == "送货"
    assert row.corrected_labels == ["访客姓名", "来访事由"]
    client.force_login(frontdesk)
    text = pdf_text(client.get(log_url()).content, tmp_path)
    assert "王武" in text and "已更正" in text
    assert "更正记录" in "".join(text.split()) and "笔误" in text  # the original stays on paper


def test_the_daily_log_never_prints_a_full_id_number__VIS_07(client, day, frontdesk, tmp_path):
    client.force_login(frontdesk)
    text = pdf_text(client.get(log_url()).content, tmp_path)
    assert NUMBER not in text and PASSPORT not in text
    assert Visit.objects.get(pk=day.pk).id_number_masked in text


def test_the_daily_log_embeds_the_cjk_font(client, day, frontdesk, tmp_path):
    client.force_login(frontdesk)
    assert_cjk_font_embedded(client.get(log_url()).content, tmp_path)


def test_a_long_daily_log_repeats_its_header_on_every_page(
    client, register_visit, frontdesk, tmp_path
):
    with time_machine.travel(local("2025-05-06 09:00"), tick=False):
        for i in range(45):
            register_visit(visitor_name=f"访客{i}", purpose="送快递" * (i % 4 + 1))
    client.force_login(frontdesk)
    response = client.get(log_url())
    png(response.content, "visitor_daily_log_long")
    text = pdf_text(response.content, tmp_path)
    pages = [p for p in text.split("\f") if "-20250506-00" in p]  # pages with rows
    assert len(pages) >= 2
    for page in pages:
        assert "登记单号" in page and "证件号码" in page
    assert "访客44" in text


def test_the_daily_log_costs_a_fixed_number_of_queries(
    day, frontdesk, register_visit, django_assert_num_queries
):
    when = local("2025-05-06 12:00").date()
    daily_log_context(when, frontdesk)  # warm the viewer cache

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            result = daily_log_context(when, frontdesk)
        assert result["rows"]
        return len(ctx.captured_queries)

    few = count()
    with time_machine.travel(local("2025-05-06 15:00"), tick=False):
        for i in range(5):
            v = register_visit(visitor_name=f"补{i}")
            visit_amend(visit=v, by=frontdesk, field="purpose", new_value="改", reason="更正")
    assert count() == few


def test_a_bad_date_is_404(client, frontdesk):
    client.force_login(frontdesk)
    assert client.get("/visitors/log/2025-02-30.pdf").status_code == 404
    assert client.get("/visitors/log/2025-13-01.csv").status_code == 404
    assert client.get("/visitors/log/yesterday.pdf").status_code == 404
    assert client.get("/visitors/log/2025-05-06.xls").status_code == 404


def test_the_daily_log_is_staff_only(client, day, owner):
    client.force_login(owner)
    assert client.get(log_url()).status_code == 403
    assert client.get(export_url("csv")).status_code == 403
    assert client.get(export_url("xlsx")).status_code == 403


def test_staff_of_another_project_see_only_their_own_visits(client, day, outsider, tmp_path):
    client.force_login(outsider)
    text = pdf_text(client.get(log_url()).content, tmp_path)
    assert "别处访客" in text and "张伟" not in text


def test_a_company_wide_reader_sees_every_project(client, day, tmp_path):
    gm = StaffFactory(name="孙志强", roles=[Role.GENERAL_MANAGER]).user
    client.force_login(gm)
    text = pdf_text(client.get(log_url()).content, tmp_path)
    assert "别处访客" in text and "张伟" in text


def test_an_empty_day_prints_an_empty_log(client, frontdesk, tmp_path):
    client.force_login(frontdesk)
    text = pdf_text(client.get(log_url("2024-01-01")).content, tmp_path)
    assert "当日无访客登记" in text and "绿城花园" in text
