"""The spec's default criteria (APR-01, API.md item codes de1–ji4), editable in the admin.

Four published sets — operational and management staff, theory and skill
tests (APR-03) — each 德 20 / 勤 20 / 能 30 / 绩 30, items split evenly. The
check standards are a starting point for the quality department to edit.
"""

from decimal import Decimal

from django.db import migrations

DIMENSIONS = [
    (
        "de",
        Decimal(20),
        [
            ("思想道德", "违反国家法律法规或公司制度\n损害公司利益或形象\n弄虚作假、隐瞒不报"),
            (
                "服务态度",
                "未按《员工服务规范》接待客户\n对客户冷淡、推诿、使用不文明用语\n与客户争吵",
            ),
            ("纪律作风", "迟到、早退、脱岗\n着装、仪容不符合规定\n当班时做与工作无关的事"),
            ("人际关系", "与同事不团结、发生争吵\n不服从合理工作安排"),
        ],
    ),
    (
        "qin",
        Decimal(20),
        [
            ("工作出勤", "无故缺勤\n未按规定请假\n交接班不清"),
            ("参与性", "无故不参加部门会议或培训\n不参加部门组织的活动"),
            ("主动性", "发现问题不报告、不跟进\n需督促才完成本职工作"),
            ("协调性", "未按流程移交或协调相关部门\n部门间配合不力造成延误"),
        ],
    ),
    (
        "neng",
        Decimal(30),
        [
            ("业务能力", "不熟悉岗位工作规程\n业务差错\n不能正确答复客户咨询"),
            ("组织能力", "工作安排无序、遗漏\n突发事件处置不当"),
            ("管理能力", "记录、档案不完整、不规范\n未按要求检查督导"),
            ("创新能力", "无改进建议（仅在考核期内有明确任务时扣分）"),
        ],
    ),
    (
        "ji",
        Decimal(30),
        [
            ("工作效率", "未按时限完成工作\n投诉、报修处理超时"),
            ("培训效果", "培训考核不合格\n培训内容未在工作中落实"),
            ("工作效果", "工作结果未达标准\n有效投诉\n首问责任未落实"),
            ("其它成绩", "部门作业规程未列明的其它情况"),
        ],
    ),
]
SETS = [
    ("operational", "theory", "操作层员工理论知识考核标准"),
    ("operational", "skill", "操作层员工操作技能考核标准"),
    ("management", "theory", "管理层员工理论知识考核标准"),
    ("management", "skill", "管理层员工操作技能考核标准"),
]


def split(total: Decimal, n: int) -> list[Decimal]:
    base = (total / n).quantize(Decimal("0.01"))
    return [base] * (n - 1) + [total - base * (n - 1)]


def seed(apps, schema_editor):
    CriteriaSet = apps.get_model("appraisal", "CriteriaSet")
    Dimension = apps.get_model("appraisal", "Dimension")
    Item = apps.get_model("appraisal", "Item")
    for level, test_type, name in SETS:
        if CriteriaSet.objects.filter(staff_level=level, test_type=test_type).exists():
            continue
        criteria = CriteriaSet.objects.create(
            name=name, staff_level=level, test_type=test_type, version=1, status="published"
        )
        for order, (code, max_points, items) in enumerate(DIMENSIONS):
            dim = Dimension.objects.create(
                criteria_set=criteria, code=code, max_points=max_points, order=order
            )
            for i, ((item_name, standards), points) in enumerate(
                zip(items, split(max_points, len(items)), strict=True), start=1
            ):
                Item.objects.create(
                    dimension=dim,
                    code=f"{code}{i}",
                    name=item_name,
                    max_points=points,
                    standards=standards,
                    order=i,
                )


class Migration(migrations.Migration):
    dependencies = [("appraisal", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
