"""Admin of the appraisal (APR): the rules as data, the records read-only (STYLE §5).

- ``AppraisalSettings`` is a singleton holding every configurable number: the
  composite's shares and the checks' weights (APR-04), the 优秀员工 threshold and
  the bonus cap (APR-05), the retention period (APR-08) and the points the
  service data suggests (CMP-22). No add once it exists, no delete.
- Criteria sets (APR-01, APR-03) are versioned: only a DRAFT is edited; a
  published or retired version is read-only, so a finished record never
  changes. "复制为新版本" (``services.criteria_new_version``) starts a draft
  from any version; "发布" (``services.criteria_publish``) puts a draft in force
  after checking its points add up, showing what is wrong otherwise. Dimensions
  are edited inline on the set, their items on the dimension's page (Django's
  admin has no nested inlines).
- Rule interpretation belongs to the quality department (APR-07): only
  superusers and holders of the quality role may add, change or publish
  criteria; others may at most look.
- Assessments, deductions, penalties, suggestions and training results are
  read-only here (no add, change or delete): they are amended in the desk
  pages through ``appraisal.services``, which log every change (ORG-05). What
  each admin user sees follows ``services.visible_assessments`` /
  ``services.visible_staff`` (APR-07).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from appraisal import services
from appraisal.models import (
    AppraisalSettings,
    Assessment,
    CriteriaSet,
    Deduction,
    Dimension,
    Item,
    Penalty,
    Suggestion,
    TrainingResult,
)
from servicedesk.core.admin import ReadOnlyAdminMixin, SingletonAdmin
from servicedesk.core.scoping import viewer_for


def owns_criteria(request: HttpRequest) -> bool:
    """APR-07: rule interpretation belongs to the quality department (and superusers)."""
    viewer = viewer_for(request.user)
    return viewer.is_superuser or viewer.has_role(*services.CRITERIA_ROLES)


def _draft(criteria_set: CriteriaSet | None) -> bool:
    return criteria_set is None or criteria_set.status == CriteriaSet.Status.DRAFT


# --- Settings (APR-04, APR-05, APR-08, CMP-22) ----------------------------------------


SETTINGS_FIELDS = [
    "checks_percent",
    "monthly_percent",
    "year_end_percent",
    "weekly_weight",
    "monthly_check_weight",
    "spot_weight",
    "excellent_above",
    "bonus_max",
    "retention_years",
    "points_per_first_question_failure",
    "points_per_valid_complaint",
    "on_time_target_percent",
    "points_below_on_time_target",
]


class AppraisalSettingsForm(forms.ModelForm):
    class Meta:
        model = AppraisalSettings
        fields = SETTINGS_FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parts = [data.get(f) for f in ("checks_percent", "monthly_percent", "year_end_percent")]
        if all(p is not None for p in parts):
            if any(p < 0 for p in parts if p is not None):
                self.add_error(None, _("占比不能为负数。"))
            elif sum((p for p in parts if p is not None), Decimal(0)) != Decimal(100):
                self.add_error(
                    None,
                    _("周检/月检/抽检、月考核、年终考核三部分占比之和须为 100%。"),
                )
        weights = [data.get(f) for f in ("weekly_weight", "monthly_check_weight", "spot_weight")]
        if all(w is not None for w in weights):
            if any(w < 0 for w in weights if w is not None):
                self.add_error(None, _("权重不能为负数。"))
            elif not any(w for w in weights if w is not None):
                self.add_error(None, _("周检、月检、抽检的权重不能全为 0。"))
        bonus_max = data.get("bonus_max")
        # APR-05: a commendation adds 1–10 points; the record field holds at most 10.
        if bonus_max is not None and not Decimal(1) <= bonus_max <= Decimal(10):
            self.add_error("bonus_max", _("嘉奖加分上限应在 1 至 10 分之间。"))
        if data.get("retention_years") == 0:
            self.add_error("retention_years", _("记录至少保存 1 年。"))
        return data


@admin.register(AppraisalSettings)
class AppraisalSettingsAdmin(SingletonAdmin):
    form = AppraisalSettingsForm
    list_display = [
        "__str__",
        "checks_percent",
        "monthly_percent",
        "year_end_percent",
        "excellent_above",
        "bonus_max",
        "retention_years",
    ]
    fieldsets = [
        (
            _("年度综合得分（APR-04）"),
            {
                "fields": [
                    ("checks_percent", "monthly_percent", "year_end_percent"),
                    ("weekly_weight", "monthly_check_weight", "spot_weight"),
                ]
            },
        ),
        (_("嘉奖与优秀员工（APR-05）"), {"fields": ["excellent_above", "bonus_max"]}),
        (_("记录保存（APR-08）"), {"fields": ["retention_years"]}),
        (
            _("服务数据建议扣分（CMP-22）"),
            {
                "fields": [
                    "points_per_first_question_failure",
                    "points_per_valid_complaint",
                    ("on_time_target_percent", "points_below_on_time_target"),
                ]
            },
        ),
    ]


# --- Criteria (APR-01, APR-03, APR-07) -------------------------------------------------


class CriteriaPermissionMixin:
    """Quality (or a superuser) edits drafts; everyone with view permission looks.

    ``obj`` is the criteria set, or what belongs to it (``_criteria_set_of``).
    """

    def _criteria_set_of(self, obj: Any) -> CriteriaSet | None:
        return obj

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return owns_criteria(request) or super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return owns_criteria(request) or super().has_module_permission(request)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return owns_criteria(request) and _draft(self._criteria_set_of(obj))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A published or retired version is never edited: records point at it.
        return owns_criteria(request) and _draft(self._criteria_set_of(obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a draft nobody uses yet may be thrown away (assessments need a
        # published set); the first load of the admin's changelist passes None.
        return owns_criteria(request) and obj is not None and _draft(self._criteria_set_of(obj))


class DimensionInline(CriteriaPermissionMixin, admin.TabularInline):
    model = Dimension
    extra = 0
    fields = ["code", "max_points", "order", "item_summary"]
    readonly_fields = ["item_summary"]
    show_change_link = True  # items are edited on the dimension's page

    @admin.display(description=_("考核项目"))
    def item_summary(self, dimension: Dimension) -> str:
        if dimension.pk is None:
            return "—"
        return "、".join(f"{i.code} {i.name} {i.max_points}" for i in dimension.items.all())


class ItemInline(CriteriaPermissionMixin, admin.TabularInline):
    model = Item
    extra = 0
    fields = ["code", "name", "max_points", "standards", "order"]

    def _criteria_set_of(self, obj: Any) -> CriteriaSet | None:
        return obj.criteria_set if isinstance(obj, Dimension) else obj


@admin.register(CriteriaSet)
class CriteriaSetAdmin(CriteriaPermissionMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "staff_level",
        "test_type",
        "version",
        "status",
        "published_at",
        "published_by",
    ]
    list_filter = ["status", "staff_level", "test_type"]
    list_select_related = ["published_by"]
    search_fields = ["name"]
    fields = [
        "name",
        "staff_level",
        "test_type",
        "version",
        "status",
        "published_at",
        "published_by",
        "previous",
        "problems",
    ]
    inlines = [DimensionInline]
    actions = ["new_version", "publish"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Status moves only through the services (publish retires the old version).
        fixed = ["status", "published_at", "published_by", "previous", "problems"]
        if obj is not None and not _draft(obj):
            return [*fixed, "name", "staff_level", "test_type", "version"]
        return fixed

    @admin.display(description=_("分值检查"))
    def problems(self, obj: CriteriaSet) -> str:
        if obj.pk is None:
            return "—"
        found = services.criteria_problems(obj)
        if not found:
            return str(_("各项分值合计正确。"))
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((p,) for p in found))
        )

    def save_model(self, request: HttpRequest, obj: CriteriaSet, form: Any, change: bool) -> None:
        if not change:
            obj.status = CriteriaSet.Status.DRAFT  # published only through "发布"
        super().save_model(request, obj, form, change)

    @admin.action(description=_("复制为新版本"), permissions=["add"])
    def new_version(self, request: HttpRequest, queryset: QuerySet[CriteriaSet]) -> None:
        for criteria_set in queryset:
            try:
                draft = services.criteria_new_version(
                    criteria_set=criteria_set,
                    by=request.user,  # type: ignore[arg-type]
                )
            except PermissionDenied as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
            self.message_user(
                request,
                _("已由 %(old)s 复制出草稿 %(new)s，修改后请“发布”。")
                % {"old": criteria_set, "new": draft},
                messages.SUCCESS,
            )

    @admin.action(description=_("发布"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[CriteriaSet]) -> None:
        for criteria_set in queryset:
            try:
                services.criteria_publish(
                    criteria_set=criteria_set,
                    by=request.user,  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, f"{criteria_set}：{message}", messages.ERROR)
                continue
            except (services.InvalidTransition, PermissionDenied) as exc:
                self.message_user(request, f"{criteria_set}：{exc}", messages.ERROR)
                continue
            self.message_user(
                request,
                _("%(set)s 已发布，原版本已停用；已完成的考核记录不受影响。")
                % {"set": criteria_set},
                messages.SUCCESS,
            )


@admin.register(Dimension)
class DimensionAdmin(CriteriaPermissionMixin, admin.ModelAdmin):
    """A dimension's items (reached from its criteria set); read-only once published."""

    list_display = ["criteria_set", "code", "max_points", "order"]
    list_filter = ["criteria_set__status", "code"]
    list_select_related = ["criteria_set"]
    fields = ["criteria_set", "code", "max_points", "order"]
    readonly_fields = ["criteria_set"]
    inlines = [ItemInline]

    def _criteria_set_of(self, obj: Any) -> CriteriaSet | None:
        return obj.criteria_set if isinstance(obj, Dimension) else obj

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # dimensions are added on their criteria set's page

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False  # reached from the criteria set, not listed on the index


