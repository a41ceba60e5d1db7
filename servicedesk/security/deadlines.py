"""The rate limiter's housekeeping: set-based and idempotent."""

from __future__ import annotations

from datetime import datetime

from servicedesk.core.models import RateCounter
from servicedesk.deadlines.registry import deadline_check


@deadline_check("security.purge_rate_counters")
def purge_rate_counters(now: datetime) -> int:
    """Delete rate counters whose window has ended; they can no longer refuse anything."""
    deleted, _ = RateCounter.objects.filter(expires_at__lte=now).delete()
    return deleted
