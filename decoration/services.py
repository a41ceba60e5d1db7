"""Writes of decoration management: the only code that changes a permit, its
ledger or any record hanging from it (DEC-01..13, ORG-04, ORG-05).

Views, the portals, the API, tasks and the demo all call these functions.
Each one checks who is acting, validates its input (``ValidationError`` naming
the field), refuses actions the permit's state does not allow
(``InvalidTransition`` → 409), changes the rows and appends events in one
transaction. Money moves only by appending ``LedgerEntry`` rows (DEC-12).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from decoration import rules
from decoration.models import (
    Application,
    ChangeRequest,
    ConstructionNotice,
    Contractor,
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
    Review,
    WorkerPass,
)
from decoration.uploads import MAX_DRAWINGS_PER_ROUND, drawing_check, image_check
from servicedesk.core.approvals import ensure_not_self_approval
from servicedesk.core.events import record_event
from servicedesk.core.models import Building, Project, Resident, Role, Unit
from servicedesk.core.numbering import next_number
from servicedesk.core.scoping import viewer_for
from servicedesk.notifications.services import notify, users_with_role
from servicedesk.workcal.calendar import business_calendar
from visitors import identity

Kind = LedgerEntry.Kind
S = Permit.Status


class InvalidTransition(Exception):
    """The record's current state does not allow the action (API: 409)."""


# Who may do what (ORG-03). Superusers may do everything.
REVIEW_ROLES = (Role.ENGINEER,)  # DEC-01 工程部审图
CHANGE_APPROVER_ROLES = (Role.ENGINEER, Role.MANAGER)  # DEC-02 书面批准
CASHIER_ROLES = (Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER)  # deposits, passes, refund
EXTENSION_APPROVER_ROLES = (Role.MANAGER,)  # DEC-05
HOT_WORK_APPROVER_ROLES = (Role.ENGINEER, Role.MANAGER)  # DEC-08
APPLICATION_APPROVER_ROLES = (
    Role.SUPERVISOR,
    Role.MANAGER,
    Role.DUTY_MANAGER,
    Role.ENGINEER,
)  # DEC-09
FINE_ROLES = (Role.SUPERVISOR, Role.MANAGER, Role.ENGINEER, Role.DUTY_MANAGER)  # DEC-10
EXPEL_ROLES = (Role.MANAGER,)  # DEC-10
ACCEPTANCE_ROLES = (Role.ENGINEER, Role.SUPERVISOR, Role.MANAGER)  # DEC-11
NOTICE_APPROVER_ROLES = (Role.SUPERVISOR, Role.MANAGER)  # DEC-13 相关权限人员

# Statuses in which work is on site (passes, hot work, inspections, fines).
ON_SITE = (S.IN_PROGRESS, S.COMPLETION_APPLIED)
OPEN_NOTICES = (RectificationNotice.Status.OPEN, RectificationNotice.Status.OVERDUE)


# --- Who is acting -----------------------------------------------------------


def has_role(user: User | AnonymousUser, roles: Iterable[str]) -> bool:
    viewer = viewer_for(user)
    return viewer.is_superuser or viewer.has_role(*roles)


def is_project_staff(user: User | AnonymousUser, project_id: int) -> bool:
    viewer = viewer_for(user)
    return viewer.is_staff_member and (viewer.all_projects or project_id in viewer.project_ids)


def _require_staff(user: User | AnonymousUser, project_id: int) -> None:
    if not is_project_staff(user, project_id):
        raise PermissionDenied(_("只有本项目员工可以办理此项装修业务。"))


def _require_role(
    user: User | AnonymousUser, roles: Iterable[str], what: str, *, project_id: int
) -> None:
    _require_staff(user, project_id)
    if not has_role(user, roles):
        labels = "、".join(str(Role(r).label) for r in roles)
        raise PermissionDenied(_("只有%(roles)s可以%(what)s。") % {"roles": labels, "what": what})


def is_permit_contractor(user: User | AnonymousUser, permit: Permit) -> bool:
    return bool(user.is_authenticated and permit.contractor.user_id == user.pk)


def is_permit_owner(user: User | AnonymousUser, permit: Permit) -> bool:
    """The owner (not a tenant) of the permit's unit, logged in to the portal."""
    return bool(
        user.is_authenticated
        and Resident.objects.filter(
            user=user, unit_id=permit.unit_id, kind=Resident.Kind.OWNER, is_active=True
        ).exists()
    )


def _require_party(user: User | AnonymousUser, permit: Permit, what: str) -> None:
    """Staff of the project, the permit's contractor or the unit's owner."""
    if not (
        is_project_staff(user, permit.project_id)
        or is_permit_contractor(user, permit)
        or is_permit_owner(user, permit)
    ):
        raise PermissionDenied(
            _("只有本项目员工、业主或本单施工单位可以%(what)s。") % {"what": what}
        )


def _locked(permit: Permit) -> Permit:
    return (
        Permit.objects.select_for_update(of=("self",))
        .select_related("project", "unit", "contractor")
        .get(pk=permit.pk)
    )


def _status(permit: Permit, to: str, *, by: User | None, reason: str = "", **fields: Any) -> None:
    before = permit.status
    permit.status = to
    for name, value in fields.items():
        setattr(permit, name, value)
    permit.save(update_fields=["status", *fields])
    record_event(permit, action=to, actor=by, from_state=before, to_state=to, reason=reason)


def _require_status(permit: Permit, allowed: Iterable[str], what: str) -> None:
    if permit.status not in allowed:
        raise InvalidTransition(
            _("装修申请当前为“%(status)s”，不能%(what)s。")
            % {"status": permit.get_status_display(), "what": what}
        )


def _number(prefix: str) -> str:
    return next_number(prefix, business_calendar().local(timezone.now()).year)


def _today() -> date:
    return business_calendar().local_date(timezone.now())


def _notify_roles(
    permit: Permit,
    roles: Iterable[str],
    *,
    reason: str,
    title: str,
    body: str = "",
    exclude: Iterable[int] = (),
) -> None:
    recipients: set[int] = set()
    for role in roles:
        recipients |= set(
            users_with_role(role, project_id=permit.project_id).values_list("pk", flat=True)
        )
    notify(
        recipients - set(exclude),
        subject=permit,
        reason=reason,
        title=title,
        body=body,
        url=reverse("decoration:permit", args=[permit.pk]),
        project_id=permit.project_id,
        email=False,
    )


# --- Ledger (DEC-12) -----------------------------------------------------------


