"""Within-group change: reference values from published examples, scipy and closed forms.

Sources of reference numbers
----------------------------
* LAKENS: Lakens D. Front Psychol 2013;4:863, movie-rating example (10 people rate two movies):
  paired t(9) = 4.74, Cohen's d_z = 1.50, d_av = 1.13 (values printed to 2 decimals; tolerance
  half a unit in the last printed digit).
* HW: Hollander M, Wolfe DA. Nonparametric Statistical Methods (1973), Example 3.1
  (Hamilton depression scores before/after a tranquilizer, n = 9); the same data are the
  example of R's ``wilcox.test``, whose documented one-sided result is V = 40, p = 0.01953.
* scipy: ``scipy.stats.ttest_rel`` and ``scipy.stats.wilcoxon`` on the same data.
* closed forms written out in this file (brute-force Walsh averages, exact enumeration of
  the signed-rank null distribution, the Hedges J gamma formula).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from neuroregen.stats._common import InsufficientDataError
from neuroregen.stats.results import SMALL_N, UNCONTROLLED, Direction
from neuroregen.stats.within import (
    cohens_d_av,
    cohens_d_z,
    hedges_g_av,
    mean_change,
    signed_rank_change,
)

MOVIE_1 = np.array([9, 7, 8, 9, 8, 9, 9, 10, 9, 9], dtype=float)  # LAKENS
MOVIE_2 = np.array([9, 6, 7, 8, 7, 9, 8, 8, 8, 7], dtype=float)  # LAKENS

HW_X = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])  # HW, first visit
HW_Y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])  # HW, second

UP = Direction.HIGHER_IS_BETTER
DOWN = Direction.HIGHER_IS_WORSE


# ---------------------------------------------------------------- mean change
def test_mean_change_matches_scipy_paired_t() -> None:
    est = mean_change(MOVIE_2, MOVIE_1, direction=UP)
    ref = stats.ttest_rel(MOVIE_1, MOVIE_2)  # scipy on the same data
    ci = ref.confidence_interval(confidence_level=0.95)
    assert est.estimate == pytest.approx(1.0, abs=1e-12)  # closed form: mean of differences
    assert est.ci_low == pytest.approx(ci.low, rel=1e-10)
    assert est.ci_high == pytest.approx(ci.high, rel=1e-10)
    assert est.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert est.details["t"] == pytest.approx(4.74, abs=0.005)  # LAKENS t(9) = 4.74
    assert est.details["df"] == 9


def test_mean_change_other_confidence_level_matches_scipy() -> None:
    est = mean_change(MOVIE_2, MOVIE_1, direction=UP, confidence=0.9)
    ci = stats.ttest_rel(MOVIE_1, MOVIE_2).confidence_interval(confidence_level=0.9)
    assert (est.ci_low, est.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)


def test_mean_change_is_direction_aware_and_uncontrolled() -> None:
    est = mean_change([60, 55, 70, 48, 52], [52, 50, 61, 47, 50], direction=DOWN)
    assert est.estimate < 0
    assert est.details["improvement"] == pytest.approx(-est.estimate)
    assert est.details["improvement_ci_low"] == pytest.approx(-est.ci_high)
    assert est.details["improvement_ci_high"] == pytest.approx(-est.ci_low)
    assert est.comparator == "own baseline (no control group)"
    assert UNCONTROLLED in est.caveats
    assert SMALL_N in est.caveats


def test_mean_change_drops_and_counts_incomplete_pairs() -> None:
    base = [10.0, np.nan, 12.0, 9.0, 11.0]
    follow = [12.0, 13.0, np.nan, 10.0, 15.0]
    est = mean_change(base, follow, direction=UP)
    assert est.n == 3
    assert est.details["n_dropped_missing"] == 2
    assert est.estimate == pytest.approx(np.mean([2.0, 1.0, 4.0]))


def test_mean_change_refuses_too_little_data() -> None:
    with pytest.raises(InsufficientDataError):
        mean_change([1.0], [2.0], direction=UP)
    with pytest.raises(InsufficientDataError):
        mean_change([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], direction=UP)  # identical changes


def test_mean_change_rejects_misaligned_arrays() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        mean_change([1, 2, 3], [1, 2], direction=UP)


# ---------------------------------------------------------------- d_z, d_av, g_av
def test_d_z_matches_lakens() -> None:
    est = cohens_d_z(MOVIE_2, MOVIE_1, direction=UP)
    assert est.estimate == pytest.approx(1.50, abs=0.005)  # LAKENS d_z = 1.50
    assert est.estimate == pytest.approx(1.0 / np.std(MOVIE_1 - MOVIE_2, ddof=1), rel=1e-12)


def test_d_z_interval_solves_noncentral_t_equations() -> None:
    est = cohens_d_z(MOVIE_2, MOVIE_1, direction=UP)
    n = 10
    t_obs = est.estimate * math.sqrt(n)
    # Defining equations of the noncentral-t interval (Steiger & Fouladi 1997), evaluated
    # directly with scipy's noncentral t CDF.
    assert stats.nct.cdf(t_obs, n - 1, est.ci_low * math.sqrt(n)) == pytest.approx(0.975, abs=1e-7)
    assert stats.nct.cdf(t_obs, n - 1, est.ci_high * math.sqrt(n)) == pytest.approx(0.025, abs=1e-7)


def test_d_z_interval_has_nominal_coverage() -> None:
    # Monte Carlo: normal changes with true d_z = 0.5, n = 12. The noncentral-t interval is
    # exact, so coverage should be 0.95 within simulation error (600 reps: SE ≈ 0.009).
    rng = np.random.default_rng(20240501)
    hits = 0
    reps = 600
    for _ in range(reps):
        base = rng.normal(50, 10, 12)
        follow = base + rng.normal(5, 10, 12)
        est = cohens_d_z(base, follow, direction=UP)
        hits += est.ci_low <= 0.5 <= est.ci_high
    assert 0.92 <= hits / reps <= 0.975


def test_d_av_matches_lakens_and_closed_form() -> None:
    est = cohens_d_av(MOVIE_2, MOVIE_1, direction=UP)
    assert est.estimate == pytest.approx(1.13, abs=0.005)  # LAKENS d_av = 1.13
    sd_av = (np.std(MOVIE_1, ddof=1) + np.std(MOVIE_2, ddof=1)) / 2
    assert est.estimate == pytest.approx(1.0 / sd_av, rel=1e-12)
    assert est.details["r_baseline_follow_up"] == pytest.approx(
        stats.pearsonr(MOVIE_1, MOVIE_2).statistic, rel=1e-12
    )


def test_d_av_interval_equals_rescaled_paired_t_interval_when_sds_are_equal() -> None:
    # With equal SDs, t* = d_av / sqrt(2(1-r)/n) is exactly the paired t statistic, so the
    # Algina–Keselman limits are the noncentral-t limits for t rescaled by sqrt(2(1-r)/n).
    base = np.array([3.0, 7.0, 5.0, 9.0, 4.0, 8.0, 6.0, 2.0])
    follow = np.array([5.0, 8.0, 9.0, 7.0, 6.0, 9.0, 4.0, 4.0])
    follow = (follow - follow.mean()) / follow.std(ddof=1) * base.std(ddof=1) + follow.mean()
    est = cohens_d_av(base, follow, direction=UP)
    n = base.size
    r = stats.pearsonr(base, follow).statistic
    t_paired = stats.ttest_rel(follow, base).statistic
    scale = math.sqrt(2 * (1 - r) / n)
    assert est.estimate / scale == pytest.approx(t_paired, rel=1e-10)
    assert stats.nct.cdf(t_paired, n - 1, est.ci_low / scale) == pytest.approx(0.975, abs=1e-7)
    assert stats.nct.cdf(t_paired, n - 1, est.ci_high / scale) == pytest.approx(0.025, abs=1e-7)


def test_g_av_applies_exact_hedges_correction() -> None:
    d = cohens_d_av(MOVIE_2, MOVIE_1, direction=UP)
    g = hedges_g_av(MOVIE_2, MOVIE_1, direction=UP)
    df = 9
    j_exact = math.gamma(df / 2) / (math.sqrt(df / 2) * math.gamma((df - 1) / 2))  # Hedges 1981
    assert g.details["j"] == pytest.approx(j_exact, rel=1e-12)
    assert g.details["j"] == pytest.approx(1 - 3 / (4 * df - 1), abs=1e-3)  # usual approximation
    assert g.estimate == pytest.approx(j_exact * d.estimate, rel=1e-12)
    assert g.ci_low == pytest.approx(j_exact * d.ci_low, rel=1e-12)
    assert g.ci_high == pytest.approx(j_exact * d.ci_high, rel=1e-12)


def test_d_av_needs_variability() -> None:
    with pytest.raises(InsufficientDataError):
        cohens_d_av([5.0, 5.0, 5.0], [4.0, 6.0, 5.0], direction=UP)


# ---------------------------------------------------------------- signed rank + HL
def _walsh_median(d: np.ndarray) -> float:
    walsh = [(d[i] + d[j]) / 2 for i in range(d.size) for j in range(i, d.size)]
    return float(np.median(walsh))


def _exact_hl_interval(d: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Brute force: enumerate all 2^n sign patterns for the null distribution of T+."""
    n = d.size
    ranks = np.arange(1, n + 1)
    t_plus = np.array([int(np.dot(signs, ranks)) for signs in itertools.product((0, 1), repeat=n)])
    walsh = sorted((d[i] + d[j]) / 2 for i in range(n) for j in range(i, n))
    big_n = len(walsh)
    alpha = 1 - confidence
    c = max(k for k in range(1, big_n + 1) if np.mean(t_plus <= k - 1) <= alpha / 2)
    return walsh[c - 1], walsh[big_n - c], 1 - 2 * float(np.mean(t_plus <= c - 1))


