"""DEC-04 / DEC-12 under real parallel transactions on PostgreSQL: two desks refunding
(or taking the deposit of) the same permit at the same moment move the money once.

The services lock the permit row; the partial unique indexes
``dec_one_refund_per_permit`` and ``dec_one_deposit_per_permit`` are the last word.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection

from decoration import services
from decoration.models import LedgerEntry, Permit
from servicedesk.core.models import Event
from tests.decoration.conftest import WORKER_ID, local
from tests.keys.test_concurrency_pg import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: real parallel transactions, row locks and partial unique indexes",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def accepted(paid_permit, issue, frontdesk, supervisor, engineer) -> Permit:
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        permit = issue(paid_permit, paid_permit.planned_start)
        services.pass_issue(permit=permit, worker_name="王五", id_number=WORKER_ID, by=frontdesk)
        services.fine_charge(permit=permit, amount="500.00", reason="占用走廊", by=supervisor)
        services.completion_apply(permit=permit, by=frontdesk)
        services.acceptance_decide(permit=permit, by=engineer, passed=True)
    return Permit.objects.get(pk=permit.pk)


def test_two_concurrent_refunds_pay_out_once__DEC_12(accepted, frontdesk, supervisor):
    def refund(user_id: int) -> Callable[[], object]:
        def call() -> object:
            return services.deposit_refund(
                permit=Permit.objects.get(pk=accepted.pk),
                receipt_no="YJ-0001",
                by=User.objects.get(pk=user_id),
            )

        return call

    results, errors = run_together(refund(frontdesk.pk), refund(supervisor.pk))

    assert len(results) == 1, errors
    assert len(errors) == 1
    assert isinstance(errors[0], services.InvalidTransition), repr(errors[0])
    refunds = LedgerEntry.objects.filter(permit=accepted, kind="deposit_refunded")
    assert list(refunds.values_list("amount", flat=True)) == [Decimal("19500.00")]
    assert LedgerEntry.objects.filter(permit=accepted, kind="fine_deducted").count() == 1
    assert services.balances(accepted).deposit_balance == Decimal("0.00")
    assert Event.objects.filter(object_id=str(accepted.pk), action="closed").count() == 1


def test_two_concurrent_deposit_payments_take_the_money_once__DEC_04(
    approved_permit, frontdesk, supervisor
):
    def pay(user_id: int, receipt: str) -> Callable[[], object]:
        def call() -> object:
            return services.deposit_pay(
                permit=Permit.objects.get(pk=approved_permit.pk),
                amount="20000.00",
                receipt_no=receipt,
                by=User.objects.get(pk=user_id),
            )

        return call

    results, errors = run_together(pay(frontdesk.pk, "YJ-A"), pay(supervisor.pk, "YJ-B"))

    assert len(results) == 1, errors
    assert isinstance(errors[0], services.InvalidTransition), repr(errors[0])
    assert LedgerEntry.objects.filter(permit=approved_permit).count() == 1
    assert Permit.objects.get(pk=approved_permit.pk).status == Permit.Status.DEPOSIT_PAID
