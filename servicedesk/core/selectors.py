"""Reads for units and residents (the customer file, ORG-02).

Callers fetch the unit through ``servicedesk.core.scoping.get_scoped_or_404``
first: these functions do not check permissions.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from servicedesk.core.models import EmergencyContact, Resident, Unit

CUSTOMER_RECORD_TITLE = "客户资料登记表"


def customer_record_serial(unit: Unit) -> str:
    """Return the 编号 printed on a unit's 《客户资料登记表》, e.g. "KH-LVCHENG-1-101"."""
    return f"KH-{unit.project.code.upper()}-{unit.number}"


def customer_record_context(unit: Unit) -> dict[str, Any]:
    """Return the context of a unit's 《客户资料登记表》 (ORG-02: confidential).

    Lists the active residents, owners before tenants, each with their
    emergency contacts; two queries when ``unit`` was fetched with
    ``select_related("building", "project")``.
    """
    residents = list(
        Resident.objects.filter(unit=unit, is_active=True)
        .order_by("kind", "id")
        .prefetch_related(
            Prefetch(
                "emergency_contacts",
                queryset=EmergencyContact.objects.order_by("id"),
            )
        )
    )
    project = unit.project
    return {
        "unit": unit,
        "building": unit.building,
        "project": project,
        "company": project.company,
        "residents": residents,
        "emergency_rows": [
            (resident, contact)
            for resident in residents
            for contact in resident.emergency_contacts.all()
        ],
        "form_title": CUSTOMER_RECORD_TITLE,
        "serial": customer_record_serial(unit),
    }


def unit_lookup(user: Any, query: str, *, limit: int = 20) -> list[Unit]:
    """Return the user's units matching a room number, a phone tail or a name, each with
    ``active_residents`` (owners first): the desk's caller and host look-up. Two queries."""
    from servicedesk.core.scoping import scope_queryset
    from servicedesk.core.views import unit_search

    query = query.strip()[:50]
    if not query:
        return []
    units = scope_queryset(Unit.objects.select_related("project", "building"), user)
    return list(
        unit_search(units, query)
        .prefetch_related(
            Prefetch(
                "residents",
                queryset=Resident.objects.filter(is_active=True).order_by("kind", "name"),
                to_attr="active_residents",
            )
        )
        .order_by("project__code", "number")[:limit]
    )
