"""Projects, buildings, units, residents and staff (ORG-01..03), and the event log (ORG-05)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from servicedesk.core.scoping import Scope


class Project(models.Model):
    """A managed project (管理项目/管理处). Every record belongs to one (ORG-01)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    company = models.CharField(_("物业公司"), max_length=100, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("客服电话"), max_length=40, blank=True)

    scope = Scope(project="pk")

    class Meta:
        verbose_name = _("管理项目")
        verbose_name_plural = _("管理项目")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("管理项目")
    )
    name = models.CharField(_("楼栋"), max_length=50, help_text=_("如“1栋”或“A座”。"))
    code = models.CharField(_("楼栋号"), max_length=16, help_text=_("房号前缀，如 1-101 中的“1”。"))

    scope = Scope(project="project")

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["project", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="building_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project.name} {self.name}"


class Unit(models.Model):
    """A unit (房号), e.g. 1-101. Its label is unique within a project."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="units", verbose_name=_("楼栋")
    )
    # Denormalised from building.project: every scoped query filters on it.
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="units", verbose_name=_("管理项目")
    )
    number = models.CharField(_("房号"), max_length=32, help_text=_("完整房号，如 1-101。"))
    area_m2 = models.DecimalField(
        _("建筑面积（m²）"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    scope = Scope(project="project", unit="pk")

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="unit_number_unique"),
        ]
        indexes = [
            # The desk looks units up by room number (front-desk intake, key board).
            models.Index(fields=["number"], name="unit_number_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.building_id and not self.project_id:
            self.project_id = self.building.project_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.building_id and self.project_id and self.building.project_id != self.project_id:
            raise ValidationError({"building": _("楼栋不属于所选管理项目。")})


class Resident(models.Model):
    """An owner (业主) or tenant (租户) of a unit (ORG-02, 《客户资料登记表》)."""

    class Kind(models.TextChoices):
        OWNER = "owner", _("业主")
        TENANT = "tenant", _("租户")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="residents", verbose_name=_("房号")
    )
    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices, default=Kind.OWNER)
    phone = PhoneNumberField(_("电话"), region="CN")
    id_number_last4 = models.CharField(
        _("证件号后四位"), max_length=4, blank=True, help_text=_("仅存后四位，用于核对身份。")
    )
    move_in_date = models.DateField(_("入住日期"), null=True, blank=True)
    workplace = models.CharField(_("工作单位"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="residencies",
        verbose_name=_("业主门户账号"),
    )
    is_active = models.BooleanField(_("在住"), default=True)

    scope = Scope(project="unit__project", unit="unit")

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = _("住户")
        ordering = ["unit", "kind", "name"]
        indexes = [
            # Intake looks callers up by phone number.
            models.Index(fields=["phone"], name="resident_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.name}"


class EmergencyContact(models.Model):
    """《业户紧急联系表》: who to call when the resident cannot be reached (KEY-07)."""

    resident = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        related_name="emergency_contacts",
        verbose_name=_("住户"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("关系"), max_length=20, blank=True)
    phone = PhoneNumberField(_("电话"), region="CN")

    scope = Scope(project="resident__unit__project", unit="resident__unit")

    class Meta:
        verbose_name = _("紧急联系人")
        verbose_name_plural = _("紧急联系人")
        ordering = ["resident", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.relation}）" if self.relation else self.name


class Role(models.TextChoices):
    """Roles of ORG-03. A person may hold several."""

    FRONT_DESK = "front_desk", _("前台/物业助理")
    SUPERVISOR = "supervisor", _("客服主管")
    MANAGER = "manager", _("客服经理")
    DUTY_MANAGER = "duty_manager", _("物业总值")
    ENGINEER = "engineer", _("工程部")
    QUALITY = "quality", _("品质部")
    GENERAL_MANAGER = "general_manager", _("总经理")
    RESIDENT = "resident", _("业主/住户")
    CONTRACTOR = "contractor", _("装修单位")
    ADMINISTRATOR = "administrator", _("系统管理员")


# Roles that see every project's data (ORG-01 exception: the company level).
COMPANY_WIDE_ROLES = frozenset({Role.GENERAL_MANAGER, Role.ADMINISTRATOR})
STAFF_ROLES = frozenset(set(Role) - {Role.RESIDENT, Role.CONTRACTOR})


class Department(models.Model):
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("部门"), max_length=50)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """A staff member: roles (ORG-03) and the projects they work on (ORG-01)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("账号"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    employee_no = models.CharField(_("工号"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("部门"),
    )
    position = models.CharField(_("职位"), max_length=50, blank=True)
    phone = PhoneNumberField(_("电话"), region="CN", blank=True)
    projects = models.ManyToManyField(
        Project, related_name="staff", blank=True, verbose_name=_("所属管理项目")
    )

    scope = Scope(project="projects", many=True)

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def role_codes(self) -> set[str]:
        """The person's roles; prefetch ``role_assignments`` when listing many."""
        return {a.role for a in self.role_assignments.all()}

    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in sorted(self.role_codes)]


class StaffRole(models.Model):
    """One role held by a staff member (ORG-03: a person may hold several)."""

    staff = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            models.UniqueConstraint(fields=["staff", "role"], name="staff_role_unique"),
        ]
        indexes = [
            # Notifications look up "the managers of project P".
            models.Index(fields=["role", "staff"], name="staffrole_role_idx"),
        ]

    def __str__(self) -> str:
        return str(self.get_role_display())


class AppendOnlyError(PermissionError):
    """An attempt to change or delete a row of an append-only table (ORG-05)."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model._meta.db_table} is append-only: never updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model._meta.db_table} is append-only: never deleted")


class AppendOnlyModel(models.Model):
    """Rows are only ever added; a mistake is corrected by a further row (ORG-05).

    Saving an existing row, deleting one and a queryset's ``update``/``delete`` raise
    ``AppendOnlyError``; on PostgreSQL a trigger refuses raw UPDATE and DELETE too
    (``servicedesk.core.migration_ops.append_only``).
    """

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{self._meta.db_table} is append-only: never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self._meta.db_table} is append-only: never deleted")


class Event(AppendOnlyModel):
    """The append-only event log (ORG-05): who, when, from what, to what, why.

    Every module records its state changes and amendments here through
    ``servicedesk.core.events.record_event``. Rows are never updated or deleted:
    the model refuses it and, on PostgreSQL, so does a trigger.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("管理项目"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
        help_text=_("空表示系统（定时检查）。"),
    )
    action = models.CharField(_("动作"), max_length=50)
    from_state = models.CharField(_("原状态"), max_length=50, blank=True)
    to_state = models.CharField(_("新状态"), max_length=50, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)

    scope = Scope(project="project", unit="unit")

    class Meta:
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作记录")
        ordering = ["at", "id"]
        indexes = [
            # A record's timeline (every detail page).
            models.Index(fields=["content_type", "object_id", "at"], name="event_subject_idx"),
            # A unit's history across modules (the customer file page).
            models.Index(fields=["unit", "-at"], name="event_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class Sequence(models.Model):
    """Counters behind record numbers (TS-2025-000123) and form serials."""

    key = models.CharField(max_length=50, unique=True)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"


class RateCounter(models.Model):
    """Fixed-window hit counters behind the abuse limits (servicedesk.security.ratelimit).

    Written only by ``ratelimit.hit``'s single upsert, so concurrent hits on one
    key serialise on the (key, window_start) row and cannot overshoot the limit.
    """

    # e.g. "login:user-ip:<sha256>", "portal-file:<user id>"; never a password.
    key = models.CharField(max_length=100)
    window_start = models.DateTimeField()
    # When the window ends; the purge check deletes rows past it.
    expires_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)  # hits in the window

    class Meta:
        verbose_name = _("限流计数")
        verbose_name_plural = _("限流计数")
        constraints = [
            # The upsert's conflict target: one row per key and window.
            models.UniqueConstraint(fields=["key", "window_start"], name="ratecounter_key_window")
        ]
        # For the purge check security.purge_rate_counters.
        indexes = [models.Index(fields=["expires_at"], name="ratecounter_expires")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M}: {self.count}"
