"""Writes of key custody: the only code that changes a key, loan or related record
(KEY-01..10, ORG-04, ORG-05).

Views, the API, tasks and the demo all call these functions. Each one checks
the caller's role, validates its input (``ValidationError`` naming the field),
refuses actions the record's state does not allow (``InvalidTransition`` → 409),
changes the rows and appends events in one transaction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keys.models import (
    ContactAttempt,
    CopyRequest,
    CustodyTransfer,
    EmergencyUse,
    EntrustedUse,
    Entrustment,
    Handover,
    Incident,
    Key,
    KeySettings,
    Loan,
    LockChange,
    MonthlyReport,
)
from servicedesk.core.approvals import ensure_not_self_approval
from servicedesk.core.events import record_event
from servicedesk.core.models import Department, Project, Resident, Role, Unit
from servicedesk.core.numbering import next_number
from servicedesk.core.scoping import viewer_for
from servicedesk.notifications.services import notification_for, notify, notify_bulk
from servicedesk.notifications.services import users_with_role as _users_with_role
from servicedesk.workcal.calendar import business_calendar


class InvalidTransition(Exception):
    """The record's current state does not allow the action (API: 409)."""


# Who may do what (ORG-03). Superusers may do everything.
APPROVER_ROLES = (Role.SUPERVISOR, Role.MANAGER, Role.DUTY_MANAGER)  # KEY-03 管理人员
COPY_APPROVER_ROLES = (Role.MANAGER,)  # KEY-06
EMERGENCY_ROLES = (Role.DUTY_MANAGER, Role.SUPERVISOR, Role.MANAGER)  # KEY-07
REVIEW_ROLES = (Role.SUPERVISOR, Role.MANAGER)  # KEY-07 review, KEY-09 report
LOCK_CHANGE_ROLES = (Role.ENGINEER, Role.DUTY_MANAGER, Role.MANAGER)  # KEY-08
SEAL_ROLES = (Role.DUTY_MANAGER,)  # KEY-08: 物业总值封存
UNSEAL_ROLES = (Role.DUTY_MANAGER, Role.MANAGER)

# Key statuses from which a loan may be asked for.
LENDABLE = (Key.Status.AVAILABLE,)
LIVE_LOAN = (Loan.Status.REQUESTED, Loan.Status.APPROVED, Loan.Status.OUT)


def has_role(user: User | AnonymousUser, roles: Iterable[str]) -> bool:
    viewer = viewer_for(user)
    return viewer.is_superuser or viewer.has_role(*roles)


def _require_role(user: User | AnonymousUser, roles: Iterable[str], what: str) -> None:
    if not has_role(user, roles):
        labels = "、".join(str(Role(r).label) for r in roles)
        raise PermissionDenied(_("只有%(roles)s可以%(what)s。") % {"roles": labels, "what": what})


def _require_staff(user: User | AnonymousUser, project: Project) -> None:
    viewer = viewer_for(user)
    if not viewer.is_staff_member or not (viewer.all_projects or project.pk in viewer.project_ids):
        raise PermissionDenied(_("只有本项目员工可以办理钥匙业务。"))


def may_approve_loans(user: User | AnonymousUser) -> bool:
    return has_role(user, APPROVER_ROLES)


def _number(prefix: str, at: datetime) -> str:
    return next_number(prefix, business_calendar().local(at).year)


# --- Register and custody (KEY-01) ---------------------------------------------


@transaction.atomic
def key_register(
    *,
    project: Project,
    tag: str,
    kind: str,
    opens: str,
    by: User,
    unit: Unit | None = None,
    cabinet_position: str = "",
    custodian_department: Department | None = None,
    custodian: User | None = None,
    entrustment: Entrustment | None = None,
    note: str = "",
    status: str = Key.Status.AVAILABLE,
) -> Key:
    """Register a key in the 档案 (KEY-01). Owner's spare keys need an entrustment (KEY-02)."""
    _require_staff(by, project)
    errors: dict[str, str] = {}
    tag = tag.strip()
    if not tag:
        errors["tag"] = _("请填写钥匙牌号。")
    elif Key.objects.filter(project=project, tag=tag).exists():
        errors["tag"] = _("钥匙牌号 %(tag)s 已登记。") % {"tag": tag}
    if unit is not None and unit.project_id != project.pk:
        errors["unit"] = _("房号不属于本管理项目。")
    if kind == Key.Kind.OWNER_SPARE:
        if entrustment is None:
            errors["entrustment"] = _("业户备用钥匙须凭《业户钥匙委托书》保管。")
        elif entrustment.status not in (Entrustment.Status.PENDING, Entrustment.Status.ACTIVE):
            errors["entrustment"] = _("委托书已失效，不能保管钥匙。")
        elif unit is not None and entrustment.unit_id != unit.pk:
            errors["unit"] = _("房号与委托书不一致。")
        unit = unit or (entrustment.unit if entrustment else None)
    if not opens.strip():
        errors["opens"] = _("请填写钥匙开启的部位。")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            key = Key.objects.create(
                project=project,
                tag=tag,
                kind=kind,
                unit=unit,
                opens=opens.strip(),
                cabinet_position=cabinet_position,
                custodian_department=custodian_department,
                custodian=custodian or by,
                entrustment=entrustment,
                note=note,
                status=status,
                registered_by=by,
            )
    except IntegrityError as exc:  # the same tag registered a moment ago
        raise ValidationError({"tag": _("钥匙牌号 %(tag)s 已登记。") % {"tag": tag}}) from exc
    record_event(key, action="registered", actor=by, to_state=key.status)
    return key


@transaction.atomic
def custody_transfer(
    *,
    keys: Sequence[Key],
    to_custodian: User,
    reason: str,
    by: User,
    to_department: Department | None = None,
) -> list[CustodyTransfer]:
    """Hand keys to another custodian, one detailed record per key (KEY-01)."""
    if not reason.strip():
        raise ValidationError({"reason": _("请填写交接原因。")})
    if not keys:
        raise ValidationError({"keys": _("请选择要交接的钥匙。")})
    taker = viewer_for(to_custodian)
    for key in keys:
        if not taker.is_staff_member or not (
            taker.all_projects or key.project_id in taker.project_ids
        ):
            raise ValidationError({"to_custodian": _("接收人须为本项目员工。")})
    transfers = []
    for key in keys:
        _require_staff(by, key.project)
        transfer = CustodyTransfer.objects.create(
            key=key,
            from_custodian=key.custodian,
            to_custodian=to_custodian,
            from_department=key.custodian_department,
            to_department=to_department or key.custodian_department,
            reason=reason.strip(),
            by=by,
        )
        record_event(
            key,
            action="custody_transferred",
            actor=by,
            reason=reason,
            data={"from": key.custodian_id, "to": to_custodian.pk},
        )
        key.custodian = to_custodian
        key.custodian_department = transfer.to_department
        key.save(update_fields=["custodian", "custodian_department"])
        transfers.append(transfer)
    return transfers


