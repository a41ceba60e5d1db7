"""The visitor desk's pages under /visitors/ (namespace ``visitors``).

Front desk (staff only: a resident gets 403, another project's visit 404):
- ``new`` registration (VIS-01, VIS-02), with ``lookup`` (unit by room number or
  phone), ``recognise`` (returning visitor and blacklist by the document's keyed
  hash) and ``prereg`` (today's unused pre-registrations matching the name);
- ``list`` visitors inside now and the day's log, ``night`` those still inside
  for the duty manager (VIS-04, VIS-05);
- ``detail`` one visit, ``action`` its state changes: ``consent`` (VIS-03),
  ``sign-out`` (VIS-04), ``amend`` (VIS-06) and ``reveal`` (VIS-07).

Owner portal (residents, their own units only): ``portal`` pre-registers a guest
(VIS-03) and lists the visits to their home.

The full ID number appears only on the response to a logged ``reveal``, never
cached; every other page shows the mask. Every write goes through
``visitors.services``: ``InvalidTransition`` is shown as a message with HTTP 409,
a ``ValidationError`` on the named field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from servicedesk.core.events import timeline
from servicedesk.core.models import Project, Resident, Role, Unit
from servicedesk.core.scoping import get_scoped_or_404, scope_queryset, viewer_for
from servicedesk.core.selectors import unit_lookup
from servicedesk.web.identity import DeskIdentity, desk_identity
from servicedesk.workcal.calendar import business_calendar
from visitors import identity, services
from visitors.forms import (
    AMENDABLE_LABELS,
    AmendForm,
    ConsentForm,
    LogFilterForm,
    PreRegisterForm,
    RegisterForm,
    RevealForm,
    SignOutForm,
    apply_service_error,
)
from visitors.models import Amendment, BlacklistEntry, PreRegistration, Visit

Status = Visit.Status
LOOKUP_LIMIT = 10
PREREG_LIMIT = 10
LOG_LIMIT = 200
PORTAL_LIMIT = 50
PANEL_ITEMS = 8
EVENT_LABELS = {
    "registered": gettext_lazy("登记"),
    "consent": gettext_lazy("被访人答复"),
    "signed_out": gettext_lazy("离开登记"),
    "amended": gettext_lazy("更正"),
    "id_revealed": gettext_lazy("查看完整证件号"),
    "flagged_inside": gettext_lazy("当日未离开"),
}
STATUS_LABELS = dict(Status.choices)


def _require_staff(request: HttpRequest) -> None:
    if not viewer_for(request.user).is_staff_member:
        raise PermissionDenied(_("仅限员工操作。"))


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _no_store(response: HttpResponse) -> HttpResponse:
    # A page that may carry a typed or revealed ID number is never cached (VIS-07).
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


def can_see_originals(request: HttpRequest) -> bool:
    """Supervisors and managers see the original entry under corrections (VIS-06)."""
    viewer = viewer_for(request.user)
    return viewer.is_superuser or viewer.has_role(Role.SUPERVISOR, Role.MANAGER)


def can_reveal(request: HttpRequest) -> bool:
    """Who may ask for the full number (VIS-07); ``services.id_reveal`` decides again."""
    return services.may_reveal(request.user)


def _visits(user: Any) -> QuerySet[Visit]:
    """Visits the user may see, with what a row shows: no query per row."""
    return scope_queryset(
        Visit.objects.select_related(
            "host_unit", "registered_by__staff_profile", "entered_by__staff_profile"
        ).prefetch_related(
            Prefetch(
                "amendments",
                queryset=Amendment.objects.select_related("by__staff_profile").order_by("at", "id"),
            )
        ),
        user,
    )


@dataclass(frozen=True)
class VisitRow:
    visit: Visit
    name: str
    plate: str
    people: str
    host: str
    night: bool
    night_registered: bool  # registered by the duty manager for the clerk (VIS-05)


def host_label(visit: Visit, host_name: object = None) -> str:
    name = str(host_name if host_name is not None else visit.host_name)
    if visit.host_unit is not None:
        return f"{visit.host_unit.number} {name}".strip()
    parts = [visit.host_department, name, visit.host_position]
    return " ".join(p for p in parts if p)


def visit_row(visit: Visit, is_night: Callable[[datetime], bool]) -> VisitRow:
    return VisitRow(
        visit=visit,
        name=str(services.current_value(visit, "visitor_name")),
        plate=str(services.current_value(visit, "vehicle_plate")),
        people=str(services.current_value(visit, "people_count")),
        host=host_label(visit, services.current_value(visit, "host_name")),
        night=is_night(visit.registered_at),
        night_registered=visit.registered_by_id != visit.entered_by_id,
    )


def staff_name(user: User | None) -> str:
    if user is None:
        return ""
    profile = getattr(user, "staff_profile", None)
    return profile.name if profile is not None else user.get_username()


# --- Registration ------------------------------------------------------------


def _scoped_units(request: HttpRequest) -> QuerySet[Unit]:
    return scope_queryset(Unit.objects.select_related("project", "building"), request.user)


def _open_pre_registrations(request: HttpRequest) -> QuerySet[PreRegistration]:
    """Today's pre-registrations of the user's projects not used yet (VIS-03)."""
    return scope_queryset(
        PreRegistration.objects.filter(
            expected_on=timezone.localdate(), used_by__isnull=True
        ).select_related("host_unit", "host_resident"),
        request.user,
    )


def _matching_pre_registrations(request: HttpRequest, name: str) -> list[PreRegistration]:
    name = name.strip()
    if not name:
        return []
    rows = _open_pre_registrations(request).filter(guest_name__icontains=name)
    return list(rows.order_by("guest_name", "id")[:PREREG_LIMIT])


def _register_form(request: HttpRequest, data: Any = None) -> RegisterForm:
    units = _scoped_units(request)
    return RegisterForm(
        data,
        projects=scope_queryset(Project.objects.order_by("code"), request.user),
        units=units,
        residents=Resident.objects.filter(is_active=True, unit__in=units.values("pk")),
        pre_registrations=_open_pre_registrations(request),
    )


def _register_context(request: HttpRequest, form: RegisterForm) -> dict[str, Any]:
    data = form.data if form.is_bound else {}
    unit = resident = None
    try:
        if data.get("unit"):
            unit = _scoped_units(request).filter(pk=int(data["unit"])).first()
        if unit is not None and data.get("host_resident"):
            resident = unit.residents.filter(pk=int(data["host_resident"])).first()
    except (TypeError, ValueError):
        unit = resident = None
    return {
        "form": form,
        "picked_unit": unit,
        "picked_resident": resident,
        "pre_registrations": _matching_pre_registrations(request, data.get("visitor_name", "")),
        "picked_pre": str(data.get("pre_registration", "")),
        "one_project": len(form.fields["project"].queryset[:2]) == 1,  # type: ignore[attr-defined]
    }


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Register a visitor at the desk (VIS-01, VIS-02); pre-registered guests go straight in."""
    _require_staff(request)
    posted = request.method == "POST"
    form = _register_form(request, request.POST if posted else None)
    if posted and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                pre: PreRegistration | None = d["pre_registration"]
                if pre is not None:
                    # Two desks may pick the same pre-registration: lock it and
                    # check it is still unused before the visit takes it.
                    pre = PreRegistration.objects.select_for_update().get(pk=pre.pk)
                    if pre.used_by_id is not None:
                        raise ValidationError({"pre_registration": [_("该预约已被其他登记使用。")]})
                visit = services.visit_register(
                    project=d["project"],
                    visitor_name=d["visitor_name"],
                    id_type=d["id_type"],
                    id_number=d["id_number"],
                    purpose=d["purpose"],
                    by=_user(request),
                    host_unit=d["unit"],
                    host_resident=d["host_resident"],
                    host_name=d["host_name"],
                    host_department=d["host_department"],
                    host_position=d["host_position"],
                    phone=d["phone"],
                    people_count=d["people_count"],
                    vehicle_plate=d["vehicle_plate"],
                    pre_registration=pre,
                )
        except ValidationError as exc:
            apply_service_error(form, exc)
        except services.InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            if visit.status == Status.INSIDE:
                text = _("已登记 %(n)s：业主已预约，访客可进入。")
            else:
                text = _("已登记 %(n)s，请联系被访人确认。")
            messages.success(request, text % {"n": visit.slip_number})
            if "save_next" in request.POST:
                return redirect("visitors:new")
            return redirect("visitors:detail", pk=visit.pk)
    status = 400 if form.errors else 200
    response = render(
        request, "visitors/register.html", _register_context(request, form), status=status
    )
    return _no_store(response)


