from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from servicedesk.core.models import Role
from servicedesk.web import panels
from servicedesk.web.identity import ANYONE
from tests.factories import StaffFactory
from tests.web.factories import CheckStateFactory, NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scratch_panels():
    """Register test panels and remove them afterwards."""
    keys: list[str] = []

    def add(key, *args, **kwargs):
        keys.append(key)
        panels.register_panel(key, *args, **kwargs)

    yield add
    for key in keys:
        panels.unregister_panel(key)


def test_it_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_staff_home_shows_the_core_panels(client, frontdesk):
    NotificationFactory(recipient=frontdesk, title="投诉 TS-0001 回访到期")
    now = timezone.now()
    CheckStateFactory(name="complaints.escalate_overdue", last_finished_at=now, last_acted=3)
    CheckStateFactory(
        name="keys.overdue_loans", last_finished_at=now, last_error="OperationalError: boom"
    )
    client.force_login(frontdesk)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "今日工作台" in html
    assert 'data-panel="core.today"' in html
    assert 'data-panel="core.notifications"' in html
    assert "投诉 TS-0001 回访到期" in html
    assert 'data-panel="core.checks"' in html
    assert "complaints.escalate_overdue" in html
    assert "row-error" in html and "OperationalError: boom" in html
    assert "1 项出错" in html
    assert 'data-panel="core.my_units"' not in html
    # the top bar: name, role, project, unread count
    assert "李娜" in html and "前台/物业助理" in html and "绿城花园" in html
    assert 'data-testid="unread-count">1<' in html


def test_the_today_panel_shows_the_local_date_and_weekday(client, frontdesk):
    import time_machine

    # 2025-03-09 20:30 UTC is Monday 2025-03-10 04:30 in Shanghai.
    with time_machine.travel("2025-03-09 20:30+00:00", tick=False):
        client.force_login(frontdesk)
        html = client.get(reverse("home")).content.decode()
    assert "2025年3月10日" in html
    assert "星期一" in html
    assert "04:30" in html


def test_the_checks_panel_says_when_the_sweep_is_stale(client, frontdesk):
    CheckStateFactory(name="x.y", last_finished_at=timezone.now() - timedelta(hours=2))
    client.force_login(frontdesk)
    html = client.get(reverse("home")).content.decode()
    assert "未在运行" in html
    assert "row-stale" in html


def test_residents_do_not_see_the_checks_panel(client, owner):
    CheckStateFactory(name="x.y", last_finished_at=timezone.now())
    client.force_login(owner)
    html = client.get(reverse("home")).content.decode()
    assert 'data-panel="core.checks"' not in html


def test_the_resident_home_shows_only_their_own_unit(client, owner, unit, other_unit):
    NotificationFactory(recipient=owner, title="您的装修申请已批准")
    client.force_login(owner)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的住户服务" in html
    assert 'data-panel="core.my_units"' in html
    assert "1-101" in html
    assert "11-101" not in html
    assert "您的装修申请已批准" in html
    assert "陈静" in html  # their name, not the login
    assert "API 文档" not in html
    assert "管理后台" not in html


def test_a_contractor_gets_no_staff_panels(client, contractor):
    client.force_login(contractor)
    html = client.get(reverse("home")).content.decode()
    assert 'data-panel="core.notifications"' in html
    assert 'data-panel="core.checks"' not in html


@pytest.fixture
def steady_state():
    """The state of a running desk: calendar settings exist; caches are cold."""
    from django.core.cache import cache

    try:
        from servicedesk.workcal.calendar import business_calendar
    except ImportError:
        pass
    else:
        business_calendar()  # creates the settings row on first use
    cache.clear()


# Module panels allowed more than one query, and how many more.
# keys.desk: ``keys.selectors.desk_figures`` is two queries (loan counts by state,
# lock changes awaiting sealing).
# decoration.desk: the settings row (warning days) and one aggregate over the permits
# (``decoration.selectors.desk_figures``).
EXTRA_PANEL_QUERIES = {"keys.desk": 1, "decoration.desk": 1}


def home_budget() -> int:
    """The home page's fixed cost (session, identity, calendar, notifications,
    checks: 13) plus at most one query per module panel (``EXTRA_PANEL_QUERIES``
    for the few that need more)."""
    from servicedesk.web.panels import registered_panels

    module_panels = [p for p in registered_panels() if not p.key.startswith("core.")]
    extra = sum(EXTRA_PANEL_QUERIES.get(p.key, 0) for p in module_panels)
    return 13 + len(module_panels) + extra


def test_the_home_page_is_cheap(client, frontdesk, steady_state, django_assert_max_num_queries):
    for i in range(10):
        NotificationFactory(recipient=frontdesk, title=f"通知 {i}")
    for i in range(8):
        CheckStateFactory(name=f"m.check_{i}", last_finished_at=timezone.now())
    client.force_login(frontdesk)
    with django_assert_max_num_queries(home_budget()):
        assert client.get(reverse("home")).status_code == 200


def test_the_resident_home_is_cheap(
    client, owner, other_unit, steady_state, django_assert_max_num_queries
):
    client.force_login(owner)
    with django_assert_max_num_queries(home_budget()):
        assert client.get(reverse("home")).status_code == 200


def test_a_module_panel_shows_for_its_roles_only(client, frontdesk, manager, scratch_panels):
    scratch_panels(
        "test.due",
        "web/panels/due_list.html",
        lambda request: {
            "title": "待回访投诉",
            "items": [
                {
                    "label": "TS-0042",
                    "url": "/x/",
                    "due_at": timezone.now(),
                    "overdue": True,
                    "meta": "1-101",
                }
            ],
        },
        roles=[Role.MANAGER],
        order=20,
    )
    client.force_login(manager)
    html = client.get(reverse("home")).content.decode()
    assert "待回访投诉" in html and "TS-0042" in html and "已超时" in html
    client.force_login(frontdesk)
    assert "待回访投诉" not in client.get(reverse("home")).content.decode()


def test_a_panel_whose_context_is_none_is_hidden(client, frontdesk, scratch_panels):
    scratch_panels("test.none", "web/panels/due_list.html", lambda request: None, roles=ANYONE)
    client.force_login(frontdesk)
    assert 'data-panel="test.none"' not in client.get(reverse("home")).content.decode()


def test_a_failing_panel_does_not_take_the_home_page_down(client, frontdesk, scratch_panels):
    def broken(request):
        raise RuntimeError("module bug")

    scratch_panels("test.broken", "web/panels/due_list.html", broken)
    client.force_login(frontdesk)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "面板暂不可用" in html
    assert 'data-panel="core.today"' in html


def test_panels_come_in_order(client, frontdesk, scratch_panels):
    scratch_panels("test.b", "web/panels/due_list.html", lambda r: {"title": "BBB"}, order=51)
    scratch_panels("test.a", "web/panels/due_list.html", lambda r: {"title": "AAA"}, order=50)
    client.force_login(frontdesk)
    html = client.get(reverse("home")).content.decode()
    assert html.index("AAA") < html.index("BBB")


def test_a_superuser_without_profile_sees_the_staff_home(client, superuser):
    client.force_login(superuser)
    html = client.get(reverse("home")).content.decode()
    assert 'data-panel="core.checks"' in html
    assert "全部管理项目" in html


def test_staff_of_several_roles_see_all_role_labels(client, project):
    user = StaffFactory(
        name="刘洋", roles=[Role.SUPERVISOR, Role.DUTY_MANAGER], projects=[project]
    ).user
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assert "客服主管" in html and "物业总值" in html
