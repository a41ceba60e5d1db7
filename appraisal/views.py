"""The appraisal's pages under /appraisal/ (namespace ``appraisal``).

Managers, supervisors and the general manager:
- ``dashboard`` the monthly dashboard of a department (APR-10), ``dashboard_export``
  the same as an Excel workbook;
- ``new`` opens a check or appraisal (APR-03), ``entry`` the fast entry form
  (APR-02, APR-05) with ``penalty`` (APR-06) and ``suggestion`` (service data → 绩);
- ``records`` every visible record, filtered; ``training`` results (APR-09).

Everyone on the staff:
- ``assessment`` one record with every deduction's reason (APR-07 公开),
  ``acknowledge`` by the person, ``reopen`` by the assessor;
- ``mine`` their own records and what awaits their acknowledgement;
- ``annual`` a person's year-end composite with its sources (APR-04, APR-05).

What a user may see comes only from ``services.visible_staff`` and
``services.visible_assessments`` (APR-07): anything else is a 404. Every write
goes through ``appraisal.services``: ``PermissionDenied`` is a 403,
``InvalidTransition`` a message with HTTP 409, a ``ValidationError`` is shown on
the field it names with everything typed kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from appraisal import exports, rules, selectors, services
from appraisal.dashboard_cache import cached_monthly_dashboard
from appraisal.forms import (
    OTHER,
    AcknowledgeForm,
    DashboardFilterForm,
    DeductionFormSet,
    DeductionRowForm,
    EntryForm,
    NewAssessmentForm,
    PenaltyForm,
    RecordsFilterForm,
    ReopenForm,
    SuggestionDecisionForm,
    TrainingForm,
    apply_service_error,
)
from appraisal.models import (
    CHECK_KINDS,
    Assessment,
    Deduction,
    Item,
    Kind,
    Penalty,
    Suggestion,
    TrainingResult,
)
from servicedesk.core.events import timeline
from servicedesk.core.models import Department, Event, Role, StaffProfile
from servicedesk.core.scoping import viewer_for
from servicedesk.web.identity import desk_identity

Status = Assessment.Status
RECORDS_PAGE = 50
# People per page of the dashboard's table, and names in its not-yet-appraised list.
DASHBOARD_PAGE = 50
PANEL_ITEMS = 8
EVENT_LABELS = {
    "created": gettext_lazy("新建"),
    "saved": gettext_lazy("保存"),
    "finalised": gettext_lazy("定稿"),
    "reopened": gettext_lazy("退回更正"),
    "acknowledged": gettext_lazy("本人确认"),
    "penalty": gettext_lazy("行政处罚"),
    "suggestion_accepted": gettext_lazy("采纳服务数据建议"),
    "suggestion_rejected": gettext_lazy("不采纳服务数据建议"),
}
STATUS_LABELS = dict(Status.choices)
MEASURE_LABELS = dict(Penalty.Measure.choices)


def _row_error() -> re.Pattern[str]:
    """The services' "第 n 行：…" (in the active language) as a pattern, to put each
    message on its row of the form."""
    template = _("第 %(n)d 行：%(e)s")
    before, _sep, rest = template.partition("%(n)d")
    middle, _sep, after = rest.partition("%(e)s")
    return re.compile(f"^{re.escape(before)}(\\d+){re.escape(middle)}(.*){re.escape(after)}$", re.S)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _profile(request: HttpRequest) -> StaffProfile | None:
    return desk_identity(request).profile


def _require_staff(request: HttpRequest) -> None:
    if not viewer_for(request.user).is_staff_member:
        raise PermissionDenied(_("仅限员工访问。"))


def _runs_checks(request: HttpRequest) -> bool:
    """Managers, supervisors and the general manager (and superusers): the dashboard's audience."""
    viewer = viewer_for(request.user)
    return (
        viewer.is_superuser
        or services.sees_everyone(request.user)
        or viewer.has_role(*services.CHECKER_ROLES)
    )


def assessable_kinds(request: HttpRequest) -> list[str]:
    """The kinds the user may start at all (APR-07); ``services.may_assess`` decides per person."""
    viewer = viewer_for(request.user)
    if (
        viewer.is_superuser
        or viewer.has_role(Role.GENERAL_MANAGER)
        or viewer.has_role(*services.APPRAISER_ROLES)
    ):
        return list(Kind.values)
    if viewer.has_role(*services.CHECKER_ROLES):
        return [str(k) for k in CHECK_KINDS]
    return []


def _assessable_staff(request: HttpRequest, kinds: list[str]) -> QuerySet[StaffProfile]:
    """Visible people the user may assess with at least one of ``kinds``."""
    people = (
        services.visible_staff(request.user)
        .select_related("department")
        .prefetch_related("role_assignments")
        .order_by("name")
    )
    allowed = [
        p.pk for p in people if any(not services.may_assess(request.user, p, k) for k in kinds)
    ]
    return StaffProfile.objects.filter(pk__in=allowed).select_related("department").order_by("name")


