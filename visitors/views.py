"""URL patterns of this module."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
