"""Factories for the shared core. Module apps add their own in tests/<app>/factories.py."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from servicedesk.core.models import (
    Building,
    Department,
    EmergencyContact,
    Project,
    Resident,
    Role,
    StaffProfile,
    StaffRole,
    Unit,
)

User = get_user_model()


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"p{n}")
    name = factory.Sequence(lambda n: f"绿城花园{n}期")
    company = "和美物业服务有限公司"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    project = factory.SubFactory(ProjectFactory)
    code = factory.Sequence(lambda n: str(n + 1))
    name = factory.LazyAttribute(lambda b: f"{b.code}栋")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    project = factory.LazyAttribute(lambda u: u.building.project)
    number = factory.Sequence(lambda n: f"{n // 20 + 1}-{(n % 20) + 101}")
    area_m2 = Decimal("89.50")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-12345678")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "service"
    name = "客服部"


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff member. ``StaffFactory(roles=["manager"], projects=[p])``."""

    class Meta:
        model = StaffProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"员工{n}")
    department = factory.SubFactory(DepartmentFactory)

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):
        for role in extracted if extracted is not None else [Role.FRONT_DESK]:
            StaffRole.objects.create(staff=obj, role=role)

    @factory.post_generation
    def projects(obj, create, extracted, **kwargs):
        if extracted:
            obj.projects.set(extracted)


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"业主{n}")
    kind = Resident.Kind.OWNER
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")


class EmergencyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmergencyContact

    resident = factory.SubFactory(ResidentFactory)
    name = "张伟"
    relation = "儿子"
    phone = "+8613900000000"
