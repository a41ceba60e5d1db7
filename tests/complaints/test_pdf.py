"""The complaint desk's PDFs: 《投诉记录表》 (CMP-03, CMP-17) and 《回访记录表》 (CMP-12)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse

from complaints.models import Callback, Clock, Complaint
from complaints.pdf import callback_record_context, complaint_queryset, complaint_record_context
from complaints.services import (
    complaint_callback,
    complaint_contact,
    complaint_extend,
    complaint_file,
    complaint_merge,
    complaint_rectify,
    complaint_reply,
)
from servicedesk import pdf as sdpdf
from servicedesk.core.models import Department
from servicedesk.pdf import render_html
from tests.complaints.conftest import local
from tests.factories import ResidentFactory, UnitFactory, UserFactory
from tests.pdf.conftest import needs_poppler, pdf_fonts, pdf_text

pytestmark = [pytest.mark.django_db, needs_poppler]

EVIL = '<img src="http://evil.example/x.png"><script>alert(1)</script>'


def record_url(c: Complaint) -> str:
    return reverse("complaints:record-pdf", args=[c.pk])


def callback_url(c: Complaint) -> str:
    return reverse("complaints:callback-pdf", args=[c.pk])


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


@pytest.fixture
def handled(file_complaint, frontdesk, supervisor, manager, unit):
    """TS-…: filed by 李娜, two reporters (a merged duplicate), contacted, replied with
    a promise, extended once, rectified, one unanswered and one satisfied callback."""
    dept = Department.objects.get_or_create(code="engineering", defaults={"name": "工程部"})[0]
    with time_machine.travel(local("2025-09-01 09:00"), tick=False):
        c = file_complaint(
            description="厨房水管漏水，楼下天花板已渗水",
            expectation="今天之内上门维修",
            location="1-101 厨房",
            severity=Complaint.Severity.MAJOR,
            hot=True,
            department_id=dept.pk,
        )
        dup = file_complaint(
            reporter_name="王珺", reporter_phone="13900001111", description="楼上漏水"
        )
    with time_machine.travel(local("2025-09-01 09:20"), tick=False):
        complaint_merge(complaint=dup, into=c, by=frontdesk, reason="同一漏水")
        complaint_contact(complaint=c, by=frontdesk, note="电话联系业主，约 10 点上门")
    with time_machine.travel(local("2025-09-01 11:00"), tick=False):
        complaint_reply(
            complaint=c,
            by=frontdesk,
            text="已关闭总阀，等待配件",
            promised_at=local("2025-09-02 12:00"),
        )
        complaint_extend(
            complaint=c,
            by=supervisor,
            new_due_at=local("2025-09-04 17:00"),
            reason="需更换整段水管，配件 9 月 4 日到货",
            agreed_by="陈静",
        )
    with time_machine.travel(local("2025-09-04 15:00"), tick=False):
        complaint_rectify(complaint=c, by=frontdesk, note="更换厨房冷水管 2 米，试压无渗漏")
    with time_machine.travel(local("2025-09-05 10:00"), tick=False):
        complaint_callback(complaint=c, by=frontdesk, outcome=Callback.Outcome.NO_ANSWER)
    with time_machine.travel(local("2025-09-05 16:00"), tick=False):
        complaint_callback(
            complaint=c,
            by=manager,
            outcome=Callback.Outcome.REACHED,
            result=Callback.Result.SATISFIED,
            note="业主表示维修及时，满意",
            confirmation=Callback.Confirmation.PORTAL,
        )
    return Complaint.objects.get(pk=c.pk)


# --- Context (no rendering) ------------------------------------------------------------


def test_the_record_context_holds_the_whole_record__CMP_03(handled):
    """CMP-03: time, matter, receiver, handling, result; every reporter (CMP-14)."""
    ctx = complaint_record_context(complaint_queryset().get(pk=handled.pk))
    assert ctx["form_title"] == "投诉记录表"
    assert ctx["serial"] == handled.number
    assert ctx["record_url"] == f"/complaints/{handled.pk}/"
    assert [r.name for r in ctx["reporters"]] == ["陈静", "王珺"]
    assert ctx["received_by"] == "李娜"
    kinds = [c.label for c in ctx["clocks"]]
    assert kinds[:3] == ["首次联系", "答复客户", "承诺回复"]
    assert "回访" in kinds
    assert len(ctx["extensions"]) == 1 and len(ctx["callbacks"]) == 2
    actions = [e.action for e in ctx["events"]]
    assert actions[0] == "受理登记"
    assert {"延期", "回访", "并入重复投诉", "答复客户"} <= set(actions)


def test_the_record_context_costs_a_fixed_number_of_queries(handled, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        complaint_record_context(complaint_queryset().get(pk=handled.pk))


# --- The 《投诉记录表》 -------------------------------------------------------------------


def test_the_record_pdf_prints_every_field_clock_and_event__CMP_03(
    client, handled, frontdesk, tmp_path
):
    client.force_login(frontdesk)
    response = client.get(record_url(handled))
    assert response.status_code == 200
    png(response.content, "complaint_record")
    text = pdf_text(response.content, tmp_path)
    for expected in [
        "投诉记录表",
        handled.number,
        "受理时间",
        "2025-09-01 09:00",
        "来电",
        "1-101",
        "陈静",
        "王珺",
        "13811112222",
        "设备设施",
        "重大",
        "厨房水管漏水",
        "今天之内上门维修",
        "李娜",
        "工程部",
        "首次联系",
        "承诺回复",
        "整改完成",
        "2025-09-04 17:00",  # the extended due time
        "需更换整段水管",
        "更换厨房冷水管",
        "业主表示维修及时",
        "受理登记",
        "并入重复投诉",
        "状态变更",
    ]:
        assert expected in text, expected
    assert "签字" not in text or "首问责任人" in text


def test_the_record_prints_provisional_clocks_as_provisional(
    file_complaint, frontdesk, client, tmp_path
):
    """CAL-02: a deadline reaching into a year without a calendar is marked 暂定."""
    with time_machine.travel(local("2026-12-30 10:00"), tick=False):
        c = file_complaint()
        assert Clock.objects.get(complaint=c, kind=Clock.Kind.RECTIFY).provisional
        client.force_login(frontdesk)
        text = pdf_text(client.get(record_url(c)).content, tmp_path)
    assert "暂定" in text


def test_the_record_embeds_the_cjk_font(client, handled, frontdesk, tmp_path):
    client.force_login(frontdesk)
    fonts = pdf_fonts(client.get(record_url(handled)).content, tmp_path)
    assert "SD-Noto-Sans-SC" in fonts
    assert "DejaVu" not in fonts, "every glyph comes from the shipped font"
    for line in fonts.splitlines()[2:]:
        assert " yes " in line, f"font not embedded: {line}"


def test_typed_html_in_a_complaint_prints_as_text_and_fetches_nothing__CMP_03(
    file_complaint, frontdesk, client, tmp_path, monkeypatch
):
    c = file_complaint(description=f"漏水 {EVIL}", expectation='<img src="http://evil.example/y">')
    asked: list[str] = []
    fetch = sdpdf.StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return fetch(self, url, headers)

    monkeypatch.setattr(sdpdf.StaticOnlyURLFetcher, "fetch", spy)
    client.force_login(frontdesk)
    response = client.get(record_url(c))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert '<img src="http://evil.example/x.png">' in text
    assert "<script>alert(1)</script>" in text
    assert asked, "the font is fetched through the fetcher"
    assert not [u for u in asked if "evil" in u]
    html = render_html("complaints/pdf/complaint_record.html", complaint_record_context(c))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_record_is_an_inline_pdf_with_a_chinese_file_name(client, handled, frontdesk):
    client.force_login(frontdesk)
    response = client.get(record_url(handled))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert quote(f"投诉记录表-{handled.number}.pdf") in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-")


def test_the_urls_are_under_complaints():
    assert reverse("complaints:record-pdf", args=[7]) == "/complaints/7/record.pdf"
    assert reverse("complaints:callback-pdf", args=[7]) == "/complaints/7/callback.pdf"


# --- Scope ------------------------------------------------------------------------------


def test_staff_of_another_project_get_404__ORG_01(client, handled, outsider):
    client.force_login(outsider)
    assert client.get(record_url(handled)).status_code == 404
    assert client.get(callback_url(handled)).status_code == 404


def test_the_resident_of_the_unit_gets_403_for_the_staff_record__CMP_03(client, handled, owner):
    """The 《投诉记录表》 prints every reporter's phone and the internal log: staff only."""
    client.force_login(owner)
    assert client.get(record_url(handled)).status_code == 403


