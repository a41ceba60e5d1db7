"""The daily 《访客登记表》 as Excel and CSV (VIS-06, VIS-07)."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from tests.complaints.conftest import local
from tests.visitors.conftest import resident_id
from visitors.exports import HEADERS, safe_cell
from visitors.services import visit_amend, visit_consent

pytestmark = pytest.mark.django_db

NUMBER = resident_id()


def export_url(fmt: str, day: str = "2025-05-06") -> str:
    return reverse("visitors:daily-export", kwargs={"day": day, "fmt": fmt})


@pytest.fixture
def visits(register_visit, frontdesk, project, other_project, outsider):
    with time_machine.travel(local("2025-05-06 09:00"), tick=False):
        first = register_visit(id_number=NUMBER, vehicle_plate="浙a12345")
        visit_consent(visit=first, by=frontdesk, granted=True)
        visit_amend(
            visit=first, by=frontdesk, field="visitor_name", new_value="张玮", reason="笔误"
        )
        register_visit(
            visitor_name='=HYPERLINK("http://x")', id_type="passport", id_number="E1234567"
        )
    with time_machine.travel(local("2025-05-07 09:00"), tick=False):
        register_visit(visitor_name="次日访客")
    return first


def test_the_csv_starts_with_a_bom_and_lists_that_day(client, visits, frontdesk):
    client.force_login(frontdesk)
    response = client.get(export_url("csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert quote("访客登记表-2025-05-06.csv") in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["登记单号"] == visits.slip_number
    assert first["访客姓名"] == "张玮"  # the current value (VIS-06)
    assert first["更正"] == "已更正：访客姓名"
    assert first["证件号码"] == visits.id_number_masked
    assert first["车牌"] == "浙A12345"
    assert first["状态"] == "在访" and first["进入时间"] == "09:00"
    assert "次日访客" not in response.content.decode("utf-8-sig")


def test_no_export_holds_the_full_id_number__VIS_07(client, visits, frontdesk):
    client.force_login(frontdesk)
    csv_body = client.get(export_url("csv")).content.decode("utf-8-sig")
    assert NUMBER not in csv_body and "E1234567" not in csv_body
    book = load_workbook(io.BytesIO(client.get(export_url("xlsx")).content))
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row]
    assert not [c for c in cells if NUMBER in c or "E1234567" in c]
    assert visits.id_number_masked in cells


def test_the_xlsx_has_the_same_rows(client, visits, frontdesk):
    client.force_login(frontdesk)
    response = client.get(export_url("xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert rows[1][2] == "张玮" and rows[1][5] == 1
    assert len(rows) == 3


def test_typed_formulas_are_exported_as_text(client, visits, frontdesk):
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("张伟") == "张伟" and safe_cell(3) == 3
    client.force_login(frontdesk)
    rows = list(
        load_workbook(io.BytesIO(client.get(export_url("xlsx")).content)).active.iter_rows(
            values_only=True
        )
    )
    assert rows[2][2].startswith("'=")


def test_exports_are_staff_only_and_scoped(client, visits, owner, outsider):
    client.force_login(owner)
    assert client.get(export_url("csv")).status_code == 403
    client.force_login(outsider)
    body = client.get(export_url("csv")).content.decode("utf-8-sig")
    assert visits.slip_number not in body
    assert body.splitlines()[1:] == []


def test_a_bad_date_is_404(client, frontdesk):
    client.force_login(frontdesk)
    assert client.get("/visitors/log/2025-02-30.xlsx").status_code == 404
