"""Key custody fixtures: keys, entrustments and loans made through the services."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from keys import services
from keys.models import Key
from servicedesk.core.models import Resident, Role
from tests.factories import EmergencyContactFactory, StaffFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """``local("2025-09-30 10:00")`` → aware Asia/Shanghai datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def duty(project):
    return StaffFactory(name="刘建国", roles=[Role.DUTY_MANAGER], projects=[project]).user


@pytest.fixture
def supervisor(project):
    return StaffFactory(name="张敏", roles=[Role.SUPERVISOR], projects=[project]).user


@pytest.fixture
def engineer(project):
    return StaffFactory(name="孙工", roles=[Role.ENGINEER], projects=[project]).user


@pytest.fixture
def owner_resident(owner) -> Resident:
    resident = Resident.objects.get(user=owner)
    EmergencyContactFactory(resident=resident, name="陈父", relation="父亲")
    return resident


@pytest.fixture
def public_key(project, frontdesk) -> Key:
    """A public-area key in the cabinet."""
    return services.key_register(
        project=project,
        tag="G-001",
        kind=Key.Kind.PUBLIC_AREA,
        opens="1栋 天台门",
        cabinet_position="A-01",
        by=frontdesk,
    )


@pytest.fixture
def spare_key(owner_resident, frontdesk) -> Key:
    """The owner of 1-101's spare key, under an active (paper-signed) entrustment."""
    entrustment = services.entrustment_create(
        resident=owner_resident,
        allowed_uses=["emergency", "maintenance"],
        valid_until=date(2099, 12, 31),
        key_tag="Y-101",
        cabinet_position="B-01",
        paper_signed=True,
        by=frontdesk,
    )
    return entrustment.keys.get()


@pytest.fixture
def request_loan(frontdesk):
    """Ask for a loan through the service; keyword arguments override the defaults."""

    def make(key: Key, **overrides):
        values = dict(key=key, purpose="维修天台水箱", by=frontdesk)
        values.update(overrides)
        return services.loan_request(**values)

    return make


@pytest.fixture
def loan_out(request_loan, manager, frontdesk):
    """Request, approve and check out a loan of ``key``."""

    def make(key: Key, **overrides):
        loan = request_loan(key, **overrides)
        services.loan_approve(loan=loan, by=manager)
        return services.loan_checkout(loan=loan, by=frontdesk)

    return make
