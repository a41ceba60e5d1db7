"""Writes of the complaint desk. ``complaint_transition`` is the only status change.

Views, the API, admin actions and the sweep all call these functions; each
writes its event (ORG-05) in the same transaction, and notifications go out
after commit through the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import rules
from complaints.models import (
    Callback,
    Category,
    Channel,
    Clock,
    Complaint,
    Extension,
    FirstQuestionFailure,
    Policy,
    Reporter,
    StandardAnswer,
)
from servicedesk.core.events import record_event
from servicedesk.core.models import Project, Resident, Role, Unit
from servicedesk.core.numbering import next_number
from servicedesk.notifications.services import notify, users_with_role
from servicedesk.workcal.calendar import BusinessCalendar, business_calendar

Status = Complaint.Status
NUMBER_PREFIX = {
    Complaint.Kind.COMPLAINT: "TS",
    Complaint.Kind.REPORT: "BS",
    Complaint.Kind.CONSULTATION: "ZX",
    Complaint.Kind.OPINION: "YJ",
    Complaint.Kind.PAID_SERVICE: "TY",
}


# Reports whose first-contact clock is this short or shorter are urgent (CMP-18).
URGENT_MINUTES = 30


class InvalidTransition(Exception):
    """The record's current state does not allow the action (API: 409)."""


def _save_clocks(complaint: Complaint, plans: Iterable[rules.ClockPlan]) -> None:
    """Create or restart the complaint's clocks from ``plans``."""
    for plan in plans:
        Clock.objects.update_or_create(
            complaint=complaint,
            kind=plan.kind,
            defaults={
                "started_at": plan.started_at,
                "due_at": plan.due_at,
                "warn_at": plan.warn_at,
                "provisional": plan.provisional,
                "done_at": None,
                "warned_at": None,
                "escalated_due_at": None,
            },
        )


def _stop_clocks(complaint: Complaint, *kinds: str, at: datetime) -> None:
    Clock.objects.filter(complaint=complaint, kind__in=kinds, done_at__isnull=True).update(
        done_at=at
    )


def complaint_transition(
    *, complaint: Complaint, to: str, by: User | None, reason: str = "", at: datetime | None = None
) -> Complaint:
    """Move ``complaint`` to status ``to``, logging who, when, from, to and why (ORG-05)."""
    if not rules.can_transition(complaint.status, to):
        raise InvalidTransition(
            _("当前状态“%(from)s”不能变为“%(to)s”。")
            % {"from": complaint.get_status_display(), "to": Status(to).label}
        )
    at = at or timezone.now()
    old = complaint.status
    complaint.status = to
    fields = ["status"]
    if to == Status.CLOSED:
        complaint.closed_at = at
        fields.append("closed_at")
        # A closed record has no deadlines left: stop what still runs (promises, reports).
        Clock.objects.filter(complaint=complaint, done_at__isnull=True).update(done_at=at)
    complaint.save(update_fields=fields)
    record_event(
        complaint, action="status", actor=by, from_state=old, to_state=to, reason=reason, at=at
    )
    return complaint


