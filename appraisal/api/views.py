"""``appraisal/`` (API.md): checks and appraisals, the year-end composite, the
criteria, service-data suggestions and training results (APR-01..09).

Visibility is APR-07's, not the project scope: every record is read through
``services.visible_assessments`` / ``services.visible_staff`` (staff see their
own, managers and supervisors their department, the general manager all), so a
record outside it is a 404. Every write goes through one service of
``appraisal.services``: its ``PermissionDenied`` is a 403, ``InvalidTransition``
a 409 and a ``ValidationError`` a 400 naming the field. Staff only: residents
and contractors get 403.
"""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import F, Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appraisal import services
from appraisal.api.serializers import (
    AnnualSerializer,
    AssessmentAcknowledgeSerializer,
    AssessmentCreateSerializer,
    AssessmentPenaltyInputSerializer,
    AssessmentReopenSerializer,
    AssessmentSerializer,
    AssessmentUpdateSerializer,
    CriteriaSetSerializer,
    SuggestionDecideSerializer,
    SuggestionRefreshSerializer,
    SuggestionSerializer,
    TrainingCreateSerializer,
    TrainingResultSerializer,
    annual_data,
)
from appraisal.models import (
    Assessment,
    AssessmentContent,
    CriteriaSet,
    Deduction,
    Kind,
    Penalty,
    StaffLevel,
    Suggestion,
    TrainingResult,
)
from servicedesk.api.base import IsStaffMember, action_schema, service_errors
from servicedesk.api.filters import IdFilter
from servicedesk.core.models import Role
from servicedesk.core.scoping import viewer_for

STAFF_ONLY = [IsAuthenticated, IsStaffMember]


def _user(request: Request) -> User:
    """The caller (authenticated: every view here requires it)."""
    return cast(User, request.user)


def _input(view: Any, serializer_class: type[Any], *, partial: bool = False) -> dict[str, Any]:
    serializer = serializer_class(
        data=view.request.data, partial=partial, context=view.get_serializer_context()
    )
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- Checks and appraisals ------------------------------------------------------------------


class AssessmentFilter(django_filters.FilterSet):
    staff = IdFilter(field_name="staff_id", help_text="被考核人（员工 id）")
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    period = django_filters.DateFilter(field_name="period", help_text="考核期间，精确匹配")
    period_after = django_filters.DateFilter(
        field_name="period", lookup_expr="gte", help_text="考核期间起（含）"
    )
    period_before = django_filters.DateFilter(
        field_name="period", lookup_expr="lte", help_text="考核期间止（含）"
    )
    status = django_filters.ChoiceFilter(choices=Assessment.Status.choices)
    department = django_filters.CharFilter(
        field_name="department__code", help_text="部门代码（考核时的部门，同 staff/）"
    )

    class Meta:
        model = Assessment
        fields = ["staff", "kind", "period", "status", "department"]


def _deduction_inputs(rows: list[dict[str, Any]]) -> list[services.DeductionInput]:
    return [
        services.DeductionInput(
            item=row["item"].strip(),
            points=row["points"],
            reason=row["reason"].strip(),
            standard=row.get("standard", "").strip(),
            is_other=bool(row["is_other"]),
            suggestion_id=row.get("suggestion"),
        )
        for row in rows
    ]


def _current_deductions(assessment: Assessment) -> list[services.DeductionInput]:
    """The draft's deductions as they are (PATCH without ``deductions`` keeps them)."""
    return [
        services.DeductionInput(
            item=d.item.code,
            points=d.points,
            reason=d.reason,
            standard=d.standard,
            is_other=d.is_other,
            suggestion_id=d.suggestion_id,
        )
        for d in assessment.deductions.select_related("item")
    ]


def _action(request: Any, summary: str) -> Any:
    return action_schema(request, summary, AssessmentSerializer)


_WRITE_ANSWERS = {
    400: OpenApiResponse(description="字段错误（如 deductions、bonus、bonus_reason、period）"),
    403: OpenApiResponse(description="无权考核该员工（APR-07），或非员工"),
}


