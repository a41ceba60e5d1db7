"""Input and output serializers of ``complaints/`` (API.md). Inputs only validate;
the views call one service each. Fields are listed explicitly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from complaints.models import (
    Callback,
    Category,
    Channel,
    Complaint,
    Photo,
    StandardAnswer,
    UrgencyLevel,
)
from servicedesk.core.models import Department

# Formats datetimes exactly as a declared DateTimeField would (ISO 8601, local offset).
_DATETIME = serializers.DateTimeField()


class ComplaintSerializer(serializers.ModelSerializer[Complaint]):
    """The read representation. Rows come from ``selectors.complaint_list`` (annotated).

    ``project``, ``channel`` and ``category`` are codes; ``unit`` is a unit id.
    ``reporter_name``/``reporter_phone`` are the first reporter's; ``reporters_count``
    counts every reporter, merged duplicates' included (CMP-14). ``provisional``
    is true while any clock rests on a provisional (not yet published) holiday
    calendar.
    """

    project = serializers.CharField(source="project_code", read_only=True)
    unit_number = serializers.CharField(read_only=True, allow_null=True)
    channel = serializers.CharField(source="channel_code", read_only=True)
    category = serializers.CharField(source="category_code", read_only=True, allow_null=True)
    # Plain strings, not enums, in the read schema: each enum then belongs to one
    # component (ComplaintCreateRequest), so OpenAPI enum names never collide with
    # other apps' ``kind``/``status`` choice sets.
    kind = serializers.CharField(
        read_only=True, help_text="complaint | report | consultation | opinion | paid_service"
    )
    status = serializers.CharField(
        read_only=True, help_text="open | contacted | rectified | closed | merged"
    )
    severity = serializers.CharField(read_only=True, help_text="major | general")
    reporter_name = serializers.CharField(read_only=True, allow_null=True)
    reporter_phone = serializers.CharField(read_only=True, allow_null=True)
    first_contact_due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reply_due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    rectify_due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    callback_due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reporters_count = serializers.IntegerField(read_only=True)
    provisional = serializers.BooleanField(read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "project",
            "unit",
            "unit_number",
            "reporter_name",
            "reporter_phone",
            "channel",
            "category",
            "severity",
            "urgency_minutes",
            "hot",
            "incident",
            "description",
            "location",
            "expectation",
            "received_at",
            "escalation_level",
            "first_contact_due_at",
            "reply_due_at",
            "rectify_due_at",
            "callback_due_at",
            "closed_at",
            "reporters_count",
            "provisional",
        ]
        read_only_fields = fields

    _datetimes = (
        "received_at",
        "first_contact_due_at",
        "reply_due_at",
        "rectify_due_at",
        "callback_due_at",
        "closed_at",
    )

    def to_representation(self, instance: Complaint) -> dict[str, Any]:
        """Build the row directly: this list is the desk's busiest API and DRF's
        per-field machinery was half its time (bench/README.md). Subclasses that
        add fields take the general path; tests pin both to the same output."""
        if type(self) is not ComplaintSerializer:
            return super().to_representation(instance)
        row: dict[str, Any] = {
            "id": instance.id,
            "number": instance.number,
            "kind": instance.kind,
            "status": instance.status,
            "project": instance.project_code,  # type: ignore[attr-defined]
            "unit": instance.unit_id,
            "unit_number": instance.unit_number,  # type: ignore[attr-defined]
            "reporter_name": instance.reporter_name,  # type: ignore[attr-defined]
            "reporter_phone": instance.reporter_phone,  # type: ignore[attr-defined]
            "channel": instance.channel_code,  # type: ignore[attr-defined]
            "category": instance.category_code,  # type: ignore[attr-defined]
            "severity": instance.severity,
            "urgency_minutes": instance.urgency_minutes,
            "hot": instance.hot,
            "incident": instance.incident,
            "description": instance.description,
            "location": instance.location,
            "expectation": instance.expectation,
            "escalation_level": instance.escalation_level,
            "reporters_count": instance.reporters_count,  # type: ignore[attr-defined]
            "provisional": bool(instance.provisional),  # type: ignore[attr-defined]
        }
        for name in self._datetimes:
            value = getattr(instance, name)
            row[name] = None if value is None else _DATETIME.to_representation(value)
        return {name: row[name] for name in self.Meta.fields}


class ComplaintPhotoSerializer(serializers.ModelSerializer[Photo]):
    """A photo: ``url`` downloads it (an attachment, with the stored content type)."""

    name = serializers.CharField(source="original_name", read_only=True)
    size = serializers.IntegerField(read_only=True, help_text="字节")
    content_type = serializers.CharField(
        read_only=True, help_text="image/jpeg | image/png | image/webp"
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["id", "name", "size", "content_type", "url"]
        read_only_fields = fields

    def get_url(self, photo: Photo) -> str:
        path = reverse("complaints:photo", args=[photo.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ComplaintDetailSerializer(ComplaintSerializer):
    """``GET complaints/<id>/``: the list representation plus what only one record
    needs: the responsible department, the paid service's fee (CMP-21) and photos."""

    department: serializers.PrimaryKeyRelatedField[Department] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="责任部门 id"
    )
    fee = serializers.DecimalField(
        max_digits=10, decimal_places=2, read_only=True, allow_null=True, help_text="服务费（元）"
    )
    payment_notice_at = serializers.DateTimeField(read_only=True, allow_null=True)
    photos = ComplaintPhotoSerializer(many=True, read_only=True)

    class Meta(ComplaintSerializer.Meta):
        fields = [
            *ComplaintSerializer.Meta.fields,
            "department",
            "fee",
            "payment_notice_at",
            "photos",
        ]
        read_only_fields = fields


