"""residents/: scoped like units; a resident sees co-residents masked (ORG-02)."""

from __future__ import annotations

import pytest

from servicedesk.core.models import Resident
from tests.factories import (
    BuildingFactory,
    EmergencyContactFactory,
    ResidentFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

RESIDENT_KEYS = {"id", "unit", "unit_number", "name", "phone", "kind", "emergency_contacts"}


@pytest.fixture
def household(unit, owner):
    """1-101: the owner (with a login) and a tenant, each with an emergency contact."""
    me = Resident.objects.get(user=owner)
    me.phone = "+8613800000101"
    me.save()
    EmergencyContactFactory(resident=me, name="陈父", relation="父亲", phone="+8613900000001")
    tenant = ResidentFactory(unit=unit, name="刘洋", kind="tenant", phone="+8613712345678")
    EmergencyContactFactory(resident=tenant, name="刘母", relation="母亲", phone="+8613900000002")
    return me, tenant


def test_it_lists_residents_with_explicit_fields(api_as, frontdesk, household, unit):
    _me, tenant = household
    rows = api_as(frontdesk).get("/api/v1/residents/?ordering=id").json()["results"]
    assert [set(r) for r in rows] == [RESIDENT_KEYS, RESIDENT_KEYS]
    assert rows[1] == {
        "id": tenant.id,
        "unit": unit.id,
        "unit_number": "1-101",
        "name": "刘洋",
        "phone": "+8613712345678",
        "kind": "tenant",
        "emergency_contacts": [{"name": "刘母", "relation": "母亲", "phone": "+8613900000002"}],
    }


def test_it_shows_a_resident_in_scope_and_hides_others(api_as, frontdesk, outsider, household):
    me, _ = household
    assert api_as(frontdesk).get(f"/api/v1/residents/{me.id}/").status_code == 200
    client = api_as(outsider)
    assert client.get(f"/api/v1/residents/{me.id}/").status_code == 404
    assert client.get("/api/v1/residents/").json()["results"] == []


def test_it_shows_a_resident_their_own_row_in_full_and_co_residents_masked(
    api_as, owner, household
):
    """ORG-02: co-residents are listed, but their phone masked and contacts hidden."""
    me, tenant = household
    rows = {r["id"]: r for r in api_as(owner).get("/api/v1/residents/").json()["results"]}
    assert set(rows) == {me.id, tenant.id}
    assert rows[me.id]["phone"] == "+8613800000101"
    assert rows[me.id]["emergency_contacts"][0]["phone"] == "+8613900000001"
    assert rows[tenant.id]["phone"] == "+86137****5678"
    assert rows[tenant.id]["emergency_contacts"] == []


def test_it_never_shows_a_resident_other_units_matched_by_label(api_as, owner, household, unit):
    """ORG-01/ORG-02: the owner of 1-101 never sees residents of 11-101 or 1-1011."""
    u11 = UnitFactory(building=BuildingFactory(project=unit.project, code="11"), number="11-101")
    u1011 = UnitFactory(building=unit.building, number="1-1011")
    r11 = ResidentFactory(unit=u11)
    r1011 = ResidentFactory(unit=u1011)
    client = api_as(owner)
    ids = {r["id"] for r in client.get("/api/v1/residents/").json()["results"]}
    assert ids == {r.id for r in household}
    assert client.get(f"/api/v1/residents/{r11.id}/").status_code == 404
    assert client.get(f"/api/v1/residents/{r1011.id}/").status_code == 404
    assert client.get("/api/v1/residents/", {"unit": u11.id}).json()["results"] == []


def test_it_does_not_let_a_resident_probe_co_residents_phones(api_as, owner, household):
    """ORG-02: a phone search by a resident matches only their own row."""
    client = api_as(owner)
    assert client.get("/api/v1/residents/", {"phone": "13712345678"}).json()["results"] == []
    mine = client.get("/api/v1/residents/", {"phone": "13800000101"}).json()["results"]
    assert [r["name"] for r in mine] == ["陈静"]


def test_it_filters_by_unit_kind_and_phone(api_as, frontdesk, household, unit):
    me, tenant = household
    other = UnitFactory(building=unit.building, number="1-102")
    ResidentFactory(unit=other, phone="+8613600000000")
    client = api_as(frontdesk)

    def ids(**params):
        return {r["id"] for r in client.get("/api/v1/residents/", params).json()["results"]}

    assert ids(unit=unit.id) == {me.id, tenant.id}
    assert ids(kind="tenant") == {tenant.id}
    assert ids(phone="+8613712345678") == {tenant.id}
    assert ids(phone="13712345678") == {tenant.id}
    assert ids(phone="not-a-phone") == set()


def test_it_lists_50_residents_in_a_bounded_number_of_queries(
    api_as, frontdesk, unit, django_assert_max_num_queries
):
    for i in range(50):
        r = ResidentFactory(unit=UnitFactory(building=unit.building, number=f"1-{1000 + i}"))
        EmergencyContactFactory.create_batch(2, resident=r)
    client = api_as(frontdesk)
    with django_assert_max_num_queries(9):
        body = client.get("/api/v1/residents/").json()
    assert len(body["results"]) == 50
    assert all(len(r["emergency_contacts"]) == 2 for r in body["results"])
