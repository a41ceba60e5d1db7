"""The deadline engine: registry, sweep, idempotency and isolation (issue #2 §5)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.management import call_command

from servicedesk.core.models import Project
from servicedesk.deadlines import registry
from servicedesk.deadlines.models import CheckState
from servicedesk.deadlines.sweep import run_sweep


@pytest.fixture
def scratch_checks(monkeypatch):
    """An empty registry for the test, restored afterwards."""
    monkeypatch.setattr(registry, "_checks", {})
    return registry


def test_every_module_check_is_registered_at_start():
    names = {c.name for c in registry.registered_checks()}

    assert "notifications.deliver" in names


def test_the_sweep_runs_each_check_once_and_records_its_outcome(db, scratch_checks):
    calls: list[datetime] = []

    @scratch_checks.deadline_check("test.count")
    def count(now: datetime) -> int:
        calls.append(now)
        return 3

    outcomes = run_sweep()

    assert [(o.name, o.acted) for o in outcomes] == [("test.count", 3)]
    assert len(calls) == 1
    state = CheckState.objects.get(name="test.count")
    assert state.last_acted == 3 and state.last_finished_at is not None


def test_a_failing_check_rolls_back_alone_and_the_others_still_run(db, scratch_checks):
    @scratch_checks.deadline_check("test.a_broken")
    def broken(now: datetime) -> int:
        Project.objects.create(code="half", name="half-applied")
        raise RuntimeError("boom")

    @scratch_checks.deadline_check("test.b_fine")
    def fine(now: datetime) -> int:
        return 1

    outcomes = {o.name: o for o in run_sweep()}

    assert "boom" in outcomes["test.a_broken"].error
    assert outcomes["test.b_fine"].acted == 1
    assert not Project.objects.filter(code="half").exists()
    assert "boom" in CheckState.objects.get(name="test.a_broken").last_error


def test_a_check_cannot_be_registered_twice_under_one_name(scratch_checks):
    scratch_checks.deadline_check("test.x")(lambda now: 0)

    with pytest.raises(ValueError):
        scratch_checks.deadline_check("test.x")(lambda now: 1)


def test_the_command_runs_the_sweep_and_reports_what_acted(db, scratch_checks, capsys):
    scratch_checks.deadline_check("test.two")(lambda now: 2)

    call_command("sweep_deadlines")

    assert "test.two: 2" in capsys.readouterr().out


def test_the_celery_task_runs_the_same_sweep(db, scratch_checks):
    from servicedesk.deadlines.tasks import sweep_deadlines_task

    scratch_checks.deadline_check("test.five")(lambda now: 5)

    assert sweep_deadlines_task.delay().get() == 5


def test_beat_schedules_the_sweep_every_minute():
    from servicedesk.celery import app

    # Schedules are declared when the app is finalized (a worker or beat does it on
    # start); in a test process that depends on what ran before, so do it here.
    app.finalize(auto=True)
    entries = {e["task"]: e["schedule"] for e in app.conf.beat_schedule.values()}

    assert entries["servicedesk.sweep_deadlines"] == 60.0
