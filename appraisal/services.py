"""Writes of the appraisal: the only code that changes criteria, assessments,
suggestions and training results (APR-01..09, ORG-05).

Who may do what (APR-07): a manager appraises the people of their own
department (never themselves); supervisors also run weekly, monthly and spot
checks; the general manager may appraise anyone but themselves; staff see
their own records and acknowledge them; the quality department owns the
criteria.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal import rules
from appraisal.models import (
    CHECK_KINDS,
    AppraisalSettings,
    Assessment,
    AssessmentContent,
    CriteriaSet,
    Deduction,
    Dimension,
    Item,
    Kind,
    Penalty,
    StaffLevel,
    Suggestion,
    TrainingResult,
)
from servicedesk.core.events import record_event
from servicedesk.core.models import COMPANY_WIDE_ROLES, Role, StaffProfile, StaffRole
from servicedesk.core.scoping import viewer_for
from servicedesk.notifications.services import notify


class InvalidTransition(Exception):
    """The record's current state does not allow the action (API: 409)."""


APPRAISER_ROLES = (Role.MANAGER,)  # APR-07: the manager runs the appraisals
CHECKER_ROLES = (Role.MANAGER, Role.SUPERVISOR)  # weekly, monthly and spot checks
CRITERIA_ROLES = (Role.QUALITY,)  # APR-07: rule interpretation belongs to quality
# People appraised only by the general manager (APR-07: the manager runs the appraisal).
MANAGER_ROLES = frozenset({Role.MANAGER, Role.GENERAL_MANAGER})
MANAGEMENT_ROLES = frozenset(
    {Role.SUPERVISOR, Role.MANAGER, Role.DUTY_MANAGER, Role.QUALITY, Role.GENERAL_MANAGER}
)


# --- Who sees and does what (APR-07) ----------------------------------------------


def _profile(user: User | AnonymousUser) -> StaffProfile | None:
    return getattr(user, "staff_profile", None) if user.is_authenticated else None


def sees_everyone(user: User | AnonymousUser) -> bool:
    viewer = viewer_for(user)
    return viewer.is_superuser or bool(viewer.roles & COMPANY_WIDE_ROLES)


def visible_staff(user: User | AnonymousUser) -> QuerySet[StaffProfile]:
    """The people whose appraisal records ``user`` may see (APR-07): everyone for
    the general manager; their department (less its managers) for managers and
    supervisors; else themselves."""
    staff = StaffProfile.objects.all()
    if sees_everyone(user):
        return staff
    profile = _profile(user)
    viewer = viewer_for(user)
    if profile is None or not viewer.is_staff_member:
        return staff.none()
    if viewer.has_role(*CHECKER_ROLES) and profile.department_id is not None:
        # The department's people — not its managers, whom the general manager
        # appraises — and oneself.
        colleagues = staff.filter(department_id=profile.department_id).exclude(
            role_assignments__role__in=MANAGER_ROLES
        )
        # (The role exclusion is a NOT IN subquery, not a join: no duplicate rows,
        # so no DISTINCT, which would sort every row before a page is cut.)
        return colleagues | staff.filter(pk=profile.pk)
    return staff.filter(pk=profile.pk)


def visible_assessments(user: User | AnonymousUser) -> QuerySet[Assessment]:
    """Assessments ``user`` may see, by the rule of ``visible_staff`` — the one
    place pages, API, exports and PDFs of the appraisal filter through."""
    assessments = Assessment.objects.all()
    if sees_everyone(user):
        return assessments
    profile = _profile(user)
    viewer = viewer_for(user)
    if profile is None or not viewer.is_staff_member:
        return assessments.none()
    if viewer.has_role(*CHECKER_ROLES) and profile.department_id is not None:
        # Records made in their department, and their own wherever they were
        # made — but not the appraisals of the department's managers, which are
        # the general manager's business.
        department = (
            Q(department_id=profile.department_id)
            & ~Q(staff__role_assignments__role__in=MANAGER_ROLES)
            & ~Q(staff=profile)
        )
        return assessments.filter(department | _own_finished(profile))
    return assessments.filter(_own_finished(profile))


def _own_finished(profile: StaffProfile) -> Q:
    """One's own records once finalised: a draft is the assessor's until then."""
    return Q(staff=profile) & ~Q(status=Assessment.Status.DRAFT)


