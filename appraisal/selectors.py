"""Reads of the appraisal: the monthly dashboard (APR-10) and the statistics forms
(APR-08). Pages, Excel exports and PDFs all build on these; each costs a fixed
number of queries whatever the size of the department.

Callers pass the people already filtered by ``services.visible_staff`` (APR-07).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, QuerySet

from appraisal import rules
from appraisal.models import CHECK_KINDS, AppraisalSettings, Assessment, Deduction, Kind
from appraisal.services import annual_from_records, probationary_ids
from servicedesk.core.models import StaffProfile

FINISHED = (Assessment.Status.FINAL, Assessment.Status.ACKNOWLEDGED)
# Score bands of the distribution (APR-10), high to low; a total above 100 is 优秀.
BANDS: list[tuple[str, Decimal, Decimal | None]] = [
    ("100+", Decimal("100.01"), None),
    ("90–100", Decimal(90), Decimal(100)),
    ("80–89", Decimal(80), Decimal("89.99")),
    ("70–79", Decimal(70), Decimal("79.99")),
    ("60–69", Decimal(60), Decimal("69.99")),
    ("<60", Decimal(0), Decimal("59.99")),
]


def band_of(total: Decimal) -> str:
    for label, low, high in BANDS:
        if total >= low and (high is None or total <= high):
            return label
    return BANDS[-1][0]


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class DashboardRow:
    staff: StaffProfile
    assessment: Assessment | None
    probationary: bool

    @property
    def appraised(self) -> bool:
        return self.assessment is not None and self.assessment.status in FINISHED


@dataclass
class Dashboard:
    """APR-10 for one department (or group of people) and month."""

    month: date
    rows: list[DashboardRow]
    not_appraised: list[StaffProfile]
    distribution: dict[str, int]
    averages: dict[str, Decimal | None]
    trend: list[dict[str, Any]]  # 12 months: {"month", "average", "count"}
    top_reasons: list[tuple[str, str, int]]  # (item code + name, reason, times)
    drafts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def monthly_dashboard(staff: QuerySet[StaffProfile], month: date) -> Dashboard:
    """Who is not yet appraised, each person's four dimensions and total, the
    distribution, the 12-month trend and the most frequent deduction reasons.
    Six queries (roles are prefetched for ``services.may_assess``)."""
    month = month.replace(day=1)
    people = list(
        staff.select_related("department").prefetch_related("role_assignments").order_by("name")
    )
    ids = [p.pk for p in people]
    records = {
        a.staff_id: a
        for a in Assessment.objects.filter(staff_id__in=ids, kind=Kind.MONTHLY, period=month)
    }
    probation = probationary_ids(people)
    rows = [DashboardRow(p, records.get(p.pk), p.pk in probation) for p in people]
    finished = [r.assessment for r in rows if r.appraised and r.assessment is not None]
    distribution = {label: 0 for label, _low, _high in BANDS}
    for a in finished:
        distribution[band_of(a.total)] += 1
    averages: dict[str, Decimal | None] = {}
    for code in (*rules.DIMENSION_CODES, "total"):
        values = [getattr(a, code) for a in finished]
        avg = rules.mean(values)
        averages[code] = rules.round2(avg) if avg is not None else None
    first = add_months(month, -11)
    by_month = {
        row["period"]: row
        for row in Assessment.objects.filter(
            staff_id__in=ids,
            kind=Kind.MONTHLY,
            status__in=FINISHED,
            period__gte=first,
            period__lte=month,
        )
        .values("period")
        .annotate(average=Avg("total"), count=Count("pk"))
    }
    trend = []
    for i in range(12):
        m = add_months(first, i)
        row = by_month.get(m)
        trend.append(
            {
                "month": m,
                "average": rules.round2(Decimal(str(row["average"]))) if row else None,
                "count": row["count"] if row else 0,
            }
        )
    top = (
        Deduction.objects.filter(
            assessment__staff_id__in=ids,
            assessment__kind=Kind.MONTHLY,
            assessment__period=month,
            assessment__status__in=FINISHED,
        )
        .values("item__code", "item__name", "reason")
        .annotate(times=Count("pk"))
        .order_by("-times", "item__code")[:10]
    )
    return Dashboard(
        month=month,
        rows=rows,
        not_appraised=[r.staff for r in rows if not r.appraised],
        distribution=distribution,
        averages=averages,
        trend=trend,
        top_reasons=[
            (f"{t['item__code']} {t['item__name']}", t["reason"], t["times"]) for t in top
        ],
        drafts=sum(
            1 for r in rows if r.assessment and r.assessment.status == Assessment.Status.DRAFT
        ),
    )


@dataclass
class PersonYear:
    """One line of 《员工月/年绩效考核情况统计表》 / 《年度员工绩效考核情况统计表》."""

    staff: StaffProfile
    monthly: dict[int, Decimal]  # month number → monthly appraisal total
    checks: dict[str, list[Decimal]]
    year_end: Decimal | None
    composite: rules.Composite


def year_summary(staff: QuerySet[StaffProfile], year: int) -> list[PersonYear]:
    """Per person: the twelve monthly totals, the checks, the year-end total and
    the composite with its 优秀员工 flag (APR-04, APR-05, APR-08). Three queries."""
    people = list(staff.select_related("department").order_by("name"))
    cfg = AppraisalSettings.current()
    records: dict[int, list[Assessment]] = defaultdict(list)
    for a in Assessment.objects.filter(
        staff_id__in=[p.pk for p in people], period__year=year, status__in=FINISHED
    ).order_by("period", "pk"):
        records[a.staff_id].append(a)
    summary = []
    for p in people:
        mine = records.get(p.pk, [])
        composite = annual_from_records(mine, cfg)
        summary.append(
            PersonYear(
                staff=p,
                monthly={a.period.month: a.total for a in mine if a.kind == Kind.MONTHLY},
                checks={k: [a.total for a in mine if a.kind == k] for k in CHECK_KINDS},
                year_end=next((a.total for a in mine if a.kind == Kind.YEAR_END), None),
                composite=composite,
            )
        )
    return summary


def frequent_reasons(assessments: QuerySet[Assessment], limit: int = 10) -> list[tuple[str, int]]:
    """The most frequent deduction reasons over any set of records (drill-down)."""
    counts: Counter[str] = Counter()
    for reason, n in (
        Deduction.objects.filter(assessment__in=assessments)
        .values_list("reason")
        .annotate(n=Count("pk"))
    ):
        counts[reason] += n
    return counts.most_common(limit)
