"""Tests for neuroregen.stats.mixed.

References: (1) the closed-form REML solution of the balanced random-intercept model (two-way
ANOVA without interaction: σ²_e = MSE, σ²_b = (MS_subject − MSE)/k; Searle, Casella & McCulloch,
Variance Components, Wiley 1992, §3.7), (2) statsmodels' formula interface fitted independently
on the same data, (3) simulation with known phase means.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from neuroregen.stats.mixed import (
    INTERCEPT_MODEL,
    MAR_ASSUMPTION,
    SLOPE_MODEL,
    WALD_SMALL_SAMPLE,
    phase_mixed_model,
)
from neuroregen.stats.results import UNCONTROLLED, Direction

PHASES = ["baseline", "early", "mid", "late"]
TRUE_MEANS = {"baseline": 60.0, "early": 58.0, "mid": 55.0, "late": 52.0}


def simulate(
    n: int,
    seed: int,
    *,
    sd_b: float = 8.0,
    sd_e: float = 3.0,
    sd_slope: float = 0.0,
    missing: int = 0,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(n), 4)
    phase = np.tile(PHASES, n)
    time = np.tile([0.0, 0.5, 3.0, 9.0], n) + rng.uniform(0, 0.5, 4 * n)
    mu = pd.Series(phase).map(TRUE_MEANS).to_numpy()
    y = (
        mu
        + np.repeat(rng.normal(0, sd_b, n), 4)
        + np.repeat(rng.normal(0, sd_slope, n), 4) * time
        + rng.normal(0, sd_e, 4 * n)
    )
    df = pd.DataFrame({"participant": ids, "phase": phase, "score": y, "time": time})
    if missing:
        df.loc[rng.choice(4 * n, missing, replace=False), "score"] = np.nan
    return df


class TestBalancedClosedForm:
    def test_estimates_and_standard_errors_match_anova_reml(self) -> None:
        df = simulate(24, seed=1)
        res = phase_mixed_model(df, quantity="ATEC total")
        assert res.model == INTERCEPT_MODEL
        assert res.converged
        assert not res.boundary

        wide = df.pivot(index="participant", columns="phase", values="score")[PHASES]
        n, k = wide.shape
        y = wide.to_numpy()
        grand = y.mean()
        ss_subj = k * ((y.mean(axis=1) - grand) ** 2).sum()
        ss_phase = n * ((y.mean(axis=0) - grand) ** 2).sum()
        ss_res = ((y - grand) ** 2).sum() - ss_subj - ss_phase
        mse = ss_res / ((n - 1) * (k - 1))
        ms_subj = ss_subj / (n - 1)
        sigma_b2 = (ms_subj - mse) / k
        assert sigma_b2 > 0  # interior solution, so REML = ANOVA estimators

        assert res.variance_components["residual variance"] == pytest.approx(mse, rel=1e-4)
        assert res.variance_components["random intercept variance"] == pytest.approx(
            sigma_b2, rel=1e-3
        )
        for j, est in enumerate(res.marginal_means):
            assert est.estimate == pytest.approx(y[:, j].mean(), abs=1e-6)
            assert est.details["se"] == pytest.approx(math.sqrt((sigma_b2 + mse) / n), rel=1e-3)
            assert est.ci_low == pytest.approx(est.estimate - 1.959964 * est.details["se"])
        for j, est in enumerate(res.contrasts, start=1):
            assert est.estimate == pytest.approx(y[:, j].mean() - y[:, 0].mean(), abs=1e-6)
            assert est.details["se"] == pytest.approx(math.sqrt(2 * mse / n), rel=1e-4)


class TestAgainstStatsmodels:
    def test_contrasts_match_formula_fit_with_missing_visits_and_covariate(self) -> None:
        df = simulate(40, seed=2, missing=25)
        rng = np.random.default_rng(5)
        df["therapy_hours"] = rng.uniform(0, 20, len(df))
        res = phase_mixed_model(df, covariates=["therapy_hours"])

        ref_df = df.dropna().copy()
        ref_df["hours_c"] = ref_df["therapy_hours"] - ref_df["therapy_hours"].mean()
        ref = smf.mixedlm(
            "score ~ C(phase, Treatment('baseline')) + hours_c",
            ref_df,
            groups=ref_df["participant"],
        ).fit(reml=True, method=["lbfgs"])
        for est in res.contrasts:
            name = f"C(phase, Treatment('baseline'))[T.{est.details['phase']}]"
            assert est.estimate == pytest.approx(ref.fe_params[name], abs=1e-4)
            assert est.details["se"] == pytest.approx(ref.bse_fe[name], rel=1e-3)
            assert est.p_value == pytest.approx(ref.pvalues[name], rel=1e-2, abs=1e-12)
        assert res.marginal_means[0].estimate == pytest.approx(ref.fe_params["Intercept"], abs=1e-4)
        assert res.n_excluded == 25
        assert res.n_observations == 4 * 40 - 25
        assert "therapy_hours" in res.method


class TestRecovery:
    def test_marginal_means_recover_known_phase_means(self) -> None:
        res = phase_mixed_model(simulate(200, seed=3, missing=80))
        for est in res.marginal_means:
            truth = TRUE_MEANS[est.details["phase"]]
            assert abs(est.estimate - truth) < 4 * est.details["se"]
            assert est.ci_low < est.estimate < est.ci_high
        for est in res.contrasts:
            truth = TRUE_MEANS[est.details["phase"]] - TRUE_MEANS["baseline"]
            assert abs(est.estimate - truth) < 4 * est.details["se"]
        assert res.phase_test["p_value"] < 1e-6


class TestConvergenceReporting:
    def test_boundary_fit_is_flagged(self) -> None:
        # no between-participant variance at all: every participant's mean is the same
        df = simulate(20, seed=4, sd_b=0.0)
        df["score"] -= df.groupby("participant")["score"].transform("mean")
        df["score"] += df["phase"].map(TRUE_MEANS) - np.mean(list(TRUE_MEANS.values()))
        res = phase_mixed_model(df)
        assert res.boundary
        assert any("boundary" in c for c in res.caveats)
        assert res.variance_components["random intercept variance"] < 1e-6

    def test_failed_slope_falls_back_and_says_so(self) -> None:
        df = simulate(20, seed=5)
        df["time"] = 0.0  # a slope on a constant cannot be estimated
        res = phase_mixed_model(df, time="time")
        assert res.model == INTERCEPT_MODEL
        assert res.fallback
        assert any("time does not vary within any participant" in c for c in res.caveats)
        assert "random intercept" in res.method

    @pytest.mark.slow
    def test_slope_model_used_when_it_converges(self) -> None:
        res = phase_mixed_model(simulate(40, seed=1, sd_slope=0.5, missing=20), time="time")
        assert res.model == SLOPE_MODEL
        assert res.converged
        assert not res.fallback
        assert res.variance_components["random slope variance"] > 0
        # warnings from optimisers that failed on the way are kept, labelled by optimiser
        assert all(w.startswith(f"[{SLOPE_MODEL}") for w in res.fit_warnings)

    @pytest.mark.slow
    def test_singular_slope_fit_is_replaced(self) -> None:
        # no true slope variance; with this seed every optimiser ends at a perfect
        # intercept–slope correlation (a singular covariance), which must not be reported
        res = phase_mixed_model(simulate(30, seed=1, sd_slope=0.0), time="time")
        assert res.model == INTERCEPT_MODEL
        assert res.fallback
        assert any("perfectly correlated" in c for c in res.caveats)
        assert res.fit_warnings
        assert "random slope variance" not in res.variance_components


class TestResultContent:
    def test_caveats_direction_and_table(self) -> None:
        res = phase_mixed_model(
            simulate(12, seed=7, missing=3),
            quantity="ATEC total",
            direction=Direction.HIGHER_IS_WORSE,
        )
        assert MAR_ASSUMPTION in res.caveats
        assert WALD_SMALL_SAMPLE in res.caveats
        assert all(UNCONTROLLED in e.caveats for e in res.contrasts)
        assert all(UNCONTROLLED not in e.caveats for e in res.marginal_means)
        assert res.contrasts[0].details["direction"] == "higher_is_worse"
        table = res.table()
        assert list(table["kind"]).count("marginal mean") == 4
        assert list(table["kind"]).count("contrast") == 3
        assert (table["low"] <= table["estimate"]).all()
        assert (table["estimate"] <= table["high"]).all()
        assert "ATEC total" in res.as_text()
        with pytest.raises(dataclasses.FrozenInstanceError):
            res.model = "x"  # type: ignore[misc]

    def test_unknown_phase_is_an_error(self) -> None:
        df = simulate(10, seed=8)
        df.loc[0, "phase"] = "week 3"
        with pytest.raises(ValueError, match="unknown phase"):
            phase_mixed_model(df)

    def test_phase_without_data_is_an_error(self) -> None:
        df = simulate(10, seed=9)
        df.loc[df["phase"] == "late", "score"] = np.nan
        with pytest.raises(ValueError, match="no observations"):
            phase_mixed_model(df)

    def test_missing_column_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="column"):
            phase_mixed_model(simulate(10, seed=9), time="months")


def test_n_counts_children_and_observations_are_given_separately() -> None:
    """n of a phase estimate is children; a child seen twice in a phase is one child."""
    df = simulate(20, seed=3)
    # every child seen twice in the late phase: 20 children, 40 late observations
    again = df[df["phase"] == "late"].assign(time=lambda d: d["time"] + 3.0)
    res = phase_mixed_model(pd.concat([df, again], ignore_index=True), time="time")
    late = next(e for e in res.contrasts if e.details["phase"] == "late")
    assert late.n == 20
    assert late.details["observations"] == 40
    assert late.details["participants"] == 20
    emm = next(e for e in res.marginal_means if e.details["phase"] == "late")
    assert (emm.n, emm.details["observations"]) == (20, 40)
    assert res.n_participants == 20
    assert res.n_observations == 100
