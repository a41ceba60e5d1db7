"""The one implementation of deadline arithmetic (CAL-07).

Views, the API, Celery tasks, sweeps and PDFs all compute deadlines here::

    cal = business_calendar()            # two queries; hold it for a whole request/batch
    due = cal.add_working_days(received_at, 3)
    due.at, due.provisional

Which day is a working day (CAL-02), first match wins:

1. a ``CalendarDay`` row: an administrator's override or a day imported from
   the State Council's yearly notice;
2. the ``chinese-calendar`` library for the years it knows (2004-2026 in the
   pinned version), including make-up working days (调休);
3. Monday to Friday. For a year that the library does not know and whose
   notice was not imported (no ``LoadedYear``), such a day is *unknown*, and any
   deadline that looked at it is marked provisional.

The ``BusinessCalendar`` itself is pure (no queries): tests and hypothesis
properties build one directly; ``business_calendar()`` loads it from the
database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

# Defaults of the admin-editable settings (CalendarSettings uses these).
DEFAULT_WORK_START = time(8, 30)  # CAL-03
DEFAULT_WORK_END = time(17, 30)  # CAL-03
DEFAULT_NIGHT_START = time(20, 0)  # CAL-06
DEFAULT_NIGHT_END = time(8, 0)  # CAL-06


@dataclass(frozen=True)
class Deadline:
    """A computed deadline.

    ``at`` is aware, in local time (Asia/Shanghai). ``provisional`` is True when
    the computation looked at a day no calendar covers (CAL-02): show it as
    provisional, and recompute it once that year is loaded.
    """

    at: datetime
    provisional: bool = False


def local_zone() -> ZoneInfo:
    """Return the desk's time zone, settings.TIME_ZONE (CAL-01: Asia/Shanghai)."""
    return ZoneInfo(settings.TIME_ZONE)


@lru_cache(maxsize=256)
def library_covers(year: int) -> bool:
    """Return whether ``chinese-calendar`` has the statutory calendar of ``year`` (CAL-02).

    The library raises NotImplementedError outside its data instead of guessing;
    asking it once per year (cached) keeps the coverage in one place, so a
    library upgrade with 2027 data extends coverage without a code change.
    """
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _require_aware(t: datetime) -> None:
    # A naive datetime is a programming error (CAL-01): guessing its zone would
    # silently shift deadlines by eight hours.
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"Deadline arithmetic needs an aware datetime, got naive {t!r}.")


