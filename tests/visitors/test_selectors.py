"""Reads of the visitor desk: scoped, one query whatever the rows (VIS-04, VIS-07)."""

from __future__ import annotations

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.complaints.conftest import local
from visitors.selectors import visit_list, visits_inside, visits_on
from visitors.services import visit_consent


def _rows(queryset) -> tuple[list, int]:
    with CaptureQueriesContext(connection) as ctx:
        rows = list(queryset)
        for row in rows:  # everything the API shows, without another query
            _ = (row.project_code, row.host_unit_number, row.registered_by_staff)
            _ = (row.registered_by_name, row.entered_by_staff, row.id_number_masked)
    return rows, len(ctx.captured_queries)


def test_visits_inside_and_a_days_log_are_one_query_each__VIS_04(
    register_visit, frontdesk, outsider
):
    with time_machine.travel(local("2025-05-05 21:00"), tick=False):
        yesterday = register_visit()
        visit_consent(visit=yesterday, by=frontdesk, granted=True)
    with time_machine.travel(local("2025-05-06 09:00"), tick=False):
        today = [register_visit() for _ in range(3)]
        visit_consent(visit=today[0], by=frontdesk, granted=True)
    frontdesk_viewer_warm = list(visit_list(frontdesk)[:1])  # the scope is cached per user
    assert frontdesk_viewer_warm

    inside, q_inside = _rows(visits_inside(frontdesk))
    log, q_log = _rows(visits_on(frontdesk, local("2025-05-06 00:00").date()))

    assert [v.pk for v in inside] == [today[0].pk, yesterday.pk]
    assert [v.pk for v in log] == [v.pk for v in reversed(today)]
    assert q_inside == q_log == 1
    assert inside[0].registered_by_staff == frontdesk.staff_profile.pk
    assert list(visit_list(outsider)) == []


def test_reads_never_load_the_encrypted_number__VIS_07(register_visit, frontdesk):
    register_visit()

    visit = visit_list(frontdesk).get()

    assert {"id_number_encrypted", "id_hash"} <= visit.get_deferred_fields()
