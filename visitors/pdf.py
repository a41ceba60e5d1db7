"""The visitor desk's paper forms: 《访客登记单》 and the daily 《访客登记表》 (VIS-03..07).

``*_context`` build the template context (testable without rendering, a fixed
number of queries); ``*_pdf`` render it through ``servicedesk.pdf.render_pdf``.
The full ID number never reaches a template: only ``id_number_masked`` is read
(VIS-07). Corrections print as the current value, marked 已更正, and are listed
with the original below the log (VIS-06). All typed text is autoescaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from servicedesk.core.models import Project
from servicedesk.core.scoping import scope_queryset
from servicedesk.pdf import render_pdf
from servicedesk.workcal.calendar import local_zone
from visitors.models import Amendment, IdType, Visit
from visitors.services import AMENDABLE, current_value

SLIP_TITLE = "访客登记单"
DAILY_LOG_TITLE = "访客登记表"
SLIP_TEMPLATE = "visitors/pdf/slip.html"
DAILY_LOG_TEMPLATE = "visitors/pdf/daily_log.html"

CORRECTED = "已更正"
SYSTEM = "系统"
# Labels of the fields a correction may change (services.AMENDABLE).
FIELD_LABELS = {
    "visitor_name": "访客姓名",
    "phone": "电话",
    "people_count": "人数",
    "vehicle_plate": "车牌",
    "purpose": "来访事由",
    "host_name": "被访人",
}
WEEKDAYS = "一二三四五六日"


def visit_queryset() -> QuerySet[Visit]:
    """Visits with what both forms print, fetched in a fixed number of queries."""
    return Visit.objects.select_related(
        "project",
        "host_unit",
        "host_resident",
        "registered_by__staff_profile",
        "entered_by__staff_profile",
        "pre_registration__host_resident",
    ).prefetch_related(
        Prefetch("amendments", queryset=Amendment.objects.select_related("by__staff_profile"))
    )


def person(user: AbstractBaseUser | AnonymousUser | None) -> str:
    """Return a staff member's name (their username if they have no profile); "系统" for none."""
    if user is None:
        return SYSTEM
    profile = getattr(user, "staff_profile", None)
    if profile is not None:
        return str(profile.name)
    return str(user.get_username())


@dataclass(frozen=True)
class Particulars:
    """What both parts of the slip and a log row print about one visit."""

    visitor_name: str
    phone: str
    people_count: str
    vehicle_plate: str
    purpose: str
    host_name: str
    host_unit: str
    host_department: str
    host_position: str
    corrected: frozenset[str]

    @property
    def host_text(self) -> str:
        """被访房号/被访人: "1-101 陈静", or "客服部 王强（经理）" (VIS-02)."""
        if self.host_unit:
            return " ".join(part for part in (self.host_unit, self.host_name) if part)
        position = f"（{self.host_position}）" if self.host_position else ""
        return " ".join(p for p in (self.host_department, self.host_name + position) if p)


def particulars(visit: Visit) -> Particulars:
    """Return the visit's particulars as last corrected (VIS-06); amendments prefetched."""
    corrected = frozenset(a.field for a in visit.amendments.all())
    return Particulars(
        visitor_name=str(current_value(visit, "visitor_name")),
        phone=str(current_value(visit, "phone")),
        people_count=str(current_value(visit, "people_count")),
        vehicle_plate=str(current_value(visit, "vehicle_plate")),
        purpose=str(current_value(visit, "purpose")),
        host_name=str(current_value(visit, "host_name")),
        host_unit=visit.host_unit.number if visit.host_unit else "",
        host_department=visit.host_department,
        host_position=visit.host_position,
        corrected=corrected,
    )


@dataclass(frozen=True)
class CorrectionRow:
    slip_number: str
    field: str
    old_value: str
    new_value: str
    reason: str
    by: str
    at: datetime


def correction_rows(visit: Visit) -> list[CorrectionRow]:
    return [
        CorrectionRow(
            slip_number=visit.slip_number,
            field=FIELD_LABELS.get(a.field, a.field),
            old_value=a.old_value,
            new_value=a.new_value,
            reason=a.reason,
            by=person(a.by),
            at=a.at,
        )
        for a in visit.amendments.all()
    ]


def id_type_label(value: str) -> str:
    try:
        return str(IdType(value).label)
    except ValueError:
        return value


def status_label(visit: Visit) -> str:
    label = str(visit.get_status_display())
    if visit.status == Visit.Status.INSIDE and visit.flagged_inside_at:
        label += "（日终未离开）"  # VIS-04
    return label


def registrar_text(visit: Visit) -> str:
    """登记人; the clerk who typed it too when the duty manager registered at night (VIS-05)."""
    registrar = person(visit.registered_by)
    if visit.entered_by_id != visit.registered_by_id:
        return f"{registrar}（录入：{person(visit.entered_by)}）"
    return registrar


def consent_text(visit: Visit) -> str:
    """How and when the host answered; "待被访人同意" while nobody has (VIS-03)."""
    if visit.status == Visit.Status.PENDING or not visit.consent_method:
        return str(Visit.Status.PENDING.label)
    method = str(visit.get_consent_method_display())
    pre = getattr(visit, "pre_registration", None)  # select_related: no query
    if visit.consent_method == Visit.ConsentMethod.PRE_REGISTERED and pre is not None:
        method += f"（{pre.host_resident.name}）"
    answer = "同意" if visit.status != Visit.Status.REFUSED else "拒绝"
    return f"{method} · {answer}"


# --- 《访客登记单》 --------------------------------------------------------------------


