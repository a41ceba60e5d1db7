"""Input and output serializers of decoration management (API.md ``decoration/permits/``
and the other ``decoration/*`` resources; DEC-01..13).

Inputs only shape and type the request; every rule is checked by the one service the
view calls (``decoration.services``). Amounts are taken as the raw string typed and
parsed by ``rules.parse_amount`` in the service, so "12.345", "NaN" or "-1" get its
messages under the field's name and are never rounded on the way in (DEC-12).

Outputs list their fields explicitly and are read-only: statuses, money, deadlines and
approvals are never set directly. Money is a decimal string with two places. Users
appear as staff ids as in ``staff/`` (``null`` for an account without a staff profile).
Enumerated values are plain strings with their values in the help text (as keys/): an
enum component per app would rename other apps' components in generated clients.
A worker's ID number is written once and only ever read back masked (VIS-07).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from decoration.models import (
    Application,
    ChangeRequest,
    ConstructionNotice,
    Drawing,
    Extension,
    Fine,
    HotWorkPermit,
    Inspection,
    InspectionPhoto,
    LedgerEntry,
    Permit,
    RectificationNotice,
    Review,
    WorkerPass,
)
from servicedesk.api.serializers import mask_phone

STAFF_ID = "员工 id（同 staff/）"
PERMIT_STATUSES = (
    "applied | under_review | rejected | approved | deposit_paid | in_progress | "
    "completion_applied | accepted | closed | cancelled"
)
DECISION_STATUSES = "requested | approved | rejected"


def _staff_id(help_text: str, source: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        source=source, read_only=True, allow_null=True, help_text=f"{help_text}（{STAFF_ID}）"
    )


def _money(help_text: str, **kwargs: Any) -> serializers.DecimalField:
    """A read-only amount in yuan, rendered "20000.00"."""
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text=help_text, **kwargs
    )


def _amount(help_text: str = '金额（元），两位小数的字符串，如 "500.00"') -> serializers.CharField:
    """An amount as typed: the service parses it (DEC-12), so nothing is rounded here."""
    return serializers.CharField(max_length=32, allow_blank=True, help_text=help_text)


def _text(max_length: int | None = None, **kwargs: Any) -> serializers.CharField:
    """An optional free-text input (blank allowed, defaults to "")."""
    if max_length is not None:
        kwargs["max_length"] = max_length
    return serializers.CharField(required=False, allow_blank=True, default="", **kwargs)


def _required_text(max_length: int | None = None, **kwargs: Any) -> serializers.CharField:
    """A text the service requires: blank is let through so its message names the field."""
    if max_length is not None:
        kwargs["max_length"] = max_length
    return serializers.CharField(allow_blank=True, **kwargs)


def _optional_date(help_text: str) -> serializers.DateField:
    return serializers.DateField(required=False, allow_null=True, default=None, help_text=help_text)


def _optional_datetime(help_text: str) -> serializers.DateTimeField:
    return serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text=help_text
    )


def _check(help_text: str) -> serializers.BooleanField:
    return serializers.BooleanField(required=False, default=True, help_text=help_text)


class _StaffView:
    """Mixin: whether the response goes to staff (others see contact numbers masked)."""

    context: dict[str, Any]

    def _for_staff(self) -> bool:
        return bool(self.context.get("staff", True))


# --- decoration/permits/ ---------------------------------------------------------------------


class DrawingSerializer(serializers.ModelSerializer[Drawing]):
    """A drawing handed in (DEC-01): uploaded (checked by content) or received on paper."""

    kind = serializers.CharField(
        read_only=True, help_text="plan | water_electric | alteration | other"
    )

    class Meta:
        model = Drawing
        fields = [
            "id",
            "kind",
            "round",
            "on_paper",
            "original_name",
            "content_type",
            "size",
            "uploaded_at",
        ]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer[Review]):
    """Engineering's decision on one round of drawings, with its checklist (DEC-01)."""

    outcome = serializers.CharField(read_only=True, help_text="approved | rejected")
    decided_by = _staff_id("审图人", "decided_by_staff")

    class Meta:
        model = Review
        fields = [
            "id",
            "round",
            "outcome",
            "structure_ok",
            "water_electric_ok",
            "waterproofing_ok",
            "comments",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


class ExtensionSerializer(serializers.ModelSerializer[Extension]):
    """A written request to extend the construction period (DEC-05)."""

    status = serializers.CharField(read_only=True, help_text=DECISION_STATUSES)
    requested_by = _staff_id("申请人", "requested_by_staff")
    decided_by = _staff_id("审批人", "decided_by_staff")

    class Meta:
        model = Extension
        fields = [
            "id",
            "old_end_date",
            "new_end_date",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class ChangeRequestSerializer(serializers.ModelSerializer[ChangeRequest]):
    """A change of the approved items, waiting for its written approval (DEC-02)."""

    status = serializers.CharField(read_only=True, help_text=DECISION_STATUSES)
    items = serializers.ListField(child=serializers.CharField(), read_only=True)
    requested_by = _staff_id("申请人", "requested_by_staff")
    decided_by = _staff_id("审批人", "decided_by_staff")

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "items",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class PermitSerializer(_StaffView, serializers.ModelSerializer[Permit]):
    """One renovation (DEC-01..13). The balances are sums over the permit's ledger,
    annotated on the rows by the view (one query for any number of permits, DEC-12).
    ``unit`` is a unit id, ``project`` the project code."""

    project = serializers.CharField(source="project_code", read_only=True)
    unit_number = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text=PERMIT_STATUSES)
    owner_signature = serializers.CharField(
        read_only=True, help_text="paper（业主在纸质申请表上签名） | portal（业主本人网上填写）"
    )
    contractor_name = serializers.CharField(source="contractor.name", read_only=True)
    contractor_licence = serializers.CharField(source="contractor.licence_no", read_only=True)
    contractor_qualification = serializers.CharField(
        source="contractor.qualification", read_only=True
    )
    contractor_phone = serializers.CharField(source="contractor.phone", read_only=True)
    items = serializers.ListField(child=serializers.CharField(), read_only=True)
    area_m2 = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    deposit_required = _money("应交装修押金（DEC-04）")
    stop_work_flagged = serializers.SerializerMethodField(
        help_text="施工期限已过且无批准的延期：可责令停工（DEC-05）"
    )
    expelled = serializers.SerializerMethodField(help_text="装修单位已被清退（DEC-10）")
    created_by = _staff_id("经办人", "created_by_staff")
    issued_by = _staff_id("发证人", "issued_by_staff")
    accepted_by = _staff_id("验收人", "accepted_by_staff")
    deposit_received = _money("已收装修押金")
    deposit_balance = _money("尚在管理处的装修押金（押金台账合计，DEC-12）")
    pass_deposits_held = _money("尚在管理处的出入证保证金")
    fines_outstanding = _money("未缴罚款")
    refunded = _money("已退还装修押金")
    pending_extension = serializers.SerializerMethodField(help_text="待审批的延期申请；无则 null")
    pending_change = serializers.SerializerMethodField(help_text="待审批的项目变更；无则 null")
    reviews = ReviewSerializer(many=True, read_only=True)
    drawings = DrawingSerializer(many=True, read_only=True)

    class Meta:
        model = Permit
        fields = [
            "id",
            "number",
            "project",
            "unit",
            "unit_number",
            "status",
            "owner_name",
            "owner_phone",
            "owner_signature",
            "contractor",
            "contractor_name",
            "contractor_licence",
            "contractor_qualification",
            "contractor_phone",
            "contract_no",
            "site_leader_name",
            "site_leader_phone",
            "area_m2",
            "items",
            "description",
            "planned_start",
            "deposit_required",
            "extinguishers_required",
            "drawings_submitted_at",
            "review_due_at",
            "review_due_provisional",
            "approved_at",
            "period_days",
            "start_date",
            "end_date",
            "issued_at",
            "issued_by",
            "stop_work_flagged",
            "stop_work_flagged_at",
            "expelled",
            "expelled_at",
            "expel_reason",
            "completion_applied_at",
            "accepted_at",
            "accepted_by",
            "acceptance_note",
            "deposit_receipt_lost",
            "closed_at",
            "created_by",
            "created_at",
            "deposit_received",
            "deposit_balance",
            "pass_deposits_held",
            "fines_outstanding",
            "refunded",
            "pending_extension",
            "pending_change",
            "reviews",
            "drawings",
        ]
        read_only_fields = fields

    def get_stop_work_flagged(self, permit: Permit) -> bool:
        return permit.stop_work_flagged_at is not None

    def get_expelled(self, permit: Permit) -> bool:
        return permit.expelled_at is not None

    @extend_schema_field(ExtensionSerializer(allow_null=True))
    def get_pending_extension(self, permit: Permit) -> dict[str, Any] | None:
        pending = getattr(permit, "pending_extensions", None)
        return dict(ExtensionSerializer(pending[0]).data) if pending else None

    @extend_schema_field(ChangeRequestSerializer(allow_null=True))
    def get_pending_change(self, permit: Permit) -> dict[str, Any] | None:
        pending = getattr(permit, "pending_changes", None)
        return dict(ChangeRequestSerializer(pending[0]).data) if pending else None

    def to_representation(self, instance: Permit) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        if not self._for_staff():
            for field in ("owner_phone", "site_leader_phone"):
                data[field] = mask_phone(data[field]) if data[field] else ""
        return data


class PermitRefundSerializer(PermitSerializer):
    """The permit after its refund, with how the deposit was settled (DEC-11)."""

    refunded_amount = _money("本次退还的装修押金")
    fines_deducted = _money("本次从押金中抵扣的罚款")
    fines_left_unpaid = _money("押金不足抵扣、仍未缴的罚款")

    class Meta(PermitSerializer.Meta):
        fields = [
            *PermitSerializer.Meta.fields,
            "refunded_amount",
            "fines_deducted",
            "fines_left_unpaid",
        ]
        read_only_fields = fields


class PermitCreateSerializer(serializers.Serializer[Any]):
    """《装修施工申请表》 (DEC-01..03). Staff file on the owner's behalf only with the
    owner's signature on the paper form (``owner_signed``); an owner files for their own
    unit online; a tenant or a contractor alone cannot (DEC-02)."""

    unit = serializers.IntegerField(help_text="房屋 id")
    contractor_name = _required_text(100, help_text="装修单位名称")
    contractor_licence = _required_text(50, help_text="营业执照/资质证书编号（DEC-03）")
    area_m2 = serializers.CharField(max_length=32, help_text='装修面积（㎡），如 "120.00"')
    planned_start = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="计划开工日期"
    )
    items = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        allow_empty=True,
        help_text='装修项目，如 ["墙面翻新", "水电改造"]',
    )
    owner_signed = serializers.BooleanField(
        required=False, default=False, help_text="员工代为提交：业主已在纸质申请表上签名"
    )
    contract_signed = serializers.BooleanField(
        required=False, default=True, help_text="装修单位已与业主签订装修合同（DEC-03）"
    )
    owner_name = _text(50, help_text="业主姓名；默认为该房屋登记的业主（未登记业主时必填）")
    owner_phone = _text(40, help_text="业主电话；默认为登记的电话")
    contract_no = _text(50, help_text="装修合同编号")
    contractor_qualification = _text(50, help_text="资质等级")
    contractor_phone = _text(40, help_text="装修单位电话")
    site_leader_name = _text(50, help_text="施工负责人")
    site_leader_phone = _text(40, help_text="施工负责人电话")
    description = _text(2000, help_text="施工说明")


