"""Key custody's paper forms (KEY-02..KEY-10).

- 《业户钥匙委托书》 of one entrustment (KEY-02, KEY-07);
- 《借用钥匙登记表》 of one project and month (KEY-03, KEY-04), landscape;
- 《钥匙管理月报》: the report's frozen figures, the supervisor's review and the
  month's loan log (KEY-09);
- 《紧急动用钥匙记录》 of one emergency use (KEY-07);
- 《钥匙交接班记录》 of one duty handover (KEY-10).

``*_queryset`` fetch what a form prints; ``*_context`` build the template
context (testable without rendering, a fixed number of queries whatever the
number of rows); ``*_pdf`` render it through ``servicedesk.pdf.render_pdf``.
All typed text goes through the templates' autoescaping.

The loan log of a busy month runs to a few pages (~0.3 s a page here); it is
rendered in the request, well inside ``RENDER_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keys import selectors
from keys.models import (
    ContactAttempt,
    EmergencyUse,
    EntrustedUse,
    Entrustment,
    Handover,
    Key,
    KeySettings,
    Loan,
    MonthlyReport,
)
from servicedesk.core.models import Project
from servicedesk.pdf import render_pdf
from servicedesk.workcal.calendar import local_zone

ENTRUSTMENT_TEMPLATE = "keys/pdf/entrustment.html"
LOAN_LOG_TEMPLATE = "keys/pdf/loan_log.html"
REPORT_TEMPLATE = "keys/pdf/report.html"
EMERGENCY_TEMPLATE = "keys/pdf/emergency.html"
HANDOVER_TEMPLATE = "keys/pdf/handover.html"


def entrustment_title() -> str:
    return _("业户钥匙委托书")


def loan_log_title() -> str:
    return _("借用钥匙登记表")


def report_title() -> str:
    return _("钥匙管理月报")


def emergency_title() -> str:
    return _("紧急动用钥匙记录")


def handover_title() -> str:
    return _("钥匙交接班记录")


def person(user: AbstractBaseUser | AnonymousUser | None) -> str:
    """Return a staff member's name (the username without a staff profile); "" for none.

    ``staff_profile`` must be select_related: a missing profile is then cached
    as absent and costs no query.
    """
    if user is None:
        return ""
    profile = getattr(user, "staff_profile", None)
    if profile is not None:
        return str(profile.name)
    return str(user.get_username())


def mask_phone(phone: object) -> str:
    """Return ``+8613811112222`` as ``138****2222`` (a resident sees contacts masked)."""
    digits = "".join(c for c in str(phone or "") if c.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits:
        return ""
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def phone_text(phone: object) -> str:
    """Return a stored phone number (E.164 or typed) as printed: ``13811112222``."""
    text = str(phone or "")
    return text[3:] if text.startswith("+86") else text


def _local(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if at is None:
        return ""
    return timezone.localtime(at, local_zone()).strftime(fmt)


def _printed(request: HttpRequest) -> dict[str, Any]:
    return {"printed_at": timezone.localtime(), "printed_by": person(request.user)}


# --- 《业户钥匙委托书》 (KEY-02) ----------------------------------------------------------


def entrustment_queryset() -> QuerySet[Entrustment]:
    return Entrustment.objects.select_related(
        "project", "unit", "resident", "created_by__staff_profile"
    ).prefetch_related(Prefetch("keys", queryset=Key.objects.order_by("tag")))


@dataclass(frozen=True)
class UseBox:
    """One allowed-use choice printed with ■ (allowed) or □ (not allowed)."""

    label: str
    allowed: bool


def entrustment_context(entrustment: Entrustment, *, staff_view: bool = True) -> dict[str, Any]:
    """Return the context of the 《业户钥匙委托书》 (KEY-02, KEY-07).

    Every ``EntrustedUse`` is printed, ticked when the owner allowed it; the
    clauses say the desk holds the key only for those uses, how an emergency
    entry works (KEY-07) and that revocation returns the key (KEY-02). Signed on
    paper or confirmed in the portal: the confirmation and its time print.
    """
    resident = entrustment.resident
    return {
        "entrustment": entrustment,
        "project": entrustment.project,
        "company": entrustment.project.company,
        "form_title": entrustment_title(),
        "serial": entrustment.number,
        "record_url": reverse("keys:entrustment", args=[entrustment.pk]),
        "resident": resident,
        "phone": phone_text(resident.phone) if staff_view else mask_phone(resident.phone),
        "keys": list(entrustment.keys.all()),
        "uses": [
            UseBox(label=str(label), allowed=value in entrustment.allowed_uses)
            for value, label in EntrustedUse.choices
        ],
        "allows_emergency": EntrustedUse.EMERGENCY in entrustment.allowed_uses,
        "confirmed": entrustment.confirmed_at is not None,
        "portal": entrustment.confirmation == Entrustment.Confirmation.PORTAL,
        "pending": entrustment.status == Entrustment.Status.PENDING,
        "revoked": entrustment.status == Entrustment.Status.REVOKED,
        "expired": entrustment.status == Entrustment.Status.EXPIRED,
        "clerk": person(entrustment.created_by),
    }


def entrustment_pdf(
    entrustment: Entrustment, *, request: HttpRequest, staff_view: bool = True
) -> bytes:
    """Render the 《业户钥匙委托书》 (fetch it with ``entrustment_queryset``)."""
    context = entrustment_context(entrustment, staff_view=staff_view) | _printed(request)
    return render_pdf(ENTRUSTMENT_TEMPLATE, context, request=request)


# --- 《借用钥匙登记表》 (KEY-03, KEY-04) --------------------------------------------------


@dataclass(frozen=True)
class LoanRow:
    """One line of the 《借用钥匙登记表》: a loan that went out that month."""

    n: int
    number: str
    tag: str
    opens: str
    borrower: str
    borrower_unit: str
    purpose: str
    approver: str
    out_at: str
    due_at: str
    returned_at: str
    received_by: str
    marks: list[str]
    overdue: bool
    emergency: bool


def _overrun(due_at: datetime, end: datetime) -> str:
    """Return how long past its due time the key came (or stays) back: "2小时15分"."""
    minutes = max(1, int((end - due_at).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)d天") % {"n": days})
    if hours:
        parts.append(_("%(n)d小时") % {"n": hours})
    if mins and not days:
        parts.append(_("%(n)d分") % {"n": mins})
    return "".join(parts)


def loan_marks(loan: Loan, now: datetime) -> list[str]:
    """Return the 备注 of a loan line: emergency, maintenance, overdue, damage, still out."""
    marks = []
    if loan.emergency:
        marks.append(_("紧急动用"))
    if loan.maintenance:
        marks.append(_("维修工程（批准延后归还）"))
    if loan.due_at is not None and selectors.was_overdue(loan, now):
        over = _overrun(loan.due_at, loan.returned_at or now)
        if loan.returned_at is None:
            marks.append(_("逾期未还，超%(over)s") % {"over": over})
        else:
            marks.append(_("逾期归还，超%(over)s") % {"over": over})
    elif loan.status == Loan.Status.OUT:
        marks.append(_("借出中"))
    if loan.return_condition in (Loan.Condition.DAMAGED, Loan.Condition.LOST):
        marks.append(
            _("归还状况：%(condition)s") % {"condition": loan.get_return_condition_display()}
        )
    return marks


def loan_rows(loans: list[Loan], now: datetime | None = None) -> list[LoanRow]:
    now = now or timezone.now()
    rows = []
    for n, loan in enumerate(loans, start=1):
        approver = _("紧急动用，事后复核") if loan.emergency else person(loan.approved_by)
        rows.append(
            LoanRow(
                n=n,
                number=loan.number,
                tag=loan.key.tag,
                opens=loan.key.opens,
                borrower=loan.borrower_name,
                borrower_unit=loan.borrower_unit,
                purpose=loan.purpose,
                approver=approver,
                out_at=_local(loan.out_at, "%m-%d %H:%M"),
                due_at=_local(loan.due_at, "%m-%d %H:%M"),
                returned_at=_local(loan.returned_at, "%m-%d %H:%M"),
                received_by=person(loan.received_by),
                marks=loan_marks(loan, now),
                overdue=selectors.was_overdue(loan, now),
                emergency=loan.emergency,
            )
        )
    return rows


def previous_month(today: date) -> date:
    """Return the first day of the month before ``today``'s."""
    first = today.replace(day=1)
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def _loan_log(project: Project, month: date) -> dict[str, Any]:
    """The loan lines of ``project``'s ``month`` and their totals (one query)."""
    now = timezone.now()
    rows = loan_rows(list(selectors.month_loans(project, month)), now)
    return {
        "month": month,
        "rows": rows,
        "overdue_count": sum(1 for r in rows if r.overdue),
        "emergency_count": sum(1 for r in rows if r.emergency),
        "out_count": sum(1 for r in rows if not r.returned_at),
    }


