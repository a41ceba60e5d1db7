"""Token auth (API.md conventions): POST /api/v1/auth/token/ → token."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_it_issues_a_token_that_authenticates_requests(frontdesk, unit):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/",
        {"username": frontdesk.username, "password": "pw-12345678"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = client.get("/api/v1/units/")
    assert listing.status_code == 200
    assert [u["number"] for u in listing.json()["results"]] == ["1-101"]


def test_it_refuses_a_wrong_password():
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/units/", "/api/v1/residents/", "/api/v1/staff/"])
def test_it_requires_authentication(path):
    assert APIClient().get(path).status_code in (401, 403)


def test_it_accepts_a_session_login(client, frontdesk, unit):
    client.force_login(frontdesk)
    assert client.get("/api/v1/units/").status_code == 200
