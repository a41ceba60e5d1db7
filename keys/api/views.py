"""Key custody API (API.md ``keys/``, ``key-loans/`` and the other ``key-*`` resources;
KEY-01..10, ORG-04).

Every write goes through one service of ``keys.services``: ``InvalidTransition``
becomes 409, a Django ``ValidationError`` a 400 with field errors, and
``PermissionDenied`` (a role that may not act, or approving one's own request,
ORG-04's ``SelfApprovalError``) a 403. Every queryset is scoped with
``scope_queryset``: a record outside the caller's projects is a 404. A resident
reads the keys, loans, entrustments and emergency uses of their own unit(s) and
confirms their own entrustment; nothing else (ORG-02). Lists cost a fixed number
of queries whatever their length (annotations, ``select_related``, prefetches).
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import django_filters
from django.contrib.auth.models import User
from django.db import models
from django.db.models import F, Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from keys import selectors, services
from keys.api.serializers import (
    KeyCopyRequestCreateSerializer,
    KeyCopyRequestSerializer,
    KeyCreateSerializer,
    KeyEmergencyAttemptSerializer,
    KeyEmergencyCloseSerializer,
    KeyEmergencyEnterSerializer,
    KeyEmergencyOpenSerializer,
    KeyEmergencySerializer,
    KeyEntrustmentConfirmSerializer,
    KeyEntrustmentCreateSerializer,
    KeyEntrustmentRevokeSerializer,
    KeyEntrustmentSerializer,
    KeyHandoverCreateSerializer,
    KeyHandoverSerializer,
    KeyHandoverSignSerializer,
    KeyIncidentSerializer,
    KeyLoanApproveSerializer,
    KeyLoanCancelSerializer,
    KeyLoanCreateSerializer,
    KeyLoanRejectSerializer,
    KeyLoanReturnSerializer,
    KeyLoanSerializer,
    KeyLockChangeCreateSerializer,
    KeyLockChangeSealSerializer,
    KeyLockChangeSerializer,
    KeyReportCreateSerializer,
    KeyReportSerializer,
    KeyReviewSerializer,
    KeySerializer,
    KeyUnsealSerializer,
)
from keys.models import (
    ContactAttempt,
    CopyRequest,
    EmergencyUse,
    Entrustment,
    Handover,
    Key,
    Loan,
    LockChange,
    MonthlyReport,
)
from keys.services import InvalidTransition
from servicedesk.api.base import (
    ActingViewSetMixin,
    IsStaffMember,
    action_schema,
    service_errors,
    staff_or_resident,
)
from servicedesk.api.filters import IdFilter
from servicedesk.core.models import Resident, StaffProfile, Unit
from servicedesk.core.scoping import scope_queryset, viewer_for

M = TypeVar("M", bound=models.Model)
R = TypeVar("R", bound=models.Model)

READ_ACTIONS = frozenset({"list", "retrieve"})
# A resident reads their own unit's records (ORG-02) and confirms their own entrustment.
ResidentReader = staff_or_resident(READ_ACTIONS)
ResidentReaderOrConfirmer = staff_or_resident(READ_ACTIONS | {"confirm"})

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


def _name(path: str) -> F:
    return F(f"{path}__staff_profile__name")


# --- Rows with what the serializers read (one query each, whatever the count) ---------------


def key_rows() -> models.QuerySet[Key]:
    """Keys with their project code, unit number, custodian and the loan now out."""
    return selectors.with_current_loan(
        Key.objects.select_related("project").annotate(
            project_code=F("project__code"),
            unit_number=F("unit__number"),
            custodian_staff=_staff("custodian"),
            custodian_name=_name("custodian"),
        )
    )


def loan_rows() -> models.QuerySet[Loan]:
    return Loan.objects.annotate(
        project_code=F("project__code"),
        key_tag=F("key__tag"),
        requested_by_staff=_staff("requested_by"),
        requested_by_name=_name("requested_by"),
        approved_by_staff=_staff("approved_by"),
        approved_by_name=_name("approved_by"),
        out_by_staff=_staff("out_by"),
        received_by_staff=_staff("received_by"),
    )


def emergency_rows() -> models.QuerySet[EmergencyUse]:
    """Emergency uses with their contact attempts (one more query for all of them)."""
    return (
        EmergencyUse.objects.select_related("project")
        .annotate(
            project_code=F("project__code"),
            key_tag=F("key__tag"),
            key_unit=F("key__unit_id"),
            opened_by_staff=_staff("opened_by"),
            reviewed_by_staff=_staff("reviewed_by"),
        )
        .prefetch_related(
            Prefetch(
                "attempts",
                queryset=ContactAttempt.objects.annotate(by_staff=_staff("by")).order_by(
                    "at", "pk"
                ),
            )
        )
    )


def copy_request_rows() -> models.QuerySet[CopyRequest]:
    return CopyRequest.objects.annotate(
        requested_by_staff=_staff("requested_by"), decided_by_staff=_staff("decided_by")
    )


# --- The common base -----------------------------------------------------------------------


class _KeysViewSet(ActingViewSetMixin[M], viewsets.GenericViewSet[M]):
    """Scoped rows, cursor pages by id, the read serializer for every answer."""

    ordering_fields = ["id"]
    ordering = ["-id"]

    # -- looking up what a request names, inside the caller's own projects ------------------

    def _pick(self, queryset: models.QuerySet[R], pk: int, *, project_path: str, field: str) -> R:
        """Return the row ``pk`` among the caller's projects' rows, or a 400 naming
        ``field`` (a row elsewhere gets the same answer as a missing one)."""
        viewer = viewer_for(self.request.user)
        if not viewer.all_projects:
            queryset = queryset.filter(**{f"{project_path}__in": viewer.project_ids})
        row = queryset.filter(pk=pk).first()
        if row is None:
            raise DRFValidationError({field: [_("所选记录不存在或不在您的范围内。")]})
        return row


def _action_schema(request: Any, summary: str, response: Any) -> Any:
    return action_schema(request, summary, response)


# --- keys/ -----------------------------------------------------------------------------------


class KeyFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Key.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Key.Kind.choices)
    unit = IdFilter(field_name="unit_id", help_text="房屋 id")
    search = django_filters.CharFilter(
        method="filter_search", help_text="房号（精确）、牌号（前缀）或开启部位（包含）"
    )

    class Meta:
        model = Key
        fields = ["status", "kind", "unit"]

    def filter_search(
        self, queryset: models.QuerySet[Key], name: str, value: str
    ) -> models.QuerySet[Key]:
        return selectors.search_keys(queryset, value)


@extend_schema_view(
    list=extend_schema(summary="钥匙档案（员工按项目；业主/住户只见本户钥匙）"),
    retrieve=extend_schema(summary="钥匙详情（含借出中的借用）"),
    create=extend_schema(
        summary="登记钥匙（KEY-01；业户备用钥匙随委托书登记）",
        request=KeyCreateSerializer,
        responses={201: KeySerializer, **_CREATE_ERRORS},
    ),
)
class KeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _KeysViewSet[Key],
):
    """The key register (KEY-01) and what happens to a key: incidents (KEY-09),
    unsealing (KEY-08), emergency use (KEY-07) and copy requests (KEY-06)."""

    serializer_class = KeySerializer
    permission_classes = [IsAuthenticated, ResidentReader]
    filterset_class = KeyFilter

    def base_queryset(self) -> models.QuerySet[Key]:
        return key_rows()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(KeyCreateSerializer)
        unit = (
            self._pick(
                Unit.objects.select_related("project"),
                data["unit"],
                project_path="project",
                field="unit",
            )
            if data["unit"] is not None
            else None
        )
        project = unit.project if unit is not None and not data["project"] else None
        with service_errors(InvalidTransition):
            key = services.key_register(
                project=project or self._project(data["project"]),
                tag=data["tag"],
                kind=data["kind"],
                opens=data["opens"],
                unit=unit,
                cabinet_position=data["cabinet_position"],
                custodian_department=data["custodian_department"],
                note=data["note"],
                by=_user(request),
            )
        return self._fresh(key, status.HTTP_201_CREATED)

    @_action_schema(KeyIncidentSerializer, "登记损坏、遗失、找回或修复（KEY-09）", KeySerializer)
    @action(detail=True, methods=["post"])
    def incident(self, request: Request, pk: str | None = None) -> Response:
        key = self.get_object()
        data = self._input(KeyIncidentSerializer)
        with service_errors(InvalidTransition):
            services.incident_record(
                key=key, kind=data["kind"], note=data["note"], by=_user(request)
            )
        return self._fresh(key)

    @_action_schema(KeyUnsealSerializer, "启封钥匙，恢复使用（KEY-08）", KeySerializer)
    @action(detail=True, methods=["post"])
    def unseal(self, request: Request, pk: str | None = None) -> Response:
        key = self.get_object()
        data = self._input(KeyUnsealSerializer)
        with service_errors(InvalidTransition):
            services.key_unseal(key=key, reason=data["reason"], by=_user(request))
        return self._fresh(key)

    @_action_schema(
        KeyEmergencyOpenSerializer,
        "紧急动用钥匙（KEY-07），无需事先审批；返回紧急动用记录",
        KeyEmergencySerializer,
    )
    @action(detail=True, methods=["post"])
    def emergency(self, request: Request, pk: str | None = None) -> Response:
        key = self.get_object()
        data = self._input(KeyEmergencyOpenSerializer)
        with service_errors(InvalidTransition):
            use = services.emergency_open(
                key=key, kind=data["kind"], reason=data["reason"], by=_user(request)
            )
        row = scope_queryset(emergency_rows(), request.user).get(pk=use.pk)
        return Response(KeyEmergencySerializer(row, context=self.get_serializer_context()).data)

    @_action_schema(
        KeyCopyRequestCreateSerializer,
        "申请配制钥匙，须经批准（KEY-06）；返回配制申请",
        KeyCopyRequestSerializer,
    )
    @action(detail=True, methods=["post"])
    def copy_request(self, request: Request, pk: str | None = None) -> Response:
        key = self.get_object()
        data = self._input(KeyCopyRequestCreateSerializer)
        with service_errors(InvalidTransition):
            made = services.copy_request(
                key=key, count=data["count"], reason=data["reason"], by=_user(request)
            )
        row = scope_queryset(copy_request_rows(), request.user).get(pk=made.pk)
        return Response(KeyCopyRequestSerializer(row, context=self.get_serializer_context()).data)


# --- key-loans/ -------------------------------------------------------------------------------


class KeyLoanFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Loan.Status.choices)
    key = IdFilter(field_name="key_id", help_text="钥匙 id")
    maintenance = django_filters.BooleanFilter()
    emergency = django_filters.BooleanFilter()

    class Meta:
        model = Loan
        fields = ["status", "key", "maintenance", "emergency"]


@extend_schema_view(
    list=extend_schema(summary="借用钥匙登记表（员工按项目；业主/住户只见本户钥匙的借用）"),
    retrieve=extend_schema(summary="借用详情"),
    create=extend_schema(
        summary="申请借用钥匙（KEY-03；一把钥匙同时只有一个借用 KEY-05）",
        request=KeyLoanCreateSerializer,
        responses={201: KeyLoanSerializer, **_CREATE_ERRORS},
    ),
)
class KeyLoanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _KeysViewSet[Loan],
):
    """Key loans (KEY-03, KEY-04, KEY-05): request → approve → checkout → return."""

    serializer_class = KeyLoanSerializer
    permission_classes = [IsAuthenticated, ResidentReader]
    filterset_class = KeyLoanFilter

    def base_queryset(self) -> models.QuerySet[Loan]:
        return loan_rows()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(KeyLoanCreateSerializer)
        key = self._pick(
            Key.objects.select_related("project", "entrustment"),
            data["key"],
            project_path="project",
            field="key",
        )
        with service_errors(InvalidTransition):
            loan = services.loan_request(
                key=key,
                purpose=data["purpose"],
                by=_user(request),
                borrower_name=data["borrower_name"],
                borrower_unit=data["borrower_unit"],
                borrower_phone=data["borrower_phone"],
                use=data["use"],
                maintenance=data["maintenance"],
                due_at=data["due_at"],
            )
        return self._fresh(loan, status.HTTP_201_CREATED)

    @_action_schema(
        KeyLoanApproveSerializer,
        "批准借用（主管、经理、物业总值；不能批准本人的申请 ORG-04）",
        KeyLoanSerializer,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        loan = self.get_object()
        data = self._input(KeyLoanApproveSerializer)
        with service_errors(InvalidTransition):
            services.loan_approve(loan=loan, note=data["note"], by=_user(request))
        return self._fresh(loan)

    @_action_schema(KeyLoanRejectSerializer, "驳回借用，须说明理由（KEY-03）", KeyLoanSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        loan = self.get_object()
        data = self._input(KeyLoanRejectSerializer)
        with service_errors(InvalidTransition):
            services.loan_reject(loan=loan, note=data["note"], by=_user(request))
        return self._fresh(loan)

    @_action_schema(None, "借出：已批准且钥匙在柜（KEY-03、KEY-04、KEY-05）", KeyLoanSerializer)
    @action(detail=True, methods=["post"])
    def checkout(self, request: Request, pk: str | None = None) -> Response:
        loan = self.get_object()
        with service_errors(InvalidTransition):
            services.loan_checkout(loan=loan, by=_user(request))
        return self._fresh(loan)

    @_action_schema(
        KeyLoanReturnSerializer, "归还钥匙；损坏或遗失须说明（KEY-09）", KeyLoanSerializer
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        loan = self.get_object()
        data = self._input(KeyLoanReturnSerializer)
        with service_errors(InvalidTransition):
            services.loan_return(
                loan=loan, condition=data["condition"], note=data["note"], by=_user(request)
            )
        return self._fresh(loan)

    @_action_schema(KeyLoanCancelSerializer, "取消未借出的申请", KeyLoanSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        loan = self.get_object()
        data = self._input(KeyLoanCancelSerializer)
        with service_errors(InvalidTransition):
            services.loan_cancel(loan=loan, reason=data["reason"], by=_user(request))
        return self._fresh(loan)


# --- key-entrustments/ ---------------------------------------------------------------------


class KeyEntrustmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Entrustment.Status.choices)
    unit = IdFilter(field_name="unit_id", help_text="房屋 id")

    class Meta:
        model = Entrustment
        fields = ["status", "unit"]


@extend_schema_view(
    list=extend_schema(summary="业户钥匙委托书（员工按项目；业主/住户只见本户的）"),
    retrieve=extend_schema(summary="委托书详情"),
    create=extend_schema(
        summary="登记委托书并登记其备用钥匙（KEY-01、KEY-02）",
        request=KeyEntrustmentCreateSerializer,
        responses={201: KeyEntrustmentSerializer, **_CREATE_ERRORS},
    ),
)
class KeyEntrustmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _KeysViewSet[Entrustment],
):
    """Owners' key entrustments (KEY-02)."""

    serializer_class = KeyEntrustmentSerializer
    permission_classes = [IsAuthenticated, ResidentReaderOrConfirmer]
    filterset_class = KeyEntrustmentFilter

    def base_queryset(self) -> models.QuerySet[Entrustment]:
        return (
            Entrustment.objects.select_related("project")
            .annotate(
                project_code=F("project__code"),
                unit_number=F("unit__number"),
                resident_name=F("resident__name"),
                created_by_staff=_staff("created_by"),
            )
            .prefetch_related(
                Prefetch("keys", queryset=Key.objects.only("id", "entrustment_id").order_by("id"))
            )
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(KeyEntrustmentCreateSerializer)
        resident = self._pick(
            Resident.objects.select_related("unit__project"),
            data["resident"],
            project_path="unit__project",
            field="resident",
        )
        with service_errors(InvalidTransition):
            entrustment = services.entrustment_create(
                resident=resident,
                allowed_uses=data["allowed_uses"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                key_tag=data["key_tag"],
                opens=data["opens"],
                cabinet_position=data["cabinet_position"],
                paper_signed=data["paper_signed"],
                note=data["note"],
                by=_user(request),
            )
        return self._fresh(entrustment, status.HTTP_201_CREATED)

    @_action_schema(
        KeyEntrustmentConfirmSerializer,
        "业主确认委托书：业主本人网上确认（portal），或员工登记纸质签字（paper）",
        KeyEntrustmentSerializer,
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        entrustment = self.get_object()
        data = self._input(KeyEntrustmentConfirmSerializer)
        method = data.get("method") or (
            Entrustment.Confirmation.PAPER
            if viewer_for(request.user).is_staff_member
            else Entrustment.Confirmation.PORTAL
        )
        with service_errors(InvalidTransition):
            services.entrustment_confirm(entrustment=entrustment, method=method, by=_user(request))
        return self._fresh(entrustment)

    @_action_schema(
        KeyEntrustmentRevokeSerializer, "撤销委托，钥匙退还业主（KEY-02）", KeyEntrustmentSerializer
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        entrustment = self.get_object()
        data = self._input(KeyEntrustmentRevokeSerializer)
        with service_errors(InvalidTransition):
            services.entrustment_revoke(
                entrustment=entrustment, reason=data["reason"], by=_user(request)
            )
        return self._fresh(entrustment)


# --- key-emergencies/ ------------------------------------------------------------------------


class KeyEmergencyFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=EmergencyUse.Status.choices)
    key = IdFilter(field_name="key_id", help_text="钥匙 id")

    class Meta:
        model = EmergencyUse
        fields = ["status", "key"]


@extend_schema_view(
    list=extend_schema(summary="紧急动用钥匙记录（员工按项目；业主/住户只见本户的）"),
    retrieve=extend_schema(summary="紧急动用详情（含联系记录）"),
)
class KeyEmergencyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, _KeysViewSet[EmergencyUse]
):
    """Emergency uses (KEY-07), opened with ``POST keys/<id>/emergency/``."""

    serializer_class = KeyEmergencySerializer
    permission_classes = [IsAuthenticated, ResidentReader]
    filterset_class = KeyEmergencyFilter

    def base_queryset(self) -> models.QuerySet[EmergencyUse]:
        return emergency_rows()

    @_action_schema(
        KeyEmergencyAttemptSerializer,
        "登记联系业主/租户、再联系紧急联系人（进入前，KEY-07）",
        KeyEmergencySerializer,
    )
    @action(detail=True, methods=["post"])
    def attempt(self, request: Request, pk: str | None = None) -> Response:
        use = self.get_object()
        data = self._input(KeyEmergencyAttemptSerializer)
        with service_errors(InvalidTransition):
            services.emergency_attempt(
                use=use,
                whom=data["whom"],
                name=data["name"],
                phone=data["phone"],
                method=data["method"],
                result=data["result"],
                note=data["note"],
                by=_user(request),
            )
        return self._fresh(use)

    @_action_schema(
        KeyEmergencyEnterSerializer, "登记进入及在场人（KEY-07）", KeyEmergencySerializer
    )
    @action(detail=True, methods=["post"])
    def enter(self, request: Request, pk: str | None = None) -> Response:
        use = self.get_object()
        data = self._input(KeyEmergencyEnterSerializer)
        with service_errors(InvalidTransition):
            services.emergency_enter(
                use=use,
                witness_name=data["witness_name"],
                second_witness_name=data["second_witness_name"],
                entered_at=data["entered_at"],
                by=_user(request),
            )
        return self._fresh(use)

    @_action_schema(
        KeyEmergencyCloseSerializer,
        "处置完毕：登记离开与结果，钥匙归还，告知业主（KEY-07）",
        KeyEmergencySerializer,
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        use = self.get_object()
        data = self._input(KeyEmergencyCloseSerializer)
        with service_errors(InvalidTransition):
            services.emergency_close(
                use=use, outcome=data["outcome"], exited_at=data["exited_at"], by=_user(request)
            )
        return self._fresh(use)

    @_action_schema(
        KeyReviewSerializer, "复核紧急动用（主管、经理；非动用人本人）", KeyEmergencySerializer
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        use = self.get_object()
        data = self._input(KeyReviewSerializer)
        with service_errors(InvalidTransition):
            services.emergency_review(use=use, note=data["note"], by=_user(request))
        return self._fresh(use)


# --- key-lock-changes/ ----------------------------------------------------------------------


class KeyLockChangeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LockChange.Status.choices)

    class Meta:
        model = LockChange
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(summary="更换锁芯记录（员工）"),
    retrieve=extend_schema(summary="更换锁芯详情"),
    create=extend_schema(
        summary="登记更换锁芯；新钥匙须在时限内封存（KEY-08）",
        request=KeyLockChangeCreateSerializer,
        responses={201: KeyLockChangeSerializer, **_CREATE_ERRORS},
    ),
)
class KeyLockChangeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _KeysViewSet[LockChange],
):
    """Lock-core changes and the sealing of the new key (KEY-08). Staff only."""

    serializer_class = KeyLockChangeSerializer
    permission_classes = [IsAuthenticated, IsStaffMember]
    filterset_class = KeyLockChangeFilter

    def base_queryset(self) -> models.QuerySet[LockChange]:
        return (
            LockChange.objects.select_related("project")
            .annotate(
                project_code=F("project__code"),
                new_key_tag=F("new_key__tag"),
                recorded_by_staff=_staff("recorded_by"),
                sealed_by_staff=_staff("sealed_by"),
            )
            .prefetch_related("departments_told")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(KeyLockChangeCreateSerializer)
        old_key = (
            self._pick(
                Key.objects.select_related("project"),
                data["old_key"],
                project_path="project",
                field="old_key",
            )
            if data["old_key"] is not None
            else None
        )
        project = old_key.project if old_key is not None and not data["project"] else None
        with service_errors(InvalidTransition):
            change = services.lock_change_record(
                project=project or self._project(data["project"]),
                location=data["location"],
                reason=data["reason"],
                new_tag=data["new_tag"],
                old_key=old_key,
                changed_at=data["changed_at"],
                cabinet_position=data["cabinet_position"],
                departments_told=data.get("departments_told", []),
                by=_user(request),
            )
        return self._fresh(change, status.HTTP_201_CREATED)

    @_action_schema(
        KeyLockChangeSealSerializer, "物业总值封存新钥匙（KEY-08）", KeyLockChangeSerializer
    )
    @action(detail=True, methods=["post"])
    def seal(self, request: Request, pk: str | None = None) -> Response:
        change = self.get_object()
        data = self._input(KeyLockChangeSealSerializer)
        with service_errors(InvalidTransition):
            services.lock_change_seal(
                change=change, seal_number=data["seal_number"], by=_user(request)
            )
        return self._fresh(change)


# --- key-handovers/ ----------------------------------------------------------------------------


class KeyHandoverFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Handover.Status.choices)

    class Meta:
        model = Handover
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(summary="钥匙交接班记录（员工）"),
    retrieve=extend_schema(summary="交接班详情（交班时借出与封存的钥匙）"),
    create=extend_schema(
        summary="交班：列出交接的钥匙与物品并签字（KEY-10）",
        request=KeyHandoverCreateSerializer,
        responses={201: KeyHandoverSerializer, **_CREATE_ERRORS},
    ),
)
class KeyHandoverViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _KeysViewSet[Handover],
):
    """Duty handovers of keys, checked face to face (KEY-10). Staff only."""

    serializer_class = KeyHandoverSerializer
    permission_classes = [IsAuthenticated, IsStaffMember]
    filterset_class = KeyHandoverFilter

    def base_queryset(self) -> models.QuerySet[Handover]:
        return Handover.objects.annotate(
            project_code=F("project__code"),
            handed_by_staff=_staff("handed_by"),
            taken_by_staff=_staff("taken_by"),
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(KeyHandoverCreateSerializer)
        # The incoming person, among the staff the caller may see (staff/).
        taker = (
            scope_queryset(StaffProfile.objects.select_related("user"), request.user)
            .filter(pk=data["taken_by"])
            .first()
        )
        if taker is None:
            raise DRFValidationError({"taken_by": [_("接班人不存在或不在您的范围内。")]})
        with service_errors(InvalidTransition):
            handover = services.handover_create(
                project=self._project(data["project"]),
                taken_by=taker.user,
                other_items=data["other_items"],
                discrepancies=data["discrepancies"],
                by=_user(request),
            )
        return self._fresh(handover, status.HTTP_201_CREATED)

    @_action_schema(
        KeyHandoverSignSerializer, "接班人本人核对确认（KEY-10）", KeyHandoverSerializer
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        handover = self.get_object()
        data = self._input(KeyHandoverSignSerializer)
        with service_errors(InvalidTransition):
            services.handover_sign(handover=handover, note=data["note"], by=_user(request))
        return self._fresh(handover)


# --- key-reports/ -------------------------------------------------------------------------------


class KeyReportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MonthlyReport.Status.choices)

    class Meta:
        model = MonthlyReport
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(summary="钥匙月报（员工）"),
    retrieve=extend_schema(summary="钥匙月报详情"),
    create=extend_schema(
        summary="报送已结束月份的钥匙月报（KEY-09）",
        request=KeyReportCreateSerializer,
        responses={201: KeyReportSerializer, **_CREATE_ERRORS},
    ),
)
class KeyReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    _KeysViewSet[MonthlyReport],
):
    """The monthly key report and the supervisor's review (KEY-09). Staff only."""

    serializer_class = KeyReportSerializer
    permission_classes = [IsAuthenticated, IsStaffMember]
    filterset_class = KeyReportFilter

    def base_queryset(self) -> models.QuerySet[MonthlyReport]:
        return MonthlyReport.objects.annotate(
            project_code=F("project__code"),
            submitted_by_staff=_staff("submitted_by"),
            reviewed_by_staff=_staff("reviewed_by"),
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(KeyReportCreateSerializer)
        with service_errors(InvalidTransition):
            report = services.report_submit(
                project=self._project(data["project"]),
                month=data["month"],
                note=data["note"],
                by=_user(request),
            )
        return self._fresh(report, status.HTTP_201_CREATED)

    @_action_schema(KeyReviewSerializer, "主管审核钥匙月报（KEY-09）", KeyReportSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        data = self._input(KeyReviewSerializer)
        with service_errors(InvalidTransition):
            services.report_review(report=report, note=data["note"], by=_user(request))
        return self._fresh(report)


__all__ = [
    "KeyEmergencyViewSet",
    "KeyEntrustmentViewSet",
    "KeyHandoverViewSet",
    "KeyLoanViewSet",
    "KeyLockChangeViewSet",
    "KeyReportViewSet",
    "KeyViewSet",
]
