"""``visits/`` (API.md): registration, the scoped log, and the desk's actions (VIS-01..07).

Every write goes through one service of ``visitors.services``; ``InvalidTransition``
becomes 409 and a Django ``ValidationError`` a 400 with field errors. Staff only,
except that a resident may list and read the visits to their own unit(s).
The full ID number is in no response but ``reveal``'s (VIS-07).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import models
from django.db.models import F, Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from servicedesk.api.base import action_schema, service_errors, staff_or_resident
from servicedesk.core.models import Project, Resident, Unit
from servicedesk.core.scoping import Viewer, scope_queryset, viewer_for
from visitors import selectors, services
from visitors.api.serializers import (
    AmendSerializer,
    ConsentSerializer,
    RevealResultSerializer,
    RevealSerializer,
    SignOutSerializer,
    VisitCreateSerializer,
    VisitDetailSerializer,
    VisitSerializer,
)
from visitors.models import Amendment, Visit

# --- Permissions ------------------------------------------------------------------------

# A resident reads the visits to their own unit(s); nothing else (ORG-02).
StaffOrResidentReader = staff_or_resident(frozenset({"list", "retrieve"}))


# --- Filters ----------------------------------------------------------------------------


class VisitFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Visit.Status.choices)
    date = django_filters.DateFilter(method="filter_date", help_text="登记日期（本地日期）")
    inside = django_filters.BooleanFilter(method="filter_inside", help_text="仍在访（未离开）")
    search = django_filters.CharFilter(
        method="filter_search", help_text="访客姓名（包含）或登记单号（前缀）"
    )

    class Meta:
        model = Visit
        fields = ["status"]

    def filter_date(
        self, queryset: models.QuerySet[Visit], name: str, value: Any
    ) -> models.QuerySet[Visit]:
        return queryset.filter(selectors.registered_on_q(value))

    def filter_inside(
        self, queryset: models.QuerySet[Visit], name: str, value: bool
    ) -> models.QuerySet[Visit]:
        condition = selectors.inside_q()
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_search(
        self, queryset: models.QuerySet[Visit], name: str, value: str
    ) -> models.QuerySet[Visit]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            models.Q(visitor_name__icontains=value) | models.Q(slip_number__istartswith=value)
        )


# --- The viewset ------------------------------------------------------------------------


def _action_schema(request: Any, summary: str, response: Any = VisitDetailSerializer) -> Any:
    return action_schema(request, summary, response)


@extend_schema_view(
    list=extend_schema(summary="访客登记列表（员工按项目；业主/住户只见到访本户的）"),
    retrieve=extend_schema(summary="访客登记详情（含更正记录）"),
    create=extend_schema(
        summary="访客登记（VIS-01、VIS-02；夜间登记人为物业总值 VIS-05）",
        request=VisitCreateSerializer,
        responses={
            201: VisitDetailSerializer,
            400: OpenApiResponse(description="字段错误（证件号无效或在黑名单中：id_number）"),
            403: OpenApiResponse(description="仅限员工"),
        },
    ),
)
class VisitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Visit],
):
    """Visitor registration (VIS). Staff see their projects' visits, a resident the
    visits to their own unit(s), read-only (ORG-01, ORG-02); contractors get 403."""

    serializer_class = VisitSerializer
    permission_classes = [IsAuthenticated, StaffOrResidentReader]
    filterset_class = VisitFilter
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self) -> models.QuerySet[Visit]:
        user = self.request.user
        if self.action == "list":
            return selectors.visit_list(user)
        queryset = selectors.visit_list(user).prefetch_related(
            Prefetch(
                "amendments",
                queryset=Amendment.objects.annotate(by_staff=F("by__staff_profile__id")),
            )
        )
        if self.action == "retrieve":
            return queryset
        # Actions: staff act on their projects' visits only, never on a visit to a
        # flat they happen to live in elsewhere (404 like any out-of-scope record).
        viewer = viewer_for(user)
        if not viewer.all_projects:
            queryset = queryset.filter(project_id__in=viewer.project_ids)
        return queryset

    def get_serializer_class(self) -> type[Any]:
        return VisitSerializer if self.action == "list" else VisitDetailSerializer

    def _fresh(self, visit: Visit, code: int = status.HTTP_200_OK) -> Response:
        """Return the visit as it now is (re-read through the selector)."""
        row = self.get_queryset().get(pk=visit.pk)
        data = VisitDetailSerializer(row, context=self.get_serializer_context()).data
        return Response(data, status=code)

    def _input(self, serializer_class: type[Any]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        if not viewer_for(request.user).is_staff_member:
            # A resident sees who visited their unit, not the visitor's phone (ORG-02).
            for row in response.data.get("results", []):
                row["phone"] = ""
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        if not viewer_for(request.user).is_staff_member:
            response.data["phone"] = ""
        return response

    # -- registration ------------------------------------------------------------------------

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(VisitCreateSerializer)
        viewer = viewer_for(request.user)
        unit = self._host_unit(data["host_unit"], viewer)
        project = unit.project if unit is not None else self._project(data["project"], viewer)
        resident = None
        if data["host_resident"] is not None:
            resident = Resident.objects.filter(
                pk=data["host_resident"], unit=unit, is_active=True
            ).first()
            if resident is None:
                raise DRFValidationError({"host_resident": [_("被访住户不在该房号。")]})
        with service_errors(services.InvalidTransition):
            visit = services.visit_register(
                project=project,
                visitor_name=data["visitor_name"],
                id_type=data["id_type"],
                id_number=data["id_number"],
                purpose=data["purpose"],
                by=request.user,  # type: ignore[arg-type]
                host_unit=unit,
                host_resident=resident,
                host_name=data["host_name"],
                host_department=data["host_department"],
                host_position=data["host_position"],
                phone=data["phone"],
                people_count=data["people_count"],
                vehicle_plate=data["vehicle_plate"],
            )
        return self._fresh(visit, status.HTTP_201_CREATED)

    def _host_unit(self, unit_id: int | None, viewer: Viewer) -> Unit | None:
        """Return the host unit among the caller's projects' units (an id outside them
        gets the same 400 as a missing one: nothing is revealed)."""
        if unit_id is None:
            return None
        units = Unit.objects.select_related("project")
        if not viewer.all_projects:
            units = units.filter(project_id__in=viewer.project_ids)
        unit = units.filter(pk=unit_id).first()
        if unit is None:
            raise DRFValidationError({"host_unit": [_("房号不存在或不在您的范围内。")]})
        return unit

    def _project(self, code: str, viewer: Viewer) -> Project:
        """Return the project of a company host: ``code`` if given, else the caller's only one."""
        projects = scope_queryset(Project.objects.all(), self.request.user)
        if not viewer.all_projects:
            projects = projects.filter(pk__in=viewer.project_ids)
        if code:
            project = projects.filter(code=code).first()
            if project is None:
                raise DRFValidationError({"project": [_("管理项目不存在或不在您的范围内。")]})
            return project
        only = list(projects[:2]) if not viewer.all_projects else []
        if len(only) != 1:
            raise DRFValidationError(
                {"project": [_("您负责多个管理项目，请填写管理项目代码，或填写被访房号。")]}
            )
        return only[0]

    # -- actions ----------------------------------------------------------------------------

    @_action_schema(ConsentSerializer, "被访人答复：同意则发登记单并进入，拒绝须说明（VIS-03）")
    @action(detail=True, methods=["post"])
    def consent(self, request: Request, pk: str | None = None) -> Response:
        visit = self.get_object()
        data = self._input(ConsentSerializer)
        with service_errors(services.InvalidTransition):
            services.visit_consent(
                visit=visit,
                by=request.user,  # type: ignore[arg-type]
                granted=data["granted"],
                method=data["method"],
                note=data["note"],
            )
        return self._fresh(visit)

    @_action_schema(SignOutSerializer, "离开登记：交回被访人签字的登记单（VIS-04）")
    @action(detail=True, methods=["post"])
    def sign_out(self, request: Request, pk: str | None = None) -> Response:
        visit = self.get_object()
        data = self._input(SignOutSerializer)
        with service_errors(services.InvalidTransition):
            services.visit_sign_out(
                visit=visit,
                by=request.user,  # type: ignore[arg-type]
                host_signed=data["host_signed"],
            )
        return self._fresh(visit)

    @_action_schema(AmendSerializer, "更正登记内容：追加更正记录，原内容保留（VIS-06）")
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, pk: str | None = None) -> Response:
        visit = self.get_object()
        data = self._input(AmendSerializer)
        with service_errors(services.InvalidTransition):
            services.visit_amend(
                visit=visit,
                by=request.user,  # type: ignore[arg-type]
                field=data["field"],
                new_value=data["new_value"],
                reason=data["reason"],
            )
        return self._fresh(visit)

    @_action_schema(
        RevealSerializer,
        "查看完整证件号（主管、经理、物业总值；记录查看人、时间、原因，VIS-07）",
        RevealResultSerializer,
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk: str | None = None) -> Response:
        visible = self.get_object()  # 404 outside the caller's projects, before the 403
        if not services.may_reveal(request.user):
            raise PermissionDenied(_("只有主管、经理和物业总值可以查看完整证件号。"))
        data = self._input(RevealSerializer)
        # The token is deferred in every read; load it only here.
        visit = Visit.objects.get(pk=visible.pk)
        with service_errors(services.InvalidTransition):
            number = services.id_reveal(
                visit=visit,
                by=request.user,  # type: ignore[arg-type]
                reason=data["reason"],
            )
        response = Response(RevealResultSerializer({"id_number": number}).data)
        response["Cache-Control"] = "no-store"
        return response


__all__ = ["VisitViewSet"]
