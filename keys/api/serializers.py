"""Input and output serializers of key custody (API.md ``keys/``, ``key-loans/`` and the
other ``key-*`` resources). Inputs only shape and type the request; every rule is
checked by the one service the view calls (``keys.services``). Fields are listed
explicitly; statuses, deadlines, approvals and the like are read-only.

Users appear as staff ids as in ``staff/`` (StaffProfile ids, ``null`` for an
account without a staff profile), annotated on the rows by the view's queryset.
Read-side ``kind``/``status``/``use`` are plain strings, not enums (as
complaints/ and visitors/): each enum then belongs to one request component and
OpenAPI enum names never collide across apps.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from keys.models import (
    ContactAttempt,
    CopyRequest,
    EmergencyUse,
    EntrustedUse,
    Entrustment,
    Handover,
    Incident,
    Key,
    Loan,
    LockChange,
    MonthlyReport,
)
from servicedesk.api.serializers import mask_phone
from servicedesk.core.models import Department

# Formats datetimes exactly as a declared DateTimeField would (ISO 8601, local offset).
_DATETIME = serializers.DateTimeField()

# Schema help texts are plain strings, as in complaints/ and visitors/ (API docs).
STAFF_ID = "员工 id（同 staff/）"
PROJECT_CODE = "管理项目代码；负责多个管理项目时必填"


def _staff_id(help_text: str, source: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        source=source, read_only=True, allow_null=True, help_text=f"{help_text}（{STAFF_ID}）"
    )


def _project_code_field() -> serializers.CharField:
    return serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", help_text=PROJECT_CODE
    )


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    """An optional free-text input (blank allowed, defaults to "")."""
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, default="", **kwargs
    )


class _StaffView:
    """Mixin: whether the response goes to staff (residents see less, ORG-02)."""

    context: dict[str, Any]

    def _for_staff(self) -> bool:
        return bool(self.context.get("staff", True))


# --- keys/ ---------------------------------------------------------------------------------


class KeyCurrentLoanSerializer(serializers.Serializer[Any]):
    """The loan now out: what the key board shows beside the key."""

    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    borrower = serializers.CharField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)


class KeySerializer(serializers.ModelSerializer[Key]):
    """A key in the register (KEY-01). Rows are annotated by ``selectors.with_current_loan``
    (one query for any number of keys). ``project`` is the project code, ``unit`` a unit id."""

    project = serializers.CharField(source="project_code", read_only=True)
    kind = serializers.CharField(
        read_only=True, help_text="owner_spare | public_area | plant_room | other"
    )
    status = serializers.CharField(
        read_only=True,
        help_text="available | on_loan | awaiting_seal | sealed | lost | retired | returned",
    )
    unit_number = serializers.CharField(read_only=True, allow_null=True)
    custodian = _staff_id("保管人", "custodian_staff")
    custodian_name = serializers.CharField(read_only=True, allow_null=True)
    current_loan = serializers.SerializerMethodField(help_text="借出中的借用；在柜时为 null")

    class Meta:
        model = Key
        fields = [
            "id",
            "tag",
            "kind",
            "unit",
            "unit_number",
            "status",
            "opens",
            "cabinet_position",
            "custodian",
            "custodian_name",
            "custodian_department",
            "project",
            "entrustment",
            "copy_of",
            "note",
            "registered_at",
            "current_loan",
        ]
        read_only_fields = fields

    @extend_schema_field(KeyCurrentLoanSerializer(allow_null=True))
    def get_current_loan(self, key: Key) -> dict[str, Any] | None:
        loan_id = getattr(key, "loan_id", None)
        if loan_id is None:
            return None
        return dict(
            KeyCurrentLoanSerializer(
                {
                    "id": loan_id,
                    "number": getattr(key, "loan_number", ""),
                    "borrower": getattr(key, "loan_borrower", ""),
                    "due_at": getattr(key, "loan_due_at", None),
                }
            ).data
        )


class KeyCreateSerializer(serializers.Serializer[Any]):
    """Register a key (KEY-01). An owner's spare key is registered with its entrustment
    (``POST key-entrustments/``, KEY-02), never here. ``project`` (code) is needed only
    without ``unit`` when the caller works on several projects."""

    tag = serializers.CharField(max_length=30, help_text="钥匙牌号（项目内唯一）")
    kind = serializers.ChoiceField(
        choices=[(k.value, k.label) for k in Key.Kind if k != Key.Kind.OWNER_SPARE],
        error_messages={
            "invalid_choice": _(
                "“{input}”不是可在此登记的类型；业户备用钥匙须随《业户钥匙委托书》"
                "登记（key-entrustments/）。"
            )
        },
    )
    opens = serializers.CharField(max_length=100, help_text="开启部位")
    unit = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="房屋 id"
    )
    cabinet_position = _text(30, help_text="钥匙柜位置")
    custodian_department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="保管部门 id",
    )
    note = _text(200)
    project = _project_code_field()


class KeyIncidentSerializer(serializers.Serializer[Any]):
    """Damage, loss, recovery or repair of a key (KEY-09)."""

    kind = serializers.ChoiceField(choices=Incident.Kind.choices)
    note = serializers.CharField(max_length=300, allow_blank=True, help_text="说明")


class KeyUnsealSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=200, allow_blank=True, help_text="启封原因")


class KeyEmergencyOpenSerializer(serializers.Serializer[Any]):
    """Break-glass use of a key (KEY-07), without prior approval."""

    kind = serializers.ChoiceField(choices=EmergencyUse.Kind.choices)
    reason = serializers.CharField(max_length=300, allow_blank=True, help_text="情况说明")


class KeyCopyRequestCreateSerializer(serializers.Serializer[Any]):
    """A request to cut copies, to be approved before any copy exists (KEY-06)."""

    count = serializers.IntegerField(default=1, help_text="配制数量")
    reason = serializers.CharField(max_length=200, allow_blank=True, help_text="配制原因")


class KeyCopyRequestSerializer(serializers.ModelSerializer[CopyRequest]):
    status = serializers.CharField(
        read_only=True, help_text="requested | approved | rejected | made"
    )
    requested_by = _staff_id("申请人", "requested_by_staff")
    decided_by = _staff_id("审批人", "decided_by_staff")

    class Meta:
        model = CopyRequest
        fields = [
            "id",
            "key",
            "count",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


# --- key-loans/ ------------------------------------------------------------------------------


class KeyLoanSerializer(_StaffView, serializers.ModelSerializer[Loan]):
    """One line of 《借用钥匙登记表》 (KEY-03, KEY-04, KEY-05).

    ``due_at`` is when the key must be back: the end of the local day it went out,
    or the approved later time of maintenance works; for a maintenance loan not yet
    out it shows the requested time. ``overdue`` is true while the key is out past
    ``due_at``. A resident does not see the borrower's phone (ORG-02).
    """

    project = serializers.CharField(source="project_code", read_only=True)
    key_tag = serializers.CharField(read_only=True)
    status = serializers.CharField(
        read_only=True, help_text="requested | approved | rejected | cancelled | out | returned"
    )
    use = serializers.CharField(
        read_only=True,
        help_text="emergency | maintenance | inspection | cleaning | viewing | delivery",
    )
    requested_by = _staff_id("申请人", "requested_by_staff")
    requested_by_name = serializers.CharField(read_only=True, allow_null=True)
    approved_by = _staff_id("批准（或驳回）人", "approved_by_staff")
    approved_by_name = serializers.CharField(read_only=True, allow_null=True)
    out_by = _staff_id("发放人", "out_by_staff")
    received_by = _staff_id("接收人", "received_by_staff")
    return_condition = serializers.CharField(
        read_only=True, help_text="good | damaged | lost；未归还时为空"
    )
    due_at = serializers.SerializerMethodField(help_text="应还时间（KEY-04）")
    overdue = serializers.SerializerMethodField(help_text="借出中且已过应还时间（KEY-04）")

    class Meta:
        model = Loan
        fields = [
            "id",
            "number",
            "project",
            "key",
            "key_tag",
            "status",
            "purpose",
            "use",
            "maintenance",
            "emergency",
            "borrower_name",
            "borrower_unit",
            "borrower_phone",
            "requested_by",
            "requested_by_name",
            "requested_at",
            "requested_due_at",
            "approved_by",
            "approved_by_name",
            "approved_at",
            "decision_note",
            "out_at",
            "out_by",
            "due_at",
            "returned_at",
            "received_by",
            "return_condition",
            "return_note",
            "overdue",
            "overdue_level",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_due_at(self, loan: Loan) -> str | None:
        due = loan.due_at
        if due is None and loan.maintenance and loan.out_at is None:
            due = loan.requested_due_at
        return _DATETIME.to_representation(due) if due is not None else None

    def get_overdue(self, loan: Loan) -> bool:
        return loan.is_overdue()

    def to_representation(self, instance: Loan) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        if not self._for_staff():
            data["borrower_phone"] = ""
        return data


class KeyLoanCreateSerializer(serializers.Serializer[Any]):
    """Ask to borrow a key (KEY-03). ``due_at`` only for maintenance works (KEY-04);
    an ordinary loan is due at the end of the local day it goes out."""

    key = serializers.IntegerField(help_text="钥匙 id")
    purpose = serializers.CharField(max_length=200, allow_blank=True, help_text="借用事由")
    maintenance = serializers.BooleanField(default=False, help_text="维修工程（可申请延后归还）")
    due_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="申请归还时间（仅维修工程）"
    )
    borrower_name = _text(50, help_text="借用人；默认为申请人")
    borrower_unit = _text(50, help_text="借用人单位/部门")
    borrower_phone = _text(20)
    use = serializers.ChoiceField(
        choices=EntrustedUse.choices,
        default=EntrustedUse.MAINTENANCE,
        help_text="用途类别；业户备用钥匙须为业主允许的用途（KEY-02）",
    )


class KeyLoanApproveSerializer(serializers.Serializer[Any]):
    note = _text(200, help_text="审批意见")


class KeyLoanRejectSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=200, allow_blank=True, help_text="驳回理由")


class KeyLoanReturnSerializer(serializers.Serializer[Any]):
    condition = serializers.ChoiceField(choices=Loan.Condition.choices, default=Loan.Condition.GOOD)
    note = _text(200, help_text="损坏或遗失须说明（KEY-09）")


class KeyLoanCancelSerializer(serializers.Serializer[Any]):
    reason = _text(200, help_text="取消原因")


# --- key-entrustments/ -------------------------------------------------------------------


class KeyEntrustmentSerializer(serializers.ModelSerializer[Entrustment]):
    """《业户钥匙委托书》 (KEY-02). ``keys`` are the ids of the keys it covers."""

    project = serializers.CharField(source="project_code", read_only=True)
    unit_number = serializers.CharField(read_only=True)
    resident_name = serializers.CharField(read_only=True)
    allowed_uses = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="emergency | maintenance | inspection | cleaning | viewing | delivery",
    )
    status = serializers.CharField(read_only=True, help_text="pending | active | expired | revoked")
    confirmation = serializers.CharField(read_only=True, help_text="paper | portal；未确认时为空")
    created_by = _staff_id("经办人", "created_by_staff")
    keys: serializers.PrimaryKeyRelatedField[Key] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Entrustment
        fields = [
            "id",
            "number",
            "project",
            "unit",
            "unit_number",
            "resident",
            "resident_name",
            "allowed_uses",
            "valid_from",
            "valid_until",
            "note",
            "status",
            "confirmation",
            "confirmed_at",
            "created_by",
            "created_at",
            "revoked_at",
            "revoke_reason",
            "keys",
        ]
        read_only_fields = fields


class KeyEntrustmentCreateSerializer(serializers.Serializer[Any]):
    """Record an entrustment and register the spare key it covers (KEY-01, KEY-02).
    Signed on paper at the desk (``paper_signed``) it is in force at once; otherwise
    the owner confirms it (``POST key-entrustments/<id>/confirm/``)."""

    resident = serializers.IntegerField(help_text="委托人（业主）住户 id")
    allowed_uses = serializers.ListField(
        child=serializers.CharField(max_length=15),
        help_text="允许用途：emergency | maintenance | inspection | cleaning | viewing | delivery",
    )
    valid_from = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="起始日；默认今天"
    )
    valid_until = serializers.DateField(help_text="截止日")
    key_tag = serializers.CharField(max_length=30, help_text="备用钥匙牌号")
    opens = _text(100, help_text="开启部位；默认为该户入户门")
    cabinet_position = _text(30)
    paper_signed = serializers.BooleanField(default=False, help_text="业主已在纸质委托书上签字")
    note = _text(200)


class KeyEntrustmentConfirmSerializer(serializers.Serializer[Any]):
    """The owner's signature: a resident confirms their own entrustment (``portal``, the
    default for them); staff record the signed paper (``paper``, the default for staff).
    A plain string in the schema, checked by the service (see KeyEmergencyAttemptSerializer)."""

    method = serializers.CharField(
        max_length=10, required=False, allow_blank=True, default="", help_text="paper | portal"
    )


class KeyEntrustmentRevokeSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=200, allow_blank=True, help_text="撤销原因")


# --- key-emergencies/ -----------------------------------------------------------------------


class KeyContactAttemptSerializer(_StaffView, serializers.ModelSerializer[ContactAttempt]):
    whom = serializers.CharField(read_only=True, help_text="owner | tenant | emergency_contact")
    method = serializers.CharField(read_only=True, help_text="phone | sms | visit")
    result = serializers.CharField(read_only=True, help_text="reached | no_answer")
    by = _staff_id("登记人", "by_staff")

    class Meta:
        model = ContactAttempt
        fields = ["id", "whom", "name", "phone", "method", "result", "note", "at", "by"]
        read_only_fields = fields

    def to_representation(self, instance: ContactAttempt) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        if not self._for_staff():
            data["phone"] = mask_phone(data["phone"]) if data["phone"] else ""
        return data


class KeyEmergencySerializer(serializers.ModelSerializer[EmergencyUse]):
    """Emergency use of a key (KEY-07): the attempts to reach the owner, the entry, the
    people present, the outcome and the review. ``unit`` is the key's unit id."""

    project = serializers.CharField(source="project_code", read_only=True)
    key_tag = serializers.CharField(read_only=True)
    unit = serializers.IntegerField(source="key_unit", read_only=True, allow_null=True)
    kind = serializers.CharField(read_only=True, help_text="fire | water_leak | gas | other")
    status = serializers.CharField(read_only=True, help_text="open | closed | reviewed")
    opened_by = _staff_id("动用人", "opened_by_staff")
    reviewed_by = _staff_id("复核人", "reviewed_by_staff")
    attempts = KeyContactAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = EmergencyUse
        fields = [
            "id",
            "number",
            "project",
            "key",
            "key_tag",
            "unit",
            "loan",
            "kind",
            "reason",
            "status",
            "opened_by",
            "opened_at",
            "attempts",
            "witness_name",
            "second_witness_name",
            "entered_at",
            "exited_at",
            "outcome",
            "closed_at",
            "owner_notified_at",
            "review_due_at",
            "reviewed_by",
            "reviewed_at",
            "review_note",
        ]
        read_only_fields = fields


