"""Idle timeout: the session's expiry moves forward while someone works, renewed
at most once a minute rather than written on every request."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def expiry(client) -> object:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_working_keeps_the_session_alive_with_a_write_a_minute_at_most(client, frontdesk, settings):
    settings.SESSION_COOKIE_AGE = 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(frontdesk)
        client.get(reverse("home"))
        first = expiry(client)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get(reverse("home"))
        assert expiry(client) == first  # not rewritten within the minute
    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        client.get(reverse("home"))
        renewed = expiry(client)
    assert renewed >= first + timedelta(minutes=49)


def test_an_idle_session_expires(client, frontdesk, settings):
    settings.SESSION_COOKIE_AGE = 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(frontdesk)
        client.get(reverse("home"))
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302 and "login" in response.url


# --- Rotation, logout and disabled accounts (issue #8 §5) ---------------------------------


def login(client, user) -> None:
    user.set_password("pw-123456-long")
    user.save()
    response = client.post(
        reverse("login"), {"username": user.username, "password": "pw-123456-long"}
    )
    assert response.status_code == 302


def test_logging_in_gives_a_new_session_key(client, frontdesk):
    """A session key planted before login (fixation) is not the one that logs in."""
    client.get(reverse("login"))
    client.session["planted"] = "x"
    client.session.save()
    before = client.session.session_key
    login(client, frontdesk)
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_logging_out_ends_the_session_on_the_server(client, frontdesk):
    login(client, frontdesk)
    key = client.session.session_key
    assert client.post(reverse("logout")).status_code in (200, 302)
    assert not Session.objects.filter(session_key=key).exists()
    # Replaying the old cookie gets the login page, not the desk.
    client.cookies["sessionid"] = key
    assert client.get(reverse("home")).status_code == 302


def test_a_disabled_account_is_logged_out_at_once_on_pages_and_api(client, frontdesk):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    login(client, frontdesk)
    assert client.get(reverse("home")).status_code == 200
    token = Token.objects.create(user=frontdesk)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/units/").status_code == 200

    frontdesk.is_active = False
    frontdesk.save()

    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    # The token is refused (DRF answers 403 when session auth is listed first).
    refused = api.get("/api/v1/units/")
    assert refused.status_code in (401, 403)
    assert refused.json()["detail"] == "用户未激活或者已删除。"  # DRF: inactive or deleted
