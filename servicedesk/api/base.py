"""Reusable pieces for every module's API: scoping, staff-only access, 409 Conflict.

Module apps (complaints, keys, ...) build their viewsets from these::

    class ComplaintViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
        serializer_class = ComplaintSerializer

        def base_queryset(self):
            return Complaint.objects.select_related("unit", "category")

        @action(detail=True, methods=["post"])
        def contact(self, request, pk=None):
            complaint = self.get_object()          # 404 outside the caller's scope
            with conflict_on(InvalidTransition):   # 409 for a move the state forbids
                services.complaint_contact(complaint=complaint, by=request.user)
            ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from servicedesk.core.scoping import Viewer, scope_queryset, viewer_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from rest_framework.request import Request
    from rest_framework.views import APIView

    from servicedesk.core.models import Project

M = TypeVar("M", bound=models.Model)
R = TypeVar("R", bound=models.Model)


class Conflict(APIException):
    """409: the record's current state does not allow this action (API.md conventions)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("当前状态不允许此操作。")
    default_code = "conflict"


@contextmanager
def conflict_on(*exc_types: type[BaseException]) -> Iterator[None]:
    """Turn the given exceptions (e.g. a module's ``InvalidTransition``) into a 409."""
    try:
        yield
    except exc_types as exc:
        raise Conflict(str(exc) or None) from exc


def role_codes(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """Return the user's role codes (from the request's cached scope)."""
    return viewer_for(user).roles  # type: ignore[arg-type]


def is_staff_member(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Return whether ``user`` acts as staff: a superuser or holder of a staff role (ORG-03)."""
    return viewer_for(user).is_staff_member  # type: ignore[arg-type]


class IsStaffMember(BasePermission):
    """Staff only. Residents and contractors get 403 (a role that may not act)."""

    message = _("仅限员工访问。")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_staff_member(request.user)


class ScopedViewSetMixin(GenericAPIView[M]):
    """``get_queryset()`` = ``scope_queryset(self.base_queryset(), request.user)``.

    Override ``base_queryset()`` (with its select_related/prefetch_related) instead
    of ``get_queryset()``. ``get_object()`` then looks only inside the scope, so a
    record of another project or unit is a 404, never a 403 (ORG-01, ORG-02).
    """

    def base_queryset(self) -> models.QuerySet[M]:
        """Return the unscoped rows with their joins; override, or set ``queryset``."""
        return super().get_queryset()

    def get_queryset(self) -> models.QuerySet[M]:
        return scope_queryset(self.base_queryset(), self.request.user)


class ActingViewSetMixin(ScopedViewSetMixin[M]):
    """A module's viewset base: reads see the whole scope; every other action (an
    update, a POST action) reaches only the records of the caller's own projects
    when the caller is staff — never a record of a unit they happen to live in
    elsewhere, which is a 404 like any record out of scope.

    Also: the ``staff`` flag in the serializer context (masking for non-staff),
    ``_input`` to validate an action's body and ``_fresh`` to answer with the
    record as it now is.
    """

    read_actions: frozenset[str] = frozenset({"list", "retrieve"})

    def get_queryset(self) -> models.QuerySet[M]:
        queryset = super().get_queryset()
        action = getattr(self, "action", None)
        if action in self.read_actions or getattr(self, "swagger_fake_view", False):
            return queryset
        return self._acting(queryset)

    def _acting(self, queryset: models.QuerySet[R]) -> models.QuerySet[R]:
        viewer = viewer_for(self.request.user)
        if viewer.is_staff_member and not viewer.all_projects:
            project_path = getattr(queryset.model, "scope").project  # noqa: B009
            queryset = queryset.filter(**{f"{project_path}__in": viewer.project_ids})
        return queryset

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        request = getattr(self, "request", None)
        context["staff"] = request is None or viewer_for(request.user).is_staff_member
        return context

    def _input(self, serializer_class: type[Any]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _project(self, code: str) -> Project:
        """Return the project ``code`` if given, else the caller's only project (a 400
        naming ``project`` otherwise)."""
        from servicedesk.core.models import Project

        viewer = viewer_for(self.request.user)
        projects = Project.objects.all()
        if not viewer.all_projects:
            projects = projects.filter(pk__in=viewer.project_ids)
        if code:
            project = projects.filter(code=code).first()
            if project is None:
                raise DRFValidationError({"project": [_("管理项目不存在或不在您的范围内。")]})
            return project
        only = list(projects.order_by("pk")[:2]) if not viewer.all_projects else []
        if len(only) != 1:
            raise DRFValidationError({"project": [_("您负责多个管理项目，请填写管理项目代码。")]})
        return only[0]

    def _fresh(self, obj: models.Model, code: int = status.HTTP_200_OK) -> Response:
        """Return the record as it now is, re-read through the scoped queryset."""
        row = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(row).data, status=code)


def sees_project(user: Any, project_id: int | None) -> bool:
    """Return whether ``user`` sees ``project_id`` as staff (all-project roles see all)."""
    viewer = viewer_for(user)
    return viewer.all_projects or (project_id is not None and project_id in viewer.project_ids)


__all__ = [
    "ActingViewSetMixin",
    "Conflict",
    "IsStaffMember",
    "ScopedViewSetMixin",
    "conflict_on",
    "is_staff_member",
    "role_codes",
    "sees_project",
]


def drf_validation_error(exc: DjangoValidationError) -> DRFValidationError:
    """Return the DRF 400 for a service's ``ValidationError``, keeping its field names."""
    if hasattr(exc, "error_dict"):
        return DRFValidationError(exc.message_dict)
    return DRFValidationError({"non_field_errors": exc.messages})


@contextmanager
def service_errors(*conflicts: type[BaseException]) -> Iterator[None]:
    """Map a module's service exceptions to API answers: ``conflicts`` (its
    ``InvalidTransition``) → 409, Django's ``ValidationError`` → 400 by field."""
    try:
        with conflict_on(*conflicts):
            yield
    except DjangoValidationError as exc:
        raise drf_validation_error(exc) from exc


def is_resident(viewer: Viewer) -> bool:
    """A portal user living in a unit, acting as a resident (not staff, not contractor)."""
    return bool(viewer.unit_ids) and not viewer.is_staff_member and not viewer.is_contractor


def staff_or_resident(resident_actions: frozenset[str]) -> type[BasePermission]:
    """Return a permission: staff may do everything, residents only ``resident_actions``
    (ORG-02), contractors and users with no role nothing (403)."""

    class StaffOrResident(BasePermission):
        message = _("仅限员工操作；业主/住户只能进行本户相关的操作。")

        def has_permission(self, request: Request, view: APIView) -> bool:
            viewer = viewer_for(request.user)
            if viewer.is_staff_member:
                return True
            return is_resident(viewer) and getattr(view, "action", None) in resident_actions

    return StaffOrResident


def action_schema(request: Any, summary: str, response: Any) -> Any:
    """OpenAPI of a record action (``POST /<resource>/<id>/<action>/``): the answers
    every module's actions give (API.md conventions)."""
    from drf_spectacular.utils import OpenApiResponse, extend_schema

    return extend_schema(
        summary=summary,
        request=request,
        responses={
            200: response,
            400: OpenApiResponse(description="字段错误"),
            403: OpenApiResponse(description="角色无权操作"),
            404: OpenApiResponse(description="不在调用者范围内"),
            409: OpenApiResponse(description="当前状态不允许"),
        },
    )
