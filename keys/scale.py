"""SCALE data of key custody: 20 000 keys and 1 000 loans, some overdue.

Registered with ``seed_scale`` (bench/README.md). Bulk inserts in batches, no
services per row: the point is the size of the tables the key board, its
search and the API run against. The register holds public-area, plant-room,
other and owners' spare keys; every spare key has its own active entrustment
(the ``key_owner_spare_has_entrustment`` check constraint, KEY-02), bulk
created first. Loans: 900 returned over the last 30 days, 80 out today and
20 still out since yesterday (overdue, not yet flagged: the deadline sweep
flags them, KEY-04). Entrustment and loan numbers are reserved in their
per-year ``Sequence`` so later filings never collide. No event-log rows are
written (as the other modules' scale hooks). Idempotent: a project that
already has keys is left alone.
"""

from __future__ import annotations

import time as clock
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from keys.models import EntrustedUse, Entrustment, Key, Loan
from servicedesk.core.management.commands.seed_scale import BATCH, register_scale_hook
from servicedesk.core.models import Project, Resident, Role, Sequence, StaffProfile, StaffRole
from servicedesk.workcal.calendar import business_calendar

KEYS = 20_000
SPARES = 4_000  # owners' spare keys, one entrustment each
PLANT = 3_000
OTHER = 1_000  # the rest (12 000) are public-area keys
RETURNED = 900
OUT_TODAY = 80
OVERDUE = 20
PLACES = ["天台门", "消防通道门", "设备层", "地下室", "楼道配电箱", "管道井", "屋面检修口"]
PLANT_ROOMS = ["配电房", "水泵房", "电梯机房", "弱电间", "风机房", "消防泵房"]
OTHERS = ["仓库", "信报箱", "岗亭", "会所储物间"]
PURPOSES = ["设备巡检", "维修", "抄表", "清洁", "消防检查", "电梯保养"]
BORROWERS = [("陈磊", "工程部"), ("赵刚", "保洁部"), ("孙志", "保安部"), ("钱工", "维保单位")]


def _reserve(prefix: str, year: int, count: int) -> int:
    """Reserve ``count`` serials of ``<prefix>-<year>`` and return the first."""
    key = f"{prefix}-{year}"
    with transaction.atomic():
        Sequence.objects.bulk_create([Sequence(key=key)], ignore_conflicts=True)
        Sequence.objects.filter(key=key).update(last=F("last") + count)
        return Sequence.objects.values_list("last", flat=True).get(key=key) - count + 1


def _approver(project: Project) -> User:
    """A manager of SCALE who approves the loans (ORG-04: not the requester)."""
    user, created = get_user_model().objects.get_or_create(username="scale_manager")
    if created:
        user.set_unusable_password()
        user.save()
    profile, _ = StaffProfile.objects.get_or_create(user=user, defaults={"name": "规模经理"})
    StaffRole.objects.get_or_create(staff=profile, role=Role.MANAGER)
    profile.projects.add(project)
    return user


def _entrustments(project: Project, clerk: User, year: int, today: date) -> list[Entrustment]:
    owners = list(
        Resident.objects.filter(unit__project=project, kind=Resident.Kind.OWNER)
        .order_by("id")
        .values_list("id", "unit_id")[:SPARES]
    )
    first = _reserve("WT", year, len(owners))
    now = timezone.now()
    uses = [EntrustedUse.EMERGENCY.value, EntrustedUse.MAINTENANCE.value]
    rows = [
        Entrustment(
            project=project,
            number=f"WT-{year}-{first + i:06d}",
            unit_id=unit_id,
            resident_id=resident_id,
            allowed_uses=uses,
            valid_from=today - timedelta(days=365),
            valid_until=today + timedelta(days=365 + i % 365),
            status=Entrustment.Status.ACTIVE,
            confirmation=Entrustment.Confirmation.PAPER,
            confirmed_at=now - timedelta(days=365),
            created_by=clerk,
            created_at=now - timedelta(days=365),
        )
        for i, (resident_id, unit_id) in enumerate(owners)
    ]
    return Entrustment.objects.bulk_create(rows, batch_size=BATCH)


