"""Writes to the working-day calendar: importing a year's notice, recomputing (CAL-02)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from servicedesk.core.events import record_event
from servicedesk.workcal.models import CalendarDay, LoadedYear
from servicedesk.workcal.notice import NoticeError, parse_notice
from servicedesk.workcal.recompute import RecomputeError, run_provisional_recompute

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

logger = logging.getLogger(__name__)


class NoticeInvalid(Exception):
    """The pasted notice has bad lines; nothing was imported."""

    def __init__(self, errors: list[NoticeError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    year: int
    days: int  # CalendarDay rows written from the notice
    kept_overrides: list[str]  # dates (ISO) where a manual override was kept
    recomputed: int  # deadlines recomputed by the hooks
    recompute_failed: list[str]  # hooks that failed; the sweep retries them


def calendar_year_import(
    *,
    year: int,
    text: str,
    note: str = "",
    by: AbstractBaseUser | AnonymousUser | None = None,
) -> ImportResult:
    """Import ``year``'s State Council notice, then recompute provisional deadlines (CAL-02).

    All-or-nothing: if any line is bad, NoticeInvalid lists every bad line and
    nothing is written. Re-importing a year replaces its earlier notice rows.
    A manual override on the same date is kept: it is the administrator's
    explicit decision (e.g. a company-specific day off) and beats imported data.
    """
    parsed = parse_notice(text, year)
    if not parsed.ok:
        raise NoticeInvalid(parsed.errors)
    # Anonymous (or a system caller) is recorded as nobody: ORG-05 "system".
    actor = by if isinstance(by, AbstractBaseUser) and by.is_authenticated else None
    with transaction.atomic():
        overrides = set(
            CalendarDay.objects.filter(
                date__year=year, source=CalendarDay.Source.OVERRIDE
            ).values_list("date", flat=True)
        )
        CalendarDay.objects.filter(date__year=year, source=CalendarDay.Source.NOTICE).delete()
        rows = [
            CalendarDay(
                date=d.day,
                is_workday=d.is_workday,
                note=d.note,
                source=CalendarDay.Source.NOTICE,
            )
            for d in parsed.days
            if d.day not in overrides
        ]
        CalendarDay.objects.bulk_create(rows)
        loaded, created = LoadedYear.objects.update_or_create(
            year=year,
            defaults={
                "loaded_at": timezone.now(),
                "loaded_by_id": actor.pk if actor is not None else None,
                "note": note,
                "recomputed_at": None,
            },
        )
        kept = sorted(d.isoformat() for d in overrides)
        record_event(
            loaded,
            action="calendar_year_loaded" if created else "calendar_year_reloaded",
            actor=actor,
            to_state="loaded",
            reason=note,
            data={
                "year": year,
                "days": len(rows),
                "holidays": sorted(r.date.isoformat() for r in rows if not r.is_workday),
                "workdays": sorted(r.date.isoformat() for r in rows if r.is_workday),
                "kept_overrides": kept,
            },
        )
    # After the import committed: a failing hook must not undo the calendar.
    recomputed, failed = calendar_year_recompute(year=year)
    return ImportResult(year, len(rows), kept, recomputed, failed)


def calendar_year_recompute(*, year: int) -> tuple[int, list[str]]:
    """Run the recompute hooks for a loaded ``year``; mark it done if all succeeded (CAL-02).

    Return (rows recomputed, names of failed hooks). A year left unmarked is
    retried by the ``workcal.recompute_loaded_years`` sweep.
    """
    try:
        recomputed = run_provisional_recompute(year)
        failed: list[str] = []
    except RecomputeError as exc:
        recomputed, failed = exc.recomputed, exc.failed
    if not failed:
        LoadedYear.objects.filter(year=year).update(recomputed_at=timezone.now())
    return recomputed, failed
