"""The vectorised random-intercept-and-slope fit against statsmodels' MixedLM on the same data.

statsmodels fits the same model by the same estimator (REML or ML, observed-information
standard errors) with a loop over participants. Its likelihood and Hessian are evaluated at our
estimates, so the comparison does not depend on where its own optimiser happens to stop.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

from neuroregen.stats._slope import fit_random_slope

PHASE_MEANS = (60.0, 58.5, 57.0, 54.0)


def _visits(n: int, seed: int, sd_slope: float = 0.6) -> tuple[np.ndarray, ...]:
    """Six visits over a year, a fifth missed; phases baseline/early/mid/late (0–3)."""
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(n), 6)
    visit_phase = np.tile([0, 1, 1, 2, 3, 3], n)
    t = np.tile([0, 0.5, 1, 3, 6, 12], n) + rng.uniform(-0.2, 0.2, 6 * n)
    y = (
        np.array(PHASE_MEANS)[visit_phase]
        + np.repeat(rng.normal(0, 8, n), 6)
        + np.repeat(rng.normal(0, sd_slope, n), 6) * t
        + rng.normal(0, 3, 6 * n)
    )
    keep = rng.random(6 * n) > 0.2
    phase = visit_phase[keep]
    exog = np.column_stack([np.ones(keep.sum())] + [(phase == k).astype(float) for k in (1, 2, 3)])
    return y[keep], exog, t[keep], np.array([f"P{i:04d}" for i in ids[keep]])


def _statsmodels(y, exog, t, groups, reml: bool) -> MixedLM:
    model = MixedLM(y, exog, groups, exog_re=np.column_stack([np.ones(len(y)), t]))
    # what MixedLM.fit sets before it evaluates the likelihood
    model.reml, model.cov_pen, model.fe_pen = reml, None, None
    return model


def _loglike(model: MixedLM, fe: np.ndarray, psi: np.ndarray) -> float:
    params = MixedLMParams.from_components(fe_params=np.asarray(fe), cov_re=np.asarray(psi))
    return float(model.loglike(params, profile_fe=False))


@pytest.mark.parametrize(
    ("reml", "n", "seed"), [(True, 40, 1), (False, 40, 4), (True, 120, 1), (False, 80, 6)]
)
def test_matches_statsmodels(reml: bool, n: int, seed: int) -> None:
    y, exog, t, groups = _visits(n, seed)
    fit = fit_random_slope(y, exog, t, groups, reml=reml)
    assert fit.converged
    model = _statsmodels(y, exog, t, groups, reml)
    ref = MixedLM(y, exog, groups, exog_re=model.exog_re).fit(reml=reml, method=["bfgs"])
    assert ref.converged
    psi = fit.cov_re / fit.scale

    # the maximum: at least as high as statsmodels' own optimum
    assert (
        _loglike(model, fit.fe_params, psi)
        >= _loglike(model, ref.fe_params, np.asarray(ref.cov_re_unscaled)) - 1e-8
    )
    # and the same estimates, to statsmodels' optimiser tolerance
    np.testing.assert_allclose(fit.fe_params, ref.fe_params, rtol=0, atol=2e-3)
    np.testing.assert_allclose(fit.cov_re, np.asarray(ref.cov_re), rtol=2e-3)
    assert fit.scale == pytest.approx(ref.scale, rel=1e-4)

    # standard errors: statsmodels' analytic Hessian at our estimates, inverted
    hess, _ = model.hessian(MixedLMParams.from_components(fe_params=fit.fe_params, cov_re=psi))
    p = exog.shape[1]
    expected = np.sqrt(np.diag(np.linalg.inv(-hess))[:p])
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov_params())), expected, rtol=1e-5)


@pytest.mark.parametrize(("reml", "n", "seed"), [(True, 80, 2), (True, 80, 8), (False, 60, 1)])
def test_finds_the_maximum_where_statsmodels_stops_short(reml: bool, n: int, seed: int) -> None:
    # statsmodels' L-BFGS ends well below the maximum on these; on 80/2 it reports convergence
    # there, and earlier releases of mixed.py, which tried it first, reported that fit
    y, exog, t, groups = _visits(n, seed)
    fit = fit_random_slope(y, exog, t, groups, reml=reml)
    assert fit.converged
    model = _statsmodels(y, exog, t, groups, reml=reml)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = MixedLM(y, exog, groups, exog_re=model.exog_re).fit(reml=reml, method=["lbfgs"])
    ours = _loglike(model, fit.fe_params, fit.cov_re / fit.scale)
    theirs = _loglike(model, ref.fe_params, np.asarray(ref.cov_re_unscaled))
    assert ours > theirs + 1.0


def test_no_slope_variance_ends_on_the_boundary() -> None:
    # every child changes at the same rate: the slope variance is estimated at zero (or its
    # factor is singular), which mixed.py then rejects in favour of the random intercept
    y, exog, t, groups = _visits(150, 4, sd_slope=0.0)
    fit = fit_random_slope(y, exog, t, groups)
    var_int, var_slope = fit.cov_re[0, 0], fit.cov_re[1, 1]
    corr = fit.cov_re[0, 1] / np.sqrt(var_int * var_slope) if var_slope > 0 else 0.0
    assert var_slope < 1e-6 * fit.scale or abs(corr) > 0.99


def test_ten_thousand_participants_recover_the_truth() -> None:
    # the registry scale of the evidence page
    y, exog, t, groups = _visits(10_000, 5, sd_slope=0.6)
    fit = fit_random_slope(y, exog, t, groups)
    assert fit.converged
    truth = [PHASE_MEANS[0], *(m - PHASE_MEANS[0] for m in PHASE_MEANS[1:])]
    np.testing.assert_allclose(fit.fe_params, truth, atol=0.3)
    assert fit.cov_re[0, 0] == pytest.approx(64.0, rel=0.1)
    assert fit.cov_re[1, 1] == pytest.approx(0.36, rel=0.1)
    assert fit.cov_re[0, 1] == pytest.approx(0.0, abs=0.5)
    assert fit.scale == pytest.approx(9.0, rel=0.05)


def test_too_few_participants_is_a_clear_error() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    exog = np.ones((4, 1))
    with pytest.raises(ValueError, match="too few observations"):
        fit_random_slope(y, exog, np.array([0.0, 1.0, 0.0, 1.0]), np.array(["a", "a", "b", "b"]))
