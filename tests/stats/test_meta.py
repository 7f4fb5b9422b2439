"""Tests for neuroregen.stats.meta against published values and hand computations.

Every reference number names its source and its own tolerance.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from neuroregen.stats.meta import (
    FEW_STUDIES,
    HETEROGENEITY,
    Measure,
    check_p_value,
    grim_check,
    hedges_g,
    log_risk_ratio,
    pool,
    se_from_ci,
)

# BCG vaccine trials (Colditz et al., JAMA 1994;271:698–702), as distributed in R metafor as
# `dat.bcg`: (trial, tpos, tneg, cpos, cneg) — TB cases / non-cases, vaccinated and control.
BCG = [
    ("Aronson 1948", 4, 119, 11, 128),
    ("Ferguson & Simes 1949", 6, 300, 29, 274),
    ("Rosenthal et al 1960", 3, 228, 11, 209),
    ("Hart & Sutherland 1977", 62, 13536, 248, 12619),
    ("Frimodt-Moller et al 1973", 33, 5036, 47, 5761),
    ("Stein & Aronson 1953", 180, 1361, 372, 1079),
    ("Vandiviere et al 1973", 8, 2537, 10, 619),
    ("TPT Madras 1980", 505, 87886, 499, 87892),
    ("Coetzee & Berjak 1968", 29, 7470, 45, 7232),
    ("Rosenthal et al 1961", 17, 1699, 65, 1600),
    ("Comstock et al 1974", 186, 50448, 141, 27197),
    ("Comstock & Webster 1969", 5, 2493, 3, 2338),
    ("Comstock et al 1976", 27, 16886, 29, 17825),
]

# Published results for the BCG log risk ratios, DerSimonian–Laird and fixed effect:
# R metafor, rma(yi, vi, data = escalc("RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg),
# method = "DL") and method = "FE" (Viechtbauer W. Conducting meta-analyses in R with the
# metafor package. J Stat Softw 2010;36(3); metafor reference manual, dat.bcg examples).
# Printed to 4 decimals, hence tolerance 5e-4 on those.
REF_DL_MU = -0.7141  # tol 5e-4
REF_DL_SE = 0.1787  # tol 5e-4
REF_DL_TAU2 = 0.3088  # tol 5e-4 (the brief's "τ² ≈ 0.31")
REF_Q = 152.2330  # tol 1e-3; Q(df = 12)
REF_I2 = 92.12  # percent, tol 0.01 (printed to 2 decimals)
REF_FE_MU = -0.4303  # tol 5e-4
REF_FE_SE = 0.0405  # tol 5e-4
REF_RR_RANDOM = 0.4896  # exp(-0.7141), tol 5e-4 (the brief's "pooled RR ≈ 0.49")
# metafor escalc for Aronson 1948: yi = -0.8893, vi = 0.3256 (4 decimals, tol 5e-5 + rounding)
REF_ARONSON = (-0.8893, 0.3256)


def bcg_effects() -> tuple[list[str], list[float], list[float]]:
    labels, y, v = [], [], []
    for label, tpos, tneg, cpos, cneg in BCG:
        yi, vi = log_risk_ratio(tpos, tpos + tneg, cpos, cpos + cneg)
        labels.append(label)
        y.append(yi)
        v.append(vi)
    return labels, y, v


class TestBCG:
    def test_study_effect_matches_metafor_escalc(self) -> None:
        yi, vi = log_risk_ratio(4, 123, 11, 139)
        assert yi == pytest.approx(REF_ARONSON[0], abs=5e-5)
        assert vi == pytest.approx(REF_ARONSON[1], abs=5e-5)

    def test_dersimonian_laird_matches_published(self) -> None:
        labels, y, v = bcg_effects()
        res = pool(y, variances=v, labels=labels, measure="logRR")
        assert res.random.estimate == pytest.approx(REF_DL_MU, abs=5e-4)
        assert res.random.details["se"] == pytest.approx(REF_DL_SE, abs=5e-4)
        assert res.tau2 == pytest.approx(REF_DL_TAU2, abs=5e-4)
        assert res.q == pytest.approx(REF_Q, abs=1e-3)
        assert res.q_df == 12
        assert res.i2 == pytest.approx(REF_I2, abs=0.01)
        assert res.random_ratio().estimate == pytest.approx(REF_RR_RANDOM, abs=5e-4)

    def test_fixed_effect_matches_published(self) -> None:
        _, y, v = bcg_effects()
        res = pool(y, variances=v, measure=Measure.LOG_RR)
        assert res.fixed.estimate == pytest.approx(REF_FE_MU, abs=5e-4)
        assert res.fixed.details["se"] == pytest.approx(REF_FE_SE, abs=5e-4)

    def test_prediction_interval_follows_higgins_2009(self) -> None:
        # Hand computation from the published DL numbers above:
        # μ ± t_{0.975, k-2=11} · sqrt(τ² + SE²); t_{0.975,11} = 2.2010 (t tables).
        half = 2.2010 * math.sqrt(REF_DL_TAU2 + REF_DL_SE**2)
        _, y, v = bcg_effects()
        lo, hi = pool(y, variances=v, measure="logRR").prediction_interval
        assert lo == pytest.approx(REF_DL_MU - half, abs=2e-3)  # rounding of the inputs
        assert hi == pytest.approx(REF_DL_MU + half, abs=2e-3)

    def test_i2_interval_follows_higgins_thompson_2002(self) -> None:
        # Hand computation (Higgins & Thompson 2002, appendix): Q > k so
        # SE(ln H) = 0.5 (ln Q − ln(k−1)) / (sqrt(2Q) − sqrt(2k−3)), H = sqrt(Q/(k−1)).
        q, k = REF_Q, 13
        se = 0.5 * (math.log(q) - math.log(k - 1)) / (math.sqrt(2 * q) - math.sqrt(2 * k - 3))
        h = math.sqrt(q / (k - 1))
        lo_h, hi_h = h * math.exp(-1.959964 * se), h * math.exp(1.959964 * se)
        _, y, v = bcg_effects()
        lo, hi = pool(y, variances=v, measure="logRR").i2_ci
        assert lo == pytest.approx(100 * (lo_h**2 - 1) / lo_h**2, abs=0.01)
        assert hi == pytest.approx(100 * (hi_h**2 - 1) / hi_h**2, abs=0.01)
        assert lo < REF_I2 < hi

    def test_ratio_interval_is_exponentiated_log_interval(self) -> None:
        _, y, v = bcg_effects()
        res = pool(y, variances=v, measure="logRR")
        rr = res.random_ratio()
        assert rr.ci_low == pytest.approx(math.exp(res.random.ci_low), rel=1e-12)
        assert rr.ci_high == pytest.approx(math.exp(res.random.ci_high), rel=1e-12)
        assert "risk ratio" in rr.quantity
        assert HETEROGENEITY in rr.caveats

    def test_forest_table_has_every_study_and_pooled_rows(self) -> None:
        labels, y, v = bcg_effects()
        table = pool(y, variances=v, labels=labels, measure="logRR").forest_table()
        assert list(table["label"][:13]) == labels
        assert list(table["kind"]).count("pooled") == 2
        assert table["weight_random"][:13].sum() == pytest.approx(100.0)
        assert (table["low"] <= table["estimate"]).all()
        assert (table["estimate"] <= table["high"]).all()


class TestEffectSizes:
    def test_hedges_g_matches_borenstein_worked_example(self) -> None:
        # Borenstein, Hedges, Higgins, Rothstein. Introduction to Meta-Analysis, Wiley 2009,
        # ch. 4 worked example: means 103 vs 100, SD 5.5 vs 4.5, n 50 vs 50 →
        # d = 0.5970, V_d = 0.0418, J = 0.9923, g = 0.5924, V_g = 0.0411 (4 decimals).
        g, vg = hedges_g(103, 5.5, 50, 100, 4.5, 50)
        assert g == pytest.approx(0.5924, abs=5e-4)
        assert vg == pytest.approx(0.0411, abs=5e-4)

    def test_zero_cell_gets_continuity_correction(self) -> None:
        # Hand computation: a=0.5, n1=10+1, c=3.5, n2=10+1 after adding 0.5 to each cell.
        yi, vi = log_risk_ratio(0, 10, 3, 10)
        assert yi == pytest.approx(math.log((0.5 / 11) / (3.5 / 11)), rel=1e-12)
        assert vi == pytest.approx(1 / 0.5 - 1 / 11 + 1 / 3.5 - 1 / 11, rel=1e-12)

    def test_rejects_impossible_counts(self) -> None:
        with pytest.raises(ValueError, match="exceed"):
            log_risk_ratio(12, 10, 1, 10)


class TestChecks:
    def test_se_from_ratio_ci_altman_bland(self) -> None:
        # Altman & Bland, BMJ 2011;343:d2304: HR 0.81 (0.70 to 0.94) → SE(log HR) = 0.075.
        assert se_from_ci(0.70, 0.94, log_scale=True) == pytest.approx(0.0752, abs=1e-4)

    def test_se_from_ci_difference(self) -> None:
        # Qu et al. 2022 CARS mean difference −5.96 (−8.87 to −3.06): hand SE = 5.81 / 3.919928.
        assert se_from_ci(-8.87, -3.06) == pytest.approx(5.81 / 3.919928, rel=1e-6)
        # 90 % interval uses z = 1.644854
        assert se_from_ci(-1.0, 1.0, confidence=0.90) == pytest.approx(1 / 1.644854, rel=1e-6)

    def test_p_from_ci_altman_bland_example_is_consistent(self) -> None:
        # Altman & Bland 2011: z = 2.81, P = 0.005.
        chk = check_p_value(0.81, 0.70, 0.94, 0.005, ratio=True, ci_decimals=2, p_decimals=3)
        assert chk.consistent
        assert not chk.decision_inconsistent
        assert chk.recomputed_p == pytest.approx(0.005, abs=5e-4)

    def test_wrong_p_is_flagged(self) -> None:
        chk = check_p_value(0.81, 0.70, 0.94, 0.04, ratio=True, ci_decimals=2, p_decimals=2)
        assert not chk.consistent
        assert "does not match" in chk.message

    def test_p_contradicting_interval_is_a_decision_inconsistency(self) -> None:
        # CI −8.87 to −3.06 excludes 0 but "p = 0.20" claims non-significance.
        chk = check_p_value(-5.96, -8.87, -3.06, 0.20, ci_decimals=2, p_decimals=2)
        assert not chk.consistent
        assert chk.decision_inconsistent

    def test_p_reported_as_upper_bound(self) -> None:
        # z = 5.96 / 1.482 ≈ 4.02 → p ≈ 6e-5, so "p < 0.001" is consistent, "p < 1e-6" is not.
        assert check_p_value(-5.96, -8.87, -3.06, 0.001, p_is_upper_bound=True).consistent
        assert not check_p_value(-5.96, -8.87, -3.06, 1e-6, p_is_upper_bound=True).consistent

    def test_grim_brown_heathers_arithmetic(self) -> None:
        # Hand check: 5.19 × 28 = 145.32; 145/28 = 5.1786 → 5.18, 146/28 = 5.2143 → 5.21.
        bad = grim_check(5.19, 28, decimals=2)
        assert not bad.consistent
        assert bad.nearest == (5.18, 5.21)
        assert grim_check(5.18, 28, decimals=2).consistent
        assert grim_check(5.21, 28, decimals=2).consistent

    def test_grim_percentages(self) -> None:
        # n = 20 gives multiples of 5 %: 17 % impossible, 15 % possible.
        assert not grim_check(17.0, 20, decimals=1, kind="percent").consistent
        assert grim_check(15.0, 20, decimals=1, kind="percent").consistent
        # 11 of 13 = 84.615 % → "84.6" possible, "84.7" impossible (hand computation)
        assert grim_check(84.6, 13, decimals=1, kind="percent").consistent
        assert not grim_check(84.7, 13, decimals=1, kind="percent").consistent

    def test_grim_multi_item_scale(self) -> None:
        # mean of 3 integer items, n = 10: achievable values are T/30. 2.43 → T = 72.9: 73/30 =
        # 2.4333 → consistent; 2.45 → 73.5: 73/30 = 2.433, 74/30 = 2.467 → inconsistent.
        assert grim_check(2.43, 10, decimals=2, items=3).consistent
        assert not grim_check(2.45, 10, decimals=2, items=3).consistent

    @given(
        n=st.integers(min_value=1, max_value=500),
        frac=st.floats(min_value=0, max_value=1),
        decimals=st.integers(min_value=0, max_value=3),
    )
    def test_grim_accepts_every_real_mean(self, n: int, frac: float, decimals: int) -> None:
        total = round(frac * n * 7)  # integer scores 0..7
        assert grim_check(round(total / n, decimals), n, decimals=decimals).consistent

    @given(n=st.integers(min_value=2, max_value=60), value=st.floats(min_value=0, max_value=10))
    def test_grim_agrees_with_brute_force(self, n: int, value: float) -> None:
        value = round(value, 2)
        brute = any(abs(t / n - value) <= 0.005 + 1e-9 for t in range(0, 10 * n + 1))
        assert grim_check(value, n, decimals=2).consistent == brute


class TestPoolBehaviour:
    def test_homogeneous_studies_have_zero_tau2(self) -> None:
        res = pool([0.3, 0.3, 0.3], se=[0.1, 0.2, 0.3])
        assert res.tau2 == 0.0
        assert res.i2 == 0.0
        assert res.fixed.estimate == pytest.approx(0.3)
        assert res.random.estimate == pytest.approx(0.3)
        assert FEW_STUDIES in res.caveats

    def test_two_studies_have_no_prediction_interval(self) -> None:
        res = pool([0.1, 0.5], se=[0.1, 0.1])
        assert all(math.isnan(x) for x in res.prediction_interval)
        assert all(math.isnan(x) for x in res.i2_ci)

    def test_missing_study_is_an_error_not_dropped(self) -> None:
        with pytest.raises(ValueError, match="finite"):
            pool([0.1, float("nan"), 0.3], se=[0.1, 0.1, 0.1])
        with pytest.raises(ValueError, match="exactly one"):
            pool([0.1, 0.2], se=[0.1, 0.1], variances=[0.01, 0.01])

    def test_result_is_frozen(self) -> None:
        res = pool([0.1, 0.5, 0.2], se=[0.1, 0.1, 0.2])
        with pytest.raises(dataclasses.FrozenInstanceError):
            res.tau2 = 0.0  # type: ignore[misc]

    def test_non_ratio_measure_has_no_ratio_scale(self) -> None:
        with pytest.raises(ValueError, match="not a ratio"):
            pool([0.1, 0.5, 0.2], se=[0.1, 0.1, 0.2], measure="SMD").random_ratio()

    def test_q_p_value_is_chi_square(self) -> None:
        res = pool([0.0, 1.0, 2.0], se=[0.5, 0.5, 0.5])
        # hand: μ = 1, Q = (1 + 0 + 1)/0.25 = 8 on 2 df
        assert res.q == pytest.approx(8.0)
        assert res.q_p == pytest.approx(stats.chi2.sf(8.0, 2))
        # DL: C = Σw − Σw²/Σw = 12 − 48/12 = 8, τ² = (8 − 2)/8 = 0.75
        assert res.tau2 == pytest.approx(0.75)


studies = st.lists(
    st.tuples(
        st.floats(min_value=-3, max_value=3, allow_nan=False),
        st.floats(min_value=0.05, max_value=2.0),
    ),
    min_size=2,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(studies=studies)
def test_pool_invariants(studies: list[tuple[float, float]]) -> None:
    y = np.array([s[0] for s in studies])
    se = np.array([s[1] for s in studies])
    res = pool(y, se=se)
    tol = 1e-9
    assert y.min() - tol <= res.fixed.estimate <= y.max() + tol
    assert y.min() - tol <= res.random.estimate <= y.max() + tol
    assert 0.0 <= res.i2 <= 100.0
    lo, hi = res.i2_ci
    if not math.isnan(lo):
        assert 0.0 <= lo <= hi <= 100.0
    assert res.tau2 >= 0
    for est in (res.fixed, res.random):
        assert est.ci_low <= est.estimate <= est.ci_high
    # the random-effects interval is never narrower than the fixed-effect one
    assert res.random.ci_high - res.random.ci_low >= res.fixed.ci_high - res.fixed.ci_low - tol
    if res.k >= 3:
        p_lo, p_hi = res.prediction_interval
        assert p_lo <= res.random.ci_low + tol
        assert p_hi >= res.random.ci_high - tol


@settings(max_examples=40, deadline=None)
@given(studies=studies, seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_pool_is_invariant_to_study_order(studies: list[tuple[float, float]], seed: int) -> None:
    y = np.array([s[0] for s in studies])
    se = np.array([s[1] for s in studies])
    perm = np.random.default_rng(seed).permutation(len(y))
    a, b = pool(y, se=se), pool(y[perm], se=se[perm])
    assert b.fixed.estimate == pytest.approx(a.fixed.estimate, rel=1e-9, abs=1e-12)
    assert b.random.estimate == pytest.approx(a.random.estimate, rel=1e-9, abs=1e-12)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-9, abs=1e-12)
    assert b.q == pytest.approx(a.q, rel=1e-9, abs=1e-12)


@given(
    lo=st.floats(min_value=0.05, max_value=5),
    width=st.floats(min_value=0.01, max_value=5),
)
def test_se_from_ci_round_trip(lo: float, width: float) -> None:
    hi = lo + width
    se = se_from_ci(lo, hi, log_scale=True)
    mid = (math.log(lo) + math.log(hi)) / 2
    assert math.exp(mid + 1.959964 * se) == pytest.approx(hi, rel=1e-5)
    se_lin = se_from_ci(lo, hi)
    assert (lo + hi) / 2 + 1.959964 * se_lin == pytest.approx(hi, rel=1e-5)