def _set_key_status(key: Key, to: str, *, by: User | None, reason: str = "") -> None:
    if key.status == to:
        return
    record_event(key, action="status", actor=by, from_state=key.status, to_state=to, reason=reason)
    key.status = to
    key.save(update_fields=["status"])


# --- Entrustments (KEY-02) -------------------------------------------------------


def _validate_uses(allowed_uses: Iterable[str]) -> list[str]:
    uses = [u for u in dict.fromkeys(allowed_uses) if u]
    bad = [u for u in uses if u not in EntrustedUse.values]
    if bad or not uses:
        raise ValidationError({"allowed_uses": _("请选择至少一项允许的用途。")})
    return uses


@transaction.atomic
def entrustment_create(
    *,
    resident: Resident,
    allowed_uses: Iterable[str],
    valid_until: date,
    key_tag: str,
    by: User,
    valid_from: date | None = None,
    opens: str = "",
    cabinet_position: str = "",
    paper_signed: bool = False,
    note: str = "",
) -> Entrustment:
    """Record 《业户钥匙委托书》 and register the spare key it covers (KEY-01, KEY-02).

    Signed on paper at the desk it is in force at once; otherwise the owner
    confirms it in the portal and the key may not be lent until then.
    """
    unit = resident.unit
    project = unit.project
    _require_staff(by, project)
    today = business_calendar().local_date(timezone.now())
    valid_from = valid_from or today
    errors: dict[str, str] = {}
    try:
        uses = _validate_uses(allowed_uses)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        uses = []
    if resident.kind != Resident.Kind.OWNER:
        errors["resident"] = _("钥匙委托须由业主本人办理。")
    if valid_until < max(valid_from, today):
        errors["valid_until"] = _("委托截止日不能早于今天或起始日。")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    entrustment = Entrustment.objects.create(
        project=project,
        number=_number("WT", now),
        unit=unit,
        resident=resident,
        allowed_uses=uses,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note,
        created_by=by,
        status=Entrustment.Status.ACTIVE if paper_signed else Entrustment.Status.PENDING,
        confirmation=Entrustment.Confirmation.PAPER if paper_signed else "",
        confirmed_at=now if paper_signed else None,
    )
    record_event(entrustment, action="created", actor=by, to_state=entrustment.status)
    key_register(
        project=project,
        tag=key_tag,
        kind=Key.Kind.OWNER_SPARE,
        opens=opens or _("%(unit)s 入户门") % {"unit": unit},
        unit=unit,
        cabinet_position=cabinet_position,
        entrustment=entrustment,
        by=by,
    )
    if not paper_signed and resident.user_id:
        notify(
            [resident.user_id],
            subject=entrustment,
            reason="entrustment_confirm",
            title=_("请确认钥匙委托书 %(number)s") % {"number": entrustment.number},
            url=reverse("keys:portal"),
            project_id=project.pk,
        )
    return entrustment


@transaction.atomic
def entrustment_confirm(*, entrustment: Entrustment, by: User, method: str) -> Entrustment:
    """The owner's signature: on paper (recorded by staff) or their own portal confirmation."""
    entrustment = Entrustment.objects.select_for_update().get(pk=entrustment.pk)
    if entrustment.status != Entrustment.Status.PENDING:
        raise InvalidTransition(_("委托书不在待确认状态。"))
    if method == Entrustment.Confirmation.PORTAL:
        if entrustment.resident.user_id != by.pk:
            raise PermissionDenied(_("只有委托人本人可以在网上确认。"))
    elif method == Entrustment.Confirmation.PAPER:
        _require_staff(by, entrustment.project)
    else:
        raise ValidationError({"method": _("确认方式无效。")})
    entrustment.status = Entrustment.Status.ACTIVE
    entrustment.confirmation = method
    entrustment.confirmed_at = timezone.now()
    entrustment.save(update_fields=["status", "confirmation", "confirmed_at"])
    record_event(
        entrustment,
        action="confirmed",
        actor=by,
        from_state=Entrustment.Status.PENDING,
        to_state=entrustment.status,
        data={"method": method},
    )
    return entrustment


@transaction.atomic
def entrustment_revoke(*, entrustment: Entrustment, by: User, reason: str) -> Entrustment:
    """End an entrustment and give its keys back to the owner (KEY-02)."""
    entrustment = Entrustment.objects.select_for_update().get(pk=entrustment.pk)
    _require_staff(by, entrustment.project)
    if entrustment.status == Entrustment.Status.REVOKED:
        raise InvalidTransition(_("委托书已撤销。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写撤销原因。")})
    keys = list(Key.objects.select_for_update().filter(entrustment=entrustment))
    if any(k.status == Key.Status.ON_LOAN for k in keys):
        raise InvalidTransition(_("钥匙借出中，归还后才能撤销委托并退还业主。"))
    _cancel_pending_loans(keys, by=by, reason=_("委托撤销"))
    for key in keys:
        if key.status not in (Key.Status.LOST, Key.Status.RETIRED):
            _set_key_status(key, Key.Status.RETURNED, by=by, reason=_("委托撤销，退还业主"))
    before = entrustment.status
    entrustment.status = Entrustment.Status.REVOKED
    entrustment.revoked_at = timezone.now()
    entrustment.revoke_reason = reason.strip()
    entrustment.save(update_fields=["status", "revoked_at", "revoke_reason"])
    record_event(
        entrustment,
        action="revoked",
        actor=by,
        from_state=before,
        to_state="revoked",
        reason=reason,
    )
    return entrustment