def _url_for_each(name: str, *args: Any) -> Callable[[int], str]:
    """``reverse(name, args=[pk, *args])`` for many pks: reversed once with a
    placeholder pk, then filled in (~1 µs a row instead of ~30 µs)."""
    placeholder = "987654321"
    head, tail = reverse(name, args=[int(placeholder), *args]).split(placeholder, 1)
    return lambda pk: f"{head}{pk}{tail}"


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def _previous_month(today: date) -> date:
    return selectors.add_months(today.replace(day=1), -1)


# --- The record page ---------------------------------------------------------------


@dataclass(frozen=True)
class EventRow:
    event: Event
    label: str
    change: str
    actor: str


def event_rows(events: list[Event]) -> list[EventRow]:
    rows = []
    for e in events:
        change = ""
        data = e.data or {}
        if e.from_state or e.to_state:
            before = STATUS_LABELS.get(e.from_state, e.from_state)
            after = STATUS_LABELS.get(e.to_state, e.to_state)
            change = f"{before} → {after}" if e.from_state else str(after)
        if e.action in ("saved", "finalised") and data.get("total"):
            total = _("总分 %(t)s") % {"t": data["total"]}
            change = f"{change} · {total}" if change else total
        elif e.action == "penalty":
            change = str(MEASURE_LABELS.get(data.get("measure", ""), ""))
        elif e.action.startswith("suggestion_") and data.get("points"):
            change = _("建议扣 %(p)s 分") % {"p": data["points"]}
        actor = ""
        if e.actor is not None:
            profile = getattr(e.actor, "staff_profile", None)
            actor = profile.name if profile is not None else e.actor.get_username()
        rows.append(EventRow(e, str(EVENT_LABELS.get(e.action, e.action)), change, actor))
    return rows


def _visible_record(request: HttpRequest, pk: int) -> Assessment:
    """One record the user may see (APR-07), else 404. A draft is the assessor's
    working copy: the person sees their record once it is finalised."""
    a = get_object_or_404(
        services.visible_assessments(request.user).select_related(
            "staff__department", "department", "criteria_set", "assessor__staff_profile"
        ),
        pk=pk,
    )
    if a.status == Status.DRAFT and a.staff.user_id == request.user.pk:
        raise Http404
    return a


@dataclass(frozen=True)
class SheetItem:
    item: Item
    taken: Decimal
    score: Decimal
    deductions: list[Deduction]


@dataclass(frozen=True)
class SheetDimension:
    code: str
    label: str
    max_points: Decimal
    score: Decimal
    items: list[SheetItem]


def score_sheet(
    items: list[Item], deductions: list[Deduction], bonus: Decimal
) -> tuple[list[SheetDimension], rules.Scores]:
    """The form's table: every item with its deductions and score, by dimension (APR-02)."""
    scores = rules.score(
        [rules.ItemSpec(i.code, i.dimension.code, i.max_points) for i in items],
        [(d.item.code, d.points) for d in deductions],
        bonus,
    )
    by_item: dict[int, list[Deduction]] = {}
    for d in deductions:
        by_item.setdefault(d.item_id, []).append(d)
    dims: dict[str, SheetDimension] = {}
    for i in items:
        dim = i.dimension
        if dim.code not in dims:
            dims[dim.code] = SheetDimension(
                code=dim.code,
                label=str(dim.get_code_display()),
                max_points=dim.max_points,
                score=scores.dimensions.get(dim.code, rules.ZERO),
                items=[],
            )
        mine = by_item.get(i.pk, [])
        dims[dim.code].items.append(
            SheetItem(
                item=i,
                taken=sum((d.points for d in mine), rules.ZERO),
                score=scores.items[i.code],
                deductions=mine,
            )
        )
    return list(dims.values()), scores


def _criteria_items(a: Assessment) -> list[Item]:
    return list(
        Item.objects.filter(dimension__criteria_set=a.criteria_set_id)
        .select_related("dimension")
        .order_by("dimension__order", "order")
    )


def _record_context(
    request: HttpRequest,
    a: Assessment,
    *,
    ack_form: AcknowledgeForm | None = None,
    reopen_form: ReopenForm | None = None,
    action_error: str = "",
    failed_action: str = "",
) -> dict[str, Any]:
    deductions = list(a.deductions.select_related("item__dimension"))
    sheet, _scores = score_sheet(_criteria_items(a), deductions, a.bonus)
    may = services.may_assess(request.user, a.staff, a.kind) is None
    return {
        "a": a,
        "sheet": sheet,
        "deductions": deductions,
        "penalties": list(a.penalties.select_related("recorded_by__staff_profile")),
        "suggestions": list(a.suggestions.select_related("decided_by__staff_profile")),
        "events": event_rows(
            list(timeline(a).select_related("actor__staff_profile").order_by("at", "id"))
        ),
        "can_acknowledge": a.staff.user_id == request.user.pk and a.status == Status.FINAL,
        "can_reopen": may and a.status != Status.DRAFT,
        "can_edit": may and a.status == Status.DRAFT,
        "ack_form": ack_form or AcknowledgeForm(prefix="ack"),
        "reopen_form": reopen_form or ReopenForm(prefix="reopen"),
        "action_error": action_error,
        "failed_action": failed_action,
        "is_check": a.kind in CHECK_KINDS,
        "year": a.period.year,
    }


