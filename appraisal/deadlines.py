"""The appraisal's scheduled check: records past their retention are purged (APR-08)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _

from appraisal.models import AppraisalSettings, Assessment, Kind, Suggestion
from servicedesk.core.events import event_for, record_events_bulk
from servicedesk.deadlines.registry import deadline_check
from servicedesk.workcal.calendar import business_calendar


def retention_cutoff(now: datetime) -> date:
    """The first day still kept: records of periods before it are purged."""
    today = business_calendar().local_date(now)
    years = AppraisalSettings.current().retention_years
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


@deadline_check("appraisal.purge_expired")
def purge_expired_records(now: datetime) -> int:
    """Delete checks and appraisals (with their deductions and penalties) whose
    period ended more than the retention period ago (APR-08, 2 years), and log
    the purge. Selects by age, so a missed run is caught up by the next."""
    cutoff = retention_cutoff(now)
    # A record is kept until its whole period has ended more than the
    # retention ago: compare the period's end, not its start.
    ended = (
        Q(kind=Kind.SPOT, period__lt=cutoff)
        | Q(kind=Kind.WEEKLY, period__lt=cutoff - timedelta(days=6))
        | Q(kind__in=(Kind.MONTHLY, Kind.MONTHLY_CHECK), period__lt=cutoff.replace(day=1))
        | Q(kind=Kind.YEAR_END, period__lt=cutoff.replace(month=1, day=1))
    )
    expired = Assessment.objects.filter(ended)
    ids = list(expired.values_list("id", flat=True))
    suggestions = Suggestion.objects.filter(month__lt=cutoff.replace(day=1))
    n_suggestions = suggestions.count()
    if not ids and not n_suggestions:
        return 0
    suggestions.delete()
    Assessment.objects.filter(id__in=ids).delete()
    record_events_bulk(
        [
            event_for(
                Assessment,
                f"purge-{cutoff.isoformat()}",
                action="purged",
                reason=_("超过保存期限的考核记录已清除"),
                data={
                    "before": cutoff.isoformat(),
                    "assessments": len(ids),
                    "suggestions": n_suggestions,
                },
                at=now,
            )
        ]
    )
    return len(ids) + n_suggestions
