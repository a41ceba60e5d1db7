"""Decoration pages under /decoration/ (namespace ``decoration``).

Desk (staff of the project; another project's record is a 404, a resident or
contractor on a desk page a 403):
- ``board`` the permits board: counts per status, filters, review countdown,
  end date, stop-work and expelled flags, the deposit held; sections for
  permits ending soon, passes to collect, reviews due and open rectification
  notices; paged by 100 with a fixed number of queries;
- ``permit_new`` 《装修施工申请表》 at the desk (the owner signed on paper);
- ``permit`` one permit: dates, drawings, reviews, changes, extensions, passes,
  hot work, other applications, inspections, notices, fines, the ledger and its
  balances, the timeline, and every action the viewer may take
  (``permit_action``);
- ``notices``, ``notice_new``, ``notice`` construction notices to other owners
  (DEC-13) with approve / issue / withdraw.

Portal (``portal``, ``portal_new``): an owner's permits, online filing and the
notices of their building; a contractor's own permits and passes. The permit
page is shared: owners and contractors see the same page with their own actions.

Every write goes through ``decoration.services``: ``InvalidTransition`` is shown
as a message with HTTP 409, ``PermissionDenied`` with HTTP 403, a
``ValidationError`` on its field with HTTP 400 — always with what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, re_path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from decoration import rules, selectors, services
from decoration.forms import (
    APPROVE,
    AcceptanceForm,
    ApplicationForm,
    BoardFilterForm,
    ChangeForm,
    CompletionForm,
    ConstructionNoticeFilterForm,
    ConstructionNoticeForm,
    DecideForm,
    DeductionForm,
    DepositForm,
    DrawingsForm,
    ExtensionForm,
    FineForm,
    FinePayForm,
    HotWorkForm,
    InspectionForm,
    IssueForm,
    NoteForm,
    NoteTargetForm,
    PassForm,
    PermitForm,
    PortalPermitForm,
    ReasonForm,
    RectificationForm,
    RefundForm,
    ReviewForm,
    TargetForm,
    apply_service_error,
)
from decoration.models import (
    Application,
    ChangeRequest,
    ConstructionNotice,
    Decision,
    DecorationSettings,
    Drawing,
    Extension,
    Fine,
    HotWorkPermit,
    Inspection,
    InspectionPhoto,
    LedgerEntry,
    Permit,
    RectificationNotice,
    WorkerPass,
)
from keys.views import event_rows, staff_name
from servicedesk.core.models import Building, Project, Resident, Role, Unit
from servicedesk.core.scoping import get_scoped_or_404, scope_queryset, viewer_for
from servicedesk.web.identity import DeskIdentity, desk_identity

PAGE_SIZE = 100
PORTAL_LIMIT = 50
S = Permit.Status
SECTIONS = ("all", "expiring", "passes", "reviews", "notices")

EVENT_LABELS: dict[str, Promise] = {
    "filed": gettext_lazy("提交装修申请"),
    S.UNDER_REVIEW: gettext_lazy("提交图纸送审"),
    S.REJECTED: gettext_lazy("审图不通过"),
    S.APPROVED: gettext_lazy("审图通过"),
    S.DEPOSIT_PAID: gettext_lazy("收取押金"),
    S.IN_PROGRESS: gettext_lazy("发证开工/恢复施工"),
    S.COMPLETION_APPLIED: gettext_lazy("申请竣工验收"),
    S.ACCEPTED: gettext_lazy("验收合格"),
    S.CLOSED: gettext_lazy("退还押金，结案"),
    S.CANCELLED: gettext_lazy("撤销申请"),
    "change_requested": gettext_lazy("申请变更装修项目"),
    "change_approved": gettext_lazy("批准变更"),
    "change_rejected": gettext_lazy("驳回变更"),
    "extension_requested": gettext_lazy("申请延期"),
    "extended": gettext_lazy("批准延期"),
    "extension_rejected": gettext_lazy("驳回延期"),
    "extension_moot": gettext_lazy("延期申请已无需处理"),
    "expelled": gettext_lazy("清退装修单位"),
    "receipt_lost": gettext_lazy("登记押金收据遗失"),
    "inspected": gettext_lazy("二装巡视"),
    "notice_issued": gettext_lazy("开具整改通知单"),
    "review_overdue": gettext_lazy("审图超时"),
    "stop_work_flagged": gettext_lazy("逾期未延期，可责令停工"),
    "drafted": gettext_lazy("起草通告"),
    "approved": gettext_lazy("审核通过"),
    "issued": gettext_lazy("发布"),
    "withdrawn": gettext_lazy("撤回"),
    **{f"ledger_{k}": label for k, label in LedgerEntry.Kind.choices},
}


# --- Shared helpers ------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_staff(request: HttpRequest) -> bool:
    return viewer_for(request.user).is_staff_member


def _require_staff(request: HttpRequest) -> None:
    if not _is_staff(request):
        raise PermissionDenied(_("仅限员工操作。"))


def _page(request: HttpRequest, rows: QuerySet[Any], count: int | None = None) -> Page:
    paginator = Paginator(rows, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: the instance value wins
    return paginator.get_page(request.GET.get("page"))


def _service_call(
    form: forms.Form, call: Callable[[], Any], aliases: dict[str, str] | None = None
) -> tuple[Any, int, str]:
    """Run one service call; return (result, status, page error). The caller keeps the
    bound form, so a refusal never loses what was typed."""
    try:
        return call(), 200, ""
    except services.InvalidTransition as exc:
        return None, 409, str(exc)
    except PermissionDenied as exc:
        return None, 403, str(exc) or _("您无权执行此操作。")
    except ValidationError as exc:
        apply_service_error(form, exc, aliases)
        return None, 400, ""


def _attachment(file: FieldFile, name: str, content_type: str) -> FileResponse:
    """A stored upload, always as a download with ``nosniff`` (never rendered here)."""
    try:
        handle = file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    patch_cache_control(response, private=True)
    return response


def _show_project(request: HttpRequest) -> bool:
    viewer = viewer_for(request.user)
    return viewer.all_projects or len(viewer.project_ids) > 1


def _projects(request: HttpRequest) -> QuerySet[Project]:
    return scope_queryset(Project.objects.order_by("code"), request.user)


# --- Board (DEC-01, DEC-05, DEC-06, DEC-10, DEC-12) --------------------------------------


@dataclass(frozen=True)
class BoardRow:
    permit: Permit
    review_overdue: bool
    ending_soon: bool
    past_end: bool


@login_required
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    """The permits board: a fixed number of queries whatever the number of permits.

    One grouped count per status (which also gives the paginator its count on
    the main tab), one aggregate for the section tabs, the page itself with the
    deposit held as a subquery, and the building choices.
    """
    _require_staff(request)
    permits = scope_queryset(Permit.objects.all(), request.user)
    buildings = scope_queryset(Building.objects.order_by("project_id", "code"), request.user)
    form = BoardFilterForm(request.GET or None, buildings=buildings)
    filters = form.cleaned_data if form.is_valid() else {}
    view = request.GET.get("view") if request.GET.get("view") in SECTIONS else "all"
    query = (filters.get("q") or "").strip()
    status = filters.get("status") or ""
    building = filters.get("building")
    config = DecorationSettings.current()
    day = selectors.today()
    now = timezone.now()
    warn = config.expiry_warning_days
    figures = selectors.desk_figures(permits, day, warn)

    filtered = selectors.search_permits(permits, query)
    if building is not None:
        filtered = filtered.filter(unit__building=building)
    counts = selectors.status_counts(filtered)
    context: dict[str, Any] = {
        "form": form,
        "view": view,
        "query": query,
        "status": status,
        "figures": figures,
        "warn_days": warn,
        "chips": [(v, label, counts.get(v, 0)) for v, label in S.choices],
        "total": sum(counts.values()),
        "show_project": _show_project(request),
        "today": day,
    }
    if view == "passes":
        passes = scope_queryset(
            WorkerPass.objects.filter(selectors.passes_to_collect_q(day, warn)), request.user
        ).select_related("permit__unit", "permit__contractor")
        page = _page(request, passes.order_by("expires_on", "pk"))
        context.update(page=page, passes=list(page.object_list))
    elif view == "notices":
        notices = scope_queryset(
            RectificationNotice.objects.filter(status__in=selectors.OPEN_NOTICES), request.user
        ).select_related("permit__unit", "permit__contractor")
        page = _page(request, notices.order_by("due_at", "pk"))
        context.update(page=page, notices=list(page.object_list), now=now)
    else:
        rows = selectors.with_deposit_balance(filtered).select_related(
            "unit", "contractor", "project"
        )
        known: int | None = counts.get(status, 0) if status else sum(counts.values())
        if status:
            rows = rows.filter(status=status)
        if view == "expiring":
            rows = rows.filter(selectors.ending_soon_q(day, warn)).order_by("end_date", "pk")
            known = None
        elif view == "reviews":
            rows = rows.filter(status=S.UNDER_REVIEW).order_by("review_due_at", "pk")
            known = None
        else:
            rows = rows.order_by("-created_at", "-pk")
        page = _page(request, rows, count=known)
        board_rows = [
            BoardRow(
                p,
                review_overdue=bool(
                    p.status == S.UNDER_REVIEW and p.review_due_at and p.review_due_at < now
                ),
                ending_soon=bool(
                    p.status in selectors.ON_SITE
                    and p.end_date
                    and p.end_date <= day + timedelta(days=warn)
                ),
                past_end=bool(p.status in selectors.ON_SITE and p.end_date and p.end_date < day),
            )
            for p in page.object_list
        ]
        context.update(page=page, rows=board_rows, now=now)
    return render(request, "decoration/board.html", context)


# --- Filing at the desk (DEC-01..03, DEC-07) -----------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def permit_new(request: HttpRequest) -> HttpResponse:
    """《装修施工申请表》 entered at the desk from the form the owner signed."""
    _require_staff(request)
    projects = _projects(request)
    posted = request.method == "POST"
    form = PermitForm(request.POST if posted else None, projects=projects)
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            unit = (
                scope_queryset(Unit.objects.select_related("project"), request.user)
                .filter(project=d["project"], number__iexact=d["room"].strip())
                .first()
            )
            if unit is None:
                form.add_error("room", _("本管理项目没有房号“%(room)s”。") % {"room": d["room"]})
            else:
                permit, status, error = _service_call(
                    form,
                    lambda: services.permit_file(
                        unit=unit,
                        by=_user(request),
                        owner_signed=d["owner_signed"],
                        owner_name=d["owner_name"],
                        owner_phone=d["owner_phone"],
                        **form.service_kwargs(),
                    ),
                    {"unit": "room"},
                )
                if status == 200:
                    messages.success(
                        request,
                        _("已登记装修申请 %(no)s，请收取图纸送工程部审核（DEC-01）。")
                        % {"no": permit.number},
                    )
                    return redirect("decoration:permit", pk=permit.pk)
                if error:
                    form.add_error(None, error)
    return render(
        request, "decoration/permit_new.html", {"form": form, "portal": False}, status=status
    )


# --- The permit page and its actions ----------------------------------------------------


@dataclass
class Viewer:
    """Who is looking at a permit, and what they may do there."""

    staff: bool
    contractor: bool
    owner: bool
    user: User

    @property
    def party(self) -> bool:
        return self.staff or self.contractor or self.owner

    def role(self, roles: tuple[str, ...]) -> bool:
        return self.staff and services.has_role(self.user, roles)


def _viewer(request: HttpRequest, permit: Permit) -> Viewer:
    user = _user(request)
    return Viewer(
        staff=services.is_project_staff(user, permit.project_id),
        contractor=services.is_permit_contractor(user, permit),
        owner=services.is_permit_owner(user, permit),
        user=user,
    )


def _permit_queryset() -> QuerySet[Permit]:
    return Permit.objects.select_related(
        "project",
        "unit__building",
        "contractor",
        "owner",
        "created_by__staff_profile",
        "issued_by__staff_profile",
        "accepted_by__staff_profile",
    )


def _choices_of(rows: list[Any], label: Callable[[Any], str]) -> list[tuple[int, str]]:
    return [(r.pk, label(r)) for r in rows]


def _row_form(
    cls: type[forms.Form],
    name: str,
    pk: int,
    bound: dict[str, forms.Form],
    failed_action: str,
    failed_target: int | None,
) -> forms.Form:
    """The small form of one row (a pass, a fine…): the failed one comes back bound."""
    if failed_action == name and failed_target == pk and name in bound:
        return bound[name]
    return cls(prefix=name, initial={"target": pk}, auto_id=f"id_%s_{pk}")


def _permit_page(
    request: HttpRequest,
    permit: Permit,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    failed_action: str = "",
    failed_target: int | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    v = _viewer(request, permit)
    day = selectors.today()
    user = v.user
    drawings = list(permit.drawings.order_by("-round", "kind", "pk"))
    reviews = list(permit.reviews.select_related("decided_by__staff_profile").order_by("-round"))
    changes = list(permit.changes.select_related("requested_by__staff_profile"))
    extensions = list(permit.extensions.select_related("requested_by__staff_profile"))
    passes = list(permit.passes.order_by("issued_at", "pk"))
    hot_works = list(permit.hot_works.select_related("requested_by__staff_profile"))
    applications = list(permit.applications.select_related("requested_by__staff_profile"))
    inspections = list(
        permit.inspections.select_related("inspector__staff_profile").prefetch_related(
            Prefetch("photos", queryset=InspectionPhoto.objects.order_by("pk"))
        )
    )
    notices = list(permit.notices.select_related("issued_by__staff_profile"))
    fines = list(permit.fines.order_by("charged_at", "pk"))
    ledger = list(permit.ledger.select_related("by__staff_profile").order_by("at", "pk"))
    balances = rules.Balances.of((e.kind, e.amount) for e in ledger)
    owed: dict[int, Decimal] = {}
    for e in ledger:
        if e.fine_id is None:
            continue
        sign = 1 if e.kind == LedgerEntry.Kind.FINE_CHARGED else -1
        owed[e.fine_id] = owed.get(e.fine_id, rules.ZERO) + sign * e.amount
    for fine in fines:
        fine.outstanding = owed.get(fine.pk, rules.ZERO)  # type: ignore[attr-defined]
    live_passes = [p for p in passes if p.status == WorkerPass.Status.ISSUED]
    pending_change = next((c for c in changes if c.status == Decision.REQUESTED), None)
    pending_ext = next((x for x in extensions if x.status == Decision.REQUESTED), None)
    open_notices = [n for n in notices if n.status in selectors.OPEN_NOTICES]
    on_site = permit.status in selectors.ON_SITE

    def row(cls: type[forms.Form], name: str, pk: int) -> forms.Form:
        return _row_form(cls, name, pk, bound, failed_action, failed_target)

    cashier = v.role(services.CASHIER_ROLES)
    for p in live_passes:
        p.forms = {  # type: ignore[attr-defined]
            "pass_return": row(TargetForm, "pass_return", p.pk) if cashier else None,
            "pass_renew": row(TargetForm, "pass_renew", p.pk) if cashier else None,
            "pass_lost": row(NoteTargetForm, "pass_lost", p.pk) if v.staff else None,
        }
    for h in hot_works:
        h.decide_form = (  # type: ignore[attr-defined]
            row(DecideForm, "hot_work_decide", h.pk)
            if h.status == HotWorkPermit.Status.REQUESTED
            and v.role(services.HOT_WORK_APPROVER_ROLES)
            and h.requested_by_id != user.pk
            else None
        )
        h.close_form = (  # type: ignore[attr-defined]
            row(NoteTargetForm, "hot_work_close", h.pk)
            if h.status == HotWorkPermit.Status.APPROVED and v.staff
            else None
        )
    for a in applications:
        a.decide_form = (  # type: ignore[attr-defined]
            row(DecideForm, "application_decide", a.pk)
            if a.status == Application.Status.REQUESTED
            and v.role(services.APPLICATION_APPROVER_ROLES)
            and a.requested_by_id != user.pk
            else None
        )
    for n in notices:
        n.verify_form = (  # type: ignore[attr-defined]
            row(NoteTargetForm, "rectification_verify", n.pk)
            if n.status in selectors.OPEN_NOTICES and v.staff
            else None
        )
    for f in fines:
        f.pay_form = (  # type: ignore[attr-defined]
            row(FinePayForm, "fine_pay", f.pk)
            if cashier and f.outstanding > 0  # type: ignore[attr-defined]
            else None
        )
    change_form = (
        row(DecideForm, "change_decide", pending_change.pk)
        if pending_change
        and v.role(services.CHANGE_APPROVER_ROLES)
        and pending_change.requested_by_id != user.pk
        else None
    )
    ext_form = (
        row(DecideForm, "extension_decide", pending_ext.pk)
        if pending_ext
        and v.role(services.EXTENSION_APPROVER_ROLES)
        and pending_ext.requested_by_id != user.pk
        else None
    )

    inspection_choices = _choices_of(
        inspections, lambda i: f"{timezone.localtime(i.at):%m-%d %H:%M} {i.findings[:20]}"
    )
    notice_choices = _choices_of(notices, lambda n: n.number)
    pass_choices = _choices_of(live_passes, lambda p: f"{p.number} {p.worker_name}")
    defaults: dict[str, forms.Form] = {
        "drawings": DrawingsForm(prefix="drawings"),
        "review": ReviewForm(prefix="review"),
        "change": ChangeForm(prefix="change", initial={"items": "\n".join(permit.items)}),
        "deposit": DepositForm(prefix="deposit", initial={"amount": permit.deposit_required}),
        "issue": IssueForm(prefix="issue", initial={"start_date": max(day, permit.planned_start)}),
        "extension": ExtensionForm(prefix="extension"),
        "pass_issue": PassForm(
            prefix="pass_issue", initial={"signer_name": permit.site_leader_name}
        ),
        "hot_work": HotWorkForm(prefix="hot_work"),
        "application": ApplicationForm(prefix="application"),
        "inspection": InspectionForm(prefix="inspection", initial={"passes_worn": True}),
        "rectification": RectificationForm(prefix="rectification", inspections=inspection_choices),
        "fine": FineForm(prefix="fine", notices=notice_choices),
        "deduction": DeductionForm(prefix="deduction"),
        "expel": ReasonForm(prefix="expel"),
        "completion": CompletionForm(prefix="completion", passes=pass_choices),
        "acceptance": AcceptanceForm(prefix="acceptance"),
        "receipt_lost": NoteForm(prefix="receipt_lost"),
        "refund": RefundForm(prefix="refund"),
        "cancel": ReasonForm(prefix="cancel"),
    }
    action_forms = {**defaults, **{k: f for k, f in bound.items() if k in defaults}}
    deposit_taken = balances.deposit_received > 0
    can = {
        "drawings": v.party and permit.status in (S.APPLIED, S.REJECTED),
        "review": permit.status == S.UNDER_REVIEW
        and v.role(services.REVIEW_ROLES)
        and permit.created_by_id != user.pk,
        "change": (v.staff or v.owner)
        and permit.status in (S.APPROVED, S.DEPOSIT_PAID, S.IN_PROGRESS)
        and pending_change is None,
        "deposit": cashier and permit.status == S.APPROVED,
        "issue": cashier and permit.status == S.DEPOSIT_PAID,
        "extension": v.party
        and permit.status == S.IN_PROGRESS
        and pending_ext is None
        and permit.end_date is not None
        and day <= permit.end_date,
        "pass_issue": cashier and permit.status == S.IN_PROGRESS and not permit.expelled_at,
        "hot_work": v.party and permit.status == S.IN_PROGRESS,
        "application": v.party and on_site,
        "inspection": v.staff and on_site,
        "rectification": v.staff and on_site,
        "fine": v.role(services.FINE_ROLES) and (on_site or permit.status == S.ACCEPTED),
        "deduction": v.role(services.ACCEPTANCE_ROLES)
        and permit.status in (S.COMPLETION_APPLIED, S.ACCEPTED),
        "expel": v.role(services.EXPEL_ROLES) and on_site and not permit.expelled_at,
        "completion": v.party and permit.status == S.IN_PROGRESS,
        "acceptance": v.role(services.ACCEPTANCE_ROLES) and permit.status == S.COMPLETION_APPLIED,
        "receipt_lost": v.staff
        and deposit_taken
        and not permit.deposit_receipt_lost
        and permit.status not in (S.CLOSED, S.CANCELLED),
        "refund": cashier and permit.status == S.ACCEPTED and not permit.deposit_receipt_lost,
        "cancel": v.party and permit.status in (S.APPLIED, S.UNDER_REVIEW, S.REJECTED, S.APPROVED),
    }
    # A failed action stays on the page with its message, whatever changed meanwhile.
    if failed_action in can:
        can[failed_action] = True
    refund_entry = next((e for e in ledger if e.kind == LedgerEntry.Kind.DEPOSIT_REFUNDED), None)
    context = {
        "permit": permit,
        "v": v,
        "today": day,
        "now": timezone.now(),
        "review_overdue": bool(
            permit.status == S.UNDER_REVIEW
            and permit.review_due_at
            and permit.review_due_at < timezone.now()
        ),
        "past_end": bool(on_site and permit.end_date and permit.end_date < day),
        "drawings": drawings,
        "reviews": reviews,
        "changes": changes,
        "extensions": extensions,
        "passes": passes,
        "hot_works": hot_works,
        "applications": applications,
        "inspections": inspections,
        "notices": notices,
        "open_notices": open_notices,
        "fines": fines,
        "ledger": ledger,
        "balances": balances,
        "plan": rules.refund_plan(balances) if permit.status == S.ACCEPTED else None,
        "refund_entry": refund_entry,
        "construction_notices": list(
            permit.construction_notices.order_by("-drafted_at")
            if v.staff
            else permit.construction_notices.filter(status=ConstructionNotice.Status.ISSUED)
        ),
        "events": event_rows(permit, dict(S.choices), EVENT_LABELS),
        "forms": action_forms,
        "can": can,
        "pending_change": pending_change,
        "change_form": change_form,
        "pending_ext": pending_ext,
        "ext_form": ext_form,
        "action_error": action_error,
        "failed_action": failed_action,
        "created_by": staff_name(permit.created_by),
        "pdf": _pdf_links(permit),
    }
    return render(request, "decoration/permit_detail.html", context, status=status)


def _pdf_links(permit: Permit) -> dict[str, str]:
    """The official forms, if the PDF routes exist (decoration.pdf_urls)."""
    from django.urls import NoReverseMatch

    links: dict[str, str] = {}
    for name in ("pdf_application", "pdf_review", "pdf_permit", "pdf_refund_notice"):
        try:
            links[name] = reverse(f"decoration:{name}", args=[permit.pk])
        except NoReverseMatch:
            continue
    return links


@login_required
@require_safe
def permit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One permit, for the desk, its owner and its contractor (scoped: else 404)."""
    permit = get_scoped_or_404(_permit_queryset(), request.user, pk=pk)
    return _permit_page(request, permit)


