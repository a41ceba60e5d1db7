"""The SCALE data of the appraisal (``appraisal/scale.py``): consistent, finished, idempotent."""

from __future__ import annotations

import io

import pytest
import time_machine

from appraisal import rules, scale, selectors, services
from appraisal.models import Assessment, Deduction, Item
from servicedesk.core.models import Project, StaffProfile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _april_2026():
    with time_machine.travel("2026-04-10 10:00 +0800", tick=False):
        yield


def test_the_scale_hook_seeds_finished_months_whose_scores_match_their_deductions(monkeypatch):
    monkeypatch.setattr(scale, "DEPARTMENTS", [("scale-t", "规模测试部", "scale_t_boss", 6, "t")])
    monkeypatch.setattr(scale, "MONTHS", 3)
    project = Project.objects.create(code="SCALE", name="规模测试花园")

    scale.seed_appraisal(project, io.StringIO())
    scale.seed_appraisal(project, io.StringIO())  # idempotent

    records = Assessment.objects.filter(department__code="scale-t")
    assert records.count() == 6 * 3
    assert {str(p) for p in records.values_list("period", flat=True)} == {
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
    }
    assert set(records.values_list("status", flat=True)) <= set(selectors.FINISHED)
    with_deductions = records.filter(pk__in=Deduction.objects.values("assessment_id"))
    assert with_deductions.exists()
    for a in with_deductions[:5]:
        specs = [
            rules.ItemSpec(code, dim, points)
            for code, dim, points in Item.objects.filter(
                dimension__criteria_set=a.criteria_set_id
            ).values_list("code", "dimension__code", "max_points")
        ]
        taken = list(a.deductions.values_list("item__code", "points"))
        scores = rules.score(specs, taken, a.bonus)
        assert a.dimension_scores == scores.dimensions and a.total == scores.total
    # The manager sees the whole department appraised on the board (APR-07, APR-10).
    boss = StaffProfile.objects.get(user__username="scale_t_boss")
    staff = services.visible_staff(boss.user).exclude(user=boss.user)
    board = selectors.monthly_dashboard(staff, records.latest("period").period)
    assert len(board.rows) == 6 and all(r.appraised for r in board.rows)
    assert services.may_assess(boss.user, board.rows[0].staff, "monthly") is None
