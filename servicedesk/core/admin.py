"""Admin of the shared core: projects, buildings, units, residents, staff, the event log.

Querysets of project-bound models go through ``scope_queryset`` so an admin user
who is not company-wide sees only their projects (ORG-01); superusers see all.
Units and residents import/export Excel and CSV (``servicedesk.core.resources``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from servicedesk.core.importing import CSV_EXPORT_ENCODING
from servicedesk.core.models import (
    Building,
    Department,
    EmergencyContact,
    Event,
    Project,
    Resident,
    StaffProfile,
    StaffRole,
    Unit,
)
from servicedesk.core.resources import ResidentResource, UnitResource
from servicedesk.core.scoping import scope_queryset


class ScopedAdminMixin:
    """Limit the changelist, change form and exports to the user's scope."""

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return scope_queryset(queryset, request.user)


class ReadOnlyAdminMixin:
    """View permission only: no add, change or delete (records amended by appending)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class RecordAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """A record of what happened: shown, never edited or deleted here."""

    show_full_result_count = False  # no COUNT(*) of a table that only grows


class SingletonAdmin(admin.ModelAdmin):
    """The admin of a one-row settings model (``Model.current()`` creates it).

    The list page goes straight to the one row, so there is nothing to add or
    delete — and no "does the row exist" query on every admin page's sidebar.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        row = self.model.current()
        meta = self.model._meta
        return redirect(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk]))


class SpreadsheetAdmin(ImportExportModelAdmin):
    """xlsx and CSV; CSV exported with a UTF-8 BOM so Excel on Chinese Windows reads it."""

    formats = [XLSX, CSV]
    to_encoding = CSV_EXPORT_ENCODING


@admin.register(Project)
class ProjectAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "company", "phone"]
    search_fields = ["code", "name"]


@admin.register(Building)
class BuildingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "project"]
    list_filter = ["project"]
    list_select_related = ["project"]
    search_fields = ["code", "name", "project__code"]
    autocomplete_fields = ["project"]


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, SpreadsheetAdmin):
    resource_classes = [UnitResource]
    list_display = ["number", "building", "project", "area_m2"]
    list_filter = ["project", "building"]
    list_select_related = ["project", "building", "building__project"]
    search_fields = ["number"]
    autocomplete_fields = ["project", "building"]


class EmergencyContactInline(admin.TabularInline):
    model = EmergencyContact
    extra = 0


@admin.register(Resident)
class ResidentAdmin(ScopedAdminMixin, SpreadsheetAdmin):
    resource_classes = [ResidentResource]
    list_display = ["name", "unit", "kind", "phone", "is_active"]
    list_filter = ["kind", "is_active", "unit__project"]
    list_select_related = ["unit"]
    search_fields = ["name", "phone", "unit__number"]
    autocomplete_fields = ["unit", "user"]
    inlines = [EmergencyContactInline]


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 1


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "employee_no", "department", "position"]
    list_filter = ["department", "role_assignments__role", "projects"]
    list_select_related = ["user", "department"]
    search_fields = ["name", "employee_no", "user__username"]
    filter_horizontal = ["projects"]
    autocomplete_fields = ["user"]
    inlines = [StaffRoleInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """The event log is append-only (ORG-05): read only, here as everywhere."""

    list_display = ["at", "action", "content_type", "object_id", "project", "actor"]
    list_filter = ["action", "project"]
    list_select_related = ["content_type", "project", "actor"]
    search_fields = ["object_id"]
    date_hierarchy = "at"
