"""The decoration rules (DEC-01..13) as the services enforce them, for every caller."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction

from decoration import services
from decoration.models import (
    Application,
    ConstructionNotice,
    Contractor,
    DecorationSettings,
    Drawing,
    HotWorkPermit,
    LedgerEntry,
    Permit,
    RectificationNotice,
    WorkerPass,
)
from decoration.services import InvalidTransition
from servicedesk.core.approvals import SelfApprovalError
from servicedesk.core.models import Resident, Role
from servicedesk.notifications.models import Notification
from tests.decoration.conftest import DEPOSIT, WORKER_ID, WORKER_ID_2, local
from tests.factories import ResidentFactory, StaffFactory, UserFactory

S = Permit.Status
K = LedgerEntry.Kind
START = date(2025, 10, 13)

pytestmark = pytest.mark.django_db


def approve(permit, engineer):
    return services.review_decide(
        permit=permit,
        by=engineer,
        approve=True,
        structure_ok=True,
        water_electric_ok=True,
        waterproofing_ok=True,
    )


@pytest.fixture
def started(paid_permit, issue):
    """A permit issued on 2025-10-13 (end 2025-11-26); the clock stays on the start day."""
    with time_machine.travel(local("2025-10-13 09:00"), tick=False):
        yield issue(paid_permit, START)


def kinds(permit) -> list[tuple[str, Decimal]]:
    return list(LedgerEntry.objects.filter(permit=permit).values_list("kind", "amount"))


# --- DEC-01: the flow and the review clock --------------------------------------------


def test_drawings_start_a_five_working_day_review_clock__DEC_01(file_permit, frontdesk):
    """Received 2025-09-30 10:00: Oct 1-8 are holidays; Oct 9, 10, Sat 11 (make-up),
    13 and 14 are the five working days, so review is due 2025-10-14 17:30."""
    with time_machine.travel(local("2025-09-30 10:00"), tick=False):
        permit = file_permit()
        assert permit.status == S.APPLIED
        services.drawings_submit(permit=permit, by=frontdesk)
    permit.refresh_from_db()
    assert permit.status == S.UNDER_REVIEW
    assert permit.review_due_at == local("2025-10-14 17:30")
    assert not permit.review_due_provisional
    # Handed in on paper: the plan and the water/electric layout are on file.
    assert set(permit.drawings.values_list("kind", "on_paper")) == {
        (Drawing.Kind.PLAN, True),
        (Drawing.Kind.WATER_ELECTRIC, True),
    }


def test_review_clock_length_comes_from_the_settings__DEC_01(file_permit, frontdesk):
    config = DecorationSettings.current()
    config.review_working_days = 1
    config.save()
    with time_machine.travel(local("2025-10-13 10:00"), tick=False):
        permit = file_permit()
        services.drawings_submit(permit=permit, by=frontdesk)
    permit.refresh_from_db()
    assert permit.review_due_at == local("2025-10-14 17:30")


def test_deposit_is_refused_before_the_drawings_are_approved__DEC_01(file_permit, frontdesk):
    permit = file_permit()
    with pytest.raises(InvalidTransition):
        services.deposit_pay(permit=permit, amount="20000.00", receipt_no="R1", by=frontdesk)
    assert not LedgerEntry.objects.exists()


def test_only_engineering_reviews_drawings__DEC_01(file_permit, frontdesk, manager):
    permit = file_permit()
    services.drawings_submit(permit=permit, by=frontdesk)
    for user in (frontdesk, manager):
        with pytest.raises(PermissionDenied):
            services.review_decide(
                permit=permit,
                by=user,
                approve=True,
                structure_ok=True,
                water_electric_ok=True,
                waterproofing_ok=True,
            )
    assert Permit.objects.get(pk=permit.pk).status == S.UNDER_REVIEW


def test_a_failed_checklist_item_cannot_be_approved__DEC_01(file_permit, frontdesk, engineer):
    permit = file_permit()
    services.drawings_submit(permit=permit, by=frontdesk)
    with pytest.raises(ValidationError) as exc:
        services.review_decide(
            permit=permit,
            by=engineer,
            approve=True,
            structure_ok=False,
            water_electric_ok=True,
            waterproofing_ok=True,
        )
    assert "checklist" in exc.value.message_dict


def test_rejected_drawings_are_resubmitted_in_a_new_round__DEC_01(file_permit, frontdesk, engineer):
    permit = file_permit()
    services.drawings_submit(permit=permit, by=frontdesk)
    with pytest.raises(ValidationError) as exc:
        services.review_decide(
            permit=permit,
            by=engineer,
            approve=False,
            structure_ok=False,
            water_electric_ok=True,
            waterproofing_ok=True,
        )
    assert "reason" in exc.value.message_dict
    services.review_decide(
        permit=permit,
        by=engineer,
        approve=False,
        structure_ok=False,
        water_electric_ok=True,
        waterproofing_ok=True,
        comments="拆除承重墙，不予批准",
    )
    assert Permit.objects.get(pk=permit.pk).status == S.REJECTED
    services.drawings_submit(permit=permit, by=frontdesk)
    assert permit.drawings.filter(round=2).count() == 2
    review = approve(permit, engineer)
    assert review.round == 2
    assert Permit.objects.get(pk=permit.pk).status == S.APPROVED
    assert list(permit.reviews.values_list("outcome", flat=True)) == ["rejected", "approved"]


def test_engineer_cannot_approve_drawings_they_filed__DEC_01(
    file_permit, engineer, frontdesk, project
):
    engineer.staff_profile.role_assignments.create(role=Role.FRONT_DESK)
    permit = file_permit(by=engineer)
    services.drawings_submit(permit=permit, by=frontdesk)
    with pytest.raises(SelfApprovalError):
        approve(permit, engineer)


def test_uploaded_drawings_are_checked_by_content__DEC_01(file_permit, frontdesk):
    permit = file_permit()
    fake = SimpleUploadedFile("plan.pdf", b"MZ not a pdf at all", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        services.drawings_submit(permit=permit, by=frontdesk, uploads=[("plan", fake)])
    assert "drawings" in exc.value.message_dict
    assert Permit.objects.get(pk=permit.pk).status == S.APPLIED
    real = SimpleUploadedFile(
        "平面图.PDF", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "text/plain"
    )
    services.drawings_submit(permit=permit, by=frontdesk, uploads=[("plan", real)])
    drawing = Drawing.objects.get(permit=permit)
    assert (drawing.content_type, drawing.on_paper) == ("application/pdf", False)
    assert drawing.original_name.lower().endswith(".pdf")
    assert "平面图" not in drawing.file.name  # stored under a generated name


# --- DEC-02: the owner's signature and changes -------------------------------------------


def test_desk_filing_needs_the_owner_signature__DEC_02(file_permit):
    with pytest.raises(ValidationError) as exc:
        file_permit(owner_signed=False)
    assert "owner_signed" in exc.value.message_dict
    assert not Permit.objects.exists()


def test_owner_files_online_as_their_own_signature__DEC_02(file_permit, owner, unit):
    permit = file_permit(by=owner, owner_signed=False)
    assert permit.owner_signature == Permit.Signature.PORTAL
    assert permit.owner == Resident.objects.get(user=owner)


def test_a_tenant_or_another_unit_cannot_file__DEC_02(file_permit, unit, owner):
    tenant = UserFactory(username="tenant101")
    ResidentFactory(unit=unit, user=tenant, kind=Resident.Kind.TENANT)
    with pytest.raises(PermissionDenied):
        file_permit(by=tenant)
    stranger = UserFactory(username="stranger")
    ResidentFactory(user=stranger)  # lives elsewhere
    with pytest.raises(PermissionDenied):
        file_permit(by=stranger)


def test_changed_items_need_a_new_approval_before_work__DEC_02(
    paid_permit, frontdesk, engineer, owner
):
    change = services.change_request(
        permit=paid_permit, items=["墙面翻新", "水电改造", "厨房改造"], reason="增加厨房", by=owner
    )
    with (
        time_machine.travel(local("2025-10-13 09:00"), tick=False),
        pytest.raises(InvalidTransition),
    ):
        services.permit_issue(permit=paid_permit, start_date=START, by=frontdesk)
    with pytest.raises(PermissionDenied):
        services.change_decide(change=change, by=frontdesk, approve=True)
    services.change_decide(change=change, by=engineer, approve=True, note="同意")
    assert Permit.objects.get(pk=paid_permit.pk).items == ["墙面翻新", "水电改造", "厨房改造"]


def test_nobody_approves_their_own_change__DEC_02(approved_permit, engineer):
    change = services.change_request(
        permit=approved_permit, items=["墙面翻新"], reason="取消水电", by=engineer
    )
    with pytest.raises(SelfApprovalError):
        services.change_decide(change=change, by=engineer, approve=True)


# --- DEC-03: the contractor ---------------------------------------------------------------


def test_contractor_licence_is_required__DEC_03(file_permit):
    with pytest.raises(ValidationError) as exc:
        file_permit(contractor_licence="  ")
    assert "contractor_licence" in exc.value.message_dict


def test_contractor_must_hold_a_contract_with_the_owner__DEC_03(file_permit):
    with pytest.raises(ValidationError) as exc:
        file_permit(contract_signed=False)
    assert "contract_signed" in exc.value.message_dict


def test_contractor_is_recorded_once_by_licence__DEC_03(file_permit, contractor_user):
    first = file_permit(contractor_licence="jz-2025-0001")
    second = file_permit(contractor_name="恒安装饰", contractor_licence="JZ-2025-0001")
    assert first.contractor_id == second.contractor_id == contractor_user.decoration_contractor.pk
    third = file_permit(contractor_name="新锐装饰", contractor_licence="JZ-2025-0099")
    assert Contractor.objects.get(pk=third.contractor_id).name == "新锐装饰"


# --- DEC-04: the deposit -------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["20000.001", "-20000", "NaN", "Infinity", "abc", "0", ""])
def test_bad_deposit_amounts_are_refused_naming_the_field__DEC_04(
    approved_permit, frontdesk, amount
):
    with pytest.raises(ValidationError) as exc:
        services.deposit_pay(permit=approved_permit, amount=amount, receipt_no="R1", by=frontdesk)
    assert "amount" in exc.value.message_dict
    assert not LedgerEntry.objects.exists()


def test_deposit_is_the_configured_amount_against_a_receipt__DEC_04(approved_permit, frontdesk):
    with pytest.raises(ValidationError) as exc:
        services.deposit_pay(permit=approved_permit, amount="10000.00", receipt_no="", by=frontdesk)
    assert set(exc.value.message_dict) == {"amount", "receipt_no"}
    entry = services.deposit_pay(
        permit=approved_permit, amount="20000", receipt_no="YJ-1", by=frontdesk
    )
    assert entry.amount == Decimal("20000.00")
    permit = Permit.objects.get(pk=approved_permit.pk)
    assert permit.status == S.DEPOSIT_PAID
    assert services.balances(permit).deposit_balance == DEPOSIT
    with pytest.raises(InvalidTransition):
        services.deposit_pay(permit=permit, amount="20000", receipt_no="YJ-2", by=frontdesk)


def test_the_permit_is_issued_only_after_the_deposit__DEC_04(approved_permit, frontdesk):
    with pytest.raises(InvalidTransition):
        services.permit_issue(permit=approved_permit, start_date=date(2099, 1, 1), by=frontdesk)


def test_a_new_deposit_amount_applies_to_new_permits_only__DEC_04(file_permit):
    old = file_permit()
    config = DecorationSettings.current()
    config.deposit_amount = Decimal("30000.00")
    config.save()
    new = file_permit()
    old.refresh_from_db()
    assert (old.deposit_required, new.deposit_required) == (DEPOSIT, Decimal("30000.00"))


# --- DEC-05: the period and extensions -----------------------------------------------------


def test_the_period_is_45_days_counting_the_start_day__DEC_05(started):
    assert (started.start_date, started.end_date) == (START, date(2025, 11, 26))
    assert started.status == S.IN_PROGRESS
    assert started.period_days == 45


def test_the_start_date_cannot_be_in_the_past__DEC_05(paid_permit, frontdesk):
    with (
        time_machine.travel(local("2025-10-14 09:00"), tick=False),
        pytest.raises(ValidationError) as exc,
    ):
        services.permit_issue(permit=paid_permit, start_date=START, by=frontdesk)
    assert "start_date" in exc.value.message_dict


def test_an_extension_is_asked_for_before_the_end_date__DEC_05(started, frontdesk):
    with (
        time_machine.travel(local("2025-11-27 09:00"), tick=False),
        pytest.raises(InvalidTransition),
    ):
        services.extension_request(
            permit=started, new_end_date=date(2025, 12, 10), reason="材料延误", by=frontdesk
        )
    assert not started.extensions.exists()


def test_a_manager_other_than_the_requester_approves_an_extension__DEC_05(
    started, frontdesk, manager, manager2, contractor_user
):
    with time_machine.travel(local("2025-11-20 09:00"), tick=False):
        with pytest.raises(ValidationError) as exc:
            services.extension_request(
                permit=started, new_end_date=date(2025, 11, 20), reason="", by=contractor_user
            )
        assert set(exc.value.message_dict) == {"new_end_date", "reason"}
        extension = services.extension_request(
            permit=started, new_end_date=date(2025, 12, 10), reason="材料延误", by=manager
        )
        with pytest.raises(PermissionDenied):
            services.extension_decide(extension=extension, by=frontdesk, approve=True)
        with pytest.raises(SelfApprovalError):
            services.extension_decide(extension=extension, by=manager, approve=True)
        services.extension_decide(extension=extension, by=manager2, approve=True)
    permit = Permit.objects.get(pk=started.pk)
    assert permit.end_date == date(2025, 12, 10)
    extension.refresh_from_db()
    assert (extension.old_end_date, extension.decided_by) == (date(2025, 11, 26), manager2)


# --- DEC-06: worker passes -----------------------------------------------------------------


def test_a_pass_costs_fee_plus_deposit_and_expires_with_the_permit__DEC_06(started, frontdesk):
    worker_pass = services.pass_issue(
        permit=started, worker_name="王五", id_number=WORKER_ID.lower(), by=frontdesk
    )
    assert (worker_pass.fee, worker_pass.deposit) == (Decimal("10.00"), Decimal("40.00"))
    assert worker_pass.expires_on == date(2025, 11, 26)
    assert worker_pass.id_number_masked == "110***********002X"
    assert WORKER_ID not in worker_pass.id_number_encrypted
    assert (worker_pass.signed_by, worker_pass.signer_name) == ("site_leader", "郑师傅")
    assert sorted(kinds(started)) == sorted(
        [
            (K.DEPOSIT_RECEIVED, DEPOSIT),
            (K.PASS_FEE, Decimal("10.00")),
            (K.PASS_DEPOSIT_RECEIVED, Decimal("40.00")),
        ]
    )
    assert services.balances(started).pass_deposits_held == Decimal("40.00")


def test_a_pass_needs_a_valid_id_number_and_one_per_worker__DEC_06(started, frontdesk):
    with pytest.raises(ValidationError) as exc:
        services.pass_issue(
            permit=started, worker_name="王五", id_number="110105194912310021", by=frontdesk
        )
    assert "id_number" in exc.value.message_dict
    services.pass_issue(permit=started, worker_name="王五", id_number=WORKER_ID, by=frontdesk)
    with pytest.raises(ValidationError) as exc:
        services.pass_issue(permit=started, worker_name="王五", id_number=WORKER_ID, by=frontdesk)
    assert "id_number" in exc.value.message_dict
    assert WorkerPass.objects.count() == 1


def test_a_pass_signed_by_the_owner_names_the_owner__DEC_06(started, frontdesk):
    assert started.owner_name == "陈静"
    worker_pass = services.pass_issue(
        permit=started, worker_name="王五", id_number=WORKER_ID, signed_by="owner", by=frontdesk
    )
    assert worker_pass.signer_name == started.owner_name


@pytest.mark.parametrize(
    ("returned", "status", "kind"),
    [
        ("2025-11-29 16:00", WorkerPass.Status.RETURNED, K.PASS_DEPOSIT_REFUNDED),
        ("2025-11-30 09:00", WorkerPass.Status.FORFEITED, K.PASS_DEPOSIT_FORFEITED),
    ],
)
def test_a_pass_returned_within_three_days_of_expiry_gets_its_deposit_back__DEC_06(
    started, frontdesk, returned, status, kind
):
    worker_pass = services.pass_issue(
        permit=started, worker_name="王五", id_number=WORKER_ID, by=frontdesk
    )
    with time_machine.travel(local(returned), tick=False):
        services.pass_return(worker_pass=worker_pass, by=frontdesk)
    worker_pass.refresh_from_db()
    assert worker_pass.status == status
    assert LedgerEntry.objects.get(worker_pass=worker_pass, kind=kind).amount == Decimal("40.00")
    assert services.balances(started).pass_deposits_held == Decimal("0.00")
    with pytest.raises(InvalidTransition):
        services.pass_return(worker_pass=worker_pass, by=frontdesk)


def test_a_lost_pass_forfeits_its_deposit__DEC_06(started, frontdesk):
    worker_pass = services.pass_issue(
        permit=started, worker_name="王五", id_number=WORKER_ID, by=frontdesk
    )
    services.pass_report_lost(worker_pass=worker_pass, by=frontdesk, note="工人遗失")
    assert LedgerEntry.objects.filter(worker_pass=worker_pass, kind=K.PASS_DEPOSIT_FORFEITED)
    assert not LedgerEntry.objects.filter(worker_pass=worker_pass, kind=K.PASS_DEPOSIT_REFUNDED)


def test_a_pass_is_renewed_to_the_extended_end_date__DEC_06(started, frontdesk, manager, manager2):
    worker_pass = services.pass_issue(
        permit=started, worker_name="王五", id_number=WORKER_ID, by=frontdesk
    )
    with pytest.raises(InvalidTransition):
        services.pass_renew(worker_pass=worker_pass, by=frontdesk)
    extension = services.extension_request(
        permit=started, new_end_date=date(2025, 12, 10), reason="材料延误", by=manager
    )
    services.extension_decide(extension=extension, by=manager2, approve=True)
    services.pass_renew(worker_pass=worker_pass, by=frontdesk)
    worker_pass.refresh_from_db()
    assert worker_pass.expires_on == date(2025, 12, 10)


# --- DEC-07: extinguishers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "required"),
    [("49.99", 1), ("50", 1), ("100.00", 2), ("100.01", 3), ("120", 3), ("0.5", 1)],
)
def test_one_extinguisher_per_50_square_metres_rounded_up__DEC_07(file_permit, area, required):
    assert file_permit(area_m2=area).extinguishers_required == required


def test_the_extinguisher_area_comes_from_the_settings__DEC_07(file_permit):
    config = DecorationSettings.current()
    config.extinguisher_area_m2 = 40
    config.save()
    assert file_permit(area_m2="120").extinguishers_required == 3
    assert file_permit(area_m2="121").extinguishers_required == 4


def test_too_few_extinguishers_on_site_is_a_violation__DEC_07(started, supervisor):
    inspection = services.inspection_record(permit=started, by=supervisor, extinguishers_found=1)
    assert inspection.violation
    assert "应配 3 具" in inspection.findings
    fine = services.inspection_record(permit=started, by=supervisor, extinguishers_found=3)
    assert not fine.violation


# --- DEC-08: hot work ------------------------------------------------------------------


def hot_work(permit, by, **overrides):
    values = dict(
        permit=permit,
        by=by,
        work_kind="welding",
        location="阳台栏杆",
        starts_at=local("2025-10-15 09:00"),
        ends_at=local("2025-10-15 11:00"),
        welder_name="马焊工",
        welder_certificate_no="T110105198001011234",
        welder_certificate_valid_until=date(2027, 1, 1),
        guardian_name="郑师傅",
        extinguishers_ready=True,
        combustibles_cleared=True,
    )
    values.update(overrides)
    return services.hot_work_request(**values)


def test_hot_work_is_requested_in_advance_with_the_welder_certificate__DEC_08(
    started, contractor_user
):
    with pytest.raises(ValidationError) as exc:
        hot_work(
            started,
            contractor_user,
            starts_at=local("2025-10-13 08:00"),
            welder_certificate_no="",
            welder_certificate_valid_until=date(2025, 10, 14),
        )
    assert {"starts_at", "welder_certificate_no", "welder_certificate_valid_until"} <= set(
        exc.value.message_dict
    )
    hot = hot_work(started, contractor_user)
    assert hot.status == HotWorkPermit.Status.REQUESTED
    assert hot.welder_certificate_no == "T110105198001011234"


def test_hot_work_is_approved_before_it_starts_with_the_checklist_done__DEC_08(
    started, contractor_user, engineer, frontdesk
):
    unready = hot_work(started, contractor_user, extinguishers_ready=False)
    with pytest.raises(ValidationError):
        services.hot_work_decide(hot_work=unready, by=engineer, approve=True)
    hot = hot_work(started, contractor_user, location="厨房")
    with pytest.raises(PermissionDenied):
        services.hot_work_decide(hot_work=hot, by=frontdesk, approve=True)
    with (
        time_machine.travel(local("2025-10-15 09:30"), tick=False),
        pytest.raises(InvalidTransition),
    ):
        services.hot_work_decide(hot_work=hot, by=engineer, approve=True)
    services.hot_work_decide(hot_work=hot, by=engineer, approve=True)
    services.hot_work_close(hot_work=hot, by=frontdesk, note="现场已清理")
    assert HotWorkPermit.objects.get(pk=hot.pk).status == HotWorkPermit.Status.CLOSED


def test_nobody_approves_their_own_hot_work__DEC_08(started, engineer):
    hot = hot_work(started, engineer)
    with pytest.raises(SelfApprovalError):
        services.hot_work_decide(hot_work=hot, by=engineer, approve=True)


# --- DEC-09: other applications -------------------------------------------------------------


def test_tool_registration_is_recorded_and_other_applications_need_approval__DEC_09(
    started, contractor_user, supervisor
):
    tools = services.application_request(
        permit=started, kind="tools", details="电钻 2 把、切割机 1 台", by=contractor_user
    )
    assert tools.status == Application.Status.REGISTERED
    for kind in (
        "overtime",
        "temporary_power",
        "flammable",
        "concealed_work",
        "paint",
        "freight_lift",
        "goods_exit",
    ):
        application = services.application_request(
            permit=started, kind=kind, details="申请内容", by=contractor_user
        )
        assert application.status == Application.Status.REQUESTED
    goods = Application.objects.get(kind="goods_exit")
    services.application_decide(application=goods, by=supervisor, approve=True)
    assert Application.objects.get(pk=goods.pk).status == Application.Status.APPROVED
    with pytest.raises(InvalidTransition):
        services.application_decide(application=tools, by=supervisor, approve=True)


def test_nobody_approves_their_own_application__DEC_09(started, supervisor):
    application = services.application_request(
        permit=started, kind="overtime", details="周六加班", by=supervisor
    )
    with pytest.raises(SelfApprovalError):
        services.application_decide(application=application, by=supervisor, approve=True)


# --- DEC-10: inspections, notices, fines, expulsion ---------------------------------------------


def test_a_violation_gets_a_rectification_notice_and_a_fine_in_the_ledger__DEC_10(
    started, supervisor
):
    inspection = services.inspection_record(
        permit=started,
        by=supervisor,
        extinguishers_found=3,
        findings="装修垃圾堆放在楼道",
        violation=True,
    )
    notice = services.notice_issue(
        permit=started,
        items="当日清运楼道垃圾",
        due_at=local("2025-10-14 17:30"),
        by=supervisor,
        inspection=inspection,
    )
    assert notice.status == RectificationNotice.Status.OPEN
    fine = services.fine_charge(
        permit=started, amount="500", reason="楼道堆放垃圾", by=supervisor, notice=notice
    )
    assert fine.amount == Decimal("500.00")
    balances = services.balances(started)
    assert (balances.fines_charged, balances.fines_outstanding) == (
        Decimal("500.00"),
        Decimal("500.00"),
    )
    assert balances.deposit_balance == DEPOSIT  # charged, not yet settled


@pytest.mark.parametrize("amount", ["12.345", "-5", "NaN", "0"])
def test_bad_fine_amounts_are_refused__DEC_10(started, supervisor, amount):
    with pytest.raises(ValidationError) as exc:
        services.fine_charge(permit=started, amount=amount, reason="违规", by=supervisor)
    assert "amount" in exc.value.message_dict
    assert not started.fines.exists()


def test_front_desk_cannot_fine__DEC_10(started, frontdesk):
    with pytest.raises(PermissionDenied):
        services.fine_charge(permit=started, amount="100", reason="违规", by=frontdesk)


def test_an_expelled_contractor_gets_no_more_passes__DEC_10(started, manager, frontdesk):
    with pytest.raises(PermissionDenied):
        services.contractor_expel(permit=started, reason="殴打保安", by=frontdesk)
    services.contractor_expel(permit=started, reason="殴打保安", by=manager)
    assert Permit.objects.get(pk=started.pk).expelled_at is not None
    with pytest.raises(InvalidTransition):
        services.pass_issue(permit=started, worker_name="王五", id_number=WORKER_ID, by=frontdesk)


# --- DEC-11: completion, acceptance, refund ----------------------------------------------------


@pytest.fixture
def accepted(started, frontdesk, engineer, supervisor):
    services.pass_issue(permit=started, worker_name="王五", id_number=WORKER_ID, by=frontdesk)
    services.fine_charge(permit=started, amount="500.00", reason="占用公共走廊", by=supervisor)
    services.completion_apply(permit=started, by=frontdesk)
    services.acceptance_decide(permit=started, by=engineer, passed=True)
    return Permit.objects.get(pk=started.pk)


def test_completion_takes_the_passes_back__DEC_11(started, frontdesk, contractor_user):
    kept = services.pass_issue(
        permit=started, worker_name="王五", id_number=WORKER_ID, by=frontdesk
    )
    lost = services.pass_issue(
        permit=started, worker_name="赵六", id_number=WORKER_ID_2, by=frontdesk
    )
    services.completion_apply(permit=started, by=frontdesk, lost_passes=[lost.pk])
    assert WorkerPass.objects.get(pk=kept.pk).status == WorkerPass.Status.RETURNED
    assert WorkerPass.objects.get(pk=lost.pk).status == WorkerPass.Status.LOST
    balances = services.balances(started)
    assert balances.pass_deposits_refunded == balances.pass_deposits_forfeited == Decimal("40.00")
    assert Permit.objects.get(pk=started.pk).status == S.COMPLETION_APPLIED


def test_passes_of_an_online_completion_are_collected_at_acceptance_by_staff__DEC_11(
    started, frontdesk, contractor_user, engineer
):
    """The contractor's own login never records a deposit paid back (DEC-06, DEC-12)."""
    worker_pass = services.pass_issue(
        permit=started, worker_name="王五", id_number=WORKER_ID, by=frontdesk
    )
    services.completion_apply(permit=started, by=contractor_user)
    assert WorkerPass.objects.get(pk=worker_pass.pk).status == WorkerPass.Status.ISSUED
    services.acceptance_decide(permit=started, by=engineer, passed=True)
    assert WorkerPass.objects.get(pk=worker_pass.pk).status == WorkerPass.Status.RETURNED
    refund = LedgerEntry.objects.get(worker_pass=worker_pass, kind=K.PASS_DEPOSIT_REFUNDED)
    assert refund.by == engineer


