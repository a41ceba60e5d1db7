"""Reads of key custody: the key board, the desk panel and the monthly figures.

Every function takes an already scoped queryset or a project and costs a
fixed number of queries, whatever the number of keys (the board is benched
with 20 000 keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from keys.models import CopyRequest, EmergencyUse, Incident, Key, Loan, LockChange
from servicedesk.core.models import Project
from servicedesk.workcal.calendar import month_bounds


def with_current_loan(keys: QuerySet[Key]) -> QuerySet[Key]:
    """Annotate each key with its loan now out (number, borrower, due time), in the same query."""
    out = Loan.objects.filter(key=OuterRef("pk"), status=Loan.Status.OUT)
    return keys.annotate(
        loan_id=Subquery(out.values("pk")[:1]),
        loan_number=Subquery(out.values("number")[:1]),
        loan_borrower=Subquery(out.values("borrower_name")[:1]),
        loan_due_at=Subquery(out.values("due_at")[:1]),
    )


def search_keys(keys: QuerySet[Key], q: str) -> QuerySet[Key]:
    """Filter by room number (exact, so 1-101 never matches 11-101), tag prefix or
    the text of what the key opens."""
    q = q.strip()
    if not q:
        return keys
    # The free-text match is only for facility keys: a unit key's text repeats
    # its room number, and "1-101" must never find 11-101's key (ORG-02).
    condition = (
        Q(tag__istartswith=q) | Q(unit__number__iexact=q) | Q(unit__isnull=True, opens__icontains=q)
    )
    return keys.filter(condition)


def status_counts(keys: QuerySet[Key]) -> dict[str, int]:
    """Return {status: count} over ``keys`` in one grouped query."""
    counts = {s: 0 for s in Key.Status.values}
    for status, n in keys.order_by().values_list("status").annotate(n=Count("pk")):
        counts[status] = n
    return counts


@dataclass(frozen=True)
class DeskFigures:
    """What the home-page panel shows (KEY-04, KEY-08)."""

    out: int
    overdue: int
    awaiting_seal: int
    awaiting_approval: int


def desk_figures(loans: QuerySet[Loan], changes: QuerySet[LockChange]) -> DeskFigures:
    """Two queries: loan counts by state, lock changes waiting for sealing."""
    now = timezone.now()
    agg = loans.aggregate(
        out=Count("pk", filter=Q(status=Loan.Status.OUT)),
        overdue=Count("pk", filter=Q(status=Loan.Status.OUT, due_at__lt=now)),
        waiting=Count("pk", filter=Q(status=Loan.Status.REQUESTED)),
    )
    return DeskFigures(
        out=agg["out"],
        overdue=agg["overdue"],
        awaiting_seal=changes.filter(status=LockChange.Status.AWAITING_SEAL).count(),
        awaiting_approval=agg["waiting"],
    )


def month_loans(project: Project, month: date) -> QuerySet[Loan]:
    """Loans that went out in the local calendar month: the lines of 《借用钥匙登记表》."""
    start, end = month_bounds(month)
    return (
        Loan.objects.filter(project=project, out_at__gte=start, out_at__lt=end)
        .select_related("key", "approved_by__staff_profile", "out_by__staff_profile")
        .select_related("received_by__staff_profile")
        .order_by("out_at", "pk")
    )


def was_overdue(loan: Loan, now: datetime | None = None) -> bool:
    """Returned after its due time, or still out past it (KEY-04)."""
    if loan.due_at is None:
        return False
    end = loan.returned_at or now or timezone.now()
    return end > loan.due_at


def month_figures(project: Project, month: date) -> dict[str, Any]:
    """The monthly report's figures (KEY-09): use, overdue, emergencies, damage, loss,
    lock changes and copies. Six queries; stored as the report's snapshot."""
    start, end = month_bounds(month)
    now = timezone.now()
    loans = Loan.objects.filter(project=project, out_at__gte=start, out_at__lt=end)
    agg = loans.aggregate(
        total=Count("pk"),
        maintenance=Count("pk", filter=Q(maintenance=True)),
        overdue_returned=Count("pk", filter=Q(returned_at__gt=F("due_at"))),
        overdue_out=Count("pk", filter=Q(status=Loan.Status.OUT, due_at__lt=now)),
        keys_used=Count("key", distinct=True),
    )
    incidents = dict(
        Incident.objects.filter(key__project=project, at__gte=start, at__lt=end)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    overdue_numbers = list(
        loans.filter(Q(returned_at__gt=F("due_at")) | Q(status=Loan.Status.OUT, due_at__lt=now))
        .order_by("out_at")
        .values_list("number", flat=True)[:50]
    )
    return {
        "loans": agg["total"],
        "keys_used": agg["keys_used"],
        "maintenance_loans": agg["maintenance"],
        "emergency_uses": EmergencyUse.objects.filter(
            project=project, opened_at__gte=start, opened_at__lt=end
        ).count(),
        "overdue": agg["overdue_returned"] + agg["overdue_out"],
        "overdue_numbers": overdue_numbers,
        "damaged": incidents.get(Incident.Kind.DAMAGED, 0),
        "lost": incidents.get(Incident.Kind.LOST, 0),
        "found": incidents.get(Incident.Kind.FOUND, 0),
        "lock_changes": LockChange.objects.filter(
            project=project, changed_at__gte=start, changed_at__lt=end
        ).count(),
        "copies_made": Key.objects.filter(
            project=project,
            copy_request__status=CopyRequest.Status.MADE,
            registered_at__gte=start,
            registered_at__lt=end,
        ).count(),
    }
