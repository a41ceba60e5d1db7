"""The appraisal's printable records under /appraisal/ (namespace ``appraisal``, APR-08).

- ``monthly_record_pdf``: 《员工月绩效考核记录表》 of one check or monthly appraisal
  (a year-end record prints its own form here too);
- ``year_end_record_pdf``: 《员工年终绩效考核记录表》 with the composite (404 for
  any other kind);
- ``person_year_pdf``: 《员工月/年绩效考核情况统计表》 of one person and year;
- ``department_year_pdf``: 《年度员工绩效考核情况统计表》, ``?department=<id>&year=<yyyy>``.

Who sees what is decided in one place (APR-07): records through
``services.visible_assessments``, people through ``services.visible_staff``.
A clerk prints their own records, a manager or supervisor those of their
department, the general manager everyone's. Residents and contractors hold no
staff role and see nothing. Out of scope is 404, never 403.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_safe

from appraisal import services
from appraisal.models import Kind
from appraisal.pdf import (
    DEPARTMENT_YEAR_TITLE,
    MONTHLY_RECORD_TITLE,
    YEAR_END_RECORD_TITLE,
    department_year_pdf,
    person_year_pdf,
    record_pdf,
    record_queryset,
    year_end_pdf,
)
from servicedesk.core.models import Department
from servicedesk.core.scoping import viewer_for
from servicedesk.pdf import pdf_response

# Years a statistics form may be asked for; anything else is not a record (404).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _require_staff(request: HttpRequest) -> None:
    """Residents and contractors have no appraisal records to print (APR-07): 404."""
    if not viewer_for(request.user).is_staff_member:
        raise Http404


def _year(value: object) -> int:
    try:
        year = int(str(value))
    except ValueError as exc:
        raise Http404("no such year") from exc
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404("no such year")
    return year


@login_required
@require_safe
def monthly_record_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """《员工月绩效考核记录表》 of a monthly appraisal or a weekly/monthly/spot check."""
    _require_staff(request)
    assessment = get_object_or_404(
        record_queryset(services.visible_assessments(request.user)), pk=pk
    )
    pdf = record_pdf(assessment, request=request)
    title = YEAR_END_RECORD_TITLE if assessment.kind == Kind.YEAR_END else MONTHLY_RECORD_TITLE
    name = f"{title}-{assessment.staff.name}-{assessment.period:%Y%m%d}.pdf"
    return pdf_response(pdf, name)


@login_required
@require_safe
def year_end_record_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """《员工年终绩效考核记录表》 with the composite and 优秀员工 (APR-04, APR-05)."""
    _require_staff(request)
    assessment = get_object_or_404(
        record_queryset(services.visible_assessments(request.user)),
        pk=pk,
        kind=Kind.YEAR_END,
    )
    pdf = year_end_pdf(assessment, request=request)
    name = f"{YEAR_END_RECORD_TITLE}-{assessment.staff.name}-{assessment.period.year}.pdf"
    return pdf_response(pdf, name)


@login_required
@require_safe
def person_year_pdf_view(request: HttpRequest, staff_pk: int, year: int) -> HttpResponse:
    """《员工月/年绩效考核情况统计表》 of one person the user may see."""
    _require_staff(request)
    year = _year(year)
    staff = get_object_or_404(
        services.visible_staff(request.user).select_related("department"), pk=staff_pk
    )
    pdf = person_year_pdf(staff, year, request=request)
    # "/" cannot be in a file name: 员工月年绩效考核情况统计表.
    return pdf_response(pdf, f"员工月年绩效考核情况统计表-{staff.name}-{year}.pdf")


@login_required
@require_safe
def department_year_pdf_view(request: HttpRequest) -> HttpResponse:
    """《年度员工绩效考核情况统计表》 of one department: the general manager's for
    any department, a manager's or supervisor's for their own (APR-07)."""
    _require_staff(request)
    viewer = viewer_for(request.user)
    profile = getattr(request.user, "staff_profile", None)
    raw_department = request.GET.get("department") or (
        profile.department_id if profile is not None else None
    )
    if raw_department is None:
        raise Http404("no department")
    try:
        department_id = int(str(raw_department))
    except ValueError as exc:
        raise Http404("no such department") from exc
    year = _year(request.GET.get("year") or timezone.localdate().year)
    # A department's statistics are for those who appraise it, or see everyone.
    if not (services.sees_everyone(request.user) or viewer.has_role(*services.CHECKER_ROLES)):
        raise Http404
    staff = services.visible_staff(request.user).filter(department_id=department_id)
    if not staff.exists():
        raise Http404
    department = get_object_or_404(Department, pk=department_id)
    pdf = department_year_pdf(department, staff, year, request=request)
    return pdf_response(pdf, f"{DEPARTMENT_YEAR_TITLE}-{department.name}-{year}.pdf")


urlpatterns: list[URLPattern] = [
    path("records/<int:pk>/pdf/", monthly_record_pdf_view, name="monthly_record_pdf"),
    path("records/<int:pk>/year-end/pdf/", year_end_record_pdf_view, name="year_end_record_pdf"),
    path("staff/<int:staff_pk>/<int:year>/pdf/", person_year_pdf_view, name="person_year_pdf"),
    path("department-year/pdf/", department_year_pdf_view, name="department_year_pdf"),
]