def _keys(project: Project, clerk: User, entrustments: list[Entrustment]) -> list[Key]:
    """Spare keys first, then plant rooms, other and public areas; every 120th public
    key is out (set ON_LOAN here, its loan made below)."""
    registered = timezone.now() - timedelta(days=400)
    out = OUT_TODAY + OVERDUE
    numbers = dict(
        Entrustment.objects.filter(pk__in=[e.pk for e in entrustments]).values_list(
            "pk", "unit__number"
        )
    )
    rows: list[Key] = []
    for n, e in enumerate(entrustments):
        rows.append(
            Key(
                project=project,
                tag=f"Y-{numbers[e.pk]}",
                kind=Key.Kind.OWNER_SPARE,
                unit_id=e.unit_id,
                opens=f"{numbers[e.pk]} 入户门",
                cabinet_position=f"Y{n // 100 + 1:02d}-{n % 100 + 1:02d}",
                entrustment=e,
            )
        )
    for n in range(PLANT):
        rows.append(
            Key(
                project=project,
                tag=f"J-{n + 1:05d}",
                kind=Key.Kind.PLANT_ROOM,
                opens=f"{n // 6 + 1}栋 {PLANT_ROOMS[n % len(PLANT_ROOMS)]}",
                cabinet_position=f"J{n // 100 + 1:02d}-{n % 100 + 1:02d}",
            )
        )
    for n in range(OTHER):
        rows.append(
            Key(
                project=project,
                tag=f"Q-{n + 1:05d}",
                kind=Key.Kind.OTHER,
                opens=f"{n // 4 + 1}区 {OTHERS[n % len(OTHERS)]}",
                cabinet_position=f"Q{n // 100 + 1:02d}-{n % 100 + 1:02d}",
            )
        )
    for n in range(KEYS - len(rows)):
        rows.append(
            Key(
                project=project,
                tag=f"G-{n + 1:05d}",
                kind=Key.Kind.PUBLIC_AREA,
                opens=f"{n // len(PLACES) + 1}栋 {PLACES[n % len(PLACES)]}",
                cabinet_position=f"G{n // 100 + 1:03d}-{n % 100 + 1:02d}",
                status=Key.Status.ON_LOAN
                if n % 120 == 0 and n // 120 < out
                else Key.Status.AVAILABLE,
            )
        )
    for key in rows:
        key.custodian = clerk
        key.registered_by = clerk
        key.registered_at = registered
    return Key.objects.bulk_create(rows, batch_size=BATCH)


def _loans(project: Project, keys: list[Key], clerk: User, manager: User, year: int) -> int:
    cal = business_calendar()
    now = timezone.now()
    today = cal.local_date(now)
    out_keys = [k for k in keys if k.status == Key.Status.ON_LOAN][: OUT_TODAY + OVERDUE]
    idle = [k for k in keys if k.status == Key.Status.AVAILABLE and k.kind != Key.Kind.OWNER_SPARE]
    first = _reserve("JY", year, RETURNED + len(out_keys))
    rows: list[Loan] = []

    def loan(n: int, key: Key, out_at: datetime, **fields: Any) -> Loan:
        who, department = BORROWERS[n % len(BORROWERS)]
        return Loan(
            project=project,
            number=f"JY-{year}-{first + n:06d}",
            key=key,
            borrower_name=who,
            borrower_unit=department,
            purpose=PURPOSES[n % len(PURPOSES)],
            requested_by=clerk,
            requested_at=out_at - timedelta(minutes=15),
            approved_by=manager,
            approved_at=out_at - timedelta(minutes=5),
            out_at=out_at,
            out_by=clerk,
            due_at=cal.end_of_local_day(cal.local_date(out_at)),
            **fields,
        )

    for n in range(RETURNED):
        # Spread over the last 30 days, 08:00-17:00 local; every 30th came back late.
        day = today - timedelta(days=1 + n % 30)
        out_at = datetime.combine(day, time.min, tzinfo=cal.tz) + timedelta(
            hours=8 + n % 9, minutes=n % 60
        )
        back = out_at + timedelta(minutes=30 + n % 120)
        if n % 30 == 0:
            back = cal.end_of_local_day(day) + timedelta(hours=9)
        rows.append(
            loan(
                n,
                idle[(n * 7) % len(idle)],
                out_at,
                status=Loan.Status.RETURNED,
                returned_at=back,
                received_by=clerk,
                return_condition=Loan.Condition.GOOD,
            )
        )
    start_today = datetime.combine(today, time.min, tzinfo=cal.tz)
    yesterday = start_today - timedelta(days=1)
    for j, key in enumerate(out_keys):
        n = RETURNED + j
        if j < OVERDUE:
            out_at = yesterday + timedelta(hours=14, minutes=j)  # due end of yesterday
        else:
            out_at = max(now - timedelta(minutes=1 + j), start_today)
        rows.append(loan(n, key, out_at, status=Loan.Status.OUT))
    Loan.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


@register_scale_hook
def seed_keys(project: Project, stdout: Any) -> None:
    """Bulk-create KEYS keys (SPARES under entrustments) and their loans (idempotent)."""
    if Key.objects.filter(project=project).exists():
        return
    started = clock.perf_counter()
    clerk = get_user_model().objects.get(username="scale_frontdesk")
    manager = _approver(project)
    now = timezone.now()
    cal = business_calendar()
    year, today = cal.local(now).year, cal.local_date(now)
    with transaction.atomic():
        entrustments = _entrustments(project, clerk, year, today)
        keys = _keys(project, clerk, entrustments)
        loans = _loans(project, keys, clerk, manager, year)
    stdout.write(
        f"SCALE keys: {len(keys)} keys ({len(entrustments)} spare keys under entrustments), "
        f"{loans} loans ({clock.perf_counter() - started:.1f} s)"
    )
