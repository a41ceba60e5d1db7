"""Forms of decoration management: they shape and type the request,
``decoration.services`` checks the rules and writes (DEC-01..13).

A service's ``ValidationError`` lands on the field it names
(``keys.forms.apply_service_error``), so the desk, the owner and the contractor
see the same message whichever entry point refused. Amounts are typed as text
and parsed by the service (``rules.parse_amount``): a typo is shown on its
field, never rounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from decoration.models import (
    Application,
    Drawing,
    HotWorkPermit,
    Permit,
    WorkerPass,
)
from keys.forms import DATETIME_LOCAL, _date_field, _datetime_field, _textarea, apply_service_error
from servicedesk.core.models import Building, Project, Unit

__all__ = ["DATETIME_LOCAL", "apply_service_error"]

APPROVE, REJECT = "approve", "reject"
DECISIONS = ((APPROVE, _("批准")), (REJECT, _("驳回")))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (drawings, inspection photos)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _amount(label: Any, **kw: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kw,
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


# --- Board (desk) -------------------------------------------------------------------


class BoardFilterForm(forms.Form):
    q = forms.CharField(
        label=_("房号/申请编号/装修单位"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("房号如 1-101，或 ZX 编号、装修单位"),
            }
        ),
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *Permit.Status.choices]
    )
    building = forms.ModelChoiceField(
        label=_("楼栋"), required=False, queryset=Building.objects.none(), empty_label=_("全部楼栋")
    )

    def __init__(self, *args: Any, buildings: QuerySet[Building], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings  # type: ignore[attr-defined]


# --- Filing (DEC-01..03) --------------------------------------------------------------


class _PermitFields(forms.Form):
    contractor_name = forms.CharField(label=_("装修单位"), max_length=100, required=False)
    contractor_licence = forms.CharField(
        label=_("营业执照/资质证书编号"), max_length=50, required=False
    )
    contractor_qualification = forms.CharField(label=_("资质等级"), max_length=50, required=False)
    contractor_phone = forms.CharField(label=_("装修单位电话"), max_length=40, required=False)
    contract_signed = forms.BooleanField(
        label=_("业主已与装修单位签署装饰工程委托合同（DEC-03）"), required=False
    )
    contract_no = forms.CharField(label=_("装修合同编号"), max_length=50, required=False)
    site_leader_name = forms.CharField(label=_("施工负责人"), max_length=50, required=False)
    site_leader_phone = forms.CharField(label=_("施工负责人电话"), max_length=40, required=False)
    area_m2 = _amount(_("装修面积（㎡）"), required=False)
    planned_start = _date_field(_("计划开工日期"), required=False)
    items = forms.CharField(
        label=_("装修项目（每行一项）"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("墙面翻新\n水电改造")}),
    )
    description = forms.CharField(
        label=_("施工说明"), required=False, max_length=2000, widget=_textarea(2)
    )

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "contractor_name": d["contractor_name"],
            "contractor_licence": d["contractor_licence"],
            "contractor_qualification": d["contractor_qualification"],
            "contractor_phone": d["contractor_phone"],
            "contract_signed": d["contract_signed"],
            "contract_no": d["contract_no"],
            "site_leader_name": d["site_leader_name"],
            "site_leader_phone": d["site_leader_phone"],
            "area_m2": d["area_m2"],
            "planned_start": d["planned_start"],
            "items": _lines(d["items"]),
            "description": d["description"],
        }


class PermitForm(_PermitFields):
    """《装修施工申请表》 at the desk: the owner signed the paper form (DEC-02)."""

    project = forms.ModelChoiceField(
        label=_("管理项目"), queryset=Project.objects.none(), required=False
    )
    room = forms.CharField(
        label=_("房号"),
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": _("如 1-101"), "autocomplete": "off"}),
    )
    owner_name = forms.CharField(
        label=_("业主姓名"),
        max_length=50,
        required=False,
        help_text=_("留空则取该房屋登记的业主。"),
    )
    owner_phone = forms.CharField(label=_("业主电话"), max_length=40, required=False)
    owner_signed = forms.BooleanField(label=_("业主已在纸质申请表上签名（DEC-02）"), required=False)

    field_order = ["project", "room", "owner_name", "owner_phone"]

    def __init__(self, *args: Any, projects: QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        if len(projects[:2]) == 1:
            self.fields["project"].widget = forms.HiddenInput()

    def clean_project(self) -> Project | None:
        project = self.cleaned_data.get("project")
        if project is not None:
            return project
        projects = list(self.fields["project"].queryset[:2])  # type: ignore[attr-defined]
        if len(projects) == 1:
            return projects[0]
        raise forms.ValidationError(_("请选择管理项目。"))


class PortalPermitForm(_PermitFields):
    """The owner's own online filing (DEC-02)."""

    unit = forms.ModelChoiceField(label=_("房号"), queryset=Unit.objects.none(), empty_label=None)

    field_order = ["unit"]

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


