"""The key admin: settings and master data editable, records read-only (KEY-01, ORG-05)."""

from __future__ import annotations

from datetime import date

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keys import services
from keys.models import CustodyTransfer, Key, KeySettings, Loan
from keys.pdf import previous_month
from servicedesk.core.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RECORDS = [
    "entrustment",
    "loan",
    "copyrequest",
    "emergencyuse",
    "lockchange",
    "incident",
    "custodytransfer",
    "handover",
    "monthlyreport",
]


@pytest.fixture
def root(db) -> User:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_as(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def history(project, public_key, spare_key, loan_out, request_loan, frontdesk, manager, duty):
    """A bit of everything: loans (out, returned, requested), an emergency, an incident,
    a copy request, a lock change, a custody transfer and a handover."""
    loan = loan_out(public_key)
    services.loan_return(loan=loan, by=frontdesk, condition="damaged", note="齿磨损")
    loan_out(public_key)
    use = services.emergency_open(key=spare_key, kind="fire", reason="烟感报警", by=duty)
    services.emergency_attempt(
        use=use, whom="owner", name="陈静", method="phone", result="reached", by=duty
    )
    services.copy_request(key=public_key, count=1, reason="备用", by=frontdesk)
    services.lock_change_record(
        project=project, location="配电房", reason="锁坏", new_tag="J-1", by=manager
    )
    services.custody_transfer(keys=[public_key], to_custodian=manager, reason="调岗", by=frontdesk)
    services.handover_create(project=project, taken_by=manager, by=frontdesk)
    month = previous_month(timezone.localdate())
    services.report_submit(project=project, month=month, by=frontdesk)
    return loan


def changelist_queries(client, model: str) -> int:
    url = reverse(f"admin:keys_{model}_changelist")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, follow=True)  # the settings list opens its one row
    assert response.status_code == 200, model
    return len(ctx)


def more_keys(project, frontdesk, manager, n: int) -> None:
    for i in range(n):
        key = services.key_register(
            project=project, tag=f"Z-{i:03d}", kind=Key.Kind.OTHER, opens="仓库", by=frontdesk
        )
        loan = services.loan_request(key=key, purpose="取物", by=frontdesk)
        services.loan_approve(loan=loan, by=manager)


def test_every_changelist_loads_in_a_fixed_number_of_queries(
    admin_as, history, project, frontdesk, manager
):
    models = ["key", "keysettings", *RECORDS]
    KeySettings.current()  # the settings row exists before either measurement
    changelist_queries(admin_as, "keysettings")  # warm the content-type cache
    before = {m: changelist_queries(admin_as, m) for m in models}
    more_keys(project, frontdesk, manager, 8)
    after = {m: changelist_queries(admin_as, m) for m in models}
    assert after == before


def test_every_record_page_opens_read_only(admin_as, history):
    for name in RECORDS:
        obj = apps.get_model("keys", name).objects.first()
        assert obj is not None, name
        page = admin_as.get(reverse(f"admin:keys_{name}_change", args=[obj.pk]))
        assert page.status_code == 200, name
        assert 'name="_save"' not in page.content.decode(), name
        assert admin_as.get(reverse(f"admin:keys_{name}_add")).status_code == 403, name


def test_loans_cannot_be_changed_or_deleted(admin_as, history):
    loan = history
    delete = admin_as.get(reverse("admin:keys_loan_delete", args=[loan.pk]))
    assert delete.status_code == 403
    response = admin_as.post(
        reverse("admin:keys_loan_change", args=[loan.pk]), {"purpose": "改过的事由"}
    )
    assert response.status_code == 403
    changelist = admin_as.post(
        reverse("admin:keys_loan_changelist"),
        {"action": "delete_selected", "_selected_action": [loan.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    loan.refresh_from_db()
    assert loan.purpose == "维修天台水箱"
    assert Loan.objects.filter(pk=loan.pk).exists()


def test_key_settings_is_an_editable_singleton(admin_as):
    settings = KeySettings.current()
    url = reverse("admin:keys_keysettings_change", args=[settings.pk])
    response = admin_as.post(
        url,
        {
            "seal_within_hours": 12,
            "overdue_escalate_every_hours": 3,
            "emergency_review_working_days": 2,
            "entrustment_expiry_notice_days": 30,
        },
    )
    assert response.status_code == 302
    settings.refresh_from_db()
    assert (settings.seal_within_hours, settings.entrustment_expiry_notice_days) == (12, 30)
    assert admin_as.get(reverse("admin:keys_keysettings_add")).status_code == 403
    delete = admin_as.get(reverse("admin:keys_keysettings_delete", args=[settings.pk]))
    assert delete.status_code == 403


def key_form(key: Key, **changes) -> dict:
    data = {
        "tag": key.tag,
        "opens": key.opens,
        "cabinet_position": key.cabinet_position,
        "note": key.note,
        "custodian": key.custodian_id or "",
        "custodian_department": key.custodian_department_id or "",
        "transfer_reason": "",
        "custody_transfers-TOTAL_FORMS": "0",
        "custody_transfers-INITIAL_FORMS": "0",
        "custody_transfers-MIN_NUM_FORMS": "0",
        "custody_transfers-MAX_NUM_FORMS": "0",
    }
    data.update(changes)
    return data


def test_key_master_data_is_edited_with_an_event_but_not_its_status__KEY_01(admin_as, public_key):
    url = reverse("admin:keys_key_change", args=[public_key.pk])
    response = admin_as.post(
        url, key_form(public_key, cabinet_position="C-09", status="on_loan", tag="G-001A")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    public_key.refresh_from_db()
    assert (public_key.tag, public_key.cabinet_position) == ("G-001A", "C-09")
    assert public_key.status == Key.Status.AVAILABLE  # status only through the services
    edited = Event.objects.get(object_id=str(public_key.pk), action="edited")
    assert edited.data["cabinet_position"] == ["A-01", "C-09"]
    assert not CustodyTransfer.objects.exists()
    assert admin_as.get(reverse("admin:keys_key_add")).status_code == 403
    assert admin_as.get(reverse("admin:keys_key_delete", args=[public_key.pk])).status_code == 403


def test_a_new_custodian_needs_a_reason_and_is_a_recorded_handover__KEY_01(
    admin_as, public_key, frontdesk, manager
):
    url = reverse("admin:keys_key_change", args=[public_key.pk])
    refused = admin_as.post(url, key_form(public_key, custodian=manager.pk))
    assert refused.status_code == 200
    assert "transfer_reason" in refused.context["adminform"].form.errors

    response = admin_as.post(
        url, key_form(public_key, custodian=manager.pk, transfer_reason="调岗")
    )
    assert response.status_code == 302
    public_key.refresh_from_db()
    assert public_key.custodian == manager
    transfer = CustodyTransfer.objects.get()
    assert (transfer.from_custodian, transfer.to_custodian, transfer.reason) == (
        frontdesk,
        manager,
        "调岗",
    )
    assert transfer.by.username == "root"


def test_the_key_changelist_searches_by_tag_prefix_and_exact_room(admin_as, spare_key, project):
    from tests.factories import UnitFactory

    UnitFactory(building__project=project, building__code="11", number="11-101")
    url = reverse("admin:keys_key_changelist")
    by_room = admin_as.get(url, {"q": "1-101"})
    assert list(by_room.context["cl"].result_list) == [spare_key]
    by_tag = admin_as.get(url, {"q": "Y-1"})
    assert spare_key in list(by_tag.context["cl"].result_list)
    assert spare_key.entrustment.valid_until == date(2099, 12, 31)
