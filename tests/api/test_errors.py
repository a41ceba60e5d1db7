"""Error answers the fuzzer (tests/security/test_api_fuzz.py) found wrong or undocumented.

- id filters (``?unit=``, ``?staff=``, ``?key=`` ...) took any decimal, and a huge one
  reached the database as an integer too large for the column: a 500;
- a URL under /api/ that routes nowhere (``/complaints/0.5/``) answered HTML;
- ``POST appraisal/suggestions/refresh/`` with month 0001-01-01 overflowed: a 500;
- an error of ``complaints/{id}/pdf/?format=pdf`` was JSON labelled application/pdf;
- the schema left out the framework's own 400/401/403/404 (and 415, 429), and
  documented ``POST appraisal/suggestions/refresh/`` as a page, ``KeyLoan.due_at``
  as never null.
"""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

HUGE = "-4.277330015120079e+194"

ID_FILTERS = [
    "/api/v1/residents/?unit={}",
    "/api/v1/complaints/?unit={}",
    "/api/v1/keys/?unit={}",
    "/api/v1/key-loans/?key={}",
    "/api/v1/decoration/permits/?contractor={}",
    "/api/v1/decoration/inspections/?permit={}",
    "/api/v1/appraisal/checks/?staff={}",
    "/api/v1/appraisal/training/?staff={}",
]


@pytest.mark.parametrize("url", ID_FILTERS)
@pytest.mark.parametrize("value", [HUGE, "99999999999999999999", "1.5", "0", "abc"])
def test_an_id_filter_that_is_no_record_id_is_a_400(api_as, manager, url, value):
    response = api_as(manager).get(url.format(value))

    assert response.status_code == 400, response.content
    [field] = response.json()
    assert field in url


@pytest.mark.parametrize("url", ID_FILTERS)
def test_an_id_filter_still_filters_by_id(api_as, manager, url):
    assert api_as(manager).get(url.format("1")).status_code == 200


def test_an_api_url_that_routes_nowhere_answers_json_404(api_as, frontdesk):
    response = api_as(frontdesk).get("/api/v1/complaints/0.5/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_a_page_that_routes_nowhere_keeps_the_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("month", ["0001-01-01", "9999-12-31", "1999-12-01"])
def test_a_suggestion_month_out_of_range_is_a_400(api_as, manager, month):
    response = api_as(manager).post(
        "/api/v1/appraisal/suggestions/refresh/", {"month": month}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "month" in response.json()


def test_a_refused_pdf_says_it_is_json(api_as, owner):
    response = api_as(owner).get("/api/v1/complaints/1/pdf/?format=pdf")

    assert response.status_code in (403, 404)
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_its_error_answers(openapi):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "415"} <= codes, (method, path)
    assert "429" in openapi["paths"]["/api/v1/auth/token/"]["post"]["responses"]


def test_the_suggestions_refresh_answers_a_plain_list(openapi):
    operation = openapi["paths"]["/api/v1/appraisal/suggestions/refresh/"]["post"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]

    assert body["type"] == "array"
    assert not {p["name"] for p in operation.get("parameters", [])} & {"cursor", "page_size"}


def test_a_loan_due_time_may_be_null(openapi):
    due_at = openapi["components"]["schemas"]["KeyLoan"]["properties"]["due_at"]

    assert due_at.get("nullable") or {"type": "null"} in due_at.get("oneOf", [])
