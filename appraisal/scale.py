"""SCALE data of the staff appraisal: 500 people × 24 finished monthly appraisals.

Registered with ``seed_scale`` (bench/README.md). Bulk inserts, no services per
row: the point is the size of the department and of the history the monthly
dashboard (APR-10) and the ``appraisal/checks/`` API run against.

Two departments of front-desk staff in SCALE, each with its own manager who
appraises them (APR-07): ``scale-service`` of 500 people (``scale_appraiser``)
and ``scale-service-50`` of 50 (``scale_appraiser_small``), so the bench can
show the dashboard costs the same number of queries for either. Each person
has one finished monthly appraisal for each of the last 24 finished months,
against the published operational skill criteria (APR-03), with 0–3
deductions drawn from the criteria's own check standards and now and then a
commendation bonus (APR-05). The stored 德/勤/能/绩 and total are computed with
``rules.score`` exactly as ``services`` would, so every record is consistent
with its deductions. The latest month is partly not yet acknowledged. No
event-log rows (as the other modules' scale hooks). Idempotent: a department
that already has appraisals is left alone.
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from appraisal import rules
from appraisal.dashboard_cache import invalidate
from appraisal.models import (
    Assessment,
    AssessmentContent,
    CriteriaSet,
    Deduction,
    Item,
    Kind,
    StaffLevel,
)
from appraisal.selectors import add_months
from servicedesk.core.demo import random_name
from servicedesk.core.management.commands.seed_scale import BATCH, register_scale_hook
from servicedesk.core.models import Department, Project, Role, StaffProfile, StaffRole

MONTHS = 24
# (department code, name, manager's username, people, username prefix)
DEPARTMENTS = [
    ("scale-service", "规模客服部", "scale_appraiser", 500, "scale_kf"),
    ("scale-service-50", "规模客服二部", "scale_appraiser_small", 50, "scale_kf2"),
]
# Points a deduction takes, drawn in turn; half points are common on the paper form.
POINTS = [Decimal("0.5"), Decimal(1), Decimal(1), Decimal("1.5"), Decimal(2), Decimal(3)]
# How many deductions a month: mostly one or none, at most three.
DEDUCTIONS_PER_MONTH = [0, 0, 1, 1, 1, 2, 2, 3]
BONUS_EVERY = 40  # one month in 40 carries a commendation (APR-05)
BONUS = (Decimal(2), "获业主表扬信（行政奖励：嘉奖）")


def _people(
    project: Project,
    department: Department,
    prefix: str,
    count: int,
    rng: random.Random,
    password: str,
) -> list[StaffProfile]:
    """Bulk-create ``count`` front-desk staff of ``department`` in ``project``."""
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(username=f"{prefix}_{n:04d}", password=password) for n in range(count)],
        batch_size=BATCH,
    )
    profiles = StaffProfile.objects.bulk_create(
        [
            StaffProfile(
                user=user,
                name=random_name(rng),
                employee_no=f"{prefix.upper()}{n:04d}",
                department=department,
                position="物业助理",
            )
            for n, user in enumerate(users)
        ],
        batch_size=BATCH,
    )
    StaffRole.objects.bulk_create(
        [StaffRole(staff=p, role=Role.FRONT_DESK) for p in profiles], batch_size=BATCH
    )
    membership = StaffProfile.projects.through
    membership.objects.bulk_create(
        [membership(staffprofile_id=p.pk, project_id=project.pk) for p in profiles],
        batch_size=BATCH,
    )
    return profiles


def _manager(project: Project, department: Department, username: str, password: str) -> Any:
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"password": password}
    )
    profile, _ = StaffProfile.objects.get_or_create(
        user=user, defaults={"name": "规模考核经理", "department": department}
    )
    if profile.department_id != department.pk:
        profile.department = department
        profile.save(update_fields=["department"])
    StaffRole.objects.get_or_create(staff=profile, role=Role.MANAGER)
    profile.projects.add(project)
    return user


def _appraisals(
    people: list[StaffProfile],
    department: Department,
    assessor: Any,
    criteria: CriteriaSet,
    latest: date,
    rng: random.Random,
) -> tuple[int, int]:
    """Bulk-create MONTHS finished monthly appraisals per person with their deductions."""
    items = list(Item.objects.filter(dimension__criteria_set=criteria).select_related("dimension"))
    specs = [rules.ItemSpec(i.code, i.dimension.code, i.max_points) for i in items]
    standards = {i.pk: i.standard_lines() or [i.name] for i in items}
    tz = timezone.get_current_timezone()
    rows: list[Assessment] = []
    findings: list[list[tuple[Item, Decimal, str]]] = []
    serial = 0
    for offset in range(MONTHS - 1, -1, -1):
        month = add_months(latest, -offset)
        # Entered in the first days of the following month, acknowledged a day later.
        entered = datetime.combine(add_months(month, 1), datetime.min.time(), tzinfo=tz)
        for n, person in enumerate(people):
            serial += 1
            mine = []
            for _ in range(rng.choice(DEDUCTIONS_PER_MONTH)):
                item = rng.choice(items)
                mine.append((item, rng.choice(POINTS), rng.choice(standards[item.pk])))
            bonus, bonus_reason = BONUS if serial % BONUS_EVERY == 0 else (Decimal(0), "")
            scores = rules.score(specs, [(i.code, p) for i, p, _r in mine], bonus)
            at = entered + timedelta(days=n % 5, hours=9 + n % 8)
            # The latest month: every third person has not acknowledged yet.
            acknowledged = offset > 0 or n % 3 != 0
            rows.append(
                Assessment(
                    staff=person,
                    department=department,
                    kind=Kind.MONTHLY,
                    period=month,
                    criteria_set=criteria,
                    assessor=assessor,
                    status=Assessment.Status.ACKNOWLEDGED
                    if acknowledged
                    else Assessment.Status.FINAL,
                    bonus=bonus,
                    bonus_reason=bonus_reason,
                    de=scores.dimensions["de"],
                    qin=scores.dimensions["qin"],
                    neng=scores.dimensions["neng"],
                    ji=scores.dimensions["ji"],
                    total=scores.total,
                    created_at=at,
                    finalised_at=at + timedelta(hours=1),
                    acknowledged_at=at + timedelta(days=1) if acknowledged else None,
                    staff_comment="无异议" if acknowledged else "",
                )
            )
            findings.append(mine)
    created = Assessment.objects.bulk_create(rows, batch_size=BATCH)
    deductions = [
        Deduction(assessment=a, item=item, points=points, reason=line, standard=line)
        for a, mine in zip(created, findings, strict=True)
        for item, points, line in mine
    ]
    Deduction.objects.bulk_create(deductions, batch_size=BATCH)
    return len(created), len(deductions)


@register_scale_hook
def seed_appraisal(project: Project, stdout: Any) -> None:
    """Two departments (500 and 50 people) with 24 months of appraisals (idempotent)."""
    started = time.perf_counter()
    rng = random.Random(20260310)  # noqa: S311 - fake data
    criteria = CriteriaSet.objects.get(
        staff_level=StaffLevel.OPERATIONAL,
        test_type=AssessmentContent.SKILL,
        status=CriteriaSet.Status.PUBLISHED,
    )
    latest = add_months(timezone.localdate().replace(day=1), -1)  # the dashboard's default
    password = make_password(None)  # unusable; hashed once, not 550 times
    made = []
    for code, name, username, count, prefix in DEPARTMENTS:
        department, _ = Department.objects.get_or_create(code=code, defaults={"name": name})
        if Assessment.objects.filter(department=department).exists():
            continue
        with transaction.atomic():
            manager = _manager(project, department, username, password)
            people = list(
                StaffProfile.objects.filter(department=department)
                .exclude(user=manager)
                .order_by("pk")
            )
            if not people:
                people = _people(project, department, prefix, count, rng, password)
            n_records, n_deductions = _appraisals(
                people, department, manager, criteria, latest, rng
            )
        made.append(
            f"{code}: {len(people)} people, {n_records} appraisals, {n_deductions} deductions"
        )
    # The rows above were written in bulk, without the signals that mark cached
    # dashboards stale.
    invalidate()
    if made:
        stdout.write(f"SCALE appraisal: {'; '.join(made)} ({time.perf_counter() - started:.1f} s)")
