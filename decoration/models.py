"""Decoration permits (DEC): the application and its review, the contractor, the
money ledger, the construction period and its extensions, worker passes, hot
work, other applications, inspections with notices and fines, and notices to
neighbours.

Every change goes through ``decoration.services``; these models only hold
state. Money lives in ``LedgerEntry`` rows only, appended and never edited
(DEC-12): every balance shown anywhere is a sum over the ledger.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.models import AppendOnlyModel
from servicedesk.core.scoping import Scope


# Uploads are stored under generated names: an uploader's file name is never a path.
def drawing_path(instance: Drawing, filename: str) -> str:
    return f"decoration/drawings/{instance.permit_id}/{uuid.uuid4().hex}.bin"


def pass_photo_path(instance: WorkerPass, filename: str) -> str:
    return f"decoration/passes/{instance.permit_id}/{uuid.uuid4().hex}.img"


def inspection_photo_path(instance: InspectionPhoto, filename: str) -> str:
    return f"decoration/inspections/{instance.inspection_id}/{uuid.uuid4().hex}.img"


class DecorationSettings(models.Model):
    """Rules of decoration management (config), one row, edited in the admin.

    Values are copied onto a permit when they take effect (deposit required,
    extinguishers, period, pass price), so a later edit never rewrites a
    permit already filed.
    """

    # DEC-01: engineering reviews the drawings within this many working days.
    review_working_days = models.PositiveIntegerField(_("审图时限（工作日）"), default=5)
    # DEC-04
    deposit_amount = models.DecimalField(
        _("装修押金（元）"), default=Decimal("20000.00"), max_digits=12, decimal_places=2
    )
    # DEC-05: the start day counts as day 1.
    period_days = models.PositiveIntegerField(_("施工期限（天）"), default=45)
    # DEC-06
    pass_fee = models.DecimalField(
        _("出入证工本费（元）"), default=Decimal("10.00"), max_digits=12, decimal_places=2
    )
    pass_deposit = models.DecimalField(
        _("出入证保证金（元）"), default=Decimal("40.00"), max_digits=12, decimal_places=2
    )
    pass_return_grace_days = models.PositiveIntegerField(_("过期退证宽限（天）"), default=3)
    # DEC-07: one extinguisher per this many square metres, rounded up.
    extinguisher_area_m2 = models.PositiveIntegerField(_("每具灭火器覆盖面积（㎡）"), default=50)
    # DEC-13: notices of work affecting others go out this many working days ahead.
    notice_working_days = models.PositiveIntegerField(_("施工通告提前（工作日）"), default=3)
    # DEC-05: the desk is reminded of permits ending within this many days.
    expiry_warning_days = models.PositiveIntegerField(_("到期提醒提前（天）"), default=3)

    class Meta:
        verbose_name = _("装修管理设置")
        verbose_name_plural = _("装修管理设置")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> DecorationSettings:
        return cls.objects.first() or cls.objects.create()


class Contractor(models.Model):
    """A decoration company (DEC-03): recorded once, matched by its licence number."""

    name = models.CharField(_("装修单位"), max_length=100)
    licence_no = models.CharField(_("营业执照/资质证书编号"), max_length=50, unique=True)
    qualification = models.CharField(_("资质等级"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    # The company's login: it sees only its own permits and passes.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decoration_contractor",
        verbose_name=_("登录账号"),
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("装修单位")
        verbose_name_plural = _("装修单位")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Permit(models.Model):
    """One renovation of one unit, from 《装修施工申请表》 to the refund (DEC-01..13)."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("已申请，待交图纸")
        UNDER_REVIEW = "under_review", _("审图中")
        REJECTED = "rejected", _("审图未通过")
        APPROVED = "approved", _("已批准，待交押金")
        DEPOSIT_PAID = "deposit_paid", _("押金已交，待发证")
        IN_PROGRESS = "in_progress", _("施工中")
        COMPLETION_APPLIED = "completion_applied", _("已申请验收")
        ACCEPTED = "accepted", _("验收合格，待退押金")
        CLOSED = "closed", _("已退押金，结案")
        CANCELLED = "cancelled", _("已撤销")

    class Signature(models.TextChoices):
        PAPER = "paper", _("业主在纸质申请表上签名")
        PORTAL = "portal", _("业主本人网上填写")

    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理项目")
    )
    number = models.CharField(_("申请编号"), max_length=30, unique=True)
    unit = models.ForeignKey(
        "core.Unit",
        on_delete=models.PROTECT,
        related_name="decoration_permits",
        verbose_name=_("房号"),
    )
    owner = models.ForeignKey(
        "core.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decoration_permits",
        verbose_name=_("业主"),
    )
    owner_name = models.CharField(_("业主姓名"), max_length=50)
    owner_phone = models.CharField(_("业主电话"), max_length=40, blank=True)
    # DEC-02: filled in by the owner in the portal, or signed by them on paper.
    owner_signature = models.CharField(_("业主签名"), max_length=10, choices=Signature.choices)
    contractor = models.ForeignKey(
        Contractor, on_delete=models.PROTECT, related_name="permits", verbose_name=_("装修单位")
    )
    # DEC-03: the contract between owner and contractor.
    contract_no = models.CharField(_("装修合同编号"), max_length=50, blank=True)
    site_leader_name = models.CharField(_("施工负责人"), max_length=50, blank=True)
    site_leader_phone = models.CharField(_("施工负责人电话"), max_length=40, blank=True)
    area_m2 = models.DecimalField(_("装修面积（㎡）"), max_digits=8, decimal_places=2)
    items = models.JSONField(_("装修项目"), default=list)
    description = models.TextField(_("施工说明"), blank=True)
    planned_start = models.DateField(_("计划开工日期"))
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.APPLIED
    )
    # Copied from the settings at filing (DEC-04, DEC-07): later edits never change them.
    deposit_required = models.DecimalField(_("应交押金（元）"), max_digits=12, decimal_places=2)
    extinguishers_required = models.PositiveIntegerField(_("应配灭火器（具）"))
    # DEC-01: the review clock.
    drawings_submitted_at = models.DateTimeField(_("交图时间"), null=True, blank=True)
    review_due_at = models.DateTimeField(_("审图期限"), null=True, blank=True)
    review_due_provisional = models.BooleanField(default=False)
    # The clock's length when it started, so a settings edit never moves it.
    review_working_days = models.PositiveIntegerField(
        _("审图时限（工作日）"), null=True, blank=True
    )
    review_overdue_notified_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    # DEC-05: the period, set at issue.
    period_days = models.PositiveIntegerField(_("施工期限（天）"), null=True, blank=True)
    start_date = models.DateField(_("开工日期"), null=True, blank=True)
    end_date = models.DateField(_("完工期限"), null=True, blank=True)
    issued_at = models.DateTimeField(_("发证时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发证人"),
    )
    # DEC-05: set by the check when the period ran out with no approved extension.
    stop_work_flagged_at = models.DateTimeField(_("责令停工标记"), null=True, blank=True)
    expiry_reminded_for = models.DateField(null=True, blank=True)
    # DEC-10: serious misconduct.
    expelled_at = models.DateTimeField(_("清退时间"), null=True, blank=True)
    expel_reason = models.TextField(_("清退原因"), blank=True)
    completion_applied_at = models.DateTimeField(_("申请验收时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("验收人"),
    )
    acceptance_note = models.TextField(_("验收意见"), blank=True)
    # DEC-11: a lost deposit receipt blocks the refund.
    deposit_receipt_lost = models.BooleanField(_("押金收据遗失"), default=False)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("经办人"),
    )
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)

    scope = Scope(project="project", unit="unit", contractor_user="contractor__user")

    class Meta:
        verbose_name = _("装修申请")
        verbose_name_plural = _("装修申请")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["project", "status"], name="dec_permit_project_status"),
            models.Index(fields=["status", "end_date"], name="dec_permit_status_end"),
            models.Index(fields=["status", "review_due_at"], name="dec_permit_status_review"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(area_m2__gt=0), name="dec_permit_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.unit}"


class Drawing(models.Model):
    """A drawing handed in for review (DEC-01): uploaded, or received on paper."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("平面图")
        WATER_ELECTRIC = "water_electric", _("水电平面布置图")
        ALTERATION = "alteration", _("改建图")
        OTHER = "other", _("其他图纸")

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="drawings")
    kind = models.CharField(_("图纸类别"), max_length=20, choices=Kind.choices)
    round = models.PositiveIntegerField(_("送审轮次"), default=1)
    file = models.FileField(_("文件"), upload_to=drawing_path, blank=True)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("类型"), max_length=50, blank=True)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    on_paper = models.BooleanField(_("纸质图纸"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    scope = Scope(
        project="permit__project", unit="permit__unit", contractor_user="permit__contractor__user"
    )

    class Meta:
        verbose_name = _("装修图纸")
        verbose_name_plural = _("装修图纸")
        ordering = ["round", "kind", "id"]

    def __str__(self) -> str:
        return self.original_name or self.get_kind_display()


class Review(models.Model):
    """One engineering decision on the drawings (DEC-01), with its checklist; appended per round."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("审核通过")
        REJECTED = "rejected", _("审核不通过")

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="reviews")
    round = models.PositiveIntegerField(_("送审轮次"))
    outcome = models.CharField(_("结论"), max_length=10, choices=Outcome.choices)
    structure_ok = models.BooleanField(_("不破坏主体结构/承重墙"))
    water_electric_ok = models.BooleanField(_("水电线路符合规范"))
    waterproofing_ok = models.BooleanField(_("防水处理符合要求"))
    comments = models.TextField(_("审图意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审图人"),
    )
    decided_at = models.DateTimeField(_("审图时间"), default=timezone.now)

    scope = Scope(
        project="permit__project", unit="permit__unit", contractor_user="permit__contractor__user"
    )

    class Meta:
        verbose_name = _("审图意见")
        verbose_name_plural = _("审图意见")
        ordering = ["round", "id"]

    def __str__(self) -> str:
        return f"{self.permit.number} #{self.round} {self.get_outcome_display()}"


