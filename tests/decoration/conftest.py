"""Decoration fixtures: actors, and permits driven to each stage through the services."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from decoration import services
from decoration.models import Contractor, Permit
from servicedesk.core.models import Role
from tests.factories import StaffFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A valid PRC resident ID number (check digit correct) and a second one.
WORKER_ID = "11010519491231002X"
WORKER_ID_2 = "110105194912310038"


def local(text: str) -> datetime:
    """``local("2025-10-13 09:00")`` → aware Asia/Shanghai datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def engineer(project):
    return StaffFactory(name="孙工", roles=[Role.ENGINEER], projects=[project]).user


@pytest.fixture
def engineer2(project):
    return StaffFactory(name="周工", roles=[Role.ENGINEER], projects=[project]).user


@pytest.fixture
def supervisor(project):
    return StaffFactory(name="张敏", roles=[Role.SUPERVISOR], projects=[project]).user


@pytest.fixture
def manager2(project):
    return StaffFactory(name="钱经理", roles=[Role.MANAGER], projects=[project]).user


@pytest.fixture
def contractor_user(db):
    """The login of 恒安装饰, linked to its contractor record."""
    user = UserFactory(username="hengan")
    StaffFactory(user=user, name="恒安装饰工程有限公司", roles=[Role.CONTRACTOR])
    Contractor.objects.create(name="恒安装饰工程有限公司", licence_no="JZ-2025-0001", user=user)
    return user


@pytest.fixture
def file_permit(unit, owner, frontdesk, contractor_user):
    """File a permit at the desk for 1-101 (owner 陈静 signed on paper); keyword arguments
    override."""

    def make(**overrides) -> Permit:
        values = dict(
            unit=unit,
            contractor_name="恒安装饰工程有限公司",
            contractor_licence="JZ-2025-0001",
            area_m2="120.00",
            planned_start=date(2025, 10, 13),
            items=["墙面翻新", "水电改造"],
            owner_signed=True,
            site_leader_name="郑师傅",
            by=frontdesk,
        )
        values.update(overrides)
        return services.permit_file(**values)

    return make


@pytest.fixture
def approved_permit(file_permit, frontdesk, engineer) -> Permit:
    permit = file_permit()
    services.drawings_submit(permit=permit, by=frontdesk)
    services.review_decide(
        permit=permit,
        by=engineer,
        approve=True,
        structure_ok=True,
        water_electric_ok=True,
        waterproofing_ok=True,
    )
    return Permit.objects.get(pk=permit.pk)


@pytest.fixture
def paid_permit(approved_permit, frontdesk) -> Permit:
    services.deposit_pay(
        permit=approved_permit, amount="20000.00", receipt_no="YJ-0001", by=frontdesk
    )
    return Permit.objects.get(pk=approved_permit.pk)


@pytest.fixture
def issue(frontdesk):
    def make(permit: Permit, start: date) -> Permit:
        services.permit_issue(permit=permit, start_date=start, by=frontdesk)
        return Permit.objects.get(pk=permit.pk)

    return make


DEPOSIT = Decimal("20000.00")
