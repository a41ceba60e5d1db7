"""The key desk's pages: board, key, loans, entrustments, emergency use, lock changes,
copies, handover, monthly report and the home panel (KEY-01..10, ORG-04)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from keys import services
from keys.models import (
    ContactAttempt,
    CopyRequest,
    EmergencyUse,
    Entrustment,
    Handover,
    Key,
    Loan,
    LockChange,
    MonthlyReport,
)
from servicedesk.core.models import Resident, Role
from servicedesk.web.panels import panels_for
from tests.factories import ResidentFactory, StaffFactory, UnitFactory
from tests.keys.conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, frontdesk):
    client.force_login(frontdesk)
    return client


@pytest.fixture
def frontdesk2(project):
    """Another front-desk clerk of the same project (not the requester)."""
    return StaffFactory(name="吴芳", roles=[Role.FRONT_DESK], projects=[project]).user


@pytest.fixture
def records(project, frontdesk, manager, duty, engineer, supervisor, public_key, spare_key):
    """One of every record, made through the services."""
    loan = services.loan_request(key=public_key, purpose="检修天台水箱", by=frontdesk)
    use = services.emergency_open(key=spare_key, kind="water_leak", reason="楼下渗水", by=duty)
    change = services.lock_change_record(
        project=project, location="2栋 配电房", reason="锁芯损坏", new_tag="P-009", by=engineer
    )
    copy = services.copy_request(key=public_key, count=1, reason="备用", by=frontdesk)
    handover = services.handover_create(project=project, taken_by=duty, by=frontdesk)
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    report = services.report_submit(project=project, month=last_month, by=frontdesk)
    return {
        "key": public_key,
        "spare": spare_key,
        "loan": loan,
        "use": use,
        "change": change,
        "copy": copy,
        "handover": handover,
        "report": report,
        "entrustment": spare_key.entrustment,
    }


def detail_urls(r):
    return [
        reverse("keys:key", args=[r["key"].pk]),
        reverse("keys:key", args=[r["spare"].pk]),
        reverse("keys:loan", args=[r["loan"].pk]),
        reverse("keys:loan", args=[r["use"].loan_id]),
        reverse("keys:entrustment", args=[r["entrustment"].pk]),
        reverse("keys:emergency", args=[r["use"].pk]),
        reverse("keys:lock_change", args=[r["change"].pk]),
        reverse("keys:copy_request", args=[r["copy"].pk]),
        reverse("keys:handover", args=[r["handover"].pk]),
        reverse("keys:report", args=[r["report"].pk]),
    ]


LIST_URLS = [
    "keys:board",
    "keys:key_new",
    "keys:loans",
    "keys:loan_new",
    "keys:entrustments",
    "keys:entrustment_new",
    "keys:emergencies",
    "keys:lock_changes",
    "keys:lock_change_new",
    "keys:handovers",
    "keys:handover_new",
    "keys:reports",
]


def html_of(response) -> str:
    return response.content.decode()


# --- Access ------------------------------------------------------------------------


def test_every_page_renders_for_staff(desk, records):
    for name in LIST_URLS:
        assert desk.get(reverse(name)).status_code == 200, name
    for url in detail_urls(records):
        assert desk.get(url).status_code == 200, url


def test_another_projects_staff_get_404__KEY_01(client, outsider, records):
    client.force_login(outsider)
    for url in detail_urls(records):
        assert client.get(url).status_code == 404, url
    posts = [
        reverse("keys:key_action", args=[records["key"].pk, "incident"]),
        reverse("keys:loan_action", args=[records["loan"].pk, "checkout"]),
        reverse("keys:entrustment_action", args=[records["entrustment"].pk, "revoke"]),
        reverse("keys:emergency_action", args=[records["use"].pk, "attempt"]),
        reverse("keys:lock_change_action", args=[records["change"].pk, "seal"]),
        reverse("keys:copy_request_action", args=[records["copy"].pk, "decide"]),
        reverse("keys:handover_action", args=[records["handover"].pk, "sign"]),
        reverse("keys:report_action", args=[records["report"].pk, "review"]),
    ]
    for url in posts:
        assert client.post(url, {}).status_code == 404, url
    board = html_of(client.get(reverse("keys:board")))
    assert "G-001" not in board and "Y-101" not in board
    assert records["loan"].number not in html_of(client.get(reverse("keys:loans")))
    # A tag of another project is not found by the loan form either.
    response = client.post(
        reverse("keys:loan_new"),
        {"key": records["key"].pk, "key_tag": "G-001", "purpose": "x", "use": "maintenance"},
    )
    assert response.status_code == 400
    assert "钥匙牌号：没有找到牌号为“G-001”的钥匙" in html_of(response)


def test_residents_get_403_on_desk_pages(client, owner, records):
    client.force_login(owner)
    for name in LIST_URLS:
        assert client.get(reverse(name)).status_code == 403, name
    for url in detail_urls(records):
        assert client.get(url).status_code == 403, url
    url = reverse("keys:loan_action", args=[records["loan"].pk, "approve"])
    assert client.post(url, {}).status_code == 403
    records["loan"].refresh_from_db()
    assert records["loan"].status == Loan.Status.REQUESTED


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("keys:board"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_unknown_action_is_404_and_pdf_routes_are_not_swallowed(desk, records):
    assert desk.post(f"/keys/{records['key'].pk}/nonsense/").status_code == 404
    pdf = reverse("keys:entrustment_pdf", args=[records["entrustment"].pk])
    assert resolve(pdf).url_name == "entrustment_pdf"
    assert resolve(reverse("keys:report_pdf", args=[records["report"].pk])).url_name == (
        "report_pdf"
    )


# --- Board (KEY-01, KEY-04) --------------------------------------------------------------


def test_the_board_shows_counts_borrower_and_flags_overdue__KEY_01_KEY_04(
    client, frontdesk, public_key, spare_key, loan_out, project
):
    services.key_register(
        project=project, tag="G-002", kind=Key.Kind.PLANT_ROOM, opens="水泵房", by=frontdesk
    )
    with time_machine.travel(local("2026-03-10 09:00"), tick=False):
        loan_out(public_key, borrower_name="张师傅")
    with time_machine.travel(local("2026-03-11 09:00"), tick=False):
        client.force_login(frontdesk)
        html = html_of(client.get(reverse("keys:board")))
    assert 'data-testid="count-all">3<' in html
    assert 'data-testid="count-available">2<' in html
    assert 'data-testid="count-on_loan">1<' in html
    row = html.split(f'data-tag="{public_key.tag}"')[0].rsplit("<tr", 1)[1]
    assert "row-overdue" in row
    after = html.split(f'data-tag="{public_key.tag}"')[1].split("</tr>")[0]
    assert "张师傅" in after and "03-10 23:59" in after and "借出" in after
    assert 'data-testid="overdue"' in after
    assert 'class="st kst-available"' in html  # colour per status


def test_the_board_search_matches_room_exactly_and_tag_prefix__KEY_01(
    desk, frontdesk, project, spare_key, public_key
):
    unit11 = UnitFactory(building__project=project, building__code="11", number="11-101")
    services.key_register(
        project=project,
        tag="Z-11",
        kind=Key.Kind.OTHER,
        opens="地下储物间",
        unit=unit11,
        by=frontdesk,
    )
    html = html_of(desk.get(reverse("keys:board"), {"q": "1-101"}))
    assert 'data-tag="Y-101"' in html and 'data-tag="Z-11"' not in html
    html = html_of(desk.get(reverse("keys:board"), {"q": "g-0"}))
    assert 'data-tag="G-001"' in html and 'data-tag="Y-101"' not in html
    html = html_of(desk.get(reverse("keys:board"), {"status": "on_loan"}))
    assert "没有符合条件的钥匙" in html


def test_the_board_search_box_has_autofocus(desk):
    html = html_of(desk.get(reverse("keys:board")))
    tag = html.split('name="q"')[1].split(">")[0]
    assert "autofocus" in tag


def _board_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("keys:board")).status_code == 200
    return len(ctx)


def test_the_board_costs_the_same_queries_for_5_or_50_keys__KEY_01(
    desk, project, frontdesk, loan_out, request_loan
):
    def add(start, n):
        return [
            services.key_register(
                project=project,
                tag=f"K-{i:03d}",
                kind=Key.Kind.PUBLIC_AREA,
                opens=f"{i}号 设备间",
                cabinet_position=f"A-{i:02d}",
                by=frontdesk,
            )
            for i in range(start, start + n)
        ]

    keys = add(0, 5)
    loan_out(keys[0])
    request_loan(keys[1])
    desk.get(reverse("keys:board"))  # warm caches (content types, calendar)
    few = _board_queries(desk)
    more = add(5, 45)
    loan_out(more[0])
    loan_out(more[1])
    request_loan(more[2])
    many = _board_queries(desk)
    assert few == many
    assert many <= 15


def test_the_board_is_paginated_by_100(desk, project, frontdesk):
    for i in range(105):
        services.key_register(
            project=project, tag=f"K-{i:03d}", kind=Key.Kind.OTHER, opens="门", by=frontdesk
        )
    html = html_of(desk.get(reverse("keys:board")))
    assert html.count('data-tag="K-') == 100
    assert "第 1 / 2 页，共 105 条" in html and 'data-testid="next-page"' in html
    html = html_of(desk.get(reverse("keys:board"), {"page": 2}))
    assert html.count('data-tag="K-') == 5


# --- Register and key actions (KEY-01, KEY-06, KEY-08, KEY-09) ---------------------------


def test_a_key_is_registered_from_the_desk__KEY_01(desk, unit):
    response = desk.post(
        reverse("keys:key_new"),
        {
            "tag": "G-010",
            "kind": "public_area",
            "opens": "3栋 天台门",
            "room": "",
            "cabinet_position": "C-03",
        },
    )
    key = Key.objects.get(tag="G-010")
    assert response.status_code == 302
    assert response["Location"] == reverse("keys:key", args=[key.pk])
    assert key.cabinet_position == "C-03" and key.custodian is not None


def test_register_errors_name_the_field_and_keep_the_input__KEY_01(desk, public_key):
    response = desk.post(
        reverse("keys:key_new"),
        {"tag": "G-001", "kind": "plant_room", "opens": "配电房", "cabinet_position": "Z-9"},
    )
    assert response.status_code == 400
    html = html_of(response)
    assert "钥匙牌号：钥匙牌号 G-001 已登记。" in html
    assert 'value="配电房"' in html and 'value="Z-9"' in html
    response = desk.post(
        reverse("keys:key_new"), {"tag": "G-011", "kind": "other", "opens": "门", "room": "9-999"}
    )
    assert "房号：本管理项目没有房号“9-999”" in html_of(response)


def test_the_key_page_shows_custody_and_records_a_transfer_and_damage__KEY_01_KEY_09(
    desk, public_key, duty
):
    url = reverse("keys:key_action", args=[public_key.pk, "transfer"])
    response = desk.post(url, {"transfer-to_custodian": duty.pk, "transfer-reason": "交夜班"})
    assert response.status_code == 302
    public_key.refresh_from_db()
    assert public_key.custodian == duty
    url = reverse("keys:key_action", args=[public_key.pk, "incident"])
    response = desk.post(url, {"incident-kind": "damaged", "incident-note": ""})
    assert response.status_code == 400 and 'data-testid="error-note"' in html_of(response)
    response = desk.post(url, {"incident-kind": "damaged", "incident-note": "齿口磨损"})
    assert response.status_code == 302
    html = html_of(desk.get(reverse("keys:key", args=[public_key.pk])))
    assert "刘建国" in html and "交夜班" in html and "齿口磨损" in html
    assert "保管交接" in html and "登记损坏" in html  # the timeline


def test_a_found_key_that_was_not_lost_is_refused_with_the_reason__KEY_09(desk, public_key):
    url = reverse("keys:key_action", args=[public_key.pk, "incident"])
    response = desk.post(url, {"incident-kind": "found", "incident-note": "在前台找到"})
    assert response.status_code == 409
    html = html_of(response)
    assert "钥匙未登记遗失" in html and "在前台找到" in html


def test_front_desk_cannot_break_glass_but_the_duty_manager_can__KEY_07(
    desk, client, spare_key, duty
):
    url = reverse("keys:key_action", args=[spare_key.pk, "emergency"])
    data = {"emergency-kind": "fire", "emergency-reason": "烟感报警"}
    html = html_of(desk.get(reverse("keys:key", args=[spare_key.pk])))
    assert 'id="action-emergency"' not in html
    response = desk.post(url, data)
    assert response.status_code == 403
    assert "只有物业总值、客服主管、客服经理可以紧急动用钥匙" in html_of(response)
    assert "烟感报警" in html_of(response)
    client.force_login(duty)
    response = client.post(url, data)
    use = EmergencyUse.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("keys:emergency", args=[use.pk])


def test_unseal_is_for_the_duty_manager__KEY_08(client, project, engineer, duty, frontdesk):
    change = services.lock_change_record(
        project=project, location="机房", reason="换锁", new_tag="P-1", by=engineer
    )
    services.lock_change_seal(change=change, by=duty)
    key = change.new_key
    url = reverse("keys:key_action", args=[key.pk, "unseal"])
    client.force_login(frontdesk)
    assert client.post(url, {"unseal-reason": "维修"}).status_code == 403
    client.force_login(duty)
    response = client.post(url, {"unseal-reason": ""})
    assert response.status_code == 400
    assert 'data-testid="error-reason"' in html_of(response)
    assert client.post(url, {"unseal-reason": "配电房检修"}).status_code == 302
    key.refresh_from_db()
    assert key.status == Key.Status.AVAILABLE


def test_copies_need_a_managers_approval_then_each_is_registered__KEY_06(
    desk, client, public_key, manager, frontdesk
):
    response = desk.post(
        reverse("keys:key_action", args=[public_key.pk, "copy"]),
        {"copy-count": "2", "copy-reason": "工程部备用"},
    )
    req = CopyRequest.objects.get()
    assert response["Location"] == reverse("keys:copy_request", args=[req.pk])
    page = html_of(desk.get(response["Location"]))
    assert 'id="action-decide"' not in page  # the requester and front desk never see it
    register = reverse("keys:copy_request_action", args=[req.pk, "register"])
    response = desk.post(register, {"register-tags": "G-001A G-001B"})
    assert response.status_code == 409 and "配制申请未获批准" in html_of(response)
    client.force_login(manager)
    decide = reverse("keys:copy_request_action", args=[req.pk, "decide"])
    response = client.post(decide, {"decide-approve": "0", "decide-note": ""})
    assert response.status_code == 400 and "驳回须填写理由" in html_of(response)
    assert client.post(decide, {"decide-approve": "1"}).status_code == 302
    response = desk.post(register, {"register-tags": "G-001A"})
    assert response.status_code == 400
    assert "复制钥匙牌号：请为 2 把复制钥匙各填一个牌号" in html_of(response)
    assert desk.post(register, {"register-tags": "G-001A，G-001B"}).status_code == 302
    copies = Key.objects.filter(copy_of=public_key).order_by("tag")
    assert [k.tag for k in copies] == ["G-001A", "G-001B"]


# --- Loans (KEY-03, KEY-04, KEY-05, ORG-04) ----------------------------------------------


def loan_data(**overrides):
    data = {
        "key": "",
        "key_tag": "G-001",
        "purpose": "检修天台水箱",
        "use": "maintenance",
        "borrower_name": "",
        "borrower_unit": "",
        "borrower_phone": "",
    }
    data.update(overrides)
    return data


def test_the_loan_form_is_prefilled_from_the_key__KEY_03(desk, public_key):
    html = html_of(desk.get(reverse("keys:loan_new"), {"key": public_key.pk}))
    assert 'name="key_tag" value="G-001"' in html
    assert f'name="key" value="{public_key.pk}"' in html
    assert 'data-testid="picked-key"' in html and "1栋 天台门" in html
    assert "data-maintenance-only" in html and "data-maintenance" in html


def test_a_loan_request_goes_to_approval__KEY_03(desk, public_key, frontdesk):
    response = desk.post(
        reverse("keys:loan_new"), loan_data(key=public_key.pk, borrower_name="张师傅")
    )
    loan = Loan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("keys:loan", args=[loan.pk])
    assert (loan.status, loan.requested_by, loan.borrower_name) == (
        Loan.Status.REQUESTED,
        frontdesk,
        "张师傅",
    )
    html = html_of(desk.get(response["Location"]))
    assert 'data-testid="awaiting-approval"' in html
    assert 'id="action-approve"' not in html  # never shown to the requester (ORG-04)
    board = html_of(desk.get(reverse("keys:board")))
    assert 'data-testid="pending-loan"' in board and "待审批" in board


def test_loan_form_errors_name_the_field_and_keep_the_input__KEY_03(desk, public_key):
    response = desk.post(
        reverse("keys:loan_new"),
        loan_data(purpose="", borrower_name="张师傅", borrower_phone="13800001111"),
    )
    assert response.status_code == 400
    html = html_of(response)
    assert 'data-testid="error-purpose"' in html and "借用事由：" in html
    assert 'value="张师傅"' in html and 'value="13800001111"' in html
    response = desk.post(reverse("keys:loan_new"), loan_data(key_tag="NOPE"))
    assert "钥匙牌号：没有找到牌号为“NOPE”的钥匙。" in html_of(response)
    assert not Loan.objects.exists()


def test_a_later_return_time_is_only_for_maintenance__KEY_04(desk, public_key):
    response = desk.post(
        reverse("keys:loan_new"), loan_data(due_at="2099-01-01T18:00", borrower_name="李工")
    )
    assert response.status_code == 400
    html = html_of(response)
    assert "申请归还时间：只有维修工程可以申请延后归还时间" in html
    assert 'value="2099-01-01T18:00"' in html and 'value="李工"' in html
    response = desk.post(
        reverse("keys:loan_new"), loan_data(maintenance="on", due_at="2099-01-01T18:00")
    )
    assert response.status_code == 302
    loan = Loan.objects.get()
    assert loan.maintenance and loan.requested_due_at is not None


def test_an_owners_spare_key_only_for_allowed_uses__KEY_02(desk, spare_key):
    response = desk.post(reverse("keys:loan_new"), loan_data(key_tag="Y-101", use="viewing"))
    assert response.status_code == 400
    assert "钥匙牌号：业主未允许该用途" in html_of(response)


def test_a_second_request_for_the_same_key_is_refused_keeping_the_input__KEY_05(
    desk, public_key, request_loan
):
    request_loan(public_key)
    response = desk.post(
        reverse("keys:loan_new"), loan_data(purpose="更换灯泡", borrower_name="赵工")
    )
    assert response.status_code == 409
    html = html_of(response)
    assert "钥匙 G-001 已有借用申请或已借出" in html
    assert 'value="赵工"' in html and "更换灯泡" in html
    assert Loan.objects.count() == 1


def test_front_desk_cannot_approve__KEY_03(client, frontdesk2, public_key, request_loan):
    loan = request_loan(public_key)
    client.force_login(frontdesk2)
    html = html_of(client.get(reverse("keys:loan", args=[loan.pk])))
    assert 'id="action-approve"' not in html
    response = client.post(reverse("keys:loan_action", args=[loan.pk, "approve"]), {})
    assert response.status_code == 403
    assert "只有客服主管、客服经理、物业总值可以审批钥匙借用" in html_of(response)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REQUESTED


def test_nobody_approves_their_own_request__ORG_04(client, manager, public_key, request_loan):
    loan = request_loan(public_key, by=manager)
    client.force_login(manager)
    html = html_of(client.get(reverse("keys:loan", args=[loan.pk])))
    assert 'id="action-approve"' not in html and 'data-testid="awaiting-approval"' in html
    response = client.post(reverse("keys:loan_action", args=[loan.pk, "approve"]), {})
    assert response.status_code == 403
    assert "不能审批本人提出的申请" in html_of(response)


def test_approve_checkout_and_return_through_the_pages__KEY_03_KEY_04(
    client, frontdesk, manager, public_key, request_loan
):
    loan = request_loan(public_key)
    client.force_login(manager)
    page = html_of(client.get(reverse("keys:loan", args=[loan.pk])))
    assert 'id="action-approve"' in page and 'id="action-reject"' in page
    action = reverse("keys:loan_action", args=[loan.pk, "approve"])
    assert client.post(action, {"approve-note": "同意"}).status_code == 302
    client.force_login(frontdesk)
    # Checking out twice: the second is refused with the reason (409), not a 500.
    checkout = reverse("keys:loan_action", args=[loan.pk, "checkout"])
    assert client.post(checkout, {}).status_code == 302
    response = client.post(checkout, {})
    assert response.status_code == 409 and "须经批准后才能借出" in html_of(response)
    board = html_of(client.get(reverse("keys:board")))
    row = board.split('data-tag="G-001"')[1].split("</tr>")[0]
    assert "借出" in row and "李娜" in row
    back = reverse("keys:loan_action", args=[loan.pk, "return"])
    response = client.post(back, {"return-condition": "damaged", "return-note": ""})
    assert response.status_code == 400
    assert "归还备注：钥匙损坏或遗失须说明情况。" in html_of(response)
    assert client.post(back, {"return-condition": "good", "return-note": ""}).status_code == 302
    loan.refresh_from_db()
    public_key.refresh_from_db()
    assert loan.status == Loan.Status.RETURNED and public_key.status == Key.Status.AVAILABLE
    html = html_of(client.get(reverse("keys:loan", args=[loan.pk])))
    assert "王强" in html  # approved by
    for label in ("提出申请", "批准", "借出", "归还"):
        assert label in html


def test_a_rejection_needs_a_reason(client, manager, public_key, request_loan):
    loan = request_loan(public_key)
    client.force_login(manager)
    url = reverse("keys:loan_action", args=[loan.pk, "reject"])
    response = client.post(url, {"reject-note": ""})
    assert response.status_code == 400 and 'data-testid="error-note"' in html_of(response)
    assert client.post(url, {"reject-note": "请改日"}).status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REJECTED


def test_the_loan_log_filters_and_links_the_monthly_pdf__KEY_03(
    desk, public_key, spare_key, loan_out, request_loan
):
    with time_machine.travel(local("2026-03-10 09:00"), tick=False):
        overdue = loan_out(public_key)
    pending = request_loan(spare_key)
    html = html_of(desk.get(reverse("keys:loans")))
    assert overdue.number in html and pending.number in html
    assert reverse("keys:loan_log_pdf") in html and 'name="month"' in html
    html = html_of(desk.get(reverse("keys:loans"), {"overdue": "on"}))
    assert overdue.number in html and pending.number not in html and "row-overdue" in html
    html = html_of(desk.get(reverse("keys:loans"), {"status": "requested"}))
    assert pending.number in html and overdue.number not in html
    html = html_of(desk.get(reverse("keys:loans"), {"date_from": "2026-03-10"}))
    assert overdue.number in html
    html = html_of(desk.get(reverse("keys:loans"), {"date_to": "2026-03-09"}))
    assert overdue.number not in html


# --- Entrustments (KEY-02) ----------------------------------------------------------------


def test_the_owner_is_found_by_room_and_the_entrustment_recorded__KEY_02(
    desk, owner_resident, unit
):
    ResidentFactory(unit=unit, name="租客甲", kind=Resident.Kind.TENANT)
    response = desk.post(
        reverse("keys:entrustment_new"),
        {"room": "1-101", "find": "1", "key_tag": "Y-201", "allowed_uses": ["emergency"]},
    )
    html = html_of(response)
    assert response.status_code == 200
    assert "陈静" in html and "租客甲" not in html  # owners only
    assert f'value="{owner_resident.pk}"' in html and "checked" in html
    assert 'value="Y-201"' in html and 'data-testid="form-error"' not in html
    response = desk.post(
        reverse("keys:entrustment_new"),
        {
            "room": "1-101",
            "resident": owner_resident.pk,
            "allowed_uses": ["emergency", "maintenance"],
            "valid_until": "2099-12-31",
            "key_tag": "Y-201",
            "cabinet_position": "B-02",
        },
    )
    e = Entrustment.objects.get()
    assert response["Location"] == reverse("keys:entrustment", args=[e.pk])
    assert e.status == Entrustment.Status.PENDING
    assert e.keys.get().tag == "Y-201"
    html = html_of(desk.get(response["Location"]))
    assert reverse("keys:entrustment_pdf", args=[e.pk]) in html
    assert "紧急情况" in html and 'id="action-confirm"' in html


def test_entrustment_errors_name_the_fields_and_keep_the_input__KEY_02(
    desk, owner_resident, spare_key
):
    response = desk.post(
        reverse("keys:entrustment_new"),
        {
            "room": "1-101",
            "resident": owner_resident.pk,
            "valid_until": "2099-12-31",
            "key_tag": "Y-101",  # already registered
            "cabinet_position": "B-77",
        },
    )
    assert response.status_code == 400
    html = html_of(response)
    assert 'data-testid="error-allowed_uses"' in html
    assert 'value="B-77"' in html
    response = desk.post(
        reverse("keys:entrustment_new"),
        {
            "room": "1-101",
            "resident": owner_resident.pk,
            "allowed_uses": ["emergency"],
            "valid_until": "2099-12-31",
            "key_tag": "Y-101",
        },
    )
    assert response.status_code == 400
    assert "钥匙牌号：钥匙牌号 Y-101 已登记。" in html_of(response)
    response = desk.post(
        reverse("keys:entrustment_new"),
        {
            "room": "1-101",
            "resident": owner_resident.pk,
            "allowed_uses": ["emergency"],
            "valid_until": "2000-01-01",
            "key_tag": "Y-301",
        },
    )
    assert "委托截止日：委托截止日不能早于今天或起始日。" in html_of(response)
    assert Entrustment.objects.count() == 1


def test_paper_confirmation_and_revocation__KEY_02(desk, owner_resident, frontdesk, spare_key):
    e = services.entrustment_create(
        resident=owner_resident,
        allowed_uses=["emergency"],
        valid_until=date(2099, 1, 1),
        key_tag="Y-102",
        by=frontdesk,
    )
    url = reverse("keys:entrustment_action", args=[e.pk, "confirm"])
    response = desk.post(url, {})
    assert response.status_code == 400 and 'data-testid="error-checked"' in html_of(response)
    assert desk.post(url, {"confirm-checked": "on"}).status_code == 302
    e.refresh_from_db()
    assert (e.status, e.confirmation) == (Entrustment.Status.ACTIVE, "paper")
    assert desk.post(url, {"confirm-checked": "on"}).status_code == 409
    revoke = reverse("keys:entrustment_action", args=[e.pk, "revoke"])
    assert desk.post(revoke, {"revoke-reason": "业主出售房屋"}).status_code == 302
    assert e.keys.get().status == Key.Status.RETURNED
    html = html_of(desk.get(reverse("keys:entrustments")))
    assert e.number in html and "已撤销" in html


# --- Emergency use (KEY-07) -------------------------------------------------------------------


def test_emergency_use_from_calls_to_review__KEY_07(client, duty, supervisor, spare_key):
    use = services.emergency_open(key=spare_key, kind="water_leak", reason="楼下渗水", by=duty)
    client.force_login(duty)
    url = reverse("keys:emergency", args=[use.pk])
    html = html_of(client.get(url))
    # The people to call first, with phones, and their emergency contact.
    assert "陈静" in html and "陈父" in html and "父亲" in html
    assert "data-fill-attempt" in html
    act = lambda name: reverse("keys:emergency_action", args=[use.pk, name])  # noqa: E731
    response = client.post(act("enter"), {"enter-witness_name": "保安小王"})
    assert response.status_code == 400
    html = html_of(response)
    assert "进入前须先通知业主或租户" in html and 'value="保安小王"' in html
    response = client.post(
        act("attempt"),
        {
            "attempt-whom": "emergency_contact",
            "attempt-name": "陈父",
            "attempt-method": "phone",
            "attempt-result": "no_answer",
        },
    )
    assert response.status_code == 400
    assert "联系对象：须先联系业主或租户本人" in html_of(response)
    for whom, name in (("owner", "陈静"), ("emergency_contact", "陈父")):
        response = client.post(
            act("attempt"),
            {
                "attempt-whom": whom,
                "attempt-name": name,
                "attempt-phone": "13800000000",
                "attempt-method": "phone",
                "attempt-result": "no_answer",
            },
        )
        assert response.status_code == 302
    assert ContactAttempt.objects.filter(emergency=use).count() == 2
    assert client.post(act("enter"), {"enter-witness_name": "保安小王"}).status_code == 302
    response = client.post(act("close"), {"close-outcome": ""})
    assert response.status_code == 400 and 'data-testid="error-outcome"' in html_of(response)
    assert client.post(act("close"), {"close-outcome": "关闭总阀，已擦干"}).status_code == 302
    html = html_of(client.get(url))
    assert 'id="action-review"' not in html  # not by who used the key
    client.force_login(supervisor)
    assert client.post(act("review"), {"review-note": "处置得当"}).status_code == 302
    use.refresh_from_db()
    assert use.status == EmergencyUse.Status.REVIEWED
    assert spare_key.loans.get().status == Loan.Status.RETURNED
    html = html_of(client.get(reverse("keys:emergencies")))
    assert use.number in html


# --- Lock changes (KEY-08) ---------------------------------------------------------------------


def test_lock_change_recorded_flagged_when_late_and_sealed__KEY_08(
    client, engineer, duty, frontdesk, public_key
):
    with time_machine.travel(local("2026-03-10 09:00"), tick=False):
        client.force_login(engineer)
        html = html_of(client.get(reverse("keys:lock_change_new"), {"old_key": public_key.pk}))
        assert 'value="G-001"' in html and 'value="1栋 天台门"' in html
        response = client.post(
            reverse("keys:lock_change_new"),
            {
                "location": "1栋 天台门",
                "reason": "锁芯损坏",
                "old_key_tag": "G-001",
                "new_tag": "G-001N",
            },
        )
        change = LockChange.objects.get()
        assert response["Location"] == reverse("keys:lock_change", args=[change.pk])
    public_key.refresh_from_db()
    assert public_key.status == Key.Status.RETIRED
    with time_machine.travel(local("2026-03-11 10:00"), tick=False):
        client.force_login(frontdesk)
        html = html_of(client.get(reverse("keys:lock_changes")))
        assert "row-overdue" in html and 'data-testid="seal-overdue"' in html
        html = html_of(client.get(reverse("keys:lock_change", args=[change.pk])))
        assert 'data-testid="seal-overdue"' in html and 'id="action-seal"' not in html
        seal = reverse("keys:lock_change_action", args=[change.pk, "seal"])
        assert client.post(seal, {"seal-seal_number": "F-1"}).status_code == 403
        client.force_login(duty)
        assert client.post(seal, {"seal-seal_number": "F-1"}).status_code == 302
        html = html_of(client.get(reverse("keys:lock_change", args=[change.pk])))
        assert "超时后封存" in html and "F-1" in html


def test_front_desk_cannot_record_a_lock_change_and_keeps_the_input__KEY_08(desk):
    response = desk.post(
        reverse("keys:lock_change_new"),
        {"location": "2栋 配电房", "reason": "锁坏", "new_tag": "P-77"},
    )
    assert response.status_code == 403
    html = html_of(response)
    assert "只有工程部、物业总值、客服经理可以登记更换锁芯" in html
    assert 'value="2栋 配电房"' in html and 'value="P-77"' in html
    assert not LockChange.objects.exists()


# --- Handover (KEY-10) -----------------------------------------------------------------------


def test_handover_shows_the_live_lists_and_the_incoming_person_signs__KEY_10(
    client, frontdesk, duty, public_key, loan_out
):
    loan_out(public_key, borrower_name="张师傅")
    client.force_login(frontdesk)
    html = html_of(client.get(reverse("keys:handover_new")))
    assert "G-001" in html and "张师傅" in html
    response = client.post(reverse("keys:handover_new"), {"taken_by": frontdesk.pk})
    assert response.status_code == 400 and 'data-testid="error-taken_by"' in html_of(response)
    response = client.post(
        reverse("keys:handover_new"),
        {"taken_by": duty.pk, "other_items": "对讲机 2 台", "discrepancies": ""},
    )
    handover = Handover.objects.get()
    assert response["Location"] == reverse("keys:handover", args=[handover.pk])
    sign = reverse("keys:handover_action", args=[handover.pk, "sign"])
    assert 'id="action-sign"' not in html_of(client.get(response["Location"]))
    response = client.post(sign, {})
    assert response.status_code == 403 and "只有接班人本人可以确认交接" in html_of(response)
    client.force_login(duty)
    assert 'data-testid="status"' in html_of(
        client.get(reverse("keys:handover", args=[handover.pk]))
    )
    assert client.post(sign, {"sign-note": "已核对"}).status_code == 302
    handover.refresh_from_db()
    assert handover.status == Handover.Status.SIGNED
    assert "待您确认" not in html_of(client.get(reverse("keys:handovers")))


# --- Monthly report (KEY-09) -------------------------------------------------------------------


def test_monthly_report_preview_submit_and_review__KEY_09(
    client, frontdesk, supervisor, public_key, loan_out
):
    with time_machine.travel(local("2026-02-10 09:00"), tick=False):
        loan_out(public_key)
    with time_machine.travel(local("2026-03-02 09:00"), tick=False):
        client.force_login(frontdesk)
        html = html_of(client.get(reverse("keys:reports")))
        assert "2026-02 统计预览" in html and "借用次数" in html
        response = client.post(reverse("keys:reports"), {"month": "2026-03"})
        assert response.status_code == 400
        assert "月份：只能报送已结束月份的钥匙月报。" in html_of(response)
        response = client.post(reverse("keys:reports"), {"month": "2026-02", "note": "正常"})
        report = MonthlyReport.objects.get()
        assert response["Location"] == reverse("keys:report", args=[report.pk])
        response = client.post(reverse("keys:reports"), {"month": "2026-02"})
        assert response.status_code == 409 and "已报送" in html_of(response)
        review = reverse("keys:report_action", args=[report.pk, "review"])
        assert client.post(review, {}).status_code == 403
        client.force_login(supervisor)
        html = html_of(client.get(reverse("keys:report", args=[report.pk])))
        assert 'id="action-review"' in html and reverse("keys:report_pdf", args=[report.pk]) in html
        assert client.post(review, {"review-note": "已阅"}).status_code == 302
    report.refresh_from_db()
    assert report.status == MonthlyReport.Status.REVIEWED and report.figures["loans"] == 1


# --- Home panel and navigation ---------------------------------------------------------------


def test_the_home_panel_counts_keys_out_overdue_sealing_and_approvals__KEY_04_KEY_08(
    client, rf, project, frontdesk, engineer, public_key, spare_key, loan_out, request_loan
):
    with time_machine.travel(local("2026-03-10 09:00"), tick=False):
        loan_out(public_key)
    request_loan(spare_key)
    services.lock_change_record(
        project=project, location="机房", reason="换锁", new_tag="P-1", by=engineer
    )
    client.force_login(frontdesk)
    html = html_of(client.get(reverse("home")))
    assert 'data-panel="keys.desk"' in html
    assert 'data-testid="keys-out">1<' in html
    assert 'data-testid="keys-overdue">1<' in html
    assert 'data-testid="keys-awaiting-seal">1<' in html
    assert 'data-testid="keys-awaiting-approval">1<' in html
    request = rf.get("/")
    request.user = frontdesk
    assert any(p.key == "keys.desk" for p in panels_for(request))


def test_the_home_panel_is_scoped_to_the_users_projects(client, outsider, public_key, loan_out):
    loan_out(public_key)
    client.force_login(outsider)
    html = html_of(client.get(reverse("home")))
    assert 'data-testid="keys-out">0<' in html


def test_the_nav_shows_the_key_pages_to_staff(desk):
    html = html_of(desk.get(reverse("keys:board")))
    for label in ("钥匙", "钥匙借用登记", "钥匙委托书", "钥匙交接班"):
        assert f">{label}<" in html
    assert 'aria-current="page">钥匙<' in html
    assert ">我的钥匙委托<" not in html