# --- Records: read-only (ORG-05) --------------------------------------------------------


class DeductionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Deduction
    extra = 0
    fields = readonly_fields = ("item", "points", "reason", "standard", "is_other", "suggestion")


class PenaltyInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Penalty
    extra = 0
    fields = readonly_fields = ("measure", "description", "recorded_by", "recorded_at")


ASSESSMENT_FIELDS = (
    "staff",
    "department",
    "kind",
    "period",
    "criteria_set",
    "assessor",
    "status",
    "de",
    "qin",
    "neng",
    "ji",
    "bonus",
    "bonus_reason",
    "total",
    "comment",
    "created_at",
    "finalised_at",
    "acknowledged_at",
    "staff_comment",
)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "staff",
        "department",
        "kind",
        "period",
        "de",
        "qin",
        "neng",
        "ji",
        "bonus",
        "total",
        "status",
        "assessor",
    ]
    list_filter = ["kind", "status", "department", "period"]
    list_select_related = ["staff", "department", "assessor"]
    search_fields = ["staff__name", "bonus_reason", "comment"]
    date_hierarchy = "period"
    fields = readonly_fields = ASSESSMENT_FIELDS
    inlines = [DeductionInline, PenaltyInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assessment]:
        # APR-07: the same rule as the desk pages, the API and the PDFs.
        ids = services.visible_assessments(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=ids)


