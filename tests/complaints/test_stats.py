"""Monthly statistics (CMP-14, CMP-16): the selector, ``complaints/stats/`` and the page."""

from __future__ import annotations

import io
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from complaints.models import Category, Complaint
from complaints.selectors import month_stats
from complaints.services import (
    complaint_callback,
    complaint_contact,
    complaint_recategorise,
    complaint_rectify,
)
from tests.api import conftest as api_conftest
from tests.complaints.conftest import local

# The token-client fixture of tests/api, shared here: ``api_as(user)``.
api_as = api_conftest.api_as

URL = "/api/v1/complaints/stats/"
MARCH = date(2025, 3, 1)


def stats(client, month: str = "2025-03") -> dict:
    response = client.get(URL, {"month": month})
    assert response.status_code == 200, response.json()
    return response.json()


def rectify(c: Complaint, by) -> None:
    complaint_contact(complaint=c, by=by)
    complaint_rectify(complaint=c, by=by, note="已处理")


def test_merged_duplicates_count_once_in_monthly_stats__CMP_14(api_as, frontdesk, file_complaint):
    with time_machine.travel(local("2025-03-10 09:00"), tick=False):
        master = file_complaint()
        dup = file_complaint(reporter_name="王芳", reporter_phone="13900001111")
        merged = api_as(frontdesk).post(
            f"/api/v1/complaints/{dup.pk}/merge/", {"into": master.pk}, format="json"
        )
        body = stats(api_as(frontdesk))
        detail = api_as(frontdesk).get(f"/api/v1/complaints/{master.pk}/").json()

    assert merged.status_code == 200
    assert body["total"] == 1
    assert body["by_category"] == {"facilities": 1}
    assert (body["people"], body["times"]) == (2, 2)
    assert detail["reporters_count"] == 2


def test_the_satisfaction_rate_is_reached_callbacks_satisfied_or_basically__CMP_16(
    api_as, frontdesk, file_complaint
):
    with time_machine.travel(local("2025-03-10 09:00"), tick=False):
        happy, fine, unhappy, unreached = (file_complaint() for _ in range(4))
        for c in (happy, fine, unhappy, unreached):
            rectify(c, frontdesk)
        complaint_callback(complaint=happy, by=frontdesk, outcome="reached", result="satisfied")
        complaint_callback(complaint=fine, by=frontdesk, outcome="reached", result="basically")
        complaint_callback(complaint=unhappy, by=frontdesk, outcome="reached", result="unsatisfied")
        complaint_callback(complaint=unreached, by=frontdesk, outcome="no_answer")
        body = stats(api_as(frontdesk))

    assert (body["callbacks_satisfied"], body["callbacks_reached"]) == (2, 3)
    assert body["satisfaction_rate"] == pytest.approx(66.67)
    assert body["target"] == 90.0


def test_the_satisfaction_rate_is_null_without_reached_callbacks__CMP_16(
    api_as, frontdesk, file_complaint
):
    with time_machine.travel(local("2025-03-10 09:00"), tick=False):
        file_complaint()
        body = stats(api_as(frontdesk))

    assert body["total"] == 1 and body["satisfaction_rate"] is None


def test_categories_are_counted_by_the_final_root_cause__CMP_02(api_as, frontdesk, file_complaint):
    with time_machine.travel(local("2025-03-10 09:00"), tick=False):
        c = file_complaint()
        file_complaint()
        complaint_recategorise(
            complaint=c,
            category=Category.objects.get(code="service_attitude"),
            by=frontdesk,
            reason="调查后确认为员工态度问题",
        )
        body = stats(api_as(frontdesk))

    assert body["by_category"] == {"facilities": 1, "service_attitude": 1}
    assert body["by_channel"] == {"phone": 2}


def test_the_month_is_the_local_calendar_month(api_as, frontdesk, file_complaint):
    with time_machine.travel(local("2025-04-01 08:00"), tick=False):
        file_complaint(received_at=local("2025-03-31 23:30"))
        file_complaint(received_at=local("2025-04-01 00:10"))
        march, april = stats(api_as(frontdesk)), stats(api_as(frontdesk), "2025-04")

    assert (march["month"], march["total"]) == ("2025-03", 1)
    assert (april["month"], april["total"]) == ("2025-04", 1)


