"""Reads of decoration management: the permits board, its sections, the desk panel
and the notices residents see.

Every function takes an already scoped queryset (or the viewer's ids) and costs
a fixed number of queries whatever the number of permits: the deposit balance
of each row is a subquery over the ledger (DEC-12), never a query per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from decoration import rules
from decoration.models import (
    ConstructionNotice,
    LedgerEntry,
    Permit,
    RectificationNotice,
    WorkerPass,
)
from servicedesk.core.models import Resident
from servicedesk.workcal.calendar import business_calendar

S = Permit.Status
ON_SITE = (S.IN_PROGRESS, S.COMPLETION_APPLIED)
OPEN_NOTICES = (RectificationNotice.Status.OPEN, RectificationNotice.Status.OVERDUE)
MONEY = DecimalField(max_digits=14, decimal_places=2)


def today() -> date:
    return business_calendar().local_date(timezone.now())


def with_deposit_balance(permits: QuerySet[Permit]) -> QuerySet[Permit]:
    """Annotate ``deposit_balance``: the construction deposit still held, summed from the
    ledger in a subquery of the same query (DEC-12)."""
    signed = Case(
        When(kind=rules.DEPOSIT_IN, then=F("amount")),
        When(kind__in=rules.DEPOSIT_OUT, then=-F("amount")),
        default=Value(Decimal("0.00")),
        output_field=MONEY,
    )
    held = (
        LedgerEntry.objects.filter(permit=OuterRef("pk"))
        .order_by()
        .values("permit")
        .annotate(total=Sum(signed))
        .values("total")[:1]
    )
    return permits.annotate(
        deposit_balance=Coalesce(
            Subquery(held, output_field=MONEY), Value(rules.ZERO), output_field=MONEY
        )
    )


def search_permits(permits: QuerySet[Permit], q: str) -> QuerySet[Permit]:
    """Room number exactly (1-101 never finds 11-101), permit number prefix, or the
    contractor's name or licence."""
    q = q.strip()
    if not q:
        return permits
    return permits.filter(
        Q(unit__number__iexact=q)
        | Q(number__istartswith=q)
        | Q(contractor__name__icontains=q)
        | Q(contractor__licence_no__iexact=q)
    )


def status_counts(permits: QuerySet[Permit]) -> dict[str, int]:
    """{status: count} over ``permits`` in one grouped query."""
    counts = {s: 0 for s in S.values}
    for status, n in permits.order_by().values_list("status").annotate(n=Count("pk")):
        counts[status] = n
    return counts


def ending_soon_q(day: date, warning_days: int) -> Q:
    """On site and ending within the warning days (or already past the end date)."""
    return Q(status__in=ON_SITE, end_date__lte=day + timedelta(days=warning_days))


def passes_to_collect_q(day: date, warning_days: int) -> Q:
    """Passes still out that expired or expire within the warning days (DEC-06)."""
    return Q(status=WorkerPass.Status.ISSUED, expires_on__lte=day + timedelta(days=warning_days))


@dataclass(frozen=True)
class DeskFigures:
    """What the home panel and the board's section tabs show (DEC-01, DEC-05, DEC-06)."""

    reviews_due: int
    reviews_overdue: int
    ending_soon: int
    stop_work: int
    passes_to_collect: int
    open_notices: int = 0


def desk_figures(permits: QuerySet[Permit], day: date, warning_days: int) -> DeskFigures:
    """One query: counts over the permits, with their passes and notices joined and
    counted distinct."""
    now = timezone.now()
    agg = permits.order_by().aggregate(
        reviews_due=Count("pk", distinct=True, filter=Q(status=S.UNDER_REVIEW)),
        reviews_overdue=Count(
            "pk", distinct=True, filter=Q(status=S.UNDER_REVIEW, review_due_at__lt=now)
        ),
        ending_soon=Count("pk", distinct=True, filter=ending_soon_q(day, warning_days)),
        stop_work=Count(
            "pk", distinct=True, filter=Q(status__in=ON_SITE, stop_work_flagged_at__isnull=False)
        ),
        passes=Count(
            "passes",
            distinct=True,
            filter=Q(
                passes__status=WorkerPass.Status.ISSUED,
                passes__expires_on__lte=day + timedelta(days=warning_days),
            ),
        ),
        notices=Count("notices", distinct=True, filter=Q(notices__status__in=OPEN_NOTICES)),
    )
    return DeskFigures(
        reviews_due=agg["reviews_due"],
        reviews_overdue=agg["reviews_overdue"],
        ending_soon=agg["ending_soon"],
        stop_work=agg["stop_work"],
        passes_to_collect=agg["passes"],
        open_notices=agg["notices"],
    )


def issued_notices_for(user_id: int, unit_ids: Iterable[int]) -> QuerySet[ConstructionNotice]:
    """Issued construction notices a resident is concerned by (DEC-13): their project's
    notices to everyone, and those to their building."""
    units = Resident.objects.filter(user_id=user_id, is_active=True, unit_id__in=list(unit_ids))
    return ConstructionNotice.objects.filter(
        Q(building__isnull=True) | Q(building_id__in=units.values("unit__building_id")),
        project_id__in=units.values("unit__project_id"),
        status=ConstructionNotice.Status.ISSUED,
    )