def entrustment_allows(entrustment: Entrustment | None, use: str, on: date) -> str | None:
    """Return why ``use`` of an owner's spare key on ``on`` is not allowed, or None (KEY-02)."""
    if entrustment is None:
        return _("该业户钥匙没有委托书。")
    if entrustment.status == Entrustment.Status.PENDING:
        return _("委托书尚未经业主签字或确认。")
    if entrustment.status != Entrustment.Status.ACTIVE:
        return _("委托书已失效（%(status)s）。") % {"status": entrustment.get_status_display()}
    if not entrustment.valid_from <= on <= entrustment.valid_until:
        return _("不在委托有效期内（%(start)s 至 %(end)s）。") % {
            "start": entrustment.valid_from,
            "end": entrustment.valid_until,
        }
    if use not in entrustment.allowed_uses:
        return _("业主未允许该用途（允许：%(uses)s）。") % {
            "uses": "、".join(entrustment.allowed_use_labels())
        }
    return None


# --- Loans (KEY-03, KEY-04, KEY-05) ----------------------------------------------


@transaction.atomic
def loan_request(
    *,
    key: Key,
    purpose: str,
    by: User,
    borrower_name: str = "",
    borrower_unit: str = "",
    borrower_phone: str = "",
    use: str = EntrustedUse.MAINTENANCE,
    maintenance: bool = False,
    due_at: datetime | None = None,
) -> Loan:
    """Ask to borrow a key (KEY-03). One live request or loan per key (KEY-05)."""
    _require_staff(by, key.project)
    now = timezone.now()
    cal = business_calendar()
    errors: dict[str, str] = {}
    if not purpose.strip():
        errors["purpose"] = _("请填写借用事由。")
    if use not in EntrustedUse.values:
        errors["use"] = _("用途类别无效。")
    if due_at is not None and not maintenance:
        errors["due_at"] = _("只有维修工程可以申请延后归还时间；普通借用须当日归还。")
    elif maintenance and due_at is not None and due_at <= now:
        errors["due_at"] = _("申请归还时间已过，请填写将来的时间。")
    if key.kind == Key.Kind.OWNER_SPARE and "use" not in errors:
        why = entrustment_allows(key.entrustment, use, cal.local_date(now))
        if why:
            errors["key"] = why
    if errors:
        raise ValidationError(errors)
    key = Key.objects.select_for_update().get(pk=key.pk)
    if key.status not in LENDABLE:
        raise InvalidTransition(
            _("钥匙 %(tag)s 当前%(status)s，不能借用。")
            % {"tag": key.tag, "status": key.get_status_display()}
        )
    profile = getattr(by, "staff_profile", None)
    loan = Loan(
        project=key.project,
        number=_number("JY", now),
        key=key,
        borrower_name=borrower_name.strip() or (profile.name if profile else by.get_username()),
        borrower_unit=borrower_unit.strip()
        or (str(profile.department) if profile and profile.department else ""),
        borrower_phone=borrower_phone,
        purpose=purpose.strip(),
        use=use,
        maintenance=maintenance,
        requested_by=by,
        requested_at=now,
        requested_due_at=due_at if maintenance else None,
    )
    try:
        with transaction.atomic():
            loan.save()
    except IntegrityError as exc:
        # KEY-05: the partial unique index is the last word under concurrency.
        raise InvalidTransition(
            _("钥匙 %(tag)s 已有借用申请或已借出。") % {"tag": key.tag}
        ) from exc
    record_event(loan, action="requested", actor=by, to_state=loan.status, reason=loan.purpose)
    approvers = set(
        _users_with_role(
            Role.DUTY_MANAGER if cal.is_night(now) else Role.SUPERVISOR, project_id=key.project_id
        ).values_list("pk", flat=True)
    ) - {by.pk}
    notify(
        approvers,
        subject=loan,
        reason="loan_requested",
        title=_("钥匙借用待审批：%(tag)s") % {"tag": key.tag},
        body=loan.purpose,
        url=reverse("keys:loan", args=[loan.pk]),
        project_id=key.project_id,
        email=False,
    )
    return loan


def _locked_loan(loan: Loan) -> Loan:
    return Loan.objects.select_for_update().select_related("key", "project").get(pk=loan.pk)


def _loan_status(loan: Loan, to: str, *, by: User | None, reason: str = "", **fields: Any) -> None:
    before = loan.status
    loan.status = to
    for name, value in fields.items():
        setattr(loan, name, value)
    loan.save(update_fields=["status", *fields])
    record_event(loan, action=to, actor=by, from_state=before, to_state=to, reason=reason)


@transaction.atomic
def loan_approve(*, loan: Loan, by: User, note: str = "") -> Loan:
    """A manager who is not the requester approves the loan (KEY-03, ORG-04)."""
    loan = _locked_loan(loan)
    _require_role(by, APPROVER_ROLES, _("审批钥匙借用"))
    _require_staff(by, loan.project)
    ensure_not_self_approval(requested_by=loan.requested_by, approver=by)
    if loan.status != Loan.Status.REQUESTED:
        raise InvalidTransition(_("该借用不在待审批状态。"))
    if loan.maintenance and loan.requested_due_at and loan.requested_due_at <= timezone.now():
        raise ValidationError({"due_at": _("申请归还时间已过，请驳回后重新申请。")})
    _loan_status(
        loan,
        Loan.Status.APPROVED,
        by=by,
        reason=note,
        approved_by=by,
        approved_at=timezone.now(),
        decision_note=note,
    )
    return loan


@transaction.atomic
def loan_reject(*, loan: Loan, by: User, note: str) -> Loan:
    loan = _locked_loan(loan)
    _require_role(by, APPROVER_ROLES, _("审批钥匙借用"))
    _require_staff(by, loan.project)
    ensure_not_self_approval(requested_by=loan.requested_by, approver=by)
    if loan.status != Loan.Status.REQUESTED:
        raise InvalidTransition(_("该借用不在待审批状态。"))
    if not note.strip():
        raise ValidationError({"note": _("驳回须填写理由。")})
    _loan_status(
        loan,
        Loan.Status.REJECTED,
        by=by,
        reason=note,
        approved_by=by,
        approved_at=timezone.now(),
        decision_note=note,
    )
    return loan


@transaction.atomic
def loan_cancel(*, loan: Loan, by: User, reason: str = "") -> Loan:
    loan = _locked_loan(loan)
    _require_staff(by, loan.project)
    if loan.status not in (Loan.Status.REQUESTED, Loan.Status.APPROVED):
        raise InvalidTransition(_("只能取消未借出的申请。"))
    _loan_status(loan, Loan.Status.CANCELLED, by=by, reason=reason)
    return loan


