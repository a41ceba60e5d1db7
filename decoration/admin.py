"""Admin of decoration management (DEC): the rules as data, contractors as master data,
everything else read-only.

- ``DecorationSettings`` — every (config) number of DEC-01..DEC-13: deposit,
  period, pass fee and deposit, return grace, extinguisher area, review and
  notice working days, expiry warning — is a singleton: editable, never added
  twice, never deleted. A new value applies to what is filed or issued next;
  permits keep the values copied onto them (deposit required, extinguishers,
  period, pass price).
- ``Contractor`` (DEC-03): name, licence, qualification, phone and the login
  that lets the company see its own permits are edited here; the login must
  hold the contractor role. Never deleted (permits point at it).
- ``Permit``: read-only apart from the contact details (owner's phone, site
  leader and phone), each edit logged as an event. Status, money and dates
  change only through ``decoration.services``; the ledger, passes, fines,
  reviews and extensions show as read-only inlines.
- ``LedgerEntry`` (DEC-12) and every other record: view only — no add, change
  or delete (append-only, ORG-05). ID numbers show masked only; uploaded files
  are never linked from here (they are served as attachments by the desk).
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

from decoration.models import (
    Application,
    ChangeRequest,
    ConstructionNotice,
    Contractor,
    DecorationSettings,
    Drawing,
    Extension,
    Fine,
    HotWorkPermit,
    Inspection,
    InspectionPhoto,
    LedgerEntry,
    Permit,
    RectificationNotice,
    Review,
    WorkerPass,
)
from servicedesk.core.admin import (
    ReadOnlyInline,
    RecordAdmin,
    ScopedAdminMixin,
    SingletonAdmin,
)
from servicedesk.core.events import record_event
from servicedesk.core.models import Role, StaffRole

# --- The rules (config) -------------------------------------------------------------------


@admin.register(DecorationSettings)
class DecorationSettingsAdmin(SingletonAdmin):
    fieldsets = [
        (_("审图与通告（工作日）"), {"fields": ["review_working_days", "notice_working_days"]}),
        (
            _("押金与施工期"),
            {"fields": ["deposit_amount", "period_days", "expiry_warning_days"]},
        ),
        (
            _("施工人员出入证"),
            {"fields": ["pass_fee", "pass_deposit", "pass_return_grace_days"]},
        ),
        (_("消防"), {"fields": ["extinguisher_area_m2"]}),
    ]

    def save_model(
        self, request: HttpRequest, obj: DecorationSettings, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if form.changed_data:
            record_event(
                obj,
                action="edited",
                actor=request.user,
                reason=gettext("后台修改装修管理设置"),
                data={name: str(form.cleaned_data[name]) for name in form.changed_data},
            )


# --- Contractors: master data ---------------------------------------------------------------


class ContractorForm(forms.ModelForm):
    class Meta:
        model = Contractor
        fields = ["name", "licence_no", "qualification", "phone", "user"]

    def clean_licence_no(self) -> str:
        # As services.contractor_for matches it: trimmed, upper case.
        return str(self.cleaned_data.get("licence_no") or "").strip().upper()

    def clean_user(self) -> User | None:
        user: User | None = self.cleaned_data.get("user")
        if (
            user is not None
            and not StaffRole.objects.filter(staff__user=user, role=Role.CONTRACTOR).exists()
        ):
            raise forms.ValidationError(
                gettext("登录账号须具有“装修单位”角色，才能只看到本单位的装修。")
            )
        return user


@admin.register(Contractor)
class ContractorAdmin(admin.ModelAdmin):
    form = ContractorForm
    list_display = ["name", "licence_no", "qualification", "phone", "user", "created_at"]
    search_fields = ["name", "licence_no"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # permits point at it (PROTECT)


# --- Permits: read-only apart from contact details ----------------------------------------

PERMIT_CONTACT_FIELDS = ("owner_phone", "site_leader_name", "site_leader_phone")
PERMIT_READONLY_FIELDS = (
    "project",
    "number",
    "unit",
    "owner",
    "owner_name",
    "owner_signature",
    "contractor",
    "contract_no",
    "area_m2",
    "items",
    "description",
    "planned_start",
    "status",
    "deposit_required",
    "extinguishers_required",
    "drawings_submitted_at",
    "review_due_at",
    "approved_at",
    "period_days",
    "start_date",
    "end_date",
    "issued_at",
    "issued_by",
    "stop_work_flagged_at",
    "expelled_at",
    "expel_reason",
    "completion_applied_at",
    "accepted_at",
    "accepted_by",
    "acceptance_note",
    "deposit_receipt_lost",
    "closed_at",
    "created_by",
    "created_at",
)


class LedgerInline(ReadOnlyInline):
    model = LedgerEntry
    fields = readonly_fields = (
        "at",
        "kind",
        "amount",
        "receipt_no",
        "note",
        "by",
    )
    ordering = ["at", "id"]
    verbose_name_plural = _("押金台账（只读，DEC-12）")


class WorkerPassInline(ReadOnlyInline):
    model = WorkerPass
    fields = readonly_fields = (
        "number",
        "worker_name",
        "id_number_masked",
        "signer_name",
        "expires_on",
        "status",
        "receipt_no",
    )


class FineInline(ReadOnlyInline):
    model = Fine
    fields = readonly_fields = (
        "number",
        "amount",
        "reason",
        "notice",
        "charged_at",
        "charged_by",
    )


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = readonly_fields = (
        "round",
        "outcome",
        "structure_ok",
        "water_electric_ok",
        "waterproofing_ok",
        "comments",
        "decided_by",
        "decided_at",
    )


class ExtensionInline(ReadOnlyInline):
    model = Extension
    fields = readonly_fields = (
        "old_end_date",
        "new_end_date",
        "reason",
        "status",
        "decided_by",
        "decided_at",
    )


@admin.register(Permit)
class PermitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "unit",
        "owner_name",
        "contractor",
        "status",
        "start_date",
        "end_date",
        "stop_work_flagged_at",
        "project",
    ]
    list_filter = ["status", "project"]
    list_select_related = ["unit", "contractor", "project"]
    # "=unit__number": exact room number, so 1-101 never finds 11-101.
    search_fields = ["number", "=unit__number", "owner_name", "contractor__name"]
    show_full_result_count = False
    readonly_fields = PERMIT_READONLY_FIELDS
    fieldsets = [
        (None, {"fields": list(PERMIT_READONLY_FIELDS[:13])}),
        (_("联系方式（可修改）"), {"fields": list(PERMIT_CONTACT_FIELDS)}),
        (_("押金、审图与施工期"), {"fields": list(PERMIT_READONLY_FIELDS[13:23])}),
        (_("停工、清退、验收与结案"), {"fields": list(PERMIT_READONLY_FIELDS[23:])}),
    ]
    inlines = [ReviewInline, LedgerInline, WorkerPassInline, FineInline, ExtensionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # filed through services.permit_file (desk or portal)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Permit, form: Any, change: bool) -> None:
        before = Permit.objects.select_for_update().get(pk=obj.pk)
        changed = [name for name in PERMIT_CONTACT_FIELDS if name in form.changed_data]
        if not changed:
            return
        obj.save(update_fields=changed)
        record_event(
            obj,
            action="edited",
            actor=request.user,
            reason=gettext("后台修改联系方式"),
            data={name: [str(getattr(before, name)), str(getattr(obj, name))] for name in changed},
        )


# --- The ledger and the other records: view only ----------------------------------------------


@admin.register(LedgerEntry)
class LedgerEntryAdmin(RecordAdmin):
    """DEC-12: append-only. A mistake is corrected by a further entry through the services."""

    list_display = ["at", "permit", "kind", "amount", "receipt_no", "note", "by"]
    list_filter = ["kind", "permit__project"]
    list_select_related = ["permit__unit", "by"]
    search_fields = ["permit__number", "receipt_no"]
    date_hierarchy = "at"


@admin.register(WorkerPass)
class WorkerPassAdmin(RecordAdmin):
    list_display = [
        "number",
        "worker_name",
        "id_number_masked",
        "permit",
        "signer_name",
        "expires_on",
        "status",
    ]
    list_filter = ["status", "permit__project"]
    list_select_related = ["permit__unit"]
    search_fields = ["number", "worker_name", "permit__number"]
    # Never the encrypted number, its hash or a link to the photo file.
    fields = [
        "permit",
        "number",
        "worker_name",
        "id_number_masked",
        "signed_by",
        "signer_name",
        "fee",
        "deposit",
        "receipt_no",
        "expires_on",
        "status",
        "issued_at",
        "issued_by",
        "closed_at",
        "closed_by",
    ]


@admin.register(Fine)
class FineAdmin(RecordAdmin):
    list_display = ["number", "permit", "amount", "reason", "notice", "charged_by", "charged_at"]
    list_filter = ["permit__project"]
    list_select_related = ["permit__unit", "notice", "charged_by"]
    search_fields = ["number", "permit__number"]


@admin.register(Drawing)
class DrawingAdmin(RecordAdmin):
    list_display = ["permit", "round", "kind", "on_paper", "original_name", "size", "uploaded_at"]
    list_select_related = ["permit__unit"]
    search_fields = ["permit__number"]
    fields = [
        "permit",
        "round",
        "kind",
        "on_paper",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]


@admin.register(Review)
class ReviewAdmin(RecordAdmin):
    list_display = [
        "permit",
        "round",
        "outcome",
        "structure_ok",
        "water_electric_ok",
        "waterproofing_ok",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["outcome"]
    list_select_related = ["permit__unit", "decided_by"]
    search_fields = ["permit__number"]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(RecordAdmin):
    list_display = ["permit", "status", "requested_by", "requested_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["permit__unit", "requested_by", "decided_by"]
    search_fields = ["permit__number"]


@admin.register(Extension)
class ExtensionAdmin(RecordAdmin):
    list_display = ["permit", "old_end_date", "new_end_date", "status", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["permit__unit", "decided_by"]
    search_fields = ["permit__number"]


@admin.register(HotWorkPermit)
class HotWorkPermitAdmin(RecordAdmin):
    list_display = [
        "number",
        "permit",
        "work_kind",
        "starts_at",
        "ends_at",
        "welder_name",
        "welder_certificate_no",
        "status",
        "decided_by",
    ]
    list_filter = ["status", "work_kind"]
    list_select_related = ["permit__unit", "decided_by"]
    search_fields = ["number", "permit__number", "welder_name"]


@admin.register(Application)
class ApplicationAdmin(RecordAdmin):
    list_display = ["number", "permit", "kind", "status", "starts_at", "ends_at", "decided_by"]
    list_filter = ["kind", "status"]
    list_select_related = ["permit__unit", "decided_by"]
    search_fields = ["number", "permit__number"]


class InspectionPhotoInline(ReadOnlyInline):
    model = InspectionPhoto
    fields = readonly_fields = (
        "original_name",
        "content_type",
        "size",
        "uploaded_at",
    )


@admin.register(Inspection)
class InspectionAdmin(RecordAdmin):
    list_display = ["permit", "at", "inspector", "extinguishers_found", "passes_worn", "violation"]
    list_filter = ["violation"]
    list_select_related = ["permit__unit", "inspector"]
    search_fields = ["permit__number"]
    inlines = [InspectionPhotoInline]


@admin.register(RectificationNotice)
class RectificationNoticeAdmin(RecordAdmin):
    list_display = ["number", "permit", "status", "due_at", "issued_by", "verified_at"]
    list_filter = ["status"]
    list_select_related = ["permit__unit", "issued_by"]
    search_fields = ["number", "permit__number"]


@admin.register(ConstructionNotice)
class ConstructionNoticeAdmin(RecordAdmin):
    list_display = [
        "number",
        "title",
        "status",
        "work_starts_on",
        "work_ends_on",
        "approved_by",
        "issued_at",
        "recipients",
        "project",
    ]
    list_filter = ["status", "project"]
    list_select_related = ["approved_by", "project"]
    search_fields = ["number", "title"]
