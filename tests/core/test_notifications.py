"""Notifications: inbox, e-mail and SMS, after commit, at most once (issue #2 §6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import transaction

from servicedesk.core.models import Role
from servicedesk.deadlines.sweep import run_sweep
from servicedesk.notifications.models import Notification
from servicedesk.notifications.services import (
    deliver_pending,
    mark_read,
    notification_for,
    notify,
    notify_bulk,
    users_with_role,
)
from servicedesk.notifications.sms import LoggingSmsBackend
from tests.factories import StaffFactory

DUE = datetime(2025, 10, 11, 9, 30, tzinfo=UTC)


def test_a_person_is_told_once_per_record_reason_and_deadline(unit, manager):
    for _ in range(3):
        notify([manager.pk], subject=unit, reason="overdue", title="已超时", deadline=DUE)
    notify(
        [manager.pk], subject=unit, reason="overdue", title="再次超时", deadline=DUE.replace(day=12)
    )

    assert Notification.objects.filter(recipient=manager).count() == 2


def test_nothing_is_sent_when_the_change_rolls_back(unit, manager):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify([manager.pk], subject=unit, reason="overdue", title="已超时", deadline=DUE)
        raise RuntimeError("the change failed")

    assert not Notification.objects.exists()
    assert deliver_pending() == 0
    assert mail.outbox == []


def test_email_leaves_with_the_next_sweep_and_only_once(unit, manager):
    notify(
        [manager.pk],
        subject=unit,
        reason="overdue",
        title="投诉已超时",
        body="请处理",
        deadline=DUE,
    )
    assert mail.outbox == []  # nothing inline in the request

    run_sweep()
    run_sweep()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [manager.email]
    assert "投诉已超时" in mail.outbox[0].subject
    assert Notification.objects.get().email_state == Notification.Delivery.SENT


def test_sms_goes_through_the_configured_backend(unit, manager):
    LoggingSmsBackend.sent.clear()
    notify_bulk(
        [
            notification_for(
                manager.pk,
                subject=unit,
                reason="key_used",
                title="钥匙已使用",
                sms_phone="+8613812345678",
            )
        ]
    )

    deliver_pending()

    assert LoggingSmsBackend.sent == [("+8613812345678", "钥匙已使用")]


def test_a_failed_email_is_marked_failed_not_retried_forever(unit, manager, settings):
    settings.EMAIL_BACKEND = "tests.core.test_notifications.BrokenBackend"
    notify([manager.pk], subject=unit, reason="overdue", title="x", deadline=DUE)

    deliver_pending()
    deliver_pending()

    assert Notification.objects.get().email_state == Notification.Delivery.FAILED


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def test_users_with_role_are_found_per_project__ORG_03(project, other_project, manager):
    StaffFactory(roles=[Role.MANAGER], projects=[other_project])
    both = StaffFactory(roles=[Role.SUPERVISOR, Role.MANAGER], projects=[project])

    assert set(users_with_role(Role.MANAGER, project_id=project.pk)) == {manager, both.user}
    assert set(users_with_role(Role.SUPERVISOR, project_id=project.pk)) == {both.user}


def test_marking_read_touches_only_the_readers_own_messages(unit, manager, frontdesk):
    notify([manager.pk, frontdesk.pk], subject=unit, reason="r", title="t")

    assert mark_read(manager.pk) == 1
    assert Notification.objects.get(recipient=frontdesk).read_at is None


def test_links_in_emails_are_absolute(unit, manager, settings):
    settings.SITE_URL = "https://desk.example.com"
    notify([manager.pk], subject=unit, reason="r", title="t", url="/complaints/7/")

    deliver_pending()

    assert "https://desk.example.com/complaints/7/" in mail.outbox[0].body
