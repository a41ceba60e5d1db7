"""Decoration's demo history (``seed_demo``): idempotent, through the services, every
stage present, the demo contractor scoped to its own permits."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse

from decoration import rules, services
from decoration.models import (
    ConstructionNotice,
    Contractor,
    Fine,
    HotWorkPermit,
    LedgerEntry,
    Permit,
    RectificationNotice,
    WorkerPass,
)
from servicedesk.core.models import Event
from servicedesk.core.scoping import scope_queryset
from tests.visitors.test_pdf import png

pytestmark = pytest.mark.django_db

MODELS = [
    Permit,
    Contractor,
    WorkerPass,
    LedgerEntry,
    Fine,
    HotWorkPermit,
    RectificationNotice,
    ConstructionNotice,
]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def seed() -> None:
    call_command("seed_demo", stdout=io.StringIO())


def test_seed_demo_twice_adds_nothing_the_second_time():
    seed()
    first = counts()
    assert first["Permit"] == 5
    seed()
    assert counts() == first


def test_the_demo_has_every_stage_through_the_services():
    seed()
    permits = {p.unit.number: p for p in Permit.objects.filter(project__code="DEMO")}
    S = Permit.Status
    assert {number: p.status for number, p in permits.items()} == {
        "2-502": S.UNDER_REVIEW,
        "3-201": S.APPROVED,
        "1-101": S.IN_PROGRESS,
        "5-101": S.ACCEPTED,
        "4-302": S.CLOSED,
    }
    # owner2 filed online; the desk filed the others on paper.
    assert permits["2-502"].owner_signature == Permit.Signature.PORTAL
    assert permits["2-502"].review_due_at is not None
    on_site = permits["1-101"]
    assert on_site.end_date is not None and on_site.start_date is not None
    assert (on_site.end_date - on_site.start_date).days == 44  # 45 days counting the start
    assert on_site.passes.filter(status=WorkerPass.Status.ISSUED).count() == 3
    assert on_site.hot_works.get().status == HotWorkPermit.Status.APPROVED
    assert on_site.notices.get().status == RectificationNotice.Status.OPEN
    assert on_site.fines.get().amount == Decimal("200.00")
    notice = ConstructionNotice.objects.get(project__code="DEMO")
    assert notice.status == ConstructionNotice.Status.ISSUED and notice.recipients >= 1
    assert notice.approved_by.username == "supervisor"
    # 4-302: 300.00 fine deducted, one lost pass forfeited, the rest refunded once.
    closed = services.balances(permits["4-302"])
    assert closed.fines_deducted == Decimal("300.00")
    assert closed.pass_deposits_forfeited == Decimal("40.00")
    assert closed.refunded == Decimal("19700.00")
    assert closed.deposit_balance == rules.ZERO
    # 5-101: the refund still to come, per the plan the refund will use.
    plan = rules.refund_plan(services.balances(permits["5-101"]))
    assert plan.refund == Decimal("20000.00")
    # Written by the services: every permit has its "filed" event.
    permit_type = ContentType.objects.get_for_model(Permit)
    assert Event.objects.filter(action="filed", content_type=permit_type).count() == 5


def test_the_demo_contractor_sees_only_its_own_permits():
    seed()
    contractor = User.objects.get(username="contractor")
    company = Contractor.objects.get(user=contractor)
    assert company.name == "恒安装饰工程有限公司"
    visible = scope_queryset(Permit.objects.all(), contractor)
    assert set(visible) == set(Permit.objects.filter(contractor=company))
    assert visible.count() == 4
    assert not visible.filter(unit__number="2-502").exists()  # 匠心家装's
    assert set(scope_queryset(LedgerEntry.objects.all(), contractor)) == set(
        LedgerEntry.objects.filter(permit__contractor=company)
    )


def test_the_demo_records_print(client):
    seed()
    client.force_login(User.objects.get(username="contractor"))
    on_site = Permit.objects.get(project__code="DEMO", unit__number="1-101")
    closed = Permit.objects.get(project__code="DEMO", unit__number="4-302")
    urls = {
        "demo_dec_permit": reverse("decoration:pdf_permit", args=[on_site.pk]),
        "demo_dec_pass": reverse("decoration:pdf_pass", args=[on_site.passes.first().pk]),
        "demo_dec_hot_work": reverse("decoration:pdf_hot_work", args=[on_site.hot_works.get().pk]),
        "demo_dec_fine": reverse("decoration:pdf_fine", args=[on_site.fines.get().pk]),
        "demo_dec_refund": reverse("decoration:pdf_refund_notice", args=[closed.pk]),
    }
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response.content.startswith(b"%PDF")
        png(response.content, name)
    other = Permit.objects.get(project__code="DEMO", unit__number="2-502")
    assert client.get(reverse("decoration:pdf_application", args=[other.pk])).status_code == 404
    client.force_login(User.objects.get(username="owner2"))
    assert client.get(reverse("decoration:pdf_application", args=[other.pk])).status_code == 200
    assert client.get(reverse("decoration:pdf_permit", args=[on_site.pk])).status_code == 404
