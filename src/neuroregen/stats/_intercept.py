"""Vectorised REML/ML fit of the random-intercept linear mixed model.

``y_ij = x_ijᵀβ + b_i + ε_ij`` with ``b_i ~ N(0, τ²)`` and ``ε_ij ~ N(0, σ²)``. With one
variance ratio ``ψ = τ²/σ²`` every per-participant quantity reduces to group sums
(``V_i⁻¹ = I − ψ/(1 + n_iψ) 11ᵀ``), so the likelihood, the GLS fixed effects and the observed
information are computed in O(observations) without a loop over participants. statsmodels'
``MixedLM`` loops over participants in Python on every evaluation, which takes minutes for a
registry of ten thousand children.

The fit is the same model and the same estimator as ``MixedLM.fit(reml=...)``:

* ``σ²`` and ``β`` are profiled out; the profile log-likelihood in ``ψ ≥ 0`` is maximised on a
  log grid then refined by bounded Brent search (``ψ = 0`` is a boundary fit);
* the covariance of the fixed effects is the inverse of the observed information of the
  scale-profiled log-likelihood in ``(β, ψ)``, the Hessian statsmodels computes (including the
  ``β``–``ψ`` cross term), so standard errors agree with statsmodels to its optimiser tolerance
  (tests/stats/test_intercept_fit.py).

References: Harville DA. Maximum likelihood approaches to variance component estimation.
JASA 1977;72:320–38. Lindstrom MJ, Bates DM. Newton–Raphson and EM algorithms for linear
mixed-effects models. JASA 1988;83:1014–22.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from neuroregen.stats.text import text

__all__ = ["InterceptFit", "fit_random_intercept"]

_GRID = np.logspace(-8, 6, 57)  # ψ = τ²/σ² from negligible to overwhelming between-variance
ENGINE = "exact profiled likelihood, vectorised; observed information as statsmodels MixedLM"


@dataclass(frozen=True)
class InterceptFit:
    """The attributes of a statsmodels ``MixedLMResults`` that ``mixed.py`` reads."""

    fe_params: np.ndarray
    cov: np.ndarray  # (p + 1) × (p + 1): fixed effects, then ψ
    cov_re: np.ndarray  # 1 × 1, τ² on the scale of the data
    scale: float  # σ²
    converged: bool

    def cov_params(self) -> np.ndarray:
        return self.cov


def fit_random_intercept(
    y: np.ndarray, exog: np.ndarray, groups: np.ndarray, *, reml: bool = True
) -> InterceptFit:
    """Fit ``y ~ exog`` with a random intercept per ``groups`` label (complete data)."""
    g, labels = pd.factorize(groups)
    n_groups = len(labels)
    n_obs, p = exog.shape
    n_g = np.bincount(g, minlength=n_groups).astype(float)
    sx = np.column_stack([np.bincount(g, weights=exog[:, j], minlength=n_groups) for j in range(p)])
    sy = np.bincount(g, weights=y, minlength=n_groups)
    xtx, xty, yty = exog.T @ exog, exog.T @ y, float(y @ y)
    fac = n_obs - p if reml else n_obs
    if fac <= 0 or n_groups < 2:
        raise ValueError(
            text(
                "too few observations to fit the model ({n_obs} observations, "
                "{n_groups} participants, {p} fixed effects)",
                n_obs=n_obs,
                n_groups=n_groups,
                p=p,
            )
        )

    def gls(psi: float) -> tuple[np.ndarray, np.ndarray, float]:
        c = psi / (1.0 + n_g * psi)
        m = xtx - (sx * c[:, None]).T @ sx
        b = xty - sx.T @ (c * sy)
        beta = np.linalg.solve(m, b)
        return m, beta, yty - float(c @ sy**2) - float(b @ beta)

    def neg_loglike(psi: float) -> float:
        m, _, q = gls(psi)
        if not q > 0:
            return math.inf
        ll = -0.5 * fac * math.log(q) - 0.5 * float(np.sum(np.log1p(n_g * psi)))
        if reml:
            sign, logdet = np.linalg.slogdet(m)
            if sign <= 0:
                return math.inf
            ll -= 0.5 * logdet
        return -ll

    values = [neg_loglike(0.0)] + [neg_loglike(float(v)) for v in _GRID]
    k = int(np.argmin(values))
    converged = True
    if k == 0:
        # the best grid point is ψ = 0; look between 0 and the first grid point
        res = optimize.minimize_scalar(
            neg_loglike, bounds=(0.0, float(_GRID[0])), method="bounded", options={"xatol": 1e-14}
        )
        psi = float(res.x) if res.fun < values[0] else 0.0
    else:
        lo = math.log(_GRID[k - 2]) if k >= 2 else math.log(_GRID[0]) - 1.0
        hi = math.log(_GRID[min(k, len(_GRID) - 1)])
        res = optimize.minimize_scalar(
            lambda t: neg_loglike(math.exp(t)),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-10},
        )
        psi = math.exp(float(res.x))
        # an optimum at the top of the grid means the residual variance went to zero
        converged = bool(res.success) and k < len(_GRID) and math.isfinite(float(res.fun))

    m, beta, _ = gls(psi)
    resid = y - exog @ beta
    sr = np.bincount(g, weights=resid, minlength=n_groups)
    d = 1.0 / (1.0 + n_g * psi)
    q = float(resid @ resid) - psi * float(d @ sr**2)
    if not q > 0:
        raise ValueError(text("the model fits the data exactly (no residual variance to estimate)"))
    scale = q / fac
    # observed information of the scale-profiled log-likelihood in (β, ψ)
    a, u, s = n_g * d, sx * d[:, None], sr * d
    q1, q2 = -float(s @ s), 2.0 * float(a @ s**2)
    hess = np.zeros((p + 1, p + 1))
    hess[:p, :p] = -(fac / q) * m
    hess[:p, p] = hess[p, :p] = -(fac / q) * (u.T @ s)
    h_rr = -0.5 * fac * (q2 / q - q1**2 / q**2) + 0.5 * float(a @ a)
    if reml:
        m1 = np.linalg.solve(m, -(u.T @ u))
        m2 = np.linalg.solve(m, 2.0 * (u * a[:, None]).T @ u)
        h_rr -= 0.5 * (float(np.trace(m2)) - float(np.trace(m1 @ m1)))
    hess[p, p] = h_rr
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        cov = np.full_like(hess, np.nan)
    return InterceptFit(beta, cov, np.array([[psi * scale]]), scale, converged)
