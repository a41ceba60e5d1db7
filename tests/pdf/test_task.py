"""The multi-page PDF task: its own queue, output under MEDIA_ROOT/pdf."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from servicedesk.celery import app
from servicedesk.pdf import PdfError, render_pdf_document
from tests.pdf.conftest import needs_poppler, pdf_text

pytestmark = [pytest.mark.django_db, needs_poppler]


def test_it_is_routed_to_the_pdf_queue() -> None:
    assert render_pdf_document.name == "servicedesk.render_pdf_document"
    route = app.amqp.router.route({}, render_pdf_document.name)
    assert route["queue"].name == "pdf"


def test_it_renders_to_media_root(tmp_path, project) -> None:
    with override_settings(MEDIA_ROOT=tmp_path):
        path = render_pdf_document.delay(
            "pdf/base_form.html",
            "reports/2026/form.pdf",
            context={"company": "和美物业", "project": "绿城花园", "form_title": "月度报表"},
        ).get()
    assert Path(path) == tmp_path / "pdf" / "reports" / "2026" / "form.pdf"
    assert "月度报表" in pdf_text(Path(path).read_bytes(), tmp_path)
    assert not list((tmp_path / "pdf" / "reports" / "2026").glob("*.part"))


@pytest.mark.parametrize("name", ["../escape.pdf", "/etc/cron.d/x.pdf"])
def test_it_refuses_output_names_outside_media_pdf(tmp_path, name) -> None:
    with override_settings(MEDIA_ROOT=tmp_path), pytest.raises(PdfError):
        render_pdf_document("pdf/base_form.html", name, context={"form_title": "x"})


def test_it_only_imports_selectors(tmp_path) -> None:
    with override_settings(MEDIA_ROOT=tmp_path), pytest.raises(PdfError):
        render_pdf_document("pdf/base_form.html", "x.pdf", selector="os.system")
