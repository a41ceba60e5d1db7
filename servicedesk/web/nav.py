"""The navigation, built in Python from entries that each module registers.

A module registers its entries in its ``AppConfig.ready``::

    from servicedesk.web.nav import register_nav

    class ComplaintsConfig(AppConfig):
        def ready(self) -> None:
            register_nav(_("投诉"), "complaints:list", roles=None, order=20)

``roles``: ``None`` for staff (any staff role, or a superuser), ``ANYONE`` for
every logged-in user, or the role codes that may see the entry. An entry whose
URL name does not resolve is hidden, so a module can register before its pages
exist. Registering the same URL name again replaces the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from servicedesk.web.identity import ANYONE, Audience, DeskIdentity, desk_identity

# Sections of the sidebar, in display order.
DESK = "desk"
SYSTEM = "system"

Check = Callable[[DeskIdentity], bool]


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    roles: frozenset[str] | str | None
    order: int
    section: str
    check: Check | None


@dataclass(frozen=True)
class NavLink:
    """One visible entry for one request."""

    label: str
    url: str
    active: bool
    section: str
    url_name: str


_entries: dict[str, NavEntry] = {}


def _audience(roles: Audience) -> frozenset[str] | str | None:
    if roles is None or roles == ANYONE:
        return roles
    if isinstance(roles, str):
        return frozenset({roles})
    return frozenset(str(r) for r in roles)


def register_nav(
    label: str | Promise,
    url_name: str,
    *,
    roles: Audience = None,
    order: int = 100,
    section: str = DESK,
    check: Check | None = None,
) -> None:
    """Add (or replace) the entry for ``url_name``.

    ``check(identity) -> bool`` is an extra condition, for entries that depend on
    more than roles (e.g. the admin site needs ``is_staff``).
    """
    _entries[url_name] = NavEntry(
        label=label,
        url_name=url_name,
        roles=_audience(roles),
        order=order,
        section=section,
        check=check,
    )


def unregister_nav(url_name: str) -> None:
    _entries.pop(url_name, None)


def registered_nav() -> list[NavEntry]:
    return sorted(_entries.values(), key=lambda e: (e.section != DESK, e.order, e.url_name))


def _matches(path: str, url: str) -> bool:
    if url == "/":
        return path == "/"
    return path.startswith(url)


def nav_for(request: HttpRequest, entries: Iterable[NavEntry] | None = None) -> list[NavLink]:
    """Return the entries ``request.user`` may see whose URLs resolve, in order."""
    identity = desk_identity(request)
    if not identity.is_authenticated:
        return []
    links = []
    for entry in registered_nav() if entries is None else entries:
        if not identity.matches(entry.roles):
            continue
        if entry.check is not None and not entry.check(identity):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue  # the module has no page yet
        links.append(
            NavLink(
                label=str(entry.label),
                url=url,
                active=False,
                section=entry.section,
                url_name=entry.url_name,
            )
        )
    # Only the most specific entry is current: on /complaints/new/ that is
    # 投诉受理, not also 投诉队列 at /complaints/.
    matching = [link for link in links if _matches(request.path, link.url)]
    if matching:
        current = max(matching, key=lambda link: len(link.url))
        links = [replace(link, active=link is current) for link in links]
    return links