def _cancel_pending_loans(keys: Iterable[Key], *, by: User, reason: str) -> None:
    """Cancel requested or approved loans of ``keys``, each with its event (ORG-05)."""
    for pending in Loan.objects.select_for_update().filter(
        key__in=list(keys), status__in=(Loan.Status.REQUESTED, Loan.Status.APPROVED)
    ):
        _loan_status(pending, Loan.Status.CANCELLED, by=by, reason=reason, decision_note=reason)


def same_day_due(out_at: datetime) -> datetime:
    """KEY-04: a same-day loan is due at the end of the local day it went out."""
    cal = business_calendar()
    return cal.end_of_local_day(cal.local_date(out_at))


@transaction.atomic
def loan_checkout(*, loan: Loan, by: User) -> Loan:
    """Hand the key over: only an approved loan of a key in the cabinet (KEY-03, KEY-05)."""
    loan = _locked_loan(loan)
    _require_staff(by, loan.project)
    if loan.status != Loan.Status.APPROVED:
        raise InvalidTransition(
            _("借用当前%(status)s，须经批准后才能借出。") % {"status": loan.get_status_display()}
        )
    key = loan.key = Key.objects.select_for_update().get(pk=loan.key_id)
    if key.status != Key.Status.AVAILABLE:
        raise InvalidTransition(
            _("钥匙 %(tag)s 当前%(status)s，不能借出。")
            % {"tag": key.tag, "status": key.get_status_display()}
        )
    now = timezone.now()
    if key.kind == Key.Kind.OWNER_SPARE:
        # The entrustment may have ended between approval and checkout (KEY-02).
        why = entrustment_allows(key.entrustment, loan.use, business_calendar().local_date(now))
        if why:
            raise InvalidTransition(why)
    if loan.maintenance and loan.requested_due_at:
        if loan.requested_due_at <= now:
            raise ValidationError({"due_at": _("批准的归还时间已过，请重新申请。")})
        due = loan.requested_due_at
    else:
        due = same_day_due(now)
    _set_key_status(key, Key.Status.ON_LOAN, by=by, reason=loan.number)
    _loan_status(loan, Loan.Status.OUT, by=by, out_at=now, out_by=by, due_at=due)
    return loan


@transaction.atomic
def loan_return(
    *, loan: Loan, by: User, condition: str = Loan.Condition.GOOD, note: str = ""
) -> Loan:
    """Take the key back; damage or loss is recorded against the key (KEY-09)."""
    loan = _locked_loan(loan)
    if loan.emergency:
        raise InvalidTransition(_("紧急动用的钥匙请在紧急动用记录中登记离开时间和处置结果。"))
    return _take_back(loan, by=by, condition=condition, note=note)


def _take_back(loan: Loan, *, by: User, condition: str, note: str, to: str = "") -> Loan:
    """Return ``loan`` (locked by the caller); the key goes back to ``to`` or the cabinet."""
    _require_staff(by, loan.project)
    if loan.status != Loan.Status.OUT:
        raise InvalidTransition(_("该钥匙未借出，无需归还。"))
    if condition not in Loan.Condition.values:
        raise ValidationError({"condition": _("请选择归还状况。")})
    if condition != Loan.Condition.GOOD and not note.strip():
        raise ValidationError({"note": _("钥匙损坏或遗失须说明情况。")})
    now = timezone.now()
    key = loan.key = Key.objects.select_for_update().get(pk=loan.key_id)
    _loan_status(
        loan,
        Loan.Status.RETURNED,
        by=by,
        reason=note,
        returned_at=now,
        received_by=by,
        return_condition=condition,
        return_note=note,
    )
    back = to or Key.Status.AVAILABLE
    if condition == Loan.Condition.GOOD:
        _set_key_status(key, back, by=by, reason=loan.number)
    else:
        incident_record(key=key, kind=condition, note=f"{loan.number}：{note}", by=by)
        if condition == Loan.Condition.DAMAGED:
            _set_key_status(key, back, by=by, reason=loan.number)
    return loan


# --- Copies (KEY-06) ---------------------------------------------------------------


@transaction.atomic
def copy_request(*, key: Key, count: int, reason: str, by: User) -> CopyRequest:
    _require_staff(by, key.project)
    errors = {}
    if not 1 <= count <= 10:
        errors["count"] = _("配制数量应为 1 至 10 把。")
    if not reason.strip():
        errors["reason"] = _("请填写配制原因。")
    if errors:
        raise ValidationError(errors)
    if key.status in (Key.Status.LOST, Key.Status.RETIRED, Key.Status.RETURNED):
        raise InvalidTransition(
            _("钥匙已%(status)s，不能配制。") % {"status": key.get_status_display()}
        )
    request = CopyRequest.objects.create(
        key=key, count=count, reason=reason.strip(), requested_by=by
    )
    record_event(request, action="requested", actor=by, to_state=request.status, reason=reason)
    return request


@transaction.atomic
def copy_decide(*, request: CopyRequest, by: User, approve: bool, note: str = "") -> CopyRequest:
    """Record the approval (or refusal) a copy needs before it is cut (KEY-06, ORG-04)."""
    request = CopyRequest.objects.select_for_update().select_related("key").get(pk=request.pk)
    _require_role(by, COPY_APPROVER_ROLES, _("审批钥匙配制"))
    _require_staff(by, request.key.project)
    ensure_not_self_approval(requested_by=request.requested_by, approver=by)
    if request.status != CopyRequest.Status.REQUESTED:
        raise InvalidTransition(_("该申请已审批。"))
    if not approve and not note.strip():
        raise ValidationError({"note": _("驳回须填写理由。")})
    before = request.status
    request.status = CopyRequest.Status.APPROVED if approve else CopyRequest.Status.REJECTED
    request.decided_by = by
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    record_event(
        request, action="decided", actor=by, from_state=before, to_state=request.status, reason=note
    )
    return request