class KeyEmergencyAttemptSerializer(serializers.Serializer[Any]):
    """One try to reach the owner/tenant, then the emergency contact, before entry.

    ``method`` and ``result`` are plain strings in the schema (the service checks the
    value and names the field): as enums they would rename other apps' ``MethodEnum``
    and ``ResultEnum`` components, which generated clients rely on."""

    whom = serializers.ChoiceField(choices=ContactAttempt.Whom.choices)
    name = serializers.CharField(max_length=50, allow_blank=True)
    phone = _text(20)
    method = serializers.CharField(max_length=10, help_text="phone | sms | visit")
    result = serializers.CharField(max_length=10, help_text="reached | no_answer")
    note = _text(200)


class KeyEmergencyEnterSerializer(serializers.Serializer[Any]):
    witness_name = serializers.CharField(max_length=50, allow_blank=True, help_text="在场人")
    second_witness_name = _text(50, help_text="其他在场人")
    entered_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="进入时间；默认现在"
    )


class KeyEmergencyCloseSerializer(serializers.Serializer[Any]):
    outcome = serializers.CharField(allow_blank=True, help_text="处置结果")
    exited_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="离开时间；默认现在"
    )


class KeyReviewSerializer(serializers.Serializer[Any]):
    note = _text(300, help_text="复核/审核意见")


