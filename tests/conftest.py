"""Shared fixtures: named actors across two projects (healthchecks' alice/bob/charlie)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate

from servicedesk.core.models import Role
from tests.factories import ProjectFactory, ResidentFactory, StaffFactory, UnitFactory, UserFactory

# The browser journeys' fixtures (Debian Chromium via Playwright).
pytest_plugins = ["tests.browser"]

# Rows the data migrations seed (complaint channels, categories and policy; the
# published appraisal criteria), by app.
_SEEDS = {
    "complaints": "complaints.migrations.0002_defaults",
    "appraisal": "appraisal.migrations.0002_default_criteria",
}


def _reseed(sender: Any, apps: Any = global_apps, **kwargs: Any) -> None:
    """Put the seeded rows back after a transactional test empties the tables.

    Such a test (parallel transactions, a live server) ends with a flush, which
    sends ``post_migrate`` (content types come back that way) but not the data
    migrations. Whatever ran next in the same process then missed a channel or
    the criteria, depending on the order: pytest-xdist spreads files across
    workers. Both seeds are idempotent. (``flush`` sends the signal without
    ``apps``: the current models then.)
    """
    module = _SEEDS.get(sender.name)
    if module is not None:
        importlib.import_module(module).seed(apps, None)


post_migrate.connect(_reseed, dispatch_uid="tests.conftest.reseed")


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
