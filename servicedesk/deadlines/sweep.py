"""Running the registered deadline checks: one sweep, used by the command, Celery
beat and the embedded runner alike."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from servicedesk.deadlines.models import CheckState
from servicedesk.deadlines.registry import registered_checks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    acted: int
    skipped: bool = False
    error: str = ""


def run_sweep(now: datetime | None = None, *, only: list[str] | None = None) -> list[CheckOutcome]:
    """Run every registered check once at ``now`` and return what each did.

    Each check runs in its own transaction holding its CheckState row lock: a
    failure rolls back that check alone (and is recorded), and a check already
    running elsewhere is skipped rather than run twice.
    """
    now = now or timezone.now()
    checks = [c for c in registered_checks() if only is None or c.name in only]
    known = set(
        CheckState.objects.filter(name__in=[c.name for c in checks]).values_list("name", flat=True)
    )
    CheckState.objects.bulk_create(
        [CheckState(name=c.name) for c in checks if c.name not in known], ignore_conflicts=True
    )
    outcomes = []
    for check in checks:
        if not check.atomic:
            try:
                outcomes.append(CheckOutcome(check.name, check.fn(now)))
            except Exception as exc:
                logger.exception("Deadline check %s failed", check.name)
                outcomes.append(CheckOutcome(check.name, 0, error=repr(exc)))
            continue
        try:
            with transaction.atomic():
                state = (
                    CheckState.objects.select_for_update(skip_locked=True)
                    .filter(name=check.name)
                    .first()
                )
                if state is None:
                    outcomes.append(CheckOutcome(check.name, 0, skipped=True))
                    continue
                state.last_started_at = timezone.now()
                acted = check.fn(now)
                state.last_finished_at = timezone.now()
                state.last_acted = acted
                state.last_error = ""
                state.save()
            outcomes.append(CheckOutcome(check.name, acted))
        except Exception as exc:  # one broken check must not stop the others
            logger.exception("Deadline check %s failed", check.name)
            CheckState.objects.filter(name=check.name).update(last_error=repr(exc)[:2000])
            outcomes.append(CheckOutcome(check.name, 0, error=repr(exc)))
    return outcomes
