"""Demo history for the staff appraisal (``seed_demo``, APR-02..APR-10).

The customer-service department's operational staff — ``frontdesk`` (李娜),
``frontdesk2`` (周婷), any other clerk of the department, and 陈雨桐, a new
物业助理 still on probation (APR-09) — over the last six finished months:

- monthly appraisals by ``manager`` with realistic deductions (reason and the
  check standard applied, one 其它 line), one commendation bonus (APR-05) and
  one administrative penalty (APR-06); the earlier months acknowledged by the
  person, the month before last partly so;
- the latest month left partly undone for the dashboard (APR-10): one
  appraisal finalised but not yet acknowledged, one still a draft, and the
  newcomer not yet appraised;
- weekly, monthly and spot checks by ``supervisor``;
- the monthly appraisals of the department's management staff too (the
  supervisor and the duty manager by the manager, the manager by ``gm``), so
  the dashboard's "not yet appraised" is exactly the newcomer;
- induction and on-post training results, the newcomer having failed on-post;
- the service-data suggestions of the latest month (CMP-22).

Everything is written through ``appraisal.services``, which stamp records with
"now". The dates a desk would have produced are then set with
``queryset.update`` (see ``_backdate``): time-machine is a test-only
dependency. The event log is append-only (ORG-05; a trigger on PostgreSQL), so
its rows keep the time the demo was loaded. Skipped when the department
already has appraisal records: running ``seed_demo`` twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from appraisal import services
from appraisal.models import (
    Assessment,
    AssessmentContent,
    Kind,
    Penalty,
    StaffLevel,
    TrainingResult,
)
from appraisal.selectors import add_months
from servicedesk.core.demo import DemoContext, register_demo_seeder
from servicedesk.core.models import Department, Role, StaffProfile, StaffRole
from servicedesk.notifications.models import Notification
from servicedesk.workcal.calendar import local_zone

MONTHS = 6  # the last six finished months

# The newcomer (APR-09): joined the month before the latest, induction passed,
# on-post failed. No password: she is not one of the published demo accounts.
NEWCOMER = ("kf_chenyutong", "陈雨桐", "物业助理")

# (item, points, reason, standard); standard "" with other=True is the 其它 line.
Finding = tuple[str, str, str, str]


@dataclass(frozen=True)
class Month:
    """One person's monthly appraisal: findings, bonus, penalty, how far it got."""

    findings: list[Finding] = field(default_factory=list)
    other: Finding | None = None  # APR-02: a case the standards do not list
    bonus: tuple[str, str] | None = None  # (points, reason), APR-05
    penalty: tuple[str, str] | None = None  # (measure, facts), APR-06
    comment: str = ""
    staff_comment: str = ""
    state: str = "acknowledged"  # acknowledged / final / draft


