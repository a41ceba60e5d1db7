"""The appraisal pages: dashboard, new, entry, record, mine, annual, training, records."""

from __future__ import annotations

import io
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from appraisal import dashboard_cache, services
from appraisal.models import Assessment, Deduction, Penalty, Suggestion, TrainingResult
from servicedesk.core.models import Role
from servicedesk.notifications.models import Notification
from tests.appraisal.conftest import d
from tests.factories import StaffFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db
MARCH = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _april_2026():
    # The dashboard opens on the previous month: March 2026.
    with time_machine.travel("2026-04-10 10:00 +0800", tick=False):
        yield


@pytest.fixture
def as_boss(client, boss):
    client.force_login(boss.user)
    return client


def entry_data(rows=(), *, bonus="0", bonus_reason="", comment="", initial=0, **extra):
    """The entry form's POST: management form plus one set of fields per row."""
    data = {
        "d-TOTAL_FORMS": str(len(rows)),
        "d-INITIAL_FORMS": str(initial),
        "d-MIN_NUM_FORMS": "0",
        "d-MAX_NUM_FORMS": "60",
        "bonus": bonus,
        "bonus_reason": bonus_reason,
        "comment": comment,
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"d-{n}-{key}"] = value
    data.update(extra)
    return data


def row(item="de2", points="2", standard="与客户争吵", reason="3 月 5 日与业主争吵", **more):
    return {"item": item, "points": points, "standard": standard, "reason": reason, **more}


def draft(staff, by, kind="monthly", period=MARCH):
    return services.assessment_create(staff=staff, kind=kind, period=period, by=by)


# --- Access (APR-07) -------------------------------------------------------------


def test_the_pages_render_for_a_manager__APR_10(as_boss, boss, clerk, appraise):
    finished = appraise(clerk, deductions=[("de2", 2)])
    open_draft = draft(clerk, boss.user, "weekly")
    for url in (
        reverse("appraisal:dashboard"),
        reverse("appraisal:new"),
        reverse("appraisal:entry", args=[open_draft.pk]),
        reverse("appraisal:assessment", args=[finished.pk]),
        reverse("appraisal:assessment", args=[open_draft.pk]),
        reverse("appraisal:mine"),
        reverse("appraisal:annual", args=[clerk.pk, 2026]),
        reverse("appraisal:training"),
        reverse("appraisal:records"),
    ):
        response = as_boss.get(url)
        assert response.status_code == 200, url


