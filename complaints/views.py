"""The complaint desk's pages under /complaints/ (namespace ``complaints``).

Front desk (staff only: a resident gets 403, another project's record 404):
- ``new`` intake, with ``lookup`` (unit by room or phone), ``history`` (the
  unit's last 90 days, repeat flag) and ``suggest`` (standard answers, CMP-15);
- ``list`` the queue, ``detail`` one record, ``action`` every state change
  (including "photos", CMP-20 "send-to-department" / "opinion-plan" and
  CMP-21 "payment-notice").

Photos (staff and residents, within their scope): ``photo`` serves one as an
attachment, never inline; uploads are checked by content in ``complaints.uploads``.

Owner portal (residents, their own units only, ORG-02):
- ``portal`` list, ``portal-new`` file online (CMP-01), ``portal-detail``
  timeline, ``portal-callback`` confirm the callback online (CMP-12).

Every write goes through ``complaints.services``; ``InvalidTransition`` is
shown as a message with HTTP 409, a ``ValidationError`` on the named field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from complaints import rules, services, uploads
from complaints.forms import (
    CallbackForm,
    ContactForm,
    ExtendForm,
    FailureForm,
    IntakeForm,
    MarkDoneForm,
    MergeForm,
    OpinionPlanForm,
    PaymentNoticeForm,
    PhotoAddForm,
    PortalCallbackForm,
    PortalForm,
    QueueFilterForm,
    RecategoriseForm,
    RectifyForm,
    ReplyForm,
    SendToDepartmentForm,
    UnmergeForm,
    apply_service_error,
)
from complaints.models import (
    Callback,
    Channel,
    Clock,
    Complaint,
    Photo,
    StandardAnswer,
)
from complaints.selectors import complaint_overdue_q, page_details
from servicedesk.core.events import timeline
from servicedesk.core.models import Event, Project, Resident, Unit
from servicedesk.core.scoping import get_scoped_or_404, scope_queryset, viewer_for
from servicedesk.core.selectors import unit_lookup
from servicedesk.security.filing import (
    filing_allowed,
    filing_refused_message,
    filing_retry_after,
)
from servicedesk.web.identity import DeskIdentity, desk_identity

Status = Complaint.Status
PAGE_SIZE = 50
LOOKUP_LIMIT = 10
HISTORY_DAYS = rules.REPEAT_WINDOW_DAYS  # the caller's history and the repeat flag at intake
SUGGEST_LIMIT = 5
# Events a resident may follow in the portal; internal ones (CMP-22 failures,
# root-cause corrections, merges) stay on the staff side.
PORTAL_ACTIONS = frozenset(
    {
        "filed",
        "status",
        "contacted",
        "replied",
        "extended",
        "callback",
        "photo_added",
        "payment_notice",
    }
)
PORTAL_REASONS = frozenset({"replied", "extended"})
EVENT_LABELS = {
    "filed": gettext_lazy("受理登记"),
    "status": gettext_lazy("状态变更"),
    "contacted": gettext_lazy("联系客户"),
    "replied": gettext_lazy("答复客户"),
    "extended": gettext_lazy("延期"),
    "callback": gettext_lazy("回访"),
    "merged_in": gettext_lazy("并入重复投诉"),
    "merged_out": gettext_lazy("撤销合并"),
    "recategorised": gettext_lazy("更正类别"),
    "escalated": gettext_lazy("超时升级"),
    "warned": gettext_lazy("时限预警"),
    "first_question_failure": gettext_lazy("首问责任失职"),
    "hot_report_done": gettext_lazy("已上报集团"),
    "onsite_done": gettext_lazy("经理已到场"),
    "photo_added": gettext_lazy("添加照片"),
    "opinion_plan": gettext_lazy("书面整改方案"),
    "payment_notice": gettext_lazy("缴费通知"),
}
# The detail page's actions under "更多操作": that box opens when one of them failed.
MORE_ACTIONS = frozenset({"extend", "recategorise", "merge", "unmerge", "failure"})
STATUS_LABELS = dict(Complaint.Status.choices)
RESULT_LABELS = dict(Callback.Result.choices) | dict(Callback.Outcome.choices)


@dataclass(frozen=True)
class EventRow:
    event: Event
    label: str
    change: str
    actor: str


def event_rows(events: list[Event], *, staff_view: bool) -> list[EventRow]:
    """Label the timeline's events; residents see "客服" instead of staff names."""
    rows = []
    for e in events:
        change = ""
        if e.action == "status":
            change = f"{STATUS_LABELS.get(e.from_state, e.from_state)} → " + str(
                STATUS_LABELS.get(e.to_state, e.to_state)
            )
        elif e.action == "callback":
            change = str(RESULT_LABELS.get(e.to_state, e.to_state))
        elif e.action == "payment_notice" and e.to_state:
            change = _("服务费 %(fee)s 元") % {"fee": e.to_state}
        elif e.action == "extended" and e.to_state:
            try:
                new = datetime.fromisoformat(e.to_state)
                change = _("新时限 %(t)s") % {"t": f"{timezone.localtime(new):%m-%d %H:%M}"}
            except ValueError:
                change = e.to_state
        if e.actor is None:
            actor = _("系统") if e.action in ("escalated", "warned") else ""
        elif staff_view:
            profile = getattr(e.actor, "staff_profile", None)
            actor = (
                profile.name
                if profile is not None
                else _("业主（%(u)s）") % {"u": e.actor.get_username()}
            )
        else:
            actor = _("客服") if hasattr(e.actor, "staff_profile") else _("您")
        rows.append(EventRow(e, str(EVENT_LABELS.get(e.action, e.action)), change, actor))
    return rows