# --- Permit actions -------------------------------------------------------------------


class TargetForm(forms.Form):
    """An action on one record of the permit (a pass, a fine, a request…)."""

    target = forms.IntegerField(widget=forms.HiddenInput(), min_value=1)


class DecideForm(TargetForm):
    decision = forms.ChoiceField(
        label=_("审批"), choices=DECISIONS, widget=forms.RadioSelect, initial=APPROVE
    )
    note = forms.CharField(label=_("审批意见"), required=False, max_length=500)


class DrawingsForm(forms.Form):
    plan = MultipleFileField(label=Drawing.Kind.PLAN.label)
    water_electric = MultipleFileField(label=Drawing.Kind.WATER_ELECTRIC.label)
    alteration = MultipleFileField(label=Drawing.Kind.ALTERATION.label)
    other = MultipleFileField(label=Drawing.Kind.OTHER.label)
    paper = forms.MultipleChoiceField(
        label=_("收到纸质图纸"),
        required=False,
        choices=Drawing.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "上传 PDF/JPEG/PNG，或勾选前台收到的纸质图纸；都不填则视为收到平面图和水电图纸质版。"
        ),
    )

    def uploads(self) -> list[tuple[str, Any]]:
        return [
            (kind, upload)
            for kind in Drawing.Kind.values
            for upload in self.cleaned_data.get(kind) or []
        ]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审图结论"),
        choices=((APPROVE, _("审核通过")), (REJECT, _("审核不通过"))),
        widget=forms.RadioSelect,
        initial=APPROVE,
    )
    structure_ok = forms.BooleanField(label=_("不破坏主体结构/承重墙"), required=False)
    water_electric_ok = forms.BooleanField(label=_("水电线路符合规范"), required=False)
    waterproofing_ok = forms.BooleanField(label=_("防水处理符合要求"), required=False)
    comments = forms.CharField(
        label=_("审图意见"), required=False, max_length=2000, widget=_textarea(2)
    )


class DepositForm(forms.Form):
    amount = _amount(_("押金金额（元）"))
    receipt_no = forms.CharField(label=_("押金收据号"), max_length=40, required=False)


class IssueForm(forms.Form):
    start_date = _date_field(_("开工日期"), required=False)


class ExtensionForm(forms.Form):
    new_end_date = _date_field(_("申请延至"), required=False)
    reason = forms.CharField(label=_("延期原因"), required=False, max_length=1000)


class ChangeForm(forms.Form):
    items = forms.CharField(
        label=_("变更后装修项目（每行一项）"),
        required=False,
        max_length=5000,
        widget=_textarea(3),
    )
    reason = forms.CharField(label=_("变更说明"), required=False, max_length=1000)


class PassForm(forms.Form):
    worker_name = forms.CharField(label=_("施工人员姓名"), max_length=50, required=False)
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    signed_by = forms.ChoiceField(
        label=_("签名人身份"), choices=WorkerPass.Signer.choices, initial="site_leader"
    )
    signer_name = forms.CharField(label=_("签名人"), max_length=50, required=False)
    receipt_no = forms.CharField(label=_("收据号"), max_length=40, required=False)
    photo = forms.FileField(label=_("照片"), required=False)


class NoteTargetForm(TargetForm):
    note = forms.CharField(label=_("备注"), required=False, max_length=500)


class HotWorkForm(forms.Form):
    work_kind = forms.ChoiceField(label=_("动火类别"), choices=HotWorkPermit.WorkKind.choices)
    location = forms.CharField(label=_("动火部位"), max_length=100, required=False)
    starts_at = _datetime_field(_("动火开始"), required=False)
    ends_at = _datetime_field(_("动火结束"), required=False)
    welder_name = forms.CharField(label=_("操作人"), max_length=50, required=False)
    welder_certificate_no = forms.CharField(
        label=_("特种作业操作证号"), max_length=50, required=False
    )
    welder_certificate_valid_until = _date_field(_("证书有效期至"), required=False)
    guardian_name = forms.CharField(label=_("监护人"), max_length=50, required=False)
    extinguishers_ready = forms.BooleanField(label=_("现场已配灭火器"), required=False)
    combustibles_cleared = forms.BooleanField(label=_("周边易燃物已清理"), required=False)


