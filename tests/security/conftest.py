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

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from appraisal import services as appraisal_services
from appraisal.models import Assessment
from complaints.models import Category, Channel, Complaint
from complaints.services import complaint_file, complaint_merge
from decoration import services as decoration_services
from decoration.models import Contractor, Permit
from keys import services as key_services
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
    "visit",
    "key",
    "loan",
    "entrustment",
    "assessment",
    "staff",
    "permit",
    "pass",
    "fine",
)


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


def _permit(unit, frontdesk, engineer, contractor: tuple[str, str]) -> Permit:
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
    decoration_services.drawings_submit(permit=permit, by=frontdesk)
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
    w.records.update(complaint=complaint, neighbour_complaint=neighbour_complaint)


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
    """恒安's permit of 1-101 on site with a pass and a fine; the rival's permit of 1-102,
    approved."""
    p = w.people
    args = (p["frontdesk"], p["engineer"])
    permit = _permit(w.unit, *args, ("恒安装饰工程有限公司", "JZ-2025-0001"))
    decoration_services.deposit_pay(
        permit=permit, amount="20000.00", receipt_no="YJ-0001", by=p["frontdesk"]
    )
    decoration_services.permit_issue(
        permit=permit, start_date=timezone.localdate(), by=p["frontdesk"]
    )
    permit = Permit.objects.get(pk=permit.pk)
    worker_pass = decoration_services.pass_issue(
        permit=permit, worker_name="王建军", id_number=WORKER_ID, by=p["frontdesk"]
    )
    fine = decoration_services.fine_charge(
        permit=permit, amount="500.00", reason="堆放垃圾", by=p["supervisor"]
    )
    rival_permit = _permit(w.neighbour_unit, *args, ("远大装饰有限公司", "JZ-2025-0002"))
    w.records.update(
        permit=Permit.objects.get(pk=permit.pk),
        worker_pass=worker_pass,
        fine=fine,
        rival_permit=rival_permit,
    )
    w.records["pass"] = worker_pass


BUILDERS = {
    "complaint": _build_complaint,
    "visit": _build_visit,
    "keys": _build_keys,
    "assessment": _build_assessment,
    "permit": _build_permit,
    "unit": lambda w: None,
}


def _contractor(username: str, name: str, licence: str) -> User:
    user = UserFactory(username=username)
    StaffFactory(user=user, name=name, roles=[Role.CONTRACTOR])
    Contractor.objects.create(name=name, licence_no=licence, user=user)
    return user


@pytest.fixture
def world(project, other_project, unit, owner, frontdesk, manager, outsider) -> World:
    """The actors; records are built by ``world.build(group)``."""
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