class ComplaintPhotoUploadSerializer(serializers.Serializer[Any]):
    """Multipart. The content is checked by ``complaints.uploads``, not trusted
    from the declared type or the name."""

    file = serializers.FileField(help_text="JPEG、PNG 或 WebP，每张不超过 5 MB，每条记录最多 6 张")


class ComplaintCreateSerializer(serializers.Serializer[Any]):
    """Filing. ``unit`` is checked against the caller's scope by the view (never
    against all units, so an id outside it gets the same 400 as a missing one).
    Residents: ``channel`` is forced to ``online`` and the reporter defaults to them."""

    unit = serializers.IntegerField(required=False, allow_null=True, help_text="房屋 id")
    reporter_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    reporter_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    channel = serializers.SlugRelatedField(
        slug_field="code", queryset=Channel.objects.all(), required=False
    )
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    severity = serializers.ChoiceField(
        choices=Complaint.Severity.choices, default=Complaint.Severity.GENERAL
    )
    urgency_minutes = serializers.IntegerField(default=30, help_text="15、30、60 或 120（配置）")
    description = serializers.CharField()
    received_at = serializers.DateTimeField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=Complaint.Kind.choices, default=Complaint.Kind.COMPLAINT)
    hot = serializers.BooleanField(default=False)
    incident = serializers.BooleanField(default=False)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    expectation = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )

    def validate_urgency_minutes(self, value: int) -> int:
        if not UrgencyLevel.objects.filter(minutes=value).exists():
            allowed = "、".join(
                str(m) for m in UrgencyLevel.objects.values_list("minutes", flat=True)
            )
            raise serializers.ValidationError(
                _("紧急程度应为 %(allowed)s 分钟之一。") % {"allowed": allowed}
            )
        return value


class ContactSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReplySerializer(serializers.Serializer[Any]):
    text = serializers.CharField()
    promised_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    standard_answer = serializers.PrimaryKeyRelatedField(
        queryset=StandardAnswer.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="统一答复 id（CMP-15，使用次数加一）",
    )


class RectifySerializer(serializers.Serializer[Any]):
    note = serializers.CharField()
    needs_callback = serializers.BooleanField(required=False, allow_null=True, default=None)


