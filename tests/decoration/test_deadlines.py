"""Decoration's registered deadline checks, run through the sweep (DEC-01, 05, 06, 10)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from decoration import services
from decoration.models import LedgerEntry, Permit, RectificationNotice, WorkerPass
from servicedesk.core.models import Event
from servicedesk.deadlines.registry import registered_checks
from servicedesk.deadlines.sweep import run_sweep
from servicedesk.notifications.models import Notification
from tests.decoration.conftest import WORKER_ID, local
from visitors.identity import check_char

pytestmark = pytest.mark.django_db
START = date(2025, 10, 13)
CHECKS = [
    "decoration.review_overdue",
    "decoration.period_overrun",
    "decoration.period_expiring",
    "decoration.pass_expiry",
    "decoration.rectification_overdue",
]


def sweep(at: str) -> dict[str, int]:
    with time_machine.travel(local(at), tick=False):
        outcomes = run_sweep(only=CHECKS)
    failed = [o for o in outcomes if o.error]
    assert not failed, failed
    return {o.name: o.acted for o in outcomes}


def test_every_decoration_check_is_registered_with_the_sweep():
    assert set(CHECKS) <= {c.name for c in registered_checks()}


@pytest.fixture
def started(paid_permit, issue):
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        return issue(paid_permit, START)


def test_a_late_review_alerts_engineering_once__DEC_01(file_permit, frontdesk, engineer, manager):
    with time_machine.travel(local("2025-10-13 10:00"), tick=False):
        permit = file_permit()
        services.drawings_submit(permit=permit, by=frontdesk)
    # Due 2025-10-20 17:30 (five working days after Monday the 13th).
    assert sweep("2025-10-20 17:00")["decoration.review_overdue"] == 0
    assert sweep("2025-10-20 17:31")["decoration.review_overdue"] == 1
    assert sweep("2025-10-21 09:00")["decoration.review_overdue"] == 0
    told = set(
        Notification.objects.filter(reason="review_overdue").values_list("recipient", flat=True)
    )
    assert told == {engineer.pk, manager.pk}


def test_past_the_end_with_no_approved_extension_is_flagged_for_stop_work__DEC_05(
    started, frontdesk, manager
):
    assert sweep("2025-11-26 23:00")["decoration.period_overrun"] == 0  # the last day itself
    assert sweep("2025-11-27 00:05")["decoration.period_overrun"] == 1
    assert sweep("2025-11-27 09:00")["decoration.period_overrun"] == 0  # idempotent
    permit = Permit.objects.get(pk=started.pk)
    assert permit.stop_work_flagged_at == local("2025-11-27 00:05")
    assert Event.objects.filter(action="stop_work_flagged", object_id=str(permit.pk)).count() == 1
    assert Notification.objects.filter(reason="stop_work", recipient=manager).count() == 1


def test_an_approved_extension_prevents_and_lifts_the_stop_work_flag__DEC_05(
    started, manager, manager2
):
    with time_machine.travel(local("2025-11-25 09:00"), tick=False):
        extension = services.extension_request(
            permit=started, new_end_date=date(2025, 12, 5), reason="材料延误", by=manager
        )
    # Asked for in time but not yet approved: the permit is still past its end.
    assert sweep("2025-11-27 09:00")["decoration.period_overrun"] == 1
    with time_machine.travel(local("2025-11-27 10:00"), tick=False):
        services.extension_decide(extension=extension, by=manager2, approve=True)
    permit = Permit.objects.get(pk=started.pk)
    assert (permit.end_date, permit.stop_work_flagged_at) == (date(2025, 12, 5), None)
    assert sweep("2025-11-28 09:00")["decoration.period_overrun"] == 0


def test_the_desk_is_reminded_of_permits_ending_soon_once__DEC_05(started, frontdesk):
    assert sweep("2025-11-22 09:00")["decoration.period_expiring"] == 0
    assert sweep("2025-11-23 09:00")["decoration.period_expiring"] == 1
    assert sweep("2025-11-24 09:00")["decoration.period_expiring"] == 0
    assert Notification.objects.filter(reason="period_expiring", recipient=frontdesk).count() == 1


def test_a_pass_not_back_three_days_after_expiry_forfeits_its_deposit__DEC_06(started, frontdesk):
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        worker_pass = services.pass_issue(
            permit=started, worker_name="王五", id_number=WORKER_ID, by=frontdesk
        )
    # Expires 2025-11-26; may still be returned on the 29th.
    assert sweep("2025-11-29 23:59")["decoration.pass_expiry"] == 0
    assert sweep("2025-11-30 00:01")["decoration.pass_expiry"] == 1
    assert sweep("2025-11-30 09:00")["decoration.pass_expiry"] == 0
    worker_pass.refresh_from_db()
    assert worker_pass.status == WorkerPass.Status.FORFEITED
    forfeited = LedgerEntry.objects.get(worker_pass=worker_pass, kind="pass_deposit_forfeited")
    assert forfeited.amount == Decimal("40.00")
    assert services.balances(started).pass_deposits_held == Decimal("0.00")


def test_an_overdue_rectification_notice_is_flagged__DEC_10(started, supervisor, manager):
    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        notice = services.notice_issue(
            permit=started, items="清运楼道垃圾", due_at=local("2025-10-14 17:30"), by=supervisor
        )
    assert sweep("2025-10-14 17:00")["decoration.rectification_overdue"] == 0
    assert sweep("2025-10-14 17:31")["decoration.rectification_overdue"] == 1
    assert sweep("2025-10-15 09:00")["decoration.rectification_overdue"] == 0
    assert RectificationNotice.objects.get(pk=notice.pk).status == "overdue"
    assert Notification.objects.filter(reason="rectification_overdue", recipient=manager).exists()
    # Verified late, it is still closed properly.
    services.notice_verify(notice=notice, by=supervisor, note="已整改")
    assert RectificationNotice.objects.get(pk=notice.pk).status == "rectified"


def test_the_sweep_command_changes_nothing_the_second_time(started, frontdesk, supervisor):
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        services.pass_issue(permit=started, worker_name="王五", id_number=WORKER_ID, by=frontdesk)
        services.notice_issue(
            permit=started, items="清运", due_at=local("2025-10-14 17:30"), by=supervisor
        )
    with time_machine.travel(local("2025-12-01 09:00"), tick=False):
        call_command("sweep_deadlines")
        counts = (Event.objects.count(), LedgerEntry.objects.count(), Notification.objects.count())
        call_command("sweep_deadlines")
    assert (Event.objects.count(), LedgerEntry.objects.count(), Notification.objects.count()) == (
        counts
    )


def test_the_pass_sweep_costs_the_same_queries_for_one_or_many_passes(started, frontdesk):
    """Set-based: forfeiting 1 or 20 passes runs the same statements (no per-row loop)."""

    def issue_passes(n: int, first: int) -> None:
        with time_machine.travel(local("2025-10-13 09:00"), tick=False):
            for i in range(first, first + n):
                body = f"11010519900101{i:03d}"
                services.pass_issue(
                    permit=started,
                    worker_name=f"工人{i}",
                    id_number=body + check_char(body),
                    by=frontdesk,
                )

    def count_queries(at: str) -> int:
        with time_machine.travel(local(at), tick=False), CaptureQueriesContext(connection) as q:
            run_sweep(only=["decoration.pass_expiry"])
        return len(q)

    issue_passes(1, 0)
    count_queries("2025-10-14 09:00")  # the check's first run registers its state row
    one = count_queries("2025-11-30 09:00")
    # Twenty more passes expiring on a later end date, swept in one go.
    Permit.objects.filter(pk=started.pk).update(end_date=date(2025, 12, 31))
    issue_passes(20, 100)
    many = count_queries("2026-01-05 09:00")
    assert WorkerPass.objects.filter(status="forfeited").count() == 21
    assert one == many


def test_recomputing_a_provisional_review_clock_keeps_its_length__DEC_01(file_permit, frontdesk):
    """CAL-02: recomputed once the year is loaded, with the days in force when the
    drawings came in — a later settings edit does not move it."""
    from decoration.deadlines import recompute_provisional_reviews
    from decoration.models import DecorationSettings

    with time_machine.travel(local("2025-10-13 10:00"), tick=False):
        permit = file_permit()
        services.drawings_submit(permit=permit, by=frontdesk)
    Permit.objects.filter(pk=permit.pk).update(review_due_provisional=True)
    config = DecorationSettings.current()
    config.review_working_days = 1
    config.save()
    assert recompute_provisional_reviews(2025) == 1
    permit.refresh_from_db()
    assert (permit.review_due_at, permit.review_due_provisional) == (
        local("2025-10-20 17:30"),
        False,
    )
