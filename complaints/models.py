"""Complaints, reports and consultations (CMP), their clocks, callbacks and rules as data."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.scoping import Scope


class Category(models.Model):
    """Root-cause category (CMP-02), classified by final cause, correctable later."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    group = models.CharField(_("大类"), max_length=50, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("投诉类别")
        verbose_name_plural = _("投诉类别")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.group}·{self.name}" if self.group and self.group != self.name else self.name


class Channel(models.Model):
    """How the matter reached us (CMP-01)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("受理渠道")
        verbose_name_plural = _("受理渠道")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Policy(models.Model):
    """The deadline rules (config), versioned: the admin adds a version, never edits one.

    Each complaint keeps the version that set its clocks, so a rule edit never
    silently rewrites deadlines already given to a customer.
    """

    created_at = models.DateTimeField(_("生效时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    # CMP-06, hours of wall-clock time
    reply_hours = models.PositiveIntegerField(_("答复时限（小时）"), default=48)
    # CMP-07, working days
    rectify_days_major = models.PositiveSmallIntegerField(_("重大投诉整改（工作日）"), default=1)
    rectify_days_general = models.PositiveSmallIntegerField(_("一般投诉整改（工作日）"), default=3)
    # CMP-08, working days
    hot_report_days = models.PositiveSmallIntegerField(_("热点投诉上报集团（工作日）"), default=1)
    # CMP-12, calendar days after rectification
    callback_days_major = models.PositiveSmallIntegerField(_("重大投诉回访（天）"), default=7)
    callback_days_general = models.PositiveSmallIntegerField(_("一般投诉回访（天）"), default=14)
    # CMP-13, calendar days with no repeat complaint
    quiet_close_days = models.PositiveSmallIntegerField(_("无需回访的结案观察期（天）"), default=7)
    # CMP-20, calendar days: opinions summarised to the department, then its written plan
    opinion_summary_days = models.PositiveSmallIntegerField(_("调查意见汇总送达（天）"), default=2)
    opinion_plan_days = models.PositiveSmallIntegerField(_("责任部门书面整改方案（天）"), default=3)
    # CMP-19, hours
    onsite_hours = models.PositiveSmallIntegerField(_("一类突发事件到场（小时）"), default=2)
    # CMP-11: early warning when this share of a clock is used
    warning_percent = models.PositiveSmallIntegerField(
        _("预警比例（%）"), default=80, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    # CMP-16, percent
    satisfaction_target = models.DecimalField(
        _("满意率目标（%）"), max_digits=5, decimal_places=2, default=Decimal("90.00")
    )

    class Meta:
        verbose_name = _("投诉时限规则")
        verbose_name_plural = _("投诉时限规则")
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]

    def __str__(self) -> str:
        return f"v{self.pk} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    @classmethod
    def current(cls) -> Policy:
        """Return the newest version, creating the spec's defaults if there is none."""
        policy = cls.objects.order_by("-created_at", "-id").first()
        return policy or cls.objects.create(note="默认（规范值）")


class UrgencyLevel(models.Model):
    """First-contact deadline by urgency (CMP-05, config): 15 / 30 / 60 / 120 minutes."""

    minutes = models.PositiveIntegerField(_("首次联系时限（分钟）"), unique=True)
    name = models.CharField(_("名称"), max_length=30)

    class Meta:
        verbose_name = _("紧急程度")
        verbose_name_plural = _("紧急程度")
        ordering = ["minutes"]

    def __str__(self) -> str:
        return f"{self.name}（{self.minutes} 分钟）"


class EscalationStep(models.Model):
    """Who is told at each escalation level (CMP-09, CMP-11, config)."""

    level = models.PositiveSmallIntegerField(_("升级级别"), unique=True)
    role = models.CharField(_("通知角色"), max_length=20)
    label = models.CharField(_("说明"), max_length=50)

    class Meta:
        verbose_name = _("升级规则")
        verbose_name_plural = _("升级规则")
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{self.level}：{self.label}"