@transaction.atomic
def copy_register(
    *, request: CopyRequest, tags: Sequence[str], by: User, cabinet_position: str = ""
) -> list[Key]:
    """Register the copies cut under an approved request, each a key of its own (KEY-06)."""
    request = CopyRequest.objects.select_for_update().select_related("key").get(pk=request.pk)
    if request.status != CopyRequest.Status.APPROVED:
        raise InvalidTransition(_("配制申请未获批准，不能登记复制钥匙。"))
    tags = [t.strip() for t in tags if t.strip()]
    if len(tags) != request.count:
        raise ValidationError(
            {"tags": _("请为 %(n)d 把复制钥匙各填一个牌号。") % {"n": request.count}}
        )
    source = request.key
    copies = []
    for tag in tags:
        try:
            copy = key_register(
                project=source.project,
                tag=tag,
                kind=source.kind,
                opens=source.opens,
                unit=source.unit,
                cabinet_position=cabinet_position or source.cabinet_position,
                custodian_department=source.custodian_department,
                custodian=source.custodian,
                entrustment=source.entrustment,
                note=_("复制自 %(tag)s") % {"tag": source.tag},
                by=by,
            )
        except ValidationError as exc:
            raise ValidationError({"tags": exc.message_dict.get("tag", exc.messages)}) from exc
        copy.copy_of = source
        copy.copy_request = request
        copy.save(update_fields=["copy_of", "copy_request"])
        copies.append(copy)
    request.status = CopyRequest.Status.MADE
    request.save(update_fields=["status"])
    record_event(
        request,
        action="made",
        actor=by,
        from_state=CopyRequest.Status.APPROVED,
        to_state=request.status,
        data={"tags": tags},
    )
    return copies


# --- Emergency use (KEY-07) ----------------------------------------------------


@transaction.atomic
def emergency_open(*, key: Key, kind: str, reason: str, by: User) -> EmergencyUse:
    """Break-glass: take a key at once, without prior approval (KEY-07).

    The use is a loan of its own (it appears in 《借用钥匙登记表》 and is swept
    when overdue) and is reviewed by a manager the next working day.
    """
    _require_role(by, EMERGENCY_ROLES, _("紧急动用钥匙"))
    _require_staff(by, key.project)
    errors = {}
    if kind not in EmergencyUse.Kind.values:
        errors["kind"] = _("请选择紧急情况类型。")
    if not reason.strip():
        errors["reason"] = _("请说明紧急情况。")
    if errors:
        raise ValidationError(errors)
    key = Key.objects.select_for_update().get(pk=key.pk)
    if key.status not in (Key.Status.AVAILABLE, Key.Status.SEALED):
        raise InvalidTransition(
            _("钥匙 %(tag)s 当前%(status)s，不在钥匙柜中。")
            % {"tag": key.tag, "status": key.get_status_display()}
        )
    now = timezone.now()
    was_sealed = key.status == Key.Status.SEALED
    # A pending request for the same key gives way to the emergency.
    _cancel_pending_loans([key], by=by, reason=_("紧急动用钥匙"))
    profile = getattr(by, "staff_profile", None)
    loan = Loan.objects.create(
        project=key.project,
        number=_number("JY", now),
        key=key,
        borrower_name=profile.name if profile else by.get_username(),
        borrower_unit=str(profile.department) if profile and profile.department else "",
        purpose=_("紧急动用：%(reason)s") % {"reason": reason.strip()},
        use=EntrustedUse.EMERGENCY,
        emergency=True,
        status=Loan.Status.OUT,
        requested_by=by,
        requested_at=now,
        out_at=now,
        out_by=by,
        due_at=same_day_due(now),
    )
    record_event(loan, action="out", actor=by, to_state=loan.status, reason=_("紧急动用"))
    _set_key_status(key, Key.Status.ON_LOAN, by=by, reason=_("紧急动用"))
    use = EmergencyUse.objects.create(
        key_was_sealed=was_sealed,
        project=key.project,
        number=_number("JJ", now),
        key=key,
        loan=loan,
        kind=kind,
        reason=reason.strip(),
        opened_by=by,
        opened_at=now,
    )
    # Break-glass is never refused for want of an entrustment clause, but the
    # reviewer sees whether the owner had allowed emergency use (KEY-02, KEY-07).
    allowed = key.kind != Key.Kind.OWNER_SPARE or not entrustment_allows(
        key.entrustment, EntrustedUse.EMERGENCY, business_calendar().local_date(now)
    )
    record_event(
        use,
        action="opened",
        actor=by,
        to_state=use.status,
        reason=reason,
        data={"entrustment_allows_emergency": allowed},
    )
    return use


def _reached_resident(use: EmergencyUse) -> bool:
    return use.attempts.filter(
        whom__in=(ContactAttempt.Whom.OWNER, ContactAttempt.Whom.TENANT),
        result=ContactAttempt.Result.REACHED,
    ).exists()


@transaction.atomic
def emergency_attempt(
    *,
    use: EmergencyUse,
    whom: str,
    name: str,
    method: str,
    result: str,
    by: User,
    phone: str = "",
    note: str = "",
) -> ContactAttempt:
    """Log one attempt to reach the owner/tenant, then the emergency contact (KEY-07)."""
    use = EmergencyUse.objects.select_for_update().get(pk=use.pk)
    _require_staff(by, use.project)
    if use.status != EmergencyUse.Status.OPEN or use.entered_at:
        raise InvalidTransition(_("已进入单元，联系记录只能在进入前登记。"))
    errors = {}
    if whom not in ContactAttempt.Whom.values:
        errors["whom"] = _("请选择联系对象。")
    if method not in ContactAttempt.Method.values:
        errors["method"] = _("请选择联系方式。")
    if result not in ContactAttempt.Result.values:
        errors["result"] = _("请选择联系结果。")
    if not name.strip():
        errors["name"] = _("请填写联系人姓名。")
    if whom == ContactAttempt.Whom.EMERGENCY_CONTACT and not errors:
        tried_resident = use.attempts.filter(
            whom__in=(ContactAttempt.Whom.OWNER, ContactAttempt.Whom.TENANT)
        ).exists()
        if not tried_resident:
            errors["whom"] = _("须先联系业主或租户本人，联系不上再联系紧急联系人。")
    if errors:
        raise ValidationError(errors)
    attempt = ContactAttempt.objects.create(
        emergency=use,
        whom=whom,
        name=name.strip(),
        phone=phone,
        method=method,
        result=result,
        note=note,
        by=by,
    )
    record_event(
        use,
        action="contact_attempt",
        actor=by,
        reason=f"{attempt.get_whom_display()} {attempt.name}：{attempt.get_result_display()}",
    )
    return attempt


