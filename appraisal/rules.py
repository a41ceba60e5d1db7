"""The arithmetic of the appraisal (APR-01, APR-02, APR-04, APR-05), pure functions.

Services, the API, the dashboard and the PDFs all call these; nothing else
adds up points.

Rounding: scores are Decimal with two places. Item, dimension and period
totals are exact sums of two-place numbers, so they need no rounding. The
means and the composite are computed exactly and rounded once, at the end, to
two places, half up (四舍五入) — the way a clerk rounds on the paper form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

TWO_PLACES = Decimal("0.01")
ZERO = Decimal(0)
DIMENSION_CODES = ("de", "qin", "neng", "ji")


def round2(value: Decimal) -> Decimal:
    """Round half up to two places (APR-04, documented above)."""
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ItemSpec:
    code: str
    dimension: str
    max_points: Decimal


@dataclass(frozen=True)
class Scores:
    """One assessment's scores: per item, per dimension, and the total with the bonus."""

    items: dict[str, Decimal]
    dimensions: dict[str, Decimal]
    bonus: Decimal
    total: Decimal


def score(
    items: Sequence[ItemSpec],
    deductions: Iterable[tuple[str, Decimal]],
    bonus: Decimal = ZERO,
) -> Scores:
    """Score by deduction (APR-02): each item its maximum minus its deductions,
    never below 0; dimensions are the sums of their items; the total is the sum
    of the dimensions plus the commendation bonus (APR-05), so it may exceed 100.
    """
    taken: dict[str, Decimal] = {}
    for code, points in deductions:
        taken[code] = taken.get(code, ZERO) + points
    item_scores = {i.code: max(ZERO, i.max_points - taken.get(i.code, ZERO)) for i in items}
    dimensions = {code: ZERO for code in DIMENSION_CODES}
    for i in items:
        dimensions[i.dimension] = dimensions.get(i.dimension, ZERO) + item_scores[i.code]
    return Scores(
        items=item_scores,
        dimensions=dimensions,
        bonus=bonus,
        total=sum(dimensions.values(), ZERO) + bonus,
    )


def criteria_errors(
    dimensions: Mapping[str, Decimal], items: Iterable[tuple[str, Decimal]]
) -> list[str]:
    """Return what is wrong with a criteria set (APR-01): items must add up to
    their dimension, dimensions to 100, and all four dimensions be present."""
    labels = {"de": _("德"), "qin": _("勤"), "neng": _("能"), "ji": _("绩")}
    errors = []
    missing = [str(labels.get(c, c)) for c in DIMENSION_CODES if c not in dimensions]
    if missing:
        errors.append(_("缺少维度：%(dims)s") % {"dims": "、".join(missing)})
    total = sum(dimensions.values(), ZERO)
    if total != Decimal(100):
        errors.append(_("各维度满分合计 %(total)s，应为 100") % {"total": total})
    sums: dict[str, Decimal] = {c: ZERO for c in dimensions}
    for dimension, points in items:
        if points <= 0:
            errors.append(_("%(dim)s 有项目分值为 0") % {"dim": labels.get(dimension, dimension)})
        sums[dimension] = sums.get(dimension, ZERO) + points
    for code, max_points in dimensions.items():
        if sums.get(code, ZERO) != max_points:
            errors.append(
                _("%(dim)s 的项目合计 %(sum)s，应为 %(max)s")
                % {"dim": labels.get(code, code), "sum": sums.get(code, ZERO), "max": max_points}
            )
    return errors


def even_split(total: Decimal, n: int) -> list[Decimal]:
    """Split ``total`` into ``n`` two-place parts that add up exactly (APR-01 default)."""
    base = (total / n).quantize(TWO_PLACES, rounding="ROUND_DOWN")
    parts = [base] * n
    parts[-1] = total - base * (n - 1)
    return parts


def mean(values: Sequence[Decimal]) -> Decimal | None:
    """Exact mean, or None when there is nothing to average."""
    if not values:
        return None
    return sum(values, ZERO) / len(values)


@dataclass(frozen=True)
class CompositePart:
    """One of the three parts of the composite, with the numbers behind it."""

    key: str  # "checks" | "monthly" | "year_end"
    percent: Decimal
    score: Decimal | None  # the part's (weighted) mean, exact
    sources: dict[str, list[Decimal]] = field(default_factory=dict)


@dataclass(frozen=True)
class Composite:
    composite: Decimal | None  # rounded to two places; None while a part is missing
    excellent: bool
    parts: list[CompositePart]
    missing: list[str]


def composite(
    *,
    checks: Mapping[str, Sequence[Decimal]],
    check_weights: Mapping[str, Decimal],
    monthly: Sequence[Decimal],
    year_end: Decimal | None,
    percents: tuple[Decimal, Decimal, Decimal] = (Decimal(20), Decimal(30), Decimal(50)),
    excellent_above: Decimal = Decimal(100),
) -> Composite:
    """The year-end composite (APR-04) and the 优秀员工 flag (APR-05).

    ``checks`` maps each check kind (weekly, monthly_check, spot) to the totals
    of that kind in the year. The checks part is the weighted mean of the
    kinds' means, over the kinds that have records (a year without spot checks
    is averaged over weekly and monthly checks only). The monthly part is the
    mean of the monthly appraisals. Composite = checks% × checks part +
    monthly% × monthly part + year-end% × year-end total, rounded half up to two
    places at the end. Bonus points are already in the totals, so a composite
    above ``excellent_above`` flags 优秀员工.
    """
    kind_means = {k: mean(v) for k, v in checks.items() if v}
    weight_sum = sum((check_weights.get(k, ZERO) for k in kind_means), ZERO)
    checks_score: Decimal | None = None
    if kind_means and weight_sum > 0:
        weighted = sum(
            (check_weights.get(k, ZERO) * m for k, m in kind_means.items() if m is not None),
            ZERO,
        )
        checks_score = weighted / weight_sum
    monthly_score = mean(monthly)
    p_checks, p_monthly, p_year = percents
    parts = [
        CompositePart("checks", p_checks, checks_score, {k: list(v) for k, v in checks.items()}),
        CompositePart("monthly", p_monthly, monthly_score, {"monthly": list(monthly)}),
        CompositePart(
            "year_end", p_year, year_end, {"year_end": [year_end] if year_end is not None else []}
        ),
    ]
    missing = [p.key for p in parts if p.score is None]
    if missing:
        return Composite(None, False, parts, missing)
    exact = sum((p.percent * p.score for p in parts if p.score is not None), ZERO) / 100
    value = round2(exact)
    return Composite(value, value > excellent_above, parts, [])
