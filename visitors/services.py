"""Writes of the visitor desk: the only code that changes a visit (VIS-01..07)."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.events import record_event
from servicedesk.core.models import Project, Resident, Role, Unit
from servicedesk.core.numbering import next_value
from servicedesk.core.scoping import scope_queryset, viewer_for
from servicedesk.notifications.services import users_with_role
from servicedesk.security import audit
from servicedesk.security.models import AuditEntry
from servicedesk.workcal.calendar import business_calendar
from visitors import identity
from visitors.models import Amendment, BlacklistEntry, IdReveal, PreRegistration, Visit

Status = Visit.Status
# Who may see a full ID number (VIS-07).
REVEAL_ROLES = (Role.SUPERVISOR, Role.MANAGER, Role.DUTY_MANAGER)


def may_reveal(user: User | AnonymousUser) -> bool:
    """Return whether ``user`` may ask to see full ID numbers (VIS-07)."""
    viewer = viewer_for(user)
    return viewer.is_superuser or viewer.has_role(*REVEAL_ROLES)


# Fields a correction may change (VIS-06); the ID number itself is re-registered.
AMENDABLE = ("visitor_name", "phone", "people_count", "vehicle_plate", "purpose", "host_name")


class InvalidTransition(Exception):
    """The visit's current state does not allow the action (API: 409)."""


def night_duty_manager(project: Project, clerk: User, at: datetime) -> User:
    """Return who registers a visit made at ``at`` (VIS-05, CAL-06).

    By day, the clerk. In the night window, the duty manager: the clerk if they
    are one, else the project's duty manager who logged in last (the one on
    shift). With no duty manager on record the clerk stays responsible rather
    than turning a visitor away.
    """
    if not business_calendar().is_night(at):
        return clerk
    managers = users_with_role(Role.DUTY_MANAGER, project_id=project.pk)
    if managers.filter(pk=clerk.pk).exists():
        return clerk
    on_shift = managers.order_by("-last_login", "pk").first()
    return on_shift or clerk


def slip_number(project: Project, at: datetime) -> str:
    """Return the next 《访客登记单》 serial: FK-<project>-<local date>-<n>."""
    day = timezone.localtime(at).strftime("%Y%m%d")
    key = f"FK-{project.code}-{day}"
    return f"{key}-{next_value(key):04d}"


