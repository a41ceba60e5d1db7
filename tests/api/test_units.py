"""units/: scoped to the caller's projects; a resident sees only their own units."""

from __future__ import annotations

import pytest

from tests.factories import BuildingFactory, UnitFactory

pytestmark = pytest.mark.django_db

UNIT_KEYS = {"id", "project", "building", "building_name", "number", "area_m2"}


def test_it_lists_units_with_explicit_fields(api_as, frontdesk, unit):
    response = api_as(frontdesk).get("/api/v1/units/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert set(row) == UNIT_KEYS
    assert row == {
        "id": unit.id,
        "project": "lvcheng",
        "building": "1",
        "building_name": "1栋",
        "number": "1-101",
        "area_m2": "89.50",
    }


def test_it_shows_a_unit_in_scope(api_as, frontdesk, unit):
    response = api_as(frontdesk).get(f"/api/v1/units/{unit.id}/")
    assert response.status_code == 200
    assert set(response.json()) == UNIT_KEYS


def test_it_hides_another_projects_units(api_as, outsider, unit):
    """ORG-01: staff of another project see nothing of ours, and get 404 on detail."""
    client = api_as(outsider)
    assert client.get("/api/v1/units/").json()["results"] == []
    assert client.get(f"/api/v1/units/{unit.id}/").status_code == 404


def test_it_shows_a_resident_only_their_own_unit_matched_exactly(api_as, owner, unit, project):
    """ORG-01/ORG-02: the owner of 1-101 never sees 11-101 or 1-1011 (exact match by id)."""
    b11 = BuildingFactory(project=project, code="11")
    u11 = UnitFactory(building=b11, number="11-101")
    u1011 = UnitFactory(building=unit.building, number="1-1011")
    client = api_as(owner)

    listing = client.get("/api/v1/units/").json()["results"]
    assert [u["number"] for u in listing] == ["1-101"]
    assert client.get(f"/api/v1/units/{unit.id}/").status_code == 200
    assert client.get(f"/api/v1/units/{u11.id}/").status_code == 404
    assert client.get(f"/api/v1/units/{u1011.id}/").status_code == 404
    assert client.get("/api/v1/units/", {"number": "11-101"}).json()["results"] == []


def test_it_filters_by_project_building_and_exact_number(api_as, frontdesk, unit, project):
    b2 = BuildingFactory(project=project, code="2")
    UnitFactory(building=b2, number="2-101")
    UnitFactory(building=unit.building, number="1-1011")
    client = api_as(frontdesk)

    def numbers(**params):
        return sorted(u["number"] for u in client.get("/api/v1/units/", params).json()["results"])

    assert numbers(number="1-101") == ["1-101"]
    assert numbers(building="2") == ["2-101"]
    assert numbers(project="lvcheng") == ["1-101", "1-1011", "2-101"]
    assert numbers(project="binjiang") == []


def test_it_orders_by_id(api_as, frontdesk, unit):
    UnitFactory.create_batch(3, building=unit.building)
    client = api_as(frontdesk)
    default = [u["id"] for u in client.get("/api/v1/units/").json()["results"]]
    ascending = [u["id"] for u in client.get("/api/v1/units/?ordering=id").json()["results"]]
    assert default == sorted(default, reverse=True)
    assert ascending == sorted(ascending)


def test_it_is_read_only(api_as, manager, unit):
    client = api_as(manager)
    assert client.post("/api/v1/units/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/units/{unit.id}/").status_code == 405


def test_it_caps_the_page_size_at_200(api_as, frontdesk, unit):
    UnitFactory.create_batch(210, building=unit.building)
    client = api_as(frontdesk)
    body = client.get("/api/v1/units/", {"page_size": 1000}).json()
    assert len(body["results"]) == 200
    assert body["next"]
    assert len(client.get("/api/v1/units/").json()["results"]) == 50


def test_it_pages_by_cursor_without_gaps(api_as, frontdesk, unit):
    UnitFactory.create_batch(120, building=unit.building)
    client = api_as(frontdesk)
    seen: list[int] = []
    url: str | None = "/api/v1/units/?page_size=50"
    while url:
        body = client.get(url).json()
        seen += [u["id"] for u in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 121


def test_it_lists_50_units_in_a_bounded_number_of_queries(
    api_as, frontdesk, unit, django_assert_max_num_queries
):
    for code in ("2", "3", "4", "5"):
        UnitFactory.create_batch(13, building=BuildingFactory(project=unit.project, code=code))
    client = api_as(frontdesk)
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/units/").json()
    assert len(body["results"]) == 50