def may_assess(user: User | AnonymousUser, staff: StaffProfile, kind: str) -> str | None:
    """Return why ``user`` may not assess ``staff`` with ``kind``, or None (APR-07)."""
    return _why_not_assess(
        user,
        staff,
        kind,
        is_manager=lambda: bool({a.role for a in staff.role_assignments.all()} & MANAGER_ROLES),
    )


def may_assess_each(
    user: User | AnonymousUser, people: Iterable[StaffProfile], kind: str
) -> dict[int, str | None]:
    """``may_assess`` for many people (the dashboard's rows), by person id: one
    query tells which of them are managers, instead of each person's roles."""
    people = list(people)
    managers = set(
        StaffRole.objects.filter(
            staff_id__in=[p.pk for p in people], role__in=MANAGER_ROLES
        ).values_list("staff_id", flat=True)
    )
    return {
        p.pk: _why_not_assess(user, p, kind, is_manager=partial(managers.__contains__, p.pk))
        for p in people
    }


def _why_not_assess(
    user: User | AnonymousUser, staff: StaffProfile, kind: str, *, is_manager: Callable[[], bool]
) -> str | None:
    """The rule of ``may_assess``; ``is_manager`` is asked last, only if it matters."""
    profile = _profile(user)
    if profile is not None and profile.pk == staff.pk:
        return _("不能考核本人。")
    viewer = viewer_for(user)
    if viewer.is_superuser or viewer.has_role(Role.GENERAL_MANAGER):
        return None
    roles = CHECKER_ROLES if kind in CHECK_KINDS else APPRAISER_ROLES
    if not viewer.has_role(*roles):
        labels = "、".join(str(Role(r).label) for r in roles)
        return _("只有%(roles)s可以进行%(kind)s。") % {
            "roles": labels,
            "kind": Kind(kind).label,
        }
    if (
        profile is None
        or profile.department_id is None
        or (profile.department_id != staff.department_id)
    ):
        return _("只能考核本部门员工。")
    # A department's manager is appraised from above, by the general manager.
    if is_manager():
        return _("部门经理由总经理考核。")
    return None


def _require_assessor(user: User, staff: StaffProfile, kind: str) -> None:
    why = may_assess(user, staff, kind)
    if why:
        raise PermissionDenied(why)


# --- Criteria (APR-01, APR-03) ------------------------------------------------------


def criteria_problems(criteria_set: CriteriaSet) -> list[str]:
    dims = {d.code: d.max_points for d in criteria_set.dimensions.all()}
    items = [
        (i.dimension.code, i.max_points)
        for i in Item.objects.filter(dimension__criteria_set=criteria_set).select_related(
            "dimension"
        )
    ]
    return rules.criteria_errors(dims, items)


@transaction.atomic
def criteria_publish(*, criteria_set: CriteriaSet, by: User) -> CriteriaSet:
    """Put a draft version in force, retiring the one it replaces (APR-01)."""
    viewer = viewer_for(by)
    if not (viewer.is_superuser or viewer.has_role(*CRITERIA_ROLES)):
        raise PermissionDenied(_("考核标准由品质部制定和发布。"))
    criteria_set = CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)
    if criteria_set.status != CriteriaSet.Status.DRAFT:
        raise InvalidTransition(_("只能发布草稿版本。"))
    problems = criteria_problems(criteria_set)
    if problems:
        raise ValidationError(
            {"criteria_set": _("考核标准分值不正确：%(p)s") % {"p": "；".join(problems)}}
        )
    for old in CriteriaSet.objects.select_for_update().filter(
        staff_level=criteria_set.staff_level,
        test_type=criteria_set.test_type,
        status=CriteriaSet.Status.PUBLISHED,
    ):
        old.status = CriteriaSet.Status.RETIRED
        old.save(update_fields=["status"])
        record_event(
            old,
            action="retired",
            actor=by,
            from_state="published",
            to_state="retired",
            data={"replaced_by_version": criteria_set.version},
        )
    criteria_set.status = CriteriaSet.Status.PUBLISHED
    criteria_set.published_at = timezone.now()
    criteria_set.published_by = by
    criteria_set.save(update_fields=["status", "published_at", "published_by"])
    record_event(criteria_set, action="published", actor=by, to_state="published")
    return criteria_set


