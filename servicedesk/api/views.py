"""Read-only viewsets of the shared resources: staff/, units/, residents/ (API.md)."""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated

from servicedesk.api.base import IsStaffMember, ScopedViewSetMixin
from servicedesk.api.filters import ResidentFilter, UnitFilter
from servicedesk.api.serializers import ResidentSerializer, StaffSerializer, UnitSerializer
from servicedesk.core.models import Resident, StaffProfile, Unit


@extend_schema_view(
    list=extend_schema(summary="员工列表（与调用者同项目的员工）"),
    retrieve=extend_schema(summary="员工详情"),
)
class StaffViewSet(ScopedViewSetMixin[StaffProfile], viewsets.ReadOnlyModelViewSet[StaffProfile]):
    """Staff sharing a project with the caller; company-wide roles see all. Staff only."""

    serializer_class = StaffSerializer
    permission_classes = [IsAuthenticated, IsStaffMember]
    ordering_fields = ["id"]

    def base_queryset(self) -> models.QuerySet[StaffProfile]:
        return StaffProfile.objects.select_related("user", "department").prefetch_related(
            "role_assignments"
        )


@extend_schema_view(
    list=extend_schema(summary="房屋列表（住户只见本户）"),
    retrieve=extend_schema(summary="房屋详情"),
)
class UnitViewSet(ScopedViewSetMixin[Unit], viewsets.ReadOnlyModelViewSet[Unit]):
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    ordering_fields = ["id"]

    def base_queryset(self) -> models.QuerySet[Unit]:
        return Unit.objects.select_related("project", "building")


@extend_schema_view(
    list=extend_schema(summary="住户列表（住户只见本户，他人电话掩码）"),
    retrieve=extend_schema(summary="住户详情"),
)
class ResidentViewSet(ScopedViewSetMixin[Resident], viewsets.ReadOnlyModelViewSet[Resident]):
    serializer_class = ResidentSerializer
    filterset_class = ResidentFilter
    ordering_fields = ["id"]

    def base_queryset(self) -> models.QuerySet[Resident]:
        return Resident.objects.select_related("unit").prefetch_related("emergency_contacts")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: a URL under ``/api/`` that routes nowhere (e.g. a path id that is
    not a number) answers JSON like the API's own 404s; other pages keep 404.html."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return page_not_found(request, exception)
