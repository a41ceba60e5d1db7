"""The visitor desk's demo history (``seed_demo``)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.visitors.test_pdf import png
from visitors.models import BlacklistEntry, PreRegistration, Visit

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_creates_the_visits_once():
    call_command("seed_demo", stdout=io.StringIO())
    visits = Visit.objects.filter(project__code="DEMO")
    count = visits.count()
    assert count == 10
    statuses = set(visits.values_list("status", flat=True))
    assert statuses == {"inside", "left", "refused", "pending"}
    assert visits.filter(
        consent_method="pre_registered", pre_registered_by__username="owner1"
    ).exists()
    assert visits.filter(registered_by__username="duty").exists()
    assert visits.filter(amendments__isnull=False).exists()
    assert visits.filter(host_unit__isnull=True, host_department="客服部").exists()
    assert visits.filter(id_type="passport").exists()
    assert BlacklistEntry.objects.filter(project__code="DEMO").count() == 1
    assert PreRegistration.objects.filter(used_by__isnull=False).count() == 1

    call_command("seed_demo", stdout=io.StringIO())
    assert Visit.objects.filter(project__code="DEMO").count() == count
    assert BlacklistEntry.objects.filter(project__code="DEMO").count() == 1


def test_the_demo_visits_print(client):
    from django.contrib.auth.models import User
    from django.urls import reverse
    from django.utils import timezone

    call_command("seed_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(username="frontdesk"))
    day = timezone.localdate().isoformat()
    response = client.get(reverse("visitors:daily-pdf", kwargs={"day": day}))
    assert response.status_code == 200
    png(response.content, "demo_daily_log")
    for visit in Visit.objects.filter(project__code="DEMO"):
        response = client.get(reverse("visitors:slip-pdf", args=[visit.pk]))
        assert response.status_code == 200
        if visit.amendments.exists() or visit.consent_method == "pre_registered":
            png(response.content, f"demo_slip_{visit.pk}")
