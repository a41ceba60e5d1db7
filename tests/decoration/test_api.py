"""Decoration management through the API (API.md ``decoration/permits/`` and the other
``decoration/*`` resources; DEC-01..13, ORG-01, ORG-02, ORG-04)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from decoration import services
from decoration.models import (
    Application,
    Contractor,
    Drawing,
    LedgerEntry,
    Permit,
    WorkerPass,
)
from servicedesk.core.models import Resident, Role
from tests.decoration.conftest import WORKER_ID, WORKER_ID_2, local
from tests.factories import ResidentFactory, StaffFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

PERMITS = "/api/v1/decoration/permits/"
HOT_WORKS = "/api/v1/decoration/hot-works/"
APPLICATIONS = "/api/v1/decoration/applications/"
CONSTRUCTION_NOTICES = "/api/v1/decoration/construction-notices/"
INSPECTIONS = "/api/v1/decoration/inspections/"
RECTIFICATIONS = "/api/v1/decoration/rectification-notices/"

FILING = {
    "contractor_name": "恒安装饰工程有限公司",
    "contractor_licence": "JZ-2025-0001",
    "area_m2": "120.00",
    "planned_start": "2025-10-13",
    "items": ["墙面翻新", "水电改造"],
    "owner_signed": True,
    "owner_name": "陈静",
    "site_leader_name": "郑师傅",
    "site_leader_phone": "+8613700001111",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads go to a temporary MEDIA_ROOT, never the working tree."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


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
def other_contractor(db):
    """The login of another decoration company, with a permit of its own elsewhere."""
    user = UserFactory(username="jiaxin")
    StaffFactory(user=user, name="佳信装饰", roles=[Role.CONTRACTOR])
    Contractor.objects.create(name="佳信装饰有限公司", licence_no="JZ-2025-0099", user=user)
    return user


@pytest.fixture
def neighbour(project):
    """The owner of 1-1011: a unit whose number starts like 1-101's."""
    unit = UnitFactory(building__project=project, number="1-1011")
    user = UserFactory(username="owner1011")
    ResidentFactory(unit=unit, name="周伟", user=user)
    return user


@pytest.fixture
def on_site(paid_permit, issue):
    """A permit issued on Monday 2025-10-13, the last day of its period 2025-11-26."""
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        return issue(paid_permit, date(2025, 10, 13))


@pytest.fixture
def accepted_permit(on_site, contractor_user, engineer):
    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        services.completion_apply(permit=on_site, by=contractor_user)
        services.acceptance_decide(permit=on_site, passed=True, by=engineer)
    return Permit.objects.get(pk=on_site.pk)


def staff_id(user) -> int:
    return user.staff_profile.pk


def ok(response, code: int = 200) -> dict:
    assert response.status_code == code, response.json()
    return response.json()


def url(permit, action: str = "") -> str:
    pk = permit if isinstance(permit, int) else permit.pk
    return f"{PERMITS}{pk}/{action + '/' if action else ''}"


def passes_url(permit) -> str:
    return f"{PERMITS}{permit.pk}/passes/"


def ids(response) -> list[int]:
    return [row["id"] for row in ok(response)["results"]]


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(buffer, "PNG")
    return SimpleUploadedFile("现场.png", buffer.getvalue(), content_type="image/png")


# --- The whole path (DEC-01..12) ------------------------------------------------------------


