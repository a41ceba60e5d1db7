"""Pages about units and residents (the customer file), under /units/."""

from django.urls import path

urlpatterns: list = []
