from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from servicedesk.security.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail, to read and search only: append-only (models.py)."""

    list_display = ("at", "kind", "actor", "ip", "method", "path", "status", "what")
    list_filter = ("kind",)
    search_fields = ("path", "what", "actor__username", "ip")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
