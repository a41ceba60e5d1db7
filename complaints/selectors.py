"""Reads of the complaint desk: the scoped list and the monthly statistics (CMP-14, CMP-16).

Both are set-based: the list is one query whatever its length (each due time,
the reporter count and the first reporter are correlated subqueries that hit
the ``clock_once_per_kind`` unique index and the reporter foreign-key index
once per *returned* row, so a 50-row page costs the same as a bare 50-row
list plus a few index probes); the statistics are a handful of aggregate
queries whatever the month's volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from complaints import rules
from complaints.models import Callback, Category, Channel, Clock, Complaint, Policy, Reporter
from servicedesk.core.models import Building, Department
from servicedesk.core.scoping import scope_queryset
from servicedesk.workcal.calendar import month_bounds

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

Status = Complaint.Status

# Read-representation name of each clock's due time (API.md).
DUE_FIELDS: dict[str, str] = {
    "first_contact_due_at": Clock.Kind.FIRST_CONTACT,
    "reply_due_at": Clock.Kind.REPLY,
    "rectify_due_at": Clock.Kind.RECTIFY,
    "callback_due_at": Clock.Kind.CALLBACK,
}
# The complaint's own columns the read representation needs (see complaint_annotate).
LIST_COLUMNS = (
    "id",
    "number",
    "kind",
    "status",
    "project_id",
    "unit_id",
    "channel_id",
    "category_id",
    "severity",
    "urgency_minutes",
    "hot",
    "incident",
    "description",
    "location",
    "expectation",
    "received_at",
    "escalation_level",
    "closed_at",
)
# Stats key of records without a category / channel / building / department.
NONE_KEY = "none"


def _clock_due(kind: str) -> Subquery:
    # One row per (complaint, kind): the clock_once_per_kind unique index serves it.
    return Subquery(Clock.objects.filter(complaint=OuterRef("pk"), kind=kind).values("due_at")[:1])


def _first_reporter(field: str) -> Subquery:
    """The person who raised the matter first (the duplicates' reporters come later)."""
    return Subquery(
        Reporter.objects.filter(complaint=OuterRef("pk"), merged_from__isnull=True)
        .order_by("added_at", "id")
        .values(field)[:1]
    )


def complaint_annotate(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """Add due times, ``provisional``, ``reporters_count`` and the first reporter.

    ``reporters_count`` counts Reporter rows (a merge copies the duplicate's
    reporters to the master, CMP-14) with a correlated subquery rather than a
    JOIN + GROUP BY, so the list keeps its plain ``ORDER BY id LIMIT n`` plan.
    """
    reporters = (
        Reporter.objects.filter(complaint=OuterRef("pk"))
        .order_by()
        .values("complaint")
        .annotate(n=Count("id"))
        .values("n")
    )
    # Codes as plain columns (no related model instances) and only the columns the
    # API shows: Python-side row building is most of a 50-row page's cost.
    return queryset.only(*LIST_COLUMNS).annotate(
        project_code=F("project__code"),
        unit_number=F("unit__number"),
        channel_code=F("channel__code"),
        category_code=F("category__code"),
        **{name: _clock_due(kind) for name, kind in DUE_FIELDS.items()},
        # A scalar subquery with LIMIT, not EXISTS: PostgreSQL turns an EXISTS in the
        # select list into a hashed subplan that scans every provisional clock
        # (measured: 26 ms of a 34 ms page over 100 000 complaints).
        provisional=Coalesce(
            Subquery(
                Clock.objects.filter(complaint=OuterRef("pk"), provisional=True).values(
                    "provisional"
                )[:1],
                output_field=BooleanField(),
            ),
            Value(False),
            output_field=BooleanField(),
        ),
        reporters_count=Coalesce(
            Subquery(reporters, output_field=IntegerField()), Value(0), output_field=IntegerField()
        ),
        reporter_name=_first_reporter("name"),
        reporter_phone=_first_reporter("phone"),
    )


def complaint_page(user: User | AnonymousUser) -> QuerySet[Complaint]:
    """Return the complaints ``user`` may see, light: codes as columns, no subqueries.

    For a page of the list: fetch it, then ``complaint_rows_fill`` adds the due
    times and reporters in one flat query. Measured on 100 000 complaints, the
    eight correlated subqueries of ``complaint_annotate`` cost more to build in
    Python than to run, most of a 50-row page's time (bench/README.md).
    """
    light = Complaint.objects.only(*LIST_COLUMNS).annotate(
        project_code=F("project__code"),
        unit_number=F("unit__number"),
        channel_code=F("channel__code"),
        category_code=F("category__code"),
    )
    return scope_queryset(light, user).order_by("-id")


# One round trip for a page's clocks and reporters: both tables' rows for the page's
# ids, tagged by source. Raw SQL because building the two ORM queries (or their
# ORM union) cost more in Python than the database spent answering them (measured
# on 100 000 complaints: 3.1 ms for two ORM queries, 3.8 ms for an ORM union,
# 1.7 ms for this; bench/README.md). Columns: complaint id, source (0 clock,
# 1 reporter), clock kind | reporter name, due time | added time, provisional |
# "not merged in", warning time | reporter phone, running | -, reporter id.
_PAGE_DETAILS_SQL = """
SELECT complaint_id, 0, kind, due_at, provisional, warn_at, done_at IS NULL, NULL, NULL
  FROM {clock} WHERE complaint_id IN ({ids})
UNION ALL
SELECT complaint_id, 1, name, added_at, merged_from_id IS NULL, NULL, NULL, phone, id
  FROM {reporter} WHERE complaint_id IN ({ids})
ORDER BY 2, 4, 9
"""


class PageClock(NamedTuple):
    kind: str
    due_at: datetime
    warn_at: datetime
    provisional: bool
    running: bool


@dataclass
class PageDetails:
    """A list page's clocks and reporters, by complaint id (``page_details``)."""

    clocks: dict[int, list[PageClock]]
    # (name, phone) of every reporter, in the order they were added; merged-in
    # duplicates' reporters (CMP-14) are counted but never "the" reporter.
    reporters_count: dict[int, int]
    first_reporter: dict[int, tuple[str, str]]


def page_details(ids: list[int]) -> PageDetails:
    """Return the clocks and the reporters of the complaints ``ids``. One query."""
    details = PageDetails({pk: [] for pk in ids}, dict.fromkeys(ids, 0), {})
    if not ids:
        return details
    sql = _PAGE_DETAILS_SQL.format(
        clock=Clock._meta.db_table,
        reporter=Reporter._meta.db_table,
        ids=", ".join(["%s"] * len(ids)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids + ids)
        fetched = cursor.fetchall()
    for pk, source, text, moment, flag, warn_at, running, phone, _ in fetched:
        if source == 0:
            details.clocks[pk].append(
                PageClock(text, _aware(moment), _aware(warn_at), bool(flag), bool(running))
            )
            continue
        details.reporters_count[pk] += 1
        if flag and pk not in details.first_reporter:
            details.first_reporter[pk] = (text, phone)
    return details


def complaint_rows_fill(rows: list[Complaint]) -> list[Complaint]:
    """Set on each row what ``complaint_annotate`` would: due times, ``provisional``,
    ``reporters_count`` and the first reporter. One query for the whole page."""
    details = page_details([int(row.pk) for row in rows])
    names = {kind: name for name, kind in DUE_FIELDS.items()}
    for row in rows:
        clocks = details.clocks[row.pk]
        due = {names[k.kind]: k.due_at for k in clocks if k.kind in names}
        for name in DUE_FIELDS:
            setattr(row, name, due.get(name))
        row.provisional = any(k.provisional for k in clocks)  # type: ignore[attr-defined]
        row.reporters_count = details.reporters_count[row.pk]  # type: ignore[attr-defined]
        row.reporter_name, row.reporter_phone = details.first_reporter.get(  # type: ignore[attr-defined]
            row.pk, (None, None)
        )
    return rows


def _aware(value: datetime | str) -> datetime:
    """A raw cursor's timestamp as the ORM would give it: PostgreSQL's is already
    aware; SQLite's comes back naive (or as text) in UTC."""
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    if parsed is None:
        raise ValueError(value)
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def complaint_list(user: User | AnonymousUser) -> QuerySet[Complaint]:
    """Return the complaints ``user`` may see (ORG-01/02), annotated for the API."""
    return scope_queryset(complaint_annotate(Complaint.objects.all()), user).order_by("-id")


def complaint_overdue_q(now: datetime) -> Q:
    """Return the condition "an open record with a running clock past its due time"."""
    late = Clock.objects.filter(complaint=OuterRef("pk"), done_at__isnull=True, due_at__lte=now)
    return Q(Exists(late), status__in=list(rules.OPEN_STATUSES))


# --- Monthly statistics ------------------------------------------------------------


def parse_month(text: str) -> date:
    """Return the first day of ``YYYY-MM``; raise ``ValueError`` otherwise."""
    text = text.strip()
    if len(text) != 7 or text[4] != "-":
        raise ValueError(text)
    year, month = int(text[:4]), int(text[5:])
    if year < 2000 or year > 2999:
        raise ValueError(text)
    return date(year, month, 1)


def _rate(numerator: int, denominator: int) -> float | None:
    """Return numerator ÷ denominator × 100, two decimals; ``None`` with nothing to divide."""
    if not denominator:
        return None
    return round(numerator * 100 / denominator, 2)


def _bump(counts: dict[str, int], key: str | None, n: int) -> None:
    k = key or NONE_KEY
    counts[k] = counts.get(k, 0) + n


def month_stats(queryset: QuerySet[Complaint], month: date) -> dict[str, Any]:
    """Return the monthly statistics of the (already scoped) ``queryset``.

    Population: records *received* in the local calendar month of ``month``,
    excluding merged duplicates, so a matter raised by several people or several
    times counts once (CMP-14); ``people`` is the number of reporters of those
    records (a merge copies the duplicate's reporters to the master) and
    ``times`` the sum of their times. ``by_category`` uses the record's current,
    i.e. final, root-cause category (CMP-02).

    ``satisfaction_rate`` (CMP-16): among callbacks of those records whose
    outcome is *reached*, those with result satisfied or basically satisfied ÷
    all reached callbacks × 100, two decimals; ``None`` when there is no reached
    callback. Unanswered calls (no_answer) are in neither count; every reached
    callback counts, so an unsatisfied call followed by a satisfied one is 1 ÷ 2.

    ``first_contact_on_time_rate`` / ``rectify_on_time_rate`` (CMP-05, CMP-07):
    clocks of those records done at or before their (possibly extended) due time
    ÷ clocks done, or still running past due at ``now``; ``None`` when none.

    ``repeat_rate``: see the comment at the key. Six queries: one grouped count,
    reporters, callbacks, clocks, repeats, the policy.
    """
    start, end = month_bounds(month)
    now = timezone.now()
    records = queryset.filter(received_at__gte=start, received_at__lt=end).exclude(
        status=Status.MERGED
    )
    ids = records.order_by().values("pk")

    by_category: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    by_building: dict[str, int] = {}
    by_department: dict[str, int] = {}
    by_status: dict[str, int] = {}
    total = 0
    cube = (
        records.order_by()
        .values(
            "category__code",
            "channel__code",
            "kind",
            "severity",
            "unit__building_id",
            "department__code",
            "status",
        )
        .annotate(n=Count("id"))
    )
    for row in cube:
        n = row["n"]
        total += n
        _bump(by_category, row["category__code"], n)
        _bump(by_channel, row["channel__code"], n)
        _bump(by_kind, row["kind"], n)
        _bump(by_severity, row["severity"], n)
        building = row["unit__building_id"]
        _bump(by_building, str(building) if building else None, n)
        _bump(by_department, row["department__code"], n)
        _bump(by_status, row["status"], n)

    # One person raising the matter twice (and merged in) is one person, raised
    # twice: people are told apart by phone, or by name when no phone was given.
    person = Coalesce(NullIf("phone", Value("")), "name")
    people = Reporter.objects.filter(complaint__in=ids).aggregate(
        people=Count(Concat("complaint_id", Value("|"), person), distinct=True),
        times=Coalesce(Sum("times"), 0),
    )
    reached = Callback.objects.filter(
        complaint__in=ids, outcome=Callback.Outcome.REACHED
    ).aggregate(
        reached=Count("id"),
        satisfied=Count("id", filter=Q(result__in=list(rules.SATISFIED_RESULTS))),
    )
    on_time: dict[str, float | None] = {}
    clock_rows = (
        Clock.objects.filter(
            complaint__in=ids, kind__in=[Clock.Kind.FIRST_CONTACT, Clock.Kind.RECTIFY]
        )
        .order_by()
        .values("kind")
        .annotate(
            met=Count("id", filter=Q(done_at__isnull=False, done_at__lte=F("due_at"))),
            due=Count("id", filter=Q(done_at__isnull=False) | Q(due_at__lte=now)),
        )
    )
    counts = {row["kind"]: (row["met"], row["due"]) for row in clock_rows}
    for kind in (Clock.Kind.FIRST_CONTACT, Clock.Kind.RECTIFY):
        met, due = counts.get(kind, (0, 0))
        on_time[kind] = _rate(met, due)
    earlier = Complaint.objects.filter(
        kind=Complaint.Kind.COMPLAINT,
        unit=OuterRef("unit"),
        category=OuterRef("category"),
        received_at__lt=OuterRef("received_at"),
        received_at__gte=OuterRef("received_at") - timedelta(days=rules.REPEAT_WINDOW_DAYS),
    ).exclude(status=Status.MERGED)
    repeats = records.filter(kind=Complaint.Kind.COMPLAINT, unit__isnull=False).aggregate(
        complaints=Count("id"), repeated=Count("id", filter=Exists(earlier))
    )
    target: Decimal = Policy.current().satisfaction_target
    return {
        "month": f"{month:%Y-%m}",
        "total": total,
        "by_category": by_category,
        "by_channel": by_channel,
        "by_kind": by_kind,
        "by_severity": by_severity,
        "by_building": by_building,
        "by_department": by_department,
        "by_status": by_status,
        "people": people["people"],
        "times": people["times"],
        "callbacks_reached": reached["reached"],
        "callbacks_satisfied": reached["satisfied"],
        "satisfaction_rate": _rate(reached["satisfied"], reached["reached"]),
        "target": float(target),
        "first_contact_on_time_rate": on_time[Clock.Kind.FIRST_CONTACT],
        "rectify_on_time_rate": on_time[Clock.Kind.RECTIFY],
        # Complaints of the month whose unit raised the same root cause in the
        # 90 days before ÷ the month's complaints with a unit (CMP-14).
        "repeat_rate": _rate(repeats["repeated"], repeats["complaints"]),
    }


@dataclass(frozen=True)
class StatsRow:
    code: str
    label: str
    count: int
    share: float | None


def _rows(counts: dict[str, int], labels: dict[str, str], total: int) -> list[StatsRow]:
    """Rows in the configured order of ``labels`` first, then unknown codes, zeros kept."""
    ordered = list(labels) + sorted(k for k in counts if k not in labels)
    return [
        StatsRow(
            code,
            labels.get(code, "未分类" if code == NONE_KEY else code),
            counts.get(code, 0),
            _rate(counts.get(code, 0), total),
        )
        for code in ordered
        if code in counts or code in labels
    ]


def month_stats_report(queryset: QuerySet[Complaint], month: date) -> dict[str, Any]:
    """Return ``month_stats`` plus labelled rows for the stats page, Excel and PDF.

    Category and channel rows list every configured code (zeros included);
    buildings and departments list only those with records. Four small
    label queries on top of ``month_stats``.
    """
    stats = month_stats(queryset, month)
    total = stats["total"]
    categories = {c.code: str(c) for c in Category.objects.only("code", "name", "group")}
    channels = dict(Channel.objects.values_list("code", "name"))
    building_ids = [int(k) for k in stats["by_building"] if k != NONE_KEY]
    buildings = {
        str(pk): f"{project}·{name}"
        for pk, name, project in Building.objects.filter(pk__in=building_ids).values_list(
            "pk", "name", "project__name"
        )
    }
    departments = dict(
        Department.objects.filter(code__in=list(stats["by_department"])).values_list("code", "name")
    )
    kinds = {str(k): str(v) for k, v in Complaint.Kind.choices}
    return {
        "stats": stats,
        "category_rows": _rows(stats["by_category"], categories, total),
        "channel_rows": _rows(stats["by_channel"], channels, total),
        "kind_rows": _rows(stats["by_kind"], kinds, total),
        "building_rows": [
            r
            for r in _rows(stats["by_building"], buildings | {NONE_KEY: "无房号"}, total)
            if r.count
        ],
        "department_rows": [
            r
            for r in _rows(stats["by_department"], departments | {NONE_KEY: "未指派"}, total)
            if r.count
        ],
    }


def staff_service_record(user_ids: list[int], month: date) -> dict[int, dict[str, Any]]:
    """Return, per staff member, the month's service data that appraisal offers as
    deduction or bonus suggestions (CMP-22, APR 绩):

    ``failures`` (first-question failures recorded against them, by kind),
    ``owned`` (records they received that month), ``first_contact_on_time`` and
    ``rectify_on_time`` (rates of the clocks of those records, %), and
    ``valid_complaints`` (complaints whose root cause is 工作态度 that they received).
    Three queries whatever the number of people.
    """
    from complaints.models import FirstQuestionFailure

    start, end = month_bounds(month)
    result: dict[int, dict[str, Any]] = {
        uid: {
            "failures": {},
            "owned": 0,
            "first_contact_on_time": None,
            "rectify_on_time": None,
            "valid_complaints": 0,
        }
        for uid in user_ids
    }
    failures = (
        FirstQuestionFailure.objects.filter(
            staff_id__in=user_ids, recorded_at__gte=start, recorded_at__lt=end
        )
        .values_list("staff_id", "kind")
        .annotate(n=Count("id"))
    )
    for uid, kind, n in failures:
        result[uid]["failures"][kind] = n
    owned = (
        Complaint.objects.filter(
            received_by_id__in=user_ids, received_at__gte=start, received_at__lt=end
        )
        .exclude(status=Complaint.Status.MERGED)
        .values("received_by_id")
        .annotate(
            n=Count("id"),
            attitude=Count("id", filter=Q(category__code="service_attitude")),
        )
    )
    for row in owned:
        result[row["received_by_id"]]["owned"] = row["n"]
        result[row["received_by_id"]]["valid_complaints"] = row["attitude"]
    clocks = (
        Clock.objects.filter(
            complaint__received_by_id__in=user_ids,
            complaint__received_at__gte=start,
            complaint__received_at__lt=end,
            kind__in=[Clock.Kind.FIRST_CONTACT, Clock.Kind.RECTIFY],
        )
        .filter(Q(done_at__isnull=False) | Q(due_at__lt=timezone.now()))
        .values("complaint__received_by_id", "kind")
        .annotate(
            total=Count("id"),
            on_time=Count("id", filter=Q(done_at__lte=F("due_at"))),
        )
    )
    for clock_row in clocks:
        key = (
            "first_contact_on_time"
            if clock_row["kind"] == Clock.Kind.FIRST_CONTACT
            else "rectify_on_time"
        )
        owner_id = clock_row["complaint__received_by_id"]
        result[owner_id][key] = _rate(clock_row["on_time"], clock_row["total"])
    return result
