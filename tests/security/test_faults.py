"""Faults (issue #8 §6): work queued by a change that rolls back does nothing.

No request enqueues a Celery task: a change writes its messages to the
notifications outbox inside its own transaction, and the sweep delivers them.
So a change that fails half-way leaves no message to deliver.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from decoration import services
from servicedesk.notifications.models import Notification
from servicedesk.notifications.services import deliver_pending
from tests.decoration.conftest import *  # noqa: F403 (the permit fixtures)

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_messages_of_a_change_that_rolls_back_are_never_delivered(
    file_permit, frontdesk, engineer, mailoutbox
):
    permit = file_permit()
    with pytest.raises(Boom), transaction.atomic():
        services.drawings_submit(permit=permit, by=frontdesk)
        assert Notification.objects.filter(recipient=engineer).exists()  # queued in the change
        raise Boom
    assert not Notification.objects.exists()
    assert deliver_pending() == 0
    assert mailoutbox == []
    # The same change committed is told to engineering once.
    services.drawings_submit(permit=permit, by=frontdesk)
    assert Notification.objects.filter(recipient=engineer, reason="drawings_submitted").count() == 1