# The actions: the form, the service call, the message after.


def _in(qs: QuerySet[Any], pk: int) -> Any:
    """A record of this permit by id (another permit's id is a 404)."""
    try:
        return qs.get(pk=pk)
    except qs.model.DoesNotExist as exc:
        raise Http404 from exc


def _decided(d: dict[str, Any]) -> bool:
    return bool(d["decision"] == APPROVE)


@dataclass(frozen=True)
class Action:
    form: type[forms.Form]
    run: Callable[[HttpRequest, Permit, dict[str, Any], forms.Form], Any]
    done: Callable[[Any], str] | Promise
    aliases: dict[str, str] | None = None
    form_kwargs: Callable[[Permit], dict[str, Any]] | None = None


def _refunded(result: Any) -> str:
    entry, plan = result
    return _("已退还装修押金 %(amount)s 元（扣除罚款 %(fines)s 元），已结案。") % {
        "amount": entry.amount,
        "fines": plan.fines_deducted,
    }


def _inspection_choices(p: Permit) -> dict[str, Any]:
    return {"inspections": [(i.pk, str(i.pk)) for i in p.inspections.all()]}


def _notice_choices(p: Permit) -> dict[str, Any]:
    return {"notices": [(n.pk, n.number) for n in p.notices.all()]}