def test_acceptance_checks_alterations_debris_and_open_notices__DEC_11(
    started, frontdesk, engineer, supervisor
):
    notice = services.notice_issue(
        permit=started, items="清理垃圾", due_at=local("2025-10-20 17:30"), by=supervisor
    )
    services.completion_apply(permit=started, by=frontdesk)
    with pytest.raises(ValidationError):
        services.acceptance_decide(
            permit=started, by=engineer, passed=True, no_illegal_alterations=False
        )
    with pytest.raises(InvalidTransition):
        services.acceptance_decide(permit=started, by=engineer, passed=True)
    services.notice_verify(notice=notice, by=supervisor, note="已清理")
    with pytest.raises(ValidationError):
        services.acceptance_decide(permit=started, by=engineer, passed=False)
    services.acceptance_decide(permit=started, by=engineer, passed=False, note="阳台违规封闭")
    assert Permit.objects.get(pk=started.pk).status == S.IN_PROGRESS
    services.completion_apply(permit=started, by=frontdesk)
    services.acceptance_decide(permit=started, by=engineer, passed=True, note="合格")
    assert Permit.objects.get(pk=started.pk).status == S.ACCEPTED


def test_refund_settles_unpaid_fines_and_returns_the_rest__DEC_11(accepted, frontdesk):
    entry, plan = services.deposit_refund(permit=accepted, receipt_no="YJ-0001", by=frontdesk)
    assert entry.amount == plan.refund == Decimal("19500.00")
    assert plan.fines_deducted == Decimal("500.00")
    permit = Permit.objects.get(pk=accepted.pk)
    assert permit.status == S.CLOSED
    balances = services.balances(permit)
    assert balances.deposit_balance == Decimal("0.00")
    assert balances.fines_outstanding == Decimal("0.00")
    assert balances.refunded == Decimal("19500.00")


