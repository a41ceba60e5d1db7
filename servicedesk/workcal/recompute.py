"""Recomputing provisional deadlines once a year's calendar is loaded (CAL-02).

A module whose records carry deadlines registers, in its ``deadlines.py`` or
``apps.py``::

    from servicedesk.workcal.recompute import register_provisional_recompute

    @register_provisional_recompute
    def recompute_complaint_deadlines(year: int) -> int:
        ...  # open records whose stored deadline is provisional and reaches into
        ...  # ``year``: recompute with business_calendar(); return rows changed

Hooks must be idempotent (a recomputed deadline is no longer provisional, so a
second run finds nothing) and set-based where the backlog can be large. They
run after an import commits and, until all succeed, again from the sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

RecomputeFn = Callable[[int], int]

_hooks: list[RecomputeFn] = []


class RecomputeError(Exception):
    """Some hooks failed; the others' work stands. ``recomputed`` counts their rows."""

    def __init__(self, failed: list[str], recomputed: int) -> None:
        super().__init__(f"Provisional-deadline recompute failed in: {', '.join(failed)}")
        self.failed = failed
        self.recomputed = recomputed


def _name(fn: RecomputeFn) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def register_provisional_recompute(fn: RecomputeFn) -> RecomputeFn:
    """Register ``fn(year) -> rows recomputed`` (a decorator); registering twice is a no-op."""
    if fn not in _hooks:
        _hooks.append(fn)
    return fn


def registered_recompute_hooks() -> list[RecomputeFn]:
    return list(_hooks)


def run_provisional_recompute(year: int) -> int:
    """Run every hook for ``year`` and return the rows they recomputed (CAL-02).

    Each hook runs in its own savepoint: one module's bug must not undo the
    others' work nor the import itself. If any failed, RecomputeError is
    raised after all ran, so the caller leaves the year marked for a retry.
    """
    total = 0
    failed: list[str] = []
    for fn in list(_hooks):
        try:
            with transaction.atomic():
                total += int(fn(year) or 0)
        except Exception:
            logger.exception("Provisional-deadline recompute %s failed for %s", _name(fn), year)
            failed.append(_name(fn))
    if failed:
        raise RecomputeError(failed, total)
    return total
