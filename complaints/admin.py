"""Admin of the complaint desk: the rules as data (STYLE §5), complaints read-only.

- Categories, channels, urgency levels, escalation steps and standard answers
  are edited here (CMP-02, CMP-01, CMP-05, CMP-11, CMP-15).
- ``Policy`` is versioned: the admin never edits a version. Saving the change
  form of the current version stores a NEW row (created by the editor, now);
  older versions are read-only and no version is ever deleted. Each complaint
  keeps the version that set its clocks, so a rule edit never silently rewrites
  deadlines already given to a customer.
- Complaints are shown read-only with their clocks, reporters, extensions and
  callbacks: the desk pages change them through ``complaints.services``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    Callback,
    Category,
    Channel,
    Clock,
    Complaint,
    EscalationStep,
    Extension,
    Policy,
    Reporter,
    StandardAnswer,
    UrgencyLevel,
)
from servicedesk.core.admin import ReadOnlyAdminMixin, ReadOnlyInline, ScopedAdminMixin
from servicedesk.core.models import Role


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "group", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["group", "is_active"]
    search_fields = ["code", "name", "group"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "order"]
    list_editable = ["order"]
    search_fields = ["code", "name"]


@admin.register(UrgencyLevel)
class UrgencyLevelAdmin(admin.ModelAdmin):
    list_display = ["name", "minutes"]


class EscalationStepForm(forms.ModelForm):
    # The stored role must be one the notification lookup knows (ORG-03).
    role = forms.ChoiceField(label=_("通知角色"), choices=Role.choices)

    class Meta:
        model = EscalationStep
        fields = ["level", "role", "label"]


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    form = EscalationStepForm
    list_display = ["level", "role_label", "label"]

    @admin.display(description=_("通知角色"), ordering="role")
    def role_label(self, obj: EscalationStep) -> str:
        try:
            return str(Role(obj.role).label)
        except ValueError:
            return obj.role


@admin.register(StandardAnswer)
class StandardAnswerAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "use_count", "is_active"]
    list_filter = ["is_active", "category"]
    list_select_related = ["category"]
    search_fields = ["title", "keywords", "text"]
    # Counted by complaint_reply (CMP-15), never typed in.
    readonly_fields = ["use_count"]


POLICY_RULE_FIELDS = [
    "reply_hours",
    "rectify_days_major",
    "rectify_days_general",
    "hot_report_days",
    "callback_days_major",
    "callback_days_general",
    "quiet_close_days",
    "onsite_hours",
    "warning_percent",
    "satisfaction_target",
]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """Versioned deadline rules: "save" of the current version adds a new version."""

    list_display = [
        "__str__",
        "note",
        "created_by",
        "reply_hours",
        "rectify_days_major",
        "rectify_days_general",
        "callback_days_major",
        "callback_days_general",
        "warning_percent",
    ]
    list_select_related = ["created_by"]
    fields = ["created_at", "created_by", "note", *POLICY_RULE_FIELDS]

    def _is_current(self, obj: Policy | None) -> bool:
        return obj is None or obj.pk == Policy.current().pk

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if self._is_current(obj):
            return ["created_at", "created_by"]
        return ["created_at", "created_by", "note", *POLICY_RULE_FIELDS]  # history: read-only

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not self._is_current(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # complaints point at their version (PROTECT); history stays

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        if object_id is not None and request.method == "GET":
            messages.info(request, _("保存将生成新版本；原版本及已受理记录的时限保持不变。"))
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Policy, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            return  # nothing edited: no new version
        # Never UPDATE a version: insert a copy with the edits (open complaints
        # keep the version, hence the deadlines, they were given).
        obj.pk = None
        obj._state.adding = True
        obj.created_at = timezone.now()
        obj.created_by = request.user  # type: ignore[assignment]
        obj.save()


class ClockInline(ReadOnlyInline):
    model = Clock
    fields = ["kind", "started_at", "due_at", "provisional", "done_at", "warned_at"]


class ReporterInline(ReadOnlyInline):
    model = Reporter
    fk_name = "complaint"
    fields = ["name", "phone", "times", "merged_from", "added_at"]


class ExtensionInline(ReadOnlyInline):
    model = Extension
    fields = ["clock", "old_due_at", "new_due_at", "reason", "agreed_by", "recorded_by"]


class CallbackInline(ReadOnlyInline):
    model = Callback
    fields = ["at", "by", "outcome", "result", "confirmation", "note"]


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: complaints are filed and changed on the desk pages, through services."""

    list_display = [
        "number",
        "kind",
        "project",
        "unit",
        "category",
        "channel",
        "severity",
        "status",
        "escalation_level",
        "received_at",
    ]
    list_filter = [
        "status",
        "kind",
        "severity",
        "hot",
        "incident",
        "project",
        "category",
        "channel",
    ]
    list_select_related = ["project", "unit", "category", "channel"]
    search_fields = ["number"]
    show_full_result_count = False  # no COUNT(*) of the whole table on each page
    inlines = [ClockInline, ReporterInline, ExtensionInline, CallbackInline]
    raw_id_fields = ["unit", "merged_into", "received_by"]
