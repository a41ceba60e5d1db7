"""Key custody (KEY): the register, entrustments, loans, copies, emergency use,
lock changes, incidents, duty handovers and the monthly report.

Every change goes through ``keys.services``; these models only hold state.
Records are amended by appending (loans, transfers, incidents, attempts are
never edited after the fact) and every transition is in the event log.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.scoping import Scope


class KeySettings(models.Model):
    """Rules of key custody (config), one row, edited in the admin."""

    # KEY-08: hours after a lock-core change within which the new key is sealed.
    seal_within_hours = models.PositiveIntegerField(_("新钥匙封存时限（小时）"), default=24)
    # KEY-04: while an overdue key stays out, the alert climbs one level this often
    # (duty manager → + customer-service manager → + general manager).
    overdue_escalate_every_hours = models.PositiveIntegerField(
        _("逾期未还升级间隔（小时）"), default=2
    )
    # KEY-07: an emergency use is reviewed by a manager the next working day.
    emergency_review_working_days = models.PositiveIntegerField(
        _("紧急动用复核时限（工作日）"), default=1
    )
    # KEY-02: days before an entrustment expires when the desk is reminded.
    entrustment_expiry_notice_days = models.PositiveIntegerField(
        _("委托到期提醒提前天数"), default=14
    )

    class Meta:
        verbose_name = _("钥匙管理设置")
        verbose_name_plural = _("钥匙管理设置")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> KeySettings:
        return cls.objects.first() or cls.objects.create()


class EntrustedUse(models.TextChoices):
    """What an owner allows their spare key to be used for (KEY-02)."""

    EMERGENCY = "emergency", _("紧急情况（火警、漏水等）")
    MAINTENANCE = "maintenance", _("维修")
    INSPECTION = "inspection", _("查验/抄表")
    CLEANING = "cleaning", _("清洁")
    VIEWING = "viewing", _("看房")
    DELIVERY = "delivery", _("代收物品")


class Entrustment(models.Model):
    """《业户钥匙委托书》: an owner leaves a spare key with the desk (KEY-02)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待业主确认")
        ACTIVE = "active", _("有效")
        EXPIRED = "expired", _("已到期")
        REVOKED = "revoked", _("已撤销")

    class Confirmation(models.TextChoices):
        PAPER = "paper", _("纸质委托书签字")
        PORTAL = "portal", _("业主网上确认")

    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理项目")
    )
    number = models.CharField(_("委托书编号"), max_length=30, unique=True)
    unit = models.ForeignKey(
        "core.Unit",
        on_delete=models.PROTECT,
        related_name="key_entrustments",
        verbose_name=_("房号"),
    )
    resident = models.ForeignKey(
        "core.Resident",
        on_delete=models.PROTECT,
        related_name="key_entrustments",
        verbose_name=_("委托人"),
    )
    allowed_uses = models.JSONField(_("允许用途"), default=list)
    valid_from = models.DateField(_("委托起始日"))
    valid_until = models.DateField(_("委托截止日"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    confirmation = models.CharField(
        _("确认方式"), max_length=10, choices=Confirmation.choices, blank=True
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("经办人"),
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    # Set once by the expiry check, so the desk is reminded once.
    expiry_notified_at = models.DateTimeField(null=True, blank=True)

    scope = Scope(project="project", unit="unit")

    class Meta:
        verbose_name = _("业户钥匙委托书")
        verbose_name_plural = _("业户钥匙委托书")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "valid_until"], name="entrust_status_until_idx")]

    def __str__(self) -> str:
        return self.number

    def allowed_use_labels(self) -> list[str]:
        return [str(EntrustedUse(u).label) for u in self.allowed_uses if u in EntrustedUse.values]