@login_required
@require_safe
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    """One record: scores, every deduction's reason and standard, penalties, timeline."""
    _require_staff(request)
    a = _visible_record(request, pk)
    return render(request, "appraisal/assessment.html", _record_context(request, a))


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """The person confirms they have seen the scores and the reasons (APR-07)."""
    _require_staff(request)
    a = _visible_record(request, pk)
    form = AcknowledgeForm(request.POST, prefix="ack")
    status, error = 400, ""
    if form.is_valid():
        try:
            services.assessment_acknowledge(
                assessment=a, by=_user(request), comment=form.cleaned_data["comment"]
            )
        except services.InvalidTransition as exc:
            error, status = str(exc), 409
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已确认。"))
            return redirect("appraisal:assessment", pk=a.pk)
        a.refresh_from_db()
    context = _record_context(
        request, a, ack_form=form, action_error=error, failed_action="acknowledge"
    )
    return render(request, "appraisal/assessment.html", context, status=status)


@login_required
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """The assessor sends a finalised record back to draft, with the reason (ORG-05)."""
    _require_staff(request)
    a = _visible_record(request, pk)
    form = ReopenForm(request.POST, prefix="reopen")
    status, error = 400, ""
    if form.is_valid():
        try:
            services.assessment_reopen(
                assessment=a, by=_user(request), reason=form.cleaned_data["reason"]
            )
        except services.InvalidTransition as exc:
            error, status = str(exc), 409
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已退回为草稿，可以更正。"))
            return redirect("appraisal:entry", pk=a.pk)
        a.refresh_from_db()
    context = _record_context(
        request, a, reopen_form=form, action_error=error, failed_action="reopen"
    )
    return render(request, "appraisal/assessment.html", context, status=status)


# --- Starting and entering an assessment ---------------------------------------------


def _new_form(request: HttpRequest, kinds: list[str], data: Any = None) -> NewAssessmentForm:
    initial = {}
    for key in ("staff", "kind", "period", "test_type"):
        if request.GET.get(key):
            initial[key] = request.GET[key]
    form = NewAssessmentForm(
        data,
        staff=_assessable_staff(request, kinds),
        kinds=kinds,
        initial=initial,
    )
    if "staff" not in initial:
        form.fields["staff"].widget.attrs["autofocus"] = True
    return form