@transaction.atomic
def criteria_new_version(*, criteria_set: CriteriaSet, by: User) -> CriteriaSet:
    """Copy a version into a new draft to edit; the old one stays as it was (APR-01)."""
    viewer = viewer_for(by)
    if not (viewer.is_superuser or viewer.has_role(*CRITERIA_ROLES)):
        raise PermissionDenied(_("考核标准由品质部制定和发布。"))
    latest = (
        CriteriaSet.objects.filter(
            staff_level=criteria_set.staff_level, test_type=criteria_set.test_type
        )
        .order_by("-version")
        .first()
    )
    try:
        with transaction.atomic():
            draft = CriteriaSet.objects.create(
                name=criteria_set.name,
                staff_level=criteria_set.staff_level,
                test_type=criteria_set.test_type,
                version=(latest.version if latest else 0) + 1,
                previous=criteria_set,
            )
    except IntegrityError as exc:  # someone made the same version a moment ago
        raise InvalidTransition(_("新版本刚被他人创建，请刷新后重试。")) from exc
    for dim in criteria_set.dimensions.prefetch_related("items"):
        new_dim = Dimension.objects.create(
            criteria_set=draft, code=dim.code, max_points=dim.max_points, order=dim.order
        )
        Item.objects.bulk_create(
            Item(
                dimension=new_dim,
                code=i.code,
                name=i.name,
                max_points=i.max_points,
                standards=i.standards,
                order=i.order,
            )
            for i in dim.items.all()
        )
    record_event(draft, action="drafted", actor=by, data={"from_version": criteria_set.version})
    return draft


def staff_level_of(staff: StaffProfile) -> str:
    """Management staff hold a management role; everyone else is operational (APR-03)."""
    roles = {a.role for a in staff.role_assignments.all()}
    return StaffLevel.MANAGEMENT if roles & MANAGEMENT_ROLES else StaffLevel.OPERATIONAL


def criteria_in_force(staff_level: str, test_type: str) -> CriteriaSet:
    found = CriteriaSet.objects.filter(
        staff_level=staff_level, test_type=test_type, status=CriteriaSet.Status.PUBLISHED
    ).first()
    if found is None:
        raise ValidationError({"criteria_set": _("没有已发布的考核标准，请联系品质部。")})
    return found


# --- Assessments (APR-02, APR-03, APR-05, APR-06) --------------------------------------


def normalise_period(kind: str, period: date) -> date:
    """Weekly → that week's Monday; monthly kinds → the 1st; year-end → 1 January."""
    if kind == Kind.WEEKLY:
        return period - timedelta(days=period.weekday())
    if kind in (Kind.MONTHLY, Kind.MONTHLY_CHECK):
        return period.replace(day=1)
    if kind == Kind.YEAR_END:
        return period.replace(month=1, day=1)
    return period


@transaction.atomic
def assessment_create(
    *,
    staff: StaffProfile,
    kind: str,
    period: date,
    by: User,
    test_type: str = AssessmentContent.SKILL,
    criteria_set: CriteriaSet | None = None,
) -> Assessment:
    """Open a draft check or appraisal against the criteria in force (APR-03)."""
    if kind not in Kind.values:
        raise ValidationError({"kind": _("考核类型无效。")})
    _require_assessor(by, staff, kind)
    if criteria_set is None:
        criteria_set = criteria_in_force(staff_level_of(staff), test_type)
    elif criteria_set.status != CriteriaSet.Status.PUBLISHED:
        raise ValidationError({"criteria_set": _("只能按已发布的考核标准考核。")})
    period = normalise_period(kind, period)
    today = timezone.localdate()
    if (kind == Kind.YEAR_END and period.year > today.year) or (
        kind != Kind.YEAR_END and period > today
    ):
        raise ValidationError({"period": _("考核期间不能在将来。")})
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                staff=staff,
                department_id=staff.department_id,
                kind=kind,
                period=period,
                criteria_set=criteria_set,
                assessor=by,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {
                "period": _("%(staff)s 该期间的%(kind)s已存在。")
                % {"staff": staff.name, "kind": Kind(kind).label}
            }
        ) from exc
    _store_scores(assessment)
    record_event(assessment, action="created", actor=by, to_state=assessment.status)
    return assessment


