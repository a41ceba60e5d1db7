from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from servicedesk.notifications.models import Notification
from servicedesk.notifications.services import mark_read
from servicedesk.security.login import ThrottledAuthenticationForm
from servicedesk.security.ratelimit import retry_after
from servicedesk.web.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from servicedesk.web.identity import desk_identity
from servicedesk.web.panels import panels_for

INBOX_PAGE_SIZE = 25


def _user_id(request: HttpRequest) -> int:
    """The logged-in user's id (views below are all ``login_required``)."""
    return cast(int, request.user.pk)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    identity = desk_identity(request)
    return render(
        request,
        "web/home.html",
        {
            "panels": panels_for(request),
            "resident_home": identity.is_resident and not identity.is_staff_member,
        },
    )


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The inbox: the user's own notifications, newest first (never anyone else's)."""
    rows = Notification.objects.filter(recipient_id=_user_id(request)).only(
        "id", "title", "body", "url", "created_at", "read_at"
    )
    page = Paginator(rows, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    mark_read(_user_id(request))
    return redirect("notifications")


def safe_local_url(url: str) -> str | None:
    """Return ``url`` if it is a path on this site, else None (no open redirect).

    Only absolute paths are followed: ``/complaints/7/``, never ``//evil``,
    ``/\\evil``, ``https://…`` or ``javascript:…``.
    """
    url = (url or "").strip()
    if not url.startswith("/") or url.startswith(("//", "/\\")):
        return None
    if any(ch in url for ch in "\r\n\t\\"):
        return None
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=set()):
        return None
    return url


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and follow its link, if it is local."""
    note = get_object_or_404(Notification, pk=pk, recipient_id=_user_id(request))
    if note.read_at is None:
        mark_read(_user_id(request), [note.pk])
    target = safe_local_url(note.url)
    if target is None:
        return redirect(reverse("notifications") + f"#n{note.pk}")
    return HttpResponseRedirect(target)


class DeskLoginView(LoginView):
    """Django's login view; in demo mode it also lists the demo accounts (API.md)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True
    # Failed logins are limited and logged (servicedesk.security.login).
    form_class = ThrottledAuthenticationForm

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if isinstance(form, ThrottledAuthenticationForm) and form.rate_limited:
            response.status_code = 429
            response["Retry-After"] = str(retry_after(settings.LOGIN_FAILURE_WINDOW_SECONDS))
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if settings.DEMO_MODE:
            context["demo_accounts"] = DEMO_ACCOUNTS
            context["demo_password"] = DEMO_PASSWORD
        return context
