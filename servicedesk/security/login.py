"""Login throttling for the web form and the API token endpoint.

Every attempt that will check a password first takes a slot from two atomic
counters (per username+IP, per IP); a successful login gives its slots back, so
only failures count. Taking the slot *before* checking the password is what
makes the limit hold under a parallel burst: at most ``limit`` attempts per
window ever reach the password check. Over the limit the attempt is refused
(HTTP 429) without checking the password, until the window ends: that lockout
is the "slowing" (no sleeps that would tie up a worker).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from servicedesk.core.events import record_event
from servicedesk.security import ratelimit

logger = logging.getLogger("servicedesk.security")

RATE_LIMITED = "rate_limited"


def refused_message() -> str:
    minutes = ratelimit.retry_minutes(settings.LOGIN_FAILURE_WINDOW_SECONDS)
    return _("登录失败次数过多，已暂时锁定。请 %(minutes)d 分钟后再试。") % {"minutes": minutes}


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    ip: str
    keys: tuple[str, ...]

    def succeeded(self) -> None:
        for key in self.keys:
            ratelimit.refund(key, settings.LOGIN_FAILURE_WINDOW_SECONDS)

    def failed(self, channel: str) -> None:
        """Log the failure: username (never the password), IP and time."""
        at = timezone.now()
        logger.warning(
            "login failed: username=%r ip=%s at=%s via=%s",
            self.username,
            self.ip,
            at.isoformat(),
            channel,
        )
        user = get_user_model().objects.filter(username=self.username).first()
        if user is not None:  # Event needs a subject: the account that was tried
            record_event(
                user,
                action="login_failed",
                reason=_("登录失败"),
                data={"username": self.username, "ip": self.ip, "via": channel},
                at=at,
            )


def login_attempt_start(request: HttpRequest | Request, username: str) -> LoginAttempt | None:
    """Take this attempt's slots; return None (refused, and logged) when over a limit."""
    ip = ratelimit.client_ip(request)  # DRF's Request proxies META
    digest = hashlib.sha256(f"{username.casefold()}\0{ip}".encode()).hexdigest()
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    limits = (
        (f"login:user-ip:{digest}", settings.LOGIN_FAILURES_PER_USER_IP),
        (f"login:ip:{ip}", settings.LOGIN_FAILURES_PER_IP),
    )
    # Both counters are hit even when the first refuses: an attacker rotating
    # usernames still uses up the per-IP limit.
    allowed = [ratelimit.hit(key, limit, window) for key, limit in limits]
    if all(allowed):
        return LoginAttempt(username=username, ip=ip, keys=tuple(key for key, _ in limits))
    logger.warning(
        "login refused (too many failures): username=%r ip=%s at=%s",
        username,
        ip,
        timezone.now().isoformat(),
    )
    return None


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form behind the failed-login limits."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if self.request is None or username is None or not self.cleaned_data.get("password"):
            return super().clean()  # no password is checked (or no request): nothing to count
        attempt = login_attempt_start(self.request, username)
        if attempt is None:
            raise forms.ValidationError(refused_message(), code=RATE_LIMITED)
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            attempt.failed("web")
            raise
        attempt.succeeded()
        return cleaned

    @property
    def rate_limited(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, RATE_LIMITED)


class ThrottledObtainAuthToken(ObtainAuthToken):
    """``POST /api/v1/auth/token/`` behind the same failed-login limits."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = request.data
        username = str(data.get("username", "")) if hasattr(data, "get") else ""
        attempt = login_attempt_start(request, username)
        if attempt is None:
            window = settings.LOGIN_FAILURE_WINDOW_SECONDS
            return Response(
                {"detail": refused_message()},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(ratelimit.retry_after(window))},
            )
        try:
            response = super().post(request, *args, **kwargs)
        except DRFValidationError:
            attempt.failed("api")
            raise
        attempt.succeeded()
        return response
