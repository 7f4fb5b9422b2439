"""The vectorised random-intercept fit against statsmodels' MixedLM on the same data.

statsmodels fits the same model by the same estimator (REML or ML, observed-information
standard errors) with a loop over participants; both must agree to its optimiser tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

from neuroregen.stats._intercept import fit_random_intercept


def _unbalanced(n: int, seed: int, sd_b: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(n), 5)
    phase = np.tile(np.arange(5), n)
    hours = rng.uniform(0, 20, 5 * n)
    y = (
        60
        - 2.5 * phase
        + 0.1 * hours
        + np.repeat(rng.normal(0, sd_b, n), 5)
        + rng.normal(0, 3, 5 * n)
    )
    keep = rng.random(5 * n) > 0.2  # missed visits: groups of 1–5 observations
    exog = np.column_stack(
        [np.ones(keep.sum())]
        + [(phase[keep] == k).astype(float) for k in (1, 2, 3, 4)]
        + [hours[keep] - hours[keep].mean()]
    )
    return y[keep], exog, np.array([f"P{i:03d}" for i in ids[keep]])


@pytest.mark.parametrize(
    ("reml", "seed", "sd_b"), [(True, 1, 8.0), (True, 2, 2.0), (False, 3, 5.0)]
)
def test_matches_statsmodels(reml: bool, seed: int, sd_b: float) -> None:
    y, exog, groups = _unbalanced(80, seed, sd_b)
    ref = MixedLM(y, exog, groups).fit(reml=reml, method=["powell", "lbfgs"])
    assert ref.converged
    fit = fit_random_intercept(y, exog, groups, reml=reml)
    assert fit.converged
    p = exog.shape[1]
    np.testing.assert_allclose(fit.fe_params, ref.fe_params, rtol=0, atol=1e-4)
    np.testing.assert_allclose(
        np.sqrt(np.diag(fit.cov_params()[:p, :p])),
        np.sqrt(np.diag(np.asarray(ref.cov_params())[:p, :p])),
        rtol=1e-4,
    )
    assert fit.scale == pytest.approx(ref.scale, rel=1e-4)
    assert fit.cov_re[0, 0] == pytest.approx(float(np.asarray(ref.cov_re)[0, 0]), rel=1e-3)

    # the fitted likelihood is at least as high as statsmodels' (it is the exact maximum)
    def loglike(fe: np.ndarray, psi: float) -> float:
        params = MixedLMParams.from_components(fe_params=np.asarray(fe), cov_re=np.array([[psi]]))
        return float(ref.model.loglike(params, profile_fe=False))

    mine = loglike(fit.fe_params, fit.cov_re[0, 0] / fit.scale)
    theirs = loglike(ref.fe_params, float(np.asarray(ref.cov_re_unscaled)[0, 0]))
    assert mine >= theirs - 1e-8


def test_no_between_participant_variance_is_a_boundary_fit() -> None:
    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(30), 4)
    y = rng.normal(0, 3, 120)
    y -= np.bincount(groups, weights=y)[groups] / 4  # identical participant means
    fit = fit_random_intercept(y, np.ones((120, 1)), groups)
    assert fit.cov_re[0, 0] == 0.0
    assert fit.scale > 0


def test_ten_thousand_participants_in_one_pass() -> None:
    # the registry scale of the evidence page: a loop over participants would take minutes
    rng = np.random.default_rng(5)
    n = 10_000
    groups = np.repeat(np.arange(n), 6)
    phase = np.tile(np.arange(6), n)
    y = 50 - phase + np.repeat(rng.normal(0, 6, n), 6) + rng.normal(0, 3, 6 * n)
    exog = np.column_stack([np.ones(6 * n)] + [(phase == k).astype(float) for k in range(1, 6)])
    fit = fit_random_intercept(y, exog, groups)
    assert fit.converged
    assert fit.fe_params[5] == pytest.approx(-5.0, abs=0.2)
    assert fit.cov_re[0, 0] == pytest.approx(36.0, rel=0.1)
    assert fit.scale == pytest.approx(9.0, rel=0.05)


@pytest.mark.parametrize(
    ("y", "exog", "groups", "message"),
    [
        # two observations and two fixed effects: REML has no degrees of freedom left
        ([1.0, 2.0], [[1, 0], [1, 1]], ["a", "b"], "too few observations"),
        ([1.0, 2.0, 3.0], [[1], [1], [1]], ["a", "a", "a"], "too few observations"),
    ],
)
def test_data_too_thin_for_the_model_is_a_clear_error(y, exog, groups, message) -> None:
    with pytest.raises(ValueError, match=message):
        fit_random_intercept(np.asarray(y), np.asarray(exog, dtype=float), np.asarray(groups))