def loan_log_context(project: Project, month: date) -> dict[str, Any]:
    """Return the context of the 《借用钥匙登记表》 of ``project`` for ``month`` (KEY-03).

    One row per loan that went out in the local month (``selectors.month_loans``:
    one query with the key and the staff joined), in the order they went out.
    Overdue, emergency and maintenance loans are marked in 备注 (KEY-04, KEY-07).
    """
    return {
        "project": project,
        "company": project.company,
        "form_title": loan_log_title(),
        "serial": f"JYDJ-{project.code}-{month:%Y%m}",
        "record_url": reverse("keys:board"),
        **_loan_log(project, month),
    }


def loan_log_pdf(project: Project, month: date, *, request: HttpRequest) -> bytes:
    context = loan_log_context(project, month) | _printed(request)
    return render_pdf(LOAN_LOG_TEMPLATE, context, request=request)


# --- Monthly report (KEY-09) -----------------------------------------------------------


def report_queryset() -> QuerySet[MonthlyReport]:
    return MonthlyReport.objects.select_related(
        "project", "submitted_by__staff_profile", "reviewed_by__staff_profile"
    )


@dataclass(frozen=True)
class FigureRow:
    label: str
    value: int
    unit: str
    note: str


def figure_rows(figures: dict[str, Any], *, seal_hours: int = 24) -> list[FigureRow]:
    """Return the report's frozen figures (``selectors.month_figures``) as printed lines."""

    def n(key: str) -> int:
        try:
            return int(figures.get(key) or 0)
        except (TypeError, ValueError):
            return 0

    numbers = [str(x) for x in figures.get("overdue_numbers", []) or []]
    overdue_note = "、".join(numbers) if numbers else ""
    if numbers and n("overdue") > len(numbers):
        overdue_note += _("等")
    times, keys = _("次"), _("把")
    return [
        FigureRow(
            _("钥匙借用"),
            n("loans"),
            times,
            _("涉及钥匙 %(n)d 把") % {"n": n("keys_used")},
        ),
        FigureRow(_("其中维修工程借用"), n("maintenance_loans"), times, _("经批准延后归还")),
        FigureRow(_("逾期未还/逾期归还"), n("overdue"), times, overdue_note),
        FigureRow(_("紧急动用"), n("emergency_uses"), times, _("详见《紧急动用钥匙记录》")),
        FigureRow(_("钥匙损坏"), n("damaged"), times, ""),
        FigureRow(_("钥匙遗失"), n("lost"), times, ""),
        FigureRow(_("遗失找回"), n("found"), times, ""),
        FigureRow(
            _("更换锁芯"),
            n("lock_changes"),
            times,
            _("新钥匙须 %(n)d 小时内交物业总值封存") % {"n": seal_hours},
        ),
        FigureRow(_("配制钥匙"), n("copies_made"), keys, _("均经审批后配制")),
    ]


