"""Decoration management API (API.md ``decoration/permits/`` and the other
``decoration/*`` resources; DEC-01..13, ORG-01, ORG-02, ORG-04).

Every write goes through one function of ``decoration.services``: its
``InvalidTransition`` becomes 409, a Django ``ValidationError`` a 400 with field
errors, and ``PermissionDenied`` (a role that may not act, or approving one's own
request, ORG-04) a 403. Every queryset is scoped with ``scope_queryset``: a record
outside the caller's projects, unit or contractor account is a 404.

Who gets past the door (the service then decides on the record): staff, every
action; residents read their own unit's records and file, submit drawings, ask for
a change or an extension, apply for acceptance, withdraw, and request hot work or
other applications (the service tells an owner from a tenant); a contractor's login
reads its own permits and submits drawings, extends, completes, withdraws and
requests hot work or applications. Lists cost a fixed number of queries whatever
their length: balances are conditional sums over the ledger in the list's one query.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, TypeVar, cast

import django_filters
from django.contrib.auth.models import User
from django.db import models
from django.db.models import DecimalField, ExpressionWrapper, F, Prefetch, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from decoration import rules, services
from decoration.api.serializers import (
    AcceptanceSerializer,
    ApplicationCreateSerializer,
    ApplicationSerializer,
    ChangeRequestCreateSerializer,
    CompletionSerializer,
    ConstructionNoticeCreateSerializer,
    ConstructionNoticeSerializer,
    DeductionSerializer,
    DepositPaySerializer,
    DrawingsPaperSerializer,
    DrawingsUploadSerializer,
    ExtensionRequestSerializer,
    FineChargeSerializer,
    FinePaySerializer,
    FineResultSerializer,
    FineSerializer,
    HotWorkCreateSerializer,
    HotWorkSerializer,
    InspectionCreateSerializer,
    InspectionSerializer,
    InspectionUploadSerializer,
    LedgerSerializer,
    NoteSerializer,
    PermitCreateSerializer,
    PermitIssueSerializer,
    PermitRefundSerializer,
    PermitSerializer,
    ReasonSerializer,
    RectificationNoticeCreateSerializer,
    RectificationNoticeSerializer,
    RefundSerializer,
    ReviewApproveSerializer,
    ReviewRejectSerializer,
    WorkerPassCreateSerializer,
    WorkerPassSerializer,
)
from decoration.models import (
    Application,
    ChangeRequest,
    ConstructionNotice,
    Decision,
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
from decoration.services import InvalidTransition
from servicedesk.api.base import (
    ActingViewSetMixin,
    Conflict,
    action_schema,
    is_resident,
    service_errors,
)
from servicedesk.api.filters import IdFilter
from servicedesk.core.models import Building, Unit
from servicedesk.core.scoping import get_scoped_or_404, scope_queryset, viewer_for

M = TypeVar("M", bound=models.Model)
R = TypeVar("R", bound=models.Model)

READ_ACTIONS = frozenset({"list", "retrieve"})
MONEY = DecimalField(max_digits=14, decimal_places=2)

_CREATE_ERRORS = {
    400: OpenApiResponse(description="字段错误"),
    403: OpenApiResponse(description="角色无权操作"),
    409: OpenApiResponse(description="当前状态不允许"),
}


def _user(request: Request) -> User:
    """The caller; the permission classes have let only authenticated users through."""
    return cast(User, request.user)


def _staff(path: str) -> F:
    """The StaffProfile id (as in ``staff/``) of the user at ``path``; null without one."""
    return F(f"{path}__staff_profile__id")


def parties_may(
    resident_actions: frozenset[str], contractor_actions: frozenset[str]
) -> type[BasePermission]:
    """Return a permission: staff may do everything (the service checks the role),
    residents only ``resident_actions``, a contractor's login only
    ``contractor_actions``; anyone else nothing (403)."""

    class StaffOrParty(BasePermission):
        message = _("仅限员工操作；业主和装修单位只能办理本户、本单位相关的事项。")

        def has_permission(self, request: Request, view: APIView) -> bool:
            viewer = viewer_for(request.user)
            if viewer.is_staff_member:
                return True
            name = getattr(view, "action", None)
            if viewer.is_contractor and name in contractor_actions:
                return True
            return is_resident(viewer) and name in resident_actions

    return StaffOrParty


# --- Rows with what the serializers read (a fixed number of queries, whatever the count) ------


def _ledger_sum(*kinds: str) -> Coalesce:
    """Sum of the ``ledger`` entries of these kinds of the row (0.00 when none)."""
    return Coalesce(
        Sum("ledger__amount", filter=Q(ledger__kind__in=kinds)),
        Value(rules.ZERO),
        output_field=MONEY,
    )


def _ledger_diff(plus: tuple[str, ...], minus: tuple[str, ...]) -> ExpressionWrapper:
    return ExpressionWrapper(_ledger_sum(*plus) - _ledger_sum(*minus), output_field=MONEY)


def permit_rows() -> models.QuerySet[Permit]:
    """Permits with their labels, their staff and their balances summed from the ledger in
    the same query (``rules.Balances``, DEC-12), plus what is pending and the reviews."""
    return (
        Permit.objects.select_related("contractor")
        .annotate(
            project_code=F("project__code"),
            unit_number=F("unit__number"),
            created_by_staff=_staff("created_by"),
            issued_by_staff=_staff("issued_by"),
            accepted_by_staff=_staff("accepted_by"),
            deposit_received=_ledger_sum(rules.DEPOSIT_IN),
            deposit_balance=_ledger_diff((rules.DEPOSIT_IN,), rules.DEPOSIT_OUT),
            pass_deposits_held=_ledger_diff((rules.PASS_IN,), rules.PASS_OUT),
            fines_outstanding=_ledger_diff((rules.FINES_OWED,), rules.FINES_SETTLED),
            refunded=_ledger_sum(LedgerEntry.Kind.DEPOSIT_REFUNDED),
        )
        .prefetch_related(
            Prefetch(
                "extensions",
                queryset=Extension.objects.filter(status=Decision.REQUESTED).annotate(
                    requested_by_staff=_staff("requested_by"),
                    decided_by_staff=_staff("decided_by"),
                ),
                to_attr="pending_extensions",
            ),
            Prefetch(
                "changes",
                queryset=ChangeRequest.objects.filter(status=Decision.REQUESTED).annotate(
                    requested_by_staff=_staff("requested_by"),
                    decided_by_staff=_staff("decided_by"),
                ),
                to_attr="pending_changes",
            ),
            Prefetch(
                "reviews",
                queryset=Review.objects.annotate(decided_by_staff=_staff("decided_by")),
            ),
            Prefetch("drawings", queryset=Drawing.objects.order_by("round", "kind", "id")),
        )
    )


def fine_rows() -> models.QuerySet[Fine]:
    return Fine.objects.annotate(
        charged_by_staff=_staff("charged_by"),
        outstanding=_ledger_diff((rules.FINES_OWED,), rules.FINES_SETTLED),
    )


def pass_rows() -> models.QuerySet[WorkerPass]:
    return WorkerPass.objects.annotate(issued_by_staff=_staff("issued_by"))


# --- The common base -----------------------------------------------------------------------


class _DecorationViewSet(ActingViewSetMixin[M], viewsets.GenericViewSet[M]):
    """Scoped rows, cursor pages by id, the read serializer for every answer."""

    ordering_fields = ["id"]
    ordering = ["-id"]
    # Reads see the whole scope; everything else acts on the caller's own projects only.
    read_actions = READ_ACTIONS

    def _permit(self, pk: int, field: str = "permit") -> Permit:
        """The permit ``pk`` the caller may act on, or a 400 naming ``field`` (a permit
        elsewhere gets the same answer as a missing one)."""
        permits = self._acting(
            scope_queryset(
                Permit.objects.select_related("project", "contractor"), self.request.user
            )
        )
        permit = permits.filter(pk=pk).first()
        if permit is None:
            raise DRFValidationError({field: [_("装修申请不存在或不在您的范围内。")]})
        return permit


# --- decoration/permits/ -------------------------------------------------------------------


# Residents: the owner files and follows their renovation (the service refuses a tenant).
PERMIT_RESIDENT_ACTIONS = READ_ACTIONS | {
    "create",
    "ledger",
    "submit_drawings",
    "extend",
    "change",
    "complete",
    "cancel",
}
# The contractor hands in drawings, asks for more time and for acceptance (DEC-01, 05, 11).
PERMIT_CONTRACTOR_ACTIONS = READ_ACTIONS | {
    "ledger",
    "submit_drawings",
    "extend",
    "complete",
    "cancel",
}


class PermitFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Permit.Status.choices)
    unit = IdFilter(field_name="unit_id", help_text="房屋 id")
    contractor = IdFilter(field_name="contractor_id", help_text="装修单位 id")

    class Meta:
        model = Permit
        fields = ["status", "unit", "contractor"]


def _permit_action(request: Any, summary: str, response: Any = PermitSerializer) -> Any:
    return action_schema(request, summary, response)


@extend_schema_view(
    list=extend_schema(summary="装修申请（员工按项目；业主只见本户的；装修单位只见本单位的）"),
    retrieve=extend_schema(summary="装修申请详情（含押金台账余额、审图意见、待审批事项）"),
    create=extend_schema(
        summary="提交《装修施工申请表》（DEC-01..03；员工代交须业主已签名）",
        request=PermitCreateSerializer,
        responses={201: PermitSerializer, **_CREATE_ERRORS},
    ),
)
class PermitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _DecorationViewSet[Permit],
):
    """A renovation from the application to the refund (DEC-01..13)."""

    serializer_class = PermitSerializer
    permission_classes = [
        IsAuthenticated,
        parties_may(PERMIT_RESIDENT_ACTIONS, PERMIT_CONTRACTOR_ACTIONS),
    ]
    filterset_class = PermitFilter
    read_actions = READ_ACTIONS | {"ledger"}

    def base_queryset(self) -> models.QuerySet[Permit]:
        return permit_rows()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(PermitCreateSerializer)
        unit = self._unit(data["unit"])
        with service_errors(InvalidTransition):
            permit = services.permit_file(
                unit=unit,
                contractor_name=data["contractor_name"],
                contractor_licence=data["contractor_licence"],
                area_m2=data["area_m2"],
                planned_start=data["planned_start"],
                items=data["items"],
                owner_signed=data["owner_signed"],
                contract_signed=data["contract_signed"],
                contract_no=data["contract_no"],
                contractor_qualification=data["contractor_qualification"],
                contractor_phone=data["contractor_phone"],
                site_leader_name=data["site_leader_name"],
                site_leader_phone=data["site_leader_phone"],
                description=data["description"],
                owner_name=data["owner_name"],
                owner_phone=data["owner_phone"],
                by=_user(request),
            )
        return self._fresh(permit, status.HTTP_201_CREATED)

    def _unit(self, pk: int) -> Unit:
        """Staff file for a unit of their projects, a resident for a unit they live in;
        any other unit is a 400 naming ``unit``, as a missing one."""
        viewer = viewer_for(self.request.user)
        units = Unit.objects.select_related("project")
        if viewer.is_staff_member:
            if not viewer.all_projects:
                units = units.filter(project_id__in=viewer.project_ids)
        else:
            units = units.filter(pk__in=viewer.unit_ids)
        unit = units.filter(pk=pk).first()
        if unit is None:
            raise DRFValidationError({"unit": [_("房屋不存在或不在您的范围内。")]})
        return unit

    # -- drawings and review (DEC-01, ORG-04) ---------------------------------------------

    @extend_schema(
        summary="提交图纸，开始审图计时（DEC-01）：上传（multipart：plan、water_electric、"
        "alteration、other，可重复）或登记纸质图纸；空请求体 = 已收纸质平面图和水电图",
        request={
            "application/json": DrawingsPaperSerializer,
            "multipart/form-data": DrawingsUploadSerializer,
        },
        responses={
            200: PermitSerializer,
            400: OpenApiResponse(description="不是 PDF/JPEG/PNG、过大或类别无效（字段 drawings）"),
            403: OpenApiResponse(description="角色无权操作"),
            404: OpenApiResponse(description="不在调用者范围内"),
            409: OpenApiResponse(description="当前状态不允许"),
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def submit_drawings(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(DrawingsPaperSerializer)
        # A file sent under another name must not pass for "paper drawings received".
        unknown = sorted(set(request.FILES) - set(Drawing.Kind.values))
        if unknown:
            raise DRFValidationError(
                {"drawings": [_("图纸字段须为 plan、water_electric、alteration 或 other。")]}
            )
        uploads = [
            (kind, upload) for kind in Drawing.Kind.values for upload in request.FILES.getlist(kind)
        ]
        with service_errors(InvalidTransition):
            services.drawings_submit(
                permit=permit,
                uploads=uploads,
                paper_kinds=data["paper_kinds"],
                by=_user(request),
            )
        return self._fresh(permit)

    @_permit_action(
        ReviewApproveSerializer, "工程部审图通过（DEC-01；不能审批本人提交的申请 ORG-04）"
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(ReviewApproveSerializer)
        with service_errors(InvalidTransition):
            services.review_decide(
                permit=permit,
                approve=True,
                structure_ok=data["structure_ok"],
                water_electric_ok=data["water_electric_ok"],
                waterproofing_ok=data["waterproofing_ok"],
                comments=data["comments"],
                by=_user(request),
            )
        return self._fresh(permit)

    @_permit_action(ReviewRejectSerializer, "审图不通过，须写明理由（DEC-01）")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(ReviewRejectSerializer)
        with service_errors(InvalidTransition):
            services.review_decide(
                permit=permit,
                approve=False,
                structure_ok=data["structure_ok"],
                water_electric_ok=data["water_electric_ok"],
                waterproofing_ok=data["waterproofing_ok"],
                comments=data["reason"],
                by=_user(request),
            )
        return self._fresh(permit)

    # -- deposit and permit (DEC-04, DEC-05) ----------------------------------------------

    @_permit_action(DepositPaySerializer, "收取装修押金，须与应交金额一致（DEC-04、DEC-12）")
    @action(detail=True, methods=["post"])
    def pay_deposit(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(DepositPaySerializer)
        with service_errors(InvalidTransition):
            services.deposit_pay(
                permit=permit,
                amount=data["amount"],
                receipt_no=data["receipt_no"],
                by=_user(request),
            )
        return self._fresh(permit)

    @_permit_action(PermitIssueSerializer, "发放装修许可证，施工期限自开工日起算（DEC-05）")
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(PermitIssueSerializer)
        with service_errors(InvalidTransition):
            services.permit_issue(permit=permit, start_date=data["start_date"], by=_user(request))
        return self._fresh(permit)

    # -- extensions (DEC-05, ORG-04) and changes (DEC-02) ---------------------------------

    @_permit_action(
        ExtensionRequestSerializer,
        "书面申请延期，须在完工期限前（DEC-05）；返回装修申请及其 pending_extension",
    )
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(ExtensionRequestSerializer)
        with service_errors(InvalidTransition):
            services.extension_request(
                permit=permit,
                new_end_date=data["new_end_date"],
                reason=data["reason"],
                by=_user(request),
            )
        return self._fresh(permit)

    @_permit_action(NoteSerializer, "经理批准待审批的延期（不能批准本人的申请 ORG-04）")
    @action(detail=True, methods=["post"])
    def approve_extension(self, request: Request, pk: str | None = None) -> Response:
        return self._decide_extension(approve=True)

    @_permit_action(NoteSerializer, "驳回待审批的延期，须写明理由")
    @action(detail=True, methods=["post"])
    def reject_extension(self, request: Request, pk: str | None = None) -> Response:
        return self._decide_extension(approve=False)

    def _decide_extension(self, *, approve: bool) -> Response:
        permit = self.get_object()
        data = self._input(NoteSerializer)
        extension = Extension.objects.filter(permit=permit, status=Decision.REQUESTED).first()
        if extension is None:
            raise Conflict(_("该装修没有待审批的延期申请。"))
        with service_errors(InvalidTransition):
            services.extension_decide(
                extension=extension, approve=approve, note=data["note"], by=_user(self.request)
            )
        return self._fresh(permit)

    @_permit_action(
        ChangeRequestCreateSerializer,
        "申请变更装修项目，批准前不得施工（DEC-02）；返回装修申请及其 pending_change",
    )
    @action(detail=True, methods=["post"])
    def change(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(ChangeRequestCreateSerializer)
        with service_errors(InvalidTransition):
            services.change_request(
                permit=permit, items=data["items"], reason=data["reason"], by=_user(request)
            )
        return self._fresh(permit)

    @_permit_action(NoteSerializer, "书面批准待审批的项目变更（DEC-02；不能批准本人的申请）")
    @action(detail=True, methods=["post"])
    def approve_change(self, request: Request, pk: str | None = None) -> Response:
        return self._decide_change(approve=True)

    @_permit_action(NoteSerializer, "驳回待审批的项目变更，须写明理由")
    @action(detail=True, methods=["post"])
    def reject_change(self, request: Request, pk: str | None = None) -> Response:
        return self._decide_change(approve=False)

    def _decide_change(self, *, approve: bool) -> Response:
        permit = self.get_object()
        data = self._input(NoteSerializer)
        change = ChangeRequest.objects.filter(permit=permit, status=Decision.REQUESTED).first()
        if change is None:
            raise Conflict(_("该装修没有待审批的项目变更。"))
        with service_errors(InvalidTransition):
            services.change_decide(
                change=change, approve=approve, note=data["note"], by=_user(self.request)
            )
        return self._fresh(permit)

    # -- fines, deductions, expulsion (DEC-10, DEC-11) ------------------------------------

    @_permit_action(
        FineChargeSerializer,
        "开具罚款单，记入押金台账（DEC-10）；返回罚款单和装修申请",
        FineResultSerializer,
    )
    @action(detail=True, methods=["post"])
    def fine(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(FineChargeSerializer)
        notice = None
        if data["notice"] is not None:
            notice = RectificationNotice.objects.filter(pk=data["notice"], permit=permit).first()
            if notice is None:
                raise DRFValidationError({"notice": [_("整改通知单不属于该装修。")]})
        with service_errors(InvalidTransition):
            fine = services.fine_charge(
                permit=permit,
                amount=data["amount"],
                reason=data["reason"],
                notice=notice,
                by=_user(request),
            )
        return self._fine_result(permit, fine)

    @_permit_action(
        FinePaySerializer,
        "现金缴纳罚款（全额，凭收据）；返回罚款单和装修申请",
        FineResultSerializer,
    )
    @action(detail=True, methods=["post"])
    def pay_fine(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(FinePaySerializer)
        fine = Fine.objects.select_related("permit").filter(pk=data["fine"], permit=permit).first()
        if fine is None:
            raise DRFValidationError({"fine": [_("罚款单不属于该装修。")]})
        with service_errors(InvalidTransition):
            services.fine_pay(fine=fine, receipt_no=data["receipt_no"], by=_user(request))
        return self._fine_result(permit, fine)

    def _fine_result(self, permit: Permit, fine: Fine) -> Response:
        context = self.get_serializer_context()
        body = {
            "fine": FineSerializer(fine_rows().get(pk=fine.pk), context=context).data,
            "permit": self.get_serializer(self.get_queryset().get(pk=permit.pk)).data,
        }
        return Response(body)

    @_permit_action(DeductionSerializer, "验收时从押金中扣款（损坏赔偿等；不超过押金余额）")
    @action(detail=True, methods=["post"])
    def deduct(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(DeductionSerializer)
        with service_errors(InvalidTransition):
            services.deduction_record(
                permit=permit, amount=data["amount"], reason=data["reason"], by=_user(request)
            )
        return self._fresh(permit)

    @_permit_action(ReasonSerializer, "清退装修单位（严重违规，DEC-10）")
    @action(detail=True, methods=["post"])
    def expel(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(ReasonSerializer)
        with service_errors(InvalidTransition):
            services.contractor_expel(permit=permit, reason=data["reason"], by=_user(request))
        return self._fresh(permit)

    @_permit_action(ReasonSerializer, "撤销申请（收押金之前）")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(ReasonSerializer)
        with service_errors(InvalidTransition):
            services.permit_cancel(permit=permit, reason=data["reason"], by=_user(request))
        return self._fresh(permit)

    # -- completion, acceptance, refund (DEC-11, DEC-12) ----------------------------------

    @_permit_action(
        CompletionSerializer, "申请竣工验收并退回出入证（DEC-11；申报遗失的出入证保证金不退）"
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(CompletionSerializer)
        with service_errors(InvalidTransition):
            services.completion_apply(
                permit=permit, lost_passes=data["lost_passes"], by=_user(request)
            )
        return self._fresh(permit)

    @_permit_action(
        AcceptanceSerializer,
        "竣工验收：无违规加建改建、垃圾已清运（DEC-11）；passed=false 为不合格，退回施工",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(AcceptanceSerializer)
        with service_errors(InvalidTransition):
            services.acceptance_decide(
                permit=permit,
                passed=data["passed"],
                no_illegal_alterations=data["no_illegal_alterations"],
                debris_cleared=data["debris_cleared"],
                note=data["note"],
                by=_user(request),
            )
        return self._fresh(permit)

    @_permit_action(NoteSerializer, "登记押金收据遗失：按规定不予退款（DEC-11）")
    @action(detail=True, methods=["post"])
    def receipt_lost(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(NoteSerializer)
        with service_errors(InvalidTransition):
            services.receipt_lost_record(permit=permit, note=data["note"], by=_user(request))
        return self._fresh(permit)

    @_permit_action(
        RefundSerializer,
        "凭押金收据退还押金，未缴罚款先行抵扣；只退一次（DEC-11、DEC-12）",
        PermitRefundSerializer,
    )
    @action(detail=True, methods=["post"])
    def refund(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        data = self._input(RefundSerializer)
        with service_errors(InvalidTransition):
            _entry, plan = services.deposit_refund(
                permit=permit, receipt_no=data["receipt_no"], by=_user(request)
            )
        row = self.get_queryset().get(pk=permit.pk)
        row.refunded_amount = plan.refund  # type: ignore[attr-defined]
        row.fines_deducted = plan.fines_deducted  # type: ignore[attr-defined]
        row.fines_left_unpaid = plan.fines_left_unpaid  # type: ignore[attr-defined]
        return Response(PermitRefundSerializer(row, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="押金台账：每一笔收、退、扣、没收及余额（DEC-12）",
        responses={200: LedgerSerializer, 404: OpenApiResponse(description="不在调用者范围内")},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def ledger(self, request: Request, pk: str | None = None) -> Response:
        permit = self.get_object()
        entries = list(
            LedgerEntry.objects.filter(permit=permit)
            .annotate(by_staff=_staff("by"))
            .order_by("at", "id")
        )
        balances = rules.Balances.of((entry.kind, entry.amount) for entry in entries)
        context = self.get_serializer_context()
        body = LedgerSerializer(
            {
                "entries": entries,
                "balances": balances,
                "fines": list(fine_rows().filter(permit=permit).order_by("charged_at", "id")),
            },
            context=context,
        ).data
        return Response(body)


# --- decoration/permits/<permit_id>/passes/ ---------------------------------------------------

PERMIT_ID = OpenApiParameter(
    "permit_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="装修申请 id"
)


@extend_schema(parameters=[PERMIT_ID])
@extend_schema_view(
    list=extend_schema(summary="装修申请的施工人员出入证（身份证号只显示掩码）"),
    retrieve=extend_schema(summary="出入证详情"),
    create=extend_schema(
        summary="办理出入证：收工本费和保证金，有效期至完工期限（DEC-06）",
        request=WorkerPassCreateSerializer,
        responses={201: WorkerPassSerializer, **_CREATE_ERRORS},
    ),
)
class WorkerPassViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _DecorationViewSet[WorkerPass],
):
    """Worker passes of one permit (DEC-06); the permit is looked up in the caller's scope
    first, so a permit out of scope is a 404 for its passes too."""

    serializer_class = WorkerPassSerializer
    permission_classes = [IsAuthenticated, parties_may(READ_ACTIONS, READ_ACTIONS)]

    @cached_property
    def permit(self) -> Permit:
        permits = scope_queryset(Permit.objects.select_related("project"), self.request.user)
        if self.action not in READ_ACTIONS:
            permits = self._acting(permits)
        try:
            permit_id = int(self.kwargs["permit_id"])
        except (KeyError, ValueError) as exc:
            raise Http404 from exc
        return get_scoped_or_404(permits, self.request.user, pk=permit_id)

    def base_queryset(self) -> models.QuerySet[WorkerPass]:
        if getattr(self, "swagger_fake_view", False):
            return WorkerPass.objects.none()
        return pass_rows().filter(permit=self.permit)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        permit = self.permit  # a permit out of scope is a 404 before any field error
        data = self._input(WorkerPassCreateSerializer)
        with service_errors(InvalidTransition):
            worker_pass = services.pass_issue(
                permit=permit,
                worker_name=data["worker_name"],
                id_number=data["id_number"],
                signed_by=data["signed_by"],
                signer_name=data["signer_name"],
                receipt_no=data["receipt_no"],
                by=_user(request),
            )
        return self._fresh(worker_pass, status.HTTP_201_CREATED)

    @action_schema(None, "退证：过期 3 天内退还保证金，否则没收（DEC-06）", WorkerPassSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(
        self, request: Request, permit_id: str | None = None, pk: str | None = None
    ) -> Response:
        worker_pass = self.get_object()
        with service_errors(InvalidTransition):
            services.pass_return(worker_pass=worker_pass, by=_user(request))
        return self._fresh(worker_pass)

    @action_schema(NoteSerializer, "登记出入证遗失，保证金没收（DEC-06）", WorkerPassSerializer)
    @action(detail=True, methods=["post"])
    def lost(
        self, request: Request, permit_id: str | None = None, pk: str | None = None
    ) -> Response:
        worker_pass = self.get_object()
        data = self._input(NoteSerializer)
        with service_errors(InvalidTransition):
            services.pass_report_lost(worker_pass=worker_pass, note=data["note"], by=_user(request))
        return self._fresh(worker_pass)

    @action_schema(
        None, "出入证续期至延期后的完工期限（过期 3 天内，DEC-06）", WorkerPassSerializer
    )
    @action(detail=True, methods=["post"])
    def renew(
        self, request: Request, permit_id: str | None = None, pk: str | None = None
    ) -> Response:
        worker_pass = self.get_object()
        with service_errors(InvalidTransition):
            services.pass_renew(worker_pass=worker_pass, by=_user(request))
        return self._fresh(worker_pass)


# --- decoration/hot-works/ --------------------------------------------------------------------

# Residents and contractors file hot work and other applications and read them (DEC-08, 09).
PARTY_REQUESTS = READ_ACTIONS | {"create"}


class _PermitChildFilter(django_filters.FilterSet):
    permit = IdFilter(field_name="permit_id", help_text="装修申请 id")


class HotWorkFilter(_PermitChildFilter):
    status = django_filters.ChoiceFilter(choices=HotWorkPermit.Status.choices)

    class Meta:
        model = HotWorkPermit
        fields = ["permit", "status"]


@extend_schema_view(
    list=extend_schema(summary="动火申请（员工按项目；业主、装修单位只见本户、本单位的）"),
    retrieve=extend_schema(summary="动火申请详情"),
    create=extend_schema(
        summary="事先申请动火，登记焊工证与现场安全措施（DEC-08）",
        request=HotWorkCreateSerializer,
        responses={201: HotWorkSerializer, **_CREATE_ERRORS},
    ),
)
class HotWorkViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _DecorationViewSet[HotWorkPermit],
):
    """动火证 (DEC-08): requested in advance, approved before the window, closed after."""

    serializer_class = HotWorkSerializer
    permission_classes = [IsAuthenticated, parties_may(PARTY_REQUESTS, PARTY_REQUESTS)]
    filterset_class = HotWorkFilter

    def base_queryset(self) -> models.QuerySet[HotWorkPermit]:
        return HotWorkPermit.objects.annotate(
            permit_number=F("permit__number"),
            requested_by_staff=_staff("requested_by"),
            decided_by_staff=_staff("decided_by"),
            closed_by_staff=_staff("closed_by"),
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(HotWorkCreateSerializer)
        permit = self._permit(data["permit"])
        with service_errors(InvalidTransition):
            hot = services.hot_work_request(
                permit=permit,
                work_kind=data["work_kind"],
                location=data["location"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                welder_name=data["welder_name"],
                welder_certificate_no=data["welder_certificate_no"],
                welder_certificate_valid_until=data["welder_certificate_valid_until"],
                guardian_name=data["guardian_name"],
                extinguishers_ready=data["extinguishers_ready"],
                combustibles_cleared=data["combustibles_cleared"],
                by=_user(request),
            )
        return self._fresh(hot, status.HTTP_201_CREATED)

    @action_schema(
        NoteSerializer, "批准动火（工程部、经理；事先、清单齐全；非申请人本人）", HotWorkSerializer
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(approve=True)

    @action_schema(NoteSerializer, "驳回动火申请，须写明理由", HotWorkSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(approve=False)

    def _decide(self, *, approve: bool) -> Response:
        hot = self.get_object()
        data = self._input(NoteSerializer)
        with service_errors(InvalidTransition):
            services.hot_work_decide(
                hot_work=hot, approve=approve, note=data["note"], by=_user(self.request)
            )
        return self._fresh(hot)

    @action_schema(NoteSerializer, "动火结束，登记清场", HotWorkSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        hot = self.get_object()
        data = self._input(NoteSerializer)
        with service_errors(InvalidTransition):
            services.hot_work_close(hot_work=hot, note=data["note"], by=_user(request))
        return self._fresh(hot)


# --- decoration/applications/ -----------------------------------------------------------------


class ApplicationFilter(_PermitChildFilter):
    status = django_filters.ChoiceFilter(choices=Application.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Application.Kind.choices)

    class Meta:
        model = Application
        fields = ["permit", "status", "kind"]


@extend_schema_view(
    list=extend_schema(summary="装修其他申请（加班、临时用电、出门条等，DEC-09）"),
    retrieve=extend_schema(summary="申请详情"),
    create=extend_schema(
        summary="提交申请（DEC-09；每日工具登记无需审批）",
        request=ApplicationCreateSerializer,
        responses={201: ApplicationSerializer, **_CREATE_ERRORS},
    ),
)
class ApplicationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _DecorationViewSet[Application],
):
    """Overtime, temporary power, flammable materials, concealed work, paint, freight lift,
    goods exit and tool registration (DEC-09)."""

    serializer_class = ApplicationSerializer
    permission_classes = [IsAuthenticated, parties_may(PARTY_REQUESTS, PARTY_REQUESTS)]
    filterset_class = ApplicationFilter

    def base_queryset(self) -> models.QuerySet[Application]:
        return Application.objects.annotate(
            permit_number=F("permit__number"),
            requested_by_staff=_staff("requested_by"),
            decided_by_staff=_staff("decided_by"),
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(ApplicationCreateSerializer)
        permit = self._permit(data["permit"])
        with service_errors(InvalidTransition):
            application = services.application_request(
                permit=permit,
                kind=data["kind"],
                details=data["details"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                by=_user(request),
            )
        return self._fresh(application, status.HTTP_201_CREATED)

    @action_schema(NoteSerializer, "批准申请（非申请人本人，ORG-04）", ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(approve=True)

    @action_schema(NoteSerializer, "驳回申请，须写明理由", ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(approve=False)

    def _decide(self, *, approve: bool) -> Response:
        application = self.get_object()
        data = self._input(NoteSerializer)
        with service_errors(InvalidTransition):
            services.application_decide(
                application=application, approve=approve, note=data["note"], by=_user(self.request)
            )
        return self._fresh(application)


# --- decoration/construction-notices/ ---------------------------------------------------------


class ConstructionNoticeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ConstructionNotice.Status.choices)
    permit = IdFilter(field_name="permit_id", help_text="装修申请 id")

    class Meta:
        model = ConstructionNotice
        fields = ["status", "permit"]


@extend_schema_view(
    list=extend_schema(summary="施工通告（员工）"),
    retrieve=extend_schema(summary="施工通告详情"),
    create=extend_schema(
        summary="拟定施工通告：影响其他业主的施工至少提前 3 个工作日通知（DEC-13）",
        request=ConstructionNoticeCreateSerializer,
        responses={201: ConstructionNoticeSerializer, **_CREATE_ERRORS},
    ),
)
class ConstructionNoticeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _DecorationViewSet[ConstructionNotice],
):
    """Notices to other owners, approved by an authorized person before issue (DEC-13).
    Staff only."""

    serializer_class = ConstructionNoticeSerializer
    permission_classes = [IsAuthenticated, parties_may(frozenset(), frozenset())]
    filterset_class = ConstructionNoticeFilter

    def base_queryset(self) -> models.QuerySet[ConstructionNotice]:
        return ConstructionNotice.objects.annotate(
            project_code=F("project__code"),
            drafted_by_staff=_staff("drafted_by"),
            approved_by_staff=_staff("approved_by"),
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(ConstructionNoticeCreateSerializer)
        permit = self._permit(data["permit"]) if data["permit"] is not None else None
        project = (
            permit.project if permit is not None and not data["project"] else None
        ) or self._project(data["project"])
        building = None
        if data["building"] is not None:
            building = Building.objects.filter(pk=data["building"], project=project).first()
            if building is None:
                raise DRFValidationError({"building": [_("楼栋不属于本项目。")]})
        with service_errors(InvalidTransition):
            notice = services.construction_notice_draft(
                project=project,
                title=data["title"],
                body=data["body"],
                work_starts_on=data["work_starts_on"],
                work_ends_on=data["work_ends_on"],
                permit=permit,
                building=building,
                by=_user(request),
            )
        return self._fresh(notice, status.HTTP_201_CREATED)

    @action_schema(
        None, "审核通过施工通告（主管、经理；非拟稿人本人，ORG-04）", ConstructionNoticeSerializer
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        notice = self.get_object()
        with service_errors(InvalidTransition):
            services.construction_notice_approve(notice=notice, by=_user(request))
        return self._fresh(notice)

    @action_schema(
        None, "发布已审核的通告，通知相关业主（仍须提前 3 个工作日）", ConstructionNoticeSerializer
    )
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str | None = None) -> Response:
        notice = self.get_object()
        with service_errors(InvalidTransition):
            services.construction_notice_issue(notice=notice, by=_user(request))
        return self._fresh(notice)

    @action_schema(ReasonSerializer, "撤回通告，须写明原因", ConstructionNoticeSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        notice = self.get_object()
        data = self._input(ReasonSerializer)
        with service_errors(InvalidTransition):
            services.construction_notice_withdraw(
                notice=notice, reason=data["reason"], by=_user(request)
            )
        return self._fresh(notice)


# --- decoration/inspections/ ------------------------------------------------------------------


class InspectionFilter(_PermitChildFilter):
    violation = django_filters.BooleanFilter()

    class Meta:
        model = Inspection
        fields = ["permit", "violation"]


@extend_schema_view(
    list=extend_schema(summary="二装巡视记录（员工按项目；业主、装修单位只见本户、本单位的）"),
    retrieve=extend_schema(summary="巡视记录详情"),
    create=extend_schema(
        summary="登记巡视（DEC-07、DEC-10）；照片用 multipart 字段 photos（可重复）",
        request={
            "application/json": InspectionCreateSerializer,
            "multipart/form-data": InspectionUploadSerializer,
        },
        responses={201: InspectionSerializer, **_CREATE_ERRORS},
    ),
)
class InspectionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _DecorationViewSet[Inspection],
):
    """二装巡视 (DEC-07, DEC-10). Staff record them; the parties read their own."""

    serializer_class = InspectionSerializer
    permission_classes = [IsAuthenticated, parties_may(READ_ACTIONS, READ_ACTIONS)]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_class = InspectionFilter

    def base_queryset(self) -> models.QuerySet[Inspection]:
        return Inspection.objects.annotate(
            permit_number=F("permit__number"), inspector_staff=_staff("inspector")
        ).prefetch_related(
            Prefetch("photos", queryset=InspectionPhoto.objects.order_by("uploaded_at", "id"))
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(InspectionCreateSerializer)
        if set(request.FILES) - {"photos"}:
            raise DRFValidationError({"photos": [_("照片须以 photos 字段上传。")]})
        permit = self._permit(data["permit"])
        with service_errors(InvalidTransition):
            inspection = services.inspection_record(
                permit=permit,
                extinguishers_found=data["extinguishers_found"],
                findings=data["findings"],
                passes_worn=data["passes_worn"],
                violation=data["violation"],
                photos=request.FILES.getlist("photos"),
                by=_user(request),
            )
        return self._fresh(inspection, status.HTTP_201_CREATED)


# --- decoration/rectification-notices/ ------------------------------------------------------


class RectificationNoticeFilter(_PermitChildFilter):
    status = django_filters.ChoiceFilter(choices=RectificationNotice.Status.choices)

    class Meta:
        model = RectificationNotice
        fields = ["permit", "status"]


@extend_schema_view(
    list=extend_schema(summary="整改通知单（员工按项目；业主、装修单位只见本户、本单位的）"),
    retrieve=extend_schema(summary="整改通知单详情"),
    create=extend_schema(
        summary="开具整改通知单，限期整改（DEC-10）",
        request=RectificationNoticeCreateSerializer,
        responses={201: RectificationNoticeSerializer, **_CREATE_ERRORS},
    ),
)
class RectificationNoticeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _DecorationViewSet[RectificationNotice],
):
    """整改通知单 (DEC-10), tracked until the correction is verified."""

    serializer_class = RectificationNoticeSerializer
    permission_classes = [IsAuthenticated, parties_may(READ_ACTIONS, READ_ACTIONS)]
    filterset_class = RectificationNoticeFilter

    def base_queryset(self) -> models.QuerySet[RectificationNotice]:
        return RectificationNotice.objects.annotate(
            permit_number=F("permit__number"),
            issued_by_staff=_staff("issued_by"),
            verified_by_staff=_staff("verified_by"),
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(RectificationNoticeCreateSerializer)
        permit = self._permit(data["permit"])
        inspection = None
        if data["inspection"] is not None:
            inspection = Inspection.objects.filter(pk=data["inspection"], permit=permit).first()
            if inspection is None:
                raise DRFValidationError({"inspection": [_("巡视记录不属于该装修。")]})
        with service_errors(InvalidTransition):
            notice = services.notice_issue(
                permit=permit,
                items=data["items"],
                due_at=data["due_at"],
                inspection=inspection,
                by=_user(request),
            )
        return self._fresh(notice, status.HTTP_201_CREATED)

    @action_schema(NoteSerializer, "复查整改完成（DEC-10）", RectificationNoticeSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        notice = self.get_object()
        data = self._input(NoteSerializer)
        with service_errors(InvalidTransition):
            services.notice_verify(notice=notice, note=data["note"], by=_user(request))
        return self._fresh(notice)


__all__ = [
    "ApplicationViewSet",
    "ConstructionNoticeViewSet",
    "HotWorkViewSet",
    "InspectionViewSet",
    "PermitViewSet",
    "RectificationNoticeViewSet",
    "WorkerPassViewSet",
]
