"""The decoration admin: the rules editable, contractors as master data, permits
read-only but for contact details, the ledger append-only (DEC-03, DEC-04, DEC-12, ORG-05)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from decoration import services
from decoration.models import (
    Contractor,
    DecorationSettings,
    LedgerEntry,
    Permit,
    WorkerPass,
)
from servicedesk.core.models import Event, Role
from tests.decoration.conftest import WORKER_ID
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

RECORDS = [
    "ledgerentry",
    "workerpass",
    "fine",
    "drawing",
    "review",
    "changerequest",
    "extension",
    "hotworkpermit",
    "application",
    "inspection",
    "rectificationnotice",
    "constructionnotice",
]

SETTINGS_FORM = {
    "review_working_days": 5,
    "notice_working_days": 3,
    "deposit_amount": "20000.00",
    "period_days": 45,
    "expiry_warning_days": 3,
    "pass_fee": "10.00",
    "pass_deposit": "40.00",
    "pass_return_grace_days": 3,
    "extinguisher_area_m2": 50,
}


@pytest.fixture
def root(db) -> User:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_as(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def history(
    paid_permit, project, frontdesk, engineer, supervisor, manager, manager2, contractor_user
):
    """One permit on site with a bit of everything, and a construction notice."""
    permit = paid_permit
    today = timezone.localdate()
    services.permit_issue(permit=permit, start_date=today, by=frontdesk)
    permit = Permit.objects.get(pk=permit.pk)
    worker_pass = services.pass_issue(
        permit=permit, worker_name="王建军", id_number=WORKER_ID, by=frontdesk
    )
    inspection = services.inspection_record(
        permit=permit, by=supervisor, extinguishers_found=1, findings="楼道堆放垃圾"
    )
    notice = services.notice_issue(
        permit=permit,
        items="清理楼道",
        due_at=timezone.now() + timedelta(days=2),
        inspection=inspection,
        by=supervisor,
    )
    services.fine_charge(
        permit=permit, amount="500.00", reason="堆放垃圾", notice=notice, by=supervisor
    )
    hot = services.hot_work_request(
        permit=permit,
        by=contractor_user,
        work_kind="welding",
        location="阳台",
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, hours=2),
        welder_name="赵铁柱",
        welder_certificate_no="T3301",
        welder_certificate_valid_until=today + timedelta(days=400),
        guardian_name="郑师傅",
        extinguishers_ready=True,
        combustibles_cleared=True,
    )
    services.hot_work_decide(hot_work=hot, by=engineer, approve=True)
    services.application_request(
        permit=permit, kind="tools", details="电锤 1 台、切割机 1 台", by=contractor_user
    )
    services.change_request(permit=permit, items=["墙面翻新"], reason="取消水电改造", by=frontdesk)
    services.extension_request(
        permit=permit,
        new_end_date=permit.end_date + timedelta(days=10),
        reason="材料延迟到货",
        by=contractor_user,
    )
    services.construction_notice_draft(
        project=project,
        title="1-101 室装修施工通告",
        body="1-101 室将进行墙面拆改，噪音较大，敬请谅解。",
        work_starts_on=services.earliest_work_start(timezone.now()) + timedelta(days=1),
        work_ends_on=services.earliest_work_start(timezone.now()) + timedelta(days=3),
        permit=permit,
        by=frontdesk,
    )
    return permit, worker_pass


def test_every_admin_page_renders_for_a_superuser(admin_as, history):
    permit, _ = history
    for name in ["permit", "contractor", "decorationsettings", *RECORDS]:
        response = admin_as.get(reverse(f"admin:decoration_{name}_changelist"), follow=True)
        assert response.status_code == 200, name
    page = admin_as.get(reverse("admin:decoration_permit_change", args=[permit.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ["20000.00", "YJ-0001", "500.00", "王建军", "收装修押金"]:
        assert text in html, text
    for name in RECORDS:
        obj = apps.get_model("decoration", name).objects.first()
        assert obj is not None, name
        page = admin_as.get(reverse(f"admin:decoration_{name}_change", args=[obj.pk]))
        assert page.status_code == 200, name
        assert 'name="_save"' not in page.content.decode(), name
        assert admin_as.get(reverse(f"admin:decoration_{name}_add")).status_code == 403, name


def test_the_ledger_cannot_be_added_changed_or_deleted__DEC_12(admin_as, history):
    entry = LedgerEntry.objects.get(kind="deposit_received")
    change_url = reverse("admin:decoration_ledgerentry_change", args=[entry.pk])
    assert admin_as.post(change_url, {"amount": "1.00", "kind": "deduction"}).status_code == 403
    delete_url = reverse("admin:decoration_ledgerentry_delete", args=[entry.pk])
    assert admin_as.get(delete_url).status_code == 403
    assert admin_as.post(delete_url, {"post": "yes"}).status_code == 403
    assert admin_as.get(reverse("admin:decoration_ledgerentry_add")).status_code == 403
    changelist = admin_as.post(
        reverse("admin:decoration_ledgerentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    entry.refresh_from_db()
    assert (entry.kind, entry.amount) == ("deposit_received", Decimal("20000.00"))
    assert LedgerEntry.objects.count() == 4  # deposit, pass fee, pass deposit, fine


def test_decoration_settings_is_an_editable_singleton_used_by_the_next_filing__DEC_04(
    admin_as, approved_permit, file_permit
):
    config = DecorationSettings.current()
    url = reverse("admin:decoration_decorationsettings_change", args=[config.pk])
    assert (
        admin_as.get(reverse("admin:decoration_decorationsettings_changelist")).status_code == 302
    )
    form = SETTINGS_FORM | {
        "deposit_amount": "30000.00",
        "period_days": 60,
        "pass_fee": "15.00",
        "pass_deposit": "35.00",
        "pass_return_grace_days": 5,
        "extinguisher_area_m2": 40,
        "review_working_days": 7,
        "notice_working_days": 4,
        "expiry_warning_days": 5,
    }
    response = admin_as.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    config.refresh_from_db()
    assert config.deposit_amount == Decimal("30000.00")
    assert (config.period_days, config.pass_return_grace_days, config.review_working_days) == (
        60,
        5,
        7,
    )
    assert (config.pass_fee, config.pass_deposit) == (Decimal("15.00"), Decimal("35.00"))
    assert Event.objects.filter(action="edited", data__deposit_amount="30000.00").exists()

    new = file_permit(area_m2="120.00")
    assert new.deposit_required == Decimal("30000.00")
    assert new.extinguishers_required == 3  # 120 m² at one per 40 m²
    approved_permit.refresh_from_db()
    assert approved_permit.deposit_required == Decimal("20000.00")  # filed before: unchanged

    assert admin_as.get(reverse("admin:decoration_decorationsettings_add")).status_code == 403
    delete = admin_as.get(reverse("admin:decoration_decorationsettings_delete", args=[config.pk]))
    assert delete.status_code == 403


def test_decoration_settings_refuses_a_bad_amount(admin_as):
    config = DecorationSettings.current()
    url = reverse("admin:decoration_decorationsettings_change", args=[config.pk])
    response = admin_as.post(url, SETTINGS_FORM | {"deposit_amount": "20000.001"})
    assert response.status_code == 200
    assert "deposit_amount" in response.context["adminform"].form.errors
    config.refresh_from_db()
    assert config.deposit_amount == Decimal("20000.00")


def permit_form(permit: Permit, **changes) -> dict:
    data: dict = {
        "owner_phone": permit.owner_phone,
        "site_leader_name": permit.site_leader_name,
        "site_leader_phone": permit.site_leader_phone,
    }
    for prefix in ["reviews", "ledger", "passes", "fines", "extensions"]:
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "0",
        }
    data.update(changes)
    return data


def test_a_permit_only_changes_its_contact_details_in_the_admin(admin_as, paid_permit):
    url = reverse("admin:decoration_permit_change", args=[paid_permit.pk])
    page = admin_as.get(url).content.decode()
    for field in ["status", "deposit_required", "start_date", "end_date", "area_m2"]:
        assert f'name="{field}"' not in page, field
    response = admin_as.post(
        url,
        permit_form(
            paid_permit,
            site_leader_phone="13900009999",
            status="closed",
            deposit_required="1.00",
            end_date="2099-01-01",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    paid_permit.refresh_from_db()
    assert paid_permit.site_leader_phone == "13900009999"
    assert paid_permit.status == Permit.Status.DEPOSIT_PAID
    assert paid_permit.deposit_required == Decimal("20000.00")
    assert paid_permit.end_date is None
    edited = Event.objects.get(object_id=str(paid_permit.pk), action="edited")
    assert edited.data["site_leader_phone"] == ["", "13900009999"]
    assert admin_as.get(reverse("admin:decoration_permit_add")).status_code == 403
    delete = admin_as.get(reverse("admin:decoration_permit_delete", args=[paid_permit.pk]))
    assert delete.status_code == 403


def test_a_contractor_is_edited_and_its_login_must_be_a_contractor__DEC_03(
    admin_as, contractor_user, frontdesk
):
    contractor = Contractor.objects.get(user=contractor_user)
    url = reverse("admin:decoration_contractor_change", args=[contractor.pk])
    form = {
        "name": "恒安装饰工程有限公司",
        "licence_no": " jz-2025-0001 ",
        "qualification": "二级",
        "phone": "0571-86001234",
        "user": contractor_user.pk,
    }
    assert admin_as.post(url, form).status_code == 302
    contractor.refresh_from_db()
    assert (contractor.licence_no, contractor.qualification) == ("JZ-2025-0001", "二级")

    refused = admin_as.post(url, form | {"user": frontdesk.pk})
    assert refused.status_code == 200
    assert "user" in refused.context["adminform"].form.errors

    newcomer = UserFactory(username="jiangxin")
    StaffFactory(user=newcomer, name="匠心家装", roles=[Role.CONTRACTOR])
    added = admin_as.post(
        reverse("admin:decoration_contractor_add"),
        {"name": "匠心家装", "licence_no": "JX-01", "user": newcomer.pk},
    )
    assert added.status_code == 302
    assert Contractor.objects.get(licence_no="JX-01").user == newcomer
    delete = admin_as.get(reverse("admin:decoration_contractor_delete", args=[contractor.pk]))
    assert delete.status_code == 403


def test_a_pass_shows_only_the_masked_id_number(admin_as, history):
    _permit, worker_pass = history
    page = admin_as.get(reverse("admin:decoration_workerpass_change", args=[worker_pass.pk]))
    html = page.content.decode()
    assert WORKER_ID not in html
    assert WorkerPass.objects.get(pk=worker_pass.pk).id_number_encrypted not in html
    assert worker_pass.id_hash not in html
    assert worker_pass.id_number_masked in html


def test_the_admin_is_scoped_to_the_users_projects(client, history, outsider):
    """A staff admin user of another project sees none of this project's permits."""
    outsider.is_staff = True
    outsider.save()
    for codename in ["view_permit", "view_ledgerentry"]:
        from django.contrib.auth.models import Permission

        outsider.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(outsider)
    response = client.get(reverse("admin:decoration_permit_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    permit, _ = history
    assert (
        client.get(reverse("admin:decoration_permit_change", args=[permit.pk])).status_code == 302
    )