def test_the_owner_of_another_unit_gets_404__ORG_02(client, handled, project):
    other = UnitFactory(building__project=project, building__code="11", number="11-101")
    user = UserFactory(username="owner11101")
    ResidentFactory(unit=other, user=user)
    client.force_login(user)
    assert client.get(record_url(handled)).status_code == 404
    assert client.get(callback_url(handled)).status_code == 404


def test_a_missing_complaint_is_404(client, frontdesk):
    client.force_login(frontdesk)
    assert client.get("/complaints/999999/record.pdf").status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, handled):
    response = client.get(record_url(handled))
    assert response.status_code == 302
    assert client.get(callback_url(handled)).status_code == 302


def test_only_get_and_head_are_allowed(client, handled, frontdesk):
    client.force_login(frontdesk)
    assert client.post(record_url(handled)).status_code == 405
    assert client.post(callback_url(handled)).status_code == 405


# --- The 《回访记录表》 -------------------------------------------------------------------


def test_the_callback_record_prints_attempts_and_the_online_confirmation__CMP_12(
    client, handled, frontdesk, tmp_path
):
    client.force_login(frontdesk)
    response = client.get(callback_url(handled))
    assert response.status_code == 200
    png(response.content, "callback_record_portal")
    text = pdf_text(response.content, tmp_path)
    for expected in [
        "回访记录表",
        handled.number,
        "厨房水管漏水",
        "更换厨房冷水管 2 米",
        "未接通",
        "已联系：满意",
        "业主表示维修及时",
        "业主已于 2025年9月5日 16:00 在线确认",
        "13811112222",
    ]:
        assert expected in text, expected
    assert quote(f"回访记录表-{handled.number}.pdf") in response["Content-Disposition"]


