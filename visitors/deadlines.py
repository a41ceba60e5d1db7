"""The visitor desk's scheduled checks (VIS-04, VIS-07): set-based, idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from servicedesk.core.events import event_for, record_events_bulk
from servicedesk.deadlines.registry import deadline_check
from servicedesk.workcal.calendar import business_calendar
from visitors.models import Visit, VisitorSettings


@deadline_check("visitors.not_signed_out")
def flag_visitors_still_inside(now: datetime) -> int:
    """Flag visitors still inside after the end of the day they came in (VIS-04);
    the night duty sees them on its list."""
    cal = business_calendar()
    start_of_today = cal.end_of_local_day(cal.local_date(now) - timedelta(days=1))
    rows = list(
        Visit.objects.select_for_update(skip_locked=True)
        .filter(
            status=Visit.Status.INSIDE,
            flagged_inside_at__isnull=True,
            entered_at__lte=start_of_today,
        )
        .values_list("id", "project_id", "host_unit_id")
    )
    if not rows:
        return 0
    Visit.objects.filter(id__in=[r[0] for r in rows]).update(flagged_inside_at=now)
    record_events_bulk(
        event_for(
            Visit,
            vid,
            action="flagged_inside",
            project_id=pid,
            unit_id=uid,
            reason=_("当日未离开登记"),
            at=now,
        )
        for vid, pid, uid in rows
    )
    return len(rows)


@deadline_check("visitors.purge_id_numbers")
def purge_expired_id_numbers(now: datetime) -> int:
    """Remove the ID number and its hash after the retention period (VIS-07).

    Selects by age, not by "expired since the last run", so a missed run is
    caught up by the next one.
    """
    cutoff = now - timedelta(days=VisitorSettings.current().retention_days)
    return Visit.objects.filter(id_purged_at__isnull=True, registered_at__lt=cutoff).update(
        id_number_encrypted="", id_hash="", id_number_masked=_("（已清除）"), id_purged_at=now
    )
