"""Excel/CSV import and export of units and residents (django-import-export 4.x).

Column headers are the Chinese ones of the paper forms (《客户资料登记表》).
The admin uses these resources directly; scripts and tests go through
``servicedesk.core.importing`` (all-or-nothing import with a row/column report).

Every widget error is a ``ValueError`` whose message is meant for the person who
filled in the sheet ("号码无效"); when the faulty column is not the field's own
column (e.g. the project code of a resident's unit), the error carries the
column in its ``code`` as ``column:<header>`` (see ``ColumnError``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.encoding import force_str
from import_export import fields, resources, widgets
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import NumberParseException

from servicedesk.core.models import Building, EmergencyContact, Project, Resident, Unit

# Column headers (the contract of the spreadsheet templates).
COL_PROJECT = "管理项目代码"
COL_BUILDING = "楼栋号"
COL_NUMBER = "房号"
COL_AREA = "建筑面积"
COL_NAME = "姓名"
COL_KIND = "类别"
COL_PHONE = "电话"
COL_EC_NAME = "紧急联系人"
COL_EC_RELATION = "紧急联系人关系"
COL_EC_PHONE = "紧急联系人电话"

UNIT_COLUMNS = [COL_PROJECT, COL_BUILDING, COL_NUMBER, COL_AREA]
RESIDENT_COLUMNS = [
    COL_PROJECT,
    COL_NUMBER,
    COL_NAME,
    COL_KIND,
    COL_PHONE,
    COL_EC_NAME,
    COL_EC_RELATION,
    COL_EC_PHONE,
]
UNIT_REQUIRED = [COL_PROJECT, COL_BUILDING, COL_NUMBER]
RESIDENT_REQUIRED = [COL_PROJECT, COL_NUMBER, COL_NAME, COL_PHONE]

COLUMN_CODE_PREFIX = "column:"


class ColumnError(ValueError):
    """A cell error that belongs to ``column`` rather than the field being imported."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def cell_text(value: Any) -> str:
    """Return a cell as trimmed text; Excel's ``101.0`` becomes ``"101"``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_phone(value: Any) -> PhoneNumber | None:
    """Return the phone as a valid ``PhoneNumber`` (CN by default), ``None`` if blank.

    Raises ``ValueError("号码无效")`` for anything that is not a valid number.
    """
    text = cell_text(value).replace(" ", "").replace("-", "")
    if not text:
        return None
    try:
        number = PhoneNumber.from_string(text, region="CN")
    except NumberParseException as exc:
        raise ValueError("号码无效") from exc
    if not number.is_valid():
        raise ValueError("号码无效")
    return number


class TextWidget(widgets.CharWidget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return cell_text(value)


class PhoneWidget(widgets.Widget):
    """Phone numbers: accepts 13812345678, +86 138 1234 5678...; exports E.164."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> PhoneNumber | None:
        return parse_phone(value)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.as_e164 if value else ""


class AreaWidget(widgets.Widget):
    """建筑面积 in m², a positive number with at most two decimals; blank allowed."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Decimal | None:
        text = cell_text(value).replace(",", "")
        if not text:
            return None
        try:
            area = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError("不是有效的数字") from exc
        if not area.is_finite() or area <= 0:
            raise ValueError("必须是大于 0 的数字")
        if area != area.quantize(Decimal("0.01")):
            raise ValueError("最多两位小数")
        if area >= Decimal("1000000"):
            raise ValueError("数值过大")
        return area

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else f"{value:.2f}"


class KindWidget(widgets.Widget):
    """类别: 业主 / 租户 (the codes owner / tenant are accepted too)."""

    LABELS = {str(label): str(code) for code, label in Resident.Kind.choices}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value)
        if not text:
            return Resident.Kind.OWNER.value
        if text in self.LABELS:
            return self.LABELS[text]
        if text in Resident.Kind.values:
            return text
        raise ValueError("应为“业主”或“租户”")

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return str(Resident.Kind(value).label) if value else ""


def find_project(code: str) -> Project:
    """Return the project with ``code``; ``ColumnError`` on the project column otherwise."""
    if not code:
        raise ColumnError(COL_PROJECT, "必填")
    project = Project.objects.filter(code=code).first()
    if project is None:
        raise ColumnError(COL_PROJECT, f"未知的管理项目代码“{code}”")
    return project


class ProjectWidget(widgets.ForeignKeyWidget):
    def __init__(self) -> None:
        super().__init__(Project, field="code")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Project:
        return find_project(cell_text(value))


class BuildingWidget(widgets.ForeignKeyWidget):
    """楼栋号 within the row's project (管理项目代码)."""

    def __init__(self) -> None:
        super().__init__(Building, field="code")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Building | None:
        code = cell_text(value)
        if not code:
            raise ValueError("必填")
        project_code = cell_text((row or {}).get(COL_PROJECT))
        project = Project.objects.filter(code=project_code).first() if project_code else None
        if project is None:
            return None  # the project column carries the error
        building = Building.objects.filter(project=project, code=code).first()
        if building is None:
            raise ValueError(f"项目“{project_code}”中没有楼栋号“{code}”")
        return building