def test_a_fine_paid_in_cash_is_not_taken_from_the_deposit__DEC_11(accepted, frontdesk):
    fine = accepted.fines.get()
    services.fine_pay(fine=fine, receipt_no="FK-R1", by=frontdesk)
    with pytest.raises(InvalidTransition):
        services.fine_pay(fine=fine, receipt_no="FK-R2", by=frontdesk)
    entry, _plan = services.deposit_refund(permit=accepted, receipt_no="YJ-0001", by=frontdesk)
    assert entry.amount == DEPOSIT


def test_the_refund_needs_the_deposit_receipt__DEC_11(accepted, frontdesk):
    with pytest.raises(ValidationError) as exc:
        services.deposit_refund(permit=accepted, receipt_no="YJ-9999", by=frontdesk)
    assert "receipt_no" in exc.value.message_dict
    services.receipt_lost_record(permit=accepted, by=frontdesk, note="业主遗失收据")
    with pytest.raises(InvalidTransition):
        services.deposit_refund(permit=accepted, receipt_no="YJ-0001", by=frontdesk)
    assert not LedgerEntry.objects.filter(kind=K.DEPOSIT_REFUNDED).exists()
    assert Permit.objects.get(pk=accepted.pk).status == S.ACCEPTED


def test_no_refund_before_acceptance__DEC_11(started, frontdesk):
    with pytest.raises(InvalidTransition):
        services.deposit_refund(permit=started, receipt_no="YJ-0001", by=frontdesk)


