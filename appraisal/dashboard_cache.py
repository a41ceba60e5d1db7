"""The monthly dashboard (APR-10), cached until anything it shows changes.

A department's board reads every person's month, twelve months of totals and
the month's deductions: the same answer on every refresh until an appraisal,
a deduction, a training result or a person changes. It is cached per viewer
(what one may see depends on who one is, APR-07), department and month, under
a version token that every such change replaces once its transaction commits
(``invalidate_on_commit``, connected in ``apps.py``). A token, not a counter:
if the cache loses it, the next one is new and can never meet an old entry.
The entries also expire after ``TIMEOUT`` seconds, a bound on staleness should
a write ever bypass the model signals (``QuerySet.update``); the writes that
do (demo, scale) call ``invalidate`` themselves.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from appraisal.selectors import Dashboard, monthly_dashboard
from servicedesk.core.models import StaffProfile

VERSION_KEY = "appraisal:dashboard:version"
TIMEOUT = 300


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid4().hex, timeout=None)
        # Another process may have added one first: use whichever is stored.
        version = cache.get(VERSION_KEY) or uuid4().hex
    return str(version)


def invalidate() -> None:
    """Make every cached board stale (a new token)."""
    cache.set(VERSION_KEY, uuid4().hex, timeout=None)


def invalidate_on_commit(**_signal: Any) -> None:
    """Signal receiver: replace the token now and again once the change is
    committed — a board computed meanwhile from the old rows is stored under the
    intermediate token, which the commit retires."""
    invalidate()
    transaction.on_commit(invalidate)


def cached_monthly_dashboard(
    staff: QuerySet[StaffProfile], month: date, *, viewer_id: int | None, department_id: int
) -> Dashboard:
    """``selectors.monthly_dashboard`` for this viewer, department and month, cached."""
    key = f"appraisal:dashboard:{_version()}:{viewer_id}:{department_id}:{month:%Y-%m}"
    dash = cache.get(key)
    if dash is None:
        dash = monthly_dashboard(staff, month)
        cache.set(key, dash, TIMEOUT)
    return dash
