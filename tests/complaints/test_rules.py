"""Deadlines of the complaint desk, from the one calendar (CMP-05..08, CMP-12, CMP-19)."""

from __future__ import annotations

import time_machine

from complaints.models import Clock, Complaint
from tests.complaints.conftest import local


def due(complaint: Complaint, kind: str):
    return complaint.clocks.get(kind=kind).due_at.astimezone(local("2025-01-01 00:00").tzinfo)


def test_first_contact_is_due_by_urgency_minutes__CMP_05(file_complaint):
    with time_machine.travel(local("2025-09-30 10:00"), tick=False):
        c = file_complaint(urgency_minutes=15)

    assert due(c, Clock.Kind.FIRST_CONTACT) == local("2025-09-30 10:15")


def test_the_customer_gets_a_reply_within_48_hours_wall_clock__CMP_06(file_complaint):
    with time_machine.travel(local("2025-09-30 10:00"), tick=False):
        c = file_complaint()

    assert due(c, Clock.Kind.REPLY) == local("2025-10-02 10:00")


def test_general_complaint_due_in_three_working_days__CMP_07(file_complaint):
    """2025-09-30 10:00 → 2025-10-11 17:30 across the National Day holiday (CAL-04)."""
    with time_machine.travel(local("2025-09-30 10:00"), tick=False):
        c = file_complaint(severity="general")

    assert due(c, Clock.Kind.RECTIFY) == local("2025-10-11 17:30")


def test_major_complaint_due_in_one_working_day__CMP_07(file_complaint):
    with time_machine.travel(local("2025-09-30 10:00"), tick=False):
        c = file_complaint(severity="major")

    assert due(c, Clock.Kind.RECTIFY) == local("2025-10-09 17:30")


def test_a_hot_complaint_is_reported_to_the_group_within_one_working_day__CMP_08(file_complaint):
    with time_machine.travel(local("2025-03-07 16:00"), tick=False):  # a Friday
        c = file_complaint(hot=True)

    assert due(c, Clock.Kind.HOT_REPORT) == local("2025-03-10 17:30")


def test_a_category_1_incident_brings_the_manager_on_site_within_2_hours__CMP_19(file_complaint):
    with time_machine.travel(local("2025-03-08 23:30"), tick=False):
        c = file_complaint(incident=True, severity="major")

    assert due(c, Clock.Kind.ONSITE) == local("2025-03-09 01:30")


def test_a_consultation_only_has_the_reply_clock__CMP_06(file_complaint):
    c = file_complaint(kind="consultation", unit=None)

    assert list(c.clocks.values_list("kind", flat=True)) == [Clock.Kind.REPLY]


def test_the_first_question_owner_is_who_received_it__CMP_03(file_complaint, frontdesk):
    c = file_complaint()

    assert c.received_by == frontdesk
    assert c.number.startswith("TS-") and c.reporters.get().name == "陈静"