@transaction.atomic
def complaint_file(
    *,
    project: Project,
    kind: str = Complaint.Kind.COMPLAINT,
    unit: Unit | None,
    channel: Channel,
    category: Category | None,
    description: str,
    reporter_name: str,
    reporter_phone: str = "",
    severity: str = Complaint.Severity.GENERAL,
    urgency_minutes: int = 30,
    hot: bool = False,
    incident: bool = False,
    location: str = "",
    expectation: str = "",
    received_at: datetime | None = None,
    by: User | None,
    resident: Resident | None = None,
    reporter_user: User | None = None,
    department_id: int | None = None,
    cal: BusinessCalendar | None = None,
) -> Complaint:
    """File and dispatch a record: number, first-question owner, clocks (CMP-03, CMP-05).

    The first-contact clock starts at ``received_at``: staff may record an
    earlier time of receipt than now (API.md), never a later one.
    """
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + timedelta(minutes=1):
        raise ValidationError({"received_at": _("受理时间不能晚于现在。")})
    if unit is not None and unit.project_id != project.pk:
        raise ValidationError({"unit": _("房号不属于该管理项目。")})
    policy = Policy.current()
    cal = cal or business_calendar()
    local_year = cal.local(received_at).year
    complaint = Complaint(
        number=next_number(NUMBER_PREFIX[Complaint.Kind(kind)], local_year),
        kind=kind,
        project=project,
        unit=unit,
        channel=channel,
        category=category,
        severity=severity,
        hot=hot,
        incident=incident,
        urgency_minutes=urgency_minutes,
        description=description,
        location=location,
        expectation=expectation,
        received_at=received_at,
        received_by=by if by is not None and by.is_authenticated else None,
        department_id=department_id,
        needs_callback=kind != Complaint.Kind.CONSULTATION,
        policy=policy,
    )
    complaint.save()
    Reporter.objects.create(
        complaint=complaint,
        name=reporter_name,
        phone=reporter_phone,
        resident=resident,
        user=reporter_user,
    )
    _save_clocks(complaint, rules.initial_clocks(complaint, policy, cal))
    record_event(
        complaint,
        action="filed",
        actor=by,
        to_state=complaint.status,
        reason=description[:200],
        data={"channel": channel.code, "policy": policy.pk},
        at=received_at,
    )
    if severity == Complaint.Severity.MAJOR or hot or incident:
        notify(
            users_with_role(Role.SUPERVISOR, project_id=project.pk).values_list("id", flat=True),
            subject=complaint,
            reason="filed_major",
            title=_("%(number)s 重大/热点事项已受理") % {"number": complaint.number},
            body=description[:200],
            project_id=project.pk,
        )
    if kind == Complaint.Kind.REPORT and department_id and urgency_minutes <= URGENT_MINUTES:
        # CMP-18: urgent reports go to the responsible department at once.
        notify(
            User.objects.filter(
                is_active=True,
                staff_profile__department_id=department_id,
                staff_profile__projects=project,
            ).values_list("id", flat=True),
            subject=complaint,
            reason="dispatched_urgent",
            title=_("%(number)s 紧急报事，请立即处理") % {"number": complaint.number},
            body=f"{location} {description}"[:200],
            project_id=project.pk,
        )
    return complaint


def _locked(complaint: Complaint) -> Complaint:
    """Re-read the complaint under a row lock: two clerks acting at once serialise."""
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


def _require_open(complaint: Complaint) -> None:
    if not complaint.is_open:
        raise InvalidTransition(_("该记录已结案或已合并，不能再操作。"))


@transaction.atomic
def complaint_contact(*, complaint: Complaint, by: User, note: str = "") -> Complaint:
    """Record the first contact with the customer (CMP-05)."""
    complaint = _locked(complaint)
    _require_open(complaint)
    if complaint.kind == Complaint.Kind.OPINION:
        raise InvalidTransition(_("调查意见应汇总送达责任部门，而不是直接联系。"))
    now = timezone.now()
    _stop_clocks(complaint, Clock.Kind.FIRST_CONTACT, at=now)
    fields = []
    if complaint.contacted_at is None:
        complaint.contacted_at = now
        fields.append("contacted_at")
    if complaint.received_by_id is None:
        # Filed online with nobody at the desk: whoever contacts the customer
        # first takes first-question responsibility (CMP-03).
        complaint.received_by = by
        fields.append("received_by")
    if fields:
        complaint.save(update_fields=fields)
    if complaint.status == Status.OPEN:
        complaint_transition(complaint=complaint, to=Status.CONTACTED, by=by, reason=note, at=now)
    else:
        record_event(complaint, action="contacted", actor=by, reason=note, at=now)
    return complaint


@transaction.atomic
def complaint_reply(
    *,
    complaint: Complaint,
    by: User,
    text: str,
    promised_at: datetime | None = None,
    standard_answer: StandardAnswer | None = None,
) -> Complaint:
    """Answer the customer (CMP-06). With ``promised_at`` the answer is interim and
    the time told to the customer becomes a tracked clock of its own."""
    complaint = _locked(complaint)
    _require_open(complaint)
    now = timezone.now()
    if promised_at is not None and promised_at <= now:
        raise ValidationError({"promised_at": _("承诺回复时间应晚于现在。")})
    _stop_clocks(complaint, Clock.Kind.REPLY, Clock.Kind.PROMISED_REPLY, at=now)
    if promised_at is not None:
        plan = rules.promised_reply_plan(
            complaint, complaint.policy, promised_at=promised_at, now=now
        )
        _save_clocks(complaint, [plan])
    if complaint.replied_at is None:
        complaint.replied_at = now
        complaint.save(update_fields=["replied_at"])
    if standard_answer is not None:
        StandardAnswer.objects.filter(pk=standard_answer.pk).update(use_count=F("use_count") + 1)
    record_event(
        complaint,
        action="replied",
        actor=by,
        reason=text,
        data={
            "promised_at": promised_at.isoformat() if promised_at else None,
            "standard_answer": standard_answer.pk if standard_answer else None,
        },
        at=now,
    )
    if complaint.kind == Complaint.Kind.CONSULTATION and promised_at is None:
        complaint.result = text
        complaint.save(update_fields=["result"])
        complaint_transition(complaint=complaint, to=Status.CLOSED, by=by, reason=_("咨询已答复"))
    return complaint


