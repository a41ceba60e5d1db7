"""``visits/`` through the API (API.md; VIS-01..07, ORG-01, ORG-02)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from servicedesk.core.models import Role
from tests.complaints.conftest import local
from tests.factories import ResidentFactory, StaffFactory, UnitFactory
from tests.visitors.conftest import resident_id
from visitors.deadlines import flag_visitors_still_inside
from visitors.models import Amendment, IdReveal, Visit
from visitors.services import blacklist_add, visit_consent

URL = "/api/v1/visits/"
NUMBER = resident_id(region="310104", born="19900101", serial="456")


def payload(unit, **overrides):
    data = {
        "visitor_name": "张伟",
        "id_type": "resident_id",
        "id_number": NUMBER,
        "host_unit": unit.pk,
        "purpose": "探亲",
        "phone": "13812345678",
        "vehicle_plate": "沪a12345",
    }
    data.update(overrides)
    return data


def staff_id(user):
    return user.staff_profile.pk


@pytest.fixture
def api_as():
    """``api_as(user)``: an APIClient sending the user's token (as tests/api/conftest.py)."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def supervisor(project):
    return StaffFactory(name="张敏", roles=[Role.SUPERVISOR], projects=[project]).user


# --- Registration, consent, sign-out ----------------------------------------------------