def test_a_clerk_sees_their_own_record_but_404_for_a_colleagues__APR_07(
    client, clerk, colleague, appraise
):
    mine = appraise(clerk)
    theirs = appraise(colleague)
    client.force_login(clerk.user)
    assert client.get(reverse("appraisal:assessment", args=[mine.pk])).status_code == 200
    assert client.get(reverse("appraisal:assessment", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("appraisal:annual", args=[colleague.pk, 2026])).status_code == 404
    ack = reverse("appraisal:acknowledge", args=[theirs.pk])
    assert client.post(ack, {"ack-comment": ""}).status_code == 404
    records = client.get(reverse("appraisal:records")).content.decode()
    assert f'data-id="{mine.pk}"' in records and f'data-id="{theirs.pk}"' not in records


def test_a_person_does_not_see_their_record_before_it_is_finalised__APR_07(client, clerk, boss):
    a = draft(clerk, boss.user)
    client.force_login(clerk.user)
    assert client.get(reverse("appraisal:assessment", args=[a.pk])).status_code == 404
    assert f'data-id="{a.pk}"' not in client.get(reverse("appraisal:mine")).content.decode()


def test_a_manager_cannot_open_the_entry_form_for_themselves__APR_07(client, boss, gm_staff, clerk):
    own = draft(boss, gm_staff.user)
    client.force_login(boss.user)
    # A draft about oneself does not exist for oneself until it is finalised.
    assert client.get(reverse("appraisal:entry", args=[own.pk])).status_code == 404
    assert client.post(reverse("appraisal:entry", args=[own.pk]), entry_data()).status_code == 404
    # Nor pick themselves when opening one.
    response = client.post(
        reverse("appraisal:new"),
        {"staff": boss.pk, "kind": "monthly", "period": "2026-03", "test_type": "skill"},
    )
    assert response.status_code == 400
    assert "被考核人：" in response.content.decode()
    assert not Assessment.objects.filter(staff=boss, assessor=boss.user).exists()


def test_a_manager_gets_404_for_another_departments_record__APR_07(
    client, boss, engineer_staff, gm_staff
):
    other = draft(engineer_staff, gm_staff.user)
    client.force_login(boss.user)
    assert client.get(reverse("appraisal:entry", args=[other.pk])).status_code == 404
    assert client.get(reverse("appraisal:assessment", args=[other.pk])).status_code == 404


def test_a_supervisor_runs_checks_but_not_the_monthly_appraisal__APR_07(client, lead, clerk, boss):
    monthly = draft(clerk, boss.user)
    client.force_login(lead.user)
    assert client.get(reverse("appraisal:entry", args=[monthly.pk])).status_code == 403
    html = client.get(reverse("appraisal:new")).content.decode()
    assert 'value="weekly"' in html and 'value="monthly"' not in html


def test_a_clerk_is_sent_from_the_dashboard_to_their_own_records__APR_07(client, clerk):
    client.force_login(clerk.user)
    response = client.get(reverse("appraisal:dashboard"))
    assert response.status_code == 302 and response["Location"] == reverse("appraisal:mine")
    assert client.get(reverse("appraisal:dashboard_export")).status_code == 403
    assert client.get(reverse("appraisal:new")).status_code == 403


def test_residents_get_403__APR_07(client, project):
    unit = UnitFactory(building__project=project)
    from tests.factories import ResidentFactory

    owner = UserFactory(username="owner-apr")
    ResidentFactory(unit=unit, user=owner)
    client.force_login(owner)
    for name in ("appraisal:mine", "appraisal:records", "appraisal:training"):
        assert client.get(reverse(name)).status_code == 403, name


def test_the_navigation_follows_the_roles__APR_07(client, boss, clerk):
    client.force_login(boss.user)
    html = client.get(reverse("home")).content.decode()
    assert "员工考核" in html and "我的考核" in html
    client.force_login(clerk.user)
    html = client.get(reverse("home")).content.decode()
    assert "我的考核" in html and ">员工考核<" not in html


# --- New (APR-03) -------------------------------------------------------------------


def test_new_opens_a_draft_and_goes_to_the_entry_form__APR_03(as_boss, clerk):
    response = as_boss.post(
        reverse("appraisal:new"),
        {"staff": clerk.pk, "kind": "monthly", "period": "2026-03", "test_type": "skill"},
    )
    a = Assessment.objects.get(staff=clerk)
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:entry", args=[a.pk])
    assert a.period == MARCH and a.status == "draft"
    # The same person, kind and month again opens the existing record.
    again = as_boss.post(
        reverse("appraisal:new"),
        {"staff": clerk.pk, "kind": "monthly", "period": "2026-03-20", "test_type": "skill"},
    )
    assert again["Location"] == reverse("appraisal:entry", args=[a.pk])
    assert Assessment.objects.filter(staff=clerk).count() == 1


def test_new_is_prefilled_from_the_dashboard_link__APR_10(as_boss, clerk):
    html = as_boss.get(
        reverse("appraisal:new") + f"?staff={clerk.pk}&kind=monthly&period=2026-03"
    ).content.decode()
    assert f'<option value="{clerk.pk}" selected>' in html
    assert 'value="2026-03"' in html


def test_new_errors_name_the_field_and_keep_the_input__APR_03(as_boss, clerk):
    response = as_boss.post(
        reverse("appraisal:new"),
        {"staff": clerk.pk, "kind": "monthly", "period": "2026-13", "test_type": "skill"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "考核期间：" in html and 'value="2026-13"' in html
    future = as_boss.post(
        reverse("appraisal:new"),
        {"staff": clerk.pk, "kind": "monthly", "period": "2026-06", "test_type": "skill"},
    )
    assert future.status_code == 400
    assert "考核期间：考核期间不能在将来。" in future.content.decode()
    assert not Assessment.objects.exists()


# --- Entry (APR-02, APR-05, APR-06) --------------------------------------------------------


def test_the_entry_form_shows_the_16_items_with_maxima_and_standards__APR_01(as_boss, clerk, boss):
    a = draft(clerk, boss.user)
    html = as_boss.get(reverse("appraisal:entry", args=[a.pk])).content.decode()
    for code in ("de1", "de4", "qin1", "neng3", "ji4"):
        assert f'data-item-row="{code}"' in html
    assert "与客户争吵" in html  # a standard line of de2 服务态度
    assert 'id="criteria-data"' in html and "<script>" not in html  # no inline script
    assert 'name="d-0-item"' in html and "autofocus" in html


def test_saving_the_entry_form_scores_through_the_service__APR_02(as_boss, clerk, boss):
    a = draft(clerk, boss.user)
    response = as_boss.post(
        reverse("appraisal:entry", args=[a.pk]),
        entry_data(
            [
                row(),
                row(item="qin1", points="1.5", standard="__other__", reason="会议迟到"),
                {"item": "", "points": "", "standard": "", "reason": ""},  # the blank row
            ],
            comment="注意服务态度",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:entry", args=[a.pk])
    a.refresh_from_db()
    assert a.status == "draft" and a.total == d("96.50") and a.de == d(18)
    other = Deduction.objects.get(assessment=a, item__code="qin1")
    assert other.is_other and other.standard == "其它"
    assert a.comment == "注意服务态度"
    # The saved rows come back in the form.
    html = as_boss.get(reverse("appraisal:entry", args=[a.pk])).content.decode()
    assert "3 月 5 日与业主争吵" in html and "会议迟到" in html


def test_deleted_rows_are_not_saved__APR_02(as_boss, clerk, boss):
    a = draft(clerk, boss.user)
    as_boss.post(
        reverse("appraisal:entry", args=[a.pk]),
        entry_data([row(), row(item="ji1", points="3", reason="超时", DELETE="on")]),
    )
    assert list(a.deductions.values_list("item__code", flat=True)) == ["de2"]


def test_entry_errors_name_the_fields_and_keep_the_input__APR_02(as_boss, clerk, boss):
    a = draft(clerk, boss.user)
    response = as_boss.post(
        reverse("appraisal:entry", args=[a.pk]),
        entry_data(
            [
                row(points="9", reason="与业主争吵，态度恶劣"),  # de2 is worth 5
                row(item="ji1", points="abc", standard="", reason=""),
            ],
            comment="保留这段评语",
        ),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "扣分：不能超过该项满分 5。" in html
    assert "扣分原因：请填写扣分原因。" in html and "扣分：扣分须为数字，如 2 或 1.5。" in html
    assert "依据标准：请选择依据的检查标准，标准未列明的请选“其它”。" in html
    assert "与业主争吵，态度恶劣" in html and "保留这段评语" in html
    assert not a.deductions.exists()


def test_a_bonus_without_its_reason_is_shown_on_the_field__APR_05(as_boss, clerk, boss):
    a = draft(clerk, boss.user)
    response = as_boss.post(reverse("appraisal:entry", args=[a.pk]), entry_data([row()], bonus="3"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "嘉奖事由：嘉奖加分须注明依据的奖励事由。" in html
    assert 'value="3"' in html and "3 月 5 日与业主争吵" in html
    too_much = as_boss.post(
        reverse("appraisal:entry", args=[a.pk]),
        entry_data([], bonus="12", bonus_reason="拾金不昧"),
    )
    assert "嘉奖加分：" in too_much.content.decode()
    assert a.deductions.count() == 0


def test_finalising_shows_the_record_and_notifies_the_person__APR_07(as_boss, clerk, boss):
    a = draft(clerk, boss.user)
    response = as_boss.post(
        reverse("appraisal:entry", args=[a.pk]), entry_data([row()], finalise="1")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:assessment", args=[a.pk])
    a.refresh_from_db()
    assert a.status == "final" and a.total == d(98)
    note = Notification.objects.get(recipient=clerk.user)
    assert note.url == reverse("appraisal:assessment", args=[a.pk])


def test_a_finalised_record_is_not_edited_but_a_clear_message_is_given__APR_02(
    as_boss, clerk, appraise
):
    a = appraise(clerk)
    response = as_boss.get(reverse("appraisal:entry", args=[a.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:assessment", args=[a.pk])
    posted = as_boss.post(reverse("appraisal:entry", args=[a.pk]), entry_data([row()]))
    assert posted.status_code == 409
    assert "考核记录已定稿，不能修改；如需更正请先退回。" in posted.content.decode()
    assert not a.deductions.exists()


def test_a_penalty_needs_the_deduction_first__APR_06(as_boss, clerk, boss):
    a = draft(clerk, boss.user)
    url = reverse("appraisal:penalty", args=[a.pk])
    data = {"penalty-measure": "written_warning", "penalty-description": "与业主争吵造成投诉"}
    response = as_boss.post(url, data)
    assert response.status_code == 400
    assert "违规事实及后果：请先在考核表相应栏目扣分，再追加行政处罚。" in response.content.decode()
    empty = as_boss.post(url, {"penalty-measure": "", "penalty-description": ""})
    assert "处罚：" in empty.content.decode()
    as_boss.post(reverse("appraisal:entry", args=[a.pk]), entry_data([row()]))
    assert as_boss.post(url, data).status_code == 302
    assert Penalty.objects.get(assessment=a).measure == "written_warning"


@pytest.fixture
def march_service_data(project, clerk, boss):
    """A 工作态度 complaint the clerk received in March, with a first-question failure."""
    from complaints.models import Category, Channel
    from complaints.services import complaint_file, first_question_failure_record

    unit = UnitFactory(building__project=project)
    with time_machine.travel("2026-03-16 10:00 +0800", tick=False):
        complaint = complaint_file(
            project=project,
            unit=unit,
            channel=Channel.objects.get(code="phone"),
            category=Category.objects.get(code="service_attitude"),
            description="前台接待态度冷淡",
            reporter_name="陈静",
            by=clerk.user,
        )
        first_question_failure_record(
            complaint=complaint, staff=clerk.user, kind="deflected", note="推诿", by=boss.user
        )


def test_service_data_suggestions_are_accepted_or_rejected_with_a_reason__CMP_22(
    as_boss, clerk, boss, march_service_data
):
    a = draft(clerk, boss.user)
    html = as_boss.get(reverse("appraisal:entry", args=[a.pk])).content.decode()
    complaint = Suggestion.objects.get(staff=clerk, month=MARCH, source="valid_complaint")
    failure = Suggestion.objects.get(staff=clerk, month=MARCH, source="first_question_failure")
    assert complaint.reason in html and failure.reason in html
    no_reason = as_boss.post(
        reverse("appraisal:suggestion", args=[a.pk, failure.pk]),
        {f"s{failure.pk}-accept": "0", f"s{failure.pk}-reason": ""},
    )
    assert no_reason.status_code == 400 and "理由：" in no_reason.content.decode()
    ok = as_boss.post(
        reverse("appraisal:suggestion", args=[a.pk, complaint.pk]),
        {f"s{complaint.pk}-accept": "1", f"s{complaint.pk}-reason": "投诉属实"},
    )
    assert ok.status_code == 302
    as_boss.post(
        reverse("appraisal:suggestion", args=[a.pk, failure.pk]),
        {f"s{failure.pk}-accept": "0", f"s{failure.pk}-reason": "已在服务态度项扣分"},
    )
    failure.refresh_from_db()
    assert failure.status == "rejected" and failure.decision_reason == "已在服务态度项扣分"
    accepted = Deduction.objects.get(assessment=a)
    assert accepted.suggestion_id == complaint.pk and accepted.item.code == "ji3"
    # Saving the form keeps the accepted row and its link to the suggestion.
    html = as_boss.get(reverse("appraisal:entry", args=[a.pk])).content.decode()
    assert f'name="d-0-suggestion" value="{complaint.pk}"' in html
    as_boss.post(
        reverse("appraisal:entry", args=[a.pk]),
        entry_data(
            [
                row(
                    item="ji3",
                    points=str(accepted.points),
                    standard=accepted.standard,
                    reason=accepted.reason,
                    suggestion=str(complaint.pk),
                )
            ],
            initial=1,
        ),
    )
    assert Deduction.objects.get(assessment=a).suggestion_id == complaint.pk
    again = as_boss.post(
        reverse("appraisal:suggestion", args=[a.pk, complaint.pk]),
        {f"s{complaint.pk}-accept": "1", f"s{complaint.pk}-reason": "再次"},
    )
    assert again.status_code == 409 and "该建议已处理。" in again.content.decode()


# --- The record (APR-07) ----------------------------------------------------------------


def test_the_person_sees_every_deduction_reason_and_standard__APR_07(client, clerk, boss):
    a = draft(clerk, boss.user)
    services.assessment_save(
        assessment=a,
        deductions=[
            services.DeductionInput(
                item="de3", points=d(1), reason="3 月 8 日迟到 20 分钟", standard="迟到、早退、脱岗"
            ),
            services.DeductionInput(item="neng1", points=d(2), reason="答复错误", is_other=True),
        ],
        by=boss.user,
    )
    services.assessment_finalise(assessment=a, by=boss.user)
    client.force_login(clerk.user)
    html = client.get(reverse("appraisal:assessment", args=[a.pk])).content.decode()
    assert "3 月 8 日迟到 20 分钟" in html and "迟到、早退、脱岗" in html
    assert "答复错误" in html and "其它" in html
    assert "97.00" in html
    assert 'data-testid="acknowledge"' in html
    assert "定稿" in html  # the timeline


def test_the_person_acknowledges_with_a_comment__APR_07(client, clerk, appraise):
    a = appraise(clerk, deductions=[("de2", 1)])
    client.force_login(clerk.user)
    url = reverse("appraisal:acknowledge", args=[a.pk])
    response = client.post(url, {"ack-comment": "已知悉，会改进"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == "acknowledged" and a.staff_comment == "已知悉，会改进"
    twice = client.post(url, {"ack-comment": ""})
    assert twice.status_code == 409
    assert "考核记录定稿后才能确认。" in twice.content.decode()


def test_only_the_person_may_acknowledge__APR_07(as_boss, clerk, appraise):
    a = appraise(clerk)
    response = as_boss.post(reverse("appraisal:acknowledge", args=[a.pk]), {"ack-comment": ""})
    assert response.status_code == 403
    a.refresh_from_db()
    assert a.status == "final"


def test_the_assessor_reopens_with_a_reason__ORG_05(as_boss, clerk, appraise):
    a = appraise(clerk)
    url = reverse("appraisal:reopen", args=[a.pk])
    response = as_boss.post(url, {"reopen-reason": ""})
    assert response.status_code == 400
    assert "退回更正的原因：" in response.content.decode()
    done = as_boss.post(url, {"reopen-reason": "扣分项目选错"})
    assert done["Location"] == reverse("appraisal:entry", args=[a.pk])
    a.refresh_from_db()
    assert a.status == "draft"
    again = as_boss.post(url, {"reopen-reason": "再次"})
    assert again.status_code == 409 and "考核记录仍是草稿。" in again.content.decode()


def test_the_clerk_cannot_reopen__APR_07(client, clerk, appraise):
    a = appraise(clerk)
    client.force_login(clerk.user)
    assert (
        client.post(reverse("appraisal:reopen", args=[a.pk]), {"reopen-reason": "x"}).status_code
        == 403
    )


def test_mine_lists_what_awaits_acknowledgement__APR_07(client, clerk, appraise):
    pending = appraise(clerk)
    done = appraise(clerk, period=date(2026, 2, 1))
    services.assessment_acknowledge(assessment=done, by=clerk.user)
    client.force_login(clerk.user)
    html = client.get(reverse("appraisal:mine")).content.decode()
    head, _sep, rest = html.partition('data-testid="my-records"')
    assert reverse("appraisal:assessment", args=[pending.pk]) in head
    assert reverse("appraisal:assessment", args=[done.pk]) not in head
    assert f'data-id="{done.pk}"' in rest and f'data-id="{pending.pk}"' in rest


def test_the_home_page_lists_records_awaiting_acknowledgement__APR_07(client, clerk, appraise):
    a = appraise(clerk)
    client.force_login(clerk.user)
    html = client.get(reverse("home")).content.decode()
    assert "待确认的考核" in html
    assert reverse("appraisal:assessment", args=[a.pk]) in html
    services.assessment_acknowledge(assessment=a, by=clerk.user)
    assert "待确认的考核" not in client.get(reverse("home")).content.decode()


# --- Dashboard (APR-10) -------------------------------------------------------------------


def test_the_dashboard_shows_scores_missing_people_and_reasons__APR_10(
    as_boss, clerk, colleague, appraise, boss
):
    a = appraise(clerk, deductions=[("de2", 2), ("ji1", 3)])
    with time_machine.travel("2026-04-10 10:00 +0800", tick=False):
        services.training_record(
            staff=colleague,
            stage="induction",
            test_type="theory",
            score=d(55),
            passed=False,
            taken_on=date(2026, 3, 20),
            by=boss.user,
        )
    response = as_boss.get(reverse("appraisal:dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "2026-03" in html
    scores, _sep, _rest = html.partition('data-testid="not-appraised"')
    assert f'data-staff="{clerk.pk}"' in scores and "95.00" in scores
    assert reverse("appraisal:assessment", args=[a.pk]) in scores
    start = reverse("appraisal:new") + f"?staff={colleague.pk}&amp;kind=monthly&amp;period=2026-03"
    assert start in html
    assert 'data-testid="probationary"' in html  # failed the induction test (APR-09)
    assert 'id="appraisal-chart-data"' in html
    assert "chart.umd.min.js" in html


def test_the_general_manager_picks_any_department__APR_07(
    client, gm_staff, engineer_staff, clerk, appraise
):
    appraise(engineer_staff, by=gm_staff.user)
    client.force_login(gm_staff.user)
    html = client.get(
        reverse("appraisal:dashboard") + f"?department={engineer_staff.department_id}&month=2026-03"
    ).content.decode()
    assert f'data-staff="{engineer_staff.pk}"' in html
    assert f'data-staff="{clerk.pk}"' not in html
    # The department select offers every department.
    assert f'<option value="{engineer_staff.department_id}" selected>' in html
    assert f'<option value="{clerk.department_id}">' in html


def test_the_dashboard_names_a_bad_month__APR_10(as_boss):
    response = as_boss.get(reverse("appraisal:dashboard") + "?month=2026-13")
    assert response.status_code == 400
    assert "月份：月份格式应为 年-月，如 2026-03。" in response.content.decode()


def _department(code, n, project, appraise):
    """A department with its manager and ``n`` people, two in three appraised."""
    from tests.factories import DepartmentFactory

    department = DepartmentFactory(code=code, name=code)
    manager = StaffFactory(
        name=f"经理{code}", roles=[Role.MANAGER], projects=[project], department=department
    )
    for i in range(n):
        person = StaffFactory(
            name=f"员工{code}{i}",
            roles=[Role.FRONT_DESK],
            projects=[project],
            department=department,
        )
        if i % 3:
            appraise(person, deductions=[("de2", 1), ("ji1", 2)], by=manager.user)
    return manager


def test_the_dashboard_costs_the_same_for_3_or_15_people__APR_10(client, project, appraise):
    counts = []
    for manager in (
        _department("small", 3, project, appraise),
        _department("large", 15, project, appraise),
    ):
        client.force_login(manager.user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("appraisal:dashboard") + "?month=2026-03")
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert response.content.decode().count('data-testid="start"') == 5  # 15 // 3 not appraised
    assert counts[0] == counts[1], counts


def test_a_large_departments_table_is_paged_and_lists_those_to_appraise__APR_10(
    client, project, appraise, monkeypatch
):
    from appraisal import views

    monkeypatch.setattr(views, "DASHBOARD_PAGE", 2)
    manager = _department("paged", 9, project, appraise)  # 0, 3 and 6 not appraised
    client.force_login(manager.user)
    url = reverse("appraisal:dashboard") + "?month=2026-03"
    html = client.get(url).content.decode()
    # The counts cover everyone; the table shows one page, the side list the first two.
    assert 'data-testid="appraised-count">6 / 9<' in html
    assert html.count("data-staff=") == 2
    assert "第 1/5 页，共 9 条" in html
    assert "还有 1 人" in html and 'data-testid="more-pending"' in html
    last = client.get(url + "&page=5").content.decode()
    assert last.count("data-staff=") == 1
    pending = client.get(url + "&pending=1").content.decode()
    assert pending.count('class="row-pending"') == 2
    assert pending.count('data-testid="start"') == 2
    assert "第 1/2 页，共 3 条" in pending
    rest = client.get(url + "&pending=1&page=2").content.decode()
    assert rest.count('data-testid="start"') == 1


def test_the_dashboard_exports_a_workbook_with_its_rows__APR_10(
    as_boss, clerk, colleague, appraise
):
    appraise(clerk, deductions=[("de2", 2)])
    response = as_boss.get(reverse("appraisal:dashboard_export") + "?month=2026-03")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["考核汇总", "未考核", "分数分布", "月度趋势", "常见扣分原因"]
    rows = list(book["考核汇总"].iter_rows(values_only=True))
    assert rows[1][:2] == ("月份", "2026-03")
    people = {r[0]: r for r in rows[4:-1]}
    assert rows[-1][0] == "平均"
    assert people["李娜"][3] == 18 and people["李娜"][8] == 98
    assert people["周洁"][9] == "未考核"
    # The manager is appraised by the general manager, not on his own board.
    assert [r[0] for r in book["未考核"].iter_rows(min_row=2, values_only=True)] == ["周洁"]
    reasons = list(book["常见扣分原因"].iter_rows(min_row=2, values_only=True))
    assert reasons == [("de2 服务态度", "r", 1)]
    trend = list(book["月度趋势"].iter_rows(min_row=2, values_only=True))
    assert len(trend) == 12 and trend[-1] == ("2026-03", 98, 1)


# --- Annual (APR-04, APR-05) -------------------------------------------------------------


def test_the_annual_page_shows_the_three_parts_and_the_excellent_flag__APR_04_APR_05(
    as_boss, clerk, lead, appraise
):
    appraise(clerk, kind="weekly", period=date(2026, 3, 2), by=lead.user)
    appraise(clerk, period=date(2026, 1, 1), bonus=5, bonus_reason="拾金不昧")
    appraise(clerk, period=date(2026, 2, 1), bonus=5, bonus_reason="表扬信")
    appraise(clerk, kind="year_end", period=date(2026, 1, 1), bonus=3, bonus_reason="年度嘉奖")
    html = as_boss.get(reverse("appraisal:annual", args=[clerk.pk, 2026])).content.decode()
    assert 'data-part="checks"' in html and 'data-part="monthly"' in html
    assert 'data-part="year_end"' in html
    # 20 % × 100 + 30 % × 105 + 50 % × 103 = 103.00 > 100: 优秀员工.
    assert 'data-testid="composite-value">103.00<' in html
    assert 'data-testid="excellent"' in html
    assert html.count("data-id=") == 4


def test_the_annual_page_says_what_is_missing__APR_04(as_boss, clerk, appraise):
    appraise(clerk)
    html = as_boss.get(reverse("appraisal:annual", args=[clerk.pk, 2026])).content.decode()
    assert 'data-testid="missing"' in html and 'data-testid="excellent"' not in html


# --- Training (APR-09) -------------------------------------------------------------------


def test_training_results_are_recorded_and_clear_the_badge__APR_09(as_boss, clerk):
    url = reverse("appraisal:training")
    bad = as_boss.post(
        url,
        {
            "staff": clerk.pk,
            "stage": "induction",
            "test_type": "theory",
            "score": "120",
            "passed": "1",
            "taken_on": "2026-04-01",
        },
    )
    assert bad.status_code == 400
    assert "成绩：" in bad.content.decode() and 'value="120"' in bad.content.decode()
    for stage in ("induction", "on_post"):
        response = as_boss.post(
            url,
            {
                "staff": clerk.pk,
                "stage": stage,
                "test_type": "skill",
                "score": "88",
                "passed": "1",
                "taken_on": "2026-04-01",
            },
        )
        assert response.status_code == 302
    assert TrainingResult.objects.filter(staff=clerk, passed=True).count() == 2
    html = as_boss.get(reverse("appraisal:dashboard")).content.decode()
    row_html = html.split(f'data-staff="{clerk.pk}"')[1].split("</tr>")[0]
    assert 'data-testid="probationary"' not in row_html


def test_a_clerk_cannot_record_training_results__APR_09(client, clerk, colleague):
    client.force_login(clerk.user)
    assert "training-form" not in client.get(reverse("appraisal:training")).content.decode()
    response = client.post(
        reverse("appraisal:training"),
        {
            "staff": colleague.pk,
            "stage": "induction",
            "test_type": "skill",
            "score": "90",
            "passed": "1",
            "taken_on": "2026-04-01",
        },
    )
    assert response.status_code == 403


# --- Records ------------------------------------------------------------------------------


def test_records_filter_by_kind_period_and_reason__APR_08(
    as_boss, clerk, colleague, lead, appraise
):
    monthly = appraise(clerk, deductions=[("de3", 1)])
    weekly = appraise(colleague, kind="weekly", period=date(2026, 3, 2), by=lead.user)
    url = reverse("appraisal:records")
    html = as_boss.get(url + "?kind=weekly").content.decode()
    assert f'data-id="{weekly.pk}"' in html and f'data-id="{monthly.pk}"' not in html
    html = as_boss.get(url + "?reason=r&period_from=2026-03&period_to=2026-03").content.decode()
    assert f'data-id="{monthly.pk}"' in html and f'data-id="{weekly.pk}"' not in html
    bad = as_boss.get(url + "?period_from=2026-04&period_to=2026-03")
    assert bad.status_code == 400
    assert "至：结束月份不能早于开始月份。" in bad.content.decode()


# --- PDFs and the service's row errors ---------------------------------------------------


def test_the_record_links_to_its_printable_forms__APR_08(as_boss, clerk, appraise):
    monthly = appraise(clerk)
    year_end = appraise(clerk, kind="year_end", period=date(2026, 1, 1))
    html = as_boss.get(reverse("appraisal:assessment", args=[monthly.pk])).content.decode()
    assert reverse("appraisal:monthly_record_pdf", args=[monthly.pk]) in html
    assert reverse("appraisal:person_year_pdf", args=[clerk.pk, 2026]) in html
    html = as_boss.get(reverse("appraisal:assessment", args=[year_end.pk])).content.decode()
    assert reverse("appraisal:year_end_record_pdf", args=[year_end.pk]) in html
    dashboard = as_boss.get(reverse("appraisal:dashboard")).content.decode()
    pdf = reverse("appraisal:department_year_pdf")
    assert f"{pdf}?department={clerk.department_id}&amp;year=2026" in dashboard


def test_a_service_error_about_a_row_is_shown_on_that_row__APR_02():
    from django.core.exceptions import ValidationError

    from appraisal.forms import DeductionFormSet, EntryForm
    from appraisal.models import Item
    from appraisal.views import _apply_entry_error

    criteria = services.criteria_in_force("operational", "skill")
    items = {i.code: i for i in Item.objects.filter(dimension__criteria_set=criteria)}
    blank = {"item": "", "points": "", "standard": "", "reason": ""}
    data = entry_data([blank, row(), row(item="ji1", reason="超时")])
    rows = DeductionFormSet(data, prefix="d", items=items)
    form = EntryForm(data)
    assert rows.is_valid() and form.is_valid()
    kept = rows.kept_forms()
    leftover = _apply_entry_error(
        form,
        rows,
        kept,
        ValidationError(
            {
                "deductions": ["第 2 行：扣分须为正数，最多两位小数。", "整体错误"],
                "bonus": "嘉奖加分为 0，或 1 至 10 分。",
            }
        ),
    )
    assert leftover == ["整体错误"]
    # The service's second input row is the third row on screen.
    assert rows.forms[2].non_field_errors() == ["第 3 行：扣分须为正数，最多两位小数。"]
    assert form.errors["bonus"] == ["嘉奖加分为 0，或 1 至 10 分。"]


def test_row_errors_find_their_row_in_english_too():
    from django.utils import translation
    from django.utils.translation import gettext

    from appraisal.views import _row_error

    for language in ("zh-hans", "en"):
        with translation.override(language):
            message = gettext("第 %(n)d 行：请填写扣分原因。") % {"n": 2}
            match = _row_error().match(message)
            assert match is not None and match.group(1) == "2", language


def test_the_dashboard_is_served_from_the_cache_until_something_changes__APR_10(
    as_boss, clerk, colleague, appraise, boss
):
    """A refresh costs only the page frame; an appraisal, a training result or a
    person changing shows at once (appraisal/dashboard_cache.py)."""
    url = reverse("appraisal:dashboard") + "?month=2026-03"
    assert f'data-staff="{clerk.pk}" class="row-pending"' in as_boss.get(url).content.decode()
    dashboard_cache.invalidate()
    with CaptureQueriesContext(connection) as cold:
        as_boss.get(url)
    with CaptureQueriesContext(connection) as warm:
        as_boss.get(url)

    def trend_reads(queries: CaptureQueriesContext) -> int:
        return sum('AVG("appraisal_assessment"."total")' in q["sql"] for q in queries)

    assert (trend_reads(cold), trend_reads(warm)) == (1, 0)
    assert len(warm) == len(cold) - 4  # the selector's four reads

    appraise(clerk, deductions=[("de2", 2)])
    html = as_boss.get(url).content.decode()
    assert f'data-staff="{clerk.pk}" class=""' in html and "98.00" in html

    services.training_record(
        staff=colleague,
        stage="induction",
        test_type="theory",
        score=d(50),
        passed=False,
        taken_on=date(2026, 3, 20),
        by=boss.user,
    )
    assert 'data-testid="probationary"' in as_boss.get(url).content.decode()

    colleague.name = "改名后的同事"
    colleague.save()
    assert "改名后的同事" in as_boss.get(url).content.decode()
