"""The complaint desk's deadline sweep (CMP-05, CMP-09..13, CAL-02), run as in production:
``run_sweep(now)`` under a frozen clock."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Clock, Complaint, Policy
from complaints.services import (
    complaint_contact,
    complaint_extend,
    complaint_rectify,
    complaint_reply,
    complaint_transition,
)
from servicedesk.core.events import timeline
from servicedesk.core.models import Event
from servicedesk.deadlines.sweep import run_sweep
from servicedesk.notifications.models import Notification
from servicedesk.workcal.services import calendar_year_import
from tests.complaints.conftest import local

pytestmark = pytest.mark.django_db

FILED = "2025-09-01 09:00"  # Monday; first contact due 09:30 (30 min), reply 09-03 09:00


def sweep(at: str) -> None:
    with time_machine.travel(local(at), tick=False):
        outcomes = run_sweep(timezone.now())
    assert not [o for o in outcomes if o.error], outcomes


def file_at(file_complaint, at: str = FILED, **kw) -> Complaint:
    with time_machine.travel(local(at), tick=False):
        return file_complaint(**kw)


def level(c: Complaint) -> int:
    c.refresh_from_db()
    return c.escalation_level


def escalations(c: Complaint) -> list[tuple[str, str, str]]:
    return [
        (e.from_state, e.to_state, e.data["clock"]) for e in timeline(c).filter(action="escalated")
    ]


def notified(user, reason: str) -> int:
    return Notification.objects.filter(recipient=user, reason=reason).count()


def test_a_missed_first_contact_escalates_to_the_supervisor__CMP_05_CMP_11(
    file_complaint, supervisor, frontdesk
):
    c = file_at(file_complaint)
    sweep("2025-09-01 09:29")
    assert level(c) == 0
    sweep("2025-09-01 09:31")
    assert level(c) == 1
    assert escalations(c) == [("0", "1", "first_contact")]
    event = timeline(c).get(action="escalated")
    assert event.actor is None and event.at == local("2025-09-01 09:31")
    assert notified(supervisor, "escalated_first_contact") == 1
    assert notified(frontdesk, "escalated_first_contact") == 1, "the first-question owner too"


def test_running_the_sweep_twice_escalates_once__CMP_11(file_complaint, supervisor):
    c = file_at(file_complaint)
    sweep("2025-09-01 09:31")
    sweep("2025-09-01 09:31")
    sweep("2025-09-01 10:30")
    assert level(c) == 1
    assert len(escalations(c)) == 1
    assert notified(supervisor, "escalated_first_contact") == 1


def test_a_second_missed_clock_raises_level_2_and_tells_the_manager__CMP_11(
    file_complaint, supervisor, manager
):
    c = file_at(file_complaint)
    sweep("2025-09-01 09:31")
    assert notified(manager, "escalated_first_contact") == 0
    sweep("2025-09-03 09:01")  # the 48-hour reply is missed too
    assert level(c) == 2
    assert escalations(c) == [("0", "1", "first_contact"), ("1", "2", "reply")]
    assert notified(manager, "escalated_reply") == 1
    assert notified(supervisor, "escalated_reply") == 0


def test_a_third_missed_deadline_reaches_the_company_complaint_department__CMP_09(
    file_complaint, supervisor, manager, quality
):
    c = file_at(file_complaint)
    sweep("2025-09-01 09:31")
    sweep("2025-09-03 09:01")
    assert notified(quality, "escalated_reply") == 0
    sweep("2025-09-08 09:00")  # 3 working days of rectification are over
    assert level(c) == 3
    assert escalations(c)[-1] == ("2", "3", "rectify")
    assert notified(quality, "escalated_rectify") == 1


def test_the_level_is_capped_at_the_top_step__CMP_11(file_complaint, quality):
    c = file_at(
        file_complaint, hot=True, incident=True
    )  # 5 clocks: contact, reply, rectify, hot, onsite
    sweep("2025-09-10 09:00")
    assert level(c) == 3
    assert len(escalations(c)) == 5, "every missed deadline is recorded"
    # Each missed deadline climbs one step until the top: 1, 2, 3, then 3 stays.
    assert sorted(to for _f, to, _k in escalations(c)) == ["1", "2", "3", "3", "3"]
    assert (
        Notification.objects.filter(recipient=quality, reason__startswith="escalated_").count() == 3
    )


def test_two_deadlines_missed_in_one_sweep_tell_each_role_up__CMP_11(
    file_complaint, supervisor, manager
):
    c = file_at(file_complaint)
    sweep("2025-09-03 09:01")  # the sweep was down: contact and reply missed together
    assert level(c) == 2
    assert Notification.objects.filter(
        recipient=supervisor, reason__startswith="escalated_"
    ).exists()
    assert Notification.objects.filter(recipient=manager, reason__startswith="escalated_").exists()


def test_the_early_warning_at_80_percent_is_sent_once__CMP_11(
    file_complaint, supervisor, frontdesk
):
    c = file_at(file_complaint)
    sweep("2025-09-01 09:23")
    assert notified(supervisor, "warn_first_contact") == 0
    sweep("2025-09-01 09:25")  # 24 of 30 minutes used
    sweep("2025-09-01 09:26")
    assert notified(supervisor, "warn_first_contact") == 1
    assert notified(frontdesk, "warn_first_contact") == 1
    clock = Clock.objects.get(complaint=c, kind=Clock.Kind.FIRST_CONTACT)
    assert clock.warned_at == local("2025-09-01 09:25")
    assert level(c) == 0


def test_an_extension_moves_the_deadline_and_a_later_miss_escalates_once_more__CMP_10(
    file_complaint, frontdesk, supervisor
):
    c = file_at(file_complaint)
    with time_machine.travel(local("2025-09-01 09:10"), tick=False):
        complaint_contact(complaint=c, by=frontdesk)
        complaint_reply(complaint=c, by=frontdesk, text="已安排维修")
    sweep("2025-09-08 09:00")  # rectification missed
    assert escalations(c) == [("0", "1", "rectify")]
    with time_machine.travel(local("2025-09-08 10:00"), tick=False):
        complaint_extend(
            complaint=c, by=supervisor, new_due_at=local("2025-09-10 17:00"), reason="等配件"
        )
    sweep("2025-09-10 16:59")
    assert level(c) == 1
    sweep("2025-09-10 17:01")
    sweep("2025-09-10 18:00")
    assert level(c) == 2
    assert escalations(c) == [("0", "1", "rectify"), ("1", "2", "rectify")]


def test_an_extension_before_the_deadline_prevents_the_escalation__CMP_10(
    file_complaint, frontdesk, supervisor
):
    c = file_at(file_complaint)
    with time_machine.travel(local("2025-09-01 09:10"), tick=False):
        complaint_contact(complaint=c, by=frontdesk)
        complaint_reply(complaint=c, by=frontdesk, text="已安排维修")
        complaint_extend(
            complaint=c, by=supervisor, new_due_at=local("2025-09-12 17:00"), reason="等配件"
        )
    sweep("2025-09-08 09:00")
    assert level(c) == 0


def test_done_clocks_never_escalate__CMP_05(file_complaint, frontdesk):
    c = file_at(file_complaint)
    with time_machine.travel(local("2025-09-01 09:20"), tick=False):
        complaint_contact(complaint=c, by=frontdesk)
    sweep("2025-09-01 09:31")
    sweep("2025-09-01 12:00")
    assert level(c) == 0 and escalations(c) == []


def test_closed_complaints_never_escalate__CMP_13(file_complaint, frontdesk):
    c = file_at(file_complaint)
    with time_machine.travel(local("2025-09-01 09:05"), tick=False):
        complaint_transition(complaint=c, to=Complaint.Status.CLOSED, by=frontdesk, reason="撤诉")
    sweep("2025-09-10 09:00")
    assert level(c) == 0 and escalations(c) == []
    assert not Notification.objects.filter(reason__startswith="escalated_").exists()


def rectified_without_callback(file_complaint, frontdesk, at: str = FILED) -> Complaint:
    c = file_at(file_complaint, at=at)
    with time_machine.travel(local(at), tick=False):
        complaint_contact(complaint=c, by=frontdesk)
        complaint_reply(complaint=c, by=frontdesk, text="已处理")
        complaint_rectify(complaint=c, by=frontdesk, note="已修复", needs_callback=False)
    return c


def test_a_matter_without_callback_closes_after_a_quiet_week__CMP_13(file_complaint, frontdesk):
    c = rectified_without_callback(file_complaint, frontdesk)
    sweep("2025-09-08 08:59")
    c.refresh_from_db()
    assert c.status == Complaint.Status.RECTIFIED
    sweep("2025-09-08 09:01")
    sweep("2025-09-08 09:02")
    c.refresh_from_db()
    assert c.status == Complaint.Status.CLOSED
    assert c.closed_at == local("2025-09-08 09:01")
    closes = timeline(c).filter(action="status", to_state=Complaint.Status.CLOSED)
    assert closes.count() == 1 and closes.get().actor is None


def test_a_repeat_complaint_keeps_it_open__CMP_13(file_complaint, frontdesk):
    c = rectified_without_callback(file_complaint, frontdesk)
    file_at(file_complaint, at="2025-09-04 10:00", description="水管又漏了")
    sweep("2025-09-09 09:00")
    c.refresh_from_db()
    assert c.status == Complaint.Status.RECTIFIED


def test_a_matter_needing_a_callback_never_closes_quietly__CMP_13(file_complaint, frontdesk):
    c = file_at(file_complaint)
    with time_machine.travel(local(FILED), tick=False):
        complaint_contact(complaint=c, by=frontdesk)
        complaint_rectify(complaint=c, by=frontdesk, note="已修复")
    sweep("2025-09-20 09:00")
    c.refresh_from_db()
    assert c.status == Complaint.Status.RECTIFIED


def test_the_quiet_week_is_the_complaints_own_policy_version__CMP_13(file_complaint, frontdesk):
    c = rectified_without_callback(file_complaint, frontdesk)
    Policy.objects.create(quiet_close_days=30, note="新版本")
    sweep("2025-09-08 09:01")
    c.refresh_from_db()
    assert c.status == Complaint.Status.CLOSED


NOTICE_2027 = "2027-01-01 休 元旦\n2027-02-06~2027-02-13 休 春节\n2027-02-14 班\n"


def test_a_rectify_clock_reaching_an_unknown_year_is_provisional_and_recomputed__CAL_02(
    file_complaint,
):
    c = file_at(file_complaint, at="2026-12-30 10:00")  # Wednesday; 2027 not yet published
    clock = Clock.objects.get(complaint=c, kind=Clock.Kind.RECTIFY)
    assert clock.provisional
    before = timezone.localtime(clock.due_at).date().isoformat()
    assert before == "2027-01-04", "assumed Monday-Friday: 31 Dec, 1 Jan, 4 Jan"
    contact = Clock.objects.get(complaint=c, kind=Clock.Kind.FIRST_CONTACT)
    assert not contact.provisional, "wall-clock deadlines are never provisional"
    with time_machine.travel(local("2026-12-30 12:00"), tick=False):
        calendar_year_import(year=2027, text=NOTICE_2027, note="国办发明电〔2026〕X号")
    clock.refresh_from_db()
    assert not clock.provisional
    assert timezone.localtime(clock.due_at).date().isoformat() == "2027-01-05", "1 Jan is off"


COMPLAINT_CHECKS = ["complaints.escalate", "complaints.warn", "complaints.close_quiet"]


def statements(queries: list[dict]) -> int:
    """Count statements, taking one bulk INSERT split into batches as one.

    SQLite caps the parameters of a statement, so Django splits a large
    bulk_create into batches; that is the database's limit, not a per-row loop.
    """
    count, previous = 0, ""
    for query in queries:
        sql = query["sql"]
        if "SAVEPOINT" in sql:
            continue
        head = sql.split("(", 1)[0]
        if head.startswith("INSERT") and head == previous:
            continue
        count, previous = count + 1, head
    return count


def test_the_sweep_costs_the_same_queries_for_5_or_50_overdue_complaints__CMP_11(
    file_complaint, supervisor, manager, quality
):
    """Set-based checks: the complaint desk's checks cost a fixed number of statements.

    (``notifications.deliver``, which sends the resulting e-mails, is per message
    by design and is measured apart in bench/run.py.)
    """

    def overdue_batch(n: int, day: str) -> int:
        for _ in range(n):
            file_at(file_complaint, at=f"{day} 09:00")
        with time_machine.travel(local(f"{day} 09:20"), tick=False):
            run_sweep(timezone.now(), only=COMPLAINT_CHECKS)  # warm caches (content types)
        with (
            time_machine.travel(local(f"{day} 09:31"), tick=False),
            CaptureQueriesContext(connection) as ctx,
        ):
            outcomes = run_sweep(timezone.now(), only=COMPLAINT_CHECKS)
        assert {o.name: o.acted for o in outcomes}["complaints.escalate"] == n
        return statements(ctx.captured_queries)

    five = overdue_batch(5, "2025-09-01")
    fifty = overdue_batch(50, "2025-09-02")
    assert fifty == five
    assert Complaint.objects.filter(escalation_level=1).count() == 55


def test_a_backlog_sends_each_person_one_summary_not_a_flood__CMP_11(
    file_complaint, supervisor, monkeypatch
):
    """After an outage every escalation is still logged, but nobody gets 25 messages."""
    from complaints import deadlines

    monkeypatch.setattr(deadlines, "DIGEST_AFTER", 3)
    for _ in range(5):
        file_at(file_complaint, at="2025-09-01 09:00")

    with time_machine.travel(local("2025-09-01 09:31"), tick=False):
        run_sweep(timezone.now(), only=COMPLAINT_CHECKS)

    assert Event.objects.filter(action="escalated").count() == 5
    mine = Notification.objects.filter(recipient=supervisor)
    assert list(mine.values_list("reason", flat=True)) == ["escalated_digest"]
    assert "5" in mine.get().title


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL storage setting")
def test_complaints_and_clocks_leave_room_for_updates_in_place(db):
    """Escalations update 10 000 rows at a time: with free room on each page they are
    HOT updates, with no new index entries (migration 0005, bench/README.md)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class "
            "WHERE relname IN ('complaints_complaint', 'complaints_clock') ORDER BY relname"
        )
        rows = cursor.fetchall()
    assert rows == [
        ("complaints_clock", ["fillfactor=85"]),
        ("complaints_complaint", ["fillfactor=85"]),
    ]