LATE = ("de3", "1", "早班迟到 10 分钟（7:50 到岗）", "迟到、早退、脱岗")
# Month offset 5 = the oldest, 0 = the latest finished month.
PLANS: dict[str, dict[int, Month]] = {
    "frontdesk": {
        5: Month([LATE], staff_comment="无异议"),
        4: Month(
            [
                ("ji1", "2", "4-1202 电梯困人报修，派单超过 15 分钟时限", "投诉、报修处理超时"),
                ("neng3", "1", "访客登记表两处涂改未签名", "记录、档案不完整、不规范"),
            ],
            comment="注意报修派单时限。",
            staff_comment="已知悉，今后注意",
        ),
        3: Month(
            bonus=("3", "拾获业主遗失钱包并及时归还，业主送来锦旗（行政奖励：嘉奖）"),
            comment="服务意识强，提出表扬。",
            staff_comment="谢谢领导肯定",
        ),
        2: Month(
            [
                (
                    "de2",
                    "2",
                    "接听 5-801 业主来电语气生硬，业主当场表示不满",
                    "对客户冷淡、推诿、使用不文明用语",
                )
            ],
            staff_comment="已知悉，今后注意",
        ),
        1: Month([("qin1", "1", "交接班记录未写明钥匙借出情况", "交接班不清")]),
        0: Month(
            [("neng1", "1.5", "答复业主装修押金退还流程有误", "不能正确答复客户咨询")],
            comment="业务知识需加强学习。",
            state="final",
        ),
    },
    "frontdesk2": {
        5: Month(staff_comment="无异议"),
        4: Month([("qin2", "1", "无故缺席部门月度培训", "无故不参加部门会议或培训")]),
        3: Month(
            [
                (
                    "de1",
                    "4",
                    "未核对业主委托书即将 3-303 钥匙借给装修工人",
                    "违反国家法律法规或公司制度",
                ),
                ("ji3", "2", "3-303 业主就钥匙外借投诉（有效投诉）", "有效投诉"),
            ],
            penalty=(
                Penalty.Measure.WRITTEN_WARNING,
                "违反《钥匙管理规定》，未核对委托书将 3-303 钥匙借给装修工人，"
                "业主投诉，造成不良影响",
            ),
            comment="严重违反钥匙管理规定，给予书面警告。",
            staff_comment="接受处理，今后严格核对委托书",
        ),
        2: Month(
            other=("ji4", "1", "未按新版公告模板张贴 6 栋停水通知", ""),
            staff_comment="无异议",
        ),
        1: Month(
            [("de3", "1", "当班时长时间用手机处理私事", "当班时做与工作无关的事")],
            state="final",
        ),
        0: Month([("qin1", "1", "早班迟到 5 分钟", "迟到、早退、脱岗")], state="draft"),
    },
    NEWCOMER[0]: {
        1: Month(
            [("neng1", "2", "不熟悉访客登记流程，未查验来访人证件", "不熟悉岗位工作规程")],
            comment="新员工，尽快熟悉岗位规程。",
            staff_comment="会加强学习",
        ),
        # The latest month: not yet appraised.
    },
}
# Management staff (APR-03: their own criteria): the manager appraises the
# supervisor and the duty manager, the general manager appraises the manager.
MANAGEMENT_PLANS: dict[str, dict[int, Month]] = {
    "supervisor": {
        2: Month([("neng3", "1", "未按要求每周检查前台交接班记录", "未按要求检查督导")]),
        0: Month(state="final"),
    },
    "duty": {
        4: Month([("qin1", "1", "夜班交接记录未签字", "交接班不清")]),
        0: Month(state="final"),
    },
    "manager": {
        3: Month([("neng2", "1", "月度例会遗漏工程部协调事项", "工作安排无序、遗漏")]),
        0: Month(state="final"),
    },
}
# What the supervisor finds on checks, taken in turn (APR-03).
CHECK_FINDINGS: list[list[Finding]] = [
    [],
    [("de3", "1", "当班未佩戴工牌", "着装、仪容不符合规定")],
    [],
    [("neng3", "1", "钥匙借用登记缺少归还时间", "记录、档案不完整、不规范")],
    [("qin3", "1", "发现大堂灯具损坏未报修", "发现问题不报告、不跟进")],
    [],
    [("de2", "1", "接待访客时未起身问候", "未按《员工服务规范》接待客户")],
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=local_zone())


def _weekday(day: date) -> date:
    """The day itself, or the Monday after a weekend."""
    return day + timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def _newcomer(ctx: DemoContext, department: Department) -> StaffProfile:
    username, name, position = NEWCOMER
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@demo.servicedesk.local"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    profile, _ = StaffProfile.objects.update_or_create(
        user=user, defaults={"name": name, "department": department, "position": position}
    )
    StaffRole.objects.get_or_create(staff=profile, role=Role.FRONT_DESK)
    profile.projects.add(ctx.project)
    return profile


