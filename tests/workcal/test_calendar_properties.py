"""Properties of working-day arithmetic over 2024-2026 (CAL-04, CAL-02)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from servicedesk.workcal.calendar import BusinessCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar(tz=SHANGHAI)

instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31, 23, 59, 59)
).map(lambda t: t.replace(tzinfo=SHANGHAI))
counts = st.integers(min_value=1, max_value=15)
# Modest and without an example database, so the file runs in seconds and writes nothing.
few = settings(max_examples=100, deadline=None, database=None)


@few
@given(t=instants, n=counts)
def test_a_working_day_deadline_falls_on_a_working_day_at_close_of_business(t, n):
    """CAL-04: the result is the close of working hours of a working day after t's date."""
    due = CAL.add_working_days(t, n)
    day = CAL.local_date(due.at)
    assert CAL.is_workday(day)
    assert day > CAL.local_date(t)
    assert due.at == CAL.close_of_day(day)


@few
@given(t=instants, n=counts)
def test_exactly_n_working_days_lie_between_t_and_its_deadline(t, n):
    """CAL-04: count the working days in (t's date, due date]: exactly n."""
    start, end = CAL.local_date(t), CAL.local_date(CAL.add_working_days(t, n).at)
    days = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(CAL.is_workday(d) for d in days) == n


@few
@given(t=instants, n=counts, m=counts)
def test_adding_n_then_m_working_days_equals_adding_n_plus_m(t, n, m):
    """CAL-04: chaining from the returned instant gives the same date as one step."""
    chained = CAL.add_working_days(CAL.add_working_days(t, n).at, m)
    direct = CAL.add_working_days(t, n + m)
    assert CAL.local_date(chained.at) == CAL.local_date(direct.at)
    assert chained.provisional == direct.provisional


@few
@given(t1=instants, t2=instants, n=counts)
def test_a_later_start_never_gives_an_earlier_deadline(t1, t2, n):
    """CAL-04: monotonic in t."""
    early, late = sorted([t1, t2])
    assert CAL.add_working_days(early, n).at <= CAL.add_working_days(late, n).at


@few
@given(t=instants, n=counts, extra=counts)
def test_more_working_days_give_a_strictly_later_deadline(t, n, extra):
    """CAL-04: strictly monotonic in n."""
    assert CAL.add_working_days(t, n).at < CAL.add_working_days(t, n + extra).at


@few
@given(t=instants, n=counts)
def test_deadlines_inside_library_years_are_never_provisional(t, n):
    """CAL-02: provisional exactly when the days examined reach an unknown year."""
    due = CAL.add_working_days(t, n)
    assert due.provisional == (CAL.local_date(due.at).year >= 2027)
