"""Staff appraisal on 德、勤、能、绩 (APR): criteria, checks and appraisals, deductions,
commendations and penalties, service-data suggestions, training results.

Criteria are versioned: an assessment points at the criteria-set version it
was scored against, and a published version is never edited (a change is a
new version), so a finished record never changes. Scores are derived by
``appraisal.rules`` from the deductions and stored on finalising.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppraisalSettings(models.Model):
    """The appraisal's configurable numbers (APR-04, APR-05, APR-08), one row."""

    # APR-04: the year-end composite's three parts, in percent (sum 100).
    checks_percent = models.DecimalField(
        _("周检/月检/抽检占比（%）"), default=Decimal(20), max_digits=5, decimal_places=2
    )
    monthly_percent = models.DecimalField(
        _("月考核占比（%）"), default=Decimal(30), max_digits=5, decimal_places=2
    )
    year_end_percent = models.DecimalField(
        _("年终考核占比（%）"), default=Decimal(50), max_digits=5, decimal_places=2
    )
    # APR-04: weights of the kinds inside the checks part ("经加权平均").
    weekly_weight = models.DecimalField(
        _("周检权重"), default=Decimal(1), max_digits=5, decimal_places=2
    )
    monthly_check_weight = models.DecimalField(
        _("月检权重"), default=Decimal(1), max_digits=5, decimal_places=2
    )
    spot_weight = models.DecimalField(
        _("抽检权重"), default=Decimal(1), max_digits=5, decimal_places=2
    )
    # APR-05: a composite above this is 优秀员工; a commendation adds at most bonus_max.
    excellent_above = models.DecimalField(
        _("优秀员工分数线（高于）"), default=Decimal(100), max_digits=5, decimal_places=2
    )
    bonus_max = models.DecimalField(
        _("嘉奖加分上限"), default=Decimal(10), max_digits=5, decimal_places=2
    )
    # APR-08: records older than this are purged.
    retention_years = models.PositiveSmallIntegerField(_("记录保存年限"), default=2)
    # CMP-22 → 绩: how service data turns into suggested deductions.
    points_per_first_question_failure = models.DecimalField(
        _("每次首问责任未落实建议扣分"), default=Decimal(1), max_digits=5, decimal_places=2
    )
    points_per_valid_complaint = models.DecimalField(
        _("每宗有效投诉建议扣分"), default=Decimal(2), max_digits=5, decimal_places=2
    )
    on_time_target_percent = models.DecimalField(
        _("及时率目标（%）"), default=Decimal(90), max_digits=5, decimal_places=2
    )
    points_below_on_time_target = models.DecimalField(
        _("及时率未达标建议扣分"), default=Decimal(2), max_digits=5, decimal_places=2
    )

    class Meta:
        verbose_name = _("绩效考核设置")
        verbose_name_plural = _("绩效考核设置")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> AppraisalSettings:
        return cls.objects.first() or cls.objects.create()


class StaffLevel(models.TextChoices):
    """APR-03: criteria differ for operational and management staff."""

    OPERATIONAL = "operational", _("操作层员工")
    MANAGEMENT = "management", _("管理层员工")


class AssessmentContent(models.TextChoices):
    """APR-03: theory-knowledge vs operating-skill assessment."""

    THEORY = "theory", _("理论知识考核")
    SKILL = "skill", _("操作技能考核")


