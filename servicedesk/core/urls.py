"""Pages about units and residents (the customer file), under /units/."""

from django.urls import URLPattern, path

from servicedesk.core import views

urlpatterns: list[URLPattern] = [
    path("", views.unit_list, name="unit-list"),
    path("<int:pk>/", views.unit_detail, name="unit-detail"),
    path("<int:unit_pk>/residents/add/", views.resident_edit, name="resident-add"),
    path("<int:unit_pk>/residents/<int:pk>/edit/", views.resident_edit, name="resident-edit"),
    path(
        "<int:pk>/customer-record.pdf",
        views.unit_customer_record_pdf,
        name="unit-customer-record-pdf",
    ),
]
