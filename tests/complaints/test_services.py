"""The complaint desk's write path: one service per state change, each logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from complaints.models import Callback, Category, Clock, Complaint, Reporter, StandardAnswer
from complaints.services import (
    InvalidTransition,
    complaint_callback,
    complaint_contact,
    complaint_extend,
    complaint_merge,
    complaint_recategorise,
    complaint_rectify,
    complaint_reply,
    complaint_unmerge,
    first_question_failure_record,
)
from servicedesk.core.events import timeline
from servicedesk.notifications.models import Notification
from tests.complaints.conftest import local
from tests.factories import UnitFactory

Status = Complaint.Status


def running(c: Complaint) -> set[str]:
    return set(c.clocks.filter(done_at__isnull=True).values_list("kind", flat=True))


def test_contact_stops_the_first_contact_clock_and_logs_the_move__CMP_05(file_complaint, frontdesk):
    c = file_complaint()

    complaint_contact(complaint=c, by=frontdesk, note="已电话联系业主")
    c.refresh_from_db()

    assert c.status == Status.CONTACTED and c.contacted_at is not None
    assert Clock.Kind.FIRST_CONTACT not in running(c)
    last = list(timeline(c))[-1]
    assert (last.from_state, last.to_state, last.actor) == ("open", "contacted", frontdesk)


def test_an_interim_reply_tracks_the_promised_time__CMP_06(file_complaint, frontdesk):
    c = file_complaint()
    promised = timezone.now() + timedelta(hours=5)

    complaint_reply(complaint=c, by=frontdesk, text="明天给您答复", promised_at=promised)

    assert Clock.Kind.REPLY not in running(c)
    assert c.clocks.get(kind=Clock.Kind.PROMISED_REPLY).due_at == promised


def test_a_promised_time_in_the_past_is_refused_naming_the_field__CMP_06(file_complaint, frontdesk):
    c = file_complaint()

    with pytest.raises(ValidationError) as err:
        complaint_reply(complaint=c, by=frontdesk, text="x", promised_at=timezone.now())

    assert "promised_at" in err.value.message_dict


def test_a_future_time_of_receipt_is_refused(file_complaint):
    with pytest.raises(ValidationError) as err:
        file_complaint(received_at=timezone.now() + timedelta(hours=2))

    assert "received_at" in err.value.message_dict


def test_rectification_needs_contact_first_and_starts_the_callback_clock__CMP_12(
    file_complaint, frontdesk
):
    with time_machine.travel(local("2025-03-03 09:00"), tick=False):
        c = file_complaint(severity="general")
        with pytest.raises(InvalidTransition):
            complaint_rectify(complaint=c, by=frontdesk, note="已修复")
        complaint_contact(complaint=c, by=frontdesk)
        complaint_rectify(complaint=c, by=frontdesk, note="已更换水管")

    c.refresh_from_db()
    assert c.status == Status.RECTIFIED
    # A general complaint is called back within 2 weeks of rectification.
    assert c.clocks.get(kind=Clock.Kind.CALLBACK).due_at == local("2025-03-17 09:00")


def test_a_satisfied_callback_closes_and_an_unsatisfied_one_reopens__CMP_13(
    file_complaint, frontdesk
):
    happy, unhappy = file_complaint(), file_complaint()
    for c in (happy, unhappy):
        complaint_contact(complaint=c, by=frontdesk)
        complaint_rectify(complaint=c, by=frontdesk, note="已处理")

    complaint_callback(complaint=happy, by=frontdesk, outcome="reached", result="satisfied")
    complaint_callback(complaint=unhappy, by=frontdesk, outcome="reached", result="unsatisfied")
    happy.refresh_from_db()
    unhappy.refresh_from_db()

    assert happy.status == Status.CLOSED and happy.closed_at is not None
    assert unhappy.status == Status.CONTACTED
    assert Clock.Kind.RECTIFY in running(unhappy)


def test_an_unanswered_callback_is_logged_and_changes_nothing__CMP_12(file_complaint, frontdesk):
    c = file_complaint()
    complaint_contact(complaint=c, by=frontdesk)
    complaint_rectify(complaint=c, by=frontdesk, note="已处理")

    complaint_callback(complaint=c, by=frontdesk, outcome="no_answer", note="无人接听")
    c.refresh_from_db()

    assert c.status == Status.RECTIFIED
    assert Callback.objects.filter(complaint=c, outcome="no_answer").count() == 1
    assert Clock.Kind.CALLBACK in running(c)


def test_closure_only_through_a_callback__CMP_13(file_complaint, frontdesk):
    c = file_complaint()
    complaint_contact(complaint=c, by=frontdesk)

    with pytest.raises(InvalidTransition):
        complaint_callback(complaint=c, by=frontdesk, outcome="reached", result="satisfied")


def test_an_extension_keeps_the_history_and_moves_the_deadline__CMP_10(file_complaint, frontdesk):
    c = file_complaint()
    old = c.clocks.get(kind=Clock.Kind.RECTIFY).due_at
    first, second = old + timedelta(days=2), old + timedelta(days=5)

    complaint_extend(complaint=c, by=frontdesk, new_due_at=first, reason="等配件", agreed_by="陈静")
    complaint_extend(complaint=c, by=frontdesk, new_due_at=second, reason="配件延迟")

    assert c.clocks.get(kind=Clock.Kind.RECTIFY).due_at == second
    assert [(e.old_due_at, e.new_due_at) for e in c.extensions.all()] == [
        (old, first),
        (first, second),
    ]
    with pytest.raises(ValidationError) as err:
        complaint_extend(complaint=c, by=frontdesk, new_due_at=first, reason="倒退")
    assert "new_due_at" in err.value.message_dict


def test_merging_keeps_every_reporter_and_can_be_undone__CMP_14(file_complaint, frontdesk):
    master = file_complaint(reporter_name="陈静")
    duplicate = file_complaint(reporter_name="王珺", reporter_phone="13900002222")

    complaint_merge(complaint=duplicate, into=master, by=frontdesk, reason="同一漏水")
    duplicate.refresh_from_db()

    assert duplicate.status == Status.MERGED and duplicate.merged_into == master
    assert sorted(master.reporters.values_list("name", flat=True)) == ["王珺", "陈静"]
    assert not running(duplicate)

    complaint_unmerge(complaint=duplicate, by=frontdesk, reason="不是同一件事")
    duplicate.refresh_from_db()

    assert duplicate.status == Status.OPEN and duplicate.merged_into is None
    assert list(master.reporters.values_list("name", flat=True)) == ["陈静"]
    assert Clock.Kind.FIRST_CONTACT in running(duplicate)
    assert Reporter.objects.filter(complaint=duplicate).count() == 1


def test_merging_across_projects_is_refused__CMP_14(file_complaint, frontdesk, other_project):
    here = file_complaint()
    there = file_complaint(project=other_project, unit=UnitFactory(building__project=other_project))

    with pytest.raises(ValidationError):
        complaint_merge(complaint=here, into=there, by=frontdesk)


def test_the_root_cause_can_be_corrected_and_is_logged__CMP_02(file_complaint, manager):
    c = file_complaint()
    attitude = Category.objects.get(code="service_attitude")

    complaint_recategorise(
        complaint=c, category=attitude, by=manager, reason="调查后确认为态度问题"
    )

    assert Complaint.objects.get(pk=c.pk).category == attitude
    assert list(timeline(c))[-1].from_state == "facilities"


def test_a_consultation_answered_with_a_standard_answer_closes_and_counts_it__CMP_15(
    file_complaint, frontdesk
):
    answer = StandardAnswer.objects.get(title="物业费缴纳方式")
    c = file_complaint(kind="consultation", unit=None)

    complaint_reply(complaint=c, by=frontdesk, text=answer.text, standard_answer=answer)
    c.refresh_from_db()
    answer.refresh_from_db()

    assert c.status == Status.CLOSED
    assert answer.use_count == 1


def test_a_first_question_failure_is_recorded_against_the_staff_member__CMP_22(
    file_complaint, frontdesk, manager
):
    c = file_complaint()

    failure = first_question_failure_record(
        complaint=c, staff=frontdesk, kind="deflected", note="让业主自己找工程部", by=manager
    )

    assert failure.staff == frontdesk
    assert list(timeline(c))[-1].action == "first_question_failure"


def test_a_major_complaint_alerts_the_supervisors_at_filing__CMP_04(file_complaint, supervisor):
    file_complaint(severity="major", hot=True)

    assert Notification.objects.filter(recipient=supervisor, reason="filed_major").count() == 1


def test_a_closed_complaint_stays_on_the_customers_file__CMP_17(file_complaint, frontdesk, unit):
    from servicedesk.core.models import Event

    c = file_complaint()
    complaint_contact(complaint=c, by=frontdesk)
    complaint_rectify(complaint=c, by=frontdesk, note="已处理")
    complaint_callback(complaint=c, by=frontdesk, outcome="reached", result="satisfied")

    assert Event.objects.filter(unit=unit, action="status", to_state="closed").exists()
    with pytest.raises(InvalidTransition):
        complaint_contact(complaint=c, by=frontdesk)


def test_an_urgent_report_is_dispatched_to_the_department_at_once__CMP_18(file_complaint, project):
    from servicedesk.core.models import Department, Role
    from tests.factories import StaffFactory

    engineering = Department.objects.create(code="engineering", name="工程部")
    plumber = StaffFactory(roles=[Role.ENGINEER], projects=[project], department=engineering)

    c = file_complaint(
        kind="report",
        urgency_minutes=15,
        department_id=engineering.pk,
        location="1-101 厨房",
        description="水管爆裂",
        expectation="立即关阀",
    )

    note = Notification.objects.get(recipient=plumber.user, reason="dispatched_urgent")
    assert c.number.startswith("BS-") and "水管爆裂" in note.body


def test_a_chained_merge_keeps_the_first_reporter_too__CMP_14(file_complaint, frontdesk):
    a = file_complaint(reporter_name="甲", reporter_phone="13900000001")
    b = file_complaint(reporter_name="乙", reporter_phone="13900000002")
    c = file_complaint(reporter_name="丙", reporter_phone="13900000003")

    complaint_merge(complaint=a, into=b, by=frontdesk)
    complaint_merge(complaint=b, into=c, by=frontdesk)

    assert sorted(c.reporters.values_list("name", flat=True)) == ["丙", "乙", "甲"]

    complaint_unmerge(complaint=b, by=frontdesk, reason="拆分")
    assert list(c.reporters.values_list("name", flat=True)) == ["丙"]
    assert sorted(b.reporters.values_list("name", flat=True)) == ["乙", "甲"]


def test_bad_callback_values_are_refused_naming_the_field__CMP_12(file_complaint, frontdesk):
    c = file_complaint()
    complaint_contact(complaint=c, by=frontdesk)
    complaint_rectify(complaint=c, by=frontdesk, note="已处理")

    with pytest.raises(ValidationError) as err:
        complaint_callback(complaint=c, by=frontdesk, outcome="reached", result="ok")

    assert "result" in err.value.message_dict


def test_a_merged_duplicate_cannot_be_recategorised__CMP_02(file_complaint, frontdesk):
    master, duplicate = file_complaint(), file_complaint()
    complaint_merge(complaint=duplicate, into=master, by=frontdesk)

    with pytest.raises(InvalidTransition):
        complaint_recategorise(
            complaint=duplicate,
            category=Category.objects.get(code="other"),
            by=frontdesk,
            reason="x",
        )


def test_whoever_first_contacts_an_online_filing_owns_it__CMP_03(file_complaint, frontdesk):
    c = file_complaint(by=None)

    complaint_contact(complaint=c, by=frontdesk)
    c.refresh_from_db()

    assert c.received_by == frontdesk


def test_a_group_report_can_only_be_marked_for_a_hot_complaint__CMP_08(file_complaint, manager):
    from complaints.services import complaint_mark_done

    hot, plain = file_complaint(hot=True), file_complaint()

    complaint_mark_done(complaint=hot, clock="hot_report", by=manager, note="已报集团")
    assert hot.clocks.get(kind="hot_report").done_at is not None
    with pytest.raises(InvalidTransition):
        complaint_mark_done(complaint=plain, clock="hot_report", by=manager, note="x")