class BusinessCalendar:
    """Working days, working hours and the night window, loaded once (CAL-02..06)."""

    def __init__(
        self,
        *,
        work_start: time = DEFAULT_WORK_START,
        work_end: time = DEFAULT_WORK_END,
        night_start: time = DEFAULT_NIGHT_START,
        night_end: time = DEFAULT_NIGHT_END,
        days: Mapping[date, bool] | None = None,
        loaded_years: Iterable[int] = (),
        tz: ZoneInfo | None = None,
    ) -> None:
        if work_end <= work_start:
            raise ValueError("Working hours must end after they start.")
        if night_start == night_end:
            raise ValueError("The night window must not be empty.")
        self.work_start = work_start
        self.work_end = work_end
        self.night_start = night_start
        self.night_end = night_end
        # CalendarDay rows (overrides and imported notices): date -> is working day.
        self.days: dict[date, bool] = dict(days or {})
        self.loaded_years = frozenset(loaded_years)
        self.tz = tz or local_zone()

    # --- Which days are working days (CAL-02) ---------------------------------

    def is_year_known(self, year: int) -> bool:
        """Return whether all of ``year`` is covered, by the library or a notice (CAL-02)."""
        return year in self.loaded_years or library_covers(year)

    def is_known(self, d: date) -> bool:
        """Return whether ``d`` is covered by a calendar, not guessed as Mon-Fri (CAL-02)."""
        return d in self.days or self.is_year_known(d.year)

    def is_workday(self, d: date) -> bool:
        """Return whether ``d`` is a working day (CAL-02).

        A CalendarDay row beats the library; the library beats the weekday rule.
        Never raises for an unknown year: intake never fails for want of a calendar.
        """
        if d in self.days:
            return self.days[d]
        if library_covers(d.year):
            # Use is_workday day by day, never the library's find_workday: that
            # is off by one when the start date is a holiday (stack.md).
            return bool(chinese_calendar.is_workday(d))
        return d.weekday() < 5

    # --- Working hours and local days (CAL-03) --------------------------------

    @property
    def working_hours(self) -> tuple[time, time]:
        """Return (start, end) of the working day, local (CAL-03)."""
        return (self.work_start, self.work_end)

    @property
    def night_window(self) -> tuple[time, time]:
        """Return (start, end) of the night duty window, local; it may wrap midnight (CAL-06)."""
        return (self.night_start, self.night_end)

    def local(self, t: datetime) -> datetime:
        """Return ``t`` converted to local time (CAL-01)."""
        _require_aware(t)
        return t.astimezone(self.tz)

    def local_date(self, t: datetime) -> date:
        """Return ``t``'s local calendar date (CAL-01), not its UTC date."""
        return self.local(t).date()

    def close_of_day(self, d: date) -> datetime:
        """Return the close of working hours on ``d``, aware local (CAL-03, CAL-04)."""
        return datetime.combine(d, self.work_end, tzinfo=self.tz)

    def end_of_local_day(self, d: date) -> datetime:
        """Return the last instant of local day ``d`` (23:59:59.999999), aware (CAL-01).

        Used by "return the same day" rules, e.g. key loans.
        """
        return datetime.combine(d, time.max, tzinfo=self.tz)

    # --- Deadlines (CAL-04, CAL-05) -------------------------------------------

    def add_working_days(self, t: datetime, n: int) -> Deadline:
        """Return the close of working hours on the n-th working day after t's date (CAL-04).

        Counting starts strictly after t's *local* date, whatever the hour.
        Example: 2025-09-30 10:00 + 3 -> 2025-10-11 17:30 (Oct 9, Oct 10, make-up
        Saturday Oct 11). ``n == 0`` means the same local day's close. The result
        is provisional if any day examined is not covered by a calendar (CAL-02).
        """
        if n < 0:
            raise ValueError(f"Cannot count a negative number of working days ({n}).")
        day = self.local_date(t)
        if n == 0:
            return Deadline(self.close_of_day(day), provisional=not self.is_known(day))
        provisional = False
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            provisional = provisional or not self.is_known(day)
            if self.is_workday(day):
                counted += 1
        return Deadline(self.close_of_day(day), provisional=provisional)

    def add_duration(self, t: datetime, delta: timedelta) -> Deadline:
        """Return ``t + delta`` on the wall clock, 24x7 (CAL-05), aware local.

        Added in UTC so that a DST change (Shanghai had DST in 1986-1991) could
        never stretch or shrink the duration. Never provisional: no calendar
        is involved.
        """
        _require_aware(t)
        return Deadline(
            (t.astimezone(ZoneInfo("UTC")) + delta).astimezone(self.tz), provisional=False
        )

    # --- Night duty (CAL-06) --------------------------------------------------

    def is_night(self, t: datetime) -> bool:
        """Return whether ``t`` falls in the night duty window (CAL-06).

        The window is half-open, [start, end): with 20:00-08:00, 20:00:00 is
        night and 08:00:00 is day. It wraps midnight when start > end.
        """
        now = self.local(t).timetz().replace(tzinfo=None)
        if self.night_start < self.night_end:
            return self.night_start <= now < self.night_end
        return now >= self.night_start or now < self.night_end


def business_calendar() -> BusinessCalendar:
    """Return the calendar with the current settings and CalendarDay rows (CAL-02, CAL-03, CAL-06).

    Two queries, none per day and no writes: the settings row, then the days
    and loaded years together. Load it once per request, task or sweep and
    pass it down.
    """
    from django.db.models import BooleanField, DateField, IntegerField, Value

    from servicedesk.workcal.models import CalendarDay, CalendarSettings, LoadedYear

    # Read-only: an unsaved instance carries the defaults until an admin saves.
    cfg = CalendarSettings.current()
    # One UNION query instead of two: the home page calls this on every request.
    rows = (
        CalendarDay.objects.annotate(year_=Value(None, output_field=IntegerField()))
        .values_list("date", "is_workday", "year_")
        .order_by()
        .union(
            LoadedYear.objects.annotate(
                date_=Value(None, output_field=DateField()),
                workday_=Value(None, output_field=BooleanField()),
            )
            .values_list("date_", "workday_", "year")
            .order_by(),
            all=True,
        )
    )
    days: dict[date, bool] = {}
    years: list[int] = []
    for day, is_workday, year in rows:
        if year is not None:
            years.append(year)
        else:
            days[day] = is_workday
    return BusinessCalendar(
        work_start=cfg.work_start,
        work_end=cfg.work_end,
        night_start=cfg.night_start,
        night_end=cfg.night_end,
        days=days,
        loaded_years=years,
    )


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """Return [start, end) of the local calendar month of ``month``, as aware datetimes (CAL-01)."""
    tz = local_zone()
    start = datetime.combine(month.replace(day=1), time.min, tzinfo=tz)
    after = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, datetime.combine(after, time.min, tzinfo=tz)
