"""SCALE data of the visitor desk: 200 000 past visits and ~50 visitors inside now.

Registered with ``seed_scale`` (bench/README.md). Bulk inserts in batches, no
services per row: the point is the size of the table the desk's lists run
against. Encryption (Fernet) and the keyed hash cost ~50 µs a number, so a
handful of numbers is encrypted and hashed once and the tokens reused: the rows
have real, decryptable tokens of realistic size. Visits older than the
retention period are stored already purged, as the daily purge would have left
them (VIS-07), so a deadline sweep over SCALE does not purge 100 000 rows.
Slip numbers follow ``FK-SCALE-<local date>-<n>`` and are reserved in the
per-day ``Sequence`` so later registrations never collide.
Idempotent: a project that already has its visits is left alone.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from servicedesk.core.demo import random_name
from servicedesk.core.management.commands.seed_scale import BATCH, register_scale_hook
from servicedesk.core.models import Project, Sequence, Unit
from visitors import identity
from visitors.models import IdType, Visit, VisitorSettings

PAST_VISITS = 200_000
INSIDE_NOW = 50
DAYS = 365
REFUSED_EVERY = 33  # ~3 % of hosts refuse (VIS-03)
COMPANY_HOST_EVERY = 5  # every 5th visit is to a company person (VIS-02)
PURPOSES = ["探亲", "访友", "送货", "维修", "装修洽谈", "看房", "家政服务", "快递"]
DEPARTMENTS = [("客服部", "经理"), ("工程部", "主管"), ("财务部", "出纳")]


def _documents() -> list[tuple[str, str, str, str]]:
    """Return (id_type, token, hash, mask) of a few valid numbers, each encrypted once."""
    numbers = []
    for serial in range(8):
        first17 = f"3301061985{serial + 1:02d}15{serial:03d}"
        numbers.append((IdType.RESIDENT_ID.value, first17 + identity.check_char(first17)))
    numbers.append((IdType.PASSPORT.value, "E12345678"))
    numbers.append((IdType.HK_MACAU_PERMIT.value, "C12345678"))
    return [
        (kind, identity.encrypt(n), identity.lookup_hash(kind, n), identity.mask(n))
        for kind, n in numbers
    ]


def _slip_key(project: Project, at: datetime) -> str:
    return f"FK-{project.code}-{timezone.localtime(at):%Y%m%d}"


def _reserve(counts: Counter[str]) -> dict[str, int]:
    """Reserve ``counts[key]`` serials of each per-day key; return the first of each."""
    existing = dict(Sequence.objects.filter(key__in=counts).values_list("key", "last"))
    Sequence.objects.bulk_create(
        [Sequence(key=k, last=n) for k, n in counts.items() if k not in existing],
        batch_size=BATCH,
    )
    update = [Sequence(key=k, last=existing[k] + n) for k, n in counts.items() if k in existing]
    for row in update:
        Sequence.objects.filter(key=row.key).update(last=row.last)
    return {k: existing.get(k, 0) + 1 for k in counts}


@register_scale_hook
def seed_visits(project: Project, stdout: Any) -> None:
    """Bulk-create PAST_VISITS past visits and INSIDE_NOW visitors inside (idempotent)."""
    if Visit.objects.filter(project=project).exists():
        return
    started = time.perf_counter()
    rng = random.Random(20250506)  # noqa: S311 - fake data
    clerk = get_user_model().objects.get(username="scale_frontdesk")
    unit_ids = list(
        Unit.objects.filter(project=project).order_by("id").values_list("id", flat=True)[:20000]
    )
    documents = _documents()
    now = timezone.now()
    retention = timedelta(days=VisitorSettings.current().retention_days)
    # Oldest first, so ids grow with time as in real use; the last past visit
    # is 6 hours ago, the visitors inside arrived in the last 2.5 hours.
    span = timedelta(days=DAYS) - timedelta(hours=6)
    start = now - timedelta(days=DAYS)
    times = [start + span * i / PAST_VISITS for i in range(PAST_VISITS)]
    times += [now - timedelta(minutes=3 * (INSIDE_NOW - j)) for j in range(INSIDE_NOW)]
    keys = [_slip_key(project, t) for t in times]
    first = _reserve(Counter(keys))
    serial: Counter[str] = Counter()
    total = len(times)
    with transaction.atomic():
        for batch_start in range(0, total, BATCH):
            rows = []
            for i in range(batch_start, min(batch_start + BATCH, total)):
                at, key = times[i], keys[i]
                number = first[key] + serial[key]
                serial[key] += 1
                kind, token, hashed, masked = documents[i % len(documents)]
                company = i % COMPANY_HOST_EVERY == 0 or not unit_ids
                department, position = DEPARTMENTS[i % len(DEPARTMENTS)]
                visit = Visit(
                    project=project,
                    slip_number=f"{key}-{number:04d}",
                    visitor_name=random_name(rng),
                    id_type=kind,
                    id_number_encrypted=token,
                    id_hash=hashed,
                    id_number_masked=masked,
                    people_count=1 + (i % 7 == 0),
                    host_unit_id=None if company else unit_ids[i % len(unit_ids)],
                    host_name=random_name(rng) if company else "",
                    host_department=department if company else "",
                    host_position=position if company else "",
                    purpose=PURPOSES[i % len(PURPOSES)],
                    consent_method=Visit.ConsentMethod.PHONE,
                    consent_at=at + timedelta(minutes=2),
                    registered_by=clerk,
                    entered_by=clerk,
                    registered_at=at,
                )
                if i >= PAST_VISITS:
                    visit.status = Visit.Status.INSIDE
                    visit.entered_at = at + timedelta(minutes=2)
                elif i % REFUSED_EVERY == 0:
                    visit.status = Visit.Status.REFUSED
                    visit.consent_note = "被访人不在家"
                else:
                    visit.status = Visit.Status.LEFT
                    visit.entered_at = at + timedelta(minutes=2)
                    visit.left_at = at + timedelta(minutes=40 + i % 180)
                    visit.host_signed = True
                if at < now - retention:
                    # As the daily purge left them (VIS-07).
                    visit.id_number_encrypted = visit.id_hash = ""
                    visit.id_number_masked = "（已清除）"
                    visit.id_purged_at = at + retention
                rows.append(visit)
            Visit.objects.bulk_create(rows)
    stdout.write(
        f"SCALE visits: {PAST_VISITS} past, {INSIDE_NOW} inside now "
        f"({time.perf_counter() - started:.1f} s)"
    )
