"""Admin of the complaint desk: rules as data, versioned policy, read-only complaints."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib import admin

from complaints.models import Clock, Complaint, EscalationStep, Policy, StandardAnswer
from tests.complaints.conftest import local
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def policy_form(policy: Policy, **changes) -> dict:
    data = {
        "note": policy.note,
        "reply_hours": policy.reply_hours,
        "rectify_days_major": policy.rectify_days_major,
        "rectify_days_general": policy.rectify_days_general,
        "hot_report_days": policy.hot_report_days,
        "callback_days_major": policy.callback_days_major,
        "callback_days_general": policy.callback_days_general,
        "quiet_close_days": policy.quiet_close_days,
        "onsite_hours": policy.onsite_hours,
        "warning_percent": policy.warning_percent,
        "satisfaction_target": str(policy.satisfaction_target),
    }
    data.update(changes)
    return data


def test_every_rule_model_and_complaints_are_registered():
    for model in (Complaint, Policy, EscalationStep, StandardAnswer):
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize(
    "path",
    [
        "/admin/complaints/category/",
        "/admin/complaints/channel/",
        "/admin/complaints/urgencylevel/",
        "/admin/complaints/escalationstep/",
        "/admin/complaints/escalationstep/add/",
        "/admin/complaints/standardanswer/",
        "/admin/complaints/policy/",
        "/admin/complaints/complaint/",
        "/admin/complaints/complaint/?status__exact=open",
    ],
)
def test_the_pages_render(admin_client, path):
    assert admin_client.get(path).status_code == 200


def test_editing_the_policy_adds_a_version_and_open_complaints_keep_theirs__CMP_07(
    admin_client, file_complaint
):
    """Rule edits never silently rewrite deadlines already set on open records."""
    old = Policy.current()
    c = file_complaint()
    due = dict(Clock.objects.filter(complaint=c).values_list("kind", "due_at"))
    response = admin_client.post(
        f"/admin/complaints/policy/{old.pk}/change/",
        policy_form(old, rectify_days_general=5, reply_hours=24, note="2025 修订"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Policy.objects.count() == 2
    old.refresh_from_db()
    assert old.rectify_days_general == 3 and old.reply_hours == 48, "the old version is untouched"
    new = Policy.current()
    assert new.pk != old.pk
    assert (new.rectify_days_general, new.reply_hours, new.note) == (5, 24, "2025 修订")
    assert new.created_by.username == "root"
    assert new.created_at > old.created_at
    c.refresh_from_db()
    assert c.policy_id == old.pk
    assert dict(Clock.objects.filter(complaint=c).values_list("kind", "due_at")) == due


def test_a_complaint_filed_after_the_edit_uses_the_new_version(admin_client, file_complaint):
    old = Policy.current()
    admin_client.post(
        f"/admin/complaints/policy/{old.pk}/change/", policy_form(old, rectify_days_general=5)
    )
    with time_machine.travel(local("2025-09-01 09:00"), tick=False):  # Monday
        c = file_complaint()
    assert c.policy_id == Policy.current().pk != old.pk
    rectify = Clock.objects.get(complaint=c, kind=Clock.Kind.RECTIFY)
    assert rectify.due_at.date().isoformat() == "2025-09-08"  # 5 working days


def test_saving_an_unchanged_policy_adds_no_version(admin_client):
    old = Policy.current()
    admin_client.post(f"/admin/complaints/policy/{old.pk}/change/", policy_form(old))
    assert Policy.objects.count() == 1


def test_an_older_version_is_read_only_and_no_version_is_deleted(admin_client):
    old = Policy.current()
    admin_client.post(
        f"/admin/complaints/policy/{old.pk}/change/", policy_form(old, reply_hours=24)
    )
    assert Policy.objects.count() == 2
    response = admin_client.post(
        f"/admin/complaints/policy/{old.pk}/change/", policy_form(old, reply_hours=12)
    )
    assert response.status_code == 403
    assert Policy.objects.count() == 2
    assert admin_client.get(f"/admin/complaints/policy/{old.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/complaints/policy/{old.pk}/delete/").status_code == 403
    old.refresh_from_db()
    assert old.reply_hours == 48


def test_the_escalation_role_is_a_choice_of_roles__CMP_11(admin_client):
    step = EscalationStep.objects.get(level=1)
    url = f"/admin/complaints/escalationstep/{step.pk}/change/"
    bad = admin_client.post(url, {"level": 1, "role": "nobody", "label": "x"})
    assert bad.status_code == 200 and "nobody" not in EscalationStep.objects.values_list(
        "role", flat=True
    )
    ok = admin_client.post(url, {"level": 1, "role": "manager", "label": "客服经理"})
    assert ok.status_code == 302
    step.refresh_from_db()
    assert step.role == "manager"


def test_the_standard_answer_use_count_is_read_only__CMP_15(admin_client):
    answer = StandardAnswer.objects.first()
    before = answer.use_count
    admin_client.post(
        f"/admin/complaints/standardanswer/{answer.pk}/change/",
        {
            "category": answer.category_id or "",
            "title": answer.title,
            "keywords": answer.keywords,
            "text": answer.text,
            "use_count": 999,
            "is_active": "on",
        },
    )
    answer.refresh_from_db()
    assert answer.use_count == before


def test_complaints_are_read_only_with_their_inlines(admin_client, file_complaint):
    c = file_complaint(description="电梯异响")
    page = admin_client.get(f"/admin/complaints/complaint/{c.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "电梯异响" in body and "陈静" in body and "首次联系" in body
    assert 'name="_save"' not in body
    assert admin_client.get("/admin/complaints/complaint/add/").status_code == 403
    assert admin_client.get(f"/admin/complaints/complaint/{c.pk}/delete/").status_code == 403
    admin_client.post(
        f"/admin/complaints/complaint/{c.pk}/change/", {"description": "改写", "status": "closed"}
    )
    c.refresh_from_db()
    assert c.description == "电梯异响" and c.status == Complaint.Status.OPEN


def test_the_complaint_list_searches_by_number(admin_client, file_complaint):
    a = file_complaint()
    b = file_complaint()
    body = admin_client.get(f"/admin/complaints/complaint/?q={a.number}").content.decode()
    assert a.number in body and b.number not in body


def test_the_complaint_list_uses_a_fixed_number_of_queries(
    admin_client, file_complaint, django_assert_max_num_queries
):
    for _ in range(3):
        file_complaint()
    admin_client.get("/admin/complaints/complaint/")
    with django_assert_max_num_queries(14) as few:
        admin_client.get("/admin/complaints/complaint/")
    for _ in range(10):
        file_complaint()
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get("/admin/complaints/complaint/")


def test_staff_admins_see_only_their_projects_complaints(client, file_complaint, outsider):
    c = file_complaint()
    outsider.is_staff = True
    outsider.save()
    from django.contrib.auth.models import Permission

    outsider.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    client.force_login(outsider)
    assert client.get(f"/admin/complaints/complaint/{c.pk}/change/").status_code in (302, 404)
    assert c.number not in client.get("/admin/complaints/complaint/").content.decode()
