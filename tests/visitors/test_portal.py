"""The residents' portal: pre-register a guest, see the visits to their home (VIS-03)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ResidentFactory, UnitFactory, UserFactory
from tests.visitors.conftest import resident_id
from visitors.models import PreRegistration

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(client, owner):
    client.force_login(owner)
    return client


def test_a_resident_pre_registers_a_guest(portal, unit, owner):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = portal.post(
        reverse("visitors:portal"),
        {
            "unit": unit.pk,
            "guest_name": "张伟",
            "expected_on": tomorrow.isoformat(),
            "note": "送货",
        },
    )
    assert response.status_code == 302
    pre = PreRegistration.objects.get()
    assert (pre.host_unit, pre.created_by, pre.expected_on) == (unit, owner, tomorrow)
    assert pre.host_resident.user == owner
    html = portal.get(reverse("visitors:portal")).content.decode()
    assert "张伟" in html and "待到访" in html


def test_a_past_date_is_refused_and_the_input_kept(portal, unit):
    yesterday = timezone.localdate() - timedelta(days=1)
    response = portal.post(
        reverse("visitors:portal"),
        {"unit": unit.pk, "guest_name": "张伟", "expected_on": yesterday.isoformat()},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "预计来访日期：预计来访日期不能早于今天" in html and 'value="张伟"' in html
    assert not PreRegistration.objects.exists()


def test_a_resident_sees_only_visits_to_their_unit_masked(portal, unit, register_visit, project):
    number = resident_id(serial="777")
    mine = register_visit(visitor_name="来我家的", id_number=number)
    other_unit = UnitFactory(building=unit.building, number="1-1011")
    register_visit(visitor_name="去别家的", host_unit=other_unit)
    html = portal.get(reverse("visitors:portal")).content.decode()
    assert "来我家的" in html and mine.id_number_masked in html
    assert "去别家的" not in html
    assert number not in html


def test_staff_and_outsiders_get_403(client, frontdesk, unit):
    client.force_login(frontdesk)
    assert client.get(reverse("visitors:portal")).status_code == 403
    stranger = UserFactory(username="stranger")
    client.force_login(stranger)
    assert client.get(reverse("visitors:portal")).status_code == 403


def test_a_resident_cannot_pre_register_for_another_unit(portal, unit):
    other = UnitFactory(building=unit.building, number="1-102")
    ResidentFactory(unit=other, name="王芳")
    response = portal.post(
        reverse("visitors:portal"),
        {
            "unit": other.pk,
            "guest_name": "张伟",
            "expected_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400
    assert not PreRegistration.objects.exists()
