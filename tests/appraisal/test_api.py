"""``appraisal/`` through the API (API.md ``appraisal/checks/``; APR-01..09, CMP-22).

Fixtures (tests/appraisal/conftest.py): ``boss`` (customer-service manager),
``lead`` (supervisor), ``clerk`` and ``colleague`` (front desk) in one
department; ``engineer_staff`` in another; ``gm_staff`` (general manager).
"Today" is 2026-04-10: the services refuse future periods.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from appraisal import services
from appraisal.models import Assessment, Deduction, Penalty, Suggestion, TrainingResult
from servicedesk.core.models import Role
from tests.appraisal.conftest import d
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

CHECKS = "/api/v1/appraisal/checks/"
CRITERIA = "/api/v1/appraisal/criteria/"
SUGGESTIONS = "/api/v1/appraisal/suggestions/"
TRAINING = "/api/v1/appraisal/training/"


def annual_url(staff, year=2026):
    return f"/api/v1/appraisal/annual/{staff.pk}/{year}/"


@pytest.fixture(autouse=True)
def _april_2026():
    with time_machine.travel("2026-04-10 10:00 +0800", tick=False):
        yield


@pytest.fixture
def api_as():
    """``api_as(user)``: an APIClient sending the user's token (as tests/api/conftest.py)."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


def deduction(item, points, reason="迟到 10 分钟", standard="迟到、早退、脱岗", **extra):
    return {"item": item, "points": points, "reason": reason, "standard": standard, **extra}


def check(staff, **overrides):
    data = {
        "staff": staff.pk,
        "kind": "monthly",
        "period": "2026-03-01",
        "deductions": [],
        "bonus": "0",
    }
    data.update(overrides)
    return data


# --- Scoring (APR-02, APR-05) --------------------------------------------------------------


