"""Forms of the key desk: they shape and type the request, ``keys.services`` checks
the rules and writes (KEY-01..10). A service's ``ValidationError`` lands on the
field it names (``apply_service_error``), so the desk sees the same message
whichever entry point refused.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from keys.models import (
    ContactAttempt,
    EmergencyUse,
    EntrustedUse,
    Entrustment,
    Incident,
    Key,
    Loan,
    LockChange,
)
from servicedesk.core.models import Department, Project, Resident

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def apply_service_error(
    form: forms.Form, exc: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's ``ValidationError`` on the fields it names (or on the form).

    ``aliases`` maps a service's argument name to the form field that carries it
    (e.g. ``key`` → ``key_tag`` where the desk types the tag).
    """
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            name = aliases.get(field, field)
            target = name if name in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _datetime_field(label: Any, **kw: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        **kw,
    )


def _date_field(label: Any, **kw: Any) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kw
    )


def _textarea(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class StaffChoiceField(forms.ModelChoiceField):
    """A staff member by name (the user behind the profile)."""

    def label_from_instance(self, obj: Any) -> str:
        profile = getattr(obj, "staff_profile", None)
        return profile.name if profile is not None else obj.get_username()


class ProjectFormMixin:
    """``project`` may be left out when the user works on exactly one project."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def _set_projects(self, projects: QuerySet[Project]) -> None:
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]

    @property
    def one_project(self) -> bool:
        return len(self.fields["project"].queryset[:2]) == 1  # type: ignore[attr-defined]

    def _clean_project(self, form: forms.Form, data: dict[str, Any]) -> Project | None:
        if data.get("project"):
            return data["project"]
        projects = list(self.fields["project"].queryset[:2])  # type: ignore[attr-defined]
        if len(projects) == 1:
            data["project"] = projects[0]
            return projects[0]
        if "project" not in form.errors:
            form.add_error("project", _("请选择管理项目。"))
        return None


# --- Board and register (KEY-01) ---------------------------------------------------


class BoardFilterForm(forms.Form):
    q = forms.CharField(
        label=_("房号/牌号/部位"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autofocus": True,
                "autocomplete": "off",
                "placeholder": _("房号如 1-101，或牌号、部位"),
            }
        ),
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *Key.Status.choices]
    )
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)


class KeyRegisterForm(ProjectFormMixin, forms.Form):
    """A key of the register other than an owner's spare key (those come with an
    entrustment, KEY-02)."""

    project = forms.ModelChoiceField(
        label=_("管理项目"), queryset=Project.objects.none(), required=False
    )
    tag = forms.CharField(label=_("钥匙牌号"), max_length=30)
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[c for c in Key.Kind.choices if c[0] != Key.Kind.OWNER_SPARE],
        initial=Key.Kind.PUBLIC_AREA,
    )
    opens = forms.CharField(label=_("开启部位"), max_length=100)
    room = forms.CharField(
        label=_("房号"), max_length=32, required=False, help_text=_("单元钥匙填写，如 1-101。")
    )
    cabinet_position = forms.CharField(label=_("钥匙柜位置"), max_length=30, required=False)
    custodian_department = forms.ModelChoiceField(
        label=_("保管部门"), queryset=Department.objects.all(), required=False
    )
    custodian = StaffChoiceField(
        label=_("保管人"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("（本人）"),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(
        self, *args: Any, projects: QuerySet[Project], staff: QuerySet[User], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self._set_projects(projects)
        self.fields["custodian"].queryset = staff  # type: ignore[attr-defined]
        self.fields["tag"].widget.attrs.update(autofocus=True, autocomplete="off")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._clean_project(self, data)
        return data


class IncidentForm(forms.Form):
    """Damage, loss, recovery or repair of a key (KEY-09)."""

    kind = forms.ChoiceField(label=_("类型"), choices=Incident.Kind.choices)
    note = forms.CharField(label=_("说明"), max_length=300, widget=_textarea())


class CustodyTransferForm(forms.Form):
    """Hand the key to another custodian (KEY-01)."""

    to_custodian = StaffChoiceField(label=_("接收人"), queryset=User.objects.none())
    to_department = forms.ModelChoiceField(
        label=_("接收部门"),
        queryset=Department.objects.all(),
        required=False,
        empty_label=_("（不变）"),
    )
    reason = forms.CharField(label=_("交接原因"), max_length=200)

    def __init__(self, *args: Any, staff: QuerySet[User], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["to_custodian"].queryset = staff  # type: ignore[attr-defined]


class CopyRequestForm(forms.Form):
    """Ask for copies: nothing is cut before the approval (KEY-06)."""

    count = forms.IntegerField(label=_("配制数量"), min_value=1, max_value=10, initial=1)
    reason = forms.CharField(label=_("配制原因"), max_length=200)


class UnsealForm(forms.Form):
    reason = forms.CharField(label=_("启封原因"), max_length=200)


class EmergencyOpenForm(forms.Form):
    """Break-glass use of an owner's spare key (KEY-07)."""

    kind = forms.ChoiceField(label=_("紧急类型"), choices=EmergencyUse.Kind.choices)
    reason = forms.CharField(label=_("情况说明"), max_length=300, widget=_textarea())