class UnitWidget(widgets.ForeignKeyWidget):
    """房号 + 管理项目代码 → the unit, matched exactly (never by prefix)."""

    def __init__(self) -> None:
        super().__init__(Unit, field="number")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Unit:
        project = find_project(cell_text((row or {}).get(COL_PROJECT)))
        number = cell_text(value)
        if not number:
            raise ValueError("必填")
        unit = Unit.objects.filter(project=project, number=number).first()
        if unit is None:
            raise ValueError(f"项目“{project.code}”中没有房号“{number}”")
        return unit


class DeskResource(resources.ModelResource):
    """Shared behaviour: blank rows skipped, cell errors keyed by their column."""

    row_columns: list[str] = []

    def is_blank(self, row: Any) -> bool:
        return all(cell_text(row.get(column)) == "" for column in self.row_columns)

    def skip_row(
        self, instance: Any, original: Any, row: Any, import_validation_errors: Any = None
    ) -> bool:
        return self.is_blank(row) or super().skip_row(
            instance, original, row, import_validation_errors
        )

    #: field -> error keys that make the field's own model validation redundant
    #: (e.g. no building can be found when the project code is already wrong).
    suppressed_by: dict[str, list[str]] = {}

    def validate_instance(
        self, instance: Any, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        errors = dict(import_validation_errors or {})
        exclude = set(errors)
        for attr, causes in self.suppressed_by.items():
            if any(cause in errors for cause in causes):
                exclude.add(attr)
        try:
            # Uniqueness is checked by ``row_checks`` (naming the row of the first
            # occurrence) and by the database constraints on save.
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def import_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        if self.is_blank(row):
            return
        errors: dict[str, list[ValidationError]] = {}
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget):
                continue
            try:
                self.import_field(field, instance, row, **kwargs)
            except ColumnError as exc:
                errors.setdefault(field.attribute, []).append(
                    ValidationError(force_str(exc), code=COLUMN_CODE_PREFIX + exc.column)
                )
            except ValueError as exc:
                errors.setdefault(field.attribute, []).append(
                    ValidationError(force_str(exc), code="invalid")
                )
        for column, message in self.row_checks(instance, row, **kwargs):
            errors.setdefault(f"{COLUMN_CODE_PREFIX}{column}", []).append(
                ValidationError(message, code=COLUMN_CODE_PREFIX + column)
            )
        if errors:
            raise ValidationError(errors)

    def row_checks(self, instance: Any, row: Any, **kwargs: Any) -> list[tuple[str, str]]:
        """Return ``(column, message)`` for checks spanning rows or columns."""
        return []


class UnitResource(DeskResource):
    """Units: 管理项目代码, 楼栋号, 房号 (full label, e.g. 1-101), 建筑面积 (m²).

    An existing unit (same project and 房号) is updated; the same 房号 twice in one
    file is an error.
    """

    project = fields.Field(attribute="project", column_name=COL_PROJECT, widget=ProjectWidget())
    building = fields.Field(attribute="building", column_name=COL_BUILDING, widget=BuildingWidget())
    number = fields.Field(attribute="number", column_name=COL_NUMBER, widget=TextWidget())
    area_m2 = fields.Field(attribute="area_m2", column_name=COL_AREA, widget=AreaWidget())

    row_columns = UNIT_COLUMNS
    suppressed_by = {"building": ["project"]}

    class Meta:
        model = Unit
        fields = ("project", "building", "number", "area_m2")
        import_order = fields
        export_order = fields
        import_id_fields = ("project", "number")
        clean_model_instances = True
        skip_diff = True
        use_transactions = True

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        self._seen: dict[tuple[str, str], int] = {}

    def get_instance(self, instance_loader: Any, row: Any) -> Unit | None:
        project_code, number = cell_text(row.get(COL_PROJECT)), cell_text(row.get(COL_NUMBER))
        if not project_code or not number:
            return None
        return Unit.objects.filter(project__code=project_code, number=number).first()

    def row_checks(self, instance: Any, row: Any, **kwargs: Any) -> list[tuple[str, str]]:
        key = (cell_text(row.get(COL_PROJECT)), cell_text(row.get(COL_NUMBER)))
        row_number = int(kwargs.get("row_number") or 0)
        first = self._seen.setdefault(key, row_number)
        if key[1] and first != row_number:
            return [(COL_NUMBER, f"与第 {first + 1} 行重复")]
        return []

    def filter_export(self, queryset: models.QuerySet[Unit], **kwargs: Any) -> Any:
        return queryset.select_related("project", "building")

    def dehydrate_project(self, unit: Unit) -> str:
        return unit.project.code

    def dehydrate_building(self, unit: Unit) -> str:
        return unit.building.code


