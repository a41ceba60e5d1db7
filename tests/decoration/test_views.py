"""The decoration desk's pages: permits board, filing, the permit page with every action,
construction notices, file downloads and the home panel (DEC-01..13, ORG-04)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from decoration import services
from decoration.models import (
    ConstructionNotice,
    Drawing,
    Extension,
    LedgerEntry,
    Permit,
    WorkerPass,
)
from servicedesk.web.panels import panels_for
from tests.decoration.conftest import WORKER_ID, WORKER_ID_2, local
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# 2025-10-09 (Thursday) 10:00: the first working day after the National Day holidays.
THURSDAY = "2025-10-09 10:00+08:00"


@pytest.fixture
def desk(client, frontdesk):
    client.force_login(frontdesk)
    return client


def html_of(response) -> str:
    return response.content.decode()


def permit_url(permit: Permit) -> str:
    return reverse("decoration:permit", args=[permit.pk])


def act(client, permit: Permit, name: str, data: dict | None = None, **extra):
    """POST one action of the permit page (fields are prefixed with the action's name)."""
    payload = {f"{name}-{k}": v for k, v in (data or {}).items()}
    return client.post(
        reverse("decoration:permit_action", args=[permit.pk, name]), payload, **extra
    )


# --- Access ------------------------------------------------------------------------------


def test_every_desk_page_renders_for_staff(desk, paid_permit):
    board = reverse("decoration:board")
    urls = [
        board,
        board + "?view=expiring",
        board + "?view=passes",
        board + "?view=reviews",
        board + "?view=notices",
        reverse("decoration:permit_new"),
        reverse("decoration:notices"),
        reverse("decoration:notice_new"),
        permit_url(paid_permit),
    ]
    for url in urls:
        assert desk.get(url).status_code == 200, url


def test_another_projects_staff_get_404_everywhere__ORG_01(client, outsider, paid_permit):
    drawing = paid_permit.drawings.first()
    client.force_login(outsider)
    assert client.get(permit_url(paid_permit)).status_code == 404
    assert client.get(reverse("decoration:drawing", args=[drawing.pk])).status_code == 404
    response = act(client, paid_permit, "issue", {"start_date": "2099-01-01"})
    assert response.status_code == 404
    assert paid_permit.number not in html_of(client.get(reverse("decoration:board")))


def test_residents_and_contractors_get_403_on_desk_pages(client, owner, contractor_user):
    for user in (owner, contractor_user):
        client.force_login(user)
        for name in ("decoration:board", "decoration:permit_new", "decoration:notices"):
            assert client.get(reverse(name)).status_code == 403, (user, name)


def test_anonymous_users_are_sent_to_login(client, paid_permit):
    response = client.get(permit_url(paid_permit))
    assert response.status_code == 302 and "/login/" in response.url


def test_an_unknown_action_is_404_and_pdf_routes_are_not_swallowed(desk, paid_permit):
    assert desk.post(permit_url(paid_permit) + "nonsense/").status_code == 404
    assert desk.get(permit_url(paid_permit) + "pdf/application/").status_code != 405


# --- Board ---------------------------------------------------------------------------------


def test_the_board_costs_the_same_queries_for_1_or_30_permits__DEC_12(
    desk, file_permit, frontdesk, project
):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get(reverse("decoration:board")).status_code == 200
        return len(ctx.captured_queries)

    first = file_permit()
    services.drawings_submit(permit=first, by=frontdesk)
    one = count()
    for i in range(29):
        unit = UnitFactory(building=first.unit.building, number=f"1-{201 + i}")
        permit = file_permit(unit=unit, owner_name="周平")
        if i % 3 == 0:
            services.drawings_submit(permit=permit, by=frontdesk)
    assert count() == one


def test_the_board_is_paginated_by_100(desk, file_permit, unit):
    for i in range(101):
        file_permit(
            owner_name="周平", unit=UnitFactory(building=unit.building, number=f"2-{100 + i}")
        )
    html = html_of(desk.get(reverse("decoration:board")))
    assert "第 1 / 2 页，共 101 条" in html
    assert html.count('data-testid="permit-status"') == 100


def test_the_board_shows_the_review_countdown_and_overdue_in_red__DEC_01(
    desk, file_permit, frontdesk
):
    with time_machine.travel(local("2025-10-09 10:00"), tick=False):
        permit = file_permit()
        services.drawings_submit(permit=permit, by=frontdesk)
        html = html_of(desk.get(reverse("decoration:board")))
        assert "10-15 17:30" in html and "剩" in html
    with time_machine.travel(local("2025-10-17 09:00"), tick=False):
        html = html_of(desk.get(reverse("decoration:board") + "?view=reviews"))
        assert "row-overdue" in html and "已逾期" in html
        assert 'data-testid="tab-reviews"' in html


def test_the_board_flags_stop_work_and_lists_permits_ending_soon__DEC_05(desk, paid_permit, issue):
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        permit = issue(paid_permit, date(2025, 10, 13))
    assert permit.end_date == date(2025, 11, 26)
    with time_machine.travel(local("2025-11-24 09:00"), tick=False):
        html = html_of(desk.get(reverse("decoration:board") + "?view=expiring"))
        assert permit.number in html and "2025-11-26" in html
    Permit.objects.filter(pk=permit.pk).update(stop_work_flagged_at=local("2025-11-27 00:05"))
    with time_machine.travel(local("2025-11-27 09:00"), tick=False):
        html = html_of(desk.get(reverse("decoration:board")))
        assert 'data-testid="stop-work"' in html and "可责令停工" in html
        assert "row-overdue" in html


def test_the_board_search_matches_room_exactly_number_and_contractor(desk, file_permit, project):
    first = file_permit()
    other = UnitFactory(building__project=project, building__code="11", number="11-101")
    second = file_permit(
        unit=other, owner_name="周平", contractor_name="宏达装饰", contractor_licence="HD-9"
    )
    board = reverse("decoration:board")
    html = html_of(desk.get(board, {"q": "1-101"}))
    assert first.number in html and second.number not in html
    html = html_of(desk.get(board, {"q": "宏达"}))
    assert second.number in html and first.number not in html
    html = html_of(desk.get(board, {"q": second.number}))
    assert second.number in html and first.number not in html


def test_the_board_shows_the_deposit_held_from_the_ledger__DEC_12(desk, paid_permit):
    html = html_of(desk.get(reverse("decoration:board")))
    assert '<td class="num mono" data-testid="deposit-balance">20000.00</td>' in html
    assert 'data-testid="count-deposit_paid">1<' in html


# --- Filing ---------------------------------------------------------------------------------


FILING = {
    "room": "1-101",
    "contractor_name": "恒安装饰工程有限公司",
    "contractor_licence": "JZ-2025-0001",
    "contract_signed": "on",
    "site_leader_name": "郑师傅",
    "area_m2": "120.00",
    "planned_start": "2099-10-13",
    "items": "墙面翻新\n水电改造",
    "owner_signed": "on",
}


def test_the_desk_files_a_permit_from_the_signed_paper_form__DEC_01_DEC_02_DEC_07(
    desk, unit, owner, contractor_user
):
    response = desk.post(reverse("decoration:permit_new"), FILING)
    permit = Permit.objects.get()
    assert response.status_code == 302 and response.url == permit_url(permit)
    assert permit.owner_signature == Permit.Signature.PAPER
    assert permit.items == ["墙面翻新", "水电改造"]
    assert permit.extinguishers_required == 3  # 120 m² at one per 50 m², rounded up
    html = html_of(desk.get(permit_url(permit)))
    assert "3 具" in html and "已申请，待交图纸" in html and "提交装修申请" in html


def test_filing_errors_are_in_chinese_and_keep_the_input__DEC_02_DEC_03(desk, unit):
    response = desk.post(reverse("decoration:permit_new"), {**FILING, "owner_signed": ""})
    assert response.status_code == 400
    assert "请确认业主已在申请表上签名" in html_of(response)
    data = {**FILING, "contract_signed": "", "area_m2": "12x"}
    response = desk.post(reverse("decoration:permit_new"), data)
    assert response.status_code == 400
    html = html_of(response)
    assert "签署装饰工程委托合同" in html
    assert "金额须为数字" in html
    assert 'value="12x"' in html and "墙面翻新" in html and 'value="JZ-2025-0001"' in html
    assert Permit.objects.count() == 0


def test_an_unknown_room_is_named_on_its_field(desk, unit):
    response = desk.post(reverse("decoration:permit_new"), {**FILING, "room": "9-909"})
    assert response.status_code == 400
    assert "本管理项目没有房号“9-909”" in html_of(response)


# --- The permit page: the whole life through the desk --------------------------------------


def test_the_permit_goes_from_drawings_to_refund_through_the_pages__DEC_01_DEC_04_DEC_11(
    client, frontdesk, engineer, supervisor, file_permit
):
    with time_machine.travel(local("2025-10-09 10:00"), tick=False):
        permit = file_permit()
        client.force_login(frontdesk)
        upload = SimpleUploadedFile("平面图.pdf", PDF, content_type="application/pdf")
        response = act(client, permit, "drawings", {"plan": upload, "paper": ["water_electric"]})
        assert response.status_code == 302, html_of(response)
        permit.refresh_from_db()
        assert permit.status == Permit.Status.UNDER_REVIEW
        drawing = Drawing.objects.get(on_paper=False)
        download = client.get(reverse("decoration:drawing", args=[drawing.pk]))
        assert download["Content-Disposition"].startswith("attachment")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert b"".join(download.streaming_content) == PDF

        # The desk may not review (DEC-01): the action is hidden and the service says 403.
        assert 'id="action-review"' not in html_of(client.get(permit_url(permit)))
        review = {"decision": "approve", "structure_ok": "on", "water_electric_ok": "on"}
        response = act(client, permit, "review", {**review, "waterproofing_ok": "on"})
        assert response.status_code == 403 and "工程部" in html_of(response)

        client.force_login(engineer)
        response = act(client, permit, "review", review)  # waterproofing not ticked
        assert response.status_code == 400 and "审图清单有不合格项" in html_of(response)
        response = act(client, permit, "review", {**review, "waterproofing_ok": "on"})
        assert response.status_code == 302

        client.force_login(frontdesk)
        response = act(client, permit, "deposit", {"amount": "2000.00", "receipt_no": "YJ-1"})
        assert response.status_code == 400
        html = html_of(response)
        assert "装修押金应为 20000.00 元" in html and 'value="2000.00"' in html
        response = act(client, permit, "deposit", {"amount": "20000.00", "receipt_no": "YJ-1"})
        assert response.status_code == 302
        response = act(client, permit, "issue", {"start_date": "2025-10-13"})
        assert response.status_code == 302
        permit.refresh_from_db()
        assert (permit.start_date, permit.end_date) == (date(2025, 10, 13), date(2025, 11, 26))

    with time_machine.travel(local("2025-10-14 10:00"), tick=False):
        client.force_login(frontdesk)  # the session is dated: log in again after the jump
        response = act(
            client,
            permit,
            "pass_issue",
            {"worker_name": "刘强", "id_number": WORKER_ID, "signed_by": "site_leader"},
        )
        assert response.status_code == 302
        worker_pass = WorkerPass.objects.get()
        html = html_of(client.get(permit_url(permit)))
        assert worker_pass.id_number_masked in html and WORKER_ID not in html

        client.force_login(supervisor)
        response = act(
            client,
            permit,
            "inspection",
            {"extinguishers_found": "1", "passes_worn": "on", "findings": "灭火器不足"},
        )
        assert response.status_code == 302
        response = act(client, permit, "fine", {"amount": "500.00", "reason": "灭火器不足"})
        assert response.status_code == 302

        response = act(client, permit, "completion", {})
        assert response.status_code == 302
        client.force_login(engineer)
        response = act(
            client,
            permit,
            "acceptance",
            {"decision": "pass", "no_illegal_alterations": "on", "debris_cleared": "on"},
        )
        assert response.status_code == 302
        permit.refresh_from_db()
        assert permit.status == Permit.Status.ACCEPTED

        client.force_login(frontdesk)
        html = html_of(client.get(permit_url(permit)))
        assert "应退 19500.00 元" in html
        response = act(client, permit, "refund", {"receipt_no": "WRONG"})
        assert response.status_code == 400 and "收据号与收取押金时的收据不符" in html_of(response)
        response = act(client, permit, "refund", {"receipt_no": "YJ-1"}, follow=True)
        html = html_of(response)
        assert "已退还装修押金 19500.00 元" in html
        assert '<dd data-testid="refunded">19500.00</dd>' in html
        assert "已退押金，结案" in html

        # A second refund is a 409 with the message, never a second ledger entry (DEC-12).
        response = act(client, permit, "refund", {"receipt_no": "YJ-1"})
        assert response.status_code == 409 and "不能重复退款" in html_of(response)
    assert LedgerEntry.objects.filter(kind="deposit_refunded").count() == 1
    refund = LedgerEntry.objects.get(kind="deposit_refunded")
    assert refund.amount == Decimal("19500.00")


def test_a_refused_action_keeps_the_page_and_says_why_with_409(desk, approved_permit):
    # Issuing before the deposit is paid: InvalidTransition → 409 with the message.
    response = act(desk, approved_permit, "issue", {"start_date": "2099-01-01"})
    assert response.status_code == 409
    assert "须先交押金" in html_of(response)


def test_only_managers_see_and_decide_extensions_not_their_own__DEC_05_ORG_04(
    client, frontdesk, manager, manager2, paid_permit, issue
):
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        permit = issue(paid_permit, date(2025, 10, 13))
    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        client.force_login(manager)
        response = act(
            client, permit, "extension", {"new_end_date": "2025-12-10", "reason": "石材到货延迟"}
        )
        assert response.status_code == 302
        extension = Extension.objects.get()
        html = html_of(client.get(permit_url(permit)))
        assert 'data-action="extension_decide"' not in html  # not for the requester
        client.force_login(frontdesk)
        response = act(
            client, permit, "extension_decide", {"target": extension.pk, "decision": "approve"}
        )
        assert response.status_code == 403
        client.force_login(manager2)
        assert 'data-action="extension_decide"' in html_of(client.get(permit_url(permit)))
        response = act(
            client, permit, "extension_decide", {"target": extension.pk, "decision": "approve"}
        )
        assert response.status_code == 302
    permit.refresh_from_db()
    assert permit.end_date == date(2025, 12, 10)


def test_a_rows_target_must_belong_to_the_permit(desk, file_permit, paid_permit, issue, unit):
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        permit = issue(paid_permit, date(2025, 10, 13))
        worker_pass = services.pass_issue(
            permit=permit, worker_name="刘强", id_number=WORKER_ID, by=permit.created_by
        )
        other = file_permit(
            owner_name="周平", unit=UnitFactory(building=unit.building, number="1-102")
        )
        response = act(desk, other, "pass_return", {"target": worker_pass.pk})
        assert response.status_code == 404
        response = act(desk, permit, "pass_return", {"target": worker_pass.pk})
        assert response.status_code == 302
    worker_pass.refresh_from_db()
    assert worker_pass.status == WorkerPass.Status.RETURNED


def test_a_lost_receipt_blocks_the_refund_on_the_page__DEC_11(desk, paid_permit):
    response = act(desk, paid_permit, "receipt_lost", {"note": "业主收据遗失"})
    assert response.status_code == 302
    html = html_of(desk.get(permit_url(paid_permit)))
    assert 'data-testid="receipt-lost"' in html and 'id="action-refund"' not in html


def test_the_permit_page_costs_the_same_queries_with_more_passes(desk, paid_permit, issue):
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        permit = issue(paid_permit, date(2025, 10, 13))
        services.pass_issue(
            permit=permit, worker_name="刘强", id_number=WORKER_ID, by=permit.created_by
        )
        with CaptureQueriesContext(connection) as ctx:
            desk.get(permit_url(permit))
        one = len(ctx.captured_queries)
        services.pass_issue(
            permit=permit, worker_name="王五", id_number=WORKER_ID_2, by=permit.created_by
        )
        with CaptureQueriesContext(connection) as ctx:
            desk.get(permit_url(permit))
        assert len(ctx.captured_queries) == one


# --- Construction notices (DEC-13) ----------------------------------------------------------


def test_a_construction_notice_is_drafted_approved_by_another_and_issued__DEC_13(
    client, frontdesk, supervisor, project, owner
):
    with time_machine.travel(local("2025-10-09 10:00"), tick=False):
        client.force_login(frontdesk)
        data = {
            "title": "1栋 外墙打孔施工",
            "body": "请各位业主谅解。",
            "work_starts_on": "2025-10-10",
            "work_ends_on": "2025-10-15",
        }
        response = client.post(reverse("decoration:notice_new"), data)
        assert response.status_code == 400
        html = html_of(response)
        assert "须提前 3 个工作日通知" in html and 'value="1栋 外墙打孔施工"' in html
        response = client.post(
            reverse("decoration:notice_new"), {**data, "work_starts_on": "2025-10-14"}
        )
        notice = ConstructionNotice.objects.get()
        assert response.status_code == 302
        # Nobody approves their own notice (ORG-04): the drafter has no approve button.
        assert 'id="action-approve"' not in html_of(client.get(response.url))
        client.force_login(supervisor)
        url = reverse("decoration:notice_action", args=[notice.pk, "approve"])
        assert client.post(url).status_code == 302
        url = reverse("decoration:notice_action", args=[notice.pk, "issue"])
        assert client.post(url).status_code == 302
    notice.refresh_from_db()
    assert notice.status == ConstructionNotice.Status.ISSUED and notice.recipients == 1


def test_front_desk_cannot_approve_a_notice__DEC_13(client, frontdesk, manager):
    with time_machine.travel(local("2025-10-09 10:00"), tick=False):
        notice = services.construction_notice_draft(
            project=manager.staff_profile.projects.get(),
            title="停水",
            body="施工停水",
            work_starts_on=date(2025, 10, 20),
            work_ends_on=date(2025, 10, 20),
            by=manager,
        )
        client.force_login(frontdesk)
        url = reverse("decoration:notice_action", args=[notice.pk, "approve"])
        response = client.post(url)
        assert response.status_code == 403 and "客服主管" in html_of(response)


# --- Home panel and navigation --------------------------------------------------------------


def test_the_home_panel_counts_reviews_endings_stop_work_and_passes__DEC_01_DEC_05_DEC_06(
    rf, client, frontdesk, file_permit, paid_permit, issue
):
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        permit = issue(paid_permit, date(2025, 10, 13))
        services.pass_issue(
            permit=permit, worker_name="刘强", id_number=WORKER_ID, by=permit.created_by
        )
        review = file_permit(
            owner_name="周平", unit=UnitFactory(building=permit.unit.building, number="1-102")
        )
        services.drawings_submit(permit=review, by=frontdesk)
    with time_machine.travel(local("2025-11-25 09:00"), tick=False):
        client.force_login(frontdesk)
        html = html_of(client.get(reverse("home")))
        assert 'data-panel="decoration.desk"' in html
        assert 'data-testid="decoration-reviews">1<' in html
        assert 'data-testid="decoration-ending">1<' in html
        assert 'data-testid="decoration-passes">1<' in html
        assert "逾期 1" in html  # the review ran past its 5 working days


def test_the_home_panel_is_scoped_to_the_users_projects(rf, outsider, paid_permit):
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/")
    request.user = outsider
    request.session = SessionStore()
    rendered = {p.key: p for p in panels_for(request)}
    assert rendered["decoration.desk"].context["figures"].reviews_due == 0


def test_the_nav_shows_the_desk_entries_to_staff_and_my_decoration_to_portal_users(
    client, frontdesk, owner, contractor_user
):
    client.force_login(frontdesk)
    html = html_of(client.get(reverse("home")))
    assert "装修管理" in html and "施工通告" in html and "我的装修" not in html
    for user in (owner, contractor_user):
        client.force_login(user)
        html = html_of(client.get(reverse("home")))
        assert "我的装修" in html and 'href="/decoration/"' not in html
