"""Parsing the State Council's yearly holiday notice as pasted by an administrator (CAL-02).

Pure: no database. One line per day or range of days::

    2027-01-01 休 元旦
    2027-02-06~2027-02-13 休 春节
    2027-02-14 班 调休上班

Ranges may use ``~``, ``～``, ``--`` or ``至``; the kind may be ``休`` / ``节假日`` /
``放假`` / ``holiday`` (a day off) or ``班`` / ``上班`` / ``工作日`` / ``workday``
(a working day); anything after the kind is the day's note. Blank lines and
lines starting with ``#`` are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

OFF_WORDS = frozenset({"休", "休息", "放假", "假", "节假日", "假日", "holiday", "off"})
WORK_WORDS = frozenset({"班", "上班", "工作日", "补班", "workday", "work"})

DEFAULT_NOTE_OFF = "法定节假日"
DEFAULT_NOTE_WORK = "调休上班"

_DATE = r"\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}"
_LINE = re.compile(
    rf"^(?P<start>{_DATE})"
    rf"(?:\s*(?:~|～|--|—|至)\s*(?P<end>{_DATE}))?"
    r"\s*(?P<kind>[^\s\d]\S*)"
    r"(?:\s+(?P<note>.+))?$"
)


@dataclass(frozen=True)
class NoticeError:
    """A rejected line: its 1-based number, its text and why."""

    line_no: int
    text: str
    message: str

    def __str__(self) -> str:
        if not self.line_no:
            return self.message
        return f"第 {self.line_no} 行“{self.text}”：{self.message}"


@dataclass(frozen=True)
class NoticeDay:
    day: date
    is_workday: bool
    note: str
    line_no: int


@dataclass
class ParsedNotice:
    days: list[NoticeDay] = field(default_factory=list)
    errors: list[NoticeError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.days)


def _to_date(text: str) -> date:
    year, month, day = (int(part) for part in re.split(r"\s*[-/.]\s*", text.strip()))
    return date(year, month, day)


def parse_notice(text: str, year: int) -> ParsedNotice:
    """Return the days of ``year``'s notice, or every bad line with its number (CAL-02).

    All-or-nothing: callers import only when ``ok`` (no errors and at least one
    day). A date outside ``year``, a reversed range, an unknown kind or a date
    given twice with different kinds is an error.
    """
    result = ParsedNotice()
    seen: dict[date, tuple[bool, int]] = {}
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue

        def fail(message: str, *, line_no: int = line_no, line: str = line) -> None:
            result.errors.append(NoticeError(line_no, line, message))

        match = _LINE.match(line)
        if match is None:
            fail("格式不对，应为“2027-01-01 休”或“2027-02-10~2027-02-17 休”。")
            continue
        kind = match["kind"].lower()
        if kind in OFF_WORDS:
            is_workday = False
        elif kind in WORK_WORDS:
            is_workday = True
        else:
            fail(f"无法识别“{match['kind']}”，请写“休”或“班”。")
            continue
        try:
            start = _to_date(match["start"])
            end = _to_date(match["end"]) if match["end"] else start
        except ValueError:
            fail("日期不存在。")
            continue
        if end < start:
            fail("结束日期早于开始日期。")
            continue
        if start.year != year or end.year != year:
            fail(f"日期不在 {year} 年内。")
            continue
        note = (match["note"] or "").strip() or (
            DEFAULT_NOTE_WORK if is_workday else DEFAULT_NOTE_OFF
        )
        day = start
        while day <= end:
            previous = seen.get(day)
            if previous is not None and previous[0] != is_workday:
                fail(f"{day:%Y-%m-%d} 与第 {previous[1]} 行矛盾。")
                break
            if previous is None:
                seen[day] = (is_workday, line_no)
                result.days.append(NoticeDay(day, is_workday, note[:100], line_no))
            day += timedelta(days=1)
    if not result.days and not result.errors:
        result.errors.append(NoticeError(0, "", "没有任何日期。"))
    return result