def _backdate(
    assessment: Assessment, *, created: datetime, finalised: datetime, acknowledged: datetime
) -> None:
    """Give a record the times the desk would have produced (services stamp "now").

    Clamped to now, so the latest month's records are never in the future.
    """
    now = timezone.now()
    fields: dict[str, datetime | None] = {"created_at": min(created, now)}
    if assessment.finalised_at is not None:
        fields["finalised_at"] = min(finalised, now)
    if assessment.acknowledged_at is not None:
        fields["acknowledged_at"] = min(acknowledged, now)
    Assessment.objects.filter(pk=assessment.pk).update(**fields)
    Penalty.objects.filter(assessment=assessment).update(
        recorded_at=min(created + timedelta(hours=1), now)
    )
    # The "please acknowledge" message went out on finalising; read once acknowledged.
    Notification.objects.filter(
        content_type=ContentType.objects.get_for_model(Assessment), object_id=str(assessment.pk)
    ).update(
        created_at=fields.get("finalised_at", now),
        read_at=fields.get("acknowledged_at"),
    )


def _inputs(month: Month) -> list[services.DeductionInput]:
    rows = [
        services.DeductionInput(item=item, points=Decimal(points), reason=reason, standard=std)
        for item, points, reason, std in month.findings
    ]
    if month.other is not None:
        item, points, reason, _std = month.other
        rows.append(
            services.DeductionInput(item=item, points=Decimal(points), reason=reason, is_other=True)
        )
    return rows


def _assess(
    staff: StaffProfile,
    *,
    kind: str,
    period: date,
    by: User,
    month: Month,
    done_on: date,
) -> Assessment:
    """Create, fill and (unless a draft) finalise and acknowledge one record."""
    a = services.assessment_create(staff=staff, kind=kind, period=period, by=by)
    bonus, bonus_reason = month.bonus or ("0", "")
    a = services.assessment_save(
        assessment=a,
        deductions=_inputs(month),
        bonus=Decimal(bonus),
        bonus_reason=bonus_reason,
        comment=month.comment,
        by=by,
    )
    if month.penalty is not None:
        measure, facts = month.penalty
        services.penalty_add(assessment=a, measure=measure, description=facts, by=by)
    if month.state != "draft":
        a = services.assessment_finalise(assessment=a, by=by)
    if month.state == "acknowledged":
        a = services.assessment_acknowledge(
            assessment=a, by=staff.user, comment=month.staff_comment
        )
    _backdate(
        a,
        created=_at(done_on, 9, 30),
        finalised=_at(done_on, 16, 0),
        acknowledged=_at(_weekday(done_on + timedelta(days=1)), 10, 15),
    )
    return a


def _people(department: Department) -> tuple[list[StaffProfile], list[StaffProfile]]:
    """The department's operational staff (the clerks) and its management staff (APR-03)."""
    people = (
        StaffProfile.objects.filter(department=department)
        .select_related("user")
        .prefetch_related("role_assignments")
        .order_by("pk")
    )
    clerks, management = [], []
    for p in people:
        roles = {a.role for a in p.role_assignments.all()}
        if services.staff_level_of(p) == StaffLevel.MANAGEMENT:
            management.append(p)
        elif Role.FRONT_DESK in roles:
            clerks.append(p)
    return clerks, management


def _training(
    people: list[StaffProfile], newcomer: StaffProfile, ctx: DemoContext, today: date
) -> None:
    """APR-09: everyone passed induction and on-post long ago, except the newcomer.
    The manager records the clerks' results, the general manager the managers'."""
    manager, gm = ctx.users["manager"], ctx.users["gm"]
    joined = add_months(today.replace(day=1), -2)
    for n, person in enumerate(p for p in people if p.pk != newcomer.pk):
        hired = today - timedelta(days=700 + 45 * n)
        examiner = manager if services.staff_level_of(person) == StaffLevel.OPERATIONAL else gm
        for stage, test_type, score, days in (
            (TrainingResult.Stage.INDUCTION, AssessmentContent.THEORY, "88", 3),
            (TrainingResult.Stage.ON_POST, AssessmentContent.SKILL, "91", 24),
        ):
            services.training_record(
                staff=person,
                stage=stage,
                test_type=test_type,
                score=Decimal(score),
                passed=True,
                taken_on=_weekday(hired + timedelta(days=days)),
                by=examiner,
            )
    services.training_record(
        staff=newcomer,
        stage=TrainingResult.Stage.INDUCTION,
        test_type=AssessmentContent.THEORY,
        score=Decimal("86"),
        passed=True,
        taken_on=_weekday(joined + timedelta(days=2)),
        by=manager,
        note="公司制度、服务规范、安全知识",
    )
    services.training_record(
        staff=newcomer,
        stage=TrainingResult.Stage.ON_POST,
        test_type=AssessmentContent.SKILL,
        score=Decimal("55"),
        passed=False,
        taken_on=_weekday(joined + timedelta(days=20)),
        by=manager,
        note="访客登记、钥匙借用操作不熟练，一个月后补考",
    )


