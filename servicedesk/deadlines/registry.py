"""The registry of deadline checks.

A module registers each of its checks in its own ``deadlines.py``::

    from servicedesk.deadlines.registry import deadline_check

    @deadline_check("complaints.escalate_overdue")
    def escalate_overdue(now: datetime) -> int:
        ...  # set-based: a few queries whatever the backlog; returns rows acted on

Rules for a check:
- idempotent: running it twice at the same ``now`` changes nothing the second
  time (act with a conditional UPDATE on the stored ``*_due_at`` column and a
  marker of what was already done, e.g. ``escalated_for_due_at``);
- set-based: no per-row queries, so a backlog after an outage costs the same
  few statements;
- atomic: the sweep runs each check in its own transaction, so a worker killed
  midway leaves nothing half-applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

CheckFn = Callable[[datetime], int]


@dataclass(frozen=True)
class DeadlineCheck:
    name: str
    fn: CheckFn
    description: str
    # False for checks that must commit as they go (outbox delivery claims rows
    # before sending, so a crash loses a message rather than sending it twice).
    atomic: bool = True


_checks: dict[str, DeadlineCheck] = {}


def deadline_check(name: str, *, atomic: bool = True) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as the deadline check ``name`` (``<app>.<what>``)."""

    def register(fn: CheckFn) -> CheckFn:
        if name in _checks and _checks[name].fn is not fn:
            raise ValueError(f"Deadline check {name!r} is registered twice.")
        _checks[name] = DeadlineCheck(
            name=name, fn=fn, description=(fn.__doc__ or "").strip(), atomic=atomic
        )
        return fn

    return register


def registered_checks() -> list[DeadlineCheck]:
    return [_checks[name] for name in sorted(_checks)]