# --- key-lock-changes/ ---------------------------------------------------------------------


class KeyLockChangeSerializer(serializers.ModelSerializer[LockChange]):
    """A lock-core change (KEY-08); the new key is sealed by ``seal_due_at``."""

    project = serializers.CharField(source="project_code", read_only=True)
    new_key_tag = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="awaiting_seal | sealed")
    recorded_by = _staff_id("登记人", "recorded_by_staff")
    sealed_by = _staff_id("封存人", "sealed_by_staff")
    departments_told: serializers.PrimaryKeyRelatedField[Department] = (
        serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="已通知部门 id")
    )

    class Meta:
        model = LockChange
        fields = [
            "id",
            "number",
            "project",
            "location",
            "reason",
            "old_key",
            "new_key",
            "new_key_tag",
            "changed_at",
            "recorded_by",
            "departments_told",
            "status",
            "seal_due_at",
            "sealed_at",
            "sealed_by",
            "seal_number",
            "overdue_flagged_at",
        ]
        read_only_fields = fields


class KeyLockChangeCreateSerializer(serializers.Serializer[Any]):
    location = serializers.CharField(max_length=100, allow_blank=True, help_text="锁具位置")
    reason = serializers.CharField(max_length=200, allow_blank=True, help_text="更换原因")
    new_tag = serializers.CharField(max_length=30, help_text="新钥匙牌号")
    old_key = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="原钥匙 id（将停用）"
    )
    changed_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="更换时间；默认现在"
    )
    cabinet_position = _text(30)
    departments_told = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Department.objects.all(), required=False, help_text="已通知部门 id"
    )
    project = _project_code_field()


