"""The monthly dashboard (APR-10) as an Excel workbook.

Built from the same ``selectors.Dashboard`` as the page, so the numbers are the
page's: one sheet per part (scores, not yet appraised, distribution, trend,
frequent deduction reasons). Scores stay ``Decimal`` (openpyxl writes them as
numbers).
"""

from __future__ import annotations

import io
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from appraisal.selectors import Dashboard

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCORE_HEADER = [
    "姓名",
    "工号",
    "部门",
    "德",
    "勤",
    "能",
    "绩",
    "嘉奖加分",
    "总分",
    "状态",
    "培训未完成（试用）",
]


def _bold_first_row(sheet: object, row: int = 1) -> None:
    for cell in sheet[row]:  # type: ignore[index]
        cell.font = Font(bold=True)


def dashboard_workbook(dash: Dashboard, *, department_name: str) -> bytes:
    """Return the dashboard of one department and month as .xlsx bytes."""
    book = Workbook()
    scores = book.worksheets[0]
    scores.title = "考核汇总"
    scores.append(["部门", department_name])
    scores.append(["月份", f"{dash.month:%Y-%m}"])
    scores.append([])
    scores.append(SCORE_HEADER)
    _bold_first_row(scores, 4)
    for row in dash.rows:
        a = row.assessment
        finished = row.appraised and a is not None
        scores.append(
            [
                row.staff.name,
                row.staff.employee_no,
                row.staff.department.name if row.staff.department else "",
                a.de if finished and a else None,
                a.qin if finished and a else None,
                a.neng if finished and a else None,
                a.ji if finished and a else None,
                a.bonus if finished and a else None,
                a.total if finished and a else None,
                str(a.get_status_display()) if a else "未考核",
                "是" if row.probationary else "",
            ]
        )
    averages = dash.averages
    scores.append(
        [
            "平均",
            "",
            "",
            averages.get("de"),
            averages.get("qin"),
            averages.get("neng"),
            averages.get("ji"),
            None,
            averages.get("total"),
            "",
            "",
        ]
    )

    missing = book.create_sheet("未考核")
    missing.append(["姓名", "工号", "状态"])
    _bold_first_row(missing)
    drafts = {r.staff.pk for r in dash.rows if r.assessment is not None and not r.appraised}
    for person in dash.not_appraised:
        missing.append(
            [person.name, person.employee_no, "草稿" if person.pk in drafts else "未开始"]
        )

    distribution = book.create_sheet("分数分布")
    distribution.append(["分数段", "人数"])
    _bold_first_row(distribution)
    for band, count in dash.distribution.items():
        distribution.append([band, count])

    trend = book.create_sheet("月度趋势")
    trend.append(["月份", "平均总分", "已考核人数"])
    _bold_first_row(trend)
    for point in dash.trend:
        trend.append([f"{point['month']:%Y-%m}", point["average"], point["count"]])

    reasons = book.create_sheet("常见扣分原因")
    reasons.append(["考核项目", "扣分原因", "次数"])
    _bold_first_row(reasons)
    for item, reason, times in dash.top_reasons:
        reasons.append([item, reason, times])

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename=\"appraisal.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "private, no-store"
    return response
