"""Decoration's demo history (``manage.py seed_demo``), all through ``decoration.services``.

In project DEMO, dated relative to today (the services stamp everything
"now"; nothing is back-dated):

- the demo ``contractor`` account is the login of 恒安装饰工程有限公司;
- 2-502 (owner2) filed online with another company: drawings under review;
- 3-201: drawings approved, the deposit not yet paid;
- 1-101 (owner1): on site from today, three worker passes, an approved hot-work
  permit for tomorrow afternoon, a tool registration, an inspection that found
  too few extinguishers with a rectification notice and a fine, and a
  construction notice to building 1, approved and issued;
- 5-101: accepted, awaiting the refund (its refund notice shows the amounts
  to be refunded);
- 4-302: completed, one pass lost, a fine settled from the deposit, the
  deposit refunded: closed.

A permit past its end date flagged for stop-work is left out: it needs a
start date in the past, which ``permit_issue`` refuses, and the demo does not
time-travel. Safe to run twice: nothing is added once DEMO has permits.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from decoration import services
from decoration.models import (
    ConstructionNotice,
    Contractor,
    DecorationSettings,
    LedgerEntry,
    Permit,
    WorkerPass,
)
from servicedesk.core.demo import DemoContext, random_name, register_demo_seeder
from servicedesk.core.models import Building, Resident, Unit
from servicedesk.workcal.calendar import business_calendar, local_zone
from visitors import identity

# (name, licence, qualification, phone)
HENGAN = (
    "恒安装饰工程有限公司",
    "JZ3301-2019-0086",
    "建筑装修装饰工程专业承包二级",
    "0571-86001234",
)
JIANGXIN = (
    "匠心家装设计工程有限公司",
    "JZ3301-2021-0213",
    "建筑装修装饰工程专业承包三级",
    "0571-87002345",
)

WORKERS = ["王建军", "李德福", "张国栋", "刘长青", "赵铁柱"]


def demo_id_number(n: int) -> str:
    """A valid (check digit correct) resident ID number for demo worker ``n``."""
    first17 = f"33010619{78 + n % 15:02d}0{(n % 9) + 1}1{n % 10}0{n % 10}{n % 7}"
    return first17 + identity.check_char(first17)


def link_demo_contractor(ctx: DemoContext) -> Contractor:
    """The demo ``contractor`` account logs in for 恒安装饰 (sees only its permits).

    Registered the way a filing registers it (``services.contractor_for``); the
    login is linked as the admin links it (``Contractor`` is master data).
    """
    name, licence, qualification, phone = HENGAN
    contractor = services.contractor_for(
        name=name, licence_no=licence, qualification=qualification, phone=phone
    )
    user = ctx.users["contractor"]
    if contractor.user_id != user.pk:
        contractor.user = user
        contractor.save(update_fields=["user"])
    return contractor


def _unit(ctx: DemoContext, number: str) -> Unit:
    return Unit.objects.get(project=ctx.project, number=number)


def _owner_name(ctx: DemoContext, unit: Unit) -> str:
    """The owner's name when the unit has no owner on file (a vacant demo unit)."""
    if Resident.objects.filter(unit=unit, kind=Resident.Kind.OWNER, is_active=True).exists():
        return ""
    return random_name(ctx.rng)


def _file(
    ctx: DemoContext,
    number: str,
    company: tuple[str, str, str, str],
    *,
    items: list[str],
    by: User | None = None,
    site_leader: str = "郑海波",
    contract_no: str = "",
) -> Permit:
    unit = _unit(ctx, number)
    name, licence, qualification, phone = company
    staff = by is None
    return services.permit_file(
        unit=unit,
        contractor_name=name,
        contractor_licence=licence,
        contractor_qualification=qualification,
        contractor_phone=phone,
        area_m2=unit.area_m2 or Decimal("98.20"),
        planned_start=_today() + timedelta(days=7),
        items=items,
        by=by or ctx.users["frontdesk"],
        owner_signed=staff,
        contract_no=contract_no or f"HT-{number}",
        site_leader_name=site_leader,
        site_leader_phone="13957100086",
        owner_name=_owner_name(ctx, unit) if staff else "",
    )