@transaction.atomic
def complaint_rectify(
    *, complaint: Complaint, by: User, note: str, needs_callback: bool | None = None
) -> Complaint:
    """Record that rectification is done; the callback clock starts (CMP-07, CMP-12).

    ``needs_callback=False`` marks a matter that needs no callback: it closes by
    itself once a quiet week passes with no repeat complaint (CMP-13).
    """
    complaint = _locked(complaint)
    if complaint.status != Status.CONTACTED:
        raise InvalidTransition(_("需先联系客户，才能登记整改完成。"))
    now = timezone.now()
    _stop_clocks(complaint, Clock.Kind.RECTIFY, Clock.Kind.FIRST_CONTACT, at=now)
    complaint.rectified_at = now
    complaint.result = note
    if needs_callback is not None:
        complaint.needs_callback = needs_callback
    complaint.save(update_fields=["rectified_at", "result", "needs_callback"])
    if complaint.needs_callback:
        cal = business_calendar()
        _save_clocks(
            complaint, [rules.callback_plan(complaint, complaint.policy, cal, rectified_at=now)]
        )
    complaint_transition(complaint=complaint, to=Status.RECTIFIED, by=by, reason=note, at=now)
    return complaint


@transaction.atomic
def complaint_extend(
    *,
    complaint: Complaint,
    by: User,
    new_due_at: datetime,
    reason: str,
    agreed_by: str = "",
    clock: str = Clock.Kind.RECTIFY,
) -> Extension:
    """Agree a new time with the customer (CMP-10); it becomes the escalation deadline."""
    complaint = _locked(complaint)
    _require_open(complaint)
    if not reason.strip():
        raise ValidationError({"reason": _("请填写延期原因。")})
    current = Clock.objects.filter(complaint=complaint, kind=clock, done_at__isnull=True).first()
    if current is None:
        raise InvalidTransition(_("该时限已完成或不存在，无需延期。"))
    now = timezone.now()
    if new_due_at <= max(now, current.due_at):
        raise ValidationError({"new_due_at": _("新的时限应晚于原时限和现在。")})
    extension = Extension.objects.create(
        complaint=complaint,
        clock=clock,
        old_due_at=current.due_at,
        new_due_at=new_due_at,
        reason=reason,
        agreed_by=agreed_by,
        recorded_by=by,
        recorded_at=now,
    )
    current.due_at = new_due_at
    current.warn_at = rules.warn_at(now, new_due_at, complaint.policy.warning_percent)
    current.warned_at = None
    current.provisional = False
    current.save(update_fields=["due_at", "warn_at", "warned_at", "provisional"])
    record_event(
        complaint,
        action="extended",
        actor=by,
        from_state=extension.old_due_at.isoformat(),
        to_state=new_due_at.isoformat(),
        reason=reason,
        data={"clock": clock, "agreed_by": agreed_by},
        at=now,
    )
    return extension


@transaction.atomic
def complaint_callback(
    *,
    complaint: Complaint,
    by: User | None,
    outcome: str,
    result: str = "",
    note: str = "",
    confirmation: str = "",
) -> Callback:
    """Log a callback attempt (CMP-12); a satisfied one closes, an unsatisfied one
    re-opens rectification (CMP-13)."""
    if outcome not in Callback.Outcome.values:
        raise ValidationError({"outcome": _("回访结果无效。")})
    if result and result not in Callback.Result.values:
        raise ValidationError({"result": _("满意度无效。")})
    if confirmation and confirmation not in Callback.Confirmation.values:
        raise ValidationError({"confirmation": _("客户确认方式无效。")})
    complaint = _locked(complaint)
    if complaint.status != Status.RECTIFIED:
        raise InvalidTransition(_("整改完成后才能回访。"))
    if complaint.kind == Complaint.Kind.PAID_SERVICE and complaint.payment_notice_at is None:
        raise InvalidTransition(_("特约服务需先向客户发出缴费通知，再回访。"))
    if outcome == Callback.Outcome.REACHED and not result:
        raise ValidationError({"result": _("已联系到客户时，请选择满意度。")})
    now = timezone.now()
    callback = Callback.objects.create(
        complaint=complaint,
        at=now,
        by=by,
        outcome=outcome,
        result=result if outcome == Callback.Outcome.REACHED else "",
        confirmation=confirmation,
        note=note,
    )
    record_event(
        complaint,
        action="callback",
        actor=by,
        to_state=callback.result or outcome,
        reason=note,
        at=now,
    )
    if outcome != Callback.Outcome.REACHED:
        return callback
    _stop_clocks(complaint, Clock.Kind.CALLBACK, at=now)
    if result in rules.SATISFIED_RESULTS:
        complaint_transition(
            complaint=complaint, to=Status.CLOSED, by=by, reason=_("回访满意"), at=now
        )
    else:
        complaint_transition(
            complaint=complaint,
            to=Status.CONTACTED,
            by=by,
            reason=_("回访不满意，重新整改"),
            at=now,
        )
        cal = business_calendar()
        _save_clocks(complaint, [rules.rectify_plan(complaint, complaint.policy, cal, start=now)])
    return callback


