"""Query filters. Foreign keys are filtered by id or code without validating
against unscoped tables, so a filter never reveals that an out-of-scope row exists."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import NumberParseException

from servicedesk.core.models import Resident, Unit
from servicedesk.core.scoping import viewer_for

# Ids are BigAutoField (settings.DEFAULT_AUTO_FIELD).
MAX_ID = 2**63 - 1


class IdFilter(django_filters.Filter):
    """A filter on a record id: a whole number from 1 to ``MAX_ID``, else a 400.

    ``NumberFilter`` takes any decimal (``1.5``, ``-4e194``), which the foreign-key
    lookup passes to the database as an integer too large for its column: a 500 on
    SQLite and PostgreSQL alike (issue #8, found by tests/security/test_api_fuzz.py).
    """

    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class UnitFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", help_text="管理项目代码")
    building = django_filters.CharFilter(field_name="building__code", help_text="楼栋号")
    number = django_filters.CharFilter(field_name="number", help_text="完整房号，精确匹配")

    class Meta:
        model = Unit
        fields = ["project", "building", "number"]


class ResidentFilter(django_filters.FilterSet):
    unit = IdFilter(field_name="unit_id", help_text="房屋 id")
    kind = django_filters.ChoiceFilter(choices=Resident.Kind.choices)
    phone = django_filters.CharFilter(
        method="filter_phone", help_text="电话（E.164 或国内号码），精确匹配"
    )

    class Meta:
        model = Resident
        fields = ["unit", "kind", "phone"]

    def filter_phone(
        self, queryset: models.QuerySet[Resident], name: str, value: str
    ) -> models.QuerySet[Resident]:
        try:
            parsed = PhoneNumber.from_string(value, region="CN")
        except NumberParseException:
            return queryset.none()
        if not parsed.is_valid():
            return queryset.none()
        queryset = queryset.filter(phone=parsed.as_e164)
        user = self.request.user if self.request is not None else None
        viewer = viewer_for(user) if user is not None else None
        if viewer is not None and not viewer.all_projects:
            # A resident must not probe co-residents' masked numbers (ORG-02): outside
            # their staff projects, a phone search matches only their own rows.
            staff_projects = models.Q(unit__project_id__in=viewer.project_ids)
            queryset = queryset.filter(staff_projects | models.Q(user_id=viewer.user_id))
        return queryset


__all__ = ["IdFilter", "ResidentFilter", "UnitFilter"]
