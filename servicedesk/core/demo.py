"""The demo data set (``manage.py seed_demo``, API.md): project ``DEMO`` with
buildings, units, residents and staff of every role; module apps add their own
history through ``register_demo_seeder``.

Safe to run twice: everything is looked up by a natural key before it is made,
and the random choices are seeded, so the second run finds what the first made.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction

from servicedesk.core.models import (
    Building,
    Department,
    EmergencyContact,
    Project,
    Resident,
    Role,
    StaffProfile,
    StaffRole,
    Unit,
)

DEMO_PASSWORD = "demo12345"  # noqa: S105 - published in API.md, demo mode only

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红",
    "志强",
    "玉兰",
    "海燕",
    "俊",
    "婷",
    "子涵",
    "浩然",
    "欣怡",
    "宇轩",
    "梓萱",
    "一诺",
    "思远",
    "雨桐",
    "堃",
    "珺",
    "喆",
    "晓峰",
    "建国",
    "丽华",
    "淑珍",
    "国庆",
    "春梅",
    "嘉怡",
]
RELATIONS = ["配偶", "儿子", "女儿", "父亲", "母亲", "兄弟", "姐妹", "朋友"]
MOBILE_PREFIXES = ["138", "139", "137", "136", "150", "151", "158", "186", "187", "188", "135"]

DemoSeeder = Callable[["DemoContext"], None]
_seeders: list[tuple[int, DemoSeeder]] = []


def register_demo_seeder(fn: DemoSeeder, *, order: int = 100) -> DemoSeeder:
    """Module apps call this (from their ``demo.py``) to add their history."""
    if all(existing is not fn for _, existing in _seeders):
        _seeders.append((order, fn))
    return fn


@dataclass
class DemoContext:
    project: Project
    users: dict[str, User] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(20251001))  # noqa: S311
    log: Callable[[str], None] = print


def random_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def random_mobile(rng: random.Random) -> str:
    return f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


# (username, name, roles, department code, position); API.md lists these accounts.
DEMO_STAFF = [
    ("frontdesk", "李娜", [Role.FRONT_DESK], "service", "前台接待"),
    ("frontdesk2", "周婷", [Role.FRONT_DESK], "service", "物业助理"),
    ("supervisor", "张敏", [Role.SUPERVISOR], "service", "客服主管"),
    ("manager", "王强", [Role.MANAGER], "service", "客服经理"),
    ("duty", "刘建国", [Role.DUTY_MANAGER], "service", "物业总值"),
    ("engineer", "陈磊", [Role.ENGINEER], "engineering", "工程主管"),
    ("quality", "赵丽华", [Role.QUALITY], "quality", "品质专员"),
    ("gm", "孙志强", [Role.GENERAL_MANAGER], "office", "总经理"),
]
DEMO_DEPARTMENTS = [
    ("service", "客服部"),
    ("engineering", "工程部"),
    ("quality", "品质部"),
    ("security", "保安部"),
    ("office", "总经理室"),
]


def _user(username: str, *, email: str = "", superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": email or f"{username}@demo.servicedesk.local"}
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
    if superuser:
        user.is_staff = user.is_superuser = True
    user.save()
    return user


def _staff(ctx: DemoContext, departments: dict[str, Department]) -> None:
    for username, name, roles, dept, position in DEMO_STAFF:
        user = _user(username)
        profile, _ = StaffProfile.objects.update_or_create(
            user=user,
            defaults={"name": name, "department": departments[dept], "position": position},
        )
        for role in roles:
            StaffRole.objects.get_or_create(staff=profile, role=role)
        profile.projects.add(ctx.project)
        ctx.users[username] = user
    admin = _user("admin", superuser=True)
    profile, _ = StaffProfile.objects.update_or_create(
        user=admin, defaults={"name": "系统管理员", "department": departments["office"]}
    )
    StaffRole.objects.get_or_create(staff=profile, role=Role.ADMINISTRATOR)
    ctx.users["admin"] = admin
    contractor = _user("contractor")
    profile, _ = StaffProfile.objects.update_or_create(
        user=contractor, defaults={"name": "恒安装饰工程有限公司", "position": "项目负责人"}
    )
    StaffRole.objects.get_or_create(staff=profile, role=Role.CONTRACTOR)
    ctx.users["contractor"] = contractor


def _units(ctx: DemoContext) -> list[Unit]:
    buildings = []
    for n in range(1, 7):
        building, _ = Building.objects.get_or_create(
            project=ctx.project, code=str(n), defaults={"name": f"{n}栋"}
        )
        buildings.append(building)
    areas = ["89.50", "98.20", "126.80", "143.60"]
    wanted = [
        (b, f"{b.code}-{floor}{room:02d}", Decimal(ctx.rng.choice(areas)))
        for b in buildings
        for floor in range(1, 13)
        for room in range(1, 5)
    ]
    existing = set(Unit.objects.filter(project=ctx.project).values_list("number", flat=True))
    Unit.objects.bulk_create(
        [
            Unit(building=b, project=ctx.project, number=number, area_m2=area)
            for b, number, area in wanted
            if number not in existing
        ]
    )
    return list(Unit.objects.filter(project=ctx.project).order_by("id"))


def _residents(ctx: DemoContext, units: list[Unit]) -> None:
    if Resident.objects.filter(unit__project=ctx.project).exists():
        return
    residents: list[Resident] = []
    for unit in units:
        if ctx.rng.random() < 0.1:
            continue  # unsold or vacant
        residents.append(
            Resident(
                unit=unit,
                name=random_name(ctx.rng),
                kind=Resident.Kind.OWNER,
                phone=random_mobile(ctx.rng),
                move_in_date=date(2019, 6, 1) + timedelta(days=ctx.rng.randrange(2000)),
            )
        )
        if ctx.rng.random() < 0.15:
            residents.append(
                Resident(
                    unit=unit,
                    name=random_name(ctx.rng),
                    kind=Resident.Kind.TENANT,
                    phone=random_mobile(ctx.rng),
                )
            )
    Resident.objects.bulk_create(residents)
    created = Resident.objects.filter(unit__project=ctx.project, kind=Resident.Kind.OWNER)
    EmergencyContact.objects.bulk_create(
        EmergencyContact(
            resident=r,
            name=random_name(ctx.rng),
            relation=ctx.rng.choice(RELATIONS),
            phone=random_mobile(ctx.rng),
        )
        for r in created
    )


def _owner_accounts(ctx: DemoContext) -> None:
    """owner1 and owner2 are residents of two different units (API.md)."""
    for username, number, name in (("owner1", "1-101", "陈静"), ("owner2", "2-502", "黄志明")):
        user = _user(username)
        unit = Unit.objects.get(project=ctx.project, number=number)
        resident = Resident.objects.filter(unit=unit, kind=Resident.Kind.OWNER).first()
        if resident is None:
            resident = Resident(unit=unit, kind=Resident.Kind.OWNER, phone=random_mobile(ctx.rng))
        resident.name, resident.user = name, user
        resident.save()
        ctx.users[username] = user


@transaction.atomic
def seed_demo(log: Callable[[str], None] = print) -> DemoContext:
    project, _ = Project.objects.update_or_create(
        code="DEMO",
        defaults={
            "name": "翠湖花园",
            "company": "和美物业服务有限公司",
            "address": "杭州市西湖区翠湖路 88 号",
            "phone": "0571-88886666",
        },
    )
    ctx = DemoContext(project=project, log=log)
    departments = {}
    for code, name in DEMO_DEPARTMENTS:
        departments[code], _ = Department.objects.get_or_create(code=code, defaults={"name": name})
    _staff(ctx, departments)
    units = _units(ctx)
    _residents(ctx, units)
    _owner_accounts(ctx)
    for _, seeder in sorted(_seeders, key=lambda item: item[0]):
        seeder(ctx)
    log(
        f"DEMO: {len(units)} units, {Resident.objects.filter(unit__project=project).count()} "
        f"residents, {len(ctx.users)} accounts (password {DEMO_PASSWORD})"
    )
    return ctx