def test_a_permit_goes_from_application_to_refund__DEC_01_to_DEC_12(
    api_as, unit, frontdesk, engineer, supervisor, contractor_user
):
    desk, eng, boss, firm = (
        api_as(frontdesk),
        api_as(engineer),
        api_as(supervisor),
        api_as(contractor_user),
    )

    with time_machine.travel(local("2025-10-09 09:00"), tick=False):
        filed = ok(desk.post(PERMITS, {**FILING, "unit": unit.pk}, format="json"), 201)
    assert filed["status"] == "applied"
    assert filed["number"].startswith("ZX")
    assert (filed["unit"], filed["unit_number"], filed["project"]) == (unit.pk, "1-101", "lvcheng")
    assert filed["owner_signature"] == "paper"
    assert filed["owner_name"] == "陈静"
    assert (filed["contractor_name"], filed["contractor_licence"]) == (
        "恒安装饰工程有限公司",
        "JZ-2025-0001",
    )
    assert filed["area_m2"] == "120.00"
    assert filed["items"] == ["墙面翻新", "水电改造"]
    assert filed["deposit_required"] == "20000.00"
    assert filed["extinguishers_required"] == 3  # 120 m² at one per 50 m², rounded up (DEC-07)
    assert filed["deposit_balance"] == "0.00"
    assert filed["review_due_at"] is None and filed["start_date"] is None
    assert filed["end_date"] is None
    assert filed["created_by"] == staff_id(frontdesk)
    permit = filed["id"]

    with time_machine.travel(local("2025-10-09 10:00"), tick=False):
        submitted = ok(firm.post(url(permit, "submit_drawings"), {}, format="json"))
    assert submitted["status"] == "under_review"
    assert submitted["review_due_at"] is not None
    assert sorted((d["kind"], d["on_paper"]) for d in submitted["drawings"]) == [
        ("plan", True),
        ("water_electric", True),
    ]

    with time_machine.travel(local("2025-10-10 15:00"), tick=False):
        approved = ok(eng.post(url(permit, "approve"), {"comments": "同意"}, format="json"))
    assert approved["status"] == "approved"
    assert approved["approved_at"] == "2025-10-10T15:00:00+08:00"
    assert [(r["outcome"], r["decided_by"], r["comments"]) for r in approved["reviews"]] == [
        ("approved", staff_id(engineer), "同意")
    ]

    with time_machine.travel(local("2025-10-11 09:00"), tick=False):
        paid = ok(
            desk.post(
                url(permit, "pay_deposit"),
                {"amount": "20000.00", "receipt_no": "YJ-0001"},
                format="json",
            )
        )
    assert paid["status"] == "deposit_paid"
    assert (paid["deposit_received"], paid["deposit_balance"]) == ("20000.00", "20000.00")

    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        issued = ok(desk.post(url(permit, "issue"), {"start_date": "2025-10-13"}, format="json"))
        assert issued["status"] == "in_progress"
        # 45 days counting the start day as day 1 (DEC-05).
        assert (issued["start_date"], issued["end_date"]) == ("2025-10-13", "2025-11-26")
        assert issued["issued_by"] == staff_id(frontdesk)

        worker = ok(
            desk.post(
                f"{PERMITS}{permit}/passes/",
                {"worker_name": "郑大勇", "id_number": WORKER_ID},
                format="json",
            ),
            201,
        )
    assert (worker["fee"], worker["deposit"]) == ("10.00", "40.00")
    assert worker["expires_on"] == "2025-11-26"
    assert worker["status"] == "issued"
    assert worker["id_number_masked"] == "110***********002X"
    assert "id_number" not in worker
    assert (worker["signed_by"], worker["signer_name"]) == ("site_leader", "郑师傅")
    assert ok(desk.get(url(permit)))["pass_deposits_held"] == "40.00"

    with time_machine.travel(local("2025-10-20 10:00"), tick=False):
        fined = ok(
            boss.post(
                url(permit, "fine"), {"amount": "500.00", "reason": "未佩证施工"}, format="json"
            )
        )
    assert (fined["fine"]["amount"], fined["fine"]["outstanding"]) == ("500.00", "500.00")
    assert fined["fine"]["number"].startswith("FK")
    assert fined["fine"]["charged_by"] == staff_id(supervisor)
    assert fined["permit"]["fines_outstanding"] == "500.00"
    assert fined["permit"]["deposit_balance"] == "20000.00"

    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        completed = ok(firm.post(url(permit, "complete"), {}, format="json"))
        assert completed["status"] == "completion_applied"
        # Applied for online: the passes are collected at the acceptance, by staff.
        assert completed["pass_deposits_held"] == "40.00"

        accepted = ok(eng.post(url(permit, "accept"), {"note": "验收合格"}, format="json"))
        assert accepted["status"] == "accepted"
        assert accepted["accepted_by"] == staff_id(engineer)
        assert accepted["pass_deposits_held"] == "0.00"
        assert ok(desk.get(f"{PERMITS}{permit}/passes/"))["results"][0]["status"] == "returned"

        refunded = ok(desk.post(url(permit, "refund"), {"receipt_no": "YJ-0001"}, format="json"))
    assert refunded["status"] == "closed"
    assert refunded["refunded_amount"] == "19500.00"
    assert refunded["fines_deducted"] == "500.00"
    assert refunded["fines_left_unpaid"] == "0.00"
    assert refunded["deposit_balance"] == "0.00"
    assert refunded["fines_outstanding"] == "0.00"
    assert refunded["refunded"] == "19500.00"

    ledger = ok(desk.get(url(permit, "ledger")))
    assert [(e["kind"], e["amount"]) for e in ledger["entries"]] == [
        ("deposit_received", "20000.00"),
        ("pass_fee", "10.00"),
        ("pass_deposit_received", "40.00"),
        ("fine_charged", "500.00"),
        ("pass_deposit_refunded", "40.00"),
        ("fine_deducted", "500.00"),
        ("deposit_refunded", "19500.00"),
    ]
    assert ledger["balances"]["deposit_balance"] == "0.00"
    assert ledger["balances"]["received_total"] == "20050.00"
    assert ledger["fines"][0]["outstanding"] == "0.00"

    with time_machine.travel(local("2025-11-20 10:00"), tick=False):
        again = desk.post(url(permit, "refund"), {"receipt_no": "YJ-0001"}, format="json")
    assert again.status_code == 409
    assert LedgerEntry.objects.filter(kind="deposit_refunded").count() == 1


def test_refund_twice_is_a_conflict__DEC_12(api_as, accepted_permit, frontdesk, manager):
    with time_machine.travel(local("2025-11-21 09:00"), tick=False):
        first = api_as(frontdesk).post(url(accepted_permit, "refund"), {"receipt_no": "YJ-0001"})
        second = api_as(manager).post(url(accepted_permit, "refund"), {"receipt_no": "YJ-0001"})

    assert ok(first)["refunded_amount"] == "20000.00"
    assert second.status_code == 409
    assert LedgerEntry.objects.filter(kind="deposit_refunded").count() == 1


def test_a_refund_needs_the_deposit_receipt__DEC_11(api_as, accepted_permit, frontdesk):
    desk = api_as(frontdesk)

    wrong = desk.post(url(accepted_permit, "refund"), {"receipt_no": "YJ-9999"}, format="json")
    blank = desk.post(url(accepted_permit, "refund"), {"receipt_no": ""}, format="json")

    assert wrong.status_code == 400 and "receipt_no" in wrong.json()
    assert blank.status_code == 400 and "receipt_no" in blank.json()
    assert not LedgerEntry.objects.filter(kind="deposit_refunded").exists()


def test_a_lost_deposit_receipt_blocks_the_refund__DEC_11(api_as, accepted_permit, frontdesk):
    desk = api_as(frontdesk)

    lost = ok(desk.post(url(accepted_permit, "receipt_lost"), {"note": "业主遗失"}, format="json"))
    refund = desk.post(url(accepted_permit, "refund"), {"receipt_no": "YJ-0001"}, format="json")

    assert lost["deposit_receipt_lost"] is True
    assert refund.status_code == 409
    assert desk.post(url(accepted_permit, "receipt_lost"), {}).status_code == 409
    assert ok(desk.get(url(accepted_permit)))["deposit_balance"] == "20000.00"


def test_a_fine_paid_in_cash_is_not_deducted_from_the_deposit__DEC_10_DEC_11(
    api_as, on_site, frontdesk, supervisor, contractor_user, engineer
):
    with time_machine.travel(local("2025-10-20 10:00"), tick=False):
        fined = ok(
            api_as(supervisor).post(
                url(on_site, "fine"), {"amount": "300.00", "reason": "噪音"}, format="json"
            )
        )
        fine_id = fined["fine"]["id"]
        paid = ok(
            api_as(frontdesk).post(
                url(on_site, "pay_fine"), {"fine": fine_id, "receipt_no": "FK-R1"}, format="json"
            )
        )
        again = api_as(frontdesk).post(
            url(on_site, "pay_fine"), {"fine": fine_id, "receipt_no": "FK-R2"}, format="json"
        )
    assert paid["fine"]["outstanding"] == "0.00"
    assert paid["permit"]["fines_outstanding"] == "0.00"
    assert again.status_code == 409

    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        services.completion_apply(permit=on_site, by=contractor_user)
        services.acceptance_decide(permit=on_site, passed=True, by=engineer)
        refunded = ok(api_as(frontdesk).post(url(on_site, "refund"), {"receipt_no": "YJ-0001"}))
    assert (refunded["refunded_amount"], refunded["fines_deducted"]) == ("20000.00", "0.00")


