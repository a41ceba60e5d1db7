"""The daily 《访客登记表》 as a spreadsheet: Excel (.xlsx) and CSV (UTF-8 with BOM).

The same rows as the PDF (``visitors.pdf.daily_log_context``): corrections as
current values with the corrected columns named in 更正 (VIS-06), ID numbers
masked only (VIS-07). Typed text that a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@`` …) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from visitors.pdf import CORRECTED, LogRow

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"  # Excel opens a CSV as UTF-8 only with it

HEADERS = [
    "序号",
    "登记单号",
    "访客姓名",
    "证件类型",
    "证件号码",
    "人数",
    "车牌",
    "被访房号/被访人",
    "事由",
    "进入时间",
    "离开时间",
    "登记人",
    "状态",
    "更正",
]
WIDTHS = [6, 24, 12, 12, 22, 6, 11, 24, 24, 12, 12, 22, 14, 22]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe if a spreadsheet would evaluate it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def row_values(row: LogRow) -> list[Any]:
    labels = row.corrected_labels
    people: Any = int(row.people_count) if row.people_count.isdigit() else row.people_count
    values: list[Any] = [
        row.n,
        row.slip_number,
        row.visitor_name,
        row.id_type,
        row.id_number,  # masked (VIS-07)
        people,
        row.vehicle_plate,
        row.host,
        row.purpose,
        row.entered_at if row.entered_at != "—" else "",
        row.left_at if row.left_at != "—" else "",
        row.registrar,
        row.status,
        f"{CORRECTED}：{'、'.join(labels)}" if labels else "",
    ]
    return [safe_cell(v) for v in values]


def daily_csv(context: dict[str, Any]) -> bytes:
    """Return the day's log as CSV, UTF-8 with a BOM so Excel reads the Chinese text."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in context["rows"]:
        writer.writerow(row_values(row))
    return out.getvalue().encode("utf-8")


def daily_xlsx(context: dict[str, Any]) -> bytes:
    """Return the day's log as an .xlsx workbook: one sheet, header row frozen."""
    day: date = context["day"]
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = f"访客登记表 {day:%Y-%m-%d}"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F0F0F0")
        cell.alignment = Alignment(horizontal="center")
    for row in context["rows"]:
        sheet.append(row_values(row))
    for i, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
