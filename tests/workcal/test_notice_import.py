"""Importing a year from the State Council's notice through the admin (CAL-02)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from servicedesk.core.models import Event
from servicedesk.workcal import recompute
from servicedesk.workcal.calendar import Deadline, business_calendar
from servicedesk.workcal.models import CalendarDay, LoadedYear
from servicedesk.workcal.notice import parse_notice
from servicedesk.workcal.services import calendar_year_recompute
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
IMPORT_URL = "admin:workcal_loadedyear_import"

NOTICE_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知
2027-01-01 休 元旦
2027-02-06~2027-02-13 休 春节
2027-02-14 班
2027-04-03 ～ 2027-04-05 节假日 清明节
2027-05-01--2027-05-05 holiday 劳动节
2027-05-08 workday
2027-10-01至2027-10-07 休 国庆节
2027-10-09 上班 调休上班
"""


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def hooks(monkeypatch):
    """An empty recompute registry for the test, restored afterwards."""
    monkeypatch.setattr(recompute, "_hooks", [])
    return recompute


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_parser_accepts_every_documented_form():
    """CAL-02: 休/节假日/holiday and 班/上班/workday; ~, ～, -- and 至 ranges."""
    parsed = parse_notice(NOTICE_2027, 2027)
    assert parsed.ok, parsed.errors
    days = {d.day: d for d in parsed.days}
    assert len(days) == 1 + 8 + 1 + 3 + 5 + 1 + 7 + 1
    assert not days[date(2027, 2, 6)].is_workday
    assert days[date(2027, 2, 6)].note == "春节"
    assert days[date(2027, 2, 14)].is_workday
    assert days[date(2027, 2, 14)].note == "调休上班"
    assert days[date(2027, 5, 8)].is_workday
    assert not days[date(2027, 10, 7)].is_workday


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2027-02-30 休", "日期不存在"),
        ("2027-02-10~2027-02-01 休", "结束日期早于开始日期"),
        ("2026-12-31 休", "不在 2027 年内"),
        ("2027-01-01 请假", "无法识别"),
        ("元旦 2027-01-01", "格式不对"),
    ],
)
def test_the_parser_names_the_line_and_its_text(line, message):
    """CAL-02: each bad line is reported with its number and text."""
    parsed = parse_notice(f"2027-01-01 休\n{line}\n", 2027)
    assert not parsed.ok
    [error] = parsed.errors
    assert error.line_no == 2
    assert str(error).startswith(f"第 2 行“{line}”")
    assert message in str(error)


def test_the_parser_refuses_a_day_given_both_off_and_working():
    """CAL-02: contradictory lines are an error."""
    parsed = parse_notice("2027-02-06~2027-02-13 休\n2027-02-07 班\n", 2027)
    assert [e.line_no for e in parsed.errors] == [2]
    assert "与第 1 行矛盾" in str(parsed.errors[0])


def test_the_import_page_documents_the_format(admin_client):
    """CAL-02: the form explains the line format in Chinese."""
    response = admin_client.get(reverse(IMPORT_URL))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2027-02-10~2027-02-17" in page
    assert "调休上班" in page


def test_the_import_link_is_on_the_loaded_years_list(admin_client):
    response = admin_client.get(reverse("admin:workcal_loadedyear_changelist"))
    assert response.status_code == 200
    assert reverse(IMPORT_URL) in response.content.decode()


def test_importing_2027_makes_its_deadlines_final_and_runs_the_recompute_hooks(admin_client, hooks):
    """CAL-02: before the import a 2027 deadline is provisional; after, it is not, and
    every registered hook was called with the year."""
    calls: list[int] = []

    @hooks.register_provisional_recompute
    def recompute_test_records(year: int) -> int:
        calls.append(year)
        return 4

    t = local("2026-12-30 10:00")
    assert business_calendar().add_working_days(t, 3).provisional

    with time_machine.travel(local("2026-11-05 09:00"), tick=False):
        response = admin_client.post(
            reverse(IMPORT_URL),
            {"year": 2027, "note": "国办发明电〔2026〕7号", "text": NOTICE_2027},
        )
        assert response.status_code == 302
        assert "已导入 2027 年" in admin_client.get(response.url).content.decode()
    assert calls == [2027]

    loaded = LoadedYear.objects.get(year=2027)
    assert loaded.loaded_by.username == "root"
    assert loaded.recomputed_at == local("2026-11-05 09:00")
    assert CalendarDay.objects.filter(source=CalendarDay.Source.NOTICE).count() == 27
    assert Event.objects.filter(action="calendar_year_loaded", object_id=str(loaded.pk)).exists()

    # Dec 31 = 1, Jan 1 is now a holiday, Mon Jan 4 = 2, Tue Jan 5 = 3.
    assert business_calendar().add_working_days(t, 3) == Deadline(
        local("2027-01-05 17:30"), provisional=False
    )
    # An unlisted 2027 day is known now: Monday-Friday by the notice's silence.
    assert business_calendar().is_known(date(2027, 3, 3))