class Key(models.Model):
    """One physical key in the register (KEY-01)."""

    class Kind(models.TextChoices):
        OWNER_SPARE = "owner_spare", _("业户备用钥匙")
        PUBLIC_AREA = "public_area", _("公共区域钥匙")
        PLANT_ROOM = "plant_room", _("机房钥匙")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        AVAILABLE = "available", _("在柜")
        ON_LOAN = "on_loan", _("借出")
        AWAITING_SEAL = "awaiting_seal", _("待封存")
        SEALED = "sealed", _("已封存")
        LOST = "lost", _("遗失")
        RETIRED = "retired", _("已停用")
        RETURNED = "returned", _("已退还业主")

    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理项目")
    )
    tag = models.CharField(_("钥匙牌号"), max_length=30)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey(
        "core.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="keys",
        verbose_name=_("房号"),
    )
    opens = models.CharField(_("开启部位"), max_length=100)
    cabinet_position = models.CharField(_("钥匙柜位置"), max_length=30, blank=True)
    custodian_department = models.ForeignKey(
        "core.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("保管部门"),
    )
    custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("保管人"),
    )
    status = models.CharField(
        _("状态"), max_length=15, choices=Status.choices, default=Status.AVAILABLE
    )
    entrustment = models.ForeignKey(
        Entrustment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="keys",
        verbose_name=_("委托书"),
    )
    # KEY-06: a copy points at the key it was cut from and the approval behind it.
    copy_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("复制自"),
    )
    copy_request = models.ForeignKey(
        "CopyRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("配制申请"),
    )
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    scope = Scope(project="project", unit="unit")

    class Meta:
        verbose_name = _("钥匙")
        verbose_name_plural = _("钥匙")
        ordering = ["project", "tag"]
        constraints = [
            models.UniqueConstraint(fields=["project", "tag"], name="key_tag_unique_in_project"),
            # KEY-02: an owner's spare key is never held without an entrustment.
            models.CheckConstraint(
                condition=~Q(kind="owner_spare") | Q(entrustment__isnull=False),
                name="key_owner_spare_has_entrustment",
            ),
        ]
        indexes = [models.Index(fields=["project", "status"], name="key_project_status_idx")]

    def __str__(self) -> str:
        return f"{self.tag} {self.opens}"


class CustodyTransfer(models.Model):
    """A key handed to another custodian (KEY-01), appended, never edited."""

    key = models.ForeignKey(Key, on_delete=models.PROTECT, related_name="custody_transfers")
    from_custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("原保管人"),
    )
    to_custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("接收人"),
    )
    from_department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, null=True, related_name="+"
    )
    to_department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = models.CharField(_("交接原因"), max_length=200)
    at = models.DateTimeField(_("交接时间"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("经办人"),
    )

    scope = Scope(project="key__project")

    class Meta:
        verbose_name = _("保管交接")
        verbose_name_plural = _("保管交接")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.key} → {self.to_custodian}"


