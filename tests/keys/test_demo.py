"""Key custody's demo history (``seed_demo``): idempotent, every state present."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from keys.models import (
    CustodyTransfer,
    EmergencyUse,
    Entrustment,
    Handover,
    Key,
    Loan,
    LockChange,
    MonthlyReport,
)
from keys.pdf import previous_month
from tests.visitors.test_pdf import png

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_creates_the_keys_once():
    call_command("seed_demo", stdout=io.StringIO())
    keys = Key.objects.filter(project__code="DEMO")
    count = keys.count()
    assert 25 <= count <= 35
    loans = Loan.objects.filter(project__code="DEMO")
    loan_count = loans.count()

    call_command("seed_demo", stdout=io.StringIO())

    assert Key.objects.filter(project__code="DEMO").count() == count
    assert Loan.objects.filter(project__code="DEMO").count() == loan_count


def test_the_demo_has_every_state_of_key_custody():
    call_command("seed_demo", stdout=io.StringIO())
    now = timezone.now()
    keys = Key.objects.filter(project__code="DEMO")
    loans = Loan.objects.filter(project__code="DEMO")
    assert set(keys.values_list("kind", flat=True)) == {
        "owner_spare",
        "public_area",
        "plant_room",
        "other",
    }
    # KEY-04: a key out now (due later today) and one overdue since yesterday.
    assert keys.filter(status=Key.Status.ON_LOAN).count() == 2
    assert loans.filter(status=Loan.Status.OUT, due_at__gt=now).count() == 1
    overdue = loans.get(status=Loan.Status.OUT, due_at__lt=now)
    assert timezone.localdate(overdue.due_at) == timezone.localdate() - timedelta(days=1)
    # KEY-03: requested by the front desk, approved by the manager; one awaits approval.
    waiting = loans.get(status=Loan.Status.REQUESTED)
    assert waiting.requested_by.username == "frontdesk"
    assert {
        u for u in loans.exclude(approved_by=None).values_list("approved_by__username", flat=True)
    } == {"manager"}
    returned = loans.filter(status=Loan.Status.RETURNED)
    assert returned.count() >= 12
    assert returned.filter(return_condition="damaged").exists()
    assert returned.filter(maintenance=True).exists()
    first = min(returned.values_list("out_at", flat=True))
    assert (now - first).days >= 28  # a month of history
    # KEY-02: owner1's key under an active entrustment, owner2's awaiting the portal.
    assert Entrustment.objects.get(resident__user__username="owner1").status == "active"
    pending = Entrustment.objects.get(resident__user__username="owner2")
    assert (pending.status, pending.confirmation) == ("pending", "")
    # KEY-07, KEY-08, KEY-10, KEY-09, KEY-01
    use = EmergencyUse.objects.get(project__code="DEMO")
    assert use.status == EmergencyUse.Status.CLOSED and use.attempts.count() >= 1
    assert use.entered_at < use.exited_at < now
    assert LockChange.objects.get(project__code="DEMO").status == LockChange.Status.AWAITING_SEAL
    handover = Handover.objects.get(project__code="DEMO")
    assert handover.status == Handover.Status.SIGNED and len(handover.keys_out) == 2
    report = MonthlyReport.objects.get(project__code="DEMO")
    assert report.status == MonthlyReport.Status.SUBMITTED
    assert report.month == previous_month(timezone.localdate())
    assert report.figures["loans"] >= 1
    assert CustodyTransfer.objects.filter(key__project__code="DEMO").count() == 8


def test_the_demo_records_print(client):
    call_command("seed_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(username="frontdesk"))
    report = MonthlyReport.objects.get(project__code="DEMO")
    urls = {
        "demo_key_loan_log": reverse("keys:loan_log_pdf"),
        "demo_key_report": reverse("keys:report_pdf", args=[report.pk]),
        "demo_key_emergency": reverse(
            "keys:emergency_pdf", args=[EmergencyUse.objects.get(project__code="DEMO").pk]
        ),
        "demo_key_handover": reverse(
            "keys:handover_pdf", args=[Handover.objects.get(project__code="DEMO").pk]
        ),
        "demo_key_entrustment": reverse(
            "keys:entrustment_pdf",
            args=[Entrustment.objects.get(resident__user__username="owner2").pk],
        ),
    }
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response.content.startswith(b"%PDF")
        png(response.content, name)
    owner1 = User.objects.get(username="owner1")
    client.force_login(owner1)
    own = Entrustment.objects.get(resident__user=owner1)
    assert client.get(reverse("keys:entrustment_pdf", args=[own.pk])).status_code == 200
    other = Entrustment.objects.get(resident__user__username="owner2")
    assert client.get(reverse("keys:entrustment_pdf", args=[other.pk])).status_code == 404