@dataclass(frozen=True)
class DeductionInput:
    item: str  # item code, e.g. "de2"
    points: Decimal
    reason: str
    standard: str = ""
    is_other: bool = False
    suggestion_id: int | None = None


def parse_deductions(raw: Iterable[Mapping[str, Any]]) -> list[DeductionInput]:
    """Turn API/form rows into inputs; errors name the row (``deductions``)."""
    rows = []
    for n, row in enumerate(raw, start=1):
        try:
            points = Decimal(str(row.get("points", "")))
            if not points.is_finite():
                raise ValueError(points)
        except (InvalidOperation, ValueError):
            raise ValidationError(
                {"deductions": _("第 %(n)d 行：扣分须为数字。") % {"n": n}}
            ) from None
        rows.append(
            DeductionInput(
                item=str(row.get("item", "")).strip(),
                points=points,
                reason=str(row.get("reason", "")).strip(),
                standard=str(row.get("standard", "") or "").strip(),
                is_other=bool(row.get("is_other", False)),
                suggestion_id=row.get("suggestion_id"),
            )
        )
    return rows


def _validate_deductions(
    assessment: Assessment, deductions: list[DeductionInput]
) -> dict[str, Item]:
    items = {
        i.code: i
        for i in Item.objects.filter(
            dimension__criteria_set=assessment.criteria_set
        ).select_related("dimension")
    }
    problems = []
    for n, d in enumerate(deductions, start=1):
        item = items.get(d.item)
        if item is None:
            problems.append(_("第 %(n)d 行：考核项目“%(item)s”不存在。") % {"n": n, "item": d.item})
            continue
        if d.points <= 0 or d.points != d.points.quantize(rules.TWO_PLACES):
            problems.append(_("第 %(n)d 行：扣分须为正数，最多两位小数。") % {"n": n})
        elif d.points > item.max_points:
            problems.append(
                _("第 %(n)d 行：扣分不能超过该项满分 %(max)s。") % {"n": n, "max": item.max_points}
            )
        if not d.reason:
            problems.append(_("第 %(n)d 行：请填写扣分原因。") % {"n": n})
        if not d.is_other and not d.standard:
            problems.append(
                _("第 %(n)d 行：请注明依据的检查标准，标准未列明的请选“其它”。") % {"n": n}
            )
    if problems:
        raise ValidationError({"deductions": problems})
    return items


def _validate_bonus(bonus: Decimal, reason: str) -> None:
    limit = AppraisalSettings.current().bonus_max
    if bonus < 0 or bonus > limit or (0 < bonus < 1):
        raise ValidationError({"bonus": _("嘉奖加分为 0，或 1 至 %(max)s 分。") % {"max": limit}})
    if bonus > 0 and not reason.strip():
        raise ValidationError({"bonus_reason": _("嘉奖加分须注明依据的奖励事由。")})


def _store_scores(assessment: Assessment) -> rules.Scores:
    items = [
        rules.ItemSpec(code, dim, max_points)
        for code, dim, max_points in Item.objects.filter(
            dimension__criteria_set=assessment.criteria_set_id
        ).values_list("code", "dimension__code", "max_points")
    ]
    taken = list(assessment.deductions.values_list("item__code", "points"))
    scores = rules.score(items, taken, assessment.bonus)
    for code in rules.DIMENSION_CODES:
        setattr(assessment, code, scores.dimensions[code])
    assessment.total = scores.total
    assessment.save(update_fields=[*rules.DIMENSION_CODES, "total"])
    return scores