def test_fines_beyond_the_deposit_leave_a_zero_refund_and_the_rest_owed__DEC_11(
    started, frontdesk, engineer, supervisor
):
    services.fine_charge(permit=started, amount="15000", reason="破坏外墙", by=supervisor)
    services.fine_charge(permit=started, amount="8000.50", reason="违规动火", by=supervisor)
    services.completion_apply(permit=started, by=frontdesk)
    services.acceptance_decide(permit=started, by=engineer, passed=True)
    entry, plan = services.deposit_refund(permit=started, receipt_no="YJ-0001", by=frontdesk)
    assert (entry.amount, plan.fines_deducted, plan.fines_left_unpaid) == (
        Decimal("0.00"),
        DEPOSIT,
        Decimal("3000.50"),
    )
    assert services.balances(started).fines_outstanding == Decimal("3000.50")


def test_deductions_never_exceed_the_deposit_held__DEC_11(started, frontdesk, engineer):
    services.completion_apply(permit=started, by=frontdesk)
    with pytest.raises(ValidationError):
        services.deduction_record(permit=started, amount="20000.01", reason="损坏", by=engineer)
    services.deduction_record(permit=started, amount="300", reason="电梯轿厢划伤", by=engineer)
    assert services.balances(started).deposit_balance == Decimal("19700.00")


