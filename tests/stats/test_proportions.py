"""Proportions against Newcombe's published examples, statsmodels, scipy and closed forms.

Sources of reference numbers
----------------------------
* N98a: Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
  seven methods. Stat Med 1998;17:857–872, Table II, examples 81/263, 15/148, 0/20, 1/29 —
  method 3 (Wilson score) and method 5 (Clopper–Pearson), 4 decimals (tolerance 5e-5).
* N98b: Newcombe RG. Interval estimation for the difference between independent proportions.
  Stat Med 1998;17:873–890, Table II, method 10 (hybrid score), examples 56/70 − 48/80,
  9/10 − 3/10, 5/56 − 0/29, 0/10 − 0/20, 0/10 − 0/10, 4 decimals (tolerance 5e-5).
* ALTMAN98: Altman DG. BMJ 1998;317:1309 — NNT is 1/ARR; when the ARR interval spans zero the
  NNT interval is written "NNTB a to ∞ to NNTH b" with a = 1/upper, b = 1/|lower|.
* statsmodels: ``proportion_confint``, ``confint_proportions_2indep(method="newcomb")``,
  ``Table2x2`` (Katz/Woolf log-scale RR/OR intervals; for zero cells it is given the table
  with 0.5 added to every cell, the Haldane–Anscombe correction).
* scipy: ``fisher_exact``, ``contingency.odds_ratio``, ``chi2_contingency``; closed forms
  (hypergeometric enumeration, Yates χ²) written out here.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from neuroregen.stats.proportions import (
    ResponderDefinition,
    chi_square_test,
    clopper_pearson_interval,
    fisher_exact_test,
    number_needed_to_treat,
    odds_ratio,
    responder_rate,
    responder_rate_from_counts,
    risk_difference,
    risk_ratio,
    wilson_interval,
)
from neuroregen.stats.results import PROVISIONAL_RELIABILITY, UNCONTROLLED, Direction

DOWN = Direction.HIGHER_IS_WORSE
UP = Direction.HIGHER_IS_BETTER

# N98a Table II: (x, n, Wilson low, Wilson high, Clopper–Pearson low, CP high)
N98A = [
    (81, 263, 0.2553, 0.3662, 0.2527, 0.3676),
    (15, 148, 0.0624, 0.1605, 0.0578, 0.1617),
    (0, 20, 0.0000, 0.1611, 0.0000, 0.1684),
    (1, 29, 0.0061, 0.1718, 0.0009, 0.1776),
]
# N98b Table II, method 10: (x1, n1, x2, n2, low, high)
N98B = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
]


@pytest.mark.parametrize(("x", "n", "wl", "wh", "cl", "ch"), N98A)
def test_single_proportion_intervals_match_newcombe(
    x: int, n: int, wl: float, wh: float, cl: float, ch: float
) -> None:
    assert wilson_interval(x, n, 0.95) == pytest.approx((wl, wh), abs=5e-5)
    assert clopper_pearson_interval(x, n) == pytest.approx((cl, ch), abs=5e-5)
    # statsmodels, same counts, to full precision
    assert wilson_interval(x, n, 0.95) == pytest.approx(
        proportion_confint(x, n, method="wilson"), abs=1e-12
    )
    assert clopper_pearson_interval(x, n) == pytest.approx(
        proportion_confint(x, n, method="beta"), abs=1e-10
    )


@pytest.mark.parametrize(("x1", "n1", "x2", "n2", "lo", "hi"), N98B)
def test_risk_difference_matches_newcombe_method_10(
    x1: int, n1: int, x2: int, n2: int, lo: float, hi: float
) -> None:
    est = risk_difference(x1, n1, x2, n2)
    assert est.estimate == pytest.approx(x1 / n1 - x2 / n2, abs=1e-12)
    assert (est.ci_low, est.ci_high) == pytest.approx((lo, hi), abs=5e-5)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(6, 7, 2, 7), (12, 30, 4, 31), (0, 15, 3, 14), (30, 30, 25, 30)]
)
def test_risk_difference_matches_statsmodels_newcombe(x1: int, n1: int, x2: int, n2: int) -> None:
    est = risk_difference(x1, n1, x2, n2)
    ref = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    assert (est.ci_low, est.ci_high) == pytest.approx(tuple(ref), abs=1e-10)


def test_wald_risk_difference_closed_form() -> None:
    est = risk_difference(56, 70, 48, 80, method="wald")
    p1, p2 = 0.8, 0.6
    se = math.sqrt(p1 * (1 - p1) / 70 + p2 * (1 - p2) / 80)
    z = stats.norm.ppf(0.975)
    assert (est.ci_low, est.ci_high) == pytest.approx((0.2 - z * se, 0.2 + z * se), abs=1e-12)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(56, 70, 48, 80), (3, 10, 0, 10), (7, 9, 2, 11)]
)
def test_ratios_match_statsmodels_table2x2(x1: int, n1: int, x2: int, n2: int) -> None:
    cells = np.array([[x1, n1 - x1], [x2, n2 - x2]], dtype=float)
    if (cells == 0).any():
        # Haldane–Anscombe: 0.5 added to *every* cell. statsmodels' own shift_zeros adds it
        # only to the zero cells, so the shifted table is passed explicitly.
        cells = cells + 0.5
    table = Table2x2(cells, shift_zeros=False)
    rr, orr = risk_ratio(x1, n1, x2, n2), odds_ratio(x1, n1, x2, n2)
    assert rr.estimate == pytest.approx(table.riskratio, rel=1e-12)
    assert (rr.ci_low, rr.ci_high) == pytest.approx(table.riskratio_confint(), rel=1e-10)
    assert orr.estimate == pytest.approx(table.oddsratio, rel=1e-12)
    assert (orr.ci_low, orr.ci_high) == pytest.approx(table.oddsratio_confint(), rel=1e-10)


def test_haldane_correction_is_reported_only_with_a_zero_cell() -> None:
    corrected = odds_ratio(3, 10, 0, 10)
    assert corrected.details["haldane_corrected"]
    assert corrected.estimate == pytest.approx((3.5 * 10.5) / (7.5 * 0.5))  # closed form
    assert any("0.5 was added" in c for c in corrected.caveats)
    plain = odds_ratio(3, 10, 1, 10)
    assert not plain.details["haldane_corrected"]
    assert plain.estimate == pytest.approx((3 * 9) / (7 * 1))


# ---------------------------------------------------------------- NNT
def test_nnt_significant_benefit_inverts_newcombe_limits() -> None:
    rd = risk_difference(9, 10, 3, 10)
    nnt = number_needed_to_treat(9, 10, 3, 10)
    assert nnt.estimate == pytest.approx(1 / 0.6)  # ALTMAN98: NNT = 1/ARR
    assert (nnt.ci_low, nnt.ci_high) == pytest.approx((1 / rd.ci_high, 1 / rd.ci_low))
    assert not nnt.details["crosses_zero"]
    assert nnt.details["interval_words"] == (
        f"NNTB {1 / rd.ci_high:.1f} to NNTB {1 / rd.ci_low:.1f}"
    )


def test_nnt_interval_through_infinity_uses_altman_notation() -> None:
    rd = risk_difference(5, 20, 4, 20)
    assert rd.ci_low < 0 < rd.ci_high
    nnt = number_needed_to_treat(5, 20, 4, 20)
    assert nnt.details["crosses_zero"]
    # ALTMAN98: lower ARR limit < 0 -> NNTH 1/|lower|; upper > 0 -> NNTB 1/upper
    expected = f"NNTH {1 / abs(rd.ci_low):.1f} to ∞ to NNTB {1 / rd.ci_high:.1f}"
    assert nnt.details["interval_words"] == expected
    assert expected in nnt.as_text()
    assert nnt.contains(1000.0)
    assert nnt.contains(-1000.0)
    assert not nnt.contains(1 / rd.ci_high / 2)


def test_nnt_for_harm_outcome_is_harm() -> None:
    nnt = number_needed_to_treat(8, 10, 1, 10, outcome_is_benefit=False)  # adverse events
    assert nnt.estimate == pytest.approx(-1 / 0.7)
    assert nnt.details["estimate_words"].startswith("NNTH")


def test_nnt_zero_difference_is_infinite() -> None:
    nnt = number_needed_to_treat(5, 10, 5, 10)
    assert math.isinf(nnt.estimate)


# ---------------------------------------------------------------- tests
def _fisher_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Closed form: sum hypergeometric probabilities no larger than the observed one."""
    r1, c1, n = a + b, a + c, a + b + c + d
    probs = {
        k: math.comb(c1, k) * math.comb(n - c1, r1 - k) / math.comb(n, r1)
        for k in range(max(0, r1 + c1 - n), min(r1, c1) + 1)
    }
    observed = probs[a]
    return sum(p for p in probs.values() if p <= observed * (1 + 1e-7))


