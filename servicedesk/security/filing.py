"""The limit on online filings by residents (portal form and resident API share it)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import Throttled

from servicedesk.security import ratelimit


def filing_allowed(user_id: int) -> bool:
    """Count one online filing by ``user_id``; return False once over the limit."""
    return ratelimit.hit(
        f"portal-file:{user_id}",
        settings.PORTAL_FILINGS_PER_USER,
        settings.PORTAL_FILING_WINDOW_SECONDS,
    )


def filing_retry_after() -> int:
    return ratelimit.retry_after(settings.PORTAL_FILING_WINDOW_SECONDS)


def filing_refused_message() -> str:
    return _(
        "提交过于频繁：%(window)d 分钟内最多在线提交 %(limit)d 条。"
        "请 %(minutes)d 分钟后再试，紧急情况请致电客服。"
    ) % {
        "window": settings.PORTAL_FILING_WINDOW_SECONDS // 60,
        "limit": settings.PORTAL_FILINGS_PER_USER,
        "minutes": ratelimit.retry_minutes(settings.PORTAL_FILING_WINDOW_SECONDS),
    }


class FilingThrottled(Throttled):
    """429 for the resident API, with ``Retry-After`` and the portal's message."""

    wait: int | None

    def __init__(self) -> None:
        super().__init__(detail=filing_refused_message())
        # Set after __init__ so DRF does not append "expected available in …".
        self.wait = filing_retry_after()