@transaction.atomic
def complaint_merge(
    *, complaint: Complaint, into: Complaint, by: User, reason: str = ""
) -> Complaint:
    """Merge a duplicate into a master case, keeping every reporter (CMP-14). Reversible.

    Every reporter the duplicate holds, including those merged into it before,
    is copied to the master marked ``merged_from=duplicate``; unmerging deletes
    exactly those copies.
    """
    # Lock both rows in id order: two clerks merging A→B and B→A never deadlock.
    locked = {
        c.pk: c
        for c in Complaint.objects.select_for_update()
        .filter(pk__in=[complaint.pk, into.pk])
        .order_by("pk")
    }
    if complaint.pk == into.pk:
        raise ValidationError({"into": _("不能合并到自身。")})
    complaint, into = locked[complaint.pk], locked[into.pk]
    if into.project_id != complaint.project_id:
        raise ValidationError({"into": _("只能合并同一管理项目的记录。")})
    if not into.is_open or not complaint.is_open:
        raise InvalidTransition(_("只能合并两条未结案的记录。"))
    Reporter.objects.bulk_create(
        Reporter(
            complaint=into,
            name=reporter.name,
            phone=reporter.phone,
            resident_id=reporter.resident_id,
            user_id=reporter.user_id,
            merged_from=complaint,
            times=reporter.times,
            added_at=reporter.added_at,
        )
        for reporter in complaint.reporters.all()
    )
    complaint.status_before_merge = complaint.status
    complaint.merged_into = into
    complaint.save(update_fields=["status_before_merge", "merged_into"])
    now = timezone.now()
    Clock.objects.filter(complaint=complaint, done_at__isnull=True).update(done_at=now)
    complaint_transition(
        complaint=complaint, to=Status.MERGED, by=by, reason=reason or into.number, at=now
    )
    record_event(into, action="merged_in", actor=by, reason=complaint.number, at=now)
    return into


@transaction.atomic
def complaint_unmerge(*, complaint: Complaint, by: User, reason: str) -> Complaint:
    """Undo a merge: the duplicate's reporters leave the master; its open clocks restart."""
    complaint = _locked(complaint)
    if complaint.status != Status.MERGED or complaint.merged_into_id is None:
        raise InvalidTransition(_("该记录未被合并。"))
    master = _locked(complaint.merged_into)  # type: ignore[arg-type]
    Reporter.objects.filter(complaint=master, merged_from=complaint).delete()
    Clock.objects.filter(complaint=complaint, kind__in=_unfinished_kinds(complaint)).update(
        done_at=None
    )
    complaint.merged_into = None
    previous = complaint.status_before_merge or Status.OPEN
    complaint.save(update_fields=["merged_into"])
    complaint_transition(complaint=complaint, to=previous, by=by, reason=reason)
    record_event(master, action="merged_out", actor=by, reason=complaint.number)
    return complaint


def _unfinished_kinds(complaint: Complaint) -> list[str]:
    """The clocks that were still running when the complaint was merged."""
    finished = {Clock.Kind.FIRST_CONTACT} if complaint.contacted_at else set()
    if complaint.replied_at:
        finished.add(Clock.Kind.REPLY)
    if complaint.rectified_at:
        finished.add(Clock.Kind.RECTIFY)
    return [k for k in Clock.Kind.values if k not in finished]


