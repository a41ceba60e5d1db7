"""The owner portal for keys: the resident's entrustments (confirmed online), their
spare key's uses and emergency uses after the fact, nothing of other units
(KEY-02, KEY-07, ORG-02)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from keys import services
from keys.models import Entrustment, Key
from servicedesk.core.models import Resident
from tests.factories import ResidentFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def pending(owner_resident, frontdesk):
    """An entrustment recorded at the desk, not signed on paper: the owner confirms it."""
    return services.entrustment_create(
        resident=owner_resident,
        allowed_uses=["emergency", "maintenance"],
        valid_until=date(2099, 12, 31),
        key_tag="Y-101",
        cabinet_position="B-01",
        by=frontdesk,
    )


@pytest.fixture
def other_units_entrustment(project, frontdesk):
    """11-101's entrustment: a label that starts like 1-101's (ORG-02)."""
    unit = UnitFactory(building__project=project, building__code="11", number="11-101")
    resident = ResidentFactory(unit=unit, name="周平", user=UserFactory(username="owner11101"))
    return services.entrustment_create(
        resident=resident,
        allowed_uses=["emergency"],
        valid_until=date(2099, 12, 31),
        key_tag="Y-1101",
        by=frontdesk,
    )


def test_a_resident_confirms_their_own_entrustment_online__KEY_02(portal, pending, owner):
    html = portal.get(reverse("keys:portal")).content.decode()
    assert pending.number in html and "待业主确认" in html
    assert 'data-testid="confirm-form"' in html
    assert reverse("keys:entrustment_pdf", args=[pending.pk]) in html
    response = portal.post(
        reverse("keys:portal_confirm", args=[pending.pk]), {"confirm-agree": "on"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("keys:portal")
    pending.refresh_from_db()
    assert pending.status == Entrustment.Status.ACTIVE
    assert pending.confirmation == Entrustment.Confirmation.PORTAL
    html = portal.get(reverse("keys:portal")).content.decode()
    assert "已确认委托书" in html and 'data-testid="confirm-form"' not in html


def test_confirming_needs_the_tick_and_twice_is_refused__KEY_02(portal, pending):
    url = reverse("keys:portal_confirm", args=[pending.pk])
    response = portal.post(url, {})
    assert response.status_code == 400
    assert 'data-testid="error-agree"' in response.content.decode()
    assert portal.post(url, {"confirm-agree": "on"}).status_code == 302
    response = portal.post(url, {"confirm-agree": "on"})
    assert response.status_code == 409
    assert "委托书不在待确认状态" in response.content.decode()


def test_a_resident_sees_nothing_of_another_unit__ORG_02(
    portal, pending, other_units_entrustment, frontdesk, manager
):
    services.entrustment_confirm(entrustment=other_units_entrustment, by=frontdesk, method="paper")
    other_key = Key.objects.get(tag="Y-1101")  # fetched after: its entrustment is now active
    loan = services.loan_request(key=other_key, purpose="维修水管", use="emergency", by=frontdesk)
    services.loan_approve(loan=loan, by=manager)
    services.loan_checkout(loan=loan, by=frontdesk)
    html = portal.get(reverse("keys:portal")).content.decode()
    assert pending.number in html
    assert other_units_entrustment.number not in html
    assert "Y-1101" not in html and "11-101" not in html and loan.purpose not in html
    url = reverse("keys:portal_confirm", args=[other_units_entrustment.pk])
    assert portal.post(url, {"confirm-agree": "on"}).status_code == 404


def test_another_resident_of_the_unit_sees_it_but_only_the_owner_confirms__KEY_02(
    client, unit, pending
):
    tenant = UserFactory(username="tenant101")
    ResidentFactory(unit=unit, name="租客甲", kind=Resident.Kind.TENANT, user=tenant)
    client.force_login(tenant)
    html = client.get(reverse("keys:portal")).content.decode()
    assert pending.number in html and "待委托人本人确认" in html
    response = client.post(
        reverse("keys:portal_confirm", args=[pending.pk]), {"confirm-agree": "on"}
    )
    assert response.status_code == 403
    assert "只有委托人本人可以在网上确认" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Entrustment.Status.PENDING


def test_the_spare_keys_uses_and_emergencies_are_shown_after_the_fact__KEY_07(
    portal, spare_key, loan_out, request_loan, duty
):
    loan_out(spare_key, purpose="更换厨房水龙头", maintenance=True)
    loan = spare_key.loans.get()
    services.loan_return(loan=loan, by=duty)
    request_loan(spare_key, purpose="尚未批准的申请")
    use = services.emergency_open(key=spare_key, kind="water_leak", reason="楼下渗水", by=duty)
    html = portal.get(reverse("keys:portal")).content.decode()
    assert "更换厨房水龙头" in html
    assert "尚未批准的申请" not in html  # only uses that happened
    assert "关闭总阀" not in html  # an open emergency is not shown yet
    services.emergency_attempt(
        use=use, whom="owner", name="陈静", method="phone", result="no_answer", by=duty
    )
    services.emergency_attempt(
        use=use, whom="emergency_contact", name="陈父", method="phone", result="reached", by=duty
    )
    services.emergency_enter(use=use, witness_name="保安小王", by=duty)
    services.emergency_close(use=use, outcome="关闭总阀，已擦干地面", by=duty)
    html = portal.get(reverse("keys:portal")).content.decode()
    assert "关闭总阀，已擦干地面" in html and "保安小王" in html and "跑水/漏水" in html


def test_staff_get_403_on_the_portal(client, frontdesk):
    client.force_login(frontdesk)
    assert client.get(reverse("keys:portal")).status_code == 403


def test_residents_get_the_portal_in_their_navigation(portal):
    html = portal.get(reverse("home")).content.decode()
    assert ">我的钥匙委托<" in html
    assert ">钥匙<" not in html  # the desk board is for staff
    assert 'data-panel="keys.desk"' not in html
