"""Forms of the complaint desk and the owner portal.

Each form validates the request and the view calls one service with its
``cleaned_data``. A service ``ValidationError`` is put back on the form field
of the same name, so the page names the field and keeps what was typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import rules
from complaints.models import (
    Callback,
    Category,
    Channel,
    Clock,
    Complaint,
    FirstQuestionFailure,
    StandardAnswer,
    UrgencyLevel,
)
from complaints.uploads import ACCEPT, MAX_PHOTO_BYTES, MAX_PHOTOS_PER_RECORD, photos_check
from complaints.uploads import FIELD as PHOTOS
from servicedesk.core.models import Department, Project, Unit

DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
DATETIME_INVALID = _("时间无效，请按 年-月-日 时:分 填写，如 2025-10-01 09:30。")


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def datetime_field(label: str | Any, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=LocalDateTimeInput(),
        error_messages={"invalid": DATETIME_INVALID},
    )


def apply_service_error(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the fields it names (or on the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class MultipleFileInput(forms.ClearableFileInput):
    """A file input that lets the user pick several files (Django docs, "Uploading
    multiple files")."""

    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to six photos; each is checked by its content (``uploads.photos_check``).

    ``cleaned_data`` is a list, empty when nothing was picked. Browsers never
    re-fill a file input, so a page shown again with errors asks for the photos
    again (``_field.html``).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("照片"))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _("JPEG、PNG 或 WebP，每张不超过 %(mb)s MB，每条记录最多 %(n)s 张。")
            % {"mb": MAX_PHOTO_BYTES // (1024 * 1024), "n": MAX_PHOTOS_PER_RECORD},
        )
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={
                    "accept": ACCEPT,
                    "data-max-bytes": MAX_PHOTO_BYTES,
                    "data-max-files": MAX_PHOTOS_PER_RECORD,
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files: Sequence[Any] = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            super().clean(None, initial)  # "required" when the field is
            return []
        single_file_clean = super().clean
        cleaned = [single_file_clean(f, initial) for f in files]
        try:
            photos_check(cleaned)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict[PHOTOS]) from exc
        return cleaned


class UrgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.minutes} 分钟内联系）"


# --- Front-desk intake -------------------------------------------------------