class Decision(models.TextChoices):
    """The life of a request that someone else approves (ORG-04)."""

    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class ChangeRequest(models.Model):
    """DEC-02: changing the approved items needs a new written approval first."""

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="changes")
    items = models.JSONField(_("变更后装修项目"), default=list)
    reason = models.TextField(_("变更说明"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Decision.choices, default=Decision.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    scope = Scope(
        project="permit__project", unit="permit__unit", contractor_user="permit__contractor__user"
    )

    class Meta:
        verbose_name = _("装修项目变更")
        verbose_name_plural = _("装修项目变更")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["permit"], condition=Q(status="requested"), name="dec_one_pending_change"
            )
        ]

    def __str__(self) -> str:
        return f"{self.permit.number} {self.get_status_display()}"


class Extension(models.Model):
    """DEC-05: a written request to extend the period, decided by a manager other than the
    requester."""

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="extensions")
    old_end_date = models.DateField(_("原完工期限"))
    new_end_date = models.DateField(_("申请延至"))
    reason = models.TextField(_("延期原因"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Decision.choices, default=Decision.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    scope = Scope(
        project="permit__project", unit="permit__unit", contractor_user="permit__contractor__user"
    )

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["permit"], condition=Q(status="requested"), name="dec_one_pending_extension"
            )
        ]

    def __str__(self) -> str:
        return f"{self.permit.number} → {self.new_end_date}"


