"""``manage.py seed_scale --units 10000 --residents 30000``: a large realistic data set.

Creates project ``SCALE`` with buildings 1..N, units like ``3-1502``, residents with
Chinese names and valid CN mobiles, and one front-desk account ``scale_frontdesk``
for benchmarks. Idempotent: a project already at size is left alone; ``--reset``
deletes it first. Then runs the hooks that modules registered with
``register_scale_hook`` (in ``<app>/scale.py``; re-exported by ``bench/hooks.py``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils.module_loading import autodiscover_modules

from servicedesk.core.demo import MOBILE_PREFIXES, RELATIONS, random_name
from servicedesk.core.models import (
    Building,
    EmergencyContact,
    Event,
    Project,
    Resident,
    Role,
    StaffProfile,
    StaffRole,
    Unit,
)

SCALE_CODE = "SCALE"
BATCH = 5000
FLOORS = 32
UNITS_PER_FLOOR = 4
UNITS_PER_BUILDING = FLOORS * UNITS_PER_FLOOR  # 128

ScaleHook = Callable[[Project, Any], None]  # fn(project, stdout)
_HOOKS: dict[str, ScaleHook] = {}


def register_scale_hook(fn: ScaleHook) -> ScaleHook:
    """Register ``fn(project, stdout)`` to add a module's records to SCALE (idempotent).

    Put hooks in ``<app>/scale.py``: ``seed_scale`` imports that module of every
    installed app (``autodiscover_modules("scale")``) before running the hooks.
    """
    _HOOKS[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def scale_hooks() -> list[ScaleHook]:
    autodiscover_modules("scale")
    return list(_HOOKS.values())


def chinese_name(rng: random.Random) -> str:
    return random_name(rng)


def cn_mobile(rng: random.Random, serial: int) -> str:
    """A valid CN mobile in E.164, unique per ``serial`` (below 10^8)."""
    return f"+86{rng.choice(MOBILE_PREFIXES)}{serial % 10**8:08d}"


def unit_number(index: int) -> tuple[str, str]:
    """Return (building code, unit number) of the index-th unit: 1-101 ... 3-1502."""
    building = index // UNITS_PER_BUILDING + 1
    within = index % UNITS_PER_BUILDING
    floor, door = within // UNITS_PER_FLOOR + 1, within % UNITS_PER_FLOOR + 1
    return str(building), f"{building}-{floor}{door:02d}"


class Command(BaseCommand):
    help = "Create (or top up) the SCALE project with many units and residents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--units", type=int, default=10000)
        parser.add_argument("--residents", type=int, default=30000)
        parser.add_argument("--reset", action="store_true", help="delete SCALE first")
        parser.add_argument("--seed", type=int, default=20250101)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        rng = random.Random(options["seed"])  # noqa: S311 - fake data, not secrets
        if options["reset"]:
            self.reset()
        project, _ = Project.objects.get_or_create(
            code=SCALE_CODE, defaults={"name": "规模测试花园", "company": "和美物业服务有限公司"}
        )
        self.ensure_staff(project)
        n_units = self.ensure_units(project, options["units"], rng)
        n_res = self.ensure_residents(project, options["residents"], rng)
        for hook in scale_hooks():
            hook(project, self.stdout)
        # Fresh bulk loads leave the planner without statistics: on PostgreSQL a
        # 50-row list then took 77 ms instead of 10 ms (bench/README.md). Not on
        # SQLite, whose planner then prefers the project index and sorts (95 ms).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            f"SCALE: {n_units} units, {n_res} residents ({time.perf_counter() - started:.1f} s)"
        )

    def reset(self) -> None:
        project = Project.objects.filter(code=SCALE_CODE).first()
        if project is None:
            return
        if Event.objects.filter(project=project).exists():
            self.stderr.write("SCALE has event-log rows (append-only); --reset refused.")
            raise SystemExit(1)
        with transaction.atomic():
            EmergencyContact.objects.filter(resident__unit__project=project).delete()
            Resident.objects.filter(unit__project=project).delete()
            Unit.objects.filter(project=project).delete()
            Building.objects.filter(project=project).delete()
            project.delete()

    def ensure_staff(self, project: Project) -> None:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username="scale_frontdesk")
        if created:
            user.set_unusable_password()
            user.save()
        profile, _ = StaffProfile.objects.get_or_create(user=user, defaults={"name": "规模前台"})
        StaffRole.objects.get_or_create(staff=profile, role=Role.FRONT_DESK)
        profile.projects.add(project)

    def ensure_units(self, project: Project, target: int, rng: random.Random) -> int:
        have = Unit.objects.filter(project=project).count()
        if have >= target:
            return have
        n_buildings = (target - 1) // UNITS_PER_BUILDING + 1
        existing = set(Building.objects.filter(project=project).values_list("code", flat=True))
        Building.objects.bulk_create(
            [
                Building(project=project, code=str(b), name=f"{b}栋")
                for b in range(1, n_buildings + 1)
                if str(b) not in existing
            ],
            batch_size=BATCH,
        )
        buildings = dict(Building.objects.filter(project=project).values_list("code", "id"))
        numbers = set(Unit.objects.filter(project=project).values_list("number", flat=True))
        batch: list[Unit] = []
        with transaction.atomic():
            for i in range(target):
                code, number = unit_number(i)
                if number in numbers:
                    continue
                area = Decimal(rng.randrange(4500, 18000)) / 100
                batch.append(
                    Unit(project=project, building_id=buildings[code], number=number, area_m2=area)
                )
                if len(batch) >= BATCH:
                    Unit.objects.bulk_create(batch)
                    batch = []
            Unit.objects.bulk_create(batch)
        return Unit.objects.filter(project=project).count()

    def ensure_residents(self, project: Project, target: int, rng: random.Random) -> int:
        have = Resident.objects.filter(unit__project=project).count()
        if have >= target:
            return have
        unit_ids = list(
            Unit.objects.filter(project=project).order_by("id").values_list("id", flat=True)
        )
        if not unit_ids:
            return have
        with transaction.atomic():
            for start in range(have, target, BATCH):
                rows = []
                for i in range(start, min(start + BATCH, target)):
                    # First pass: one owner per unit; further residents are tenants.
                    kind = Resident.Kind.OWNER if i < len(unit_ids) else Resident.Kind.TENANT
                    rows.append(
                        Resident(
                            unit_id=unit_ids[i % len(unit_ids)],
                            name=chinese_name(rng),
                            kind=kind,
                            phone=cn_mobile(rng, i),
                        )
                    )
                created = Resident.objects.bulk_create(rows)
                contacts = [
                    EmergencyContact(
                        resident_id=r.pk,
                        name=chinese_name(rng),
                        relation=rng.choice(RELATIONS),
                        phone=cn_mobile(rng, 50_000_000 + j + start),
                    )
                    for j, r in enumerate(created)
                    if r.kind == Resident.Kind.OWNER
                ]
                EmergencyContact.objects.bulk_create(contacts, batch_size=BATCH)
        return Resident.objects.filter(unit__project=project).count()
