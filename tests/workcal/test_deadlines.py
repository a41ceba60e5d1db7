"""The calendar's sweep check: administrators are told to load a missing year (CAL-02)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from servicedesk.core.models import Role
from servicedesk.deadlines.registry import registered_checks
from servicedesk.deadlines.sweep import run_sweep
from servicedesk.notifications.models import Notification
from servicedesk.workcal.deadlines import ALERT_REASON, alert_missing_year, years_to_alert
from servicedesk.workcal.models import LoadedYear
from tests.factories import StaffFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def admins(db, frontdesk):
    """A superuser, an administrator by role, and (via frontdesk) someone who is neither."""
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    admin = StaffFactory(name="系统管理员", roles=[Role.ADMINISTRATOR]).user
    UserFactory(username="retired", is_superuser=True, is_active=False)
    return {root.pk, admin.pk}


def test_the_next_year_is_due_from_november_first():
    """CAL-02: December deadlines reach into next year, so alert from Nov 1."""
    assert years_to_alert(date(2026, 10, 31), known={2026}) == []
    assert years_to_alert(date(2026, 11, 1), known={2026}) == [2027]
    assert years_to_alert(date(2027, 3, 1), known=set()) == [2027]
    assert years_to_alert(date(2027, 11, 1), known={2027, 2028}) == []


def test_the_check_is_registered_for_the_sweep():
    names = {c.name for c in registered_checks()}
    assert {"workcal.alert_missing_year", "workcal.recompute_loaded_years"} <= names


def test_administrators_are_alerted_once_about_a_missing_year(admins):
    """CAL-02: from Nov 1, 2026, superusers and administrators hear that 2027 is missing;
    running the check twice notifies nobody twice."""
    with time_machine.travel(local("2026-11-01 00:05"), tick=False):
        assert alert_missing_year(timezone.now()) == 2
        assert alert_missing_year(timezone.now()) == 0
    notes = Notification.objects.filter(reason=ALERT_REASON)
    assert set(notes.values_list("recipient_id", flat=True)) == admins
    assert {n.deadline_key for n in notes} == {local("2027-01-01 00:00").isoformat()}
    assert all("2027" in n.title for n in notes)


def test_the_sweep_runs_the_alert_idempotently(admins):
    """CAL-02: through the real sweep path, twice."""
    with time_machine.travel(local("2026-12-15 09:00"), tick=False):
        run_sweep(only=["workcal.alert_missing_year"])
        run_sweep(only=["workcal.alert_missing_year"])
    assert Notification.objects.filter(reason=ALERT_REASON).count() == 2


def test_a_new_administrator_is_alerted_too(admins):
    """CAL-02: idempotent per administrator, not per year."""
    with time_machine.travel(local("2026-11-02 10:00"), tick=False):
        alert_missing_year(timezone.now())
        UserFactory(username="newroot", is_superuser=True)
        assert alert_missing_year(timezone.now()) == 1


def test_nobody_is_alerted_before_november_or_once_the_year_is_loaded(admins):
    """CAL-02: 2026 is in the library; 2027 only matters from November."""
    assert alert_missing_year(local("2026-10-31 23:59")) == 0
    LoadedYear.objects.create(year=2027)
    assert alert_missing_year(local("2026-11-20 10:00")) == 0
    assert not Notification.objects.exists()


def test_an_unknown_current_year_is_alerted_at_once(admins):
    """CAL-02: in March 2027 with no 2027 calendar, alert now (not only for next year)."""
    assert alert_missing_year(local("2027-03-01 10:00")) == 2
    keys = set(Notification.objects.values_list("deadline_key", flat=True))
    assert keys == {local("2027-01-01 00:00").isoformat()}


def test_the_local_date_decides_november(admins):
    """CAL-02: 2026-10-31 16:30 UTC is already Nov 1 in Shanghai."""
    assert alert_missing_year(datetime(2026, 10, 31, 16, 30, tzinfo=UTC)) == 2