def _approve(ctx: DemoContext, permit: Permit, comments: str = "同意施工。") -> None:
    services.drawings_submit(permit=permit, by=ctx.users["frontdesk"])
    services.review_decide(
        permit=permit,
        by=ctx.users["engineer"],
        approve=True,
        structure_ok=True,
        water_electric_ok=True,
        waterproofing_ok=True,
        comments=comments,
    )


def _issue(ctx: DemoContext, permit: Permit, receipt: str) -> Permit:
    desk = ctx.users["frontdesk"]
    services.deposit_pay(
        permit=permit,
        amount=DecorationSettings.current().deposit_amount,
        receipt_no=receipt,
        by=desk,
    )
    services.permit_issue(permit=permit, start_date=_today(), by=desk)
    return Permit.objects.get(pk=permit.pk)


def _passes(ctx: DemoContext, permit: Permit, count: int, first: int) -> list[WorkerPass]:
    return [
        services.pass_issue(
            permit=permit,
            worker_name=WORKERS[(first + i) % len(WORKERS)],
            id_number=demo_id_number(first + i),
            receipt_no=f"CR-{permit.unit.number}-{i + 1}",
            by=ctx.users["frontdesk"],
        )
        for i in range(count)
    ]


def _today() -> date:
    return business_calendar().local_date(timezone.now())


def _tomorrow_at(hour: int) -> datetime:
    return datetime.combine(_today() + timedelta(days=1), time(hour), tzinfo=local_zone())


def _under_review(ctx: DemoContext) -> Permit:
    """2-502: owner2 filed online with 匠心家装 and handed in the drawings."""
    owner = ctx.users["owner2"]
    permit = _file(
        ctx, "2-502", JIANGXIN, items=["厨房翻新", "卫生间防水重做"], by=owner, site_leader="孙强"
    )
    services.drawings_submit(permit=permit, by=owner)
    return permit


def _on_site(ctx: DemoContext) -> Permit:
    """1-101 (owner1): on site with passes, hot work, an inspection, a notice and a fine."""
    contractor, engineer, supervisor = (
        ctx.users["contractor"],
        ctx.users["engineer"],
        ctx.users["supervisor"],
    )
    permit = _file(
        ctx,
        "1-101",
        HENGAN,
        items=["墙面翻新", "水电改造", "阳台防盗窗焊接"],
        contract_no="HA-2025-0312",
    )
    _approve(ctx, permit, "同意施工；卫生间闭水试验 48 小时，阳台焊接须办理动火证。")
    permit = _issue(ctx, permit, "YJ-DEMO-0101")
    _passes(ctx, permit, 3, 0)
    hot = services.hot_work_request(
        permit=permit,
        by=contractor,
        work_kind="welding",
        location="南阳台防盗窗",
        starts_at=_tomorrow_at(14),
        ends_at=_tomorrow_at(17),
        welder_name="赵铁柱",
        welder_certificate_no="T330106197805120017",
        welder_certificate_valid_until=_today() + timedelta(days=500),
        guardian_name="郑海波",
        extinguishers_ready=True,
        combustibles_cleared=True,
    )
    services.hot_work_decide(hot_work=hot, by=engineer, approve=True, note="作业时监护人不得离场")
    services.application_request(
        permit=permit, kind="tools", details="电锤 1 台、切割机 1 台、电焊机 1 台", by=contractor
    )
    inspection = services.inspection_record(
        permit=permit,
        by=supervisor,
        extinguishers_found=max(permit.extinguishers_required - 1, 0),
        findings="楼道堆放水泥砂浆袋，影响通行",
        violation=True,
    )
    notice = services.notice_issue(
        permit=permit,
        items="清理楼道建筑材料；补足现场灭火器。",
        due_at=timezone.now() + timedelta(days=2),
        inspection=inspection,
        by=supervisor,
    )
    services.fine_charge(
        permit=permit,
        amount="200.00",
        reason="楼道堆放建筑材料，影响消防通道",
        notice=notice,
        by=supervisor,
    )
    _announce(ctx, permit)
    return permit


