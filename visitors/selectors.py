"""Reads of the visitor desk: the scoped log, visitors inside now, a day's log (VIS-04, VIS-07).

Each is one query whatever the number of rows: the host unit's number, the
project code and the registering/entering staff (``staff/`` ids, i.e.
``StaffProfile`` ids) come through joins, never per row. The encrypted number
and its hash are deferred: a list never even loads what could identify a
visitor (VIS-07); only ``services.id_reveal`` reads the token.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from servicedesk.core.scoping import scope_queryset
from visitors.models import Visit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Never loaded by a read: only the reveal service needs them (VIS-07).
SECRET_COLUMNS = ("id_number_encrypted", "id_hash")


def visit_list(user: User | AnonymousUser) -> QuerySet[Visit]:
    """Return the visits ``user`` may see (ORG-01, ORG-02), annotated for the API.

    Annotations: ``project_code``, ``host_unit_number``, ``registered_by_staff``
    / ``entered_by_staff`` (StaffProfile ids, ``None`` for an account without a
    staff profile) and ``registered_by_name``.
    """
    queryset = (
        Visit.objects.defer(*SECRET_COLUMNS)
        .annotate(
            project_code=F("project__code"),
            host_unit_number=F("host_unit__number"),
            registered_by_staff=F("registered_by__staff_profile__id"),
            registered_by_name=F("registered_by__staff_profile__name"),
            entered_by_staff=F("entered_by__staff_profile__id"),
        )
        .order_by("-id")
    )
    return scope_queryset(queryset, user)


def inside_q() -> Q:
    """Visitors inside now: consent given, not signed out (VIS-04)."""
    return Q(status=Visit.Status.INSIDE)


def registered_on_q(day: date) -> Q:
    """Visits registered on the local calendar ``day`` (STYLE §4: local, not UTC)."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return Q(registered_at__gte=start, registered_at__lt=end)


def visits_inside(user: User | AnonymousUser) -> QuerySet[Visit]:
    """Return the visitors still inside, in ``user``'s scope (the desk's and night duty's list).

    Served by ``visit_desk_idx`` (project, status, -registered_at).
    """
    return visit_list(user).filter(inside_q())


def visits_on(user: User | AnonymousUser, day: date | None = None) -> QuerySet[Visit]:
    """Return the log of visits registered on ``day`` (default: today, local)."""
    return visit_list(user).filter(registered_on_q(day or timezone.localdate()))


__all__ = ["inside_q", "registered_on_q", "visit_list", "visits_inside", "visits_on"]
