"""Demo history for the visitor desk (``seed_demo``): visits in every state.

Everything goes through ``visitors.services``, so the data is what the desk
would have produced: registered "now", slips numbered, consent, sign-out and
corrections recorded as events. Skipped when DEMO already has visits.
"""

from __future__ import annotations

from django.utils import timezone

from servicedesk.core.demo import DemoContext, register_demo_seeder
from servicedesk.core.models import Resident, Unit
from visitors import services
from visitors.identity import check_char
from visitors.models import Visit


def demo_resident_id(first17: str) -> str:
    """Return a valid (GB 11643) resident ID number from its first 17 digits."""
    return first17 + check_char(first17)


# (name, id type, number, unit or None, purpose, plate, people, clerk, outcome)
# outcome: inside / left / refused / pending / amended
VISITS = [
    (
        "张家豪",
        "resident_id",
        demo_resident_id("33010619880512031"),
        "1-101",
        "探亲",
        "",
        1,
        "frontdesk",
        "inside",
    ),
    (
        "李明轩",
        "resident_id",
        demo_resident_id("33010219900101123"),
        "2-502",
        "拜访朋友",
        "浙A5K2M8",
        2,
        "frontdesk",
        "left",
    ),
    ("Emily Watson", "passport", "P5834712", "3-303", "探望同学", "", 1, "frontdesk2", "left"),
    (
        "刘洋",
        "resident_id",
        demo_resident_id("34012219950707221"),
        "4-1202",
        "上门安装宽带",
        "浙A9D31B",
        1,
        "frontdesk",
        "inside",
    ),
    (
        "陈一鸣",
        "resident_id",
        demo_resident_id("32050219820315441"),
        "5-801",
        "推销保险",
        "",
        1,
        "frontdesk2",
        "refused",
    ),
    (
        "周宇",
        "resident_id",
        demo_resident_id("33010519970909112"),
        None,
        "应聘面谈",
        "",
        1,
        "frontdesk",
        "left",
    ),
    (
        "吴桐",
        "resident_id",
        demo_resident_id("33012719760228331"),
        "6-404",
        "送药",
        "",
        1,
        "duty",
        "inside",
    ),
    (
        "郑浩",
        "resident_id",
        demo_resident_id("44030519910606551"),
        "2-101",
        "家电维修",
        "",
        1,
        "frontdesk",
        "pending",
    ),
    (
        "林小",
        "resident_id",
        demo_resident_id("35020319930417662"),
        "1-204",
        "送文件",
        "",
        1,
        "frontdesk2",
        "amended",
    ),
]
PRE_REGISTERED = ("钱思源", "passport", "E39281746", "周末来家中做客")
BLACKLISTED = (
    "黄某",
    demo_resident_id("36010219850101771"),
    "多次冒充快递员进入小区推销，业主联名投诉",
)


def seed_visitors(ctx: DemoContext) -> None:
    project = ctx.project
    if Visit.objects.filter(project=project).exists():
        return
    units = {u.number: u for u in Unit.objects.filter(project=project)}
    desk = ctx.users["frontdesk"]
    for name, id_type, number, unit_no, purpose, plate, people, clerk, outcome in VISITS:
        unit = units[unit_no] if unit_no else None
        resident = (
            Resident.objects.filter(unit=unit, is_active=True).order_by("kind", "id").first()
            if unit
            else None
        )
        # No unit: a visitor of the company (VIS-02), the service manager.
        host_name, department, position = ("", "", "") if unit else ("王强", "客服部", "客服经理")
        by = ctx.users[clerk]
        visit = services.visit_register(
            project=project,
            visitor_name=name,
            id_type=id_type,
            id_number=number,
            purpose=purpose,
            by=by,
            host_unit=unit,
            host_resident=resident,
            vehicle_plate=plate,
            people_count=people,
            phone=f"1390000{len(name):04d}",
            host_name=host_name,
            host_department=department,
            host_position=position,
        )
        if outcome == "pending":
            continue
        if outcome == "refused":
            services.visit_consent(
                visit=visit, by=by, granted=False, note="业主表示不认识来访人，拒绝来访"
            )
            continue
        method = Visit.ConsentMethod.IN_PERSON if unit is None else Visit.ConsentMethod.PHONE
        services.visit_consent(visit=visit, by=by, granted=True, method=method)
        if outcome == "amended":
            services.visit_amend(
                visit=visit,
                by=by,
                field="visitor_name",
                new_value="林晓",
                reason="姓名登记笔误，核对证件后更正",
            )
        if outcome in ("left", "amended"):
            services.visit_sign_out(visit=visit, by=by, host_signed=True)

    # A guest announced by owner1 (陈静, 1-101) in the portal: consent in advance.
    guest, id_type, number, note = PRE_REGISTERED
    owner = Resident.objects.get(user=ctx.users["owner1"])
    pre = services.pre_register(
        resident=owner,
        by=ctx.users["owner1"],
        guest_name=guest,
        expected_on=timezone.localdate(),
        note=note,
    )
    services.visit_register(
        project=project,
        visitor_name=guest,
        id_type=id_type,
        id_number=number,
        purpose="做客",
        by=desk,
        host_unit=owner.unit,
        host_resident=owner,
        pre_registration=pre,
    )

    name, number, reason = BLACKLISTED
    services.blacklist_add(
        project=project,
        id_type="resident_id",
        id_number=number,
        name=name,
        reason=reason,
        by=ctx.users["supervisor"],
    )
    ctx.log(f"visitors: {Visit.objects.filter(project=project).count()} visits, 1 blacklist entry")


register_demo_seeder(seed_visitors, order=30)
