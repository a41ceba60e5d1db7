"""The access-control matrix's world: one record of each major type in project A,
built through the services, and the people who must not see them.

Project A (``project``, 绿城花园) holds every record, all on unit 1-101 of the owner
陈静 (``owner``). Around it:

- ``neighbour``: the owner of 1-102 in the same project (another unit);
- ``tenant``: a tenant of 1-103 in the same project;
- ``rival``: the login of another contractor, holding a permit of 1-102;
- ``outsider``: front desk of project B; ``outsider_manager``: manager of project B,
  in another department (appraisal is scoped by department, not by project);
- ``anonymous``: nobody logged in.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from appraisal import services as appraisal_services
from appraisal.models import Assessment, AssessmentContent, TrainingResult
from complaints.models import Category, Channel, Complaint, FirstQuestionFailure
from complaints.services import complaint_file, complaint_merge, first_question_failure_record
from complaints.uploads import photo_add
from decoration import services as decoration_services
from decoration.models import Contractor, Drawing, HotWorkPermit, Permit
from keys import services as key_services
from keys.models import EmergencyUse
from servicedesk.core.models import Resident, Role
from tests.factories import (
    DepartmentFactory,
    ResidentFactory,
    StaffFactory,
    UnitFactory,
    UserFactory,
)
from visitors.identity import check_char
from visitors.services import visit_register

# A valid PRC resident ID number (check digit correct), as tests/decoration/conftest.py.
WORKER_ID = "11010519491231002X"
VISITOR_ID = "11010519850312123" + check_char("11010519850312123")

OWNER_PHONE = "+8613811112222"
NEIGHBOUR_PHONE = "+8613922223333"
TENANT_PHONE = "+8613733334444"
NEIGHBOUR_DIGITS = "13922223333"

# Scores that appear nowhere else: the colleague's appraisal and the front desk's own.
COLLEAGUE_REASON = "周洁-迟到三次-保密扣分"
OWN_REASON = "李娜-本人扣分"


MISSING = 999_999  # an id no record has: out of scope must answer exactly like this


@dataclass
class World:
    """The actors, and the records of project A, each group built on first use
    (``world.build("permit")``) so a test pays only for what it requests."""

    project: Any
    other_project: Any
    unit: Any
    neighbour_unit: Any
    people: dict[str, Any]
    users: dict[str, User | None]
    records: dict[str, Any] = field(default_factory=dict)

    def build(self, *groups: str) -> World:
        for group in groups:
            if group not in self._built:
                BUILDERS[group](self)
                self._built.add(group)
        return self

    @property
    def _built(self) -> set[str]:
        return self.records.setdefault("_built", set())

    def __getattr__(self, name: str) -> Any:
        records = self.__dict__.get("records", {})
        if name in records:
            return records[name]
        raise AttributeError(name)

    @property
    def ids(self) -> dict[str, int]:
        """The primary keys the URL templates take (``{complaint}``, ``{permit}`` ...);
        records not built yet stand at ``MISSING``."""
        ids = dict.fromkeys(RECORD_KEYS, MISSING)
        ids["unit"] = self.unit.pk
        for name in RECORD_KEYS:
            record = self.records.get(name)
            if record is not None:
                ids[name] = record.pk
        if "assessment" in self.records:
            ids["staff"] = self.records["assessment"].staff_id
        ids["year"] = 2026
        return ids


RECORD_KEYS = (
    "complaint",
    "photo",
    "visit",
    "key",
    "loan",
    "entrustment",
    "emergency",
    "lock_change",
    "copy_request",
    "handover",
    "report",
    "assessment",
    "staff",
    "suggestion",
    "training",
    "permit",
    "drawing",
    "pass",
    "fine",
    "inspection",
    "inspection_photo",
    "rectification",
    "hot_work",
    "application",
    "notice",
)

# Words that appear in one record only, for the lists to be searched for.
EMERGENCY_REASON = "楼上漏水-紧急入户"
LOCK_CHANGE_LOCATION = "1栋-机房门-换芯"
HANDOVER_ITEMS = "少一把天台门钥匙-交接"
REPORT_NOTE = "本月钥匙无异常-月报"
INSPECTION_FINDINGS = "楼道堆放装修垃圾-巡视"
NOTICE_TITLE = "1-101-外墙打孔通告"
TRAINING_NOTE = "周洁-上岗考核-保密"


def png(name: str = "现场.png") -> SimpleUploadedFile:
    """A small valid PNG (uploads are checked by content)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def api_client(user: User | None) -> APIClient:
    """An APIClient sending the user's token (none for the anonymous caller)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _complaints(project, unit, neighbour_unit, frontdesk) -> tuple[Complaint, Complaint]:
    """The owner's complaint, with the neighbour's duplicate merged into it (CMP-14):
    the master then holds a second reporter, the neighbour, with their phone."""
    values: dict[str, Any] = dict(
        project=project,
        channel=Channel.objects.get(code="phone"),
        category=Category.objects.get(code="facilities"),
        by=frontdesk,
    )
    mine = complaint_file(
        unit=unit,
        description="厨房水管漏水",
        reporter_name="陈静",
        reporter_phone=OWNER_PHONE[3:],
        **values,
    )
    theirs = complaint_file(
        unit=neighbour_unit,
        description="楼上漏水渗到我家",
        reporter_name="孙丽",
        reporter_phone=NEIGHBOUR_DIGITS,
        **values,
    )
    complaint_merge(complaint=theirs, into=mine, by=frontdesk, reason="同一漏水")
    return Complaint.objects.get(pk=mine.pk), theirs


def _permit(
    unit, frontdesk, engineer, contractor: tuple[str, str], drawing: bool = False
) -> Permit:
    """An approved permit; with ``drawing``, the floor plan is uploaded, not on paper."""
    name, licence = contractor
    permit = decoration_services.permit_file(
        unit=unit,
        contractor_name=name,
        contractor_licence=licence,
        area_m2="120.00",
        planned_start=date(2025, 10, 13),
        items=["墙面翻新", "水电改造"],
        owner_signed=True,
        site_leader_name="郑师傅",
        by=frontdesk,
    )
    uploads = [(Drawing.Kind.PLAN, png("平面图.png"))] if drawing else []
    decoration_services.drawings_submit(
        permit=permit,
        by=frontdesk,
        uploads=uploads,
        paper_kinds=[Drawing.Kind.WATER_ELECTRIC] if drawing else [],
    )
    decoration_services.review_decide(
        permit=permit,
        by=engineer,
        approve=True,
        structure_ok=True,
        water_electric_ok=True,
        waterproofing_ok=True,
    )
    return Permit.objects.get(pk=permit.pk)


def _build_complaint(w: World) -> None:
    complaint, neighbour_complaint = _complaints(
        w.project, w.unit, w.neighbour_unit, w.people["frontdesk"]
    )
    photo = photo_add(complaint=complaint, upload=png("厨房漏水.png"), by=w.people["frontdesk"])
    w.records.update(complaint=complaint, neighbour_complaint=neighbour_complaint, photo=photo)


def _build_visit(w: World) -> None:
    w.records["visit"] = visit_register(
        project=w.project,
        visitor_name="访客张伟",
        id_type="resident_id",
        id_number=VISITOR_ID,
        purpose="探亲",
        by=w.people["frontdesk"],
        host_unit=w.unit,
    )


def _build_keys(w: World) -> None:
    """The owner's entrustment with its spare key, and a loan of that key (requested)."""
    entrustment = key_services.entrustment_create(
        resident=Resident.objects.get(user=w.people["owner"]),
        allowed_uses=["emergency", "maintenance"],
        valid_until=date(2099, 12, 31),
        key_tag="Y-101",
        cabinet_position="B-01",
        paper_signed=True,
        by=w.people["frontdesk"],
    )
    key = entrustment.keys.get()
    loan = key_services.loan_request(key=key, purpose="维修水管", by=w.people["frontdesk"])
    w.records.update(entrustment=entrustment, key=key, loan=loan)


