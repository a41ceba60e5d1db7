"""The visitor desk's pages: registration, lists, detail and its actions (VIS-01..07)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from servicedesk.core.models import Resident, Role
from servicedesk.web.panels import panels_for
from tests.factories import ResidentFactory, StaffFactory
from tests.visitors.conftest import resident_id
from visitors.models import Amendment, IdReveal, Visit
from visitors.services import blacklist_add, pre_register, visit_amend, visit_consent

pytestmark = pytest.mark.django_db

NUMBER = resident_id(born="19900101", serial="456")


@pytest.fixture
def desk(client, frontdesk):
    client.force_login(frontdesk)
    return client


@pytest.fixture
def supervisor(project):
    return StaffFactory(name="周敏", roles=[Role.SUPERVISOR], projects=[project]).user


@pytest.fixture
def host(unit):
    return ResidentFactory(unit=unit, name="陈静")


def register_data(unit=None, **overrides):
    data = {
        "visitor_name": "张伟",
        "id_type": "resident_id",
        "id_number": NUMBER,
        "phone": "13900001111",
        "people_count": "2",
        "vehicle_plate": "浙a12345",
        "unit": unit.pk if unit else "",
        "host_resident": "",
        "host_name": "",
        "host_department": "",
        "host_position": "",
        "purpose": "探亲",
        "pre_registration": "",
    }
    data.update(overrides)
    return data


# --- Access ------------------------------------------------------------------


def test_it_renders_the_staff_pages(desk, register_visit):
    v = register_visit()
    for url in (
        reverse("visitors:new"),
        reverse("visitors:list"),
        reverse("visitors:night"),
        reverse("visitors:detail", args=[v.pk]),
        reverse("visitors:lookup") + "?q=1-101",
        reverse("visitors:prereg") + "?visitor_name=张",
    ):
        assert desk.get(url).status_code == 200, url
    recognise = reverse("visitors:recognise")
    assert desk.post(recognise, {"id_type": "resident_id", "id_number": NUMBER}).status_code == 200
    assert desk.get(recognise).status_code == 405  # never in a query string


def test_residents_get_403_on_staff_pages(client, owner, register_visit):
    v = register_visit()
    client.force_login(owner)
    for url in (
        reverse("visitors:new"),
        reverse("visitors:list"),
        reverse("visitors:night"),
        reverse("visitors:lookup") + "?q=1-101",
        reverse("visitors:detail", args=[v.pk]),
    ):
        assert client.get(url).status_code == 403, url
    recognise = reverse("visitors:recognise")
    assert (
        client.post(recognise, {"id_type": "resident_id", "id_number": NUMBER}).status_code == 403
    )
    assert client.post(reverse("visitors:action", args=[v.pk, "sign-out"])).status_code == 403
    assert client.post(reverse("visitors:reveal", args=[v.pk])).status_code == 403


def test_another_projects_visit_is_404(client, outsider, register_visit):
    v = register_visit()
    client.force_login(outsider)
    assert client.get(reverse("visitors:detail", args=[v.pk])).status_code == 404
    response = client.post(
        reverse("visitors:action", args=[v.pk, "consent"]),
        {"consent-method": "phone", "consent-granted": "1"},
    )
    assert response.status_code == 404
    assert v.slip_number not in client.get(reverse("visitors:list")).content.decode()
    # Nor is the visitor recognised from another project's records.
    response = client.post(
        reverse("visitors:recognise"), {"id_type": "resident_id", "id_number": resident_id()}
    )
    assert "回访访客" not in response.content.decode()


# --- Registration (VIS-01, VIS-02, VIS-07) -----------------------------------


def test_the_registration_screen_is_keyboard_friendly(desk):
    html = desk.get(reverse("visitors:new")).content.decode()
    assert (
        'name="visitor_name"' in html and "autofocus" in html.split('name="visitor_name"')[1][:200]
    )
    assert "data-hotkey-submit" in html and "Alt+S" in html
    assert reverse("visitors:recognise") in html


def test_it_registers_a_visitor_pending_consent(desk, unit, host):
    response = desk.post(reverse("visitors:new"), register_data(unit, host_resident=str(host.pk)))
    v = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("visitors:detail", args=[v.pk])
    assert v.status == Visit.Status.PENDING
    assert (v.host_unit, v.host_resident, v.host_name) == (unit, host, "陈静")
    assert v.people_count == 2 and v.vehicle_plate == "浙A12345"
    page = desk.get(response["Location"]).content.decode()
    assert v.id_number_masked in page and NUMBER not in page


def test_a_company_host_needs_no_unit(desk):
    response = desk.post(
        reverse("visitors:new"),
        register_data(host_name="王经理", host_department="工程部", host_position="经理"),
    )
    assert response.status_code == 302
    v = Visit.objects.get()
    assert (v.host_unit, v.host_department, v.host_position) == (None, "工程部", "经理")


def test_an_invalid_number_is_an_error_on_the_field_and_keeps_the_input(desk, unit):
    bad = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    response = desk.post(reverse("visitors:new"), register_data(unit, id_number=bad))
    assert response.status_code == 400
    html = response.content.decode()
    assert "证件号码：身份证号码校验位不正确" in html
    assert f'value="{bad}"' in html and 'value="张伟"' in html and 'value="探亲"' in html
    assert not Visit.objects.exists()


def test_a_lower_case_x_is_shown_upper_case(desk):
    number = resident_id(serial="001")
    if not number.endswith("X"):
        number = next(
            resident_id(serial=f"{i:03d}")
            for i in range(1000)
            if resident_id(serial=f"{i:03d}").endswith("X")
        )
    # Missing host: the page comes back, with the number as it will be stored.
    response = desk.post(reverse("visitors:new"), register_data(id_number=number.lower()))
    assert response.status_code == 400
    assert f'value="{number}"' in response.content.decode()


def test_a_missing_host_is_an_error(desk):
    response = desk.post(reverse("visitors:new"), register_data())
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写被访房号，或被访人姓名及部门" in html
    assert not Visit.objects.exists()


def test_a_blacklisted_document_is_refused_with_the_reason(desk, project, unit, manager):
    blacklist_add(
        project=project,
        id_type="resident_id",
        id_number=NUMBER,
        name="张伟",
        reason="多次滋扰业主",
        by=manager,
    )
    response = desk.post(reverse("visitors:new"), register_data(unit))
    assert response.status_code == 400
    assert "证件号码：该证件在黑名单中：多次滋扰业主" in response.content.decode()
    assert not Visit.objects.exists()
    hint = desk.post(reverse("visitors:recognise"), {"id_type": "resident_id", "id_number": NUMBER})
    assert "多次滋扰业主" in hint.content.decode()
    assert NUMBER not in hint.content.decode()


def test_a_returning_visitor_is_recognised_by_the_document(desk, register_visit):
    register_visit(visitor_name="王芳", phone="13700002222", id_number=NUMBER)
    response = desk.post(
        reverse("visitors:recognise"), {"id_type": "resident_id", "id_number": NUMBER.lower()}
    )
    html = response.content.decode()
    assert "回访访客：上次来访" in html and "被访 1-101" in html
    assert 'data-name="王芳"' in html and 'data-phone="13700002222"' in html
    assert NUMBER not in html
    assert "no-store" in response["Cache-Control"]
    other = desk.post(
        reverse("visitors:recognise"), {"id_type": "passport", "id_number": "E12345678"}
    )
    assert "回访访客" not in other.content.decode()


def test_the_unit_lookup_lists_residents(desk, unit, host):
    html = desk.get(reverse("visitors:lookup"), {"q": "1-101"}).content.decode()
    assert f'data-unit="{unit.pk}"' in html and f'data-resident="{host.pk}"' in html


# --- Pre-registration (VIS-03) -----------------------------------------------


def test_a_pre_registered_guest_goes_straight_in(desk, owner, unit):
    resident = Resident.objects.get(user=owner)
    pre = pre_register(
        resident=resident, by=owner, guest_name="张伟", expected_on=timezone.localdate()
    )
    picks = desk.get(reverse("visitors:prereg"), {"visitor_name": "张"}).content.decode()
    assert f'value="{pre.pk}"' in picks
    response = desk.post(
        reverse("visitors:new"), register_data(pre_registration=str(pre.pk), unit="")
    )
    assert response.status_code == 302
    v = Visit.objects.get()
    assert v.status == Visit.Status.INSIDE and v.consent_method == "pre_registered"
    assert v.host_unit == unit and v.host_resident == resident
    pre.refresh_from_db()
    assert pre.used_by == v
    # Used once: it is no longer offered, and cannot be used again.
    assert (
        f'value="{pre.pk}"'
        not in desk.get(reverse("visitors:prereg"), {"visitor_name": "张"}).content.decode()
    )
    again = desk.post(reverse("visitors:new"), register_data(pre_registration=str(pre.pk), unit=""))
    assert again.status_code == 400
    assert Visit.objects.count() == 1


def test_a_pre_registration_for_another_guest_is_refused(desk, owner):
    pre = pre_register(
        resident=Resident.objects.get(user=owner),
        by=owner,
        guest_name="李四",
        expected_on=timezone.localdate(),
    )
    response = desk.post(reverse("visitors:new"), register_data(pre_registration=str(pre.pk)))
    assert response.status_code == 400
    assert "与访客姓名不符" in response.content.decode()


# --- Consent, sign-out (VIS-03, VIS-04) --------------------------------------


def test_consent_lets_the_visitor_in(desk, register_visit):
    v = register_visit()
    response = desk.post(
        reverse("visitors:action", args=[v.pk, "consent"]),
        {"consent-method": "intercom", "consent-granted": "1", "consent-note": ""},
    )
    assert response.status_code == 302
    v.refresh_from_db()
    assert v.status == Visit.Status.INSIDE and v.consent_method == "intercom"
    assert v.entered_at is not None


def test_a_refusal_needs_a_note_and_is_recorded(desk, register_visit):
    v = register_visit()
    url = reverse("visitors:action", args=[v.pk, "consent"])
    response = desk.post(url, {"consent-method": "phone", "consent-granted": "0"})
    assert response.status_code == 400
    assert "请记录被访人拒绝的说明" in response.content.decode()
    response = desk.post(
        url, {"consent-method": "phone", "consent-granted": "0", "consent-note": "不认识此人"}
    )
    assert response.status_code == 302
    v.refresh_from_db()
    assert v.status == Visit.Status.REFUSED and v.consent_note == "不认识此人"
    page = desk.get(reverse("visitors:detail", args=[v.pk])).content.decode()
    assert "被访人拒绝" in page and "不认识此人" in page
    # A second answer is a conflict.
    response = desk.post(url, {"consent-method": "phone", "consent-granted": "1"})
    assert response.status_code == 409


def test_signing_out_twice_is_a_409_with_a_message(desk, register_visit, frontdesk):
    v = register_visit()
    visit_consent(visit=v, by=frontdesk, granted=True)
    url = reverse("visitors:action", args=[v.pk, "sign-out"])
    response = desk.post(url, {"sign-out-host_signed": "on"})
    assert response.status_code == 302
    v.refresh_from_db()
    assert v.status == Visit.Status.LEFT and v.host_signed
    response = desk.post(url, {"sign-out-host_signed": "on"})
    assert response.status_code == 409
    assert "该访客已于" in response.content.decode()


# --- Night attribution (VIS-05) ----------------------------------------------


@pytest.mark.parametrize(
    ("at", "night"),
    [("2025-03-10 20:00:00", True), ("2025-03-11 07:59:59", True), ("2025-03-11 08:00:00", False)],
)
def test_night_registrations_are_attributed_to_the_duty_manager(desk, duty, unit, at, night):
    tz = timezone.get_current_timezone()
    moment = datetime.fromisoformat(at).replace(tzinfo=tz)
    with time_machine.travel(moment, tick=False):
        response = desk.post(reverse("visitors:new"), register_data(unit))
        assert response.status_code == 302
        v = Visit.objects.get()
        assert (v.registered_by == duty) is night
        page = desk.get(reverse("visitors:detail", args=[v.pk])).content.decode()
        listing = desk.get(reverse("visitors:list")).content.decode()
    if night:
        assert "登记人 刘建国（夜间由物业总值负责，李娜录入）" in page
        assert "夜间登记" in page
        assert "刘建国" in listing and "李娜录入" in listing
    else:
        assert "登记人 李娜" in page and "夜间由物业总值负责" not in page


def test_the_night_list_shows_visitors_still_inside(client, duty, register_visit, frontdesk):
    inside = register_visit(visitor_name="仍在访")
    visit_consent(visit=inside, by=frontdesk, granted=True)
    Visit.objects.filter(pk=inside.pk).update(flagged_inside_at=timezone.now())
    register_visit(visitor_name="待同意")
    client.force_login(duty)
    html = client.get(reverse("visitors:night")).content.decode()
    assert "仍在访" in html and "待同意" not in html and "当日未离开" in html


# --- Lists (VIS-04) ----------------------------------------------------------


def test_the_list_puts_pending_on_top_and_highlights_flagged(desk, register_visit, frontdesk):
    flagged = register_visit(visitor_name="过夜访客")
    visit_consent(visit=flagged, by=frontdesk, granted=True)
    Visit.objects.filter(pk=flagged.pk).update(
        flagged_inside_at=timezone.now(), entered_at=timezone.now() - timedelta(days=1)
    )
    register_visit(visitor_name="等待访客")
    html = desk.get(reverse("visitors:list")).content.decode()
    inside = html.split('data-testid="inside"')[1].split("</table>")[0]
    assert inside.index("等待访客") < inside.index("过夜访客")
    assert "vis-flagged" in inside


def test_the_log_filters_by_day_and_searches(desk, register_visit):
    register_visit(visitor_name="王芳", vehicle_plate="浙A88888")
    old = register_visit(visitor_name="赵六")
    Visit.objects.filter(pk=old.pk).update(registered_at=timezone.now() - timedelta(days=3))
    html = desk.get(reverse("visitors:list")).content.decode()
    log = html.split('data-testid="log"')[1]
    assert "王芳" in log and "赵六" not in log
    day = timezone.localtime(timezone.now() - timedelta(days=3)).date().isoformat()
    log = (
        desk.get(reverse("visitors:list"), {"day": day})
        .content.decode()
        .split('data-testid="log"')[1]
    )
    assert "赵六" in log and "王芳" not in log
    for q in ("赵", old.slip_number, "a88888"):
        log = desk.get(reverse("visitors:list"), {"q": q}).content.decode()
        log = log.split('data-testid="log"')[1]
        expected = "王芳" if q == "a88888" else "赵六"
        assert expected in log, q


def test_the_lists_query_count_does_not_grow_with_rows(desk, register_visit, frontdesk):
    def count(url):
        desk.get(url)  # warm caches (calendar, session)
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get(url).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        v = register_visit(visitor_name=f"访客{i}")
        if i:
            visit_consent(visit=v, by=frontdesk, granted=True)
        visit_amend(visit=v, by=frontdesk, field="phone", new_value="1", reason="核对")
    few = {url: count(url) for url in (reverse("visitors:list"), reverse("visitors:night"))}
    for i in range(27):
        v = register_visit(visitor_name=f"访客{i + 3}")
        if i % 2:
            visit_consent(visit=v, by=frontdesk, granted=True)
        visit_amend(visit=v, by=frontdesk, field="phone", new_value="2", reason="核对")
    assert Visit.objects.count() == 30
    many = {url: count(url) for url in few}
    assert many == few


# --- Amendments (VIS-06) -----------------------------------------------------


def test_amendments_show_the_original_to_supervisors_only(client, desk, register_visit, supervisor):
    v = register_visit(visitor_name="张玮")
    response = desk.post(
        reverse("visitors:action", args=[v.pk, "amend"]),
        {"amend-field": "visitor_name", "amend-new_value": "张伟", "amend-reason": "笔误"},
    )
    assert response.status_code == 302
    assert Amendment.objects.get().old_value == "张玮"
    v.refresh_from_db()
    assert v.visitor_name == "张玮"  # never overwritten
    url = reverse("visitors:detail", args=[v.pk])
    clerk_page = desk.get(url).content.decode()
    assert "张伟" in clerk_page and "已更正" in clerk_page
    assert "张玮" not in clerk_page and 'data-testid="amendments"' not in clerk_page
    client.force_login(supervisor)
    page = client.get(url).content.decode()
    assert 'data-testid="original-visitor_name"' in page and "张玮" in page
    assert 'data-testid="amendments"' in page and "笔误" in page
    # The lists show the corrected name.
    assert "张伟" in client.get(reverse("visitors:list")).content.decode()


def test_an_amendment_needs_a_reason_and_a_valid_count(desk, register_visit):
    v = register_visit()
    url = reverse("visitors:action", args=[v.pk, "amend"])
    response = desk.post(url, {"amend-field": "people_count", "amend-new_value": "x"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "更正原因：" in html and "人数应为 1 到 99 的整数" in html
    assert not Amendment.objects.exists()


# --- Reveal (VIS-07) ---------------------------------------------------------


def test_a_supervisor_reveals_the_number_once_and_it_is_logged(client, register_visit, supervisor):
    v = register_visit(id_number=NUMBER)
    client.force_login(supervisor)
    url = reverse("visitors:detail", args=[v.pk])
    assert "查看完整证件号" in client.get(url).content.decode()
    response = client.post(reverse("visitors:reveal", args=[v.pk]), {"reveal-reason": "公安核查"})
    assert response.status_code == 200
    assert NUMBER in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    log = IdReveal.objects.get()
    assert (log.by, log.reason) == (supervisor, "公安核查")
    again = client.get(url).content.decode()
    assert NUMBER not in again and "公安核查" in again


def test_a_reveal_needs_a_reason(client, register_visit, duty):
    v = register_visit()
    client.force_login(duty)
    response = client.post(reverse("visitors:reveal", args=[v.pk]), {"reveal-reason": ""})
    assert response.status_code == 400
    assert not IdReveal.objects.exists()


def test_the_front_desk_may_not_reveal(desk, register_visit):
    v = register_visit()
    assert (
        "查看完整证件号" not in desk.get(reverse("visitors:detail", args=[v.pk])).content.decode()
    )
    response = desk.post(reverse("visitors:reveal", args=[v.pk]), {"reveal-reason": "好奇"})
    assert response.status_code == 403
    assert NUMBER not in response.content.decode()
    assert not IdReveal.objects.exists()


# --- No full number anywhere (VIS-07) ----------------------------------------


def test_no_page_shows_the_full_number(client, desk, register_visit, frontdesk, supervisor, owner):
    v = register_visit(id_number=NUMBER)
    visit_consent(visit=v, by=frontdesk, granted=True)
    visit_amend(visit=v, by=frontdesk, field="phone", new_value="13900000000", reason="核对")
    pages = [
        reverse("visitors:new"),
        reverse("visitors:list"),
        reverse("visitors:list") + "?q=张",
        reverse("visitors:night"),
        reverse("visitors:detail", args=[v.pk]),
        reverse("home"),
    ]
    for user in (frontdesk, supervisor):
        client.force_login(user)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            assert NUMBER not in response.content.decode(), url
            assert NUMBER[6:14] not in response.content.decode(), url  # not even the birth date
    client.force_login(owner)
    response = client.get(reverse("visitors:portal"))
    assert response.status_code == 200 and NUMBER not in response.content.decode()


# --- Nav and home panel ------------------------------------------------------


def test_the_nav_and_panel_for_staff(desk, register_visit, frontdesk):
    v = register_visit()
    visit_consent(visit=v, by=frontdesk, granted=True)
    Visit.objects.filter(pk=v.pk).update(flagged_inside_at=timezone.now())
    html = desk.get(reverse("home")).content.decode()
    assert "访客登记" in html and "在访访客" in html and "访客预约" not in html
    assert 'data-panel="visitors.inside"' in html
    assert 'data-testid="visitors-inside-count">1<' in html and v.slip_number in html


def test_the_panel_costs_at_most_two_queries(rf, frontdesk, register_visit):
    from servicedesk.web.identity import desk_identity
    from visitors.views import visitors_panel

    for i in range(3):
        v = register_visit()
        visit_consent(visit=v, by=frontdesk, granted=True)
        if i:
            Visit.objects.filter(pk=v.pk).update(flagged_inside_at=timezone.now())
    register_visit()  # pending: not inside
    request = rf.get("/")
    request.user = frontdesk
    identity = desk_identity(request)
    identity.is_staff_member  # noqa: B018 - loaded for the top bar already
    identity.profile  # noqa: B018
    with CaptureQueriesContext(connection) as ctx:
        context = visitors_panel(request)
    assert context is not None and (context["inside"], context["flagged"]) == (3, 2)
    assert len(context["items"]) == 2
    assert len(ctx.captured_queries) <= 2
    assert any(p.key == "visitors.inside" for p in panels_for(request))


def test_residents_see_the_portal_entry_not_the_desk(client, owner):
    client.force_login(owner)
    html = client.get(reverse("home")).content.decode()
    assert "访客预约" in html and reverse("visitors:new") not in html
