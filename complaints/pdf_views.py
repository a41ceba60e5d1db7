"""URL patterns filled in by this module views."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
