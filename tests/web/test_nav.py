from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from servicedesk.core.models import Role
from servicedesk.web import nav
from servicedesk.web.identity import ANYONE

pytestmark = pytest.mark.django_db


@pytest.fixture
def scratch_nav():
    names: list[str] = []

    def add(label, url_name, **kwargs):
        names.append(url_name)
        nav.register_nav(label, url_name, **kwargs)

    yield add
    for name in names:
        nav.unregister_nav(name)


def labels_for(user, path="/"):
    request = RequestFactory().get(path)
    request.user = user
    return [link.label for link in nav.nav_for(request)]


def test_staff_see_home_inbox_and_api_docs(frontdesk):
    labels = labels_for(frontdesk)
    assert labels[:2] == ["首页", "通知"]
    assert "API 文档" in labels
    assert "管理后台" not in labels


def test_the_admin_entry_shows_for_is_staff_and_administrators(frontdesk, project, superuser):
    frontdesk.is_staff = True
    frontdesk.save()
    assert "管理后台" in labels_for(frontdesk)
    from tests.factories import StaffFactory

    administrator = StaffFactory(roles=[Role.ADMINISTRATOR], projects=[project]).user
    assert "管理后台" in labels_for(administrator)
    assert "管理后台" in labels_for(superuser)


def test_residents_see_home_inbox_and_their_portal_pages(owner):
    assert labels_for(owner) == ["首页", "通知", "我的投诉", "访客预约", "我的钥匙委托", "我的装修"]


def test_anonymous_users_get_no_navigation(db):
    from django.contrib.auth.models import AnonymousUser

    assert labels_for(AnonymousUser()) == []


def test_an_entry_whose_url_does_not_resolve_is_hidden(frontdesk, scratch_nav):
    # A module not mounted yet: its URL name does not resolve.
    scratch_nav("未上线", "not_mounted:page", roles=None, order=20)
    assert "未上线" not in labels_for(frontdesk)


def test_a_module_entry_shows_once_its_url_resolves(frontdesk, manager, scratch_nav):
    # "notifications" stands in for a module page that exists.
    scratch_nav("经理专用", "notifications-read-all", roles=[Role.MANAGER], order=30)
    assert "经理专用" in labels_for(manager)
    assert "经理专用" not in labels_for(frontdesk)


def test_entries_are_ordered_and_system_entries_come_last(frontdesk, scratch_nav):
    frontdesk.is_staff = True
    frontdesk.save()
    scratch_nav("甲", "notifications-read-all", roles=ANYONE, order=5)
    labels = labels_for(frontdesk)
    # Desk entries by order (modules' pages in between), system entries last.
    assert labels[:3] == ["首页", "甲", "通知"]
    assert labels[-2:] == ["管理后台", "API 文档"]
    assert {"客户资料", "投诉受理", "访客登记"} <= set(labels[3:-2])


def test_the_current_page_is_marked_active(frontdesk):
    request = RequestFactory().get("/notifications/")
    request.user = frontdesk
    active = [link.label for link in nav.nav_for(request) if link.active]
    assert active == ["通知"]


def test_the_sidebar_renders_the_entries(client, frontdesk):
    client.force_login(frontdesk)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("api-docs")}"' in html
    assert 'aria-current="page">首页' in html


def test_only_the_most_specific_entry_is_current(rf, frontdesk):
    from servicedesk.web.nav import nav_for

    request = rf.get("/complaints/new/")
    request.user = frontdesk

    active = [link.label for link in nav_for(request) if link.active]

    assert active == ["投诉受理"]
