"""staff/: staff see colleagues of their projects; residents and contractors get 403."""

from __future__ import annotations

import pytest

from servicedesk.core.models import Role
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF_KEYS = {"id", "username", "name", "roles", "department", "department_name"}


def test_it_lists_colleagues_of_the_same_project(api_as, frontdesk, manager, outsider):
    response = api_as(frontdesk).get("/api/v1/staff/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["username"] for r in rows} == {frontdesk.username, manager.username}
    row = next(r for r in rows if r["username"] == manager.username)
    assert set(row) == STAFF_KEYS
    assert row["name"] == "王强"
    assert row["roles"] == ["manager"]
    assert row["department"] == "service"
    assert row["department_name"] == "客服部"
    assert "phone" not in row


def test_it_hides_staff_of_other_projects(api_as, frontdesk, outsider):
    """ORG-01: another project's staff are invisible, detail is 404."""
    client = api_as(outsider)
    usernames = {r["username"] for r in client.get("/api/v1/staff/").json()["results"]}
    assert usernames == {outsider.username}
    assert client.get(f"/api/v1/staff/{frontdesk.staff_profile.id}/").status_code == 404


def test_it_lists_a_staff_member_once_when_sharing_several_projects(api_as, project, other_project):
    a = StaffFactory(projects=[project, other_project]).user
    b = StaffFactory(projects=[project, other_project]).user
    rows = api_as(a).get("/api/v1/staff/").json()["results"]
    assert sorted(r["username"] for r in rows) == sorted([a.username, b.username])


def test_it_shows_company_wide_roles_everyone(api_as, frontdesk, outsider):
    gm = StaffFactory(roles=[Role.GENERAL_MANAGER]).user
    usernames = {r["username"] for r in api_as(gm).get("/api/v1/staff/").json()["results"]}
    assert {frontdesk.username, outsider.username, gm.username} <= usernames


def test_it_forbids_residents(api_as, owner, frontdesk):
    """ORG-02: a resident may not list staff (403), so never sees staff phones."""
    client = api_as(owner)
    assert client.get("/api/v1/staff/").status_code == 403
    assert client.get(f"/api/v1/staff/{frontdesk.staff_profile.id}/").status_code == 403


def test_it_forbids_contractors(api_as, project):
    contractor = StaffFactory(roles=[Role.CONTRACTOR], projects=[project]).user
    assert api_as(contractor).get("/api/v1/staff/").status_code == 403


def test_it_forbids_a_user_without_any_role(api_as):
    assert api_as(UserFactory()).get("/api/v1/staff/").status_code == 403


def test_it_lists_staff_in_a_bounded_number_of_queries(
    api_as, frontdesk, project, django_assert_max_num_queries
):
    for _ in range(49):
        StaffFactory(roles=[Role.FRONT_DESK, Role.ENGINEER], projects=[project])
    client = api_as(frontdesk)
    with django_assert_max_num_queries(9):
        body = client.get("/api/v1/staff/").json()
    assert len(body["results"]) == 50