class ApplicationForm(forms.Form):
    kind = forms.ChoiceField(label=_("申请类别"), choices=Application.Kind.choices)
    details = forms.CharField(
        label=_("内容（物品、部位、用电量等）"),
        required=False,
        max_length=2000,
        widget=_textarea(2),
    )
    starts_at = _datetime_field(_("开始时间"), required=False)
    ends_at = _datetime_field(_("结束时间"), required=False)


class InspectionForm(forms.Form):
    extinguishers_found = forms.IntegerField(
        label=_("现场灭火器（具）"), required=False, min_value=0
    )
    passes_worn = forms.BooleanField(label=_("施工人员佩证"), required=False, initial=True)
    violation = forms.BooleanField(label=_("发现违规"), required=False)
    findings = forms.CharField(
        label=_("巡视情况"), required=False, max_length=2000, widget=_textarea(2)
    )
    photos = MultipleFileField(label=_("照片"))


class RectificationForm(forms.Form):
    items = forms.CharField(
        label=_("整改事项"), required=False, max_length=2000, widget=_textarea(2)
    )
    due_at = _datetime_field(_("整改期限"), required=False)
    inspection = forms.TypedChoiceField(
        label=_("巡视记录"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, inspections: Sequence[tuple[int, str]] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["inspection"].choices = [("", "—"), *inspections]  # type: ignore[attr-defined]


class FineForm(forms.Form):
    amount = _amount(_("罚款金额（元）"))
    reason = forms.CharField(label=_("违规事实"), required=False, max_length=1000)
    notice = forms.TypedChoiceField(
        label=_("整改通知单"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, notices: Sequence[tuple[int, str]] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["notice"].choices = [("", "—"), *notices]  # type: ignore[attr-defined]


class FinePayForm(TargetForm):
    receipt_no = forms.CharField(label=_("收据号"), max_length=40, required=False)


class DeductionForm(forms.Form):
    amount = _amount(_("扣款金额（元）"))
    reason = forms.CharField(label=_("扣款原因"), required=False, max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), required=False, max_length=1000)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("备注"), required=False, max_length=500)


class CompletionForm(forms.Form):
    lost_passes = forms.TypedMultipleChoiceField(
        label=_("遗失的出入证（保证金不予退还）"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, passes: Sequence[tuple[int, str]] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["lost_passes"].choices = list(passes)  # type: ignore[attr-defined]


class AcceptanceForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("验收结论"),
        choices=(("pass", _("验收合格")), ("fail", _("验收不合格"))),
        widget=forms.RadioSelect,
        initial="pass",
    )
    no_illegal_alterations = forms.BooleanField(label=_("无违规加建、改建"), required=False)
    debris_cleared = forms.BooleanField(label=_("装修垃圾已清运"), required=False)
    note = forms.CharField(
        label=_("验收意见"), required=False, max_length=1000, widget=_textarea(2)
    )


class RefundForm(forms.Form):
    receipt_no = forms.CharField(label=_("押金收据号"), max_length=40, required=False)


# --- Construction notices (DEC-13) -----------------------------------------------------


class ConstructionNoticeForm(forms.Form):
    project = forms.ModelChoiceField(
        label=_("管理项目"), queryset=Project.objects.none(), required=False
    )
    building = forms.ModelChoiceField(
        label=_("通知楼栋"),
        queryset=Building.objects.none(),
        required=False,
        empty_label=_("全体业主"),
    )
    permit_number = forms.CharField(label=_("相关装修申请编号"), max_length=30, required=False)
    title = forms.CharField(label=_("标题"), max_length=100, required=False)
    body = forms.CharField(
        label=_("通告内容"), required=False, max_length=5000, widget=_textarea(5)
    )
    work_starts_on = _date_field(_("施工开始日期"), required=False)
    work_ends_on = _date_field(_("施工结束日期"), required=False)

    def __init__(
        self,
        *args: Any,
        projects: QuerySet[Project],
        buildings: QuerySet[Building],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["building"].queryset = buildings  # type: ignore[attr-defined]
        if len(projects[:2]) == 1:
            self.fields["project"].widget = forms.HiddenInput()

    def clean_project(self) -> Project | None:
        project = self.cleaned_data.get("project")
        if project is not None:
            return project
        projects = list(self.fields["project"].queryset[:2])  # type: ignore[attr-defined]
        if len(projects) == 1:
            return projects[0]
        raise forms.ValidationError(_("请选择管理项目。"))


class ConstructionNoticeFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from decoration.models import ConstructionNotice

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", _("全部状态")),
            *ConstructionNotice.Status.choices,
        ]
