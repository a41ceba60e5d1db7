"""Fixtures for the PDF tests: the 1-101 customer file with rare name characters."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest

from servicedesk.core.models import Resident
from tests.factories import BuildingFactory, EmergencyContactFactory, ResidentFactory, UnitFactory

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

needs_poppler = pytest.mark.skipif(
    shutil.which("pdffonts") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdffonts, pdftotext) not installed",
)


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} not installed (apt-get install poppler-utils)"
    return path


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(  # noqa: S603 (fixed poppler tool, our own temp file)
        [_tool("pdftotext"), "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def pdf_fonts(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(  # noqa: S603 (fixed poppler tool, our own temp file)
        [_tool("pdffonts"), str(path)], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def residents(unit, owner):
    """陈堃, 王珺 (owners) and 李喆 (tenant) of 1-101: characters outside GB2312."""
    Resident.objects.filter(user=owner).update(name="陈堃", move_in_date=datetime.date(2019, 5, 1))
    chen = Resident.objects.get(user=owner)
    wang = ResidentFactory(
        unit=unit, name="王珺", workplace="杭州市西湖区实验小学", id_number_last4="0428"
    )
    li = ResidentFactory(
        unit=unit,
        name="李喆",
        kind=Resident.Kind.TENANT,
        move_in_date=datetime.date(2024, 3, 15),
        workplace="阿里巴巴（中国）有限公司",
    )
    EmergencyContactFactory(resident=chen, name="陈晓峰", relation="儿子", phone="+8613900000001")
    EmergencyContactFactory(resident=li, name="李建国", relation="父亲", phone="+8613900000002")
    ResidentFactory(unit=unit, name="周搬走", is_active=False)
    return [chen, wang, li]


@pytest.fixture
def lookalike_units(project):
    """Units whose labels contain "1-101": 11-101 and 1-1011 (ORG-02 exact matching)."""
    b11 = BuildingFactory(project=project, code="11")
    return [
        UnitFactory(building=b11, number="11-101"),
        UnitFactory(building__project=project, building__code="9", number="1-1011"),
    ]
