"""DEC-12 as a property: whatever happens to a permit — passes issued, returned or lost,
fines charged and paid or not, deductions — the ledger always balances and the refund
never pays out more than was received.

Each example drives the real services on a fresh permit (hypothesis' Django
TestCase rolls every example back).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from decoration import rules, services
from decoration.models import LedgerEntry, Permit, WorkerPass
from servicedesk.core.models import Role
from tests.decoration.conftest import local
from tests.factories import ResidentFactory, StaffFactory, UnitFactory, UserFactory
from visitors.identity import check_char

CENTS = st.integers(min_value=1, max_value=3_000_000).map(lambda c: Decimal(c) / 100)
OPERATION = st.one_of(
    st.tuples(st.just("pass"), st.integers(0, 99)),
    st.tuples(st.just("return"), st.integers(0, 9)),
    st.tuples(st.just("lose"), st.integers(0, 9)),
    st.tuples(st.just("fine"), CENTS),
    st.tuples(st.just("pay_fine"), st.integers(0, 9)),
)
ZERO = Decimal("0.00")


def worker_id(n: int) -> str:
    body = f"11010519900101{n:03d}"
    return body + check_char(body)


class LedgerPropertyTest(TestCase):
    def setUp(self) -> None:
        self.unit = UnitFactory(number="1-101", building__code="1")
        project = self.unit.project
        ResidentFactory(unit=self.unit, name="陈静", user=UserFactory())
        self.desk = StaffFactory(roles=[Role.FRONT_DESK], projects=[project]).user
        self.engineer = StaffFactory(roles=[Role.ENGINEER], projects=[project]).user
        self.supervisor = StaffFactory(roles=[Role.SUPERVISOR], projects=[project]).user

    def started_permit(self) -> Permit:
        permit = services.permit_file(
            unit=self.unit,
            contractor_name="恒安装饰",
            contractor_licence="JZ-1",
            area_m2="88.5",
            planned_start=date(2025, 10, 13),
            items=["墙面"],
            owner_signed=True,
            by=self.desk,
        )
        services.drawings_submit(permit=permit, by=self.desk)
        services.review_decide(
            permit=permit,
            by=self.engineer,
            approve=True,
            structure_ok=True,
            water_electric_ok=True,
            waterproofing_ok=True,
        )
        services.deposit_pay(permit=permit, amount="20000.00", receipt_no="YJ-1", by=self.desk)
        services.permit_issue(permit=permit, start_date=date(2025, 10, 13), by=self.desk)
        return Permit.objects.get(pk=permit.pk)

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        operations=st.lists(OPERATION, max_size=12),
        deduction=st.one_of(st.none(), CENTS),
        pay_before_refund=st.booleans(),
    )
    def test_the_ledger_balances_and_never_refunds_more_than_received__DEC_12(
        self, operations, deduction, pay_before_refund
    ) -> None:
        with time_machine.travel(local("2025-10-13 09:00"), tick=False):
            permit = self.started_permit()
            for op, arg in operations:
                live = list(
                    WorkerPass.objects.filter(permit=permit, status="issued").order_by("id")
                )
                fines = list(permit.fines.order_by("id"))
                if (
                    op == "pass"
                    and not WorkerPass.objects.filter(
                        permit=permit, id_number_masked__endswith=worker_id(arg)[-4:]
                    ).exists()
                ):
                    services.pass_issue(
                        permit=permit,
                        worker_name=f"工人{arg}",
                        id_number=worker_id(arg),
                        by=self.desk,
                    )
                elif op == "return" and live:
                    services.pass_return(worker_pass=live[arg % len(live)], by=self.desk)
                elif op == "lose" and live:
                    services.pass_report_lost(worker_pass=live[arg % len(live)], by=self.desk)
                elif op == "fine":
                    services.fine_charge(
                        permit=permit, amount=arg, reason="违规", by=self.supervisor
                    )
                elif op == "pay_fine" and fines:
                    fine = fines[arg % len(fines)]
                    if services.fine_outstanding(fine) > 0:
                        services.fine_pay(fine=fine, receipt_no="FK", by=self.desk)
            services.completion_apply(permit=permit, by=self.desk)
            held = services.balances(permit).deposit_balance
            if deduction is not None and deduction <= held:
                services.deduction_record(
                    permit=permit, amount=deduction, reason="损坏", by=self.engineer
                )
            services.acceptance_decide(permit=permit, by=self.engineer, passed=True)
            if pay_before_refund:
                for fine in permit.fines.all():
                    if services.fine_outstanding(fine) > 0:
                        services.fine_pay(fine=fine, receipt_no="FK", by=self.desk)
            before = services.balances(permit)
            entry, plan = services.deposit_refund(permit=permit, receipt_no="YJ-1", by=self.desk)

        after = services.balances(permit)
        amounts = list(LedgerEntry.objects.filter(permit=permit).values_list("kind", "amount"))
        # Every amount is a non-negative Decimal with exactly two places.
        assert all(a >= 0 and a == a.quantize(Decimal("0.01")) for _k, a in amounts)
        # The refund never exceeds the deposit received, nor what was still held.
        assert ZERO <= entry.amount <= after.deposit_received == Decimal("20000.00")
        assert entry.amount <= before.deposit_balance
        # The deposit pot is emptied exactly: received = deducted + fines taken + refunded.
        assert after.deposit_balance == ZERO
        assert after.deposit_received == after.deductions + after.fines_deducted + after.refunded
        # Pass deposits are all settled at completion, each one refunded or forfeited.
        assert after.pass_deposits_held == ZERO
        # Fines: charged = paid in cash + taken from the deposit + still owed.
        assert after.fines_charged == after.fines_paid + after.fines_deducted + max(
            after.fines_outstanding, ZERO
        )
        assert after.fines_outstanding >= ZERO
        assert plan == rules.refund_plan(before)
        # And the ledger's own total in equals total out plus what the company kept.
        taken_in = after.received_total
        paid_out = after.refunded + after.pass_deposits_refunded
        kept = (
            after.pass_fees
            + after.fines_paid
            + after.fines_deducted
            + after.deductions
            + after.pass_deposits_forfeited
        )
        assert taken_in == paid_out + kept