class KeyLockChangeSealSerializer(serializers.Serializer[Any]):
    seal_number = _text(30, help_text="封条编号")


# --- key-handovers/ -------------------------------------------------------------------------


class KeyHandoverOutSerializer(serializers.Serializer[Any]):
    """A key out at the handover (snapshot)."""

    tag = serializers.CharField(read_only=True)
    opens = serializers.CharField(read_only=True)
    loan = serializers.CharField(read_only=True, help_text="借用登记号")
    borrower = serializers.CharField(read_only=True)
    due_at = serializers.CharField(read_only=True, help_text="应还时间（本地，YYYY-MM-DD HH:MM）")


class KeyHandoverSealedSerializer(serializers.Serializer[Any]):
    """A key sealed or awaiting seal at the handover (snapshot)."""

    tag = serializers.CharField(read_only=True)
    opens = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="状态名称")


class KeyHandoverSerializer(serializers.ModelSerializer[Handover]):
    """Duty handover of keys and held items, checked face to face (KEY-10)."""

    project = serializers.CharField(source="project_code", read_only=True)
    handed_by = _staff_id("交班人", "handed_by_staff")
    taken_by = _staff_id("接班人", "taken_by_staff")
    keys_out = KeyHandoverOutSerializer(many=True, read_only=True)
    keys_sealed = KeyHandoverSealedSerializer(many=True, read_only=True)
    status = serializers.CharField(read_only=True, help_text="pending | signed")

    class Meta:
        model = Handover
        fields = [
            "id",
            "project",
            "handed_by",
            "taken_by",
            "at",
            "keys_out",
            "keys_sealed",
            "other_items",
            "discrepancies",
            "status",
            "signed_at",
            "taker_note",
        ]
        read_only_fields = fields