class StandardAnswer(models.Model):
    """A written unified answer (CMP-15), suggested at intake, its use counted."""

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("类别")
    )
    title = models.CharField(_("事项"), max_length=100)
    keywords = models.CharField(
        _("关键词"), max_length=200, blank=True, help_text=_("用空格分隔。")
    )
    text = models.TextField(_("统一答复"))
    use_count = models.PositiveIntegerField(_("使用次数"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("统一答复")
        verbose_name_plural = _("统一答复")
        ordering = ["-use_count", "title"]

    def __str__(self) -> str:
        return self.title


class Complaint(models.Model):
    """A complaint (投诉), report (报事/报修) or consultation (咨询): one record, one number."""

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("投诉")
        REPORT = "report", _("报事")
        CONSULTATION = "consultation", _("咨询")
        # CMP-20: an opinion from a satisfaction survey
        OPINION = "opinion", _("调查意见")
        # CMP-21: a paid special service (特约服务)
        PAID_SERVICE = "paid_service", _("特约服务")

    class Severity(models.TextChoices):
        MAJOR = "major", _("重大")
        GENERAL = "general", _("一般")

    class Status(models.TextChoices):
        OPEN = "open", _("待联系")
        CONTACTED = "contacted", _("处理中")
        RECTIFIED = "rectified", _("待回访")
        CLOSED = "closed", _("已结案")
        MERGED = "merged", _("已合并")

    number = models.CharField(_("编号"), max_length=30, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.COMPLAINT)
    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理项目")
    )
    unit = models.ForeignKey(
        "core.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("房号"),
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, verbose_name=_("渠道"))
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("类别")
    )
    severity = models.CharField(
        _("性质"), max_length=10, choices=Severity.choices, default=Severity.GENERAL
    )
    hot = models.BooleanField(_("热点投诉"), default=False)
    incident = models.BooleanField(_("一类突发事件"), default=False)
    urgency_minutes = models.PositiveIntegerField(_("紧急程度（分钟）"), default=30)
    description = models.TextField(_("内容"))
    location = models.CharField(_("具体位置"), max_length=200, blank=True)
    expectation = models.CharField(_("客户期望"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    # CMP-03: whoever receives it owns it until it is solved or clearly answered.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("首问责任人"),
    )
    department = models.ForeignKey(
        "core.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任部门"),
    )
    needs_callback = models.BooleanField(_("需回访"), default=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    escalation_level = models.PositiveSmallIntegerField(_("升级级别"), default=0)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, verbose_name=_("时限规则版本"))
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("合并至"),
    )
    status_before_merge = models.CharField(max_length=20, blank=True)
    contacted_at = models.DateTimeField(_("首次联系时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    rectified_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    result = models.TextField(_("处理结果"), blank=True)
    # CMP-21: the fee of a paid special service and when its payment notice went out
    fee = models.DecimalField(
        _("服务费（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    payment_notice_at = models.DateTimeField(_("缴费通知时间"), null=True, blank=True)

    scope = Scope(project="project", unit="unit")

    class Meta:
        verbose_name = _("投诉/报事")
        verbose_name_plural = _("投诉/报事")
        ordering = ["-received_at", "-id"]
        indexes = [
            # The desk queue: a project's records by status, newest first.
            models.Index(fields=["project", "status", "-received_at"], name="cmp_queue_idx"),
            # The caller's last 90 days at intake; a unit's file.
            models.Index(fields=["unit", "-received_at"], name="cmp_unit_idx"),
            # Monthly statistics.
            models.Index(fields=["project", "received_at"], name="cmp_month_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.CLOSED, self.Status.MERGED)


RUNNING = models.Q(done_at__isnull=True)


class Clock(models.Model):
    """One deadline of one complaint: when it started, is due, warns, and was met.

    The sweep acts on clocks with one statement per rule, whatever the backlog:
    ``escalated_due_at`` remembers which due time was escalated, so a missed
    deadline escalates once, and a new (extended) due time can escalate again.
    """

    class Kind(models.TextChoices):
        FIRST_CONTACT = "first_contact", _("首次联系")
        REPLY = "reply", _("答复客户")
        PROMISED_REPLY = "promised_reply", _("承诺回复")
        RECTIFY = "rectify", _("整改完成")
        HOT_REPORT = "hot_report", _("热点上报集团")
        ONSITE = "onsite", _("经理到场")
        CALLBACK = "callback", _("回访")
        OPINION_SUMMARY = "opinion_summary", _("意见汇总送达部门")
        OPINION_PLAN = "opinion_plan", _("部门书面整改方案")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(_("时限"), max_length=20, choices=Kind.choices)
    started_at = models.DateTimeField(_("起算时间"))
    due_at = models.DateTimeField(_("到期时间"))
    warn_at = models.DateTimeField(_("预警时间"))
    provisional = models.BooleanField(_("暂定"), default=False)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    escalated_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("时限")
        verbose_name_plural = _("时限")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "kind"], name="clock_once_per_kind"),
        ]
        indexes = [
            # The escalation and warning sweeps: open clocks by due / warn time.
            models.Index(
                fields=["due_at"],
                name="clock_open_due_idx",
                condition=models.Q(done_at__isnull=True),
            ),
            models.Index(
                fields=["warn_at"],
                name="clock_open_warn_idx",
                condition=models.Q(done_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"


class Reporter(models.Model):
    """A person who raised the matter (CMP-14: several people, several times)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="reporters")
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    resident = models.ForeignKey(
        "core.Resident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set when this reporter came from a merged duplicate, so the merge can be undone.
    merged_from = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    times = models.PositiveIntegerField(_("反映次数"), default=1)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("反映人")
        verbose_name_plural = _("反映人")
        ordering = ["added_at", "id"]

    def __str__(self) -> str:
        return self.name


class Extension(models.Model):
    """An agreed new completion time (CMP-10); the history of agreed times stays."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="extensions")
    clock = models.CharField(max_length=20, choices=Clock.Kind.choices, default=Clock.Kind.RECTIFY)
    old_due_at = models.DateTimeField(_("原时限"))
    new_due_at = models.DateTimeField(_("新时限"))
    reason = models.TextField(_("原因"))
    agreed_by = models.CharField(_("客户同意人"), max_length=50, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("延期")
        verbose_name_plural = _("延期")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.old_due_at:%m-%d %H:%M} → {self.new_due_at:%m-%d %H:%M}"


class Callback(models.Model):
    """A callback attempt (回访, CMP-12) and, when reached, the customer's verdict."""

    class Outcome(models.TextChoices):
        NO_ANSWER = "no_answer", _("未接通")
        REACHED = "reached", _("已联系")

    class Result(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASICALLY = "basically", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    class Confirmation(models.TextChoices):
        NONE = "", _("未确认")
        SIGNATURE = "signature", _("回访记录表签字")
        PORTAL = "portal", _("业主在线确认")
        PHONE = "phone", _("电话确认")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="callbacks")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices)
    result = models.CharField(_("满意度"), max_length=20, choices=Result.choices, blank=True)
    confirmation = models.CharField(
        _("客户确认"), max_length=20, choices=Confirmation.choices, blank=True
    )
    note = models.TextField(_("回访内容"), blank=True)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.get_result_display()}".strip()


class FirstQuestionFailure(models.Model):
    """A failure of first-question responsibility against a staff member (CMP-22)."""

    class Kind(models.TextChoices):
        NOT_RECORDED = "not_recorded", _("未记录处理结果")
        DEFLECTED = "deflected", _("推诿")
        DELAYED = "delayed", _("拖延")

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="failures")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    note = models.TextField(_("说明"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    scope = Scope(project="complaint__project")

    class Meta:
        verbose_name = _("首问责任失职")
        verbose_name_plural = _("首问责任失职")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return str(self.get_kind_display())


def photo_path(instance: Photo, filename: str) -> str:
    """Store uploads under generated names: the customer's file name is never a path."""
    import uuid

    return f"complaints/{instance.complaint_id}/{uuid.uuid4().hex}.img"


class Photo(models.Model):
    """A photo attached to a record (validated by content, size-capped, served as attachment)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("文件"), upload_to=photo_path)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    scope = Scope(project="complaint__project", unit="complaint__unit")

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