def _locked(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().select_related("staff").get(pk=assessment.pk)


@transaction.atomic
def assessment_save(
    *,
    assessment: Assessment,
    deductions: Iterable[DeductionInput],
    by: User,
    bonus: Decimal = Decimal(0),
    bonus_reason: str = "",
    comment: str = "",
) -> Assessment:
    """Replace a draft's deductions, bonus and comment; the scores follow (APR-02, APR-05).

    The event log keeps every saved version of the deduction list, so nothing
    typed is lost even in a draft.
    """
    assessment = _locked(assessment)
    _require_assessor(by, assessment.staff, assessment.kind)
    if assessment.status != Assessment.Status.DRAFT:
        raise InvalidTransition(_("考核记录已定稿，不能修改；如需更正请先退回。"))
    # Deductions accepted from suggestions are kept: they change only through
    # ``suggestion_decide``; a row sent back with its suggestion is not doubled.
    kept = set(
        assessment.deductions.filter(suggestion__isnull=False).values_list(
            "suggestion_id", flat=True
        )
    )
    rows = [d for d in deductions if d.suggestion_id is None or d.suggestion_id not in kept]
    items = _validate_deductions(assessment, rows)
    _validate_bonus(bonus, bonus_reason)
    suggestions = {
        s.pk: s
        for s in Suggestion.objects.filter(
            pk__in=[d.suggestion_id for d in rows if d.suggestion_id], staff=assessment.staff
        )
    }
    assessment.deductions.filter(suggestion__isnull=True).delete()
    Deduction.objects.bulk_create(
        Deduction(
            assessment=assessment,
            item=items[d.item],
            points=d.points,
            reason=d.reason,
            standard=d.standard if not d.is_other else (d.standard or _("其它")),
            is_other=d.is_other,
            suggestion=suggestions.get(d.suggestion_id) if d.suggestion_id else None,
        )
        for d in rows
    )
    assessment.bonus = bonus
    assessment.bonus_reason = bonus_reason.strip()
    assessment.comment = comment.strip()
    assessment.save(update_fields=["bonus", "bonus_reason", "comment"])
    scores = _store_scores(assessment)
    record_event(
        assessment,
        action="saved",
        actor=by,
        data={
            "deductions": [
                {
                    "item": d.item,
                    "points": str(d.points),
                    "reason": d.reason,
                    "standard": d.standard,
                }
                for d in rows
            ],
            "bonus": str(bonus),
            "total": str(scores.total),
        },
    )
    return assessment


@transaction.atomic
def penalty_add(*, assessment: Assessment, measure: str, description: str, by: User) -> Penalty:
    """APR-06: besides the points deducted in the form, record the administrative penalty."""
    assessment = _locked(assessment)
    _require_assessor(by, assessment.staff, assessment.kind)
    if assessment.status != Assessment.Status.DRAFT:
        raise InvalidTransition(_("考核记录已定稿，不能修改；如需更正请先退回。"))
    if measure not in Penalty.Measure.values:
        raise ValidationError({"measure": _("请选择处罚。")})
    if not description.strip():
        raise ValidationError({"description": _("请填写违规事实及后果。")})
    if not assessment.deductions.exists():
        raise ValidationError({"description": _("请先在考核表相应栏目扣分，再追加行政处罚。")})
    penalty = Penalty.objects.create(
        assessment=assessment, measure=measure, description=description.strip(), recorded_by=by
    )
    record_event(
        assessment, action="penalty", actor=by, reason=description, data={"measure": measure}
    )
    return penalty


def _record_url(assessment: Assessment) -> str:
    try:
        return reverse("appraisal:assessment", args=[assessment.pk])
    except NoReverseMatch:  # the pages are optional to the rules
        return ""


def period_label(assessment: Assessment) -> str:
    """2026-03 for monthly kinds, 2026 for the year-end, the date otherwise."""
    if assessment.kind in (Kind.MONTHLY, Kind.MONTHLY_CHECK):
        return f"{assessment.period:%Y-%m}"
    if assessment.kind == Kind.YEAR_END:
        return f"{assessment.period:%Y}"
    return assessment.period.isoformat()


@transaction.atomic
def assessment_finalise(*, assessment: Assessment, by: User) -> Assessment:
    """Freeze the scores and show the record to the person (APR-07: 公开)."""
    assessment = _locked(assessment)
    _require_assessor(by, assessment.staff, assessment.kind)
    if assessment.status != Assessment.Status.DRAFT:
        raise InvalidTransition(_("考核记录已定稿。"))
    _store_scores(assessment)
    assessment.status = Assessment.Status.FINAL
    assessment.finalised_at = timezone.now()
    assessment.save(update_fields=["status", "finalised_at"])
    record_event(
        assessment,
        action="finalised",
        actor=by,
        from_state=Assessment.Status.DRAFT,
        to_state=assessment.status,
        data={"total": str(assessment.total)},
    )
    notify(
        [assessment.staff.user_id],
        subject=assessment,
        reason="assessment_final",
        title=_("您的%(kind)s（%(period)s）已出分，请查看并确认")
        % {"kind": assessment.get_kind_display(), "period": period_label(assessment)},
        url=_record_url(assessment),
    )
    return assessment


@transaction.atomic
def assessment_reopen(*, assessment: Assessment, by: User, reason: str) -> Assessment:
    """Send a finalised record back to draft for a correction, with the reason (ORG-05)."""
    assessment = _locked(assessment)
    _require_assessor(by, assessment.staff, assessment.kind)
    if assessment.status == Assessment.Status.DRAFT:
        raise InvalidTransition(_("考核记录仍是草稿。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写退回更正的原因。")})
    before = assessment.status
    assessment.status = Assessment.Status.DRAFT
    assessment.finalised_at = None
    assessment.acknowledged_at = None
    assessment.staff_comment = ""  # the person confirms the corrected record afresh
    assessment.save(update_fields=["status", "finalised_at", "acknowledged_at", "staff_comment"])
    record_event(
        assessment, action="reopened", actor=by, from_state=before, to_state="draft", reason=reason
    )
    return assessment


