"""Demo history of key custody (``seed_demo``): the register and records in every state.

In project DEMO: ~30 keys (public areas, plant rooms, owners' spare keys held
under entrustments), a month of returned loans, one key out now, one overdue
since yesterday, one request awaiting approval, owner2's entrustment awaiting
portal confirmation, an emergency use closed and awaiting review, a lock
change awaiting sealing, a signed duty handover and last month's report
submitted to the supervisor.

Everything is made through ``keys.services``, so the rows, numbers, events and
notifications are what the desk would have produced. The services stamp
"now" and time-machine is not available at runtime, so past-dated history is
created first and its timestamps are then moved back with ``QuerySet.update``
(see ``_backdate_*``). The event log is append-only (a trigger refuses
UPDATE), so its rows keep the time the demo was seeded. Skipped when DEMO
already has keys (``seed_demo`` is safe to run twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from keys import services
from keys.models import (
    ContactAttempt,
    CopyRequest,
    CustodyTransfer,
    EmergencyUse,
    Entrustment,
    Incident,
    Key,
    KeySettings,
    Loan,
    LockChange,
)
from keys.pdf import previous_month
from servicedesk.core.demo import DemoContext, register_demo_seeder
from servicedesk.core.models import Department, EmergencyContact, Project, Resident
from servicedesk.workcal.calendar import business_calendar, local_zone

# (tag, what it opens, cabinet position)
PUBLIC_KEYS = [
    *[(f"G-10{n}", f"{n}栋 天台门", f"A-0{n}") for n in range(1, 7)],
    ("G-201", "地下车库 B1 消防通道门", "A-07"),
    ("G-202", "会所大门", "A-08"),
    ("G-203", "儿童游乐区储物间", "A-09"),
    ("G-204", "东门岗亭", "A-10"),
    ("G-205", "垃圾房", "A-11"),
]
PLANT_KEYS = [
    ("J-101", "1栋 配电房", "C-01"),
    ("J-102", "2栋 水泵房", "C-02"),
    ("J-103", "3栋 电梯机房", "C-03"),
    ("J-104", "消防控制室", "C-04"),
    ("J-105", "监控室", "C-05"),
    ("J-106", "生活水箱间", "C-06"),
    ("J-107", "发电机房", "C-07"),
    ("J-108", "4栋 弱电间", "C-08"),
]
OTHER_KEYS = [("Q-101", "物业仓库", "D-01"), ("Q-102", "信报箱总柜", "D-02")]
# Spare keys of a few more owners (beyond owner1 and owner2), with what they allow.
OTHER_SPARES = [
    ["emergency", "maintenance"],
    ["emergency", "inspection", "delivery"],
    ["emergency"],
    ["emergency", "maintenance", "cleaning", "viewing"],
]


@dataclass(frozen=True)
class PastLoan:
    """A returned loan of the last weeks (KEY-03): when, which key, who, why, how it ended."""

    day: date
    tag: str
    hour: int
    minutes_out: int
    borrower: str
    department: str
    purpose: str
    ending: str = "ok"  # ok / late (back next morning) / damaged / maintenance
    clerk: str = "frontdesk"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=local_zone())


def _past_loans(today: date) -> list[PastLoan]:
    prev = previous_month(today)
    regular = [
        (38, "G-101", 9, 90, "赵刚", "保洁部", "清理天台落叶"),
        (35, "J-104", 10, 60, "消防维保 周师傅", "安消消防", "消防主机月度检测"),
        (33, "G-201", 14, 45, "陈磊", "工程部", "检查消防通道门闭门器"),
        (30, "J-106", 9, 120, "二次供水 何师傅", "水务公司", "生活水箱清洗"),
        (27, "G-202", 8, 30, "林晓", "客服部", "会所活动布置"),
        (24, "J-108", 15, 50, "电信 宋工", "中国电信", "宽带线路排障"),
        (21, "G-104", 10, 75, "陈磊", "工程部", "天台避雷带检查"),
        (18, "J-105", 13, 40, "孙志", "保安部", "监控硬盘更换"),
        (15, "Q-101", 16, 25, "周婷", "客服部", "领取节日布置物料"),
        (12, "G-203", 9, 35, "赵刚", "保洁部", "储物间消杀"),
        (6, "J-101", 10, 55, "供电所 吴工", "国网供电所", "电表轮换"),
        (4, "G-106", 11, 60, "陈磊", "工程部", "天台水箱液位计检修"),
        (2, "Q-102", 9, 20, "邮政 郑师傅", "中国邮政", "信报箱投递"),
    ]
    loans = []
    for i, (days_ago, tag, hour, minutes, who, dept, why) in enumerate(regular):
        clerk = "frontdesk2" if i % 3 == 0 else "frontdesk"
        day = today - timedelta(days=days_ago)
        loans.append(PastLoan(day, tag, hour, minutes, who, dept, why, clerk=clerk))
    loans += [
        # Last month: a key back with worn teeth (KEY-09 damage), one back next morning
        # (KEY-04 overdue), and works allowed to keep a key two days (KEY-04 exception).
        PastLoan(prev.replace(day=12), "G-205", 8, 50, "赵刚", "保洁部", "垃圾房消杀", "damaged"),
        PastLoan(prev.replace(day=20), "G-105", 16, 0, "陈磊", "工程部", "天台防水补漏", "late"),
        PastLoan(
            today - timedelta(days=9),
            "J-107",
            9,
            0,
            "发电机维保 钱工",
            "康明斯服务站",
            "柴油发电机年度保养",
            "maintenance",
        ),
    ]
    return sorted(loans, key=lambda p: _at(p.day, p.hour))


def _register(
    ctx: DemoContext, rows: list[tuple[str, str, str]], kind: str, dept: Department | None
) -> None:
    for tag, opens, position in rows:
        services.key_register(
            project=ctx.project,
            tag=tag,
            kind=kind,
            opens=opens,
            cabinet_position=position,
            custodian_department=dept,
            by=ctx.users["frontdesk"],
        )


def _spare_keys(ctx: DemoContext, today: date) -> None:
    """owner1's and a few other owners' spare keys (paper-signed), owner2's pending."""
    desk = ctx.users["frontdesk"]
    long_ago = today - timedelta(days=180)
    owner1 = Resident.objects.get(user=ctx.users["owner1"])
    others = list(
        Resident.objects.filter(
            unit__project=ctx.project, kind=Resident.Kind.OWNER, is_active=True, user__isnull=True
        )
        .exclude(unit__number__in=["1-101", "2-502"])
        .order_by("unit__number")[: len(OTHER_SPARES)]
    )
    plan = [(owner1, ["emergency", "maintenance", "inspection"])]
    plan += list(zip(others, OTHER_SPARES, strict=False))
    for n, (resident, uses) in enumerate(plan, start=1):
        entrustment = services.entrustment_create(
            resident=resident,
            allowed_uses=uses,
            valid_from=long_ago,
            valid_until=today + timedelta(days=730),
            key_tag=f"Y-{resident.unit.number}",
            cabinet_position=f"B-{n:02d}",
            paper_signed=True,
            by=desk,
        )
        signed = _at(long_ago, 10, 0) + timedelta(days=n)
        Entrustment.objects.filter(pk=entrustment.pk).update(created_at=signed, confirmed_at=signed)
    # owner2 (2-502) left a key today; the entrustment awaits their confirmation in
    # the portal (KEY-02): until then the key may not be lent.
    owner2 = Resident.objects.get(user=ctx.users["owner2"])
    services.entrustment_create(
        resident=owner2,
        allowed_uses=["emergency", "delivery"],
        valid_until=today + timedelta(days=365),
        key_tag="Y-2-502",
        cabinet_position=f"B-{len(plan) + 1:02d}",
        note="业主出差期间代收快递",
        by=desk,
    )


