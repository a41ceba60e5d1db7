"""The decoration portal: an owner files online and follows their permit; a tenant
cannot file; a contractor sees only its own permits and acts on them
(DEC-01, DEC-02, DEC-05, DEC-08, DEC-09, DEC-11, DEC-13, ORG-02)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from decoration import services
from decoration.models import (
    Application,
    Contractor,
    Drawing,
    Extension,
    HotWorkPermit,
    Permit,
)
from servicedesk.core.models import Resident, Role
from tests.decoration.conftest import local
from tests.factories import ResidentFactory, StaffFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ONLINE = {
    "contractor_name": "恒安装饰工程有限公司",
    "contractor_licence": "JZ-2025-0001",
    "contract_signed": "on",
    "area_m2": "89.50",
    "planned_start": "2099-10-13",
    "items": "厨房翻新\n卫生间防水",
}


def html_of(response) -> str:
    return response.content.decode()


def act(client, permit: Permit, name: str, data: dict | None = None):
    payload = {f"{name}-{k}": v for k, v in (data or {}).items()}
    return client.post(reverse("decoration:permit_action", args=[permit.pk, name]), payload)


@pytest.fixture
def tenant(unit):
    user = UserFactory(username="tenant101")
    ResidentFactory(unit=unit, name="林租", kind=Resident.Kind.TENANT, user=user)
    return user


@pytest.fixture
def other_contractor(db):
    user = UserFactory(username="hongda")
    StaffFactory(user=user, name="宏达装饰", roles=[Role.CONTRACTOR])
    Contractor.objects.create(name="宏达装饰", licence_no="HD-0009", user=user)
    return user


@pytest.fixture
def other_permit(file_permit, project):
    """11-101's permit by another contractor (ORG-02: a label that starts like 1-101)."""
    unit = UnitFactory(building__project=project, building__code="11", number="11-101")
    ResidentFactory(unit=unit, name="周平", user=UserFactory(username="owner11101"))
    return file_permit(unit=unit, contractor_name="宏达装饰", contractor_licence="HD-0009")


def test_the_owner_files_online_and_follows_the_permit__DEC_02(
    client, owner, contractor_user, unit
):
    client.force_login(owner)
    html = html_of(client.get(reverse("decoration:portal")))
    assert 'data-testid="portal-file"' in html
    response = client.post(reverse("decoration:portal_new"), {**ONLINE, "unit": unit.pk})
    permit = Permit.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "decoration:permit", args=[permit.pk]
    )
    assert permit.owner_signature == Permit.Signature.PORTAL
    assert permit.contractor.user == contractor_user  # matched by its licence (DEC-03)
    html = html_of(client.get(response.url))
    assert "业主本人网上填写" in html and "提交装修申请" in html
    assert 'data-testid="balances"' in html
    # The owner sees no desk action (no deposit, no review).
    assert 'id="action-deposit"' not in html and 'id="action-review"' not in html
    assert permit.number in html_of(client.get(reverse("decoration:portal")))


def test_online_filing_errors_keep_the_input__DEC_03(client, owner, unit):
    client.force_login(owner)
    data = {**ONLINE, "unit": unit.pk, "contractor_licence": ""}
    response = client.post(reverse("decoration:portal_new"), data)
    assert response.status_code == 400
    html = html_of(response)
    assert "营业执照或资质证书编号" in html and "厨房翻新" in html
    assert Permit.objects.count() == 0


def test_a_tenant_cannot_file_and_is_told_why__DEC_02(client, tenant):
    client.force_login(tenant)
    assert 'data-testid="portal-file"' not in html_of(client.get(reverse("decoration:portal")))
    for response in (
        client.get(reverse("decoration:portal_new")),
        client.post(reverse("decoration:portal_new"), ONLINE),
    ):
        assert response.status_code == 403
        assert "租户请联系业主办理" in html_of(response)
    assert Permit.objects.count() == 0


def test_another_units_owner_gets_404__ORG_02(client, file_permit, project):
    permit = file_permit()
    unit = UnitFactory(building__project=project, building__code="11", number="11-101")
    user = UserFactory(username="owner11101")
    ResidentFactory(unit=unit, name="周平", user=user)
    client.force_login(user)
    assert client.get(reverse("decoration:permit", args=[permit.pk])).status_code == 404
    assert permit.number not in html_of(client.get(reverse("decoration:portal")))


def test_the_contractor_sees_only_its_own_permits_and_passes__ORG_02(
    client, contractor_user, other_contractor, file_permit, other_permit
):
    mine = file_permit()
    client.force_login(contractor_user)
    html = html_of(client.get(reverse("decoration:portal")))
    assert mine.number in html and other_permit.number not in html
    assert 'data-testid="portal-passes"' in html
    assert client.get(reverse("decoration:permit", args=[mine.pk])).status_code == 200
    assert client.get(reverse("decoration:permit", args=[other_permit.pk])).status_code == 404
    assert act(client, other_permit, "drawings", {}).status_code == 404
    client.force_login(other_contractor)
    html = html_of(client.get(reverse("decoration:portal")))
    assert other_permit.number in html and mine.number not in html


