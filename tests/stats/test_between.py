"""Between-group estimators against scipy, numpy least squares, Lakens (2013) and closed forms.

Sources of reference numbers
----------------------------
* LAKENS: Lakens D. Front Psychol 2013;4:863 — the movie ratings analysed as two independent
  groups of 10: t(18) = 2.52, Cohen's d_s = 1.13, Hedges's g_s = 1.08 (2 decimals printed;
  tolerance 0.005).
* scipy: ``scipy.stats.ttest_ind(equal_var=False)`` (Welch) on the same data.
* numpy: ordinary least squares solved with ``numpy.linalg.lstsq`` and the textbook
  covariance σ²(XᵀX)⁻¹, written out here, for ANCOVA.
* Closed forms: pooled SD, Hedges–Olkin large-sample SE, SD = SE·√n, Bhatia–Davis bound.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from neuroregen.stats._common import InsufficientDataError
from neuroregen.stats.between import (
    ancova_treatment_effect,
    check_dispersion,
    cohens_d,
    effect_size_from_summary,
    hedges_g,
    welch_difference,
)
from neuroregen.stats.results import Direction

MOVIE_1 = np.array([9, 7, 8, 9, 8, 9, 9, 10, 9, 9], dtype=float)  # LAKENS
MOVIE_2 = np.array([9, 6, 7, 8, 7, 9, 8, 8, 8, 7], dtype=float)  # LAKENS
UP = Direction.HIGHER_IS_BETTER
DOWN = Direction.HIGHER_IS_WORSE

TREATED = np.array([-12.0, -8.0, -15.0, -3.0, -9.0, -20.0, -1.0, -11.0])
CONTROL = np.array([-4.0, -6.0, 1.0, -2.0, -5.0, -3.0, -9.0, 2.0, 0.0, -7.0])


# ---------------------------------------------------------------- Welch
def test_welch_matches_scipy() -> None:
    est = welch_difference(TREATED, CONTROL, direction=DOWN)
    ref = stats.ttest_ind(TREATED, CONTROL, equal_var=False)  # scipy, same data
    ci = ref.confidence_interval(confidence_level=0.95)
    assert est.estimate == pytest.approx(TREATED.mean() - CONTROL.mean(), rel=1e-12)
    assert est.ci_low == pytest.approx(ci.low, rel=1e-10)
    assert est.ci_high == pytest.approx(ci.high, rel=1e-10)
    assert est.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert est.details["df"] == pytest.approx(ref.df, rel=1e-10)
    assert est.details["improvement"] == pytest.approx(-est.estimate)


def test_welch_drops_missing_per_group() -> None:
    est = welch_difference([1.0, np.nan, 3.0, 4.0], [2.0, 2.5, np.nan], direction=UP)
    assert est.n == 5
    assert est.details["n_dropped_missing"] == 2


def test_welch_needs_two_per_group() -> None:
    with pytest.raises(InsufficientDataError):
        welch_difference([1.0], [2.0, 3.0], direction=UP)


# ---------------------------------------------------------------- ANCOVA
def _ancova_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 24
    pre = rng.normal(60, 12, n)
    arm = np.where(np.arange(n) % 2 == 0, "cell", "ctrl")
    post = 5 + 0.8 * pre - 4.0 * (arm == "cell") + rng.normal(0, 6, n)
    return pd.DataFrame({"pre": pre, "post": post, "arm": arm})


def test_ancova_matches_least_squares_closed_form() -> None:
    df = _ancova_frame()
    est = ancova_treatment_effect(
        df, outcome="post", baseline="pre", group="arm", treated_value="cell", direction=DOWN
    )
    x = np.column_stack([np.ones(len(df)), df["pre"], (df["arm"] == "cell").astype(float)])
    y = df["post"].to_numpy()
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    dof = len(y) - 3
    sigma2 = resid @ resid / dof
    se = math.sqrt(sigma2 * np.linalg.inv(x.T @ x)[2, 2])
    t_crit = stats.t.ppf(0.975, dof)
    assert est.estimate == pytest.approx(beta[2], rel=1e-9)
    assert est.details["se"] == pytest.approx(se, rel=1e-9)
    assert est.ci_low == pytest.approx(beta[2] - t_crit * se, rel=1e-9)
    assert est.ci_high == pytest.approx(beta[2] + t_crit * se, rel=1e-9)
    assert est.p_value == pytest.approx(2 * stats.t.sf(abs(beta[2] / se), dof), rel=1e-8)
    assert est.details["baseline_slope"] == pytest.approx(beta[1], rel=1e-9)


def test_ancova_complete_case_and_odd_column_names() -> None:
    df = _ancova_frame().rename(columns={"pre": "ATEC total (baseline)", "post": "ATEC-6m"})
    df.loc[0, "ATEC-6m"] = np.nan
    df.loc[3, "arm"] = None
    est = ancova_treatment_effect(
        df,
        outcome="ATEC-6m",
        baseline="ATEC total (baseline)",
        group="arm",
        treated_value="cell",
        direction=DOWN,
    )
    assert est.n == len(df) - 2
    assert est.details["n_dropped_missing"] == 2


def test_ancova_missing_column_raises() -> None:
    with pytest.raises(KeyError):
        ancova_treatment_effect(
            _ancova_frame(),
            outcome="nope",
            baseline="pre",
            group="arm",
            treated_value="cell",
            direction=UP,
        )


# ---------------------------------------------------------------- Cohen's d / Hedges' g
def test_cohens_d_and_hedges_g_match_lakens() -> None:
    d = cohens_d(MOVIE_1, MOVIE_2, direction=UP)
    g = hedges_g(MOVIE_1, MOVIE_2, direction=UP)
    assert d.estimate == pytest.approx(1.13, abs=0.005)  # LAKENS d_s = 1.13
    assert g.estimate == pytest.approx(1.08, abs=0.005)  # LAKENS g_s = 1.08
    t18 = stats.ttest_ind(MOVIE_1, MOVIE_2).statistic
    assert t18 == pytest.approx(2.52, abs=0.005)  # LAKENS t(18) = 2.52
    assert d.estimate == pytest.approx(t18 * math.sqrt(1 / 10 + 1 / 10), rel=1e-12)


def test_d_noncentral_interval_solves_defining_equations() -> None:
    d = cohens_d(MOVIE_1, MOVIE_2, direction=UP)
    scale = math.sqrt(1 / 10 + 1 / 10)
    t_obs = d.estimate / scale
    assert stats.nct.cdf(t_obs, 18, d.ci_low / scale) == pytest.approx(0.975, abs=1e-7)
    assert stats.nct.cdf(t_obs, 18, d.ci_high / scale) == pytest.approx(0.025, abs=1e-7)


def test_d_normal_interval_matches_hedges_olkin_closed_form() -> None:
    d = cohens_d(TREATED, CONTROL, direction=DOWN, ci_method="normal")
    n1, n2 = TREATED.size, CONTROL.size
    sp = math.sqrt(
        ((n1 - 1) * TREATED.var(ddof=1) + (n2 - 1) * CONTROL.var(ddof=1)) / (n1 + n2 - 2)
    )
    d_ref = (TREATED.mean() - CONTROL.mean()) / sp
    se = math.sqrt((n1 + n2) / (n1 * n2) + d_ref**2 / (2 * (n1 + n2)))  # Hedges & Olkin 1985
    z = stats.norm.ppf(0.975)
    assert d.estimate == pytest.approx(d_ref, rel=1e-12)
    assert (d.ci_low, d.ci_high) == pytest.approx((d_ref - z * se, d_ref + z * se), rel=1e-12)


def test_hedges_g_interval_is_d_interval_times_exact_j() -> None:
    d = cohens_d(TREATED, CONTROL, direction=DOWN)
    g = hedges_g(TREATED, CONTROL, direction=DOWN)
    df = TREATED.size + CONTROL.size - 2
    j = math.gamma(df / 2) / (math.sqrt(df / 2) * math.gamma((df - 1) / 2))
    assert g.estimate == pytest.approx(j * d.estimate, rel=1e-12)
    assert (g.ci_low, g.ci_high) == pytest.approx((j * d.ci_low, j * d.ci_high), rel=1e-12)


def test_noncentral_d_interval_coverage() -> None:
    # Monte Carlo: two normal groups of 10 with true δ = 0.8; exact method → ~95 %.
    rng = np.random.default_rng(11)
    reps, hits = 500, 0
    for _ in range(reps):
        d = cohens_d(rng.normal(0.8, 1, 10), rng.normal(0, 1, 10), direction=UP)
        hits += d.ci_low <= 0.8 <= d.ci_high
    assert 0.92 <= hits / reps <= 0.975


# ---------------------------------------------------------------- summary data and SD checks
def test_summary_effect_equals_raw_data_effect() -> None:
    raw = hedges_g(TREATED, CONTROL, direction=DOWN)
    summ = effect_size_from_summary(
        TREATED.mean(),
        TREATED.std(ddof=1),
        TREATED.size,
        CONTROL.mean(),
        CONTROL.std(ddof=1),
        CONTROL.size,
        direction=DOWN,
    )
    assert summ.estimate == pytest.approx(raw.estimate, rel=1e-12)
    assert (summ.ci_low, summ.ci_high) == pytest.approx((raw.ci_low, raw.ci_high), rel=1e-10)


def test_summary_se_is_converted_to_sd() -> None:
    by_se = effect_size_from_summary(-8.0, 2.0, 25, -3.0, 1.5, 36, direction=DOWN, dispersion="se")
    by_sd = effect_size_from_summary(
        -8.0, 2.0 * 5, 25, -3.0, 1.5 * 6, 36, direction=DOWN
    )  # closed form SD = SE·√n
    assert by_se.estimate == pytest.approx(by_sd.estimate, rel=1e-12)


def test_sd_that_is_really_an_se_is_flagged() -> None:
    # Vineland composite (normative SD 15): a reported "SD" of 2.3 with n = 40 is an SE
    # (2.3·√40 = 14.5).
    est = effect_size_from_summary(
        78.0, 2.3, 40, 73.0, 2.4, 40, direction=UP, reference_sd=15.0, scale_min=20
    )
    assert "sd_looks_like_se" in est.details["flags"]
    assert "sd_implausibly_small" in est.details["flags"]
    assert any("standard error" in c for c in est.caveats)
    honest = effect_size_from_summary(
        78.0, 14.0, 40, 73.0, 15.5, 40, direction=UP, reference_sd=15.0, scale_min=20
    )
    assert honest.details["flags"] == ()


def test_bhatia_davis_bound() -> None:
    # ATEC total 0..179, mean 20: max possible SD = sqrt(20 * 159) = 56.4 (Bhatia & Davis).
    assert check_dispersion(20.0, 56.0, 30, scale_min=0, scale_max=179) == ()
    flags = check_dispersion(20.0, 57.0, 30, scale_min=0, scale_max=179)
    assert [f.code for f in flags] == ["sd_exceeds_scale_bound"]
    # Labelled SE but SE·√n is impossible: probably an SD.
    flags = check_dispersion(20.0, 15.0, 30, kind="se", scale_min=0, scale_max=179)
    assert [f.code for f in flags] == ["sd_exceeds_scale_bound"]
    assert "probably an SD" in flags[0].message


def test_mean_outside_scale_and_implausible_effect_are_flagged() -> None:
    assert [f.code for f in check_dispersion(200.0, 20.0, 30, scale_min=0, scale_max=179)] == [
        "mean_outside_scale"
    ]
    est = effect_size_from_summary(-30.0, 5.0, 20, -3.0, 5.0, 20, direction=DOWN)
    assert "implausibly_large_effect" in est.details["flags"]


# ---------------------------------------------------------------- properties
groups = st.lists(st.integers(min_value=0, max_value=100), min_size=3, max_size=15)


def _varies(x: list[int]) -> bool:
    return len(set(x)) > 1


@settings(max_examples=40, deadline=None)
@given(t=groups.filter(_varies), c=groups.filter(_varies))
def test_between_intervals_contain_estimate(t: list[int], c: list[int]) -> None:
    for func in (welch_difference, cohens_d, hedges_g):
        est = func(t, c, direction=UP)
        assert est.ci_low - 1e-9 <= est.estimate <= est.ci_high + 1e-9


@settings(max_examples=30, deadline=None)
@given(t=groups.filter(_varies), c=groups.filter(_varies))
def test_between_direction_flips_improvement_and_swapping_groups_negates(
    t: list[int], c: list[int]
) -> None:
    for func in (welch_difference, cohens_d, hedges_g):
        up, down = func(t, c, direction=UP), func(t, c, direction=DOWN)
        assert up.details["improvement"] == pytest.approx(-down.details["improvement"])
        swapped = func(c, t, direction=UP)
        assert swapped.estimate == pytest.approx(-up.estimate, abs=1e-12)
        assert swapped.ci_low == pytest.approx(-up.ci_high, rel=1e-6, abs=1e-9)