def _announce(ctx: DemoContext, permit: Permit) -> ConstructionNotice:
    """DEC-13: building 1 is told of the noisy work, approved by the supervisor."""
    start = services.earliest_work_start(timezone.now()) + timedelta(days=1)
    notice = services.construction_notice_draft(
        project=ctx.project,
        title=f"{permit.unit.number} 室墙体拆改施工通告",
        body=(
            f"{permit.unit.number} 室将进行墙体拆改及电镐作业，施工时间为工作日 "
            "8:30-12:00、14:00-18:00，噪音较大，给您带来不便，敬请谅解。"
        ),
        work_starts_on=start,
        work_ends_on=start + timedelta(days=4),
        permit=permit,
        building=Building.objects.get(project=ctx.project, code="1"),
        by=ctx.users["frontdesk"],
    )
    services.construction_notice_approve(notice=notice, by=ctx.users["supervisor"])
    return services.construction_notice_issue(notice=notice, by=ctx.users["frontdesk"])


def _finished(ctx: DemoContext, number: str, receipt: str) -> tuple[Permit, list[WorkerPass]]:
    """A permit issued today with two passes, about to be completed."""
    permit = _file(ctx, number, HENGAN, items=["全屋墙面刷新", "更换木地板"])
    _approve(ctx, permit)
    permit = _issue(ctx, permit, receipt)
    return permit, _passes(ctx, permit, 2, 3)


def _awaiting_refund(ctx: DemoContext) -> Permit:
    """5-101: completed and accepted; the deposit is to be refunded."""
    permit = _finished(ctx, "5-101", "YJ-DEMO-0501")[0]
    services.completion_apply(permit=permit, by=ctx.users["contractor"])
    services.acceptance_decide(
        permit=permit, by=ctx.users["engineer"], passed=True, note="无违规改建，垃圾已清运。"
    )
    return permit


def _closed(ctx: DemoContext) -> Permit:
    """4-302: a fine left unpaid, one pass lost, accepted and the deposit refunded."""
    permit, passes = _finished(ctx, "4-302", "YJ-DEMO-0402")
    services.fine_charge(
        permit=permit,
        amount="300.00",
        reason="未经批准超时施工（22:10 仍在电钻作业）",
        by=ctx.users["supervisor"],
    )
    services.completion_apply(permit=permit, by=ctx.users["contractor"], lost_passes=[passes[1].pk])
    services.acceptance_decide(
        permit=permit, by=ctx.users["engineer"], passed=True, note="验收合格，垃圾已清运。"
    )
    services.deposit_refund(permit=permit, receipt_no="YJ-DEMO-0402", by=ctx.users["frontdesk"])
    return permit


def _awaiting_deposit(ctx: DemoContext) -> Permit:
    """3-201: drawings approved; the contractor has not paid the deposit yet."""
    permit = _file(ctx, "3-201", HENGAN, items=["客厅吊顶", "卫生间改造"])
    _approve(ctx, permit, "同意；卫生间不得改变排水立管位置。")
    return permit


def seed_decoration(ctx: DemoContext) -> None:
    link_demo_contractor(ctx)
    project = ctx.project
    if Permit.objects.filter(project=project).exists():
        return
    DecorationSettings.current()
    _under_review(ctx)
    _awaiting_deposit(ctx)
    _on_site(ctx)
    _awaiting_refund(ctx)
    _closed(ctx)
    ctx.log(
        f"decoration: {Permit.objects.filter(project=project).count()} permits, "
        f"{WorkerPass.objects.filter(permit__project=project).count()} passes, "
        f"{LedgerEntry.objects.filter(permit__project=project).count()} ledger entries"
    )


register_demo_seeder(seed_decoration, order=50)
