"""Writes to the customer file. Every change is logged (ORG-05): who, when, what, why."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.forms import BaseInlineFormSet, ModelForm

from servicedesk.core.events import record_event
from servicedesk.core.models import Resident, Unit


def _changes(form: ModelForm) -> dict[str, list[str]]:
    """Return {field: [old, new]} for the fields the form changed."""
    changed: dict[str, list[str]] = {}
    for name in form.changed_data:
        old = form.initial.get(name, "")
        new = form.cleaned_data.get(name, "")
        changed[name] = [str(old or ""), str(new or "")]
    return changed


@transaction.atomic
def resident_save(
    *,
    unit: Unit,
    form: ModelForm,
    contacts: BaseInlineFormSet,
    by: User,
    reason: str = "",
) -> Resident:
    """Create or amend a resident and their emergency contacts, logging the change.

    The event keeps each changed field's old and new value, so an amendment never
    loses what the record said before (ORG-05).
    """
    creating = form.instance.pk is None
    resident: Resident = form.save(commit=False)
    resident.unit = unit
    resident.save()
    contacts.instance = resident
    contacts.save()
    data: dict[str, Any] = {"fields": _changes(form)}
    if contacts.has_changed():
        data["emergency_contacts"] = [
            f"{c.name} {c.relation} {c.phone}" for c in resident.emergency_contacts.all()
        ]
    record_event(
        resident,
        action="resident_registered" if creating else "resident_amended",
        actor=by,
        reason=reason,
        data=data,
    )
    return resident