def seed_appraisal(ctx: DemoContext) -> None:
    department = Department.objects.filter(code="service").first()
    if department is None:
        return
    newcomer = _newcomer(ctx, department)
    if Assessment.objects.filter(department=department).exists():
        return
    manager, supervisor = ctx.users["manager"], ctx.users["supervisor"]
    today = timezone.localdate()
    latest = add_months(today.replace(day=1), -1)
    clerks, management = _people(department)
    joined = add_months(latest, -1)

    checks = 0
    for offset in range(MONTHS - 1, -1, -1):
        month = add_months(latest, -offset)
        appraisal_day = _weekday(add_months(month, 1) + timedelta(days=2))
        for n, person in enumerate(clerks):
            if person.pk == newcomer.pk and month < joined:
                continue  # not yet hired
            # Weekly check in the second week: the Monday is the period, done on Wednesday.
            monday = month + timedelta(days=(7 - month.weekday()) % 7 + 7)
            findings = CHECK_FINDINGS[(checks + n) % len(CHECK_FINDINGS)]
            _assess(
                person,
                kind=Kind.WEEKLY,
                period=monday,
                by=supervisor,
                month=Month(findings, state="acknowledged" if offset else "final"),
                done_on=monday + timedelta(days=2),
            )
            checks += 1
            # 月检 in the last three months, on the 25th (or the Monday after).
            if offset < 3 and person.pk != newcomer.pk:
                findings = CHECK_FINDINGS[(checks + 2) % len(CHECK_FINDINGS)]
                _assess(
                    person,
                    kind=Kind.MONTHLY_CHECK,
                    period=month,
                    by=supervisor,
                    month=Month(findings, state="acknowledged" if offset else "final"),
                    done_on=_weekday(month.replace(day=25)),
                )
                checks += 1
            plan = PLANS.get(person.user.username, {}).get(offset)
            if plan is None and person.user.username in PLANS:
                continue  # planned as not (yet) appraised
            _assess(
                person,
                kind=Kind.MONTHLY,
                period=month,
                by=manager,
                month=plan or Month(staff_comment="无异议"),
                done_on=appraisal_day,
            )
        for person in management:
            username = person.user.username
            boss = ctx.users["gm"] if person.user_id == manager.pk else manager
            _assess(
                person,
                kind=Kind.MONTHLY,
                period=month,
                by=boss,
                month=MANAGEMENT_PLANS.get(username, {}).get(offset)
                or Month(staff_comment="无异议"),
                done_on=appraisal_day,
            )
        # One spot check a month, on a different clerk each time.
        regulars = [p for p in clerks if p.pk != newcomer.pk] or clerks
        if regulars:
            spot_day = _weekday(month.replace(day=18))
            _assess(
                regulars[offset % len(regulars)],
                kind=Kind.SPOT,
                period=spot_day,
                by=supervisor,
                month=Month(
                    CHECK_FINDINGS[(offset + 3) % len(CHECK_FINDINGS)],
                    state="acknowledged" if offset else "final",
                ),
                done_on=spot_day,
            )
            checks += 1

    _training([*clerks, *management], newcomer, ctx, today)
    services.suggestions_refresh(staff=clerks, month=latest)
    ctx.log(
        f"appraisal: {Assessment.objects.filter(department=department).count()} records; "
        f"{latest:%Y-%m}: {newcomer.name} not yet appraised, one draft"
    )


register_demo_seeder(seed_appraisal, order=50)