@admin.register(Deduction)
class DeductionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["assessment", "item", "points", "reason", "standard", "is_other"]
    list_filter = ["is_other", "item__dimension__code", "assessment__kind"]
    list_select_related = ["assessment__staff", "item"]
    search_fields = ["reason", "standard", "assessment__staff__name"]
    fields = readonly_fields = ("assessment", "item", "points", "reason", "standard", "is_other")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deduction]:
        visible = services.visible_assessments(request.user).values("pk")
        return super().get_queryset(request).filter(assessment__in=visible)


@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["assessment", "measure", "description", "recorded_by", "recorded_at"]
    list_filter = ["measure"]
    list_select_related = ["assessment__staff", "recorded_by"]
    search_fields = ["description", "assessment__staff__name"]
    fields = readonly_fields = (
        "assessment",
        "measure",
        "description",
        "recorded_by",
        "recorded_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Penalty]:
        visible = services.visible_assessments(request.user).values("pk")
        return super().get_queryset(request).filter(assessment__in=visible)


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["staff", "month", "source", "item_code", "points", "status", "decided_by"]
    list_filter = ["status", "source", "month"]
    list_select_related = ["staff", "decided_by"]
    search_fields = ["staff__name", "reason"]
    fields = readonly_fields = (
        "staff",
        "month",
        "source",
        "item_code",
        "points",
        "reason",
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
        "assessment",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Suggestion]:
        visible = services.visible_staff(request.user).values("pk")
        return super().get_queryset(request).filter(staff__in=visible)


@admin.register(TrainingResult)
class TrainingResultAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["staff", "stage", "test_type", "score", "passed", "taken_on", "examiner"]
    list_filter = ["stage", "test_type", "passed"]
    list_select_related = ["staff", "examiner"]
    search_fields = ["staff__name", "note"]
    fields = readonly_fields = (
        "staff",
        "stage",
        "test_type",
        "score",
        "passed",
        "taken_on",
        "examiner",
        "note",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[TrainingResult]:
        visible = services.visible_staff(request.user).values("pk")
        return super().get_queryset(request).filter(staff__in=visible)
