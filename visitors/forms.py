"""Forms of the visitor desk: they validate the request, ``visitors.services`` writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.models import Project, Resident, Unit
from visitors import identity
from visitors.models import IdType, PreRegistration, Visit
from visitors.services import AMENDABLE

AMENDABLE_LABELS = {
    name: getattr(Visit._meta.get_field(name), "verbose_name", name) for name in AMENDABLE
}


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


class PreRegistrationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.guest_name} → {obj.host_unit.number} {obj.host_resident.name}"


class RegisterForm(forms.Form):
    """《访客登记单》 at the desk (VIS-01, VIS-02)."""

    visitor_name = forms.CharField(label=_("访客姓名"), max_length=50)
    id_type = forms.ChoiceField(
        label=_("证件类型"), choices=IdType.choices, initial=IdType.RESIDENT_ID
    )
    id_number = forms.CharField(label=_("证件号码"), max_length=30)
    phone = forms.CharField(label=_("电话"), max_length=20, required=False)
    people_count = forms.IntegerField(label=_("人数"), min_value=1, max_value=99, initial=1)
    vehicle_plate = forms.CharField(label=_("车牌"), max_length=12, required=False)
    unit = forms.ModelChoiceField(
        label=_("被访房号"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("房号无效，请重新查找并选择。")},
    )
    host_resident = forms.ModelChoiceField(
        label=_("被访住户"),
        queryset=Resident.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("被访住户无效，请重新选择房号。")},
    )
    host_name = forms.CharField(label=_("被访人"), max_length=50, required=False)
    host_department = forms.CharField(label=_("被访部门"), max_length=50, required=False)
    host_position = forms.CharField(label=_("职务"), max_length=50, required=False)
    purpose = forms.CharField(label=_("来访事由"), max_length=200)
    pre_registration = PreRegistrationChoiceField(
        label=_("业主预约"),
        queryset=PreRegistration.objects.none(),
        required=False,
        empty_label=_("（无预约）"),
        error_messages={"invalid_choice": _("该预约不可用：已使用、不是今天的或不属于您的项目。")},
    )
    project = forms.ModelChoiceField(
        label=_("管理项目"), queryset=Project.objects.none(), required=False
    )

    def __init__(
        self,
        data: Any = None,
        *,
        projects: QuerySet[Project],
        units: QuerySet[Unit],
        residents: QuerySet[Resident],
        pre_registrations: QuerySet[PreRegistration],
        **kw: Any,
    ) -> None:
        if data is not None:
            # Show the number as it is stored (``x`` → ``X``) when the page comes back.
            data = data.copy()
            data["id_number"] = identity.normalise(
                data.get("id_type", ""), data.get("id_number", "")
            )
        super().__init__(data, **kw)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["host_resident"].queryset = residents  # type: ignore[attr-defined]
        self.fields["pre_registration"].queryset = pre_registrations  # type: ignore[attr-defined]
        attrs = self.fields["visitor_name"].widget.attrs
        attrs.update(autocomplete="off", autofocus=True)
        self.fields["id_number"].widget.attrs.update(
            autocomplete="off", spellcheck="false", placeholder=_("18 位身份证号，末位 x 可小写")
        )
        self.fields["phone"].widget.attrs.update(type="tel", autocomplete="off")
        self.fields["vehicle_plate"].widget.attrs.update(autocomplete="off")
        self.fields["people_count"].widget.attrs.update(min=1, max=99)

    def clean_id_number(self) -> str:
        # The service checks the document too; checking here shows the error on
        # the field together with the others at once.
        raw = self.cleaned_data["id_number"]
        try:
            return identity.validate_document(self.data.get("id_type", ""), raw)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pre: PreRegistration | None = data.get("pre_registration")
        if pre is not None:
            name = (data.get("visitor_name") or "").strip()
            if name and name != pre.guest_name:
                self.add_error(
                    "pre_registration",
                    _("预约的访客是“%(guest)s”，与访客姓名不符。") % {"guest": pre.guest_name},
                )
            # The host is the resident who pre-registered (VIS-03).
            data["unit"], data["host_resident"] = pre.host_unit, pre.host_resident
        unit = data.get("unit")
        resident = data.get("host_resident")
        if resident is not None and unit is None:
            data["unit"] = unit = resident.unit
        if unit is not None:
            data["project"] = unit.project
        elif not data.get("project"):
            projects = list(self.fields["project"].queryset[:2])  # type: ignore[attr-defined]
            if len(projects) == 1:
                data["project"] = projects[0]
            elif "project" not in self.errors:
                self.add_error("project", _("没有被访房号时，请选择管理项目。"))
        return data


class ConsentForm(forms.Form):
    """The host's answer (VIS-03)."""

    method = forms.ChoiceField(
        label=_("联系方式"),
        choices=[
            c for c in Visit.ConsentMethod.choices if c[0] != Visit.ConsentMethod.PRE_REGISTERED
        ],
        initial=Visit.ConsentMethod.PHONE,
    )
    granted = forms.TypedChoiceField(
        label=_("被访人答复"),
        choices=[("1", _("同意来访")), ("0", _("拒绝来访"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    note = forms.CharField(
        label=_("说明"), max_length=200, required=False, help_text=_("拒绝时必填。")
    )


class SignOutForm(forms.Form):
    """The visitor hands the slip back (VIS-04)."""

    host_signed = forms.BooleanField(label=_("被访人已在登记单上签字"), required=False)


class AmendForm(forms.Form):
    """A correction appended to the entry (VIS-06)."""

    field = forms.ChoiceField(label=_("更正栏目"), choices=list(AMENDABLE_LABELS.items()))
    new_value = forms.CharField(label=_("更正为"), max_length=200)
    reason = forms.CharField(label=_("更正原因"), max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        field, value = data.get("field"), (data.get("new_value") or "").strip()
        if field == "people_count" and value:
            if not value.isdigit() or not 1 <= int(value) <= 99:
                self.add_error("new_value", _("人数应为 1 到 99 的整数。"))
            else:
                value = str(int(value))
        elif field == "vehicle_plate":
            value = value.upper()
        data["new_value"] = value
        return data


class RevealForm(forms.Form):
    """Why the full number is needed (VIS-07); the access is logged."""

    reason = forms.CharField(label=_("查看原因"), max_length=200)


class LogFilterForm(forms.Form):
    day = forms.DateField(
        label=_("日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    q = forms.CharField(
        label=_("姓名/单号/车牌"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class PreRegisterForm(forms.Form):
    """A resident announces a guest in the portal (VIS-03)."""

    unit = forms.ModelChoiceField(label=_("房号"), queryset=Unit.objects.none(), empty_label=None)
    guest_name = forms.CharField(label=_("访客姓名"), max_length=50)
    expected_on = forms.DateField(
        label=_("预计来访日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        today = timezone.localdate()
        self.fields["expected_on"].initial = today
        self.fields["expected_on"].widget.attrs["min"] = today.isoformat()

    def clean_expected_on(self) -> date:
        value: date = self.cleaned_data["expected_on"]
        if value < timezone.localdate():
            raise ValidationError(_("预计来访日期不能早于今天。"))
        return value
