"""SCALE data of the complaint desk: 100 000 open complaints, 10 000 of them overdue.

Registered with ``seed_scale`` (bench/README.md). Bulk inserts in batches, no
services per row: the point is the size of the tables the list pages, the API
and the deadline sweep run against. Each complaint gets two clocks: a first
contact met on time and a rectification clock, due in the past (not done, not
yet escalated) for every tenth complaint and far in the future for the rest.
Idempotent: a project that already has its complaints is left alone.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from complaints.models import Category, Channel, Clock, Complaint, Policy, Reporter
from servicedesk.core.demo import random_name
from servicedesk.core.management.commands.seed_scale import BATCH, register_scale_hook
from servicedesk.core.models import Project, Sequence, Unit

COMPLAINTS = 100_000
OVERDUE_EVERY = 10  # every 10th complaint is overdue: 10 000 of 100 000
YEAR = 2025
PREFIX = "TS"
DESCRIPTIONS = [
    "厨房水管漏水",
    "电梯运行有异响",
    "楼道灯不亮",
    "地下车库有外来车辆占用车位",
    "快递信件未及时送达",
    "前台工作人员态度不好",
    "夜间施工噪音扰民",
    "垃圾清运不及时",
]


def _reserve_numbers(count: int) -> int:
    """Reserve ``count`` serials of TS-2025 and return the first (filing never collides)."""
    key = f"{PREFIX}-{YEAR}"
    with transaction.atomic():
        Sequence.objects.bulk_create([Sequence(key=key)], ignore_conflicts=True)
        Sequence.objects.filter(key=key).update(last=F("last") + count)
        return Sequence.objects.values_list("last", flat=True).get(key=key) - count + 1


@register_scale_hook
def seed_complaints(project: Project, stdout: Any) -> None:
    """Bulk-create COMPLAINTS open complaints with clocks in ``project`` (idempotent)."""
    have = Complaint.objects.filter(project=project).count()
    if have >= COMPLAINTS:
        return
    started = time.perf_counter()
    rng = random.Random(20250902)  # noqa: S311 - fake data
    policy = Policy.current()
    categories = list(Category.objects.values_list("id", flat=True))
    channels = list(Channel.objects.values_list("id", flat=True))
    unit_ids = list(
        Unit.objects.filter(project=project).order_by("id").values_list("id", flat=True)
    )
    owner = get_user_model().objects.filter(username="scale_frontdesk").first()
    now = timezone.now()
    todo = COMPLAINTS - have
    first = _reserve_numbers(todo)
    with transaction.atomic():
        for start in range(0, todo, BATCH):
            rows = []
            for i in range(start, min(start + BATCH, todo)):
                overdue = i % OVERDUE_EVERY == 0
                received = now - timedelta(days=10 if overdue else 1, minutes=i % 1440)
                rows.append(
                    Complaint(
                        number=f"{PREFIX}-{YEAR}-{first + i:06d}",
                        project=project,
                        unit_id=unit_ids[i % len(unit_ids)] if unit_ids else None,
                        channel_id=channels[i % len(channels)],
                        category_id=categories[i % len(categories)],
                        description=rng.choice(DESCRIPTIONS),
                        received_at=received,
                        received_by=owner,
                        status=Complaint.Status.CONTACTED,
                        contacted_at=received + timedelta(minutes=10),
                        policy=policy,
                    )
                )
            created = Complaint.objects.bulk_create(rows)
            clocks, reporters = [], []
            for j, c in enumerate(created):
                overdue = (start + j) % OVERDUE_EVERY == 0
                due = now - timedelta(days=5) if overdue else now + timedelta(days=365)
                clocks.append(
                    Clock(
                        complaint_id=c.pk,
                        kind=Clock.Kind.FIRST_CONTACT,
                        started_at=c.received_at,
                        due_at=c.received_at + timedelta(minutes=30),
                        warn_at=c.received_at + timedelta(minutes=24),
                        done_at=c.contacted_at,
                    )
                )
                clocks.append(
                    Clock(
                        complaint_id=c.pk,
                        kind=Clock.Kind.RECTIFY,
                        started_at=c.received_at,
                        due_at=due,
                        warn_at=c.received_at + (due - c.received_at) * 0.8,
                        # Overdue ones are already past their warning.
                        warned_at=c.received_at + (due - c.received_at) * 0.8 if overdue else None,
                    )
                )
                reporters.append(Reporter(complaint_id=c.pk, name=random_name(rng)))
            Clock.objects.bulk_create(clocks, batch_size=BATCH)
            Reporter.objects.bulk_create(reporters, batch_size=BATCH)
    stdout.write(
        f"SCALE complaints: {todo} created, {todo // OVERDUE_EVERY} overdue "
        f"({time.perf_counter() - started:.1f} s)"
    )
