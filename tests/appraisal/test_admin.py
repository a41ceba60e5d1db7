"""The appraisal admin: settings and versioned criteria as data, records read-only
(APR-01, APR-04, APR-05, APR-07, APR-08)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from appraisal import services
from appraisal.models import (
    AppraisalSettings,
    AssessmentContent,
    CriteriaSet,
    Item,
    StaffLevel,
    TrainingResult,
)
from servicedesk.core.models import Role
from tests.appraisal.conftest import d
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _april_2026():
    with time_machine.travel("2026-04-10 10:00 +0800", tick=False):
        yield


@pytest.fixture
def in_force() -> CriteriaSet:
    return services.criteria_in_force(StaffLevel.OPERATIONAL, AssessmentContent.SKILL)


@pytest.fixture
def superuser():
    return get_user_model().objects.get(username="admin")


@pytest.fixture
def draft(admin_client, superuser, in_force) -> CriteriaSet:
    return services.criteria_new_version(criteria_set=in_force, by=superuser)


@pytest.fixture
def quality_admin(db):
    """品质部 staff with admin access but no Django model permissions."""
    staff = StaffFactory(name="赵丽华", roles=[Role.QUALITY])
    staff.user.is_staff = True
    staff.user.save()
    return staff.user


@pytest.fixture
def manager_admin(project, department):
    staff = StaffFactory(
        name="王经理", roles=[Role.MANAGER], projects=[project], department=department
    )
    staff.user.is_staff = True
    staff.user.save()
    return staff.user


def change_url(obj) -> str:
    return reverse(f"admin:appraisal_{obj._meta.model_name}_change", args=[obj.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_every_changelist_loads_for_a_superuser(admin_client, appraise, boss, clerk, in_force):
    a = appraise(clerk, deductions=[("de2", 2)], finalise=False)
    services.penalty_add(
        assessment=a, measure="verbal_warning", description="与业主争吵", by=boss.user
    )
    services.training_record(
        staff=clerk,
        stage=TrainingResult.Stage.INDUCTION,
        test_type=AssessmentContent.THEORY,
        score=d(88),
        passed=True,
        taken_on=date(2026, 3, 2),
        by=boss.user,
    )
    AppraisalSettings.current()
    for model in (
        "appraisalsettings",
        "criteriaset",
        "dimension",
        "assessment",
        "deduction",
        "penalty",
        "suggestion",
        "trainingresult",
    ):
        # (the settings list opens its one row)
        response = admin_client.get(reverse(f"admin:appraisal_{model}_changelist"), follow=True)
        assert response.status_code == 200, model
    page = admin_client.get(change_url(a))
    assert page.status_code == 200
    assert "与业主争吵" in page.content.decode()


def test_records_are_read_only_in_the_admin__APR_07(admin_client, appraise, clerk):
    a = appraise(clerk, deductions=[("de2", 2)])

    page = admin_client.get(change_url(a))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.get(reverse("admin:appraisal_assessment_add")).status_code == 403
    delete = admin_client.get(reverse("admin:appraisal_assessment_delete", args=[a.pk]))
    assert delete.status_code == 403
    deduction = a.deductions.get()
    assert 'name="_save"' not in admin_client.get(change_url(deduction)).content.decode()


def test_publishing_an_invalid_draft_shows_the_error_and_leaves_it_a_draft__APR_01(
    admin_client, draft, in_force
):
    Item.objects.filter(dimension__criteria_set=draft, code="de2").update(max_points=d(4))

    response = admin_client.post(
        reverse("admin:appraisal_criteriaset_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )

    assert response.status_code == 200
    errors = [m for m in messages_of(response) if "分值不正确" in m]
    assert errors and "19" in errors[0]  # 德's items add up to 19, not 20
    draft.refresh_from_db()
    in_force.refresh_from_db()
    assert draft.status == CriteriaSet.Status.DRAFT
    assert in_force.status == CriteriaSet.Status.PUBLISHED
    page = admin_client.get(change_url(draft)).content.decode()
    assert "德 的项目合计 19.00，应为 20.00" in page  # the 分值检查 field


def test_publishing_a_valid_draft_retires_the_version_it_replaces__APR_01(
    admin_client, draft, in_force
):
    response = admin_client.post(
        reverse("admin:appraisal_criteriaset_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )

    assert any("已发布" in m for m in messages_of(response))
    draft.refresh_from_db()
    in_force.refresh_from_db()
    assert (draft.status, in_force.status) == ("published", "retired")


def test_copy_as_new_version_makes_an_editable_draft__APR_01(admin_client, in_force):
    response = admin_client.post(
        reverse("admin:appraisal_criteriaset_changelist"),
        {"action": "new_version", "_selected_action": [in_force.pk]},
        follow=True,
    )

    assert response.status_code == 200
    new = CriteriaSet.objects.get(previous=in_force)
    assert new.status == "draft" and new.version == in_force.version + 1
    assert Item.objects.filter(dimension__criteria_set=new).count() == 16
    page = admin_client.get(change_url(new)).content.decode()
    assert 'name="_save"' in page


def test_a_published_set_is_not_editable__APR_01(admin_client, in_force):
    page = admin_client.get(change_url(in_force))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()

    response = admin_client.post(
        change_url(in_force),
        {"name": "改过的名字", "staff_level": in_force.staff_level, "test_type": "skill"},
    )
    assert response.status_code == 403
    in_force.refresh_from_db()
    assert in_force.name != "改过的名字"
    dimension = in_force.dimensions.get(code="de")
    page = admin_client.get(change_url(dimension)).content.decode()
    assert 'name="_save"' not in page and "服务态度" in page
    delete = admin_client.get(reverse("admin:appraisal_criteriaset_delete", args=[in_force.pk]))
    assert delete.status_code == 403


def test_an_item_of_a_draft_is_edited_on_its_dimension_page__APR_01(admin_client, draft):
    dimension = draft.dimensions.get(code="de")
    items = list(dimension.items.order_by("order"))
    data = {
        "code": "de",
        "max_points": "20",
        "order": "0",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, item in enumerate(items):
        data |= {
            f"items-{n}-id": str(item.pk),
            f"items-{n}-dimension": str(dimension.pk),
            f"items-{n}-code": item.code,
            f"items-{n}-name": item.name,
            f"items-{n}-max_points": "6" if item.code == "de1" else str(item.max_points),
            f"items-{n}-standards": item.standards,
            f"items-{n}-order": str(item.order),
        }

    response = admin_client.post(change_url(dimension), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Item.objects.get(dimension=dimension, code="de1").max_points == d(6)


def test_only_quality_changes_criteria__APR_07(client, quality_admin, manager_admin, draft):
    client.force_login(quality_admin)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200 and "考核标准" in index.content.decode()
    page = client.get(change_url(draft))
    assert page.status_code == 200 and 'name="_save"' in page.content.decode()
    response = client.post(
        reverse("admin:appraisal_criteriaset_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert any("已发布" in m for m in messages_of(response))

    client.force_login(manager_admin)
    other = CriteriaSet.objects.filter(status="published").exclude(pk=draft.pk).first()
    assert client.get(change_url(draft)).status_code == 403
    assert client.get(reverse("admin:appraisal_criteriaset_changelist")).status_code == 403
    response = client.post(
        reverse("admin:appraisal_criteriaset_changelist"),
        {"action": "new_version", "_selected_action": [other.pk]},
    )
    assert response.status_code == 403
    assert not CriteriaSet.objects.filter(previous=other).exists()


def test_settings_are_editable_with_checked_shares__APR_04_APR_05_APR_08(admin_client):
    cfg = AppraisalSettings.current()
    url = change_url(cfg)
    data = {
        "checks_percent": "25",
        "monthly_percent": "25",
        "year_end_percent": "50",
        "weekly_weight": "1",
        "monthly_check_weight": "2",
        "spot_weight": "1",
        "excellent_above": "98",
        "bonus_max": "8",
        "retention_years": "3",
        "points_per_first_question_failure": "1",
        "points_per_valid_complaint": "2",
        "on_time_target_percent": "95",
        "points_below_on_time_target": "2",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    cfg.refresh_from_db()
    assert (cfg.checks_percent, cfg.monthly_check_weight, cfg.excellent_above) == (
        d(25),
        d(2),
        d(98),
    )
    assert (cfg.bonus_max, cfg.retention_years, cfg.on_time_target_percent) == (d(8), 3, d(95))

    response = admin_client.post(url, data | {"year_end_percent": "40", "bonus_max": "12"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "之和须为 100%" in text and "1 至 10" in text
    assert admin_client.get(reverse("admin:appraisal_appraisalsettings_add")).status_code == 403
    delete = admin_client.get(reverse("admin:appraisal_appraisalsettings_delete", args=[cfg.pk]))
    assert delete.status_code == 403
