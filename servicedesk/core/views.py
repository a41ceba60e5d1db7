"""Pages about units and residents (the customer file, ORG-02)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from servicedesk.core.forms import EmergencyContactFormSet, ResidentForm, UnitSearchForm
from servicedesk.core.models import Event, Resident, Unit
from servicedesk.core.scoping import get_scoped_or_404, scope_queryset, viewer_for
from servicedesk.core.selectors import customer_record_context
from servicedesk.core.services import resident_save
from servicedesk.pdf import pdf_response, render_pdf

# The desk list shows at most this many units; narrow the search for more.
UNIT_LIST_LIMIT = 50
UNIT_HISTORY_LIMIT = 50


def _require_staff(request: HttpRequest) -> None:
    """Editing the customer file is staff work; residents and contractors get 403."""
    if not viewer_for(request.user).is_staff_member:
        raise PermissionDenied(_("仅限员工操作。"))


_SEARCH_MAX_RESIDENTS = 500


def unit_search(queryset: QuerySet[Unit], query: str) -> QuerySet[Unit]:
    """Return units matching a room number, a phone number or a resident's name.

    A room number matches exactly or as a prefix (``1-10`` finds 1-101…1-109);
    digits match the end of a resident's phone, so the desk can type the last
    four digits a caller gives.
    """
    query = query.strip()
    if not query:
        return queryset
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 4 and digits == query.replace(" ", "").replace("+", ""):
        residents = Resident.objects.filter(phone__endswith=digits[-11:])
    else:
        residents = Resident.objects.filter(name__contains=query)
    # The residents' units first, as a list: the condition then stays on the unit
    # table, where PostgreSQL combines the room number's trigram index with the
    # primary key, instead of checking a subquery against every unit (measured on
    # 100 000 units: 53-88 ms before, bench/README.md). A common name matching more
    # residents than this keeps the subquery.
    unit_ids = list(residents.values_list("unit_id", flat=True)[: _SEARCH_MAX_RESIDENTS + 1])
    by_resident = (
        Q(pk__in=residents.values("unit_id"))
        if len(unit_ids) > _SEARCH_MAX_RESIDENTS
        else Q(pk__in=unit_ids)
    )
    # A prefix match includes the exact number (``1-10`` finds 1-10 and 1-101…).
    return queryset.filter(Q(number__istartswith=query) | by_resident)


@login_required
@require_safe
def unit_list(request: HttpRequest) -> HttpResponse:
    """The desk's customer-file search: by room number, phone or name (ORG-02)."""
    form = UnitSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    units = unit_search(
        scope_queryset(Unit.objects.select_related("building", "project"), request.user), query
    ).order_by("project__code", "number")
    rows = list(units[: UNIT_LIST_LIMIT + 1])
    return render(
        request,
        "core/unit_list.html",
        {
            "form": form,
            "units": rows[:UNIT_LIST_LIMIT],
            "truncated": len(rows) > UNIT_LIST_LIMIT,
            "query": query,
        },
    )


@login_required
@require_safe
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit's customer file: residents, emergency contacts, history."""
    unit = get_scoped_or_404(
        Unit.objects.select_related("building", "project"), request.user, pk=pk
    )
    context = customer_record_context(unit)
    context.update(
        can_edit=viewer_for(request.user).is_staff_member,
        # Everything recorded about the unit, by any module (CMP-17: the customer's file).
        events=Event.objects.filter(unit=unit)
        .select_related("actor", "content_type")
        .order_by("-at", "-id")[:UNIT_HISTORY_LIMIT],
    )
    return render(request, "core/unit_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request: HttpRequest, unit_pk: int, pk: int | None = None) -> HttpResponse:
    """Register a resident of a unit, or amend one; bad input is shown by field, kept as typed."""
    _require_staff(request)
    unit = get_scoped_or_404(
        Unit.objects.select_related("building", "project"), request.user, pk=unit_pk
    )
    resident = (
        get_scoped_or_404(Resident.objects.all(), request.user, pk=pk, unit=unit) if pk else None
    )
    form = ResidentForm(request.POST or None, instance=resident)
    contacts = EmergencyContactFormSet(
        request.POST or None, instance=resident or Resident(unit=unit), prefix="contacts"
    )
    if request.method == "POST" and form.is_valid() and contacts.is_valid():
        saved = resident_save(
            unit=unit,
            form=form,
            contacts=contacts,
            by=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", "").strip(),
        )
        messages.success(request, _("已保存住户 %(name)s。") % {"name": saved.name})
        return redirect("unit-detail", pk=unit.pk)
    return render(
        request,
        "core/resident_form.html",
        {"unit": unit, "resident": resident, "form": form, "contacts": contacts},
    )


def _printed_by(request: HttpRequest) -> str:
    profile = getattr(request.user, "staff_profile", None)
    if profile is not None:
        return str(profile.name)
    return str(request.user.get_username())


@login_required
@require_safe
def unit_customer_record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit's 《客户资料登记表》 as a PDF (ORG-02: customer data is confidential).

    Staff see the units of their projects, a resident only their own unit;
    anything else is 404 (``get_scoped_or_404``).
    """
    unit = get_scoped_or_404(
        Unit.objects.select_related("building", "project"), request.user, pk=pk
    )
    context = customer_record_context(unit)
    context.update(
        # The QR code leads back to this record (behind login and scoping).
        record_url=reverse("unit-customer-record-pdf", args=[unit.pk]),
        printed_at=timezone.localtime(),
        printed_by=_printed_by(request),
    )
    pdf = render_pdf("core/pdf/customer_record.html", context, request=request)
    return pdf_response(pdf, f"{context['form_title']}-{unit.number}.pdf")