# --- Loans (KEY-03..05) -------------------------------------------------------------


class LoanRequestForm(forms.Form):
    """One line of 《借用钥匙登记表》, before the approval (KEY-03)."""

    # The key picked on the board (``?key=``); the typed tag decides if they differ.
    key = forms.CharField(required=False, widget=forms.HiddenInput)
    key_tag = forms.CharField(label=_("钥匙牌号"), max_length=30)
    purpose = forms.CharField(label=_("借用事由"), max_length=200)
    use = forms.ChoiceField(
        label=_("用途类别"),
        choices=EntrustedUse.choices,
        initial=EntrustedUse.MAINTENANCE,
        help_text=_("业户钥匙限委托书允许的用途。"),
    )
    borrower_name = forms.CharField(
        label=_("借用人"), max_length=50, required=False, help_text=_("不填则为本人。")
    )
    borrower_unit = forms.CharField(label=_("借用人单位/部门"), max_length=50, required=False)
    borrower_phone = forms.CharField(label=_("借用人电话"), max_length=20, required=False)
    maintenance = forms.BooleanField(
        label=_("维修工程（可申请延后归还）"),
        required=False,
        widget=forms.CheckboxInput(attrs={"data-maintenance": ""}),
    )
    due_at = _datetime_field(
        _("申请归还时间"),
        required=False,
        help_text=_("仅维修工程填写；普通借用须当日归还（KEY-04）。"),
    )

    def __init__(self, *args: Any, keys: QuerySet[Key], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.keys = keys
        self.fields["key_tag"].widget.attrs.update(autocomplete="off", spellcheck="false")
        self.fields["borrower_phone"].widget.attrs.update(type="tel")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tag = (data.get("key_tag") or "").strip()
        raw = data.get("key") or ""
        data["key"] = None
        if not tag:
            return data
        picked = self.keys.filter(pk=int(raw)).first() if raw.isdigit() else None
        if picked is not None and picked.tag.lower() == tag.lower():
            data["key"] = picked
            return data
        matches = list(self.keys.filter(tag__iexact=tag)[:2])
        if not matches:
            self.add_error("key_tag", _("没有找到牌号为“%(tag)s”的钥匙。") % {"tag": tag})
        elif len(matches) > 1:
            self.add_error(
                "key_tag",
                _("多个管理项目都有牌号“%(tag)s”，请从钥匙看板进入该钥匙后申请。") % {"tag": tag},
            )
        else:
            data["key"] = matches[0]
        return data


class LoanFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *Loan.Status.choices]
    )
    date_from = _date_field(_("申请日期自"), required=False)
    date_to = _date_field(_("至"), required=False)
    q = forms.CharField(
        label=_("登记号/牌号/借用人"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    overdue = forms.BooleanField(label=_("逾期未还"), required=False)


class ApproveForm(forms.Form):
    note = forms.CharField(label=_("审批意见"), max_length=200, required=False)


class RejectForm(forms.Form):
    note = forms.CharField(label=_("驳回理由"), max_length=200)


class CheckoutForm(forms.Form):
    """Hand the key over; the due time follows KEY-04."""


class ReturnForm(forms.Form):
    condition = forms.ChoiceField(
        label=_("归还状况"),
        choices=Loan.Condition.choices,
        initial=Loan.Condition.GOOD,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("归还备注"), max_length=200, required=False, help_text=_("损坏或遗失须说明。")
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200, required=False)


# --- Entrustments (KEY-02) ----------------------------------------------------------


class ResidentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.unit.number} {obj.name}（{obj.get_kind_display()}）"


class EntrustmentForm(forms.Form):
    """《业户钥匙委托书》 and the spare key it covers (KEY-01, KEY-02)."""

    room = forms.CharField(
        label=_("房号"),
        max_length=32,
        help_text=_("输入房号后点“查找业主”。"),
    )
    resident = ResidentChoiceField(
        label=_("委托人（业主）"),
        queryset=Resident.objects.none(),
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("委托人无效，请重新查找房号并选择业主。")},
    )
    allowed_uses = forms.MultipleChoiceField(
        label=_("允许用途"),
        choices=EntrustedUse.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[EntrustedUse.EMERGENCY],
    )
    valid_from = _date_field(_("委托起始日"), required=False, help_text=_("不填为今天。"))
    valid_until = _date_field(_("委托截止日"))
    key_tag = forms.CharField(label=_("钥匙牌号"), max_length=30)
    opens = forms.CharField(
        label=_("开启部位"), max_length=100, required=False, help_text=_("不填为“房号 入户门”。")
    )
    cabinet_position = forms.CharField(label=_("钥匙柜位置"), max_length=30, required=False)
    paper_signed = forms.BooleanField(
        label=_("业主已在纸质委托书上签字（否则须业主在门户确认）"), required=False
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, residents: QuerySet[Resident], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["resident"].queryset = residents  # type: ignore[attr-defined]
        self.fields["room"].widget.attrs.update(autocomplete="off", autofocus=True)
        self.fields["key_tag"].widget.attrs.update(autocomplete="off")


class EntrustmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), *Entrustment.Status.choices],
    )
    q = forms.CharField(
        label=_("编号/房号/业主"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class ConfirmPaperForm(forms.Form):
    checked = forms.BooleanField(label=_("已核对业主在纸质委托书上的签字"))


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=200)


class PortalConfirmForm(forms.Form):
    agree = forms.BooleanField(label=_("我已阅读上述委托内容，同意物业按此保管和使用我的备用钥匙"))


# --- Emergency use (KEY-07) ---------------------------------------------------------


class ContactAttemptForm(forms.Form):
    whom = forms.ChoiceField(label=_("联系对象"), choices=ContactAttempt.Whom.choices)
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("电话"), max_length=20, required=False)
    method = forms.ChoiceField(
        label=_("方式"), choices=ContactAttempt.Method.choices, initial=ContactAttempt.Method.PHONE
    )
    result = forms.ChoiceField(
        label=_("结果"), choices=ContactAttempt.Result.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class EnterForm(forms.Form):
    witness_name = forms.CharField(label=_("在场人"), max_length=50)
    second_witness_name = forms.CharField(label=_("其他在场人"), max_length=50, required=False)
    entered_at = _datetime_field(_("进入时间"), required=False, help_text=_("不填为现在。"))


class CloseForm(forms.Form):
    outcome = forms.CharField(label=_("处置结果"), widget=_textarea(3))
    exited_at = _datetime_field(_("离开时间"), required=False, help_text=_("不填为现在。"))


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("复核意见"), max_length=300, widget=_textarea())


