"""Arithmetic of decoration permits, pure and in one place (DEC-04..07, DEC-11..13).

Money is ``Decimal`` with exactly two places (DEC-12): an amount is parsed
once, at the edge, by ``parse_amount``; everything after adds and subtracts
Decimals and never rounds. Balances are sums over ledger entries
(``Balances.of``), so what the desk, the API and the PDFs show is the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount the desk ever handles (far above any deposit or fine);
# it keeps a typo of extra zeros from entering the ledger.
MAX_AMOUNT = Decimal("1000000.00")


def parse_amount(value: Any, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Return ``value`` as a Decimal yuan amount with two places, or raise
    ``ValidationError({field: ...})``.

    Refused: anything that is not a plain decimal number (NaN, infinity, text),
    more than two decimal places (never silently rounded), negative amounts,
    zero unless allowed, and amounts above ``MAX_AMOUNT``.
    """
    if isinstance(value, float):
        # A float already lost exactness; go through its shortest repr.
        value = repr(value)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("金额须为数字，如 20000.00。")}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("金额须为数字，如 20000.00。")})
    if amount != amount.quantize(CENT):
        raise ValidationError({field: _("金额最多两位小数（元、角、分）。")})
    if amount < 0:
        raise ValidationError({field: _("金额不能为负数。")})
    if amount == 0 and not allow_zero:
        raise ValidationError({field: _("金额须大于 0。")})
    if amount > MAX_AMOUNT:
        raise ValidationError({field: _("金额超出上限 %(max)s 元，请核对。") % {"max": MAX_AMOUNT}})
    return amount.quantize(CENT)


def extinguishers_required(area_m2: Decimal, per_m2: int) -> int:
    """DEC-07: one extinguisher per ``per_m2`` square metres of the unit, rounded up.

    Exact: 100.00 m² at 50 → 2, 100.01 → 3 (no float rounding).
    """
    if area_m2 <= 0:
        return 0
    whole, rest = divmod(Decimal(area_m2), Decimal(per_m2))
    return int(whole) + (1 if rest else 0)


def period_end(start: date, days: int) -> date:
    """DEC-05: the last day of a ``days``-day period counting the start day as day 1.

    2025-10-13 with 45 days → 2025-11-26.
    """
    return start + timedelta(days=days - 1)


def pass_deposit_refundable(expires_on: date, returned_on: date, grace_days: int) -> bool:
    """DEC-06: a pass returned within ``grace_days`` after its expiry gets its deposit back."""
    return returned_on <= expires_on + timedelta(days=grace_days)


# Ledger kinds grouped by what they move (values of LedgerEntry.Kind).
DEPOSIT_IN = "deposit_received"
DEPOSIT_OUT = ("fine_deducted", "deduction", "deposit_refunded")
PASS_IN = "pass_deposit_received"  # noqa: S105 (a ledger kind)
PASS_OUT = ("pass_deposit_refunded", "pass_deposit_forfeited")
FINES_OWED = "fine_charged"
FINES_SETTLED = ("fine_paid", "fine_deducted")


@dataclass(frozen=True)
class Balances:
    """What a permit's ledger adds up to (DEC-12)."""

    deposit_received: Decimal = ZERO
    deposit_balance: Decimal = ZERO  # the construction deposit still held
    pass_deposits_held: Decimal = ZERO
    pass_fees: Decimal = ZERO
    fines_charged: Decimal = ZERO
    fines_paid: Decimal = ZERO  # in cash
    fines_deducted: Decimal = ZERO  # from the deposit
    fines_outstanding: Decimal = ZERO
    deductions: Decimal = ZERO
    refunded: Decimal = ZERO
    pass_deposits_refunded: Decimal = ZERO
    pass_deposits_forfeited: Decimal = ZERO
    received_total: Decimal = ZERO  # every yuan taken in: deposits, fees, fines paid

    @classmethod
    def of(cls, entries: Iterable[tuple[str, Decimal]]) -> Balances:
        """Sum ``(kind, amount)`` pairs, e.g. ``values_list("kind", "amount")``."""
        totals: dict[str, Decimal] = {}
        for kind, amount in entries:
            totals[kind] = totals.get(kind, ZERO) + amount

        def t(*kinds: str) -> Decimal:
            return sum((totals.get(k, ZERO) for k in kinds), ZERO)

        charged = t(FINES_OWED)
        settled = t(*FINES_SETTLED)
        return cls(
            deposit_received=t(DEPOSIT_IN),
            deposit_balance=t(DEPOSIT_IN) - t(*DEPOSIT_OUT),
            pass_deposits_held=t(PASS_IN) - t(*PASS_OUT),
            pass_fees=t("pass_fee"),
            fines_charged=charged,
            fines_paid=t("fine_paid"),
            fines_deducted=t("fine_deducted"),
            fines_outstanding=charged - settled,
            deductions=t("deduction"),
            refunded=t("deposit_refunded"),
            pass_deposits_refunded=t("pass_deposit_refunded"),
            pass_deposits_forfeited=t("pass_deposit_forfeited"),
            received_total=t(DEPOSIT_IN, PASS_IN, "pass_fee", "fine_paid"),
        )


@dataclass(frozen=True)
class RefundPlan:
    """How the deposit is settled at refund (DEC-11): fines first, the rest back."""

    fines_deducted: Decimal
    refund: Decimal
    fines_left_unpaid: Decimal


def refund_plan(balances: Balances) -> RefundPlan:
    """Settle unpaid fines from the deposit held, and refund what is left (never below 0)."""
    held = max(balances.deposit_balance, ZERO)
    owed = max(balances.fines_outstanding, ZERO)
    deducted = min(owed, held)
    return RefundPlan(
        fines_deducted=deducted, refund=held - deducted, fines_left_unpaid=owed - deducted
    )
