"""Excel/CSV import (all or nothing, row + column errors) and export of units and residents."""

from __future__ import annotations

import pytest

from servicedesk.core.importing import (
    RowError,
    export_residents,
    export_units,
    import_residents,
    import_units,
    to_xlsx,
)
from servicedesk.core.models import EmergencyContact, Resident, Unit
from servicedesk.core.resources import RESIDENT_COLUMNS, UNIT_COLUMNS
from tests.factories import BuildingFactory, EmergencyContactFactory, ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def buildings(unit, project):
    """Buildings 1 (with the fixture unit 1-101) and 2 of project lvcheng."""
    return [unit.building, BuildingFactory(project=project, code="2")]


def resident_row(number="1-101", name="陈静", kind="业主", phone="13800138000", ec=("", "", "")):
    return ["lvcheng", number, name, kind, phone, *ec]


def test_it_imports_every_row_of_a_good_xlsx(buildings):
    data = to_xlsx(
        UNIT_COLUMNS,
        [
            ["lvcheng", "1", "1-103", 89.5],
            ["lvcheng", 1, "1-102", "120.25"],
            ["lvcheng", "2", "2-1502", 143],
        ],
    )
    report = import_units(data, "xlsx")
    assert report.ok, report.messages
    assert (report.created, report.updated, report.errors) == (3, 0, [])
    assert sorted(Unit.objects.values_list("number", "building__code", "area_m2")) == [
        ("1-101", "1", 89.50),
        ("1-102", "1", 120.25),
        ("1-103", "1", 89.50),
        ("2-1502", "2", 143),
    ]


def test_it_updates_units_already_on_file(buildings, unit):
    report = import_units(to_xlsx(UNIT_COLUMNS, [["lvcheng", "1", "1-101", "95"]]), "xlsx")
    assert (report.ok, report.created, report.updated) == (True, 0, 1)
    unit.refresh_from_db()
    assert str(unit.area_m2) == "95.00"


def test_a_bad_phone_in_row_3_imports_nothing_and_names_row_and_column(buildings, unit):
    data = to_xlsx(
        RESIDENT_COLUMNS,
        [
            resident_row(name="陈静"),  # row 2
            resident_row(name="刘洋", phone="1380013"),  # row 3: bad phone
            resident_row(name="王芳", phone="13900139000"),  # row 4
        ],
    )
    report = import_residents(data, "xlsx")
    assert not report.ok
    assert report.errors == [RowError(3, "电话", "号码无效")]
    assert report.messages == ["第 3 行，电话：号码无效"]
    assert Resident.objects.count() == 0


def test_a_bad_area_is_reported_and_nothing_imported(buildings):
    data = to_xlsx(
        UNIT_COLUMNS,
        [
            ["lvcheng", "1", "1-102", "89.5"],
            ["lvcheng", "1", "1-103", "八十"],
            ["lvcheng", "1", "1-104", "-12"],
        ],
    )
    report = import_units(data, "xlsx")
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(3, "建筑面积"), (4, "建筑面积")]
    assert "数字" in report.errors[0].message
    assert list(Unit.objects.values_list("number", flat=True)) == ["1-101"]


def test_unknown_project_and_building_codes_are_reported(buildings):
    data = to_xlsx(
        UNIT_COLUMNS,
        [["lvcheng", "9", "9-101", "80"], ["nowhere", "1", "1-105", "80"]],
    )
    report = import_units(data, "xlsx")
    assert [(e.row, e.column) for e in report.errors] == [(2, "楼栋号"), (3, "管理项目代码")]
    assert "9" in report.errors[0].message
    assert "nowhere" in report.errors[1].message
    assert list(Unit.objects.values_list("number", flat=True)) == ["1-101"]


def test_a_duplicate_unit_number_in_the_file_is_reported(buildings):
    data = to_xlsx(
        UNIT_COLUMNS,
        [
            ["lvcheng", "1", "1-102", "80"],
            ["lvcheng", "1", "1-103", "80"],
            ["lvcheng", "1", "1-102", "90"],
        ],
    )
    report = import_units(data, "xlsx")
    assert report.messages == ["第 4 行，房号：与第 2 行重复"]
    assert list(Unit.objects.values_list("number", flat=True)) == ["1-101"]


def test_a_missing_column_is_reported(buildings):
    report = import_units(to_xlsx(["管理项目代码", "房号"], [["lvcheng", "1-101"]]), "xlsx")
    assert report.errors == [RowError(1, "楼栋号", "缺少此列")]


def test_residents_import_with_emergency_contacts_and_unit_matched_exactly(buildings, unit):
    from tests.factories import UnitFactory

    UnitFactory(building=buildings[0], number="1-1011")
    data = to_xlsx(
        RESIDENT_COLUMNS,
        [
            resident_row(ec=("陈父", "父亲", "13900139000")),
            resident_row(name="刘洋", kind="租户", phone="+86 137 1234 5678"),
        ],
    )
    report = import_residents(data, "xlsx")
    assert (report.ok, report.created) == (True, 2), report.messages
    chen = Resident.objects.get(name="陈静")
    assert chen.unit == unit
    assert chen.phone.as_e164 == "+8613800138000"
    assert Resident.objects.get(name="刘洋").kind == "tenant"
    assert list(EmergencyContact.objects.values_list("name", "relation")) == [("陈父", "父亲")]


def test_residents_errors_name_each_column(buildings, unit):
    data = to_xlsx(
        RESIDENT_COLUMNS,
        [
            ["nowhere", "1-101", "甲", "业主", "13800138000", "", "", ""],
            resident_row(number="1-999"),
            resident_row(kind="房东", ec=("乙", "", "12345")),
        ],
    )
    report = import_residents(data, "xlsx")
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "管理项目代码"),
        (3, "房号"),
        (4, "类别"),
        (4, "紧急联系人电话"),
    ]
    assert Resident.objects.count() == 0


def test_csv_import_reads_utf8_with_bom_and_gbk(buildings):
    text = "管理项目代码,楼栋号,房号,建筑面积\r\nlvcheng,1,1-102,89.50\r\n"
    assert import_units(text.encode("utf-8-sig"), "csv").created == 1
    text = text.replace("1-102", "1-103")
    assert import_units(text.encode("gbk"), "csv").created == 1


def test_csv_export_starts_with_a_utf8_bom(unit):
    data = export_units(Unit.objects.all(), "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines == ["管理项目代码,楼栋号,房号,建筑面积", "lvcheng,1,1-101,89.50"]


def test_resident_export_round_trips(unit):
    r = ResidentFactory(unit=unit, name="陈静", phone="+8613800138000")
    EmergencyContactFactory(resident=r, name="陈父", relation="父亲", phone="+8613900139000")
    data = export_residents(Resident.objects.all(), "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    assert "lvcheng,1-101,陈静,业主,+8613800138000,陈父,父亲,+8613900139000" in data.decode(
        "utf-8-sig"
    )
    report = import_residents(export_residents(Resident.objects.all(), "xlsx"), "xlsx")
    assert (report.ok, report.created, report.updated) == (True, 0, 1)
    assert EmergencyContact.objects.count() == 1
