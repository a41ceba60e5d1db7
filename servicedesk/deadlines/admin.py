from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from servicedesk.deadlines.models import CheckState
from servicedesk.deadlines.sweep import run_sweep


@admin.register(CheckState)
class CheckStateAdmin(admin.ModelAdmin):
    """The health of the deadline engine: when each check last ran and what it did."""

    list_display = ["name", "last_started_at", "last_finished_at", "last_acted", "has_error"]
    readonly_fields = ["name", "last_started_at", "last_finished_at", "last_acted", "last_error"]
    actions = ["run_now"]

    @admin.display(boolean=True, description=_("有错误"))
    def has_error(self, obj: CheckState) -> bool:
        return bool(obj.last_error)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CheckState | None = None) -> bool:
        return False

    @admin.action(description=_("立即运行所选检查"))
    def run_now(self, request: HttpRequest, queryset: QuerySet[CheckState]) -> None:
        outcomes = run_sweep(only=list(queryset.values_list("name", flat=True)))
        summary = "；".join(f"{o.name}: {o.error or o.acted}" for o in outcomes)
        self.message_user(request, summary, messages.INFO)