def test_a_visitor_is_registered_let_in_and_signed_out__VIS_03_VIS_04(api_as, unit, frontdesk):
    desk = api_as(frontdesk)
    with time_machine.travel(local("2025-05-06 10:00"), tick=False):
        created = desk.post(URL, payload(unit), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "pending"
    assert body["slip_number"].startswith("FK-lvcheng-20250506-")
    assert body["host_unit"] == unit.pk and body["host_unit_number"] == "1-101"
    assert body["registered_by"] == staff_id(frontdesk) == body["entered_by"]
    assert body["id_number_masked"] == NUMBER[:3] + "*" * 11 + NUMBER[-4:]
    assert body["vehicle_plate"] == "沪A12345"
    assert body["entered_at"] is None

    with time_machine.travel(local("2025-05-06 10:05"), tick=False):
        let_in = desk.post(
            f"{URL}{body['id']}/consent/", {"granted": True, "method": "intercom"}, format="json"
        )
    assert let_in.status_code == 200, let_in.json()
    assert let_in.json()["status"] == "inside"
    assert let_in.json()["consent_method"] == "intercom"
    assert let_in.json()["entered_at"] == "2025-05-06T10:05:00+08:00"

    with time_machine.travel(local("2025-05-06 11:30"), tick=False):
        out = desk.post(f"{URL}{body['id']}/sign_out/", {"host_signed": True}, format="json")
    assert out.status_code == 200, out.json()
    assert out.json()["status"] == "left"
    assert out.json()["left_at"] == "2025-05-06T11:30:00+08:00"
    assert out.json()["host_signed"] is True


def test_a_refusal_needs_a_note_and_is_recorded__VIS_03(api_as, register_visit, frontdesk):
    visit = register_visit()
    desk = api_as(frontdesk)

    bare = desk.post(f"{URL}{visit.pk}/consent/", {"granted": False}, format="json")
    assert bare.status_code == 400
    assert "note" in bare.json()

    refused = desk.post(
        f"{URL}{visit.pk}/consent/", {"granted": False, "note": "业主不认识此人"}, format="json"
    )
    assert refused.status_code == 200
    assert refused.json()["status"] == "refused"
    assert refused.json()["consent_note"] == "业主不认识此人"
    assert refused.json()["entered_at"] is None

    again = desk.post(f"{URL}{visit.pk}/consent/", {"granted": True}, format="json")
    assert again.status_code == 409


def test_an_invalid_number_is_a_400_naming_id_number__VIS_01(api_as, unit, frontdesk):
    wrong_check = NUMBER[:17] + ("0" if NUMBER[17] != "0" else "1")

    response = api_as(frontdesk).post(URL, payload(unit, id_number=wrong_check), format="json")

    assert response.status_code == 400
    assert "id_number" in response.json()
    assert not Visit.objects.exists()


def test_a_missing_host_is_a_400_naming_host_unit__VIS_02(api_as, unit, frontdesk):
    response = api_as(frontdesk).post(URL, payload(unit, host_unit=None), format="json")

    assert response.status_code == 400
    assert "host_unit" in response.json()


def test_a_company_host_is_accepted_in_the_callers_only_project__VIS_02(
    api_as, project, unit, frontdesk
):
    response = api_as(frontdesk).post(
        URL,
        payload(
            unit, host_unit=None, host_name="王强", host_department="客服部", host_position="经理"
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["project"] == "lvcheng"
    assert response.json()["host_unit"] is None


def test_staff_of_several_projects_name_the_project_for_a_company_host__VIS_02(
    api_as, project, other_project, unit
):
    both = StaffFactory(roles=[Role.FRONT_DESK], projects=[project, other_project]).user
    company_host = payload(unit, host_unit=None, host_name="王强", host_department="客服部")
    client = api_as(both)

    ambiguous = client.post(URL, company_host, format="json")
    assert ambiguous.status_code == 400
    assert "project" in ambiguous.json()

    named = client.post(URL, {**company_host, "project": "binjiang"}, format="json")
    assert named.status_code == 201, named.json()
    assert named.json()["project"] == "binjiang"

    foreign = client.post(URL, {**company_host, "project": "nowhere"}, format="json")
    assert foreign.status_code == 400
    assert "project" in foreign.json()


def test_a_unit_of_another_project_is_a_400_naming_host_unit(api_as, other_project, frontdesk):
    elsewhere = UnitFactory(building__project=other_project, number="9-901")

    response = api_as(frontdesk).post(URL, payload(elsewhere), format="json")

    assert response.status_code == 400
    assert "host_unit" in response.json()


def test_a_host_resident_must_live_in_the_host_unit__VIS_02(api_as, project, unit, frontdesk):
    host = ResidentFactory(unit=unit, name="陈静")
    neighbour = ResidentFactory(unit=UnitFactory(building__project=project, number="2-202"))
    client = api_as(frontdesk)

    wrong = client.post(URL, payload(unit, host_resident=neighbour.pk), format="json")
    assert wrong.status_code == 400
    assert "host_resident" in wrong.json()

    right = client.post(URL, payload(unit, host_resident=host.pk), format="json")
    assert right.status_code == 201
    assert right.json()["host_resident"] == host.pk
    assert right.json()["host_name"] == "陈静"


def test_a_blacklisted_document_is_a_400_on_id_number__VIS_07(api_as, project, unit, manager):
    blacklist_add(
        project=project,
        id_type="resident_id",
        id_number=NUMBER,
        name="张伟",
        reason="多次强行闯入",
        by=manager,
    )

    response = api_as(manager).post(URL, payload(unit), format="json")

    assert response.status_code == 400
    assert "多次强行闯入" in str(response.json()["id_number"])


def test_signing_out_twice_is_a_409__VIS_04(api_as, register_visit, frontdesk):
    visit = register_visit()
    desk = api_as(frontdesk)
    assert desk.post(f"{URL}{visit.pk}/sign_out/", {}, format="json").status_code == 409

    visit_consent(visit=visit, by=frontdesk, granted=True)
    assert desk.post(f"{URL}{visit.pk}/sign_out/", {}, format="json").status_code == 200
    second = desk.post(f"{URL}{visit.pk}/sign_out/", {}, format="json")

    assert second.status_code == 409
    assert Visit.objects.get().status == Visit.Status.LEFT


@pytest.mark.parametrize(("at", "night"), [("21:30", True), ("07:59", True), ("08:00", False)])
def test_night_registration_is_attributed_to_the_duty_manager__VIS_05(
    api_as, unit, frontdesk, duty, at, night
):
    with time_machine.travel(local(f"2025-05-06 {at}"), tick=False):
        response = api_as(frontdesk).post(URL, payload(unit), format="json")

    assert response.status_code == 201
    expected = duty if night else frontdesk
    assert response.json()["registered_by"] == staff_id(expected)
    assert response.json()["registered_by_name"] == expected.staff_profile.name
    assert response.json()["entered_by"] == staff_id(frontdesk)


# --- VIS-07: the number ------------------------------------------------------------------


def test_the_full_number_is_in_no_response__VIS_07(api_as, unit, frontdesk, manager):
    desk = api_as(frontdesk)
    bodies = []
    created = desk.post(URL, payload(unit), format="json")
    vid = created.json()["id"]
    bodies.append(created)
    bodies.append(desk.get(URL))
    bodies.append(desk.get(f"{URL}?search=张伟&inside=false"))
    bodies.append(desk.get(f"{URL}{vid}/"))
    bodies.append(desk.post(f"{URL}{vid}/consent/", {"granted": True}, format="json"))
    bodies.append(api_as(manager).get(f"{URL}?inside=true"))
    bodies.append(
        desk.post(
            f"{URL}{vid}/amend/",
            {"field": "purpose", "new_value": "送货", "reason": "笔误"},
            format="json",
        )
    )
    bodies.append(desk.post(f"{URL}{vid}/sign_out/", {}, format="json"))
    token = Visit.objects.values_list("id_number_encrypted", flat=True).get()

    for response in bodies:
        assert response.status_code in (200, 201)
        text = response.content.decode()
        assert NUMBER not in text
        assert NUMBER[6:14] not in text  # not even the birth date
        assert token not in text
        assert "id_number_encrypted" not in text and "id_hash" not in text
    assert created.json()["id_number_masked"].count("*") == 11


def test_only_authorised_roles_reveal_the_number_and_it_is_logged__VIS_07(
    api_as, register_visit, frontdesk, manager, supervisor, duty
):
    visit = register_visit(id_number=NUMBER)
    url = f"{URL}{visit.pk}/reveal/"

    refused = api_as(frontdesk).post(url, {"reason": "核对"}, format="json")
    assert refused.status_code == 403
    assert NUMBER not in refused.content.decode()
    assert not IdReveal.objects.exists()

    no_reason = api_as(manager).post(url, {}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()

    for who in (manager, supervisor, duty):
        shown = api_as(who).post(url, {"reason": "派出所协查"}, format="json")
        assert shown.status_code == 200
        assert shown.json() == {"id_number": NUMBER}
        assert shown["Cache-Control"] == "no-store"
    logged = IdReveal.objects.filter(visit=visit).order_by("id")
    assert [r.by for r in logged] == [manager, supervisor, duty]
    assert {r.reason for r in logged} == {"派出所协查"}


def test_a_purged_number_cannot_be_revealed__VIS_07(api_as, register_visit, manager):
    visit = register_visit()
    Visit.objects.filter(pk=visit.pk).update(
        id_number_encrypted="",
        id_hash="",
        id_number_masked="（已清除）",
        id_purged_at=timezone.now(),
    )

    response = api_as(manager).post(f"{URL}{visit.pk}/reveal/", {"reason": "核对"}, format="json")

    assert response.status_code == 409
    assert not IdReveal.objects.exists()


# --- VIS-06: corrections -----------------------------------------------------------------


def test_a_correction_is_appended_and_the_entry_kept__VIS_06(api_as, register_visit, frontdesk):
    visit = register_visit(visitor_name="张伟")
    desk = api_as(frontdesk)
    url = f"{URL}{visit.pk}/amend/"

    first = desk.post(
        url, {"field": "visitor_name", "new_value": "张玮", "reason": "证件核对"}, format="json"
    )
    second = desk.post(
        url, {"field": "visitor_name", "new_value": "章玮", "reason": "再次核对"}, format="json"
    )

    assert first.status_code == second.status_code == 200
    body = second.json()
    assert body["visitor_name"] == "张伟"  # the entry itself is never overwritten
    assert [(a["old_value"], a["new_value"]) for a in body["amendments"]] == [
        ("张伟", "张玮"),
        ("张玮", "章玮"),
    ]
    assert body["amendments"][0]["by"] == staff_id(frontdesk)
    assert Amendment.objects.filter(visit=visit).count() == 2

    forbidden = desk.post(
        url, {"field": "status", "new_value": "left", "reason": "x"}, format="json"
    )
    assert forbidden.status_code == 400
    assert "field" in forbidden.json()


# --- Scope and roles ---------------------------------------------------------------------


def test_staff_of_another_project_get_404(api_as, register_visit, outsider):
    visit = register_visit()
    client = api_as(outsider)

    assert client.get(f"{URL}{visit.pk}/").status_code == 404
    assert client.post(f"{URL}{visit.pk}/consent/", {"granted": True}).status_code == 404
    assert client.post(f"{URL}{visit.pk}/reveal/", {"reason": "x"}).status_code == 404
    assert client.get(URL).json()["results"] == []


def test_a_resident_sees_only_visits_to_their_unit_and_cannot_write(
    api_as, project, unit, owner, register_visit, frontdesk
):
    mine = register_visit(host_unit=unit)
    register_visit(host_unit=UnitFactory(building__project=project, number="1-1011"))
    register_visit(host_unit=None, host_name="王强", host_department="客服部")
    client = api_as(owner)

    listed = client.get(URL)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [mine.pk]
    assert listed.json()["results"][0]["phone"] == ""
    assert client.get(f"{URL}{mine.pk}/").status_code == 200

    assert client.post(URL, payload(unit), format="json").status_code == 403
    for name in ("consent", "sign_out", "amend", "reveal"):
        assert client.post(f"{URL}{mine.pk}/{name}/", {}, format="json").status_code == 403
    assert Visit.objects.get(pk=mine.pk).status == Visit.Status.PENDING


def test_contractors_get_403(api_as, project):
    contractor = StaffFactory(roles=[Role.CONTRACTOR], projects=[]).user

    assert api_as(contractor).get(URL).status_code == 403


def test_anonymous_callers_get_401(api_as):
    assert api_as(None).get(URL).status_code in (401, 403)


# --- Filters, paging, query count ---------------------------------------------------------


def test_filters_by_status_day_inside_and_search(api_as, register_visit, frontdesk):
    with time_machine.travel(local("2025-05-05 23:59"), tick=False):
        yesterday = register_visit(visitor_name="李四")
    with time_machine.travel(local("2025-05-06 00:01"), tick=False):
        inside = register_visit(visitor_name="张伟")
        visit_consent(visit=inside, by=frontdesk, granted=True)
        pending = register_visit(visitor_name="王五")
    client = api_as(frontdesk)

    def ids(query: str) -> list[int]:
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("date=2025-05-06") == [pending.pk, inside.pk]
    assert ids("date=2025-05-05") == [yesterday.pk]
    assert ids("inside=true") == [inside.pk]
    assert ids("inside=false") == [pending.pk, yesterday.pk]
    assert ids("status=pending") == [pending.pk, yesterday.pk]
    assert ids("search=张") == [inside.pk]
    assert ids(f"search={yesterday.slip_number}") == [yesterday.pk]
    assert ids("search=FK-lvcheng-20250506") == [pending.pk, inside.pk]


def test_the_list_pages_by_cursor(api_as, register_visit, frontdesk):
    visits = [register_visit() for _ in range(3)]

    first = api_as(frontdesk).get(f"{URL}?page_size=2").json()
    second = api_as(frontdesk).get(first["next"]).json()

    assert [r["id"] for r in first["results"]] == [visits[2].pk, visits[1].pk]
    assert [r["id"] for r in second["results"]] == [visits[0].pk]
    assert "count" not in first


def test_the_list_costs_the_same_queries_whatever_its_length(
    api_as, project, register_visit, frontdesk, duty
):
    client = api_as(frontdesk)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    register_visit()
    few = count()
    other_unit = UnitFactory(building__project=project, number="3-303")
    for i in range(6):
        visit = register_visit(
            host_unit=other_unit if i % 2 else None,
            host_name="王强",
            host_department="客服部",
            by=duty if i % 3 else frontdesk,
        )
        if i % 2:
            visit_consent(visit=visit, by=frontdesk, granted=True)
    assert Visit.objects.count() == 7
    assert count() == few


def test_a_visitor_inside_since_an_earlier_day_stays_listed_and_flagged__VIS_04(
    api_as, register_visit, frontdesk
):
    with time_machine.travel(timezone.now() - timedelta(days=3), tick=False):
        old = register_visit()
        visit_consent(visit=old, by=frontdesk, granted=True)
    flag_visitors_still_inside(timezone.now())

    rows = api_as(frontdesk).get(f"{URL}?inside=true").json()["results"]

    assert [(r["id"], r["flagged_inside"]) for r in rows] == [(old.pk, True)]
