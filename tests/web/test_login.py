from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from servicedesk.web.demo import DEMO_ACCOUNTS
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_renders_the_login_page_in_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-CN">' in html
    assert "客服部工作台" in html
    assert "用户名" in html and "密码" in html
    assert "<script>" not in html  # no inline scripts (CSP)
    assert "/static/js/desk.js" in html
    assert "/static/django_htmx/htmx-2.min.js" in html


def test_it_lists_every_demo_account_in_demo_mode(client):
    with override_settings(DEMO_MODE=True):
        html = client.get(reverse("login")).content.decode()
    assert "演示账号" in html
    assert "demo12345" in html
    usernames = [a.username for a in DEMO_ACCOUNTS]
    assert usernames == [
        "frontdesk", "frontdesk2", "supervisor", "manager", "duty", "engineer",
        "quality", "gm", "owner1", "owner2", "contractor", "admin",
    ]  # fmt: skip
    for username in usernames:
        assert f'data-username="{username}"' in html
    assert "物业总值" in html and "系统管理员" in html and "业主/住户" in html


def test_it_hides_the_demo_accounts_outside_demo_mode(client):
    with override_settings(DEMO_MODE=False):
        html = client.get(reverse("login")).content.decode()
    assert "演示账号" not in html
    assert "demo12345" not in html
    assert 'data-username="frontdesk"' not in html


def test_it_logs_in_with_the_right_password(client, frontdesk):
    response = client.post(
        reverse("login"), {"username": frontdesk.username, "password": "pw-12345678"}
    )
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_it_refuses_a_wrong_password_in_chinese_and_keeps_the_username(client, frontdesk):
    response = client.post(reverse("login"), {"username": frontdesk.username, "password": "nope"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "请输入一个正确的" in html
    assert f'value="{frontdesk.username}"' in html
    assert "_auth_user_id" not in client.session


def test_it_follows_next_after_login(client, frontdesk):
    response = client.post(
        reverse("login") + "?next=/notifications/",
        {"username": frontdesk.username, "password": "pw-12345678", "next": "/notifications/"},
    )
    assert response.url == "/notifications/"


def test_it_ignores_an_external_next(client, frontdesk):
    response = client.post(
        reverse("login"),
        {
            "username": frontdesk.username,
            "password": "pw-12345678",
            "next": "https://evil.example/",
        },
    )
    assert response.url == reverse("home")


def test_it_logs_out_by_post_only(client, frontdesk):
    client.force_login(frontdesk)
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_logout_button_is_a_post_form_with_csrf(client, frontdesk):
    client.force_login(frontdesk)
    html = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("logout")}" method="post"' in html
    assert "csrfmiddlewaretoken" in html


def test_it_shows_the_login_page_in_english_when_asked(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Username" in html
    assert "用户名" not in html


def test_it_switches_language_through_set_language(client):
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": reverse("login")}, follow=True
    )
    assert "Log in" in response.content.decode()


def test_an_already_logged_in_user_goes_home(client):
    user = StaffFactory().user
    client.force_login(user)
    response = client.get(reverse("login"))
    assert response.status_code == 302


def test_an_inactive_user_cannot_log_in(client):
    user = UserFactory(username="gone", is_active=False)
    response = client.post(reverse("login"), {"username": user.username, "password": "pw-12345678"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