def test_signed_rank_matches_hollander_wolfe_and_scipy() -> None:
    est = signed_rank_change(HW_X, HW_Y, direction=DOWN)
    d = HW_Y - HW_X
    # R wilcox.test(x, y, paired = TRUE, alternative = "greater"): V = 40, p = 0.01953 (HW);
    # our two-sided p is twice that.
    assert est.p_value == pytest.approx(2 * 0.01953, abs=1e-5)
    assert est.p_value == pytest.approx(stats.wilcoxon(d).pvalue, rel=1e-12)  # scipy
    assert est.estimate == pytest.approx(_walsh_median(d), abs=1e-12)  # brute force
    low, high, achieved = _exact_hl_interval(d, 0.95)
    assert est.ci_low == pytest.approx(low, abs=1e-12)
    assert est.ci_high == pytest.approx(high, abs=1e-12)
    assert est.details["achieved_confidence"] == pytest.approx(achieved, abs=1e-12)
    assert est.details["achieved_confidence"] >= 0.95


def test_signed_rank_interval_at_90_percent_matches_enumeration() -> None:
    d = np.array([-3.1, 0.4, -1.7, -2.2, 1.1, -0.6, -4.0, -2.9, 0.9, -1.3])
    est = signed_rank_change(np.zeros(10), d, direction=UP, confidence=0.90)
    low, high, _ = _exact_hl_interval(d, 0.90)
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high), abs=1e-12)