@transaction.atomic
def assessment_acknowledge(*, assessment: Assessment, by: User, comment: str = "") -> Assessment:
    """The person has seen their scores and every deduction's reason (APR-07)."""
    assessment = _locked(assessment)
    if assessment.staff.user_id != by.pk:
        raise PermissionDenied(_("只有被考核人本人可以确认。"))
    if assessment.status != Assessment.Status.FINAL:
        raise InvalidTransition(_("考核记录定稿后才能确认。"))
    assessment.status = Assessment.Status.ACKNOWLEDGED
    assessment.acknowledged_at = timezone.now()
    assessment.staff_comment = comment.strip()
    assessment.save(update_fields=["status", "acknowledged_at", "staff_comment"])
    record_event(
        assessment,
        action="acknowledged",
        actor=by,
        from_state=Assessment.Status.FINAL,
        to_state=assessment.status,
        reason=comment,
    )
    return assessment


# --- Service data → 绩 (CMP-22) ----------------------------------------------------

# Which item each source suggests deducting from (API.md item codes).
SUGGESTED_ITEM = {
    Suggestion.Source.FIRST_QUESTION_FAILURE: "ji3",  # 工作效果
    Suggestion.Source.VALID_COMPLAINT: "ji3",
    Suggestion.Source.FIRST_CONTACT_RATE: "ji1",  # 工作效率
    Suggestion.Source.RECTIFY_RATE: "ji1",
}


