"""Shared fixtures: named actors across two projects (healthchecks' alice/bob/charlie)."""

from __future__ import annotations

import pytest

from servicedesk.core.models import Role
from tests.factories import ProjectFactory, ResidentFactory, StaffFactory, UnitFactory, UserFactory

# The browser journeys' fixtures (Debian Chromium via Playwright).
pytest_plugins = ["tests.browser"]


@pytest.fixture
def project(db):
    return ProjectFactory(code="lvcheng", name="绿城花园")


@pytest.fixture
def other_project(db):
    return ProjectFactory(code="binjiang", name="滨江苑")


@pytest.fixture
def frontdesk(project):
    return StaffFactory(name="李娜", roles=[Role.FRONT_DESK], projects=[project]).user


@pytest.fixture
def manager(project):
    return StaffFactory(name="王强", roles=[Role.MANAGER], projects=[project]).user


@pytest.fixture
def outsider(other_project):
    """Front desk of another project."""
    return StaffFactory(name="赵敏", roles=[Role.FRONT_DESK], projects=[other_project]).user


@pytest.fixture
def unit(project):
    return UnitFactory(building__project=project, building__code="1", number="1-101")


@pytest.fixture
def owner(unit):
    """The owner of 1-101 with a portal login."""
    user = UserFactory(username="owner101")
    ResidentFactory(unit=unit, name="陈静", user=user)
    return user
