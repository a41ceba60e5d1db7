"""Record numbers: gap-free per prefix and year, safe under concurrent filing."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from servicedesk.core.models import Sequence


def next_value(key: str) -> int:
    """Return the next value of counter ``key`` (1, 2, …), atomically.

    The increment is one UPDATE, so two concurrent callers serialise on the row
    lock and never get the same value; the first use creates the row.
    """
    with transaction.atomic():
        Sequence.objects.bulk_create([Sequence(key=key)], ignore_conflicts=True)
        Sequence.objects.filter(key=key).update(last=F("last") + 1)
        return Sequence.objects.values_list("last", flat=True).get(key=key)


def next_number(prefix: str, year: int, width: int = 6) -> str:
    """Return e.g. ``TS-2025-000123``: prefix, year, and a per-year serial."""
    return f"{prefix}-{year}-{next_value(f'{prefix}-{year}'):0{width}d}"