def test_a_fine_of_another_permit_is_a_400_naming_fine(
    api_as, on_site, file_permit, frontdesk, supervisor
):
    with time_machine.travel(local("2025-10-20 10:00"), tick=False):
        fine = services.fine_charge(permit=on_site, amount="100.00", reason="x", by=supervisor)
    other = file_permit()

    response = api_as(frontdesk).post(
        url(other, "pay_fine"), {"fine": fine.pk, "receipt_no": "R"}, format="json"
    )

    assert response.status_code == 400
    assert "fine" in response.json()


# --- Money is exact (DEC-12) ------------------------------------------------------------


@pytest.mark.parametrize(
    "amount", ["12.345", "-5", "-1", "NaN", "Infinity", "abc", "", "19999.99", "20000.001", -5]
)
def test_a_deposit_that_is_not_exactly_the_amount_due_is_a_400_naming_amount__DEC_12(
    api_as, approved_permit, frontdesk, amount
):
    response = api_as(frontdesk).post(
        url(approved_permit, "pay_deposit"),
        {"amount": amount, "receipt_no": "YJ-0001"},
        format="json",
    )

    assert response.status_code == 400
    assert "amount" in response.json()
    assert not LedgerEntry.objects.exists()
    approved_permit.refresh_from_db()
    assert approved_permit.status == Permit.Status.APPROVED