def _unit_has_emergency_contacts(use: EmergencyUse) -> bool:
    unit_id = use.key.unit_id
    if unit_id is None:
        return False
    return Resident.objects.filter(
        unit_id=unit_id, is_active=True, emergency_contacts__isnull=False
    ).exists()


@transaction.atomic
def emergency_enter(
    *,
    use: EmergencyUse,
    witness_name: str,
    by: User,
    second_witness_name: str = "",
    entered_at: datetime | None = None,
) -> EmergencyUse:
    """Record the entry: only after the owner/tenant (then the emergency contact)
    was tried, and with a second person present (KEY-07)."""
    use = EmergencyUse.objects.select_for_update().select_related("key").get(pk=use.pk)
    _require_staff(by, use.project)
    if use.status != EmergencyUse.Status.OPEN or use.entered_at:
        raise InvalidTransition(_("已登记进入。"))
    errors: dict[str, str] = {}
    if not witness_name.strip():
        errors["witness_name"] = _("须有第二人在场，请填写在场人姓名。")
    entered_at = entered_at or timezone.now()
    if entered_at > timezone.now() + timedelta(minutes=5):
        errors["entered_at"] = _("进入时间不能晚于现在。")
    if use.key.unit_id is not None:
        attempts = use.attempts.all()
        if not attempts.filter(
            whom__in=(ContactAttempt.Whom.OWNER, ContactAttempt.Whom.TENANT)
        ).exists():
            errors["attempts"] = _("进入前须先通知业主或租户，请先登记联系记录。")
        elif (
            not _reached_resident(use)
            and _unit_has_emergency_contacts(use)
            and not attempts.filter(whom=ContactAttempt.Whom.EMERGENCY_CONTACT).exists()
        ):
            errors["attempts"] = _("业主/租户联系不上，须再联系其紧急联系人并登记。")
    if errors:
        raise ValidationError(errors)
    use.witness_name = witness_name.strip()
    use.second_witness_name = second_witness_name.strip()
    use.entered_at = entered_at
    use.save(update_fields=["witness_name", "second_witness_name", "entered_at"])
    record_event(
        use,
        action="entered",
        actor=by,
        data={"witnesses": [use.witness_name, use.second_witness_name]},
    )
    return use


@transaction.atomic
def emergency_close(
    *, use: EmergencyUse, outcome: str, by: User, exited_at: datetime | None = None
) -> EmergencyUse:
    """Record the exit and outcome, return the key, tell the owner (KEY-07)."""
    use = EmergencyUse.objects.select_for_update().select_related("key", "loan").get(pk=use.pk)
    _require_staff(by, use.project)
    if use.status != EmergencyUse.Status.OPEN:
        raise InvalidTransition(_("该紧急动用已处置完毕。"))
    now = timezone.now()
    exited_at = exited_at or now
    errors = {}
    if not outcome.strip():
        errors["outcome"] = _("请填写处置结果。")
    if use.entered_at is None:
        errors["entered_at"] = _("请先登记进入时间和在场人。")
    elif exited_at < use.entered_at:
        errors["exited_at"] = _("离开时间不能早于进入时间。")
    if errors:
        raise ValidationError(errors)
    _take_back(
        _locked_loan(use.loan),
        by=by,
        condition=Loan.Condition.GOOD,
        note=_("紧急动用结束"),
        to=Key.Status.SEALED if use.key_was_sealed else Key.Status.AVAILABLE,
    )
    settings = KeySettings.current()
    cal = business_calendar()
    use.exited_at = exited_at
    use.outcome = outcome.strip()
    use.closed_at = now
    use.status = EmergencyUse.Status.CLOSED
    use.review_due_at = cal.add_working_days(now, settings.emergency_review_working_days).at
    use.owner_notified_at = now if _tell_residents_after_emergency(use) else None
    use.save(
        update_fields=[
            "exited_at",
            "outcome",
            "closed_at",
            "status",
            "review_due_at",
            "owner_notified_at",
        ]
    )
    record_event(
        use,
        action="closed",
        actor=by,
        from_state=EmergencyUse.Status.OPEN,
        to_state=use.status,
        reason=use.outcome,
        data={"residents_told": use.owner_notified_at is not None},
    )
    return use


def _tell_residents_after_emergency(use: EmergencyUse) -> int:
    """KEY-07: afterwards the owner/tenant is told in the portal and by SMS.
    Returns how many were told (0 for a facility key or nobody reachable)."""
    if use.key.unit_id is None:
        return 0
    title = _("紧急情况下已动用您的备用钥匙（%(kind)s）") % {"kind": use.get_kind_display()}
    body = _("进入时间 %(enter)s，离开时间 %(exit)s。处置结果：%(outcome)s") % {
        "enter": business_calendar().local(use.entered_at).strftime("%Y-%m-%d %H:%M")
        if use.entered_at
        else "",
        "exit": business_calendar().local(use.exited_at).strftime("%Y-%m-%d %H:%M")
        if use.exited_at
        else "",
        "outcome": use.outcome,
    }
    residents = Resident.objects.filter(unit_id=use.key.unit_id, is_active=True)
    rows = []
    # A resident without a portal account still gets the SMS; the row is then
    # addressed to the person who used the key, whose inbox shows it was sent.
    for resident in residents:
        if resident.user_id is None and not resident.phone:
            continue
        rows.append(
            notification_for(
                resident.user_id or use.opened_by_id,
                subject=use,
                reason=f"emergency_after:{resident.pk}",
                title=title,
                body=body,
                url=reverse("keys:portal"),
                project_id=use.project_id,
                email=resident.user_id is not None,
                sms_phone=str(resident.phone or ""),
            )
        )
    return notify_bulk(rows)


@transaction.atomic
def emergency_review(*, use: EmergencyUse, by: User, note: str) -> EmergencyUse:
    """A supervisor or manager reviews the use the next working day (KEY-07)."""
    use = EmergencyUse.objects.select_for_update().get(pk=use.pk)
    _require_role(by, REVIEW_ROLES, _("复核紧急动用"))
    _require_staff(by, use.project)
    ensure_not_self_approval(requested_by=use.opened_by, approver=by)
    if use.status != EmergencyUse.Status.CLOSED:
        raise InvalidTransition(_("处置完毕后才能复核。"))
    if not note.strip():
        raise ValidationError({"note": _("请填写复核意见。")})
    use.status = EmergencyUse.Status.REVIEWED
    use.reviewed_by = by
    use.reviewed_at = timezone.now()
    use.review_note = note.strip()
    use.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    record_event(
        use,
        action="reviewed",
        actor=by,
        from_state=EmergencyUse.Status.CLOSED,
        to_state=use.status,
        reason=note,
    )
    return use