# --- DEC-12: the ledger ------------------------------------------------------------------------


def test_a_refund_happens_at_most_once__DEC_12(accepted, frontdesk, supervisor):
    services.deposit_refund(permit=accepted, receipt_no="YJ-0001", by=frontdesk)
    with pytest.raises(InvalidTransition):
        services.deposit_refund(permit=accepted, receipt_no="YJ-0001", by=supervisor)
    # The database itself refuses a second refund row, whoever writes it.
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(permit=accepted, kind=K.DEPOSIT_REFUNDED, amount=Decimal("1"))
    assert LedgerEntry.objects.filter(kind=K.DEPOSIT_REFUNDED).count() == 1


def test_every_amount_is_a_ledger_entry_and_balances_derive_from_it__DEC_12(accepted, frontdesk):
    services.deposit_refund(permit=accepted, receipt_no="YJ-0001", by=frontdesk)
    entries = kinds(accepted)
    received = sum(a for k, a in entries if k in {K.DEPOSIT_RECEIVED, K.PASS_DEPOSIT_RECEIVED})
    out = sum(
        a
        for k, a in entries
        if k
        in {
            K.DEPOSIT_REFUNDED,
            K.FINE_DEDUCTED,
            K.DEDUCTION,
            K.PASS_DEPOSIT_REFUNDED,
            K.PASS_DEPOSIT_FORFEITED,
        }
    )
    assert received - out == Decimal("0.00")
    assert all(isinstance(a, Decimal) and a == a.quantize(Decimal("0.01")) for _k, a in entries)
    balances = services.balances(accepted)
    assert balances.received_total == Decimal("20050.00")  # deposit + pass fee + pass deposit


