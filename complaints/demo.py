"""Demo history for the complaint desk (``seed_demo``): records in every state."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from complaints import services
from complaints.models import Category, Channel, Complaint, StandardAnswer
from servicedesk.core.demo import DemoContext, register_demo_seeder
from servicedesk.core.models import Department, Resident, Unit

# (unit, kind, channel, category, severity, urgency, hot, hours ago, description, progress)
CASES = [
    (
        "1-101",
        "complaint",
        "phone",
        "facilities",
        "general",
        30,
        False,
        50,
        "厨房水管接口渗水，楼下天花板有水渍。",
        "closed",
    ),
    (
        "2-502",
        "complaint",
        "online",
        "service_attitude",
        "general",
        60,
        False,
        30,
        "保安岗亭人员态度生硬，访客登记时大声呵斥。",
        "rectified",
    ),
    (
        "3-303",
        "complaint",
        "visit",
        "vehicles",
        "major",
        15,
        True,
        20,
        "地下车库 B2 区长期被外来车辆占用，业主无处停车，已在业主群发酵。",
        "contacted",
    ),
    (
        "4-1202",
        "report",
        "phone",
        "facilities",
        "general",
        15,
        False,
        3,
        "4 栋 2 号电梯困人，已按紧急按钮。",
        "open",
    ),
    (
        "5-801",
        "complaint",
        "letter",
        "letters_newspapers",
        "general",
        120,
        False,
        80,
        "连续一周报纸未送达信报箱。",
        "open",
    ),
    (
        "6-404",
        "complaint",
        "phone",
        "goods_out",
        "general",
        60,
        False,
        6,
        "搬家出门条办理时间过长。",
        "open",
    ),
    (
        "1-204",
        "report",
        "phone",
        "facilities",
        "general",
        60,
        False,
        26,
        "楼道声控灯不亮。",
        "rectified",
    ),
    (
        "2-101",
        "complaint",
        "email",
        "other",
        "general",
        120,
        False,
        100,
        "小区绿化修剪噪音过早，早上 7 点开始施工。",
        "closed",
    ),
]


def seed_complaints(ctx: DemoContext) -> None:
    project = ctx.project
    if Complaint.objects.filter(project=project).exists():
        return
    desk, manager = ctx.users["frontdesk"], ctx.users["manager"]
    units = {u.number: u for u in Unit.objects.filter(project=project)}
    channels = {c.code: c for c in Channel.objects.all()}
    categories = {c.code: c for c in Category.objects.all()}
    engineering = Department.objects.filter(code="engineering").first()
    now = timezone.now()
    for number, kind, channel, category, severity, urgency, hot, hours, text, progress in CASES:
        unit = units[number]
        resident = Resident.objects.filter(unit=unit).order_by("kind", "id").first()
        c = services.complaint_file(
            project=project,
            kind=kind,
            unit=unit,
            channel=channels[channel],
            category=categories[category],
            description=text,
            reporter_name=resident.name if resident else "匿名业主",
            reporter_phone=str(resident.phone) if resident else "",
            resident=resident,
            severity=severity,
            urgency_minutes=urgency,
            hot=hot,
            received_at=now - timedelta(hours=hours),
            by=desk,
            department_id=engineering.pk if engineering and kind == "report" else None,
        )
        if progress == "open":
            continue
        services.complaint_contact(complaint=c, by=desk, note="已电话联系业主，说明处理安排")
        services.complaint_reply(complaint=c, by=desk, text="已安排责任部门处理，处理完毕后回访。")
        if progress == "contacted":
            continue
        services.complaint_rectify(complaint=c, by=manager, note="已处理完毕并现场确认。")
        if progress == "closed":
            services.complaint_callback(
                complaint=c,
                by=desk,
                outcome="reached",
                result="satisfied",
                note="业主表示满意",
                confirmation="phone",
            )
    answer = StandardAnswer.objects.filter(title="物业费缴纳方式").first()
    consultation = services.complaint_file(
        project=project,
        kind="consultation",
        unit=units["2-502"],
        channel=channels["phone"],
        category=None,
        description="物业费可以在哪里交？",
        reporter_name="黄志明",
        by=desk,
    )
    if answer:
        services.complaint_reply(
            complaint=consultation, by=desk, text=answer.text, standard_answer=answer
        )
    ctx.log(f"complaints: {Complaint.objects.filter(project=project).count()} records")


register_demo_seeder(seed_complaints, order=20)
