"""Reads of the appraisal: the monthly dashboard (APR-10) and the statistics forms
(APR-08). Pages, Excel exports and PDFs all build on these; each costs a fixed
number of queries whatever the size of the department.

Callers pass the people already filtered by ``services.visible_staff`` (APR-07).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

from django.db.models import Avg, Count, FilteredRelation, Model, Q, QuerySet

from appraisal import rules
from appraisal.models import CHECK_KINDS, AppraisalSettings, Assessment, Deduction, Kind
from appraisal.services import annual_from_records, probationary_ids
from servicedesk.core.models import Department, StaffProfile

M = TypeVar("M", bound=Model)
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


# What the board, its workbook and ``services.may_assess`` read of a person (attnames).
PERSON_COLUMNS = ("id", "user_id", "name", "employee_no", "department_id")
DEPARTMENT_COLUMNS = ("id", "code", "name")


class MonthRecord(NamedTuple):
    """What the board reads of a person's monthly appraisal of the month."""

    id: int
    staff_id: int
    kind: str
    period: date
    status: str
    bonus: Decimal
    de: Decimal
    qin: Decimal
    neng: Decimal
    ji: Decimal
    total: Decimal


RECORD_COLUMNS = MonthRecord._fields


def _loaded(model: type[M], db: str, columns: Sequence[str], values: Sequence[Any]) -> M:
    """A ``model`` instance as if read from ``db`` with only ``columns`` (attnames);
    the other fields are deferred. ``Model.from_db`` takes the values in the
    model's field order, whatever order they were selected in."""
    given = dict(zip(columns, values, strict=True))
    names = [f.attname for f in model._meta.concrete_fields if f.attname in given]
    return model.from_db(db, names, [given[n] for n in names])


class DashboardRow:
    """One person on the board and their monthly appraisal of the month, if any.

    Made from the columns the selector read: ``staff`` and ``assessment``
    become model instances (``Model.from_db``; the fields not read are
    deferred) only when first used. The counts and charts need only the
    status and the scores, and a page shows 50 of a department's 500 people:
    building 1 000 instances cost more than the page's queries (bench/README.md).
    """

    def __init__(
        self,
        person: tuple[Any, ...],
        record: MonthRecord | None,
        probationary: bool,
        *,
        department: Department | None,
        db: str,
    ) -> None:
        self._person = person
        self.record = record
        self.probationary = probationary
        self._department = department
        self._db = db

    @cached_property
    def staff(self) -> StaffProfile:
        staff = _loaded(StaffProfile, self._db, PERSON_COLUMNS, self._person)
        staff.department = self._department
        return staff

    @cached_property
    def assessment(self) -> Assessment | None:
        if self.record is None:
            return None
        return _loaded(Assessment, self._db, RECORD_COLUMNS, self.record)

    @property
    def appraised(self) -> bool:
        return self.record is not None and self.record.status in FINISHED


@dataclass
class Dashboard:
    """APR-10 for one department (or group of people) and month."""

    month: date
    rows: list[DashboardRow]
    distribution: dict[str, int]
    averages: dict[str, Decimal | None]
    trend: list[dict[str, Any]]  # 12 months: {"month", "average", "count"}
    top_reasons: list[tuple[str, str, int]]  # (item code + name, reason, times)
    drafts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def not_appraised(self) -> list[StaffProfile]:
        return [r.staff for r in self.rows if not r.appraised]


def monthly_dashboard(staff: QuerySet[StaffProfile], month: date) -> Dashboard:
    """Who is not yet appraised, each person's four dimensions and total, the
    distribution, the 12-month trend and the most frequent deduction reasons.
    Four queries: the people with their record of the month, their training
    (``probationary_ids``), the trend and the reasons.

    The people are matched by subquery, not by a list of their ids: binding a
    department's 500 ids into each query costs more than the query. Rows are
    read as plain values (see ``DashboardRow``). The people's roles are not
    read here: ``services.may_assess_each`` reads them for the rows shown."""
    month = month.replace(day=1)
    db = staff.db
    # One read for the people, their department and their appraisal of the
    # month (at most one: ``assessment_one_per_period``), joined.
    month_record = FilteredRelation(
        "assessments", condition=Q(assessments__kind=Kind.MONTHLY, assessments__period=month)
    )
    people = (
        staff.annotate(month_record=month_record)
        .order_by("name")
        .values_list(
            *PERSON_COLUMNS,
            *(f"department__{c}" for c in DEPARTMENT_COLUMNS[1:]),
            *(f"month_record__{c}" for c in RECORD_COLUMNS),
        )
    )
    probation = probationary_ids(staff)
    departments: dict[int, Department] = {}
    rows = []
    person_end = len(PERSON_COLUMNS)
    record_start = person_end + len(DEPARTMENT_COLUMNS) - 1
    for line in people:
        pk, department_id = line[0], line[person_end - 1]
        if department_id is not None and department_id not in departments:
            departments[department_id] = _loaded(
                Department,
                db,
                DEPARTMENT_COLUMNS,
                (department_id, *line[person_end:record_start]),
            )
        record = line[record_start:]
        rows.append(
            DashboardRow(
                line[:person_end],
                MonthRecord._make(record) if record[0] is not None else None,
                pk in probation,
                department=departments.get(department_id),
                db=db,
            )
        )
    finished = [r.record for r in rows if r.record is not None and r.appraised]
    distribution = {label: 0 for label, _low, _high in BANDS}
    for a in finished:
        distribution[band_of(a.total)] += 1
    averages: dict[str, Decimal | None] = {}
    for code in (*rules.DIMENSION_CODES, "total"):
        values = [getattr(a, code) for a in finished]
        avg = rules.mean(values)
        averages[code] = rules.round2(avg) if avg is not None else None
    first = add_months(month, -11)
    # ``order_by()`` on the reads below: the default ordering joins the staff table
    # to sort by name, for rows that are counted, never listed.
    chosen = staff.order_by().values("pk")
    by_month = {
        row["period"]: row
        for row in Assessment.objects.filter(
            staff_id__in=chosen,
            kind=Kind.MONTHLY,
            status__in=FINISHED,
            period__gte=first,
            period__lte=month,
        )
        .order_by()
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
            assessment__staff_id__in=chosen,
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
        distribution=distribution,
        averages=averages,
        trend=trend,
        top_reasons=[
            (f"{t['item__code']} {t['item__name']}", t["reason"], t["times"]) for t in top
        ],
        drafts=sum(
            1 for r in rows if r.record is not None and r.record.status == Assessment.Status.DRAFT
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
