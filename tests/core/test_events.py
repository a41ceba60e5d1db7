"""The append-only event log (ORG-05)."""

from __future__ import annotations

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from servicedesk.core.events import record_event, timeline
from servicedesk.core.models import Event


def test_a_state_change_records_who_when_from_to_and_why__ORG_05(unit, frontdesk):
    with time_machine.travel("2025-03-07 08:00:00+00:00", tick=False):
        event = record_event(
            unit,
            action="status",
            actor=frontdesk,
            from_state="open",
            to_state="closed",
            reason="业主确认已修复",
        )

    stored = Event.objects.get(pk=event.pk)
    assert (stored.actor, stored.from_state, stored.to_state, stored.reason) == (
        frontdesk,
        "open",
        "closed",
        "业主确认已修复",
    )
    assert stored.at.isoformat() == "2025-03-07T08:00:00+00:00"
    # The project and unit come from the subject's Scope, so the log is scoped too.
    assert (stored.project_id, stored.unit_id) == (unit.project_id, unit.pk)


@pytest.mark.django_db
def test_every_append_only_table_refuses_bulk_updates_and_deletes__ORG_05_DEC_12():
    """The event log, the decoration money ledger and the audit trail share one
    append-only base: a queryset's update and delete raise before reaching the table."""
    from django.apps import apps

    from decoration.models import LedgerEntry
    from servicedesk.core.models import AppendOnlyError, AppendOnlyModel
    from servicedesk.security.models import AuditEntry

    models = {m for m in apps.get_models() if issubclass(m, AppendOnlyModel)}

    assert models == {Event, LedgerEntry, AuditEntry}
    for model in models:
        with pytest.raises(AppendOnlyError):
            model.objects.all().update(pk=0)
        with pytest.raises(AppendOnlyError):
            model.objects.all().delete()


def test_events_cannot_be_changed_or_deleted_through_the_orm__ORG_05(unit, frontdesk):
    event = record_event(unit, action="note", actor=frontdesk, reason="first")

    event.reason = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    assert Event.objects.get(pk=event.pk).reason == "first"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_raw_updates_and_deletes_of_events__ORG_05(unit, frontdesk):
    event = record_event(unit, action="note", actor=frontdesk, reason="first")

    for statement in ("UPDATE core_event SET reason = 'x'", "DELETE FROM core_event"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement)
    assert Event.objects.get(pk=event.pk).reason == "first"


def test_an_amendment_is_a_new_event_and_the_timeline_keeps_both__ORG_05(unit, frontdesk):
    record_event(unit, action="registered", actor=frontdesk, reason="面积 89.5")
    record_event(unit, action="amended", actor=frontdesk, reason="更正：面积 98.5")

    assert [e.action for e in timeline(unit)] == ["registered", "amended"]


def test_a_system_event_has_no_actor__ORG_05(unit):
    event = record_event(unit, action="escalated", reason="deadline")

    assert event.actor is None


@pytest.mark.parametrize("count", [3, 600])
def test_bulk_events_keep_every_field_on_both_paths__ORG_05(unit, count):
    """Few rows go through INSERT; on PostgreSQL a large batch goes through COPY."""
    from servicedesk.core.events import event_for, record_events_bulk
    from servicedesk.core.models import Unit

    events = [
        event_for(
            Unit,
            unit.pk,
            action="escalated",
            project_id=unit.project_id,
            unit_id=unit.pk,
            from_state="0",
            to_state="1",
            reason=f"首次联系超时 {n}",
            data={"clock": "first_contact", "n": n},
        )
        for n in range(count)
    ]

    assert record_events_bulk(events) == count
    last = Event.objects.filter(action="escalated").order_by("-id").first()
    assert (last.reason, last.data, last.unit_id) == (
        f"首次联系超时 {count - 1}",
        {"clock": "first_contact", "n": count - 1},
        unit.pk,
    )
    assert Event.objects.filter(action="escalated").count() == count
