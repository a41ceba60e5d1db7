from __future__ import annotations

from django.contrib import admin

from servicedesk.core.admin import ReadOnlyAdminMixin
from servicedesk.security.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail, to read and search only: append-only (models.py)."""

    list_display = ("at", "kind", "actor", "ip", "method", "path", "status", "what")
    list_filter = ("kind",)
    search_fields = ("path", "what", "actor__username", "ip")
    date_hierarchy = "at"