def test_a_deposit_without_receipt_is_a_400_naming_receipt_no__DEC_04(
    api_as, approved_permit, frontdesk
):
    response = api_as(frontdesk).post(
        url(approved_permit, "pay_deposit"), {"amount": "20000.00", "receipt_no": ""}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["receipt_no"]
    assert not LedgerEntry.objects.exists()


def test_a_second_deposit_is_a_conflict__DEC_04(api_as, paid_permit, frontdesk):
    response = api_as(frontdesk).post(
        url(paid_permit, "pay_deposit"), {"amount": "20000.00", "receipt_no": "YJ-0002"}
    )

    assert response.status_code == 409
    assert LedgerEntry.objects.filter(kind="deposit_received").count() == 1


@pytest.mark.parametrize("amount", ["12.345", "-1", "NaN", "Infinity", "abc", "0"])
def test_a_fine_of_an_inexact_amount_is_a_400_naming_amount__DEC_12(
    api_as, on_site, supervisor, amount
):
    with time_machine.travel(local("2025-10-20 10:00"), tick=False):
        response = api_as(supervisor).post(
            url(on_site, "fine"), {"amount": amount, "reason": "违规"}, format="json"
        )

    assert response.status_code == 400
    assert "amount" in response.json()
    assert not LedgerEntry.objects.filter(kind="fine_charged").exists()


def test_a_deduction_never_exceeds_the_deposit_held__DEC_11(
    api_as, on_site, contractor_user, engineer
):
    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        services.completion_apply(permit=on_site, by=contractor_user)
    client = api_as(engineer)

    too_much = client.post(
        url(on_site, "deduct"), {"amount": "20000.01", "reason": "损坏"}, format="json"
    )
    deducted = ok(
        client.post(url(on_site, "deduct"), {"amount": "1200.50", "reason": "电梯轿厢划伤"})
    )

    assert too_much.status_code == 400 and "amount" in too_much.json()
    assert deducted["deposit_balance"] == "18799.50"


# --- Filing (DEC-02, DEC-03) ----------------------------------------------------------------


def test_status_money_and_deadlines_cannot_be_set_when_filing(api_as, unit, frontdesk):
    response = api_as(frontdesk).post(
        PERMITS,
        {
            **FILING,
            "unit": unit.pk,
            "status": "closed",
            "deposit_required": "1.00",
            "deposit_balance": "99.00",
            "review_due_at": "2020-01-01T00:00:00+08:00",
            "end_date": "2020-01-01",
        },
        format="json",
    )

    body = ok(response, 201)
    assert body["status"] == "applied"
    assert body["deposit_required"] == "20000.00"
    assert body["deposit_balance"] == "0.00"
    assert body["review_due_at"] is None and body["end_date"] is None


def test_staff_file_only_with_the_owners_signature__DEC_02(api_as, unit, frontdesk):
    response = api_as(frontdesk).post(
        PERMITS, {**FILING, "unit": unit.pk, "owner_signed": False}, format="json"
    )

    assert response.status_code == 400
    assert "owner_signed" in response.json()
    assert not Permit.objects.exists()


def test_the_contractor_needs_a_contract_and_a_licence__DEC_03(api_as, unit, frontdesk):
    client = api_as(frontdesk)

    no_contract = client.post(
        PERMITS, {**FILING, "unit": unit.pk, "contract_signed": False}, format="json"
    )
    no_licence = client.post(
        PERMITS, {**FILING, "unit": unit.pk, "contractor_licence": " "}, format="json"
    )
    bad_area = client.post(PERMITS, {**FILING, "unit": unit.pk, "area_m2": "NaN"}, format="json")

    assert "contract_signed" in no_contract.json()
    assert "contractor_licence" in no_licence.json()
    assert "area_m2" in bad_area.json()
    assert not Permit.objects.exists()


def test_the_owner_files_online_for_their_own_unit__DEC_02(api_as, unit, owner, neighbour):
    client = api_as(owner)

    filed = ok(client.post(PERMITS, {**FILING, "unit": unit.pk}, format="json"), 201)
    theirs = client.post(
        PERMITS,
        {**FILING, "unit": Resident.objects.get(user=neighbour).unit_id},
        format="json",
    )

    assert filed["owner_signature"] == "portal"
    assert filed["owner_name"] == "陈静"
    assert filed["site_leader_phone"] == "+86137****1111"  # masked for non-staff
    assert theirs.status_code == 400 and "unit" in theirs.json()
    assert ok(client.get(PERMITS))["results"][0]["id"] == filed["id"]


def test_a_tenant_cannot_file__DEC_02(api_as, unit):
    tenant = UserFactory(username="tenant101")
    ResidentFactory(unit=unit, name="租户", kind=Resident.Kind.TENANT, user=tenant)

    response = api_as(tenant).post(PERMITS, {**FILING, "unit": unit.pk}, format="json")

    assert response.status_code == 403
    assert not Permit.objects.exists()


def test_a_contractor_cannot_file_alone__DEC_02(api_as, unit, contractor_user):
    response = api_as(contractor_user).post(PERMITS, {**FILING, "unit": unit.pk}, format="json")

    assert response.status_code == 403
    assert not Permit.objects.exists()


# --- Drawings and review (DEC-01, ORG-04) ------------------------------------------------


def test_drawings_are_uploaded_and_checked_by_content__DEC_01(api_as, file_permit, contractor_user):
    permit = file_permit()
    client = api_as(contractor_user)
    fake = SimpleUploadedFile("plan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")

    refused = client.post(url(permit, "submit_drawings"), {"plan": fake}, format="multipart")
    assert refused.status_code == 400
    assert "drawings" in refused.json()
    misnamed = client.post(url(permit, "submit_drawings"), {"file": png()}, format="multipart")
    assert misnamed.status_code == 400
    assert "drawings" in misnamed.json()
    assert not Drawing.objects.exists()

    pdf = SimpleUploadedFile(
        "平面图.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", content_type="application/pdf"
    )
    body = ok(
        client.post(
            url(permit, "submit_drawings"),
            {"plan": pdf, "water_electric": png()},
            format="multipart",
        )
    )

    assert body["status"] == "under_review"
    drawings = {d["kind"]: d for d in body["drawings"]}
    assert drawings["plan"]["content_type"] == "application/pdf"
    assert drawings["plan"]["on_paper"] is False
    assert drawings["water_electric"]["content_type"] == "image/png"


def test_paper_drawings_of_named_kinds_are_recorded__DEC_01(api_as, file_permit, frontdesk):
    permit = file_permit()

    body = ok(
        api_as(frontdesk).post(
            url(permit, "submit_drawings"), {"paper_kinds": ["alteration"]}, format="json"
        )
    )

    assert [(d["kind"], d["on_paper"]) for d in body["drawings"]] == [("alteration", True)]


def test_front_desk_cannot_approve_drawings__DEC_01(api_as, file_permit, frontdesk, project):
    permit = file_permit()
    services.drawings_submit(permit=permit, by=frontdesk)
    other_desk = StaffFactory(roles=[Role.FRONT_DESK], projects=[project]).user

    response = api_as(other_desk).post(url(permit, "approve"), {}, format="json")

    assert response.status_code == 403
    permit.refresh_from_db()
    assert permit.status == Permit.Status.UNDER_REVIEW


def test_the_engineer_who_filed_cannot_approve_it__ORG_04(api_as, unit, engineer, engineer2):
    own = api_as(engineer)
    filed = ok(own.post(PERMITS, {**FILING, "unit": unit.pk}, format="json"), 201)
    ok(own.post(url(filed["id"], "submit_drawings"), {}, format="json"))

    self_approval = own.post(url(filed["id"], "approve"), {}, format="json")
    assert self_approval.status_code == 403
    assert Permit.objects.get().status == Permit.Status.UNDER_REVIEW

    other = ok(api_as(engineer2).post(url(filed["id"], "approve"), {}, format="json"))
    assert other["status"] == "approved"


def test_a_rejection_needs_a_reason_and_the_drawings_go_round_again__DEC_01(
    api_as, file_permit, frontdesk, engineer
):
    permit = file_permit()
    services.drawings_submit(permit=permit, by=frontdesk)
    eng = api_as(engineer)

    assert "reason" in eng.post(url(permit, "reject"), {"reason": " "}, format="json").json()
    failed = eng.post(url(permit, "approve"), {"structure_ok": False}, format="json")
    assert failed.status_code == 400 and "checklist" in failed.json()
    rejected = ok(
        eng.post(
            url(permit, "reject"),
            {"reason": "拆改承重墙", "structure_ok": False},
            format="json",
        )
    )
    assert rejected["status"] == "rejected"
    assert rejected["reviews"][0]["structure_ok"] is False
    assert eng.post(url(permit, "approve"), {}, format="json").status_code == 409

    again = ok(api_as(frontdesk).post(url(permit, "submit_drawings"), {}, format="json"))
    assert again["status"] == "under_review"
    assert {d["round"] for d in again["drawings"]} == {1, 2}


def test_actions_out_of_order_are_conflicts(api_as, file_permit, frontdesk):
    permit = file_permit()
    desk = api_as(frontdesk)

    paid = desk.post(url(permit, "pay_deposit"), {"amount": "20000.00", "receipt_no": "Y"})
    issued = desk.post(url(permit, "issue"), {"start_date": "2099-01-01"})
    refunded = desk.post(url(permit, "refund"), {"receipt_no": "Y"})

    assert (paid.status_code, issued.status_code, refunded.status_code) == (409, 409, 409)


def test_an_issue_date_in_the_past_is_a_400_naming_start_date__DEC_05(
    api_as, paid_permit, frontdesk
):
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        response = api_as(frontdesk).post(
            url(paid_permit, "issue"), {"start_date": "2025-10-12"}, format="json"
        )

    assert response.status_code == 400
    assert "start_date" in response.json()


def test_an_application_is_withdrawn_before_money_is_taken(api_as, approved_permit, owner):
    client = api_as(owner)

    assert "reason" in client.post(url(approved_permit, "cancel"), {"reason": ""}).json()
    body = ok(client.post(url(approved_permit, "cancel"), {"reason": "暂缓装修"}, format="json"))

    assert body["status"] == "cancelled"


# --- Changes (DEC-02) -----------------------------------------------------------------------


def test_a_change_of_items_needs_a_written_approval__DEC_02(
    api_as, approved_permit, owner, engineer, manager
):
    requested = ok(
        api_as(owner).post(
            url(approved_permit, "change"),
            {"items": ["墙面翻新", "水电改造", "厨房改造"], "reason": "增加厨房"},
            format="json",
        )
    )
    assert requested["pending_change"]["items"] == ["墙面翻新", "水电改造", "厨房改造"]
    assert requested["items"] == ["墙面翻新", "水电改造"]

    assert "note" in api_as(engineer).post(url(approved_permit, "reject_change"), {}).json()
    approved = ok(
        api_as(manager).post(
            url(approved_permit, "approve_change"), {"note": "同意"}, format="json"
        )
    )

    assert approved["items"] == ["墙面翻新", "水电改造", "厨房改造"]
    assert approved["pending_change"] is None
    assert api_as(manager).post(url(approved_permit, "approve_change"), {}).status_code == 409


def test_the_requester_cannot_approve_their_own_change__ORG_04(
    api_as, approved_permit, engineer, manager
):
    ok(
        api_as(manager).post(
            url(approved_permit, "change"), {"items": ["吊顶"], "reason": "调整"}, format="json"
        )
    )

    assert api_as(manager).post(url(approved_permit, "approve_change"), {}).status_code == 403
    assert ok(api_as(engineer).post(url(approved_permit, "approve_change"), {}))["items"] == [
        "吊顶"
    ]


# --- Extensions (DEC-05, ORG-04) ------------------------------------------------------------


def test_an_extension_is_approved_by_a_manager_other_than_the_requester__DEC_05_ORG_04(
    api_as, on_site, manager, manager2
):
    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        requested = ok(
            api_as(manager).post(
                url(on_site, "extend"),
                {"new_end_date": "2025-12-10", "reason": "材料延误"},
                format="json",
            )
        )
        assert requested["end_date"] == "2025-11-26"
        pending = requested["pending_extension"]
        assert (pending["new_end_date"], pending["status"]) == ("2025-12-10", "requested")
        assert pending["requested_by"] == staff_id(manager)

        own = api_as(manager).post(url(on_site, "approve_extension"), {}, format="json")
        assert own.status_code == 403

        approved = ok(api_as(manager2).post(url(on_site, "approve_extension"), {"note": "同意"}))
    assert approved["end_date"] == "2025-12-10"
    assert approved["pending_extension"] is None
    assert api_as(manager2).post(url(on_site, "approve_extension"), {}).status_code == 409


def test_the_contractor_applies_for_an_extension_before_the_end_date__DEC_05(
    api_as, on_site, contractor_user, manager
):
    firm = api_as(contractor_user)

    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        early = firm.post(url(on_site, "extend"), {"new_end_date": "2025-11-25", "reason": "x"})
        assert early.status_code == 400 and "new_end_date" in early.json()
        ok(firm.post(url(on_site, "extend"), {"new_end_date": "2025-12-05", "reason": "返工"}))
        twice = firm.post(url(on_site, "extend"), {"new_end_date": "2025-12-06", "reason": "y"})
        assert twice.status_code == 409
        assert firm.post(url(on_site, "approve_extension"), {}).status_code == 403
        no_note = api_as(manager).post(url(on_site, "reject_extension"), {})
        assert no_note.status_code == 400 and "note" in no_note.json()
        rejected = ok(api_as(manager).post(url(on_site, "reject_extension"), {"note": "不同意"}))
    assert rejected["end_date"] == "2025-11-26"

    with time_machine.travel(local("2025-11-27 09:00"), tick=False):
        late = firm.post(url(on_site, "extend"), {"new_end_date": "2025-12-20", "reason": "z"})
    assert late.status_code == 409


# --- Worker passes (DEC-06) ------------------------------------------------------------------


def test_passes_never_reveal_the_clear_id_number__DEC_06_VIS_07(
    api_as, on_site, frontdesk, owner, contractor_user
):
    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        created = api_as(frontdesk).post(
            passes_url(on_site),
            {"worker_name": "郑大勇", "id_number": WORKER_ID, "signed_by": "owner"},
            format="json",
        )
    assert created.status_code == 201
    pass_id = created.json()["id"]
    assert created.json()["signer_name"] == on_site.owner_name

    for client in (api_as(frontdesk), api_as(owner), api_as(contractor_user)):
        for response in (
            created,
            client.get(passes_url(on_site)),
            client.get(f"{passes_url(on_site)}{pass_id}/"),
            client.get(url(on_site, "ledger")),
        ):
            assert response.status_code in (200, 201)
            text = response.content.decode()
            assert WORKER_ID not in text
            assert "19491231" not in text
            assert "id_number_encrypted" not in text
    assert WorkerPass.objects.get().id_number_masked in created.content.decode()


def test_a_pass_needs_a_valid_id_number_and_one_per_worker__DEC_06(api_as, on_site, frontdesk):
    desk = api_as(frontdesk)

    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        bad = desk.post(
            passes_url(on_site), {"worker_name": "甲", "id_number": "110105194912310021"}
        )
        first = desk.post(passes_url(on_site), {"worker_name": "甲", "id_number": WORKER_ID})
        same = desk.post(passes_url(on_site), {"worker_name": "甲", "id_number": WORKER_ID})
        second = desk.post(passes_url(on_site), {"worker_name": "乙", "id_number": WORKER_ID_2})

    assert bad.status_code == 400 and "id_number" in bad.json()
    assert WORKER_ID not in bad.content.decode()
    assert first.status_code == 201
    assert same.status_code == 400 and "id_number" in same.json()
    assert second.status_code == 201
    assert WorkerPass.objects.count() == 2


def test_a_pass_is_returned_lost_or_renewed__DEC_06(api_as, on_site, frontdesk, manager, manager2):
    desk = api_as(frontdesk)
    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        kept = ok(
            desk.post(passes_url(on_site), {"worker_name": "甲", "id_number": WORKER_ID}), 201
        )
        lost = ok(
            desk.post(passes_url(on_site), {"worker_name": "乙", "id_number": WORKER_ID_2}), 201
        )
        assert (
            ok(desk.post(f"{passes_url(on_site)}{lost['id']}/lost/", {"note": "丢失"}))["status"]
            == "lost"
        )
        assert desk.post(f"{passes_url(on_site)}{lost['id']}/return/").status_code == 409
        # Not renewable until the permit itself is extended.
        assert desk.post(f"{passes_url(on_site)}{kept['id']}/renew/").status_code == 409

    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        extension = services.extension_request(
            permit=on_site, new_end_date=date(2025, 12, 10), reason="延误", by=manager
        )
        services.extension_decide(extension=extension, approve=True, by=manager2)
        renewed = ok(desk.post(f"{passes_url(on_site)}{kept['id']}/renew/"))
        assert renewed["expires_on"] == "2025-12-10"
        returned = ok(desk.post(f"{passes_url(on_site)}{kept['id']}/return/"))
    assert returned["status"] == "returned"

    balances = ok(desk.get(url(on_site, "ledger")))["balances"]
    assert balances["pass_deposits_refunded"] == "40.00"
    assert balances["pass_deposits_forfeited"] == "40.00"
    assert balances["pass_fees"] == "20.00"


def test_a_pass_returned_more_than_3_days_late_forfeits_its_deposit__DEC_06(
    api_as, on_site, frontdesk
):
    desk = api_as(frontdesk)
    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        worker = ok(
            desk.post(passes_url(on_site), {"worker_name": "甲", "id_number": WORKER_ID}), 201
        )

    with time_machine.travel(local("2025-11-30 09:00"), tick=False):
        back = ok(desk.post(f"{passes_url(on_site)}{worker['id']}/return/"))

    assert back["status"] == "forfeited"
    assert ok(desk.get(url(on_site)))["pass_deposits_held"] == "0.00"


def test_only_the_desk_issues_passes(api_as, on_site, owner, contractor_user, engineer):
    body = {"worker_name": "甲", "id_number": WORKER_ID}

    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        assert api_as(owner).post(passes_url(on_site), body).status_code == 403
        assert api_as(contractor_user).post(passes_url(on_site), body).status_code == 403
        assert api_as(engineer).post(passes_url(on_site), body).status_code == 403
    assert not WorkerPass.objects.exists()


def test_losing_a_pass_at_completion_forfeits_its_deposit__DEC_06_DEC_11(
    api_as, on_site, frontdesk, contractor_user
):
    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        worker = ok(
            api_as(frontdesk).post(
                passes_url(on_site), {"worker_name": "甲", "id_number": WORKER_ID}
            ),
            201,
        )
    firm = api_as(contractor_user)

    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        unknown = firm.post(url(on_site, "complete"), {"lost_passes": [999999]}, format="json")
        done = ok(
            firm.post(url(on_site, "complete"), {"lost_passes": [worker["id"]]}, format="json")
        )

    assert unknown.status_code == 400 and "lost_passes" in unknown.json()
    assert done["status"] == "completion_applied"
    balances = ok(firm.get(url(on_site, "ledger")))["balances"]
    assert balances["pass_deposits_forfeited"] == "40.00"


# --- Acceptance (DEC-11) -----------------------------------------------------------------------


def test_a_failed_acceptance_sends_the_work_back_with_its_reasons__DEC_11(
    api_as, on_site, contractor_user, engineer
):
    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        services.completion_apply(permit=on_site, by=contractor_user)
    eng = api_as(engineer)

    unchecked = eng.post(url(on_site, "accept"), {"debris_cleared": False}, format="json")
    no_note = eng.post(url(on_site, "accept"), {"passed": False}, format="json")
    failed = ok(
        eng.post(url(on_site, "accept"), {"passed": False, "note": "垃圾未清运"}, format="json")
    )

    assert unchecked.status_code == 400 and "checklist" in unchecked.json()
    assert no_note.status_code == 400 and "note" in no_note.json()
    assert (failed["status"], failed["acceptance_note"]) == ("in_progress", "垃圾未清运")


def test_the_contractor_cannot_accept_its_own_work__DEC_11(api_as, on_site, contractor_user):
    firm = api_as(contractor_user)
    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        ok(firm.post(url(on_site, "complete"), {}, format="json"))

    assert firm.post(url(on_site, "accept"), {}, format="json").status_code == 403
    assert firm.post(url(on_site, "refund"), {"receipt_no": "YJ-0001"}).status_code == 403


def test_only_a_manager_expels_a_contractor__DEC_10(api_as, on_site, supervisor, manager):
    assert api_as(supervisor).post(url(on_site, "expel"), {"reason": "殴打保安"}).status_code == 403

    body = ok(api_as(manager).post(url(on_site, "expel"), {"reason": "殴打保安"}, format="json"))

    assert body["expelled"] is True
    assert body["expel_reason"] == "殴打保安"
    assert api_as(manager).post(url(on_site, "expel"), {"reason": "再次"}).status_code == 409


# --- Scope (ORG-01, ORG-02) ------------------------------------------------------------------


def test_a_resident_of_another_unit_gets_404(api_as, on_site, neighbour):
    client = api_as(neighbour)

    assert client.get(url(on_site)).status_code == 404
    assert client.get(url(on_site, "ledger")).status_code == 404
    assert client.get(passes_url(on_site)).status_code == 404
    assert client.post(url(on_site, "extend"), {"reason": "x"}).status_code == 404
    assert ok(client.get(PERMITS))["results"] == []


def test_the_contractor_of_another_permit_gets_404(
    api_as, on_site, other_contractor, file_permit, project
):
    elsewhere = UnitFactory(building__project=project, number="3-301")
    theirs = file_permit(
        unit=elsewhere,
        owner_name="吴芳",
        contractor_name="佳信装饰有限公司",
        contractor_licence="JZ-2025-0099",
    )
    client = api_as(other_contractor)

    assert client.get(url(on_site)).status_code == 404
    assert client.get(passes_url(on_site)).status_code == 404
    assert client.post(url(on_site, "complete"), {}, format="json").status_code == 404
    assert ids(client.get(PERMITS)) == [theirs.pk]
    assert client.get(url(theirs)).status_code == 200


def test_staff_of_another_project_get_404(api_as, on_site, outsider):
    client = api_as(outsider)

    assert client.get(url(on_site)).status_code == 404
    assert client.get(passes_url(on_site)).status_code == 404
    assert client.post(url(on_site, "fine"), {"amount": "1.00", "reason": "x"}).status_code == 404
    assert client.post(passes_url(on_site), {"worker_name": "甲"}).status_code == 404
    assert ok(client.get(PERMITS))["results"] == []


def test_staff_living_in_the_unit_do_not_act_on_it_from_another_project(
    api_as, on_site, outsider, unit
):
    ResidentFactory(unit=unit, name="赵敏", user=outsider)
    client = api_as(outsider)

    assert client.get(url(on_site)).status_code == 200
    assert client.get(url(on_site, "ledger")).status_code == 200
    assert client.post(url(on_site, "fine"), {"amount": "1.00", "reason": "x"}).status_code == 404


def test_residents_read_their_permit_and_act_only_as_the_owner(api_as, on_site, owner):
    client = api_as(owner)

    body = ok(client.get(url(on_site)))
    assert body["id"] == on_site.pk
    assert ok(client.get(passes_url(on_site)))["results"] == []
    for name in ("approve", "pay_deposit", "issue", "fine", "refund", "expel", "deduct"):
        assert client.post(url(on_site, name), {}).status_code == 403, name
    assert client.post(url(on_site, "approve_extension"), {}).status_code == 403


def test_contractors_read_their_permits_and_do_only_their_part(api_as, on_site, contractor_user):
    client = api_as(contractor_user)

    assert ids(client.get(PERMITS)) == [on_site.pk]
    assert ok(client.get(url(on_site, "ledger")))["balances"]["deposit_balance"] == "20000.00"
    for name in ("approve", "pay_deposit", "fine", "refund", "change", "receipt_lost"):
        assert client.post(url(on_site, name), {}).status_code == 403, name
    assert client.get(CONSTRUCTION_NOTICES).status_code == 403


def test_anonymous_callers_are_refused(api_as, on_site):
    assert api_as(None).get(PERMITS).status_code in (401, 403)


def test_the_list_filters_by_status_and_unit(api_as, on_site, file_permit, project, frontdesk):
    elsewhere = UnitFactory(building__project=project, number="3-301")
    applied = file_permit(unit=elsewhere, owner_name="吴芳")
    client = api_as(frontdesk)

    assert ids(client.get(f"{PERMITS}?status=applied")) == [applied.pk]
    assert ids(client.get(f"{PERMITS}?status=in_progress")) == [on_site.pk]
    assert ids(client.get(f"{PERMITS}?unit={elsewhere.pk}")) == [applied.pk]


# --- Query count -------------------------------------------------------------------------------


def _permits_with_money(project, file_permit, frontdesk, engineer, supervisor, start, count):
    for i in range(start, start + count):
        unit = UnitFactory(building__project=project, number=f"8-{i:03d}")
        permit = file_permit(unit=unit, owner_name=f"业主{i}")
        services.drawings_submit(permit=permit, by=frontdesk)
        services.review_decide(
            permit=permit,
            by=engineer,
            approve=True,
            structure_ok=True,
            water_electric_ok=True,
            waterproofing_ok=True,
        )
        services.deposit_pay(permit=permit, amount="20000.00", receipt_no=f"Y{i}", by=frontdesk)
        services.permit_issue(permit=permit, start_date=date(2025, 10, 13), by=frontdesk)
        services.pass_issue(permit=permit, worker_name="甲", id_number=WORKER_ID, by=frontdesk)
        services.fine_charge(permit=permit, amount="100.00", reason="违规", by=supervisor)
        services.extension_request(
            permit=permit, new_end_date=date(2025, 12, 31), reason="延误", by=frontdesk
        )


def test_the_permit_list_costs_the_same_queries_for_1_and_8_permits__DEC_12(
    api_as, project, file_permit, frontdesk, engineer, supervisor
):
    client = api_as(frontdesk)

    def count() -> tuple[int, list[dict]]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(PERMITS)
        return len(ctx.captured_queries), ok(response)["results"]

    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        _permits_with_money(project, file_permit, frontdesk, engineer, supervisor, 0, 1)
        few, rows = count()
        assert len(rows) == 1
        _permits_with_money(project, file_permit, frontdesk, engineer, supervisor, 1, 7)
        many, rows = count()

    assert len(rows) == 8
    assert many == few
    assert {row["deposit_balance"] for row in rows} == {"20000.00"}
    assert {row["pass_deposits_held"] for row in rows} == {"40.00"}
    assert {row["fines_outstanding"] for row in rows} == {"100.00"}
    assert all(row["pending_extension"]["new_end_date"] == "2025-12-31" for row in rows)


@pytest.mark.parametrize(
    "path", [HOT_WORKS, APPLICATIONS, CONSTRUCTION_NOTICES, INSPECTIONS, RECTIFICATIONS]
)
def test_the_other_lists_answer_within_a_fixed_number_of_queries(
    api_as, on_site, frontdesk, path, django_assert_max_num_queries
):
    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        services.inspection_record(permit=on_site, extinguishers_found=3, by=frontdesk)
        services.application_request(
            permit=on_site, kind=Application.Kind.TOOLS, details="电锤 2 把", by=frontdesk
        )
    client = api_as(frontdesk)

    with django_assert_max_num_queries(8):
        assert client.get(path).status_code == 200


# --- Hot work (DEC-08) and other applications (DEC-09) -------------------------------------


def test_hot_work_is_requested_in_advance_and_approved_by_engineering__DEC_08(
    api_as, on_site, contractor_user, engineer, frontdesk, other_contractor
):
    firm = api_as(contractor_user)
    request = {
        "permit": on_site.pk,
        "work_kind": "welding",
        "location": "阳台栏杆",
        "starts_at": "2025-10-15T09:00:00+08:00",
        "ends_at": "2025-10-15T11:00:00+08:00",
        "welder_name": "焊工王",
        "welder_certificate_no": "T-001",
        "welder_certificate_valid_until": "2026-12-31",
        "guardian_name": "郑师傅",
        "extinguishers_ready": True,
        "combustibles_cleared": True,
    }

    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        assert "work_kind" in firm.post(HOT_WORKS, {**request, "work_kind": "x"}).json()
        assert "permit" in api_as(other_contractor).post(HOT_WORKS, request).json()
        hot = ok(firm.post(HOT_WORKS, request, format="json"), 201)
        assert (hot["status"], hot["permit_number"]) == ("requested", on_site.number)
        assert firm.post(f"{HOT_WORKS}{hot['id']}/approve/", {}).status_code == 403
        assert api_as(frontdesk).post(f"{HOT_WORKS}{hot['id']}/approve/", {}).status_code == 403
        approved = ok(api_as(engineer).post(f"{HOT_WORKS}{hot['id']}/approve/", {}))
        assert approved["decided_by"] == staff_id(engineer)

    with time_machine.travel(local("2025-10-15 11:30"), tick=False):
        closed = ok(api_as(frontdesk).post(f"{HOT_WORKS}{hot['id']}/close/", {}))
    assert closed["status"] == "closed"
    assert ids(firm.get(HOT_WORKS)) == [hot["id"]]
    assert ok(api_as(other_contractor).get(HOT_WORKS))["results"] == []


def test_other_applications_are_filed_and_decided__DEC_09(
    api_as, on_site, contractor_user, supervisor, owner
):
    firm = api_as(contractor_user)

    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        overtime = ok(
            firm.post(
                APPLICATIONS,
                {"permit": on_site.pk, "kind": "overtime", "details": "周六加班至 20:00"},
                format="json",
            ),
            201,
        )
        tools = ok(
            firm.post(APPLICATIONS, {"permit": on_site.pk, "kind": "tools", "details": "电锤"}),
            201,
        )
        assert "details" in firm.post(APPLICATIONS, {"permit": on_site.pk, "kind": "paint"}).json()
        assert api_as(owner).post(f"{APPLICATIONS}{overtime['id']}/approve/", {}).status_code == 403
        assert "note" in api_as(supervisor).post(f"{APPLICATIONS}{overtime['id']}/reject/").json()
        approved = ok(api_as(supervisor).post(f"{APPLICATIONS}{overtime['id']}/approve/", {}))

    assert (overtime["status"], tools["status"]) == ("requested", "registered")
    assert approved["status"] == "approved"
    assert api_as(supervisor).post(f"{APPLICATIONS}{tools['id']}/approve/").status_code == 409
    assert len(ids(api_as(owner).get(APPLICATIONS))) == 2


# --- Notices to neighbours (DEC-13) --------------------------------------------------------


def test_a_construction_notice_is_approved_by_another_and_issued_3_working_days_ahead__DEC_13(
    api_as, on_site, supervisor, manager, frontdesk, owner
):
    draft = {
        "permit": on_site.pk,
        "title": "1-101 装修噪音施工通告",
        "body": "10 月 20 日至 24 日 9:00–12:00 有电钻作业。",
        "work_starts_on": "2025-10-20",
        "work_ends_on": "2025-10-24",
    }
    boss = api_as(supervisor)

    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        too_soon = boss.post(CONSTRUCTION_NOTICES, {**draft, "work_starts_on": "2025-10-15"})
        assert too_soon.status_code == 400 and "work_starts_on" in too_soon.json()
        notice = ok(boss.post(CONSTRUCTION_NOTICES, draft, format="json"), 201)
        assert (notice["status"], notice["project"]) == ("draft", "lvcheng")
        assert boss.post(f"{CONSTRUCTION_NOTICES}{notice['id']}/approve/").status_code == 403
        assert (
            api_as(frontdesk).post(f"{CONSTRUCTION_NOTICES}{notice['id']}/issue/").status_code
            == 409
        )
        approved = ok(api_as(manager).post(f"{CONSTRUCTION_NOTICES}{notice['id']}/approve/"))
        assert approved["approved_by"] == staff_id(manager)
        issued = ok(api_as(frontdesk).post(f"{CONSTRUCTION_NOTICES}{notice['id']}/issue/"))
        assert (issued["status"], issued["recipients"]) == ("issued", 1)
        withdrawn = ok(
            boss.post(f"{CONSTRUCTION_NOTICES}{notice['id']}/withdraw/", {"reason": "施工取消"})
        )
    assert withdrawn["status"] == "withdrawn"
    assert api_as(owner).get(CONSTRUCTION_NOTICES).status_code == 403


# --- Inspections and rectification (DEC-07, DEC-10) ------------------------------------------


def test_an_inspection_with_photos_leads_to_a_notice_and_a_fine__DEC_07_DEC_10(
    api_as, on_site, supervisor, contractor_user, owner
):
    boss = api_as(supervisor)

    with time_machine.travel(local("2025-10-14 09:00"), tick=False):
        unexplained = boss.post(
            INSPECTIONS,
            {"permit": on_site.pk, "extinguishers_found": 3, "violation": True},
            format="json",
        )
        assert unexplained.status_code == 400 and "findings" in unexplained.json()
        inspection = ok(
            boss.post(
                INSPECTIONS,
                {
                    "permit": on_site.pk,
                    "extinguishers_found": 1,
                    "findings": "灭火器不足",
                    "photos": [png(), png()],
                },
                format="multipart",
            ),
            201,
        )
        assert inspection["violation"] is True
        assert len(inspection["photos"]) == 2
        assert inspection["inspector"] == staff_id(supervisor)

        due = (local("2025-10-14 09:00") + timedelta(days=2)).isoformat()
        notice = ok(
            boss.post(
                RECTIFICATIONS,
                {
                    "permit": on_site.pk,
                    "inspection": inspection["id"],
                    "items": "补足灭火器 3 具",
                    "due_at": due,
                },
                format="json",
            ),
            201,
        )
        assert notice["status"] == "open"
        fined = ok(
            boss.post(
                url(on_site, "fine"),
                {"amount": "200.00", "reason": "灭火器不足", "notice": notice["id"]},
                format="json",
            )
        )
        assert fined["fine"]["notice"] == notice["id"]
        assert (
            api_as(contractor_user).post(f"{RECTIFICATIONS}{notice['id']}/verify/").status_code
            == 403
        )

    with time_machine.travel(local("2025-10-15 09:00"), tick=False):
        verified = ok(boss.post(f"{RECTIFICATIONS}{notice['id']}/verify/", {"note": "已补足"}))
    assert verified["status"] == "rectified"
    assert verified["verified_by"] == staff_id(supervisor)
    assert ids(api_as(contractor_user).get(RECTIFICATIONS)) == [notice["id"]]
    assert ids(api_as(owner).get(INSPECTIONS)) == [inspection["id"]]
    assert api_as(owner).post(INSPECTIONS, {"permit": on_site.pk}).status_code == 403


def test_an_open_rectification_notice_blocks_acceptance__DEC_10_DEC_11(
    api_as, on_site, supervisor, contractor_user, engineer
):
    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        services.notice_issue(
            permit=on_site, items="清理楼道", due_at=local("2025-11-22 18:00"), by=supervisor
        )
        services.completion_apply(permit=on_site, by=contractor_user)
        response = api_as(engineer).post(url(on_site, "accept"), {}, format="json")

    assert response.status_code == 409