class DrawingsPaperSerializer(serializers.Serializer[Any]):
    """Drawings received on paper at the desk. An empty body means the paper set of a
    floor plan and a water/electric layout (DEC-01)."""

    paper_kinds = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        default=list,
        help_text="纸质图纸类别：plan | water_electric | alteration | other",
    )


class DrawingsUploadSerializer(DrawingsPaperSerializer):
    """Drawings uploaded (PDF, JPEG or PNG, checked by content; each field may repeat)."""

    plan = serializers.FileField(required=False, help_text="平面图")
    water_electric = serializers.FileField(required=False, help_text="水电平面布置图")
    alteration = serializers.FileField(required=False, help_text="改建图")
    other = serializers.FileField(required=False, help_text="其他图纸")


class ReviewApproveSerializer(serializers.Serializer[Any]):
    structure_ok = _check("不破坏主体结构/承重墙")
    water_electric_ok = _check("水电线路符合规范")
    waterproofing_ok = _check("防水处理符合要求")
    comments = _text(2000, help_text="审图意见")


class ReviewRejectSerializer(serializers.Serializer[Any]):
    reason = _required_text(2000, help_text="驳回理由（必填）")
    structure_ok = _check("不破坏主体结构/承重墙")
    water_electric_ok = _check("水电线路符合规范")
    waterproofing_ok = _check("防水处理符合要求")


