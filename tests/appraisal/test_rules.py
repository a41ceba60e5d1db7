"""The appraisal arithmetic (APR-01, APR-02, APR-04, APR-05), Decimal and exact."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from appraisal import rules

D = Decimal


def items_4x4() -> list[rules.ItemSpec]:
    specs = []
    for code, total in (("de", 20), ("qin", 20), ("neng", 30), ("ji", 30)):
        for i, points in enumerate(rules.even_split(D(total), 4), start=1):
            specs.append(rules.ItemSpec(f"{code}{i}", code, points))
    return specs


def test_default_split_gives_each_dimension_its_maximum__APR_01():
    assert rules.even_split(D(30), 4) == [D("7.50")] * 4
    assert rules.even_split(D(20), 3) == [D("6.66"), D("6.66"), D("6.68")]
    assert sum(rules.even_split(D(20), 3)) == D(20)


def test_no_deductions_scores_exactly_100__APR_01():
    scores = rules.score(items_4x4(), [])
    assert scores.dimensions == {"de": D(20), "qin": D(20), "neng": D(30), "ji": D(30)}
    assert scores.total == D(100)


def test_item_scores_maximum_minus_deductions_never_below_zero__APR_02():
    scores = rules.score(items_4x4(), [("de2", D(3)), ("de2", D(4)), ("ji1", D("1.5"))])
    assert scores.items["de2"] == D(0)  # 5 - 7 floors at 0, not -2
    assert scores.dimensions["de"] == D(15)
    assert scores.items["ji1"] == D("6.00")
    assert scores.total == D("93.50")


def test_commendation_is_added_after_scoring_and_may_pass_100__APR_05():
    scores = rules.score(items_4x4(), [("qin1", D(1))], bonus=D(5))
    assert scores.total == D(104)


def test_criteria_must_add_up_to_100_with_items_matching_dimensions__APR_01():
    dims = {"de": D(20), "qin": D(20), "neng": D(30), "ji": D(30)}
    good = [(i.dimension, i.max_points) for i in items_4x4()]
    assert rules.criteria_errors(dims, good) == []
    bad_items = [*good[:-1], ("ji", D(8))]
    assert any("绩" in e for e in rules.criteria_errors(dims, bad_items))
    assert rules.criteria_errors({**dims, "de": D(25)}, good)


def test_composite_is_20_30_50_of_checks_monthly_and_year_end__APR_04():
    result = rules.composite(
        checks={"weekly": [D(90), D(80)], "monthly_check": [D(95)], "spot": []},
        check_weights={"weekly": D(1), "monthly_check": D(1), "spot": D(1)},
        monthly=[D(88), D(92), D(90)],
        year_end=D(96),
    )
    # checks: mean(weekly)=85, mean(monthly_check)=95 → (85+95)/2 = 90 (spot absent)
    # 0.2×90 + 0.3×90 + 0.5×96 = 18 + 27 + 48 = 93
    assert result.composite == D("93.00")
    assert [p.score for p in result.parts] == [D(90), D(90), D(96)]
    assert result.excellent is False


def test_check_kind_weights_are_configurable__APR_04():
    result = rules.composite(
        checks={"weekly": [D(80)], "monthly_check": [D(100)], "spot": []},
        check_weights={"weekly": D(1), "monthly_check": D(3), "spot": D(1)},
        monthly=[D(100)],
        year_end=D(100),
        percents=(D(20), D(30), D(50)),
    )
    # checks part = (1×80 + 3×100) / 4 = 95 → 19 + 30 + 50 = 99
    assert result.composite == D("99.00")


def test_composite_rounds_half_up_once_at_the_end__APR_04():
    result = rules.composite(
        checks={"weekly": [D("90.01"), D("90.02")], "monthly_check": [], "spot": []},
        check_weights={"weekly": D(1), "monthly_check": D(1), "spot": D(1)},
        monthly=[D("90.00"), D("90.01"), D("90.01")],
        year_end=D("90.01"),
    )
    # 0.2×90.015 + 0.3×90.006666… + 0.5×90.01 = 18.003 + 27.002 + 45.005 = 90.01
    assert result.composite == D("90.01")
    assert rules.round2(D("90.005")) == D("90.01")  # half up, not banker's rounding


def test_composite_above_100_flags_excellent_employee__APR_05():
    result = rules.composite(
        checks={"weekly": [D(104)], "monthly_check": [], "spot": []},
        check_weights={"weekly": D(1), "monthly_check": D(1), "spot": D(1)},
        monthly=[D(101)],
        year_end=D(102),
    )
    assert result.composite == D("102.10")
    assert result.excellent is True
    exactly = rules.composite(
        checks={"weekly": [D(100)]},
        check_weights={"weekly": D(1)},
        monthly=[D(100)],
        year_end=D(100),
    )
    assert exactly.composite == D(100) and exactly.excellent is False  # "exceeds 100"


def test_composite_waits_for_every_part__APR_04():
    result = rules.composite(
        checks={"weekly": [D(90)]},
        check_weights={"weekly": D(1)},
        monthly=[D(90)],
        year_end=None,
    )
    assert result.composite is None
    assert result.missing == ["year_end"]


@given(
    st.lists(
        st.tuples(
            st.sampled_from([i.code for i in items_4x4()]),
            st.decimals(min_value=D("0.01"), max_value=D(10), places=2),
        ),
        max_size=30,
    )
)
def test_deductions_never_push_a_score_outside_0_to_100__APR_02(deductions):
    scores = rules.score(items_4x4(), deductions)
    assert D(0) <= scores.total <= D(100)
    assert all(v >= 0 for v in scores.items.values())