def _appraise(staff: Any, points: str, reason: str, by: User) -> Assessment:
    a = appraisal_services.assessment_create(
        staff=staff, kind="monthly", period=date(2026, 3, 1), by=by
    )
    a = appraisal_services.assessment_save(
        assessment=a,
        deductions=[
            appraisal_services.DeductionInput(
                item="de2", points=Decimal(points), reason=reason, standard="s"
            )
        ],
        by=by,
    )
    return appraisal_services.assessment_finalise(assessment=a, by=by)


def _build_assessment(w: World) -> None:
    """The colleague's finalised monthly check (96.50), and the front desk's own (99.00)."""
    manager = w.people["manager"]
    w.records["assessment"] = _appraise(w.people["colleague"], "3.5", COLLEAGUE_REASON, manager)
    w.records["own_assessment"] = _appraise(
        w.people["frontdesk"].staff_profile, "1", OWN_REASON, manager
    )


def _build_permit(w: World) -> None:
    """恒安's permit of 1-101 on site (an uploaded floor plan) with a pass (with its
    photo) and a fine; the rival's permit of 1-102, approved."""
    p = w.people
    args = (p["frontdesk"], p["engineer"])
    permit = _permit(w.unit, *args, ("恒安装饰工程有限公司", "JZ-2025-0001"), drawing=True)
    decoration_services.deposit_pay(
        permit=permit, amount="20000.00", receipt_no="YJ-0001", by=p["frontdesk"]
    )
    decoration_services.permit_issue(
        permit=permit, start_date=timezone.localdate(), by=p["frontdesk"]
    )
    permit = Permit.objects.get(pk=permit.pk)
    worker_pass = decoration_services.pass_issue(
        permit=permit,
        worker_name="王建军",
        id_number=WORKER_ID,
        by=p["frontdesk"],
        photo=png("王建军.png"),
    )
    fine = decoration_services.fine_charge(
        permit=permit, amount="500.00", reason="堆放垃圾", by=p["supervisor"]
    )
    rival_permit = _permit(w.neighbour_unit, *args, ("远大装饰有限公司", "JZ-2025-0002"))
    w.records.update(
        permit=Permit.objects.get(pk=permit.pk),
        drawing=permit.drawings.get(on_paper=False),
        worker_pass=worker_pass,
        fine=fine,
        rival_permit=rival_permit,
    )
    w.records["pass"] = worker_pass