class DepositPaySerializer(serializers.Serializer[Any]):
    amount = _amount('实收装修押金（元），如 "20000.00"')
    receipt_no = _required_text(40, help_text="押金收据号")


class PermitIssueSerializer(serializers.Serializer[Any]):
    start_date = _optional_date("开工日期（第 1 天；施工期限由此起算，DEC-05）")


class ExtensionRequestSerializer(serializers.Serializer[Any]):
    new_end_date = _optional_date("申请延至（须晚于现完工期限）")
    reason = _required_text(2000, help_text="延期原因")


class NoteSerializer(serializers.Serializer[Any]):
    note = _text(2000, help_text="意见/说明（驳回时必填）")


class ReasonSerializer(serializers.Serializer[Any]):
    reason = _required_text(2000, help_text="原因（必填）")


class ChangeRequestCreateSerializer(serializers.Serializer[Any]):
    items = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        allow_empty=True,
        help_text="变更后的全部装修项目",
    )
    reason = _required_text(2000, help_text="变更内容和原因")


class FineSerializer(serializers.ModelSerializer[Fine]):
    """罚款单 (DEC-10); ``outstanding`` is what is still owed on it (from the ledger)."""

    amount = _money("罚款金额")
    outstanding = _money("未缴金额（罚款台账合计）")
    charged_by = _staff_id("开单人", "charged_by_staff")

    class Meta:
        model = Fine
        fields = [
            "id",
            "number",
            "permit",
            "amount",
            "outstanding",
            "reason",
            "notice",
            "charged_by",
            "charged_at",
        ]
        read_only_fields = fields


