"""The visitor desk's paper forms and exports under /visitors/ (namespace ``visitors``).

- ``slip-pdf``: the 《访客登记单》 of one visit (VIS-03), staff only;
- ``daily-pdf``: the day's 《访客登记表》, landscape, for the user's projects;
- ``daily-export``: the same log as ``.xlsx`` or ``.csv`` (UTF-8 with BOM).

Residents get 403 (they may see visits to their unit on screen, not the desk's
forms); out of scope is 404 (``get_scoped_or_404``/``scope_queryset``), never
403. Only masked ID numbers are ever printed or exported (VIS-07).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path
from django.views.decorators.http import require_safe

from servicedesk.core.scoping import get_scoped_or_404, viewer_for
from servicedesk.pdf import pdf_response
from visitors.exports import CSV_TYPE, XLSX_TYPE, daily_csv, daily_xlsx
from visitors.pdf import (
    DAILY_LOG_TITLE,
    SLIP_TITLE,
    daily_log_context,
    daily_log_pdf,
    slip_pdf,
    visit_queryset,
)


def _require_staff(request: HttpRequest) -> None:
    if not viewer_for(request.user).is_staff_member:
        raise PermissionDenied


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Http404("no such date") from exc


@login_required
@require_safe
def slip_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit's 《访客登记单》, upper and lower parts (VIS-03, VIS-04)."""
    visit = get_scoped_or_404(visit_queryset(), request.user, pk=pk)
    _require_staff(request)
    pdf = slip_pdf(visit, request=request)
    return pdf_response(pdf, f"{SLIP_TITLE}-{visit.slip_number}.pdf")


@login_required
@require_safe
def daily_pdf_view(request: HttpRequest, day: str) -> HttpResponse:
    """The 《访客登记表》 of one local day in the user's projects."""
    _require_staff(request)
    when = _day(day)
    pdf = daily_log_pdf(when, request=request)
    return pdf_response(pdf, f"{DAILY_LOG_TITLE}-{when:%Y-%m-%d}.pdf")


@login_required
@require_safe
def daily_export_view(request: HttpRequest, day: str, fmt: str) -> HttpResponse:
    """The day's 《访客登记表》 as Excel or CSV."""
    _require_staff(request)
    when = _day(day)
    context = daily_log_context(when, request.user)
    if fmt == "xlsx":
        body, content_type = daily_xlsx(context), XLSX_TYPE
    else:
        body, content_type = daily_csv(context), CSV_TYPE
    filename = f"{DAILY_LOG_TITLE}-{when:%Y-%m-%d}.{fmt}"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=\"visitors-{when:%Y%m%d}.{fmt}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "private, no-store"  # personal data (ORG-02)
    return response


DAY = r"(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})"

urlpatterns: list[URLPattern] = [
    path("<int:pk>/slip.pdf", slip_pdf_view, name="slip-pdf"),
    re_path(rf"^log/{DAY}\.pdf$", daily_pdf_view, name="daily-pdf"),
    re_path(rf"^log/{DAY}\.(?P<fmt>xlsx|csv)$", daily_export_view, name="daily-export"),
]
