"""CAL-07: one implementation of deadline arithmetic, used everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import servicedesk.workcal.calendar as calendar_module
from servicedesk.workcal.calendar import BusinessCalendar

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = ["servicedesk", "complaints", "appraisal", "decoration", "keys", "visitors"]
THE_ONE = ROOT / "servicedesk" / "workcal" / "calendar.py"


def _sources() -> list[Path]:
    files: list[Path] = []
    for name in APP_DIRS:
        files += [p for p in (ROOT / name).rglob("*.py") if "migrations" not in p.parts]
    return files


def test_only_the_workcal_calendar_consults_the_holiday_library():
    """CAL-07: no module but servicedesk.workcal.calendar imports chinese_calendar."""
    pattern = re.compile(r"^\s*(from|import)\s+chinese_calendar\b", re.MULTILINE)
    users = [p for p in _sources() if pattern.search(p.read_text(encoding="utf-8"))]
    assert users == [THE_ONE]


def test_no_module_reimplements_working_day_counting():
    """CAL-07: add_working_days / add_duration / is_night are defined in one place."""
    pattern = re.compile(r"^\s*def\s+(add_working_days|add_duration|is_night)\b", re.MULTILINE)
    definers = {p for p in _sources() if pattern.search(p.read_text(encoding="utf-8"))}
    assert definers == {THE_ONE}


def test_the_calendar_module_is_the_public_home_of_the_api():
    """CAL-07: callers import Deadline, BusinessCalendar and business_calendar from here."""
    assert {"Deadline", "BusinessCalendar", "business_calendar"} <= set(vars(calendar_module))
    for name in (
        "is_workday",
        "is_known",
        "add_working_days",
        "add_duration",
        "close_of_day",
        "end_of_local_day",
        "is_night",
    ):
        assert callable(getattr(BusinessCalendar, name))
    assert calendar_module.__name__ == "servicedesk.workcal.calendar"
