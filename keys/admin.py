"""Admin of key custody (KEY): the rules as data, the key master data, the records read-only.

- ``KeySettings`` (the seal deadline, the overdue escalation interval, the
  review and expiry-notice periods) is a singleton: editable, never added
  twice, never deleted.
- ``Key``: the master data only (tag, what it opens, cabinet position,
  custodian and department, note) is edited here. A new custodian is handed
  over through ``services.custody_transfer`` with a reason, so KEY-01's
  detailed handover record is written whatever the entry point; every other
  edit is logged as an event. Status, kind, unit and entrustment change only
  through the services (lending, sealing, revoking…); keys are registered on
  the desk pages, never deleted.
- Entrustments, loans, copy requests, emergency uses (with their contact
  attempts), lock changes, incidents, custody transfers, handovers and monthly
  reports are records: read-only, no add, no delete (append-only, ORG-05).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from keys import services
from keys.models import (
    ContactAttempt,
    CopyRequest,
    CustodyTransfer,
    EmergencyUse,
    Entrustment,
    Handover,
    Incident,
    Key,
    KeySettings,
    Loan,
    LockChange,
    MonthlyReport,
)
from servicedesk.core.admin import (
    ReadOnlyInline,
    RecordAdmin,
    ScopedAdminMixin,
    SingletonAdmin,
)
from servicedesk.core.events import record_event


@admin.register(KeySettings)
class KeySettingsAdmin(SingletonAdmin):
    list_display = [
        "__str__",
        "seal_within_hours",
        "overdue_escalate_every_hours",
        "emergency_review_working_days",
        "entrustment_expiry_notice_days",
    ]


# --- Keys: master data ------------------------------------------------------------------

KEY_MASTER_FIELDS = ("tag", "opens", "cabinet_position", "note")
KEY_CUSTODY_FIELDS = ("custodian", "custodian_department")
KEY_READONLY_FIELDS = (
    "project",
    "kind",
    "unit",
    "status",
    "entrustment",
    "copy_of",
    "copy_request",
    "registered_at",
    "registered_by",
)


class KeyChangeForm(forms.ModelForm):
    """Master data, and a new custodian only with the reason of the handover (KEY-01)."""

    transfer_reason = forms.CharField(
        label=_("交接原因"),
        max_length=200,
        required=False,
        help_text=_("更换保管人或保管部门时必填，将生成保管交接记录。"),
    )

    class Meta:
        model = Key
        fields = [*KEY_MASTER_FIELDS, *KEY_CUSTODY_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if any(name in self.changed_data for name in KEY_CUSTODY_FIELDS):
            if data.get("custodian") is None:
                self.add_error("custodian", gettext("保管交接须指定新的保管人。"))
            if not (data.get("transfer_reason") or "").strip():
                self.add_error("transfer_reason", gettext("请填写交接原因。"))
        return data


class CustodyTransferInline(ReadOnlyInline):
    model = CustodyTransfer
    fields = ["at", "from_custodian", "to_custodian", "from_department", "to_department", "reason"]
    ordering = ["-at"]


@admin.register(Key)
class KeyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = KeyChangeForm
    list_display = [
        "tag",
        "opens",
        "kind",
        "unit",
        "status",
        "cabinet_position",
        "custodian_department",
        "custodian",
        "project",
    ]
    list_filter = ["status", "kind", "project", "custodian_department"]
    # "^tag": tag prefix; "=unit__number": exact room number, so 1-101 never
    # finds 11-101 (as selectors.search_keys).
    search_fields = ["^tag", "=unit__number"]
    list_select_related = ["project", "unit", "custodian_department", "custodian"]
    show_full_result_count = False  # 20 000 keys in SCALE
    readonly_fields = KEY_READONLY_FIELDS
    fieldsets = [
        (None, {"fields": [*KEY_READONLY_FIELDS[:5], *KEY_MASTER_FIELDS]}),
        (_("保管"), {"fields": [*KEY_CUSTODY_FIELDS, "transfer_reason"]}),
        (_("来源"), {"fields": list(KEY_READONLY_FIELDS[5:])}),
    ]
    raw_id_fields = ["custodian"]
    inlines = [CustodyTransferInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # registered on the desk pages (services.key_register, entrustments)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # loans and events point at the key; retire it instead

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Key, form: Any, change: bool) -> None:
        user: User = request.user  # type: ignore[assignment]
        before = Key.objects.select_for_update().get(pk=obj.pk)
        master = [name for name in KEY_MASTER_FIELDS if name in form.changed_data]
        if master:
            obj.save(update_fields=master)
            record_event(
                obj,
                action="edited",
                actor=user,
                reason=gettext("后台修改钥匙资料"),
                data={
                    name: [str(getattr(before, name)), str(getattr(obj, name))] for name in master
                },
            )
        if any(name in form.changed_data for name in KEY_CUSTODY_FIELDS):
            # The transfer reads the key's current custodian as "from": hand it the stored row.
            services.custody_transfer(
                keys=[before],
                to_custodian=form.cleaned_data["custodian"],
                to_department=form.cleaned_data["custodian_department"],
                reason=form.cleaned_data["transfer_reason"].strip(),
                by=user,
            )


# --- Records: read-only -------------------------------------------------------------------


@admin.register(Entrustment)
class EntrustmentAdmin(RecordAdmin):
    list_display = [
        "number",
        "unit",
        "resident",
        "status",
        "valid_from",
        "valid_until",
        "confirmation",
        "confirmed_at",
    ]
    list_filter = ["status", "confirmation", "project"]
    list_select_related = ["unit", "resident__unit"]
    search_fields = ["number", "=unit__number"]


@admin.register(Loan)
class LoanAdmin(RecordAdmin):
    list_display = [
        "number",
        "key",
        "borrower_name",
        "purpose",
        "status",
        "approved_by",
        "out_at",
        "due_at",
        "returned_at",
        "overdue_level",
        "emergency",
        "maintenance",
    ]
    list_filter = ["status", "emergency", "maintenance", "overdue_level", "project"]
    list_select_related = ["key", "approved_by"]
    search_fields = ["number", "^key__tag", "borrower_name"]


@admin.register(CopyRequest)
class CopyRequestAdmin(RecordAdmin):
    list_display = ["key", "count", "reason", "status", "requested_by", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["key", "requested_by", "decided_by"]
    search_fields = ["^key__tag"]


class ContactAttemptInline(ReadOnlyInline):
    model = ContactAttempt
    fields = ["at", "whom", "name", "phone", "method", "result", "note", "by"]


@admin.register(EmergencyUse)
class EmergencyUseAdmin(RecordAdmin):
    list_display = [
        "number",
        "key",
        "kind",
        "status",
        "opened_by",
        "opened_at",
        "entered_at",
        "exited_at",
        "review_due_at",
        "reviewed_by",
    ]
    list_filter = ["status", "kind", "project"]
    list_select_related = ["key", "opened_by", "reviewed_by"]
    search_fields = ["number", "^key__tag"]
    inlines = [ContactAttemptInline]


@admin.register(LockChange)
class LockChangeAdmin(RecordAdmin):
    list_display = [
        "number",
        "location",
        "old_key",
        "new_key",
        "changed_at",
        "status",
        "seal_due_at",
        "sealed_at",
        "sealed_by",
    ]
    list_filter = ["status", "project"]
    list_select_related = ["old_key", "new_key", "sealed_by"]
    search_fields = ["number", "location", "^new_key__tag"]


@admin.register(Incident)
class IncidentAdmin(RecordAdmin):
    list_display = ["key", "kind", "note", "at", "by"]
    list_filter = ["kind"]
    list_select_related = ["key", "by"]
    search_fields = ["^key__tag"]


@admin.register(CustodyTransfer)
class CustodyTransferAdmin(RecordAdmin):
    list_display = ["key", "from_custodian", "to_custodian", "to_department", "reason", "at", "by"]
    list_select_related = ["key", "from_custodian", "to_custodian", "to_department", "by"]
    search_fields = ["^key__tag"]


@admin.register(Handover)
class HandoverAdmin(RecordAdmin):
    list_display = ["at", "handed_by", "taken_by", "status", "signed_at", "project"]
    list_filter = ["status", "project"]
    list_select_related = ["handed_by", "taken_by", "project"]


@admin.register(MonthlyReport)
class MonthlyReportAdmin(RecordAdmin):
    list_display = ["month", "project", "status", "submitted_by", "reviewed_by", "reviewed_at"]
    list_filter = ["status", "project"]
    list_select_related = ["project", "submitted_by", "reviewed_by"]
