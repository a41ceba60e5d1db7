"""Input and output serializers of ``visits/`` (API.md). Inputs only validate; the
views call one service of ``visitors.services`` each. Fields are listed explicitly,
and no output serializer has an ``id_number`` field: the full number leaves the
server only through ``POST visits/<id>/reveal/`` (VIS-07)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from visitors.models import Amendment, IdType, Visit
from visitors.services import AMENDABLE


class VisitSerializer(serializers.ModelSerializer[Visit]):
    """The read representation. Rows come from ``selectors.visit_list`` (annotated).

    ``registered_by`` / ``entered_by`` are staff ids as in ``staff/`` (StaffProfile
    ids; ``null`` for an account without a staff profile). At night
    ``registered_by`` is the duty manager and ``entered_by`` the clerk who typed
    the entry (VIS-05). ``host_unit`` is a unit id, ``project`` a project code.
    """

    project = serializers.CharField(source="project_code", read_only=True)
    # Plain strings, not enums, in the read schema (as complaints/): each enum
    # then belongs to one request component and OpenAPI names never collide.
    status = serializers.CharField(read_only=True, help_text="pending | refused | inside | left")
    id_type = serializers.CharField(
        read_only=True, help_text="resident_id | passport | hk_macau_permit | other"
    )
    id_number_masked = serializers.CharField(
        read_only=True, help_text="前 3 位和后 4 位，其余为 *；清除后为“（已清除）”（VIS-07）"
    )
    host_unit_number = serializers.CharField(read_only=True, allow_null=True)
    consent_method = serializers.CharField(
        read_only=True, help_text="phone | intercom | in_person | pre_registered；未答复时为空"
    )
    registered_by = serializers.IntegerField(
        source="registered_by_staff",
        read_only=True,
        allow_null=True,
        help_text="登记人（员工 id，同 staff/）；夜间为物业总值（VIS-05）",
    )
    registered_by_name = serializers.CharField(read_only=True, allow_null=True)
    entered_by = serializers.IntegerField(
        source="entered_by_staff",
        read_only=True,
        allow_null=True,
        help_text="录入人（员工 id，同 staff/）",
    )
    flagged_inside = serializers.SerializerMethodField(help_text="当日结束时仍未离开登记（VIS-04）")

    class Meta:
        model = Visit
        fields = [
            "id",
            "slip_number",
            "project",
            "status",
            "visitor_name",
            "id_type",
            "id_number_masked",
            "phone",
            "people_count",
            "vehicle_plate",
            "host_unit",
            "host_unit_number",
            "host_resident",
            "host_name",
            "host_department",
            "host_position",
            "purpose",
            "consent_method",
            "consent_note",
            "consent_at",
            "registered_by",
            "registered_by_name",
            "entered_by",
            "registered_at",
            "entered_at",
            "left_at",
            "host_signed",
            "flagged_inside",
            "flagged_inside_at",
            "id_purged_at",
        ]
        read_only_fields = fields

    def get_flagged_inside(self, visit: Visit) -> bool:
        return visit.flagged_inside_at is not None


class AmendmentSerializer(serializers.ModelSerializer[Amendment]):
    by = serializers.IntegerField(
        source="by_staff", read_only=True, allow_null=True, help_text="更正人（员工 id）"
    )

    class Meta:
        model = Amendment
        fields = ["id", "field", "old_value", "new_value", "reason", "by", "at"]
        read_only_fields = fields


class VisitDetailSerializer(VisitSerializer):
    """``GET visits/<id>/`` and action responses: plus the appended corrections (VIS-06),
    oldest first; the entry's own fields keep what was first registered."""

    amendments = AmendmentSerializer(many=True, read_only=True)

    class Meta(VisitSerializer.Meta):
        fields = [*VisitSerializer.Meta.fields, "amendments"]
        read_only_fields = fields


class VisitCreateSerializer(serializers.Serializer[Any]):
    """Registration (VIS-01, VIS-02). Whom they visit: ``host_unit`` (optionally
    ``host_resident``), or ``host_name`` + ``host_department`` (+ ``host_position``)
    for a company host. ``project`` (code) is needed only for a company host when
    the caller works on several projects; with ``host_unit`` it is the unit's."""

    visitor_name = serializers.CharField(max_length=50)
    id_type = serializers.ChoiceField(choices=IdType.choices)
    id_number = serializers.CharField(
        max_length=40, write_only=True, help_text="证件号码；只存加密值和掩码（VIS-07）"
    )
    host_unit = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="被访房屋 id"
    )
    host_resident = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="被访住户 id（须在该房屋）"
    )
    host_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    host_department = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )
    host_position = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )
    purpose = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    people_count = serializers.IntegerField(required=False, default=1, min_value=1)
    vehicle_plate = serializers.CharField(
        max_length=12, required=False, allow_blank=True, default=""
    )
    project = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", help_text="管理项目代码"
    )


class ConsentSerializer(serializers.Serializer[Any]):
    """The host's answer (VIS-03). A refusal needs ``note`` (it is recorded)."""

    granted = serializers.BooleanField()
    method = serializers.ChoiceField(
        choices=[
            (m.value, m.label)
            for m in Visit.ConsentMethod
            if m != Visit.ConsentMethod.PRE_REGISTERED
        ],
        default=Visit.ConsentMethod.PHONE,
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class SignOutSerializer(serializers.Serializer[Any]):
    host_signed = serializers.BooleanField(default=True, help_text="被访人已在登记单上签字")


class AmendSerializer(serializers.Serializer[Any]):
    """A correction appended to the visit (VIS-06); the entry is never overwritten."""

    field = serializers.ChoiceField(choices=[(f, f) for f in AMENDABLE])
    new_value = serializers.CharField(max_length=200, allow_blank=True)
    reason = serializers.CharField(max_length=200)


class RevealSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=200, help_text="查看原因（记录在案）")


class RevealResultSerializer(serializers.Serializer[Any]):
    id_number = serializers.CharField(help_text="完整证件号码（已记录查看人、时间和原因）")
