"""Pages about units and residents (the customer file), under /units/."""

from django.urls import URLPattern, path

from servicedesk.core import views

urlpatterns: list[URLPattern] = [
    path(
        "<int:pk>/customer-record.pdf",
        views.unit_customer_record_pdf,
        name="unit-customer-record-pdf",
    ),
]