# --- Lock changes (KEY-08) -------------------------------------------------------


@transaction.atomic
def lock_change_record(
    *,
    project: Project,
    location: str,
    reason: str,
    new_tag: str,
    by: User,
    old_key: Key | None = None,
    changed_at: datetime | None = None,
    cabinet_position: str = "",
    departments_told: Iterable[Department] = (),
) -> LockChange:
    """Engineering records a new lock core; the new key awaits sealing (KEY-08)."""
    _require_role(by, LOCK_CHANGE_ROLES, _("登记更换锁芯"))
    _require_staff(by, project)
    now = timezone.now()
    changed_at = changed_at or now
    errors: dict[str, str] = {}
    if not location.strip():
        errors["location"] = _("请填写锁具位置。")
    if not reason.strip():
        errors["reason"] = _("请填写更换原因。")
    if changed_at > now + timedelta(minutes=5):
        errors["changed_at"] = _("更换时间不能晚于现在。")
    if old_key is not None and old_key.project_id != project.pk:
        errors["old_key"] = _("原钥匙不属于本管理项目。")
    if errors:
        raise ValidationError(errors)
    if old_key is not None:
        old_key = Key.objects.select_for_update().get(pk=old_key.pk)
        if old_key.status == Key.Status.ON_LOAN:
            raise InvalidTransition(_("原钥匙借出中，请先归还。"))
        _cancel_pending_loans([old_key], by=by, reason=_("已更换锁芯"))
        _set_key_status(old_key, Key.Status.RETIRED, by=by, reason=_("更换锁芯"))
    new_key = key_register(
        project=project,
        tag=new_tag,
        kind=old_key.kind if old_key else Key.Kind.OTHER,
        opens=old_key.opens if old_key else location.strip(),
        unit=old_key.unit if old_key else None,
        cabinet_position=cabinet_position or (old_key.cabinet_position if old_key else ""),
        custodian_department=old_key.custodian_department if old_key else None,
        custodian=old_key.custodian if old_key else None,
        entrustment=old_key.entrustment if old_key else None,
        status=Key.Status.AWAITING_SEAL,
        by=by,
    )
    hours = KeySettings.current().seal_within_hours
    change = LockChange.objects.create(
        project=project,
        number=_number("HS", now),
        old_key=old_key,
        new_key=new_key,
        location=location.strip(),
        reason=reason.strip(),
        changed_at=changed_at,
        recorded_by=by,
        seal_due_at=changed_at + timedelta(hours=hours),
    )
    change.departments_told.set(departments_told)
    record_event(change, action="recorded", actor=by, to_state=change.status, reason=reason)
    # KEY-08: the relevant departments are told, the duty manager to seal the key.
    recipients: set[int] = set()
    for role in (Role.DUTY_MANAGER, Role.SUPERVISOR, Role.FRONT_DESK):
        recipients |= set(
            _users_with_role(role, project_id=project.pk).values_list("pk", flat=True)
        )
    notify(
        recipients - {by.pk},
        subject=change,
        reason="lock_changed",
        title=_("%(location)s 已更换锁芯，新钥匙 %(tag)s 须于 %(due)s 前封存")
        % {
            "location": change.location,
            "tag": new_key.tag,
            "due": business_calendar().local(change.seal_due_at).strftime("%m-%d %H:%M"),
        },
        url=reverse("keys:lock_change", args=[change.pk]),
        project_id=project.pk,
    )
    return change


@transaction.atomic
def lock_change_seal(*, change: LockChange, by: User, seal_number: str = "") -> LockChange:
    """The duty manager receives and seals the new key (KEY-08)."""
    change = LockChange.objects.select_for_update().select_related("new_key").get(pk=change.pk)
    _require_role(by, SEAL_ROLES, _("封存钥匙"))
    _require_staff(by, change.project)
    if change.status != LockChange.Status.AWAITING_SEAL:
        raise InvalidTransition(_("新钥匙已封存。"))
    change.status = LockChange.Status.SEALED
    change.sealed_at = timezone.now()
    change.sealed_by = by
    change.seal_number = seal_number.strip()
    change.save(update_fields=["status", "sealed_at", "sealed_by", "seal_number"])
    _set_key_status(change.new_key, Key.Status.SEALED, by=by, reason=change.number)
    record_event(
        change,
        action="sealed",
        actor=by,
        from_state=LockChange.Status.AWAITING_SEAL,
        to_state=change.status,
        data={"late": change.sealed_at > change.seal_due_at},
    )
    return change


@transaction.atomic
def key_unseal(*, key: Key, by: User, reason: str) -> Key:
    """Break a seal to put a key back in use, with the reason (KEY-08)."""
    key = Key.objects.select_for_update().get(pk=key.pk)
    _require_role(by, UNSEAL_ROLES, _("启封钥匙"))
    _require_staff(by, key.project)
    if key.status != Key.Status.SEALED:
        raise InvalidTransition(_("钥匙未封存。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写启封原因。")})
    _set_key_status(key, Key.Status.AVAILABLE, by=by, reason=reason)
    return key


# --- Use, damage and loss (KEY-09) -----------------------------------------------


@transaction.atomic
def incident_record(*, key: Key, kind: str, note: str, by: User) -> Incident:
    """Record damage, loss or recovery of a key (KEY-09)."""
    _require_staff(by, key.project)
    if kind not in Incident.Kind.values:
        raise ValidationError({"kind": _("请选择类型。")})
    if not note.strip():
        raise ValidationError({"note": _("请填写说明。")})
    key = Key.objects.select_for_update().get(pk=key.pk)
    if kind == Incident.Kind.FOUND and key.status != Key.Status.LOST:
        raise InvalidTransition(_("钥匙未登记遗失。"))
    if kind == Incident.Kind.LOST and key.status == Key.Status.ON_LOAN:
        live = Loan.objects.filter(key=key, status=Loan.Status.OUT).exists()
        if live:
            raise InvalidTransition(_("借出中的钥匙遗失，请在归还时选择“遗失”。"))
    incident = Incident.objects.create(key=key, kind=kind, note=note.strip(), by=by)
    record_event(key, action=f"incident_{kind}", actor=by, reason=note)
    if kind == Incident.Kind.LOST:
        _set_key_status(key, Key.Status.LOST, by=by, reason=note)
    elif kind == Incident.Kind.FOUND:
        _set_key_status(key, Key.Status.AVAILABLE, by=by, reason=note)
    return incident