def _lend(
    ctx: DemoContext,
    key: Key,
    *,
    purpose: str,
    borrower_name: str,
    borrower_unit: str,
    clerk: str = "frontdesk",
    borrower_phone: str = "",
    maintenance: bool = False,
    due_at: datetime | None = None,
) -> Loan:
    """Request (front desk), approve (manager), hand out (front desk) a key (KEY-03)."""
    loan = services.loan_request(
        key=key,
        purpose=purpose,
        borrower_name=borrower_name,
        borrower_unit=borrower_unit,
        borrower_phone=borrower_phone,
        maintenance=maintenance,
        due_at=due_at,
        by=ctx.users[clerk],
    )
    services.loan_approve(loan=loan, by=ctx.users["manager"], note="同意，按时归还")
    return services.loan_checkout(loan=loan, by=ctx.users["frontdesk"])


def _backdate_loan(
    loan: Loan, out_at: datetime, due_at: datetime, back: datetime | None, *, asked: int = 20
) -> None:
    """Move a loan made "now" to when it happened (the event log keeps the seeding time).

    ``asked``: minutes between the request and the key going out (0: emergency).
    """
    Loan.objects.filter(pk=loan.pk).update(
        requested_at=out_at - timedelta(minutes=asked),
        approved_at=out_at - timedelta(minutes=asked // 2) if asked else None,
        out_at=out_at,
        due_at=due_at,
        returned_at=back,
    )


def _history(ctx: DemoContext, keys: dict[str, Key], today: date) -> None:
    now = timezone.now()
    for p in _past_loans(today):
        out_at = _at(p.day, p.hour)
        works = p.ending == "maintenance"
        loan = _lend(
            ctx,
            keys[p.tag],
            purpose=p.purpose,
            borrower_name=p.borrower,
            borrower_unit=p.department,
            clerk=p.clerk,
            maintenance=works,
            due_at=now + timedelta(days=2) if works else None,
        )
        due = (
            out_at + timedelta(days=2, hours=8)
            if p.ending == "maintenance"
            else services.same_day_due(out_at)
        )
        back = (
            _at(p.day + timedelta(days=1), 8, 35)
            if p.ending == "late"
            else out_at + timedelta(minutes=p.minutes_out)
        )
        if p.ending == "maintenance":
            back = out_at + timedelta(days=2, hours=5)
        receiver = ctx.users["frontdesk2" if p.ending == "late" else p.clerk]
        if p.ending == "damaged":
            services.loan_return(
                loan=loan, by=receiver, condition="damaged", note="钥匙齿磨损，开锁吃力"
            )
            Incident.objects.filter(key=loan.key).update(at=back)
        else:
            services.loan_return(loan=loan, by=receiver)
        _backdate_loan(loan, out_at, due, back)

    # KEY-06: a spare of the worn garbage-room key, cut with the manager's approval.
    prev = previous_month(today)
    request = services.copy_request(
        key=keys["G-205"], count=1, reason="原钥匙齿磨损，配制一把备用", by=ctx.users["frontdesk"]
    )
    services.copy_decide(request=request, by=ctx.users["manager"], approve=True, note="同意配制")
    (copy,) = services.copy_register(
        request=request, tags=["G-205-1"], cabinet_position="A-12", by=ctx.users["frontdesk"]
    )
    made = _at(prev.replace(day=16), 10)
    CopyRequest.objects.filter(pk=request.pk).update(
        requested_at=made - timedelta(days=1), decided_at=made - timedelta(hours=20)
    )
    Key.objects.filter(pk=copy.pk).update(registered_at=made)


def _today(ctx: DemoContext, keys: dict[str, Key], today: date) -> None:
    """One key out now, one overdue since yesterday, one request awaiting approval."""
    now = timezone.now()
    yesterday = today - timedelta(days=1)
    out = _lend(
        ctx,
        keys["G-103"],
        purpose="检查天台防水层",
        borrower_name="陈磊",
        borrower_unit="工程部",
    )
    out_at = min(now - timedelta(minutes=5), max(now - timedelta(hours=1), _at(today, 0, 5)))
    _backdate_loan(out, out_at, services.same_day_due(out_at), None)

    # KEY-04: not back by the end of yesterday; the deadline sweep flags it and
    # alerts the duty manager (``sweep_deadlines``), as it would in production.
    overdue = _lend(
        ctx,
        keys["J-103"],
        purpose="电梯季度保养",
        borrower_name="电梯维保 张师傅",
        borrower_unit="迅达电梯维保站",
        borrower_phone="13957100001",
    )
    out_at = _at(yesterday, 14)
    _backdate_loan(overdue, out_at, services.same_day_due(out_at), None)

    services.loan_request(
        key=keys["J-101"],
        purpose="供电所抄表及计量箱检查",
        borrower_name="供电所 吴工",
        borrower_unit="国网供电所",
        by=ctx.users["frontdesk"],
    )


def _emergency(ctx: DemoContext, today: date) -> None:
    """KEY-07: a water leak at owner1's (1-101) last night; closed, awaiting review."""
    duty = ctx.users["duty"]
    owner = Resident.objects.select_related("unit").get(user=ctx.users["owner1"])
    key = Key.objects.get(project=ctx.project, tag=f"Y-{owner.unit.number}")
    use = services.emergency_open(
        key=key, kind="water_leak", reason="楼下住户报天花板渗水，疑 1-101 水管爆裂", by=duty
    )
    services.emergency_attempt(
        use=use,
        whom="owner",
        name=owner.name,
        phone=str(owner.phone),
        method="phone",
        result="no_answer",
        note="连续拨打两次无人接听",
        by=duty,
    )
    contact = (
        EmergencyContact.objects.filter(resident__unit=owner.unit, resident__is_active=True)
        .order_by("id")
        .first()
    )
    if contact is not None:
        services.emergency_attempt(
            use=use,
            whom="emergency_contact",
            name=contact.name,
            phone=str(contact.phone),
            method="phone",
            result="reached",
            note="同意物业开门处置",
            by=duty,
        )
    services.emergency_enter(use=use, witness_name="保安 马超", second_witness_name="陈磊", by=duty)
    services.emergency_close(
        use=use, outcome="关闭户内进水总阀，清理积水，已拍照留存；门已重新锁好。", by=duty
    )
    # Move it to last night, in order: open, attempts, entry, exit.
    opened = _at(today - timedelta(days=1), 21, 10)
    exited = opened + timedelta(minutes=55)
    for n, attempt_id in enumerate(
        ContactAttempt.objects.filter(emergency=use).order_by("pk").values_list("pk", flat=True)
    ):
        ContactAttempt.objects.filter(pk=attempt_id).update(
            at=opened + timedelta(minutes=2 + 4 * n)
        )
    days = KeySettings.current().emergency_review_working_days
    EmergencyUse.objects.filter(pk=use.pk).update(
        opened_at=opened,
        entered_at=opened + timedelta(minutes=15),
        exited_at=exited,
        closed_at=exited,
        owner_notified_at=exited + timedelta(minutes=5),
        review_due_at=business_calendar().add_working_days(exited, days).at,
    )
    _backdate_loan(use.loan, opened, services.same_day_due(opened), exited, asked=0)


def _lock_change(ctx: DemoContext, keys: dict[str, Key]) -> None:
    """KEY-08: engineering changed the pump-room lock core 3 hours ago; not sealed yet."""
    services.lock_change_record(
        project=ctx.project,
        location="2栋 水泵房",
        reason="锁芯锈蚀，开启困难",
        new_tag="J-102A",
        old_key=keys["J-102"],
        changed_at=timezone.now() - timedelta(hours=3),
        departments_told=Department.objects.filter(code__in=["service", "engineering", "security"]),
        by=ctx.users["engineer"],
    )


def _custody(ctx: DemoContext, project: Project, today: date) -> None:
    """KEY-01: the plant-room keys were handed to the engineering manager, in detail."""
    engineering = Department.objects.filter(code="engineering").first()
    plant = list(Key.objects.filter(project=project, kind=Key.Kind.PLANT_ROOM).order_by("tag"))
    transfers = services.custody_transfer(
        keys=plant,
        to_custodian=ctx.users["engineer"],
        to_department=engineering,
        reason="机房钥匙统一移交工程部保管",
        by=ctx.users["supervisor"],
    )
    CustodyTransfer.objects.filter(pk__in=[t.pk for t in transfers]).update(
        at=_at(today - timedelta(days=45), 9, 30)
    )


def seed_keys(ctx: DemoContext) -> None:
    project = ctx.project
    if Key.objects.filter(project=project).exists():
        return
    today = business_calendar().local_date(timezone.now())
    users: dict[str, User] = ctx.users
    departments = {d.code: d for d in Department.objects.all()}
    KeySettings.current()
    _register(ctx, PUBLIC_KEYS, Key.Kind.PUBLIC_AREA, departments.get("service"))
    _register(ctx, PLANT_KEYS, Key.Kind.PLANT_ROOM, departments.get("service"))
    _register(ctx, OTHER_KEYS, Key.Kind.OTHER, departments.get("service"))
    Key.objects.filter(project=project).update(registered_at=_at(today - timedelta(days=200), 9))
    _custody(ctx, project, today)
    _spare_keys(ctx, today)
    keys = {k.tag: k for k in Key.objects.filter(project=project)}
    _history(ctx, keys, today)
    _emergency(ctx, today)
    _today(ctx, keys, today)
    _lock_change(ctx, keys)

    # KEY-09: last month's report, submitted by the custodian, awaiting the supervisor.
    services.report_submit(
        project=project,
        month=previous_month(today),
        by=users["frontdesk"],
        note="垃圾房钥匙一把齿磨损，已审批配制备用钥匙；逾期归还一次，已提醒借用人。",
    )
    # KEY-10: the latest handover, checked face to face and signed by both.
    handover = services.handover_create(
        project=project,
        taken_by=users["frontdesk2"],
        by=users["frontdesk"],
        other_items="对讲机 2 台、手电筒 1 支、访客登记本 1 本、代收快递 3 件",
    )
    services.handover_sign(handover=handover, by=users["frontdesk2"], note="已当面清点，无误")
    ctx.log(
        f"keys: {Key.objects.filter(project=project).count()} keys, "
        f"{Loan.objects.filter(project=project).count()} loans, "
        f"{LockChange.objects.filter(project=project).count()} lock change"
    )


register_demo_seeder(seed_keys, order=40)
