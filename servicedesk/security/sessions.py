"""Idle timeout without a session write on every request.

``SESSION_SAVE_EVERY_REQUEST`` would push the expiry forward on each request at
the cost of a transaction (BEGIN, UPDATE, COMMIT) per page. This middleware
marks the session modified at most once every ``SESSION_REFRESH_SECONDS``, so
the session middleware saves it — and renews its expiry by
``SESSION_COOKIE_AGE`` — about once a minute while someone is working: the idle
timeout holds to within that minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REFRESHED_AT = "_refreshed_at"


class IdleSessionRefreshMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only sessions that exist (a login): an anonymous visitor gets none.
        if session is not None and session.session_key and not session.is_empty():
            now = int(time.time())
            if now - int(session.get(REFRESHED_AT, 0)) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED_AT] = now
        return response


def mark_refreshed_at_login(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    """Logging in saves the session with a fresh expiry: the next refresh is due a
    minute later, so the requests right after a login write nothing."""
    if request is not None and hasattr(request, "session"):
        request.session[REFRESHED_AT] = int(time.time())
