"""The visitor admin: read-only log, masked numbers only, the blacklist form (VIS-06, VIS-07)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.visitors.conftest import resident_id
from visitors import identity
from visitors.models import BlacklistEntry, PreRegistration, Visit, VisitorSettings
from visitors.services import pre_register, visit_amend

NUMBER = resident_id(region="440305", born="19770707", serial="318")


@pytest.fixture
def visit(register_visit, frontdesk):
    visit = register_visit(id_number=NUMBER, visitor_name="周杰")
    visit_amend(visit=visit, by=frontdesk, field="phone", new_value="13900000000", reason="补录")
    return visit


def test_the_visit_pages_render_masked_and_read_only__VIS_07(admin_client, visit):
    changelist = admin_client.get(reverse("admin:visitors_visit_changelist"))
    search = admin_client.get(reverse("admin:visitors_visit_changelist"), {"q": visit.slip_number})
    page = admin_client.get(reverse("admin:visitors_visit_change", args=[visit.pk]))

    for response in (changelist, search, page):
        assert response.status_code == 200
        text = response.content.decode()
        assert visit.id_number_masked in text
        assert NUMBER not in text
        assert Visit.objects.get().id_number_encrypted not in text
    assert "补录" in page.content.decode()  # the amendment inline
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get(reverse("admin:visitors_visit_add")).status_code == 403
    delete = admin_client.get(reverse("admin:visitors_visit_delete", args=[visit.pk]))
    assert delete.status_code == 403


def test_the_visit_changelist_never_decrypts__VIS_07(admin_client, visit, monkeypatch):
    def refuse(token: str) -> str:
        raise AssertionError("the admin decrypted an ID number")

    monkeypatch.setattr(identity, "decrypt", refuse)

    assert admin_client.get(reverse("admin:visitors_visit_changelist")).status_code == 200


def test_a_blacklist_entry_added_in_the_admin_stores_no_clear_number__VIS_07(admin_client, project):
    response = admin_client.post(
        reverse("admin:visitors_blacklistentry_add"),
        {
            "project": project.pk,
            "id_type": "resident_id",
            "id_number": NUMBER.lower(),
            "name": "周杰",
            "reason": "多次强行闯入",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = BlacklistEntry.objects.get()
    assert entry.id_hash == identity.lookup_hash("resident_id", NUMBER)
    assert entry.id_number_masked == identity.mask(NUMBER)
    assert entry.added_by.is_superuser
    stored = " ".join(str(v) for v in BlacklistEntry.objects.values().get().values())
    assert NUMBER not in stored and NUMBER[6:14] not in stored
    page = admin_client.get(reverse("admin:visitors_blacklistentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert NUMBER not in page.content.decode()
    assert admin_client.get(reverse("admin:visitors_blacklistentry_changelist")).status_code == 200


def test_an_invalid_number_is_refused_by_the_blacklist_form__VIS_01(admin_client, project):
    response = admin_client.post(
        reverse("admin:visitors_blacklistentry_add"),
        {
            "project": project.pk,
            "id_type": "resident_id",
            "id_number": NUMBER[:17] + ("0" if NUMBER[17] != "0" else "1"),
            "name": "周杰",
            "reason": "多次强行闯入",
        },
    )

    assert response.status_code == 200
    assert "id_number" in response.context["adminform"].form.errors
    assert not BlacklistEntry.objects.exists()


def test_visitor_settings_is_a_singleton(admin_client, db):
    # The list page opens the one row, creating it with the defaults if needed.
    opened = admin_client.get(reverse("admin:visitors_visitorsettings_changelist"))
    settings = VisitorSettings.objects.get()
    assert opened.url == reverse("admin:visitors_visitorsettings_change", args=[settings.pk])
    assert settings.retention_days == 180

    assert admin_client.get(reverse("admin:visitors_visitorsettings_add")).status_code == 403
    delete = admin_client.get(reverse("admin:visitors_visitorsettings_delete", args=[settings.pk]))
    assert delete.status_code == 403
    change = admin_client.get(reverse("admin:visitors_visitorsettings_change", args=[settings.pk]))
    assert change.status_code == 200


def test_pre_registrations_are_read_only(admin_client, owner, unit):
    resident = unit.residents.get()
    pre = pre_register(
        resident=resident, by=owner, guest_name="周杰", expected_on=timezone.localdate()
    )

    assert admin_client.get(reverse("admin:visitors_preregistration_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:visitors_preregistration_change", args=[pre.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert PreRegistration.objects.count() == 1
