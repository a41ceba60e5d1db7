"""``complaints/`` (API.md): filing, the scoped list, actions, monthly stats, the PDF.

Also photos (``POST complaints/<id>/photos/``, multipart field ``file``), survey
opinions (CMP-20: ``send_to_department``, ``opinion_plan``) and paid services
(CMP-21: ``payment_notice``).

Every write goes through one service of ``complaints.services``; ``InvalidTransition``
becomes 409 and a Django ``ValidationError`` a 400 with field errors.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
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
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import rules, selectors, services, uploads
from complaints.api.serializers import (
    CallbackSerializer,
    ComplaintCreateSerializer,
    ComplaintDetailSerializer,
    ComplaintPhotoSerializer,
    ComplaintPhotoUploadSerializer,
    ComplaintSerializer,
    ContactSerializer,
    ExtendSerializer,
    MergeSerializer,
    OpinionPlanSerializer,
    PaymentNoticeSerializer,
    RecategoriseSerializer,
    RectifySerializer,
    ReplySerializer,
    SendToDepartmentSerializer,
    StatsSerializer,
)
from complaints.models import Callback, Channel, Complaint
from servicedesk.api.base import action_schema, conflict_on, service_errors, staff_or_resident
from servicedesk.api.filters import IdFilter
from servicedesk.core.models import Resident, Unit
from servicedesk.core.scoping import Viewer, scope_queryset, viewer_for
from servicedesk.security.filing import FilingThrottled, filing_allowed

ONLINE = "online"


# --- Permissions ---------------------------------------------------------------------

# Actions a resident may take: list/retrieve/create, and confirming a callback online.
RESIDENT_ACTIONS = frozenset({"list", "retrieve", "create", "callback"})
StaffOrResident = staff_or_resident(RESIDENT_ACTIONS)


class PDFRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``; the action returns the bytes."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        # An error (403/404) asked for as ?format=pdf is JSON and says so.
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return JSONRenderer().render(data)


# --- Filters ---------------------------------------------------------------------------


def _local_midnight(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Complaint.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Complaint.Kind.choices)
    category = django_filters.CharFilter(field_name="category__code", help_text="类别代码")
    channel = django_filters.CharFilter(field_name="channel__code", help_text="渠道代码")
    severity = django_filters.ChoiceFilter(choices=Complaint.Severity.choices)
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="有未完成且已超时的时限"
    )
    building = django_filters.CharFilter(
        field_name="unit__building__code", help_text="楼栋号（房号前缀）"
    )
    unit = IdFilter(field_name="unit_id", help_text="房屋 id")
    received_from = django_filters.DateFilter(
        method="filter_received_from", help_text="受理日期起（含，本地日期）"
    )
    received_to = django_filters.DateFilter(
        method="filter_received_to", help_text="受理日期止（含，本地日期）"
    )
    mine = django_filters.BooleanFilter(method="filter_mine", help_text="我受理的（首问责任人）")

    class Meta:
        model = Complaint
        fields = ["status", "kind", "category", "channel", "severity", "building", "unit"]

    def filter_overdue(
        self, queryset: models.QuerySet[Complaint], name: str, value: bool
    ) -> models.QuerySet[Complaint]:
        condition = selectors.complaint_overdue_q(timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_received_from(
        self, queryset: models.QuerySet[Complaint], name: str, value: Any
    ) -> models.QuerySet[Complaint]:
        return queryset.filter(received_at__gte=_local_midnight(value))

    def filter_received_to(
        self, queryset: models.QuerySet[Complaint], name: str, value: Any
    ) -> models.QuerySet[Complaint]:
        return queryset.filter(received_at__lt=_local_midnight(value + timedelta(days=1)))

    def filter_mine(
        self, queryset: models.QuerySet[Complaint], name: str, value: bool
    ) -> models.QuerySet[Complaint]:
        pk = getattr(getattr(self.request, "user", None), "pk", None)
        return queryset.filter(received_by_id=pk) if value else queryset.exclude(received_by_id=pk)


# --- The viewset ----------------------------------------------------------------------------


def _action_schema(request: Any, summary: str) -> Any:
    return action_schema(request, summary, ComplaintSerializer)


@extend_schema_view(
    list=extend_schema(summary="投诉/报事/咨询列表（按调用者范围）"),
    retrieve=extend_schema(
        summary="投诉详情（另含责任部门、服务费与照片）", responses=ComplaintDetailSerializer
    ),
    create=extend_schema(
        summary="受理登记（员工代登记，或业主在线提交）",
        request=ComplaintCreateSerializer,
        responses={201: ComplaintSerializer},
    ),
)
class ComplaintViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Complaint],
):
    """Complaints, reports and consultations (CMP). Staff see their projects'
    records, residents their own units' (ORG-01, ORG-02); contractors get 403."""

    serializer_class = ComplaintSerializer
    permission_classes = [IsAuthenticated, StaffOrResident]
    filterset_class = ComplaintFilter
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self) -> models.QuerySet[Complaint]:
        # Both are scoped with scope_queryset: outside the caller's scope, a 404.
        if self.action == "retrieve":
            # One record: all its columns (department, fee) and its photos, 2 queries.
            return (
                selectors.complaint_list(self.request.user).defer(None).prefetch_related("photos")
            )
        if self.action == "list":
            return selectors.complaint_page(self.request.user)
        # Actions only need the row (services re-read it under a lock).
        return scope_queryset(Complaint.objects.all(), self.request.user)

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        if page is not None and self.action == "list":
            selectors.complaint_rows_fill(page)
        return page

    def get_serializer_class(self) -> type[Any]:
        if self.action == "retrieve":
            return ComplaintDetailSerializer
        return ComplaintSerializer

    def _fresh(self, complaint: Complaint) -> Response:
        """Return the updated complaint's representation (one query)."""
        row = selectors.complaint_list(self.request.user).get(pk=complaint.pk)
        return Response(ComplaintSerializer(row, context=self.get_serializer_context()).data)

    def _input(self, serializer_class: type[Any]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    # -- filing -----------------------------------------------------------------------------

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(ComplaintCreateSerializer)
        viewer = viewer_for(request.user)
        unit = self._unit_for_filing(data.get("unit"), viewer)
        user: Any = request.user
        extra: dict[str, Any]
        if viewer.is_staff_member:
            if unit is not None:
                project = unit.project
            elif len(viewer.project_ids) == 1 and not viewer.all_projects:
                project = _only_project(viewer)
            else:
                raise DRFValidationError({"unit": [_("您负责多个管理项目，请选择房号。")]})
            for field in ("channel", "reporter_name"):
                if not data.get(field):
                    raise DRFValidationError({field: [_("该字段是必填项。")]})
            extra = {
                "channel": data["channel"],
                "reporter_name": data["reporter_name"],
                "reporter_phone": data.get("reporter_phone", ""),
                "received_at": data.get("received_at"),
                "by": user,
            }
        else:
            # A resident files online, for their own unit, as themselves (CMP-01, ORG-02).
            if unit is None:  # _unit_for_filing always finds a resident's unit
                raise DRFValidationError({"unit": [_("请选择您的房号。")]})
            if data.get("kind", Complaint.Kind.COMPLAINT) not in rules.RESIDENT_KINDS:
                raise DRFValidationError({"kind": [_("业主可在线提交投诉、报事或咨询。")]})
            project = unit.project
            resident = (
                Resident.objects.filter(user=user, unit=unit, is_active=True).order_by("id").first()
            )
            extra = {
                "channel": Channel.objects.get(code=ONLINE),
                "reporter_name": data.get("reporter_name") or (resident.name if resident else ""),
                "reporter_phone": data.get("reporter_phone")
                or (str(resident.phone) if resident and resident.phone else ""),
                "received_at": None,
                "by": None,
                "resident": resident,
                "reporter_user": user,
            }
            if not extra["reporter_name"]:
                raise DRFValidationError({"reporter_name": [_("该字段是必填项。")]})
            # The portal's limit on online filings, shared with the portal form.
            if not filing_allowed(user.pk):
                raise FilingThrottled()
        with service_errors(services.InvalidTransition):
            complaint = services.complaint_file(
                project=project,
                kind=data["kind"],
                unit=unit,
                category=data.get("category"),
                description=data["description"],
                severity=data["severity"],
                urgency_minutes=data["urgency_minutes"],
                hot=data["hot"],
                incident=data["incident"],
                location=data.get("location", ""),
                expectation=data.get("expectation", ""),
                **extra,
            )
        response = self._fresh(complaint)
        response.status_code = status.HTTP_201_CREATED
        return response

    def _unit_for_filing(self, unit_id: int | None, viewer: Viewer) -> Unit | None:
        """Return the unit, looked up inside the caller's scope only (ORG-01, ORG-02)."""
        units = scope_queryset(Unit.objects.select_related("project"), self.request.user)
        if unit_id is None:
            if viewer.is_staff_member:
                return None
            mine = list(units.filter(pk__in=viewer.unit_ids)[:2])
            if len(mine) != 1:
                raise DRFValidationError({"unit": [_("请选择您的房号。")]})
            return mine[0]
        if not viewer.is_staff_member:
            units = units.filter(pk__in=viewer.unit_ids)
        elif not viewer.all_projects:
            # Staff file for their projects' units, not for a flat they happen to live in.
            units = units.filter(project_id__in=viewer.project_ids)
        unit = units.filter(pk=unit_id).first()
        if unit is None:
            raise DRFValidationError({"unit": [_("房号不存在或不在您的范围内。")]})
        return unit

    # -- actions --------------------------------------------------------------------------------

    @_action_schema(ContactSerializer, "首次联系客户（CMP-05）")
    @action(detail=True, methods=["post"])
    def contact(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        data = self._input(ContactSerializer)
        with service_errors(services.InvalidTransition):
            services.complaint_contact(complaint=complaint, by=request.user, note=data["note"])  # type: ignore[arg-type]
        return self._fresh(complaint)

    @_action_schema(ReplySerializer, "答复客户（CMP-06，可用统一答复 CMP-15）")
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        data = self._input(ReplySerializer)
        with service_errors(services.InvalidTransition):
            services.complaint_reply(
                complaint=complaint,
                by=request.user,  # type: ignore[arg-type]
                text=data["text"],
                promised_at=data["promised_at"],
                standard_answer=data["standard_answer"],
            )
        return self._fresh(complaint)

    @_action_schema(RectifySerializer, "整改完成（CMP-07）")
    @action(detail=True, methods=["post"])
    def rectify(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        data = self._input(RectifySerializer)
        with service_errors(services.InvalidTransition):
            services.complaint_rectify(
                complaint=complaint,
                by=request.user,  # type: ignore[arg-type]
                note=data["note"],
                needs_callback=data["needs_callback"],
            )
        return self._fresh(complaint)

    @_action_schema(ExtendSerializer, "延期：与客户约定新的整改时限（CMP-10）")
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        data = self._input(ExtendSerializer)
        with service_errors(services.InvalidTransition):
            services.complaint_extend(
                complaint=complaint,
                by=request.user,  # type: ignore[arg-type]
                new_due_at=data["new_due_at"],
                reason=data["reason"],
                agreed_by=data["agreed_by"],
            )
        return self._fresh(complaint)

    @_action_schema(CallbackSerializer, "回访（CMP-12/13）；业主可在线确认")
    @action(detail=True, methods=["post"])
    def callback(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        data = self._input(CallbackSerializer)
        if viewer_for(request.user).is_staff_member:
            outcome, confirmation = data["outcome"], data["confirmation"]
        else:
            # The owner confirms online (CMP-12): always a reached callback.
            if data["outcome"] != Callback.Outcome.REACHED:
                raise DRFValidationError({"outcome": [_("在线确认时无需填写。")]})
            outcome, confirmation = Callback.Outcome.REACHED, Callback.Confirmation.PORTAL
        with service_errors(services.InvalidTransition):
            services.complaint_callback(
                complaint=complaint,
                by=request.user,  # type: ignore[arg-type]
                outcome=outcome,
                result=data["result"],
                note=data["note"],
                confirmation=confirmation,
            )
        return self._fresh(complaint)

    @_action_schema(MergeSerializer, "合并重复投诉（CMP-14），返回被合并的记录")
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        data = self._input(MergeSerializer)
        into = self.get_queryset().filter(pk=data["into"]).first()
        if into is None:
            raise DRFValidationError({"into": [_("目标记录不存在或不在您的范围内。")]})
        with service_errors(services.InvalidTransition):
            services.complaint_merge(
                complaint=complaint,
                into=into,
                by=request.user,  # type: ignore[arg-type]
                reason=data["reason"],
            )
        return self._fresh(complaint)

    @_action_schema(RecategoriseSerializer, "更正根本原因类别（CMP-02）")
    @action(detail=True, methods=["post"])
    def recategorise(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        data = self._input(RecategoriseSerializer)
        with service_errors(services.InvalidTransition):
            services.complaint_recategorise(
                complaint=complaint,
                category=data["category"],
                by=request.user,  # type: ignore[arg-type]
                reason=data["reason"],
            )
        return self._fresh(complaint)

    @_action_schema(SendToDepartmentSerializer, "调查意见汇总送达责任部门（CMP-20）")
    @action(detail=True, methods=["post"])
    def send_to_department(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        data = self._input(SendToDepartmentSerializer)
        with service_errors(services.InvalidTransition):
            services.opinion_send_to_department(
                complaint=complaint,
                by=request.user,  # type: ignore[arg-type]
                department_id=data["department"].pk,
                summary=data["summary"],
            )
        return self._fresh(complaint)

    @_action_schema(OpinionPlanSerializer, "登记责任部门书面整改方案（CMP-20）")
    @action(detail=True, methods=["post"])
    def opinion_plan(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        data = self._input(OpinionPlanSerializer)
        with service_errors(services.InvalidTransition):
            services.opinion_plan_receive(
                complaint=complaint,
                by=request.user,  # type: ignore[arg-type]
                plan=data["plan"],
            )
        return self._fresh(complaint)

    @_action_schema(PaymentNoticeSerializer, "特约服务发出缴费通知（CMP-21）")
    @action(detail=True, methods=["post"])
    def payment_notice(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        data = self._input(PaymentNoticeSerializer)
        with service_errors(services.InvalidTransition):
            services.paid_service_notify_payment(
                complaint=complaint,
                by=request.user,  # type: ignore[arg-type]
                fee=data["fee"],
            )
        return self._fresh(complaint)

    @extend_schema(
        summary="添加照片（multipart，字段 file；按内容校验，每张 ≤5 MB，每条 ≤6 张）",
        request={"multipart/form-data": ComplaintPhotoUploadSerializer},
        responses={
            201: ComplaintPhotoSerializer,
            400: OpenApiResponse(description="不是 JPEG/PNG/WebP、过大或超过张数（字段 file）"),
            403: OpenApiResponse(description="角色无权操作"),
            404: OpenApiResponse(description="不在调用者范围内"),
            409: OpenApiResponse(description="已合并的记录"),
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request: Request, pk: str | None = None) -> Response:
        complaint = self.get_object()
        data = self._input(ComplaintPhotoUploadSerializer)
        try:
            with conflict_on(services.InvalidTransition):
                photo = uploads.photo_add(
                    complaint=complaint,
                    upload=data["file"],
                    by=request.user,  # type: ignore[arg-type]
                )
        except DjangoValidationError as exc:
            # The service names the form field ("photos"); here the field is "file".
            errors = exc.message_dict if hasattr(exc, "error_dict") else {}
            messages = errors.get(uploads.FIELD) or exc.messages
            raise DRFValidationError({"file": messages}) from exc
        body = ComplaintPhotoSerializer(photo, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    # -- reads --------------------------------------------------------------------------------

    @extend_schema(
        summary="月度统计（CMP-14、CMP-16）",
        parameters=[
            OpenApiParameter(
                "month", OpenApiTypes.STR, description="YYYY-MM；缺省为本月", required=False
            )
        ],
        responses={200: StatsSerializer, 400: OpenApiResponse(description="month 格式错误")},
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def stats(self, request: Request) -> Response:
        if not viewer_for(request.user).is_staff_member:
            raise PermissionDenied(_("仅限员工访问。"))
        raw = request.query_params.get("month")
        if raw is None or raw == "":
            month = timezone.localdate().replace(day=1)
        else:
            try:
                month = selectors.parse_month(raw)
            except ValueError as exc:
                raise DRFValidationError({"month": [_("月份格式应为 YYYY-MM。")]}) from exc
        scoped = scope_queryset(Complaint.objects.all(), request.user)
        return Response(StatsSerializer(selectors.month_stats(scoped, month)).data)

    @extend_schema(
        summary="打印《投诉记录表》（PDF）",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="不在调用者范围内"),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PDFRenderer])
    def pdf(self, request: Request, pk: str | None = None) -> Any:
        from complaints.pdf import complaint_queryset, complaint_record_pdf
        from servicedesk.pdf import pdf_response

        if not viewer_for(request.user).is_staff_member:
            raise PermissionDenied(_("仅限员工访问。"))
        visible = self.get_object()  # 404 outside the caller's scope
        complaint = complaint_queryset().get(pk=visible.pk)
        body = complaint_record_pdf(complaint, request=request._request)
        return pdf_response(body, f"投诉记录表-{complaint.number}.pdf")


def _only_project(viewer: Viewer) -> Any:
    from servicedesk.core.models import Project

    return Project.objects.get(pk=next(iter(viewer.project_ids)))


__all__ = ["ComplaintViewSet"]