def _require_staff(request: HttpRequest) -> None:
    if not viewer_for(request.user).is_staff_member:
        raise PermissionDenied(_("仅限员工操作。"))


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- Countdowns --------------------------------------------------------------


def countdown(due_at: datetime, now: datetime) -> str:
    """Return "剩 25 分钟" / "超时 2 小时" / "剩 3 天" for a clock's due time."""
    delta = (due_at - now).total_seconds()
    seconds = abs(delta)
    if seconds < 3600:
        amount, unit = max(1, int(seconds // 60)), _("分钟")
    elif seconds < 2 * 86400:
        amount, unit = int(seconds // 3600), _("小时")
    else:
        amount, unit = int(seconds // 86400), _("天")
    if delta > 0:
        return _("剩 %(n)s %(unit)s") % {"n": amount, "unit": unit}
    return _("超时 %(n)s %(unit)s") % {"n": amount, "unit": unit}


@dataclass(frozen=True)
class ClockView:
    clock: Clock
    running: bool
    overdue: bool
    warning: bool
    countdown: str


def clock_view(clock: Clock, now: datetime) -> ClockView:
    running = clock.done_at is None
    overdue = running and rules.is_overdue(clock, now=now)
    return ClockView(
        clock=clock,
        running=running,
        overdue=overdue,
        warning=running and not overdue and now >= clock.warn_at,
        countdown=countdown(clock.due_at, now) if running else "",
    )


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue with every text ready. The page shows 50 of these and
    the template engine's lookups (``get_FOO_display``, ``{% url %}``, ``|date``)
    were most of its time, so the row is built here, once, in Python."""

    complaint: Complaint
    url: str
    kind: str
    status: str
    received: str
    unit_number: str
    reporter_name: str
    category_name: str
    receiver_name: str
    summary: str
    next_clock: ClockView | None
    next_clock_kind: str
    next_clock_due: str
    overdue: bool


def queue_rows(page: list[Complaint], now: datetime) -> list[QueueRow]:
    """Build the queue's rows: one query for the page's clocks and reporters."""
    details = page_details([int(c.pk) for c in page])
    labels: dict[tuple[str, str], str] = {}

    def label(choices: type[models.TextChoices], value: str) -> str:
        # Each label translated once per page, not once per row.
        key = (choices.__name__, value)
        if key not in labels:
            labels[key] = str(dict(choices.choices).get(value, value))
        return labels[key]

    rows = []
    for c in page:
        running = (
            [
                clock_view(Clock(kind=k.kind, due_at=k.due_at, warn_at=k.warn_at), now)
                for k in sorted(details.clocks[c.pk], key=lambda k: k.due_at)
                if k.running
            ]
            if c.is_open
            else []
        )
        first = running[0] if running else None
        rows.append(
            QueueRow(
                complaint=c,
                url=reverse("complaints:detail", args=[c.pk]),
                kind=label(Complaint.Kind, c.kind),
                status=label(Complaint.Status, c.status),
                received=f"{timezone.localtime(c.received_at):%m-%d %H:%M}",
                unit_number=c.unit_number or "—",  # type: ignore[attr-defined]
                reporter_name=details.first_reporter.get(c.pk, ("—", ""))[0] or "—",
                category_name=c.category_name or "—",  # type: ignore[attr-defined]
                receiver_name=c.receiver_name or "",  # type: ignore[attr-defined]
                summary=Truncator(c.description).chars(36),
                next_clock=first,
                next_clock_kind=label(Clock.Kind, first.clock.kind) if first else "",
                next_clock_due=f"{timezone.localtime(first.clock.due_at):%Y-%m-%d %H:%M}"
                if first
                else "",
                overdue=any(v.overdue for v in running),
            )
        )
    return rows


# The queue's columns: the template needs these and nothing else of the complaint.
QUEUE_COLUMNS = (
    "id",
    "number",
    "kind",
    "status",
    "hot",
    "incident",
    "severity",
    "received_at",
    "description",
    "received_by_id",
    "project_id",
    "unit_id",
)


def _queue_queryset(user: Any) -> QuerySet[Complaint]:
    light = Complaint.objects.only(*QUEUE_COLUMNS).annotate(
        unit_number=F("unit__number"),
        category_name=F("category__name"),
        receiver_name=F("received_by__staff_profile__name"),
    )
    return scope_queryset(light, user)


# --- Intake ------------------------------------------------------------------


def _scoped_units(request: HttpRequest) -> QuerySet[Unit]:
    return scope_queryset(Unit.objects.select_related("project", "building"), request.user)


def _intake_form(request: HttpRequest, data: Any = None, files: Any = None) -> IntakeForm:
    return IntakeForm(
        data,
        files,
        projects=scope_queryset(Project.objects.order_by("code"), request.user),
        units=_scoped_units(request),
    )


def suggest_answers(
    category_id: Any, description: str, *, answers: list[StandardAnswer] | None = None
) -> list[StandardAnswer]:
    """Return the standard answers matching the category or a keyword of the text (CMP-15)."""
    rows = answers if answers is not None else list(StandardAnswer.objects.filter(is_active=True))
    text = description or ""
    try:
        category = int(category_id) if category_id else None
    except (TypeError, ValueError):
        category = None
    scored = []
    for answer in rows:
        hits = sum(1 for k in answer.keywords.split() if k and k in text)
        same = category is not None and answer.category_id == category
        if hits or same:
            scored.append((-(hits * 2 + same), -answer.use_count, answer.title, answer))
    scored.sort(key=lambda t: t[:3])
    return [t[3] for t in scored[:SUGGEST_LIMIT]]


def unit_history(
    request: HttpRequest, unit: Unit | None, category_id: Any, now: datetime
) -> dict[str, Any]:
    """Return the unit's records of the last 90 days and the repeat flag (CMP-14)."""
    if unit is None:
        return {"history_unit": None, "history": [], "repeat": False}
    since = now - timedelta(days=HISTORY_DAYS)
    records = list(
        scope_queryset(
            Complaint.objects.filter(unit=unit, received_at__gte=since).select_related("category"),
            request.user,
        ).order_by("-received_at")[:20]
    )
    try:
        category = int(category_id) if category_id else None
    except (TypeError, ValueError):
        category = None
    rows = [{"c": c, "same": category is not None and c.category_id == category} for c in records]
    return {
        "history_unit": unit,
        "history": rows,
        "repeat": any(r["same"] for r in rows),
        "history_days": HISTORY_DAYS,
    }


def _intake_context(request: HttpRequest, form: IntakeForm) -> dict[str, Any]:
    now = timezone.now()
    data = form.data if form.is_bound else {}
    unit = None
    if data.get("unit"):
        try:
            unit = _scoped_units(request).filter(pk=int(data["unit"])).first()
        except (TypeError, ValueError):
            unit = None
    context = {
        "form": form,
        "picked_unit": unit,
        "suggestions": suggest_answers(data.get("category"), data.get("description", ""))
        if form.is_bound
        else [],
        "picked_answer": str(data.get("standard_answer", "")),
        "one_project": len(form.fields["project"].queryset[:2]) == 1,  # type: ignore[attr-defined]
    }
    context.update(unit_history(request, unit, data.get("category"), now))
    return context


@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """File a complaint, report or consultation at the desk (CMP-03)."""
    _require_staff(request)
    posted = request.method == "POST"
    form = _intake_form(
        request, request.POST if posted else None, request.FILES if posted else None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        answer_now = "answer_now" in request.POST
        answer: StandardAnswer | None = data.get("standard_answer")
        if answer_now and data["kind"] != Complaint.Kind.CONSULTATION:
            form.add_error("kind", _("只有咨询可以一键答复。"))
        elif answer_now and answer is None:
            form.add_error("standard_answer", _("请先选择一条统一答复。"))
        else:
            try:
                with transaction.atomic():
                    complaint = services.complaint_file(
                        project=data["project"],
                        kind=data["kind"],
                        unit=data["unit"],
                        channel=data["channel"],
                        category=data["category"],
                        description=data["description"],
                        reporter_name=data["reporter_name"],
                        reporter_phone=data["reporter_phone"],
                        severity=data["severity"],
                        urgency_minutes=data["urgency"].minutes,
                        hot=data["hot"],
                        incident=data["incident"],
                        location=data["location"],
                        expectation=data["expectation"],
                        received_at=data["received_at"],
                        by=_user(request),
                        resident=_resident_for(data["unit"], data["reporter_name"]),
                    )
                    if answer_now and answer is not None:
                        services.complaint_reply(
                            complaint=complaint,
                            by=_user(request),
                            text=answer.text,
                            standard_answer=answer,
                        )
                    # Last: files are written only once everything else succeeded.
                    uploads.photos_add(
                        complaint=complaint, uploads=data["photos"], by=_user(request)
                    )
            except ValidationError as exc:
                apply_service_error(form, exc)
            except services.InvalidTransition as exc:
                form.add_error(None, str(exc))
            else:
                if answer_now:
                    messages.success(
                        request,
                        _("%(number)s 已受理并以统一答复结案。") % {"number": complaint.number},
                    )
                else:
                    messages.success(
                        request, _("已受理，编号 %(number)s。") % {"number": complaint.number}
                    )
                if "save_next" in request.POST:
                    return redirect("complaints:new")
                return redirect("complaints:detail", pk=complaint.pk)
    status = 200 if not form.errors else 400
    return render(request, "complaints/intake.html", _intake_context(request, form), status=status)


def _resident_for(unit: Unit | None, name: str) -> Resident | None:
    if unit is None:
        return None
    return Resident.objects.filter(unit=unit, name=name, is_active=True).first()


@login_required
@require_safe
def lookup(request: HttpRequest) -> HttpResponse:
    """Units and residents of the user's projects matching a room number or phone."""
    _require_staff(request)
    query = (request.GET.get("q") or request.GET.get("lookup") or "").strip()[:50]
    units = unit_lookup(request.user, query, limit=LOOKUP_LIMIT)
    rows = []
    for unit in units:
        residents = [
            {
                "name": r.name,
                "phone": str(r.phone.national_number) if r.phone else "",
                "kind": r.get_kind_display(),
            }
            for r in unit.active_residents  # type: ignore[attr-defined]
        ]
        rows.append({"unit": unit, "residents": residents})
    return render(request, "complaints/_lookup.html", {"rows": rows, "query": query})


@login_required
@require_safe
def history(request: HttpRequest) -> HttpResponse:
    """The chosen unit's last 90 days with the repeat flag (htmx partial)."""
    _require_staff(request)
    unit = None
    try:
        unit = _scoped_units(request).filter(pk=int(request.GET.get("unit", ""))).first()
    except ValueError:
        unit = None
    context = unit_history(request, unit, request.GET.get("category"), timezone.now())
    return render(request, "complaints/_history.html", context)


@login_required
@require_safe
def suggest(request: HttpRequest) -> HttpResponse:
    """Standard answers for the chosen category and the description typed so far."""
    _require_staff(request)
    context = {
        "suggestions": suggest_answers(
            request.GET.get("category"), request.GET.get("description", "")
        ),
        "picked_answer": request.GET.get("standard_answer", ""),
        "kind": request.GET.get("kind", ""),
    }
    return render(request, "complaints/_suggestions.html", context)


# --- Queue -------------------------------------------------------------------


def _day_start(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


# More rooms than this starting with what was typed: the text is too short to narrow
# much, so the newest matching complaints are found quickly without the list.
_SEARCH_MAX_ROOMS = 200


def _number_or_room_q(user: Any, text: str) -> Q:
    """A number containing ``text`` or a room starting with it.

    The rooms are looked up first, so the condition stays on the complaint table
    (``unit_id IN (…)``) and PostgreSQL can combine the number's trigram index
    with the unit index instead of walking every complaint newest first.
    """
    rooms = list(
        scope_queryset(Unit.objects.filter(number__istartswith=text), user).values_list(
            "pk", flat=True
        )[: _SEARCH_MAX_ROOMS + 1]
    )
    if len(rooms) > _SEARCH_MAX_ROOMS:
        return Q(number__icontains=text) | Q(unit__number__istartswith=text)
    return Q(number__icontains=text) | Q(unit_id__in=rooms)


@login_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    """The desk's queue: filters, overdue rows first in colour, countdowns."""
    _require_staff(request)
    form = QueueFilterForm(request.GET or None)
    now = timezone.now()
    qs = _queue_queryset(request.user)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = form.cleaned_data
    status = filters.get("status") or ""
    if status == "":
        qs = qs.filter(status__in=list(rules.OPEN_STATUSES))
    elif status != "all":
        qs = qs.filter(status=status)
    if filters.get("overdue"):
        qs = qs.filter(complaint_overdue_q(now))
    if filters.get("mine"):
        qs = qs.filter(received_by=_user(request))
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("building"):
        qs = qs.filter(unit__building__code=filters["building"].strip())
    if filters.get("date_from"):
        qs = qs.filter(received_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        qs = qs.filter(received_at__lt=_day_start(filters["date_to"] + timedelta(days=1)))
    if filters.get("q"):
        qs = qs.filter(_number_or_room_q(request.user, filters["q"].strip()))
    if filters.get("before"):
        qs = qs.filter(pk__lt=filters["before"])
    # Keyset pagination by id: no COUNT(*) over the big table.
    page = list(qs.order_by("-id")[: PAGE_SIZE + 1])
    has_more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    rows = queue_rows(page, now)
    more_url = ""
    if has_more:
        params = request.GET.copy()
        params["before"] = str(page[-1].pk)
        more_url = f"?{params.urlencode()}"
    return render(
        request,
        "complaints/queue.html",
        {
            "form": form,
            "rows": rows,
            "more_url": more_url,
            "is_first_page": not filters.get("before"),
            "now": now,
        },
    )


# --- Detail and actions ------------------------------------------------------


def _pdf_urls(pk: int) -> dict[str, str]:
    urls = {}
    names = {"record_pdf": "complaints:record-pdf", "callback_pdf": "complaints:callback-pdf"}
    for key, name in names.items():
        try:
            urls[key] = reverse(name, args=[pk])
        except NoReverseMatch:
            urls[key] = ""
    return urls


def _staff_of(project_id: int) -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, staff_profile__projects=project_id)
        .select_related("staff_profile")
        .order_by("staff_profile__name")
        .distinct()
    )


def _action_forms(c: Complaint, bound: dict[str, forms.Form] | None = None) -> dict[str, Any]:
    reply = ReplyForm(prefix="reply")
    if c.category_id:
        # The record's category's answers first (CMP-15).
        field = reply.fields["standard_answer"]
        field.queryset = field.queryset.order_by(  # type: ignore[attr-defined]
            Case(When(category_id=c.category_id, then=Value(0)), default=Value(1)),
            "-use_count",
            "title",
        )
    result: dict[str, Any] = {
        "contact": ContactForm(prefix="contact"),
        "reply": reply,
        "rectify": RectifyForm(prefix="rectify", initial={"needs_callback": c.needs_callback}),
        "extend": ExtendForm(prefix="extend"),
        "callback": CallbackForm(prefix="callback"),
        "merge": MergeForm(prefix="merge"),
        "unmerge": UnmergeForm(prefix="unmerge"),
        "recategorise": RecategoriseForm(
            prefix="recategorise", initial={"category": c.category_id}
        ),
        "mark-done": MarkDoneForm(prefix="mark-done"),
        "failure": FailureForm(
            prefix="failure",
            staff=_staff_of(c.project_id),
            initial={"staff": c.received_by_id},
        ),
        "photos": PhotoAddForm(prefix="photos"),
        "send-to-department": SendToDepartmentForm(
            prefix="send-to-department", initial={"department": c.department_id}
        ),
        "opinion-plan": OpinionPlanForm(prefix="opinion-plan"),
        "payment-notice": PaymentNoticeForm(prefix="payment-notice"),
    }
    result.update(bound or {})
    return result


def _detail_context(
    request: HttpRequest,
    c: Complaint,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    failed_action: str = "",
) -> dict[str, Any]:
    now = timezone.now()
    clocks = [clock_view(k, now) for k in c.clocks.order_by("due_at")]
    kinds = {v.clock.kind for v in clocks if v.running}
    opinion = c.kind == Complaint.Kind.OPINION
    paid = c.kind == Complaint.Kind.PAID_SERVICE
    awaiting_payment_notice = paid and c.payment_notice_at is None
    return {
        "c": c,
        "reporters": list(c.reporters.select_related("merged_from")),
        "clocks": clocks,
        "extensions": list(c.extensions.select_related("recorded_by__staff_profile")),
        "callbacks": list(c.callbacks.select_related("by__staff_profile")),
        "failures": list(c.failures.select_related("staff__staff_profile")),
        "duplicates": list(c.duplicates.only("id", "number", "status")),
        "events": event_rows(
            list(timeline(c).select_related("actor__staff_profile").order_by("at", "id")),
            staff_view=True,
        ),
        "forms": {k.replace("-", "_"): f for k, f in _action_forms(c, bound).items()},
        "action_error": action_error,
        "failed_action": failed_action.replace("-", "_"),
        "can_mark_done": bool(kinds & {Clock.Kind.HOT_REPORT, Clock.Kind.ONSITE}),
        # An opinion is first sent to its department (CMP-20), not "contacted".
        "can_contact": c.status == Status.OPEN and not opinion,
        "can_send_to_department": opinion and c.status == Status.OPEN,
        "can_receive_plan": opinion and c.status == Status.CONTACTED,
        # A paid service is called back only after its payment notice (CMP-21).
        "can_notify_payment": c.status == Status.RECTIFIED and awaiting_payment_notice,
        "can_callback": c.status == Status.RECTIFIED and not awaiting_payment_notice,
        "can_add_photos": c.status != Status.MERGED,
        "photos": list(c.photos.all()),
        "is_open": c.is_open,
        "more_actions": MORE_ACTIONS,
        "now": now,
        **_pdf_urls(c.pk),
    }


def _detail_queryset() -> QuerySet[Complaint]:
    return Complaint.objects.select_related(
        "project",
        "unit__building",
        "channel",
        "category",
        "received_by__staff_profile",
        "department",
        "merged_into",
        "policy",
    )


@login_required
@require_safe
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One record: fields, reporters, clocks, extensions, callbacks, timeline, actions."""
    _require_staff(request)
    c = get_scoped_or_404(_detail_queryset(), request.user, pk=pk)
    return render(request, "complaints/detail.html", _detail_context(request, c))


def _do_merge(request: HttpRequest, c: Complaint, d: dict[str, Any]) -> Any:
    number = d["into"].strip()
    into = scope_queryset(Complaint.objects.all(), request.user).filter(number=number).first()
    if into is None:
        raise ValidationError({"into": _("没有找到编号为“%(n)s”的记录。") % {"n": number}})
    return services.complaint_merge(complaint=c, into=into, by=_user(request), reason=d["reason"])


Handler = Callable[[HttpRequest, Complaint, dict[str, Any]], Any]

ACTIONS: dict[str, tuple[type[forms.Form], Handler, str]] = {
    "contact": (
        ContactForm,
        lambda r, c, d: services.complaint_contact(complaint=c, by=_user(r), note=d["note"]),
        "已登记联系客户。",
    ),
    "reply": (
        ReplyForm,
        lambda r, c, d: services.complaint_reply(
            complaint=c,
            by=_user(r),
            text=d["text"],
            promised_at=d["promised_at"],
            standard_answer=d["standard_answer"],
        ),
        "已登记答复。",
    ),
    "rectify": (
        RectifyForm,
        lambda r, c, d: services.complaint_rectify(
            complaint=c, by=_user(r), note=d["note"], needs_callback=d["needs_callback"]
        ),
        "已登记整改完成。",
    ),
    "extend": (
        ExtendForm,
        lambda r, c, d: services.complaint_extend(
            complaint=c,
            by=_user(r),
            new_due_at=d["new_due_at"],
            reason=d["reason"],
            agreed_by=d["agreed_by"],
            clock=d["clock"],
        ),
        "已登记延期。",
    ),
    "callback": (
        CallbackForm,
        lambda r, c, d: services.complaint_callback(
            complaint=c,
            by=_user(r),
            outcome=d["outcome"],
            result=d["result"],
            note=d["note"],
            confirmation=d["confirmation"],
        ),
        "已登记回访。",
    ),
    "merge": (MergeForm, _do_merge, "已合并。"),
    "unmerge": (
        UnmergeForm,
        lambda r, c, d: services.complaint_unmerge(complaint=c, by=_user(r), reason=d["reason"]),
        "已撤销合并。",
    ),
    "recategorise": (
        RecategoriseForm,
        lambda r, c, d: services.complaint_recategorise(
            complaint=c, category=d["category"], by=_user(r), reason=d["reason"]
        ),
        "已更正类别。",
    ),
    "mark-done": (
        MarkDoneForm,
        lambda r, c, d: services.complaint_mark_done(
            complaint=c, clock=d["clock"], by=_user(r), note=d["note"]
        ),
        "已登记。",
    ),
    "failure": (
        FailureForm,
        lambda r, c, d: services.first_question_failure_record(
            complaint=c, staff=d["staff"], kind=d["kind"], note=d["note"], by=_user(r)
        ),
        "已记录首问责任失职。",
    ),
    "photos": (
        PhotoAddForm,
        lambda r, c, d: uploads.photos_add(complaint=c, uploads=d["photos"], by=_user(r)),
        "已添加照片。",
    ),
    "send-to-department": (
        SendToDepartmentForm,
        lambda r, c, d: services.opinion_send_to_department(
            complaint=c, by=_user(r), department_id=d["department"].pk, summary=d["summary"]
        ),
        "已送达责任部门。",
    ),
    "opinion-plan": (
        OpinionPlanForm,
        lambda r, c, d: services.opinion_plan_receive(complaint=c, by=_user(r), plan=d["plan"]),
        "已登记书面整改方案。",
    ),
    "payment-notice": (
        PaymentNoticeForm,
        lambda r, c, d: services.paid_service_notify_payment(
            complaint=c, by=_user(r), fee=d["fee"]
        ),
        "已发出缴费通知。",
    ),
}


@login_required
@require_POST
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Run one action on a record; re-render the page with the error if it fails."""
    _require_staff(request)
    c = get_scoped_or_404(_detail_queryset(), request.user, pk=pk)
    if name not in ACTIONS:
        raise Http404
    form_class, handler, done = ACTIONS[name]
    kwargs: dict[str, Any] = {"prefix": name}
    if form_class is FailureForm:
        kwargs["staff"] = _staff_of(c.project_id)
    form = form_class(request.POST, request.FILES, **kwargs)
    status = 400
    error = ""
    if form.is_valid():
        try:
            handler(request, c, form.cleaned_data)
        except services.InvalidTransition as exc:
            error, status = str(exc), 409
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _(done))
            return redirect("complaints:detail", pk=c.pk)
        c.refresh_from_db()
    context = _detail_context(
        request, c, bound={name: form}, action_error=error, failed_action=name
    )
    return render(request, "complaints/detail.html", context, status=status)


# --- Owner portal ------------------------------------------------------------


def _require_resident(request: HttpRequest) -> frozenset[int]:
    unit_ids = viewer_for(request.user).unit_ids
    if not unit_ids:
        raise PermissionDenied(_("业主门户仅供业主/住户使用。"))
    return unit_ids


def _portal_queryset(request: HttpRequest, unit_ids: frozenset[int]) -> QuerySet[Complaint]:
    # Scope first (ORG-02), then narrow to the resident's own units: a staff
    # member who also lives here sees only their home in the portal.
    return scope_queryset(
        Complaint.objects.filter(unit_id__in=unit_ids).select_related(
            "unit", "category", "channel"
        ),
        request.user,
    )


@login_required
@require_safe
def portal(request: HttpRequest) -> HttpResponse:
    """The owner's records: everything filed about their own unit(s)."""
    unit_ids = _require_resident(request)
    records = list(_portal_queryset(request, unit_ids).order_by("-received_at", "-id")[:100])
    return render(request, "complaints/portal_list.html", {"records": records})


@login_required
@require_http_methods(["GET", "POST"])
def portal_new(request: HttpRequest) -> HttpResponse:
    """File online (CMP-01): channel online, reporter = the resident, no staff owner yet."""
    unit_ids = _require_resident(request)
    units = Unit.objects.filter(pk__in=unit_ids).select_related("project").order_by("number")
    posted = request.method == "POST"
    form = PortalForm(
        request.POST if posted else None, request.FILES if posted else None, units=units
    )
    if posted and form.is_valid():
        # Outside the filing's transaction, so a refused or failed filing still counts.
        if not filing_allowed(_user(request).pk):
            form.add_error(None, filing_refused_message())  # the typed text is kept
            response = render(request, "complaints/portal_new.html", {"form": form}, status=429)
            response["Retry-After"] = str(filing_retry_after())
            return response
        data = form.cleaned_data
        unit = data["unit"]
        resident = Resident.objects.filter(user=_user(request), unit=unit, is_active=True).first()
        try:
            with transaction.atomic():
                complaint = _portal_file(request, data, unit, resident)
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("已提交，编号 %(number)s。客服将尽快与您联系。") % {"number": complaint.number},
            )
            return redirect("complaints:portal-detail", pk=complaint.pk)
    status = 400 if form.errors else 200
    return render(request, "complaints/portal_new.html", {"form": form}, status=status)


def _portal_file(
    request: HttpRequest, data: dict[str, Any], unit: Unit, resident: Resident | None
) -> Complaint:
    """File the owner's record and attach their photos, all or nothing."""
    complaint = services.complaint_file(
        project=unit.project,
        kind=data["kind"],
        unit=unit,
        channel=Channel.objects.get(code="online"),
        category=data["category"],
        description=data["description"],
        location=data["location"],
        expectation=data["expectation"],
        reporter_name=resident.name if resident else request.user.get_username(),
        reporter_phone=str(resident.phone.national_number) if resident and resident.phone else "",
        by=None,
        resident=resident,
        reporter_user=_user(request),
    )
    uploads.photos_add(complaint=complaint, uploads=data["photos"], by=_user(request))
    return complaint


def _portal_detail_context(
    request: HttpRequest, c: Complaint, form: PortalCallbackForm | None = None, error: str = ""
) -> dict[str, Any]:
    events = [e for e in timeline(c).order_by("at", "id") if e.action in PORTAL_ACTIONS]
    return {
        "c": c,
        "events": events,
        "portal_reasons": PORTAL_REASONS,
        "callback_form": form or PortalCallbackForm(),
        "can_confirm": c.status == Status.RECTIFIED,
        "callbacks": [cb for cb in c.callbacks.all() if cb.outcome == Callback.Outcome.REACHED],
        "action_error": error,
        "photos": list(c.photos.all()),
        **_pdf_urls(c.pk),
    }


@login_required
@require_safe
def portal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow one record: status, answers and the timeline (no internal notes)."""
    unit_ids = _require_resident(request)
    c = get_scoped_or_404(_portal_queryset(request, unit_ids), request.user, pk=pk)
    return render(request, "complaints/portal_detail.html", _portal_detail_context(request, c))


@login_required
@require_POST
def portal_callback(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner confirms the callback online (CMP-12); satisfied closes it (CMP-13)."""
    unit_ids = _require_resident(request)
    c = get_scoped_or_404(_portal_queryset(request, unit_ids), request.user, pk=pk)
    form = PortalCallbackForm(request.POST)
    status = 400
    error = ""
    if form.is_valid():
        try:
            services.complaint_callback(
                complaint=c,
                by=_user(request),
                outcome=Callback.Outcome.REACHED,
                result=form.cleaned_data["result"],
                note=form.cleaned_data["note"],
                confirmation=Callback.Confirmation.PORTAL,
            )
        except services.InvalidTransition as exc:
            error, status = str(exc), 409
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("感谢您的评价。"))
            return redirect("complaints:portal-detail", pk=c.pk)
        c.refresh_from_db()
    context = _portal_detail_context(request, c, form, error)
    return render(request, "complaints/portal_detail.html", context, status=status)


# --- Photos ------------------------------------------------------------------


@login_required
@require_safe
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """Serve one photo as a download: staff within their projects, residents for
    their own units' records (ORG-01, ORG-02); anything else is a 404.

    Always an attachment with the content type Pillow found at upload and
    ``nosniff``: a file that is also valid HTML or SVG never renders in our origin.
    """
    p = get_scoped_or_404(Photo.objects.select_related("complaint"), request.user, pk=pk)
    try:
        handle = p.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=p.original_name, content_type=p.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    patch_cache_control(response, private=True)
    return response


urlpatterns: list[URLPattern] = [
    path("", queue, name="list"),
    path("new/", intake, name="new"),
    path("lookup/", lookup, name="lookup"),
    path("history/", history, name="history"),
    path("suggest/", suggest, name="suggest"),
    path("photos/<int:pk>/", photo, name="photo"),
    path("my/", portal, name="portal"),
    path("my/new/", portal_new, name="portal-new"),
    path("my/<int:pk>/", portal_detail, name="portal-detail"),
    path("my/<int:pk>/callback/", portal_callback, name="portal-callback"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/<slug:name>/", action, name="action"),
]


# --- Navigation and home panel (registered in ComplaintsConfig.ready) --------

PANEL_ITEMS = 8
DUE_SOON = timedelta(hours=2)


def is_portal_user(identity: DeskIdentity) -> bool:
    """The portal entry is for residents (staff use the desk pages)."""
    return bool(identity.is_resident and not identity.is_staff_member)


def complaints_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Overdue and due-soon clocks of the user's projects, in one query.

    The panel's audience is staff (``roles=None``), for whom ``scope_queryset``
    means "the projects they belong to, or all of them for company-wide roles".
    ``DeskIdentity`` has already loaded exactly that for the top bar, so the
    panel filters on it instead of paying ``viewer_for``'s three queries again
    (the home page's query budget is bounded by a test).
    """
    identity = desk_identity(request)
    if not identity.is_staff_member:
        return None
    now = timezone.now()
    visible = Complaint.objects.filter(status__in=list(rules.OPEN_STATUSES))
    if not identity.all_projects:
        profile = identity.profile
        project_ids = [p.pk for p in profile.projects.all()] if profile is not None else []
        visible = visible.filter(project_id__in=project_ids)
    clocks = list(
        Clock.objects.filter(done_at__isnull=True, complaint__in=visible.values("pk"))
        .filter(Q(due_at__lte=now + DUE_SOON) | Q(warn_at__lte=now))
        .select_related("complaint__unit")
        .order_by("due_at")[:PANEL_ITEMS]
    )
    items = []
    for clock in clocks:
        c = clock.complaint
        overdue = rules.is_overdue(clock, now=now)
        unit = c.unit.number if c.unit else ""
        items.append(
            {
                "label": f"{c.number} {clock.get_kind_display()}",
                "url": reverse("complaints:detail", args=[c.pk]),
                "due_at": timezone.localtime(clock.due_at),
                "overdue": overdue,
                "meta": f"{unit} {countdown(clock.due_at, now)}".strip(),
            }
        )
    return {
        "title": _("投诉与报事"),
        "items": items,
        "more_url": reverse("complaints:list") + "?overdue=on",
        "empty_text": _("暂无超时或即将到期的投诉。"),
    }