@transaction.atomic
def visit_register(
    *,
    project: Project,
    visitor_name: str,
    id_type: str,
    id_number: str,
    purpose: str,
    by: User,
    host_unit: Unit | None = None,
    host_resident: Resident | None = None,
    host_name: str = "",
    host_department: str = "",
    host_position: str = "",
    phone: str = "",
    people_count: int = 1,
    vehicle_plate: str = "",
    pre_registration: PreRegistration | None = None,
) -> Visit:
    """Register a visitor after checking the document and the blacklist (VIS-01, VIS-02).

    A guest pre-registered by the host needs only the identity check: the visit
    starts inside with the host's consent given in advance (VIS-03).
    """
    errors: dict[str, list[str]] = {}
    try:
        number = identity.validate_document(id_type, id_number)
    except ValidationError as exc:
        errors["id_number"] = exc.messages
    if host_unit is None and not (host_name and host_department):
        errors["host_unit"] = [_("请填写被访房号，或被访人姓名及部门。")]
    if host_unit is not None and host_unit.project_id != project.pk:
        errors["host_unit"] = [_("被访房号不属于该管理项目。")]
    if host_resident is not None and host_resident.unit_id != getattr(host_unit, "pk", None):
        errors["host_resident"] = [_("被访住户不在该房号。")]
    if not visitor_name.strip():
        errors["visitor_name"] = [_("请填写访客姓名。")]
    if not purpose.strip():
        errors["purpose"] = [_("请填写来访事由。")]
    if people_count < 1:
        errors["people_count"] = [_("人数至少为 1。")]
    if pre_registration is not None and (
        pre_registration.used_by_id is not None
        or pre_registration.host_unit_id != getattr(host_unit, "pk", None)
        or pre_registration.expected_on != timezone.localdate()
    ):
        errors["pre_registration"] = [_("该预约已使用、不是今天或不是该房号的预约。")]
    if errors:
        raise ValidationError(errors)
    id_hash = identity.lookup_hash(id_type, number)
    banned = BlacklistEntry.objects.filter(project=project, id_hash=id_hash, is_active=True).first()
    if banned is not None:
        raise ValidationError({"id_number": [_("该证件在黑名单中：%s") % banned.reason]})
    now = timezone.now()
    visit = Visit(
        project=project,
        slip_number=slip_number(project, now),
        visitor_name=visitor_name.strip(),
        id_type=id_type,
        id_number_encrypted=identity.encrypt(number),
        id_hash=id_hash,
        id_number_masked=identity.mask(number),
        phone=phone,
        people_count=people_count,
        vehicle_plate=vehicle_plate.strip().upper(),
        host_unit=host_unit,
        host_resident=host_resident,
        host_name=host_name or (host_resident.name if host_resident else ""),
        host_department=host_department,
        host_position=host_position,
        purpose=purpose.strip(),
        registered_by=night_duty_manager(project, by, now),
        entered_by=by,
        registered_at=now,
    )
    if pre_registration is not None:
        visit.status = Status.INSIDE
        visit.consent_method = Visit.ConsentMethod.PRE_REGISTERED
        visit.consent_at = pre_registration.created_at
        visit.entered_at = now
        visit.pre_registered_by = pre_registration.created_by
    visit.save()
    if pre_registration is not None:
        pre_registration.used_by = visit
        pre_registration.save(update_fields=["used_by"])
    record_event(visit, action="registered", actor=by, to_state=visit.status)
    return visit


def _locked(visit: Visit) -> Visit:
    return Visit.objects.select_for_update().get(pk=visit.pk)


@transaction.atomic
def visit_consent(
    *,
    visit: Visit,
    by: User,
    granted: bool,
    method: str = Visit.ConsentMethod.PHONE,
    note: str = "",
) -> Visit:
    """Record the host's answer: consent issues the slip and lets the visitor in, a
    refusal means no entry and is recorded (VIS-03)."""
    visit = _locked(visit)
    if visit.status != Status.PENDING:
        raise InvalidTransition(_("该登记已有被访人答复。"))
    # Advance consent comes only from a pre-registration, never from the desk.
    if method not in Visit.ConsentMethod.values or method == Visit.ConsentMethod.PRE_REGISTERED:
        raise ValidationError({"method": [_("联系方式无效。")]})
    if not granted and not note.strip():
        raise ValidationError({"note": [_("请记录被访人拒绝的说明。")]})
    now = timezone.now()
    old = visit.status
    visit.status = Status.INSIDE if granted else Status.REFUSED
    visit.consent_method, visit.consent_note, visit.consent_at = method, note, now
    if granted:
        visit.entered_at = now
    visit.save(
        update_fields=["status", "consent_method", "consent_note", "consent_at", "entered_at"]
    )
    record_event(
        visit, action="consent", actor=by, from_state=old, to_state=visit.status, reason=note
    )
    return visit


@transaction.atomic
def visit_sign_out(*, visit: Visit, by: User, host_signed: bool = True) -> Visit:
    """The visitor hands the signed slip back and leaves (VIS-04)."""
    visit = _locked(visit)
    if visit.status != Status.INSIDE:
        if visit.status == Status.LEFT:
            raise InvalidTransition(
                _("该访客已于 %s 离开。") % timezone.localtime(visit.left_at).strftime("%H:%M")
            )
        raise InvalidTransition(_("访客未进入，无需离开登记。"))
    now = timezone.now()
    visit.status, visit.left_at, visit.host_signed = Status.LEFT, now, host_signed
    visit.save(update_fields=["status", "left_at", "host_signed"])
    record_event(
        visit,
        action="signed_out",
        actor=by,
        from_state=Status.INSIDE,
        to_state=Status.LEFT,
        data={"host_signed": host_signed},
    )
    return visit


