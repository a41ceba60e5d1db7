"""The official decoration forms as PDF (``decoration.pdf_views``), under the
``decoration`` namespace: ``decoration:pdf_application`` etc., each taking the
primary key of the record it prints."""

from __future__ import annotations

from django.urls import URLPattern, path

from decoration import pdf_views

urlpatterns: list[URLPattern] = [
    path(
        "permits/<int:pk>/pdf/application/",
        pdf_views.application_pdf_view,
        name="pdf_application",
    ),
    path("permits/<int:pk>/pdf/review/", pdf_views.review_pdf_view, name="pdf_review"),
    path("permits/<int:pk>/pdf/permit/", pdf_views.permit_pdf_view, name="pdf_permit"),
    path(
        "permits/<int:pk>/pdf/refund-notice/",
        pdf_views.refund_notice_pdf_view,
        name="pdf_refund_notice",
    ),
    path("passes/<int:pk>/pdf/", pdf_views.pass_pdf_view, name="pdf_pass"),
    path("hot-works/<int:pk>/pdf/", pdf_views.hot_work_pdf_view, name="pdf_hot_work"),
    path(
        "rectifications/<int:pk>/pdf/",
        pdf_views.rectification_pdf_view,
        name="pdf_rectification",
    ),
    path("fines/<int:pk>/pdf/", pdf_views.fine_pdf_view, name="pdf_fine"),
]