def test_check_total_and_dimension_scores_from_deductions__APR_02(api_as, boss, clerk):
    response = api_as(boss.user).post(
        CHECKS,
        check(
            clerk,
            deductions=[
                deduction("de3", "2", reason="3 月 5 日迟到"),
                deduction("ji3", "1.5", reason="有效投诉 1 宗", standard="有效投诉"),
            ],
            comment="总体良好",
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["total"] == "96.50"
    assert body["dimension_scores"] == {
        "de": "18.00",
        "qin": "20.00",
        "neng": "30.00",
        "ji": "28.50",
    }
    assert body["status"] == "final"  # a form handed in finished, by default
    assert body["finalised_at"] == "2026-04-10T10:00:00+08:00"
    assert body["assessor"] == boss.pk and body["assessor_name"] == "王经理"
    assert body["staff"] == clerk.pk and body["department"] == "service"
    assert body["criteria_set"]["version"] == 1
    assert body["criteria_set"]["staff_level"] == "operational"
    assert [(x["item"], x["points"], x["reason"], x["standard"]) for x in body["deductions"]] == [
        ("de3", "2.00", "3 月 5 日迟到", "迟到、早退、脱岗"),
        ("ji3", "1.50", "有效投诉 1 宗", "有效投诉"),
    ]
    stored = Assessment.objects.get(pk=body["id"])
    assert (stored.total, stored.de, stored.ji) == (d("96.50"), d(18), d("28.50"))
    assert stored.comment == "总体良好"


def test_an_item_never_scores_below_zero__APR_02(api_as, boss, clerk):
    response = api_as(boss.user).post(
        CHECKS,
        check(clerk, deductions=[deduction("de3", "3"), deduction("de3", "4", reason="早退")]),
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["dimension_scores"]["de"] == "15.00"  # de3 (5) floors at 0
    assert response.json()["total"] == "95.00"


def test_a_deduction_without_a_standard_is_the_other_line__APR_02(api_as, boss, clerk):
    """API.md's minimum row {"item","points","reason"} is recorded on the 其它 line."""
    desk = api_as(boss.user)

    minimal = desk.post(
        CHECKS,
        check(clerk, deductions=[{"item": "ji4", "points": "1", "reason": "未交周报"}]),
        format="json",
    )
    assert minimal.status_code == 201, minimal.json()
    row = minimal.json()["deductions"][0]
    assert (row["item"], row["is_other"], row["standard"]) == ("ji4", True, "其它")
    assert minimal.json()["total"] == "99.00"

    not_other = desk.post(
        CHECKS,
        check(
            clerk,
            period="2026-02-01",
            deductions=[{"item": "ji4", "points": "1", "reason": "未交周报", "is_other": False}],
        ),
        format="json",
    )
    assert not_other.status_code == 400
    assert "deductions" in not_other.json()


def test_deduction_with_unknown_item_is_400_naming_deductions__APR_02(api_as, boss, clerk):
    response = api_as(boss.user).post(
        CHECKS, check(clerk, deductions=[deduction("zz9", "2")]), format="json"
    )

    assert response.status_code == 400
    assert "zz9" in response.json()["deductions"][0]
    assert not Assessment.objects.exists()  # create and save are one transaction


def test_deduction_above_the_item_maximum_is_400_naming_deductions__APR_02(api_as, boss, clerk):
    response = api_as(boss.user).post(
        CHECKS, check(clerk, deductions=[deduction("de1", "5.01")]), format="json"
    )

    assert response.status_code == 400
    assert "deductions" in response.json()


def test_bonus_over_10_is_400_naming_bonus__APR_05(api_as, boss, clerk):
    response = api_as(boss.user).post(
        CHECKS, check(clerk, bonus="10.50", bonus_reason="拾金不昧"), format="json"
    )

    assert response.status_code == 400
    assert "bonus" in response.json()
    assert not Assessment.objects.exists()


def test_bonus_without_a_reason_is_400_naming_bonus_reason__APR_05(api_as, boss, clerk):
    response = api_as(boss.user).post(CHECKS, check(clerk, bonus="3"), format="json")

    assert response.status_code == 400
    assert "bonus_reason" in response.json()


def test_bonus_is_added_after_scoring_so_a_total_may_exceed_100__APR_05(api_as, boss, clerk):
    response = api_as(boss.user).post(
        CHECKS,
        check(clerk, deductions=[deduction("de3", "1")], bonus="6", bonus_reason="获业主表扬信"),
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "105.00"
    assert response.json()["bonus"] == "6.00"
    assert response.json()["bonus_reason"] == "获业主表扬信"


def test_scores_status_and_assessor_cannot_be_set_by_the_client(api_as, boss, lead, clerk):
    response = api_as(boss.user).post(
        CHECKS,
        check(
            clerk,
            total="1.00",
            dimension_scores={"de": "1.00", "qin": "1.00", "neng": "1.00", "ji": "1.00"},
            status="acknowledged",
            assessor=lead.pk,
            finalise=False,
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["total"], body["status"], body["assessor"]) == ("100.00", "draft", boss.pk)
    assert body["dimension_scores"]["de"] == "20.00"


def test_a_future_period_is_400_naming_period__APR_03(api_as, boss, clerk):
    response = api_as(boss.user).post(CHECKS, check(clerk, period="2026-05-01"), format="json")

    assert response.status_code == 400
    assert "period" in response.json()


def test_a_second_monthly_appraisal_for_the_period_is_400_naming_period__APR_03(
    api_as, boss, clerk
):
    desk = api_as(boss.user)
    assert desk.post(CHECKS, check(clerk), format="json").status_code == 201

    again = desk.post(CHECKS, check(clerk, period="2026-03-20"), format="json")

    assert again.status_code == 400
    assert "period" in again.json()
    assert Assessment.objects.filter(staff=clerk).count() == 1


def test_a_weekly_check_is_filed_under_its_monday__APR_03(api_as, lead, clerk):
    response = api_as(lead.user).post(
        CHECKS, check(clerk, kind="weekly", period="2026-04-09"), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["period"] == "2026-04-06"
    assert response.json()["kind"] == "weekly"


def test_an_unknown_staff_id_is_400_naming_staff(api_as, boss):
    response = api_as(boss.user).post(
        CHECKS, {"staff": 999999, "kind": "monthly", "period": "2026-03-01"}, format="json"
    )

    assert response.status_code == 400
    assert "staff" in response.json()


# --- Drafts, finalising, corrections, acknowledgement (APR-06, APR-07, ORG-05) --------------


def test_a_draft_is_edited_then_finalised(api_as, boss, clerk):
    desk = api_as(boss.user)
    created = desk.post(
        CHECKS, check(clerk, deductions=[deduction("de3", "2")], finalise=False), format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "draft" and created.json()["finalised_at"] is None
    assert created.json()["total"] == "98.00"  # scored as typed, even in a draft
    url = f"{CHECKS}{created.json()['id']}/"

    replaced = desk.put(
        url,
        {"deductions": [deduction("qin1", "4", reason="旷工半天", standard="无故缺勤")]},
        format="json",
    )
    assert replaced.status_code == 200, replaced.json()
    assert [x["item"] for x in replaced.json()["deductions"]] == ["qin1"]
    assert replaced.json()["dimension_scores"]["qin"] == "16.00"
    assert replaced.json()["total"] == "96.00"

    commented = desk.patch(url, {"comment": "请注意出勤"}, format="json")
    assert commented.status_code == 200, commented.json()
    assert commented.json()["comment"] == "请注意出勤"
    assert [x["item"] for x in commented.json()["deductions"]] == ["qin1"]  # kept
    assert commented.json()["status"] == "draft"

    final = desk.post(f"{url}finalise/")
    assert final.status_code == 200, final.json()
    assert final.json()["status"] == "final"
    assert Assessment.objects.get(pk=created.json()["id"]).status == "final"


def test_a_patch_can_finalise_in_the_same_request(api_as, boss, clerk):
    desk = api_as(boss.user)
    created = desk.post(CHECKS, check(clerk, finalise=False), format="json")

    response = desk.patch(
        f"{CHECKS}{created.json()['id']}/",
        {"deductions": [deduction("de3", "1")], "finalise": True},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["total"]) == ("final", "99.00")


def test_finalised_record_edit_is_409(api_as, boss, clerk):
    desk = api_as(boss.user)
    created = desk.post(CHECKS, check(clerk, deductions=[deduction("de3", "2")]), format="json")
    url = f"{CHECKS}{created.json()['id']}/"

    edit = desk.patch(url, {"deductions": []}, format="json")
    finalise_again = desk.post(f"{url}finalise/")

    assert edit.status_code == 409
    assert finalise_again.status_code == 409
    stored = Assessment.objects.get(pk=created.json()["id"])
    assert stored.total == d(98) and stored.deductions.count() == 1


def test_a_correction_reopens_the_record_with_a_reason__ORG_05(api_as, boss, clerk):
    desk = api_as(boss.user)
    created = desk.post(CHECKS, check(clerk, deductions=[deduction("de3", "2")]), format="json")
    url = f"{CHECKS}{created.json()['id']}/"

    bare = desk.post(f"{url}reopen/", {"reason": " "}, format="json")
    assert bare.status_code == 400
    assert "reason" in bare.json()

    reopened = desk.post(f"{url}reopen/", {"reason": "扣分项目填错"}, format="json")
    assert reopened.status_code == 200, reopened.json()
    assert reopened.json()["status"] == "draft" and reopened.json()["finalised_at"] is None

    fixed = desk.patch(
        url, {"deductions": [deduction("de4", "2")], "finalise": True}, format="json"
    )
    assert fixed.status_code == 200, fixed.json()
    assert [x["item"] for x in fixed.json()["deductions"]] == ["de4"]
    assert desk.post(f"{url}reopen/", {"reason": "x"}, format="json").status_code == 200
    assert desk.post(f"{url}reopen/", {"reason": "x"}, format="json").status_code == 409


def test_the_person_acknowledges_their_own_record__APR_07(api_as, boss, clerk):
    created = api_as(boss.user).post(
        CHECKS, check(clerk, deductions=[deduction("de3", "2")]), format="json"
    )
    url = f"{CHECKS}{created.json()['id']}/acknowledge/"

    response = api_as(clerk.user).post(url, {"comment": "无异议"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledged_at"] == "2026-04-10T10:00:00+08:00"
    assert body["staff_comment"] == "无异议"
    assert api_as(clerk.user).post(url, {}, format="json").status_code == 409


def test_acknowledge_by_someone_else_is_403__APR_07(api_as, boss, lead, clerk):
    created = api_as(boss.user).post(CHECKS, check(clerk), format="json")
    url = f"{CHECKS}{created.json()['id']}/acknowledge/"

    assert api_as(boss.user).post(url, {}, format="json").status_code == 403
    assert api_as(lead.user).post(url, {}, format="json").status_code == 403
    assert Assessment.objects.get(pk=created.json()["id"]).status == "final"


def test_a_draft_is_not_shown_to_the_person_until_finalised__APR_07(api_as, boss, clerk):
    created = api_as(boss.user).post(CHECKS, check(clerk, finalise=False), format="json")
    url = f"{CHECKS}{created.json()['id']}/"

    assert api_as(clerk.user).get(url).status_code == 404
    assert api_as(clerk.user).post(f"{url}acknowledge/", {}, format="json").status_code == 404
    api_as(boss.user).post(f"{url}finalise/", {}, format="json")
    assert api_as(clerk.user).get(url).status_code == 200


def test_a_penalty_is_recorded_besides_the_deduction__APR_06(api_as, boss, clerk):
    desk = api_as(boss.user)
    created = desk.post(
        CHECKS,
        check(clerk, deductions=[deduction("de1", "5", reason="私收业主费用")], finalise=False),
        format="json",
    )
    url = f"{CHECKS}{created.json()['id']}/"

    wrong = desk.post(f"{url}penalty/", {"measure": "flogging", "description": "x"}, format="json")
    assert wrong.status_code == 400 and "measure" in wrong.json()

    response = desk.post(
        f"{url}penalty/",
        {"measure": "written_warning", "description": "私收业主装修押金 500 元，已退还"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    [penalty] = response.json()["penalties"]
    assert penalty["measure"] == "written_warning"
    assert penalty["recorded_by"] == boss.pk
    assert response.json()["total"] == "95.00"  # the points stay deducted in the form

    desk.post(f"{url}finalise/")
    late = desk.post(f"{url}penalty/", {"measure": "demerit", "description": "再犯"}, format="json")
    assert late.status_code == 409
    assert Penalty.objects.count() == 1


def test_a_penalty_needs_a_deduction_in_the_form_first__APR_06(api_as, boss, clerk):
    desk = api_as(boss.user)
    created = desk.post(CHECKS, check(clerk, finalise=False), format="json")

    response = desk.post(
        f"{CHECKS}{created.json()['id']}/penalty/",
        {"measure": "verbal_warning", "description": "与业主争吵"},
        format="json",
    )

    assert response.status_code == 400
    assert "description" in response.json()


# --- Who sees and does what (APR-07) ----------------------------------------------------------


def test_staff_member_sees_only_own_checks__APR_07(api_as, appraise, clerk, colleague):
    mine = appraise(clerk, deductions=[("de3", 2)])
    theirs = appraise(colleague, deductions=[("de2", 1)])
    me = api_as(clerk.user)

    listed = me.get(CHECKS)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["results"]] == [mine.pk]
    own = me.get(f"{CHECKS}{mine.pk}/")
    assert own.status_code == 200
    # 公开: the person sees every deduction's reason and standard.
    assert own.json()["deductions"][0]["reason"] == "r"
    assert own.json()["deductions"][0]["standard"] == "s"
    assert me.get(f"{CHECKS}{theirs.pk}/").status_code == 404
    assert me.post(f"{CHECKS}{theirs.pk}/acknowledge/", {}, format="json").status_code == 404


def test_manager_sees_own_department_and_gm_sees_all__APR_07(
    api_as, appraise, boss, clerk, colleague, engineer_staff, gm_staff
):
    a = appraise(clerk)
    b = appraise(colleague)
    other = appraise(engineer_staff, by=gm_staff.user)

    by_boss = api_as(boss.user).get(CHECKS)
    by_gm = api_as(gm_staff.user).get(CHECKS)

    assert {r["id"] for r in by_boss.json()["results"]} == {a.pk, b.pk}
    assert {r["id"] for r in by_gm.json()["results"]} == {a.pk, b.pk, other.pk}
    assert api_as(boss.user).get(f"{CHECKS}{other.pk}/").status_code == 404
    assert api_as(boss.user).patch(f"{CHECKS}{other.pk}/", {}, format="json").status_code == 404


def test_manager_cannot_appraise_self__APR_07(api_as, boss):
    response = api_as(boss.user).post(CHECKS, check(boss), format="json")

    assert response.status_code == 403
    assert "本人" in response.json()["detail"]
    assert not Assessment.objects.exists()


def test_manager_cannot_appraise_another_department__APR_07(api_as, boss, engineer_staff):
    response = api_as(boss.user).post(CHECKS, check(engineer_staff), format="json")

    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_supervisor_runs_checks_but_not_the_monthly_appraisal__APR_07(api_as, lead, clerk):
    desk = api_as(lead.user)

    spot = desk.post(
        CHECKS,
        check(clerk, kind="spot", period="2026-04-08", deductions=[deduction("de3", "1")]),
        format="json",
    )
    monthly = desk.post(CHECKS, check(clerk), format="json")

    assert spot.status_code == 201, spot.json()
    assert spot.json()["total"] == "99.00"
    assert monthly.status_code == 403


def test_front_desk_staff_cannot_assess_anyone__APR_07(api_as, clerk, colleague):
    response = api_as(clerk.user).post(
        CHECKS, check(colleague, kind="spot", period="2026-04-08"), format="json"
    )

    assert response.status_code == 403


def test_gm_appraises_a_manager_on_the_management_criteria__APR_03(api_as, boss, gm_staff):
    response = api_as(gm_staff.user).post(CHECKS, check(boss), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["criteria_set"]["staff_level"] == "management"


def test_residents_and_contractors_get_403_on_all_of_it(api_as, appraise, owner, project, clerk):
    record = appraise(clerk)
    contractor = StaffFactory(roles=[Role.CONTRACTOR], projects=[project]).user
    for user in (owner, contractor):
        client = api_as(user)
        for url in (
            CHECKS,
            f"{CHECKS}{record.pk}/",
            CRITERIA,
            SUGGESTIONS,
            TRAINING,
            annual_url(clerk),
        ):
            assert client.get(url).status_code == 403, url
        assert client.post(CHECKS, check(clerk), format="json").status_code == 403
        assert client.post(f"{CHECKS}{record.pk}/acknowledge/", {}).status_code == 403
    assert api_as(None).get(CHECKS).status_code in (401, 403)


# --- Lists ----------------------------------------------------------------------------------


def test_the_list_filters_by_staff_kind_period_status_and_department(
    api_as, appraise, boss, clerk, colleague, engineer_staff, gm_staff
):
    march = appraise(clerk, period=date(2026, 3, 1))
    feb = appraise(clerk, period=date(2026, 2, 1))
    draft = appraise(colleague, period=date(2026, 3, 1), finalise=False)
    spot = appraise(clerk, kind="spot", period=date(2026, 3, 18))
    engineering = appraise(engineer_staff, by=gm_staff.user)
    gm = api_as(gm_staff.user)

    def ids(**params):
        response = gm.get(CHECKS, params)
        assert response.status_code == 200, response.json()
        return {r["id"] for r in response.json()["results"]}

    assert ids(staff=clerk.pk) == {march.pk, feb.pk, spot.pk}
    assert ids(kind="monthly", period="2026-03-01") == {march.pk, draft.pk, engineering.pk}
    assert ids(period_after="2026-03-02", period_before="2026-03-31") == {spot.pk}
    assert ids(period_before="2026-02-28") == {feb.pk}
    assert ids(status="draft") == {draft.pk}
    assert ids(department="engineering") == {engineering.pk}
    assert ids(department="service", kind="spot") == {spot.pk}


def test_the_list_costs_the_same_queries_for_3_or_20_records(api_as, appraise, boss, clerk):
    def make(n, start):
        for i in range(n):
            a = appraise(
                clerk,
                kind="spot",
                period=date(2026, 1, 1 + start + i),
                deductions=[("de3", 1), ("ji3", 2)],
                finalise=False,
            )
            services.penalty_add(
                assessment=a, measure="verbal_warning", description="与业主争吵", by=boss.user
            )
            services.assessment_finalise(assessment=a, by=boss.user)

    client = api_as(boss.user)

    def count_list():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHECKS)
        assert response.status_code == 200
        return len(queries), response.json()["results"]

    make(3, 0)
    few, rows = count_list()
    assert len(rows) == 3 and rows[0]["penalties"][0]["recorded_by"] == boss.pk
    make(17, 3)
    many, rows = count_list()
    assert len(rows) == 20
    assert all(len(r["deductions"]) == 2 and len(r["penalties"]) == 1 for r in rows)
    # Auth and the caller's scope (5), then rows, deductions, penalties (3).
    assert few == many <= 8


# --- Year-end composite (APR-04, APR-05) -------------------------------------------------------


def test_annual_composite_and_excellent_flag__APR_04(api_as, appraise, boss, clerk):
    weekly_a = appraise(clerk, kind="weekly", period=date(2026, 1, 5), deductions=[("qin1", 5)])
    weekly_b = appraise(
        clerk, kind="weekly", period=date(2026, 1, 12), deductions=[("qin1", 5), ("de1", 4)]
    )
    spot = appraise(
        clerk, kind="spot", period=date(2026, 2, 3), deductions=[("neng1", "7.5"), ("ji1", "4.5")]
    )
    jan = appraise(clerk, period=date(2026, 1, 1), deductions=[("de2", "3.7")])
    feb = appraise(clerk, period=date(2026, 2, 1), deductions=[("de2", 2)])
    appraise(clerk, period=date(2026, 3, 1), finalise=False)  # a draft does not count
    desk = api_as(boss.user)

    partial = desk.get(annual_url(clerk))
    assert partial.status_code == 200, partial.json()
    assert partial.json()["composite"] is None
    assert partial.json()["excellent"] is False
    assert partial.json()["missing"] == ["year_end"]

    year_end = appraise(clerk, kind="year_end", period=date(2026, 1, 1), deductions=[("neng2", 6)])
    response = desk.get(annual_url(clerk))

    assert response.status_code == 200, response.json()
    body = response.json()
    # checks: weekly mean 93, spot 88 → (93 + 88) / 2 = 90.5; monthly (96.30 + 98) / 2 = 97.15;
    # 20 % × 90.5 + 30 % × 97.15 + 50 % × 94 = 18.1 + 29.145 + 47 = 94.245 → 94.25 (half up).
    assert body["composite"] == "94.25"
    assert body["excellent"] is False
    assert body["missing"] == []
    parts = {p["key"]: p for p in body["parts"]}
    assert [p["key"] for p in body["parts"]] == ["checks", "monthly", "year_end"]
    assert (parts["checks"]["percent"], parts["checks"]["score"]) == ("20.00", "90.50")
    assert parts["checks"]["sources"] == {
        "weekly": ["95.00", "91.00"],
        "monthly_check": [],
        "spot": ["88.00"],
    }
    assert (parts["monthly"]["percent"], parts["monthly"]["score"]) == ("30.00", "97.15")
    assert parts["monthly"]["sources"] == {"monthly": ["96.30", "98.00"]}
    assert (parts["year_end"]["percent"], parts["year_end"]["score"]) == ("50.00", "94.00")
    assert parts["checks"]["record_ids"] == [weekly_a.pk, weekly_b.pk, spot.pk]
    assert parts["monthly"]["record_ids"] == [jan.pk, feb.pk]
    assert parts["year_end"]["record_ids"] == [year_end.pk]
    assert sorted(body["record_ids"]) == sorted(
        [weekly_a.pk, weekly_b.pk, spot.pk, jan.pk, feb.pk, year_end.pk]
    )


def test_annual_composite_and_excellent_flag__APR_05(api_as, appraise, boss, clerk):
    appraise(clerk, kind="weekly", period=date(2026, 3, 2), bonus=2)  # 102
    appraise(clerk, period=date(2026, 3, 1), deductions=[("de3", 1)], bonus=2)  # 101
    appraise(clerk, kind="year_end", period=date(2026, 1, 1), deductions=[("de3", 1)], bonus=2)

    body = api_as(boss.user).get(annual_url(clerk)).json()

    # 20 % × 102 + 30 % × 101 + 50 % × 101 = 20.4 + 30.3 + 50.5 = 101.2 > 100 → 优秀员工.
    assert body["composite"] == "101.20"
    assert body["excellent"] is True


def test_a_composite_of_exactly_100_is_not_excellent__APR_05(api_as, appraise, boss, clerk):
    appraise(clerk, kind="monthly_check", period=date(2026, 3, 1))
    appraise(clerk, period=date(2026, 3, 1))
    appraise(clerk, kind="year_end", period=date(2026, 1, 1))

    body = api_as(boss.user).get(annual_url(clerk)).json()

    assert (body["composite"], body["excellent"]) == ("100.00", False)


def test_annual_of_someone_not_visible_is_404__APR_07(
    api_as, clerk, colleague, boss, engineer_staff, gm_staff
):
    assert api_as(clerk.user).get(annual_url(clerk)).status_code == 200
    assert api_as(clerk.user).get(annual_url(colleague)).status_code == 404
    assert api_as(boss.user).get(annual_url(colleague)).status_code == 200
    assert api_as(boss.user).get(annual_url(engineer_staff)).status_code == 404
    assert api_as(gm_staff.user).get(annual_url(engineer_staff)).status_code == 200
    missing = annual_url(engineer_staff).replace(str(engineer_staff.pk), "999999")
    assert api_as(gm_staff.user).get(missing).status_code == 404


# --- Criteria (APR-01, APR-03) ------------------------------------------------------------


def test_any_staff_member_reads_the_criteria_in_force__APR_01(api_as, clerk):
    response = api_as(clerk.user).get(CRITERIA, {"status": "published"})

    assert response.status_code == 200
    sets = response.json()["results"]
    assert {(s["staff_level"], s["test_type"]) for s in sets} == {
        ("operational", "theory"),
        ("operational", "skill"),
        ("management", "theory"),
        ("management", "skill"),
    }
    detail = api_as(clerk.user).get(f"{CRITERIA}{sets[0]['id']}/").json()
    assert [(dim["code"], dim["max_points"]) for dim in detail["dimensions"]] == [
        ("de", "20.00"),
        ("qin", "20.00"),
        ("neng", "30.00"),
        ("ji", "30.00"),
    ]
    codes = [i["code"] for dim in detail["dimensions"] for i in dim["items"]]
    assert codes == [f"{dim}{n}" for dim in ("de", "qin", "neng", "ji") for n in range(1, 5)]
    de3 = detail["dimensions"][0]["items"][2]
    assert (de3["name"], de3["max_points"]) == ("纪律作风", "5.00")
    assert "迟到、早退、脱岗" in de3["standards"]


def test_the_criteria_are_read_only__APR_07(api_as, quality_staff):
    response = api_as(quality_staff.user).post(CRITERIA, {"name": "x"}, format="json")

    assert response.status_code == 405


# --- Suggestions from service data (CMP-22) ------------------------------------------------------


@pytest.fixture
def first_question_failures(boss, clerk, project, unit):
    from complaints.models import Category, Channel, FirstQuestionFailure
    from complaints.services import complaint_file, first_question_failure_record

    complaint = complaint_file(
        project=project,
        unit=unit,
        channel=Channel.objects.get(code="phone"),
        category=Category.objects.get(code="facilities"),
        description="厨房水管漏水",
        reporter_name="陈静",
        reporter_phone="13811112222",
        by=boss.user,
    )
    for _ in range(2):
        first_question_failure_record(
            complaint=complaint,
            staff=clerk.user,
            kind=FirstQuestionFailure.Kind.values[0],
            note="未记录处理结果",
            by=boss.user,
        )


@pytest.mark.usefixtures("first_question_failures")
def test_the_manager_refreshes_and_accepts_a_suggestion__CMP_22(api_as, boss, clerk):
    desk = api_as(boss.user)

    refreshed = desk.post(f"{SUGGESTIONS}refresh/", {"month": "2026-04-10"}, format="json")
    assert refreshed.status_code == 200, refreshed.json()
    [offered] = refreshed.json()
    assert (offered["staff"], offered["source"], offered["points"]) == (
        clerk.pk,
        "first_question_failure",
        "2.00",
    )
    assert (offered["month"], offered["item_code"], offered["status"]) == (
        "2026-04-01",
        "ji3",
        "pending",
    )
    again = desk.post(f"{SUGGESTIONS}refresh/", {"month": "2026-04-01"}, format="json")
    assert [s["id"] for s in again.json()] == [offered["id"]]  # offered once

    draft = desk.post(CHECKS, check(clerk, period="2026-04-01", finalise=False), format="json")
    decide = f"{SUGGESTIONS}{offered['id']}/decide/"
    blank = desk.post(
        decide, {"assessment": draft.json()["id"], "accept": True, "reason": ""}, format="json"
    )
    assert blank.status_code == 400 and "reason" in blank.json()

    accepted = desk.post(
        decide,
        {"assessment": draft.json()["id"], "accept": True, "reason": "属实"},
        format="json",
    )
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["decided_by"] == boss.pk
    assert accepted.json()["assessment"] == draft.json()["id"]
    record = desk.get(f"{CHECKS}{draft.json()['id']}/").json()
    assert record["dimension_scores"]["ji"] == "28.00"
    assert record["deductions"][0]["suggestion"] == offered["id"]
    assert (
        desk.post(
            decide,
            {"assessment": draft.json()["id"], "accept": False, "reason": "x"},
            format="json",
        ).status_code
        == 409
    )


@pytest.mark.usefixtures("first_question_failures")
def test_suggestions_are_listed_for_visible_people_only__APR_07(
    api_as, boss, clerk, colleague, lead
):
    api_as(boss.user).post(f"{SUGGESTIONS}refresh/", {"month": "2026-04-01"}, format="json")
    offered = Suggestion.objects.get()

    assert [s["id"] for s in api_as(clerk.user).get(SUGGESTIONS).json()["results"]] == [offered.pk]
    assert api_as(colleague.user).get(SUGGESTIONS).json()["results"] == []
    assert api_as(colleague.user).get(f"{SUGGESTIONS}{offered.pk}/").status_code == 404
    assert len(api_as(lead.user).get(SUGGESTIONS).json()["results"]) == 1


@pytest.mark.usefixtures("first_question_failures")
def test_a_suggestion_is_decided_only_into_a_visible_record_of_the_same_person__CMP_22(
    api_as, appraise, boss, clerk, colleague, engineer_staff, gm_staff
):
    api_as(boss.user).post(f"{SUGGESTIONS}refresh/", {"month": "2026-04-01"}, format="json")
    offered = Suggestion.objects.get()
    decide = f"{SUGGESTIONS}{offered.pk}/decide/"
    elsewhere = appraise(engineer_staff, period=date(2026, 4, 1), by=gm_staff.user, finalise=False)
    someone_else = appraise(colleague, period=date(2026, 4, 1), finalise=False)
    desk = api_as(boss.user)

    hidden = desk.post(
        decide, {"assessment": elsewhere.pk, "accept": True, "reason": "属实"}, format="json"
    )
    mismatch = desk.post(
        decide, {"assessment": someone_else.pk, "accept": True, "reason": "属实"}, format="json"
    )

    assert hidden.status_code == 400 and "assessment" in hidden.json()
    assert mismatch.status_code == 400 and "suggestion" in mismatch.json()
    assert not Deduction.objects.exists()


def test_only_managers_refresh_suggestions__CMP_22(api_as, lead, clerk):
    for user in (lead.user, clerk.user):
        response = api_as(user).post(
            f"{SUGGESTIONS}refresh/", {"month": "2026-04-01"}, format="json"
        )
        assert response.status_code == 403


# --- Training (APR-09) ---------------------------------------------------------------------


def test_a_supervisor_records_training_results_of_their_department__APR_09(
    api_as, lead, clerk, colleague, engineer_staff
):
    desk = api_as(lead.user)
    payload = {
        "staff": clerk.pk,
        "stage": "induction",
        "test_type": "theory",
        "score": "86.5",
        "passed": True,
        "taken_on": "2026-03-02",
    }

    created = desk.post(TRAINING, payload, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["score"], created.json()["examiner"]) == ("86.50", lead.pk)
    assert created.json()["stage"] == "induction"

    future = desk.post(TRAINING, {**payload, "taken_on": "2026-04-11"}, format="json")
    assert future.status_code == 400 and "taken_on" in future.json()
    too_high = desk.post(TRAINING, {**payload, "score": "101"}, format="json")
    assert too_high.status_code == 400 and "score" in too_high.json()
    other_department = desk.post(TRAINING, {**payload, "staff": engineer_staff.pk}, format="json")
    assert other_department.status_code == 403

    assert [r["id"] for r in api_as(clerk.user).get(TRAINING).json()["results"]] == [
        created.json()["id"]
    ]
    assert api_as(colleague.user).get(TRAINING).json()["results"] == []
    assert TrainingResult.objects.count() == 1


def test_front_desk_staff_cannot_record_training__APR_09(api_as, clerk):
    response = api_as(clerk.user).post(
        TRAINING,
        {
            "staff": clerk.pk,
            "stage": "induction",
            "test_type": "theory",
            "score": "90",
            "passed": True,
            "taken_on": "2026-03-02",
        },
        format="json",
    )

    assert response.status_code == 403
    assert not TrainingResult.objects.exists()
