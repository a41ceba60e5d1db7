"""Key custody rules through the services every entry point calls (KEY-01..10, ORG-04)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from keys import selectors, services
from keys.models import (
    ContactAttempt,
    CopyRequest,
    CustodyTransfer,
    EmergencyUse,
    Entrustment,
    Handover,
    Incident,
    Key,
    Loan,
    LockChange,
    MonthlyReport,
)
from servicedesk.core.approvals import SelfApprovalError
from servicedesk.core.models import Event, Resident, Role
from servicedesk.notifications.models import Notification
from tests.factories import ResidentFactory, StaffFactory, UnitFactory, UserFactory
from tests.keys.conftest import local

pytestmark = pytest.mark.django_db


def events(obj, action=None):
    rows = Event.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
    return rows.filter(action=action) if action else rows


# --- KEY-01 register and custody -------------------------------------------------


def test_key_is_registered_with_tag_position_and_custodian__KEY_01(public_key, frontdesk):
    assert public_key.tag == "G-001"
    assert public_key.cabinet_position == "A-01"
    assert public_key.custodian == frontdesk
    assert public_key.status == Key.Status.AVAILABLE
    assert events(public_key, "registered").count() == 1


def test_tag_already_registered_in_project_is_refused_naming_the_field__KEY_01(
    project, public_key, frontdesk
):
    with pytest.raises(ValidationError) as exc:
        services.key_register(
            project=project, tag="G-001", kind=Key.Kind.OTHER, opens="配电房", by=frontdesk
        )
    assert "tag" in exc.value.message_dict


def test_custody_transfer_is_recorded_in_detail__KEY_01(public_key, frontdesk, supervisor):
    services.custody_transfer(
        keys=[public_key], to_custodian=supervisor, reason="调岗交接", by=frontdesk
    )
    transfer = CustodyTransfer.objects.get(key=public_key)
    assert (transfer.from_custodian, transfer.to_custodian) == (frontdesk, supervisor)
    assert transfer.reason == "调岗交接"
    public_key.refresh_from_db()
    assert public_key.custodian == supervisor


def test_staff_of_another_project_cannot_register_keys(project, outsider):
    with pytest.raises(PermissionDenied):
        services.key_register(
            project=project, tag="X-1", kind=Key.Kind.OTHER, opens="配电房", by=outsider
        )


# --- KEY-02 entrustments ---------------------------------------------------------------


def test_owner_spare_key_without_entrustment_is_refused__KEY_02(project, unit, frontdesk):
    with pytest.raises(ValidationError) as exc:
        services.key_register(
            project=project,
            tag="Y-999",
            kind=Key.Kind.OWNER_SPARE,
            opens="1-101 入户门",
            unit=unit,
            by=frontdesk,
        )
    assert "entrustment" in exc.value.message_dict


def test_database_refuses_owner_spare_key_without_entrustment__KEY_02(project, unit):
    with pytest.raises(IntegrityError), transaction.atomic():
        Key.objects.create(
            project=project, tag="Y-998", kind=Key.Kind.OWNER_SPARE, opens="门", unit=unit
        )


def test_unconfirmed_entrustment_key_cannot_be_lent_until_owner_confirms__KEY_02(
    owner_resident, owner, frontdesk, request_loan
):
    entrustment = services.entrustment_create(
        resident=owner_resident,
        allowed_uses=["maintenance"],
        valid_until=date(2099, 1, 1),
        key_tag="Y-102",
        by=frontdesk,
    )
    key = entrustment.keys.get()
    assert entrustment.status == Entrustment.Status.PENDING
    assert Notification.objects.filter(recipient=owner, reason="entrustment_confirm").exists()
    with pytest.raises(ValidationError) as exc:
        request_loan(key)
    assert "key" in exc.value.message_dict

    services.entrustment_confirm(entrustment=entrustment, by=owner, method="portal")
    entrustment.refresh_from_db()
    assert entrustment.status == Entrustment.Status.ACTIVE
    assert entrustment.confirmation == Entrustment.Confirmation.PORTAL
    assert request_loan(key).status == Loan.Status.REQUESTED


def test_only_the_entrusting_owner_confirms_online__KEY_02(owner_resident, frontdesk, unit):
    entrustment = services.entrustment_create(
        resident=owner_resident,
        allowed_uses=["maintenance"],
        valid_until=date(2099, 1, 1),
        key_tag="Y-103",
        by=frontdesk,
    )
    neighbour = UserFactory(username="neighbour")
    ResidentFactory(unit=unit, name="邻居", kind=Resident.Kind.TENANT, user=neighbour)
    with pytest.raises(PermissionDenied):
        services.entrustment_confirm(entrustment=entrustment, by=neighbour, method="portal")


def test_use_the_owner_did_not_allow_is_refused__KEY_02(spare_key, request_loan):
    with pytest.raises(ValidationError) as exc:
        request_loan(spare_key, use="viewing", purpose="带客看房")
    assert "未允许" in exc.value.message_dict["key"][0]


def test_loan_after_entrustment_validity_is_refused__KEY_02(spare_key, request_loan):
    with time_machine.travel(local("2100-01-02 10:00")), pytest.raises(ValidationError):
        request_loan(spare_key)


def test_revoking_an_entrustment_returns_the_key_to_the_owner__KEY_02(spare_key, frontdesk):
    services.entrustment_revoke(entrustment=spare_key.entrustment, by=frontdesk, reason="业主自取")
    spare_key.refresh_from_db()
    assert spare_key.status == Key.Status.RETURNED
    assert spare_key.entrustment.status == Entrustment.Status.REVOKED
    assert events(spare_key.entrustment, "revoked").get().reason == "业主自取"


def test_revocation_waits_while_the_key_is_out__KEY_02(spare_key, loan_out, frontdesk):
    loan_out(spare_key)
    with pytest.raises(services.InvalidTransition):
        services.entrustment_revoke(entrustment=spare_key.entrustment, by=frontdesk, reason="收回")


def test_entrustment_only_by_the_owner_not_a_tenant__KEY_02(unit, frontdesk):
    tenant = ResidentFactory(unit=unit, name="租客", kind=Resident.Kind.TENANT)
    with pytest.raises(ValidationError) as exc:
        services.entrustment_create(
            resident=tenant,
            allowed_uses=["maintenance"],
            valid_until=date(2099, 1, 1),
            key_tag="Y-104",
            by=frontdesk,
        )
    assert "resident" in exc.value.message_dict


# --- KEY-03 approval, ORG-04 ---------------------------------------------------------


def test_loan_cannot_go_out_before_a_manager_approves__KEY_03(public_key, request_loan, frontdesk):
    loan = request_loan(public_key)
    with pytest.raises(services.InvalidTransition):
        services.loan_checkout(loan=loan, by=frontdesk)
    public_key.refresh_from_db()
    assert public_key.status == Key.Status.AVAILABLE


def test_front_desk_cannot_approve_a_loan__KEY_03(public_key, request_loan, project):
    other_clerk = StaffFactory(roles=[Role.FRONT_DESK], projects=[project]).user
    loan = request_loan(public_key)
    with pytest.raises(PermissionDenied):
        services.loan_approve(loan=loan, by=other_clerk)


def test_nobody_approves_their_own_loan_request__ORG_04(public_key, manager):
    loan = services.loan_request(key=public_key, purpose="巡查天台", by=manager)
    with pytest.raises(SelfApprovalError):
        services.loan_approve(loan=loan, by=manager)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.REQUESTED


def test_loan_log_records_who_why_approver_out_and_back__KEY_03(
    public_key, loan_out, manager, frontdesk
):
    loan = loan_out(public_key, borrower_name="孙工", borrower_unit="工程部")
    services.loan_return(loan=loan, by=frontdesk)
    loan.refresh_from_db()
    assert loan.borrower_name == "孙工"
    assert loan.purpose == "维修天台水箱"
    assert loan.approved_by == manager
    assert loan.out_at is not None and loan.returned_at is not None
    assert [e.action for e in events(loan).order_by("pk")] == [
        "requested",
        "approved",
        "out",
        "returned",
    ]


def test_rejection_needs_a_reason_and_frees_the_key(public_key, request_loan, manager):
    loan = request_loan(public_key)
    with pytest.raises(ValidationError):
        services.loan_reject(loan=loan, by=manager, note=" ")
    services.loan_reject(loan=loan, by=manager, note="非工作需要")
    assert request_loan(public_key).status == Loan.Status.REQUESTED


# --- KEY-04 same day -------------------------------------------------------------------


def test_same_day_loan_is_due_at_the_end_of_the_local_day__KEY_04(
    public_key, request_loan, manager, frontdesk
):
    # 00:30 in Shanghai is still the previous day in UTC: the local day counts.
    with time_machine.travel(local("2026-03-10 00:30"), tick=False):
        loan = request_loan(public_key)
        services.loan_approve(loan=loan, by=manager)
        loan = services.loan_checkout(loan=loan, by=frontdesk)
    assert loan.due_at == local("2026-03-10 23:59:59.999999")


def test_ordinary_loan_cannot_ask_for_a_later_return__KEY_04(public_key, request_loan):
    with pytest.raises(ValidationError) as exc:
        request_loan(public_key, due_at=local("2099-01-01 10:00"))
    assert "due_at" in exc.value.message_dict


def test_maintenance_loan_keeps_its_approved_later_return_time__KEY_04(public_key, loan_out):
    with time_machine.travel(local("2026-03-10 09:00"), tick=False):
        loan = loan_out(public_key, maintenance=True, due_at=local("2026-03-12 18:00"))
    assert loan.due_at == local("2026-03-12 18:00")


def test_maintenance_due_time_in_the_past_is_refused__KEY_04(public_key, request_loan):
    with (
        time_machine.travel(local("2026-03-10 09:00"), tick=False),
        pytest.raises(ValidationError) as exc,
    ):
        request_loan(public_key, maintenance=True, due_at=local("2026-03-09 18:00"))
    assert "due_at" in exc.value.message_dict
    assert not Loan.objects.exists()


# --- KEY-05 one loan per key ---------------------------------------------------------


def test_key_on_loan_cannot_be_lent_again__KEY_05(public_key, loan_out, request_loan):
    loan_out(public_key)
    with pytest.raises(services.InvalidTransition):
        request_loan(public_key)
    assert Loan.objects.filter(key=public_key).count() == 1


def test_second_request_while_one_is_pending_is_refused__KEY_05(public_key, request_loan):
    request_loan(public_key)
    with pytest.raises(services.InvalidTransition):
        request_loan(public_key, purpose="另一个事由")


def test_database_allows_one_live_loan_per_key__KEY_05(public_key, request_loan, frontdesk):
    first = request_loan(public_key)
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.create(
            project=first.project,
            number="JY-X",
            key=public_key,
            borrower_name="x",
            purpose="x",
            requested_by=frontdesk,
        )


def test_returning_a_key_not_out_is_refused(public_key, request_loan, frontdesk):
    loan = request_loan(public_key)
    with pytest.raises(services.InvalidTransition):
        services.loan_return(loan=loan, by=frontdesk)


# --- KEY-06 copies -------------------------------------------------------------------


def test_copies_need_a_recorded_approval_and_become_keys_of_their_own__KEY_06(
    public_key, frontdesk, manager
):
    request = services.copy_request(key=public_key, count=2, reason="工程部常用", by=frontdesk)
    with pytest.raises(services.InvalidTransition):
        services.copy_register(request=request, tags=["G-001-C1", "G-001-C2"], by=frontdesk)
    with pytest.raises(SelfApprovalError):
        services.copy_decide(
            request=services.copy_request(key=public_key, count=1, reason="x", by=manager),
            by=manager,
            approve=True,
        )
    services.copy_decide(request=request, by=manager, approve=True, note="同意")
    copies = services.copy_register(request=request, tags=["G-001-C1", "G-001-C2"], by=frontdesk)
    assert [c.copy_of for c in copies] == [public_key, public_key]
    request.refresh_from_db()
    assert request.status == CopyRequest.Status.MADE
    assert request.decided_by == manager


# --- KEY-07 emergency use -------------------------------------------------------------


@pytest.fixture
def emergency(spare_key, duty):
    return services.emergency_open(key=spare_key, kind="water_leak", reason="楼下漏水", by=duty)


def test_duty_manager_takes_the_key_at_night_without_prior_approval__KEY_07(spare_key, duty):
    with time_machine.travel(local("2026-03-10 02:00"), tick=False):
        use = services.emergency_open(key=spare_key, kind="fire", reason="烟感报警", by=duty)
    spare_key.refresh_from_db()
    assert spare_key.status == Key.Status.ON_LOAN
    assert use.loan.emergency and use.loan.status == Loan.Status.OUT
    assert use.loan.approved_by is None


def test_front_desk_cannot_break_glass__KEY_07(spare_key, frontdesk):
    with pytest.raises(PermissionDenied):
        services.emergency_open(key=spare_key, kind="fire", reason="x", by=frontdesk)


def test_owner_is_tried_before_the_emergency_contact__KEY_07(emergency, duty):
    with pytest.raises(ValidationError) as exc:
        services.emergency_attempt(
            use=emergency,
            whom="emergency_contact",
            name="陈父",
            method="phone",
            result="reached",
            by=duty,
        )
    assert "whom" in exc.value.message_dict


def test_entry_needs_an_owner_attempt_and_a_second_person__KEY_07(emergency, duty):
    with pytest.raises(ValidationError) as exc:
        services.emergency_enter(use=emergency, witness_name="", by=duty)
    assert {"attempts", "witness_name"} <= set(exc.value.message_dict)


def test_unreachable_owner_means_the_emergency_contact_is_tried_before_entry__KEY_07(
    emergency, duty
):
    services.emergency_attempt(
        use=emergency, whom="owner", name="陈静", method="phone", result="no_answer", by=duty
    )
    with pytest.raises(ValidationError) as exc:
        services.emergency_enter(use=emergency, witness_name="保安王五", by=duty)
    assert "attempts" in exc.value.message_dict
    services.emergency_attempt(
        use=emergency,
        whom="emergency_contact",
        name="陈父",
        method="phone",
        result="no_answer",
        by=duty,
    )
    services.emergency_enter(use=emergency, witness_name="保安王五", by=duty)
    emergency.refresh_from_db()
    assert emergency.entered_at is not None
    assert emergency.attempts.count() == 2


def test_after_the_emergency_the_key_is_back_and_the_owner_told_by_portal_and_sms__KEY_07(
    emergency, duty, owner
):
    services.emergency_attempt(
        use=emergency, whom="owner", name="陈静", method="phone", result="reached", by=duty
    )
    services.emergency_enter(use=emergency, witness_name="保安王五", by=duty)
    services.emergency_close(use=emergency, outcome="关闭水阀，地面已清理", by=duty)
    emergency.refresh_from_db()
    assert emergency.status == EmergencyUse.Status.CLOSED
    assert emergency.key.status == Key.Status.AVAILABLE
    note = Notification.objects.get(recipient=owner, object_id=str(emergency.pk))
    assert note.sms_phone and note.sms_state == Notification.Delivery.PENDING
    assert "关闭水阀" in note.body


def test_emergency_is_reviewed_by_someone_other_than_who_used_the_key__KEY_07(
    emergency, duty, supervisor
):
    services.emergency_attempt(
        use=emergency, whom="owner", name="陈静", method="phone", result="reached", by=duty
    )
    services.emergency_enter(use=emergency, witness_name="保安王五", by=duty)
    services.emergency_close(use=emergency, outcome="已处置", by=duty)
    with pytest.raises(PermissionDenied):
        services.emergency_review(use=emergency, by=duty, note="ok")
    services.emergency_review(use=emergency, by=supervisor, note="处置得当")
    emergency.refresh_from_db()
    assert emergency.status == EmergencyUse.Status.REVIEWED
    assert ContactAttempt.objects.filter(emergency=emergency).count() == 1


# --- KEY-08 lock changes -------------------------------------------------------------


def test_lock_change_retires_the_old_key_and_starts_a_24_hour_sealing_clock__KEY_08(
    project, public_key, engineer, duty, frontdesk
):
    with time_machine.travel(local("2026-03-10 15:00"), tick=False):
        change = services.lock_change_record(
            project=project,
            old_key=public_key,
            location="1栋 天台门",
            reason="锁芯损坏",
            new_tag="G-001A",
            by=engineer,
        )
    public_key.refresh_from_db()
    assert public_key.status == Key.Status.RETIRED
    assert change.new_key.status == Key.Status.AWAITING_SEAL
    assert change.seal_due_at == local("2026-03-11 15:00")
    # The relevant departments are told, the duty manager among them.
    told = set(
        Notification.objects.filter(reason="lock_changed").values_list("recipient", flat=True)
    )
    assert {duty.pk, frontdesk.pk} <= told


def test_only_the_duty_manager_seals_the_new_key__KEY_08(project, engineer, duty, manager):
    change = services.lock_change_record(
        project=project, location="B2 水泵房", reason="防盗升级", new_tag="P-B2", by=engineer
    )
    with pytest.raises(PermissionDenied):
        services.lock_change_seal(change=change, by=manager)
    services.lock_change_seal(change=change, by=duty, seal_number="FC-0001")
    change.refresh_from_db()
    assert change.status == LockChange.Status.SEALED
    assert change.new_key.status == Key.Status.SEALED


def test_lock_change_cannot_be_dated_in_the_future__KEY_08(project, engineer):
    with pytest.raises(ValidationError) as exc:
        services.lock_change_record(
            project=project,
            location="B2",
            reason="x",
            new_tag="P-1",
            changed_at=local("2099-01-01 10:00"),
            by=engineer,
        )
    assert "changed_at" in exc.value.message_dict


# --- KEY-09 damage, loss, monthly report ----------------------------------------------


def test_key_lost_on_loan_is_recorded_and_marked_lost__KEY_09(public_key, loan_out, frontdesk):
    loan = loan_out(public_key)
    with pytest.raises(ValidationError):
        services.loan_return(loan=loan, by=frontdesk, condition="lost")
    services.loan_return(loan=loan, by=frontdesk, condition="lost", note="施工人员遗失")
    public_key.refresh_from_db()
    assert public_key.status == Key.Status.LOST
    assert Incident.objects.get(key=public_key).kind == Incident.Kind.LOST
    services.incident_record(key=public_key, kind="found", note="在天台找到", by=frontdesk)
    public_key.refresh_from_db()
    assert public_key.status == Key.Status.AVAILABLE


def test_month_figures_count_use_overdue_damage_and_loss__KEY_09(
    project, public_key, loan_out, frontdesk
):
    with time_machine.travel(local("2026-02-10 09:00"), tick=False):
        loan = loan_out(public_key)
    with time_machine.travel(local("2026-02-11 09:00"), tick=False):  # back the next day
        services.loan_return(loan=loan, by=frontdesk, condition="damaged", note="齿口磨损")
    with time_machine.travel(local("2026-02-12 09:00"), tick=False):
        loan = loan_out(public_key)
        services.loan_return(loan=loan, by=frontdesk)
    figures = selectors.month_figures(project, date(2026, 2, 1))
    assert figures["loans"] == 2
    assert figures["overdue"] == 1
    assert figures["damaged"] == 1
    assert figures["lost"] == 0


def test_monthly_report_goes_to_the_supervisor_who_signs_it_off__KEY_09(
    project, public_key, loan_out, frontdesk, supervisor
):
    with time_machine.travel(local("2026-02-10 09:00"), tick=False):
        loan_out(public_key)
    with time_machine.travel(local("2026-03-02 09:00"), tick=False):
        with pytest.raises(ValidationError):
            services.report_submit(project=project, month=date(2026, 3, 1), by=frontdesk)
        report = services.report_submit(project=project, month=date(2026, 2, 1), by=frontdesk)
        assert report.figures["loans"] == 1
        assert Notification.objects.filter(recipient=supervisor, reason="report_review").exists()
        with pytest.raises(PermissionDenied):
            services.report_review(report=report, by=frontdesk)
        services.report_review(report=report, by=supervisor, note="已审核")
    report.refresh_from_db()
    assert report.status == MonthlyReport.Status.REVIEWED
    assert report.reviewed_by == supervisor


# --- KEY-10 handover -------------------------------------------------------------------


def test_handover_lists_keys_out_and_is_signed_by_both__KEY_10(
    project, public_key, loan_out, frontdesk, duty
):
    loan_out(public_key, borrower_name="孙工")
    handover = services.handover_create(
        project=project, taken_by=duty, by=frontdesk, other_items="对讲机 2 台"
    )
    assert [k["tag"] for k in handover.keys_out] == ["G-001"]
    assert handover.keys_out[0]["borrower"] == "孙工"
    with pytest.raises(PermissionDenied):
        services.handover_sign(handover=handover, by=frontdesk)
    services.handover_sign(handover=handover, by=duty, note="核对无误")
    handover.refresh_from_db()
    assert handover.status == Handover.Status.SIGNED
    assert handover.signed_at is not None


def test_handover_to_oneself_is_refused__KEY_10(project, frontdesk):
    with pytest.raises(ValidationError) as exc:
        services.handover_create(project=project, taken_by=frontdesk, by=frontdesk)
    assert "taken_by" in exc.value.message_dict


def test_board_search_by_room_number_is_exact__KEY_01(project, spare_key, frontdesk):
    UnitFactory(building__project=project, building__code="11", number="11-101")
    keys = Key.objects.filter(project=project)
    assert list(selectors.search_keys(keys, "1-101")) == [spare_key]
    assert list(selectors.search_keys(keys, "Y-1")) == [spare_key]
    assert selectors.status_counts(keys)[Key.Status.AVAILABLE] == 1


def test_room_search_never_finds_a_neighbouring_rooms_key__KEY_01(project, frontdesk):
    keys = []
    for number in ("1-1001", "11-1001"):
        unit = UnitFactory(
            building__project=project, building__code=number.split("-")[0], number=number
        )
        resident = ResidentFactory(unit=unit, name=f"业主{number}")
        entrustment = services.entrustment_create(
            resident=resident,
            allowed_uses=["maintenance"],
            valid_until=date(2099, 1, 1),
            key_tag=f"Y-{number}",
            paper_signed=True,
            by=frontdesk,
        )
        keys.append(entrustment.keys.get())
    found = selectors.search_keys(Key.objects.filter(project=project), "1-1001")
    assert list(found) == [keys[0]]


def test_approved_loan_cannot_go_out_after_the_entrustment_ended__KEY_02(
    owner_resident, frontdesk, manager, request_loan
):
    with time_machine.travel(local("2026-03-31 10:00"), tick=False):
        entrustment = services.entrustment_create(
            resident=owner_resident,
            allowed_uses=["maintenance"],
            valid_until=date(2026, 3, 31),
            key_tag="Y-301",
            paper_signed=True,
            by=frontdesk,
        )
        loan = request_loan(entrustment.keys.get())
        services.loan_approve(loan=loan, by=manager)
    with (
        time_machine.travel(local("2026-04-01 09:00"), tick=False),
        pytest.raises(services.InvalidTransition, match="有效期"),
    ):
        services.loan_checkout(loan=loan, by=frontdesk)


def test_revocation_cancels_a_pending_request_with_its_event__KEY_02(
    spare_key, request_loan, frontdesk
):
    loan = request_loan(spare_key)
    services.entrustment_revoke(entrustment=spare_key.entrustment, by=frontdesk, reason="业主自取")
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CANCELLED
    assert events(loan, "cancelled").get().reason == "委托撤销"


def test_facility_key_emergency_tells_no_resident__KEY_07(public_key, duty):
    use = services.emergency_open(key=public_key, kind="fire", reason="烟感报警", by=duty)
    services.emergency_enter(use=use, witness_name="保安王五", by=duty)
    use = services.emergency_close(use=use, outcome="误报", by=duty)
    assert use.owner_notified_at is None


def test_an_emergency_key_comes_back_through_the_emergency_record__KEY_07(emergency, duty):
    with pytest.raises(services.InvalidTransition):
        services.loan_return(loan=emergency.loan, by=duty)
    services.emergency_attempt(
        use=emergency, whom="owner", name="陈静", method="phone", result="reached", by=duty
    )
    services.emergency_enter(use=emergency, witness_name="保安王五", by=duty)
    use = services.emergency_close(use=emergency, outcome="已处置", by=duty)
    assert use.status == EmergencyUse.Status.CLOSED
    assert Loan.objects.get(pk=use.loan_id).status == Loan.Status.RETURNED


def test_a_sealed_key_used_in_an_emergency_goes_back_under_seal__KEY_08(project, engineer, duty):
    change = services.lock_change_record(
        project=project, location="B2 水泵房", reason="锁芯损坏", new_tag="P-B2", by=engineer
    )
    services.lock_change_seal(change=change, by=duty)
    use = services.emergency_open(
        key=change.new_key, kind="water_leak", reason="水泵房漏水", by=duty
    )
    services.emergency_enter(use=use, witness_name="保安王五", by=duty)
    services.emergency_close(use=use, outcome="关阀", by=duty)
    change.new_key.refresh_from_db()
    assert change.new_key.status == Key.Status.SEALED


def test_custody_goes_only_to_staff_of_the_project__KEY_01(public_key, frontdesk, owner, outsider):
    for taker in (owner, outsider):
        with pytest.raises(ValidationError) as exc:
            services.custody_transfer(
                keys=[public_key], to_custodian=taker, reason="交接", by=frontdesk
            )
        assert "to_custodian" in exc.value.message_dict
