"""The spec's defaults (API.md codes, REGULATIONS.md numbers), editable in the admin."""

from django.db import migrations

CATEGORIES = [
    ("facilities", "设备设施", "设备设施", 10),
    ("emergency", "紧急事件处理", "紧急事件处理", 20),
    ("service_attitude", "工作态度", "管理服务", 30),
    ("letters_newspapers", "信函报纸", "管理服务", 40),
    ("vehicles", "车辆管理", "管理服务", 50),
    ("goods_out", "出门带物", "管理服务", 60),
    ("other", "其他", "其他", 90),
]
CHANNELS = [
    ("visit", "来访", 10),
    ("phone", "来电", 20),
    ("letter", "来信", 30),
    ("email", "电子邮件", 40),
    ("online", "网上（业主门户/论坛）", 50),
    ("press", "新闻媒体", 60),
    ("forwarded", "上级公司或相关单位转来", 70),
]
URGENCY = [(15, "特急"), (30, "紧急"), (60, "较急"), (120, "一般")]
ESCALATION = [
    (1, "supervisor", "客服主管"),
    (2, "manager", "客服经理"),
    (3, "quality", "公司投诉管理部门（品质部）"),
]
ANSWERS = [
    (
        "facilities",
        "停水停电通知",
        "停水 停电 检修",
        "您好，因市政/设备检修，小区将按通知时间临时停水（停电），恢复时间以公告为准。给您带来不便，敬请谅解。",
    ),
    (
        "vehicles",
        "临时车辆收费标准",
        "停车 收费 临时车",
        "您好，临时车辆停放按物价部门核准的标准收费，首 30 分钟免费，详情请见岗亭公示。",
    ),
    (
        "other",
        "物业费缴纳方式",
        "物业费 缴费",
        "您好，物业费可在客服中心前台缴纳，也可通过业主门户在线缴纳，缴费后可开具发票。",
    ),
]


def seed(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    Channel = apps.get_model("complaints", "Channel")
    UrgencyLevel = apps.get_model("complaints", "UrgencyLevel")
    EscalationStep = apps.get_model("complaints", "EscalationStep")
    Policy = apps.get_model("complaints", "Policy")
    StandardAnswer = apps.get_model("complaints", "StandardAnswer")
    for code, name, group, order in CATEGORIES:
        Category.objects.get_or_create(
            code=code, defaults={"name": name, "group": group, "order": order}
        )
    for code, name, order in CHANNELS:
        Channel.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for minutes, name in URGENCY:
        UrgencyLevel.objects.get_or_create(minutes=minutes, defaults={"name": name})
    for level, role, label in ESCALATION:
        EscalationStep.objects.get_or_create(level=level, defaults={"role": role, "label": label})
    if not Policy.objects.exists():
        Policy.objects.create(note="默认（规范值）")
    for code, title, keywords, text in ANSWERS:
        StandardAnswer.objects.get_or_create(
            title=title,
            defaults={
                "category": Category.objects.get(code=code),
                "keywords": keywords,
                "text": text,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
