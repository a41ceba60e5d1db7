"""Admin: changelists render; the event log is read-only (ORG-05)."""

from __future__ import annotations

import pytest
from django.contrib import admin

from servicedesk.core.events import record_event
from servicedesk.core.models import Event
from tests.factories import EmergencyContactFactory, ResidentFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    return user


@pytest.fixture
def data(unit, frontdesk):
    resident = ResidentFactory(unit=unit, name="陈静")
    EmergencyContactFactory(resident=resident)
    record_event(unit, action="created", actor=frontdesk)
    return resident


@pytest.mark.parametrize(
    "path",
    [
        "/admin/core/unit/",
        "/admin/core/resident/",
        "/admin/core/event/",
        "/admin/core/project/",
        "/admin/core/building/",
        "/admin/core/staffprofile/",
        "/admin/core/department/",
        "/admin/core/unit/?q=1-101",
        "/admin/core/resident/?q=陈静",
        "/admin/core/event/?q=1",
        "/admin/core/unit/import/",
        "/admin/core/unit/export/",
    ],
)
def test_changelists_render_for_a_superuser(client, superuser, data, path):
    client.force_login(superuser)
    assert client.get(path).status_code == 200


def test_change_forms_render(client, superuser, data, frontdesk):
    client.force_login(superuser)
    assert client.get(f"/admin/core/resident/{data.id}/change/").status_code == 200
    profile = frontdesk.staff_profile
    assert client.get(f"/admin/core/staffprofile/{profile.id}/change/").status_code == 200


def test_the_event_log_has_no_add_change_or_delete(client, superuser, data, rf):
    event_admin = admin.site._registry[Event]
    request = rf.get("/")
    request.user = superuser
    assert not event_admin.has_add_permission(request)
    assert not event_admin.has_change_permission(request)
    assert not event_admin.has_delete_permission(request)
    client.force_login(superuser)
    event = Event.objects.get()
    assert client.get("/admin/core/event/add/").status_code == 403
    assert client.post(f"/admin/core/event/{event.id}/delete/").status_code == 403
    assert client.get(f"/admin/core/event/{event.id}/change/").status_code == 200  # view only


def test_admin_lists_are_scoped_for_project_staff(client, unit, other_project):
    from tests.factories import UnitFactory

    UnitFactory(building__project=other_project, number="9-901")
    staff = StaffFactory(projects=[unit.project]).user
    staff.is_staff = True
    staff.save()
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_unit"))
    client.force_login(staff)
    body = client.get("/admin/core/unit/").content.decode()
    assert "1-101" in body
    assert "9-901" not in body


def test_admin_csv_export_has_a_bom(client, superuser, unit):
    client.force_login(superuser)
    response = client.post(
        "/admin/core/unit/export/",
        {
            "format": "1",
            "resource": "0",
            "unitresource_project": "on",
            "unitresource_building": "on",
            "unitresource_number": "on",
            "unitresource_area_m2": "on",
        },
    )
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "1-101" in response.content.decode("utf-8-sig")
