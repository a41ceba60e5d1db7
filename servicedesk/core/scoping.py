"""The one scoping helper (ORG-01, ORG-02).

Every list, detail, PDF, export and API query of every module goes through
``scope_queryset`` (or ``get_scoped_or_404``). Each scoped model declares how
it reaches its project, unit and contractor with a class attribute::

    class Complaint(models.Model):
        scope = Scope(project="project", unit="unit")

Who sees what:
- superusers and company-wide roles (general manager, administrator): everything;
- staff: records of the projects they are members of;
- residents: records of exactly the units they live in, matched by primary key,
  so the owner of 1-101 never sees 11-101 or 1-1011;
- contractors: records the model links to their contractor account;
- anyone else: nothing.
Outside the scope a record does not exist (404), never 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    """How a model's rows reach their project, unit and contractor (ORM paths).

    ``project`` is required. ``unit`` is the path to a ``core.Unit`` (``"pk"`` for
    Unit itself); leave it ``None`` for records residents never see.
    ``contractor_user`` is the path to the contractor's login user, if any.
    ``many`` marks paths through a many-to-many relation (staff → projects):
    they are matched with a subquery so a row shared by two visible projects
    is listed once.
    """

    project: str
    unit: str | None = None
    contractor_user: str | None = None
    many: bool = False


@dataclass(frozen=True)
class Viewer:
    """What the scoping rules need to know about a user, computed once per request."""

    user_id: int | None
    all_projects: bool
    project_ids: frozenset[int]
    unit_ids: frozenset[int]
    is_contractor: bool
    roles: frozenset[str] = frozenset()
    is_superuser: bool = False

    @property
    def is_staff_member(self) -> bool:
        """Acts as staff: a superuser or the holder of a staff role (ORG-03)."""
        from servicedesk.core.models import STAFF_ROLES

        return self.user_id is not None and (self.is_superuser or bool(self.roles & STAFF_ROLES))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def viewer_for(user: User | AnonymousUser) -> Viewer:
    """Return the user's scope, cached on the user object for the request."""
    cached = getattr(user, "_servicedesk_viewer", None)
    if cached is not None:
        return cached
    from servicedesk.core.models import (
        COMPANY_WIDE_ROLES,
        STAFF_ROLES,
        Resident,
        Role,
        StaffRole,
    )

    if not user.is_authenticated or not user.is_active:
        viewer = Viewer(None, False, frozenset(), frozenset(), False)
    else:
        roles = set(StaffRole.objects.filter(staff__user=user).values_list("role", flat=True))
        all_projects = bool(user.is_superuser or roles & COMPANY_WIDE_ROLES)
        project_ids: frozenset[int] = frozenset()
        # Project membership counts for staff only: a contractor listed on a
        # project sees what links to them, never the whole project.
        if not all_projects and roles & STAFF_ROLES:
            project_ids = frozenset(
                user.staff_profile.projects.values_list("id", flat=True)
                if hasattr(user, "staff_profile")
                else ()
            )
        unit_ids = frozenset(
            Resident.objects.filter(user=user, is_active=True).values_list("unit_id", flat=True)
        )
        viewer = Viewer(
            user_id=user.pk,
            all_projects=all_projects,
            project_ids=project_ids,
            unit_ids=unit_ids,
            is_contractor=Role.CONTRACTOR in roles,
            roles=frozenset(roles),
            is_superuser=bool(user.is_superuser),
        )
    user._servicedesk_viewer = viewer  # type: ignore[union-attr]
    return viewer


def scope_queryset(queryset: models.QuerySet[M], user: User | AnonymousUser) -> models.QuerySet[M]:
    """Return only the rows of ``queryset`` that ``user`` may see."""
    scope: Scope | None = getattr(queryset.model, "scope", None)
    if not isinstance(scope, Scope):
        raise TypeError(f"{queryset.model.__name__} declares no Scope; it cannot be shown.")
    viewer = viewer_for(user)
    if viewer.user_id is None:
        return queryset.none()
    if viewer.all_projects:
        return queryset
    condition = models.Q(pk__in=[])
    # Foreign keys are compared by id (``unit__in=[ids]``): exact matching, never by label.
    if viewer.project_ids:
        condition |= models.Q(**{f"{scope.project}__in": viewer.project_ids})
    if viewer.unit_ids and scope.unit is not None:
        condition |= models.Q(**{f"{scope.unit}__in": viewer.unit_ids})
    if viewer.is_contractor and scope.contractor_user is not None:
        condition |= models.Q(**{scope.contractor_user: viewer.user_id})
    if scope.many:
        visible = queryset.model._default_manager.filter(condition).values("pk")
        return queryset.filter(pk__in=visible)
    return queryset.filter(condition)


def get_scoped_or_404(queryset: models.QuerySet[M], user: User | AnonymousUser, **lookup: Any) -> M:
    """Return one visible row, or raise 404 whether it is missing or out of scope."""
    try:
        return scope_queryset(queryset, user).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