# --- DEC-13: notices to other owners ------------------------------------------------------------


def test_a_notice_goes_out_three_working_days_ahead_after_approval__DEC_13(
    project, unit, owner, frontdesk, supervisor, manager
):
    """Drafted Friday 2025-09-26: the 3rd working day after is Tue Sep 30 (Sun 28 is a
    make-up working day), so work may start on Sep 30, not on Sep 29."""
    with time_machine.travel(local("2025-09-26 10:00"), tick=False):
        draft = dict(
            project=project,
            title="1栋外墙维修",
            body="9月30日起施工，请关好窗户",
            work_ends_on=date(2025, 10, 20),
            by=supervisor,
        )
        with pytest.raises(ValidationError) as exc:
            services.construction_notice_draft(work_starts_on=date(2025, 9, 29), **draft)
        assert "work_starts_on" in exc.value.message_dict
        notice = services.construction_notice_draft(work_starts_on=date(2025, 9, 30), **draft)
        with pytest.raises(InvalidTransition):
            services.construction_notice_issue(notice=notice, by=frontdesk)
        with pytest.raises(PermissionDenied):
            services.construction_notice_approve(notice=notice, by=frontdesk)
        with pytest.raises(SelfApprovalError):
            services.construction_notice_approve(notice=notice, by=supervisor)
        services.construction_notice_approve(notice=notice, by=manager)
        services.construction_notice_issue(notice=notice, by=frontdesk)
    notice.refresh_from_db()
    assert notice.status == ConstructionNotice.Status.ISSUED
    assert notice.recipients == 1
    assert Notification.objects.filter(recipient=owner, reason="construction_notice").exists()


