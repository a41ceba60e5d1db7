"""On the real Redis (CI sets REDIS_URL): Celery's broker and Django's cache use it."""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set")


def test_the_celery_broker_is_the_configured_redis():
    from servicedesk.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        assert conn.transport_cls == "redis"


def test_the_cache_round_trips_through_redis(settings):
    key = f"servicedesk-test-{uuid.uuid4()}"

    cache.set(key, "缓存", 30)

    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    assert cache.get(key) == "缓存"
    cache.delete(key)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the worker thread needs a database it can share (PostgreSQL)",
)
def test_the_sweep_task_travels_through_redis_to_a_worker(settings, monkeypatch):
    """A real publish and consume: beat's message reaches a worker, which runs the sweep."""
    import threading

    from celery.contrib.testing.worker import start_worker

    from servicedesk.celery import app
    from servicedesk.deadlines import registry

    ran = threading.Event()
    monkeypatch.setattr(registry, "_checks", {})
    registry.deadline_check("test.via_redis")(lambda now: ran.set() or 1)
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            app.send_task("servicedesk.sweep_deadlines")
            assert ran.wait(timeout=30), "the worker never ran the sweep"
    finally:
        app.conf.task_always_eager = True