def _build_site(w: World) -> None:
    """On 恒安's site: an inspection with a photo and its rectification notice, a hot
    work request and an application by the contractor, a construction notice drafted
    (not issued: once issued it is every resident's of the building)."""
    w.build("permit")
    p, permit = w.people, w.records["permit"]
    inspection = decoration_services.inspection_record(
        permit=permit,
        by=p["supervisor"],
        extinguishers_found=3,
        findings=INSPECTION_FINDINGS,
        violation=True,
        photos=[png("楼道.png")],
    )
    now = timezone.now()
    rectification = decoration_services.notice_issue(
        permit=permit,
        items="当日清运楼道垃圾",
        due_at=now + timedelta(days=3),
        by=p["supervisor"],
        inspection=inspection,
    )
    hot_work = decoration_services.hot_work_request(
        permit=permit,
        by=p["contractor"],
        work_kind=HotWorkPermit.WorkKind.WELDING,
        location="阳台栏杆",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2),
        welder_name="赵焊工",
        welder_certificate_no="T-2025-001",
        welder_certificate_valid_until=date(2099, 12, 31),
        guardian_name="郑师傅",
        extinguishers_ready=True,
        combustibles_cleared=True,
    )
    application = decoration_services.application_request(
        permit=permit, kind="overtime", details="周六加班", by=p["contractor"]
    )
    starts = decoration_services.earliest_work_start(now) + timedelta(days=7)
    notice = decoration_services.construction_notice_draft(
        project=w.project,
        title=NOTICE_TITLE,
        body="外墙打孔，噪音较大。",
        work_starts_on=starts,
        work_ends_on=starts + timedelta(days=2),
        by=p["frontdesk"],
        permit=permit,
    )
    w.records.update(
        inspection=inspection,
        inspection_photo=inspection.photos.get(),
        rectification=rectification,
        hot_work=hot_work,
        application=application,
        notice=notice,
    )


def _build_custody(w: World) -> None:
    """Around the owner's spare key: an emergency use (the pending loan gives way), a
    copy request; a lock change, a duty handover and last month's report of project A."""
    w.build("keys")
    p, key = w.people, w.records["key"]
    emergency = key_services.emergency_open(
        key=key, kind=EmergencyUse.Kind.values[0], reason=EMERGENCY_REASON, by=p["manager"]
    )
    copy_request = key_services.copy_request(
        key=key, count=1, reason="备用钥匙磨损", by=p["frontdesk"]
    )
    lock_change = key_services.lock_change_record(
        project=w.project,
        location=LOCK_CHANGE_LOCATION,
        reason="锁芯损坏",
        new_tag="G-900",
        by=p["engineer"],
    )
    handover = key_services.handover_create(
        project=w.project,
        taken_by=p["supervisor"],
        by=p["frontdesk"],
        other_items="对讲机三台",
        discrepancies=HANDOVER_ITEMS,
    )
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    report = key_services.report_submit(
        project=w.project, month=last_month, by=p["frontdesk"], note=REPORT_NOTE
    )
    w.records.update(
        emergency=emergency,
        copy_request=copy_request,
        lock_change=lock_change,
        handover=handover,
        report=report,
    )


