"""The monthly complaint statistics page (CMP-14, CMP-16): HTML, Excel and PDF.

``/complaints/stats/?month=YYYY-MM`` (``complaints:stats``), staff only, scoped
to the caller's projects. ``&format=xlsx`` downloads the tables as a workbook,
``&format=pdf`` prints the monthly statistics report. All three share one
context built by ``selectors.month_stats_report``.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from openpyxl import Workbook

from complaints import selectors
from complaints.models import Complaint
from servicedesk.core.models import Project
from servicedesk.core.scoping import scope_queryset, viewer_for
from servicedesk.pdf import pdf_response, render_pdf

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TEMPLATE = "complaints/pdf/monthly_stats.html"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def _project_label(request: HttpRequest) -> tuple[str, str]:
    """Return (company, projects) as printed on the report."""
    viewer = viewer_for(request.user)
    projects = scope_queryset(Project.objects.order_by("code"), request.user)
    rows = list(projects.values_list("name", "company")[:20])
    company = next((c for _n, c in rows if c), "")
    if viewer.all_projects:
        return company, _("全部管理项目")
    return company, "、".join(n for n, _c in rows)


def stats_context(request: HttpRequest, month: date) -> dict[str, Any]:
    """Return the page's context: the report, chart data and the month picker."""
    scoped = scope_queryset(Complaint.objects.all(), request.user)
    report = selectors.month_stats_report(scoped, month)
    stats = report["stats"]
    target = stats["target"]
    rate = stats["satisfaction_rate"]
    chart = {
        "month": stats["month"],
        "category": {
            "labels": [r.label for r in report["category_rows"]],
            "counts": [r.count for r in report["category_rows"]],
        },
        "channel": {
            "labels": [r.label for r in report["channel_rows"]],
            "counts": [r.count for r in report["channel_rows"]],
        },
    }
    return report | {
        "month": month,
        "month_value": stats["month"],
        "chart": chart,
        "satisfaction_met": rate is not None and rate >= target,
        "satisfaction_text": _pct(rate),
        "target_text": _pct(target),
        "first_contact_text": _pct(stats["first_contact_on_time_rate"]),
        "rectify_text": _pct(stats["rectify_on_time_rate"]),
        "repeat_text": _pct(stats["repeat_rate"]),
    }


def _workbook(context: dict[str, Any]) -> bytes:
    """Return the report as an .xlsx: a summary sheet and one sheet per breakdown."""
    stats = context["stats"]
    book = Workbook()
    summary = book.active
    summary.title = "汇总"
    summary.append(["月份", stats["month"]])
    summary.append(["受理总数（重复合并计一次）", stats["total"]])
    summary.append(["反映人数", stats["people"]])
    summary.append(["反映次数", stats["times"]])
    summary.append(["已联系回访", stats["callbacks_reached"]])
    summary.append(["满意及基本满意", stats["callbacks_satisfied"]])
    summary.append(["满意率（%）", stats["satisfaction_rate"]])
    summary.append(["满意率目标（%）", stats["target"]])
    summary.append(["首次联系及时率（%）", stats["first_contact_on_time_rate"]])
    summary.append(["整改及时率（%）", stats["rectify_on_time_rate"]])
    summary.append(["重复投诉率（%）", stats["repeat_rate"]])
    for title, key in (
        ("按类别", "category_rows"),
        ("按渠道", "channel_rows"),
        ("按类型", "kind_rows"),
        ("按楼栋", "building_rows"),
        ("按部门", "department_rows"),
    ):
        sheet = book.create_sheet(title)
        sheet.append(["代码", "名称", "数量", "占比（%）"])
        for row in context[key]:
            sheet.append([row.code, row.label, row.count, row.share])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _download(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=\"complaint-stats.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def complaint_stats(request: HttpRequest) -> HttpResponse:
    """Monthly statistics by category, channel, building and department; staff only."""
    if not viewer_for(request.user).is_staff_member:
        raise PermissionDenied(_("仅限员工访问。"))
    raw = request.GET.get("month", "")
    error = ""
    try:
        month = selectors.parse_month(raw) if raw else timezone.localdate().replace(day=1)
    except ValueError:
        error = _("月份格式应为 YYYY-MM。")
        month = timezone.localdate().replace(day=1)
    context = stats_context(request, month)
    fmt = request.GET.get("format", "")
    if fmt == "xlsx" and not error:
        return _download(
            _workbook(context), XLSX_TYPE, f"投诉月度统计-{context['month_value']}.xlsx"
        )
    if fmt == "pdf" and not error:
        company, projects = _project_label(request)
        profile = getattr(request.user, "staff_profile", None)
        pdf = render_pdf(
            PDF_TEMPLATE,
            context
            | {
                "company": company,
                "project": projects,
                "form_title": "投诉月度统计报表",
                "parts": [
                    {"title": "二、按类别（最终根本原因）", "rows": context["category_rows"]},
                    {"title": "三、按受理渠道", "rows": context["channel_rows"]},
                    {"title": "四、按楼栋", "rows": context["building_rows"]},
                    {"title": "五、按责任部门", "rows": context["department_rows"]},
                    {"title": "六、按类型", "rows": context["kind_rows"]},
                ],
                "serial": f"TJ-{context['month_value']}",
                "printed_at": timezone.localtime(),
                "printed_by": profile.name if profile else request.user.get_username(),
            },
            request=request,
        )
        return pdf_response(pdf, f"投诉月度统计-{context['month_value']}.pdf")
    return render(
        request,
        "complaints/stats.html",
        context | {"month_error": error},
        status=400 if error else 200,
    )


urlpatterns: list[URLPattern] = [path("stats/", complaint_stats, name="stats")]
