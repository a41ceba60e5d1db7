"""Admin of the visitor desk (VIS): the rules as data, the log read-only (STYLE §5).

- Visits are read-only here (no add, change or delete): the desk changes them
  through ``visitors.services`` (VIS-06: entries are never altered or erased).
  The list and the form show the masked number only; the encrypted token and
  its hash are neither loaded nor shown, so the admin never decrypts (VIS-07).
- The blacklist is added to through a form asking for the document type and
  number, which calls ``services.blacklist_add``: only the keyed hash and the
  mask are stored. An entry is never deleted; it is lifted by unticking
  ``is_active`` (the only editable field).
- ``VisitorSettings`` is a singleton: no add once it exists, no delete.
- Pre-registrations come from residents in the portal: read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from servicedesk.core.admin import ReadOnlyAdminMixin, ScopedAdminMixin, SingletonAdmin
from servicedesk.core.models import Project
from servicedesk.core.scoping import scope_queryset
from visitors import identity, services
from visitors.models import (
    Amendment,
    BlacklistEntry,
    IdReveal,
    PreRegistration,
    Visit,
    VisitorSettings,
)
from visitors.selectors import SECRET_COLUMNS


class AmendmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Amendment
    extra = 0
    fields = readonly_fields = ("at", "field", "old_value", "new_value", "reason", "by")


class IdRevealInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = IdReveal
    extra = 0
    fields = readonly_fields = ("at", "by", "reason")


# Everything shown on a visit's page: never ``id_number_encrypted`` or ``id_hash``.
VISIT_FIELDS: tuple[str, ...] = (
    "slip_number",
    "project",
    "status",
    "visitor_name",
    "id_type",
    "id_number_masked",
    "id_purged_at",
    "phone",
    "people_count",
    "vehicle_plate",
    "host_unit",
    "host_resident",
    "host_name",
    "host_department",
    "host_position",
    "purpose",
    "consent_method",
    "consent_note",
    "consent_at",
    "registered_by",
    "entered_by",
    "registered_at",
    "entered_at",
    "left_at",
    "host_signed",
    "flagged_inside_at",
    "pre_registered_by",
)


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "slip_number",
        "visitor_name",
        "id_type",
        "id_number_masked",
        "host_label",
        "status",
        "registered_at",
        "registered_by",
        "left_at",
    ]
    list_filter = ["status", "id_type", "project", "registered_at", "host_signed"]
    list_select_related = ["host_unit", "registered_by"]
    search_fields = ["slip_number", "visitor_name"]
    date_hierarchy = "registered_at"
    show_full_result_count = False  # no COUNT(*) of a table that grows daily
    fields = VISIT_FIELDS
    readonly_fields = VISIT_FIELDS
    inlines = [AmendmentInline, IdRevealInline]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Visit]:
        # The token and hash are never even loaded (VIS-07).
        return super().get_queryset(request).defer(*SECRET_COLUMNS)

    @admin.display(description=_("被访"))
    def host_label(self, visit: Visit) -> str:
        if visit.host_unit is not None:
            return visit.host_unit.number
        return f"{visit.host_department} {visit.host_name}".strip()


@admin.register(PreRegistration)
class PreRegistrationAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["guest_name", "expected_on", "host_unit", "host_resident", "used_by"]
    list_filter = ["expected_on", "project"]
    list_select_related = ["host_unit", "host_resident", "used_by"]
    search_fields = ["guest_name"]


class BlacklistAddForm(forms.ModelForm):
    """Asks for the number; ``blacklist_add`` stores only its hash and mask (VIS-07)."""

    id_number = forms.CharField(label=_("证件号码"), max_length=40, strip=True)

    class Meta:
        model = BlacklistEntry
        fields = ["project", "id_type", "name", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        id_type, number = data.get("id_type"), data.get("id_number")
        if id_type and number:
            try:
                data["id_number"] = identity.validate_document(id_type, number)
            except ValidationError as exc:
                self.add_error("id_number", exc)
        return data


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "id_type", "id_number_masked", "project", "reason", "is_active"]
    list_filter = ["is_active", "id_type", "project"]
    list_select_related = ["project", "added_by"]
    search_fields = ["name", "id_number_masked"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = BlacklistAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["project", "id_type", "id_number", "name", "reason"]
        return [
            "project",
            "id_type",
            "id_number_masked",
            "name",
            "reason",
            "added_by",
            "added_at",
            "is_active",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        # Only lifting (or restoring) a ban is an edit; the record itself stays.
        return ["project", "id_type", "id_number_masked", "name", "reason", "added_by", "added_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "project":
            kwargs["queryset"] = scope_queryset(Project.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["is_active"])
            return
        data = form.cleaned_data
        entry = services.blacklist_add(
            project=data["project"],
            id_type=data["id_type"],
            id_number=data["id_number"],
            name=data["name"],
            reason=data["reason"],
            by=request.user,  # type: ignore[arg-type]
        )
        # The admin logs and redirects to ``obj``: make it the stored row.
        for field in BlacklistEntry._meta.concrete_fields:
            setattr(obj, field.attname, getattr(entry, field.attname))
        obj._state.adding = False


@admin.register(VisitorSettings)
class VisitorSettingsAdmin(SingletonAdmin):
    list_display = ["__str__", "retention_days"]