def report_context(report: MonthlyReport) -> dict[str, Any]:
    """Return the context of the monthly key report (KEY-09): the figures frozen at
    submission, who submitted it, the supervisor's review, then the month's loan log
    (the same table as 《借用钥匙登记表》)."""
    return {
        "report": report,
        "project": report.project,
        "company": report.project.company,
        "form_title": report_title(),
        "serial": f"YB-{report.project.code}-{report.month:%Y%m}",
        "record_url": reverse("keys:report", args=[report.pk]),
        "figures": figure_rows(
            report.figures or {}, seal_hours=KeySettings.current().seal_within_hours
        ),
        "submitter": person(report.submitted_by),
        "reviewer": person(report.reviewed_by),
        "reviewed": report.status == MonthlyReport.Status.REVIEWED,
        **_loan_log(report.project, report.month),
    }


def report_pdf(report: MonthlyReport, *, request: HttpRequest) -> bytes:
    context = report_context(report) | _printed(request)
    return render_pdf(REPORT_TEMPLATE, context, request=request)


# --- 《紧急动用钥匙记录》 (KEY-07) -------------------------------------------------------


def emergency_queryset() -> QuerySet[EmergencyUse]:
    return EmergencyUse.objects.select_related(
        "project",
        "key__unit",
        "loan",
        "opened_by__staff_profile",
        "reviewed_by__staff_profile",
    ).prefetch_related(
        Prefetch(
            "attempts",
            queryset=ContactAttempt.objects.select_related("by__staff_profile").order_by(
                "at", "pk"
            ),
        )
    )