@login_required
@require_safe
def lookup(request: HttpRequest) -> HttpResponse:
    """Units and their residents matching a room number or phone (htmx partial)."""
    _require_staff(request)
    query = (request.GET.get("q") or request.GET.get("lookup") or "").strip()[:50]
    units = unit_lookup(request.user, query, limit=LOOKUP_LIMIT)
    return render(request, "visitors/_lookup.html", {"units": units, "query": query})


@login_required
@require_POST
def recognise(request: HttpRequest) -> HttpResponse:
    """A returning visitor, or a blacklisted document, by its keyed hash (htmx partial).

    Nothing but the hash leaves this function: the response never echoes the number.
    POST, so the number never lands in an access log's query string (VIS-07).
    """
    _require_staff(request)
    id_type = request.POST.get("id_type", "")
    raw = request.POST.get("id_number", "")[:40]
    context: dict[str, Any] = {"error": "", "last": None, "times": 0, "banned": None}
    if raw.strip():
        try:
            number = identity.validate_document(id_type, raw)
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
        else:
            digest = identity.lookup_hash(id_type, number)
            visits = _visits(request.user).filter(id_hash=digest).order_by("-registered_at", "-id")
            rows = list(visits[:1])
            if rows:
                last = rows[0]
                context.update(
                    last=last,
                    times=visits.count(),
                    name=services.current_value(last, "visitor_name"),
                    phone=services.current_value(last, "phone"),
                    host=host_label(last, services.current_value(last, "host_name")),
                )
            context["banned"] = (
                scope_queryset(BlacklistEntry.objects.filter(is_active=True), request.user)
                .filter(id_hash=digest)
                .first()
            )
    return _no_store(render(request, "visitors/_recognise.html", context))