def test_an_approved_notice_that_became_too_late_is_not_issued__DEC_13(
    project, frontdesk, supervisor
):
    with time_machine.travel(local("2025-10-13 10:00"), tick=False):
        notice = services.construction_notice_draft(
            project=project,
            title="停水通知",
            body="更换水泵",
            work_starts_on=date(2025, 10, 16),
            work_ends_on=date(2025, 10, 16),
            by=frontdesk,
        )
        services.construction_notice_approve(notice=notice, by=supervisor)
    with (
        time_machine.travel(local("2025-10-14 10:00"), tick=False),
        pytest.raises(InvalidTransition),
    ):
        services.construction_notice_issue(notice=notice, by=frontdesk)
    assert ConstructionNotice.objects.get(pk=notice.pk).status == "approved"


# --- ORG: scope of the acting person ----------------------------------------------------------


def test_staff_of_another_project_cannot_act_on_a_permit(approved_permit, outsider):
    with pytest.raises(PermissionDenied):
        services.deposit_pay(permit=approved_permit, amount="20000", receipt_no="R", by=outsider)


def test_another_contractor_cannot_act_on_a_permit(started, project):
    other = UserFactory(username="other_contractor")
    StaffFactory(user=other, roles=[Role.CONTRACTOR])
    Contractor.objects.create(name="别家装饰", licence_no="JZ-OTHER", user=other)
    with pytest.raises(PermissionDenied):
        services.extension_request(
            permit=started, new_end_date=started.end_date + timedelta(days=5), reason="x", by=other
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_raw_updates_and_deletes_of_the_ledger__DEC_12(accepted):
    before = kinds(accepted)
    for statement in (
        "UPDATE decoration_ledgerentry SET amount = 1",
        "DELETE FROM decoration_ledgerentry",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement)
    assert kinds(accepted) == before
