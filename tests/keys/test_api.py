"""Key custody through the API (API.md ``keys/``, ``key-loans/``, ``key-*``;
KEY-01..10, ORG-01, ORG-02, ORG-04)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from keys import services
from keys.models import CopyRequest, EmergencyUse, Entrustment, Incident, Key, Loan
from servicedesk.core.models import Department, Event, Resident, Role
from tests.factories import ResidentFactory, StaffFactory, UnitFactory, UserFactory
from tests.keys.conftest import local

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/keys/"
LOANS = "/api/v1/key-loans/"
ENTRUSTMENTS = "/api/v1/key-entrustments/"
EMERGENCIES = "/api/v1/key-emergencies/"
LOCK_CHANGES = "/api/v1/key-lock-changes/"
HANDOVERS = "/api/v1/key-handovers/"
REPORTS = "/api/v1/key-reports/"


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


def staff_id(user) -> int:
    return user.staff_profile.pk


def key_status(client, key) -> str:
    response = client.get(f"{KEYS}{key.pk}/")
    assert response.status_code == 200, response.json()
    return response.json()["status"]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


# --- keys/: the register (KEY-01, KEY-02) -------------------------------------------------


def test_staff_register_a_key_and_read_it_back__KEY_01(api_as, project, unit, frontdesk):
    engineering = Department.objects.create(code="engineering", name="工程部")
    desk = api_as(frontdesk)

    created = desk.post(
        KEYS,
        {
            "tag": "G-100",
            "kind": "plant_room",
            "opens": "1栋 水泵房",
            "unit": unit.pk,
            "cabinet_position": "A-09",
            "custodian_department": engineering.pk,
            "note": "备用",
        },
        format="json",
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["tag"], body["kind"], body["status"]) == ("G-100", "plant_room", "available")
    assert (body["unit"], body["unit_number"]) == (unit.pk, "1-101")
    assert body["opens"] == "1栋 水泵房" and body["cabinet_position"] == "A-09"
    assert body["custodian"] == staff_id(frontdesk)
    assert body["custodian_department"] == engineering.pk
    assert body["project"] == "lvcheng"
    assert body["current_loan"] is None
    key = Key.objects.get(pk=body["id"])
    assert (key.project, key.registered_by) == (project, frontdesk)
    assert desk.get(f"{KEYS}{key.pk}/").json() == body


def test_an_owner_spare_key_is_not_registered_without_its_entrustment__KEY_02(
    api_as, unit, frontdesk
):
    response = api_as(frontdesk).post(
        KEYS,
        {"tag": "Y-900", "kind": "owner_spare", "opens": "1-101 入户门", "unit": unit.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "kind" in response.json()
    assert "委托书" in response.json()["kind"][0]
    assert not Key.objects.filter(tag="Y-900").exists()


def test_a_tag_already_registered_is_a_400_naming_tag__KEY_01(api_as, public_key, frontdesk):
    response = api_as(frontdesk).post(
        KEYS, {"tag": "G-001", "kind": "other", "opens": "配电房"}, format="json"
    )

    assert response.status_code == 400
    assert "tag" in response.json()
    assert Key.objects.filter(tag="G-001").count() == 1


def test_a_unit_of_another_project_is_a_400_naming_unit(api_as, other_project, frontdesk):
    elsewhere = UnitFactory(building__project=other_project, number="9-901")

    response = api_as(frontdesk).post(
        KEYS, {"tag": "G-2", "kind": "other", "opens": "门", "unit": elsewhere.pk}, format="json"
    )

    assert response.status_code == 400
    assert "unit" in response.json()
    assert not Key.objects.exists()


def test_status_and_custody_cannot_be_set_when_registering(api_as, frontdesk, manager):
    response = api_as(frontdesk).post(
        KEYS,
        {
            "tag": "G-3",
            "kind": "other",
            "opens": "配电房",
            "status": "sealed",
            "custodian": staff_id(manager),
            "project": "",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "available"
    assert response.json()["custodian"] == staff_id(frontdesk)


def test_the_key_list_filters_by_status_kind_unit_and_search(
    api_as, project, unit, public_key, spare_key, loan_out, frontdesk
):
    plant = services.key_register(
        project=project, tag="P-01", kind=Key.Kind.PLANT_ROOM, opens="配电房", by=frontdesk
    )
    loan_out(plant)
    client = api_as(frontdesk)

    assert ids(client.get(f"{KEYS}?status=on_loan")) == [plant.pk]
    assert ids(client.get(f"{KEYS}?kind=owner_spare")) == [spare_key.pk]
    assert ids(client.get(f"{KEYS}?unit={unit.pk}")) == [spare_key.pk]
    assert ids(client.get(f"{KEYS}?search=1-101")) == [spare_key.pk]
    assert ids(client.get(f"{KEYS}?search=G-")) == [public_key.pk]
    assert ids(client.get(f"{KEYS}?search=配电")) == [plant.pk]
    assert ids(client.get(KEYS)) == [plant.pk, spare_key.pk, public_key.pk]


def test_the_key_shows_the_loan_now_out(api_as, public_key, loan_out, frontdesk):
    with time_machine.travel(local("2026-03-10 09:00"), tick=False):
        loan = loan_out(public_key, borrower_name="孙工")

    row = api_as(frontdesk).get(KEYS).json()["results"][0]

    assert row["status"] == "on_loan"
    assert row["current_loan"] == {
        "id": loan.pk,
        "number": loan.number,
        "borrower": "孙工",
        "due_at": "2026-03-10T23:59:59.999999+08:00",
    }


# --- Scope and roles (ORG-01, ORG-02) -----------------------------------------------------


def test_resident_sees_only_own_unit_keys(
    api_as, project, unit, owner, spare_key, public_key, frontdesk
):
    neighbour = UnitFactory(building__project=project, number="1-1011")
    theirs = services.key_register(
        project=project,
        tag="N-1011",
        kind=Key.Kind.OTHER,
        opens="信箱",
        unit=neighbour,
        by=frontdesk,
    )
    client = api_as(owner)

    assert ids(client.get(KEYS)) == [spare_key.pk]
    assert client.get(f"{KEYS}{spare_key.pk}/").status_code == 200
    assert client.get(f"{KEYS}{theirs.pk}/").status_code == 404
    assert client.get(f"{KEYS}{public_key.pk}/").status_code == 404


def test_residents_only_read_keys_and_loans(api_as, owner, spare_key, request_loan):
    loan = request_loan(spare_key)
    client = api_as(owner)

    assert client.post(KEYS, {"tag": "X", "kind": "other", "opens": "门"}).status_code == 403
    for name in ("incident", "unseal", "emergency", "copy_request"):
        assert client.post(f"{KEYS}{spare_key.pk}/{name}/", {}).status_code == 403
    assert client.post(LOANS, {"key": spare_key.pk, "purpose": "x"}).status_code == 403
    for name in ("approve", "reject", "checkout", "return", "cancel"):
        assert client.post(f"{LOANS}{loan.pk}/{name}/", {}).status_code == 403
    for url in (LOCK_CHANGES, HANDOVERS, REPORTS):
        assert client.get(url).status_code == 403
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REQUESTED


def test_other_project_key_is_404(api_as, public_key, request_loan, outsider):
    loan = request_loan(public_key)
    client = api_as(outsider)

    assert client.get(f"{KEYS}{public_key.pk}/").status_code == 404
    assert client.get(f"{LOANS}{loan.pk}/").status_code == 404
    assert client.post(f"{KEYS}{public_key.pk}/incident/", {"kind": "lost"}).status_code == 404
    assert client.post(f"{LOANS}{loan.pk}/approve/", {}).status_code == 404
    assert client.get(KEYS).json()["results"] == []
    assert client.get(LOANS).json()["results"] == []


def test_a_loan_for_a_key_of_another_project_is_a_400_naming_key(api_as, public_key, outsider):
    response = api_as(outsider).post(
        LOANS, {"key": public_key.pk, "purpose": "维修"}, format="json"
    )

    assert response.status_code == 400
    assert "key" in response.json()
    assert not Loan.objects.exists()


def test_contractors_get_403_and_anonymous_callers_401(api_as, public_key):
    contractor = StaffFactory(roles=[Role.CONTRACTOR], projects=[]).user

    assert api_as(contractor).get(KEYS).status_code == 403
    assert api_as(None).get(KEYS).status_code in (401, 403)


# --- key-loans/: request → approve → checkout → return (KEY-03, KEY-04) -------------------


def test_a_loan_is_requested_approved_checked_out_and_returned__KEY_03(
    api_as, public_key, frontdesk, manager
):
    desk, boss = api_as(frontdesk), api_as(manager)

    with time_machine.travel(local("2026-03-10 09:00"), tick=False):
        created = desk.post(
            LOANS,
            {
                "key": public_key.pk,
                "purpose": "维修天台水箱",
                "borrower_name": "孙工",
                "borrower_unit": "工程部",
                "borrower_phone": "13800000001",
            },
            format="json",
        )
    assert created.status_code == 201, created.json()
    loan = created.json()
    assert loan["status"] == "requested"
    assert (loan["key"], loan["key_tag"]) == (public_key.pk, "G-001")
    assert loan["requested_by"] == staff_id(frontdesk)
    assert loan["approved_by"] is None and loan["out_at"] is None and loan["due_at"] is None
    assert loan["overdue"] is False
    assert key_status(desk, public_key) == "available"

    with time_machine.travel(local("2026-03-10 09:10"), tick=False):
        approved = boss.post(f"{LOANS}{loan['id']}/approve/", {"note": "同意"}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == staff_id(manager)
    assert approved.json()["approved_at"] == "2026-03-10T09:10:00+08:00"
    assert approved.json()["decision_note"] == "同意"
    assert key_status(desk, public_key) == "available"

    with time_machine.travel(local("2026-03-10 09:30"), tick=False):
        out = desk.post(f"{LOANS}{loan['id']}/checkout/")
    assert out.status_code == 200, out.json()
    assert out.json()["status"] == "out"
    assert out.json()["out_at"] == "2026-03-10T09:30:00+08:00"
    assert out.json()["due_at"] == "2026-03-10T23:59:59.999999+08:00"
    assert key_status(desk, public_key) == "on_loan"
    assert desk.get(f"{KEYS}{public_key.pk}/").json()["current_loan"]["id"] == loan["id"]

    with time_machine.travel(local("2026-03-10 16:00"), tick=False):
        back = desk.post(f"{LOANS}{loan['id']}/return/", {"condition": "good"}, format="json")
    assert back.status_code == 200, back.json()
    assert back.json()["status"] == "returned"
    assert back.json()["returned_at"] == "2026-03-10T16:00:00+08:00"
    assert back.json()["received_by"] == staff_id(frontdesk)
    assert back.json()["overdue"] is False
    assert key_status(desk, public_key) == "available"
    assert desk.get(f"{KEYS}{public_key.pk}/").json()["current_loan"] is None


def test_front_desk_cannot_approve_a_loan__KEY_03(api_as, public_key, request_loan, project):
    loan = request_loan(public_key)
    other_desk = StaffFactory(roles=[Role.FRONT_DESK], projects=[project]).user

    response = api_as(other_desk).post(f"{LOANS}{loan.pk}/approve/", {}, format="json")

    assert response.status_code == 403
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REQUESTED and loan.approved_by is None


def test_requester_cannot_approve_own_loan__ORG_04(api_as, public_key, manager, duty):
    client = api_as(manager)
    created = client.post(LOANS, {"key": public_key.pk, "purpose": "巡查"}, format="json")
    assert created.status_code == 201, created.json()

    own = client.post(f"{LOANS}{created.json()['id']}/approve/", {}, format="json")
    assert own.status_code == 403
    assert Loan.objects.get().status == Loan.Status.REQUESTED

    other = api_as(duty).post(f"{LOANS}{created.json()['id']}/approve/", {}, format="json")
    assert other.status_code == 200
    assert other.json()["approved_by"] == staff_id(duty)


def test_a_loan_cannot_go_out_before_approval__KEY_03(api_as, public_key, request_loan, frontdesk):
    loan = request_loan(public_key)

    response = api_as(frontdesk).post(f"{LOANS}{loan.pk}/checkout/")

    assert response.status_code == 409
    assert key_status(api_as(frontdesk), public_key) == "available"


def test_same_day_loan_due_at_end_of_local_day__KEY_04(api_as, public_key, manager, frontdesk):
    desk = api_as(frontdesk)
    # 00:30 in Shanghai is still the previous day in UTC: the local day counts.
    with time_machine.travel(local("2026-03-10 00:30"), tick=False):
        loan = desk.post(LOANS, {"key": public_key.pk, "purpose": "抢修"}, format="json").json()
        api_as(manager).post(f"{LOANS}{loan['id']}/approve/", {}, format="json")
        out = desk.post(f"{LOANS}{loan['id']}/checkout/")

    assert out.status_code == 200, out.json()
    assert out.json()["due_at"] == "2026-03-10T23:59:59.999999+08:00"
    with time_machine.travel(local("2026-03-10 23:59"), tick=False):
        assert desk.get(f"{LOANS}{loan['id']}/").json()["overdue"] is False
    with time_machine.travel(local("2026-03-11 00:00"), tick=False):
        assert desk.get(f"{LOANS}{loan['id']}/").json()["overdue"] is True
        assert ids(desk.get(LOANS)) == [loan["id"]]
        assert desk.get(LOANS).json()["results"][0]["overdue"] is True


def test_maintenance_loan_shows_its_requested_return_time_until_it_goes_out__KEY_04(
    api_as, public_key, manager, frontdesk
):
    desk = api_as(frontdesk)
    with time_machine.travel(local("2026-03-10 09:00"), tick=False):
        created = desk.post(
            LOANS,
            {
                "key": public_key.pk,
                "purpose": "更换水泵",
                "maintenance": True,
                "due_at": "2026-03-12T18:00:00+08:00",
            },
            format="json",
        )
        assert created.status_code == 201, created.json()
        loan = created.json()
        assert loan["maintenance"] is True
        assert loan["due_at"] == loan["requested_due_at"] == "2026-03-12T18:00:00+08:00"
        api_as(manager).post(f"{LOANS}{loan['id']}/approve/", {}, format="json")
        out = desk.post(f"{LOANS}{loan['id']}/checkout/")

    assert out.json()["status"] == "out"
    assert out.json()["due_at"] == "2026-03-12T18:00:00+08:00"
    with time_machine.travel(local("2026-03-11 09:00"), tick=False):
        assert desk.get(f"{LOANS}{loan['id']}/").json()["overdue"] is False


def test_maintenance_due_time_in_the_past_is_a_400_naming_due_at__KEY_04(
    api_as, public_key, frontdesk
):
    with time_machine.travel(local("2026-03-10 09:00"), tick=False):
        response = api_as(frontdesk).post(
            LOANS,
            {
                "key": public_key.pk,
                "purpose": "更换水泵",
                "maintenance": True,
                "due_at": "2026-03-09T18:00:00+08:00",
            },
            format="json",
        )

    assert response.status_code == 400
    assert "due_at" in response.json()
    assert not Loan.objects.exists()


def test_a_later_return_on_an_ordinary_loan_is_a_400_naming_due_at__KEY_04(
    api_as, public_key, frontdesk
):
    response = api_as(frontdesk).post(
        LOANS,
        {"key": public_key.pk, "purpose": "巡查", "due_at": "2099-01-01T10:00:00+08:00"},
        format="json",
    )

    assert response.status_code == 400
    assert "due_at" in response.json()
    assert not Loan.objects.exists()


def test_loan_status_and_approval_cannot_be_set_directly(api_as, public_key, frontdesk, manager):
    response = api_as(frontdesk).post(
        LOANS,
        {
            "key": public_key.pk,
            "purpose": "巡查",
            "status": "out",
            "approved_by": staff_id(manager),
            "out_at": "2026-03-10T09:00:00+08:00",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "requested"
    assert response.json()["approved_by"] is None and response.json()["out_at"] is None
    assert key_status(api_as(frontdesk), public_key) == "available"


def test_second_loan_for_key_on_loan_is_409__KEY_05(api_as, public_key, loan_out, frontdesk):
    loan_out(public_key)

    response = api_as(frontdesk).post(
        LOANS, {"key": public_key.pk, "purpose": "另一个事由"}, format="json"
    )

    assert response.status_code == 409
    assert Loan.objects.filter(key=public_key).count() == 1


def test_second_request_while_one_is_pending_is_409__KEY_05(
    api_as, public_key, request_loan, frontdesk
):
    request_loan(public_key)

    response = api_as(frontdesk).post(
        LOANS, {"key": public_key.pk, "purpose": "另一个事由"}, format="json"
    )

    assert response.status_code == 409
    assert Loan.objects.filter(key=public_key).count() == 1


def test_checking_out_a_key_not_in_the_cabinet_is_409__KEY_05(
    api_as, public_key, request_loan, manager, frontdesk
):
    loan = request_loan(public_key)
    services.loan_approve(loan=loan, by=manager)
    services.incident_record(key=public_key, kind=Incident.Kind.LOST, note="找不到", by=frontdesk)
    desk = api_as(frontdesk)

    response = desk.post(f"{LOANS}{loan.pk}/checkout/")

    assert response.status_code == 409
    assert desk.get(f"{LOANS}{loan.pk}/").json()["status"] == "approved"
    assert key_status(desk, public_key) == "lost"


def test_checking_out_a_loan_already_out_is_409__KEY_05(api_as, public_key, loan_out, frontdesk):
    loan = loan_out(public_key)

    response = api_as(frontdesk).post(f"{LOANS}{loan.pk}/checkout/")

    assert response.status_code == 409
    assert Event.objects.filter(object_id=str(loan.pk), action="out").count() == 1


def test_returning_a_key_not_out_is_409(api_as, public_key, request_loan, frontdesk):
    loan = request_loan(public_key)

    response = api_as(frontdesk).post(f"{LOANS}{loan.pk}/return/", {}, format="json")

    assert response.status_code == 409
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REQUESTED and loan.returned_at is None


def test_a_damaged_or_lost_return_needs_a_note_and_is_recorded__KEY_09(
    api_as, public_key, loan_out, frontdesk
):
    loan = loan_out(public_key)
    desk = api_as(frontdesk)

    bare = desk.post(f"{LOANS}{loan.pk}/return/", {"condition": "lost"}, format="json")
    assert bare.status_code == 400
    assert "note" in bare.json()

    lost = desk.post(
        f"{LOANS}{loan.pk}/return/", {"condition": "lost", "note": "施工中遗失"}, format="json"
    )
    assert lost.status_code == 200, lost.json()
    assert lost.json()["return_condition"] == "lost"
    assert key_status(desk, public_key) == "lost"
    assert Incident.objects.get(key=public_key).kind == Incident.Kind.LOST


def test_a_rejection_needs_a_note_and_frees_the_key(
    api_as, public_key, request_loan, manager, frontdesk
):
    loan = request_loan(public_key)
    boss = api_as(manager)

    assert boss.post(f"{LOANS}{loan.pk}/reject/", {"note": ""}, format="json").status_code == 400
    rejected = boss.post(f"{LOANS}{loan.pk}/reject/", {"note": "非工作需要"}, format="json")

    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_note"] == "非工作需要"
    again = api_as(frontdesk).post(LOANS, {"key": public_key.pk, "purpose": "巡查"}, format="json")
    assert again.status_code == 201


def test_a_request_not_yet_out_can_be_cancelled(
    api_as, public_key, loan_out, request_loan, frontdesk
):
    loan = request_loan(public_key)
    desk = api_as(frontdesk)

    cancelled = desk.post(f"{LOANS}{loan.pk}/cancel/", {"reason": "不用了"}, format="json")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"

    out = loan_out(public_key)
    assert desk.post(f"{LOANS}{out.pk}/cancel/", {}, format="json").status_code == 409


def test_a_resident_sees_loans_of_their_unit_without_the_borrower_phone(
    api_as, owner, spare_key, public_key, request_loan, frontdesk
):
    mine = request_loan(spare_key, borrower_phone="13800000001")
    request_loan(public_key)

    rows = api_as(owner).get(LOANS).json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert rows[0]["borrower_phone"] == ""
    assert api_as(frontdesk).get(f"{LOANS}{mine.pk}/").json()["borrower_phone"] == "13800000001"


def test_the_loan_list_filters_by_status_and_key(
    api_as, project, public_key, loan_out, request_loan, frontdesk
):
    other = services.key_register(
        project=project, tag="G-002", kind=Key.Kind.PUBLIC_AREA, opens="2栋 天台门", by=frontdesk
    )
    out = loan_out(public_key)
    waiting = request_loan(other)
    client = api_as(frontdesk)

    assert ids(client.get(f"{LOANS}?status=out")) == [out.pk]
    assert ids(client.get(f"{LOANS}?status=requested")) == [waiting.pk]
    assert ids(client.get(f"{LOANS}?key={other.pk}")) == [waiting.pk]


def test_the_loan_list_pages_by_cursor(api_as, project, request_loan, frontdesk):
    loans = [
        request_loan(
            services.key_register(
                project=project, tag=f"C-{i}", kind=Key.Kind.OTHER, opens="门", by=frontdesk
            )
        )
        for i in range(3)
    ]
    client = api_as(frontdesk)

    first = client.get(f"{LOANS}?page_size=2").json()
    second = client.get(first["next"]).json()

    assert [r["id"] for r in first["results"]] == [loans[2].pk, loans[1].pk]
    assert [r["id"] for r in second["results"]] == [loans[0].pk]
    assert "count" not in first


# --- key-entrustments/ (KEY-02) -----------------------------------------------------------


def test_an_entrustment_is_recorded_and_confirmed_by_the_owner_in_the_portal__KEY_02(
    api_as, unit, owner, owner_resident, frontdesk
):
    created = api_as(frontdesk).post(
        ENTRUSTMENTS,
        {
            "resident": owner_resident.pk,
            "allowed_uses": ["emergency", "maintenance"],
            "valid_until": "2099-12-31",
            "key_tag": "Y-101",
            "cabinet_position": "B-01",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "pending" and body["confirmation"] == ""
    assert (body["unit"], body["resident"]) == (unit.pk, owner_resident.pk)
    assert body["allowed_uses"] == ["emergency", "maintenance"]
    key = Key.objects.get(tag="Y-101")
    assert body["keys"] == [key.pk]
    assert key.kind == Key.Kind.OWNER_SPARE and key.entrustment_id == body["id"]

    resident = api_as(owner)
    assert ids(resident.get(ENTRUSTMENTS)) == [body["id"]]
    confirmed = resident.post(f"{ENTRUSTMENTS}{body['id']}/confirm/", {}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "active"
    assert confirmed.json()["confirmation"] == "portal"
    assert resident.post(f"{ENTRUSTMENTS}{body['id']}/confirm/", {}).status_code == 409


def test_staff_record_the_signed_paper_entrustment__KEY_02(api_as, owner_resident, frontdesk):
    entrustment = services.entrustment_create(
        resident=owner_resident,
        allowed_uses=["maintenance"],
        valid_until=date(2099, 1, 1),
        key_tag="Y-102",
        by=frontdesk,
    )

    response = api_as(frontdesk).post(
        f"{ENTRUSTMENTS}{entrustment.pk}/confirm/", {"method": "paper"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["confirmation"]) == ("active", "paper")


def test_only_the_entrusting_owner_confirms_online__KEY_02(api_as, unit, owner_resident, frontdesk):
    entrustment = services.entrustment_create(
        resident=owner_resident,
        allowed_uses=["maintenance"],
        valid_until=date(2099, 1, 1),
        key_tag="Y-103",
        by=frontdesk,
    )
    tenant = UserFactory(username="tenant101")
    ResidentFactory(unit=unit, user=tenant, kind=Resident.Kind.TENANT)

    assert api_as(tenant).post(f"{ENTRUSTMENTS}{entrustment.pk}/confirm/", {}).status_code == 403
    paper = api_as(tenant).post(f"{ENTRUSTMENTS}{entrustment.pk}/confirm/", {"method": "paper"})
    assert paper.status_code == 403
    entrustment.refresh_from_db()
    assert entrustment.status == Entrustment.Status.PENDING


def test_an_entrustment_by_a_tenant_or_without_uses_is_a_400_naming_the_field__KEY_02(
    api_as, unit, frontdesk
):
    tenant = ResidentFactory(unit=unit, kind=Resident.Kind.TENANT)

    response = api_as(frontdesk).post(
        ENTRUSTMENTS,
        {
            "resident": tenant.pk,
            "allowed_uses": ["swim"],
            "valid_until": "2099-12-31",
            "key_tag": "Y",
        },
        format="json",
    )

    assert response.status_code == 400
    assert {"resident", "allowed_uses"} <= set(response.json())
    assert not Entrustment.objects.exists()


def test_revoking_an_entrustment_returns_the_key_to_the_owner__KEY_02(api_as, spare_key, frontdesk):
    desk = api_as(frontdesk)

    assert (
        desk.post(f"{ENTRUSTMENTS}{spare_key.entrustment_id}/revoke/", {"reason": ""}).status_code
        == 400
    )
    revoked = desk.post(
        f"{ENTRUSTMENTS}{spare_key.entrustment_id}/revoke/", {"reason": "业主收回"}, format="json"
    )

    assert revoked.status_code == 200, revoked.json()
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["revoke_reason"] == "业主收回"
    assert key_status(desk, spare_key) == "returned"


# --- Emergency use (KEY-07) ---------------------------------------------------------------


def test_an_emergency_use_is_opened_attempted_entered_closed_and_reviewed__KEY_07(
    api_as, owner, spare_key, duty, manager, frontdesk
):
    assert (
        api_as(frontdesk)
        .post(f"{KEYS}{spare_key.pk}/emergency/", {"kind": "water_leak", "reason": "楼下漏水"})
        .status_code
        == 403
    )
    on_duty = api_as(duty)

    opened = on_duty.post(
        f"{KEYS}{spare_key.pk}/emergency/",
        {"kind": "water_leak", "reason": "楼下报漏水"},
        format="json",
    )
    assert opened.status_code == 200, opened.json()
    use = opened.json()
    assert (use["status"], use["kind"], use["key"]) == ("open", "water_leak", spare_key.pk)
    assert use["opened_by"] == staff_id(duty)
    assert key_status(on_duty, spare_key) == "on_loan"
    assert Loan.objects.get(pk=use["loan"]).emergency is True
    url = f"{EMERGENCIES}{use['id']}/"

    too_soon = on_duty.post(f"{url}enter/", {"witness_name": "保安小王"}, format="json")
    assert too_soon.status_code == 400
    assert "attempts" in too_soon.json()

    attempt = {"whom": "owner", "name": "陈静", "method": "phone", "result": "no_answer"}
    tried = on_duty.post(f"{url}attempt/", {**attempt, "phone": "13800000002"}, format="json")
    assert tried.status_code == 200, tried.json()
    assert [a["whom"] for a in tried.json()["attempts"]] == ["owner"]
    # The owner was unreachable and has an emergency contact: try them first.
    assert on_duty.post(f"{url}enter/", {"witness_name": "保安小王"}).status_code == 400
    contact = {**attempt, "whom": "emergency_contact", "name": "陈父"}
    assert on_duty.post(f"{url}attempt/", contact, format="json").status_code == 200

    assert on_duty.post(f"{url}enter/", {"witness_name": ""}).status_code == 400
    with time_machine.travel(local("2026-03-10 10:00"), tick=False):
        entered = on_duty.post(f"{url}enter/", {"witness_name": "保安小王"}, format="json")
    assert entered.status_code == 200, entered.json()
    assert entered.json()["entered_at"] == "2026-03-10T10:00:00+08:00"
    assert on_duty.post(f"{url}attempt/", attempt, format="json").status_code == 409

    with time_machine.travel(local("2026-03-10 10:40"), tick=False):
        closed = on_duty.post(f"{url}close/", {"outcome": "关闭进水阀"}, format="json")
    assert closed.status_code == 200, closed.json()
    assert closed.json()["status"] == "closed"
    assert closed.json()["exited_at"] == "2026-03-10T10:40:00+08:00"
    assert key_status(on_duty, spare_key) == "available"

    assert on_duty.post(f"{url}review/", {"note": "处置得当"}).status_code == 403  # ORG-04
    reviewed = api_as(manager).post(f"{url}review/", {"note": "处置得当"}, format="json")
    assert reviewed.status_code == 200, reviewed.json()
    assert reviewed.json()["status"] == "reviewed"
    assert reviewed.json()["reviewed_by"] == staff_id(manager)

    # The owner reads what happened in their flat; phones of the people tried are masked.
    seen = api_as(owner).get(url)
    assert seen.status_code == 200
    assert seen.json()["outcome"] == "关闭进水阀"
    assert seen.json()["attempts"][0]["phone"] == "138****0002"
    assert on_duty.get(url).json()["attempts"][0]["phone"] == "13800000002"


def test_a_resident_sees_only_emergencies_in_their_own_unit(
    api_as, project, owner, spare_key, duty, frontdesk
):
    elsewhere = services.key_register(
        project=project, tag="P-9", kind=Key.Kind.PLANT_ROOM, opens="配电房", by=frontdesk
    )
    mine = services.emergency_open(key=spare_key, kind="fire", reason="烟感报警", by=duty)
    services.emergency_open(key=elsewhere, kind="fire", reason="烟感报警", by=duty)

    assert ids(api_as(owner).get(EMERGENCIES)) == [mine.pk]
    assert EmergencyUse.objects.count() == 2


# --- Lock changes and sealing (KEY-08) ----------------------------------------------------


def test_a_lock_change_retires_the_old_key_and_the_new_one_is_sealed_then_unsealed__KEY_08(
    api_as, public_key, engineer, duty, frontdesk
):
    security = Department.objects.create(code="security", name="秩序维护部")
    with time_machine.travel(local("2026-03-10 15:00"), tick=False):
        created = api_as(engineer).post(
            LOCK_CHANGES,
            {
                "location": "1栋 天台门",
                "reason": "锁芯损坏",
                "new_tag": "G-001A",
                "old_key": public_key.pk,
                "departments_told": [security.pk],
            },
            format="json",
        )
    assert created.status_code == 201, created.json()
    change = created.json()
    assert change["status"] == "awaiting_seal"
    assert change["seal_due_at"] == "2026-03-11T15:00:00+08:00"
    assert change["departments_told"] == [security.pk]
    assert change["old_key"] == public_key.pk and change["new_key_tag"] == "G-001A"
    desk = api_as(frontdesk)
    assert key_status(desk, public_key) == "retired"
    new_key = Key.objects.get(pk=change["new_key"])
    assert key_status(desk, new_key) == "awaiting_seal"

    assert desk.post(f"{LOCK_CHANGES}{change['id']}/seal/", {}).status_code == 403
    sealed = api_as(duty).post(
        f"{LOCK_CHANGES}{change['id']}/seal/", {"seal_number": "F-0001"}, format="json"
    )
    assert sealed.status_code == 200, sealed.json()
    assert (sealed.json()["status"], sealed.json()["seal_number"]) == ("sealed", "F-0001")
    assert sealed.json()["sealed_by"] == staff_id(duty)
    assert key_status(desk, new_key) == "sealed"
    assert api_as(duty).post(f"{LOCK_CHANGES}{change['id']}/seal/", {}).status_code == 409

    assert desk.post(f"{KEYS}{new_key.pk}/unseal/", {"reason": "启用"}).status_code == 403
    unsealed = api_as(duty).post(f"{KEYS}{new_key.pk}/unseal/", {"reason": "启用"}, format="json")
    assert unsealed.status_code == 200, unsealed.json()
    assert unsealed.json()["status"] == "available"


def test_front_desk_cannot_record_a_lock_change__KEY_08(api_as, frontdesk):
    response = api_as(frontdesk).post(
        LOCK_CHANGES, {"location": "门", "reason": "坏了", "new_tag": "Z-1"}, format="json"
    )

    assert response.status_code == 403
    assert not Key.objects.exists()


# --- Incidents and copies (KEY-09, KEY-06) ------------------------------------------------


def test_a_lost_key_is_recorded_and_found_again__KEY_09(api_as, public_key, frontdesk):
    desk = api_as(frontdesk)

    assert (
        desk.post(f"{KEYS}{public_key.pk}/incident/", {"kind": "found", "note": "x"}).status_code
        == 409
    )
    lost = desk.post(
        f"{KEYS}{public_key.pk}/incident/", {"kind": "lost", "note": "巡查时遗失"}, format="json"
    )
    assert lost.status_code == 200, lost.json()
    assert lost.json()["status"] == "lost"
    found = desk.post(f"{KEYS}{public_key.pk}/incident/", {"kind": "found", "note": "已找回"})
    assert found.json()["status"] == "available"
    assert list(Incident.objects.order_by("at", "pk").values_list("kind", flat=True)) == [
        "lost",
        "found",
    ]


def test_a_copy_request_is_recorded_for_approval__KEY_06(api_as, public_key, frontdesk):
    desk = api_as(frontdesk)

    assert (
        desk.post(f"{KEYS}{public_key.pk}/copy_request/", {"count": 0, "reason": "x"}).status_code
        == 400
    )
    response = desk.post(
        f"{KEYS}{public_key.pk}/copy_request/", {"count": 2, "reason": "备用"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["key"], body["count"], body["status"]) == (public_key.pk, 2, "requested")
    assert body["requested_by"] == staff_id(frontdesk)
    assert CopyRequest.objects.get().status == CopyRequest.Status.REQUESTED


# --- Duty handover (KEY-10) ---------------------------------------------------------------


def test_a_handover_lists_the_keys_out_and_is_signed_by_the_taker__KEY_10(
    api_as, public_key, loan_out, frontdesk, duty
):
    loan = loan_out(public_key)
    desk = api_as(frontdesk)

    created = desk.post(
        HANDOVERS, {"taken_by": staff_id(duty), "other_items": "对讲机 2 台"}, format="json"
    )
    assert created.status_code == 201, created.json()
    handover = created.json()
    assert handover["handed_by"] == staff_id(frontdesk)
    assert handover["taken_by"] == staff_id(duty)
    assert [(k["tag"], k["loan"]) for k in handover["keys_out"]] == [("G-001", loan.number)]
    assert handover["status"] == "pending"

    assert desk.post(f"{HANDOVERS}{handover['id']}/sign/", {}).status_code == 403
    signed = api_as(duty).post(f"{HANDOVERS}{handover['id']}/sign/", {"note": "已核对"})
    assert signed.status_code == 200, signed.json()
    assert (signed.json()["status"], signed.json()["taker_note"]) == ("signed", "已核对")


def test_a_handover_to_staff_outside_the_project_is_a_400_naming_taken_by__KEY_10(
    api_as, frontdesk, outsider
):
    desk = api_as(frontdesk)

    assert "taken_by" in desk.post(HANDOVERS, {"taken_by": staff_id(outsider)}).json()
    assert "taken_by" in desk.post(HANDOVERS, {"taken_by": staff_id(frontdesk)}).json()


# --- Monthly report (KEY-09) --------------------------------------------------------------


def test_the_monthly_report_is_submitted_and_reviewed_by_the_supervisor__KEY_09(
    api_as, public_key, loan_out, frontdesk, supervisor
):
    with time_machine.travel(local("2026-02-10 09:00"), tick=False):
        loan = loan_out(public_key)
        services.loan_return(loan=loan, by=frontdesk)
    desk = api_as(frontdesk)

    with time_machine.travel(local("2026-03-05 09:00"), tick=False):
        assert "month" in desk.post(REPORTS, {"month": "2026-3"}).json()
        assert "month" in desk.post(REPORTS, {"month": "2026-03"}).json()  # not over yet
        created = desk.post(REPORTS, {"month": "2026-02", "note": "正常"}, format="json")
        assert desk.post(REPORTS, {"month": "2026-02"}).status_code == 409

    assert created.status_code == 201, created.json()
    report = created.json()
    assert (report["month"], report["status"]) == ("2026-02", "submitted")
    assert report["figures"]["loans"] == 1 and report["figures"]["overdue"] == 0
    assert desk.post(f"{REPORTS}{report['id']}/review/", {}).status_code == 403
    reviewed = api_as(supervisor).post(f"{REPORTS}{report['id']}/review/", {"note": "已阅"})
    assert reviewed.status_code == 200, reviewed.json()
    assert reviewed.json()["status"] == "reviewed"
    assert reviewed.json()["reviewed_by"] == staff_id(supervisor)


# --- Query count --------------------------------------------------------------------------


def _make_keys_with_loans(project, frontdesk, manager, start: int, count: int) -> None:
    units = [
        UnitFactory(building__project=project, number=f"{start + i}-1{i:02d}") for i in range(2)
    ]
    for i in range(start, start + count):
        key = services.key_register(
            project=project,
            tag=f"Q-{i:03d}",
            kind=Key.Kind.PUBLIC_AREA,
            opens=f"{i}号门",
            unit=units[i % 2] if i % 3 else None,
            custodian=manager if i % 2 else frontdesk,
            by=frontdesk,
        )
        loan = services.loan_request(key=key, purpose="巡查", by=frontdesk)
        if i % 3 != 2:
            services.loan_approve(loan=loan, by=manager)
        if i % 3 == 0:
            services.loan_checkout(loan=loan, by=frontdesk)


@pytest.mark.parametrize("url", [KEYS, LOANS])
def test_the_key_and_loan_lists_cost_the_same_queries_for_3_and_30_rows(
    api_as, project, frontdesk, manager, url
):
    client = api_as(frontdesk)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["results"])

    _make_keys_with_loans(project, frontdesk, manager, 0, 3)
    few, rows = count()
    assert rows == 3
    _make_keys_with_loans(project, frontdesk, manager, 3, 27)
    many, rows = count()
    assert rows == 30
    assert many == few


@pytest.mark.parametrize("url", [ENTRUSTMENTS, EMERGENCIES, LOCK_CHANGES, HANDOVERS, REPORTS])
def test_the_other_lists_answer_within_a_fixed_number_of_queries(
    api_as, project, spare_key, duty, frontdesk, url, django_assert_max_num_queries
):
    use = services.emergency_open(key=spare_key, kind="fire", reason="烟感报警", by=duty)
    services.emergency_attempt(
        use=use, whom="owner", name="陈静", method="phone", result="reached", by=duty
    )
    client = api_as(frontdesk)

    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200


def test_an_approved_maintenance_loan_past_its_requested_time_cannot_go_out__KEY_04(
    api_as, public_key, request_loan, manager, frontdesk
):
    with time_machine.travel(local("2026-03-10 09:00"), tick=False):
        loan = request_loan(public_key, maintenance=True, due_at=local("2026-03-10 18:00"))
        services.loan_approve(loan=loan, by=manager)
    with time_machine.travel(local("2026-03-10 18:30") + timedelta(seconds=1), tick=False):
        response = api_as(frontdesk).post(f"{LOANS}{loan.pk}/checkout/")

    assert response.status_code == 400
    assert "due_at" in response.json()