@transaction.atomic
def suggestions_refresh(*, staff: Iterable[StaffProfile], month: date) -> list[Suggestion]:
    """Offer the month's service data as pending deduction suggestions (CMP-22 → 绩).

    Idempotent: one suggestion per person, month and source; a pending one is
    brought up to date, a decided one is never reopened. Three queries for the
    service data, whatever the number of people.
    """
    from complaints.selectors import staff_service_record

    month = month.replace(day=1)
    people = {p.user_id: p for p in staff}
    record = staff_service_record(list(people), month)
    cfg = AppraisalSettings.current()
    offered = []
    for user_id, data in record.items():
        profile = people[user_id]
        failures = sum(data["failures"].values())
        if failures:
            offered.append(
                Suggestion(
                    staff=profile,
                    month=month,
                    source=Suggestion.Source.FIRST_QUESTION_FAILURE,
                    item_code=SUGGESTED_ITEM[Suggestion.Source.FIRST_QUESTION_FAILURE],
                    points=cfg.points_per_first_question_failure * failures,
                    reason=_("本月首问责任未落实 %(n)d 次") % {"n": failures},
                )
            )
        if data["valid_complaints"]:
            offered.append(
                Suggestion(
                    staff=profile,
                    month=month,
                    source=Suggestion.Source.VALID_COMPLAINT,
                    item_code=SUGGESTED_ITEM[Suggestion.Source.VALID_COMPLAINT],
                    points=cfg.points_per_valid_complaint * data["valid_complaints"],
                    reason=_("本月服务态度类有效投诉 %(n)d 宗") % {"n": data["valid_complaints"]},
                )
            )
        for key, source, label in (
            ("first_contact_on_time", Suggestion.Source.FIRST_CONTACT_RATE, _("首次联系及时率")),
            ("rectify_on_time", Suggestion.Source.RECTIFY_RATE, _("整改及时率")),
        ):
            rate = data[key]
            if rate is not None and Decimal(str(rate)) < cfg.on_time_target_percent:
                offered.append(
                    Suggestion(
                        staff=profile,
                        month=month,
                        source=source,
                        item_code=SUGGESTED_ITEM[source],
                        points=cfg.points_below_on_time_target,
                        reason=_("%(label)s %(rate)s%%，低于目标 %(target)s%%")
                        % {"label": label, "rate": rate, "target": cfg.on_time_target_percent},
                    )
                )
    # Pending suggestions follow the data (a refresh mid-month updates them);
    # decided ones are never reopened.
    decided = set(
        Suggestion.objects.filter(staff__in=people.values(), month=month)
        .exclude(status=Suggestion.Status.PENDING)
        .values_list("staff_id", "source")
    )
    fresh = [s for s in offered if (s.staff_id, s.source) not in decided]
    # Pending ones whose cause went away (e.g. a failure record withdrawn) go.
    wanted = {(s.staff_id, s.source) for s in fresh}
    stale = [
        pk
        for pk, staff_id, source in Suggestion.objects.filter(
            staff__in=people.values(), month=month, status=Suggestion.Status.PENDING
        ).values_list("pk", "staff_id", "source")
        if (staff_id, source) not in wanted
    ]
    Suggestion.objects.filter(pk__in=stale).delete()
    Suggestion.objects.bulk_create(
        fresh,
        update_conflicts=True,
        unique_fields=["staff", "month", "source"],
        update_fields=["item_code", "points", "reason"],
    )
    return list(
        Suggestion.objects.filter(staff__in=people.values(), month=month).select_related("staff")
    )


@transaction.atomic
def suggestion_decide(
    *, suggestion: Suggestion, assessment: Assessment, accept: bool, reason: str, by: User
) -> Suggestion:
    """Accept a suggestion into a draft appraisal as a deduction, or reject it, with a reason."""
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    assessment = _locked(assessment)
    _require_assessor(by, assessment.staff, assessment.kind)
    if suggestion.staff_id != assessment.staff_id:
        raise ValidationError({"suggestion": _("建议与被考核人不符。")})
    if assessment.kind != Kind.MONTHLY or assessment.period != suggestion.month:
        raise ValidationError({"assessment": _("服务数据建议只能计入同一月份的月考核。")})
    if suggestion.status != Suggestion.Status.PENDING:
        raise InvalidTransition(_("该建议已处理。"))
    if assessment.status != Assessment.Status.DRAFT:
        raise InvalidTransition(_("考核记录已定稿，不能修改；如需更正请先退回。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写采纳或不采纳的理由。")})
    if accept:
        item = Item.objects.filter(
            dimension__criteria_set=assessment.criteria_set_id, code=suggestion.item_code
        ).first()
        if item is None:
            raise ValidationError({"suggestion": _("考核标准中没有建议的项目。")})
        Deduction.objects.create(
            assessment=assessment,
            item=item,
            points=min(suggestion.points, item.max_points),
            reason=suggestion.reason,
            standard=suggestion.get_source_display(),
            suggestion=suggestion,
        )
        _store_scores(assessment)
    suggestion.status = Suggestion.Status.ACCEPTED if accept else Suggestion.Status.REJECTED
    suggestion.decided_by = by
    suggestion.decided_at = timezone.now()
    suggestion.decision_reason = reason.strip()
    suggestion.assessment = assessment
    suggestion.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "assessment"]
    )
    record_event(
        assessment,
        action="suggestion_accepted" if accept else "suggestion_rejected",
        actor=by,
        reason=reason,
        data={"suggestion": suggestion.pk, "points": str(suggestion.points)},
    )
    return suggestion


# --- Training gate (APR-09) --------------------------------------------------------