class WorkerPass(models.Model):
    """施工人员临时出入证 (DEC-06): fee kept, deposit refunded on return in time."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("使用中")
        RETURNED = "returned", _("已退证")
        LOST = "lost", _("遗失")
        FORFEITED = "forfeited", _("逾期未退，保证金没收")

    class Signer(models.TextChoices):
        OWNER = "owner", _("业主")
        SITE_LEADER = "site_leader", _("施工负责人")

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="passes")
    number = models.CharField(_("证号"), max_length=30, unique=True)
    worker_name = models.CharField(_("姓名"), max_length=50)
    # The ID number is kept encrypted with a keyed hash to recognise it; only the
    # masked form is ever shown (as for visitors, VIS-07).
    id_number_encrypted = models.TextField()
    id_number_masked = models.CharField(_("身份证号"), max_length=30)
    id_hash = models.CharField(max_length=64, db_index=True)
    photo = models.FileField(_("照片"), upload_to=pass_photo_path, blank=True)
    photo_content_type = models.CharField(max_length=50, blank=True)
    signed_by = models.CharField(_("签名人身份"), max_length=12, choices=Signer.choices)
    signer_name = models.CharField(_("签名人"), max_length=50)
    fee = models.DecimalField(_("工本费（元）"), max_digits=12, decimal_places=2)
    deposit = models.DecimalField(_("保证金（元）"), max_digits=12, decimal_places=2)
    receipt_no = models.CharField(_("收据号"), max_length=40)
    expires_on = models.DateField(_("有效期至"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ISSUED
    )
    issued_at = models.DateTimeField(_("发证时间"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("退证/没收时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    scope = Scope(
        project="permit__project", unit="permit__unit", contractor_user="permit__contractor__user"
    )

    class Meta:
        verbose_name = _("施工人员出入证")
        verbose_name_plural = _("施工人员出入证")
        ordering = ["permit", "issued_at", "id"]
        indexes = [models.Index(fields=["status", "expires_on"], name="dec_pass_status_expiry")]
        constraints = [
            # One pass in use per worker per permit.
            models.UniqueConstraint(
                fields=["permit", "id_hash"],
                condition=Q(status="issued"),
                name="dec_one_live_pass_per_worker",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.worker_name}"


class Fine(models.Model):
    """罚款单 (DEC-10): charged into the ledger; paid in cash or settled from the deposit."""

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="fines")
    number = models.CharField(_("罚款单号"), max_length=30, unique=True)
    amount = models.DecimalField(_("罚款金额（元）"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("违规事实"))
    notice = models.ForeignKey(
        "RectificationNotice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fines",
        verbose_name=_("整改通知单"),
    )
    charged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    charged_at = models.DateTimeField(_("开单时间"), default=timezone.now)

    scope = Scope(
        project="permit__project", unit="permit__unit", contractor_user="permit__contractor__user"
    )

    class Meta:
        verbose_name = _("罚款单")
        verbose_name_plural = _("罚款单")
        ordering = ["charged_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dec_fine_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ¥{self.amount}"


class LedgerEntry(AppendOnlyModel):
    """One movement of money on a permit (DEC-04, DEC-06, DEC-10, DEC-11, DEC-12).

    Amounts are positive; the kind says which balance it moves. Rows are only
    ever appended: a mistake is corrected by a further entry, never an edit.
    """

    class Kind(models.TextChoices):
        DEPOSIT_RECEIVED = "deposit_received", _("收装修押金")
        PASS_FEE = "pass_fee", _("收出入证工本费")
        PASS_DEPOSIT_RECEIVED = "pass_deposit_received", _("收出入证保证金")
        PASS_DEPOSIT_REFUNDED = "pass_deposit_refunded", _("退出入证保证金")
        PASS_DEPOSIT_FORFEITED = "pass_deposit_forfeited", _("没收出入证保证金")
        FINE_CHARGED = "fine_charged", _("开具罚款")
        FINE_PAID = "fine_paid", _("现金缴纳罚款")
        FINE_DEDUCTED = "fine_deducted", _("罚款从押金中扣除")
        DEDUCTION = "deduction", _("押金扣款")
        DEPOSIT_REFUNDED = "deposit_refunded", _("退还装修押金")

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(_("类别"), max_length=30, choices=Kind.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    receipt_no = models.CharField(_("收据/单据号"), max_length=40, blank=True)
    worker_pass = models.ForeignKey(
        WorkerPass, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    fine = models.ForeignKey(
        Fine, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    note = models.CharField(_("摘要"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("经办人"),
    )

    scope = Scope(
        project="permit__project", unit="permit__unit", contractor_user="permit__contractor__user"
    )

    class Meta:
        verbose_name = _("押金台账")
        verbose_name_plural = _("押金台账")
        ordering = ["at", "id"]
        constraints = [
            # A refund of 0.00 is recorded when fines took the whole deposit.
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(kind="deposit_refunded", amount=0),
                name="dec_ledger_amount_positive",
            ),
            # DEC-04 / DEC-12: one deposit received and at most one refund per permit,
            # whatever happens concurrently.
            models.UniqueConstraint(
                fields=["permit"],
                condition=Q(kind="deposit_received"),
                name="dec_one_deposit_per_permit",
            ),
            models.UniqueConstraint(
                fields=["permit"],
                condition=Q(kind="deposit_refunded"),
                name="dec_one_refund_per_permit",
            ),
            models.UniqueConstraint(
                fields=["worker_pass", "kind"],
                condition=Q(worker_pass__isnull=False),
                name="dec_one_entry_per_pass_kind",
            ),
        ]
        indexes = [models.Index(fields=["permit", "kind"], name="dec_ledger_permit_kind")]

    def __str__(self) -> str:
        return f"{self.permit.number} {self.get_kind_display()} {self.amount}"


class HotWorkPermit(models.Model):
    """动火证 (DEC-08): requested in advance, checklist complete, approved before the window."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        CLOSED = "closed", _("已完工清场")

    class WorkKind(models.TextChoices):
        WELDING = "welding", _("电焊/气焊")
        CUTTING = "cutting", _("切割")
        OPEN_FLAME = "open_flame", _("其他明火")

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="hot_works")
    number = models.CharField(_("动火证号"), max_length=30, unique=True)
    work_kind = models.CharField(_("动火类别"), max_length=12, choices=WorkKind.choices)
    location = models.CharField(_("动火部位"), max_length=100)
    starts_at = models.DateTimeField(_("动火开始"))
    ends_at = models.DateTimeField(_("动火结束"))
    welder_name = models.CharField(_("操作人"), max_length=50)
    welder_certificate_no = models.CharField(_("特种作业操作证号"), max_length=50)
    welder_certificate_valid_until = models.DateField(_("证书有效期至"))
    guardian_name = models.CharField(_("监护人"), max_length=50)
    extinguishers_ready = models.BooleanField(_("现场已配灭火器"), default=False)
    combustibles_cleared = models.BooleanField(_("周边易燃物已清理"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    closed_at = models.DateTimeField(_("清场时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    scope = Scope(
        project="permit__project", unit="permit__unit", contractor_user="permit__contractor__user"
    )

    class Meta:
        verbose_name = _("动火申请")
        verbose_name_plural = _("动火申请")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="dec_hot_work_window"
            )
        ]

    def __str__(self) -> str:
        return self.number


class Application(models.Model):
    """DEC-09: the other applications of a permit, one model with a type."""

    class Kind(models.TextChoices):
        OVERTIME = "overtime", _("加班施工")
        TEMPORARY_POWER = "temporary_power", _("临时用电")
        FLAMMABLE = "flammable", _("易燃材料进场")
        CONCEALED_WORK = "concealed_work", _("隐蔽工程验收")
        PAINT = "paint", _("油漆作业")
        FREIGHT_LIFT = "freight_lift", _("货梯预约")
        GOODS_EXIT = "goods_exit", _("物品出门条")
        TOOLS = "tools", _("每日工具登记")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        REGISTERED = "registered", _("已登记")

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="applications")
    number = models.CharField(_("编号"), max_length=30, unique=True)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    details = models.TextField(_("内容（物品、部位、用电量等）"))
    starts_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    scope = Scope(
        project="permit__project", unit="permit__unit", contractor_user="permit__contractor__user"
    )

    class Meta:
        verbose_name = _("装修其他申请")
        verbose_name_plural = _("装修其他申请")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"