class CriteriaSet(models.Model):
    """One version of the 《员工绩效考核标准》 for a staff level and test type (APR-01, APR-03)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已停用")

    name = models.CharField(_("名称"), max_length=100)
    staff_level = models.CharField(_("考核对象"), max_length=15, choices=StaffLevel.choices)
    test_type = models.CharField(_("考核内容"), max_length=10, choices=AssessmentContent.choices)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发布人"),
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上一版本"),
    )

    class Meta:
        verbose_name = _("考核标准")
        verbose_name_plural = _("考核标准")
        ordering = ["staff_level", "test_type", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff_level", "test_type", "version"], name="criteria_version_unique"
            ),
            # One version in force per staff level and test type.
            models.UniqueConstraint(
                fields=["staff_level", "test_type"],
                condition=Q(status="published"),
                name="criteria_one_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Dimension(models.Model):
    """德 / 勤 / 能 / 绩 with its maximum (APR-01)."""

    class Code(models.TextChoices):
        DE = "de", _("德")
        QIN = "qin", _("勤")
        NENG = "neng", _("能")
        JI = "ji", _("绩")

    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="dimensions", verbose_name=_("考核标准")
    )
    code = models.CharField(_("维度"), max_length=5, choices=Code.choices)
    max_points = models.DecimalField(_("满分"), max_digits=5, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("考核维度")
        verbose_name_plural = _("考核维度")
        ordering = ["criteria_set", "order"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="dimension_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} {self.max_points}"


class Item(models.Model):
    """An item of a dimension, e.g. de2 服务态度 5 points, with its check standards (APR-01/02)."""

    dimension = models.ForeignKey(
        Dimension, on_delete=models.CASCADE, related_name="items", verbose_name=_("维度")
    )
    code = models.CharField(_("代码"), max_length=10)
    name = models.CharField(_("项目"), max_length=50)
    max_points = models.DecimalField(_("满分"), max_digits=5, decimal_places=2)
    standards = models.TextField(_("检查标准"), blank=True, help_text=_("每行一条扣分标准。"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("考核项目")
        verbose_name_plural = _("考核项目")
        ordering = ["dimension__order", "order"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def standard_lines(self) -> list[str]:
        return [line.strip() for line in self.standards.splitlines() if line.strip()]


class Kind(models.TextChoices):
    """APR-03 kinds of assessment (API.md codes)."""

    WEEKLY = "weekly", _("周检")
    MONTHLY_CHECK = "monthly_check", _("月检")
    SPOT = "spot", _("抽检")
    MONTHLY = "monthly", _("月考核")
    YEAR_END = "year_end", _("年终考核")


CHECK_KINDS = (Kind.WEEKLY, Kind.MONTHLY_CHECK, Kind.SPOT)


class Assessment(models.Model):
    """One check or appraisal of one person for one period: 《员工月绩效考核记录表》 et al."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        FINAL = "final", _("已定稿")
        ACKNOWLEDGED = "acknowledged", _("本人已确认")

    staff = models.ForeignKey(
        "core.StaffProfile",
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("员工"),
    )
    # The department at the time, so a later transfer does not move old records.
    department = models.ForeignKey(
        "core.Department",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("部门"),
    )
    kind = models.CharField(_("类型"), max_length=15, choices=Kind.choices)
    # Weekly: the Monday; monthly kinds: the 1st; year-end: 1 January; spot: the day.
    period = models.DateField(_("考核期间"))
    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("考核标准")
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("考核人"),
    )
    status = models.CharField(
        _("状态"), max_length=15, choices=Status.choices, default=Status.DRAFT
    )
    # APR-05: a commendation adds 1–10 after normal scoring.
    bonus = models.DecimalField(
        _("嘉奖加分"),
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10))],
        max_digits=5,
        decimal_places=2,
    )
    bonus_reason = models.CharField(_("嘉奖事由"), max_length=200, blank=True)
    # Derived by appraisal.rules, stored when finalised (and kept while a draft).
    de = models.DecimalField(_("德"), default=Decimal(0), max_digits=5, decimal_places=2)
    qin = models.DecimalField(_("勤"), default=Decimal(0), max_digits=5, decimal_places=2)
    neng = models.DecimalField(_("能"), default=Decimal(0), max_digits=5, decimal_places=2)
    ji = models.DecimalField(_("绩"), default=Decimal(0), max_digits=5, decimal_places=2)
    total = models.DecimalField(_("总分"), default=Decimal(0), max_digits=5, decimal_places=2)
    comment = models.TextField(_("考核评语"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    finalised_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    staff_comment = models.CharField(_("本人意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("考核记录")
        verbose_name_plural = _("考核记录")
        ordering = ["-period", "staff"]
        constraints = [
            # Checks may be many a period (spot checks); appraisals are one per period.
            models.UniqueConstraint(
                fields=["staff", "kind", "period"],
                condition=Q(kind__in=["monthly", "year_end", "weekly", "monthly_check"]),
                name="assessment_one_per_period",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "kind", "period"], name="assess_dept_kind_period"),
            models.Index(fields=["staff", "period"], name="assess_staff_period"),
            # The dashboard's month and 12-month trend (APR-10) select by kind and
            # period for a group of people: without it, a scan of every record.
            models.Index(fields=["kind", "period"], name="assess_kind_period"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.get_kind_display()} {self.period}"

    @property
    def dimension_scores(self) -> dict[str, Decimal]:
        return {"de": self.de, "qin": self.qin, "neng": self.neng, "ji": self.ji}


class Deduction(models.Model):
    """Points taken off one item, with the reason and the standard applied (APR-02)."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="deductions", verbose_name=_("考核记录")
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    points = models.DecimalField(
        _("扣分"), validators=[MinValueValidator(Decimal("0.01"))], max_digits=5, decimal_places=2
    )
    reason = models.CharField(_("扣分原因"), max_length=300)
    standard = models.CharField(_("依据标准"), max_length=300, blank=True)
    # APR-02: the "其它" line, for a case the standards do not list.
    is_other = models.BooleanField(_("其它（标准未列明）"), default=False)
    suggestion = models.ForeignKey(
        "Suggestion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("来自服务数据建议"),
    )

    class Meta:
        verbose_name = _("扣分")
        verbose_name_plural = _("扣分")
        ordering = ["item__dimension__order", "item__order", "pk"]

    def __str__(self) -> str:
        return f"{self.item.code} -{self.points}"


class Penalty(models.Model):
    """APR-06: the administrative penalty recorded besides the deduction."""

    class Measure(models.TextChoices):
        VERBAL_WARNING = "verbal_warning", _("口头警告")
        WRITTEN_WARNING = "written_warning", _("书面警告")
        DEMERIT = "demerit", _("记过")
        MAJOR_DEMERIT = "major_demerit", _("记大过")
        DISMISSAL = "dismissal", _("辞退")

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="penalties", verbose_name=_("考核记录")
    )
    measure = models.CharField(_("处罚"), max_length=20, choices=Measure.choices)
    description = models.CharField(_("违规事实及后果"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("行政处罚")
        verbose_name_plural = _("行政处罚")
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return self.get_measure_display()


class Suggestion(models.Model):
    """A deduction or bonus offered from service data (CMP-22 → 绩), accepted or
    rejected by the manager with a reason."""

    class Source(models.TextChoices):
        FIRST_QUESTION_FAILURE = "first_question_failure", _("首问责任未落实")
        VALID_COMPLAINT = "valid_complaint", _("有效投诉")
        FIRST_CONTACT_RATE = "first_contact_rate", _("首次联系及时率")
        RECTIFY_RATE = "rectify_rate", _("整改及时率")

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        ACCEPTED = "accepted", _("已采纳")
        REJECTED = "rejected", _("未采纳")

    staff = models.ForeignKey(
        "core.StaffProfile", on_delete=models.CASCADE, related_name="+", verbose_name=_("员工")
    )
    month = models.DateField(_("月份"))
    source = models.CharField(_("来源"), max_length=30, choices=Source.choices)
    item_code = models.CharField(_("建议项目"), max_length=10)
    points = models.DecimalField(_("建议扣分"), max_digits=5, decimal_places=2)
    reason = models.CharField(_("依据"), max_length=300)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_reason = models.CharField(_("处理说明"), max_length=300, blank=True)
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
        verbose_name=_("考核记录"),
    )

    class Meta:
        verbose_name = _("服务数据建议")
        verbose_name_plural = _("服务数据建议")
        ordering = ["month", "staff", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "month", "source"], name="suggestion_once_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.get_source_display()} -{self.points}"


class TrainingResult(models.Model):
    """APR-09: induction and on-post training assessments."""

    class Stage(models.TextChoices):
        INDUCTION = "induction", _("入职培训考核")
        ON_POST = "on_post", _("上岗培训考核")

    staff = models.ForeignKey(
        "core.StaffProfile",
        on_delete=models.CASCADE,
        related_name="training_results",
        verbose_name=_("员工"),
    )
    stage = models.CharField(_("培训阶段"), max_length=10, choices=Stage.choices)
    test_type = models.CharField(_("考核内容"), max_length=10, choices=AssessmentContent.choices)
    score = models.DecimalField(_("成绩"), max_digits=5, decimal_places=2)
    passed = models.BooleanField(_("合格"))
    taken_on = models.DateField(_("考核日期"))
    examiner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("考核人"),
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("培训考核")
        verbose_name_plural = _("培训考核")
        ordering = ["staff", "taken_on"]

    def __str__(self) -> str:
        return f"{self.staff} {self.get_stage_display()} {self.score}"