def slip_context(visit: Visit) -> dict[str, Any]:
    """Return the context of the 《访客登记单》 of ``visit`` (VIS-03, VIS-04, VIS-07).

    The upper part goes with the visitor (the host signs it, it comes back at
    the exit); the lower part stays at the desk with who registered it and the
    host's answer. Both carry the slip number. Fetch ``visit`` with
    ``visit_queryset`` (amendments prefetched).
    """
    return {
        "visit": visit,
        "project": visit.project,
        "company": visit.project.company,
        "form_title": SLIP_TITLE,
        "serial": visit.slip_number,
        "p": particulars(visit),
        "id_type": id_type_label(visit.id_type),
        # VIS-07: the masked number only; the encrypted one never leaves the service.
        "id_number": visit.id_number_masked,
        "pending": visit.status == Visit.Status.PENDING,
        "refused": visit.status == Visit.Status.REFUSED,
        "status": status_label(visit),
        "registrar": registrar_text(visit),
        "consent": consent_text(visit),
        "night": visit.entered_by_id != visit.registered_by_id,
        "corrections": correction_rows(visit),
        "confidential": True,
    }


# --- Daily 《访客登记表》 ------------------------------------------------------------------


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Return [start, end) of local day ``day`` as aware datetimes (CAL-01)."""
    start = datetime.combine(day, time.min, tzinfo=local_zone())
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=local_zone())


@dataclass(frozen=True)
class LogRow:
    """One line of the 《访客登记表》: one visit registered that local day."""

    n: int
    slip_number: str
    visitor_name: str
    id_type: str
    id_number: str
    people_count: str
    vehicle_plate: str
    host: str
    purpose: str
    entered_at: str
    left_at: str
    registrar: str
    status: str
    corrected: frozenset[str]

    @property
    def corrected_labels(self) -> list[str]:
        return [FIELD_LABELS[f] for f in AMENDABLE if f in self.corrected]


def daily_visits(day: date, user: User | AnonymousUser) -> list[Visit]:
    """Return the visits registered on local day ``day`` in ``user``'s projects, in order."""
    start, end = day_bounds(day)
    visits = visit_queryset().filter(registered_at__gte=start, registered_at__lt=end)
    return list(scope_queryset(visits, user).order_by("registered_at", "id"))


def clock_text(at: datetime | None, day: date) -> str:
    """Return "HH:MM" on ``day``, "MM-DD HH:MM" on another day, "—" for none (local time)."""
    if at is None:
        return "—"
    local = timezone.localtime(at, local_zone())
    return f"{local:%H:%M}" if local.date() == day else f"{local:%m-%d %H:%M}"


def log_rows(visits: list[Visit], day: date) -> list[LogRow]:
    rows = []
    for n, visit in enumerate(visits, start=1):
        p = particulars(visit)
        rows.append(
            LogRow(
                n=n,
                slip_number=visit.slip_number,
                visitor_name=p.visitor_name,
                id_type=id_type_label(visit.id_type),
                id_number=visit.id_number_masked,  # VIS-07
                people_count=p.people_count,
                vehicle_plate=p.vehicle_plate,
                host=p.host_text,
                purpose=p.purpose,
                entered_at=clock_text(visit.entered_at, day),
                left_at=clock_text(visit.left_at, day),
                registrar=registrar_text(visit),
                status=status_label(visit),
                corrected=p.corrected,
            )
        )
    return rows


def daily_log_context(day: date, user: User | AnonymousUser) -> dict[str, Any]:
    """Return the context of the daily 《访客登记表》 of ``user``'s projects (VIS-04, VIS-06).

    One row per visit registered that local day, corrections shown as current
    values marked 已更正 and listed with the original value below. A fixed
    number of queries whatever the number of rows.
    """
    visits = daily_visits(day, user)
    projects = list(scope_queryset(Project.objects.all(), user).order_by("code"))
    shown = {v.project_id for v in visits}
    if len(projects) > 1 and shown:
        projects = [p for p in projects if p.pk in shown]
    codes = projects[0].code if len(projects) == 1 else ""
    return {
        "form_title": DAILY_LOG_TITLE,
        "project": "、".join(p.name for p in projects) or "—",
        "company": projects[0].company if projects else "",
        "serial": f"FK-{codes}-{day:%Y%m%d}" if codes else f"FK-{day:%Y%m%d}",
        "day": day,
        "weekday": WEEKDAYS[day.weekday()],
        "rows": log_rows(visits, day),
        "corrections": [c for v in visits for c in correction_rows(v)],
        "inside": sum(1 for v in visits if v.status == Visit.Status.INSIDE),
        "refused": sum(1 for v in visits if v.status == Visit.Status.REFUSED),
        "people": sum(_count(current_value(v, "people_count")) for v in visits),
    }


def _count(value: object) -> int:
    text = str(value)
    return int(text) if text.isdigit() else 0


def _printed(request: HttpRequest) -> dict[str, Any]:
    return {"printed_at": timezone.localtime(), "printed_by": person(request.user)}


def slip_pdf(visit: Visit, *, request: HttpRequest) -> bytes:
    """Render the 《访客登记单》 of ``visit`` (fetch it with ``visit_queryset``)."""
    return render_pdf(SLIP_TEMPLATE, slip_context(visit) | _printed(request), request=request)


def daily_log_pdf(day: date, *, request: HttpRequest) -> bytes:
    """Render the 《访客登记表》 of local day ``day`` for the requesting user."""
    context = daily_log_context(day, request.user) | _printed(request)
    return render_pdf(DAILY_LOG_TEMPLATE, context, request=request)