def test_the_contractor_uploads_drawings_which_start_the_review__DEC_01(
    client, contractor_user, file_permit, owner
):
    permit = file_permit()
    client.force_login(contractor_user)
    upload = SimpleUploadedFile("水电图.pdf", PDF, content_type="application/pdf")
    response = act(client, permit, "drawings", {"water_electric": upload})
    assert response.status_code == 302
    permit.refresh_from_db()
    assert permit.status == Permit.Status.UNDER_REVIEW and permit.review_due_at
    drawing = Drawing.objects.get()
    response = client.get(reverse("decoration:drawing", args=[drawing.pk]))
    assert response["X-Content-Type-Options"] == "nosniff"
    # The owner of the unit may download it too; a fake "PDF" is refused on its field.
    client.force_login(owner)
    assert client.get(reverse("decoration:drawing", args=[drawing.pk])).status_code == 200


def test_a_fake_drawing_is_refused_on_its_field_keeping_the_page(
    client, contractor_user, file_permit
):
    permit = file_permit()
    client.force_login(contractor_user)
    fake = SimpleUploadedFile("plan.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    response = act(client, permit, "drawings", {"plan": fake})
    assert response.status_code == 400
    assert "不是 PDF、JPEG 或 PNG 文件" in html_of(response)


def test_the_contractor_cannot_take_the_deposit__DEC_04(client, contractor_user, approved_permit):
    client.force_login(contractor_user)
    html = html_of(client.get(reverse("decoration:permit", args=[approved_permit.pk])))
    assert 'id="action-deposit"' not in html
    response = act(client, approved_permit, "deposit", {"amount": "20000.00", "receipt_no": "X"})
    assert response.status_code == 403


def test_contractor_asks_extension_hot_work_application_then_completion__DEC_05_DEC_08_DEC_11(
    client, contractor_user, paid_permit, issue
):
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        permit = issue(paid_permit, date(2025, 10, 13))
    with time_machine.travel(local("2025-10-20 09:00"), tick=False):
        client.force_login(contractor_user)
        html = html_of(client.get(reverse("decoration:permit", args=[permit.pk])))
        for action in ("extension", "hot_work", "application", "completion"):
            assert f'id="action-{action}"' in html, action
        assert 'id="action-pass_issue"' not in html and 'id="action-inspection"' not in html
        response = act(
            client, permit, "extension", {"new_end_date": "2025-12-10", "reason": "材料延误"}
        )
        assert response.status_code == 302
        response = act(
            client,
            permit,
            "hot_work",
            {
                "work_kind": "welding",
                "location": "阳台栏杆",
                "starts_at": "2025-10-21T09:00",
                "ends_at": "2025-10-21T11:00",
                "welder_name": "赵焊",
                "welder_certificate_no": "T-123",
                "welder_certificate_valid_until": "2026-12-31",
                "guardian_name": "郑师傅",
                "extinguishers_ready": "on",
                "combustibles_cleared": "on",
            },
        )
        assert response.status_code == 302
        response = act(
            client, permit, "application", {"kind": "freight_lift", "details": "运送瓷砖 20 箱"}
        )
        assert response.status_code == 302
        response = act(client, permit, "hot_work", {"work_kind": "welding", "location": ""})
        assert response.status_code == 400
        html = html_of(response)
        assert "请填写动火部位" in html and "电焊工须持证上岗" in html
        response = act(client, permit, "completion", {})
        assert response.status_code == 302
    assert Extension.objects.get().requested_by == contractor_user
    assert HotWorkPermit.objects.get().status == HotWorkPermit.Status.REQUESTED
    assert Application.objects.get().kind == "freight_lift"
    permit.refresh_from_db()
    assert permit.status == Permit.Status.COMPLETION_APPLIED


def test_residents_see_issued_notices_of_their_building_only__DEC_13(
    client, owner, supervisor, manager, project, unit
):
    other_building = UnitFactory(building__project=project, building__code="2", number="2-101")
    with time_machine.travel(local("2025-10-09 10:00"), tick=False):
        notices = []
        for title, building in (
            ("1栋 电梯井施工", unit.building),
            ("2栋 外墙施工", other_building.building),
            ("全体 停水通知", None),
        ):
            notice = services.construction_notice_draft(
                project=project,
                title=title,
                body="敬请谅解。",
                work_starts_on=date(2025, 10, 20),
                work_ends_on=date(2025, 10, 21),
                by=supervisor,
                building=building,
            )
            services.construction_notice_approve(notice=notice, by=manager)
            services.construction_notice_issue(notice=notice, by=supervisor)
            notices.append(notice)
        draft = services.construction_notice_draft(
            project=project,
            title="未发布的草稿",
            body="—",
            work_starts_on=date(2025, 10, 20),
            work_ends_on=date(2025, 10, 21),
            by=supervisor,
        )
    client.force_login(owner)
    html = html_of(client.get(reverse("decoration:portal")))
    assert "1栋 电梯井施工" in html and "全体 停水通知" in html
    assert "2栋 外墙施工" not in html and "未发布的草稿" not in html
    assert client.get(reverse("decoration:notice", args=[notices[0].pk])).status_code == 200
    assert client.get(reverse("decoration:notice", args=[notices[1].pk])).status_code == 404
    assert client.get(reverse("decoration:notice", args=[draft.pk])).status_code == 404


def test_the_portal_is_for_residents_and_contractors(client, frontdesk, outsider):
    client.force_login(frontdesk)
    assert client.get(reverse("decoration:portal")).status_code == 403
