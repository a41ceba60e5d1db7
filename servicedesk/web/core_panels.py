"""The panels and navigation entries of the shared core (modules add their own)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.models import Role, Unit
from servicedesk.core.scoping import scope_queryset
from servicedesk.web.identity import ANYONE, DeskIdentity
from servicedesk.web.nav import SYSTEM, register_nav
from servicedesk.web.panels import register_panel

logger = logging.getLogger(__name__)

WEEKDAYS = [
    _("星期一"),
    _("星期二"),
    _("星期三"),
    _("星期四"),
    _("星期五"),
    _("星期六"),
    _("星期日"),
]

# A check that has not finished for this long is shown as stale: the sweeper
# runs every minute (embedded set-up) or on Celery beat's schedule.
STALE_AFTER = timedelta(minutes=15)

NOTIFICATIONS_ON_HOME = 6
UNITS_ON_HOME = 20


def notifications_panel(request: HttpRequest) -> dict[str, Any] | None:
    from servicedesk.notifications.models import Notification

    latest = list(
        Notification.objects.filter(recipient_id=request.user.pk, read_at__isnull=True).only(
            "id", "title", "body", "url", "created_at", "read_at"
        )[:NOTIFICATIONS_ON_HOME]
    )
    return {"notifications": latest}


def _calendar_facts(today: date, now: datetime) -> dict[str, Any]:
    """Return what the working-day calendar says about now, if it is installed.

    Loading the calendar costs a few queries; the answer is cached for the
    minute, so the home page, opened all day at every desk, rarely pays them.
    """
    key = f"web:today:{now:%Y%m%d%H%M}"
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    try:
        from servicedesk.workcal.calendar import business_calendar
    except ImportError:
        return {}
    try:
        cal = business_calendar()
        facts: dict[str, Any] = {"is_workday": bool(cal.is_workday(today))}
        is_night = getattr(cal, "is_night", None)
        if is_night is not None:
            facts["is_night"] = bool(is_night(now))
        is_known = getattr(cal, "is_known", None)
        if is_known is not None:
            facts["calendar_known"] = bool(is_known(today))
    except (DatabaseError, NotImplementedError, ValueError, AttributeError, TypeError):
        # The home page must open even when the calendar cannot be loaded.
        logger.warning("Working-day calendar unavailable on the home page", exc_info=True)
        return {}
    cache.set(key, facts, 60)
    return facts


def today_panel(request: HttpRequest) -> dict[str, Any] | None:
    now = timezone.localtime()
    today = now.date()
    return {
        "today": today,
        "now": now,
        "weekday": WEEKDAYS[today.weekday()],
        **_calendar_facts(today, now),
    }


def checks_panel(request: HttpRequest) -> dict[str, Any] | None:
    from servicedesk.deadlines.models import CheckState
    from servicedesk.deadlines.registry import registered_checks

    states = {s.name: s for s in CheckState.objects.all()}
    now = timezone.now()
    rows: list[dict[str, Any]] = []
    names = sorted(set(states) | {c.name for c in registered_checks()})
    for name in names:
        state = states.get(name)
        finished = state.last_finished_at if state else None
        rows.append(
            {
                "name": name,
                "state": state,
                "never_run": state is None or finished is None,
                "stale": finished is not None and now - finished > STALE_AFTER,
                "error": state.last_error if state else "",
            }
        )
    latest = max(
        (s.last_finished_at for s in states.values() if s.last_finished_at is not None),
        default=None,
    )
    return {
        "checks": rows,
        "latest_finished_at": latest,
        "error_count": sum(1 for r in rows if r["error"]),
        "alive": latest is not None and now - latest <= STALE_AFTER,
    }


def resident_units_panel(request: HttpRequest) -> dict[str, Any] | None:
    units = list(
        scope_queryset(Unit.objects.all(), request.user)
        .select_related("building", "project")
        .order_by("project__name", "number")[:UNITS_ON_HOME]
    )
    return {"units": units}


def _may_use_admin(identity: DeskIdentity) -> bool:
    return identity.is_admin


def register_core() -> None:
    """Called from ``WebConfig.ready``."""
    register_nav(_("首页"), "home", roles=ANYONE, order=0)
    register_nav(_("通知"), "notifications", roles=ANYONE, order=10)
    register_nav(
        _("管理后台"), "admin:index", roles=ANYONE, order=900, section=SYSTEM, check=_may_use_admin
    )
    register_nav(_("API 文档"), "api-docs", roles=None, order=910, section=SYSTEM)

    register_panel("core.today", "web/panels/today.html", today_panel, roles=ANYONE, order=0)
    register_panel(
        "core.my_units",
        "web/panels/my_units.html",
        resident_units_panel,
        roles=[Role.RESIDENT],
        order=5,
    )
    register_panel(
        "core.notifications",
        "web/panels/notifications.html",
        notifications_panel,
        roles=ANYONE,
        order=10,
    )
    register_panel("core.checks", "web/panels/checks.html", checks_panel, roles=None, order=900)
