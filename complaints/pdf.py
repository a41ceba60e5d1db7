"""The complaint desk's paper forms: 《投诉记录表》 and 《回访记录表》 (CMP-03, CMP-12, CMP-17).

``*_context`` build the template context (testable without rendering, a fixed
number of queries); ``*_pdf`` render it through ``servicedesk.pdf.render_pdf``.
Every piece of customer- or staff-typed text goes through the template's
autoescaping: a description containing ``<img src=…>`` prints as text and the
PDF fetcher never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from complaints.models import (
    Callback,
    Category,
    Clock,
    Complaint,
    EscalationStep,
    Extension,
    Reporter,
)
from servicedesk.core.events import timeline
from servicedesk.core.models import Event
from servicedesk.pdf import render_pdf

COMPLAINT_RECORD_TITLE = "投诉记录表"
CALLBACK_RECORD_TITLE = "回访记录表"
COMPLAINT_RECORD_TEMPLATE = "complaints/pdf/complaint_record.html"
CALLBACK_RECORD_TEMPLATE = "complaints/pdf/callback_record.html"

SYSTEM = "系统"
# Clock kinds in the order a matter goes through them.
CLOCK_ORDER = {kind: i for i, kind in enumerate(Clock.Kind.values)}
ACTION_LABELS = {
    "filed": "受理登记",
    "status": "状态变更",
    "contacted": "联系客户",
    "replied": "答复客户",
    "extended": "延期",
    "callback": "回访",
    "merged_in": "并入重复投诉",
    "merged_out": "撤销合并",
    "recategorised": "更正类别",
    "escalated": "超时升级",
    "first_question_failure": "首问责任失职",
    "hot_report_done": "已上报集团",
    "onsite_done": "经理已到场",
}


def complaint_queryset() -> QuerySet[Complaint]:
    """Complaints with what both forms print, fetched in a fixed number of queries."""
    return Complaint.objects.select_related(
        "project",
        "unit",
        "channel",
        "category",
        "department",
        "policy",
        "received_by__staff_profile",
    ).prefetch_related(
        Prefetch("reporters", queryset=Reporter.objects.select_related("merged_from")),
        "clocks",
        Prefetch(
            "extensions", queryset=Extension.objects.select_related("recorded_by__staff_profile")
        ),
        Prefetch("callbacks", queryset=Callback.objects.select_related("by__staff_profile")),
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
class ClockRow:
    label: str
    started_at: datetime
    due_at: datetime
    done_at: datetime | None
    provisional: bool
    state: str
    extended: int


def clock_rows(complaint: Complaint, extensions: list[Extension], now: datetime) -> list[ClockRow]:
    """Return each clock with its state: 按时完成 / 超时完成 / 已超时 / 进行中 (CMP-05..12)."""
    extended: dict[str, int] = {}
    for ext in extensions:
        extended[ext.clock] = extended.get(ext.clock, 0) + 1
    rows = []
    for clock in sorted(complaint.clocks.all(), key=lambda c: CLOCK_ORDER.get(c.kind, 99)):
        if clock.done_at is not None:
            state = "按时完成" if clock.done_at <= clock.due_at else "超时完成"
        elif not complaint.is_open:
            state = "已终止"
        elif now >= clock.due_at:
            state = "已超时"
        else:
            state = "进行中"
        rows.append(
            ClockRow(
                label=str(Clock.Kind(clock.kind).label),
                started_at=clock.started_at,
                due_at=clock.due_at,
                done_at=clock.done_at,
                provisional=clock.provisional,
                state=state,
                extended=extended.get(clock.kind, 0),
            )
        )
    return rows


def _status_label(value: str) -> str:
    try:
        return str(Complaint.Status(value).label)
    except ValueError:
        return value


def _callback_label(value: str) -> str:
    for choices in (Callback.Result, Callback.Outcome):
        try:
            return str(choices(value).label)
        except ValueError:
            continue
    return value


def _time_text(iso: str) -> str:
    parsed = parse_datetime(iso) if iso else None
    if parsed is None:
        return iso
    return f"{timezone.localtime(parsed):%Y-%m-%d %H:%M}"


def event_detail(event: Event, categories: dict[str, str]) -> str:
    """Return one line describing ``event`` in words (the timeline column 情况说明)."""
    action = event.action
    if action == "status":
        change = f"{_status_label(event.from_state)} → {_status_label(event.to_state)}"
    elif action == "filed":
        change = f"登记为“{_status_label(event.to_state)}”"
    elif action == "extended":
        change = f"{_time_text(event.from_state)} → {_time_text(event.to_state)}"
    elif action == "escalated":
        change = f"升级级别 {event.from_state or 0} → {event.to_state}"
    elif action == "callback":
        change = _callback_label(event.to_state)
    elif action == "recategorised":
        old = categories.get(event.from_state, event.from_state or "未分类")
        change = f"{old} → {categories.get(event.to_state, event.to_state)}"
    elif action == "first_question_failure":
        change = event.to_state
    else:
        change = ""
    if action == "replied" and (event.data or {}).get("promised_at"):
        change = f"承诺于 {_time_text(event.data['promised_at'])} 前回复"
    return "；".join(part for part in (change, event.reason) if part)


@dataclass(frozen=True)
class TimelineRow:
    at: datetime
    action: str
    actor: str
    detail: str


def timeline_rows(complaint: Complaint) -> list[TimelineRow]:
    """Return EVERY event of the complaint's timeline, oldest first (ORG-05)."""
    events = list(timeline(complaint).select_related("actor__staff_profile"))
    categories = dict(Category.objects.values_list("code", "name"))
    return [
        TimelineRow(
            at=event.at,
            action=ACTION_LABELS.get(event.action, event.action),
            actor=person(event.actor),
            detail=event_detail(event, categories),
        )
        for event in events
    ]


