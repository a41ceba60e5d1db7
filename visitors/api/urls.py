"""The visitors API under /api/v1/ (API.md)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
