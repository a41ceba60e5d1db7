"""render_pdf: the 《客户资料登记表》 with the shipped CJK font, time-boxed, glyph-checked."""

from __future__ import annotations

import logging
import socket
import threading

import pytest
from django.test import override_settings

from servicedesk import pdf as sdpdf
from servicedesk.core.models import Unit
from servicedesk.core.selectors import customer_record_context
from servicedesk.pdf import PdfMissingGlyph, PdfTimeout, qr_data_uri, render_pdf
from tests.pdf.conftest import TEMPLATES_DIR, needs_poppler, pdf_fonts, pdf_text

pytestmark = [pytest.mark.django_db, needs_poppler]

FORM = "core/pdf/customer_record.html"


def _with_test_templates():
    from django.conf import settings

    engine = {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES_DIR]}
    return override_settings(TEMPLATES=[engine])


@pytest.fixture
def form_context(unit, residents):
    unit = Unit.objects.select_related("building", "project").get(pk=unit.pk)
    context = customer_record_context(unit)
    context["record_url"] = f"https://desk.example.com/units/{unit.pk}/customer-record.pdf"
    return context


def test_the_customer_record_embeds_noto_sans_sc_and_prints_rare_names__ORG_02(
    form_context, tmp_path, caplog
):
    """《客户资料登记表》 (ORG-02): 陈堃 王珺 李喆 print with the shipped font, no .notdef."""
    with caplog.at_level(logging.WARNING):
        pdf = render_pdf(FORM, form_context)

    assert pdf.startswith(b"%PDF-")
    fonts = pdf_fonts(pdf, tmp_path)
    # "SD Noto Sans SC" is the @font-face family: the shipped file, not a system font.
    assert "SD-Noto-Sans-SC" in fonts
    assert "SD-Noto-Sans-SC-Bold" in fonts
    text = pdf_text(pdf, tmp_path)
    for expected in ("客户资料登记表", "陈堃", "王珺", "李喆", "1-101", "KH-LVCHENG-1-101"):
        assert expected in text, expected
    for label in ("房", "建筑面积", "入住日期", "工作单位", "紧急联系人", "备注", "登记日期"):
        assert label in text, label
    for box in ("经办人", "客户签字", "主管审核", "盖章"):
        assert box in text, box
    assert "第1页/共1页" in "".join(text.split())
    assert "周搬走" not in text, "residents who moved out are not on the form"
    assert not [r for r in caplog.records if "notdef" in r.getMessage()]
    assert not [r for r in caplog.records if r.name == "servicedesk.pdf"], caplog.text


def test_it_fails_when_a_glyph_is_missing(unit):
    """A character no font has must fail the render in tests, not print a box."""
    with _with_test_templates(), pytest.raises(PdfMissingGlyph) as exc:
        render_pdf("pdf_tests/evil.html", {"project": unit.project, "text": "名字\U0010fffd"})
    assert exc.value.chars == ["\U0010fffd"]


def test_user_typed_urls_are_never_fetched_but_the_form_still_renders(
    unit, tmp_path, caplog, monkeypatch
):
    """<img src="http://…">, file:///etc/passwd and ../ traversal typed into a record."""
    connections: list[object] = []

    def no_network(*args, **kwargs):
        connections.append(args)
        raise AssertionError("the PDF renderer opened a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    evil = [
        "http://evil.example/tracker.png",
        "file:///etc/passwd",
        "/static/%2e%2e/servicedesk/settings.py",
        "../../../../etc/passwd",
    ]
    with _with_test_templates(), caplog.at_level(logging.WARNING, logger="servicedesk.pdf"):
        pdf = render_pdf(
            "pdf_tests/evil.html",
            {
                "project": unit.project,
                "form_title": "测试表",
                "text": "正文照常打印",
                "evil_srcs": evil,
                "evil_css": "https://evil.example/bg.png",
            },
        )
    assert "正文照常打印" in pdf_text(pdf, tmp_path)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any("http://evil.example/tracker.png" in m for m in refused)
    assert any("file:///etc/passwd" in m for m in refused)
    assert any("https://evil.example/bg.png" in m for m in refused)
    # "../../../../etc/passwd" resolves against the PDF base to /etc/passwd there.
    assert any(m.endswith(f"{sdpdf.PDF_BASE_URL}etc/passwd") for m in refused)
    assert any("%2e%2e" in m for m in refused)
    assert connections == []
    assert b"root:x:0:0" not in pdf


def test_render_pdf_is_time_boxed(unit, monkeypatch):
    release = threading.Event()

    def slow(html: str):
        release.wait(5)
        raise RuntimeError("unreachable")

    monkeypatch.setattr(sdpdf, "_write_pdf", slow)
    try:
        with pytest.raises(PdfTimeout):
            render_pdf(FORM, {"project": unit.project}, timeout=0.2)
    finally:
        release.set()


def test_the_qr_code_points_back_to_the_record(rf, unit):
    request = rf.get("/", HTTP_HOST="testserver", secure=True)
    html = sdpdf.render_html(
        "pdf/base_form.html",
        {"project": unit.project, "record_url": "/units/7/customer-record.pdf"},
        request=request,
    )
    assert qr_data_uri("https://testserver/units/7/customer-record.pdf") in html


def test_the_context_takes_a_few_queries(unit, residents, django_assert_max_num_queries):
    unit = Unit.objects.select_related("building", "project").get(pk=unit.pk)
    with django_assert_max_num_queries(2):
        context = customer_record_context(unit)
        rows = [
            (r.name, [c.name for c in r.emergency_contacts.all()]) for r in context["residents"]
        ]
    assert rows == [("陈堃", ["陈晓峰"]), ("王珺", []), ("李喆", ["李建国"])]
    assert [(r.name, c.name) for r, c in context["emergency_rows"]] == [
        ("陈堃", "陈晓峰"),
        ("李喆", "李建国"),
    ]
