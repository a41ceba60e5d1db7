"""The complaint desk's PDFs under /complaints/ (namespace ``complaints``).

- ``record-pdf``: the 《投诉记录表》, staff only (it prints every reporter's phone
  number and the internal timeline): a resident of the unit gets 403;
- ``callback-pdf``: the 《回访记录表》, also for the resident of the unit, who
  signs it or has confirmed online (CMP-12); other people's numbers are masked.

Out of scope is 404 (``get_scoped_or_404``), never 403.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_safe

from complaints.pdf import (
    CALLBACK_RECORD_TITLE,
    COMPLAINT_RECORD_TITLE,
    callback_record_pdf,
    complaint_queryset,
    complaint_record_pdf,
)
from servicedesk.core.scoping import get_scoped_or_404, viewer_for
from servicedesk.pdf import pdf_response


@login_required
@require_safe
def complaint_record_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The complaint's 《投诉记录表》 (CMP-03, CMP-17)."""
    complaint = get_scoped_or_404(complaint_queryset(), request.user, pk=pk)
    if not viewer_for(request.user).is_staff_member:
        raise PermissionDenied
    pdf = complaint_record_pdf(complaint, request=request)
    return pdf_response(pdf, f"{COMPLAINT_RECORD_TITLE}-{complaint.number}.pdf")


@login_required
@require_safe
def callback_record_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The complaint's 《回访记录表》 (CMP-12)."""
    complaint = get_scoped_or_404(complaint_queryset(), request.user, pk=pk)
    staff_view = viewer_for(request.user).is_staff_member
    pdf = callback_record_pdf(complaint, request=request, staff_view=staff_view)
    return pdf_response(pdf, f"{CALLBACK_RECORD_TITLE}-{complaint.number}.pdf")


urlpatterns: list[URLPattern] = [
    path("<int:pk>/record.pdf", complaint_record_pdf_view, name="record-pdf"),
    path("<int:pk>/callback.pdf", callback_record_pdf_view, name="callback-pdf"),
]