# --- Lock changes (KEY-08) ----------------------------------------------------------


class LockChangeForm(ProjectFormMixin, forms.Form):
    project = forms.ModelChoiceField(
        label=_("管理项目"), queryset=Project.objects.none(), required=False
    )
    location = forms.CharField(label=_("锁具位置"), max_length=100)
    reason = forms.CharField(label=_("更换原因"), max_length=200)
    old_key_tag = forms.CharField(
        label=_("原钥匙牌号"),
        max_length=30,
        required=False,
        help_text=_("原钥匙将停用；不填为新装锁具。"),
    )
    new_tag = forms.CharField(label=_("新钥匙牌号"), max_length=30)
    changed_at = _datetime_field(_("更换时间"), required=False, help_text=_("不填为现在。"))
    cabinet_position = forms.CharField(label=_("钥匙柜位置"), max_length=30, required=False)
    departments_told = forms.ModelMultipleChoiceField(
        label=_("已通知部门"),
        queryset=Department.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self, *args: Any, projects: QuerySet[Project], keys: QuerySet[Key], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self._set_projects(projects)
        self.keys = keys
        self.fields["location"].widget.attrs.update(autofocus=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        project = self._clean_project(self, data)
        data["old_key"] = None
        tag = (data.get("old_key_tag") or "").strip()
        if tag and project is not None:
            old = self.keys.filter(project=project, tag__iexact=tag).first()
            if old is None:
                self.add_error("old_key_tag", _("没有找到牌号为“%(tag)s”的钥匙。") % {"tag": tag})
            data["old_key"] = old
        return data


class LockChangeFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), *LockChange.Status.choices],
    )