class Inspection(models.Model):
    """二装巡视 (DEC-07, DEC-10): one visit to the site and what was found."""

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="inspections")
    at = models.DateTimeField(_("巡视时间"), default=timezone.now)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("巡视人"),
    )
    extinguishers_found = models.PositiveIntegerField(_("现场灭火器（具）"))
    passes_worn = models.BooleanField(_("施工人员佩证"), default=True)
    findings = models.TextField(_("巡视情况"), blank=True)
    violation = models.BooleanField(_("发现违规"), default=False)

    scope = Scope(
        project="permit__project", unit="permit__unit", contractor_user="permit__contractor__user"
    )

    class Meta:
        verbose_name = _("装修巡视记录")
        verbose_name_plural = _("装修巡视记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.permit.number} {self.at:%Y-%m-%d}"


class InspectionPhoto(models.Model):
    """A photo of an inspection (validated by content, served as an attachment)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("文件"), upload_to=inspection_photo_path)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    scope = Scope(
        project="inspection__permit__project",
        unit="inspection__permit__unit",
        contractor_user="inspection__permit__contractor__user",
    )

    class Meta:
        verbose_name = _("巡视照片")
        verbose_name_plural = _("巡视照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class RectificationNotice(models.Model):
    """整改通知单 (DEC-10): what to correct and by when; tracked until verified."""

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        OVERDUE = "overdue", _("逾期未整改")
        RECTIFIED = "rectified", _("已整改")

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="notices")
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    number = models.CharField(_("通知单号"), max_length=30, unique=True)
    items = models.TextField(_("整改事项"))
    due_at = models.DateTimeField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("开单时间"), default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(_("复查时间"), null=True, blank=True)
    verification_note = models.TextField(_("复查意见"), blank=True)

    scope = Scope(
        project="permit__project", unit="permit__unit", contractor_user="permit__contractor__user"
    )

    class Meta:
        verbose_name = _("整改通知单")
        verbose_name_plural = _("整改通知单")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"], name="dec_notice_status_due")]

    def __str__(self) -> str:
        return self.number


class ConstructionNotice(models.Model):
    """DEC-13: a notice to other owners of work affecting them, approved before issue."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待审核")
        APPROVED = "approved", _("已审核，待发布")
        ISSUED = "issued", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理项目")
    )
    permit = models.ForeignKey(
        Permit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="construction_notices",
        verbose_name=_("相关装修"),
    )
    building = models.ForeignKey(
        "core.Building",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("通知楼栋"),
        help_text=_("留空则通知全体业主。"),
    )
    number = models.CharField(_("通告编号"), max_length=30, unique=True)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("通告内容"))
    work_starts_on = models.DateField(_("施工开始日期"))
    work_ends_on = models.DateField(_("施工结束日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("通知人数"), default=0)

    scope = Scope(project="project")

    class Meta:
        verbose_name = _("施工通告")
        verbose_name_plural = _("施工通告")
        ordering = ["-drafted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(work_ends_on__gte=models.F("work_starts_on")),
                name="dec_notice_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"