def test_on_time_rates_count_done_before_due_over_done_or_overdue__CMP_05_07(
    api_as, frontdesk, file_complaint
):
    with time_machine.travel(local("2025-03-10 09:00"), tick=False):
        quick, slow, forgotten = file_complaint(), file_complaint(), file_complaint()
        complaint_contact(complaint=quick, by=frontdesk)
    with time_machine.travel(local("2025-03-10 12:00"), tick=False):
        complaint_contact(complaint=slow, by=frontdesk)
        body = stats(api_as(frontdesk))

    assert forgotten.status == Complaint.Status.OPEN
    assert body["first_contact_on_time_rate"] == pytest.approx(33.33)
    assert body["rectify_on_time_rate"] is None  # nothing rectified, nothing overdue yet


def test_stats_are_scoped_to_the_callers_projects__ORG_01(api_as, outsider, file_complaint):
    with time_machine.travel(local("2025-03-10 09:00"), tick=False):
        file_complaint()
        body = stats(api_as(outsider))

    assert body["total"] == 0 and body["by_category"] == {}


@pytest.mark.parametrize("month", ["2025-13", "2025/03", "march", "2025-3"])
def test_a_bad_month_is_refused_naming_the_field(api_as, frontdesk, month):
    response = api_as(frontdesk).get(URL, {"month": month})

    assert response.status_code == 400
    assert "month" in response.json()


def test_month_stats_costs_a_few_queries_whatever_the_volume(frontdesk, file_complaint):
    with time_machine.travel(local("2025-03-10 09:00"), tick=False):
        for _ in range(12):
            rectify(file_complaint(), frontdesk)
        with CaptureQueriesContext(connection) as ctx:
            result = month_stats(Complaint.objects.all(), MARCH)

    assert result["total"] == 12
    assert len(ctx.captured_queries) <= 6  # count, reporters, callbacks, clocks, repeats, policy


# --- The page --------------------------------------------------------------------------------


def test_the_stats_page_shows_the_tables_and_passes_chart_data_as_json(
    client, frontdesk, file_complaint
):
    with time_machine.travel(local("2025-03-10 09:00"), tick=False):
        file_complaint()
        client.force_login(frontdesk)
        response = client.get(reverse("complaints:stats"), {"month": "2025-03"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="stats-data"' in html
    assert "vendor/chart.js/chart.umd.min.js" in html and "js/complaint-stats.js" in html
    assert response.context["stats"]["total"] == 1
    for testid in ("stats-by-category", "stats-by-channel", "stats-by-building"):
        assert f'data-testid="{testid}"' in html
    # No inline script but the JSON data block.
    assert html.count("<script>") == 0


def test_the_stats_page_is_for_staff_only(client, owner):
    client.force_login(owner)

    assert client.get(reverse("complaints:stats")).status_code == 403


def test_the_stats_page_refuses_a_bad_month(client, frontdesk):
    client.force_login(frontdesk)

    response = client.get(reverse("complaints:stats"), {"month": "2025-99"})

    assert response.status_code == 400


def test_the_stats_export_is_an_excel_workbook(client, frontdesk, file_complaint):
    with time_machine.travel(local("2025-03-10 09:00"), tick=False):
        file_complaint()
        client.force_login(frontdesk)
        response = client.get(reverse("complaints:stats"), {"month": "2025-03", "format": "xlsx"})

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True)}
    assert summary["受理总数（重复合并计一次）"] == 1
    rows = list(book["按类别"].iter_rows(values_only=True))
    assert ("facilities", "设备设施", 1, 100.0) in rows or any(
        r[0] == "facilities" and r[2] == 1 for r in rows
    )


def test_the_monthly_statistics_report_prints_as_pdf(client, frontdesk, file_complaint):
    with time_machine.travel(local("2025-03-10 09:00"), tick=False):
        file_complaint()
        client.force_login(frontdesk)
        response = client.get(reverse("complaints:stats"), {"month": "2025-03", "format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_repeat_rate_counts_a_second_complaint_of_the_same_cause_within_90_days__CMP_14(
    file_complaint,
):
    from datetime import date

    from complaints.models import Complaint
    from complaints.selectors import month_stats

    with time_machine.travel(local("2025-03-20 10:00"), tick=False):
        file_complaint()
    with time_machine.travel(local("2025-05-10 10:00"), tick=False):
        file_complaint()  # same unit, same cause, 51 days later: a repeat
        file_complaint(category=Category.objects.get(code="vehicles"))  # another cause

    stats = month_stats(Complaint.objects.all(), date(2025, 5, 1))

    assert stats["repeat_rate"] == 50.0
