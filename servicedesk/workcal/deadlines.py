"""The calendar's sweep checks: alert on a missing year, retry recomputes (CAL-02)."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.urls import reverse

from servicedesk.deadlines.registry import deadline_check

ALERT_REASON = "calendar_year_missing"
# From November on, December deadlines ("within 2 weeks") reach into next year.
ALERT_FROM_MONTH = 11


def years_to_alert(today: date, *, known: set[int]) -> list[int]:
    """Return the years administrators must load now (CAL-02).

    The current year always; the next one from November 1st on. ``known`` are
    the years covered by the library or an imported notice.
    """
    years = [today.year]
    if today.month >= ALERT_FROM_MONTH:
        years.append(today.year + 1)
    return [y for y in years if y not in known]


@deadline_check("workcal.alert_missing_year")
def alert_missing_year(now: datetime) -> int:
    """Alert administrators once per year that a calendar year must be loaded (CAL-02)."""
    from servicedesk.core.models import Role
    from servicedesk.notifications.models import Notification
    from servicedesk.notifications.services import deadline_key, notify, users_with_role
    from servicedesk.workcal.calendar import business_calendar

    cal = business_calendar()
    today = cal.local_date(now)
    candidates = [today.year, today.year + 1]
    missing = years_to_alert(today, known={y for y in candidates if cal.is_year_known(y)})
    if not missing:
        return 0
    User = get_user_model()
    admin_ids = set(
        users_with_role(Role.ADMINISTRATOR, project_id=None).values_list("id", flat=True)
    ) | set(User.objects.filter(is_superuser=True, is_active=True).values_list("id", flat=True))
    offered = 0
    for year in missing:
        deadline = datetime(year, 1, 1, tzinfo=cal.tz)
        key = deadline_key(deadline)
        # The unique constraint cannot stop duplicates on PostgreSQL: its
        # content_type is NULL here and NULLs never collide. So skip, in one
        # query, the administrators already told about this year.
        told = set(
            Notification.objects.filter(
                recipient_id__in=admin_ids,
                reason=ALERT_REASON,
                deadline_key=key,
                content_type__isnull=True,
                object_id="",
            ).values_list("recipient_id", flat=True)
        )
        todo = admin_ids - told
        if not todo:
            continue
        offered += notify(
            todo,
            subject=None,
            reason=ALERT_REASON,
            title=f"请导入 {year} 年法定节假日安排",
            body=(
                f"工作日历尚未包含 {year} 年的法定节假日和调休安排。"
                f"在此之前，到达 {year} 年的“N 个工作日”时限按周一至周五临时计算，并标记为“临时”。"
                "请在管理后台“工作日历 › 已导入年份 › 导入国务院通知”中粘贴国务院办公厅的放假通知；"
                "导入后，未结记录的临时时限将自动重算。"
            ),
            url=reverse("admin:workcal_loadedyear_import"),
            deadline=deadline,
            project_id=None,
        )
    return offered


@deadline_check("workcal.recompute_loaded_years")
def recompute_loaded_years(now: datetime) -> int:
    """Retry the provisional-deadline recompute for loaded years whose hooks failed (CAL-02)."""
    from servicedesk.workcal.models import LoadedYear
    from servicedesk.workcal.services import calendar_year_recompute

    total = 0
    for year in LoadedYear.objects.filter(recomputed_at__isnull=True).values_list(
        "year", flat=True
    ):
        recomputed, _failed = calendar_year_recompute(year=year)
        total += recomputed
    return total