class ResidentResource(DeskResource):
    """Residents: 管理项目代码 + 房号 find the unit; 姓名, 类别 (业主/租户), 电话, and
    one emergency contact (紧急联系人, 紧急联系人关系, 紧急联系人电话).

    A resident already on file (same unit and 姓名) is updated; their emergency
    contact of the same name is updated or added.
    """

    project = fields.Field(attribute="unit__project__code", column_name=COL_PROJECT, readonly=True)
    unit = fields.Field(attribute="unit", column_name=COL_NUMBER, widget=UnitWidget())
    name = fields.Field(attribute="name", column_name=COL_NAME, widget=TextWidget())
    kind = fields.Field(attribute="kind", column_name=COL_KIND, widget=KindWidget())
    phone = fields.Field(attribute="phone", column_name=COL_PHONE, widget=PhoneWidget())
    ec_name = fields.Field(column_name=COL_EC_NAME, readonly=True)
    ec_relation = fields.Field(column_name=COL_EC_RELATION, readonly=True)
    ec_phone = fields.Field(column_name=COL_EC_PHONE, readonly=True)

    row_columns = RESIDENT_COLUMNS
    suppressed_by = {
        "name": [COLUMN_CODE_PREFIX + COL_NAME],
        "phone": [COLUMN_CODE_PREFIX + COL_PHONE],
    }

    class Meta:
        model = Resident
        fields = (
            "project",
            "unit",
            "name",
            "kind",
            "phone",
            "ec_name",
            "ec_relation",
            "ec_phone",
        )
        import_order = fields
        export_order = fields
        clean_model_instances = True
        skip_diff = True
        use_transactions = True

    def get_instance(self, instance_loader: Any, row: Any) -> Resident | None:
        project_code, number = cell_text(row.get(COL_PROJECT)), cell_text(row.get(COL_NUMBER))
        name = cell_text(row.get(COL_NAME))
        if not (project_code and number and name):
            return None
        return (
            Resident.objects.filter(
                unit__project__code=project_code, unit__number=number, name=name
            )
            .order_by("id")
            .first()
        )

    def row_checks(self, instance: Any, row: Any, **kwargs: Any) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if not cell_text(row.get(COL_NAME)):
            problems.append((COL_NAME, "必填"))
        if not cell_text(row.get(COL_PHONE)):
            problems.append((COL_PHONE, "必填"))
        ec_name = cell_text(row.get(COL_EC_NAME))
        try:
            ec_phone = parse_phone(row.get(COL_EC_PHONE))
        except ValueError as exc:
            problems.append((COL_EC_PHONE, str(exc)))
        else:
            if ec_name and ec_phone is None:
                problems.append((COL_EC_PHONE, "填写了紧急联系人，但缺少电话"))
            if ec_phone is not None and not ec_name:
                problems.append((COL_EC_NAME, "填写了紧急联系人电话，但缺少姓名"))
        return problems

    def after_save_instance(self, instance: Resident, row: Any, **kwargs: Any) -> None:
        ec_name = cell_text(row.get(COL_EC_NAME))
        ec_phone = parse_phone(row.get(COL_EC_PHONE))
        if ec_name and ec_phone is not None:
            EmergencyContact.objects.update_or_create(
                resident=instance,
                name=ec_name,
                defaults={
                    "relation": cell_text(row.get(COL_EC_RELATION)),
                    "phone": ec_phone,
                },
            )

    def filter_export(self, queryset: models.QuerySet[Resident], **kwargs: Any) -> Any:
        return queryset.select_related("unit__project").prefetch_related("emergency_contacts")

    @staticmethod
    def _first_contact(resident: Resident) -> EmergencyContact | None:
        contacts = list(resident.emergency_contacts.all())
        return contacts[0] if contacts else None

    def dehydrate_project(self, resident: Resident) -> str:
        return resident.unit.project.code

    def dehydrate_ec_name(self, resident: Resident) -> str:
        contact = self._first_contact(resident)
        return contact.name if contact else ""

    def dehydrate_ec_relation(self, resident: Resident) -> str:
        contact = self._first_contact(resident)
        return contact.relation if contact else ""

    def dehydrate_ec_phone(self, resident: Resident) -> str:
        contact = self._first_contact(resident)
        return contact.phone.as_e164 if contact and contact.phone else ""
