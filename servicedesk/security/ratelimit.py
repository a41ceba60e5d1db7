"""Fixed-window rate limits on an atomic database counter, and the client's IP.

The database, not the cache, holds the counters: it works without Redis, and one
upsert per hit is atomic on PostgreSQL and SQLite alike, so a burst of parallel
requests cannot all read "under the limit" before any of them writes.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from servicedesk.core.models import RateCounter

# One statement per hit (PostgreSQL, and SQLite 3.35+ for RETURNING): the conflict
# target is the unique constraint ratecounter_key_window of core.RateCounter.
_HIT_SQL = (
    'INSERT INTO "core_ratecounter" ("key", "window_start", "expires_at", "count") '
    "VALUES (%s, %s, %s, 1) "
    'ON CONFLICT ("key", "window_start") '
    'DO UPDATE SET "count" = "core_ratecounter"."count" + 1 '
    'RETURNING "count"'
)


def window_start(window_seconds: int, now: datetime | None = None) -> datetime:
    """Return the start of the fixed window (aligned to the epoch) that holds ``now``."""
    epoch = int((now or timezone.now()).timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=UTC)


def retry_after(window_seconds: int, now: datetime | None = None) -> int:
    """Return the seconds until the current window ends (for ``Retry-After``)."""
    now = now or timezone.now()
    end = window_start(window_seconds, now) + timedelta(seconds=window_seconds)
    return max(1, math.ceil((end - now).total_seconds()))


def retry_minutes(window_seconds: int) -> int:
    return math.ceil(retry_after(window_seconds) / 60)


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit on ``key``; return True while the window's hits are at most ``limit``.

    One statement: the INSERT … ON CONFLICT DO UPDATE … RETURNING takes the row
    lock and increments in place, so N concurrent hits get the counts 1..N and
    exactly ``limit`` of them are allowed (tests/security, PostgreSQL). Refused
    hits are counted too, which is harmless: the window is fixed. Run it outside
    any transaction that may roll back, or the hit is undone with it.
    """
    start = window_start(window_seconds)
    ops = connection.ops
    params = [
        key,
        ops.adapt_datetimefield_value(start),
        ops.adapt_datetimefield_value(start + timedelta(seconds=window_seconds)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_HIT_SQL, params)
        row = cursor.fetchone()
    return int(row[0]) <= limit


def refund(key: str, window_seconds: int) -> None:
    """Take back one hit of the current window (a login that turned out to succeed)."""
    RateCounter.objects.filter(
        key=key, window_start=window_start(window_seconds), count__gt=0
    ).update(count=F("count") - 1)


def client_ip(request: HttpRequest) -> str:
    """Return the client's IP address.

    ``REMOTE_ADDR`` unless ``TRUSTED_PROXY_COUNT`` proxies sit in front of the app:
    each appends the address it received the request from to X-Forwarded-For, so
    the client is the N-th entry from the right; anything left of it was sent by
    the client and may be forged. A header too short or malformed for that falls
    back to ``REMOTE_ADDR``.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    trusted = int(settings.TRUSTED_PROXY_COUNT)
    if trusted <= 0:
        return remote
    forwarded = [a.strip() for a in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    forwarded = [a for a in forwarded if a]
    if len(forwarded) < trusted:
        return remote
    candidate = forwarded[-trusted]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