def _base_context(complaint: Complaint) -> dict[str, Any]:
    return {
        "complaint": complaint,
        "project": complaint.project,
        "company": complaint.project.company,
        "serial": complaint.number,
        # The QR code leads back to the record (behind login and scoping).
        "record_url": f"/complaints/{complaint.pk}/",
        "reporters": list(complaint.reporters.all()),
        "received_by": person(complaint.received_by) if complaint.received_by else "",
    }


def complaint_record_context(complaint: Complaint) -> dict[str, Any]:
    """Return the context of the 《投诉记录表》 (CMP-03): the whole record on paper.

    Time, matter, receiver, handling and result; every reporter (CMP-14), every
    clock with its due and done time (provisional ones marked 暂定, CAL-02),
    every agreed extension (CMP-10), every callback (CMP-12) and every event.
    Staff-only: it prints the reporters' phone numbers.
    """
    now = timezone.now()
    extensions = list(complaint.extensions.all())
    top = EscalationStep.objects.filter(level=complaint.escalation_level).first()
    return {
        **_base_context(complaint),
        "form_title": COMPLAINT_RECORD_TITLE,
        "clocks": clock_rows(complaint, extensions, now),
        "extensions": extensions,
        "callbacks": list(complaint.callbacks.all()),
        "events": timeline_rows(complaint),
        "escalation_label": top.label if top else "",
        "show_phones": True,
    }


def mask_phone(phone: str) -> str:
    """Return ``13811112222`` as ``138****2222`` (a resident sees others' numbers masked)."""
    digits = str(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:-8]}****{digits[-4:]}" if len(digits) >= 8 else f"****{digits[-4:]}"


def callback_record_context(complaint: Complaint, *, staff_view: bool = True) -> dict[str, Any]:
    """Return the context of the 《回访记录表》 (CMP-12, CMP-13).

    The complaint in brief, the rectification result, each callback attempt
    with its result, and the customer's confirmation: the date of an online
    confirmation through the owner portal, or a box to sign. A resident (not
    ``staff_view``) may open it too: phone numbers are then masked.
    """
    callbacks = list(complaint.callbacks.all())
    portal = next(
        (cb for cb in reversed(callbacks) if cb.confirmation == Callback.Confirmation.PORTAL),
        None,
    )
    clock = next((c for c in complaint.clocks.all() if c.kind == Clock.Kind.CALLBACK), None)
    reporters = list(complaint.reporters.all())
    phones = [r.phone if staff_view else mask_phone(r.phone) for r in reporters if r.phone]
    return {
        **_base_context(complaint),
        "form_title": CALLBACK_RECORD_TITLE,
        "callbacks": callbacks,
        "callback_clock": clock,
        "portal_confirmation": portal,
        "phones": phones,
        "show_phones": staff_view,
    }


def _printed(request: HttpRequest) -> dict[str, Any]:
    return {"printed_at": timezone.localtime(), "printed_by": person(request.user)}


def complaint_record_pdf(complaint: Complaint, *, request: HttpRequest) -> bytes:
    """Render the 《投诉记录表》 of ``complaint`` (fetch it with ``complaint_queryset``)."""
    context = complaint_record_context(complaint) | _printed(request)
    return render_pdf(COMPLAINT_RECORD_TEMPLATE, context, request=request)


def callback_record_pdf(
    complaint: Complaint, *, request: HttpRequest, staff_view: bool = True
) -> bytes:
    """Render the 《回访记录表》 of ``complaint`` (fetch it with ``complaint_queryset``)."""
    context = callback_record_context(complaint, staff_view=staff_view) | _printed(request)
    return render_pdf(CALLBACK_RECORD_TEMPLATE, context, request=request)