class IntakeForm(forms.Form):
    """《客户反映问题记录单》 at the desk (CMP-03, CMP-18)."""

    project = forms.ModelChoiceField(
        label=_("管理项目"), queryset=Project.objects.none(), required=False
    )
    unit = forms.ModelChoiceField(
        label=_("房号"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("房号无效，请重新查找并选择。")},
    )
    reporter_name = forms.CharField(label=_("反映人"), max_length=50)
    reporter_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    kind = forms.ChoiceField(
        label=_("类型"), choices=Complaint.Kind.choices, initial=Complaint.Kind.COMPLAINT
    )
    channel = forms.ModelChoiceField(
        label=_("渠道"), queryset=Channel.objects.all(), empty_label=None
    )
    category = forms.ModelChoiceField(
        label=_("类别"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
        empty_label=_("（待查明）"),
    )
    severity = forms.ChoiceField(
        label=_("性质"), choices=Complaint.Severity.choices, initial=Complaint.Severity.GENERAL
    )
    urgency = UrgencyChoiceField(
        label=_("紧急程度"), queryset=UrgencyLevel.objects.all(), empty_label=None
    )
    hot = forms.BooleanField(label=_("热点投诉"), required=False)
    incident = forms.BooleanField(label=_("一类突发事件"), required=False)
    description = forms.CharField(
        label=_("反映内容"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    location = forms.CharField(label=_("具体位置"), max_length=200, required=False)
    expectation = forms.CharField(label=_("客户期望"), max_length=200, required=False)
    received_at = datetime_field(_("受理时间"))
    standard_answer = forms.ModelChoiceField(
        label=_("统一答复"),
        queryset=StandardAnswer.objects.filter(is_active=True),
        required=False,
        widget=forms.RadioSelect,
    )
    photos = PhotosField()

    def __init__(self, *args: Any, projects: QuerySet[Project], units: QuerySet[Unit], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["received_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        urgency = self.fields["urgency"]
        default = UrgencyLevel.objects.filter(minutes=30).first()
        if default is not None:
            urgency.initial = default.pk
        channel = Channel.objects.filter(code="phone").first()
        if channel is not None:
            self.fields["channel"].initial = channel.pk
        self.fields["reporter_name"].widget.attrs.update(autocomplete="off")
        self.fields["description"].widget.attrs.update(placeholder=_("客户原话：时间、事情、诉求"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit = data.get("unit")
        if unit is not None:
            data["project"] = unit.project
        elif not data.get("project"):
            projects = list(self.fields["project"].queryset[:2])  # type: ignore[attr-defined]
            if len(projects) == 1:
                data["project"] = projects[0]
            elif "project" not in self.errors:
                self.add_error("project", _("没有房号时，请选择管理项目。"))
        return data


class StandardAnswerPick(forms.Form):
    """The one-click consultation answer (CMP-15): a standard answer is required."""

    standard_answer = forms.ModelChoiceField(
        queryset=StandardAnswer.objects.filter(is_active=True),
        error_messages={"required": _("请先选择一条统一答复。")},
    )


# --- Actions on the detail page ---------------------------------------------


class ContactForm(forms.Form):
    note = forms.CharField(label=_("联系情况"), max_length=500, required=False)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    standard_answer = forms.ModelChoiceField(
        label=_("统一答复"),
        queryset=StandardAnswer.objects.filter(is_active=True),
        required=False,
        empty_label=_("（不使用）"),
    )
    promised_at = datetime_field(_("承诺回复时间"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = (data.get("text") or "").strip()
        answer = data.get("standard_answer")
        if not text and answer is not None:
            text = answer.text  # CMP-15: the unified answer, word for word
        if not text:
            self.add_error("text", _("请填写答复内容，或选择一条统一答复。"))
        data["text"] = text
        return data


class RectifyForm(forms.Form):
    note = forms.CharField(label=_("整改结果"), widget=forms.Textarea(attrs={"rows": 2}))
    needs_callback = forms.BooleanField(label=_("需回访"), required=False, initial=True)


class ExtendForm(forms.Form):
    clock = forms.ChoiceField(
        label=_("时限"),
        choices=[
            (Clock.Kind.RECTIFY, Clock.Kind.RECTIFY.label),
            (Clock.Kind.REPLY, Clock.Kind.REPLY.label),
            (Clock.Kind.PROMISED_REPLY, Clock.Kind.PROMISED_REPLY.label),
            (Clock.Kind.CALLBACK, Clock.Kind.CALLBACK.label),
        ],
        initial=Clock.Kind.RECTIFY,
    )
    new_due_at = datetime_field(_("新时限"))
    reason = forms.CharField(label=_("延期原因"), max_length=500)
    agreed_by = forms.CharField(label=_("客户同意人"), max_length=50, required=False)


class CallbackForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("回访结果"), choices=Callback.Outcome.choices, initial=Callback.Outcome.REACHED
    )
    result = forms.ChoiceField(
        label=_("满意度"), choices=[("", "—"), *Callback.Result.choices], required=False
    )
    confirmation = forms.ChoiceField(
        label=_("客户确认"), choices=Callback.Confirmation.choices, required=False
    )
    note = forms.CharField(label=_("回访内容"), max_length=1000, required=False)


class MergeForm(forms.Form):
    into = forms.CharField(label=_("合并至编号"), max_length=30)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class UnmergeForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=200)


class RecategoriseForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("最终类别"), queryset=Category.objects.filter(is_active=True)
    )
    reason = forms.CharField(label=_("更正原因"), max_length=200)


class MarkDoneForm(forms.Form):
    clock = forms.ChoiceField(
        label=_("事项"),
        choices=[
            (Clock.Kind.HOT_REPORT, _("热点投诉已上报集团")),
            (Clock.Kind.ONSITE, _("负责经理已到场")),
        ],
    )
    note = forms.CharField(label=_("说明"), max_length=500)


class FailureForm(forms.Form):
    staff = forms.ModelChoiceField(label=_("责任员工"), queryset=User.objects.none())
    kind = forms.ChoiceField(label=_("失职类型"), choices=FirstQuestionFailure.Kind.choices)
    note = forms.CharField(label=_("说明"), max_length=500)

    def __init__(self, *args: Any, staff: QuerySet[User], **kw: Any) -> None:
        super().__init__(*args, **kw)
        field = self.fields["staff"]
        field.queryset = staff  # type: ignore[attr-defined]
        field.label_from_instance = lambda u: (  # type: ignore[attr-defined]
            getattr(getattr(u, "staff_profile", None), "name", "") or u.get_username()
        )


class PhotoAddForm(forms.Form):
    photos = PhotosField(label=_("选择照片"), required=True)


class SendToDepartmentForm(forms.Form):
    """CMP-20: the summarised survey opinion goes to the responsible department."""

    department = forms.ModelChoiceField(
        label=_("责任部门"), queryset=Department.objects.all(), empty_label=_("（请选择）")
    )
    summary = forms.CharField(
        label=_("意见汇总"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class OpinionPlanForm(forms.Form):
    """CMP-20: the department's written rectification plan."""

    plan = forms.CharField(
        label=_("书面整改方案"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class PaymentNoticeForm(forms.Form):
    """CMP-21: the fee of a paid special service, in yuan."""

    fee = forms.DecimalField(
        label=_("服务费（元）"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )


# --- Owner portal ------------------------------------------------------------


class PortalForm(forms.Form):
    """What an owner files online (CMP-01: channel online)."""

    unit = forms.ModelChoiceField(label=_("房号"), queryset=Unit.objects.none(), empty_label=None)
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[(k.value, k.label) for k in rules.RESIDENT_KINDS],
        initial=Complaint.Kind.REPORT,
    )
    category = forms.ModelChoiceField(
        label=_("类别"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
        empty_label=_("（不清楚）"),
    )
    description = forms.CharField(
        label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000
    )
    location = forms.CharField(label=_("具体位置"), max_length=200, required=False)
    expectation = forms.CharField(label=_("您的期望"), max_length=200, required=False)
    photos = PhotosField()

    def __init__(self, *args: Any, units: QuerySet[Unit], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class PortalCallbackForm(forms.Form):
    result = forms.ChoiceField(
        label=_("您对处理结果是否满意"),
        choices=Callback.Result.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择满意度。")},
    )
    note = forms.CharField(
        label=_("意见或建议"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


# --- Queue filters -----------------------------------------------------------


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部未结")), ("all", _("全部")), *Complaint.Status.choices],
    )
    overdue = forms.BooleanField(label=_("仅超时"), required=False)
    mine = forms.BooleanField(label=_("我受理的"), required=False)
    category = forms.ModelChoiceField(
        label=_("类别"), queryset=Category.objects.all(), required=False, empty_label=_("全部类别")
    )
    # A code to type, not a list to pick from: a large estate has hundreds of
    # buildings, and rendering them as <option>s dominated the page's cost.
    building = forms.CharField(
        label=_("楼栋号"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"placeholder": _("如 3"), "size": 4}),
    )
    date_from = forms.DateField(
        label=_("受理自"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=_("编号/房号"), required=False, max_length=30)
    before = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
