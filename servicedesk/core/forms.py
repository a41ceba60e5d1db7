"""Forms of the customer file. Errors name the field; Django re-renders what was typed."""

from __future__ import annotations

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from servicedesk.core.models import EmergencyContact, Resident


class UnitSearchForm(forms.Form):
    q = forms.CharField(
        label=_("房号 / 电话 / 姓名"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={"autofocus": True, "placeholder": _("如 1-101 或 13812345678")}
        ),
    )


class ResidentForm(forms.ModelForm):
    class Meta:
        model = Resident
        fields = ["name", "kind", "phone", "move_in_date", "workplace", "id_number_last4", "note"]
        widgets = {"move_in_date": forms.DateInput(attrs={"type": "date"})}
        error_messages = {
            "phone": {"invalid": _("电话号码无效，请输入 11 位手机号或带区号的固定电话。")},
            "move_in_date": {"invalid": _("日期无效，请按 年-月-日 填写，如 2025-10-01。")},
        }

    def clean_id_number_last4(self) -> str:
        value = self.cleaned_data["id_number_last4"].strip().upper()
        if value and (len(value) != 4 or not (value[:3].isdigit() and value[3] in "0123456789X")):
            raise forms.ValidationError(_("证件号后四位应为 4 位数字（末位可为 X）。"))
        return value


EmergencyContactFormSet = inlineformset_factory(
    Resident,
    EmergencyContact,
    fields=["name", "relation", "phone"],
    extra=1,
    max_num=5,
    can_delete=True,
    error_messages={"phone": {"invalid": _("紧急联系人电话无效。")}},  # type: ignore[dict-item]
)