class FineChargeSerializer(serializers.Serializer[Any]):
    amount = _amount('罚款金额（元），如 "500.00"')
    reason = _required_text(2000, help_text="违规事实")
    notice = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="相关整改通知单 id"
    )


class FineResultSerializer(serializers.Serializer[Any]):
    """A fine and the permit it is charged to, as they now are."""

    fine = FineSerializer(read_only=True)
    permit = PermitSerializer(read_only=True)


class FinePaySerializer(serializers.Serializer[Any]):
    fine = serializers.IntegerField(help_text="罚款单 id")
    receipt_no = _required_text(40, help_text="罚款收据号")


class CompletionSerializer(serializers.Serializer[Any]):
    lost_passes = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text="申报遗失的出入证 id（保证金不退，DEC-06）；其余使用中的出入证随竣工退回",
    )


class AcceptanceSerializer(serializers.Serializer[Any]):
    passed = serializers.BooleanField(
        required=False, default=True, help_text="验收合格；false 为不合格（须写明原因）"
    )
    no_illegal_alterations = _check("无违规加建、改建")
    debris_cleared = _check("装修垃圾已清运")
    note = _text(2000, help_text="验收意见；不合格时必填")


class RefundSerializer(serializers.Serializer[Any]):
    receipt_no = _required_text(40, help_text="押金收据号（须与收押金时的收据一致）")


class DeductionSerializer(serializers.Serializer[Any]):
    amount = _amount("扣款金额（元）")
    reason = _required_text(2000, help_text="扣款原因")


class LedgerEntrySerializer(serializers.ModelSerializer[LedgerEntry]):
    kind = serializers.CharField(
        read_only=True,
        help_text=(
            "deposit_received | pass_fee | pass_deposit_received | pass_deposit_refunded | "
            "pass_deposit_forfeited | fine_charged | fine_paid | fine_deducted | deduction | "
            "deposit_refunded"
        ),
    )
    amount = _money("金额（正数；类别决定去向）")
    by = _staff_id("经办人", "by_staff")

    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "amount", "receipt_no", "worker_pass", "fine", "note", "at", "by"]
        read_only_fields = fields


class BalancesSerializer(serializers.Serializer[Any]):
    """What the ledger adds up to (``rules.Balances``)."""

    deposit_received = _money("已收装修押金")
    deposit_balance = _money("尚在管理处的装修押金")
    pass_deposits_held = _money("尚在管理处的出入证保证金")
    pass_fees = _money("出入证工本费")
    fines_charged = _money("罚款合计")
    fines_paid = _money("现金缴纳的罚款")
    fines_deducted = _money("从押金中抵扣的罚款")
    fines_outstanding = _money("未缴罚款")
    deductions = _money("押金扣款")
    refunded = _money("已退还装修押金")
    pass_deposits_refunded = _money("已退出入证保证金")
    pass_deposits_forfeited = _money("没收的出入证保证金")
    received_total = _money("收款合计（押金、保证金、工本费、现金罚款）")


class LedgerSerializer(serializers.Serializer[Any]):
    """The permit's money (DEC-12): every entry, and the balances they add up to."""

    entries = LedgerEntrySerializer(many=True, read_only=True)
    balances = BalancesSerializer(read_only=True)
    fines = FineSerializer(many=True, read_only=True)


