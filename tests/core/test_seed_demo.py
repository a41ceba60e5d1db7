"""``manage.py seed_demo`` as API.md describes it."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from servicedesk.core.models import Resident, Role, StaffRole, Unit

ACCOUNTS = [
    "frontdesk",
    "frontdesk2",
    "supervisor",
    "manager",
    "duty",
    "engineer",
    "quality",
    "gm",
    "owner1",
    "owner2",
    "contractor",
    "admin",
]


@pytest.mark.django_db
def test_seed_demo_is_safe_to_run_twice():
    call_command("seed_demo")
    counts = (Unit.objects.count(), Resident.objects.count(), get_user_model().objects.count())

    call_command("seed_demo")

    assert (
        Unit.objects.count(),
        Resident.objects.count(),
        get_user_model().objects.count(),
    ) == counts
    assert Unit.objects.filter(project__code="DEMO").count() > 100


@pytest.mark.django_db
def test_every_demo_account_logs_in_with_the_published_password():
    call_command("seed_demo")

    for username in ACCOUNTS:
        assert authenticate(username=username, password="demo12345") is not None, username
    assert get_user_model().objects.get(username="admin").is_superuser


@pytest.mark.django_db
def test_demo_staff_cover_every_role_of_ORG_03():
    call_command("seed_demo")

    held = set(StaffRole.objects.values_list("role", flat=True))
    owners = Resident.objects.filter(user__username__in=["owner1", "owner2"])

    assert held == set(Role.values) - {Role.RESIDENT}
    assert owners.count() == 2 and len({r.unit_id for r in owners}) == 2