def test_fisher_matches_enumeration_and_scipy() -> None:
    est = fisher_exact_test(9, 10, 3, 10)
    assert est.p_value == pytest.approx(_fisher_two_sided(9, 1, 3, 7), rel=1e-10)
    table = np.array([[9, 1], [3, 7]])
    ref = stats.contingency.odds_ratio(table, kind="conditional")
    ci = ref.confidence_interval()
    assert est.estimate == pytest.approx(ref.statistic, rel=1e-10)
    assert (est.ci_low, est.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-8)


def test_chi_square_matches_yates_closed_form() -> None:
    a, b, c, d = 56, 14, 48, 32
    n = a + b + c + d
    chi2 = n * (abs(a * d - b * c) - n / 2) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    est = chi_square_test(56, 70, 48, 80)
    assert est.details["chi2"] == pytest.approx(chi2, rel=1e-12)
    assert est.p_value == pytest.approx(stats.chi2.sf(chi2, 1), rel=1e-10)
    uncorrected = chi_square_test(56, 70, 48, 80, yates=False)
    chi2_u = n * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    assert uncorrected.details["chi2"] == pytest.approx(chi2_u, rel=1e-12)


def test_chi_square_warns_on_small_expected_and_handles_empty_margin() -> None:
    assert any("Fisher" in c for c in chi_square_test(2, 6, 0, 5).caveats)
    undefined = chi_square_test(0, 6, 0, 5)
    assert undefined.p_value is None


