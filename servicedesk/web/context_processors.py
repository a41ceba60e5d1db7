from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from servicedesk.web.identity import desk_identity
from servicedesk.web.nav import nav_for


def desk(request: HttpRequest) -> dict[str, Any]:
    """Demo mode, the current user's identity and navigation: lazy, so pages
    that never show them (login, error pages) cost no query."""
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "desk": SimpleLazyObject(lambda: desk_identity(request)),
        "desk_nav": SimpleLazyObject(lambda: nav_for(request)),
    }
