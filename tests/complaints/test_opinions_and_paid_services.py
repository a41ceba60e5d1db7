"""Survey opinions (CMP-20) and paid special services (CMP-21) on the same desk."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from complaints.models import Clock, Complaint
from complaints.services import (
    InvalidTransition,
    complaint_callback,
    complaint_contact,
    complaint_rectify,
    opinion_plan_receive,
    opinion_send_to_department,
    paid_service_notify_payment,
)
from servicedesk.core.models import Department
from servicedesk.deadlines.sweep import run_sweep
from tests.complaints.conftest import local


def test_an_opinion_is_summarised_in_2_days_and_planned_in_3_then_called_back__CMP_20(
    file_complaint, frontdesk, manager
):
    engineering = Department.objects.create(code="engineering", name="工程部")
    with time_machine.travel(local("2025-06-02 10:00"), tick=False):
        c = file_complaint(kind="opinion", description="希望增加夜间巡逻频次")
    assert c.number.startswith("YJ-")
    assert c.clocks.get(kind=Clock.Kind.OPINION_SUMMARY).due_at == local("2025-06-04 10:00")

    with time_machine.travel(local("2025-06-03 09:00"), tick=False):
        opinion_send_to_department(
            complaint=c, by=manager, department_id=engineering.pk, summary="3 户反映夜间巡逻不足"
        )
    assert c.clocks.get(kind=Clock.Kind.OPINION_PLAN).due_at == local("2025-06-06 09:00")

    with time_machine.travel(local("2025-06-05 15:00"), tick=False):
        opinion_plan_receive(complaint=c, by=manager, plan="夜间巡逻由 2 次增至 4 次")
        complaint_rectify(complaint=c, by=manager, note="已调整排班")
    c.refresh_from_db()
    # Callback within 2 weeks after rectification.
    assert c.clocks.get(kind=Clock.Kind.CALLBACK).due_at == local("2025-06-19 15:00")


def test_a_late_department_plan_escalates__CMP_20(file_complaint, manager, supervisor):
    engineering = Department.objects.create(code="engineering", name="工程部")
    with time_machine.travel(local("2025-06-02 10:00"), tick=False):
        c = file_complaint(kind="opinion")
        opinion_send_to_department(
            complaint=c, by=manager, department_id=engineering.pk, summary="汇总"
        )
    with time_machine.travel(local("2025-06-05 10:01"), tick=False):
        run_sweep()

    c.refresh_from_db()
    assert c.escalation_level == 1


def test_a_paid_service_is_called_back_only_after_its_payment_notice__CMP_21(
    file_complaint, frontdesk
):
    c = file_complaint(kind="paid_service", description="代为清洗油烟机", category=None)
    complaint_contact(complaint=c, by=frontdesk, note="约定周六上门")
    complaint_rectify(complaint=c, by=frontdesk, note="已清洗完毕")

    with pytest.raises(InvalidTransition):
        complaint_callback(complaint=c, by=frontdesk, outcome="reached", result="satisfied")

    paid_service_notify_payment(complaint=c, by=frontdesk, fee=Decimal("150.00"))
    complaint_callback(
        complaint=c, by=frontdesk, outcome="reached", result="satisfied", confirmation="phone"
    )
    c.refresh_from_db()

    assert c.status == Complaint.Status.CLOSED
    assert c.fee == Decimal("150.00") and c.number.startswith("TY-")


def test_a_fee_with_three_decimals_is_refused_naming_the_field__CMP_21(file_complaint, frontdesk):
    from django.core.exceptions import ValidationError

    c = file_complaint(kind="paid_service")
    complaint_contact(complaint=c, by=frontdesk)
    complaint_rectify(complaint=c, by=frontdesk, note="完成")

    with pytest.raises(ValidationError) as err:
        paid_service_notify_payment(complaint=c, by=frontdesk, fee=Decimal("10.005"))

    assert "fee" in err.value.message_dict


def test_an_opinion_is_not_contacted_but_sent_to_the_department__CMP_20(file_complaint, frontdesk):
    c = file_complaint(kind="opinion")

    with pytest.raises(InvalidTransition):
        complaint_contact(complaint=c, by=frontdesk)


def test_a_payment_notice_goes_out_once__CMP_21(file_complaint, frontdesk):
    c = file_complaint(kind="paid_service")
    complaint_contact(complaint=c, by=frontdesk)
    complaint_rectify(complaint=c, by=frontdesk, note="完成")
    paid_service_notify_payment(complaint=c, by=frontdesk, fee=Decimal("80.00"))

    with pytest.raises(InvalidTransition):
        paid_service_notify_payment(complaint=c, by=frontdesk, fee=Decimal("1.00"))

    c.refresh_from_db()
    assert c.fee == Decimal("80.00")