@transaction.atomic
def visit_amend(*, visit: Visit, by: User, field: str, new_value: str, reason: str) -> Amendment:
    """Append a correction (VIS-06): the entry itself is never overwritten."""
    if field not in AMENDABLE:
        raise ValidationError({"field": [_("该栏目不能更正。")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写更正原因。")]})
    new_value = new_value.strip()
    if field == "people_count" and not (new_value.isdigit() and int(new_value) >= 1):
        raise ValidationError({"new_value": [_("人数应为不小于 1 的整数。")]})
    if field in ("visitor_name", "purpose") and not new_value:
        raise ValidationError({"new_value": [_("更正内容不能为空。")]})
    visit = _locked(visit)
    amendment = Amendment.objects.create(
        visit=visit,
        field=field,
        old_value=str(current_value(visit, field)),
        new_value=new_value,
        reason=reason,
        by=by,
    )
    record_event(
        visit,
        action="amended",
        actor=by,
        from_state=amendment.old_value,
        to_state=new_value,
        reason=reason,
        data={"field": field},
    )
    return amendment


def current_value(visit: Visit, field: str) -> str:
    """Return the field as last corrected, as text (the latest amendment wins)."""
    latest = [a for a in visit.amendments.all() if a.field == field]
    return latest[-1].new_value if latest else str(getattr(visit, field))


@transaction.atomic
def id_reveal(*, visit: Visit, by: User, reason: str) -> str:
    """Return the full ID number to an authorised person, logging who, when, why (VIS-07)."""
    in_scope = scope_queryset(Visit.objects.filter(pk=visit.pk), by).exists()
    if not in_scope or not may_reveal(by):
        raise PermissionDenied(_("只有主管、经理和物业总值可以查看完整证件号。"))
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写查看原因。")]})
    if visit.id_purged_at is not None or not visit.id_number_encrypted:
        raise InvalidTransition(_("该证件号已按保留期限清除。"))
    IdReveal.objects.create(visit=visit, by=by, reason=reason)
    record_event(visit, action="id_revealed", actor=by, reason=reason)
    audit.record(
        AuditEntry.Kind.REVEAL,
        actor_id=by.pk,
        what=f"visitors.visit #{visit.pk}",
        detail={"reason": reason},
    )
    return identity.decrypt(visit.id_number_encrypted)


@transaction.atomic
def blacklist_add(
    *, project: Project, id_type: str, id_number: str, name: str, reason: str, by: User
) -> BlacklistEntry:
    number = identity.validate_document(id_type, id_number)
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写列入黑名单的原因。")]})
    return BlacklistEntry.objects.create(
        project=project,
        id_type=id_type,
        id_hash=identity.lookup_hash(id_type, number),
        id_number_masked=identity.mask(number),
        name=name,
        reason=reason,
        added_by=by,
    )


@transaction.atomic
def pre_register(
    *,
    resident: Resident,
    by: User,
    guest_name: str,
    expected_on: date,
    note: str = "",
) -> PreRegistration:
    """A resident announces a guest in the portal: consent given in advance (VIS-03)."""
    if expected_on < timezone.localdate():
        raise ValidationError({"expected_on": [_("预计来访日期不能早于今天。")]})
    if not guest_name.strip():
        raise ValidationError({"guest_name": [_("请填写访客姓名。")]})
    return PreRegistration.objects.create(
        project_id=resident.unit.project_id,
        host_unit=resident.unit,
        host_resident=resident,
        created_by=by,
        guest_name=guest_name.strip(),
        expected_on=expected_on,
        note=note,
    )