# --- Duty handover (KEY-10) ----------------------------------------------------


def handover_snapshot(project: Project) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (keys out, keys sealed or awaiting seal) to be checked face to face."""
    cal = business_calendar()
    out = [
        {
            "tag": tag,
            "opens": opens,
            "loan": number,
            "borrower": borrower,
            "due_at": cal.local(due).strftime("%Y-%m-%d %H:%M") if due else "",
        }
        for tag, opens, number, borrower, due in Loan.objects.filter(
            project=project, status=Loan.Status.OUT
        )
        .order_by("due_at")
        .values_list("key__tag", "key__opens", "number", "borrower_name", "due_at")
    ]
    sealed = [
        {"tag": tag, "opens": opens, "status": str(Key.Status(status).label)}
        for tag, opens, status in Key.objects.filter(
            project=project, status__in=(Key.Status.SEALED, Key.Status.AWAITING_SEAL)
        )
        .order_by("tag")
        .values_list("tag", "opens", "status")
    ]
    return out, sealed


@transaction.atomic
def handover_create(
    *,
    project: Project,
    taken_by: User,
    by: User,
    other_items: str = "",
    discrepancies: str = "",
) -> Handover:
    """The outgoing person lists what is handed over and signs (KEY-10)."""
    _require_staff(by, project)
    if taken_by.pk == by.pk:
        raise ValidationError({"taken_by": _("接班人不能是交班人本人。")})
    viewer = viewer_for(taken_by)
    if not viewer.is_staff_member or not (viewer.all_projects or project.pk in viewer.project_ids):
        raise ValidationError({"taken_by": _("接班人须为本项目员工。")})
    out, sealed = handover_snapshot(project)
    handover = Handover.objects.create(
        project=project,
        handed_by=by,
        taken_by=taken_by,
        keys_out=out,
        keys_sealed=sealed,
        other_items=other_items.strip(),
        discrepancies=discrepancies.strip(),
    )
    record_event(handover, action="handed", actor=by, to_state=handover.status)
    notify(
        [taken_by.pk],
        subject=handover,
        reason="handover_sign",
        title=_("请核对并确认钥匙交接班"),
        url=reverse("keys:handover", args=[handover.pk]),
        project_id=project.pk,
        email=False,
    )
    return handover


@transaction.atomic
def handover_sign(*, handover: Handover, by: User, note: str = "") -> Handover:
    """The incoming person confirms on their own login: both have signed (KEY-10)."""
    handover = Handover.objects.select_for_update().get(pk=handover.pk)
    if handover.taken_by_id != by.pk:
        raise PermissionDenied(_("只有接班人本人可以确认交接。"))
    if handover.status != Handover.Status.PENDING:
        raise InvalidTransition(_("交接已确认。"))
    handover.status = Handover.Status.SIGNED
    handover.signed_at = timezone.now()
    handover.taker_note = note.strip()
    handover.save(update_fields=["status", "signed_at", "taker_note"])
    record_event(
        handover,
        action="signed",
        actor=by,
        from_state=Handover.Status.PENDING,
        to_state=handover.status,
        reason=note,
    )
    return handover


# --- Monthly report (KEY-09) -----------------------------------------------------


def month_start(d: date) -> date:
    return d.replace(day=1)


@transaction.atomic
def report_submit(*, project: Project, month: date, by: User, note: str = "") -> MonthlyReport:
    """Freeze the month's figures and send them to the supervisor (KEY-09)."""
    from keys.selectors import month_figures

    _require_staff(by, project)
    month = month_start(month)
    today = business_calendar().local_date(timezone.now())
    if month >= month_start(today):
        raise ValidationError({"month": _("只能报送已结束月份的钥匙月报。")})
    if MonthlyReport.objects.filter(project=project, month=month).exists():
        raise InvalidTransition(_("%(month)s 的钥匙月报已报送。") % {"month": f"{month:%Y-%m}"})
    try:
        with transaction.atomic():
            report = MonthlyReport.objects.create(
                project=project,
                month=month,
                figures=month_figures(project, month),
                note=note.strip(),
                submitted_by=by,
            )
    except IntegrityError as exc:  # submitted by someone else a moment ago
        raise InvalidTransition(
            _("%(month)s 的钥匙月报已报送。") % {"month": f"{month:%Y-%m}"}
        ) from exc
    record_event(report, action="submitted", actor=by, to_state=report.status)
    supervisors = set(
        _users_with_role(Role.SUPERVISOR, project_id=project.pk).values_list("pk", flat=True)
    )
    notify(
        supervisors - {by.pk},
        subject=report,
        reason="report_review",
        title=_("钥匙月报 %(month)s 待审核") % {"month": f"{month:%Y-%m}"},
        url=reverse("keys:report", args=[report.pk]),
        project_id=project.pk,
    )
    return report


@transaction.atomic
def report_review(*, report: MonthlyReport, by: User, note: str = "") -> MonthlyReport:
    """The supervisor reviews and signs off the monthly report (KEY-09)."""
    report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
    _require_role(by, REVIEW_ROLES, _("审核钥匙月报"))
    _require_staff(by, report.project)
    ensure_not_self_approval(requested_by=report.submitted_by, approver=by)
    if report.status != MonthlyReport.Status.SUBMITTED:
        raise InvalidTransition(_("月报已审核。"))
    report.status = MonthlyReport.Status.REVIEWED
    report.reviewed_by = by
    report.reviewed_at = timezone.now()
    report.review_note = note.strip()
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    record_event(
        report,
        action="reviewed",
        actor=by,
        from_state=MonthlyReport.Status.SUBMITTED,
        to_state=report.status,
        reason=note,
    )
    return report


def overdue_level_for(due_at: datetime, now: datetime, every_hours: int) -> int:
    """KEY-04: 1 at the due time, one more each ``every_hours`` while out, at most 3."""
    if now <= due_at:
        return 0
    steps = math.floor((now - due_at) / timedelta(hours=max(every_hours, 1)))
    return min(3, 1 + steps)
