"""Faults (issue #8 §6) against the real PostgreSQL: a sweep process killed in the
middle of a check leaves nothing half-applied, and the next sweep escalates each
missed deadline exactly once — no double escalation, event or notification.

The sweep runs as a separate ``manage.py sweep_deadlines`` process on the test
database. The test holds a row lock on the complaints, so the process blocks on
its ``UPDATE`` of them after it has already marked the clocks in the same
transaction; it is then killed with SIGKILL, as the OOM killer or a lost host
would.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from complaints.models import Channel, Clock, Complaint
from servicedesk.core.models import Event
from servicedesk.deadlines.sweep import run_sweep
from servicedesk.notifications.models import Notification

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real second process"),
    pytest.mark.django_db(transaction=True),  # committed data a second process can see
]
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _blocked_statement(timeout: float = 30) -> str:
    """The statement another backend of this database waits on a lock with, once it does."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            row = cursor.fetchone()
            if row:
                return str(row[0])
            time.sleep(0.1)
    raise AssertionError("the sweep process never reached the locked rows")


@pytest.fixture
def complaint_defaults(db: None) -> None:
    """The complaints defaults come from a data migration; a database flushed by an
    earlier transactional test lacks them."""
    if not Channel.objects.filter(code="phone").exists():
        importlib.import_module("complaints.migrations.0002_defaults").seed(apps, None)


def test_a_sweep_killed_mid_check_leaves_nothing_half_done__and_the_next_escalates_once(
    complaint_defaults, client, frontdesk, unit
):
    client.force_login(frontdesk)
    filed_at = timezone.now() - timedelta(minutes=20)
    with time_machine.travel(filed_at, tick=False):
        for n in range(3):
            response = client.post(
                "/api/v1/complaints/",
                {
                    "unit": unit.pk,
                    "reporter_name": f"业主{n}",
                    "channel": "phone",
                    "category": "facilities",
                    "urgency_minutes": 15,
                    "description": "门禁失灵",
                },
                content_type="application/json",
            )
            assert response.status_code == 201, response.content
    complaint_type = ContentType.objects.get_for_model(Complaint)

    def escalations() -> int:
        return Event.objects.filter(content_type=complaint_type, action="escalated").count()

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    env.pop("REDIS_URL", None)
    with transaction.atomic():
        # Hold the complaints: the sweep will mark the clocks, then wait here.
        list(Complaint.objects.select_for_update())
        process = subprocess.Popen(
            [sys.executable, "manage.py", "sweep_deadlines", "--check", "complaints.escalate"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            statement = _blocked_statement()
            assert 'UPDATE "complaints_complaint"' in statement
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == -signal.SIGKILL

    # Killed mid-transaction: the clocks it had marked are unmarked again, nothing logged.
    assert not Clock.objects.filter(escalated_due_at__isnull=False).exists()
    assert escalations() == 0
    assert not Notification.objects.filter(reason__startswith="escalated").exists()
    assert set(Complaint.objects.values_list("escalation_level", flat=True)) == {0}

    # The next sweep (restarted worker) escalates each missed clock once; a third, nothing.
    run_sweep(only=["complaints.escalate"])
    run_sweep(only=["complaints.escalate"])
    assert escalations() == 3
    assert set(Complaint.objects.values_list("escalation_level", flat=True)) == {1}
    notified = Notification.objects.filter(reason__startswith="escalated")
    assert notified.exists()
    assert notified.count() == notified.values("recipient", "object_id").distinct().count()
