"""The visitor desk's write path (VIS-02..07)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from servicedesk.deadlines.sweep import run_sweep
from tests.complaints.conftest import local
from tests.visitors.conftest import resident_id
from visitors.models import Visit
from visitors.services import (
    InvalidTransition,
    blacklist_add,
    current_value,
    id_reveal,
    pre_register,
    visit_amend,
    visit_consent,
    visit_register,
    visit_sign_out,
)


def test_a_visitor_names_a_unit_or_a_company_person__VIS_02(register_visit, project, frontdesk):
    with pytest.raises(ValidationError) as err:
        register_visit(host_unit=None)
    assert "host_unit" in err.value.message_dict

    visit = register_visit(
        host_unit=None, host_name="王强", host_department="客服部", host_position="经理"
    )
    assert visit.host_department == "客服部"


def test_an_invalid_number_is_refused_naming_the_field__VIS_01(register_visit):
    with pytest.raises(ValidationError) as err:
        register_visit(id_number="110105194912310021")

    assert "id_number" in err.value.message_dict


def test_the_number_is_stored_encrypted_and_shown_masked__VIS_07(register_visit):
    number = resident_id()
    visit = register_visit(id_number=number)

    stored = Visit.objects.values_list("id_number_encrypted", "id_number_masked").get()
    assert number not in stored[0]
    assert stored[1] == number[:3] + "*" * 11 + number[-4:]
    assert visit.slip_number.startswith("FK-")


def test_consent_lets_the_visitor_in_and_a_refusal_is_recorded__VIS_03(register_visit, frontdesk):
    welcome, unwelcome = register_visit(), register_visit(visitor_name="李四")

    visit_consent(visit=welcome, by=frontdesk, granted=True, method="phone")
    with pytest.raises(ValidationError):
        visit_consent(visit=unwelcome, by=frontdesk, granted=False)
    visit_consent(visit=unwelcome, by=frontdesk, granted=False, note="业主不认识此人")

    welcome.refresh_from_db()
    unwelcome.refresh_from_db()
    assert welcome.status == "inside" and welcome.entered_at is not None
    assert unwelcome.status == "refused" and unwelcome.entered_at is None
    with pytest.raises(InvalidTransition):
        visit_sign_out(visit=unwelcome, by=frontdesk)


def test_signing_out_twice_is_refused__VIS_04(register_visit, frontdesk):
    visit = register_visit()
    visit_consent(visit=visit, by=frontdesk, granted=True)

    visit_sign_out(visit=visit, by=frontdesk, host_signed=True)
    with pytest.raises(InvalidTransition):
        visit_sign_out(visit=visit, by=frontdesk)


def test_a_pre_registered_guest_needs_only_the_identity_check__VIS_03(
    project, unit, owner, frontdesk
):
    resident = owner.residencies.get()
    pre = pre_register(
        resident=resident, by=owner, guest_name="张伟", expected_on=timezone.localdate()
    )

    visit = visit_register(
        project=project,
        visitor_name="张伟",
        id_type="resident_id",
        id_number=resident_id(),
        purpose="探亲",
        by=frontdesk,
        host_unit=unit,
        host_resident=resident,
        pre_registration=pre,
    )

    assert visit.status == "inside" and visit.consent_method == "pre_registered"
    with pytest.raises(ValidationError):
        pre_register(resident=resident, by=owner, guest_name="x", expected_on=date(2000, 1, 1))


@pytest.mark.parametrize(
    ("at", "night"),
    [("19:59:59", False), ("20:00:00", True), ("07:59:59", True), ("08:00:00", False)],
)
def test_night_registrations_belong_to_the_duty_manager__VIS_05(
    register_visit, frontdesk, duty, at, night
):
    with time_machine.travel(local(f"2025-05-06 {at}"), tick=False):
        visit = register_visit()

    assert visit.entered_by == frontdesk
    assert visit.registered_by == (duty if night else frontdesk)


def test_corrections_are_appended_and_the_original_stays__VIS_06(register_visit, frontdesk):
    visit = register_visit(visitor_name="张伟")

    visit_amend(
        visit=visit, by=frontdesk, field="visitor_name", new_value="张玮", reason="证件核对后更正"
    )
    visit.refresh_from_db()

    assert visit.visitor_name == "张伟"  # the entry itself is never overwritten
    assert current_value(visit, "visitor_name") == "张玮"
    with pytest.raises(ValidationError):
        visit_amend(visit=visit, by=frontdesk, field="status", new_value="left", reason="x")


def test_the_full_number_only_through_a_logged_reveal__VIS_07(register_visit, frontdesk, manager):
    number = resident_id()
    visit = register_visit(id_number=number)

    with pytest.raises(PermissionDenied):
        id_reveal(visit=visit, by=frontdesk, reason="核对")
    assert id_reveal(visit=visit, by=manager, reason="派出所协查") == number
    assert visit.reveals.get().by == manager


def test_a_blacklisted_document_is_refused_with_the_reason__VIS_07(
    register_visit, project, manager
):
    blacklist_add(
        project=project,
        id_type="resident_id",
        id_number=resident_id(),
        name="张伟",
        reason="多次强行闯入",
        by=manager,
    )

    with pytest.raises(ValidationError) as err:
        register_visit()

    assert "多次强行闯入" in str(err.value.message_dict["id_number"])


def test_numbers_are_purged_after_retention_with_catch_up__VIS_07(register_visit, frontdesk):
    with time_machine.travel(local("2025-01-02 10:00"), tick=False):
        old = register_visit()
    with time_machine.travel(local("2025-06-01 10:00"), tick=False):
        recent = register_visit()

    # The sweep did not run for months; the first run afterwards catches up.
    with time_machine.travel(local("2025-07-15 10:00"), tick=False):
        run_sweep(timezone.now())
        run_sweep(timezone.now())

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.id_number_encrypted, old.id_hash) == ("", "") and old.id_purged_at
    assert recent.id_number_encrypted and recent.id_purged_at is None


def test_visitors_still_inside_after_the_day_are_flagged_once__VIS_04(register_visit, frontdesk):
    with time_machine.travel(local("2025-05-06 15:00"), tick=False):
        visit = register_visit()
        visit_consent(visit=visit, by=frontdesk, granted=True)
        run_sweep(timezone.now())
    visit.refresh_from_db()
    assert visit.flagged_inside_at is None

    with time_machine.travel(local("2025-05-07 00:00:05"), tick=False):
        run_sweep(timezone.now())
        first = Visit.objects.get().flagged_inside_at
        run_sweep(timezone.now() + timedelta(minutes=1))

    assert first is not None and Visit.objects.get().flagged_inside_at == first


def test_a_pre_registration_serves_once_for_its_own_unit_and_day__VIS_03(
    project, unit, owner, frontdesk
):
    from tests.factories import UnitFactory

    resident = owner.residencies.get()
    pre = pre_register(
        resident=resident, by=owner, guest_name="张伟", expected_on=timezone.localdate()
    )
    elsewhere = UnitFactory(building__project=project, number="3-303")
    values = dict(
        project=project,
        visitor_name="张伟",
        id_type="resident_id",
        id_number=resident_id(),
        purpose="探亲",
        by=frontdesk,
    )

    with pytest.raises(ValidationError) as err:
        visit_register(**values, host_unit=elsewhere, pre_registration=pre)
    assert "pre_registration" in err.value.message_dict
    visit_register(**values, host_unit=unit, pre_registration=pre)
    with pytest.raises(ValidationError):
        visit_register(**values, host_unit=unit, pre_registration=pre)


def test_the_desk_cannot_claim_advance_consent__VIS_03(register_visit, frontdesk):
    visit = register_visit()

    with pytest.raises(ValidationError):
        visit_consent(visit=visit, by=frontdesk, granted=True, method="pre_registered")


def test_a_correction_is_checked_like_the_entry__VIS_06(register_visit, frontdesk):
    visit = register_visit()

    with pytest.raises(ValidationError) as err:
        visit_amend(visit=visit, by=frontdesk, field="people_count", new_value="0", reason="x")

    assert "new_value" in err.value.message_dict


def test_a_supervisor_of_another_project_cannot_reveal__VIS_07(register_visit, other_project):
    from servicedesk.core.models import Role
    from tests.factories import StaffFactory

    stranger = StaffFactory(roles=[Role.SUPERVISOR], projects=[other_project]).user

    with pytest.raises(PermissionDenied):
        id_reveal(visit=register_visit(), by=stranger, reason="好奇")