def _existing(
    request: HttpRequest, staff: StaffProfile, kind: str, period: date
) -> Assessment | None:
    """The record already open for the person, kind and period (spot checks may be many)."""
    if kind == Kind.SPOT:
        return None
    period = services.normalise_period(kind, period)
    return (
        services.visible_assessments(request.user)
        .filter(staff=staff, kind=kind, period=period)
        .first()
    )


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """Choose the person, the kind and the period; open the draft and go to the entry form."""
    _require_staff(request)
    kinds = assessable_kinds(request)
    if not kinds:
        raise PermissionDenied(_("只有客服经理、客服主管或总经理可以进行考核。"))
    posted = request.method == "POST"
    form = _new_form(request, kinds, request.POST if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        why = services.may_assess(request.user, data["staff"], data["kind"])
        existing = _existing(request, data["staff"], data["kind"], data["period"])
        if why:
            form.add_error("kind", why)
        elif existing is not None:
            messages.info(request, _("该期间的记录已存在，已为您打开。"))
            if existing.status == Status.DRAFT:
                return redirect("appraisal:entry", pk=existing.pk)
            return redirect("appraisal:assessment", pk=existing.pk)
        else:
            try:
                a = services.assessment_create(
                    staff=data["staff"],
                    kind=data["kind"],
                    period=data["period"],
                    by=_user(request),
                    test_type=data["test_type"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                return redirect("appraisal:entry", pk=a.pk)
    status = 400 if form.errors else 200
    return render(request, "appraisal/new.html", {"form": form}, status=status)


def _entry_assessment(request: HttpRequest, pk: int) -> Assessment:
    """A visible record the user may assess (404 if not visible, 403 if not theirs to assess)."""
    _require_staff(request)
    a = get_object_or_404(
        services.visible_assessments(request.user).select_related(
            "staff__department", "department", "criteria_set", "assessor__staff_profile"
        ),
        pk=pk,
    )
    why = services.may_assess(request.user, a.staff, a.kind)
    if why:
        raise PermissionDenied(why)
    return a


@dataclass(frozen=True)
class RowView:
    form: DeductionRowForm
    number: int
    standards: list[tuple[str, str, bool]]  # value, label, selected
    deleted: bool


def _standard_options(
    items: dict[str, Item], item_code: Any, value: Any
) -> list[tuple[str, str, bool]]:
    """The row's standard select: the item's standard lines, then "其它" (APR-02)."""
    value = str(value or "")
    item = items.get(str(item_code or ""))
    lines = item.standard_lines() if item is not None else []
    options = [("", _("选择标准…") if item is not None else _("先选项目"), value == "")]
    options += [(line, line, line == value) for line in lines]
    if value and value != OTHER and value not in lines:
        # A standard not among the lines (e.g. from an accepted service-data suggestion).
        options.append((value, value, True))
    options.append((OTHER, _("其它（标准未列明）"), value == OTHER))
    return options


def _autofocus(rows: Any) -> None:
    """Keyboard first: the blank last row's item, or the first field in error."""
    if not rows.forms:
        return
    if not rows.is_bound:
        rows.forms[-1].fields["item"].widget.attrs["autofocus"] = True
        return
    for form in rows.forms:
        if form.errors:
            names = [n for n in ("item", "points", "standard", "reason") if n in form.errors]
            name = names[0] if names and names[0] != "standard" else "item"
            form.fields[name].widget.attrs["autofocus"] = True
            return


def _row_views(rows: Any, items: dict[str, Item]) -> list[RowView]:
    views = []
    for n, form in enumerate(rows.forms, start=1):
        deleted = bool(form["DELETE"].value()) if form.is_bound else False
        views.append(
            RowView(
                form=form,
                number=n,
                standards=_standard_options(items, form["item"].value(), form["standard"].value()),
                deleted=deleted,
            )
        )
    return views


def _initial_rows(a: Assessment) -> list[dict[str, Any]]:
    return [
        {
            "item": d.item.code,
            "points": d.points,
            "standard": OTHER if d.is_other else d.standard,
            "reason": d.reason,
            "suggestion": d.suggestion_id,
        }
        for d in a.deductions.select_related("item")
    ]


def _criteria_json(items: list[Item]) -> dict[str, Any]:
    """What the running total needs (static/js/appraisal.js); the server recomputes on save."""
    dims: dict[str, dict[str, Any]] = {}
    for i in items:
        dims.setdefault(
            i.dimension.code,
            {
                "code": i.dimension.code,
                "label": str(i.dimension.get_code_display()),
                "max": str(i.dimension.max_points),
            },
        )
    return {
        "dimensions": list(dims.values()),
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "dimension": i.dimension.code,
                "max": str(i.max_points),
                "standards": i.standard_lines(),
            }
            for i in items
        ],
        "other": OTHER,
        "otherLabel": _("其它（标准未列明）"),
        "pickLabel": _("选择标准…"),
        "pickItemLabel": _("先选项目"),
    }


@dataclass(frozen=True)
class SuggestionView:
    suggestion: Suggestion
    form: SuggestionDecisionForm
    failed: bool


def _suggestions(
    a: Assessment, bound: SuggestionDecisionForm | None, bound_pk: int | None
) -> list[SuggestionView]:
    """The month's service data for the person (CMP-22 → 绩), offered on the monthly appraisal."""
    if a.kind != Kind.MONTHLY:
        return []
    if a.status == Status.DRAFT:
        found = services.suggestions_refresh(staff=[a.staff], month=a.period)
    else:
        found = list(Suggestion.objects.filter(staff=a.staff, month=a.period))
    views = []
    for s in found:
        if bound is not None and s.pk == bound_pk:
            views.append(SuggestionView(s, bound, True))
        else:
            views.append(SuggestionView(s, SuggestionDecisionForm(prefix=f"s{s.pk}"), False))
    return views


def _entry_context(
    request: HttpRequest,
    a: Assessment,
    *,
    form: EntryForm | None = None,
    rows: Any = None,
    items: dict[str, Item] | None = None,
    penalty_form: PenaltyForm | None = None,
    suggestion_form: SuggestionDecisionForm | None = None,
    suggestion_pk: int | None = None,
    page_errors: list[str] | None = None,
    action_error: str = "",
    failed_action: str = "",
) -> dict[str, Any]:
    item_list = _criteria_items(a)
    items = items or {i.code: i for i in item_list}
    deductions = list(a.deductions.select_related("item__dimension"))
    sheet, _scores = score_sheet(item_list, deductions, a.bonus)
    if form is None:
        form = EntryForm(
            initial={"bonus": a.bonus, "bonus_reason": a.bonus_reason, "comment": a.comment}
        )
    if rows is None:
        rows = DeductionFormSet(initial=_initial_rows(a), prefix="d", items=items)
    if failed_action in ("", "entry"):
        _autofocus(rows)
    return {
        "a": a,
        "form": form,
        "rows": rows,
        "row_views": _row_views(rows, items),
        "sheet": sheet,
        "criteria": _criteria_json(item_list),
        "suggestions": _suggestions(a, suggestion_form, suggestion_pk),
        "penalty_form": penalty_form or PenaltyForm(prefix="penalty"),
        "penalties": list(a.penalties.select_related("recorded_by__staff_profile")),
        "page_errors": page_errors or [],
        "action_error": action_error,
        "failed_action": failed_action,
        "is_check": a.kind in CHECK_KINDS,
        "probationary": a.staff_id in services.probationary_ids([a.staff]),
    }


def _apply_entry_error(
    form: EntryForm, rows: Any, kept: list[DeductionRowForm], exc: ValidationError
) -> list[str]:
    """Put the service's errors where they belong: a row's message on that row
    (renumbered as on screen), the bonus on its field; return the rest."""
    leftover: list[str] = []
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    rest: dict[str, list[Any]] = {}
    for field, errors in exc.error_dict.items():
        if field != "deductions":
            rest[field] = errors
            continue
        for error in errors:
            for message in ValidationError(error).messages:
                match = _row_error().match(message)
                n = int(match.group(1)) if match else 0
                if match and 1 <= n <= len(kept):
                    row = kept[n - 1]
                    screen = rows.forms.index(row) + 1
                    row.add_error(
                        None, _("第 %(n)d 行：%(e)s") % {"n": screen, "e": match.group(2)}
                    )
                else:
                    leftover.append(message)
    if rest:
        apply_service_error(form, ValidationError(rest))
    return leftover


@login_required
@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest, pk: int) -> HttpResponse:
    """The fast entry form (APR-02): deductions against the criteria, bonus,
    comment; save as draft or finalise. The running total is a preview; the
    service recomputes the scores from the deductions on save."""
    a = _entry_assessment(request, pk)
    if request.method == "GET":
        if a.status != Status.DRAFT:
            messages.info(request, _("该记录已定稿，不能再修改；如需更正，请先退回。"))
            return redirect("appraisal:assessment", pk=a.pk)
        return render(request, "appraisal/entry.html", _entry_context(request, a))
    item_list = _criteria_items(a)
    items = {i.code: i for i in item_list}
    form = EntryForm(request.POST)
    rows = DeductionFormSet(request.POST, prefix="d", items=items)
    finalise = "finalise" in request.POST
    status, error = 400, ""
    page_errors: list[str] = []
    if form.is_valid() and rows.is_valid():
        kept = rows.kept_forms()
        inputs = [
            services.DeductionInput(
                item=f.cleaned_data["item"],
                points=f.cleaned_data["points"],
                reason=f.cleaned_data["reason"],
                standard="" if f.cleaned_data["is_other"] else f.cleaned_data["standard"],
                is_other=f.cleaned_data["is_other"],
                suggestion_id=f.cleaned_data.get("suggestion"),
            )
            for f in kept
        ]
        try:
            # Save and finalise together: a refused finalise leaves the record as it was.
            with transaction.atomic():
                saved = services.assessment_save(
                    assessment=a,
                    deductions=inputs,
                    by=_user(request),
                    bonus=form.cleaned_data["bonus"],
                    bonus_reason=form.cleaned_data["bonus_reason"],
                    comment=form.cleaned_data["comment"],
                )
                if finalise:
                    saved = services.assessment_finalise(assessment=saved, by=_user(request))
        except services.InvalidTransition as exc:
            error, status = str(exc), 409
        except ValidationError as exc:
            page_errors = _apply_entry_error(form, rows, kept, exc)
        else:
            if finalise:
                messages.success(
                    request,
                    _("已定稿，总分 %(total)s。已通知%(name)s查看确认。")
                    % {"total": saved.total, "name": saved.staff.name},
                )
                return redirect("appraisal:assessment", pk=saved.pk)
            messages.success(
                request, _("草稿已保存，当前总分 %(total)s。") % {"total": saved.total}
            )
            return redirect("appraisal:entry", pk=saved.pk)
        a.refresh_from_db()
    context = _entry_context(
        request,
        a,
        form=form,
        rows=rows,
        items=items,
        page_errors=page_errors,
        action_error=error,
        failed_action="entry",
    )
    return render(request, "appraisal/entry.html", context, status=status)