class SealForm(forms.Form):
    seal_number = forms.CharField(label=_("封条编号"), max_length=30, required=False)


# --- Copies (KEY-06) ----------------------------------------------------------------


class CopyDecideForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("审批结果"),
        choices=[("1", _("批准配制")), ("0", _("驳回"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    note = forms.CharField(
        label=_("审批意见"), max_length=200, required=False, help_text=_("驳回时必填。")
    )


class CopyRegisterForm(forms.Form):
    tags = forms.CharField(
        label=_("复制钥匙牌号"),
        widget=_textarea(3),
        help_text=_("每行一个，或用逗号、空格分隔。"),
    )
    cabinet_position = forms.CharField(label=_("钥匙柜位置"), max_length=30, required=False)

    def clean_tags(self) -> list[str]:
        raw: str = self.cleaned_data["tags"]
        for sep in (",", "，", "、", ";", "；"):
            raw = raw.replace(sep, " ")
        return [t for t in raw.split() if t]


# --- Handover (KEY-10) --------------------------------------------------------------


class HandoverForm(forms.Form):
    taken_by = StaffChoiceField(label=_("接班人"), queryset=User.objects.none())
    other_items = forms.CharField(
        label=_("其他交接物品"), required=False, widget=_textarea(3), max_length=2000
    )
    discrepancies = forms.CharField(
        label=_("差异说明"),
        required=False,
        widget=_textarea(2),
        max_length=2000,
        help_text=_("当面核对发现的不符，如实填写。"),
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["taken_by"].queryset = staff  # type: ignore[attr-defined]


class HandoverSignForm(forms.Form):
    note = forms.CharField(label=_("接班人意见"), max_length=300, required=False)


# --- Monthly report (KEY-09) --------------------------------------------------------


class ReportSubmitForm(forms.Form):
    month = forms.DateField(
        label=_("月份"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": _("请按 年-月 填写，如 2025-09。")},
    )
    note = forms.CharField(label=_("说明"), required=False, widget=_textarea(3), max_length=2000)


class ReportReviewForm(forms.Form):
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False)