def balances(permit: Permit) -> rules.Balances:
    """The permit's balances, summed from its ledger (one query)."""
    return rules.Balances.of(
        LedgerEntry.objects.filter(permit=permit)
        .values("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )


def _entry(
    permit: Permit,
    kind: str,
    amount: Decimal,
    *,
    by: User | None,
    receipt_no: str = "",
    note: str = "",
    worker_pass: WorkerPass | None = None,
    fine: Fine | None = None,
) -> LedgerEntry:
    entry = LedgerEntry.objects.create(
        permit=permit,
        kind=kind,
        amount=amount,
        receipt_no=receipt_no,
        note=note,
        worker_pass=worker_pass,
        fine=fine,
        by=by if by is not None and by.is_authenticated else None,
    )
    record_event(
        permit,
        action=f"ledger_{kind}",
        actor=by,
        reason=note,
        data={"amount": str(amount), "receipt_no": receipt_no, "entry": entry.pk},
    )
    return entry


def _receipt(raw: str, *, field: str = "receipt_no", required: bool = True) -> str:
    receipt = (raw or "").strip()
    if required and not receipt:
        raise ValidationError({field: _("请填写收据号。")})
    if len(receipt) > 40:
        raise ValidationError({field: _("收据号最多 40 个字符。")})
    return receipt


def _decide(
    request: ChangeRequest | Extension | HotWorkPermit | Application,
    *,
    by: User,
    approve: bool,
    note: str,
    roles: Iterable[str],
    what: str,
    project_id: int,
    done: str,
    checks: Callable[[], None] | None = None,
) -> str:
    """Record an approver's decision on a request someone else made (ORG-04): the
    role, not one's own request, still pending, reasons for a rejection. Returns
    the status before. ``checks`` runs the request's own conditions for approval."""
    _require_role(by, roles, what, project_id=project_id)
    ensure_not_self_approval(requested_by=request.requested_by, approver=by)
    if request.status != Decision.REQUESTED:
        raise InvalidTransition(done)
    if approve and checks is not None:
        checks()
    if not approve and not note.strip():
        raise ValidationError({"note": _("驳回须写明理由。")})
    before = request.status
    request.status = Decision.APPROVED if approve else Decision.REJECTED
    request.decided_by, request.decided_at = by, timezone.now()
    request.decision_note = note.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return before


# --- Application (DEC-01, DEC-02, DEC-03, DEC-04, DEC-07) ----------------------------


def _clean_items(items: Any, field: str = "items") -> list[str]:
    if isinstance(items, str):
        items = [part for part in items.replace("，", ",").replace("\n", ",").split(",")]
    if not isinstance(items, (list, tuple)):
        raise ValidationError({field: _("装修项目须为一组文字。")})
    cleaned = [str(item).strip() for item in items if str(item).strip()]
    if not cleaned:
        raise ValidationError({field: _("请列出装修项目，如“墙面翻新”“水电改造”。")})
    if any(len(item) > 100 for item in cleaned) or len(cleaned) > 50:
        raise ValidationError({field: _("装修项目每项最多 100 字，最多 50 项。")})
    return cleaned


def contractor_for(
    *, name: str, licence_no: str, qualification: str = "", phone: str = ""
) -> Contractor:
    """The contractor with this licence number, registered on first use (DEC-03)."""
    errors: dict[str, str] = {}
    name, licence_no = name.strip(), licence_no.strip().upper()
    if not name:
        errors["contractor_name"] = _("请填写装修单位名称。")
    if not licence_no:
        errors["contractor_licence"] = _(
            "请填写装修单位的营业执照或资质证书编号（须具备合格资质）。"
        )
    elif len(licence_no) > 50:
        errors["contractor_licence"] = _("资质证书编号最多 50 个字符。")
    if errors:
        raise ValidationError(errors)
    contractor, created = Contractor.objects.get_or_create(
        licence_no=licence_no,
        defaults={"name": name[:100], "qualification": qualification[:50], "phone": phone[:40]},
    )
    # A later filing completes what the register lacks, never overwrites it: the
    # register is corrected in the admin, where the change is logged.
    missing = {
        field: value
        for field, value in (("qualification", qualification[:50]), ("phone", phone[:40]))
        if value.strip() and not getattr(contractor, field)
    }
    if not created and missing:
        Contractor.objects.filter(pk=contractor.pk).update(**missing)
        for field, value in missing.items():
            setattr(contractor, field, value)
    return contractor


@transaction.atomic
def permit_file(
    *,
    unit: Unit,
    contractor_name: str,
    contractor_licence: str,
    area_m2: Any,
    planned_start: date | None,
    items: Any,
    by: User,
    owner_signed: bool = False,
    contract_signed: bool = True,
    contract_no: str = "",
    contractor_qualification: str = "",
    contractor_phone: str = "",
    site_leader_name: str = "",
    site_leader_phone: str = "",
    description: str = "",
    owner_name: str = "",
    owner_phone: str = "",
) -> Permit:
    """File 《装修施工申请表》 (DEC-01..03, DEC-07).

    Staff file on the owner's behalf only with the owner's signature on the
    paper form (``owner_signed``); an owner files online themselves; a tenant
    or the contractor alone cannot (DEC-02). The contractor must be named with
    its licence and hold a contract with the owner (DEC-03).
    """
    viewer = viewer_for(by)
    owner: Resident | None = None
    if is_project_staff(by, unit.project_id):
        signature = Permit.Signature.PAPER
        owner = (
            Resident.objects.filter(unit=unit, kind=Resident.Kind.OWNER, is_active=True)
            .order_by("id")
            .first()
        )
    elif unit.pk in viewer.unit_ids:
        owner = Resident.objects.filter(
            user=by, unit=unit, kind=Resident.Kind.OWNER, is_active=True
        ).first()
        if owner is None:
            raise PermissionDenied(_("装修申请须由业主本人提出，租户请联系业主办理。"))
        signature = Permit.Signature.PORTAL
    else:
        raise PermissionDenied(_("只有本项目员工或该房屋的业主可以提交装修申请。"))

    errors: dict[str, Any] = {}
    if signature == Permit.Signature.PAPER and not owner_signed:
        errors["owner_signed"] = _(
            "装修申请表须由业主本人填写或签名确认；请确认业主已在申请表上签名。"
        )
    try:
        area = rules.parse_amount(area_m2, field="area_m2")
    except ValidationError as exc:
        errors.update(exc.message_dict)
        area = None
    if area is not None and area > Decimal("100000"):
        errors["area_m2"] = _("装修面积超出合理范围，请核对。")
    if owner is None and not owner_name.strip():
        errors["owner_name"] = _("该房屋未登记业主，请填写业主姓名。")
    if planned_start is None:
        errors["planned_start"] = _("请填写计划开工日期。")
    try:
        cleaned_items = _clean_items(items)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not contract_signed:
        errors["contract_signed"] = _("装修单位须与业主签署装饰工程委托合同后方可申请。")
    try:
        contractor = contractor_for(
            name=contractor_name,
            licence_no=contractor_licence,
            qualification=contractor_qualification,
            phone=contractor_phone,
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    area = cast(Decimal, area)
    config = DecorationSettings.current()
    permit = Permit.objects.create(
        project=unit.project,
        number=_number("ZX"),
        unit=unit,
        owner=owner,
        owner_name=(owner_name.strip() or (owner.name if owner else ""))[:50],
        owner_phone=(owner_phone.strip() or (str(owner.phone or "") if owner else ""))[:40],
        owner_signature=signature,
        contractor=contractor,
        contract_no=contract_no.strip()[:50],
        site_leader_name=site_leader_name.strip()[:50],
        site_leader_phone=site_leader_phone.strip()[:40],
        area_m2=area,
        items=cleaned_items,
        description=description.strip(),
        planned_start=cast(date, planned_start),
        deposit_required=config.deposit_amount,
        extinguishers_required=rules.extinguishers_required(area, config.extinguisher_area_m2),
        created_by=by,
    )
    record_event(
        permit,
        action="filed",
        actor=by,
        to_state=permit.status,
        reason=permit.get_owner_signature_display(),
        data={"items": cleaned_items, "contractor": contractor.name},
    )
    return permit


@transaction.atomic
def permit_cancel(*, permit: Permit, by: User, reason: str) -> Permit:
    """Withdraw an application before any money was taken."""
    permit = _locked(permit)
    # The application is the owner's (DEC-02): the contractor cannot withdraw it alone.
    if not (is_project_staff(by, permit.project_id) or is_permit_owner(by, permit)):
        raise PermissionDenied(_("只有业主本人或管理处可以撤销装修申请。"))
    _require_status(permit, (S.APPLIED, S.UNDER_REVIEW, S.REJECTED, S.APPROVED), _("撤销"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写撤销原因。")})
    _status(permit, S.CANCELLED, by=by, reason=reason.strip())
    return permit


@transaction.atomic
def drawings_submit(
    *,
    permit: Permit,
    by: User,
    uploads: Sequence[tuple[str, UploadedFile]] = (),
    paper_kinds: Sequence[str] = (),
) -> Permit:
    """Hand in the drawings and start the review clock (DEC-01).

    Drawings are uploaded (checked by content) or received at the desk on
    paper; with neither, the desk is taken to have received the paper set of
    a floor plan and a water/electric layout. Resubmitting after a rejection
    opens a new round with a fresh clock.
    """
    permit = _locked(permit)
    _require_party(by, permit, _("提交图纸"))
    _require_status(permit, (S.APPLIED, S.REJECTED), _("提交图纸"))
    valid_kinds = set(Drawing.Kind.values)
    if len(uploads) > MAX_DRAWINGS_PER_ROUND:
        raise ValidationError(
            {"drawings": _("每轮最多提交 %(n)s 份图纸。") % {"n": MAX_DRAWINGS_PER_ROUND}}
        )
    checked = []
    errors: list[str] = []
    for kind, upload in uploads:
        if kind not in valid_kinds:
            errors.append(_("图纸类别无效。"))
            continue
        try:
            checked.append((kind, drawing_check(upload)))
        except ValidationError as exc:
            errors.extend(exc.message_dict["drawings"])
    bad_paper = [k for k in paper_kinds if k not in valid_kinds]
    if bad_paper:
        errors.append(_("图纸类别无效。"))
    if errors:
        raise ValidationError({"drawings": errors})
    if not checked and not paper_kinds:
        paper_kinds = [Drawing.Kind.PLAN, Drawing.Kind.WATER_ELECTRIC]
    round_no = (permit.drawings.aggregate(m=Max("round"))["m"] or 0) + 1
    for kind, item in checked:
        Drawing.objects.create(
            permit=permit,
            kind=kind,
            round=round_no,
            file=item.upload,
            original_name=item.name,
            content_type=item.content_type,
            size=item.size,
            uploaded_by=by,
        )
    for kind in dict.fromkeys(paper_kinds):
        Drawing.objects.create(
            permit=permit, kind=kind, round=round_no, on_paper=True, uploaded_by=by
        )
    now = timezone.now()
    review_days = DecorationSettings.current().review_working_days
    due = business_calendar().add_working_days(now, review_days)
    _status(
        permit,
        S.UNDER_REVIEW,
        by=by,
        reason=_("第 %(n)s 轮送审") % {"n": round_no},
        drawings_submitted_at=now,
        review_due_at=due.at,
        review_due_provisional=due.provisional,
        review_working_days=review_days,
        review_overdue_notified_at=None,
    )
    _notify_roles(
        permit,
        REVIEW_ROLES,
        reason="drawings_submitted",
        title=_("装修图纸待审：%(unit)s") % {"unit": permit.unit},
        body=_("请于 %(due)s 前完成审图。")
        % {"due": business_calendar().local(due.at).strftime("%Y-%m-%d %H:%M")},
        exclude=[by.pk],
    )
    return permit


@transaction.atomic
def review_decide(
    *,
    permit: Permit,
    by: User,
    approve: bool,
    structure_ok: bool,
    water_electric_ok: bool,
    waterproofing_ok: bool,
    comments: str = "",
) -> Review:
    """Engineering's decision on the drawings, with its checklist (DEC-01, ORG-04)."""
    permit = _locked(permit)
    _require_role(by, REVIEW_ROLES, _("审核装修图纸"), project_id=permit.project_id)
    ensure_not_self_approval(requested_by=permit.created_by, approver=by)
    _require_status(permit, (S.UNDER_REVIEW,), _("审图"))
    checks = (structure_ok, water_electric_ok, waterproofing_ok)
    if approve and not all(checks):
        raise ValidationError(
            {"checklist": _("审图清单有不合格项，不能批准；请驳回并写明整改意见。")}
        )
    if not approve and not comments.strip():
        raise ValidationError({"reason": _("驳回须写明理由。")})
    round_no = permit.drawings.aggregate(m=Max("round"))["m"] or 1
    review = Review.objects.create(
        permit=permit,
        round=round_no,
        outcome=Review.Outcome.APPROVED if approve else Review.Outcome.REJECTED,
        structure_ok=structure_ok,
        water_electric_ok=water_electric_ok,
        waterproofing_ok=waterproofing_ok,
        comments=comments.strip(),
        decided_by=by,
    )
    if approve:
        _status(permit, S.APPROVED, by=by, reason=comments.strip(), approved_at=review.decided_at)
    else:
        _status(permit, S.REJECTED, by=by, reason=comments.strip())
    return review


@transaction.atomic
def change_request(*, permit: Permit, items: Any, reason: str, by: User) -> ChangeRequest:
    """DEC-02: ask to change the approved items; the work waits for a written approval."""
    permit = _locked(permit)
    if not (is_project_staff(by, permit.project_id) or is_permit_owner(by, permit)):
        raise PermissionDenied(_("装修项目变更须由业主或其委托人向管理处申报。"))
    _require_status(permit, (S.APPROVED, S.DEPOSIT_PAID, S.IN_PROGRESS), _("申请变更"))
    errors: dict[str, Any] = {}
    try:
        cleaned = _clean_items(items)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned = []
    if not reason.strip():
        errors["reason"] = _("请说明变更内容和原因。")
    if errors:
        raise ValidationError(errors)
    if cleaned == permit.items:
        raise ValidationError({"items": _("变更后的装修项目与已批准的相同。")})
    try:
        with transaction.atomic():
            change = ChangeRequest.objects.create(
                permit=permit, items=cleaned, reason=reason.strip(), requested_by=by
            )
    except IntegrityError as exc:
        raise InvalidTransition(_("已有一份变更申请待审批。")) from exc
    record_event(
        permit, action="change_requested", actor=by, reason=change.reason, data={"items": cleaned}
    )
    _notify_roles(
        permit,
        CHANGE_APPROVER_ROLES,
        reason="change_requested",
        title=_("装修项目变更待审批：%(unit)s") % {"unit": permit.unit},
        exclude=[by.pk],
    )
    return change


@transaction.atomic
def change_decide(
    *, change: ChangeRequest, by: User, approve: bool, note: str = ""
) -> ChangeRequest:
    """Approve (the permit's items become the new ones) or reject a change (DEC-02, ORG-04)."""
    permit = _locked(change.permit)
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    _decide(
        change,
        by=by,
        approve=approve,
        note=note,
        roles=CHANGE_APPROVER_ROLES,
        what=_("审批装修变更"),
        project_id=permit.project_id,
        done=_("该变更申请已处理。"),
    )
    if approve:
        old = permit.items
        permit.items = change.items
        permit.save(update_fields=["items"])
        record_event(
            permit,
            action="change_approved",
            actor=by,
            reason=note,
            data={"from": old, "to": change.items},
        )
    else:
        record_event(permit, action="change_rejected", actor=by, reason=note)
    return change


# --- Deposit and permit (DEC-04, DEC-05) ------------------------------------------


@transaction.atomic
def deposit_pay(*, permit: Permit, amount: Any, receipt_no: str, by: User) -> LedgerEntry:
    """The contractor pays the deposit in full against a receipt (DEC-04, DEC-12)."""
    permit = _locked(permit)
    _require_role(by, CASHIER_ROLES, _("收取装修押金"), project_id=permit.project_id)
    _require_status(permit, (S.APPROVED,), _("收取押金（须先审图通过）"))
    errors: dict[str, Any] = {}
    try:
        value = rules.parse_amount(amount)
        if value != permit.deposit_required:
            errors["amount"] = _("装修押金应为 %(req)s 元，收到 %(got)s 元。") % {
                "req": permit.deposit_required,
                "got": value,
            }
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        receipt = _receipt(receipt_no)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            entry = _entry(
                permit, Kind.DEPOSIT_RECEIVED, value, by=by, receipt_no=receipt, note=_("装修押金")
            )
    except IntegrityError as exc:
        raise InvalidTransition(_("该装修的押金已收取。")) from exc
    _status(permit, S.DEPOSIT_PAID, by=by, reason=receipt)
    return entry


def deposit_receipt(permit: Permit) -> str:
    return (
        LedgerEntry.objects.filter(permit=permit, kind=Kind.DEPOSIT_RECEIVED)
        .values_list("receipt_no", flat=True)
        .first()
        or ""
    )


@transaction.atomic
def permit_issue(*, permit: Permit, start_date: date | None, by: User) -> Permit:
    """Issue 《装修许可证》 with the start date; the period runs 45 days counting it (DEC-05)."""
    permit = _locked(permit)
    _require_role(by, CASHIER_ROLES, _("发放装修许可证"), project_id=permit.project_id)
    _require_status(permit, (S.DEPOSIT_PAID,), _("发证（须先交押金）"))
    if start_date is None:
        raise ValidationError({"start_date": _("请填写开工日期。")})
    if start_date < _today():
        raise ValidationError({"start_date": _("开工日期不能早于今天。")})
    if ChangeRequest.objects.filter(permit=permit, status=Decision.REQUESTED).exists():
        raise InvalidTransition(_("有装修项目变更待审批，批准后方可发证施工。"))
    days = DecorationSettings.current().period_days
    _status(
        permit,
        S.IN_PROGRESS,
        by=by,
        reason=_("开工 %(start)s，期限至 %(end)s")
        % {"start": start_date, "end": rules.period_end(start_date, days)},
        period_days=days,
        start_date=start_date,
        end_date=rules.period_end(start_date, days),
        issued_at=timezone.now(),
        issued_by=by,
    )
    return permit


@transaction.atomic
def extension_request(
    *, permit: Permit, new_end_date: date | None, reason: str, by: User
) -> Extension:
    """DEC-05: a written extension request, made before the period ends."""
    permit = _locked(permit)
    _require_party(by, permit, _("申请延期"))
    _require_status(permit, (S.IN_PROGRESS,), _("申请延期"))
    end_date = cast(date, permit.end_date)
    errors: dict[str, str] = {}
    if _today() > end_date:
        raise InvalidTransition(
            _("施工期限已于 %(end)s 届满，延期须在到期日前申请。") % {"end": end_date}
        )
    if new_end_date is None:
        errors["new_end_date"] = _("请填写延期后的完工日期。")
    elif new_end_date <= end_date:
        errors["new_end_date"] = _("延期后的日期须晚于现完工期限 %(end)s。") % {"end": end_date}
    if not reason.strip():
        errors["reason"] = _("请写明延期原因。")
    if errors:
        raise ValidationError(errors)
    new_end_date = cast(date, new_end_date)
    try:
        with transaction.atomic():
            extension = Extension.objects.create(
                permit=permit,
                old_end_date=end_date,
                new_end_date=new_end_date,
                reason=reason.strip(),
                requested_by=by,
            )
    except IntegrityError as exc:
        raise InvalidTransition(_("已有一份延期申请待审批。")) from exc
    record_event(
        permit,
        action="extension_requested",
        actor=by,
        reason=extension.reason,
        data={"from": str(permit.end_date), "to": str(new_end_date)},
    )
    _notify_roles(
        permit,
        EXTENSION_APPROVER_ROLES,
        reason="extension_requested",
        title=_("装修延期待审批：%(unit)s") % {"unit": permit.unit},
        exclude=[by.pk],
    )
    return extension


@transaction.atomic
def extension_decide(*, extension: Extension, by: User, approve: bool, note: str = "") -> Extension:
    """A manager other than the requester decides (DEC-05, ORG-04); approval moves the end date
    and lifts a stop-work flag."""
    permit = _locked(extension.permit)
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    _decide(
        extension,
        by=by,
        approve=approve,
        note=note,
        roles=EXTENSION_APPROVER_ROLES,
        what=_("审批装修延期"),
        project_id=permit.project_id,
        done=_("该延期申请已处理。"),
    )
    if approve and permit.status in ON_SITE:
        old = permit.end_date
        permit.end_date = extension.new_end_date
        fields = ["end_date"]
        if permit.stop_work_flagged_at and extension.new_end_date >= _today():
            permit.stop_work_flagged_at = None
            fields.append("stop_work_flagged_at")
        permit.save(update_fields=fields)
        record_event(
            permit,
            action="extended",
            actor=by,
            reason=note,
            data={"from": str(old), "to": str(extension.new_end_date)},
        )
    else:
        record_event(
            permit,
            action="extension_rejected" if not approve else "extension_moot",
            actor=by,
            reason=note,
        )
    return extension


# --- Worker passes (DEC-06) -----------------------------------------------------------


@transaction.atomic
def pass_issue(
    *,
    permit: Permit,
    worker_name: str,
    id_number: str,
    by: User,
    signed_by: str = WorkerPass.Signer.SITE_LEADER,
    signer_name: str = "",
    receipt_no: str = "",
    photo: UploadedFile | None = None,
) -> WorkerPass:
    """Issue a pass to one worker: fee kept + deposit held, expiring with the permit (DEC-06).

    The pass needs the owner's or the site leader's signature on the
    application; the site leader collects the new workers' applications
    (the seed's rule 15), so the signer defaults to the permit's site leader.
    """
    permit = _locked(permit)
    _require_role(by, CASHIER_ROLES, _("办理施工人员出入证"), project_id=permit.project_id)
    _require_status(permit, (S.IN_PROGRESS,), _("办理出入证（须已发放装修许可证）"))
    if permit.expelled_at:
        raise InvalidTransition(_("该装修单位已被清退出场，不能再办理出入证。"))
    end_date = cast(date, permit.end_date)
    if end_date < _today():
        raise InvalidTransition(_("施工期限已届满，请先办理延期。"))
    errors: dict[str, Any] = {}
    worker_name = worker_name.strip()
    if not worker_name:
        errors["worker_name"] = _("请填写施工人员姓名。")
    elif len(worker_name) > 50:
        errors["worker_name"] = _("姓名最多 50 个字。")
    try:
        number = identity.validate_resident_id(id_number or "")
    except ValidationError as exc:
        errors["id_number"] = exc.messages
        number = ""
    if signed_by not in WorkerPass.Signer.values:
        errors["signed_by"] = _("签名人须为业主或施工负责人。")
    default_signer = (
        permit.owner_name
        if signed_by == WorkerPass.Signer.OWNER
        else (permit.site_leader_name or permit.contractor.name)
    )
    signer = (signer_name or "").strip() or default_signer
    if not signer:
        errors["signer_name"] = _("请填写签名人姓名。")
    checked_photo = None
    if photo is not None:
        try:
            checked_photo = image_check(photo, field="photo")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        receipt = _receipt(receipt_no, required=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    config = DecorationSettings.current()
    id_hash = identity.lookup_hash(identity.RESIDENT_ID, number)
    pass_no = _number("CR")
    worker_pass = WorkerPass(
        permit=permit,
        number=pass_no,
        worker_name=worker_name,
        id_number_encrypted=identity.encrypt(number),
        id_number_masked=identity.mask(number),
        id_hash=id_hash,
        signed_by=signed_by,
        signer_name=signer[:50],
        fee=config.pass_fee,
        deposit=config.pass_deposit,
        receipt_no=receipt or pass_no,
        expires_on=end_date,
        issued_by=by,
    )
    if checked_photo is not None:
        worker_pass.photo = checked_photo.upload
        worker_pass.photo_content_type = checked_photo.content_type
    try:
        with transaction.atomic():
            worker_pass.save()
    except IntegrityError as exc:
        raise ValidationError(
            {
                "id_number": _("该施工人员已持有本装修的有效出入证（%(name)s）。")
                % {"name": worker_name}
            }
        ) from exc
    _entry(
        permit,
        Kind.PASS_FEE,
        worker_pass.fee,
        by=by,
        receipt_no=worker_pass.receipt_no,
        note=_("出入证 %(no)s 工本费") % {"no": pass_no},
        worker_pass=worker_pass,
    )
    _entry(
        permit,
        Kind.PASS_DEPOSIT_RECEIVED,
        worker_pass.deposit,
        by=by,
        receipt_no=worker_pass.receipt_no,
        note=_("出入证 %(no)s 保证金") % {"no": pass_no},
        worker_pass=worker_pass,
    )
    record_event(
        worker_pass, action="issued", actor=by, to_state=worker_pass.status, reason=worker_name
    )
    return worker_pass


def _locked_pass(worker_pass: WorkerPass) -> WorkerPass:
    return WorkerPass.objects.select_for_update().select_related("permit").get(pk=worker_pass.pk)


def _close_pass(
    worker_pass: WorkerPass, to: str, *, by: User | None, refund: bool, note: str
) -> WorkerPass:
    before = worker_pass.status
    worker_pass.status = to
    worker_pass.closed_at = timezone.now()
    worker_pass.closed_by = by if by is not None and by.is_authenticated else None
    worker_pass.save(update_fields=["status", "closed_at", "closed_by"])
    kind = Kind.PASS_DEPOSIT_REFUNDED if refund else Kind.PASS_DEPOSIT_FORFEITED
    _entry(
        worker_pass.permit,
        kind,
        worker_pass.deposit,
        by=by,
        receipt_no=worker_pass.receipt_no,
        note=f"{worker_pass.number} {note}".strip(),
        worker_pass=worker_pass,
    )
    record_event(worker_pass, action=to, actor=by, from_state=before, to_state=to, reason=note)
    return worker_pass


@transaction.atomic
def pass_return(*, worker_pass: WorkerPass, by: User) -> WorkerPass:
    """Take a pass back: within 3 days of expiry the deposit is refunded, later it is kept
    (DEC-06)."""
    worker_pass = _locked_pass(worker_pass)
    _require_role(by, CASHIER_ROLES, _("办理退证"), project_id=worker_pass.permit.project_id)
    if worker_pass.status != WorkerPass.Status.ISSUED:
        raise InvalidTransition(
            _("出入证 %(no)s 已%(s)s。")
            % {"no": worker_pass.number, "s": worker_pass.get_status_display()}
        )
    grace = DecorationSettings.current().pass_return_grace_days
    in_time = rules.pass_deposit_refundable(worker_pass.expires_on, _today(), grace)
    return _close_pass(
        worker_pass,
        WorkerPass.Status.RETURNED if in_time else WorkerPass.Status.FORFEITED,
        by=by,
        refund=in_time,
        note=_("退证") if in_time else _("过期超过 %(n)s 天退证，保证金不予退还") % {"n": grace},
    )


@transaction.atomic
def pass_report_lost(*, worker_pass: WorkerPass, by: User, note: str = "") -> WorkerPass:
    """A lost pass forfeits its deposit (DEC-06)."""
    worker_pass = _locked_pass(worker_pass)
    _require_staff(by, worker_pass.permit.project_id)
    if worker_pass.status != WorkerPass.Status.ISSUED:
        raise InvalidTransition(
            _("出入证 %(no)s 已%(s)s。")
            % {"no": worker_pass.number, "s": worker_pass.get_status_display()}
        )
    return _close_pass(
        worker_pass, WorkerPass.Status.LOST, by=by, refund=False, note=note.strip() or _("遗失")
    )


@transaction.atomic
def pass_renew(*, worker_pass: WorkerPass, by: User) -> WorkerPass:
    """Renew a pass to the permit's (extended) end date, within 3 days of its expiry (DEC-06)."""
    worker_pass = _locked_pass(worker_pass)
    permit = worker_pass.permit
    _require_role(by, CASHIER_ROLES, _("办理出入证续期"), project_id=permit.project_id)
    if worker_pass.status != WorkerPass.Status.ISSUED:
        raise InvalidTransition(_("只有使用中的出入证可以续期。"))
    grace = DecorationSettings.current().pass_return_grace_days
    if not rules.pass_deposit_refundable(worker_pass.expires_on, _today(), grace):
        raise InvalidTransition(_("出入证过期已超过 %(n)s 天，不能续期。") % {"n": grace})
    if (
        permit.status not in ON_SITE
        or permit.end_date is None
        or permit.end_date <= worker_pass.expires_on
    ):
        raise InvalidTransition(_("装修许可证未延期，出入证无法续期。"))
    old = worker_pass.expires_on
    worker_pass.expires_on = permit.end_date
    worker_pass.save(update_fields=["expires_on"])
    record_event(
        worker_pass, action="renewed", actor=by, data={"from": str(old), "to": str(permit.end_date)}
    )
    return worker_pass


# --- Hot work (DEC-08) and other applications (DEC-09) ---------------------------------


@transaction.atomic
def hot_work_request(
    *,
    permit: Permit,
    by: User,
    work_kind: str,
    location: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    welder_name: str,
    welder_certificate_no: str,
    welder_certificate_valid_until: date | None,
    guardian_name: str,
    extinguishers_ready: bool,
    combustibles_cleared: bool,
) -> HotWorkPermit:
    """Ask for 动火证 in advance, with the welder's certificate and the safety checklist
    (DEC-08)."""
    permit = _locked(permit)
    _require_party(by, permit, _("申请动火"))
    _require_status(permit, (S.IN_PROGRESS,), _("申请动火"))
    now = timezone.now()
    errors: dict[str, str] = {}
    if work_kind not in HotWorkPermit.WorkKind.values:
        errors["work_kind"] = _("请选择动火类别。")
    if not location.strip():
        errors["location"] = _("请填写动火部位。")
    if starts_at is None:
        errors["starts_at"] = _("请填写动火开始时间。")
    elif starts_at <= now:
        errors["starts_at"] = _("动火须提前申请，开始时间须晚于现在。")
    if ends_at is None:
        errors["ends_at"] = _("请填写动火结束时间。")
    elif starts_at is not None and ends_at <= starts_at:
        errors["ends_at"] = _("结束时间须晚于开始时间。")
    if not welder_name.strip():
        errors["welder_name"] = _("请填写操作人姓名。")
    if not welder_certificate_no.strip():
        errors["welder_certificate_no"] = _("电焊工须持证上岗，请填写特种作业操作证号。")
    if welder_certificate_valid_until is None:
        errors["welder_certificate_valid_until"] = _("请填写证书有效期。")
    elif ends_at is not None and welder_certificate_valid_until < business_calendar().local_date(
        ends_at
    ):
        errors["welder_certificate_valid_until"] = _("操作证在动火期间已过期。")
    if not guardian_name.strip():
        errors["guardian_name"] = _("请指定动火监护人。")
    if errors:
        raise ValidationError(errors)
    hot = HotWorkPermit.objects.create(
        permit=permit,
        number=_number("DH"),
        work_kind=work_kind,
        location=location.strip()[:100],
        starts_at=cast(datetime, starts_at),
        ends_at=cast(datetime, ends_at),
        welder_name=welder_name.strip()[:50],
        welder_certificate_no=welder_certificate_no.strip()[:50],
        welder_certificate_valid_until=cast(date, welder_certificate_valid_until),
        guardian_name=guardian_name.strip()[:50],
        extinguishers_ready=extinguishers_ready,
        combustibles_cleared=combustibles_cleared,
        requested_by=by,
    )
    record_event(hot, action="requested", actor=by, to_state=hot.status, reason=hot.location)
    _notify_roles(
        permit,
        HOT_WORK_APPROVER_ROLES,
        reason="hot_work_requested",
        title=_("动火申请待审批：%(unit)s") % {"unit": permit.unit},
        exclude=[by.pk],
    )
    return hot


@transaction.atomic
def hot_work_decide(
    *, hot_work: HotWorkPermit, by: User, approve: bool, note: str = ""
) -> HotWorkPermit:
    """Approve before the window opens, only with the checklist complete (DEC-08, ORG-04)."""
    hot = HotWorkPermit.objects.select_for_update().select_related("permit").get(pk=hot_work.pk)

    def ready() -> None:
        if hot.starts_at <= timezone.now():
            raise InvalidTransition(_("动火须事先批准；申请的开始时间已过，请重新申请。"))
        if not (hot.extinguishers_ready and hot.combustibles_cleared):
            raise ValidationError({"checklist": _("现场灭火器和易燃物清理未确认，不能批准动火。")})

    before = _decide(
        hot,
        by=by,
        approve=approve,
        note=note,
        roles=HOT_WORK_APPROVER_ROLES,
        what=_("审批动火"),
        project_id=hot.permit.project_id,
        done=_("该动火申请已处理。"),
        checks=ready,
    )
    record_event(
        hot, action=hot.status, actor=by, from_state=before, to_state=hot.status, reason=note
    )
    return hot


@transaction.atomic
def hot_work_close(*, hot_work: HotWorkPermit, by: User, note: str = "") -> HotWorkPermit:
    """The site was cleared after the hot work (the seed: 每次动火后要及时清理动火现场)."""
    hot = HotWorkPermit.objects.select_for_update().select_related("permit").get(pk=hot_work.pk)
    _require_staff(by, hot.permit.project_id)
    if hot.status != HotWorkPermit.Status.APPROVED:
        raise InvalidTransition(_("只有已批准的动火可以登记清场。"))
    hot.status, hot.closed_at, hot.closed_by = HotWorkPermit.Status.CLOSED, timezone.now(), by
    hot.save(update_fields=["status", "closed_at", "closed_by"])
    record_event(
        hot, action="closed", actor=by, from_state="approved", to_state="closed", reason=note
    )
    return hot


@transaction.atomic
def application_request(
    *,
    permit: Permit,
    kind: str,
    details: str,
    by: User,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Application:
    """File one of the other applications (DEC-09); daily tool registration needs no approval."""
    permit = _locked(permit)
    _require_party(by, permit, _("提交申请"))
    _require_status(permit, ON_SITE, _("提交施工申请"))
    errors: dict[str, str] = {}
    if kind not in Application.Kind.values:
        errors["kind"] = _("请选择申请类别。")
    if not details.strip():
        errors["details"] = _("请填写申请内容。")
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = _("结束时间须晚于开始时间。")
    if errors:
        raise ValidationError(errors)
    status = (
        Application.Status.REGISTERED
        if kind == Application.Kind.TOOLS
        else Application.Status.REQUESTED
    )
    application = Application.objects.create(
        permit=permit,
        number=_number("SQ"),
        kind=kind,
        details=details.strip(),
        starts_at=cast(datetime, starts_at),
        ends_at=cast(datetime, ends_at),
        status=status,
        requested_by=by,
    )
    record_event(
        application, action=status, actor=by, to_state=status, reason=application.get_kind_display()
    )
    return application


@transaction.atomic
def application_decide(
    *, application: Application, by: User, approve: bool, note: str = ""
) -> Application:
    application = (
        Application.objects.select_for_update().select_related("permit").get(pk=application.pk)
    )
    before = _decide(
        application,
        by=by,
        approve=approve,
        note=note,
        roles=APPLICATION_APPROVER_ROLES,
        what=_("审批施工申请"),
        project_id=application.permit.project_id,
        done=_("该申请已处理。"),
    )
    record_event(
        application,
        action=application.status,
        actor=by,
        from_state=before,
        to_state=application.status,
        reason=note,
    )
    return application


# --- Inspections, notices, fines, expulsion (DEC-07, DEC-10) -----------------------------


@transaction.atomic
def inspection_record(
    *,
    permit: Permit,
    by: User,
    extinguishers_found: int | None,
    findings: str = "",
    passes_worn: bool = True,
    violation: bool = False,
    photos: Sequence[UploadedFile] = (),
) -> Inspection:
    """Record a site inspection (二装巡视); too few extinguishers is a violation
    (DEC-07, DEC-10)."""
    permit = _locked(permit)
    _require_staff(by, permit.project_id)
    _require_status(permit, ON_SITE, _("登记巡视"))
    errors: dict[str, Any] = {}
    if extinguishers_found is None or extinguishers_found < 0:
        errors["extinguishers_found"] = _("请填写现场灭火器数量。")
    checked = []
    photo_errors: list[str] = []
    if len(photos) > 6:
        photo_errors.append(_("每次巡视最多 6 张照片。"))
    for upload in photos:
        try:
            checked.append(image_check(upload, field="photos"))
        except ValidationError as exc:
            photo_errors.extend(exc.message_dict["photos"])
    if photo_errors:
        errors["photos"] = photo_errors
    short = extinguishers_found is not None and extinguishers_found < permit.extinguishers_required
    if (violation or not passes_worn) and not findings.strip():
        errors["findings"] = _("发现违规须写明巡视情况。")
    if errors:
        raise ValidationError(errors)
    extinguishers_found = cast(int, extinguishers_found)
    lines = [findings.strip()] if findings.strip() else []
    if short:
        lines.append(
            _("现场灭火器 %(found)s 具，应配 %(req)s 具。")
            % {"found": extinguishers_found, "req": permit.extinguishers_required}
        )
    inspection = Inspection.objects.create(
        permit=permit,
        inspector=by,
        extinguishers_found=extinguishers_found,
        passes_worn=passes_worn,
        findings="\n".join(lines),
        violation=bool(violation or short or not passes_worn),
    )
    for item in checked:
        InspectionPhoto.objects.create(
            inspection=inspection,
            file=item.upload,
            original_name=item.name,
            content_type=item.content_type,
            size=item.size,
            uploaded_by=by,
        )
    record_event(
        permit,
        action="inspected",
        actor=by,
        reason=inspection.findings,
        data={"inspection": inspection.pk, "violation": inspection.violation},
    )
    return inspection


@transaction.atomic
def notice_issue(
    *,
    permit: Permit,
    items: str,
    due_at: datetime | None,
    by: User,
    inspection: Inspection | None = None,
) -> RectificationNotice:
    """整改通知单 with a deadline, tracked until verified (DEC-10)."""
    permit = _locked(permit)
    _require_staff(by, permit.project_id)
    _require_status(permit, ON_SITE, _("开具整改通知单"))
    errors: dict[str, str] = {}
    if not items.strip():
        errors["items"] = _("请写明整改事项。")
    if due_at is None:
        errors["due_at"] = _("请填写整改期限。")
    elif due_at <= timezone.now():
        errors["due_at"] = _("整改期限须晚于现在。")
    if inspection is not None and inspection.permit_id != permit.pk:
        errors["inspection"] = _("巡视记录不属于该装修。")
    if errors:
        raise ValidationError(errors)
    notice = RectificationNotice.objects.create(
        permit=permit,
        inspection=inspection,
        number=_number("ZG"),
        items=items.strip(),
        due_at=cast(datetime, due_at),
        issued_by=by,
    )
    record_event(notice, action="issued", actor=by, to_state=notice.status, reason=notice.items)
    record_event(permit, action="notice_issued", actor=by, reason=notice.number)
    if permit.contractor.user_id:
        notify(
            [permit.contractor.user_id],
            subject=notice,
            reason="rectification_notice",
            title=_("整改通知单 %(no)s") % {"no": notice.number},
            body=notice.items,
            url=reverse("decoration:permit", args=[permit.pk]),
            project_id=permit.project_id,
            email=False,
        )
    return notice


@transaction.atomic
def notice_verify(*, notice: RectificationNotice, by: User, note: str = "") -> RectificationNotice:
    """The inspector checks the correction was made (DEC-10)."""
    notice = (
        RectificationNotice.objects.select_for_update().select_related("permit").get(pk=notice.pk)
    )
    _require_staff(by, notice.permit.project_id)
    if notice.status not in OPEN_NOTICES:
        raise InvalidTransition(_("该整改通知单已复查。"))
    before = notice.status
    notice.status = RectificationNotice.Status.RECTIFIED
    notice.verified_by, notice.verified_at, notice.verification_note = (
        by,
        timezone.now(),
        note.strip(),
    )
    notice.save(update_fields=["status", "verified_by", "verified_at", "verification_note"])
    record_event(
        notice, action="rectified", actor=by, from_state=before, to_state=notice.status, reason=note
    )
    return notice


@transaction.atomic
def fine_charge(
    *,
    permit: Permit,
    amount: Any,
    reason: str,
    by: User,
    notice: RectificationNotice | None = None,
) -> Fine:
    """罚款单 (DEC-10): charged into the ledger; paid in cash or settled from the deposit."""
    permit = _locked(permit)
    _require_role(by, FINE_ROLES, _("开具罚款单"), project_id=permit.project_id)
    _require_status(permit, (*ON_SITE, S.ACCEPTED), _("开具罚款单"))
    errors: dict[str, Any] = {}
    try:
        value = rules.parse_amount(amount)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not reason.strip():
        errors["reason"] = _("请写明违规事实。")
    if notice is not None and notice.permit_id != permit.pk:
        errors["notice"] = _("整改通知单不属于该装修。")
    if errors:
        raise ValidationError(errors)
    fine = Fine.objects.create(
        permit=permit,
        number=_number("FK"),
        amount=value,
        reason=reason.strip(),
        notice=notice,
        charged_by=by,
    )
    _entry(
        permit,
        Kind.FINE_CHARGED,
        value,
        by=by,
        receipt_no=fine.number,
        note=reason.strip()[:200],
        fine=fine,
    )
    return fine


def fine_outstanding(fine: Fine) -> Decimal:
    totals = dict(
        LedgerEntry.objects.filter(fine=fine)
        .values("kind")
        .annotate(t=Sum("amount"))
        .values_list("kind", "t")
    )
    return (
        totals.get(Kind.FINE_CHARGED, rules.ZERO)
        - totals.get(Kind.FINE_PAID, rules.ZERO)
        - totals.get(Kind.FINE_DEDUCTED, rules.ZERO)
    )


@transaction.atomic
def fine_pay(*, fine: Fine, receipt_no: str, by: User) -> LedgerEntry:
    """The contractor pays a fine in cash, in full, against a receipt."""
    permit = _locked(fine.permit)
    _require_role(by, CASHIER_ROLES, _("收取罚款"), project_id=permit.project_id)
    receipt = _receipt(receipt_no)
    owed = fine_outstanding(fine)
    if owed <= 0:
        raise InvalidTransition(_("罚款单 %(no)s 已结清。") % {"no": fine.number})
    return _entry(
        permit,
        Kind.FINE_PAID,
        owed,
        by=by,
        receipt_no=receipt,
        note=_("罚款单 %(no)s") % {"no": fine.number},
        fine=fine,
    )


@transaction.atomic
def deduction_record(*, permit: Permit, amount: Any, reason: str, by: User) -> LedgerEntry:
    """Deduct from the deposit for damage found at acceptance (DEC-11), never beyond what
    is held."""
    permit = _locked(permit)
    _require_role(by, ACCEPTANCE_ROLES, _("从押金中扣款"), project_id=permit.project_id)
    _require_status(permit, (S.COMPLETION_APPLIED, S.ACCEPTED), _("扣款"))
    errors: dict[str, Any] = {}
    try:
        value = rules.parse_amount(amount)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not reason.strip():
        errors["reason"] = _("请写明扣款原因。")
    if errors:
        raise ValidationError(errors)
    held = balances(permit).deposit_balance
    if value > held:
        raise ValidationError({"amount": _("扣款不能超过押金余额 %(held)s 元。") % {"held": held}})
    return _entry(permit, Kind.DEDUCTION, value, by=by, note=reason.strip()[:200])


@transaction.atomic
def contractor_expel(*, permit: Permit, reason: str, by: User) -> Permit:
    """Serious misconduct (fighting, abusing guards) expels the contractor (DEC-10)."""
    permit = _locked(permit)
    _require_role(by, EXPEL_ROLES, _("清退装修单位"), project_id=permit.project_id)
    _require_status(permit, ON_SITE, _("清退"))
    if permit.expelled_at:
        raise InvalidTransition(_("该装修单位已被清退。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请写明清退原因。")})
    permit.expelled_at, permit.expel_reason = timezone.now(), reason.strip()
    permit.save(update_fields=["expelled_at", "expel_reason"])
    record_event(permit, action="expelled", actor=by, reason=permit.expel_reason)
    return permit


# --- Completion, acceptance, refund (DEC-11, DEC-12) -----------------------------------


@transaction.atomic
def completion_apply(*, permit: Permit, by: User, lost_passes: Iterable[int] = ()) -> Permit:
    """The contractor applies for acceptance and hands the passes back (DEC-11).

    At the desk every pass still in use is taken back now (deposit refunded if
    in time); passes declared lost forfeit their deposit (DEC-06). Applied for
    online, the passes are handed in at the acceptance at the latest: deposits
    are paid back by staff only, never recorded by the contractor's own login.
    """
    permit = _locked(permit)
    _require_party(by, permit, _("申请竣工验收"))
    _require_status(permit, (S.IN_PROGRESS,), _("申请验收"))
    live = list(
        WorkerPass.objects.select_for_update().filter(
            permit=permit, status=WorkerPass.Status.ISSUED
        )
    )
    lost = set(lost_passes)
    if lost - {p.pk for p in live}:
        raise ValidationError({"lost_passes": _("所列出入证不属于本装修或已退回。")})
    for worker_pass in live:
        worker_pass.permit = permit
        if worker_pass.pk in lost:
            _close_pass(
                worker_pass, WorkerPass.Status.LOST, by=by, refund=False, note=_("竣工时申报遗失")
            )
    if is_project_staff(by, permit.project_id):
        _take_passes_back(permit, [p for p in live if p.pk not in lost], by=by)
    _status(permit, S.COMPLETION_APPLIED, by=by, completion_applied_at=timezone.now())
    _notify_roles(
        permit,
        ACCEPTANCE_ROLES,
        reason="completion_applied",
        title=_("装修竣工待验收：%(unit)s") % {"unit": permit.unit},
        exclude=[by.pk],
    )
    return permit


def _take_passes_back(permit: Permit, passes: Iterable[WorkerPass], *, by: User) -> None:
    """Passes handed in at completion: in time refunds the deposit, late forfeits it (DEC-06)."""
    grace = DecorationSettings.current().pass_return_grace_days
    for worker_pass in passes:
        worker_pass.permit = permit
        in_time = rules.pass_deposit_refundable(worker_pass.expires_on, _today(), grace)
        _close_pass(
            worker_pass,
            WorkerPass.Status.RETURNED if in_time else WorkerPass.Status.FORFEITED,
            by=by,
            refund=in_time,
            note=_("竣工退证"),
        )


@transaction.atomic
def acceptance_decide(
    *,
    permit: Permit,
    by: User,
    passed: bool,
    no_illegal_alterations: bool = True,
    debris_cleared: bool = True,
    note: str = "",
) -> Permit:
    """Acceptance checks no illegal additions or alterations and the debris cleared (DEC-11).

    A failed acceptance sends the permit back to work with the reasons.
    """
    permit = _locked(permit)
    _require_role(by, ACCEPTANCE_ROLES, _("竣工验收"), project_id=permit.project_id)
    _require_status(permit, (S.COMPLETION_APPLIED,), _("验收"))
    if passed:
        if not (no_illegal_alterations and debris_cleared):
            raise ValidationError(
                {"checklist": _("有违规加建改建或装修垃圾未清运，不能验收合格。")}
            )
        if RectificationNotice.objects.filter(permit=permit, status__in=OPEN_NOTICES).exists():
            raise InvalidTransition(_("尚有整改通知单未完成整改复查，不能验收合格。"))
        # Passes not yet handed in (completion applied online) are collected now.
        _take_passes_back(
            permit,
            WorkerPass.objects.select_for_update().filter(
                permit=permit, status=WorkerPass.Status.ISSUED
            ),
            by=by,
        )
        _status(
            permit,
            S.ACCEPTED,
            by=by,
            reason=note.strip(),
            accepted_at=timezone.now(),
            accepted_by=by,
            acceptance_note=note.strip(),
        )
    else:
        if not note.strip():
            raise ValidationError({"note": _("验收不合格须写明原因。")})
        _status(permit, S.IN_PROGRESS, by=by, reason=note.strip(), acceptance_note=note.strip())
    return permit


@transaction.atomic
def receipt_lost_record(*, permit: Permit, by: User, note: str = "") -> Permit:
    """The deposit receipt is reported lost: the refund is blocked (DEC-11)."""
    permit = _locked(permit)
    _require_staff(by, permit.project_id)
    if permit.deposit_receipt_lost:
        raise InvalidTransition(_("已登记押金收据遗失。"))
    if permit.status in (S.CLOSED, S.CANCELLED):
        raise InvalidTransition(_("该装修已结案。"))
    permit.deposit_receipt_lost = True
    permit.save(update_fields=["deposit_receipt_lost"])
    record_event(permit, action="receipt_lost", actor=by, reason=note)
    return permit


@transaction.atomic
def deposit_refund(
    *, permit: Permit, receipt_no: str, by: User
) -> tuple[LedgerEntry, rules.RefundPlan]:
    """Refund the deposit once, against its receipt; unpaid fines are settled from it first
    (DEC-11, DEC-12).

    The permit row is locked, and a partial unique index allows one refund
    entry per permit: two desks refunding at once get one refund and one 409.
    """
    permit = _locked(permit)
    _require_role(by, CASHIER_ROLES, _("退还装修押金"), project_id=permit.project_id)
    if permit.status == S.CLOSED:
        raise InvalidTransition(_("押金已退还，不能重复退款。"))
    _require_status(permit, (S.ACCEPTED,), _("退押金（须验收合格）"))
    if permit.deposit_receipt_lost:
        raise InvalidTransition(_("押金收据已登记遗失，按规定不予办理退款。"))
    receipt = _receipt(receipt_no)
    if receipt.upper() != deposit_receipt(permit).strip().upper():
        raise ValidationError({"receipt_no": _("收据号与收取押金时的收据不符，请凭押金收据办理。")})
    plan = rules.refund_plan(balances(permit))
    left = plan.fines_deducted
    for fine in Fine.objects.filter(permit=permit).order_by("charged_at", "id"):
        if left <= 0:
            break
        owed = fine_outstanding(fine)
        if owed <= 0:
            continue
        take = min(owed, left)
        _entry(
            permit,
            Kind.FINE_DEDUCTED,
            take,
            by=by,
            receipt_no=fine.number,
            note=_("罚款单 %(no)s 从押金中扣除") % {"no": fine.number},
            fine=fine,
        )
        left -= take
    try:
        with transaction.atomic():
            entry = _entry(
                permit,
                Kind.DEPOSIT_REFUNDED,
                plan.refund,
                by=by,
                receipt_no=receipt,
                note=_("退还装修押金"),
            )
    except IntegrityError as exc:
        raise InvalidTransition(_("押金已退还，不能重复退款。")) from exc
    _status(permit, S.CLOSED, by=by, reason=str(plan.refund), closed_at=timezone.now())
    return entry, plan


# --- Notices to other owners (DEC-13) ----------------------------------------------


def earliest_work_start(issued_at: datetime) -> date:
    """DEC-13: work may start on the N-th working day after the notice's date, no sooner."""
    due = business_calendar().add_working_days(
        issued_at, DecorationSettings.current().notice_working_days
    )
    return due.at.date()


@transaction.atomic
def construction_notice_draft(
    *,
    project: Project,
    title: str,
    body: str,
    work_starts_on: date | None,
    work_ends_on: date | None,
    by: User,
    permit: Permit | None = None,
    building: Building | None = None,
) -> ConstructionNotice:
    _require_staff(by, project.pk)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("请填写标题。")
    if not body.strip():
        errors["body"] = _("请填写通告内容。")
    if work_starts_on is None:
        errors["work_starts_on"] = _("请填写施工开始日期。")
    if work_ends_on is None:
        errors["work_ends_on"] = _("请填写施工结束日期。")
    elif work_starts_on is not None and work_ends_on < work_starts_on:
        errors["work_ends_on"] = _("结束日期不能早于开始日期。")
    if work_starts_on is not None and work_starts_on < earliest_work_start(timezone.now()):
        errors["work_starts_on"] = _(
            "影响其他业主的施工须提前 %(n)s 个工作日通知，最早可于 %(d)s 开工。"
        ) % {
            "n": DecorationSettings.current().notice_working_days,
            "d": earliest_work_start(timezone.now()),
        }
    if permit is not None and permit.project_id != project.pk:
        errors["permit"] = _("装修申请不属于本项目。")
    if building is not None and building.project_id != project.pk:
        errors["building"] = _("楼栋不属于本项目。")
    if errors:
        raise ValidationError(errors)
    notice = ConstructionNotice.objects.create(
        project=project,
        permit=permit,
        building=building,
        number=_number("TG"),
        title=title.strip()[:100],
        body=body.strip(),
        work_starts_on=cast(date, work_starts_on),
        work_ends_on=cast(date, work_ends_on),
        drafted_by=by,
    )
    record_event(notice, action="drafted", actor=by, to_state=notice.status, reason=notice.title)
    return notice


def _too_late(notice: ConstructionNotice) -> str | None:
    earliest = earliest_work_start(timezone.now())
    if notice.work_starts_on < earliest:
        return _("施工 %(start)s 开始，已不足 %(n)s 个工作日，不能发布；请改期（最早 %(d)s）。") % {
            "start": notice.work_starts_on,
            "n": DecorationSettings.current().notice_working_days,
            "d": earliest,
        }
    return None


@transaction.atomic
def construction_notice_approve(*, notice: ConstructionNotice, by: User) -> ConstructionNotice:
    """An authorized person other than the drafter approves the notice (DEC-13, ORG-04)."""
    notice = ConstructionNotice.objects.select_for_update().get(pk=notice.pk)
    _require_role(by, NOTICE_APPROVER_ROLES, _("审核施工通告"), project_id=notice.project_id)
    ensure_not_self_approval(requested_by=notice.drafted_by, approver=by)
    if notice.status != ConstructionNotice.Status.DRAFT:
        raise InvalidTransition(_("该通告不在待审核状态。"))
    late = _too_late(notice)
    if late:
        raise InvalidTransition(late)
    notice.status, notice.approved_by, notice.approved_at = (
        ConstructionNotice.Status.APPROVED,
        by,
        timezone.now(),
    )
    notice.save(update_fields=["status", "approved_by", "approved_at"])
    record_event(notice, action="approved", actor=by, from_state="draft", to_state="approved")
    return notice


@transaction.atomic
def construction_notice_issue(*, notice: ConstructionNotice, by: User) -> ConstructionNotice:
    """Publish an approved notice to every resident concerned, still ≥ 3 working days
    ahead (DEC-13)."""
    notice = ConstructionNotice.objects.select_for_update().get(pk=notice.pk)
    _require_staff(by, notice.project_id)
    if notice.status != ConstructionNotice.Status.APPROVED:
        raise InvalidTransition(_("通告须经审核批准后方可发布。"))
    late = _too_late(notice)
    if late:
        raise InvalidTransition(late)
    residents = Resident.objects.filter(
        unit__project_id=notice.project_id, is_active=True, user__isnull=False
    )
    if notice.building_id:
        residents = residents.filter(unit__building_id=notice.building_id)
    recipients = set(residents.values_list("user_id", flat=True))
    notify(
        recipients,
        subject=notice,
        reason="construction_notice",
        title=notice.title,
        body=notice.body,
        url=reverse("decoration:notice", args=[notice.pk]),
        project_id=notice.project_id,
        email=False,
    )
    notice.status, notice.issued_at, notice.recipients = (
        ConstructionNotice.Status.ISSUED,
        timezone.now(),
        len(recipients),
    )
    notice.save(update_fields=["status", "issued_at", "recipients"])
    record_event(
        notice,
        action="issued",
        actor=by,
        from_state="approved",
        to_state="issued",
        data={"recipients": len(recipients)},
    )
    return notice


@transaction.atomic
def construction_notice_withdraw(
    *, notice: ConstructionNotice, by: User, reason: str
) -> ConstructionNotice:
    notice = ConstructionNotice.objects.select_for_update().get(pk=notice.pk)
    _require_staff(by, notice.project_id)
    if notice.status == ConstructionNotice.Status.WITHDRAWN:
        raise InvalidTransition(_("该通告已撤回。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写撤回原因。")})
    before = notice.status
    notice.status = ConstructionNotice.Status.WITHDRAWN
    notice.save(update_fields=["status"])
    record_event(
        notice,
        action="withdrawn",
        actor=by,
        from_state=before,
        to_state=notice.status,
        reason=reason,
    )
    return notice
