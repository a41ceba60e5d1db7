"""Who is at the desk: name, roles and projects of the logged-in user, once per request.

The top bar, the navigation and the home panels all ask the same questions, so
the answers are computed lazily and cached on the request: a page that shows
none of it (the login page, an error page) pays no query at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import prefetch_related_objects
from django.http import HttpRequest

from servicedesk.core.models import COMPANY_WIDE_ROLES, STAFF_ROLES, Role
from servicedesk.core.scoping import viewer_for

if TYPE_CHECKING:
    from servicedesk.core.models import StaffProfile

# Audience of a nav entry or panel: every logged-in user (residents, contractors too).
ANYONE: Final = "*"
# ``roles=None`` means staff: anyone holding a staff role (ORG-03), and superusers.
Audience = Iterable[str] | str | None


class DeskIdentity:
    """The logged-in user as the desk sees them. Build it with ``desk_identity``."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user: Any = request.user

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user.is_authenticated)

    @cached_property
    def profile(self) -> StaffProfile | None:
        if not self.is_authenticated:
            return None
        try:
            # Accessing the reverse one-to-one caches it (or its absence) on the
            # user, so scoping's own ``hasattr(user, "staff_profile")`` is free.
            profile = self.user.staff_profile
        except ObjectDoesNotExist:
            return None
        prefetch_related_objects([profile], "role_assignments", "projects")
        return profile

    @cached_property
    def staff_roles(self) -> frozenset[str]:
        if self.profile is None:
            return frozenset()
        return frozenset(a.role for a in self.profile.role_assignments.all())

    @cached_property
    def is_resident(self) -> bool:
        """A portal user living in a unit. Staff are never treated as residents here."""
        if not self.is_authenticated:
            return False
        if Role.RESIDENT in self.staff_roles:
            return True
        if self.profile is not None:
            return False
        return bool(viewer_for(self.user).unit_ids)

    @cached_property
    def roles(self) -> frozenset[str]:
        roles = set(self.staff_roles)
        if self.is_resident:
            roles.add(Role.RESIDENT)
        if self.is_authenticated and self.user.is_superuser:
            roles.add(Role.ADMINISTRATOR)
        return frozenset(roles)

    @property
    def is_superuser(self) -> bool:
        return bool(self.is_authenticated and self.user.is_superuser)

    @cached_property
    def is_staff_member(self) -> bool:
        """Holds a staff role (ORG-03) or is a superuser: sees the staff desk."""
        return self.is_superuser or bool(self.staff_roles & STAFF_ROLES)

    @cached_property
    def is_admin(self) -> bool:
        """May use the admin site (rules as data)."""
        if not self.is_authenticated:
            return False
        return bool(self.user.is_staff or self.user.is_superuser) or (
            Role.ADMINISTRATOR in self.staff_roles
        )

    @property
    def all_projects(self) -> bool:
        return self.is_superuser or bool(self.staff_roles & COMPANY_WIDE_ROLES)

    @cached_property
    def display_name(self) -> str:
        if not self.is_authenticated:
            return ""
        if self.profile is not None and self.profile.name:
            return self.profile.name
        if self.is_resident:
            from servicedesk.core.models import Resident

            name = (
                Resident.objects.filter(user=self.user, is_active=True)
                .values_list("name", flat=True)
                .first()
            )
            if name:
                return name
        return str(self.user.get_full_name() or self.user.get_username())

    @property
    def role_labels(self) -> list[str]:
        order = [r.value for r in Role]
        return [str(Role(r).label) for r in sorted(self.roles, key=order.index)]

    @property
    def project_names(self) -> list[str]:
        if self.profile is None:
            return []
        return [p.name for p in self.profile.projects.all()]

    @cached_property
    def unread_count(self) -> int:
        if not self.is_authenticated:
            return 0
        from servicedesk.notifications.models import Notification

        return Notification.objects.filter(recipient=self.user, read_at__isnull=True).count()

    def matches(self, audience: Audience) -> bool:
        """Return whether this user belongs to ``audience`` (see ``Audience``)."""
        if not self.is_authenticated:
            return False
        if audience == ANYONE:
            return True
        if audience is None:
            return self.is_staff_member
        if isinstance(audience, str):
            audience = [audience]
        wanted = {str(r) for r in audience}
        if self.is_superuser and not wanted <= {Role.RESIDENT, Role.CONTRACTOR}:
            return True
        return bool(self.roles & wanted)


def desk_identity(request: HttpRequest) -> DeskIdentity:
    """Return the request's ``DeskIdentity``, built once."""
    cached = getattr(request, "_desk_identity", None)
    if cached is None or cached.user is not request.user:
        cached = DeskIdentity(request)
        request._desk_identity = cached  # type: ignore[attr-defined]
    return cached