class KeyHandoverCreateSerializer(serializers.Serializer[Any]):
    taken_by = serializers.IntegerField(help_text=f"接班人（{STAFF_ID}）")
    other_items = _text(2000, help_text="其他物品")
    discrepancies = _text(2000, help_text="差异说明")
    project = _project_code_field()


class KeyHandoverSignSerializer(serializers.Serializer[Any]):
    note = _text(300, help_text="接班人意见")


# --- key-reports/ ----------------------------------------------------------------------------

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class KeyReportFiguresSerializer(serializers.Serializer[Any]):
    """The month's figures frozen when the report was submitted (KEY-09)."""

    loans = serializers.IntegerField(read_only=True)
    keys_used = serializers.IntegerField(read_only=True)
    maintenance_loans = serializers.IntegerField(read_only=True)
    emergency_uses = serializers.IntegerField(read_only=True)
    overdue = serializers.IntegerField(read_only=True)
    overdue_numbers = serializers.ListField(child=serializers.CharField(), read_only=True)
    damaged = serializers.IntegerField(read_only=True)
    lost = serializers.IntegerField(read_only=True)
    found = serializers.IntegerField(read_only=True)
    lock_changes = serializers.IntegerField(read_only=True)
    copies_made = serializers.IntegerField(read_only=True)


class KeyReportSerializer(serializers.ModelSerializer[MonthlyReport]):
    """The monthly key report (KEY-09), reviewed by the supervisor."""

    project = serializers.CharField(source="project_code", read_only=True)
    month = serializers.SerializerMethodField(help_text="YYYY-MM")
    figures = KeyReportFiguresSerializer(read_only=True)
    status = serializers.CharField(read_only=True, help_text="submitted | reviewed")
    submitted_by = _staff_id("报送人", "submitted_by_staff")
    reviewed_by = _staff_id("审核人", "reviewed_by_staff")

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "project",
            "month",
            "figures",
            "note",
            "status",
            "submitted_by",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "review_note",
        ]
        read_only_fields = fields

    def get_month(self, report: MonthlyReport) -> str:
        return f"{report.month:%Y-%m}"


class KeyReportCreateSerializer(serializers.Serializer[Any]):
    month = serializers.CharField(max_length=7, help_text="YYYY-MM（已结束的月份）")
    note = _text(2000)
    project = _project_code_field()

    def validate_month(self, value: str) -> date:
        match = MONTH_RE.match(value.strip())
        if match is not None:
            year, month = int(match.group(1)), int(match.group(2))
            if 1 <= month <= 12:
                return date(year, month, 1)
        raise serializers.ValidationError(_("月份格式应为 YYYY-MM。"))
