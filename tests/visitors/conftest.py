"""Visitor fixtures: valid document numbers and registration through the service."""

from __future__ import annotations

import pytest

from servicedesk.core.models import Role
from tests.factories import StaffFactory
from visitors.identity import check_char
from visitors.services import visit_register


def resident_id(region: str = "110105", born: str = "19850312", serial: str = "123") -> str:
    """A valid PRC resident ID number with its GB 11643 check character."""
    first17 = f"{region}{born}{serial}"
    return first17 + check_char(first17)


@pytest.fixture
def duty(project):
    return StaffFactory(name="刘建国", roles=[Role.DUTY_MANAGER], projects=[project]).user


@pytest.fixture
def register_visit(project, unit, frontdesk):
    def make(**overrides):
        values = dict(
            project=project,
            visitor_name="张伟",
            id_type="resident_id",
            id_number=resident_id(),
            purpose="探亲",
            by=frontdesk,
            host_unit=unit,
        )
        values.update(overrides)
        return visit_register(**values)

    return make
