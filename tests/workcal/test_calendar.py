"""The working-day calendar's rules (CAL-01..CAL-06)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from servicedesk.workcal.calendar import BusinessCalendar, Deadline, business_calendar
from servicedesk.workcal.models import CalendarDay, CalendarSettings, LoadedYear

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """An aware Shanghai datetime from 'YYYY-MM-DD HH:MM[:SS]'."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def cal() -> BusinessCalendar:
    """The default calendar, without the database."""
    return BusinessCalendar(tz=SHANGHAI)


# --- CAL-01 -------------------------------------------------------------------


def test_it_runs_in_shanghai_time_with_aware_datetimes():
    """CAL-01: USE_TZ with Asia/Shanghai."""
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "Asia/Shanghai"


def test_it_returns_aware_local_deadlines(cal):
    """CAL-01: results are aware, at +08:00, whatever zone the input had."""
    t = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)
    for due in (cal.add_working_days(t, 1), cal.add_duration(t, timedelta(hours=1))):
        assert isinstance(due, Deadline)
        assert due.at.tzinfo is not None
        assert due.at.utcoffset() == timedelta(hours=8)
    assert cal.close_of_day(date(2025, 9, 30)).utcoffset() == timedelta(hours=8)


def test_it_refuses_a_naive_datetime(cal):
    """CAL-01: a naive instant is a programming error, not silently UTC or local."""
    with pytest.raises(ValueError, match="aware"):
        cal.add_working_days(datetime(2025, 9, 30, 10, 0), 1)


def test_the_end_of_a_local_day_is_its_last_microsecond(cal):
    """CAL-01: same-day loans end at 23:59:59.999999 local, i.e. 15:59:59.999999 UTC."""
    end = cal.end_of_local_day(date(2025, 3, 7))
    assert end == local("2025-03-07 23:59:59.999999")
    assert end.astimezone(UTC) == datetime(2025, 3, 7, 15, 59, 59, 999999, tzinfo=UTC)


# --- CAL-02 -------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2025, 9, 28), date(2025, 10, 11), date(2025, 1, 26)])
def test_make_up_weekend_days_are_working_days(cal, day):
    """CAL-02: 调休 Sunday 2025-09-28 and Saturday 2025-10-11 are working days."""
    assert day.weekday() >= 5
    assert cal.is_workday(day)


def test_the_national_day_week_is_a_holiday(cal):
    """CAL-02: 2025-10-01..08 are holidays, weekdays included."""
    for offset in range(8):
        assert not cal.is_workday(date(2025, 10, 1) + timedelta(days=offset))
    assert cal.is_workday(date(2025, 10, 9))


def test_an_override_beats_the_library():
    """CAL-02: an admin's CalendarDay wins over chinese-calendar both ways."""
    cal = BusinessCalendar(tz=SHANGHAI, days={date(2025, 10, 9): False, date(2025, 10, 4): True})
    assert not cal.is_workday(date(2025, 10, 9))
    assert cal.is_workday(date(2025, 10, 4))


@pytest.mark.django_db
def test_an_override_in_the_database_moves_the_deadline():
    """CAL-02: a CalendarDay row marking Oct 9 off pushes the third working day to Mon Oct 13."""
    CalendarDay.objects.create(date=date(2025, 10, 9), is_workday=False, note="公司停电检修")
    due = business_calendar().add_working_days(local("2025-09-30 10:00"), 3)
    assert due.at == local("2025-10-13 17:30")


def test_a_2027_deadline_is_provisional_and_does_not_raise(cal):
    """CAL-02: beyond the library, count Monday-Friday and mark the result provisional."""
    due = cal.add_working_days(local("2026-12-30 10:00"), 3)
    # Thu Dec 31 = 1 (known); Fri 2027-01-01 = 2 and Mon Jan 4 = 3 (guessed).
    assert due == Deadline(local("2027-01-04 17:30"), provisional=True)
    assert not cal.is_known(date(2027, 1, 4))
    assert cal.is_workday(date(2027, 1, 4))
    assert not cal.is_workday(date(2027, 1, 2))