@extend_schema_view(
    list=extend_schema(
        summary="考核记录列表（本人只见自己的；经理、主管见本部门；总经理见全部，APR-07）"
    ),
    retrieve=extend_schema(summary="考核记录详情（含每项扣分原因及依据标准，APR-07 公开）"),
    create=extend_schema(
        summary="新建周检/月检/抽检/月考核/年终考核（按扣分计分 APR-02；默认同时定稿）",
        request=AssessmentCreateSerializer,
        responses={201: AssessmentSerializer, **_WRITE_ANSWERS},
    ),
    update=extend_schema(
        summary="修改草稿：替换扣分、嘉奖加分和评语（已定稿为 409）",
        request=AssessmentUpdateSerializer,
        responses={
            200: AssessmentSerializer,
            **_WRITE_ANSWERS,
            409: OpenApiResponse(description="已定稿"),
        },
    ),
    partial_update=extend_schema(
        summary="修改草稿（未送的字段保持不变；已定稿为 409）",
        request=AssessmentUpdateSerializer,
        responses={
            200: AssessmentSerializer,
            **_WRITE_ANSWERS,
            409: OpenApiResponse(description="已定稿"),
        },
    ),
)
class AssessmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Assessment],
):
    """Checks (周检、月检、抽检) and appraisals (月考核、年终考核), APR-02..07."""

    serializer_class = AssessmentSerializer
    permission_classes = STAFF_ONLY
    filterset_class = AssessmentFilter
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self) -> models.QuerySet[Assessment]:
        # APR-07, not the project scope: outside it a record is a 404. Three queries
        # for any page: the rows (with their joins), deductions, penalties.
        return (
            services.visible_assessments(self.request.user)
            .select_related("staff", "department", "criteria_set")
            .annotate(
                assessor_staff=F("assessor__staff_profile__id"),
                assessor_name=F("assessor__staff_profile__name"),
            )
            .prefetch_related(
                Prefetch("deductions", queryset=Deduction.objects.select_related("item")),
                Prefetch(
                    "penalties",
                    queryset=Penalty.objects.annotate(
                        recorded_by_staff=F("recorded_by__staff_profile__id")
                    ),
                ),
            )
        )

    def _fresh(self, assessment: Assessment, code: int = status.HTTP_200_OK) -> Response:
        row = self.get_queryset().get(pk=assessment.pk)
        return Response(self.get_serializer(row).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _input(self, AssessmentCreateSerializer)
        user = _user(request)
        # One transaction: a refused save or finalise leaves no empty draft behind.
        with service_errors(services.InvalidTransition), transaction.atomic():
            assessment = services.assessment_create(
                staff=data["staff"],
                kind=data["kind"],
                period=data["period"],
                test_type=data["test_type"],
                by=user,
            )
            assessment = services.assessment_save(
                assessment=assessment,
                deductions=_deduction_inputs(data["deductions"]),
                bonus=data["bonus"],
                bonus_reason=data["bonus_reason"],
                comment=data["comment"],
                by=user,
            )
            if data["finalise"]:
                assessment = services.assessment_finalise(assessment=assessment, by=user)
        return self._fresh(assessment, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = bool(kwargs.get("partial", False))
        assessment = self.get_object()  # 404 outside APR-07's visibility
        data = _input(self, AssessmentUpdateSerializer, partial=partial)
        user = _user(request)
        with service_errors(services.InvalidTransition), transaction.atomic():
            if "deductions" in data:
                deductions = _deduction_inputs(data["deductions"])
            else:
                deductions = _current_deductions(assessment)
            assessment = services.assessment_save(
                assessment=assessment,
                deductions=deductions,
                bonus=data.get("bonus", assessment.bonus),
                bonus_reason=data.get("bonus_reason", assessment.bonus_reason),
                comment=data.get("comment", assessment.comment),
                by=user,
            )
            if data.get("finalise"):
                assessment = services.assessment_finalise(assessment=assessment, by=user)
        return self._fresh(assessment)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @_action(None, "定稿：分数冻结并向本人公开（APR-07）")
    @action(detail=True, methods=["post"])
    def finalise(self, request: Request, pk: str | None = None) -> Response:
        assessment = self.get_object()
        with service_errors(services.InvalidTransition):
            services.assessment_finalise(assessment=assessment, by=_user(request))
        return self._fresh(assessment)

    @_action(AssessmentReopenSerializer, "退回更正：回到草稿，须说明原因")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        assessment = self.get_object()
        data = _input(self, AssessmentReopenSerializer)
        with service_errors(services.InvalidTransition):
            services.assessment_reopen(
                assessment=assessment, by=_user(request), reason=data["reason"]
            )
        return self._fresh(assessment)

    @_action(AssessmentAcknowledgeSerializer, "本人确认已阅分数和每项扣分原因（仅被考核人本人）")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        assessment = self.get_object()
        data = _input(self, AssessmentAcknowledgeSerializer)
        with service_errors(services.InvalidTransition):
            services.assessment_acknowledge(
                assessment=assessment, by=_user(request), comment=data["comment"]
            )
        return self._fresh(assessment)

    @_action(AssessmentPenaltyInputSerializer, "追加行政处罚（先在表中扣分，APR-06；仅草稿）")
    @action(detail=True, methods=["post"])
    def penalty(self, request: Request, pk: str | None = None) -> Response:
        assessment = self.get_object()
        data = _input(self, AssessmentPenaltyInputSerializer)
        with service_errors(services.InvalidTransition):
            services.penalty_add(
                assessment=assessment,
                measure=data["measure"],
                description=data["description"],
                by=_user(request),
            )
        return self._fresh(assessment)


# --- Year-end composite -------------------------------------------------------------------


class AnnualView(APIView):
    """``GET appraisal/annual/<staff_id>/<year>/`` (APR-04, APR-05)."""

    permission_classes = STAFF_ONLY

    @extend_schema(
        summary="年度综合分与优秀员工标记（APR-04、APR-05；仅计已定稿记录）",
        responses={
            200: AnnualSerializer,
            403: OpenApiResponse(description="非员工"),
            404: OpenApiResponse(description="无权查看该员工（APR-07）"),
        },
    )
    def get(self, request: Request, staff_id: int, year: int) -> Response:
        staff = get_object_or_404(services.visible_staff(request.user), pk=staff_id)
        result, records = services.annual(staff, year)
        return Response(AnnualSerializer(annual_data(staff, year, result, records)).data)


# --- Criteria ---------------------------------------------------------------------------


class CriteriaSetFilter(django_filters.FilterSet):
    staff_level = django_filters.ChoiceFilter(choices=StaffLevel.choices)
    test_type = django_filters.ChoiceFilter(choices=AssessmentContent.choices)
    status = django_filters.ChoiceFilter(choices=CriteriaSet.Status.choices)

    class Meta:
        model = CriteriaSet
        fields = ["staff_level", "test_type", "status"]


@extend_schema_view(
    list=extend_schema(
        summary="考核标准各版本（含维度、项目和检查标准；全体员工可查，APR-07 公开）"
    ),
    retrieve=extend_schema(summary="考核标准详情"),
)
class CriteriaSetViewSet(viewsets.ReadOnlyModelViewSet[CriteriaSet]):
    """The 《员工绩效考核标准》 versions (APR-01, APR-03). Edited in the admin by quality."""

    serializer_class = CriteriaSetSerializer
    permission_classes = STAFF_ONLY
    filterset_class = CriteriaSetFilter
    ordering_fields = ["id"]
    ordering = ["-id"]
    queryset = CriteriaSet.objects.prefetch_related("dimensions__items")


# --- Suggestions from service data -----------------------------------------------------------


class SuggestionFilter(django_filters.FilterSet):
    staff = IdFilter(field_name="staff_id", help_text="员工 id")
    month = django_filters.DateFilter(field_name="month", help_text="月份（当月 1 日）")
    status = django_filters.ChoiceFilter(choices=Suggestion.Status.choices)

    class Meta:
        model = Suggestion
        fields = ["staff", "month", "status"]


@extend_schema_view(
    list=extend_schema(summary="服务数据扣分建议（只含可查看的员工，APR-07）"),
    retrieve=extend_schema(summary="服务数据扣分建议详情"),
)
class SuggestionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Suggestion],
):
    """Deductions offered from the month's service data (CMP-22 → 绩), decided by the manager."""

    serializer_class = SuggestionSerializer
    permission_classes = STAFF_ONLY
    filterset_class = SuggestionFilter
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self) -> models.QuerySet[Suggestion]:
        return (
            Suggestion.objects.filter(staff__in=services.visible_staff(self.request.user))
            .select_related("staff")
            .annotate(decided_by_staff=F("decided_by__staff_profile__id"))
        )

    @action_schema(
        SuggestionDecideSerializer,
        "采纳（计入同一人的草稿考核记录）或不采纳，须说明理由",
        SuggestionSerializer,
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        suggestion = self.get_object()
        data = _input(self, SuggestionDecideSerializer)
        assessment = (
            services.visible_assessments(request.user).filter(pk=data["assessment"]).first()
        )
        if assessment is None:  # the same 400 whether it does not exist or is not visible
            raise DRFValidationError({"assessment": [_("考核记录不存在或不在您的范围内。")]})
        with service_errors(services.InvalidTransition):
            services.suggestion_decide(
                suggestion=suggestion,
                assessment=assessment,
                accept=data["accept"],
                reason=data["reason"],
                by=_user(request),
            )
        row = self.get_queryset().get(pk=suggestion.pk)
        return Response(self.get_serializer(row).data)

    @extend_schema(
        summary="按当月服务数据生成扣分建议（经理、总经理；范围为可查看的员工，不含本人）",
        request=SuggestionRefreshSerializer,
        responses={
            200: SuggestionSerializer(many=True),
            400: OpenApiResponse(description="字段错误"),
            403: OpenApiResponse(description="仅限经理、总经理"),
        },
    )
    # Not paginated: the answer is the month's new suggestions (pagination_class=None
    # also keeps the schema from documenting a page object).
    @action(detail=False, methods=["post"], pagination_class=None)
    def refresh(self, request: Request) -> Response:
        viewer = viewer_for(request.user)
        if not (viewer.is_superuser or viewer.has_role(Role.MANAGER, Role.GENERAL_MANAGER)):
            raise PermissionDenied(_("只有经理或总经理可以生成服务数据建议。"))
        data = _input(self, SuggestionRefreshSerializer)
        staff = services.visible_staff(request.user).exclude(user=_user(request))
        with service_errors(services.InvalidTransition):
            offered = services.suggestions_refresh(staff=staff, month=data["month"])
        rows = self.get_queryset().filter(pk__in=[s.pk for s in offered]).order_by("staff", "id")
        return Response(self.get_serializer(rows, many=True).data)


# --- Training (APR-09) ------------------------------------------------------------------


class TrainingFilter(django_filters.FilterSet):
    staff = IdFilter(field_name="staff_id", help_text="员工 id")
    stage = django_filters.ChoiceFilter(choices=TrainingResult.Stage.choices)
    passed = django_filters.BooleanFilter()

    class Meta:
        model = TrainingResult
        fields = ["staff", "stage", "passed"]


@extend_schema_view(
    list=extend_schema(summary="入职/上岗培训考核结果（只含可查看的员工，APR-09）"),
    create=extend_schema(
        summary="登记培训考核结果（主管、经理、总经理；限可查看的员工）",
        request=TrainingCreateSerializer,
        responses={
            201: TrainingResultSerializer,
            400: OpenApiResponse(description="字段错误"),
            403: OpenApiResponse(description="角色无权登记，或员工不在范围内"),
        },
    ),
)
class TrainingResultViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[TrainingResult],
):
    """Induction and on-post training results before formal appointment (APR-09)."""

    serializer_class = TrainingResultSerializer
    permission_classes = STAFF_ONLY
    filterset_class = TrainingFilter
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self) -> models.QuerySet[TrainingResult]:
        return (
            TrainingResult.objects.filter(staff__in=services.visible_staff(self.request.user))
            .select_related("staff")
            .annotate(examiner_staff=F("examiner__staff_profile__id"))
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _input(self, TrainingCreateSerializer)
        staff = data["staff"]
        if not services.visible_staff(request.user).filter(pk=staff.pk).exists():
            # The services check the role only; records stay within APR-07's visibility.
            raise PermissionDenied(_("只能登记您可查看的员工的培训考核结果。"))
        with service_errors(services.InvalidTransition):
            result = services.training_record(
                staff=staff,
                stage=data["stage"],
                test_type=data["test_type"],
                score=data["score"],
                passed=data["passed"],
                taken_on=data["taken_on"],
                note=data["note"],
                by=_user(request),
            )
        row = self.get_queryset().get(pk=result.pk)
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)


__all__ = [
    "AnnualView",
    "AssessmentViewSet",
    "CriteriaSetViewSet",
    "SuggestionViewSet",
    "TrainingResultViewSet",
]
