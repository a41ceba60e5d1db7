"""Forms of the appraisal pages.

Each form validates the request and the view calls one service with its
``cleaned_data``. A service ``ValidationError`` is put back on the form field
of the same name (``apply_service_error``), so the page names the field and
keeps what was typed. The forms check what they can (a number, a choice, an
item's maximum) for an early, precise message; the services stay the authority.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.models import (
    Assessment,
    AssessmentContent,
    Item,
    Kind,
    Penalty,
    TrainingResult,
)
from servicedesk.core.models import Department, StaffProfile

# The standard select's value for APR-02's "其它" line (a case the standards do not list).
OTHER = "__other__"
PERIOD_RE = re.compile(r"^\s*(\d{4})(?:[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?)?\s*$")
MONTH_RE = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})月?\s*$")


def apply_service_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the fields it names (or on the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def parse_period(raw: str) -> date:
    """Return the date of "2026-03" (the 1st), "2026-03-15" or "2026" (1 January)."""
    match = PERIOD_RE.match(raw or "")
    if not match:
        raise ValueError(raw)
    year, month, day = (int(g) if g else None for g in match.groups())
    if year is None or not 2000 <= year <= 2999:
        raise ValueError(raw)
    return date(year, month or 1, day or 1)


def parse_month(raw: str) -> date:
    """Return the 1st of the month of "2026-03"."""
    match = MONTH_RE.match(raw or "")
    if not match:
        raise ValueError(raw)
    year = int(match.group(1))
    if not 2000 <= year <= 2999:
        raise ValueError(raw)
    return date(year, int(match.group(2)), 1)


class PeriodField(forms.Field):
    """A period typed as 年-月, 年-月-日 or 年份; cleans to a ``date``."""

    widget = forms.TextInput(attrs={"maxlength": "12"})
    default_error_messages = {
        "invalid": _(
            "考核期间格式应为 年-月（如 2026-03）、年-月-日（如 2026-03-16）或年份（如 2026）。"
        ),
    }

    def to_python(self, value: Any) -> date | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return parse_period(text)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class MonthField(forms.Field):
    """A month typed as 年-月 (``<input type="month">``); cleans to its 1st."""

    widget = forms.TextInput(attrs={"type": "month", "maxlength": "7"})
    default_error_messages = {"invalid": _("月份格式应为 年-月，如 2026-03。")}

    def to_python(self, value: Any) -> date | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return parse_month(text)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value: Any) -> Any:
        return value.strftime("%Y-%m") if isinstance(value, date) else value


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        department = obj.department.name if obj.department_id else ""
        number = f" {obj.employee_no}" if obj.employee_no else ""
        return f"{obj.name}{number}（{department}）" if department else f"{obj.name}{number}"


# --- Starting a check or appraisal (APR-03) -------------------------------------


class NewAssessmentForm(forms.Form):
    staff = StaffChoiceField(
        label=_("被考核人"), queryset=StaffProfile.objects.none(), empty_label=_("请选择…")
    )
    kind = forms.ChoiceField(label=_("考核类型"), choices=Kind.choices, initial=Kind.MONTHLY)
    period = PeriodField(
        label=_("考核期间"),
        help_text=_("月考核、月检填月份（如 2026-03）；周检、抽检填日期；年终考核填年份。"),
        widget=forms.TextInput(
            attrs={"placeholder": "2026-03", "autocomplete": "off", "maxlength": "12"}
        ),
    )
    test_type = forms.ChoiceField(
        label=_("考核内容"), choices=AssessmentContent.choices, initial=AssessmentContent.SKILL
    )

    def __init__(
        self,
        *args: Any,
        staff: QuerySet[StaffProfile],
        kinds: Sequence[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
        kind = self.fields["kind"]
        kind.choices = [(k, label) for k, label in Kind.choices if k in kinds]  # type: ignore[attr-defined]
        if Kind.MONTHLY not in kinds and kinds:
            kind.initial = kinds[0]


# --- The entry form (APR-02, APR-05, APR-06) ------------------------------------


class EntryForm(forms.Form):
    """The assessment's bonus, its reason and the assessor's comment."""

    bonus = forms.DecimalField(
        label=_("嘉奖加分"),
        required=False,
        min_value=Decimal(0),
        max_digits=5,
        decimal_places=2,
        help_text=_("行政奖励嘉奖加 1～10 分（APR-05），无则填 0。"),
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "inputmode": "decimal"}),
    )
    bonus_reason = forms.CharField(label=_("嘉奖事由"), max_length=200, required=False)
    comment = forms.CharField(
        label=_("考核评语"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_bonus(self) -> Decimal:
        return self.cleaned_data.get("bonus") or Decimal(0)

    def clean(self) -> dict[str, Any]:
        # Said here too, so it shows together with the rows' errors; the limits of
        # the bonus itself are the service's (AppraisalSettings.bonus_max).
        data = super().clean() or {}
        if data.get("bonus") and not (data.get("bonus_reason") or "").strip():
            self.add_error("bonus_reason", _("嘉奖加分须注明依据的奖励事由。"))
        return data


def points_text(value: Decimal) -> str:
    """5.00 → "5", 7.50 → "7.5": points as a person writes them."""
    return format(value.normalize(), "f")


def item_choices(items: Sequence[Item]) -> list[tuple[str, Any]]:
    """The items as a select grouped by dimension: 德（20 分） → de1 思想道德（满分 5）."""
    groups: dict[str, list[tuple[str, str]]] = {}
    labels: dict[str, str] = {}
    for item in items:
        dim = item.dimension
        key = dim.code
        labels[key] = f"{dim.get_code_display()}（{points_text(dim.max_points)} 分）"
        groups.setdefault(key, []).append(
            (item.code, f"{item.code} {item.name}（满分 {points_text(item.max_points)}）")
        )
    return [("", _("选择项目…")), *((labels[k], rows) for k, rows in groups.items())]


class DeductionRowForm(forms.Form):
    """One deduction: the item, the points, the standard applied and the reason (APR-02)."""

    item = forms.ChoiceField(
        label=_("考核项目"), choices=(), error_messages={"required": _("请选择考核项目。")}
    )
    points = forms.DecimalField(
        label=_("扣分"),
        min_value=Decimal("0.01"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "inputmode": "decimal"}),
        error_messages={
            "required": _("请填写扣分。"),
            "invalid": _("扣分须为数字，如 2 或 1.5。"),
        },
    )
    standard = forms.CharField(label=_("依据标准"), max_length=300, required=False)
    reason = forms.CharField(
        label=_("扣分原因"), max_length=300, error_messages={"required": _("请填写扣分原因。")}
    )
    suggestion = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, items: Mapping[str, Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["item"].choices = item_choices(list(items.values()))  # type: ignore[attr-defined]
        for name in ("item", "points", "reason"):
            field = self.fields[name]
            field.widget.attrs.update({"data-field": name, "aria-label": str(field.label)})
        self.fields["reason"].widget.attrs.update(
            {"placeholder": _("事实：时间、事情"), "autocomplete": "off"}
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        item = self.items.get(data.get("item") or "")
        points = data.get("points")
        if item is not None and points is not None and points > item.max_points:
            self.add_error(
                "points",
                _("不能超过该项满分 %(max)s。") % {"max": points_text(item.max_points)},
            )
        standard = (data.get("standard") or "").strip()
        if not standard:
            self.add_error("standard", _("请选择依据的检查标准，标准未列明的请选“其它”。"))
        data["standard"] = standard
        data["is_other"] = standard == OTHER
        return data


class BaseDeductionFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, items: Mapping[str, Item], **kwargs: Any) -> None:
        self.items = items
        kwargs.setdefault("form_kwargs", {})["items"] = items
        super().__init__(*args, **kwargs)

    def kept_forms(self) -> list[DeductionRowForm]:
        """The filled rows not marked for deletion, in screen order."""
        return [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


DeductionFormSet = cast(
    type[BaseDeductionFormSet],
    formset_factory(
        DeductionRowForm, formset=BaseDeductionFormSet, extra=1, can_delete=True, max_num=60
    ),
)


class PenaltyForm(forms.Form):
    """APR-06: the administrative penalty besides the points deducted."""

    measure = forms.ChoiceField(
        label=_("处罚"), choices=[("", _("请选择…")), *Penalty.Measure.choices]
    )
    description = forms.CharField(
        label=_("违规事实及后果"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class SuggestionDecisionForm(forms.Form):
    """Accept or reject one service-data suggestion, with the reason (CMP-22 → 绩)."""

    accept = forms.TypedChoiceField(
        choices=[("1", _("采纳")), ("0", _("不采纳"))],
        coerce=lambda v: v == "1",
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("理由"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("采纳或不采纳的理由")}),
    )


# --- The record page -------------------------------------------------------------


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(
        label=_("本人意见"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("可不填")}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("退回更正的原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- Dashboard, records and training filters ------------------------------------


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class DashboardFilterForm(forms.Form):
    department = DepartmentChoiceField(
        label=_("部门"), queryset=Department.objects.none(), required=False, empty_label=None
    )
    month = MonthField(label=_("月份"), required=False)
    # A large department's table is paged: this lists only the people still to appraise.
    pending = forms.BooleanField(label=_("未考核"), required=False)

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class RecordsFilterForm(forms.Form):
    staff = StaffChoiceField(
        label=_("员工"), queryset=StaffProfile.objects.none(), required=False, empty_label=_("全部")
    )
    department = DepartmentChoiceField(
        label=_("部门"), queryset=Department.objects.none(), required=False, empty_label=_("全部")
    )
    kind = forms.ChoiceField(
        label=_("类型"), choices=[("", _("全部")), *Kind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *Assessment.Status.choices], required=False
    )
    period_from = MonthField(label=_("期间自"), required=False)
    period_to = MonthField(label=_("至"), required=False)
    reason = forms.CharField(label=_("扣分原因含"), max_length=50, required=False)

    def __init__(
        self,
        *args: Any,
        staff: QuerySet[StaffProfile],
        departments: QuerySet[Department],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and start > end:
            self.add_error("period_to", _("结束月份不能早于开始月份。"))
        return data


class TrainingForm(forms.Form):
    """APR-09: one induction or on-post training assessment result."""

    staff = StaffChoiceField(
        label=_("员工"), queryset=StaffProfile.objects.none(), empty_label=_("请选择…")
    )
    stage = forms.ChoiceField(label=_("培训阶段"), choices=TrainingResult.Stage.choices)
    test_type = forms.ChoiceField(
        label=_("考核内容"), choices=AssessmentContent.choices, initial=AssessmentContent.THEORY
    )
    score = forms.DecimalField(
        label=_("成绩"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": "100"}),
    )
    passed = forms.TypedChoiceField(
        label=_("结果"),
        choices=[("1", _("合格")), ("0", _("不合格"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    taken_on = forms.DateField(
        label=_("考核日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("日期格式应为 年-月-日，如 2026-03-16。")},
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, staff: QuerySet[StaffProfile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
        self.fields["taken_on"].initial = timezone.localdate()