def test_a_deadline_that_stays_within_known_years_is_not_provisional(cal):
    """CAL-02: provisional only when an examined day is unknown."""
    assert not cal.add_working_days(local("2026-12-28 10:00"), 3).provisional


def test_a_loaded_year_makes_its_deadlines_authoritative():
    """CAL-02: with 2027's notice imported (Jan 1 off), the same deadline is final."""
    cal = BusinessCalendar(tz=SHANGHAI, days={date(2027, 1, 1): False}, loaded_years=[2027])
    due = cal.add_working_days(local("2026-12-30 10:00"), 3)
    assert due == Deadline(local("2027-01-05 17:30"), provisional=False)


def test_an_override_alone_makes_only_its_day_known():
    """CAL-02: one override in 2027 does not vouch for the rest of the year."""
    cal = BusinessCalendar(tz=SHANGHAI, days={date(2027, 1, 1): False})
    assert cal.is_known(date(2027, 1, 1))
    assert not cal.is_known(date(2027, 1, 4))
    assert not cal.is_year_known(2027)


@pytest.mark.django_db
def test_the_calendar_loads_in_two_queries_whatever_the_span(django_assert_num_queries):
    """CAL-02: settings, then days and loaded years together; no query per day counted."""
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False)
    LoadedYear.objects.create(year=2027)
    CalendarSettings.load()
    with django_assert_num_queries(2):
        cal = business_calendar()
        due = cal.add_working_days(local("2026-12-01 10:00"), 60)
    assert not due.provisional
    assert cal.is_known(date(2027, 6, 1))
    assert not cal.is_workday(date(2027, 1, 1))


@pytest.mark.django_db
def test_reading_the_calendar_never_writes_the_settings_row():
    """CAL-03: without a saved row the defaults apply, and nothing is inserted."""
    assert business_calendar().working_hours == (time(8, 30), time(17, 30))
    assert not CalendarSettings.objects.exists()


# --- CAL-03 -------------------------------------------------------------------


@pytest.mark.django_db
def test_working_hours_default_to_0830_1730():
    """CAL-03: the defaults."""
    assert business_calendar().working_hours == (time(8, 30), time(17, 30))


@pytest.mark.django_db
def test_changing_the_end_of_working_hours_moves_the_deadline():
    """CAL-03: working hours are admin-editable; 18:00 moves the CAL-04 deadline."""
    cfg = CalendarSettings.load()
    cfg.work_end = time(18, 0)
    cfg.save()
    due = business_calendar().add_working_days(local("2025-09-30 10:00"), 3)
    assert due.at == local("2025-10-11 18:00")


@pytest.mark.django_db
def test_working_hours_must_end_after_they_start():
    """CAL-03: validation refuses an end at or before the start."""
    cfg = CalendarSettings.load()
    cfg.work_end = time(8, 0)
    with pytest.raises(ValidationError) as exc:
        cfg.full_clean()
    assert "work_end" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        cfg.save()


@pytest.mark.django_db
def test_the_settings_are_a_singleton():
    """CAL-03: load() always returns the one row."""
    first = CalendarSettings.load()
    CalendarSettings(work_end=time(18, 0)).save()
    assert CalendarSettings.objects.count() == 1
    assert CalendarSettings.load().pk == first.pk
    assert CalendarSettings.load().work_end == time(18, 0)


# --- CAL-04 -------------------------------------------------------------------


def test_three_working_days_after_national_day_eve_end_on_the_make_up_saturday(cal):
    """CAL-04: 2025-09-30 10:00 + 3 -> 2025-10-11 17:30 (Oct 9, Oct 10, Sat Oct 11)."""
    due = cal.add_working_days(local("2025-09-30 10:00"), 3)
    assert due == Deadline(local("2025-10-11 17:30"), provisional=False)


def test_three_working_days_before_spring_festival_count_the_make_up_sunday(cal):
    """CAL-04: Fri 2025-01-24 17:00 + 3 -> 2025-02-05 17:30 (Sun Jan 26, Mon Jan 27, Wed Feb 5)."""
    due = cal.add_working_days(local("2025-01-24 17:00"), 3)
    assert due.at == local("2025-02-05 17:30")