def _build_suggestion(w: World) -> None:
    """The colleague's suggested deduction (a first-question failure on the complaint,
    CMP-22) and training result, next to their finalised appraisal."""
    w.build("assessment", "complaint")
    p = w.people
    colleague = p["colleague"]
    first_question_failure_record(
        complaint=w.records["complaint"],
        staff=colleague.user,
        kind=FirstQuestionFailure.Kind.values[0],
        note="未记录处理结果",
        by=p["manager"],
    )
    month = timezone.localdate().replace(day=1)
    (suggestion,) = appraisal_services.suggestions_refresh(staff=[colleague], month=month)
    training = appraisal_services.training_record(
        staff=colleague,
        stage=TrainingResult.Stage.ON_POST,
        test_type=AssessmentContent.SKILL,
        score=Decimal("61.5"),
        passed=True,
        taken_on=timezone.localdate(),
        by=p["manager"],
        note=TRAINING_NOTE,
    )
    w.records.update(suggestion=suggestion, training=training)


BUILDERS = {
    "complaint": _build_complaint,
    "visit": _build_visit,
    "keys": _build_keys,
    "custody": _build_custody,
    "assessment": _build_assessment,
    "suggestion": _build_suggestion,
    "permit": _build_permit,
    "site": _build_site,
    "unit": lambda w: None,
}


def _contractor(username: str, name: str, licence: str) -> User:
    user = UserFactory(username=username)
    StaffFactory(user=user, name=name, roles=[Role.CONTRACTOR])
    Contractor.objects.create(name=name, licence_no=licence, user=user)
    return user


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give each schemathesis operation its own node id.

    schemathesis 4.32 names its items ``test_api[GET /api/v1/…]`` but, under
    pytest 9's structured node ids, leaves every one with the id ``…::test_api``;
    pytest-xdist tells tests apart by id, so under ``-n`` it ran one operation of
    the 140. The operation label becomes the id's parameter part, as pytest's own
    parametrize would make it. (Private attribute: both versions are pinned.)
    """
    for item in items:
        if type(item).__name__ == "SchemathesisFunction" and item.parent is not None:
            label = getattr(item, "operation_label", None) or item.name
            item._id = item.parent.id.child(item.originalname).with_params(label)  # type: ignore[attr-defined]


@pytest.fixture
def world(
    project, other_project, unit, owner, frontdesk, manager, outsider, settings, tmp_path
) -> World:
    """The actors; records are built by ``world.build(group)``. Uploads go to a
    temporary MEDIA_ROOT, never the working tree."""
    settings.MEDIA_ROOT = tmp_path / "media"
    service = DepartmentFactory(code="service", name="客服部")
    supervisor = StaffFactory(
        name="张敏", roles=[Role.SUPERVISOR], projects=[project], department=service
    ).user
    engineer = StaffFactory(name="孙工", roles=[Role.ENGINEER], projects=[project]).user
    colleague = StaffFactory(
        name="周洁", roles=[Role.FRONT_DESK], projects=[project], department=service
    )
    # Project B's manager, in B's own department.
    b_department = DepartmentFactory(code="b-service", name="滨江苑客服部")
    outsider_manager = StaffFactory(
        name="钱经理", roles=[Role.MANAGER], projects=[other_project], department=b_department
    ).user

    # The owner of 1-101 has a phone on file; the neighbours live in 1-102 and 1-103.
    Resident.objects.filter(user=owner).update(phone=OWNER_PHONE)
    neighbour_unit = UnitFactory(building=unit.building, number="1-102")
    neighbour = UserFactory(username="neighbour102")
    ResidentFactory(unit=neighbour_unit, name="孙丽", user=neighbour, phone=NEIGHBOUR_PHONE)
    tenant_unit = UnitFactory(building=unit.building, number="1-103")
    tenant = UserFactory(username="tenant103")
    ResidentFactory(
        unit=tenant_unit, name="吴租", user=tenant, kind=Resident.Kind.TENANT, phone=TENANT_PHONE
    )
    contractor = _contractor("hengan", "恒安装饰工程有限公司", "JZ-2025-0001")
    rival = _contractor("rival", "远大装饰有限公司", "JZ-2025-0002")

    people = {
        "owner": owner,
        "frontdesk": frontdesk,
        "manager": manager,
        "supervisor": supervisor,
        "engineer": engineer,
        "contractor": contractor,
        "colleague": colleague,
    }
    users: dict[str, User | None] = {
        "anonymous": None,
        "outsider_frontdesk": outsider,
        "outsider_manager": outsider_manager,
        "neighbour": neighbour,
        "tenant": tenant,
        "rival_contractor": rival,
        **{k: v for k, v in people.items() if k != "colleague"},
        "colleague": colleague.user,
    }
    return World(
        project=project,
        other_project=other_project,
        unit=unit,
        neighbour_unit=neighbour_unit,
        people=people,
        users=users,
    )
