"""The complaint desk's deadline checks (CMP-05..13, CMP-19), run by every sweep.

Each is set-based: it selects what fell due with one locked query, marks it
with one UPDATE, and writes events and notifications with one bulk insert
each, so 10 000 overdue complaints cost the same few statements as one.
Marks make them idempotent: ``warned_at`` for warnings, ``escalated_due_at``
(the due time that was escalated) for escalations.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from complaints import rules
from complaints.models import Clock, Complaint, EscalationStep, Policy
from servicedesk.core.events import event_for, record_events_bulk
from servicedesk.deadlines.registry import deadline_check
from servicedesk.notifications.models import Notification
from servicedesk.notifications.services import (
    notification_for,
    notify_bulk,
    role_holders_by_project,
)
from servicedesk.workcal.recompute import register_provisional_recompute

OPEN = list(rules.OPEN_STATUSES)
CLOCK_FIELDS = (
    "id",
    "kind",
    "due_at",
    "complaint_id",
    "complaint__number",
    "complaint__project_id",
    "complaint__unit_id",
    "complaint__received_by_id",
    "complaint__escalation_level",
)


@deadline_check("complaints.warn")
def warn_clocks(now: datetime) -> int:
    """Warn the first-question owner and supervisors when 80 % of a clock is used (CMP-11)."""
    rows = list(
        Clock.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            done_at__isnull=True,
            warned_at__isnull=True,
            warn_at__lte=now,
            due_at__gt=now,
            complaint__status__in=OPEN,
        )
        .values_list(*CLOCK_FIELDS)
    )
    if not rows:
        return 0
    Clock.objects.filter(id__in=[r[0] for r in rows]).update(warned_at=now)
    supervisors = role_holders_by_project({"supervisor"}, {r[5] for r in rows})
    notes = []
    for _id, kind, due_at, cid, number, project_id, _unit, owner, _level in rows:
        title = _("%(number)s %(clock)s即将到期") % {
            "number": number,
            "clock": Clock.Kind(kind).label,
        }
        for user_id in supervisors[("supervisor", project_id)] | ({owner} if owner else set()):
            notes.append(
                notification_for(
                    user_id,
                    subject=None,
                    content_type=_complaint_type(),
                    object_id=str(cid),
                    reason=f"warn_{kind}",
                    title=title,
                    url=f"/complaints/{cid}/",
                    deadline=due_at,
                    project_id=project_id,
                )
            )
    notify_bulk(notes)
    return len(rows)


@deadline_check("complaints.escalate")
def escalate_missed_clocks(now: datetime) -> int:
    """Each missed deadline raises the level once and tells the next role up (CMP-09, CMP-11)."""
    rows = list(
        Clock.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(done_at__isnull=True, due_at__lte=now, complaint__status__in=OPEN)
        .filter(Q(escalated_due_at__isnull=True) | ~Q(escalated_due_at=F("due_at")))
        .values_list(*CLOCK_FIELDS)
    )
    if not rows:
        return 0
    Clock.objects.filter(id__in=[r[0] for r in rows]).update(escalated_due_at=F("due_at"))
    steps = dict(EscalationStep.objects.values_list("level", "role"))
    top = max(steps, default=0)
    # Each missed clock climbs one step, in due order: after an outage a complaint
    # that missed two deadlines tells the supervisor AND the manager (CMP-11).
    rows.sort(key=lambda r: (r[3], r[2]))
    level_before = {r[3]: r[8] for r in rows}
    level_of_row: list[int] = []
    climbed: dict[int, int] = defaultdict(int)
    for row in rows:
        climbed[row[3]] += 1
        level_of_row.append(rules.next_level(level_before[row[3]], climbed[row[3]], top))
    new_level = {cid: rules.next_level(level_before[cid], n, top) for cid, n in climbed.items()}
    by_level: dict[int, list[int]] = defaultdict(list)
    for cid, level in new_level.items():
        by_level[level].append(cid)
    for level, ids in by_level.items():  # one UPDATE per distinct level: a handful
        Complaint.objects.filter(id__in=ids).update(escalation_level=level)

    recipients = role_holders_by_project(set(steps.values()), {r[5] for r in rows})
    # Translations and labels once per sweep, not once per row.
    labels = {kind: str(label) for kind, label in Clock.Kind.choices}
    reason_text, title_text = (
        _("%(clock)s超时"),
        _("%(number)s %(clock)s已超时，升级至第 %(level)s 级"),
    )
    events = []
    messages: dict[int, list[Message]] = defaultdict(list)
    for row, level in zip(rows, level_of_row, strict=True):
        _id, kind, due_at, cid, number, project_id, unit_id, owner, _level = row
        events.append(
            event_for(
                Complaint,
                cid,
                action="escalated",
                project_id=project_id,
                unit_id=unit_id,
                from_state=str(level - 1 if level > level_before[cid] else level),
                to_state=str(level),
                reason=reason_text % {"clock": labels[kind]},
                data={"clock": kind, "due_at": due_at.isoformat()},
                at=now,
            )
        )
        title = title_text % {"number": number, "clock": labels[kind], "level": level}
        message = Message(cid, number, f"escalated_{kind}", title, due_at, project_id)
        for user_id in recipients[(steps.get(level, ""), project_id)] | (
            {owner} if owner else set()
        ):
            messages[user_id].append(message)
    record_events_bulk(events)
    notify_bulk(notifications_or_digests(messages, now=now))
    return len(rows)


# Beyond this many escalations for one person in one sweep (a backlog after an
# outage), they get one summary instead of a message per complaint.
DIGEST_AFTER = 20


@dataclass(frozen=True)
class Message:
    complaint_id: int
    number: str
    reason: str
    title: str
    deadline: datetime
    project_id: int


def notifications_or_digests(
    messages: dict[int, list[Message]], *, now: datetime
) -> list[Notification]:
    """Return one notification per message, or one summary for a recipient's flood.

    Every escalation is still an event on its complaint; what changes is that
    nobody is sent 10 000 e-mails when the sweep catches up after an outage.
    """
    complaint_type = _complaint_type()
    notes: list[Notification] = []
    for recipient_id, mine in messages.items():
        if len(mine) > DIGEST_AFTER:
            numbers = sorted({m.number for m in mine})
            notes.append(
                notification_for(
                    recipient_id,
                    subject=None,
                    reason="escalated_digest",
                    title=_("本次检查共有 %(n)s 项投诉时限超时并已升级") % {"n": len(mine)},
                    body="、".join(numbers[:30]) + ("……" if len(numbers) > 30 else ""),
                    url="/complaints/?overdue=1",
                    deadline=now,
                    project_id=mine[0].project_id,
                )
            )
            continue
        notes.extend(
            notification_for(
                recipient_id,
                subject=None,
                content_type=complaint_type,
                object_id=str(m.complaint_id),
                reason=m.reason,
                title=m.title,
                url=f"/complaints/{m.complaint_id}/",
                deadline=m.deadline,
                project_id=m.project_id,
            )
            for m in mine
        )
    return notes


@deadline_check("complaints.close_quiet")
def close_quiet_complaints(now: datetime) -> int:
    """Close rectified matters that need no callback after a quiet week (CMP-13)."""
    # Each complaint waits the quiet period of its own rule version: one condition
    # per version (a handful), one query.
    quiet = Q(pk__in=[])
    for policy_id, days in Policy.objects.values_list("id", "quiet_close_days"):
        quiet |= Q(policy_id=policy_id, rectified_at__lte=now - timedelta(days=days))
    repeat = Complaint.objects.filter(
        unit=OuterRef("unit"),
        category=OuterRef("category"),
        received_at__gt=OuterRef("rectified_at"),
    ).exclude(pk=OuterRef("pk"))
    rows = list(
        Complaint.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=Complaint.Status.RECTIFIED,
            needs_callback=False,
        )
        .filter(quiet, ~Exists(repeat))
        .values_list("id", "project_id", "unit_id")
    )
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    Complaint.objects.filter(id__in=ids).update(status=Complaint.Status.CLOSED, closed_at=now)
    Clock.objects.filter(complaint_id__in=ids, done_at__isnull=True).update(done_at=now)
    reason = _("整改后观察期内无重复投诉，自动结案")
    record_events_bulk(
        event_for(
            Complaint,
            cid,
            action="status",
            project_id=project_id,
            unit_id=unit_id,
            from_state=Complaint.Status.RECTIFIED,
            to_state=Complaint.Status.CLOSED,
            reason=reason,
            at=now,
        )
        for cid, project_id, unit_id in rows
    )
    return len(rows)


@register_provisional_recompute
def recompute_provisional_clocks(year: int) -> int:
    """Recompute working-day clocks that were provisional once ``year`` is loaded (CAL-02).

    Only clocks counted in working days can be provisional, and only those
    reaching into a year no calendar knew: a handful each December.
    """
    from servicedesk.workcal.calendar import business_calendar

    cal = business_calendar()
    changed = 0
    clocks = Clock.objects.filter(
        provisional=True, done_at__isnull=True, due_at__year__gte=year - 1
    ).select_related("complaint", "complaint__policy")
    for clock in clocks:
        c, policy = clock.complaint, clock.complaint.policy
        if clock.kind == Clock.Kind.RECTIFY:
            plan = rules.rectify_plan(c, policy, cal, start=clock.started_at)
        elif clock.kind == Clock.Kind.HOT_REPORT:
            plan = rules.hot_report_plan(c, policy, cal)
        else:
            continue
        Clock.objects.filter(pk=clock.pk).update(
            due_at=plan.due_at, warn_at=plan.warn_at, provisional=plan.provisional
        )
        changed += 1
    return changed


def _complaint_type() -> ContentType:
    return ContentType.objects.get_for_model(Complaint)