@transaction.atomic
def training_record(
    *,
    staff: StaffProfile,
    stage: str,
    test_type: str,
    score: Decimal,
    passed: bool,
    taken_on: date,
    by: User,
    note: str = "",
) -> TrainingResult:
    viewer = viewer_for(by)
    if not (viewer.is_superuser or viewer.has_role(*CHECKER_ROLES, Role.GENERAL_MANAGER)):
        raise PermissionDenied(_("只有主管或经理可以登记培训考核结果。"))
    if not visible_staff(by).filter(pk=staff.pk).exists():
        raise PermissionDenied(_("只能登记本部门员工的培训考核结果。"))
    errors = {}
    if stage not in TrainingResult.Stage.values:
        errors["stage"] = _("请选择培训阶段。")
    if test_type not in AssessmentContent.values:
        errors["test_type"] = _("请选择考核内容。")
    if not Decimal(0) <= score <= Decimal(100):
        errors["score"] = _("成绩应在 0 至 100 之间。")
    if taken_on > timezone.localdate():
        errors["taken_on"] = _("考核日期不能在将来。")
    if errors:
        raise ValidationError(errors)
    result = TrainingResult.objects.create(
        staff=staff,
        stage=stage,
        test_type=test_type,
        score=score,
        passed=passed,
        taken_on=taken_on,
        examiner=by,
        note=note,
    )
    record_event(result, action="recorded", actor=by, data={"stage": stage, "passed": passed})
    return result


def probationary_ids(staff: Iterable[StaffProfile] | QuerySet[StaffProfile]) -> set[int]:
    """Staff in training who have not yet passed both the induction and the
    on-post assessment (APR-09). One query.

    Only people with a training record count: staff appointed before the
    system have none, and are not shown as probationary for want of history.
    A queryset is read as a subquery: binding a department's 500 ids one by one
    costs more than the query itself.
    """
    ids: Any = (
        staff.order_by().values("pk") if isinstance(staff, QuerySet) else [s.pk for s in staff]
    )
    taken: dict[int, set[str]] = {}
    passed: dict[int, set[str]] = {}
    # ``order_by()``: the default ordering would join the staff table to sort by name.
    for staff_id, stage, ok in (
        TrainingResult.objects.filter(staff_id__in=ids)
        .order_by()
        .values_list("staff_id", "stage", "passed")
    ):
        taken.setdefault(staff_id, set()).add(stage)
        if ok:
            passed.setdefault(staff_id, set()).add(stage)
    needed = set(TrainingResult.Stage.values)
    return {sid for sid in taken if not needed <= passed.get(sid, set())}


# --- Year-end composite (APR-04, APR-05) ---------------------------------------------


def annual_from_records(
    records: Iterable[Assessment], cfg: AppraisalSettings | None = None
) -> rules.Composite:
    """The composite (APR-04, APR-05) of one person's finalised records of a year."""
    cfg = cfg or AppraisalSettings.current()
    checks: dict[str, list[Decimal]] = {k: [] for k in CHECK_KINDS}
    monthly: list[Decimal] = []
    year_end: Decimal | None = None
    for r in records:
        if r.status not in (Assessment.Status.FINAL, Assessment.Status.ACKNOWLEDGED):
            continue
        if r.kind in checks:
            checks[r.kind].append(r.total)
        elif r.kind == Kind.MONTHLY:
            monthly.append(r.total)
        elif r.kind == Kind.YEAR_END:
            year_end = r.total
    return rules.composite(
        checks=checks,
        check_weights={
            Kind.WEEKLY: cfg.weekly_weight,
            Kind.MONTHLY_CHECK: cfg.monthly_check_weight,
            Kind.SPOT: cfg.spot_weight,
        },
        monthly=monthly,
        year_end=year_end,
        percents=(cfg.checks_percent, cfg.monthly_percent, cfg.year_end_percent),
        excellent_above=cfg.excellent_above,
    )


def annual(staff: StaffProfile, year: int) -> tuple[rules.Composite, list[Assessment]]:
    """The composite of ``year`` from the person's finalised records, and those records."""
    records = list(
        Assessment.objects.filter(
            staff=staff,
            period__year=year,
            status__in=(Assessment.Status.FINAL, Assessment.Status.ACKNOWLEDGED),
        ).order_by("period", "pk")
    )
    return annual_from_records(records), records
