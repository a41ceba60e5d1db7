"""The owner portal: own unit's records only (ORG-02), filing online (CMP-01),
confirming the callback online (CMP-12, CMP-13)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import Callback, Category, Complaint, FirstQuestionFailure
from complaints.services import complaint_contact, complaint_rectify, first_question_failure_record
from tests.factories import ResidentFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_unit(project):
    """11-101: same project, a label that starts like 1-101's."""
    unit = UnitFactory(building__project=project, building__code="11", number="11-101")
    ResidentFactory(unit=unit, name="周平", user=UserFactory(username="owner11101"))
    return unit


@pytest.fixture
def portal(client, owner):
    client.force_login(owner)
    return client


def test_the_owner_sees_only_their_own_units_records(portal, file_complaint, other_unit):
    mine = file_complaint()
    theirs = file_complaint(unit=other_unit, reporter_name="周平")
    body = portal.get(reverse("complaints:portal")).content.decode()
    assert mine.number in body
    assert theirs.number not in body
    assert "11-101" not in body
    assert portal.get(reverse("complaints:portal-detail", args=[theirs.pk])).status_code == 404
    assert portal.get(reverse("complaints:portal-detail", args=[mine.pk])).status_code == 200


def test_staff_without_a_home_get_403_in_the_portal(client, frontdesk):
    client.force_login(frontdesk)
    assert client.get(reverse("complaints:portal")).status_code == 403
    assert client.get(reverse("complaints:portal-new")).status_code == 403


def test_the_owner_files_online(portal, owner, unit):
    response = portal.post(
        reverse("complaints:portal-new"),
        {
            "unit": unit.pk,
            "kind": "report",
            "category": Category.objects.get(code="facilities").pk,
            "description": "卫生间天花板渗水",
            "location": "主卫",
            "expectation": "本周内修好",
        },
    )
    c = Complaint.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("complaints:portal-detail", args=[c.pk])
    assert c.channel.code == "online"  # CMP-01
    assert c.received_by is None
    assert c.kind == Complaint.Kind.REPORT
    reporter = c.reporters.get()
    assert reporter.name == "陈静"
    assert reporter.user == owner
    assert reporter.resident is not None and reporter.resident.unit == unit


def test_the_portal_form_names_errors_and_refuses_other_units(portal, other_unit):
    response = portal.post(
        reverse("complaints:portal-new"),
        {"unit": other_unit.pk, "kind": "complaint", "description": "", "location": "车库"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "房号：" in body and "问题描述：" in body
    assert 'value="车库"' in body
    assert Complaint.objects.count() == 0


def test_the_owner_confirms_the_callback_online_and_it_closes(
    portal, owner, frontdesk, file_complaint
):
    c = file_complaint()
    complaint_contact(complaint=c, by=frontdesk)
    complaint_rectify(complaint=c, by=frontdesk, note="已更换水管")
    page = portal.get(reverse("complaints:portal-detail", args=[c.pk])).content.decode()
    assert 'data-testid="portal-callback"' in page
    assert "已更换水管" in page
    response = portal.post(
        reverse("complaints:portal-callback", args=[c.pk]),
        {"result": "satisfied", "note": "师傅很负责"},
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == Complaint.Status.CLOSED  # CMP-13
    callback = c.callbacks.get()
    assert callback.confirmation == Callback.Confirmation.PORTAL  # CMP-12
    assert callback.outcome == Callback.Outcome.REACHED
    assert callback.by == owner
    body = portal.get(reverse("complaints:portal-detail", args=[c.pk])).content.decode()
    assert "已结案" in body


def test_an_unsatisfied_owner_reopens_rectification(portal, frontdesk, file_complaint):
    c = file_complaint()
    complaint_contact(complaint=c, by=frontdesk)
    complaint_rectify(complaint=c, by=frontdesk, note="已处理")
    portal.post(reverse("complaints:portal-callback", args=[c.pk]), {"result": "unsatisfied"})
    c.refresh_from_db()
    assert c.status == Complaint.Status.CONTACTED


def test_confirming_before_rectification_is_409_and_needs_a_result(portal, file_complaint):
    c = file_complaint()
    response = portal.post(
        reverse("complaints:portal-callback", args=[c.pk]), {"result": "satisfied"}
    )
    assert response.status_code == 409
    assert "整改完成后才能回访。" in response.content.decode()
    response = portal.post(reverse("complaints:portal-callback", args=[c.pk]), {})
    assert response.status_code == 400


def test_the_owner_cannot_confirm_another_units_callback(
    portal, frontdesk, file_complaint, other_unit
):
    c = file_complaint(unit=other_unit)
    complaint_contact(complaint=c, by=frontdesk)
    complaint_rectify(complaint=c, by=frontdesk, note="已处理")
    response = portal.post(
        reverse("complaints:portal-callback", args=[c.pk]), {"result": "satisfied"}
    )
    assert response.status_code == 404
    c.refresh_from_db()
    assert c.status == Complaint.Status.RECTIFIED


def test_internal_records_are_not_shown_to_the_owner(portal, frontdesk, file_complaint):
    c = file_complaint()
    complaint_contact(complaint=c, by=frontdesk, note="内部备注：业主脾气急")
    first_question_failure_record(
        complaint=c,
        staff=frontdesk,
        kind=FirstQuestionFailure.Kind.DELAYED,
        note="拖延两天",
        by=frontdesk,
    )
    body = portal.get(reverse("complaints:portal-detail", args=[c.pk])).content.decode()
    assert "拖延两天" not in body
    assert "首问责任失职" not in body
    assert "业主脾气急" not in body
    assert "李娜" not in body  # staff appear as 客服


def test_the_portal_nav_entry_is_for_residents(portal, client, frontdesk):
    body = portal.get(reverse("home")).content.decode()
    assert reverse("complaints:portal") in body
    assert reverse("complaints:new") not in body
    client.force_login(frontdesk)
    body = client.get(reverse("home")).content.decode()
    assert 'href="/complaints/my/"' not in body