@dataclass(frozen=True)
class AttemptRow:
    n: int
    at: str
    whom: str
    name: str
    phone: str
    method: str
    result: str
    reached: bool
    note: str
    by: str


def emergency_context(use: EmergencyUse, *, staff_view: bool = True) -> dict[str, Any]:
    """Return the context of the 《紧急动用钥匙记录》 (KEY-07).

    The emergency and its reason, every attempt to reach the owner/tenant and
    then the emergency contact in the order made, the people present, entry and
    exit, the outcome, when the owner was told afterwards, and the review. A
    resident of the unit may print it: phone numbers are then masked.
    """
    attempts = [
        AttemptRow(
            n=n,
            at=_local(a.at, "%m-%d %H:%M"),
            whom=a.get_whom_display(),
            name=a.name,
            phone=phone_text(a.phone) if staff_view else mask_phone(a.phone),
            method=a.get_method_display(),
            result=a.get_result_display(),
            reached=a.result == ContactAttempt.Result.REACHED,
            note=a.note,
            by=person(a.by),
        )
        for n, a in enumerate(use.attempts.all(), start=1)
    ]
    review_days = KeySettings.current().emergency_review_working_days
    return {
        "use": use,
        "key": use.key,
        "project": use.project,
        "company": use.project.company,
        "form_title": emergency_title(),
        "serial": use.number,
        "record_url": reverse("keys:emergency", args=[use.pk]),
        "attempts": attempts,
        "opener": person(use.opened_by),
        "reviewer": person(use.reviewed_by),
        "reviewed": use.status == EmergencyUse.Status.REVIEWED,
        "open": use.status == EmergencyUse.Status.OPEN,
        "kinds": [
            UseBox(label=str(label), allowed=value == use.kind)
            for value, label in EmergencyUse.Kind.choices
        ],
        "review_days": review_days,
    }


def emergency_pdf(use: EmergencyUse, *, request: HttpRequest, staff_view: bool = True) -> bytes:
    context = emergency_context(use, staff_view=staff_view) | _printed(request)
    return render_pdf(EMERGENCY_TEMPLATE, context, request=request)


# --- 《钥匙交接班记录》 (KEY-10) ---------------------------------------------------------


def handover_queryset() -> QuerySet[Handover]:
    return Handover.objects.select_related(
        "project", "handed_by__staff_profile", "taken_by__staff_profile"
    )


def handover_context(handover: Handover) -> dict[str, Any]:
    """Return the context of the 《钥匙交接班记录》 (KEY-10): the keys out and the sealed
    keys as snapshotted at the handover, the other held items, discrepancies, and
    both signatures with their times (the incoming one only once confirmed)."""
    keys_out = [row for row in (handover.keys_out or []) if isinstance(row, dict)]
    keys_sealed = [row for row in (handover.keys_sealed or []) if isinstance(row, dict)]
    return {
        "handover": handover,
        "project": handover.project,
        "company": handover.project.company,
        "form_title": handover_title(),
        "serial": f"JJB-{handover.project.code}-{_local(handover.at, '%Y%m%d')}-{handover.pk}",
        "record_url": reverse("keys:handover", args=[handover.pk]),
        "keys_out": keys_out,
        "keys_sealed": keys_sealed,
        "giver": person(handover.handed_by),
        "taker": person(handover.taken_by),
        "signed": handover.status == Handover.Status.SIGNED,
    }


def handover_pdf(handover: Handover, *, request: HttpRequest) -> bytes:
    context = handover_context(handover) | _printed(request)
    return render_pdf(HANDOVER_TEMPLATE, context, request=request)
