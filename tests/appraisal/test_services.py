"""Appraisal through the services (APR-01..09, CMP-22)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from appraisal import services
from appraisal.deadlines import purge_expired_records
from appraisal.models import (
    Assessment,
    AssessmentContent,
    CriteriaSet,
    Deduction,
    Item,
    Penalty,
    StaffLevel,
    Suggestion,
)
from servicedesk.core.models import Event, StaffProfile
from servicedesk.notifications.models import Notification
from tests.appraisal.conftest import d

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _march_2026():
    with time_machine.travel("2026-04-10 10:00 +0800", tick=False):
        yield


def test_default_criteria_are_the_spec_items_de1_to_ji4__APR_01():
    criteria = services.criteria_in_force(StaffLevel.OPERATIONAL, AssessmentContent.SKILL)
    codes = list(
        Item.objects.filter(dimension__criteria_set=criteria).values_list("code", flat=True)
    )
    assert codes == [f"{dim}{i}" for dim in ("de", "qin", "neng", "ji") for i in range(1, 5)]
    assert services.criteria_problems(criteria) == []
    assert Item.objects.get(dimension__criteria_set=criteria, code="de2").name == "服务态度"


def test_four_criteria_sets_for_staff_level_and_test_type__APR_03():
    published = CriteriaSet.objects.filter(status="published")
    assert {(c.staff_level, c.test_type) for c in published} == {
        ("operational", "theory"),
        ("operational", "skill"),
        ("management", "theory"),
        ("management", "skill"),
    }


def test_management_staff_are_scored_on_the_management_criteria__APR_03(appraise, lead, gm_staff):
    a = appraise(lead, by=gm_staff.user)
    assert a.criteria_set.staff_level == StaffLevel.MANAGEMENT


def test_editing_criteria_never_changes_a_finished_record__APR_01(appraise, clerk, quality_staff):
    a = appraise(clerk, deductions=[("de2", 2)])
    old = a.criteria_set
    draft = services.criteria_new_version(criteria_set=old, by=quality_staff.user)
    item = Item.objects.get(dimension__criteria_set=draft, code="de2")
    item.max_points = d(4)
    item.save()
    with pytest.raises(ValidationError):  # items no longer add up to 20
        services.criteria_publish(criteria_set=draft, by=quality_staff.user)
    other = Item.objects.get(dimension__criteria_set=draft, code="de1")
    other.max_points = d(6)
    other.save()
    services.criteria_publish(criteria_set=draft, by=quality_staff.user)
    old.refresh_from_db()
    assert old.status == CriteriaSet.Status.RETIRED
    a.refresh_from_db()
    assert a.criteria_set == old and a.total == d(98)


def test_only_quality_publishes_criteria__APR_07(boss):
    criteria = services.criteria_in_force(StaffLevel.OPERATIONAL, AssessmentContent.SKILL)
    with pytest.raises(PermissionDenied):
        services.criteria_new_version(criteria_set=criteria, by=boss.user)


def test_deductions_are_scored_and_stored_per_dimension__APR_02(appraise, clerk):
    a = appraise(clerk, deductions=[("de2", 3), ("de2", 3), ("ji1", "1.5")])
    assert (a.de, a.qin, a.neng, a.ji) == (d(15), d(20), d(30), d("28.5"))
    assert a.total == d("93.5")
    assert a.dimension_scores["de"] == d(15)


def test_every_deduction_needs_a_reason_and_a_standard_or_the_other_line__APR_02(boss, clerk):
    a = services.assessment_create(
        staff=clerk, kind="monthly", period=date(2026, 3, 1), by=boss.user
    )
    with pytest.raises(ValidationError) as exc:
        services.assessment_save(
            assessment=a,
            deductions=[services.DeductionInput(item="de2", points=d(2), reason="", standard="")],
            by=boss.user,
        )
    messages = exc.value.message_dict["deductions"]
    assert any("原因" in m for m in messages) and any("其它" in m for m in messages)
    services.assessment_save(
        assessment=a,
        deductions=[
            services.DeductionInput(item="ji4", points=d(1), reason="未按新流程归档", is_other=True)
        ],
        by=boss.user,
    )
    deduction = Deduction.objects.get(assessment=a)
    assert deduction.is_other and deduction.standard == "其它"


def test_unknown_item_and_points_above_the_item_are_refused__APR_02(boss, clerk):
    a = services.assessment_create(
        staff=clerk, kind="monthly", period=date(2026, 3, 1), by=boss.user
    )
    with pytest.raises(ValidationError) as exc:
        services.assessment_save(
            assessment=a,
            deductions=[
                services.DeductionInput(item="xx9", points=d(1), reason="r", standard="s"),
                services.DeductionInput(item="de1", points=d(6), reason="r", standard="s"),
            ],
            by=boss.user,
        )
    messages = exc.value.message_dict["deductions"]
    assert any("第 1 行" in m for m in messages) and any("第 2 行" in m for m in messages)


def test_bonus_is_0_or_1_to_10_with_its_reason__APR_05(boss, clerk):
    a = services.assessment_create(
        staff=clerk, kind="monthly", period=date(2026, 3, 1), by=boss.user
    )
    for bonus, reason in ((d(11), "x"), (d("0.5"), "x"), (d(3), "")):
        with pytest.raises(ValidationError):
            services.assessment_save(
                assessment=a, deductions=[], bonus=bonus, bonus_reason=reason, by=boss.user
            )
    a = services.assessment_save(
        assessment=a, deductions=[], bonus=d(3), bonus_reason="拾金不昧受表扬", by=boss.user
    )
    assert a.total == d(103)


def test_misconduct_is_deducted_and_a_penalty_recorded__APR_06(boss, clerk):
    a = services.assessment_create(
        staff=clerk, kind="monthly", period=date(2026, 3, 1), by=boss.user
    )
    with pytest.raises(ValidationError):
        services.penalty_add(
            assessment=a, measure="demerit", description="与业主争吵", by=boss.user
        )
    services.assessment_save(
        assessment=a,
        deductions=[
            services.DeductionInput(
                item="de2", points=d(5), reason="与业主争吵", standard="与客户争吵"
            )
        ],
        by=boss.user,
    )
    penalty = services.penalty_add(
        assessment=a, measure="demerit", description="与业主争吵造成投诉", by=boss.user
    )
    assert Penalty.objects.get(assessment=a) == penalty
    a.refresh_from_db()
    assert a.de == d(15)


def test_manager_appraises_own_department_never_themselves__APR_07(
    boss, clerk, engineer_staff, lead
):
    with pytest.raises(PermissionDenied):
        services.assessment_create(
            staff=boss, kind="monthly", period=date(2026, 3, 1), by=boss.user
        )
    with pytest.raises(PermissionDenied):
        services.assessment_create(
            staff=engineer_staff, kind="monthly", period=date(2026, 3, 1), by=boss.user
        )
    # Supervisors run checks, not the monthly appraisal.
    with pytest.raises(PermissionDenied):
        services.assessment_create(
            staff=clerk, kind="monthly", period=date(2026, 3, 1), by=lead.user
        )
    check = services.assessment_create(
        staff=clerk, kind="spot", period=date(2026, 3, 5), by=lead.user
    )
    assert check.kind == "spot"


def test_staff_see_their_own_records_managers_their_department_gm_all__APR_07(
    appraise, boss, clerk, colleague, engineer_staff, gm_staff
):
    mine = appraise(clerk)
    theirs = appraise(colleague)
    other = appraise(engineer_staff, by=gm_staff.user)
    assert set(services.visible_assessments(clerk.user)) == {mine}
    assert set(services.visible_assessments(boss.user)) == {mine, theirs}
    assert set(services.visible_assessments(gm_staff.user)) == {mine, theirs, other}


def test_staff_acknowledge_their_own_final_record__APR_07(appraise, clerk, colleague):
    a = appraise(clerk, deductions=[("qin1", 1)])
    assert Notification.objects.filter(recipient=clerk.user, reason="assessment_final").exists()
    with pytest.raises(PermissionDenied):
        services.assessment_acknowledge(assessment=a, by=colleague.user)
    a = services.assessment_acknowledge(assessment=a, by=clerk.user, comment="已知悉")
    assert a.status == Assessment.Status.ACKNOWLEDGED


def test_final_record_is_corrected_only_by_reopening_with_a_reason(appraise, boss, clerk):
    a = appraise(clerk)
    with pytest.raises(services.InvalidTransition):
        services.assessment_save(assessment=a, deductions=[], by=boss.user)
    with pytest.raises(ValidationError):
        services.assessment_reopen(assessment=a, by=boss.user, reason="")
    services.assessment_reopen(assessment=a, by=boss.user, reason="漏记一次迟到")
    assert (
        Event.objects.filter(object_id=str(a.pk), action="reopened").get().reason == "漏记一次迟到"
    )


def test_one_monthly_appraisal_per_person_and_month__APR_03(appraise, boss, clerk):
    appraise(clerk, period=date(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(
            staff=clerk, kind="monthly", period=date(2026, 3, 15), by=boss.user
        )
    assert "period" in exc.value.message_dict


def test_weekly_period_is_the_monday_of_the_week__APR_03(boss, clerk):
    a = services.assessment_create(
        staff=clerk, kind="weekly", period=date(2026, 3, 12), by=boss.user
    )
    assert a.period == date(2026, 3, 9)


def test_annual_composite_from_the_years_final_records__APR_04(appraise, clerk, gm_staff):
    appraise(clerk, kind="weekly", period=date(2026, 1, 5), deductions=[("de1", 5)])
    appraise(clerk, kind="monthly_check", period=date(2026, 1, 1), deductions=[("ji1", 5)])
    appraise(clerk, kind="monthly", period=date(2026, 1, 1), deductions=[("neng1", 4)])
    appraise(clerk, kind="monthly", period=date(2026, 2, 1), deductions=[("neng1", 2)])
    appraise(clerk, kind="year_end", period=date(2026, 12, 31), deductions=[("qin2", 1)])
    result, records = services.annual(clerk, 2026)
    # weekly 95, monthly check 95 → 95; monthly (96+98)/2 = 97; year-end 99
    # 0.2×95 + 0.3×97 + 0.5×99 = 19 + 29.1 + 49.5 = 97.6
    assert result.composite == d("97.60")
    assert result.excellent is False
    assert len(records) == 5


def test_excellent_employee_when_composite_with_bonuses_exceeds_100__APR_05(appraise, clerk):
    appraise(clerk, kind="weekly", period=date(2026, 1, 5), bonus=5)
    appraise(clerk, kind="monthly", period=date(2026, 1, 1), bonus=2)
    appraise(clerk, kind="year_end", period=date(2026, 12, 31), bonus=1)
    result, _records = services.annual(clerk, 2026)
    assert result.composite == d("102.10")  # 0.2×105 + 0.3×102 + 0.5×101 = 21 + 30.6 + 50.5
    assert result.excellent is True


def test_drafts_do_not_count_in_the_composite__APR_04(appraise, clerk):
    appraise(clerk, kind="weekly", period=date(2026, 1, 5))
    appraise(clerk, kind="monthly", period=date(2026, 1, 1))
    appraise(clerk, kind="year_end", period=date(2026, 12, 31), finalise=False)
    result, _records = services.annual(clerk, 2026)
    assert result.composite is None and result.missing == ["year_end"]


def test_training_gate_shows_staff_not_yet_passed_as_probationary__APR_09(boss, clerk, colleague):
    for stage in ("induction", "on_post"):
        services.training_record(
            staff=clerk,
            stage=stage,
            test_type="theory",
            score=d(85),
            passed=True,
            taken_on=date(2026, 3, 1),
            by=boss.user,
        )
    services.training_record(
        staff=colleague,
        stage="induction",
        test_type="theory",
        score=d(55),
        passed=False,
        taken_on=date(2026, 3, 1),
        by=boss.user,
    )
    assert services.probationary_ids([clerk, colleague]) == {colleague.pk}


def test_service_data_is_offered_as_suggestions_the_manager_accepts_or_rejects__CMP_22(
    boss, clerk, colleague, project, unit
):
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
    offered = services.suggestions_refresh(staff=[clerk, colleague], month=date(2026, 4, 1))
    assert [(s.staff, s.source, s.points) for s in offered] == [
        (clerk, Suggestion.Source.FIRST_QUESTION_FAILURE, d(2))
    ]
    # Offered once however often refreshed.
    assert len(services.suggestions_refresh(staff=[clerk], month=date(2026, 4, 1))) == 1
    a = services.assessment_create(
        staff=clerk, kind="monthly", period=date(2026, 4, 1), by=boss.user
    )
    with pytest.raises(ValidationError):
        services.suggestion_decide(
            suggestion=offered[0], assessment=a, accept=True, reason="", by=boss.user
        )
    services.suggestion_decide(
        suggestion=offered[0], assessment=a, accept=True, reason="属实", by=boss.user
    )
    a.refresh_from_db()
    assert a.ji == d(28)
    assert Deduction.objects.get(assessment=a).suggestion == offered[0]


def test_records_past_two_years_are_purged_and_the_purge_logged__APR_08(appraise, clerk):
    old = appraise(clerk, kind="monthly", period=date(2024, 3, 1))
    kept = appraise(clerk, kind="monthly", period=date(2024, 5, 1))
    assert purge_expired_records(datetime.fromisoformat("2026-04-10T10:00+08:00")) == 1
    assert not Assessment.objects.filter(pk=old.pk).exists()
    assert Assessment.objects.filter(pk=kept.pk).exists()
    assert Event.objects.filter(action="purged").get().data["assessments"] == 1


def test_non_finite_points_are_a_field_error_not_a_crash__APR_02():
    for bad in ("NaN", "Infinity", "sNaN", "abc"):
        with pytest.raises(ValidationError) as exc:
            services.parse_deductions([{"item": "de1", "points": bad, "reason": "r"}])
        assert "deductions" in exc.value.message_dict


def test_a_departments_manager_is_appraised_by_the_general_manager__APR_07(
    boss, lead, gm_staff, department, project
):
    from servicedesk.core.models import Role
    from tests.factories import StaffFactory

    deputy = StaffFactory(roles=[Role.MANAGER], projects=[project], department=department)
    for by in (lead.user, deputy.user):
        with pytest.raises(PermissionDenied):
            services.assessment_create(staff=boss, kind="spot", period=date(2026, 3, 5), by=by)
    a = services.assessment_create(
        staff=boss, kind="monthly", period=date(2026, 3, 1), by=gm_staff.user
    )
    assert a.assessor == gm_staff.user


def test_may_assess_each_answers_as_may_assess_person_by_person__APR_07(
    boss, lead, clerk, engineer_staff, gm_staff, department, project, django_assert_num_queries
):
    from servicedesk.core.models import Role
    from tests.factories import StaffFactory

    deputy = StaffFactory(roles=[Role.MANAGER], projects=[project], department=department)
    people = [boss, deputy, lead, clerk, engineer_staff]
    for user in (boss.user, lead.user, gm_staff.user, clerk.user):
        for kind in ("monthly", "spot"):
            expected = {p.pk: services.may_assess(user, p, kind) for p in people}
            fresh = list(StaffProfile.objects.filter(pk__in=[p.pk for p in people]))
            with django_assert_num_queries(1):  # which of them are managers, at once
                assert services.may_assess_each(user, fresh, kind) == expected


def test_suggestions_go_only_into_that_months_monthly_appraisal__CMP_22(boss, clerk):
    suggestion = Suggestion.objects.create(
        staff=clerk,
        month=date(2026, 3, 1),
        source="valid_complaint",
        item_code="ji3",
        points=d(2),
        reason="有效投诉 1 宗",
    )
    weekly = services.assessment_create(
        staff=clerk, kind="weekly", period=date(2026, 3, 2), by=boss.user
    )
    february = services.assessment_create(
        staff=clerk, kind="monthly", period=date(2026, 2, 1), by=boss.user
    )
    for wrong in (weekly, february):
        with pytest.raises(ValidationError):
            services.suggestion_decide(
                suggestion=suggestion, assessment=wrong, accept=True, reason="属实", by=boss.user
            )


def test_training_is_recorded_only_for_visible_staff__APR_09(boss, engineer_staff):
    with pytest.raises(PermissionDenied):
        services.training_record(
            staff=engineer_staff,
            stage="induction",
            test_type="theory",
            score=d(90),
            passed=True,
            taken_on=date(2026, 3, 1),
            by=boss.user,
        )


def test_a_record_is_kept_until_its_whole_period_ended_two_years_ago__APR_08(appraise, clerk):
    year_end_2024 = appraise(clerk, kind="year_end", period=date(2024, 12, 31))
    week = appraise(clerk, kind="weekly", period=date(2024, 4, 8))  # ends Sunday 2024-04-14
    # 2026-01-02: the 2024 year-end record ended one year ago, not two.
    assert purge_expired_records(datetime.fromisoformat("2026-01-02T10:00+08:00")) == 0
    assert purge_expired_records(datetime.fromisoformat("2026-04-14T10:00+08:00")) == 0
    assert purge_expired_records(datetime.fromisoformat("2026-04-15T10:00+08:00")) == 1
    assert not Assessment.objects.filter(pk=week.pk).exists()
    assert purge_expired_records(datetime.fromisoformat("2027-01-01T10:00+08:00")) == 1
    assert not Assessment.objects.filter(pk=year_end_2024.pk).exists()


def test_supervisors_do_not_see_their_managers_appraisal__APR_07(appraise, boss, lead, gm_staff):
    mine = appraise(boss, by=gm_staff.user)
    assert mine not in services.visible_assessments(lead.user)
    assert mine in services.visible_assessments(boss.user)


def test_contractors_see_no_appraisal_records__APR_07(appraise, clerk, project, department):
    from servicedesk.core.models import Role
    from tests.factories import StaffFactory

    appraise(clerk)
    contractor = StaffFactory(roles=[Role.CONTRACTOR], department=department)
    assert not services.visible_assessments(contractor.user).exists()
    assert not services.visible_staff(contractor.user).exists()


def test_saving_the_form_keeps_deductions_accepted_from_suggestions__CMP_22(boss, clerk):
    suggestion = Suggestion.objects.create(
        staff=clerk,
        month=date(2026, 3, 1),
        source="valid_complaint",
        item_code="ji3",
        points=d(2),
        reason="有效投诉 1 宗",
    )
    a = services.assessment_create(
        staff=clerk, kind="monthly", period=date(2026, 3, 1), by=boss.user
    )
    services.suggestion_decide(
        suggestion=suggestion, assessment=a, accept=True, reason="属实", by=boss.user
    )
    a = services.assessment_save(
        assessment=a,
        deductions=[
            services.DeductionInput(item="de1", points=d(1), reason="迟到", standard="迟到"),
            services.DeductionInput(
                item="ji3", points=d(2), reason="有效投诉 1 宗", suggestion_id=suggestion.pk
            ),
        ],
        by=boss.user,
    )
    assert sorted(Deduction.objects.filter(assessment=a).values_list("item__code", flat=True)) == [
        "de1",
        "ji3",
    ]
    assert a.total == d(97)


def test_refreshing_updates_pending_suggestions_but_not_decided_ones__CMP_22(
    boss, clerk, monkeypatch
):
    import complaints.selectors

    data = {
        "failures": {"x": 1},
        "owned": 0,
        "first_contact_on_time": None,
        "rectify_on_time": None,
        "valid_complaints": 1,
    }
    monkeypatch.setattr(
        complaints.selectors, "staff_service_record", lambda ids, month: {clerk.user_id: data}
    )
    first = services.suggestions_refresh(staff=[clerk], month=date(2026, 3, 1))
    assert sorted(s.points for s in first) == [d(1), d(2)]
    a = services.assessment_create(
        staff=clerk, kind="monthly", period=date(2026, 3, 1), by=boss.user
    )
    complaint_s = next(s for s in first if s.source == "valid_complaint")
    services.suggestion_decide(
        suggestion=complaint_s, assessment=a, accept=False, reason="非本人责任", by=boss.user
    )
    data["failures"] = {"x": 3}
    data["valid_complaints"] = 2
    again = {
        s.source: s for s in services.suggestions_refresh(staff=[clerk], month=date(2026, 3, 1))
    }
    assert again["first_question_failure"].points == d(3)
    assert again["valid_complaint"].points == d(2)  # decided: unchanged
    assert again["valid_complaint"].status == Suggestion.Status.REJECTED


def test_the_departments_people_are_visible_to_its_supervisor_but_not_its_manager__APR_07(
    boss, lead, clerk
):
    assert set(services.visible_staff(lead.user)) == {lead, clerk}
    assert boss in set(services.visible_staff(boss.user))
