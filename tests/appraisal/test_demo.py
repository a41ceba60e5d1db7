"""The appraisal's demo history (``seed_demo``): idempotent, with a latest month
left partly undone for the dashboard (APR-10)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from appraisal import selectors, services
from appraisal.models import (
    Assessment,
    Deduction,
    Penalty,
    Suggestion,
    TrainingResult,
)
from servicedesk.core.models import StaffProfile
from tests.visitors.test_pdf import png

pytestmark = pytest.mark.django_db


def latest_month():
    return selectors.add_months(timezone.localdate().replace(day=1), -1)


def counts() -> tuple[int, ...]:
    return (
        Assessment.objects.count(),
        Deduction.objects.count(),
        Penalty.objects.count(),
        Suggestion.objects.count(),
        TrainingResult.objects.count(),
        StaffProfile.objects.count(),
    )


def test_seed_demo_twice_gives_the_same_appraisal_data():
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    totals = sorted(Assessment.objects.values_list("staff__name", "kind", "period", "total"))

    call_command("seed_demo", stdout=io.StringIO())

    assert counts() == first
    assert sorted(Assessment.objects.values_list("staff__name", "kind", "period", "total")) == (
        totals
    )
    assert first[0] > 40


def test_the_latest_month_has_a_person_not_yet_appraised_and_a_draft__APR_10():
    call_command("seed_demo", stdout=io.StringIO())
    manager = User.objects.get(username="manager")

    board = selectors.monthly_dashboard(services.visible_staff(manager), latest_month())

    # Not yet appraised: the newcomer; 周婷 is still a draft (not finished either).
    assert {p.name for p in board.not_appraised} == {"陈雨桐", "周婷"}
    assert board.drafts == 1
    draft = next(r for r in board.rows if r.staff.name == "周婷").assessment
    assert draft is not None and draft.status == "draft"
    final = next(r for r in board.rows if r.staff.name == "李娜").assessment
    assert final is not None and final.status == "final"  # not yet acknowledged
    assert sum(1 for t in board.trend if t["count"]) == 6
    assert board.top_reasons  # the latest month's deduction reasons


def test_the_demo_history_has_every_kind_of_record__APR_02_APR_05_APR_06_APR_09():
    call_command("seed_demo", stdout=io.StringIO())
    monthly = Assessment.objects.filter(kind="monthly")
    timestamps = monthly.exclude(status="draft").values_list("period", "finalised_at")

    kinds = dict(Assessment.objects.values_list("kind").annotate(n=Count("pk")))
    assert set(kinds) == {"weekly", "monthly_check", "spot", "monthly"}
    assert set(
        Assessment.objects.exclude(kind="monthly").values_list("assessor__username", flat=True)
    ) == {"supervisor"}
    assert monthly.filter(bonus__gt=0).count() == 1
    assert Penalty.objects.count() == 1
    assert Deduction.objects.filter(is_other=True).exists()
    assert not Deduction.objects.filter(reason="").exists()
    assert not Deduction.objects.filter(is_other=False, standard="").exists()
    earlier = monthly.filter(period__lt=latest_month())
    assert earlier.filter(status="acknowledged").count() > earlier.count() * 3 // 4
    # Backdated: each appraisal was finalised after its month, never in the future.
    for period, finalised in timestamps:
        local = timezone.localtime(finalised).date()
        assert period < local <= timezone.localdate()
    newcomer = StaffProfile.objects.get(name="陈雨桐")
    people = StaffProfile.objects.filter(department__code="service")
    assert services.probationary_ids(people) == {newcomer.pk}


def test_the_demo_records_print(client):
    call_command("seed_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(username="manager"))
    penalised = Assessment.objects.get(penalties__isnull=False)
    draft = Assessment.objects.get(status="draft")
    year = latest_month().year

    for url, name in (
        (reverse("appraisal:monthly_record_pdf", args=[penalised.pk]), "demo_apr_penalty"),
        (reverse("appraisal:monthly_record_pdf", args=[draft.pk]), "demo_apr_draft"),
        (
            reverse("appraisal:person_year_pdf", args=[penalised.staff_id, year]),
            "demo_apr_person_year",
        ),
        (
            reverse("appraisal:department_year_pdf")
            + f"?department={penalised.department_id}&year={year}",
            "demo_apr_department_year",
        ),
    ):
        response = client.get(url)
        assert response.status_code == 200, name
        png(response.content, name)