def test_a_bad_line_is_reported_with_its_number_and_nothing_is_imported(admin_client, hooks):
    """CAL-02: all-or-nothing; the error names line 3 and quotes it."""
    calls: list[int] = []
    hooks.register_provisional_recompute(lambda year: calls.append(year) or 0)
    text = "2027-01-01 休\n2027-02-14 班\n2027-02-30 休 春节\n"
    response = admin_client.post(reverse(IMPORT_URL), {"year": 2027, "text": text})
    assert response.status_code == 200
    page = response.content.decode()
    assert "第 3 行“2027-02-30 休 春节”" in page
    assert "未导入任何内容" in page
    assert not CalendarDay.objects.exists()
    assert not LoadedYear.objects.exists()
    assert calls == []


def test_reimporting_replaces_the_notice_but_keeps_manual_overrides(admin_client, hooks):
    """CAL-02: an administrator's override survives a re-import of its year."""
    CalendarDay.objects.create(date=date(2027, 1, 4), is_workday=False, note="公司年休")
    admin_client.post(reverse(IMPORT_URL), {"year": 2027, "text": "2027-01-01 休\n2027-01-02 班"})
    admin_client.post(
        reverse(IMPORT_URL), {"year": 2027, "text": "2027-01-01 休\n2027-01-04 班 调休上班"}
    )
    rows = dict(CalendarDay.objects.values_list("date", "source"))
    assert rows == {
        date(2027, 1, 1): CalendarDay.Source.NOTICE,
        date(2027, 1, 4): CalendarDay.Source.OVERRIDE,
    }
    assert not CalendarDay.objects.get(date=date(2027, 1, 4)).is_workday
    assert LoadedYear.objects.count() == 1
    assert Event.objects.filter(action="calendar_year_reloaded").count() == 1


def test_a_failing_hook_leaves_the_import_and_is_retried_by_the_sweep(admin_client, hooks):
    """CAL-02: a module's bug neither undoes the calendar nor skips the recompute forever."""
    state = {"broken": True}

    def flaky(year: int) -> int:
        if state["broken"]:
            raise RuntimeError("boom")
        return 2

    hooks.register_provisional_recompute(flaky)
    hooks.register_provisional_recompute(lambda year: 1)
    response = admin_client.post(reverse(IMPORT_URL), {"year": 2027, "text": "2027-01-01 休"})
    assert response.status_code == 302
    assert LoadedYear.objects.get(year=2027).recomputed_at is None

    from servicedesk.workcal.deadlines import recompute_loaded_years

    state["broken"] = False
    assert recompute_loaded_years(local("2026-11-06 00:00")) == 3
    assert LoadedYear.objects.get(year=2027).recomputed_at is not None
    assert recompute_loaded_years(local("2026-11-06 00:05")) == 0
    assert calendar_year_recompute(year=2027) == (3, [])


def test_an_edited_notice_day_becomes_an_override(admin_client):
    """CAL-02: a manual edit in the admin is an override and is logged."""
    day = CalendarDay.objects.create(
        date=date(2027, 1, 1), is_workday=False, source=CalendarDay.Source.NOTICE
    )
    url = reverse("admin:workcal_calendarday_change", args=[day.pk])
    response = admin_client.post(url, {"date": "2027-01-01", "is_workday": "on", "note": "值班"})
    assert response.status_code == 302
    day.refresh_from_db()
    assert day.is_workday and day.source == CalendarDay.Source.OVERRIDE
    assert Event.objects.filter(action="calendar_day_changed").exists()


def test_the_settings_admin_is_a_singleton(admin_client):
    """CAL-03: one settings page, no add once it exists, no delete."""
    response = admin_client.get(reverse("admin:workcal_calendarsettings_changelist"))
    assert response.status_code == 302
    assert admin_client.get(response.url).status_code == 200
    assert admin_client.get(reverse("admin:workcal_calendarsettings_add")).status_code == 403
    delete = reverse("admin:workcal_calendarsettings_delete", args=[1])
    assert admin_client.get(delete).status_code == 403


def test_the_settings_admin_refuses_an_end_before_the_start(admin_client):
    """CAL-03: validation in the admin form."""
    url = reverse("admin:workcal_calendarsettings_change", args=[1])
    admin_client.get(reverse("admin:workcal_calendarsettings_changelist"))
    response = admin_client.post(
        url,
        {"work_start": "08:30", "work_end": "08:00", "night_start": "20:00", "night_end": "08:00"},
    )
    assert response.status_code == 200
    assert "下班时间必须晚于上班时间" in response.content.decode()


def test_only_permitted_staff_may_import(client, db):
    """CAL-02: a staff user without calendar permissions cannot import."""
    client.force_login(UserFactory(username="clerk", is_staff=True))
    assert client.get(reverse(IMPORT_URL)).status_code == 403
