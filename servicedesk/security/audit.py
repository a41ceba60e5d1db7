"""Writing the audit trail (``AuditEntry``), from one middleware and two hooks.

- Denials: every 403 answer, page or API, whoever asked (an anonymous caller
  included) — a role trying what it may not is worth knowing about. A 404 out
  of scope is not logged: to the caller the record does not exist, and
  logging every mistyped URL would bury the denials.
- Exports: every successful answer that is a spreadsheet or CSV (the module
  exports and the admin's import-export), whichever view produced it.
- Reveals of personal data: ``record(...)`` called by the service that reveals
  (visitors' full ID number, VIS-07).
- Admin changes: every row Django's admin writes to its own change log
  (``LogEntry``), mirrored here with the request's address.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.contrib.admin.models import LogEntry
from django.http import HttpRequest, HttpResponse

from servicedesk.security.models import AuditEntry

logger = logging.getLogger(__name__)

EXPORT_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
    "text/csv",
)
# The request being answered, for the admin hook (per thread / task).
_current: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def _user_id(request: HttpRequest | None) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def record(
    kind: str,
    *,
    request: HttpRequest | None = None,
    actor_id: int | None = None,
    status: int | None = None,
    what: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row; the request gives who, from where and which address."""
    from servicedesk.security.ratelimit import client_ip

    return AuditEntry.objects.create(
        kind=kind,
        actor_id=actor_id if actor_id is not None else _user_id(request),
        ip=client_ip(request) if request is not None else "",
        method=request.method or "" if request is not None else "",
        path=request.get_full_path()[:500] if request is not None else "",
        status=status,
        what=what[:300],
        detail=detail or {},
    )


class AuditMiddleware:
    """Logs denials and exports from the answer itself, for every view alike."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        kind = None
        if response.status_code == 403:
            kind = AuditEntry.Kind.DENIED
        elif response.status_code == 200 and response.get("Content-Type", "").startswith(
            EXPORT_TYPES
        ):
            kind = AuditEntry.Kind.EXPORT
        if kind is not None:
            try:
                record(
                    kind,
                    request=request,
                    status=response.status_code,
                    what=response.get("Content-Disposition", "")[:300],
                )
            except Exception:  # the answer stands even if the trail cannot be written
                logger.exception("audit entry not written for %s", request.path)
        return response


def mirror_admin_change(sender: type, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """``post_save`` of the admin's LogEntry: the same change in the audit trail."""
    if not created:
        return
    record(
        AuditEntry.Kind.ADMIN_CHANGE,
        request=_current.get(),
        actor_id=instance.user_id,
        what=f"{instance.content_type.app_label}.{instance.content_type.model} "
        f"#{instance.object_id} {instance.object_repr}"[:300]
        if instance.content_type
        else instance.object_repr[:300],
        detail={
            "action": {1: "add", 2: "change", 3: "delete"}.get(instance.action_flag, ""),
            "message": instance.get_change_message(),
        },
    )
