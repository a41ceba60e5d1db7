"""Pages about units and residents (the customer file, ORG-02)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from servicedesk.core.models import Unit
from servicedesk.core.scoping import get_scoped_or_404
from servicedesk.core.selectors import customer_record_context
from servicedesk.pdf import pdf_response, render_pdf


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
