"""Abuse limits (issue 8, item 4): the atomic counter, the client's IP, failed
logins (web and API token) and the owner portal's online filing."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.models import Category, Complaint
from servicedesk.core.models import Event, RateCounter
from servicedesk.deadlines.registry import registered_checks
from servicedesk.security.deadlines import purge_rate_counters
from servicedesk.security.ratelimit import client_ip, hit, refund

T0 = "2025-03-10 10:00:00+00:00"  # a window boundary for 60 s, 15 min and 1 h windows
PASSWORD = "pw-12345678"  # tests/factories.UserFactory
TOKEN_URL = "/api/v1/auth/token/"


# --- the limiter ------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_allows_exactly_limit_hits_per_window_then_refuses():
    with time_machine.travel(T0, tick=False):
        assert [hit("k", 3, 60) for _ in range(5)] == [True, True, True, False, False]
        assert hit("other", 3, 60)  # keys are independent
    assert RateCounter.objects.get(key="k").count == 5


@pytest.mark.django_db
def test_the_window_rolls_over():
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(3):
            assert hit("k", 3, 60)
        clock.shift(timedelta(seconds=59))
        assert not hit("k", 3, 60)
        clock.shift(timedelta(seconds=1))  # the next window starts
        assert [hit("k", 3, 60) for _ in range(4)] == [True, True, True, False]


@pytest.mark.django_db
def test_a_refund_gives_back_one_hit():
    with time_machine.travel(T0, tick=False):
        assert hit("k", 1, 60)
        refund("k", 60)
        assert hit("k", 1, 60)
        assert not hit("k", 1, 60)


@pytest.mark.django_db
def test_the_purge_check_deletes_ended_windows_only():
    assert "security.purge_rate_counters" in {c.name for c in registered_checks()}
    with time_machine.travel(T0, tick=False) as clock:
        hit("short", 5, 60)
        hit("long", 5, 3600)
        clock.shift(timedelta(seconds=60))
        assert purge_rate_counters(timezone.now()) == 1
        assert purge_rate_counters(timezone.now()) == 0  # idempotent
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["long"]


# --- the client's IP ----------------------------------------------------------------------


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_client_ip_ignores_x_forwarded_for_by_default():
    assert client_ip(request_from("10.0.0.9", "1.2.3.4")) == "10.0.0.9"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_client_ip_takes_the_address_the_trusted_proxy_saw():
    # The client forged "6.6.6.6"; the proxy appended the address it really saw.
    assert client_ip(request_from("10.0.0.9", "6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(request_from("10.0.0.9")) == "10.0.0.9"  # no header: direct
    assert client_ip(request_from("10.0.0.9", "not-an-ip")) == "10.0.0.9"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_client_ip_skips_each_trusted_proxy_from_the_right():
    assert client_ip(request_from("10.0.0.9", "6.6.6.6, 203.0.113.7, 10.0.0.1")) == "203.0.113.7"
    assert client_ip(request_from("10.0.0.9", "203.0.113.7")) == "10.0.0.9"  # too short


# --- failed logins ------------------------------------------------------------------------


def login(client, username: str, password: str, ip: str = "198.51.100.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_USER_IP=3)
def test_failed_logins_beyond_the_limit_get_429_even_with_the_right_password(client, frontdesk):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(3):
            assert login(client, frontdesk.username, "wrong").status_code == 200
        response = login(client, frontdesk.username, PASSWORD)
        assert response.status_code == 429
        assert "登录失败次数过多" in response.content.decode()
        assert response["Retry-After"] == "900"
        assert "_auth_user_id" not in client.session
        # Another address is not locked out by this one's failures.
        assert login(client, frontdesk.username, PASSWORD, ip="198.51.100.2").status_code == 302
        client.logout()
        # The lockout ends with the window.
        clock.shift(timedelta(minutes=15))
        assert login(client, frontdesk.username, PASSWORD).status_code == 302


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_USER_IP=3)
def test_a_successful_login_does_not_count(client, frontdesk):
    with time_machine.travel(T0, tick=False):
        assert login(client, frontdesk.username, "wrong").status_code == 200
        for _ in range(3):
            assert login(client, frontdesk.username, PASSWORD).status_code == 302
            client.logout()
        assert login(client, frontdesk.username, "wrong").status_code == 200
        # Two failures so far: the limit of 3 still lets this attempt check its password.
        assert login(client, frontdesk.username, PASSWORD).status_code == 302


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_IP=3)
def test_one_address_trying_many_usernames_is_limited(client, frontdesk):
    with time_machine.travel(T0, tick=False):
        for name in ("a", "b", "c"):
            assert login(client, name, "wrong").status_code == 200
        assert login(client, frontdesk.username, PASSWORD).status_code == 429


@pytest.mark.django_db
def test_failed_logins_are_logged_without_the_password(client, frontdesk, caplog):
    with caplog.at_level(logging.WARNING, logger="servicedesk.security"):
        login(client, frontdesk.username, "s3cret-guess")
        login(client, "nobody", "s3cret-guess")
    lines = [r.getMessage() for r in caplog.records if r.name == "servicedesk.security"]
    assert len(lines) == 2
    assert frontdesk.username in lines[0] and "198.51.100.1" in lines[0]
    assert "nobody" in lines[1]
    assert not any("s3cret-guess" in line for line in lines)
    # The tried account gets an append-only event; an unknown name has no subject.
    event = Event.objects.get(action="login_failed")
    assert event.object_id == str(frontdesk.pk)
    assert event.data == {"username": frontdesk.username, "ip": "198.51.100.1", "via": "web"}


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_USER_IP=2)
def test_the_api_token_endpoint_uses_the_same_limit(frontdesk):
    api = APIClient(REMOTE_ADDR="198.51.100.1")
    wrong = {"username": frontdesk.username, "password": "wrong"}
    right = {"username": frontdesk.username, "password": PASSWORD}
    with time_machine.travel(T0, tick=False):
        assert api.post(TOKEN_URL, right, format="json").status_code == 200  # not counted
        for _ in range(2):
            assert api.post(TOKEN_URL, wrong, format="json").status_code == 400
        response = api.post(TOKEN_URL, right, format="json")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.json()["detail"]
    assert int(response["Retry-After"]) == 900
    # The web form and the API count together.
    with time_machine.travel(T0, tick=False):
        assert login(APIClient(), frontdesk.username, PASSWORD).status_code == 429


# --- online filing ------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(PORTAL_FILINGS_PER_USER=2)
def test_portal_filing_beyond_the_limit_gets_429_and_keeps_the_text(client, owner, unit):
    client.force_login(owner)
    category = Category.objects.get(code="facilities")

    def file(description: str):
        data = {"unit": unit.pk, "kind": "report", "category": category.pk}
        data |= {"description": description, "location": "主卫", "expectation": "本周内修好"}
        return client.post(reverse("complaints:portal-new"), data)

    with time_machine.travel(T0, tick=False) as clock:
        assert file("卫生间天花板渗水").status_code == 302
        assert file("楼道灯不亮").status_code == 302
        response = file("电梯异响，晚上特别明显")
        body = response.content.decode()
        assert response.status_code == 429
        assert "提交过于频繁" in body and "60 分钟内最多在线提交 2 条" in body
        assert "电梯异响，晚上特别明显" in body and 'value="主卫"' in body
        assert Complaint.objects.count() == 2
        clock.shift(timedelta(hours=1))
        assert file("电梯异响，晚上特别明显").status_code == 302


@pytest.mark.django_db
@override_settings(PORTAL_FILINGS_PER_USER=1)
def test_the_resident_api_shares_the_portal_filing_limit(owner, unit):
    api = APIClient()
    api.force_authenticate(owner)
    data = {"description": "楼道灯不亮", "category": "facilities"}
    with time_machine.travel(T0, tick=False):
        assert api.post("/api/v1/complaints/", data, format="json").status_code == 201
        response = api.post("/api/v1/complaints/", data, format="json")
    assert response.status_code == 429
    assert "提交过于频繁" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
@override_settings(PORTAL_FILINGS_PER_USER=1)
def test_staff_filing_through_the_api_is_not_limited(frontdesk, unit):
    api = APIClient()
    api.force_authenticate(frontdesk)
    data = {"unit": unit.pk, "description": "楼道灯不亮", "channel": "phone"}
    data |= {"reporter_name": "陈静", "category": "facilities"}
    for _ in range(3):
        assert api.post("/api/v1/complaints/", data, format="json").status_code == 201


# --- a real burst (PostgreSQL) ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: 20 parallel transactions on their own connections",
)
@pytest.mark.django_db(transaction=True)
def test_a_parallel_burst_cannot_beat_the_limit():
    """20 threads, each on its own connection, hit one key at the same moment: 5 pass."""
    barrier = threading.Barrier(20, timeout=10)
    results: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            connection.ensure_connection()  # connect before the barrier, hit after it
            barrier.wait()
            allowed = hit("burst", 5, 3600)
            with lock:
                results.append(allowed)
        except BaseException as exc:  # reported below
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck"
    assert not errors, errors
    assert results.count(True) == 5 and results.count(False) == 15
    assert RateCounter.objects.get(key="burst").count == 20
