"""The working-day calendar as data: hours, overrides, imported notices (CAL-02, CAL-03, CAL-06)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.workcal.calendar import (
    DEFAULT_NIGHT_END,
    DEFAULT_NIGHT_START,
    DEFAULT_WORK_END,
    DEFAULT_WORK_START,
)

SETTINGS_PK = 1


class CalendarSettings(models.Model):
    """The singleton of admin-editable calendar settings (CAL-03, CAL-06).

    Always read through ``CalendarSettings.load()``; the code never hard-codes
    these times elsewhere.
    """

    work_start = models.TimeField(
        _("上班时间"), default=DEFAULT_WORK_START, help_text=_("工作时间开始（CAL-03）。")
    )
    work_end = models.TimeField(
        _("下班时间"),
        default=DEFAULT_WORK_END,
        help_text=_("工作时间结束；“N 个工作日内”截止于第 N 个工作日的此时刻（CAL-04）。"),
    )
    night_start = models.TimeField(
        _("夜间值班开始"),
        default=DEFAULT_NIGHT_START,
        help_text=_("此时刻起由物业总值负责（CAL-06）。"),
    )
    night_end = models.TimeField(
        _("夜间值班结束"),
        default=DEFAULT_NIGHT_END,
        help_text=_("次日此时刻起恢复白班（CAL-06）；可跨越午夜。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历设置")
        verbose_name_plural = _("日历设置")
        constraints = [
            # A singleton: the one row is pk=1.
            models.CheckConstraint(
                condition=models.Q(pk=SETTINGS_PK), name="workcal_settings_singleton"
            ),
            models.CheckConstraint(
                condition=models.Q(work_end__gt=models.F("work_start")),
                name="workcal_work_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return str(_("日历设置"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = SETTINGS_PK
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if (
            self.work_start is not None
            and self.work_end is not None
            and self.work_end <= self.work_start
        ):
            errors["work_end"] = _("下班时间必须晚于上班时间。")
        if self.night_start is not None and self.night_start == self.night_end:
            errors["night_end"] = _("夜间值班的开始与结束不能相同。")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def load(cls) -> CalendarSettings:
        """Return the settings row, creating it with the defaults on first use."""
        obj, _created = cls.objects.get_or_create(pk=SETTINGS_PK)
        return obj

    @classmethod
    def current(cls) -> CalendarSettings:
        """Return the settings row, or unsaved defaults: one query, never a write.

        For readers (every request computes deadlines); the admin uses load().
        """
        return cls.objects.filter(pk=SETTINGS_PK).first() or cls(pk=SETTINGS_PK)


class CalendarDay(models.Model):
    """One date marked working or non-working; beats the holiday library (CAL-02)."""

    class Source(models.TextChoices):
        OVERRIDE = "override", _("手工调整")
        NOTICE = "notice", _("国务院通知导入")

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"), help_text=_("勾选为上班，不勾选为休息。"))
    note = models.CharField(
        _("说明"), max_length=100, blank=True, help_text=_("如“国庆节”“调休上班”。")
    )
    source = models.CharField(
        _("来源"), max_length=10, choices=Source.choices, default=Source.OVERRIDE
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = _("上班") if self.is_workday else _("休息")
        return f"{self.date:%Y-%m-%d} {kind}"


class LoadedYear(models.Model):
    """A year whose holidays were imported from the State Council's notice (CAL-02).

    Deadlines reaching into it are authoritative, not provisional.
    """

    year = models.PositiveSmallIntegerField(
        _("年份"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2200)]
    )
    loaded_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("导入人"),
    )
    note = models.CharField(
        _("说明"), max_length=200, blank=True, help_text=_("如通知文号“国办发明电〔2026〕X号”。")
    )
    # Set once every recompute hook ran for this year; NULL means the sweep
    # ("workcal.recompute_loaded_years") retries the hooks.
    recomputed_at = models.DateTimeField(_("临时时限重算时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("已导入年份")
        verbose_name_plural = _("已导入年份")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}"
