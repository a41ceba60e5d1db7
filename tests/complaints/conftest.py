"""Complaint fixtures: filing through the service, as every entry point does."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints.models import Category, Channel
from complaints.services import complaint_file
from servicedesk.core.models import Role
from tests.factories import StaffFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """``local("2025-09-30 10:00")`` → aware Asia/Shanghai datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def supervisor(project):
    return StaffFactory(name="张敏", roles=[Role.SUPERVISOR], projects=[project]).user


@pytest.fixture
def quality(project):
    return StaffFactory(name="赵丽华", roles=[Role.QUALITY], projects=[project]).user


@pytest.fixture
def file_complaint(project, unit, frontdesk):
    """File a complaint; keyword arguments override the defaults."""

    def make(**overrides):
        values = dict(
            project=project,
            unit=unit,
            channel=Channel.objects.get(code="phone"),
            category=Category.objects.get(code="facilities"),
            description="厨房水管漏水",
            reporter_name="陈静",
            reporter_phone="13811112222",
            by=frontdesk,
        )
        values.update(overrides)
        return complaint_file(**values)

    return make