# --- decoration/permits/<permit_id>/passes/ -----------------------------------------------


class WorkerPassSerializer(serializers.ModelSerializer[WorkerPass]):
    """施工人员临时出入证 (DEC-06). The ID number is shown masked only."""

    status = serializers.CharField(read_only=True, help_text="issued | returned | lost | forfeited")
    signed_by = serializers.CharField(read_only=True, help_text="owner | site_leader")
    fee = _money("工本费（不退）")
    deposit = _money("保证金（按时退证退还）")
    issued_by = _staff_id("发证人", "issued_by_staff")
    has_photo = serializers.SerializerMethodField()

    class Meta:
        model = WorkerPass
        fields = [
            "id",
            "number",
            "permit",
            "worker_name",
            "id_number_masked",
            "signed_by",
            "signer_name",
            "fee",
            "deposit",
            "receipt_no",
            "expires_on",
            "status",
            "issued_at",
            "issued_by",
            "closed_at",
            "has_photo",
        ]
        read_only_fields = fields

    def get_has_photo(self, worker_pass: WorkerPass) -> bool:
        return bool(worker_pass.photo)


class WorkerPassCreateSerializer(serializers.Serializer[Any]):
    worker_name = _required_text(50, help_text="施工人员姓名")
    id_number = _required_text(
        30, write_only=True, help_text="居民身份证号码（校验位须正确；只保存加密值与掩码）"
    )
    signed_by = serializers.CharField(
        max_length=12,
        required=False,
        default=WorkerPass.Signer.SITE_LEADER.value,
        help_text="签名人身份：owner | site_leader（默认施工负责人）",
    )
    signer_name = _text(50, help_text="签名人姓名；默认业主或施工负责人")
    receipt_no = _text(40, help_text="收据号；默认为出入证号")


# --- decoration/hot-works/ ------------------------------------------------------------------


class HotWorkSerializer(serializers.ModelSerializer[HotWorkPermit]):
    """动火证 (DEC-08)."""

    work_kind = serializers.CharField(read_only=True, help_text="welding | cutting | open_flame")
    status = serializers.CharField(
        read_only=True, help_text="requested | approved | rejected | closed"
    )
    permit_number = serializers.CharField(read_only=True)
    requested_by = _staff_id("申请人", "requested_by_staff")
    decided_by = _staff_id("审批人", "decided_by_staff")
    closed_by = _staff_id("清场登记人", "closed_by_staff")

    class Meta:
        model = HotWorkPermit
        fields = [
            "id",
            "number",
            "permit",
            "permit_number",
            "work_kind",
            "location",
            "starts_at",
            "ends_at",
            "welder_name",
            "welder_certificate_no",
            "welder_certificate_valid_until",
            "guardian_name",
            "extinguishers_ready",
            "combustibles_cleared",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "closed_at",
            "closed_by",
        ]
        read_only_fields = fields


class HotWorkCreateSerializer(serializers.Serializer[Any]):
    permit = serializers.IntegerField(help_text="装修申请 id")
    work_kind = _required_text(12, help_text="welding | cutting | open_flame")
    location = _required_text(100, help_text="动火部位")
    starts_at = _optional_datetime("动火开始（须晚于现在：事先申请）")
    ends_at = _optional_datetime("动火结束")
    welder_name = _required_text(50, help_text="操作人")
    welder_certificate_no = _required_text(50, help_text="特种作业操作证号")
    welder_certificate_valid_until = _optional_date("证书有效期至")
    guardian_name = _required_text(50, help_text="监护人")
    extinguishers_ready = serializers.BooleanField(
        required=False, default=False, help_text="现场已配灭火器"
    )
    combustibles_cleared = serializers.BooleanField(
        required=False, default=False, help_text="周边易燃物已清理"
    )


# --- decoration/applications/ -------------------------------------------------------------