def test_counts_are_validated() -> None:
    with pytest.raises(ValueError, match="0 ≤ x ≤ n"):
        risk_difference(11, 10, 3, 10)


# ---------------------------------------------------------------- responder definitions
def test_definitions_are_frozen_and_described() -> None:
    d = ResponderDefinition.cgi_i()
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.threshold = 3  # type: ignore[misc]
    assert "CGI-I ≤ 2" in d.describe()
    assert "CGI-I ≤ 3" in ResponderDefinition.cgi_i(3).describe()
    pct = ResponderDefinition.percent_improvement("ATEC total", DOWN)
    assert "25%" in pct.describe()
    assert "reduction" in pct.describe()
    anyd = ResponderDefinition.any_improvement("ATEC total", DOWN)
    assert "any decrease" in anyd.describe()
    rc = ResponderDefinition.reliable_improvement("ATEC total", DOWN, 0.94, sd=20.0)
    assert "provisional" in rc.describe()
    assert "0.94" in rc.describe()


def test_cgi_definition_classifies_and_validates() -> None:
    d = ResponderDefinition.cgi_i()
    out = d.apply(cgi_i=[1, 2, 3, 7, np.nan])
    assert out[:4].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert math.isnan(out[4])
    with pytest.raises(ValueError, match=r"1\.\.7"):
        d.apply(cgi_i=[0, 2])
    with pytest.raises(ValueError, match=r"1\.\.7"):
        d.apply(cgi_i=[2.5])


def test_percent_improvement_respects_direction_and_floor() -> None:
    down = ResponderDefinition.percent_improvement("ATEC total", DOWN)
    # 80 -> 60 is exactly a 25 % reduction (responder); 80 -> 61 is not.
    assert down.apply(baseline=[80, 80], follow_up=[60, 61]).tolist() == [1.0, 0.0]
    up = ResponderDefinition.percent_improvement("Vineland", UP, floor=20.0)
    # improvement of 15 over a distance of 60 from the floor = 25 %
    assert up.apply(baseline=[80, 80], follow_up=[95, 65]).tolist() == [1.0, 0.0]
    on_floor = down.apply(baseline=[0.0], follow_up=[0.0])
    assert math.isnan(on_floor[0])


