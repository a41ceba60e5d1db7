"""The appraisal's paper forms (APR-08):

- 《员工月绩效考核记录表》 of one check or monthly appraisal (the kind in the heading);
- 《员工年终绩效考核记录表》 of one year-end appraisal, with the composite (APR-04)
  and the 优秀员工 flag (APR-05);
- 《员工月/年绩效考核情况统计表》 of one person and year;
- 《年度员工绩效考核情况统计表》 of one department and year (landscape).

``*_context`` build the template context (testable without rendering, a fixed
number of queries); ``*_pdf`` render it through ``servicedesk.pdf.render_pdf``.
Callers pass records and people already filtered by
``services.visible_assessments`` / ``services.visible_staff`` (APR-07). Every
score comes from ``appraisal.rules`` (the scoring and the composite are never
recomputed here); all typed text is autoescaped by the templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from appraisal import rules, services
from appraisal.models import (
    CHECK_KINDS,
    AppraisalSettings,
    Assessment,
    Deduction,
    Dimension,
    Item,
    Kind,
    Penalty,
)
from appraisal.selectors import PersonYear, year_summary
from servicedesk.core.models import Department, Project, StaffProfile
from servicedesk.pdf import render_pdf

MONTHLY_RECORD_TITLE = "员工月绩效考核记录表"
YEAR_END_RECORD_TITLE = "员工年终绩效考核记录表"
PERSON_YEAR_TITLE = "员工月/年绩效考核情况统计表"
DEPARTMENT_YEAR_TITLE = "年度员工绩效考核情况统计表"
MONTHLY_RECORD_TEMPLATE = "appraisal/pdf/monthly_record.html"
YEAR_END_RECORD_TEMPLATE = "appraisal/pdf/year_end_record.html"
PERSON_YEAR_TEMPLATE = "appraisal/pdf/person_year.html"
DEPARTMENT_YEAR_TEMPLATE = "appraisal/pdf/department_year.html"

SYSTEM = "系统"
DIMENSION_LABELS = {code.value: str(code.label) for code in Dimension.Code}
PART_LABELS = {
    "checks": "周检、月检、抽检（加权平均）",
    "monthly": "月考核（平均）",
    "year_end": "年终考核",
}
MONTHS = range(1, 13)


def person(user: AbstractBaseUser | AnonymousUser | None) -> str:
    """Return a staff member's name (their username if they have no profile); "系统" for none."""
    if user is None:
        return SYSTEM
    profile = getattr(user, "staff_profile", None)
    if profile is not None:
        return str(profile.name)
    return str(user.get_username())


def score_text(value: Decimal | None) -> str:
    """Two places, the way the paper form prints a score; "—" for none."""
    if value is None:
        return "—"
    return f"{rules.round2(value):.2f}"


def points_text(value: Decimal | None) -> str:
    """A maximum or a deduction without trailing zeros: 5, 6.67, 1.5."""
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def company_of(staff: StaffProfile) -> str:
    """The company named in the form head: that of the person's projects (one query)."""
    name = (
        Project.objects.filter(staff=staff).order_by("pk").values_list("company", flat=True).first()
    )
    if name is None:
        name = Project.objects.order_by("pk").values_list("company", flat=True).first()
    return name or ""