@login_required
@require_safe
def prereg(request: HttpRequest) -> HttpResponse:
    """Today's unused pre-registrations matching the name typed (htmx partial)."""
    _require_staff(request)
    context = {
        "pre_registrations": _matching_pre_registrations(
            request, request.GET.get("visitor_name", "")[:50]
        ),
        "picked_pre": request.GET.get("pre_registration", ""),
    }
    return render(request, "visitors/_prereg.html", context)


# --- Lists -------------------------------------------------------------------


def _day_range(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def _inside_queryset(request: HttpRequest) -> QuerySet[Visit]:
    """Visitors waiting for consent (on top) and inside now, flagged ones first."""
    return (
        _visits(request.user)
        .filter(status__in=[Status.PENDING, Status.INSIDE])
        .annotate(
            waiting=Case(
                When(status=Status.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("waiting", "flagged_inside_at", "entered_at", "registered_at", "id")
    )


@login_required
@require_safe
def visit_list(request: HttpRequest) -> HttpResponse:
    """Visitors inside now and the day's log (VIS-04); a constant number of queries."""
    _require_staff(request)
    form = LogFilterForm(request.GET or None, initial={"day": timezone.localdate()})
    filters = form.cleaned_data if form.is_valid() else {}
    cal = business_calendar()
    today = timezone.localdate()
    day: date | None = filters.get("day")
    text = (filters.get("q") or "").strip()
    log = _visits(request.user)
    if day is None and not text:
        day = today
    if day is not None:
        start, end = _day_range(day)
        log = log.filter(registered_at__gte=start, registered_at__lt=end)
    if text:
        log = log.filter(
            Q(visitor_name__icontains=text)
            | Q(slip_number__icontains=text)
            | Q(vehicle_plate__icontains=text.upper())
        )
    log_rows = [
        visit_row(v, cal.is_night) for v in log.order_by("-registered_at", "-id")[:LOG_LIMIT]
    ]
    inside_rows = [visit_row(v, cal.is_night) for v in _inside_queryset(request)]
    return render(
        request,
        "visitors/list.html",
        {
            "form": form,
            "inside": inside_rows,
            "pending_count": sum(1 for r in inside_rows if r.visit.status == Status.PENDING),
            "flagged_count": sum(1 for r in inside_rows if r.visit.flagged_inside_at),
            "log": log_rows,
            "log_truncated": len(log_rows) >= LOG_LIMIT,
            "day": day,
            "is_today": day == today,
            "query": text,
        },
    )


@login_required
@require_safe
def night(request: HttpRequest) -> HttpResponse:
    """The duty manager's list: visitors still inside, flagged ones first (VIS-04, VIS-05)."""
    _require_staff(request)
    cal = business_calendar()
    rows = [
        visit_row(v, cal.is_night)
        for v in _visits(request.user)
        .filter(status=Status.INSIDE)
        .order_by("flagged_inside_at", "entered_at", "id")
    ]
    return render(
        request,
        "visitors/night.html",
        {
            "rows": rows,
            "flagged_count": sum(1 for r in rows if r.visit.flagged_inside_at),
            "is_night_now": cal.is_night(timezone.now()),
        },
    )


# --- Detail and actions ------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    name: str
    label: str
    value: object
    original: object
    amended: bool


def field_rows(visit: Visit) -> list[FieldRow]:
    rows = []
    amended = {a.field for a in visit.amendments.all()}
    for name, label in AMENDABLE_LABELS.items():
        rows.append(
            FieldRow(
                name=name,
                label=str(label),
                value=services.current_value(visit, name),
                original=getattr(visit, name),
                amended=name in amended,
            )
        )
    return rows


def _slip_url(pk: int) -> str:
    # The slip PDF is added by another module; hide the link until it exists.
    try:
        return reverse("visitors:slip-pdf", args=[pk])
    except NoReverseMatch:
        return ""


def _detail_context(
    request: HttpRequest,
    visit: Visit,
    *,
    bound: dict[str, forms.Form] | None = None,
    action_error: str = "",
    failed_action: str = "",
    revealed: str = "",
) -> dict[str, Any]:
    cal = business_calendar()
    originals = can_see_originals(request)
    action_forms: dict[str, forms.Form] = {
        "consent": ConsentForm(prefix="consent"),
        "sign-out": SignOutForm(prefix="sign-out", initial={"host_signed": True}),
        "amend": AmendForm(prefix="amend"),
        "reveal": RevealForm(prefix="reveal"),
    }
    action_forms.update(bound or {})
    events = []
    for e in timeline(visit).select_related("actor__staff_profile").order_by("at", "id"):
        change = ""
        if e.action == "consent":
            change = str(STATUS_LABELS.get(e.to_state, e.to_state))
        elif e.action == "amended" and originals:
            label = AMENDABLE_LABELS.get((e.data or {}).get("field", ""), "")
            change = f"{label}：{e.from_state} → {e.to_state}"
        elif e.action == "amended":
            change = str(AMENDABLE_LABELS.get((e.data or {}).get("field", ""), ""))
        events.append(
            {
                "event": e,
                "label": str(EVENT_LABELS.get(e.action, e.action)),
                "change": change,
                "actor": staff_name(e.actor) if e.actor else _("系统"),
            }
        )
    slip = _slip_url(visit.pk) if visit.status in (Status.INSIDE, Status.LEFT) else ""
    return {
        "v": visit,
        "row": visit_row(visit, cal.is_night),
        "fields": field_rows(visit),
        "amendments": list(visit.amendments.all()) if originals else [],
        "can_see_originals": originals,
        "can_reveal": can_reveal(request),
        "revealed": revealed,
        "reveals": list(visit.reveals.select_related("by__staff_profile")) if originals else [],
        "forms": {k.replace("-", "_"): f for k, f in action_forms.items()},
        "action_error": action_error,
        "failed_action": failed_action.replace("-", "_"),
        "events": events,
        "registered_by": staff_name(visit.registered_by),
        "entered_by": staff_name(visit.entered_by),
        "slip_url": slip,
    }


def _detail_queryset(request: HttpRequest) -> QuerySet[Visit]:
    return _visits(request.user).select_related("project", "host_resident")


@login_required
@require_safe
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One visit: masked number, status, host, corrections and the actions."""
    _require_staff(request)
    visit = get_scoped_or_404(_detail_queryset(request), request.user, pk=pk)
    return render(request, "visitors/detail.html", _detail_context(request, visit))


Handler = Callable[[HttpRequest, Visit, dict[str, Any]], Any]

ACTIONS: dict[str, tuple[type[forms.Form], Handler, str]] = {
    "consent": (
        ConsentForm,
        lambda r, v, d: services.visit_consent(
            visit=v, by=_user(r), granted=d["granted"], method=d["method"], note=d["note"]
        ),
        "已记录被访人答复。",
    ),
    "sign-out": (
        SignOutForm,
        lambda r, v, d: services.visit_sign_out(visit=v, by=_user(r), host_signed=d["host_signed"]),
        "已登记离开。",
    ),
    "amend": (
        AmendForm,
        lambda r, v, d: services.visit_amend(
            visit=v, by=_user(r), field=d["field"], new_value=d["new_value"], reason=d["reason"]
        ),
        "已追加更正，原记录保留。",
    ),
}


@login_required
@require_POST
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Run one action on a visit; re-render the page with the error if it fails."""
    _require_staff(request)
    visit = get_scoped_or_404(_detail_queryset(request), request.user, pk=pk)
    if name not in ACTIONS:
        raise Http404
    form_class, handler, done = ACTIONS[name]
    form = form_class(request.POST, prefix=name)
    status, error = 400, ""
    if form.is_valid():
        try:
            handler(request, visit, form.cleaned_data)
        except services.InvalidTransition as exc:
            error, status = str(exc), 409
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _(done))
            return redirect("visitors:detail", pk=visit.pk)
        visit = get_scoped_or_404(_detail_queryset(request), request.user, pk=pk)
    context = _detail_context(
        request, visit, bound={name: form}, action_error=error, failed_action=name
    )
    return render(request, "visitors/detail.html", context, status=status)


@login_required
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full number once, on this response only, and log it (VIS-07)."""
    _require_staff(request)
    visit = get_scoped_or_404(_detail_queryset(request), request.user, pk=pk)
    form = RevealForm(request.POST, prefix="reveal")
    status, error, number = 400, "", ""
    if form.is_valid():
        try:
            # PermissionDenied propagates: the 403 page.
            number = services.id_reveal(
                visit=visit, by=_user(request), reason=form.cleaned_data["reason"]
            )
        except services.InvalidTransition as exc:
            error, status = str(exc), 409
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            status = 200
    context = _detail_context(
        request,
        visit,
        bound={"reveal": form} if not number else None,
        action_error=error,
        failed_action="" if number else "reveal",
        revealed=number,
    )
    return _no_store(render(request, "visitors/detail.html", context, status=status))


# --- Owner portal ------------------------------------------------------------


def _require_resident(request: HttpRequest) -> frozenset[int]:
    unit_ids = viewer_for(request.user).unit_ids
    if not unit_ids:
        raise PermissionDenied(_("业主门户仅供业主/住户使用。"))
    return unit_ids


@login_required
@require_http_methods(["GET", "POST"])
def portal(request: HttpRequest) -> HttpResponse:
    """Pre-register a guest (VIS-03); the guests and visits of the resident's home."""
    unit_ids = _require_resident(request)
    units = Unit.objects.filter(pk__in=unit_ids).select_related("project").order_by("number")
    posted = request.method == "POST"
    form = PreRegisterForm(request.POST if posted else None, units=units)
    if posted and form.is_valid():
        d = form.cleaned_data
        resident = Resident.objects.filter(
            user=_user(request), unit=d["unit"], is_active=True
        ).first()
        if resident is None:  # unit_ids come from these rows; a race with a move-out
            raise PermissionDenied(_("业主门户仅供业主/住户使用。"))
        try:
            pre = services.pre_register(
                resident=resident,
                by=_user(request),
                guest_name=d["guest_name"],
                expected_on=d["expected_on"],
                note=d["note"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("已预约：%(name)s，%(day)s。访客到访时出示证件即可登记进入。")
                % {"name": pre.guest_name, "day": f"{pre.expected_on:%Y-%m-%d}"},
            )
            return redirect("visitors:portal")
    # Scope first (ORG-02), then narrow to the resident's own units.
    pre_registrations = list(
        scope_queryset(
            PreRegistration.objects.filter(host_unit_id__in=unit_ids).select_related(
                "host_unit", "used_by"
            ),
            request.user,
        ).order_by("-expected_on", "-id")[:PORTAL_LIMIT]
    )
    visits = list(
        scope_queryset(
            Visit.objects.filter(host_unit_id__in=unit_ids)
            .select_related("host_unit")
            .prefetch_related("amendments"),
            request.user,
        ).order_by("-registered_at", "-id")[:PORTAL_LIMIT]
    )
    context = {
        "form": form,
        "pre_registrations": pre_registrations,
        "visits": [(v, services.current_value(v, "visitor_name")) for v in visits],
        "today": timezone.localdate(),
    }
    return render(request, "visitors/portal.html", context, status=400 if form.errors else 200)


urlpatterns: list[URLPattern] = [
    path("", visit_list, name="list"),
    path("new/", register, name="new"),
    path("night/", night, name="night"),
    path("lookup/", lookup, name="lookup"),
    path("recognise/", recognise, name="recognise"),
    path("prereg/", prereg, name="prereg"),
    path("my/", portal, name="portal"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/reveal/", reveal, name="reveal"),
    path("<int:pk>/<slug:name>/", action, name="action"),
]


# --- Navigation and home panel (registered in VisitorsConfig.ready) ----------


def is_portal_user(identity: DeskIdentity) -> bool:
    """The portal entry is for residents (staff use the desk pages)."""
    return bool(identity.is_resident and not identity.is_staff_member)


def visitors_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Visitors inside now and the flagged ones (VIS-04): one query.

    Filters on ``DeskIdentity``'s projects, already loaded for the top bar,
    instead of paying ``viewer_for``'s queries again (the home page's budget).
    """
    desk = desk_identity(request)
    if not desk.is_staff_member:
        return None
    visible = Visit.objects.filter(status=Status.INSIDE)
    if not desk.all_projects:
        profile = desk.profile
        project_ids = [p.pk for p in profile.projects.all()] if profile is not None else []
        visible = visible.filter(project_id__in=project_ids)
    # One query: the window totals count every visitor inside before the LIMIT.
    rows = list(
        visible.annotate(
            inside_total=Window(Count("pk")),
            flagged_total=Window(
                Sum(
                    Case(
                        When(flagged_inside_at__isnull=False, then=Value(1)),
                        default=Value(0),
                        output_field=IntegerField(),
                    )
                )
            ),
        )
        .select_related("host_unit")
        .order_by(F("flagged_inside_at").asc(nulls_last=True), "entered_at", "id")[:PANEL_ITEMS]
    )
    inside = rows[0].inside_total if rows else 0
    flagged_count = rows[0].flagged_total if rows else 0
    flagged = [v for v in rows if v.flagged_inside_at is not None]
    items = [
        {
            "label": f"{v.slip_number} {v.visitor_name}",
            "url": reverse("visitors:detail", args=[v.pk]),
            "due_at": timezone.localtime(v.entered_at) if v.entered_at else None,
            "overdue": True,
            "meta": host_label(v),
        }
        for v in flagged
    ]
    return {
        "title": _("在访访客"),
        "inside": inside,
        "flagged": flagged_count,
        "items": items,
        "list_url": reverse("visitors:list"),
        "night_url": reverse("visitors:night"),
    }