def test_any_improvement_and_reliable_definitions() -> None:
    anyd = ResponderDefinition.any_improvement("ATEC total", DOWN)
    assert anyd.apply(baseline=[50, 50, 50], follow_up=[49, 50, 51]).tolist() == [1.0, 0.0, 0.0]
    rc = ResponderDefinition.reliable_improvement("ATEC total", DOWN, 0.94, sd=20.0)
    s_diff = math.sqrt(2) * 20.0 * math.sqrt(1 - 0.94)  # Jacobson–Truax closed form
    base = np.array([100.0, 100.0, 100.0])
    follow = base - np.array([1.97, 1.95, -3.0]) * s_diff
    assert rc.apply(baseline=base, follow_up=follow).tolist() == [1.0, 0.0, 0.0]
    assert rc.caveats() == (PROVISIONAL_RELIABILITY,)


def test_responder_rate_carries_definition_and_missing_counts() -> None:
    d = ResponderDefinition.percent_improvement("ATEC total", DOWN)
    est = responder_rate(d, baseline=[80, 60, 40, 50, 70], follow_up=[50, 55, 20, np.nan, 40])
    assert est.n == 4
    assert est.estimate == pytest.approx(3 / 4)
    assert d.describe() in est.quantity
    assert est.details["definition"] == d.describe()
    assert est.details["n_not_evaluable"] == 1
    assert est.details["rate_missing_as_nonresponders"] == pytest.approx(3 / 5)
    assert UNCONTROLLED in est.caveats
    assert (est.ci_low, est.ci_high) == pytest.approx(
        proportion_confint(3, 4, method="wilson"), abs=1e-12
    )
    assert d.describe() in est.as_text()
    assert "95% CI" in est.as_text()


def test_rate_with_control_comparator_is_not_marked_uncontrolled() -> None:
    est = responder_rate_from_counts(
        5, 10, definition=ResponderDefinition.cgi_i(), comparator="placebo arm"
    )
    assert UNCONTROLLED not in est.caveats


# ---------------------------------------------------------------- properties
counts = st.integers(min_value=1, max_value=200).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@settings(max_examples=100, deadline=None)
@given(c=counts, conf=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_single_intervals_contain_estimate_and_stay_in_unit_interval(
    c: tuple[int, int], conf: float
) -> None:
    x, n = c
    for lo, hi in (wilson_interval(x, n, conf), clopper_pearson_interval(x, n, conf)):
        assert 0.0 <= lo <= x / n <= hi <= 1.0


@settings(max_examples=100, deadline=None)
@given(a=counts, b=counts)
def test_risk_difference_contains_estimate_and_is_antisymmetric(
    a: tuple[int, int], b: tuple[int, int]
) -> None:
    est = risk_difference(a[0], a[1], b[0], b[1])
    assert -1.0 <= est.ci_low <= est.estimate <= est.ci_high <= 1.0
    swapped = risk_difference(b[0], b[1], a[0], a[1])
    assert swapped.ci_low == pytest.approx(-est.ci_high, abs=1e-12)
    assert swapped.ci_high == pytest.approx(-est.ci_low, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(a=counts, b=counts)
def test_ratio_intervals_contain_estimate(a: tuple[int, int], b: tuple[int, int]) -> None:
    for est in (risk_ratio(a[0], a[1], b[0], b[1]), odds_ratio(a[0], a[1], b[0], b[1])):
        assert est.ci_low <= est.estimate <= est.ci_high


@settings(max_examples=60, deadline=None)
@given(
    base=st.lists(st.integers(min_value=1, max_value=179), min_size=1, max_size=30),
    data=st.data(),
)
def test_flipping_direction_swaps_improvers_and_worseners(
    base: list[int], data: st.DataObject
) -> None:
    follow = data.draw(st.lists(st.integers(0, 179), min_size=len(base), max_size=len(base)))
    down = ResponderDefinition.any_improvement("x", DOWN).apply(baseline=base, follow_up=follow)
    up = ResponderDefinition.any_improvement("x", UP).apply(baseline=base, follow_up=follow)
    changed = np.array(follow) != np.array(base)
    assert np.all(down[changed] == 1.0 - up[changed])
    assert np.all(down[~changed] == 0.0)
    assert np.all(up[~changed] == 0.0)
