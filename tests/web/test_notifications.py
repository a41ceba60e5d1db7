from __future__ import annotations

import pytest
from django.urls import reverse

from tests.web.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_the_inbox_requires_login(client):
    assert client.get(reverse("notifications")).status_code == 302


def test_the_inbox_shows_only_my_own_notifications(client, frontdesk, outsider):
    NotificationFactory(recipient=frontdesk, title="给我的通知")
    NotificationFactory(recipient=outsider, title="别人的通知")
    client.force_login(frontdesk)
    html = client.get(reverse("notifications")).content.decode()
    assert "给我的通知" in html
    assert "别人的通知" not in html


def test_unread_notifications_are_highlighted(client, frontdesk):
    from django.utils import timezone

    unread = NotificationFactory(recipient=frontdesk, title="未读的")
    read = NotificationFactory(recipient=frontdesk, title="已读的", read_at=timezone.now())
    client.force_login(frontdesk)
    html = client.get(reverse("notifications")).content.decode()
    assert f'id="n{unread.pk}" class="unread"' in html
    assert f'id="n{read.pk}" class="read"' in html


def test_mark_all_read_marks_only_mine(client, frontdesk, outsider):
    mine = NotificationFactory.create_batch(3, recipient=frontdesk)
    theirs = NotificationFactory(recipient=outsider)
    client.force_login(frontdesk)
    assert client.get(reverse("notifications-read-all")).status_code == 405
    response = client.post(reverse("notifications-read-all"))
    assert response.status_code == 302
    for note in mine:
        note.refresh_from_db()
        assert note.read_at is not None
    theirs.refresh_from_db()
    assert theirs.read_at is None
    html = client.get(reverse("notifications")).content.decode()
    assert "全部标为已读" not in html
    assert "0 条未读" in html


def test_the_inbox_is_paginated(client, frontdesk):
    NotificationFactory.create_batch(30, recipient=frontdesk)
    client.force_login(frontdesk)
    html = client.get(reverse("notifications")).content.decode()
    assert html.count('class="unread"') == 25
    assert "第 1 / 2 页" in html
    assert (
        client.get(reverse("notifications") + "?page=2").content.decode().count('class="unread"')
        == 5
    )


def test_opening_a_notification_marks_it_read_and_follows_a_local_url(client, frontdesk):
    note = NotificationFactory(recipient=frontdesk, url="/complaints/42/?tab=callback")
    client.force_login(frontdesk)
    response = client.get(reverse("notification-open", args=[note.pk]))
    assert response.status_code == 302
    assert response.url == "/complaints/42/?tab=callback"
    note.refresh_from_db()
    assert note.read_at is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "evil.example/x",
        " //evil.example",
        "",
    ],
)
def test_opening_a_notification_never_redirects_off_site(client, frontdesk, url):
    note = NotificationFactory(recipient=frontdesk, url=url)
    client.force_login(frontdesk)
    response = client.get(reverse("notification-open", args=[note.pk]))
    assert response.status_code == 302
    assert response.url == reverse("notifications") + f"#n{note.pk}"
    note.refresh_from_db()
    assert note.read_at is not None


def test_i_cannot_open_someone_elses_notification(client, frontdesk, outsider):
    note = NotificationFactory(recipient=outsider, url="/x/")
    client.force_login(frontdesk)
    assert client.get(reverse("notification-open", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None