class Loan(models.Model):
    """One line of 《借用钥匙登记表》 (KEY-03, KEY-04, KEY-05)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        CANCELLED = "cancelled", _("已取消")
        OUT = "out", _("借出中")
        RETURNED = "returned", _("已归还")

    class Condition(models.TextChoices):
        GOOD = "good", _("完好")
        DAMAGED = "damaged", _("损坏")
        LOST = "lost", _("遗失")

    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理项目")
    )
    number = models.CharField(_("登记号"), max_length=30, unique=True)
    key = models.ForeignKey(
        Key, on_delete=models.PROTECT, related_name="loans", verbose_name=_("钥匙")
    )
    borrower_name = models.CharField(_("借用人"), max_length=50)
    borrower_unit = models.CharField(_("借用人单位/部门"), max_length=50, blank=True)
    borrower_phone = models.CharField(_("借用人电话"), max_length=20, blank=True)
    purpose = models.CharField(_("借用事由"), max_length=200)
    # KEY-02: for an owner's spare key, the use must be one the owner allowed.
    use = models.CharField(
        _("用途类别"), max_length=15, choices=EntrustedUse.choices, default=EntrustedUse.MAINTENANCE
    )
    # KEY-04: only maintenance works may keep a key past the end of the day.
    maintenance = models.BooleanField(_("维修工程"), default=False)
    emergency = models.BooleanField(_("紧急动用"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("申请人"),
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    # KEY-04: the later return time asked for maintenance works (approved with the loan).
    requested_due_at = models.DateTimeField(_("申请归还时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("批准人"),
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)
    out_at = models.DateTimeField(_("借出时间"), null=True, blank=True)
    out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发放人"),
    )
    due_at = models.DateTimeField(_("应还时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("归还时间"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("接收人"),
    )
    return_condition = models.CharField(
        _("归还状况"), max_length=10, choices=Condition.choices, blank=True
    )
    return_note = models.CharField(_("归还备注"), max_length=200, blank=True)
    # KEY-04: 0 = not overdue; 1 duty manager alerted; 2 + manager; 3 + general manager.
    overdue_level = models.PositiveSmallIntegerField(_("逾期升级级别"), default=0)
    overdue_since = models.DateTimeField(_("逾期标记时间"), null=True, blank=True)

    scope = Scope(project="project", unit="key__unit")

    class Meta:
        verbose_name = _("钥匙借用")
        verbose_name_plural = _("借用钥匙登记表")
        ordering = ["-requested_at"]
        constraints = [
            # KEY-05: one live loan per key, even under concurrent requests.
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(status__in=["requested", "approved", "out"]),
                name="loan_one_live_per_key",
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="out"), name="loan_out_due_idx"),
            models.Index(fields=["project", "requested_at"], name="loan_project_requested_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def is_overdue(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OUT and self.due_at is not None and self.due_at < now


class CopyRequest(models.Model):
    """A request to cut copies of a key, approved before any copy exists (KEY-06)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        MADE = "made", _("已配制登记")

    key = models.ForeignKey(Key, on_delete=models.PROTECT, related_name="copy_requests")
    count = models.PositiveSmallIntegerField(_("配制数量"), default=1)
    reason = models.CharField(_("配制原因"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("申请人"),
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    scope = Scope(project="key__project", unit="key__unit")

    class Meta:
        verbose_name = _("钥匙配制申请")
        verbose_name_plural = _("钥匙配制申请")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.key.tag} ×{self.count}"


class EmergencyUse(models.Model):
    """Break-glass use of an owner's spare key (KEY-07), reviewed afterwards."""

    class Kind(models.TextChoices):
        FIRE = "fire", _("火警")
        WATER_LEAK = "water_leak", _("跑水/漏水")
        GAS = "gas", _("燃气泄漏")
        OTHER = "other", _("其他紧急情况")

    class Status(models.TextChoices):
        OPEN = "open", _("处置中")
        CLOSED = "closed", _("已处置待复核")
        REVIEWED = "reviewed", _("已复核")

    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理项目")
    )
    number = models.CharField(_("编号"), max_length=30, unique=True)
    key = models.ForeignKey(Key, on_delete=models.PROTECT, related_name="emergency_uses")
    loan = models.OneToOneField(
        Loan, on_delete=models.PROTECT, related_name="emergency_use", verbose_name=_("借用记录")
    )
    kind = models.CharField(_("紧急类型"), max_length=15, choices=Kind.choices)
    reason = models.CharField(_("情况说明"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # KEY-08: a sealed key taken in an emergency goes back under seal afterwards.
    key_was_sealed = models.BooleanField(_("动用前已封存"), default=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("动用人"),
    )
    opened_at = models.DateTimeField(_("动用时间"), default=timezone.now)
    # Two people present at the entry (KEY-07): the opener and a witness.
    witness_name = models.CharField(_("在场人"), max_length=50, blank=True)
    second_witness_name = models.CharField(_("其他在场人"), max_length=50, blank=True)
    entered_at = models.DateTimeField(_("进入时间"), null=True, blank=True)
    exited_at = models.DateTimeField(_("离开时间"), null=True, blank=True)
    outcome = models.TextField(_("处置结果"), blank=True)
    closed_at = models.DateTimeField(_("处置完毕时间"), null=True, blank=True)
    owner_notified_at = models.DateTimeField(_("事后告知业主时间"), null=True, blank=True)
    review_due_at = models.DateTimeField(_("复核期限"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("复核人"),
    )
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    review_note = models.CharField(_("复核意见"), max_length=300, blank=True)
    review_reminded_at = models.DateTimeField(null=True, blank=True)

    scope = Scope(project="project", unit="key__unit")

    class Meta:
        verbose_name = _("紧急动用钥匙")
        verbose_name_plural = _("紧急动用钥匙")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.number


class ContactAttempt(models.Model):
    """One try to reach the owner, tenant or emergency contact before entry (KEY-07)."""

    class Whom(models.TextChoices):
        OWNER = "owner", _("业主")
        TENANT = "tenant", _("租户")
        EMERGENCY_CONTACT = "emergency_contact", _("紧急联系人")

    class Method(models.TextChoices):
        PHONE = "phone", _("电话")
        SMS = "sms", _("短信")
        VISIT = "visit", _("上门")

    class Result(models.TextChoices):
        REACHED = "reached", _("已联系上")
        NO_ANSWER = "no_answer", _("无人接听/联系不上")

    emergency = models.ForeignKey(EmergencyUse, on_delete=models.CASCADE, related_name="attempts")
    whom = models.CharField(_("联系对象"), max_length=20, choices=Whom.choices)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    method = models.CharField(_("方式"), max_length=10, choices=Method.choices)
    result = models.CharField(_("结果"), max_length=10, choices=Result.choices)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_whom_display()} {self.name} {self.get_result_display()}"


class LockChange(models.Model):
    """Engineering changed a lock core; the new key must be sealed in time (KEY-08)."""

    class Status(models.TextChoices):
        AWAITING_SEAL = "awaiting_seal", _("待封存")
        SEALED = "sealed", _("已封存")

    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理项目")
    )
    number = models.CharField(_("编号"), max_length=30, unique=True)
    old_key = models.ForeignKey(
        Key,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("原钥匙"),
    )
    new_key = models.OneToOneField(
        Key, on_delete=models.PROTECT, related_name="lock_change", verbose_name=_("新钥匙")
    )
    location = models.CharField(_("锁具位置"), max_length=100)
    reason = models.CharField(_("更换原因"), max_length=200)
    changed_at = models.DateTimeField(_("更换时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    departments_told = models.ManyToManyField(
        "core.Department", blank=True, related_name="+", verbose_name=_("已通知部门")
    )
    status = models.CharField(
        _("状态"), max_length=15, choices=Status.choices, default=Status.AWAITING_SEAL
    )
    seal_due_at = models.DateTimeField(_("封存期限"))
    sealed_at = models.DateTimeField(_("封存时间"), null=True, blank=True)
    sealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("封存人"),
    )
    seal_number = models.CharField(_("封条编号"), max_length=30, blank=True)
    overdue_flagged_at = models.DateTimeField(_("超时标记时间"), null=True, blank=True)

    scope = Scope(project="project", unit="new_key__unit")

    class Meta:
        verbose_name = _("更换锁芯")
        verbose_name_plural = _("更换锁芯")
        ordering = ["-changed_at"]
        indexes = [
            models.Index(
                fields=["seal_due_at"],
                condition=Q(status="awaiting_seal"),
                name="lockchange_awaiting_idx",
            )
        ]

    def __str__(self) -> str:
        return self.number


class Incident(models.Model):
    """Damage, loss or recovery of a key recorded by its custodian (KEY-09)."""

    class Kind(models.TextChoices):
        DAMAGED = "damaged", _("损坏")
        LOST = "lost", _("遗失")
        FOUND = "found", _("找回")
        REPAIRED = "repaired", _("修复")

    key = models.ForeignKey(Key, on_delete=models.PROTECT, related_name="incidents")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=300)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )

    scope = Scope(project="key__project", unit="key__unit")

    class Meta:
        verbose_name = _("钥匙损坏/遗失登记")
        verbose_name_plural = _("钥匙损坏/遗失登记")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.key.tag} {self.get_kind_display()}"


