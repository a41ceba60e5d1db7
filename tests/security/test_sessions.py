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
