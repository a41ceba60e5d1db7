"""Key custody's scheduled checks (KEY-02, KEY-04, KEY-07, KEY-08): set-based, idempotent.

Each selects what fell due with one locked query, marks it with a conditional
UPDATE, and writes events and notifications in bulk; the marks
(``overdue_level``, ``overdue_flagged_at``, ``review_reminded_at``,
``expiry_notified_at``) make a second run at the same time change nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.translation import gettext as _

from keys.models import EmergencyUse, Entrustment, KeySettings, Loan, LockChange
from keys.services import overdue_level_for
from servicedesk.core.events import event_for, record_events_bulk
from servicedesk.core.models import Role
from servicedesk.deadlines.registry import deadline_check
from servicedesk.notifications.models import Notification
from servicedesk.notifications.services import (
    notification_for,
    notify_bulk,
    role_holders_by_project,
)
from servicedesk.workcal.calendar import business_calendar

# KEY-04: who is alerted at each overdue level, cumulatively.
OVERDUE_LADDER = {
    1: (Role.DUTY_MANAGER,),
    2: (Role.DUTY_MANAGER, Role.MANAGER),
    3: (Role.DUTY_MANAGER, Role.MANAGER, Role.GENERAL_MANAGER),
}


@deadline_check("keys.overdue_loans")
def escalate_overdue_loans(now: datetime) -> int:
    """Flag keys not back by their due time and alert the duty manager; the alert
    climbs while the key stays out (KEY-04)."""
    every = KeySettings.current().overdue_escalate_every_hours
    rows = list(
        Loan.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=Loan.Status.OUT, due_at__lt=now, overdue_level__lt=3)
        .values_list(
            "id", "project_id", "key__unit_id", "number", "key__tag", "due_at", "overdue_level"
        )
    )
    # due_at is never null on a loan that is out (set at checkout).
    raised = [
        (row, level)
        for row in rows
        if row[5] is not None and (level := overdue_level_for(row[5], now, every)) > row[6]
    ]
    if not raised:
        return 0
    by_level: dict[int, list[int]] = defaultdict(list)
    for row, level in raised:
        by_level[level].append(row[0])
    for level, ids in by_level.items():
        Loan.objects.filter(id__in=ids, overdue_level__lt=level).update(overdue_level=level)
    Loan.objects.filter(id__in=[row[0] for row, _lvl in raised], overdue_since__isnull=True).update(
        overdue_since=now
    )
    record_events_bulk(
        event_for(
            Loan,
            row[0],
            action="overdue",
            project_id=row[1],
            unit_id=row[2],
            from_state=str(row[6]),
            to_state=str(level),
            reason=_("钥匙逾期未还"),
            at=now,
        )
        for row, level in raised
    )
    roles: set[str] = {r for lvl in by_level for r in OVERDUE_LADDER[lvl]}
    recipients = role_holders_by_project(roles, {row[1] for row, _lvl in raised})
    cal = business_calendar()
    notifications: list[Notification] = []
    for (loan_id, project_id, _unit, number, tag, due_at, _old), level in raised:
        users: set[int] = set()
        for role in OVERDUE_LADDER[level]:
            users |= recipients.get((role, project_id), set())
        for user_id in users:
            notifications.append(
                notification_for(
                    user_id,
                    subject=None,
                    content_type=ContentType.objects.get_for_model(Loan),
                    object_id=str(loan_id),
                    reason=f"key_overdue_{level}",
                    title=_("钥匙 %(tag)s 逾期未还（%(number)s，应还 %(due)s）")
                    % {
                        "tag": tag,
                        "number": number,
                        "due": cal.local(due_at).strftime("%m-%d %H:%M") if due_at else "",
                    },
                    url=reverse("keys:loan", args=[loan_id]),
                    deadline=due_at,
                    project_id=project_id,
                )
            )
    notify_bulk(notifications)
    return len(raised)


@deadline_check("keys.lock_change_unsealed")
def flag_unsealed_lock_changes(now: datetime) -> int:
    """Flag new keys not sealed within 24 h of the lock change and alert the duty
    manager and the manager (KEY-08)."""
    rows = list(
        LockChange.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=LockChange.Status.AWAITING_SEAL,
            seal_due_at__lt=now,
            overdue_flagged_at__isnull=True,
        )
        .values_list("id", "project_id", "new_key__unit_id", "number", "location", "seal_due_at")
    )
    if not rows:
        return 0
    LockChange.objects.filter(id__in=[r[0] for r in rows], overdue_flagged_at__isnull=True).update(
        overdue_flagged_at=now
    )
    record_events_bulk(
        event_for(
            LockChange,
            cid,
            action="seal_overdue",
            project_id=pid,
            unit_id=uid,
            reason=_("新钥匙超过时限未封存"),
            at=now,
        )
        for cid, pid, uid, *_rest in rows
    )
    recipients = role_holders_by_project({Role.DUTY_MANAGER, Role.MANAGER}, {r[1] for r in rows})
    notifications: list[Notification] = []
    for cid, pid, _uid, number, location, due in rows:
        users = recipients.get((Role.DUTY_MANAGER, pid), set()) | recipients.get(
            (Role.MANAGER, pid), set()
        )
        notifications.extend(
            notification_for(
                user_id,
                subject=None,
                content_type=ContentType.objects.get_for_model(LockChange),
                object_id=str(cid),
                reason="seal_overdue",
                title=_("%(location)s 换锁后新钥匙未按时封存（%(number)s）")
                % {"location": location, "number": number},
                url=reverse("keys:lock_change", args=[cid]),
                deadline=due,
                project_id=pid,
            )
            for user_id in users
        )
    notify_bulk(notifications)
    return len(rows)


@deadline_check("keys.entrustment_expiry")
def expire_entrustments(now: datetime) -> int:
    """End entrustments past their last day (the key may no longer be lent and is
    to be returned to the owner) and remind the desk before they end (KEY-02)."""
    cal = business_calendar()
    today = cal.local_date(now)
    notice_days = KeySettings.current().entrustment_expiry_notice_days
    expired = list(
        Entrustment.objects.select_for_update(skip_locked=True)
        .filter(
            status__in=(Entrustment.Status.ACTIVE, Entrustment.Status.PENDING),
            valid_until__lt=today,
        )
        .values_list("id", "project_id", "unit_id", "number", "status")
    )
    if expired:
        Entrustment.objects.filter(id__in=[r[0] for r in expired]).update(
            status=Entrustment.Status.EXPIRED
        )
        record_events_bulk(
            event_for(
                Entrustment,
                eid,
                action="expired",
                project_id=pid,
                unit_id=uid,
                from_state=status,
                to_state=Entrustment.Status.EXPIRED,
                reason=_("委托期满"),
                at=now,
            )
            for eid, pid, uid, _n, status in expired
        )
    soon = list(
        Entrustment.objects.select_for_update(skip_locked=True)
        .filter(
            status=Entrustment.Status.ACTIVE,
            valid_until__lte=today + timedelta(days=notice_days),
            expiry_notified_at__isnull=True,
        )
        .values_list("id", "project_id", "number", "valid_until", "resident__user_id")
    )
    affected = [(r[0], r[1], r[2], r[3], None) for r in expired] + soon
    if soon:
        Entrustment.objects.filter(id__in=[r[0] for r in soon]).update(expiry_notified_at=now)
    if not affected:
        return 0
    recipients = role_holders_by_project(
        {Role.FRONT_DESK, Role.SUPERVISOR}, {r[1] for r in affected}
    )
    ct = ContentType.objects.get_for_model(Entrustment)
    notifications: list[Notification] = []
    expired_ids = {r[0] for r in expired}
    for eid, pid, number, until, owner_user in affected:
        is_expired = eid in expired_ids
        title = (
            _("钥匙委托书 %(number)s 已到期：请联系业主续签或退还钥匙")
            if is_expired
            else _("钥匙委托书 %(number)s 将于 %(until)s 到期")
        ) % {"number": number, "until": until}
        users = recipients.get((Role.FRONT_DESK, pid), set()) | recipients.get(
            (Role.SUPERVISOR, pid), set()
        )
        if owner_user and not is_expired:
            users = users | {owner_user}
        notifications.extend(
            notification_for(
                user_id,
                subject=None,
                content_type=ct,
                object_id=str(eid),
                reason="entrustment_expired" if is_expired else "entrustment_expiring",
                title=title,
                url=reverse("keys:entrustment", args=[eid]),
                project_id=pid,
            )
            for user_id in users
        )
    notify_bulk(notifications)
    return len(affected)


@deadline_check("keys.emergency_review")
def remind_emergency_reviews(now: datetime) -> int:
    """Remind supervisors and managers of emergency uses not reviewed by the next
    working day (KEY-07)."""
    rows = list(
        EmergencyUse.objects.select_for_update(skip_locked=True)
        .filter(
            status=EmergencyUse.Status.CLOSED,
            review_due_at__lt=now,
            review_reminded_at__isnull=True,
        )
        .values_list("id", "project_id", "number", "review_due_at")
    )
    if not rows:
        return 0
    EmergencyUse.objects.filter(id__in=[r[0] for r in rows]).update(review_reminded_at=now)
    recipients = role_holders_by_project({Role.SUPERVISOR, Role.MANAGER}, {r[1] for r in rows})
    ct = ContentType.objects.get_for_model(EmergencyUse)
    notify_bulk(
        notification_for(
            user_id,
            subject=None,
            content_type=ct,
            object_id=str(eid),
            reason="emergency_review_overdue",
            title=_("紧急动用钥匙 %(number)s 待复核") % {"number": number},
            url=reverse("keys:emergency", args=[eid]),
            deadline=due,
            project_id=pid,
        )
        for eid, pid, number, due in rows
        for user_id in recipients.get((Role.SUPERVISOR, pid), set())
        | recipients.get((Role.MANAGER, pid), set())
    )
    return len(rows)
