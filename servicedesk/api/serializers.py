"""Output serializers of the shared resources (API.md: staff/, units/, residents/).

Fields are always listed explicitly: a new model column never leaks by accident.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from servicedesk.api.base import sees_project
from servicedesk.core.models import (
    Building,
    Department,
    EmergencyContact,
    Project,
    Resident,
    StaffProfile,
    Unit,
)


@extend_schema_field(OpenApiTypes.STR)
class E164PhoneField(serializers.Field):
    """A phone number as an E.164 string (``+8613812345678``); ``""`` when empty."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        if not value:
            return ""
        as_e164 = getattr(value, "as_e164", None)
        return str(as_e164 if as_e164 is not None else value)


def mask_phone(phone: str) -> str:
    """Return ``+86138****5678``: enough to recognise a number, not to dial it (ORG-02)."""
    if len(phone) <= 8:
        return "*" * len(phone)
    return f"{phone[:-8]}****{phone[-4:]}"


class StaffSerializer(serializers.ModelSerializer[StaffProfile]):
    """``department`` is the department's stable code; ``department_name`` its label."""

    username = serializers.CharField(source="user.username", read_only=True)
    roles = serializers.SerializerMethodField()
    department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    department_name = serializers.SerializerMethodField()

    class Meta:
        model = StaffProfile
        fields = ["id", "username", "name", "roles", "department", "department_name"]
        read_only_fields = fields

    def get_roles(self, obj: StaffProfile) -> list[str]:
        return sorted(obj.role_codes)

    def get_department_name(self, obj: StaffProfile) -> str:
        return obj.department.name if obj.department is not None else ""


class UnitSerializer(serializers.ModelSerializer[Unit]):
    """``project`` and ``building`` are codes (``building`` is the prefix of ``number``)."""

    project: serializers.SlugRelatedField[Project] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    building: serializers.SlugRelatedField[Building] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    building_name = serializers.CharField(source="building.name", read_only=True)
    area_m2 = serializers.DecimalField(
        max_digits=8, decimal_places=2, coerce_to_string=True, read_only=True, allow_null=True
    )

    class Meta:
        model = Unit
        fields = ["id", "project", "building", "building_name", "number", "area_m2"]
        read_only_fields = fields


class EmergencyContactSerializer(serializers.ModelSerializer[EmergencyContact]):
    phone = E164PhoneField()

    class Meta:
        model = EmergencyContact
        fields = ["name", "relation", "phone"]
        read_only_fields = fields


class ResidentSerializer(serializers.ModelSerializer[Resident]):
    """A resident (ORG-02).

    Staff of the unit's project see everything. A resident sees the residents of
    their own unit(s), but a co-resident's ``phone`` comes masked
    (``+86138****5678``) and their ``emergency_contacts`` empty: only the
    resident's own row is shown in full.
    """

    unit: serializers.PrimaryKeyRelatedField[Unit] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    unit_number = serializers.CharField(source="unit.number", read_only=True)
    phone = E164PhoneField(help_text="E.164；住户查看同户他人时为掩码，如 +86138****5678。")
    emergency_contacts = EmergencyContactSerializer(many=True, read_only=True)

    class Meta:
        model = Resident
        fields = ["id", "unit", "unit_number", "name", "phone", "kind", "emergency_contacts"]
        read_only_fields = fields

    def to_representation(self, instance: Resident) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not self.shows_in_full(instance, request.user):
            data["phone"] = mask_phone(data["phone"])
            data["emergency_contacts"] = []
        return data

    @staticmethod
    def shows_in_full(resident: Resident, user: Any) -> bool:
        """Return whether ``user`` may see this resident's phone and contacts."""
        if user.pk is not None and resident.user_id == user.pk:
            return True
        return sees_project(user, resident.unit.project_id)
