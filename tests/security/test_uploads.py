"""Uploads (issue #8 §3): an oversized request is refused from its Content-Length,
before the body is read; what fits still goes through each module's own checks."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_oversized_page_post_is_refused_before_the_body_is_read(client, frontdesk, settings):
    client.force_login(frontdesk)
    settings.MAX_REQUEST_BYTES = 1024
    response = client.post(
        reverse("complaints:new"),
        data=b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(2 * 1024**3),
    )
    assert response.status_code == 413
    assert "上限" in response.content.decode()


def test_an_oversized_api_upload_gets_a_json_413(client, frontdesk, settings):
    client.force_login(frontdesk)
    settings.MAX_REQUEST_BYTES = 1024
    response = client.post(
        "/api/v1/complaints/",
        data=b"x",
        content_type="application/json",
        CONTENT_LENGTH="5000",
    )
    assert response.status_code == 413
    assert "detail" in response.json()


def test_a_request_within_the_cap_reaches_the_view(client, frontdesk):
    client.force_login(frontdesk)
    assert client.get(reverse("complaints:new")).status_code == 200
