"""The home page's panels: each module adds what is due and overdue in its area.

A module registers its panels in its ``AppConfig.ready``::

    from servicedesk.web.panels import register_panel

    def overdue_complaints(request: HttpRequest) -> dict | None:
        rows = scope_queryset(Complaint.objects.overdue(), request.user)[:8]
        return {"title": _("超时投诉"), "items": [...]}  # or None to hide the panel

    register_panel("complaints.overdue", "web/panels/due_list.html", overdue_complaints,
                   roles=[Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER], order=20)

``context_fn(request)`` returns the template's context, or ``None`` to hide the
panel. It must scope its queries itself (``scope_queryset``) and stay cheap: the
home page is opened all day, and its query count is bounded by a test.

``roles`` works as for the navigation: ``None`` for staff, ``ANYONE`` for every
logged-in user (residents included), or the role codes that see the panel.

Panel templates extend ``web/panels/panel.html`` (blocks ``title``, ``actions``,
``body``); ``web/panels/due_list.html`` is a ready-made list of due items.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from servicedesk.web.identity import ANYONE, Audience, desk_identity

logger = logging.getLogger(__name__)

ContextFn = Callable[[HttpRequest], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Panel:
    key: str
    template_name: str
    context_fn: ContextFn
    roles: frozenset[str] | str | None
    order: int


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    html: SafeString
    context: dict[str, Any] = field(default_factory=dict)
    failed: bool = False


_panels: dict[str, Panel] = {}


def register_panel(
    key: str,
    template_name: str,
    context_fn: ContextFn,
    roles: Audience = None,
    order: int = 100,
) -> None:
    """Add (or replace) the panel ``key`` (``<app>.<what>``)."""
    if roles is None or roles == ANYONE:
        audience: frozenset[str] | str | None = roles
    elif isinstance(roles, str):
        audience = frozenset({roles})
    else:
        audience = frozenset(str(r) for r in roles)
    _panels[key] = Panel(key, template_name, context_fn, audience, order)


def unregister_panel(key: str) -> None:
    _panels.pop(key, None)


def registered_panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def panels_for(request: HttpRequest) -> list[RenderedPanel]:
    """Render the panels ``request.user`` may see, in order.

    One failing panel must not take the desk's home page down: it is logged and
    shown as "unavailable" (re-raised under DEBUG so the developer sees it).
    """
    identity = desk_identity(request)
    rendered = []
    for panel in registered_panels():
        if not identity.matches(panel.roles):
            continue
        try:
            context = panel.context_fn(request)
            if context is None:
                continue
            context = {"panel_key": panel.key, **context}
            html = render_to_string(panel.template_name, context, request)
        except Exception:
            if settings.DEBUG:
                raise
            logger.exception("Home panel %s failed", panel.key)
            html = render_to_string("web/panels/failed.html", {"panel_key": panel.key}, request)
            rendered.append(RenderedPanel(panel.key, mark_safe(html), failed=True))  # noqa: S308
            continue
        rendered.append(RenderedPanel(panel.key, mark_safe(html), context))  # noqa: S308
    return rendered
