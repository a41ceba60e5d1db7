"""The audit trail (issue #8 §8): denials, exports, reveals and admin changes are
recorded with who, when, from where and what, and the rows cannot be changed."""

from __future__ import annotations

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from keys.models import KeySettings
from servicedesk.security.models import AppendOnlyError, AuditEntry
from tests.factories import UserFactory
from tests.visitors.conftest import resident_id
from visitors.services import id_reveal, visit_register

pytestmark = pytest.mark.django_db
Kind = AuditEntry.Kind


def test_a_page_denied_is_recorded_with_who_and_where(client, owner, unit):
    """An owner opening the desk's form to add a resident (staff work): 403."""
    client.force_login(owner)
    url = reverse("resident-add", args=[unit.pk])
    response = client.get(url, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 403
    entry = AuditEntry.objects.get()
    assert (entry.kind, entry.actor, entry.path, entry.status, entry.ip) == (
        Kind.DENIED,
        owner,
        url,
        403,
        "203.0.113.7",
    )


def test_an_api_call_denied_is_recorded_and_a_404_is_not(owner, frontdesk, unit):
    api = APIClient()
    api.force_authenticate(owner)
    assert api.post("/api/v1/keys/", {}, format="json").status_code == 403
    api.force_authenticate(frontdesk)
    assert api.get("/api/v1/units/999999/").status_code == 404
    assert list(AuditEntry.objects.values_list("kind", "actor_id", "method")) == [
        (Kind.DENIED, owner.pk, "POST")
    ]


def test_an_export_is_recorded(client, frontdesk):
    client.force_login(frontdesk)
    with time_machine.travel("2025-03-10 09:00 +0800", tick=False):
        response = client.get(reverse("complaints:stats"), {"month": "2025-03", "format": "xlsx"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(kind=Kind.EXPORT)
    assert entry.actor == frontdesk
    assert "format=xlsx" in entry.path
    assert ".xlsx" in entry.what  # the file name from Content-Disposition
    # Reading the same statistics as a page is not an export.
    client.get(reverse("complaints:stats"), {"month": "2025-03"})
    assert AuditEntry.objects.filter(kind=Kind.EXPORT).count() == 1


def test_revealing_a_full_id_number_is_recorded(project, unit, frontdesk, manager):
    """VIS-07's logged reveal is also in the audit trail, with the reason."""
    visit = visit_register(
        project=project,
        visitor_name="张伟",
        id_type="resident_id",
        id_number=resident_id(),
        purpose="探亲",
        by=frontdesk,
        host_unit=unit,
    )
    id_reveal(visit=visit, by=manager, reason="派出所协查")
    entry = AuditEntry.objects.get(kind=Kind.REVEAL)
    assert (entry.actor, entry.what, entry.detail) == (
        manager,
        f"visitors.visit #{visit.pk}",
        {"reason": "派出所协查"},
    )


def test_an_admin_change_is_recorded_with_its_message(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    settings = KeySettings.current()
    response = client.post(
        reverse("admin:keys_keysettings_change", args=[settings.pk]),
        {
            "seal_within_hours": 12,
            "overdue_escalate_every_hours": 3,
            "emergency_review_working_days": 2,
            "entrustment_expiry_notice_days": 30,
        },
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(kind=Kind.ADMIN_CHANGE)
    assert (entry.actor, entry.ip, entry.detail["action"]) == (root, "198.51.100.4", "change")
    assert entry.what.startswith(f"keys.keysettings #{settings.pk}")
    assert "seal_within_hours" in entry.detail["message"] or "封存" in entry.detail["message"]


def test_audit_rows_are_append_only(client, owner, unit):
    client.force_login(owner)
    client.get(reverse("resident-add", args=[unit.pk]))
    entry = AuditEntry.objects.get()
    entry.what = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(what="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().what == ""


def test_the_admin_shows_the_trail_read_only(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    assert client.get(reverse("admin:security_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:security_auditentry_add")).status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_raw_updates_and_deletes_of_the_trail(client, owner, unit):
    client.force_login(owner)
    client.get(reverse("resident-add", args=[unit.pk]))
    for statement in (
        "UPDATE security_auditentry SET what = 'x'",
        "DELETE FROM security_auditentry",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement)
    assert AuditEntry.objects.get().what == ""
