"""Two sweeps at once (two beat processes, or a manual run beside the worker) never
run the same check twice: real parallel transactions on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.db import connection, connections

from servicedesk.deadlines import registry
from servicedesk.deadlines.sweep import run_sweep

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks"),
    pytest.mark.django_db(transaction=True),
]


def test_a_check_running_in_one_sweep_is_skipped_by_a_parallel_sweep(monkeypatch):
    monkeypatch.setattr(registry, "_checks", {})
    inside = threading.Event()
    release = threading.Event()
    calls: list[str] = []

    @registry.deadline_check("test.slow")
    def slow(now: datetime) -> int:
        calls.append(threading.current_thread().name)
        inside.set()
        release.wait(timeout=10)
        return 1

    first: list = []

    def sweep_in_thread() -> None:
        try:
            first.extend(run_sweep())
        finally:
            connections.close_all()

    worker = threading.Thread(target=sweep_in_thread, name="beat-1")
    worker.start()
    assert inside.wait(timeout=10)

    second = run_sweep()  # beat-2, while beat-1 holds the check's lock
    release.set()
    worker.join(timeout=10)

    assert [o.skipped for o in second] == [True]
    assert [o.acted for o in first] == [1]
    assert calls == ["beat-1"]