class Handover(models.Model):
    """Duty handover of keys and held items, checked face to face (KEY-10).

    The outgoing person records and signs; the incoming person confirms on their
    own login. The lists are a snapshot taken at the handover.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待接班人确认")
        SIGNED = "signed", _("双方已签")

    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理项目")
    )
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("交班人"),
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("接班人"),
    )
    at = models.DateTimeField(_("交班时间"), default=timezone.now)
    keys_out = models.JSONField(_("借出未还钥匙"), default=list)
    keys_sealed = models.JSONField(_("封存钥匙"), default=list)
    other_items = models.TextField(_("其他物品"), blank=True)
    discrepancies = models.TextField(_("差异说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    signed_at = models.DateTimeField(_("接班确认时间"), null=True, blank=True)
    taker_note = models.CharField(_("接班人意见"), max_length=300, blank=True)

    scope = Scope(project="project")

    class Meta:
        verbose_name = _("钥匙交接班")
        verbose_name_plural = _("钥匙交接班")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.handed_by} → {self.taken_by}"


class MonthlyReport(models.Model):
    """The month's key use, overdue, damage and loss, reviewed by the supervisor (KEY-09)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待主管审核")
        REVIEWED = "reviewed", _("主管已审核")

    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理项目")
    )
    month = models.DateField(_("月份"))  # the first day of the month
    figures = models.JSONField(_("统计"), default=dict)
    note = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("报送人"),
    )
    submitted_at = models.DateTimeField(_("报送时间"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    scope = Scope(project="project")

    class Meta:
        verbose_name = _("钥匙月报")
        verbose_name_plural = _("钥匙月报")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="key_report_one_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.month:%Y-%m}"
