"""Key custody's PDFs under /keys/ (namespace ``keys``).

- ``entrustment_pdf``: the 《业户钥匙委托书》; staff of the project and the
  residents of the unit (who sign it), phone numbers masked for the latter;
- ``emergency_pdf``: the 《紧急动用钥匙记录》; staff and the residents of the unit;
- ``loan_log_pdf``: the month's 《借用钥匙登记表》 (``?month=YYYY-MM``, default the
  previous month; ``?project=<id>`` when the user works in several projects);
- ``report_pdf``: the monthly key report with its loan log;
- ``handover_pdf``: the 《钥匙交接班记录》.

Login required. Out of scope is 404 (``get_scoped_or_404``), never 403:
another project's staff, another unit's resident and contractors (who see no
key record, even as a member of the project) all get 404. The last three
forms are staff-only.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_safe

from keys.pdf import (
    emergency_pdf,
    emergency_queryset,
    emergency_title,
    entrustment_pdf,
    entrustment_queryset,
    entrustment_title,
    handover_pdf,
    handover_queryset,
    handover_title,
    loan_log_pdf,
    loan_log_title,
    previous_month,
    report_pdf,
    report_queryset,
    report_title,
)
from servicedesk.core.models import Project
from servicedesk.core.scoping import get_scoped_or_404, scope_queryset, viewer_for
from servicedesk.pdf import pdf_response


def _month(value: str | None) -> date:
    """Return the first day of ``YYYY-MM``; the previous month when not given."""
    if not value:
        return previous_month(timezone.localdate())
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise Http404("no such month") from exc


def _require_staff(request: HttpRequest) -> None:
    """Staff-only forms: anyone else (resident, contractor) finds nothing (404)."""
    if not viewer_for(request.user).is_staff_member:
        raise Http404


def _require_staff_or_resident_of(request: HttpRequest, unit_id: int | None) -> bool:
    """Staff, or a resident of ``unit_id``; return whether the viewer is staff.

    ``scope_queryset`` lets a contractor who is a member of the project see its
    project-wide rows; a key record is never a contractor's business.
    """
    viewer = viewer_for(request.user)
    if viewer.is_staff_member:
        return True
    if unit_id is None or unit_id not in viewer.unit_ids:
        raise Http404
    return False


def _project(request: HttpRequest) -> Project:
    """Return the project asked for (``?project=<id>``) or the user's first, in scope."""
    _require_staff(request)
    projects = Project.objects.order_by("code")
    wanted = request.GET.get("project")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        return get_scoped_or_404(projects, request.user, pk=int(wanted))
    project = scope_queryset(projects, request.user).first()
    if project is None:
        raise Http404
    return project


@login_required
@require_safe
def entrustment_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The 《业户钥匙委托书》 (KEY-02)."""
    entrustment = get_scoped_or_404(entrustment_queryset(), request.user, pk=pk)
    staff_view = _require_staff_or_resident_of(request, entrustment.unit_id)
    pdf = entrustment_pdf(entrustment, request=request, staff_view=staff_view)
    return pdf_response(pdf, f"{entrustment_title()}-{entrustment.number}.pdf")


@login_required
@require_safe
def loan_log_pdf_view(request: HttpRequest) -> HttpResponse:
    """The month's 《借用钥匙登记表》 (KEY-03, KEY-04)."""
    project = _project(request)
    month = _month(request.GET.get("month"))
    pdf = loan_log_pdf(project, month, request=request)
    return pdf_response(pdf, f"{loan_log_title()}-{project.code}-{month:%Y-%m}.pdf")


@login_required
@require_safe
def report_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The monthly key report with the supervisor's review (KEY-09)."""
    _require_staff(request)
    report = get_scoped_or_404(report_queryset(), request.user, pk=pk)
    pdf = report_pdf(report, request=request)
    return pdf_response(pdf, f"{report_title()}-{report.project.code}-{report.month:%Y-%m}.pdf")


@login_required
@require_safe
def emergency_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The 《紧急动用钥匙记录》 (KEY-07)."""
    use = get_scoped_or_404(emergency_queryset(), request.user, pk=pk)
    staff_view = _require_staff_or_resident_of(request, use.key.unit_id)
    pdf = emergency_pdf(use, request=request, staff_view=staff_view)
    return pdf_response(pdf, f"{emergency_title()}-{use.number}.pdf")


@login_required
@require_safe
def handover_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The 《钥匙交接班记录》 (KEY-10)."""
    _require_staff(request)
    handover = get_scoped_or_404(handover_queryset(), request.user, pk=pk)
    pdf = handover_pdf(handover, request=request)
    return pdf_response(pdf, f"{handover_title()}-{handover.pk}.pdf")


urlpatterns: list[URLPattern] = [
    path("entrustments/<int:pk>/pdf/", entrustment_pdf_view, name="entrustment_pdf"),
    path("loans/pdf/", loan_log_pdf_view, name="loan_log_pdf"),
    path("reports/<int:pk>/pdf/", report_pdf_view, name="report_pdf"),
    path("emergencies/<int:pk>/pdf/", emergency_pdf_view, name="emergency_pdf"),
    path("handovers/<int:pk>/pdf/", handover_pdf_view, name="handover_pdf"),
]
