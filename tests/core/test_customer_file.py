"""The desk's customer file: search, unit page, registering and amending residents."""

from __future__ import annotations

import pytest
from django.urls import reverse

from servicedesk.core.models import Event, Resident
from tests.factories import BuildingFactory, ResidentFactory, UnitFactory


@pytest.fixture
def desk(client, frontdesk):
    client.force_login(frontdesk)
    return client


def resident_post(**overrides: str) -> dict[str, str]:
    data = {
        "name": "黄晓峰",
        "kind": "owner",
        "phone": "13812345678",
        "move_in_date": "2024-05-01",
        "workplace": "",
        "id_number_last4": "",
        "note": "",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "5",
        "contacts-0-name": "黄建国",
        "contacts-0-relation": "父亲",
        "contacts-0-phone": "13900001111",
    }
    data.update(overrides)
    return data


def test_the_desk_finds_a_unit_by_room_number_prefix_phone_tail_or_name__ORG_02(desk, unit):
    ResidentFactory(unit=unit, name="陈静", phone="+8613811112222")
    other = UnitFactory(building__project=unit.project, number="3-302")
    url = reverse("unit-list")

    for query, expected in [
        ("1-101", ["1-101"]),
        ("1-10", ["1-101"]),
        ("2222", ["1-101"]),
        ("陈静", ["1-101"]),
        ("3-3", ["3-302"]),
    ]:
        response = desk.get(url, {"q": query})
        assert [u.number for u in response.context["units"]] == expected, query
    assert other.number in desk.get(url).content.decode()


def test_the_unit_search_shows_only_the_desks_own_projects__ORG_01(client, outsider, unit):
    client.force_login(outsider)

    response = client.get(reverse("unit-list"), {"q": "1-101"})

    assert list(response.context["units"]) == []


def test_the_unit_list_costs_the_same_queries_for_5_or_45_units(desk, project):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    building = BuildingFactory(project=project, code="8")

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as ctx:
            desk.get(reverse("unit-list"))
        return len(ctx.captured_queries)

    UnitFactory.create_batch(5, building=building)
    few = queries_for_list()
    UnitFactory.create_batch(40, building=building)

    assert queries_for_list() == few <= 13


def test_a_resident_sees_their_own_unit_page_without_edit_links__ORG_02(client, owner, unit):
    client.force_login(owner)
    lookalike = UnitFactory(
        building=BuildingFactory(project=unit.project, code="11"), number="11-101"
    )

    page = client.get(reverse("unit-detail", args=[unit.pk]))

    assert page.status_code == 200
    assert reverse("resident-add", args=[unit.pk]) not in page.content.decode()
    assert client.get(reverse("unit-detail", args=[lookalike.pk])).status_code == 404
    assert client.get(reverse("resident-add", args=[unit.pk])).status_code == 403


def test_registering_a_resident_logs_who_and_what__ORG_05(desk, unit, frontdesk):
    response = desk.post(reverse("resident-add", args=[unit.pk]), resident_post())

    assert response.status_code == 302
    resident = Resident.objects.get(name="黄晓峰")
    assert str(resident.phone) == "+8613812345678"
    assert [c.name for c in resident.emergency_contacts.all()] == ["黄建国"]
    event = Event.objects.get(action="resident_registered")
    assert (event.actor, event.unit_id) == (frontdesk, unit.pk)
    assert event.data["fields"]["name"] == ["", "黄晓峰"]


def test_a_bad_phone_is_named_and_everything_typed_is_kept(desk, unit):
    response = desk.post(
        reverse("resident-add", args=[unit.pk]),
        resident_post(phone="1234", move_in_date="2025-13-45", **{"contacts-0-phone": "abc"}),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "电话：电话号码无效" in page
    assert "入住日期：日期无效" in page
    assert "紧急联系人电话" in page
    assert 'value="黄晓峰"' in page and 'value="1234"' in page and 'value="黄建国"' in page
    assert not Resident.objects.filter(name="黄晓峰").exists()


def test_amending_a_resident_keeps_the_old_value_in_the_log__ORG_05(desk, unit):
    resident = ResidentFactory(unit=unit, name="陈静", phone="+8613811112222")
    data = resident_post(
        name="陈静", phone="13899998888", reason="业主换号", **{"contacts-0-name": ""}
    )
    data.update({"contacts-0-relation": "", "contacts-0-phone": ""})

    response = desk.post(reverse("resident-edit", args=[unit.pk, resident.pk]), data)

    assert response.status_code == 302
    event = Event.objects.get(action="resident_amended")
    assert event.data["fields"]["phone"] == ["+8613811112222", "+8613899998888"]
    assert event.reason == "业主换号"


def test_staff_of_another_project_cannot_reach_the_resident_form__ORG_01(client, outsider, unit):
    client.force_login(outsider)

    assert client.get(reverse("resident-add", args=[unit.pk])).status_code == 404