def test_signed_rank_with_ties_uses_normal_approximation() -> None:
    d = np.array([1.0, 2.0, 2.0, 3.0, -1.0, 4.0, 2.0, 5.0, 0.0, 3.0, 1.0, 6.0])
    est = signed_rank_change(np.zeros(d.size), d, direction=UP)
    n = d.size
    walsh = sorted((d[i] + d[j]) / 2 for i in range(n) for j in range(i, n))
    # Hollander & Wolfe (3.28) with tie-corrected variance, rounded down (closed form here).
    absd = np.abs(d[d != 0])
    _, counts = np.unique(absd, return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24 - np.sum(counts**3 - counts) / 48
    c = math.floor(n * (n + 1) / 4 - stats.norm.ppf(0.975) * math.sqrt(var))
    assert est.ci_low == walsh[c - 1]
    assert est.ci_high == walsh[len(walsh) - c]
    assert est.details["n_zero_changes"] == 1
    # scipy normal approximation with zeros dropped and tie correction, same data
    ref = stats.wilcoxon(d, zero_method="wilcox", method="approx")
    assert est.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert "normal approximation" in est.details["interval_method"]


def test_signed_rank_interval_is_nan_when_n_too_small() -> None:
    est = signed_rank_change([0, 0, 0, 0, 0], [1.0, 2.5, -0.5, 3.0, 4.5], direction=UP)
    assert math.isnan(est.ci_low)
    assert math.isnan(est.ci_high)


# ---------------------------------------------------------------- properties
pairs = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=179),
        st.integers(min_value=0, max_value=179),
    ),
    min_size=6,
    max_size=25,
)


def _usable(p: list[tuple[int, int]]) -> bool:
    base = np.array([a for a, _ in p], dtype=float)
    follow = np.array([b for _, b in p], dtype=float)
    d = follow - base
    return bool(
        np.std(d) > 0
        and np.std(base) > 0
        and np.std(follow) > 0
        and abs(stats.pearsonr(base, follow).statistic) < 0.999
    )


FUNCS = [mean_change, cohens_d_z, cohens_d_av, hedges_g_av, signed_rank_change]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(p=pairs.filter(_usable))
def test_interval_contains_estimate(p: list[tuple[int, int]]) -> None:
    base = [a for a, _ in p]
    follow = [b for _, b in p]
    for func in FUNCS:
        est = func(base, follow, direction=DOWN)
        if not math.isnan(est.ci_low):
            assert est.ci_low - 1e-9 <= est.estimate <= est.ci_high + 1e-9, func.__name__


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(p=pairs.filter(_usable))
def test_flipping_direction_flips_improvement(p: list[tuple[int, int]]) -> None:
    base = [a for a, _ in p]
    follow = [b for _, b in p]
    for func in FUNCS:
        up = func(base, follow, direction=UP)
        down = func(base, follow, direction=DOWN)
        assert up.estimate == down.estimate
        assert up.details["improvement"] == pytest.approx(-down.details["improvement"])
        if not math.isnan(up.ci_low):
            assert up.details["improvement_ci_low"] == pytest.approx(
                -down.details["improvement_ci_high"]
            )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(p=pairs.filter(_usable), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_within_results_do_not_depend_on_participant_order(
    p: list[tuple[int, int]], seed: int
) -> None:
    base = np.array([a for a, _ in p], dtype=float)
    follow = np.array([b for _, b in p], dtype=float)
    order = np.random.default_rng(seed).permutation(base.size)
    for func in FUNCS:
        a = func(base, follow, direction=DOWN)
        b = func(base[order], follow[order], direction=DOWN)
        assert b.estimate == pytest.approx(a.estimate, rel=1e-9, abs=1e-12)
        assert b.ci_low == pytest.approx(a.ci_low, rel=1e-9, abs=1e-12, nan_ok=True)
        assert b.ci_high == pytest.approx(a.ci_high, rel=1e-9, abs=1e-12, nan_ok=True)
        if a.p_value is not None:
            assert b.p_value == pytest.approx(a.p_value, rel=1e-9)
