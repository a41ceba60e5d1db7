"""Admin for the working-day calendar: settings, overrides, loaded years (CAL-02, -03, -06)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from servicedesk.core.events import record_event
from servicedesk.workcal.forms import NoticeImportForm
from servicedesk.workcal.models import CalendarDay, CalendarSettings, LoadedYear
from servicedesk.workcal.services import NoticeInvalid, calendar_year_import

WEEKDAYS = "一二三四五六日"


def _actor(request: HttpRequest) -> AbstractBaseUser | None:
    """Return the logged-in user for the event log (ORG-05)."""
    user = request.user
    return user if isinstance(user, AbstractBaseUser) and user.is_authenticated else None


@admin.register(CalendarSettings)
class CalendarSettingsAdmin(admin.ModelAdmin):
    """The singleton: one change page, no add once it exists, no delete."""

    list_display = ["__str__", "work_start", "work_end", "night_start", "night_end", "updated_at"]
    fieldsets = [
        (_("工作时间（CAL-03）"), {"fields": ["work_start", "work_end"]}),
        (_("夜间值班（CAL-06）"), {"fields": ["night_start", "night_end"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not CalendarSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # There is only one row: go straight to it.
        obj = CalendarSettings.load()
        return redirect(reverse("admin:workcal_calendarsettings_change", args=[obj.pk]))

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        before = CalendarSettings.objects.filter(pk=obj.pk).first()
        super().save_model(request, obj, form, change)
        record_event(
            obj,
            action="calendar_settings_changed",
            actor=_actor(request),
            from_state=_times(before) if before else "",
            to_state=_times(obj),
        )


def _times(cfg: CalendarSettings) -> str:
    return (
        f"{cfg.work_start:%H:%M}-{cfg.work_end:%H:%M} "
        f"night {cfg.night_start:%H:%M}-{cfg.night_end:%H:%M}"
    )


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "is_workday", "note", "source", "updated_at"]
    list_filter = ["is_workday", "source"]
    date_hierarchy = "date"
    search_fields = ["note"]
    readonly_fields = ["source", "updated_at"]
    fields = ["date", "is_workday", "note", "source", "updated_at"]
    change_list_template = "admin/workcal/change_list_with_import.html"

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return f"周{WEEKDAYS[obj.date.weekday()]}"

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        before = CalendarDay.objects.filter(pk=obj.pk).first() if obj.pk else None
        # Any manual edit makes the row an override: it then survives a
        # re-import of that year's notice (CAL-02).
        obj.source = CalendarDay.Source.OVERRIDE
        super().save_model(request, obj, form, change)
        record_event(
            obj,
            action="calendar_day_changed" if before else "calendar_day_added",
            actor=_actor(request),
            from_state=str(before) if before else "",
            to_state=str(obj),
            reason=obj.note,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record_event(obj, action="calendar_day_removed", actor=_actor(request), from_state=str(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            record_event(
                obj, action="calendar_day_removed", actor=_actor(request), from_state=str(obj)
            )
        super().delete_queryset(request, queryset)


@admin.register(LoadedYear)
class LoadedYearAdmin(admin.ModelAdmin):
    list_display = ["year", "loaded_at", "loaded_by", "note", "recomputed_at"]
    readonly_fields = ["year", "loaded_at", "loaded_by", "recomputed_at"]
    fields = ["year", "note", "loaded_at", "loaded_by", "recomputed_at"]
    change_list_template = "admin/workcal/change_list_with_import.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Years are added by importing their notice, never as an empty row:
        # an empty LoadedYear would make a year "known" with no holidays.
        return False

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="workcal_loadedyear_import",
            ),
        ]
        return custom + super().get_urls()

    def _may_import(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(
            user.has_perm("workcal.add_calendarday") and user.has_perm("workcal.change_loadedyear")
        )

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Import a year from the State Council's notice (CAL-02): all lines or nothing."""
        if not self._may_import(request):
            raise PermissionDenied
        form = NoticeImportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = calendar_year_import(
                    year=form.cleaned_data["year"],
                    text=form.cleaned_data["text"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except NoticeInvalid as exc:
                for error in exc.errors:
                    form.add_error("text", str(error))
            else:
                loaded = LoadedYear.objects.get(year=result.year)
                self.log_addition(request, loaded, [{"added": {}}])
                self.message_user(
                    request,
                    _("已导入 %(year)s 年：%(days)s 天；重算临时时限 %(n)s 条。")
                    % {"year": result.year, "days": result.days, "n": result.recomputed},
                    messages.SUCCESS,
                )
                if result.kept_overrides:
                    self.message_user(
                        request,
                        _("以下日期保留了手工调整：%s") % "、".join(result.kept_overrides),
                        messages.WARNING,
                    )
                if result.recompute_failed:
                    self.message_user(
                        request,
                        _("部分模块重算失败，定时检查将自动重试：%s")
                        % "、".join(result.recompute_failed),
                        messages.ERROR,
                    )
                return HttpResponseRedirect(reverse("admin:workcal_loadedyear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入国务院放假通知"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/workcal/import_notice.html", context)
