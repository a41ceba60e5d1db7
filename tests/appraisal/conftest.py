"""Appraisal fixtures: one department with a manager, a supervisor and a clerk."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from appraisal import services
from servicedesk.core.models import Role, StaffProfile
from tests.factories import DepartmentFactory, StaffFactory


@pytest.fixture
def department(db):
    return DepartmentFactory(code="service", name="客户服务部")


@pytest.fixture
def other_department(db):
    return DepartmentFactory(code="engineering", name="工程部")


@pytest.fixture
def boss(project, department) -> StaffProfile:
    """The customer-service manager who runs the appraisals (APR-07)."""
    return StaffFactory(
        name="王经理", roles=[Role.MANAGER], projects=[project], department=department
    )


@pytest.fixture
def lead(project, department) -> StaffProfile:
    return StaffFactory(
        name="张主管", roles=[Role.SUPERVISOR], projects=[project], department=department
    )


@pytest.fixture
def clerk(project, department) -> StaffProfile:
    return StaffFactory(
        name="李娜", roles=[Role.FRONT_DESK], projects=[project], department=department
    )


@pytest.fixture
def colleague(project, department) -> StaffProfile:
    return StaffFactory(
        name="周洁", roles=[Role.FRONT_DESK], projects=[project], department=department
    )


@pytest.fixture
def engineer_staff(project, other_department) -> StaffProfile:
    return StaffFactory(
        name="孙工", roles=[Role.ENGINEER], projects=[project], department=other_department
    )


@pytest.fixture
def gm_staff(db) -> StaffProfile:
    return StaffFactory(name="总经理", roles=[Role.GENERAL_MANAGER])


@pytest.fixture
def quality_staff(db) -> StaffProfile:
    return StaffFactory(name="品质部", roles=[Role.QUALITY])


def d(value: str | int) -> Decimal:
    return Decimal(str(value))


@pytest.fixture
def appraise(boss):
    """Create, fill and finalise an assessment; returns it."""

    def make(
        staff,
        kind="monthly",
        period=date(2026, 3, 1),
        deductions=(),
        bonus=0,
        bonus_reason="",
        by=None,
        finalise=True,
    ):
        by = by or boss.user
        a = services.assessment_create(staff=staff, kind=kind, period=period, by=by)
        rows = [
            services.DeductionInput(item=i, points=d(p), reason="r", standard="s")
            for i, p in deductions
        ]
        a = services.assessment_save(
            assessment=a,
            deductions=rows,
            bonus=d(bonus),
            bonus_reason=bonus_reason or ("嘉奖" if bonus else ""),
            by=by,
        )
        if finalise:
            a = services.assessment_finalise(assessment=a, by=by)
        return a

    return make