def test_without_online_confirmation_the_callback_record_has_a_signature_box__CMP_12(
    file_complaint, frontdesk, client, tmp_path
):
    with time_machine.travel(local("2025-09-01 09:00"), tick=False):
        c = file_complaint()
        complaint_contact(complaint=c, by=frontdesk)
        complaint_rectify(complaint=c, by=frontdesk, note="已修复")
    client.force_login(frontdesk)
    response = client.get(callback_url(c))
    png(response.content, "callback_record_blank")
    text = pdf_text(response.content, tmp_path)
    assert "客户签字" in text
    assert "在线确认" not in text
    assert callback_record_context(complaint_queryset().get(pk=c.pk))["portal_confirmation"] is None


def test_the_resident_of_the_unit_may_open_the_callback_record__CMP_12(
    client, handled, owner, tmp_path
):
    """CMP-12: the owner may confirm online; they see their form, others' numbers masked."""
    client.force_login(owner)
    response = client.get(callback_url(handled))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "回访记录表" in text
    assert "13900001111" not in text and "139****1111" in text


def test_a_closed_complaint_keeps_its_forms_for_the_customer_file__CMP_17(
    client, handled, frontdesk, tmp_path
):
    assert handled.status == Complaint.Status.CLOSED
    client.force_login(frontdesk)
    text = pdf_text(client.get(record_url(handled)).content, tmp_path)
    assert "已结案" in text
    assert handled.closed_at is not None
    assert (handled.closed_at - local("2025-09-05 16:00")) < timedelta(minutes=1)


def test_a_record_filed_without_a_unit_prints(client, project, frontdesk, tmp_path):
    from complaints.models import Category, Channel

    c = complaint_file(
        project=project,
        unit=None,
        channel=Channel.objects.get(code="online"),
        category=Category.objects.get(code="other"),
        description="小区论坛反映夜间噪音",
        reporter_name="匿名网友",
        by=frontdesk,
    )
    client.force_login(frontdesk)
    text = pdf_text(client.get(record_url(c)).content, tmp_path)
    assert "公共区域" in text and "匿名网友" in text