@transaction.atomic
def complaint_recategorise(
    *, complaint: Complaint, category: Category, by: User, reason: str
) -> Complaint:
    """Correct the root cause after investigation (CMP-02); statistics use the final one.

    Allowed on closed records too (statistics are corrected after the fact),
    not on merged duplicates, which statistics do not count.
    """
    complaint = _locked(complaint)
    if complaint.status == Status.MERGED:
        raise InvalidTransition(_("已合并的记录请在主记录上更正类别。"))
    old = complaint.category
    complaint.category = category
    complaint.save(update_fields=["category"])
    record_event(
        complaint,
        action="recategorised",
        actor=by,
        from_state=old.code if old else "",
        to_state=category.code,
        reason=reason,
    )
    return complaint


@transaction.atomic
def complaint_mark_done(*, complaint: Complaint, clock: str, by: User, note: str) -> Complaint:
    """Record the group report of a hot complaint (CMP-08) or the manager on site (CMP-19)."""
    if clock not in (Clock.Kind.HOT_REPORT, Clock.Kind.ONSITE):
        raise ValidationError({"clock": _("只能登记热点上报或经理到场。")})
    complaint = _locked(complaint)
    _require_open(complaint)
    if not Clock.objects.filter(complaint=complaint, kind=clock, done_at__isnull=True).exists():
        raise InvalidTransition(_("该时限不存在或已完成。"))
    _stop_clocks(complaint, clock, at=timezone.now())
    record_event(complaint, action=f"{clock}_done", actor=by, reason=note)
    return complaint


@transaction.atomic
def opinion_send_to_department(
    *, complaint: Complaint, by: User, department_id: int, summary: str
) -> Complaint:
    """Send the summarised survey opinion to the responsible department (CMP-20);
    its written rectification plan is then due within 3 days."""
    complaint = _locked(complaint)
    if complaint.kind != Complaint.Kind.OPINION or complaint.status != Status.OPEN:
        raise InvalidTransition(_("只有待处理的调查意见可以送达责任部门。"))
    if not summary.strip():
        raise ValidationError({"summary": _("请填写意见汇总。")})
    now = timezone.now()
    _stop_clocks(complaint, Clock.Kind.OPINION_SUMMARY, at=now)
    complaint.department_id = department_id
    complaint.contacted_at = now
    complaint.save(update_fields=["department", "contacted_at"])
    cal = business_calendar()
    _save_clocks(
        complaint, [rules.opinion_plan_plan(complaint, complaint.policy, cal, sent_at=now)]
    )
    complaint_transition(complaint=complaint, to=Status.CONTACTED, by=by, reason=summary, at=now)
    return complaint


@transaction.atomic
def opinion_plan_receive(*, complaint: Complaint, by: User, plan: str) -> Complaint:
    """Record the department's written rectification plan (CMP-20)."""
    complaint = _locked(complaint)
    if complaint.kind != Complaint.Kind.OPINION or complaint.status != Status.CONTACTED:
        raise InvalidTransition(_("该调查意见尚未送达责任部门。"))
    if not plan.strip():
        raise ValidationError({"plan": _("请填写书面整改方案。")})
    _stop_clocks(complaint, Clock.Kind.OPINION_PLAN, at=timezone.now())
    record_event(complaint, action="opinion_plan", actor=by, reason=plan)
    return complaint


@transaction.atomic
def paid_service_notify_payment(*, complaint: Complaint, by: User, fee: Decimal) -> Complaint:
    """Issue the payment notice of a paid special service (CMP-21); the satisfaction
    callback by phone may follow."""
    complaint = _locked(complaint)
    if complaint.kind != Complaint.Kind.PAID_SERVICE or complaint.status != Status.RECTIFIED:
        raise InvalidTransition(_("服务完成后才能发出缴费通知。"))
    if complaint.payment_notice_at is not None:
        raise InvalidTransition(_("缴费通知已于此前发出，不能重复发出。"))
    if fee is None or fee < 0 or fee != fee.quantize(Decimal("0.01")):
        raise ValidationError({"fee": _("服务费应为不小于 0 的金额，最多两位小数。")})
    complaint.fee = fee
    complaint.payment_notice_at = timezone.now()
    complaint.save(update_fields=["fee", "payment_notice_at"])
    record_event(complaint, action="payment_notice", actor=by, to_state=f"{fee:.2f}")
    return complaint


@transaction.atomic
def first_question_failure_record(
    *, complaint: Complaint, staff: User, kind: str, note: str, by: User
) -> FirstQuestionFailure:
    """Record a failure of first-question responsibility against ``staff`` (CMP-22)."""
    failure = FirstQuestionFailure.objects.create(
        complaint=complaint, staff=staff, kind=kind, note=note, recorded_by=by
    )
    record_event(
        complaint,
        action="first_question_failure",
        actor=by,
        to_state=kind,
        reason=note,
        data={"staff": staff.pk},
    )
    return failure
