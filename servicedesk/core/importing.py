"""All-or-nothing spreadsheet import, and export, of units and residents.

``import_units(file, "xlsx")`` returns an ``ImportReport``. If any row has any
error, nothing at all is imported and every error is listed with its row and
column, numbered as Excel shows them (the header is row 1, the first data row
is row 2), e.g. "第 3 行，电话：号码无效".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from import_export.formats.base_formats import CSV, XLSX
from import_export.resources import ModelResource
from import_export.results import Result, RowResult

from servicedesk.core.resources import (
    COLUMN_CODE_PREFIX,
    RESIDENT_REQUIRED,
    UNIT_REQUIRED,
    ResidentResource,
    UnitResource,
)

FORMATS = ("xlsx", "csv")
# Excel on Chinese Windows opens UTF-8 CSV correctly only with a byte-order mark,
# and saves CSV as GB18030/GBK unless told otherwise: read both.
CSV_EXPORT_ENCODING = "utf-8-sig"
CSV_IMPORT_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` as numbered in Excel (header = 1), ``column`` its header."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"第 {self.row} 行，{self.column}：{self.message}"
        return f"第 {self.row} 行：{self.message}"


@dataclass
class ImportReport:
    ok: bool
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return [str(e) for e in self.errors]


def _read_bytes(file: str | Path | bytes | IO[Any]) -> tuple[bytes, str]:
    if isinstance(file, bytes):
        return file, ""
    if isinstance(file, str | Path):
        path = Path(file)
        return path.read_bytes(), path.name
    data = file.read()
    name = str(getattr(file, "name", "") or "")
    return (data.encode("utf-8") if isinstance(data, str) else data), name


def guess_format(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"不支持的文件格式“{suffix or name}”：请使用 xlsx 或 csv。")
    return suffix


def read_dataset(file: str | Path | bytes | IO[Any], format: str | None = None) -> tablib.Dataset:
    """Return the first sheet (xlsx) or the CSV as a dataset with trimmed headers."""
    data, name = _read_bytes(file)
    fmt = (format or guess_format(name)).lower()
    if fmt == "xlsx":
        dataset = XLSX().create_dataset(data)
    elif fmt == "csv":
        for encoding in CSV_IMPORT_ENCODINGS:
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise ValueError("无法识别 CSV 文件的编码。")
        dataset = CSV().create_dataset(text)
    else:
        raise ValueError(f"不支持的文件格式“{fmt}”：请使用 xlsx 或 csv。")
    dataset.headers = [str(h).strip() if h is not None else "" for h in dataset.headers or []]
    # Excel often leaves formatted but empty rows at the end of a sheet.
    while len(dataset) and all(v is None or str(v).strip() == "" for v in dataset[-1]):
        del dataset[-1]
    return dataset


def _messages(error: ValidationError) -> list[tuple[str, str]]:
    """Return ``(code, message)`` of each error in a list-style ValidationError."""
    out = []
    for item in error.error_list:
        message = item.message
        if item.params:
            message = message % item.params
        out.append((str(item.code or ""), str(message)))
    return out


def _report(resource: ModelResource, result: Result) -> list[RowError]:
    columns = {f.attribute: f.column_name for f in resource.fields.values() if f.attribute}
    errors: list[RowError] = []
    for error in result.base_errors:
        errors.append(RowError(0, "", str(error.error)))
    for number, row_errors in result.row_errors():
        for error in row_errors:
            errors.append(RowError(number + 1, "", str(error.error)))
    for invalid in result.invalid_rows:
        error_dict = getattr(invalid.error, "error_dict", {NON_FIELD_ERRORS: [invalid.error]})
        for key, items in error_dict.items():
            for item in items:
                for code, message in _messages(item):
                    if code.startswith(COLUMN_CODE_PREFIX):
                        column = code.removeprefix(COLUMN_CODE_PREFIX)
                    elif key.startswith(COLUMN_CODE_PREFIX):
                        column = key.removeprefix(COLUMN_CODE_PREFIX)
                    elif key == NON_FIELD_ERRORS:
                        column = ""
                    else:
                        column = columns.get(key, key)
                    errors.append(RowError(invalid.number + 1, column, message))
    order = {c: i for i, c in enumerate(columns.values())}
    errors.sort(key=lambda e: (e.row, order.get(e.column, len(order)), e.message))
    return list(dict.fromkeys(errors))


def _import(
    resource: ModelResource,
    required: list[str],
    file: str | Path | bytes | IO[Any],
    format: str | None,
    dry_run: bool,
) -> ImportReport:
    try:
        dataset = read_dataset(file, format)
    except Exception as exc:  # a corrupt or foreign file: say so, never a 500
        return ImportReport(ok=False, errors=[RowError(0, "", f"无法读取文件：{exc}")])
    missing = [c for c in required if c not in dataset.headers]
    if missing:
        return ImportReport(ok=False, errors=[RowError(1, c, "缺少此列") for c in missing])
    if not len(dataset):
        return ImportReport(ok=False, errors=[RowError(2, "", "文件中没有数据行")])

    # One transaction around everything: a single bad row rolls the whole file back.
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
        )
        failed = result.has_errors() or result.has_validation_errors()
        if failed or dry_run:
            transaction.set_rollback(True)
    if failed:
        return ImportReport(ok=False, errors=_report(resource, result))
    return ImportReport(
        ok=True,
        created=result.totals[RowResult.IMPORT_TYPE_NEW],
        updated=result.totals[RowResult.IMPORT_TYPE_UPDATE],
    )


def import_units(
    file: str | Path | bytes | IO[Any], format: str | None = None, *, dry_run: bool = False
) -> ImportReport:
    """Import units (管理项目代码, 楼栋号, 房号, 建筑面积); nothing if any row is bad."""
    return _import(UnitResource(), UNIT_REQUIRED, file, format, dry_run)


def import_residents(
    file: str | Path | bytes | IO[Any], format: str | None = None, *, dry_run: bool = False
) -> ImportReport:
    """Import residents (管理项目代码 + 房号, 姓名, 类别, 电话, 紧急联系人...); all or nothing."""
    return _import(ResidentResource(), RESIDENT_REQUIRED, file, format, dry_run)


def _export(resource: ModelResource, queryset: models.QuerySet[Any], format: str) -> bytes:
    dataset = resource.export(queryset)
    fmt = format.lower()
    if fmt == "xlsx":
        return bytes(XLSX().export_data(dataset))
    if fmt == "csv":
        return str(CSV().export_data(dataset)).encode(CSV_EXPORT_ENCODING)
    raise ValueError(f"不支持的文件格式“{format}”：请使用 xlsx 或 csv。")


def export_units(queryset: models.QuerySet[Any], format: str = "xlsx") -> bytes:
    """Return the units as xlsx, or as CSV with a UTF-8 BOM (for Excel). Scope it first."""
    return _export(UnitResource(), queryset, format)


def export_residents(queryset: models.QuerySet[Any], format: str = "xlsx") -> bytes:
    """Return the residents as xlsx or BOM-prefixed CSV. Pass a scoped queryset."""
    return _export(ResidentResource(), queryset, format)


def to_xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    """Build an xlsx file in memory (templates, tests)."""
    dataset = tablib.Dataset(*rows, headers=headers)
    return bytes(XLSX().export_data(dataset))


__all__ = [
    "ImportReport",
    "RowError",
    "export_residents",
    "export_units",
    "import_residents",
    "import_units",
    "read_dataset",
    "to_xlsx",
]
