"""GET /units/<pk>/customer-record.pdf: the unit's 《客户资料登记表》 (ORG-02)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from tests.pdf.conftest import needs_poppler, pdf_text

pytestmark = [pytest.mark.django_db, needs_poppler]


def url(unit) -> str:
    return reverse("unit-customer-record-pdf", args=[unit.pk])


def test_the_url_is_under_units() -> None:
    assert reverse("unit-customer-record-pdf", args=[5]) == "/units/5/customer-record.pdf"


def test_the_owner_gets_their_own_units_form__ORG_02(client, unit, owner, residents, tmp_path):
    """ORG-02: a resident sees their own unit's customer record."""
    client.force_login(owner)
    response = client.get(url(unit))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "客户资料登记表" in text
    assert "陈堃" in text and "王珺" in text and "李喆" in text


def test_the_owner_of_1_101_gets_404_for_11_101_and_1_1011__ORG_02(
    client, unit, owner, lookalike_units
):
    """ORG-02: customer data is confidential; look-alike room numbers are other units."""
    client.force_login(owner)
    for other in lookalike_units:
        assert client.get(url(other)).status_code == 404, other.number


def test_front_desk_of_the_project_gets_the_form(client, unit, frontdesk, residents, tmp_path):
    client.force_login(frontdesk)
    response = client.get(url(unit))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "138" in text, "staff see the residents' phone numbers"
    assert "李娜" in text, "printed by"


def test_front_desk_of_another_project_gets_404__ORG_02(client, unit, outsider):
    """ORG-01/02: staff see only their projects' customer data; outside scope is 404."""
    client.force_login(outsider)
    assert client.get(url(unit)).status_code == 404


def test_a_missing_unit_is_404(client, frontdesk):
    client.force_login(frontdesk)
    assert client.get("/units/999999/customer-record.pdf").status_code == 404


def test_anonymous_is_redirected_to_login(client, unit):
    try:
        reverse("login")
        overrides = {}
    except NoReverseMatch:  # the login page lands separately; the redirect is what matters
        overrides = {"LOGIN_URL": "/accounts/login/"}
    with override_settings(**overrides):
        response = client.get(url(unit))
    assert response.status_code in (302,)
    assert b"%PDF" not in response.content


def test_only_get_and_head_are_allowed(client, unit, frontdesk):
    client.force_login(frontdesk)
    assert client.post(url(unit)).status_code == 405


def test_the_response_is_an_inline_pdf_with_a_chinese_file_name(client, unit, frontdesk):
    client.force_login(frontdesk)
    response = client.get(url(unit))
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert f"filename*=UTF-8''{quote('客户资料登记表-1-101.pdf')}" in disposition
    assert 'filename="1-101.pdf"' in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-")
