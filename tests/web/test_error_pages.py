from __future__ import annotations

import pytest
from django.template.loader import get_template
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False)
def test_a_missing_page_shows_the_chinese_404(client, frontdesk):
    client.force_login(frontdesk)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html
    assert "返回首页" in html


def test_the_500_page_renders_without_context_or_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = get_template("500.html").render()
    assert "系统出错" in html
    assert '<html lang="zh-CN">' in html


def test_the_403_page_is_in_chinese(rf, frontdesk):
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = rf.get("/")
    request.user = frontdesk
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "无权操作" in response.content.decode()


def test_a_csrf_failure_shows_the_chinese_page(frontdesk):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
