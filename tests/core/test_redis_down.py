"""With Redis stopped, every page and filing works; the sweep catches up afterwards.

Redis is pointed at a closed port, which is what a stopped server looks like.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from complaints.models import Complaint
from servicedesk.deadlines.sweep import run_sweep

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "servicedesk.cache.TolerantRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.CELERY_BROKER_URL = DEAD_REDIS
    return settings


def test_the_cache_misses_instead_of_failing_when_redis_is_down(redis_down):
    cache.set("k", "v")

    assert cache.get("k", "missing") == "missing"


def test_the_desk_home_renders_with_redis_down(redis_down, client, frontdesk):
    client.force_login(frontdesk)

    assert client.get("/").status_code == 200


def test_filing_from_the_desk_and_the_portal_works_with_redis_down(
    redis_down, client, frontdesk, owner, unit
):
    client.force_login(frontdesk)
    desk = client.post(
        "/api/v1/complaints/",
        {
            "unit": unit.pk,
            "reporter_name": "陈静",
            "reporter_phone": "13811112222",
            "channel": "phone",
            "category": "facilities",
            "severity": "general",
            "urgency_minutes": 15,
            "description": "门禁失灵",
        },
        content_type="application/json",
    )
    client.force_login(owner)
    portal = client.post(
        "/api/v1/complaints/",
        {"unit": unit.pk, "category": "facilities", "description": "电梯异响"},
        content_type="application/json",
    )

    assert (desk.status_code, portal.status_code) == (201, 201), (desk.json(), portal.json())
    assert Complaint.objects.count() == 2


def test_the_next_sweep_escalates_what_fell_due_meanwhile_once(redis_down, client, frontdesk, unit):
    client.force_login(frontdesk)
    client.post(
        "/api/v1/complaints/",
        {
            "unit": unit.pk,
            "reporter_name": "陈静",
            "channel": "phone",
            "category": "facilities",
            "urgency_minutes": 15,
            "description": "门禁失灵",
        },
        content_type="application/json",
    )

    later = timezone.now() + timedelta(minutes=20)
    with time_machine.travel(later, tick=False):
        run_sweep(later)
        run_sweep(later)

    assert Complaint.objects.get().escalation_level == 1