class ExtendSerializer(serializers.Serializer[Any]):
    new_due_at = serializers.DateTimeField()
    reason = serializers.CharField()
    agreed_by = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class CallbackSerializer(serializers.Serializer[Any]):
    """``satisfied`` true/false maps to result satisfied/unsatisfied; ``result`` may
    name it exactly (satisfied|basically|unsatisfied). ``outcome`` no_answer logs an
    unanswered call (no result). Residents confirm online: outcome is always reached."""

    satisfied = serializers.BooleanField(required=False, allow_null=True, default=None)
    result = serializers.ChoiceField(
        choices=Callback.Result.choices, required=False, allow_blank=True, default=""
    )
    outcome = serializers.ChoiceField(
        choices=Callback.Outcome.choices, default=Callback.Outcome.REACHED
    )
    confirmation = serializers.ChoiceField(
        choices=[
            (Callback.Confirmation.SIGNATURE.value, Callback.Confirmation.SIGNATURE.label),
            (Callback.Confirmation.PHONE.value, Callback.Confirmation.PHONE.label),
        ],
        required=False,
        allow_blank=True,
        default="",
        help_text="员工回访：客户确认方式；业主在线确认时自动为 portal",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["outcome"] != Callback.Outcome.REACHED:
            attrs["result"] = ""
            return attrs
        if not attrs.get("result"):
            if attrs.get("satisfied") is None:
                raise serializers.ValidationError(
                    {"satisfied": _("请说明客户是否满意（satisfied 或 result）。")}
                )
            attrs["result"] = (
                Callback.Result.SATISFIED if attrs["satisfied"] else Callback.Result.UNSATISFIED
            )
        return attrs


class MergeSerializer(serializers.Serializer[Any]):
    into = serializers.IntegerField(help_text="主记录 id（须在调用者可见范围内）")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RecategoriseSerializer(serializers.Serializer[Any]):
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True)
    )
    reason = serializers.CharField()


class SendToDepartmentSerializer(serializers.Serializer[Any]):
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), help_text="责任部门 id"
    )
    summary = serializers.CharField(help_text="意见汇总")


class OpinionPlanSerializer(serializers.Serializer[Any]):
    plan = serializers.CharField(help_text="责任部门的书面整改方案")


class PaymentNoticeSerializer(serializers.Serializer[Any]):
    fee = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text='服务费（元），如 "150.00"',
    )


class StatsSerializer(serializers.Serializer[Any]):
    """``GET complaints/stats/?month=YYYY-MM`` (see ``selectors.month_stats``)."""

    month = serializers.CharField(help_text="YYYY-MM")
    total = serializers.IntegerField(help_text="当月受理记录数，重复投诉合并后计一次（CMP-14）")
    by_category = serializers.DictField(
        child=serializers.IntegerField(), help_text="按最终根本原因类别代码（CMP-02）"
    )
    by_channel = serializers.DictField(child=serializers.IntegerField())
    by_kind = serializers.DictField(child=serializers.IntegerField())
    by_severity = serializers.DictField(child=serializers.IntegerField())
    by_building = serializers.DictField(
        child=serializers.IntegerField(), help_text="按楼栋 id；none 为无房号"
    )
    by_department = serializers.DictField(
        child=serializers.IntegerField(), help_text="按责任部门代码；none 为未指派"
    )
    by_status = serializers.DictField(child=serializers.IntegerField())
    people = serializers.IntegerField(help_text="反映人数（CMP-14）")
    times = serializers.IntegerField(help_text="反映次数合计（CMP-14）")
    callbacks_reached = serializers.IntegerField()
    callbacks_satisfied = serializers.IntegerField()
    satisfaction_rate = serializers.FloatField(
        allow_null=True, help_text="满意及基本满意 ÷ 已联系回访 × 100（CMP-16）"
    )
    target = serializers.FloatField(help_text="满意率目标（%）")
    first_contact_on_time_rate = serializers.FloatField(allow_null=True)
    rectify_on_time_rate = serializers.FloatField(allow_null=True)
