from __future__ import annotations

import pytest

from servicedesk.core.models import Role
from tests.factories import ResidentFactory, StaffFactory, UnitFactory, UserFactory


@pytest.fixture
def other_unit(project):
    """11-101: same project, a label that starts like 1-101's. The owner must not see it."""
    unit = UnitFactory(building__project=project, building__code="11", number="11-101")
    ResidentFactory(unit=unit, name="周平", user=UserFactory(username="owner11101"))
    return unit


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def contractor(project):
    return StaffFactory(name="装修公司", roles=[Role.CONTRACTOR], projects=[project]).user
