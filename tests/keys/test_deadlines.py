"""Key custody's registered deadline checks, run through the sweep (KEY-02, 04, 07, 08)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from keys import services
from keys.deadlines import (
    escalate_overdue_loans,
    expire_entrustments,
    flag_unsealed_lock_changes,
    remind_emergency_reviews,
)
from keys.models import Entrustment, KeySettings, Loan, LockChange
from servicedesk.core.models import Event, Role
from servicedesk.deadlines.registry import registered_checks
from servicedesk.deadlines.sweep import run_sweep
from servicedesk.notifications.models import Notification
from tests.factories import StaffFactory
from tests.keys.conftest import local

pytestmark = pytest.mark.django_db


def test_every_keys_check_is_registered_with_the_sweep():
    names = {c.name for c in registered_checks()}
    assert {
        "keys.overdue_loans",
        "keys.lock_change_unsealed",
        "keys.entrustment_expiry",
        "keys.emergency_review",
    } <= names


@pytest.fixture
def gm(project):
    return StaffFactory(name="总经理", roles=[Role.GENERAL_MANAGER], projects=[]).user


def alerted(level: int) -> set[int]:
    return set(
        Notification.objects.filter(reason=f"key_overdue_{level}").values_list(
            "recipient", flat=True
        )
    )


def test_overdue_loan_alerts_the_duty_manager_then_climbs_while_out__KEY_04(
    public_key, loan_out, duty, manager, gm
):
    with time_machine.travel(local("2026-03-10 18:00"), tick=False):
        loan = loan_out(public_key)
    # Still the same day: nothing.
    assert escalate_overdue_loans(local("2026-03-10 23:00")) == 0
    # Past midnight the key stayed out overnight: the duty manager is alerted.
    assert escalate_overdue_loans(local("2026-03-11 00:10")) == 1
    loan.refresh_from_db()
    assert loan.overdue_level == 1 and loan.overdue_since == local("2026-03-11 00:10")
    assert alerted(1) == {duty.pk}
    # Idempotent at the same time.
    assert escalate_overdue_loans(local("2026-03-11 00:10")) == 0
    # Every 2 hours (config) one level more: + manager, then + general manager.
    assert escalate_overdue_loans(local("2026-03-11 02:05")) == 1
    assert alerted(2) == {duty.pk, manager.pk}
    assert escalate_overdue_loans(local("2026-03-11 04:05")) == 1
    assert alerted(3) == {duty.pk, manager.pk, gm.pk}
    assert escalate_overdue_loans(local("2026-03-11 09:00")) == 0
    loan.refresh_from_db()
    assert loan.overdue_level == 3
    assert Event.objects.filter(object_id=str(loan.pk), action="overdue").count() == 3


def test_escalation_interval_is_configurable__KEY_04(public_key, loan_out, duty, manager):
    KeySettings.objects.update_or_create(
        pk=KeySettings.current().pk, defaults={"overdue_escalate_every_hours": 6}
    )
    with time_machine.travel(local("2026-03-10 18:00"), tick=False):
        loan_out(public_key)
    escalate_overdue_loans(local("2026-03-11 00:10"))
    assert escalate_overdue_loans(local("2026-03-11 04:00")) == 0
    assert escalate_overdue_loans(local("2026-03-11 06:10")) == 1


def test_a_late_sweep_jumps_straight_to_the_right_level__KEY_04(
    public_key, loan_out, duty, manager, gm
):
    with time_machine.travel(local("2026-03-10 18:00"), tick=False):
        loan = loan_out(public_key)
    assert escalate_overdue_loans(local("2026-03-12 09:00")) == 1
    loan.refresh_from_db()
    assert loan.overdue_level == 3
    assert gm.pk in alerted(3)


def test_maintenance_loan_is_not_overdue_before_its_approved_time__KEY_04(
    public_key, loan_out, duty
):
    with time_machine.travel(local("2026-03-10 09:00"), tick=False):
        loan_out(public_key, maintenance=True, due_at=local("2026-03-12 18:00"))
    assert escalate_overdue_loans(local("2026-03-11 09:00")) == 0
    assert escalate_overdue_loans(local("2026-03-12 18:30")) == 1


def test_returned_loans_are_never_flagged__KEY_04(public_key, loan_out, frontdesk, duty):
    with time_machine.travel(local("2026-03-10 18:00"), tick=False):
        loan = loan_out(public_key)
        services.loan_return(loan=loan, by=frontdesk)
    assert escalate_overdue_loans(local("2026-03-11 09:00")) == 0


def test_overdue_sweep_is_set_based(
    project, loan_out, duty, frontdesk, django_assert_max_num_queries
):
    with time_machine.travel(local("2026-03-10 18:00"), tick=False):
        for i in range(30):
            key = services.key_register(
                project=project, tag=f"T-{i:03d}", kind="public_area", opens="门", by=frontdesk
            )
            loan_out(key)
    with django_assert_max_num_queries(12):
        assert escalate_overdue_loans(local("2026-03-11 09:00")) == 30
    assert Loan.objects.filter(overdue_level=3).count() == 30


def test_unsealed_new_key_is_flagged_after_24_hours_once__KEY_08(project, engineer, duty, manager):
    with time_machine.travel(local("2026-03-10 15:00"), tick=False):
        change = services.lock_change_record(
            project=project, location="B2 水泵房", reason="锁芯损坏", new_tag="P-B2", by=engineer
        )
    assert flag_unsealed_lock_changes(local("2026-03-11 14:59")) == 0
    assert flag_unsealed_lock_changes(local("2026-03-11 15:01")) == 1
    assert flag_unsealed_lock_changes(local("2026-03-11 16:00")) == 0
    change.refresh_from_db()
    assert change.overdue_flagged_at == local("2026-03-11 15:01")
    told = set(
        Notification.objects.filter(reason="seal_overdue").values_list("recipient", flat=True)
    )
    assert told == {duty.pk, manager.pk}


def test_sealed_in_time_is_never_flagged__KEY_08(project, engineer, duty):
    with time_machine.travel(local("2026-03-10 15:00"), tick=False):
        change = services.lock_change_record(
            project=project, location="B2 水泵房", reason="锁芯损坏", new_tag="P-B2", by=engineer
        )
        services.lock_change_seal(change=change, by=duty)
    assert flag_unsealed_lock_changes(local("2026-03-12 15:00")) == 0
    assert LockChange.objects.get().status == LockChange.Status.SEALED


def test_entrustment_past_its_last_day_expires_and_the_key_is_no_longer_lent__KEY_02(
    owner_resident, frontdesk, request_loan
):
    with time_machine.travel(local("2026-03-01 10:00"), tick=False):
        entrustment = services.entrustment_create(
            resident=owner_resident,
            allowed_uses=["maintenance"],
            valid_until=date(2026, 3, 31),
            key_tag="Y-201",
            paper_signed=True,
            by=frontdesk,
        )
    # Reminder before the end (14 days, config), once.
    assert expire_entrustments(local("2026-03-20 09:00")) == 1
    assert expire_entrustments(local("2026-03-21 09:00")) == 0
    # The last day is still valid; the day after it is not.
    assert expire_entrustments(local("2026-03-31 23:00")) == 0
    assert expire_entrustments(local("2026-04-01 00:30")) == 1
    entrustment.refresh_from_db()
    assert entrustment.status == Entrustment.Status.EXPIRED
    assert Notification.objects.filter(recipient=frontdesk, reason="entrustment_expired").exists()
    with (
        time_machine.travel(local("2026-04-01 10:00"), tick=False),
        pytest.raises(ValidationError, match=r"失效"),
    ):
        request_loan(entrustment.keys.get())


def test_emergency_not_reviewed_by_the_next_working_day_is_reminded__KEY_07(
    spare_key, duty, supervisor
):
    # Friday night; the next working day is Monday 2026-03-16.
    with time_machine.travel(local("2026-03-13 23:00"), tick=False):
        use = services.emergency_open(key=spare_key, kind="water_leak", reason="漏水", by=duty)
        services.emergency_attempt(
            use=use, whom="owner", name="陈静", method="phone", result="reached", by=duty
        )
        services.emergency_enter(use=use, witness_name="保安王五", by=duty)
        use = services.emergency_close(use=use, outcome="已关阀", by=duty)
    assert use.review_due_at == local("2026-03-16 17:30")
    assert remind_emergency_reviews(local("2026-03-16 17:00")) == 0
    assert remind_emergency_reviews(local("2026-03-16 18:00")) == 1
    assert remind_emergency_reviews(local("2026-03-16 19:00")) == 0
    assert Notification.objects.filter(
        recipient=supervisor, reason="emergency_review_overdue"
    ).exists()


def test_sweep_runs_the_keys_checks_and_a_second_run_changes_nothing(public_key, loan_out, duty):
    with time_machine.travel(local("2026-03-10 18:00"), tick=False):
        loan_out(public_key)
    first = run_sweep(local("2026-03-11 01:00"), only=["keys.overdue_loans"])
    second = run_sweep(local("2026-03-11 01:00"), only=["keys.overdue_loans"])
    assert [(o.name, o.acted, o.error) for o in first] == [("keys.overdue_loans", 1, "")]
    assert [o.acted for o in second] == [0]