def test_counting_starts_after_the_local_date_not_the_utc_date(cal):
    """CAL-04: 00:30 local on Sep 30 is 16:30 UTC on Sep 29; day 1 is still Oct 9."""
    t = datetime(2025, 9, 29, 16, 30, tzinfo=UTC)
    assert cal.local_date(t) == date(2025, 9, 30)
    assert cal.add_working_days(t, 1).at == local("2025-10-09 17:30")


def test_a_request_received_after_hours_still_counts_from_the_next_day(cal):
    """CAL-04: 'strictly after t's local date', whatever the hour on that date."""
    morning = cal.add_working_days(local("2025-03-05 08:00"), 1)
    evening = cal.add_working_days(local("2025-03-05 23:59"), 1)
    assert morning.at == evening.at == local("2025-03-06 17:30")


def test_zero_working_days_means_the_same_local_day(cal):
    """CAL-04: N = 0 is the close of t's own local date."""
    assert cal.add_working_days(local("2025-03-05 09:00"), 0).at == local("2025-03-05 17:30")


def test_a_negative_count_is_refused(cal):
    """CAL-04: N counts days forward only."""
    with pytest.raises(ValueError):
        cal.add_working_days(local("2025-03-05 09:00"), -1)


# --- CAL-05 -------------------------------------------------------------------


def test_hours_are_wall_clock_across_the_national_day_holiday(cal):
    """CAL-05: 48 hours from Tue 2025-09-30 10:00 is Thu Oct 2 10:00, holiday or not."""
    due = cal.add_duration(local("2025-09-30 10:00"), timedelta(hours=48))
    assert due == Deadline(local("2025-10-02 10:00"), provisional=False)


def test_minutes_are_wall_clock_across_a_weekend_night(cal):
    """CAL-05: 30 minutes from Sat 23:50 is Sun 00:20."""
    due = cal.add_duration(local("2025-03-08 23:50"), timedelta(minutes=30))
    assert due.at == local("2025-03-09 00:20")


def test_wall_clock_durations_into_2027_are_not_provisional(cal):
    """CAL-05: no calendar is involved, so nothing to be provisional about."""
    assert not cal.add_duration(local("2026-12-31 10:00"), timedelta(days=7)).provisional


# --- CAL-06 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clock", "night"),
    [
        ("19:59:59", False),
        ("20:00:00", True),
        ("23:59:59", True),
        ("00:00:00", True),
        ("07:59:59", True),
        ("08:00:00", False),
        ("12:00:00", False),
    ],
)
def test_the_night_window_runs_from_2000_to_0800(cal, clock, night):
    """CAL-06: [20:00, 08:00) local is night; 20:00:00 is night, 08:00:00 is day."""
    assert cal.is_night(local(f"2025-03-05 {clock}")) is night


def test_night_is_judged_in_local_time(cal):
    """CAL-06: 12:30 UTC is 20:30 in Shanghai: night."""
    assert cal.is_night(datetime(2025, 3, 5, 12, 30, tzinfo=UTC))


@pytest.mark.django_db
def test_the_night_window_is_editable():
    """CAL-06: an admin moves the window to 22:00-07:00."""
    cfg = CalendarSettings.load()
    assert business_calendar().night_window == (time(20, 0), time(8, 0))
    cfg.night_start, cfg.night_end = time(22, 0), time(7, 0)
    cfg.save()
    cal = business_calendar()
    assert not cal.is_night(local("2025-03-05 21:00"))
    assert cal.is_night(local("2025-03-05 22:00"))
    assert not cal.is_night(local("2025-03-06 07:00"))


def test_a_night_window_that_does_not_wrap_midnight_works_too():
    """CAL-06: e.g. 00:00-06:00."""
    cal = BusinessCalendar(tz=SHANGHAI, night_start=time(0, 0), night_end=time(6, 0))
    assert cal.is_night(local("2025-03-05 00:00"))
    assert not cal.is_night(local("2025-03-05 06:00"))
    assert not cal.is_night(local("2025-03-05 23:00"))


@pytest.mark.django_db
def test_an_empty_night_window_is_refused():
    """CAL-06: start and end must differ."""
    cfg = CalendarSettings.load()
    cfg.night_end = cfg.night_start
    with pytest.raises(ValidationError):
        cfg.full_clean()
