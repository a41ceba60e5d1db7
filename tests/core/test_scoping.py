"""The one scoping helper (ORG-01, ORG-02): who sees which records."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.http import Http404

from servicedesk.core.models import Event, Resident, Role, Unit
from servicedesk.core.scoping import Scope, get_scoped_or_404, scope_queryset
from tests.factories import (
    BuildingFactory,
    ProjectFactory,
    ResidentFactory,
    StaffFactory,
    UnitFactory,
    UserFactory,
)


@pytest.fixture
def lookalike_units(project):
    """Units whose labels contain "1-101": 11-101 and 1-1011 (ORG-02 exact matching)."""
    b11 = BuildingFactory(project=project, code="11")
    return [
        UnitFactory(building=b11, number="11-101"),
        UnitFactory(building__project=project, building__code="9", number="1-1011"),
    ]


def test_staff_see_only_their_projects_units__ORG_01(unit, frontdesk, outsider, other_project):
    theirs = UnitFactory(building__project=other_project, number="2-202")

    assert list(scope_queryset(Unit.objects.all(), frontdesk)) == [unit]
    assert list(scope_queryset(Unit.objects.all(), outsider)) == [theirs]


def test_the_owner_of_1_101_never_sees_11_101_or_1_1011__ORG_02(unit, owner, lookalike_units):
    assert list(scope_queryset(Unit.objects.all(), owner)) == [unit]
    for other in lookalike_units:
        with pytest.raises(Http404):
            get_scoped_or_404(Unit.objects.all(), owner, pk=other.pk)


def test_a_resident_sees_the_residents_of_their_unit_only__ORG_02(unit, owner, lookalike_units):
    tenant = ResidentFactory(unit=unit, kind=Resident.Kind.TENANT, name="租客")
    ResidentFactory(unit=lookalike_units[0], name="邻居")

    visible = set(scope_queryset(Resident.objects.all(), owner).values_list("name", flat=True))

    assert visible == {"陈静", tenant.name}


def test_a_former_resident_loses_access_when_moved_out__ORG_02(unit, owner):
    Resident.objects.filter(user=owner).update(is_active=False)
    owner.refresh_from_db()  # drops the per-request cache

    assert not scope_queryset(Unit.objects.all(), owner).exists()


def test_a_resident_who_is_also_staff_sees_both_scopes__ORG_03(project, other_project):
    home = UnitFactory(building__project=other_project, number="5-501")
    work = UnitFactory(building__project=project, number="1-102")
    person = StaffFactory(roles=[Role.FRONT_DESK], projects=[project])
    ResidentFactory(unit=home, user=person.user)

    assert set(scope_queryset(Unit.objects.all(), person.user)) == {home, work}


def test_general_manager_and_superuser_see_every_project__ORG_01(unit, other_project):
    elsewhere = UnitFactory(building__project=other_project)
    gm = StaffFactory(roles=[Role.GENERAL_MANAGER]).user
    root = UserFactory(username="root", is_superuser=True)

    for user in (gm, root):
        assert set(scope_queryset(Unit.objects.all(), user)) == {unit, elsewhere}


def test_anonymous_inactive_and_roleless_users_see_nothing__ORG_01(unit, frontdesk):
    from django.contrib.auth.models import AnonymousUser

    frontdesk.is_active = False
    nobody = UserFactory(username="nobody")

    for user in (AnonymousUser(), frontdesk, nobody):
        assert not scope_queryset(Unit.objects.all(), user).exists()


def test_out_of_scope_is_a_404_not_a_403__ORG_01(unit, outsider):
    with pytest.raises(Http404):
        get_scoped_or_404(Unit.objects.all(), outsider, pk=unit.pk)


def test_a_model_without_a_scope_cannot_be_listed():
    from django.contrib.auth.models import Group

    with pytest.raises(TypeError):
        scope_queryset(Group.objects.all(), UserFactory.build())


def test_models_that_residents_never_see_have_no_unit_path(project, owner):
    """A Scope without ``unit`` hides the rows from residents entirely."""
    assert Scope(project="project").unit is None
    Event.objects.create(
        content_type=ContentType.objects.get_for_model(project),
        object_id=str(project.pk),
        project=project,
        action="internal",
        reason="staff only",
    )
    assert not scope_queryset(Event.objects.all(), owner).exists()


def test_scoping_costs_a_fixed_number_of_queries(project, frontdesk, django_assert_max_num_queries):
    for n in range(30):
        UnitFactory(building__project=project, number=f"7-{n:03d}")
    with django_assert_max_num_queries(4):  # roles, projects, residencies, the list
        assert len(list(scope_queryset(Unit.objects.all(), frontdesk))) == 30


def test_staff_sharing_two_projects_are_listed_once__ORG_01(project, other_project):
    from servicedesk.core.models import StaffProfile

    viewer = StaffFactory(roles=[Role.SUPERVISOR], projects=[project, other_project]).user
    colleague = StaffFactory(roles=[Role.FRONT_DESK], projects=[project, other_project])
    StaffFactory(roles=[Role.FRONT_DESK], projects=[ProjectFactory(code="far")])

    visible = list(scope_queryset(StaffProfile.objects.all(), viewer))

    assert sorted(p.pk for p in visible) == sorted([viewer.staff_profile.pk, colleague.pk])


def test_a_contractor_listed_on_a_project_does_not_see_the_whole_project__ORG_01(unit, project):
    from servicedesk.core.models import Role, Unit
    from servicedesk.core.scoping import scope_queryset
    from tests.factories import StaffFactory

    contractor = StaffFactory(roles=[Role.CONTRACTOR], projects=[project]).user
    assert not scope_queryset(Unit.objects.all(), contractor).exists()
