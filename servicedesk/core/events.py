"""Recording state changes in the append-only event log (ORG-05).

Modules call ``record_event`` from their services, inside the same transaction
as the change itself, so a change and its log row commit or roll back together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from servicedesk.core.models import Event

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


def _project_and_unit_ids(obj: models.Model) -> tuple[int | None, int | None]:
    """Return the record's project and unit ids, following its declared Scope."""
    scope = getattr(type(obj), "scope", None)
    if scope is None:
        return None, None

    def follow(path: str | None) -> int | None:
        if path is None:
            return None
        if path == "pk":
            return obj.pk
        target: Any = obj
        for part in path.split("__"):
            target = getattr(target, part, None)
            if target is None:
                return None
        return target.pk if isinstance(target, models.Model) else target

    return follow(scope.project), follow(scope.unit)


def record_event(
    subject: models.Model,
    *,
    action: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """Append one event about ``subject`` and return it."""
    project_id, unit_id = _project_and_unit_ids(subject)
    return Event.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        project_id=project_id,
        unit_id=unit_id,
        at=at or timezone.now(),
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
        action=action,
        from_state=str(from_state),
        to_state=str(to_state),
        reason=reason,
        data=data or {},
    )


class EventRow(NamedTuple):
    """One system event to append in bulk, built by ``event_for``.

    A plain tuple, in the column order of the COPY fast path: a sweep after an
    outage builds tens of thousands, and a model instance each would cost more
    than writing them (bench/README.md).
    """

    content_type_id: int
    object_id: str
    project_id: int | None
    unit_id: int | None
    at: datetime
    actor_id: int | None
    action: str
    from_state: str
    to_state: str
    reason: str
    data: dict[str, Any]


# Below this many rows an ordinary INSERT is as quick and simpler.
_COPY_FROM = 500


def record_events_bulk(events: Iterable[EventRow]) -> int:
    """Append many events at once (set-based deadline sweeps); return how many.

    On PostgreSQL a large batch goes through COPY, which is several times
    faster than building a 10 000-row INSERT (a backlog after an outage).
    """
    rows = list(events)
    if connection.vendor != "postgresql" or len(rows) < _COPY_FROM:
        Event.objects.bulk_create(Event(**row._asdict()) for row in rows)
        return len(rows)
    columns = ", ".join(EventRow._fields)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {Event._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row((*row[:-1], json.dumps(row.data, ensure_ascii=False)))
    return len(rows)


def event_for(
    subject_model: type[models.Model],
    object_id: int | str,
    *,
    action: str,
    project_id: int | None = None,
    unit_id: int | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> EventRow:
    """Build (not save) a system event, for ``record_events_bulk``."""
    return EventRow(
        content_type_id=ContentType.objects.get_for_model(subject_model).pk,
        object_id=str(object_id),
        project_id=project_id,
        unit_id=unit_id,
        at=at or timezone.now(),
        actor_id=None,
        action=action,
        from_state=str(from_state),
        to_state=str(to_state),
        reason=reason,
        data=data or {},
    )


def timeline(subject: models.Model) -> models.QuerySet[Event]:
    """Return the subject's events, oldest first, with their actors."""
    return Event.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk)
    ).select_related("actor")
