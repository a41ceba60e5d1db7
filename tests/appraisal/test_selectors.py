"""The monthly dashboard and the year summary (APR-10, APR-08), fixed query counts."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from appraisal import selectors
from servicedesk.core.models import StaffProfile
from tests.appraisal.conftest import d
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _april_2026():
    with time_machine.travel("2026-04-10 10:00 +0800", tick=False):
        yield


def test_dashboard_shows_who_is_not_appraised_scores_distribution_and_reasons__APR_10(
    appraise, boss, clerk, colleague, department
):
    appraise(clerk, period=date(2026, 3, 1), deductions=[("de2", 2), ("ji1", 1)])
    appraise(clerk, period=date(2026, 2, 1), deductions=[("de2", 4)])
    staff = StaffProfile.objects.filter(department=department).exclude(pk=boss.pk)
    board = selectors.monthly_dashboard(staff, date(2026, 3, 1))
    assert [p.name for p in board.not_appraised] == ["周洁"]
    row = next(r for r in board.rows if r.staff == clerk)
    assert (row.assessment.de, row.assessment.ji, row.assessment.total) == (d(18), d(29), d(97))
    assert board.distribution["90–100"] == 1
    assert board.averages["total"] == d(97)
    assert [t["average"] for t in board.trend[-2:]] == [d(96), d(97)]
    assert board.trend[-1]["month"] == date(2026, 3, 1) and len(board.trend) == 12
    assert board.top_reasons[0][0] == "de2 服务态度"


def test_dashboard_query_count_does_not_grow_with_the_department__APR_10(
    appraise, boss, department, project, django_assert_max_num_queries
):
    for _ in range(12):
        person = StaffFactory(projects=[project], department=department)
        appraise(person, period=date(2026, 3, 1), deductions=[("qin1", 1)])
    staff = StaffProfile.objects.filter(department=department)
    with django_assert_max_num_queries(6):
        board = selectors.monthly_dashboard(staff, date(2026, 3, 1))
    assert len([r for r in board.rows if r.appraised]) == 12


def test_year_summary_gives_each_person_their_months_and_composite__APR_08(
    appraise, clerk, department, django_assert_max_num_queries
):
    appraise(clerk, kind="weekly", period=date(2026, 1, 5), bonus=5)
    appraise(clerk, kind="monthly", period=date(2026, 1, 1), bonus=2)
    appraise(clerk, kind="monthly", period=date(2026, 2, 1))
    appraise(clerk, kind="year_end", period=date(2026, 12, 31), bonus=1)
    staff = StaffProfile.objects.filter(pk=clerk.pk)
    with django_assert_max_num_queries(4):
        [line] = selectors.year_summary(staff, 2026)
    assert line.monthly == {1: d(102), 2: d(100)}
    assert line.composite.composite == d("101.80")  # 0.2×105 + 0.3×101 + 0.5×101
    assert line.composite.excellent