class ApplicationSerializer(serializers.ModelSerializer[Application]):
    """The other applications of a permit (DEC-09)."""

    kind = serializers.CharField(
        read_only=True,
        help_text=(
            "overtime | temporary_power | flammable | concealed_work | paint | freight_lift | "
            "goods_exit | tools"
        ),
    )
    status = serializers.CharField(
        read_only=True, help_text="requested | approved | rejected | registered（工具登记）"
    )
    permit_number = serializers.CharField(read_only=True)
    requested_by = _staff_id("申请人", "requested_by_staff")
    decided_by = _staff_id("审批人", "decided_by_staff")

    class Meta:
        model = Application
        fields = [
            "id",
            "number",
            "permit",
            "permit_number",
            "kind",
            "details",
            "starts_at",
            "ends_at",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class ApplicationCreateSerializer(serializers.Serializer[Any]):
    permit = serializers.IntegerField(help_text="装修申请 id")
    kind = _required_text(
        20,
        help_text=(
            "overtime | temporary_power | flammable | concealed_work | paint | freight_lift | "
            "goods_exit | tools（每日工具登记，无需审批）"
        ),
    )
    details = _required_text(2000, help_text="内容（物品、部位、用电量等）")
    starts_at = _optional_datetime("开始时间")
    ends_at = _optional_datetime("结束时间")


# --- decoration/construction-notices/ -------------------------------------------------------


class ConstructionNoticeSerializer(serializers.ModelSerializer[ConstructionNotice]):
    """A notice to other owners of work affecting them (DEC-13)."""

    project = serializers.CharField(source="project_code", read_only=True)
    status = serializers.CharField(
        read_only=True, help_text="draft | approved | issued | withdrawn"
    )
    drafted_by = _staff_id("拟稿人", "drafted_by_staff")
    approved_by = _staff_id("审核人", "approved_by_staff")

    class Meta:
        model = ConstructionNotice
        fields = [
            "id",
            "number",
            "project",
            "permit",
            "building",
            "title",
            "body",
            "work_starts_on",
            "work_ends_on",
            "status",
            "drafted_by",
            "drafted_at",
            "approved_by",
            "approved_at",
            "issued_at",
            "recipients",
        ]
        read_only_fields = fields


class ConstructionNoticeCreateSerializer(serializers.Serializer[Any]):
    title = _required_text(100, help_text="标题")
    body = _required_text(help_text="通告内容")
    work_starts_on = _optional_date("施工开始日期（至少提前 3 个工作日通知）")
    work_ends_on = _optional_date("施工结束日期")
    permit = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="相关装修申请 id"
    )
    building = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="通知楼栋 id；留空通知全体业主"
    )
    project = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="管理项目代码；未填装修申请且负责多个管理项目时必填",
    )


# --- decoration/inspections/ ------------------------------------------------------------------


class InspectionPhotoSerializer(serializers.ModelSerializer[InspectionPhoto]):
    class Meta:
        model = InspectionPhoto
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class InspectionSerializer(serializers.ModelSerializer[Inspection]):
    """二装巡视 (DEC-07, DEC-10)."""

    permit_number = serializers.CharField(read_only=True)
    inspector = _staff_id("巡视人", "inspector_staff")
    photos = InspectionPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "permit",
            "permit_number",
            "at",
            "inspector",
            "extinguishers_found",
            "passes_worn",
            "findings",
            "violation",
            "photos",
        ]
        read_only_fields = fields


class InspectionCreateSerializer(serializers.Serializer[Any]):
    permit = serializers.IntegerField(help_text="装修申请 id")
    extinguishers_found = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="现场灭火器（具）"
    )
    passes_worn = serializers.BooleanField(required=False, default=True, help_text="施工人员佩证")
    violation = serializers.BooleanField(required=False, default=False, help_text="发现违规")
    findings = _text(help_text="巡视情况；有违规时必填")


class InspectionUploadSerializer(InspectionCreateSerializer):
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text="照片（JPEG/PNG/WebP，按内容校验；最多 6 张）",
    )


# --- decoration/rectification-notices/ ------------------------------------------------------


class RectificationNoticeSerializer(serializers.ModelSerializer[RectificationNotice]):
    """整改通知单 (DEC-10)."""

    status = serializers.CharField(read_only=True, help_text="open | overdue | rectified")
    permit_number = serializers.CharField(read_only=True)
    issued_by = _staff_id("开单人", "issued_by_staff")
    verified_by = _staff_id("复查人", "verified_by_staff")

    class Meta:
        model = RectificationNotice
        fields = [
            "id",
            "number",
            "permit",
            "permit_number",
            "inspection",
            "items",
            "due_at",
            "status",
            "issued_by",
            "issued_at",
            "verified_by",
            "verified_at",
            "verification_note",
        ]
        read_only_fields = fields


class RectificationNoticeCreateSerializer(serializers.Serializer[Any]):
    permit = serializers.IntegerField(help_text="装修申请 id")
    items = _required_text(2000, help_text="整改事项")
    due_at = _optional_datetime("整改期限")
    inspection = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="相关巡视记录 id"
    )