@login_required
@require_POST
def penalty(request: HttpRequest, pk: int) -> HttpResponse:
    """APR-06: record the administrative penalty besides the deduction in the form."""
    a = _entry_assessment(request, pk)
    form = PenaltyForm(request.POST, prefix="penalty")
    status, error = 400, ""
    if form.is_valid():
        try:
            services.penalty_add(
                assessment=a,
                measure=form.cleaned_data["measure"],
                description=form.cleaned_data["description"],
                by=_user(request),
            )
        except services.InvalidTransition as exc:
            error, status = str(exc), 409
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已记录行政处罚。"))
            return redirect("appraisal:entry", pk=a.pk)
        a.refresh_from_db()
    context = _entry_context(
        request, a, penalty_form=form, action_error=error, failed_action="penalty"
    )
    return render(request, "appraisal/entry.html", context, status=status)


@login_required
@require_POST
def suggestion(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    """Accept a service-data suggestion as a deduction, or reject it, with the reason."""
    a = _entry_assessment(request, pk)
    s = get_object_or_404(Suggestion, pk=sid, staff_id=a.staff_id)
    form = SuggestionDecisionForm(request.POST, prefix=f"s{sid}")
    status, error = 400, ""
    if form.is_valid():
        accept = form.cleaned_data["accept"]
        try:
            services.suggestion_decide(
                suggestion=s,
                assessment=a,
                accept=accept,
                reason=form.cleaned_data["reason"],
                by=_user(request),
            )
        except services.InvalidTransition as exc:
            error, status = str(exc), 409
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            done = _("已采纳，扣分已加入考核表。") if accept else _("已记录不采纳的理由。")
            messages.success(request, done)
            return redirect("appraisal:entry", pk=a.pk)
        a.refresh_from_db()
    context = _entry_context(
        request,
        a,
        suggestion_form=form,
        suggestion_pk=s.pk,
        action_error=error,
        failed_action="suggestion",
    )
    return render(request, "appraisal/entry.html", context, status=status)


# --- The staff member's own records -------------------------------------------------


@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    """My finalised records, what awaits my acknowledgement, and my training results."""
    _require_staff(request)
    profile = _profile(request)
    records: list[Assessment] = []
    training: list[TrainingResult] = []
    if profile is not None:
        records = list(
            services.visible_assessments(request.user)
            .filter(staff=profile)
            .exclude(status=Status.DRAFT)
            .select_related("assessor__staff_profile", "department")
            .order_by("-period", "-pk")
        )
        training = list(profile.training_results.select_related("examiner__staff_profile"))
    years = sorted({r.period.year for r in records} | {timezone.localdate().year}, reverse=True)
    return render(
        request,
        "appraisal/mine.html",
        {
            "profile": profile,
            "records": records,
            "pending": [r for r in records if r.status == Status.FINAL],
            "years": years,
            "training": training,
        },
    )


# --- The year-end composite (APR-04, APR-05) --------------------------------------------


@dataclass(frozen=True)
class PartView:
    key: str
    label: str
    percent: Decimal
    score: Decimal | None
    weighted: Decimal | None
    sources: list[tuple[str, list[Decimal], Decimal | None]]  # kind label, totals, mean


PART_LABELS = {
    "checks": gettext_lazy("周检、月检、抽检（加权平均）"),
    "monthly": gettext_lazy("月考核（平均）"),
    "year_end": gettext_lazy("年终考核"),
}
KIND_LABELS = dict(Kind.choices)


@login_required
@require_safe
def annual(request: HttpRequest, staff_pk: int, year: int) -> HttpResponse:
    """One person's year: the three parts of the composite, every source record, 优秀员工."""
    _require_staff(request)
    staff = get_object_or_404(
        services.visible_staff(request.user).select_related("department"), pk=staff_pk
    )
    if not 2000 <= year <= 2999:
        raise Http404
    composite, records = services.annual(staff, year)
    parts = []
    for part in composite.parts:
        sources = []
        for kind, totals in part.sources.items():
            avg = rules.mean(totals)
            sources.append(
                (
                    str(KIND_LABELS.get(kind, kind)),
                    totals,
                    rules.round2(avg) if avg is not None else None,
                )
            )
        parts.append(
            PartView(
                key=part.key,
                label=str(PART_LABELS[part.key]),
                percent=part.percent,
                score=rules.round2(part.score) if part.score is not None else None,
                weighted=(
                    rules.round2(part.percent * part.score / 100)
                    if part.score is not None
                    else None
                ),
                sources=sources,
            )
        )
    own = staff.user_id == request.user.pk
    drafts = (
        services.visible_assessments(request.user)
        .filter(staff=staff, period__year=year, status=Status.DRAFT)
        .count()
        if not own
        else 0
    )
    return render(
        request,
        "appraisal/annual.html",
        {
            "staff": staff,
            "year": year,
            "composite": composite,
            "parts": parts,
            "records": records,
            "missing": [str(PART_LABELS[k]) for k in composite.missing],
            "drafts": drafts,
            "previous_year": year - 1,
            "next_year": year + 1 if year < timezone.localdate().year else None,
        },
    )


# --- The monthly dashboard (APR-10) -----------------------------------------------------


def _dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """The department and month picked, and ``selectors.monthly_dashboard`` for them.
    A fixed number of queries whatever the department's size.

    The table shows one page of DASHBOARD_PAGE people (``?page=``; ``?pending=1``
    only those not yet appraised) and the side list the first DASHBOARD_PAGE
    not yet appraised: a department of 500 is read in full for the counts,
    the charts and the workbook, but only the rows on screen are worked out
    and rendered (bench/README.md, "Appraisal (APR) at scale")."""
    people = services.visible_staff(request.user)
    departments = Department.objects.filter(pk__in=people.values("department_id")).order_by("code")
    department_list = list(departments)
    # The form checks the pick against the departments just listed, by id: a
    # second run of the visibility subquery would cost more than the check.
    listed_departments = Department.objects.filter(pk__in=[d.pk for d in department_list])
    form = DashboardFilterForm(request.GET or None, departments=listed_departments)
    month = _previous_month(timezone.localdate())
    department: Department | None = None
    pending_only = False
    if form.is_valid():
        month = form.cleaned_data["month"] or month
        department = form.cleaned_data["department"]
        pending_only = bool(form.cleaned_data["pending"])
    if department is None:
        profile = _profile(request)
        own = profile.department_id if profile is not None else None
        department = next(
            (d for d in department_list if d.pk == own),
            department_list[0] if department_list else None,
        )
    # Nobody is on their own dashboard: their appraisal is someone else's to enter.
    staff = people.filter(department=department) if department else people.none()
    if request.user.pk is not None:
        staff = staff.exclude(user_id=request.user.pk)
    dash = (
        cached_monthly_dashboard(
            staff, month, viewer_id=request.user.pk, department_id=department.pk
        )
        if department is not None
        else selectors.monthly_dashboard(staff, month)
    )
    waiting = [r for r in dash.rows if not r.appraised]
    page = Paginator(waiting if pending_only else dash.rows, DASHBOARD_PAGE).get_page(
        request.GET.get("page")
    )
    listed = waiting[:DASHBOARD_PAGE]
    # ``may_assess`` for the people on screen still to appraise, in one query.
    why_not = services.may_assess_each(
        request.user,
        {r.staff.pk: r.staff for r in [*page.object_list, *listed] if not r.appraised}.values(),
        Kind.MONTHLY,
    )
    new_url = reverse("appraisal:new")
    period = month_label(month)
    record_url = _url_for_each("appraisal:assessment")
    annual_url = _url_for_each("appraisal:annual", dash.month.year)

    def view(row: selectors.DashboardRow) -> dict[str, Any]:
        # Flat and precomputed: the template's row loop only prints (bench/README.md).
        a, pk = row.assessment, row.staff.pk
        why = why_not.get(pk)
        can_assess = why is None
        start_url = ""
        if not row.appraised and can_assess:
            if a is not None:
                start_url = reverse("appraisal:entry", args=[a.pk])
            else:
                query = {"staff": str(pk), "kind": str(Kind.MONTHLY), "period": period}
                start_url = new_url + "?" + urlencode(query)
        shown = {
            "pk": pk,
            "name": row.staff.name,
            "probationary": row.probationary,
            "appraised": row.appraised,
            "a": a,
            "annual_url": annual_url(pk),
            "start_url": start_url,
            "can_assess": can_assess,
            "why": why,
        }
        if a is not None and row.appraised:
            shown.update(
                {code: getattr(a, code) for code in (*rules.DIMENSION_CODES, "bonus", "total")},
                excellent=a.total > 100,
                status=a.status,
                status_label=STATUS_LABELS[a.status],
                record_url=record_url(a.pk),
            )
        return shown

    rows = [view(r) for r in page.object_list]
    pending = [view(r) for r in listed]
    chart = {
        "distribution": {
            "labels": list(dash.distribution),
            "counts": list(dash.distribution.values()),
            "label": _("人数"),
        },
        "trend": {
            "labels": [month_label(t["month"]) for t in dash.trend],
            "averages": [
                float(t["average"]) if t["average"] is not None else None for t in dash.trend
            ],
            "counts": [t["count"] for t in dash.trend],
            "label": _("平均总分"),
        },
    }
    board = {
        "department": str(department.pk) if department else "",
        "month": month_label(dash.month),
    }
    return {
        "form": form,
        "dash": dash,
        "rows": rows,
        "page": page,
        "pending": pending,
        "pending_count": len(waiting),
        "pending_more": len(waiting) - len(pending),
        "pending_only": pending_only,
        "people_count": len(dash.rows),
        "department": department,
        "departments": department_list,
        "month": dash.month,
        "month_value": month_label(dash.month),
        "year": dash.month.year,
        "chart": chart,
        "appraised": len(dash.rows) - len(waiting),
        "board_query": urlencode(board),
        "page_query": urlencode({**board, "pending": "1"} if pending_only else board),
        "export_query": urlencode(board),
        "records_query": urlencode(
            {
                "department": board["department"],
                "kind": str(Kind.MONTHLY),
                "period_from": month_label(dash.month),
                "period_to": month_label(dash.month),
            }
        ),
    }


def _require_dashboard(request: HttpRequest) -> None:
    _require_staff(request)
    if not _runs_checks(request):
        raise PermissionDenied(_("员工考核看板仅供经理、主管和总经理使用。"))


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """APR-10 for a department and month: who is not yet appraised, each person's
    德/勤/能/绩 and total, the distribution, the 12-month trend, the most frequent
    deduction reasons, and a link to every record."""
    _require_staff(request)
    if not _runs_checks(request):
        return redirect("appraisal:mine")
    context = _dashboard_context(request)
    status = 400 if context["form"].errors else 200
    return render(request, "appraisal/dashboard.html", context, status=status)


@login_required
@require_safe
def dashboard_export(request: HttpRequest) -> HttpResponse:
    """The dashboard as an Excel workbook, one sheet per part."""
    _require_dashboard(request)
    context = _dashboard_context(request)
    department = context["department"]
    name = department.name if department else ""
    body = exports.dashboard_workbook(context["dash"], department_name=name)
    return exports.xlsx_response(body, f"员工考核-{name}-{context['month_value']}.xlsx")


# --- Records list ----------------------------------------------------------------------


@login_required
@require_safe
def records(request: HttpRequest) -> HttpResponse:
    """Every visible record, filtered by person, department, kind, period and status."""
    _require_staff(request)
    people = services.visible_staff(request.user)
    departments = Department.objects.filter(pk__in=people.values("department_id")).order_by("code")
    form = RecordsFilterForm(
        request.GET or None,
        staff=people.select_related("department").order_by("name"),
        departments=departments,
    )
    qs = services.visible_assessments(request.user).select_related(
        "staff", "department", "assessor__staff_profile"
    )
    # Own drafts are the assessor's working copies (see ``_visible_record``).
    qs = qs.exclude(status=Status.DRAFT, staff__user=_user(request))
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    if filters.get("staff"):
        qs = qs.filter(staff=filters["staff"])
    if filters.get("department"):
        qs = qs.filter(department=filters["department"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("period_from"):
        qs = qs.filter(period__gte=filters["period_from"])
    if filters.get("period_to"):
        qs = qs.filter(period__lt=selectors.add_months(filters["period_to"], 1))
    if filters.get("reason"):
        qs = qs.filter(
            pk__in=Deduction.objects.filter(reason__icontains=filters["reason"]).values(
                "assessment_id"
            )
        )
    paginator = Paginator(qs.order_by("-period", "staff__name", "-pk"), RECORDS_PAGE)
    try:
        page_number = int(request.GET.get("page", "1"))
    except ValueError:
        page_number = 1
    page = paginator.get_page(page_number)
    params = request.GET.copy()
    params.pop("page", None)
    status = 400 if form.errors else 200
    return render(
        request,
        "appraisal/records.html",
        {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "can_start": bool(assessable_kinds(request)),
        },
        status=status,
    )


# --- Training results (APR-09) -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def training(request: HttpRequest) -> HttpResponse:
    """Induction and on-post training results of the visible staff; record new ones."""
    _require_staff(request)
    people = services.visible_staff(request.user).select_related("department").order_by("name")
    viewer = viewer_for(request.user)
    can_record = viewer.is_superuser or viewer.has_role(
        *services.CHECKER_ROLES, Role.GENERAL_MANAGER
    )
    profile = _profile(request)
    candidates = people.exclude(pk=profile.pk) if profile is not None else people
    form = TrainingForm(request.POST if request.method == "POST" else None, staff=candidates)
    if request.GET.get("staff") and not form.is_bound:
        form.initial["staff"] = request.GET["staff"]
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied(_("只有主管或经理可以登记培训考核结果。"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.training_record(
                    staff=data["staff"],
                    stage=data["stage"],
                    test_type=data["test_type"],
                    score=data["score"],
                    passed=data["passed"],
                    taken_on=data["taken_on"],
                    note=data["note"],
                    by=_user(request),
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request, _("已登记 %(name)s 的培训考核结果。") % {"name": data["staff"].name}
                )
                return redirect("appraisal:training")
    staff_list = list(people)
    probation = services.probationary_ids(staff_list)
    results = list(
        TrainingResult.objects.filter(staff__in=people.values("pk"))
        .select_related("staff", "examiner__staff_profile")
        .order_by("-taken_on", "staff__name")[:200]
    )
    status = 400 if form.errors else 200
    return render(
        request,
        "appraisal/training.html",
        {
            "form": form,
            "can_record": can_record,
            "results": results,
            "probationary": [p for p in staff_list if p.pk in probation],
            "profile_pk": profile.pk if profile is not None else None,
        },
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path("", dashboard, name="dashboard"),
    path("export/", dashboard_export, name="dashboard_export"),
    path("new/", new, name="new"),
    path("mine/", mine, name="mine"),
    path("records/", records, name="records"),
    path("training/", training, name="training"),
    path("annual/<int:staff_pk>/<int:year>/", annual, name="annual"),
    path("<int:pk>/", assessment, name="assessment"),
    path("<int:pk>/entry/", entry, name="entry"),
    path("<int:pk>/penalty/", penalty, name="penalty"),
    path("<int:pk>/suggestions/<int:sid>/", suggestion, name="suggestion"),
    path("<int:pk>/acknowledge/", acknowledge, name="acknowledge"),
    path("<int:pk>/reopen/", reopen, name="reopen"),
]


# --- Home panel (registered in AppraisalConfig.ready) -------------------------------------


def pending_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The 待确认的考核 panel: the user's finalised records awaiting acknowledgement, one query.

    Only the user's own records, which ``services.visible_assessments`` always
    shows them (APR-07); filtering on the profile ``DeskIdentity`` has already
    loaded spares ``viewer_for``'s queries (the home page's budget is a test).
    """
    profile = desk_identity(request).profile
    if profile is None:
        return None
    pending = list(
        Assessment.objects.filter(staff=profile, status=Status.FINAL).order_by("-period", "-pk")[
            :PANEL_ITEMS
        ]
    )
    if not pending:
        return None
    items = []
    for a in pending:
        if a.kind in (Kind.MONTHLY, Kind.MONTHLY_CHECK):
            period = f"{a.period:%Y-%m}"
        elif a.kind == Kind.YEAR_END:
            period = _("%(y)s 年度") % {"y": a.period.year}
        else:
            period = f"{a.period:%Y-%m-%d}"
        items.append(
            {
                "label": f"{a.get_kind_display()} {period}",
                "url": reverse("appraisal:assessment", args=[a.pk]),
                "due_at": None,
                "overdue": False,
                "meta": _("总分 %(t)s") % {"t": a.total},
            }
        )
    return {
        "title": _("待确认的考核"),
        "items": items,
        "more_url": reverse("appraisal:mine"),
        "empty_text": _("没有待确认的考核。"),
    }