def _pass_choices(p: Permit) -> dict[str, Any]:
    live = p.passes.filter(status=WorkerPass.Status.ISSUED)
    return {"passes": [(w.pk, w.number) for w in live]}


PERMIT_ACTIONS: dict[str, Action] = {
    "drawings": Action(
        DrawingsForm,
        lambda r, p, d, f: services.drawings_submit(
            permit=p,
            by=_user(r),
            uploads=f.uploads(),  # type: ignore[attr-defined]
            paper_kinds=d["paper"],
        ),
        gettext_lazy("图纸已提交，工程部将在时限内审核（DEC-01）。"),
        aliases={"drawings": "plan"},
    ),
    "review": Action(
        ReviewForm,
        lambda r, p, d, f: services.review_decide(
            permit=p,
            by=_user(r),
            approve=_decided(d),
            structure_ok=d["structure_ok"],
            water_electric_ok=d["water_electric_ok"],
            waterproofing_ok=d["waterproofing_ok"],
            comments=d["comments"],
        ),
        gettext_lazy("已登记审图意见。"),
        aliases={"reason": "comments"},
    ),
    "change": Action(
        ChangeForm,
        lambda r, p, d, f: services.change_request(
            permit=p, items=d["items"].split("\n"), reason=d["reason"], by=_user(r)
        ),
        gettext_lazy("已提交变更申请，批准前不得按变更内容施工（DEC-02）。"),
    ),
    "change_decide": Action(
        DecideForm,
        lambda r, p, d, f: services.change_decide(
            change=_in(ChangeRequest.objects.filter(permit=p), d["target"]),
            by=_user(r),
            approve=_decided(d),
            note=d["note"],
        ),
        gettext_lazy("已审批变更申请。"),
    ),
    "deposit": Action(
        DepositForm,
        lambda r, p, d, f: services.deposit_pay(
            permit=p, amount=d["amount"], receipt_no=d["receipt_no"], by=_user(r)
        ),
        gettext_lazy("已收取装修押金（DEC-04）。"),
    ),
    "issue": Action(
        IssueForm,
        lambda r, p, d, f: services.permit_issue(permit=p, start_date=d["start_date"], by=_user(r)),
        gettext_lazy("已发放装修许可证（DEC-05）。"),
    ),
    "extension": Action(
        ExtensionForm,
        lambda r, p, d, f: services.extension_request(
            permit=p, new_end_date=d["new_end_date"], reason=d["reason"], by=_user(r)
        ),
        gettext_lazy("已提交延期申请，待客服经理审批（DEC-05）。"),
    ),
    "extension_decide": Action(
        DecideForm,
        lambda r, p, d, f: services.extension_decide(
            extension=_in(Extension.objects.filter(permit=p), d["target"]),
            by=_user(r),
            approve=_decided(d),
            note=d["note"],
        ),
        gettext_lazy("已审批延期申请。"),
    ),
    "pass_issue": Action(
        PassForm,
        lambda r, p, d, f: services.pass_issue(
            permit=p,
            worker_name=d["worker_name"],
            id_number=d["id_number"],
            signed_by=d["signed_by"],
            signer_name=d["signer_name"],
            receipt_no=d["receipt_no"],
            photo=d["photo"],
            by=_user(r),
        ),
        lambda w: (
            _("已办理出入证 %(no)s（%(name)s），收工本费 %(fee)s 元、保证金 %(dep)s 元。")
            % {"no": w.number, "name": w.worker_name, "fee": w.fee, "dep": w.deposit}
        ),
    ),
    "pass_return": Action(
        TargetForm,
        lambda r, p, d, f: services.pass_return(
            worker_pass=_in(WorkerPass.objects.filter(permit=p), d["target"]), by=_user(r)
        ),
        lambda w: _("出入证 %(no)s %(s)s。") % {"no": w.number, "s": w.get_status_display()},
    ),
    "pass_lost": Action(
        NoteTargetForm,
        lambda r, p, d, f: services.pass_report_lost(
            worker_pass=_in(WorkerPass.objects.filter(permit=p), d["target"]),
            by=_user(r),
            note=d["note"],
        ),
        gettext_lazy("已登记出入证遗失，保证金不予退还（DEC-06）。"),
    ),
    "pass_renew": Action(
        TargetForm,
        lambda r, p, d, f: services.pass_renew(
            worker_pass=_in(WorkerPass.objects.filter(permit=p), d["target"]), by=_user(r)
        ),
        lambda w: _("出入证 %(no)s 已续期至 %(d)s。") % {"no": w.number, "d": w.expires_on},
    ),
    "hot_work": Action(
        HotWorkForm,
        lambda r, p, d, f: services.hot_work_request(permit=p, by=_user(r), **d),
        gettext_lazy("已提交动火申请，须经批准后方可动火（DEC-08）。"),
    ),
    "hot_work_decide": Action(
        DecideForm,
        lambda r, p, d, f: services.hot_work_decide(
            hot_work=_in(HotWorkPermit.objects.filter(permit=p), d["target"]),
            by=_user(r),
            approve=_decided(d),
            note=d["note"],
        ),
        gettext_lazy("已审批动火申请。"),
    ),
    "hot_work_close": Action(
        NoteTargetForm,
        lambda r, p, d, f: services.hot_work_close(
            hot_work=_in(HotWorkPermit.objects.filter(permit=p), d["target"]),
            by=_user(r),
            note=d["note"],
        ),
        gettext_lazy("已登记动火完工清场。"),
    ),
    "application": Action(
        ApplicationForm,
        lambda r, p, d, f: services.application_request(permit=p, by=_user(r), **d),
        gettext_lazy("已提交申请（DEC-09）。"),
    ),
    "application_decide": Action(
        DecideForm,
        lambda r, p, d, f: services.application_decide(
            application=_in(Application.objects.filter(permit=p), d["target"]),
            by=_user(r),
            approve=_decided(d),
            note=d["note"],
        ),
        gettext_lazy("已审批申请。"),
    ),
    "inspection": Action(
        InspectionForm,
        lambda r, p, d, f: services.inspection_record(
            permit=p,
            by=_user(r),
            extinguishers_found=d["extinguishers_found"],
            findings=d["findings"],
            passes_worn=d["passes_worn"],
            violation=d["violation"],
            photos=d["photos"],
        ),
        lambda i: (
            _("已登记巡视，发现违规，请开具整改通知单或罚款单（DEC-10）。")
            if i.violation
            else _("已登记巡视。")
        ),
    ),
    "rectification": Action(
        RectificationForm,
        lambda r, p, d, f: services.notice_issue(
            permit=p,
            items=d["items"],
            due_at=d["due_at"],
            by=_user(r),
            inspection=_in(Inspection.objects.filter(permit=p), d["inspection"])
            if d["inspection"]
            else None,
        ),
        lambda n: _("已开具整改通知单 %(no)s（DEC-10）。") % {"no": n.number},
        form_kwargs=_inspection_choices,
    ),
    "rectification_verify": Action(
        NoteTargetForm,
        lambda r, p, d, f: services.notice_verify(
            notice=_in(RectificationNotice.objects.filter(permit=p), d["target"]),
            by=_user(r),
            note=d["note"],
        ),
        gettext_lazy("已复查，整改完成。"),
    ),
    "fine": Action(
        FineForm,
        lambda r, p, d, f: services.fine_charge(
            permit=p,
            amount=d["amount"],
            reason=d["reason"],
            by=_user(r),
            notice=_in(RectificationNotice.objects.filter(permit=p), d["notice"])
            if d["notice"]
            else None,
        ),
        lambda fine: (
            _("已开具罚款单 %(no)s，%(amount)s 元（DEC-10）。")
            % {"no": fine.number, "amount": fine.amount}
        ),
        form_kwargs=_notice_choices,
    ),
    "fine_pay": Action(
        FinePayForm,
        lambda r, p, d, f: services.fine_pay(
            fine=_in(Fine.objects.filter(permit=p), d["target"]),
            receipt_no=d["receipt_no"],
            by=_user(r),
        ),
        lambda e: _("已收取罚款 %(amount)s 元。") % {"amount": e.amount},
    ),
    "deduction": Action(
        DeductionForm,
        lambda r, p, d, f: services.deduction_record(
            permit=p, amount=d["amount"], reason=d["reason"], by=_user(r)
        ),
        lambda e: _("已从押金中扣款 %(amount)s 元。") % {"amount": e.amount},
    ),
    "expel": Action(
        ReasonForm,
        lambda r, p, d, f: services.contractor_expel(permit=p, reason=d["reason"], by=_user(r)),
        gettext_lazy("已清退装修单位（DEC-10）。"),
    ),
    "completion": Action(
        CompletionForm,
        lambda r, p, d, f: services.completion_apply(
            permit=p, by=_user(r), lost_passes=d["lost_passes"]
        ),
        gettext_lazy("已申请竣工验收，出入证已收回（DEC-11）。"),
        form_kwargs=_pass_choices,
    ),
    "acceptance": Action(
        AcceptanceForm,
        lambda r, p, d, f: services.acceptance_decide(
            permit=p,
            by=_user(r),
            passed=d["decision"] == "pass",
            no_illegal_alterations=d["no_illegal_alterations"],
            debris_cleared=d["debris_cleared"],
            note=d["note"],
        ),
        lambda p: (
            _("验收合格，可凭押金收据办理退款（DEC-11）。")
            if p.status == S.ACCEPTED
            else _("验收不合格，已退回施工整改。")
        ),
    ),
    "receipt_lost": Action(
        NoteForm,
        lambda r, p, d, f: services.receipt_lost_record(permit=p, by=_user(r), note=d["note"]),
        gettext_lazy("已登记押金收据遗失：按规定不予办理退款（DEC-11）。"),
    ),
    "refund": Action(
        RefundForm,
        lambda r, p, d, f: services.deposit_refund(
            permit=p, receipt_no=d["receipt_no"], by=_user(r)
        ),
        _refunded,
    ),
    "cancel": Action(
        ReasonForm,
        lambda r, p, d, f: services.permit_cancel(permit=p, by=_user(r), reason=d["reason"]),
        gettext_lazy("装修申请已撤销。"),
    ),
}


