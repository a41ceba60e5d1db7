"""Decoration's scheduled checks (DEC-01, DEC-05, DEC-06, DEC-10): set-based, idempotent.

Each selects what fell due with one locked query, marks it with a conditional
UPDATE, and writes events, ledger entries and notifications in bulk; the
marks (``review_overdue_notified_at``, ``stop_work_flagged_at``,
``expiry_reminded_for``, a pass's status, a notice's status) make a second
run at the same time change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from decoration.models import (
    DecorationSettings,
    LedgerEntry,
    Permit,
    RectificationNotice,
    WorkerPass,
)
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
from servicedesk.workcal.recompute import register_provisional_recompute

DESK = (Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER)


def _tell(
    rows: Iterable[tuple[int, int, str, int]],
    roles: Iterable[str],
    *,
    model: type,
    reason: str,
    title: str,
    url_name: str,
    key_for: dict[int, datetime | None] | None = None,
) -> None:
    """Notify holders of ``roles`` of each row ``(object id, project id, label,
    permit id)``, linking to the permit; ``key_for`` gives each object's
    deadline, so a later deadline of the same object notifies again."""
    rows = list(rows)
    recipients = role_holders_by_project(set(roles), {r[1] for r in rows})
    notifications: list[Notification] = []
    for object_id, project_id, label, permit_id in rows:
        users: set[int] = set()
        for role in roles:
            users |= recipients.get((role, project_id), set())
        for user_id in users:
            notifications.append(
                notification_for(
                    user_id,
                    subject=None,
                    content_type=_content_type(model),
                    object_id=str(object_id),
                    reason=reason,
                    title=title % {"label": label},
                    url=reverse(url_name, args=[permit_id]),
                    project_id=project_id,
                    email=False,
                    deadline=(key_for or {}).get(object_id),
                )
            )
    notify_bulk(notifications)


def _content_type(model: type) -> ContentType:
    return ContentType.objects.get_for_model(model)


@deadline_check("decoration.review_overdue")
def remind_overdue_reviews(now: datetime) -> int:
    """Drawings not reviewed in time (5 working days): engineering and the manager are told
    (DEC-01)."""
    rows = list(
        Permit.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=Permit.Status.UNDER_REVIEW,
            review_due_at__lt=now,
            review_overdue_notified_at__isnull=True,
        )
        .values_list("id", "project_id", "unit_id", "number", "review_due_at")
    )
    if not rows:
        return 0
    Permit.objects.filter(id__in=[r[0] for r in rows]).update(review_overdue_notified_at=now)
    record_events_bulk(
        event_for(
            Permit,
            r[0],
            action="review_overdue",
            project_id=r[1],
            unit_id=r[2],
            reason=_("审图超过时限"),
            at=now,
        )
        for r in rows
    )
    _tell(
        ((r[0], r[1], r[3], r[0]) for r in rows),
        (Role.ENGINEER, Role.MANAGER),
        model=Permit,
        reason="review_overdue",
        title=_("审图逾期：%(label)s"),
        url_name="decoration:permit",
        key_for={r[0]: r[4] for r in rows},
    )
    return len(rows)


@deadline_check("decoration.period_overrun")
def flag_overrun_permits(now: datetime) -> int:
    """Past the end date with no approved extension: flagged for stop-work (DEC-05).

    An approved extension moves ``end_date``, so "past the end date" already
    means "no approved extension covers today".
    """
    today = business_calendar().local_date(now)
    rows = list(
        Permit.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status__in=(Permit.Status.IN_PROGRESS,),
            end_date__lt=today,
            stop_work_flagged_at__isnull=True,
        )
        .values_list("id", "project_id", "unit_id", "number", "end_date")
    )
    if not rows:
        return 0
    Permit.objects.filter(id__in=[r[0] for r in rows], stop_work_flagged_at__isnull=True).update(
        stop_work_flagged_at=now
    )
    record_events_bulk(
        event_for(
            Permit,
            r[0],
            action="stop_work_flagged",
            project_id=r[1],
            unit_id=r[2],
            reason=_("施工期限 %(end)s 已过且未获批延期，可责令停工") % {"end": r[4]},
            at=now,
        )
        for r in rows
    )
    _tell(
        ((r[0], r[1], r[3], r[0]) for r in rows),
        (*DESK, Role.ENGINEER),
        model=Permit,
        reason="stop_work",
        title=_("装修超期未延期，可责令停工：%(label)s"),
        url_name="decoration:permit",
    )
    return len(rows)


@deadline_check("decoration.period_expiring")
def remind_expiring_permits(now: datetime) -> int:
    """The desk is told of permits ending within a few days, once per end date (DEC-05)."""
    today = business_calendar().local_date(now)
    horizon = today + timedelta(days=DecorationSettings.current().expiry_warning_days)
    rows = list(
        Permit.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=Permit.Status.IN_PROGRESS, end_date__gte=today, end_date__lte=horizon)
        .exclude(expiry_reminded_for=F("end_date"))
        .values_list("id", "project_id", "unit_id", "number", "end_date")
    )
    if not rows:
        return 0
    Permit.objects.filter(id__in=[r[0] for r in rows]).update(expiry_reminded_for=F("end_date"))
    _tell(
        ((r[0], r[1], f"{r[3]}（{r[4]}）", r[0]) for r in rows),
        DESK,
        model=Permit,
        reason="period_expiring",
        title=_("装修即将到期：%(label)s"),
        url_name="decoration:permit",
        key_for={r[0]: business_calendar().end_of_local_day(r[4]) for r in rows if r[4]},
    )
    return len(rows)


@deadline_check("decoration.pass_expiry")
def forfeit_unreturned_passes(now: datetime) -> int:
    """Passes neither returned nor renewed within 3 days of expiry forfeit their deposit
    (DEC-06)."""
    grace = DecorationSettings.current().pass_return_grace_days
    last_expiry = business_calendar().local_date(now) - timedelta(days=grace + 1)
    rows = list(
        WorkerPass.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=WorkerPass.Status.ISSUED, expires_on__lte=last_expiry)
        .values_list(
            "id",
            "permit_id",
            "permit__project_id",
            "permit__unit_id",
            "number",
            "deposit",
            "receipt_no",
        )
    )
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    WorkerPass.objects.filter(id__in=ids, status=WorkerPass.Status.ISSUED).update(
        status=WorkerPass.Status.FORFEITED, closed_at=now
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            permit_id=r[1],
            kind=LedgerEntry.Kind.PASS_DEPOSIT_FORFEITED,
            amount=r[5],
            receipt_no=r[6],
            worker_pass_id=r[0],
            at=now,
            note=_("%(no)s 过期 %(n)s 天未退证，保证金没收") % {"no": r[4], "n": grace},
        )
        for r in rows
    )
    record_events_bulk(
        event_for(
            WorkerPass,
            r[0],
            action="forfeited",
            project_id=r[2],
            unit_id=r[3],
            from_state="issued",
            to_state="forfeited",
            reason=_("过期未退证，保证金没收"),
            at=now,
        )
        for r in rows
    )
    return len(rows)


@deadline_check("decoration.rectification_overdue")
def flag_overdue_rectifications(now: datetime) -> int:
    """整改通知单 past its deadline: marked overdue, the inspector's superiors told (DEC-10)."""
    rows = list(
        RectificationNotice.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=RectificationNotice.Status.OPEN, due_at__lt=now)
        .values_list("id", "permit__project_id", "permit__unit_id", "number", "permit_id")
    )
    if not rows:
        return 0
    RectificationNotice.objects.filter(
        id__in=[r[0] for r in rows], status=RectificationNotice.Status.OPEN
    ).update(status=RectificationNotice.Status.OVERDUE)
    record_events_bulk(
        event_for(
            RectificationNotice,
            r[0],
            action="overdue",
            project_id=r[1],
            unit_id=r[2],
            from_state="open",
            to_state="overdue",
            reason=_("逾期未整改"),
            at=now,
        )
        for r in rows
    )
    _tell(
        ((r[0], r[1], r[3], r[4]) for r in rows),
        (Role.SUPERVISOR, Role.MANAGER, Role.ENGINEER),
        model=RectificationNotice,
        reason="rectification_overdue",
        title=_("整改逾期：%(label)s"),
        url_name="decoration:permit",
    )
    return len(rows)


@register_provisional_recompute
def recompute_provisional_reviews(year: int) -> int:
    """Review clocks computed on a year no calendar knew are recomputed once it is loaded
    (CAL-02)."""
    cal = business_calendar()
    default_days = DecorationSettings.current().review_working_days
    changed = 0
    for permit in Permit.objects.filter(
        status=Permit.Status.UNDER_REVIEW,
        review_due_provisional=True,
        review_due_at__year__gte=year - 1,
    ).only("id", "drawings_submitted_at", "review_working_days"):
        if permit.drawings_submitted_at is None:
            continue
        days = permit.review_working_days or default_days
        due = cal.add_working_days(permit.drawings_submitted_at, days)
        Permit.objects.filter(pk=permit.pk).update(
            review_due_at=due.at, review_due_provisional=due.provisional
        )
        changed += 1
    return changed
