"""The key desk's pages under /keys/ (namespace ``keys``).

Front desk (staff only: a resident gets 403, another project's record 404):
- ``board`` the key board (KEY-01): counts per status, search by room number
  or tag, status filter, paginated with a fixed number of queries;
- ``key`` one key: current loan, history, custody, incidents, copies and its
  actions (``key_action``: incident, transfer, copy, unseal, emergency);
  ``key_new`` registers a key other than an owner's spare key;
- ``loans`` 《借用钥匙登记表》 on screen, ``loan_new`` the request, ``loan`` one
  loan with approve/reject/checkout/return/cancel (KEY-03..05);
- ``entrustments``, ``entrustment_new``, ``entrustment`` 《业户钥匙委托书》 (KEY-02);
- ``emergencies``, ``emergency`` break-glass use: contact attempts, entry,
  close, review (KEY-07);
- ``lock_changes``, ``lock_change_new``, ``lock_change`` sealing (KEY-08);
- ``copy_request`` approval and registration of copies (KEY-06);
- ``handovers``, ``handover_new``, ``handover`` duty handover (KEY-10);
- ``reports``, ``report`` the monthly report and its review (KEY-09).

Owner portal (residents, their own units only): ``portal`` their entrustments
(confirm online), their spare key's loans and emergency uses after the fact.

Every write goes through ``keys.services``, which checks roles and rules:
``InvalidTransition`` is shown as a message with HTTP 409, ``PermissionDenied``
as a message with HTTP 403, a ``ValidationError`` on the named field with HTTP
400 — always with what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, re_path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from keys import selectors, services
from keys.forms import (
    ApproveForm,
    BoardFilterForm,
    CancelForm,
    CheckoutForm,
    CloseForm,
    ConfirmPaperForm,
    ContactAttemptForm,
    CopyDecideForm,
    CopyRegisterForm,
    CopyRequestForm,
    CustodyTransferForm,
    EmergencyOpenForm,
    EnterForm,
    EntrustmentFilterForm,
    EntrustmentForm,
    HandoverForm,
    HandoverSignForm,
    IncidentForm,
    KeyRegisterForm,
    LoanFilterForm,
    LoanRequestForm,
    LockChangeFilterForm,
    LockChangeForm,
    PortalConfirmForm,
    RejectForm,
    ReportReviewForm,
    ReportSubmitForm,
    ReturnForm,
    ReviewForm,
    RevokeForm,
    SealForm,
    UnsealForm,
    apply_service_error,
)
from keys.models import (
    CopyRequest,
    EmergencyUse,
    Entrustment,
    Handover,
    Key,
    Loan,
    LockChange,
    MonthlyReport,
)
from servicedesk.core.events import timeline
from servicedesk.core.models import Event, Project, Resident, Unit
from servicedesk.core.scoping import get_scoped_or_404, scope_queryset, viewer_for
from servicedesk.web.identity import DeskIdentity, desk_identity

PAGE_SIZE = 100  # board and logs: one page is two queries whatever the total
HISTORY_LIMIT = 50  # rows of a key's or entrustment's history on its page
PORTAL_LIMIT = 50

EVENT_LABELS: dict[str, Promise] = {
    "registered": gettext_lazy("登记入册"),
    "custody_transferred": gettext_lazy("保管交接"),
    "status": gettext_lazy("状态变更"),
    "incident_damaged": gettext_lazy("登记损坏"),
    "incident_lost": gettext_lazy("登记遗失"),
    "incident_found": gettext_lazy("登记找回"),
    "incident_repaired": gettext_lazy("登记修复"),
    "created": gettext_lazy("登记委托书"),
    "confirmed": gettext_lazy("业主确认"),
    "revoked": gettext_lazy("撤销委托"),
    "expired": gettext_lazy("委托到期"),
    "requested": gettext_lazy("提出申请"),
    "approved": gettext_lazy("批准"),
    "rejected": gettext_lazy("驳回"),
    "cancelled": gettext_lazy("取消"),
    "out": gettext_lazy("借出"),
    "returned": gettext_lazy("归还"),
    "overdue": gettext_lazy("逾期未还"),
    "decided": gettext_lazy("审批"),
    "made": gettext_lazy("配制登记"),
    "opened": gettext_lazy("紧急动用"),
    "contact_attempt": gettext_lazy("联系记录"),
    "entered": gettext_lazy("进入单元"),
    "closed": gettext_lazy("处置完毕"),
    "reviewed": gettext_lazy("复核"),
    "recorded": gettext_lazy("登记换锁"),
    "sealed": gettext_lazy("封存"),
    "seal_overdue": gettext_lazy("超时未封存"),
    "handed": gettext_lazy("交班签字"),
    "signed": gettext_lazy("接班确认"),
    "submitted": gettext_lazy("报送"),
}
# The monthly report's figures (selectors.month_figures), in display order.
FIGURE_LABELS: dict[str, Promise] = {
    "loans": gettext_lazy("借用次数"),
    "keys_used": gettext_lazy("借用钥匙数"),
    "maintenance_loans": gettext_lazy("其中维修工程借用"),
    "emergency_uses": gettext_lazy("紧急动用"),
    "overdue": gettext_lazy("逾期归还或逾期未还"),
    "damaged": gettext_lazy("损坏"),
    "lost": gettext_lazy("遗失"),
    "found": gettext_lazy("找回"),
    "lock_changes": gettext_lazy("更换锁芯"),
    "copies_made": gettext_lazy("配制钥匙"),
}


# --- Shared helpers ------------------------------------------------------------


def _require_staff(request: HttpRequest) -> None:
    if not viewer_for(request.user).is_staff_member:
        raise PermissionDenied(_("仅限员工操作。"))


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def staff_name(user: User | None) -> str:
    if user is None:
        return ""
    profile = getattr(user, "staff_profile", None)
    return profile.name if profile is not None else user.get_username()


def _staff_of(project_ids: Iterable[int]) -> QuerySet[User]:
    """Active staff of these projects, by name (custodians, handover partners)."""
    return (
        User.objects.filter(is_active=True, staff_profile__projects__in=list(project_ids))
        .select_related("staff_profile")
        .order_by("staff_profile__name", "pk")
        .distinct()
    )


def _projects(request: HttpRequest) -> QuerySet[Project]:
    return scope_queryset(Project.objects.order_by("code"), request.user)


def _pick_project(request: HttpRequest) -> Project | None:
    """The project a per-project page is about: ``?project=`` or the user's first."""
    projects = _projects(request)
    raw = request.POST.get("project") or request.GET.get("project") or ""
    if raw.isdigit():
        chosen = projects.filter(pk=int(raw)).first()
        if chosen is not None:
            return chosen
    return projects.first()


