"""Factories for the web tests (shared core ones live in tests/factories.py)."""

from __future__ import annotations

import factory

from servicedesk.deadlines.models import CheckState
from servicedesk.notifications.models import Notification
from tests.factories import UserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    reason = factory.Sequence(lambda n: f"reason-{n}")
    title = factory.Sequence(lambda n: f"投诉 TS-{n:04d} 已超时")
    body = "请尽快联系业主。"
    url = "/"


class CheckStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckState
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"module.check_{n}")
    last_acted = 0