def _safe_reverse(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the desk pages are optional to the forms
        return ""


def period_text(kind: str, period: date) -> str:
    """考核期间 as a clerk writes it: 2026年3月, 2026-03-09 至 2026-03-15（第11周）…"""
    if kind in (Kind.MONTHLY, Kind.MONTHLY_CHECK):
        return f"{period.year}年{period.month}月"
    if kind == Kind.WEEKLY:
        end = period + timedelta(days=6)
        week = period.isocalendar().week
        return f"{period:%Y-%m-%d} 至 {end:%Y-%m-%d}（第{week}周）"
    if kind == Kind.YEAR_END:
        return f"{period.year}年度"
    return f"{period:%Y-%m-%d}"


# --- One record: 《员工月绩效考核记录表》 / 《员工年终绩效考核记录表》 ---------------------------


def record_queryset(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Add what the record forms print to ``assessments`` (already visibility-filtered)."""
    return assessments.select_related(
        "staff__user", "department", "criteria_set", "assessor__staff_profile"
    ).prefetch_related(
        Prefetch("deductions", queryset=Deduction.objects.select_related("item")),
        Prefetch(
            "penalties", queryset=Penalty.objects.select_related("recorded_by__staff_profile")
        ),
    )


@dataclass(frozen=True)
class DeductionLine:
    points: Decimal
    reason: str
    standard: str
    is_other: bool
    from_service_data: bool

    @property
    def points_text(self) -> str:
        return points_text(self.points)


@dataclass
class ScoreItem:
    code: str
    name: str
    max_points: Decimal
    score: Decimal
    deductions: list[DeductionLine] = field(default_factory=list)

    @property
    def max_text(self) -> str:
        return points_text(self.max_points)

    @property
    def score_text(self) -> str:
        return points_text(self.score)


@dataclass
class ScoreDimension:
    code: str
    label: str
    max_points: Decimal
    score: Decimal
    items: list[ScoreItem] = field(default_factory=list)

    @property
    def max_text(self) -> str:
        return points_text(self.max_points)

    @property
    def score_text(self) -> str:
        return points_text(self.score)


@dataclass(frozen=True)
class SheetRow:
    """One printed row of the score table: the first row of a dimension carries
    its cell (``dim_rowspan``), the first row of an item its cells (``item_rowspan``);
    ``subtotal`` rows close a dimension."""

    dimension: ScoreDimension
    item: ScoreItem | None
    deduction: DeductionLine | None
    dim_rowspan: int = 0
    item_rowspan: int = 0
    subtotal: bool = False


def score_sheet(assessment: Assessment) -> tuple[list[ScoreDimension], rules.Scores]:
    """Return the criteria set's dimensions and items with this record's deductions
    and the scores of ``rules.score`` (APR-01, APR-02). One query for the items;
    the deductions are prefetched by ``record_queryset``."""
    items = list(
        Item.objects.filter(dimension__criteria_set=assessment.criteria_set_id)
        .select_related("dimension")
        .order_by("dimension__order", "order", "pk")
    )
    deductions = list(assessment.deductions.all())
    scores = rules.score(
        [rules.ItemSpec(i.code, i.dimension.code, i.max_points) for i in items],
        [(d.item.code, d.points) for d in deductions],
        assessment.bonus,
    )
    by_item: dict[int, list[DeductionLine]] = {}
    for d in deductions:
        by_item.setdefault(d.item_id, []).append(
            DeductionLine(
                points=d.points,
                reason=d.reason,
                standard=d.standard,
                is_other=d.is_other,
                from_service_data=d.suggestion_id is not None,
            )
        )
    dimensions: dict[int, ScoreDimension] = {}
    for i in items:
        dim = dimensions.get(i.dimension_id)
        if dim is None:
            dim = dimensions[i.dimension_id] = ScoreDimension(
                code=i.dimension.code,
                label=DIMENSION_LABELS.get(i.dimension.code, i.dimension.code),
                max_points=i.dimension.max_points,
                score=scores.dimensions.get(i.dimension.code, rules.ZERO),
            )
        dim.items.append(
            ScoreItem(
                code=i.code,
                name=i.name,
                max_points=i.max_points,
                score=scores.items[i.code],
                deductions=by_item.get(i.pk, []),
            )
        )
    return list(dimensions.values()), scores


def sheet_rows(dimensions: list[ScoreDimension]) -> list[SheetRow]:
    """Flatten the sheet into table rows with their row spans (one per deduction)."""
    rows: list[SheetRow] = []
    for dim in dimensions:
        dim_span = sum(max(1, len(i.deductions)) for i in dim.items) + 1  # + subtotal
        first_of_dim = True
        for item in dim.items:
            lines: list[DeductionLine | None] = list(item.deductions) or [None]
            for n, line in enumerate(lines):
                rows.append(
                    SheetRow(
                        dimension=dim,
                        item=item,
                        deduction=line,
                        dim_rowspan=dim_span if first_of_dim else 0,
                        item_rowspan=len(lines) if n == 0 else 0,
                    )
                )
                first_of_dim = False
        rows.append(SheetRow(dimension=dim, item=None, deduction=None, subtotal=True))
    return rows


def _serial(assessment: Assessment) -> str:
    prefix = "NZ" if assessment.kind == Kind.YEAR_END else "JX"
    return f"{prefix}-{assessment.period:%Y%m%d}-{assessment.pk:05d}"


def record_context(assessment: Assessment) -> dict[str, Any]:
    """Return the context of 《员工月绩效考核记录表》 (APR-02, APR-03, APR-05, APR-06, APR-07).

    The person, department, period and criteria version; the four dimensions
    with every item's maximum, each deduction (points, reason, standard, 其它
    marked) and the item score; dimension subtotals, the commendation bonus
    with its reason, the administrative penalties, the total; who assessed and
    finalised it and when the person acknowledged it. Fetch ``assessment`` with
    ``record_queryset``.
    """
    dimensions, scores = score_sheet(assessment)
    staff = assessment.staff
    kind_label = str(Kind(assessment.kind).label)
    return {
        "assessment": assessment,
        "staff": staff,
        "company": company_of(staff),
        "project": assessment.department.name if assessment.department else "",
        "form_title": (
            YEAR_END_RECORD_TITLE if assessment.kind == Kind.YEAR_END else MONTHLY_RECORD_TITLE
        ),
        "kind_label": kind_label,
        # Checks print on the monthly form with their kind in the heading (APR-03).
        "kind_in_title": assessment.kind not in (Kind.MONTHLY, Kind.YEAR_END),
        "serial": _serial(assessment),
        "record_url": _safe_reverse("appraisal:assessment", assessment.pk),
        "period_text": period_text(assessment.kind, assessment.period),
        "criteria": assessment.criteria_set,
        "dimensions": dimensions,
        "rows": sheet_rows(dimensions),
        "scores": scores,
        "dimension_scores": [
            (DIMENSION_LABELS[c], points_text(scores.dimensions.get(c, rules.ZERO)))
            for c in rules.DIMENSION_CODES
        ],
        "bonus_text": points_text(scores.bonus),
        "total_text": points_text(scores.total),
        "from_service_data": any(d.suggestion_id for d in assessment.deductions.all()),
        "penalties": list(assessment.penalties.all()),
        "assessor": person(assessment.assessor),
        "draft": assessment.status == Assessment.Status.DRAFT,
        "acknowledged": assessment.status == Assessment.Status.ACKNOWLEDGED,
        # Personnel data, not customer data: the base form's ORG-02 note does not apply.
        "confidential": False,
    }


@dataclass(frozen=True)
class CompositeRow:
    """One part of the composite (APR-04) as printed: its share, sources and score."""

    label: str
    percent: Decimal
    sources: str
    score: Decimal | None


def composite_rows(composite: rules.Composite, cfg: AppraisalSettings) -> list[CompositeRow]:
    """The three parts of the composite with their source counts (APR-04)."""
    weights = {
        Kind.WEEKLY: cfg.weekly_weight,
        Kind.MONTHLY_CHECK: cfg.monthly_check_weight,
        Kind.SPOT: cfg.spot_weight,
    }
    rows = []
    for part in composite.parts:
        if part.key == "checks":
            pieces = []
            for kind in CHECK_KINDS:
                values = part.sources.get(kind, [])
                mean = rules.mean(values)
                average = f"，平均 {score_text(mean)}" if mean is not None else ""
                weight = points_text(weights[kind])
                pieces.append(f"{Kind(kind).label} {len(values)} 次{average}（权重 {weight}）")
            sources = "；".join(pieces)
        elif part.key == "monthly":
            sources = f"月考核 {len(part.sources.get('monthly', []))} 个月"
        else:
            sources = "已定稿" if part.score is not None else "未定稿或未考核"
        rows.append(
            CompositeRow(
                label=PART_LABELS.get(part.key, part.key),
                percent=part.percent,
                sources=sources,
                score=part.score,
            )
        )
    return rows


def missing_text(composite: rules.Composite) -> str:
    return "、".join(PART_LABELS.get(key, key) for key in composite.missing)


def year_end_context(assessment: Assessment) -> dict[str, Any]:
    """Return the context of 《员工年终绩效考核记录表》: the year-end record as in
    ``record_context`` plus the year's composite (APR-04: checks / monthly /
    year-end with the configured weights, each part's score and source counts)
    and the 优秀员工 flag (APR-05). The composite counts finalised records only."""
    cfg = AppraisalSettings.current()
    composite, _records = services.annual(assessment.staff, assessment.period.year)
    return {
        **record_context(assessment),
        "year": assessment.period.year,
        "composite": composite,
        "composite_rows": composite_rows(composite, cfg),
        "missing": missing_text(composite),
        "excellent_above": cfg.excellent_above,
    }


# --- One person's year: 《员工月/年绩效考核情况统计表》 ----------------------------------------


@dataclass(frozen=True)
class MonthRow:
    month: int
    record: Assessment | None


@dataclass(frozen=True)
class CheckSummary:
    label: str
    count: int
    mean: Decimal | None
    low: Decimal | None
    high: Decimal | None
    weight: Decimal


def person_year_context(staff: StaffProfile, year: int) -> dict[str, Any]:
    """Return the context of 《员工月/年绩效考核情况统计表》 (APR-08): one person's
    twelve monthly appraisals with 德/勤/能/绩, the checks in summary, the
    year-end appraisal and the composite with its 优秀员工 flag (APR-04, APR-05).
    Finalised records only, the same basis as the composite. Three queries."""
    cfg = AppraisalSettings.current()
    records = list(
        Assessment.objects.filter(
            staff=staff,
            period__year=year,
            status__in=(Assessment.Status.FINAL, Assessment.Status.ACKNOWLEDGED),
        )
        .select_related("assessor__staff_profile")
        .order_by("period", "pk")
    )
    composite = services.annual_from_records(records, cfg)
    monthly = {r.period.month: r for r in records if r.kind == Kind.MONTHLY}
    months = [MonthRow(m, monthly.get(m)) for m in MONTHS]
    averages = {}
    for code in (*rules.DIMENSION_CODES, "bonus", "total"):
        mean = rules.mean([getattr(r, code) for r in monthly.values()])
        averages[code] = rules.round2(mean) if mean is not None else None
    weights = {
        Kind.WEEKLY: cfg.weekly_weight,
        Kind.MONTHLY_CHECK: cfg.monthly_check_weight,
        Kind.SPOT: cfg.spot_weight,
    }
    checks = []
    for kind in CHECK_KINDS:
        totals = [r.total for r in records if r.kind == kind]
        mean = rules.mean(totals)
        checks.append(
            CheckSummary(
                label=str(Kind(kind).label),
                count=len(totals),
                mean=rules.round2(mean) if mean is not None else None,
                low=min(totals) if totals else None,
                high=max(totals) if totals else None,
                weight=weights[kind],
            )
        )
    year_end = next((r for r in records if r.kind == Kind.YEAR_END), None)
    return {
        "staff": staff,
        "year": year,
        "company": company_of(staff),
        "project": staff.department.name if staff.department else "",
        "form_title": PERSON_YEAR_TITLE,
        "serial": f"TJ-{year}-{staff.employee_no or f'{staff.pk:04d}'}",
        "months": months,
        "averages": averages,
        "appraised_months": len(monthly),
        "checks": checks,
        "year_end": year_end,
        "composite": composite,
        "composite_rows": composite_rows(composite, cfg),
        "missing": missing_text(composite),
        "excellent_above": cfg.excellent_above,
        "confidential": False,
    }


# --- A department's year: 《年度员工绩效考核情况统计表》 -----------------------------------------


@dataclass(frozen=True)
class DepartmentRow:
    n: int
    summary: PersonYear
    months: list[Decimal | None]
    monthly_mean: Decimal | None
    checks_mean: Decimal | None
    checks_count: int

    @property
    def staff(self) -> StaffProfile:
        return self.summary.staff


def department_year_context(
    department: Department, staff: QuerySet[StaffProfile], year: int
) -> dict[str, Any]:
    """Return the context of 《年度员工绩效考核情况统计表》 (APR-08): one row per
    person of ``staff`` (visibility-filtered, of ``department``) from
    ``selectors.year_summary``: the twelve monthly totals, the checks' weighted
    mean, the monthly mean, the year-end total, the composite and 优秀员工.
    A fixed number of queries whatever the size of the department."""
    cfg = AppraisalSettings.current()
    summary = year_summary(staff, year)
    rows = []
    for n, s in enumerate(summary, start=1):
        parts = {p.key: p for p in s.composite.parts}
        rows.append(
            DepartmentRow(
                n=n,
                summary=s,
                months=[s.monthly.get(m) for m in MONTHS],
                monthly_mean=parts["monthly"].score,
                checks_mean=parts["checks"].score,
                checks_count=sum(len(v) for v in s.checks.values()),
            )
        )
    month_means = []
    for m in MONTHS:
        mean = rules.mean([v for v in (s.monthly.get(m) for s in summary) if v is not None])
        month_means.append(rules.round2(mean) if mean is not None else None)
    company = (
        Project.objects.filter(staff__department=department)
        .order_by("pk")
        .values_list("company", flat=True)
        .first()
    )
    return {
        "department": department,
        "year": year,
        "company": company or "",
        "project": department.name,
        "form_title": DEPARTMENT_YEAR_TITLE,
        "serial": f"NDTJ-{year}-{department.code}",
        "rows": rows,
        "months": list(MONTHS),
        "month_means": month_means,
        "excellent": [r.staff.name for r in rows if r.summary.composite.excellent],
        "percents": (cfg.checks_percent, cfg.monthly_percent, cfg.year_end_percent),
        "excellent_above": cfg.excellent_above,
        "confidential": False,
    }


# --- Rendering ----------------------------------------------------------------------------


def _printed(request: HttpRequest) -> dict[str, Any]:
    return {"printed_at": timezone.localtime(), "printed_by": person(request.user)}


def record_pdf(assessment: Assessment, *, request: HttpRequest) -> bytes:
    """Render the record form of ``assessment`` (a year-end record prints its own form)."""
    if assessment.kind == Kind.YEAR_END:
        return year_end_pdf(assessment, request=request)
    context = record_context(assessment) | _printed(request)
    return render_pdf(MONTHLY_RECORD_TEMPLATE, context, request=request)


def year_end_pdf(assessment: Assessment, *, request: HttpRequest) -> bytes:
    context = year_end_context(assessment) | _printed(request)
    return render_pdf(YEAR_END_RECORD_TEMPLATE, context, request=request)


def person_year_pdf(staff: StaffProfile, year: int, *, request: HttpRequest) -> bytes:
    context = person_year_context(staff, year) | _printed(request)
    return render_pdf(PERSON_YEAR_TEMPLATE, context, request=request)


def department_year_pdf(
    department: Department, staff: QuerySet[StaffProfile], year: int, *, request: HttpRequest
) -> bytes:
    context = department_year_context(department, staff, year) | _printed(request)
    return render_pdf(DEPARTMENT_YEAR_TEMPLATE, context, request=request)