@login_required
@require_POST
def permit_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One action of the permit page: validate its form, call its service, then
    redirect, or re-render the page with the refusal and the input kept."""
    permit = get_scoped_or_404(_permit_queryset(), request.user, pk=pk)
    spec = PERMIT_ACTIONS.get(name)
    if spec is None:
        raise Http404
    kwargs = spec.form_kwargs(permit) if spec.form_kwargs else {}
    form = spec.form(request.POST, request.FILES, prefix=name, **kwargs)
    status, error = 400, ""
    target = None
    if form.is_valid():
        target = form.cleaned_data.get("target")
        result, status, error = _service_call(
            form, lambda: spec.run(request, permit, form.cleaned_data, form), spec.aliases
        )
        if status == 200:
            done = spec.done(result) if callable(spec.done) else spec.done
            messages.success(request, str(done))
            return redirect("decoration:permit", pk=permit.pk)
    else:
        raw = request.POST.get(f"{name}-target", "")
        target = int(raw) if raw.isdigit() else None
    if not error and form.errors and "target" in form.fields:
        # A row's form has no visible fields but the note: say it at the top too.
        error = " ".join(str(e) for errs in form.errors.values() for e in errs)
    permit = get_scoped_or_404(_permit_queryset(), request.user, pk=pk)
    return _permit_page(
        request,
        permit,
        bound={name: form},
        action_error=error,
        failed_action=name,
        failed_target=target,
        status=status,
    )


# --- Files: drawings and photos, only through scoped views ------------------------------


@login_required
@require_safe
def drawing_file(request: HttpRequest, pk: int) -> FileResponse:
    """A drawing as a download (DEC-01): staff of the project, the owner, the contractor."""
    drawing = get_scoped_or_404(Drawing.objects.filter(on_paper=False), request.user, pk=pk)
    return _attachment(drawing.file, drawing.original_name, drawing.content_type)


@login_required
@require_safe
def inspection_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = get_scoped_or_404(InspectionPhoto.objects.all(), request.user, pk=pk)
    return _attachment(photo.file, photo.original_name, photo.content_type)


@login_required
@require_safe
def pass_photo(request: HttpRequest, pk: int) -> FileResponse:
    worker_pass = get_scoped_or_404(WorkerPass.objects.exclude(photo=""), request.user, pk=pk)
    return _attachment(
        worker_pass.photo, f"{worker_pass.number}.img", worker_pass.photo_content_type
    )


# --- Construction notices (DEC-13) -------------------------------------------------------


NOTICE_ACTIONS = ("approve", "issue", "withdraw")


@login_required
@require_safe
def notice_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    form = ConstructionNoticeFilterForm(request.GET or None)
    status = form.cleaned_data.get("status") if form.is_valid() else ""
    rows = scope_queryset(ConstructionNotice.objects.all(), request.user).select_related(
        "building", "permit__unit", "project"
    )
    if status:
        rows = rows.filter(status=status)
    page = _page(request, rows.order_by("-drafted_at", "-pk"))
    return render(
        request,
        "decoration/notice_list.html",
        {"form": form, "page": page, "notices": list(page.object_list), "status": status},
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_new(request: HttpRequest) -> HttpResponse:
    """Draft a notice of work affecting other owners, ≥ 3 working days ahead (DEC-13)."""
    _require_staff(request)
    projects = _projects(request)
    buildings = scope_queryset(Building.objects.order_by("project_id", "code"), request.user)
    posted = request.method == "POST"
    initial = {}
    permit_no = request.GET.get("permit", "")
    if permit_no:
        initial["permit_number"] = permit_no
    form = ConstructionNoticeForm(
        request.POST if posted else None, projects=projects, buildings=buildings, initial=initial
    )
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            permit = None
            if d["permit_number"].strip():
                permit = (
                    scope_queryset(Permit.objects.all(), request.user)
                    .filter(number__iexact=d["permit_number"].strip())
                    .first()
                )
                if permit is None:
                    form.add_error("permit_number", _("没有该装修申请编号。"))
            if not form.errors:
                notice, status, error = _service_call(
                    form,
                    lambda: services.construction_notice_draft(
                        project=d["project"],
                        title=d["title"],
                        body=d["body"],
                        work_starts_on=d["work_starts_on"],
                        work_ends_on=d["work_ends_on"],
                        by=_user(request),
                        permit=permit,
                        building=d["building"],
                    ),
                    {"permit": "permit_number"},
                )
                if status == 200:
                    messages.success(
                        request,
                        _("已起草施工通告 %(no)s，须经客服主管或经理审核后发布（DEC-13）。")
                        % {"no": notice.number},
                    )
                    return redirect("decoration:notice", pk=notice.pk)
                if error:
                    form.add_error(None, error)
    return render(request, "decoration/notice_new.html", {"form": form}, status=status)


def _notice_for(request: HttpRequest, pk: int) -> tuple[ConstructionNotice, bool]:
    """Staff of the project see every notice; residents the issued ones addressed to them."""
    base = ConstructionNotice.objects.select_related(
        "project", "building", "permit__unit", "drafted_by__staff_profile"
    )
    if _is_staff(request):
        return get_scoped_or_404(base, request.user, pk=pk), True
    viewer = viewer_for(request.user)
    if viewer.user_id is None or not viewer.unit_ids:
        raise Http404
    visible = selectors.issued_notices_for(viewer.user_id, viewer.unit_ids)
    try:
        return base.filter(pk__in=visible.values("pk")).get(pk=pk), False
    except ConstructionNotice.DoesNotExist as exc:
        raise Http404 from exc


def _notice_page(
    request: HttpRequest,
    notice: ConstructionNotice,
    staff: bool,
    *,
    form: forms.Form | None = None,
    action_error: str = "",
    failed_action: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    st = ConstructionNotice.Status
    can = {
        "approve": staff
        and notice.status == st.DRAFT
        and services.has_role(user, services.NOTICE_APPROVER_ROLES)
        and notice.drafted_by_id != user.pk,
        "issue": staff and notice.status == st.APPROVED,
        "withdraw": staff and notice.status != st.WITHDRAWN,
    }
    context = {
        "notice": notice,
        "staff": staff,
        "can": can,
        "withdraw_form": form
        if failed_action == "withdraw" and form
        else ReasonForm(prefix="withdraw"),
        "earliest": services.earliest_work_start(timezone.now()) if staff else None,
        "events": event_rows(notice, dict(st.choices), EVENT_LABELS) if staff else [],
        "action_error": action_error,
        "failed_action": failed_action,
    }
    return render(request, "decoration/notice_detail.html", context, status=status)


@login_required
@require_safe
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice, staff = _notice_for(request, pk)
    return _notice_page(request, notice, staff)


@login_required
@require_POST
def notice_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    _require_staff(request)
    notice = get_scoped_or_404(ConstructionNotice.objects.all(), request.user, pk=pk)
    user = _user(request)
    form = ReasonForm(request.POST, prefix=name)
    form.is_valid()
    calls: dict[str, Callable[[], Any]] = {
        "approve": lambda: services.construction_notice_approve(notice=notice, by=user),
        "issue": lambda: services.construction_notice_issue(notice=notice, by=user),
        "withdraw": lambda: services.construction_notice_withdraw(
            notice=notice, by=user, reason=form.cleaned_data.get("reason", "")
        ),
    }
    done = {
        "approve": _("通告已审核，可以发布。"),
        "issue": _("通告已发布，已通知相关业主（DEC-13）。"),
        "withdraw": _("通告已撤回。"),
    }
    _result, status, error = _service_call(form, calls[name])
    if status == 200:
        messages.success(request, done[name])
        return redirect("decoration:notice", pk=pk)
    notice, staff = _notice_for(request, pk)
    return _notice_page(
        request, notice, staff, form=form, action_error=error, failed_action=name, status=status
    )


# --- Portal: owners and contractors --------------------------------------------------------


def _portal_permits(request: HttpRequest) -> QuerySet[Permit]:
    """The permits of the resident's own units and of the contractor's own company,
    scoped first (ORG-02), then narrowed: staff who also live here see only their home."""
    viewer = viewer_for(request.user)
    mine = Q(unit_id__in=viewer.unit_ids)
    if viewer.is_contractor:
        mine |= Q(contractor__user_id=viewer.user_id)
    return scope_queryset(Permit.objects.filter(mine), request.user)


def _require_portal(request: HttpRequest) -> None:
    viewer = viewer_for(request.user)
    if not (viewer.unit_ids or viewer.is_contractor):
        raise PermissionDenied(_("装修门户仅供业主/住户和装修单位使用。"))


def _owned_units(request: HttpRequest) -> QuerySet[Unit]:
    return Unit.objects.filter(
        residents__user=_user(request),
        residents__kind=Resident.Kind.OWNER,
        residents__is_active=True,
    ).order_by("number")


@login_required
@require_safe
def portal(request: HttpRequest) -> HttpResponse:
    """An owner's permits (timeline, money, notices); a contractor's permits and passes."""
    _require_portal(request)
    viewer = viewer_for(request.user)
    permits = list(
        selectors.with_deposit_balance(_portal_permits(request))
        .select_related("unit", "contractor")
        .order_by("-created_at", "-pk")[:PORTAL_LIMIT]
    )
    passes = (
        list(
            scope_queryset(
                WorkerPass.objects.filter(permit__contractor__user_id=viewer.user_id or 0),
                request.user,
            )
            .select_related("permit__unit")
            .order_by("-issued_at")[:PORTAL_LIMIT]
        )
        if viewer.is_contractor
        else []
    )
    notices = (
        list(
            selectors.issued_notices_for(viewer.user_id or 0, viewer.unit_ids)
            .select_related("building")
            .order_by("-issued_at")[:PORTAL_LIMIT]
        )
        if viewer.unit_ids
        else []
    )
    context = {
        "permits": permits,
        "passes": passes,
        "notices": notices,
        "is_contractor": viewer.is_contractor,
        "can_file": _owned_units(request).exists(),
        "is_resident": bool(viewer.unit_ids),
    }
    return render(request, "decoration/portal.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def portal_new(request: HttpRequest) -> HttpResponse:
    """The owner files 《装修施工申请表》 online themselves (DEC-02); a tenant is refused."""
    _require_portal(request)
    units = _owned_units(request)
    if not units.exists():
        return render(
            request,
            "decoration/portal_refused.html",
            {"message": _("装修申请须由业主本人提出，租户请联系业主办理。")},
            status=403,
        )
    posted = request.method == "POST"
    form = PortalPermitForm(request.POST if posted else None, units=units)
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            permit, status, error = _service_call(
                form,
                lambda: services.permit_file(
                    unit=d["unit"], by=_user(request), **form.service_kwargs()
                ),
            )
            if status == 200:
                messages.success(
                    request,
                    _("已提交装修申请 %(no)s。请装修单位提交图纸，工程部将在时限内审核。")
                    % {"no": permit.number},
                )
                return redirect("decoration:permit", pk=permit.pk)
            if error:
                form.add_error(None, error)
    return render(
        request, "decoration/permit_new.html", {"form": form, "portal": True}, status=status
    )


# --- URLs ---------------------------------------------------------------------------------


def _action_path(prefix: str, names: Any, view: Any, name: str) -> URLPattern:
    pattern = "|".join(sorted(names))
    return re_path(rf"^{prefix}(?P<pk>\d+)/(?P<name>{pattern})/$", view, name=name)


def permit_action_paths() -> list[URLPattern]:
    return [_action_path("permits/", PERMIT_ACTIONS, permit_action, "permit_action")]


def notice_action_paths() -> list[URLPattern]:
    return [_action_path("notices/", NOTICE_ACTIONS, notice_action, "notice_action")]


# --- Navigation and home panel (registered in DecorationConfig.ready) ----------------------


def is_portal_user(identity: DeskIdentity) -> bool:
    """ "我的装修" is for residents and contractors (staff use the desk pages)."""
    if identity.is_staff_member:
        return False
    return bool(identity.is_resident or Role.CONTRACTOR in identity.staff_roles)


def decoration_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Reviews due and overdue, permits ending soon, stop-work flags, passes to collect:
    two queries (the settings row, one aggregate)."""
    desk = desk_identity(request)
    if not desk.is_staff_member:
        return None
    permits = Permit.objects.all()
    if not desk.all_projects:
        profile = desk.profile
        project_ids = [p.pk for p in profile.projects.all()] if profile is not None else []
        permits = permits.filter(project_id__in=project_ids)
    config = DecorationSettings.current()
    figures = selectors.desk_figures(permits, selectors.today(), config.expiry_warning_days)
    board_url = reverse("decoration:board")
    return {
        "title": _("装修管理"),
        "figures": figures,
        "warn_days": config.expiry_warning_days,
        "board_url": board_url,
        "reviews_url": board_url + "?view=reviews",
        "expiring_url": board_url + "?view=expiring",
        "passes_url": board_url + "?view=passes",
    }
