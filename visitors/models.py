"""Visitor registration (VIS): visits, consent, slips, amendments, reveals, blacklist."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.scoping import Scope


class VisitorSettings(models.Model):
    """Rules of the visitor desk (config), one row."""

    # VIS-07: days after the visit before the ID number and its hash are purged
    retention_days = models.PositiveIntegerField(_("证件号保留天数"), default=180)

    class Meta:
        verbose_name = _("访客登记设置")
        verbose_name_plural = _("访客登记设置")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> VisitorSettings:
        return cls.objects.first() or cls.objects.create()


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAU_PERMIT = "hk_macau_permit", _("港澳通行证")
    OTHER = "other", _("其他证件")


class Visit(models.Model):
    """One visit: who came, whom they visit, the host's answer, in and out (VIS-01..05)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待被访人同意")
        REFUSED = "refused", _("被访人拒绝")
        INSIDE = "inside", _("在访")
        LEFT = "left", _("已离开")

    class ConsentMethod(models.TextChoices):
        PHONE = "phone", _("电话")
        INTERCOM = "intercom", _("可视对讲")
        IN_PERSON = "in_person", _("当面确认")
        PRE_REGISTERED = "pre_registered", _("业主预约")

    project = models.ForeignKey(
        "core.Project", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理项目")
    )
    slip_number = models.CharField(_("登记单号"), max_length=30, unique=True)
    visitor_name = models.CharField(_("访客姓名"), max_length=50)
    id_type = models.CharField(_("证件类型"), max_length=20, choices=IdType.choices)
    # VIS-07: the number only encrypted, a keyed hash to recognise it, a mask to show.
    id_number_encrypted = models.TextField(blank=True)
    id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField(_("证件号码"), max_length=40)
    id_purged_at = models.DateTimeField(_("证件号清除时间"), null=True, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    people_count = models.PositiveSmallIntegerField(_("人数"), default=1)
    vehicle_plate = models.CharField(_("车牌"), max_length=12, blank=True)
    # VIS-02: whom they visit — a unit and resident, or a company person.
    host_unit = models.ForeignKey(
        "core.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("被访房号"),
    )
    host_resident = models.ForeignKey(
        "core.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("被访住户"),
    )
    host_name = models.CharField(_("被访人"), max_length=50, blank=True)
    host_department = models.CharField(_("被访部门"), max_length=50, blank=True)
    host_position = models.CharField(_("职务"), max_length=50, blank=True)
    purpose = models.CharField(_("来访事由"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    consent_method = models.CharField(
        _("联系方式"), max_length=20, choices=ConsentMethod.choices, blank=True
    )
    consent_note = models.CharField(_("被访人答复"), max_length=200, blank=True)
    consent_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    # VIS-05: at night the duty manager registers, or the registration is theirs.
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    entered_at = models.DateTimeField(_("进入时间"), null=True, blank=True)
    left_at = models.DateTimeField(_("离开时间"), null=True, blank=True)
    host_signed = models.BooleanField(_("被访人已签字"), default=False)
    # VIS-04: set by the end-of-day check for visitors still inside.
    flagged_inside_at = models.DateTimeField(_("未离开标记时间"), null=True, blank=True)
    pre_registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("预约住户"),
    )

    scope = Scope(project="project", unit="host_unit")

    class Meta:
        verbose_name = _("访客登记")
        verbose_name_plural = _("访客登记")
        ordering = ["-registered_at", "-id"]
        indexes = [
            # "Visitors inside now" and today's log at the desk.
            models.Index(fields=["project", "status", "-registered_at"], name="visit_desk_idx"),
            # Today's log and the daily 《访客登记表》: a project's visits of one day.
            models.Index(fields=["project", "-registered_at"], name="visit_day_log_idx"),
            # The retention purge: visits whose number is still stored.
            models.Index(
                fields=["registered_at"],
                name="visit_purge_idx",
                condition=models.Q(id_purged_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.slip_number


class PreRegistration(models.Model):
    """A guest announced by a resident in the portal: consent given in advance (VIS-03)."""

    project = models.ForeignKey("core.Project", on_delete=models.PROTECT, related_name="+")
    host_unit = models.ForeignKey("core.Unit", on_delete=models.PROTECT, related_name="+")
    host_resident = models.ForeignKey("core.Resident", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    guest_name = models.CharField(_("访客姓名"), max_length=50)
    expected_on = models.DateField(_("预计来访日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    used_by = models.OneToOneField(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="pre_registration"
    )
    created_at = models.DateTimeField(default=timezone.now)

    scope = Scope(project="project", unit="host_unit")

    class Meta:
        verbose_name = _("访客预约")
        verbose_name_plural = _("访客预约")
        ordering = ["-expected_on", "-id"]

    def __str__(self) -> str:
        return f"{self.guest_name} {self.expected_on}"


class Amendment(models.Model):
    """A correction appended to a visit; the original stays visible (VIS-06)."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="amendments")
    field = models.CharField(_("栏目"), max_length=40)
    old_value = models.CharField(_("原内容"), max_length=200)
    new_value = models.CharField(_("更正为"), max_length=200)
    reason = models.CharField(_("更正原因"), max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    scope = Scope(project="visit__project")

    class Meta:
        verbose_name = _("登记更正")
        verbose_name_plural = _("登记更正")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"


class IdReveal(models.Model):
    """Who saw a full ID number, when and why (VIS-07)."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="reveals")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("查看原因"), max_length=200)

    scope = Scope(project="visit__project")

    class Meta:
        verbose_name = _("证件号查看记录")
        verbose_name_plural = _("证件号查看记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.at:%Y-%m-%d %H:%M}"


class BlacklistEntry(models.Model):
    """A document refused entry, checked at registration by its keyed hash (VIS-07)."""

    project = models.ForeignKey("core.Project", on_delete=models.PROTECT, related_name="+")
    id_type = models.CharField(_("证件类型"), max_length=20, choices=IdType.choices)
    id_hash = models.CharField(max_length=64, db_index=True)
    id_number_masked = models.CharField(_("证件号码"), max_length=40)
    name = models.CharField(_("姓名"), max_length=50)
    reason = models.CharField(_("原因"), max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(_("有效"), default=True)

    scope = Scope(project="project")

    class Meta:
        verbose_name = _("访客黑名单")
        verbose_name_plural = _("访客黑名单")
        ordering = ["-added_at"]

    def __str__(self) -> str:
        return f"{self.name} {self.id_number_masked}"
