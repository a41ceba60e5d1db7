"""Pure rules of the complaint desk: deadlines and allowed moves. No database writes.

Every deadline here goes through the one calendar (CAL-07): working-day rules
through ``add_working_days``, wall-clock rules through ``add_duration``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from complaints.models import Clock, Complaint, Policy
from servicedesk.workcal.calendar import BusinessCalendar, Deadline

Status = Complaint.Status
Kind = Clock.Kind

# Which status may move to which (CMP-13: closed is final; new content is a new complaint).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.CONTACTED, Status.CLOSED, Status.MERGED}),
    Status.CONTACTED: frozenset({Status.RECTIFIED, Status.CLOSED, Status.MERGED}),
    Status.RECTIFIED: frozenset({Status.CLOSED, Status.CONTACTED, Status.MERGED}),
    Status.MERGED: frozenset({Status.OPEN, Status.CONTACTED, Status.RECTIFIED}),
    Status.CLOSED: frozenset(),
}
# What an owner may file online (CMP-01); survey opinions and paid services are
# recorded by staff.
RESIDENT_KINDS = (
    Complaint.Kind.COMPLAINT,
    Complaint.Kind.REPORT,
    Complaint.Kind.CONSULTATION,
)
# A complaint repeats when the same unit complained of the same root cause within
# this many days before (the intake flag and the monthly repeat rate).
REPEAT_WINDOW_DAYS = 90
OPEN_STATUSES = frozenset({Status.OPEN, Status.CONTACTED, Status.RECTIFIED})
SATISFIED_RESULTS = frozenset({"satisfied", "basically"})


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


@dataclass(frozen=True)
class ClockPlan:
    kind: str
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    provisional: bool


def warn_at(started_at: datetime, due_at: datetime, percent: int) -> datetime:
    """Return when ``percent`` % of the clock is used (CMP-11 early warning)."""
    return started_at + (due_at - started_at) * percent / 100


def _plan(kind: str, start: datetime, deadline: Deadline, policy: Policy) -> ClockPlan:
    return ClockPlan(
        kind=kind,
        started_at=start,
        due_at=deadline.at,
        warn_at=warn_at(start, deadline.at, policy.warning_percent),
        provisional=deadline.provisional,
    )


def first_contact_plan(c: Complaint, policy: Policy, cal: BusinessCalendar) -> ClockPlan:
    """Return the first-contact clock: urgency minutes after receipt, wall clock (CMP-05)."""
    deadline = cal.add_duration(c.received_at, timedelta(minutes=c.urgency_minutes))
    return _plan(Kind.FIRST_CONTACT, c.received_at, deadline, policy)


def reply_plan(c: Complaint, policy: Policy, cal: BusinessCalendar) -> ClockPlan:
    """Return the reply clock: 48 hours (config) after receipt, wall clock (CMP-06)."""
    deadline = cal.add_duration(c.received_at, timedelta(hours=policy.reply_hours))
    return _plan(Kind.REPLY, c.received_at, deadline, policy)


def rectify_days(c: Complaint, policy: Policy) -> int:
    if c.severity == Complaint.Severity.MAJOR:
        return policy.rectify_days_major
    return policy.rectify_days_general


def rectify_plan(
    c: Complaint, policy: Policy, cal: BusinessCalendar, *, start: datetime | None = None
) -> ClockPlan:
    """Return the rectification clock: 1 (major) or 3 (general) working days (CMP-07, CAL-04)."""
    start = start or c.received_at
    return _plan(Kind.RECTIFY, start, cal.add_working_days(start, rectify_days(c, policy)), policy)


def hot_report_plan(c: Complaint, policy: Policy, cal: BusinessCalendar) -> ClockPlan:
    """Return the group-report clock of a hot complaint: 1 working day (CMP-08)."""
    deadline = cal.add_working_days(c.received_at, policy.hot_report_days)
    return _plan(Kind.HOT_REPORT, c.received_at, deadline, policy)


def onsite_plan(c: Complaint, policy: Policy, cal: BusinessCalendar) -> ClockPlan:
    """Return the manager-on-site clock of a category-1 incident: 2 hours (CMP-19)."""
    deadline = cal.add_duration(c.received_at, timedelta(hours=policy.onsite_hours))
    return _plan(Kind.ONSITE, c.received_at, deadline, policy)


def callback_plan(
    c: Complaint, policy: Policy, cal: BusinessCalendar, *, rectified_at: datetime
) -> ClockPlan:
    """Return the callback clock: 1 week (major) or 2 weeks (general) after rectifying (CMP-12)."""
    days = (
        policy.callback_days_major
        if c.severity == Complaint.Severity.MAJOR
        else policy.callback_days_general
    )
    deadline = cal.add_duration(rectified_at, timedelta(days=days))
    return _plan(Kind.CALLBACK, rectified_at, deadline, policy)


def promised_reply_plan(
    c: Complaint, policy: Policy, *, promised_at: datetime, now: datetime
) -> ClockPlan:
    """Return the clock of a promised reply time told to the customer (CMP-06)."""
    return ClockPlan(
        kind=Kind.PROMISED_REPLY,
        started_at=now,
        due_at=promised_at,
        warn_at=warn_at(now, promised_at, policy.warning_percent),
        provisional=False,
    )


def opinion_summary_plan(c: Complaint, policy: Policy, cal: BusinessCalendar) -> ClockPlan:
    """Return the clock to summarise a survey opinion to the department: 2 days (CMP-20)."""
    deadline = cal.add_duration(c.received_at, timedelta(days=policy.opinion_summary_days))
    return _plan(Kind.OPINION_SUMMARY, c.received_at, deadline, policy)


def opinion_plan_plan(
    c: Complaint, policy: Policy, cal: BusinessCalendar, *, sent_at: datetime
) -> ClockPlan:
    """Return the clock for the department's written plan: 3 days after it got the
    summary (CMP-20)."""
    deadline = cal.add_duration(sent_at, timedelta(days=policy.opinion_plan_days))
    return _plan(Kind.OPINION_PLAN, sent_at, deadline, policy)


def initial_clocks(c: Complaint, policy: Policy, cal: BusinessCalendar) -> list[ClockPlan]:
    """Return the clocks that start when a record is filed and dispatched.

    A consultation only has to be answered (CMP-06); a survey opinion is first
    summarised to the responsible department (CMP-20); a paid service is first
    contacted to make the appointment (CMP-21); complaints and reports are
    contacted (CMP-05), answered and rectified (CMP-07); a hot complaint is also
    reported to the group (CMP-08) and a category-1 incident brings the
    manager on site (CMP-19).
    """
    if c.kind == Complaint.Kind.CONSULTATION:
        return [reply_plan(c, policy, cal)]
    if c.kind == Complaint.Kind.OPINION:
        return [opinion_summary_plan(c, policy, cal)]
    if c.kind == Complaint.Kind.PAID_SERVICE:
        return [first_contact_plan(c, policy, cal)]
    plans = [first_contact_plan(c, policy, cal), reply_plan(c, policy, cal)]
    plans.append(rectify_plan(c, policy, cal))
    if c.hot:
        plans.append(hot_report_plan(c, policy, cal))
    if c.incident:
        plans.append(onsite_plan(c, policy, cal))
    return plans


def next_level(current: int, missed: int, top: int) -> int:
    """Return the escalation level after ``missed`` newly missed deadlines (CMP-11)."""
    return min(current + missed, top) if top else current + missed


def is_overdue(clock: Clock, *, now: datetime) -> bool:
    return clock.done_at is None and now >= clock.due_at
