"""Service data offered to appraisal (CMP-22)."""

from __future__ import annotations

from datetime import date

import time_machine

from complaints.selectors import staff_service_record
from complaints.services import complaint_contact, first_question_failure_record
from tests.complaints.conftest import local


def test_failures_and_on_time_rates_are_offered_per_staff_member__CMP_22(
    file_complaint, frontdesk, manager, django_assert_max_num_queries
):
    with time_machine.travel(local("2025-05-06 09:00"), tick=False):
        late, prompt = file_complaint(), file_complaint()
        first_question_failure_record(
            complaint=late, staff=frontdesk, kind="delayed", note="拖延两天", by=manager
        )
    with time_machine.travel(local("2025-05-06 09:10"), tick=False):
        complaint_contact(complaint=prompt, by=frontdesk)
    with time_machine.travel(local("2025-05-06 11:00"), tick=False):
        complaint_contact(complaint=late, by=frontdesk)

        with django_assert_max_num_queries(3):
            record = staff_service_record([frontdesk.pk, manager.pk], date(2025, 5, 1))

    assert record[frontdesk.pk]["failures"] == {"delayed": 1}
    assert record[frontdesk.pk]["owned"] == 2
    assert record[frontdesk.pk]["first_contact_on_time"] == 50.0
    assert record[manager.pk]["owned"] == 0
