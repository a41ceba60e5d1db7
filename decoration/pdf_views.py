"""Decoration's PDF forms (namespace ``decoration``, routes in ``decoration.pdf_urls``).

Login required. Each view takes the primary key of the record it prints and
fetches it through ``get_scoped_or_404``: staff of the permit's project, the
residents of its unit and the permit's own contractor see it; anyone else —
another project's staff, another unit's resident, the contractor of another
permit — gets 404, never 403 (ORG-01, ORG-02). A form that does not exist yet
(the permit before it is issued, the refund notice before acceptance) is
404 as well.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from decoration import pdf, services
from servicedesk.core.scoping import get_scoped_or_404, viewer_for
from servicedesk.pdf import pdf_response


@login_required
@require_safe
def application_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """《装修施工申请表》 (DEC-01, DEC-02, DEC-03, DEC-07).

    Phones print in full for staff and the permit's owner and contractor; a
    tenant of the unit sees them masked.
    """
    permit = get_scoped_or_404(pdf.application_queryset(), request.user, pk=pk)
    full = (
        viewer_for(request.user).is_staff_member
        or services.is_permit_owner(request.user, permit)
        or services.is_permit_contractor(request.user, permit)
    )
    content = pdf.application_pdf(permit, request=request, full_phones=full)
    return pdf_response(content, f"{pdf.application_title()}-{permit.number}.pdf")


@login_required
@require_safe
def review_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """《装修审图意见表》 (DEC-01)."""
    permit = get_scoped_or_404(pdf.review_queryset(), request.user, pk=pk)
    content = pdf.review_pdf(permit, request=request)
    return pdf_response(content, f"{pdf.review_title()}-{permit.number}.pdf")


@login_required
@require_safe
def permit_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """《装修许可证》/《开工许可证》, only once issued (DEC-04, DEC-05, DEC-07)."""
    permit = get_scoped_or_404(pdf.permit_card_queryset(), request.user, pk=pk)
    if not pdf.is_issued(permit):
        raise Http404
    content = pdf.permit_pdf(permit, request=request)
    return pdf_response(content, f"{pdf.permit_title()}-{permit.number}.pdf")


@login_required
@require_safe
def pass_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """施工人员出入证 of one worker (DEC-06): masked ID number only."""
    worker_pass = get_scoped_or_404(pdf.pass_queryset(), request.user, pk=pk)
    content = pdf.pass_pdf(worker_pass, request=request)
    return pdf_response(content, f"{pdf.pass_title()}-{worker_pass.number}.pdf")


@login_required
@require_safe
def hot_work_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """《动火申请表》 (DEC-08)."""
    hot = get_scoped_or_404(pdf.hot_work_queryset(), request.user, pk=pk)
    content = pdf.hot_work_pdf(hot, request=request)
    return pdf_response(content, f"{pdf.hot_work_title()}-{hot.number}.pdf")


@login_required
@require_safe
def rectification_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """《整改通知单》 (DEC-10)."""
    notice = get_scoped_or_404(pdf.rectification_queryset(), request.user, pk=pk)
    content = pdf.rectification_pdf(notice, request=request)
    return pdf_response(content, f"{pdf.rectification_title()}-{notice.number}.pdf")


@login_required
@require_safe
def fine_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """《罚款单》 (DEC-10, DEC-12)."""
    fine = get_scoped_or_404(pdf.fine_queryset(), request.user, pk=pk)
    content = pdf.fine_pdf(fine, request=request)
    return pdf_response(content, f"{pdf.fine_title()}-{fine.number}.pdf")


@login_required
@require_safe
def refund_notice_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """《完工通知及押金返还通知》 after acceptance; every amount from the ledger (DEC-11,
    DEC-12)."""
    permit = get_scoped_or_404(pdf.permit_queryset(), request.user, pk=pk)
    if not pdf.refund_ready(permit):
        raise Http404
    content = pdf.refund_pdf(permit, request=request)
    return pdf_response(content, f"{pdf.refund_title()}-{permit.number}.pdf")