def _page(request: HttpRequest, rows: QuerySet[Any], count: int | None = None) -> Page:
    """One page of ``rows``; pass ``count`` when it is already known to spare a COUNT(*)."""
    paginator = Paginator(rows, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: the instance value wins
    return paginator.get_page(request.GET.get("page"))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class EventRow:
    event: Event
    label: str
    change: str
    actor: str


def event_rows(
    subject: Any, states: dict[str, Any], labels: dict[str, Any] | None = None
) -> list[EventRow]:
    """The record's timeline (ORG-05), labelled for the desk."""
    labels = {**EVENT_LABELS, **(labels or {})}
    rows = []
    for e in timeline(subject).select_related("actor__staff_profile").order_by("at", "id"):
        if e.action == "overdue":
            change = _("逾期升级至 %(n)s 级") % {"n": e.to_state}
        elif e.from_state and e.to_state:
            before, after = (
                states.get(e.from_state, e.from_state),
                states.get(e.to_state, e.to_state),
            )
            change = f"{before} → {after}"
        elif e.to_state:
            change = str(states.get(e.to_state, e.to_state))
        else:
            change = ""
        actor = staff_name(e.actor) if e.actor is not None else _("系统")
        rows.append(EventRow(e, str(labels.get(e.action, e.action)), change, actor))
    return rows


@dataclass(frozen=True)
class Action:
    """One POST action of a detail page: its form, the service call, what then."""

    form: type[forms.Form]
    run: Callable[[HttpRequest, Any, dict[str, Any]], Any]
    done: Promise
    then: Callable[[Any], str] | None = None  # the next page, from the service's result
    form_kwargs: Callable[[Any], dict[str, Any]] | None = None


def _service_call(
    form: forms.Form, call: Callable[[], Any], aliases: dict[str, str] | None = None
) -> tuple[Any, int, str]:
    """Run one service call; return (result, status, page error).

    A refusal never loses the input: the caller re-renders the bound form.
    """
    try:
        return call(), 200, ""
    except services.InvalidTransition as exc:
        return None, 409, str(exc)
    except PermissionDenied as exc:
        return None, 403, str(exc) or _("您无权执行此操作。")
    except ValidationError as exc:
        apply_service_error(form, exc, aliases)
        return None, 400, ""


def _perform(
    request: HttpRequest,
    obj: Any,
    name: str,
    actions: dict[str, Action],
    *,
    page: Callable[..., HttpResponse],
    done_url: str,
) -> HttpResponse:
    """Validate the action's form, call its service, redirect or re-render with errors."""
    spec = actions.get(name)
    if spec is None:
        raise Http404
    kwargs = spec.form_kwargs(obj) if spec.form_kwargs else {}
    form = spec.form(request.POST, prefix=name, **kwargs)
    status, error = 400, ""
    if form.is_valid():
        result, status, error = _service_call(
            form, lambda: spec.run(request, obj, form.cleaned_data)
        )
        if status == 200:
            messages.success(request, str(spec.done))
            return redirect(spec.then(result) if spec.then else done_url)
    return page(bound={name: form}, action_error=error, failed_action=name, status=status)


def _action_path(prefix: str, actions: dict[str, Action], view: Any, name: str) -> URLPattern:
    # Only the action names match, so other routes under the same record
    # (the PDF routes of keys.pdf_views) are never swallowed by this one.
    names = "|".join(sorted(actions))
    return re_path(rf"^{prefix}(?P<pk>\d+)/(?P<name>{names})/$", view, name=name)


def _forms(
    defaults: dict[str, forms.Form], bound: dict[str, forms.Form] | None
) -> dict[str, forms.Form]:
    defaults.update(bound or {})
    return defaults


# --- Key board (KEY-01) ----------------------------------------------------------


def _keys(request: HttpRequest) -> QuerySet[Key]:
    return scope_queryset(Key.objects.all(), request.user)


def _show_project(request: HttpRequest) -> bool:
    viewer = viewer_for(request.user)
    return viewer.all_projects or len(viewer.project_ids) > 1


@dataclass(frozen=True)
class BoardRow:
    key: Key
    overdue: bool
    pending: str  # the label of a request waiting for approval or checkout


@login_required
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    """The key board: counts per status, then one page of keys with the loan out now.

    A fixed number of queries whatever the number of keys: one grouped count
    (which also gives the paginator its count) and the page itself (the loan
    comes as subqueries).
    """
    _require_staff(request)
    form = BoardFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    query = (filters.get("q") or "").strip()
    status = filters.get("status") or ""
    keys = selectors.search_keys(_keys(request), query)
    counts = selectors.status_counts(keys)
    # A request waiting for approval or checkout shows on the key's row too (KEY-05):
    # two more subqueries of the same query, no query per row.
    pending = Loan.objects.filter(
        key=OuterRef("pk"), status__in=(Loan.Status.REQUESTED, Loan.Status.APPROVED)
    )
    rows = (
        selectors.with_current_loan(keys)
        .annotate(
            pending_loan_id=Subquery(pending.values("pk")[:1]),
            pending_status=Subquery(pending.values("status")[:1]),
        )
        .select_related("unit", "project")
    )
    if status:
        rows = rows.filter(status=status)
    now = timezone.now()
    if filters.get("overdue"):
        # ``loan_due_at`` is annotated by ``selectors.with_current_loan``.
        rows = rows.filter(loan_due_at__lt=now)  # type: ignore[misc]
    # The grouped status counts already give the number of rows, unless the
    # overdue filter narrows them further.
    known = (
        None
        if filters.get("overdue")
        else (counts.get(status, 0) if status else sum(counts.values()))
    )
    page = _page(request, rows.order_by("project_id", "tag", "pk"), count=known)
    board_rows = [
        BoardRow(
            k,
            bool(k.loan_due_at and k.loan_due_at < now),
            str(Loan.Status(k.pending_status).label) if k.pending_status else "",
        )
        for k in page.object_list
    ]
    chips = [(value, label, counts.get(value, 0)) for value, label in Key.Status.choices]
    return render(
        request,
        "keys/board.html",
        {
            "form": form,
            "page": page,
            "rows": board_rows,
            "chips": chips,
            "total": sum(counts.values()),
            "status": status,
            "query": query,
            "show_project": _show_project(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def key_new(request: HttpRequest) -> HttpResponse:
    """Register a public-area, plant-room or other key (KEY-01). Owner's spare keys
    are registered with their entrustment (KEY-02)."""
    _require_staff(request)
    projects = _projects(request)
    staff = _staff_of(projects.values_list("pk", flat=True))
    posted = request.method == "POST"
    form = KeyRegisterForm(request.POST if posted else None, projects=projects, staff=staff)
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            unit = None
            room = d["room"].strip()
            if room:
                unit = (
                    scope_queryset(Unit.objects.all(), request.user)
                    .filter(project=d["project"], number__iexact=room)
                    .first()
                )
                if unit is None:
                    form.add_error("room", _("本管理项目没有房号“%(room)s”。") % {"room": room})
            if not form.errors:
                key, status, error = _service_call(
                    form,
                    lambda: services.key_register(
                        project=d["project"],
                        tag=d["tag"],
                        kind=d["kind"],
                        opens=d["opens"],
                        by=_user(request),
                        unit=unit,
                        cabinet_position=d["cabinet_position"],
                        custodian_department=d["custodian_department"],
                        custodian=d["custodian"],
                        note=d["note"],
                    ),
                    {"unit": "room"},
                )
                if status == 200:
                    messages.success(request, _("已登记钥匙 %(tag)s。") % {"tag": key.tag})
                    if "save_next" in request.POST:
                        return redirect("keys:key_new")
                    return redirect("keys:key", pk=key.pk)
                if error:
                    form.add_error(None, error)
    return render(request, "keys/key_new.html", {"form": form}, status=status)


# --- Key detail and its actions (KEY-01, KEY-06..09) --------------------------------


def _key_queryset() -> QuerySet[Key]:
    return Key.objects.select_related(
        "project",
        "unit",
        "custodian__staff_profile",
        "custodian_department",
        "entrustment__resident",
        "copy_of",
        "copy_request",
        "registered_by__staff_profile",
    )


def _key_page(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    failed_action: str = "",
    status: int = 200,
) -> HttpResponse:
    key = get_scoped_or_404(_key_queryset(), request.user, pk=pk)
    user = _user(request)
    loans = list(
        key.loans.select_related(
            "requested_by__staff_profile", "approved_by__staff_profile"
        ).order_by("-requested_at", "-id")[:HISTORY_LIMIT]
    )
    live = next((loan for loan in loans if loan.status in services.LIVE_LOAN), None)
    staff = _staff_of([key.project_id])
    action_forms = _forms(
        {
            "incident": IncidentForm(prefix="incident"),
            "transfer": CustodyTransferForm(prefix="transfer", staff=staff),
            "copy": CopyRequestForm(prefix="copy"),
            "unseal": UnsealForm(prefix="unseal"),
            "emergency": EmergencyOpenForm(prefix="emergency"),
        },
        bound,
    )
    in_cabinet = key.status in (Key.Status.AVAILABLE, Key.Status.SEALED)
    gone = key.status in (Key.Status.LOST, Key.Status.RETIRED, Key.Status.RETURNED)
    context = {
        "k": key,
        "live": live,
        "live_overdue": bool(live and live.is_overdue()),
        "loans": loans,
        "transfers": list(
            key.custody_transfers.select_related(
                "from_custodian__staff_profile",
                "to_custodian__staff_profile",
                "to_department",
                "by__staff_profile",
            )
        ),
        "incidents": list(key.incidents.select_related("by__staff_profile")),
        "copies": list(key.copies.only("pk", "tag", "status", "cabinet_position")),
        "copy_requests": list(key.copy_requests.select_related("requested_by__staff_profile")),
        "emergencies": list(key.emergency_uses.only("pk", "number", "kind", "status", "opened_at")),
        "lock_changes": list(
            LockChange.objects.filter(Q(new_key=key) | Q(old_key=key)).only(
                "pk", "number", "status", "changed_at", "old_key_id", "new_key_id"
            )
        ),
        "events": event_rows(key, dict(Key.Status.choices)),
        "forms": action_forms,
        "action_error": action_error,
        "failed_action": failed_action,
        "can_request_loan": key.status in services.LENDABLE and live is None,
        "can_emergency": in_cabinet and services.has_role(user, services.EMERGENCY_ROLES),
        "can_unseal": key.status == Key.Status.SEALED
        and services.has_role(user, services.UNSEAL_ROLES),
        "can_copy": not gone,
        "can_transfer": not gone,
        "can_lock_change": not gone and services.has_role(user, services.LOCK_CHANGE_ROLES),
        "custodian": staff_name(key.custodian),
    }
    return render(request, "keys/key_detail.html", context, status=status)


@login_required
@require_safe
def key_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One key: data, current loan, history, custody, incidents, copies, timeline."""
    _require_staff(request)
    return _key_page(request, pk)


def _copy_url(request: CopyRequest) -> str:
    return reverse("keys:copy_request", args=[request.pk])


def _emergency_url(use: EmergencyUse) -> str:
    return reverse("keys:emergency", args=[use.pk])


KEY_ACTIONS: dict[str, Action] = {
    "incident": Action(
        IncidentForm,
        lambda r, k, d: services.incident_record(
            key=k, kind=d["kind"], note=d["note"], by=_user(r)
        ),
        gettext_lazy("已登记。"),
    ),
    "transfer": Action(
        CustodyTransferForm,
        lambda r, k, d: services.custody_transfer(
            keys=[k],
            to_custodian=d["to_custodian"],
            to_department=d["to_department"],
            reason=d["reason"],
            by=_user(r),
        ),
        gettext_lazy("已登记保管交接。"),
        form_kwargs=lambda k: {"staff": _staff_of([k.project_id])},
    ),
    "copy": Action(
        CopyRequestForm,
        lambda r, k, d: services.copy_request(
            key=k, count=d["count"], reason=d["reason"], by=_user(r)
        ),
        gettext_lazy("已提交配制申请，须经客服经理批准后才能配制（KEY-06）。"),
        then=_copy_url,
    ),
    "unseal": Action(
        UnsealForm,
        lambda r, k, d: services.key_unseal(key=k, reason=d["reason"], by=_user(r)),
        gettext_lazy("已启封，钥匙恢复在柜。"),
    ),
    "emergency": Action(
        EmergencyOpenForm,
        lambda r, k, d: services.emergency_open(
            key=k, kind=d["kind"], reason=d["reason"], by=_user(r)
        ),
        gettext_lazy("已登记紧急动用。进入前请先联系业主或租户，并逐次登记（KEY-07）。"),
        then=_emergency_url,
    ),
}


@login_required
@require_POST
def key_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    _require_staff(request)
    key = get_scoped_or_404(_key_queryset(), request.user, pk=pk)
    return _perform(
        request,
        key,
        name,
        KEY_ACTIONS,
        page=lambda **kw: _key_page(request, pk, **kw),
        done_url=reverse("keys:key", args=[pk]),
    )


# --- Loans (KEY-03, KEY-04, KEY-05) -------------------------------------------------


def _loans(request: HttpRequest) -> QuerySet[Loan]:
    return scope_queryset(
        Loan.objects.select_related(
            "project",
            "key__unit",
            "requested_by__staff_profile",
            "approved_by__staff_profile",
            "out_by__staff_profile",
            "received_by__staff_profile",
        ),
        request.user,
    )


@dataclass(frozen=True)
class LoanRow:
    loan: Loan
    overdue: bool
    late: bool  # returned after its due time


@login_required
@require_safe
def loan_list(request: HttpRequest) -> HttpResponse:
    """《借用钥匙登记表》 on screen: who, which key, why, approved by, out at, back at."""
    _require_staff(request)
    form = LoanFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    rows = _loans(request)
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("overdue"):
        rows = rows.filter(status=Loan.Status.OUT, due_at__lt=now)
    if filters.get("date_from"):
        rows = rows.filter(requested_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        rows = rows.filter(requested_at__lt=_day_start(filters["date_to"] + timedelta(days=1)))
    text = (filters.get("q") or "").strip()
    if text:
        rows = rows.filter(
            Q(number__icontains=text)
            | Q(key__tag__istartswith=text)
            | Q(key__unit__number__iexact=text)
            | Q(borrower_name__icontains=text)
        )
    page = _page(request, rows.order_by("-requested_at", "-id"))
    loan_rows = [
        LoanRow(
            loan,
            loan.is_overdue(now),
            bool(loan.returned_at and loan.due_at and loan.returned_at > loan.due_at),
        )
        for loan in page.object_list
    ]
    return render(
        request,
        "keys/loan_list.html",
        {
            "form": form,
            "page": page,
            "rows": loan_rows,
            "month": f"{timezone.localdate():%Y-%m}",
            "show_project": _show_project(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def loan_new(request: HttpRequest) -> HttpResponse:
    """Ask to borrow a key (KEY-03); the key comes from ``?key=`` or its typed tag."""
    _require_staff(request)
    keys = _keys(request).select_related("project", "unit", "entrustment")
    posted = request.method == "POST"
    picked: Key | None = None
    initial: dict[str, Any] = {}
    raw = request.GET.get("key", "")
    if not posted and raw.isdigit():
        picked = keys.filter(pk=int(raw)).first()
        if picked is not None:
            initial = {"key": picked.pk, "key_tag": picked.tag}
    form = LoanRequestForm(request.POST if posted else None, keys=keys, initial=initial)
    status = 200
    if posted:
        status = 400
        valid = form.is_valid()
        picked = form.cleaned_data.get("key")
        if valid and picked is not None:
            d = form.cleaned_data
            loan, status, error = _service_call(
                form,
                lambda: services.loan_request(
                    key=d["key"],
                    purpose=d["purpose"],
                    by=_user(request),
                    borrower_name=d["borrower_name"],
                    borrower_unit=d["borrower_unit"],
                    borrower_phone=d["borrower_phone"],
                    use=d["use"],
                    maintenance=d["maintenance"],
                    due_at=d["due_at"],
                ),
                {"key": "key_tag"},
            )
            if status == 200:
                messages.success(
                    request,
                    _("已提交借用申请 %(number)s，待管理人员批准后发放钥匙（KEY-03）。")
                    % {"number": loan.number},
                )
                return redirect("keys:loan", pk=loan.pk)
            if error:
                form.add_error(None, error)
    context = {
        "form": form,
        "picked": picked,
        "picked_live": bool(
            picked is not None and picked.loans.filter(status__in=services.LIVE_LOAN).exists()
        ),
    }
    return render(request, "keys/loan_new.html", context, status=status)


def _loan_page(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    failed_action: str = "",
    status: int = 200,
) -> HttpResponse:
    loan = get_scoped_or_404(
        _loans(request).select_related("key__entrustment"), request.user, pk=pk
    )
    user = _user(request)
    is_requester = loan.requested_by_id == user.pk
    emergency = (
        EmergencyUse.objects.filter(loan=loan).only("pk", "number").first()
        if loan.emergency
        else None
    )
    context = {
        "loan": loan,
        "overdue": loan.is_overdue(),
        "late": bool(loan.returned_at and loan.due_at and loan.returned_at > loan.due_at),
        "emergency_use": emergency,
        "is_requester": is_requester,
        # Shown only to approvers who did not ask (ORG-04); the service decides again.
        "can_decide": loan.status == Loan.Status.REQUESTED
        and not is_requester
        and services.may_approve_loans(user),
        "can_checkout": loan.status == Loan.Status.APPROVED,
        "can_cancel": loan.status in (Loan.Status.REQUESTED, Loan.Status.APPROVED),
        # An emergency loan comes back when its emergency use is closed (KEY-07).
        "can_return": loan.status == Loan.Status.OUT and not loan.emergency,
        "forms": _forms(
            {
                "approve": ApproveForm(prefix="approve"),
                "reject": RejectForm(prefix="reject"),
                "checkout": CheckoutForm(prefix="checkout"),
                "return": ReturnForm(prefix="return"),
                "cancel": CancelForm(prefix="cancel"),
            },
            bound,
        ),
        "action_error": action_error,
        "failed_action": failed_action,
        "events": event_rows(loan, dict(Loan.Status.choices)),
    }
    return render(request, "keys/loan_detail.html", context, status=status)


@login_required
@require_safe
def loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    return _loan_page(request, pk)


LOAN_ACTIONS: dict[str, Action] = {
    "approve": Action(
        ApproveForm,
        lambda r, loan, d: services.loan_approve(loan=loan, by=_user(r), note=d["note"]),
        gettext_lazy("已批准，可发放钥匙。"),
    ),
    "reject": Action(
        RejectForm,
        lambda r, loan, d: services.loan_reject(loan=loan, by=_user(r), note=d["note"]),
        gettext_lazy("已驳回。"),
    ),
    "checkout": Action(
        CheckoutForm,
        lambda r, loan, d: services.loan_checkout(loan=loan, by=_user(r)),
        gettext_lazy("钥匙已发放，请提醒借用人按时归还（KEY-04）。"),
    ),
    "return": Action(
        ReturnForm,
        lambda r, loan, d: services.loan_return(
            loan=loan, by=_user(r), condition=d["condition"], note=d["note"]
        ),
        gettext_lazy("钥匙已归还。"),
    ),
    "cancel": Action(
        CancelForm,
        lambda r, loan, d: services.loan_cancel(loan=loan, by=_user(r), reason=d["reason"]),
        gettext_lazy("已取消借用申请。"),
    ),
}


@login_required
@require_POST
def loan_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    _require_staff(request)
    loan = get_scoped_or_404(_loans(request), request.user, pk=pk)
    return _perform(
        request,
        loan,
        name,
        LOAN_ACTIONS,
        page=lambda **kw: _loan_page(request, pk, **kw),
        done_url=reverse("keys:loan", args=[pk]),
    )


# --- Entrustments (KEY-02) ------------------------------------------------------------


def _entrustments(request: HttpRequest) -> QuerySet[Entrustment]:
    return scope_queryset(
        Entrustment.objects.select_related(
            "project", "unit", "resident", "created_by__staff_profile"
        ),
        request.user,
    )


@login_required
@require_safe
def entrustment_list(request: HttpRequest) -> HttpResponse:
    """《业户钥匙委托书》 held by the desk; pending ones await the owner's signature."""
    _require_staff(request)
    form = EntrustmentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = _entrustments(request)
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    text = (filters.get("q") or "").strip()
    if text:
        rows = rows.filter(
            Q(number__icontains=text)
            | Q(unit__number__iexact=text)
            | Q(resident__name__icontains=text)
        )
    page = _page(request, rows.order_by("-created_at", "-id"))
    return render(
        request,
        "keys/entrustment_list.html",
        {"form": form, "page": page, "today": timezone.localdate()},
    )


def _owners_of(request: HttpRequest, room: str) -> QuerySet[Resident]:
    """The active owners of the units numbered ``room`` that the user may see."""
    room = room.strip()
    if not room:
        return Resident.objects.none()
    return scope_queryset(
        Resident.objects.filter(
            is_active=True, kind=Resident.Kind.OWNER, unit__number__iexact=room
        ).select_related("unit__project"),
        request.user,
    ).order_by("unit__project__code", "name", "pk")


ENTRUSTMENT_FIELDS_MULTI = ("allowed_uses",)


@login_required
@require_http_methods(["GET", "POST"])
def entrustment_new(request: HttpRequest) -> HttpResponse:
    """Record 《业户钥匙委托书》 and register the spare key with it (KEY-01, KEY-02).

    The owner is found by room number: “查找业主” re-renders the form with that
    unit's owners to pick from, keeping everything typed.
    """
    _require_staff(request)
    posted = request.method == "POST"
    data = request.POST if posted else request.GET
    residents = _owners_of(request, data.get("room", ""))
    finding = not posted or "find" in request.POST
    status = 200
    if finding:
        # Not a submission: show what was typed, without errors.
        initial: dict[str, Any] = {
            k: (data.getlist(k) if k in ENTRUSTMENT_FIELDS_MULTI else data.get(k)) for k in data
        }
        initial.setdefault("allowed_uses", ["emergency"])
        found = list(residents[:2])
        if len(found) == 1:
            initial["resident"] = found[0].pk
        form = EntrustmentForm(initial=initial, residents=residents)
    else:
        form = EntrustmentForm(request.POST, residents=residents)
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            entrustment, status, error = _service_call(
                form,
                lambda: services.entrustment_create(
                    resident=d["resident"],
                    allowed_uses=d["allowed_uses"],
                    valid_until=d["valid_until"],
                    valid_from=d["valid_from"],
                    key_tag=d["key_tag"],
                    opens=d["opens"],
                    cabinet_position=d["cabinet_position"],
                    paper_signed=d["paper_signed"],
                    note=d["note"],
                    by=_user(request),
                ),
                {"tag": "key_tag", "unit": "room"},
            )
            if status == 200:
                if entrustment.status == Entrustment.Status.ACTIVE:
                    text = _("已登记委托书 %(n)s，备用钥匙已入柜。")
                else:
                    text = _("已登记委托书 %(n)s，待业主签字或在业主门户确认后方可借用。")
                messages.success(request, text % {"n": entrustment.number})
                return redirect("keys:entrustment", pk=entrustment.pk)
            if error:
                form.add_error(None, error)
    context = {
        "form": form,
        "room": data.get("room", ""),
        "owners_found": residents.exists() if data.get("room") else None,
    }
    return render(request, "keys/entrustment_new.html", context, status=status)


def _entrustment_page(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    failed_action: str = "",
    status: int = 200,
) -> HttpResponse:
    e = get_scoped_or_404(_entrustments(request), request.user, pk=pk)
    keys = list(e.keys.all())
    loans = list(
        Loan.objects.filter(key__entrustment=e)
        .select_related("key", "approved_by__staff_profile")
        .order_by("-requested_at", "-id")[:HISTORY_LIMIT]
    )
    context = {
        "e": e,
        "keys": keys,
        "loans": loans,
        "uses": e.allowed_use_labels(),
        "can_confirm": e.status == Entrustment.Status.PENDING,
        "can_revoke": e.status != Entrustment.Status.REVOKED,
        "forms": _forms(
            {"confirm": ConfirmPaperForm(prefix="confirm"), "revoke": RevokeForm(prefix="revoke")},
            bound,
        ),
        "action_error": action_error,
        "failed_action": failed_action,
        "events": event_rows(e, dict(Entrustment.Status.choices)),
    }
    return render(request, "keys/entrustment_detail.html", context, status=status)


@login_required
@require_safe
def entrustment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    return _entrustment_page(request, pk)


ENTRUSTMENT_ACTIONS: dict[str, Action] = {
    "confirm": Action(
        ConfirmPaperForm,
        lambda r, e, d: services.entrustment_confirm(
            entrustment=e, by=_user(r), method=Entrustment.Confirmation.PAPER
        ),
        gettext_lazy("已登记业主纸质签字，委托书生效。"),
    ),
    "revoke": Action(
        RevokeForm,
        lambda r, e, d: services.entrustment_revoke(entrustment=e, by=_user(r), reason=d["reason"]),
        gettext_lazy("委托已撤销，请将钥匙当面退还业主。"),
    ),
}


@login_required
@require_POST
def entrustment_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    _require_staff(request)
    e = get_scoped_or_404(_entrustments(request), request.user, pk=pk)
    return _perform(
        request,
        e,
        name,
        ENTRUSTMENT_ACTIONS,
        page=lambda **kw: _entrustment_page(request, pk, **kw),
        done_url=reverse("keys:entrustment", args=[pk]),
    )


# --- Emergency use (KEY-07) -----------------------------------------------------------


def _emergencies(request: HttpRequest) -> QuerySet[EmergencyUse]:
    return scope_queryset(
        EmergencyUse.objects.select_related(
            "project",
            "key__unit",
            "loan",
            "opened_by__staff_profile",
            "reviewed_by__staff_profile",
        ),
        request.user,
    )


@login_required
@require_safe
def emergency_list(request: HttpRequest) -> HttpResponse:
    """Emergency uses: open ones first, then those awaiting review."""
    _require_staff(request)
    status = request.GET.get("status", "")
    rows = _emergencies(request)
    if status in EmergencyUse.Status.values:
        rows = rows.filter(status=status)
    page = _page(request, rows.order_by("-opened_at", "-id"))
    return render(
        request,
        "keys/emergency_list.html",
        {
            "page": page,
            "status": status,
            "statuses": EmergencyUse.Status.choices,
            "now": timezone.now(),
        },
    )


def _emergency_page(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    failed_action: str = "",
    status: int = 200,
) -> HttpResponse:
    use = get_scoped_or_404(_emergencies(request), request.user, pk=pk)
    user = _user(request)
    residents: list[Resident] = []
    if use.key.unit_id is not None:
        # The people to call first (KEY-07), from 《业户紧急联系表》.
        residents = list(
            scope_queryset(
                Resident.objects.filter(unit_id=use.key.unit_id, is_active=True),
                request.user,
            )
            .prefetch_related("emergency_contacts")
            .order_by("kind", "name")
        )
    before_entry = use.status == EmergencyUse.Status.OPEN and use.entered_at is None
    context = {
        "use": use,
        "attempts": list(use.attempts.select_related("by__staff_profile")),
        "residents": residents,
        "can_attempt": before_entry,
        "can_enter": before_entry,
        "can_close": use.status == EmergencyUse.Status.OPEN and use.entered_at is not None,
        "can_review": use.status == EmergencyUse.Status.CLOSED
        and use.opened_by_id != user.pk
        and services.has_role(user, services.REVIEW_ROLES),
        "review_overdue": bool(
            use.status == EmergencyUse.Status.CLOSED
            and use.review_due_at
            and use.review_due_at < timezone.now()
        ),
        "forms": _forms(
            {
                "attempt": ContactAttemptForm(prefix="attempt"),
                "enter": EnterForm(prefix="enter"),
                "close": CloseForm(prefix="close"),
                "review": ReviewForm(prefix="review"),
            },
            bound,
        ),
        "action_error": action_error,
        "failed_action": failed_action,
        "events": event_rows(use, dict(EmergencyUse.Status.choices)),
    }
    return render(request, "keys/emergency_detail.html", context, status=status)


@login_required
@require_safe
def emergency_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    return _emergency_page(request, pk)


EMERGENCY_ACTIONS: dict[str, Action] = {
    "attempt": Action(
        ContactAttemptForm,
        lambda r, u, d: services.emergency_attempt(
            use=u,
            whom=d["whom"],
            name=d["name"],
            phone=d["phone"],
            method=d["method"],
            result=d["result"],
            note=d["note"],
            by=_user(r),
        ),
        gettext_lazy("已登记联系记录。"),
    ),
    "enter": Action(
        EnterForm,
        lambda r, u, d: services.emergency_enter(
            use=u,
            witness_name=d["witness_name"],
            second_witness_name=d["second_witness_name"],
            entered_at=d["entered_at"],
            by=_user(r),
        ),
        gettext_lazy("已登记进入时间和在场人。"),
    ),
    "close": Action(
        CloseForm,
        lambda r, u, d: services.emergency_close(
            use=u, outcome=d["outcome"], exited_at=d["exited_at"], by=_user(r)
        ),
        gettext_lazy("处置完毕，钥匙已归还，已通知业主/住户；待主管复核。"),
    ),
    "review": Action(
        ReviewForm,
        lambda r, u, d: services.emergency_review(use=u, note=d["note"], by=_user(r)),
        gettext_lazy("已复核。"),
    ),
}


@login_required
@require_POST
def emergency_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    _require_staff(request)
    use = get_scoped_or_404(_emergencies(request), request.user, pk=pk)
    return _perform(
        request,
        use,
        name,
        EMERGENCY_ACTIONS,
        page=lambda **kw: _emergency_page(request, pk, **kw),
        done_url=reverse("keys:emergency", args=[pk]),
    )


# --- Lock changes (KEY-08) ------------------------------------------------------------


def _lock_changes(request: HttpRequest) -> QuerySet[LockChange]:
    return scope_queryset(
        LockChange.objects.select_related(
            "project",
            "old_key",
            "new_key__unit",
            "recorded_by__staff_profile",
            "sealed_by__staff_profile",
        ),
        request.user,
    )


@login_required
@require_safe
def lock_change_list(request: HttpRequest) -> HttpResponse:
    """Lock-core changes; new keys not sealed in time are red (KEY-08)."""
    _require_staff(request)
    form = LockChangeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = _lock_changes(request)
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    page = _page(request, rows.order_by("-changed_at", "-id"))
    return render(
        request,
        "keys/lock_change_list.html",
        {
            "form": form,
            "page": page,
            "now": timezone.now(),
            "may_record": services.has_role(request.user, services.LOCK_CHANGE_ROLES),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def lock_change_new(request: HttpRequest) -> HttpResponse:
    """Engineering records a new lock core; the new key waits for sealing (KEY-08)."""
    _require_staff(request)
    projects = _projects(request)
    keys = _keys(request)
    posted = request.method == "POST"
    initial: dict[str, Any] = {}
    raw = request.GET.get("old_key", "")
    if not posted and raw.isdigit():
        old = keys.filter(pk=int(raw)).select_related("project").first()
        if old is not None:
            initial = {
                "project": old.project_id,
                "old_key_tag": old.tag,
                "location": old.opens,
                "cabinet_position": old.cabinet_position,
            }
    form = LockChangeForm(
        request.POST if posted else None, projects=projects, keys=keys, initial=initial
    )
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            change, status, error = _service_call(
                form,
                lambda: services.lock_change_record(
                    project=d["project"],
                    location=d["location"],
                    reason=d["reason"],
                    new_tag=d["new_tag"],
                    old_key=d["old_key"],
                    changed_at=d["changed_at"],
                    cabinet_position=d["cabinet_position"],
                    departments_told=d["departments_told"],
                    by=_user(request),
                ),
                {"tag": "new_tag", "old_key": "old_key_tag"},
            )
            if status == 200:
                messages.success(
                    request,
                    _("已登记换锁 %(n)s，新钥匙须交物业总值封存。") % {"n": change.number},
                )
                return redirect("keys:lock_change", pk=change.pk)
            if error:
                form.add_error(None, error)
    context = {
        "form": form,
        "may_record": services.has_role(request.user, services.LOCK_CHANGE_ROLES),
    }
    return render(request, "keys/lock_change_new.html", context, status=status)


def _lock_change_page(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    failed_action: str = "",
    status: int = 200,
) -> HttpResponse:
    change = get_scoped_or_404(_lock_changes(request), request.user, pk=pk)
    awaiting = change.status == LockChange.Status.AWAITING_SEAL
    context = {
        "change": change,
        "departments": list(change.departments_told.all()),
        "seal_overdue": awaiting and change.seal_due_at < timezone.now(),
        "sealed_late": bool(change.sealed_at and change.sealed_at > change.seal_due_at),
        "can_seal": awaiting and services.has_role(request.user, services.SEAL_ROLES),
        "forms": _forms({"seal": SealForm(prefix="seal")}, bound),
        "action_error": action_error,
        "failed_action": failed_action,
        "events": event_rows(change, dict(LockChange.Status.choices)),
    }
    return render(request, "keys/lock_change_detail.html", context, status=status)


@login_required
@require_safe
def lock_change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    return _lock_change_page(request, pk)


LOCK_CHANGE_ACTIONS: dict[str, Action] = {
    "seal": Action(
        SealForm,
        lambda r, c, d: services.lock_change_seal(
            change=c, seal_number=d["seal_number"], by=_user(r)
        ),
        gettext_lazy("新钥匙已封存。"),
    ),
}


@login_required
@require_POST
def lock_change_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    _require_staff(request)
    change = get_scoped_or_404(_lock_changes(request), request.user, pk=pk)
    return _perform(
        request,
        change,
        name,
        LOCK_CHANGE_ACTIONS,
        page=lambda **kw: _lock_change_page(request, pk, **kw),
        done_url=reverse("keys:lock_change", args=[pk]),
    )


# --- Copies (KEY-06) ------------------------------------------------------------------


def _copy_requests(request: HttpRequest) -> QuerySet[CopyRequest]:
    return scope_queryset(
        CopyRequest.objects.select_related(
            "key__project", "key__unit", "requested_by__staff_profile", "decided_by__staff_profile"
        ),
        request.user,
    )


def _copy_request_page(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    failed_action: str = "",
    status: int = 200,
) -> HttpResponse:
    req = get_scoped_or_404(_copy_requests(request), request.user, pk=pk)
    user = _user(request)
    context = {
        "req": req,
        "copies": list(req.copies.only("pk", "tag", "status", "cabinet_position")),
        "can_decide": req.status == CopyRequest.Status.REQUESTED
        and req.requested_by_id != user.pk
        and services.has_role(user, services.COPY_APPROVER_ROLES),
        "is_requester": req.requested_by_id == user.pk,
        "can_register": req.status == CopyRequest.Status.APPROVED,
        "forms": _forms(
            {
                "decide": CopyDecideForm(prefix="decide"),
                "register": CopyRegisterForm(prefix="register"),
            },
            bound,
        ),
        "action_error": action_error,
        "failed_action": failed_action,
        "events": event_rows(req, dict(CopyRequest.Status.choices)),
    }
    return render(request, "keys/copy_request_detail.html", context, status=status)


@login_required
@require_safe
def copy_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    return _copy_request_page(request, pk)


COPY_ACTIONS: dict[str, Action] = {
    "decide": Action(
        CopyDecideForm,
        lambda r, c, d: services.copy_decide(
            request=c, approve=d["approve"], note=d["note"], by=_user(r)
        ),
        gettext_lazy("已登记审批结果。"),
    ),
    "register": Action(
        CopyRegisterForm,
        lambda r, c, d: services.copy_register(
            request=c, tags=d["tags"], cabinet_position=d["cabinet_position"], by=_user(r)
        ),
        gettext_lazy("复制钥匙已逐把登记入册。"),
    ),
}


@login_required
@require_POST
def copy_request_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    _require_staff(request)
    req = get_scoped_or_404(_copy_requests(request), request.user, pk=pk)
    return _perform(
        request,
        req,
        name,
        COPY_ACTIONS,
        page=lambda **kw: _copy_request_page(request, pk, **kw),
        done_url=reverse("keys:copy_request", args=[pk]),
    )


# --- Duty handover (KEY-10) -----------------------------------------------------------


def _handovers(request: HttpRequest) -> QuerySet[Handover]:
    return scope_queryset(
        Handover.objects.select_related(
            "project", "handed_by__staff_profile", "taken_by__staff_profile"
        ),
        request.user,
    )


@login_required
@require_safe
def handover_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    page = _page(request, _handovers(request).order_by("-at", "-id"))
    return render(request, "keys/handover_list.html", {"page": page, "me": _user(request).pk})


@login_required
@require_http_methods(["GET", "POST"])
def handover_new(request: HttpRequest) -> HttpResponse:
    """The outgoing person checks the live lists face to face and signs (KEY-10)."""
    _require_staff(request)
    project = _pick_project(request)
    if project is None:
        raise Http404
    user = _user(request)
    staff = _staff_of([project.pk]).exclude(pk=user.pk)
    posted = request.method == "POST"
    form = HandoverForm(request.POST if posted else None, staff=staff)
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            handover, status, error = _service_call(
                form,
                lambda: services.handover_create(
                    project=project,
                    taken_by=d["taken_by"],
                    other_items=d["other_items"],
                    discrepancies=d["discrepancies"],
                    by=user,
                ),
            )
            if status == 200:
                messages.success(request, _("已交班签字，请接班人在本人账号上核对确认。"))
                return redirect("keys:handover", pk=handover.pk)
            if error:
                form.add_error(None, error)
    keys_out, keys_sealed = services.handover_snapshot(project)
    context = {
        "form": form,
        "project": project,
        "projects": list(_projects(request)),
        "keys_out": keys_out,
        "keys_sealed": keys_sealed,
    }
    return render(request, "keys/handover_new.html", context, status=status)


def _handover_page(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    failed_action: str = "",
    status: int = 200,
) -> HttpResponse:
    handover = get_scoped_or_404(_handovers(request), request.user, pk=pk)
    context = {
        "h": handover,
        "can_sign": handover.status == Handover.Status.PENDING
        and handover.taken_by_id == _user(request).pk,
        "forms": _forms({"sign": HandoverSignForm(prefix="sign")}, bound),
        "action_error": action_error,
        "failed_action": failed_action,
        "events": event_rows(handover, dict(Handover.Status.choices)),
    }
    return render(request, "keys/handover_detail.html", context, status=status)


@login_required
@require_safe
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    return _handover_page(request, pk)


HANDOVER_ACTIONS: dict[str, Action] = {
    "sign": Action(
        HandoverSignForm,
        lambda r, h, d: services.handover_sign(handover=h, note=d["note"], by=_user(r)),
        gettext_lazy("已确认接班，交接完成。"),
    ),
}


@login_required
@require_POST
def handover_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    _require_staff(request)
    handover = get_scoped_or_404(_handovers(request), request.user, pk=pk)
    return _perform(
        request,
        handover,
        name,
        HANDOVER_ACTIONS,
        page=lambda **kw: _handover_page(request, pk, **kw),
        done_url=reverse("keys:handover", args=[pk]),
    )


# --- Monthly report (KEY-09) ----------------------------------------------------------


def _reports(request: HttpRequest) -> QuerySet[MonthlyReport]:
    return scope_queryset(
        MonthlyReport.objects.select_related(
            "project", "submitted_by__staff_profile", "reviewed_by__staff_profile"
        ),
        request.user,
    )


def _last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def figure_rows(figures: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(str(label), figures.get(name, 0)) for name, label in FIGURE_LABELS.items()]


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    """The monthly reports, and the form to submit a finished month with its preview."""
    _require_staff(request)
    project = _pick_project(request)
    if project is None:
        raise Http404
    posted = request.method == "POST"
    form = ReportSubmitForm(
        request.POST if posted else (request.GET if "month" in request.GET else None),
        initial={"month": _last_month()},
    )
    month = _last_month()
    if form.is_bound and form.is_valid():
        month = form.cleaned_data["month"]
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            report, status, error = _service_call(
                form,
                lambda: services.report_submit(
                    project=project, month=d["month"], note=d["note"], by=_user(request)
                ),
            )
            if status == 200:
                messages.success(
                    request, _("已报送 %(m)s 钥匙月报，待主管审核。") % {"m": f"{month:%Y-%m}"}
                )
                return redirect("keys:report", pk=report.pk)
            if error:
                form.add_error(None, error)
    figures = selectors.month_figures(project, month)
    page = _page(request, _reports(request).filter(project=project).order_by("-month"))
    context = {
        "form": form,
        "project": project,
        "projects": list(_projects(request)),
        "month": month,
        "figures": figure_rows(figures),
        "overdue_numbers": figures.get("overdue_numbers", []),
        "page": page,
    }
    return render(request, "keys/report_list.html", context, status=status)


def _report_page(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    failed_action: str = "",
    status: int = 200,
) -> HttpResponse:
    report = get_scoped_or_404(_reports(request), request.user, pk=pk)
    user = _user(request)
    context = {
        "report": report,
        "figures": figure_rows(report.figures),
        "overdue_numbers": report.figures.get("overdue_numbers", []),
        "can_review": report.status == MonthlyReport.Status.SUBMITTED
        and report.submitted_by_id != user.pk
        and services.has_role(user, services.REVIEW_ROLES),
        "forms": _forms({"review": ReportReviewForm(prefix="review")}, bound),
        "action_error": action_error,
        "failed_action": failed_action,
        "events": event_rows(
            report, dict(MonthlyReport.Status.choices), {"reviewed": gettext_lazy("主管审核")}
        ),
    }
    return render(request, "keys/report_detail.html", context, status=status)


@login_required
@require_safe
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    return _report_page(request, pk)


REPORT_ACTIONS: dict[str, Action] = {
    "review": Action(
        ReportReviewForm,
        lambda r, rep, d: services.report_review(report=rep, note=d["note"], by=_user(r)),
        gettext_lazy("月报已审核签字。"),
    ),
}


@login_required
@require_POST
def report_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    _require_staff(request)
    report = get_scoped_or_404(_reports(request), request.user, pk=pk)
    return _perform(
        request,
        report,
        name,
        REPORT_ACTIONS,
        page=lambda **kw: _report_page(request, pk, **kw),
        done_url=reverse("keys:report", args=[pk]),
    )


# --- Owner portal (KEY-02, KEY-07) ---------------------------------------------------------


def _require_resident(request: HttpRequest) -> frozenset[int]:
    unit_ids = viewer_for(request.user).unit_ids
    if not unit_ids:
        raise PermissionDenied(_("业主门户仅供业主/住户使用。"))
    return unit_ids


def _portal_entrustments(request: HttpRequest, unit_ids: frozenset[int]) -> QuerySet[Entrustment]:
    # Scope first (ORG-02), then narrow to the resident's own units: a staff
    # member who also lives here sees only their home in the portal.
    return scope_queryset(
        Entrustment.objects.filter(unit_id__in=unit_ids).select_related("unit", "resident"),
        request.user,
    )


def _portal_page(
    request: HttpRequest,
    unit_ids: frozenset[int],
    *,
    bound: PortalConfirmForm | None = None,
    failed_pk: int | None = None,
    action_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    entrustments = list(
        _portal_entrustments(request, unit_ids)
        .prefetch_related("keys")
        .order_by("-created_at", "-id")[:PORTAL_LIMIT]
    )
    # The uses of the spare keys, after the fact: only loans that went out.
    loans = list(
        scope_queryset(
            Loan.objects.filter(key__unit_id__in=unit_ids, out_at__isnull=False).select_related(
                "key__unit"
            ),
            request.user,
        ).order_by("-out_at", "-id")[:PORTAL_LIMIT]
    )
    emergencies = list(
        scope_queryset(
            EmergencyUse.objects.filter(
                key__unit_id__in=unit_ids,
                status__in=(EmergencyUse.Status.CLOSED, EmergencyUse.Status.REVIEWED),
            ).select_related("key__unit"),
            request.user,
        ).order_by("-opened_at", "-id")[:PORTAL_LIMIT]
    )
    context = {
        "entrustments": entrustments,
        "loans": loans,
        "emergencies": emergencies,
        "me": user.pk,
        "confirm_form": bound or PortalConfirmForm(prefix="confirm"),
        "failed_pk": failed_pk,
        "action_error": action_error,
    }
    return render(request, "keys/portal.html", context, status=status)


@login_required
@require_safe
def portal(request: HttpRequest) -> HttpResponse:
    """The owner's entrustments, their spare key's loans and emergency uses."""
    unit_ids = _require_resident(request)
    return _portal_page(request, unit_ids)


@login_required
@require_POST
def portal_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner confirms a pending entrustment online (KEY-02)."""
    unit_ids = _require_resident(request)
    entrustment = get_scoped_or_404(_portal_entrustments(request, unit_ids), request.user, pk=pk)
    form = PortalConfirmForm(request.POST, prefix="confirm")
    status, error = 400, ""
    if form.is_valid():
        _result, status, error = _service_call(
            form,
            lambda: services.entrustment_confirm(
                entrustment=entrustment,
                by=_user(request),
                method=Entrustment.Confirmation.PORTAL,
            ),
        )
        if status == 200:
            messages.success(
                request,
                _("已确认委托书 %(n)s，物业将按委托保管您的备用钥匙。") % {"n": entrustment.number},
            )
            return redirect("keys:portal")
    return _portal_page(
        request, unit_ids, bound=form, failed_pk=pk, action_error=error, status=status
    )


# --- URLs ---------------------------------------------------------------------------------

urlpatterns: list[URLPattern] = [
    path("", board, name="board"),
    path("new/", key_new, name="key_new"),
    path("<int:pk>/", key_detail, name="key"),
    _action_path("", KEY_ACTIONS, key_action, "key_action"),
    path("loans/", loan_list, name="loans"),
    path("loans/new/", loan_new, name="loan_new"),
    path("loans/<int:pk>/", loan_detail, name="loan"),
    _action_path("loans/", LOAN_ACTIONS, loan_action, "loan_action"),
    path("entrustments/", entrustment_list, name="entrustments"),
    path("entrustments/new/", entrustment_new, name="entrustment_new"),
    path("entrustments/<int:pk>/", entrustment_detail, name="entrustment"),
    _action_path("entrustments/", ENTRUSTMENT_ACTIONS, entrustment_action, "entrustment_action"),
    path("emergencies/", emergency_list, name="emergencies"),
    path("emergencies/<int:pk>/", emergency_detail, name="emergency"),
    _action_path("emergencies/", EMERGENCY_ACTIONS, emergency_action, "emergency_action"),
    path("lock-changes/", lock_change_list, name="lock_changes"),
    path("lock-changes/new/", lock_change_new, name="lock_change_new"),
    path("lock-changes/<int:pk>/", lock_change_detail, name="lock_change"),
    _action_path("lock-changes/", LOCK_CHANGE_ACTIONS, lock_change_action, "lock_change_action"),
    path("copies/<int:pk>/", copy_request_detail, name="copy_request"),
    _action_path("copies/", COPY_ACTIONS, copy_request_action, "copy_request_action"),
    path("handovers/", handover_list, name="handovers"),
    path("handovers/new/", handover_new, name="handover_new"),
    path("handovers/<int:pk>/", handover_detail, name="handover"),
    _action_path("handovers/", HANDOVER_ACTIONS, handover_action, "handover_action"),
    path("reports/", report_list, name="reports"),
    path("reports/<int:pk>/", report_detail, name="report"),
    _action_path("reports/", REPORT_ACTIONS, report_action, "report_action"),
    path("portal/", portal, name="portal"),
    path("portal/entrustments/<int:pk>/confirm/", portal_confirm, name="portal_confirm"),
]


# --- Navigation and home panel (registered in KeysConfig.ready) ---------------------------


def is_portal_user(identity: DeskIdentity) -> bool:
    """The portal entry is for residents (staff use the desk pages)."""
    return bool(identity.is_resident and not identity.is_staff_member)


def keys_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Keys out now, overdue, lock changes awaiting sealing, loans awaiting approval:
    ``selectors.desk_figures``, two queries.

    Filters on ``DeskIdentity``'s projects, already loaded for the top bar,
    instead of paying ``viewer_for``'s queries again (the home page's budget).
    """
    desk = desk_identity(request)
    if not desk.is_staff_member:
        return None
    loans = Loan.objects.all()
    changes = LockChange.objects.all()
    if not desk.all_projects:
        profile = desk.profile
        project_ids = [p.pk for p in profile.projects.all()] if profile is not None else []
        loans = loans.filter(project_id__in=project_ids)
        changes = changes.filter(project_id__in=project_ids)
    figures = selectors.desk_figures(loans, changes)
    loans_url = reverse("keys:loans")
    return {
        "title": _("钥匙"),
        "figures": figures,
        "board_url": reverse("keys:board"),
        "out_url": reverse("keys:board") + "?status=on_loan",
        "overdue_url": loans_url + "?overdue=on",
        "approval_url": loans_url + "?status=requested",
        "seal_url": reverse("keys:lock_changes") + "?status=awaiting_seal",
    }
