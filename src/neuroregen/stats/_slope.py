"""Vectorised REML/ML fit of the linear mixed model with a random intercept and slope.

``y_i = X_i β + Z_i b_i + ε_i`` with ``Z_i = [1, t_i]``, ``b_i ~ N(0, σ²Ψ)`` and
``ε_i ~ N(0, σ²I)``. Ψ is parameterised by its lower Cholesky factor ``L = [[a, 0], [c, d]]``
(``a, d ≥ 0``), as lme4 does, so a singular Ψ is reachable and the optimiser never leaves the
parameter space. With ``M_i = I₂ + LᵀZ_iᵀZ_iL`` Woodbury gives

    σ²V_i⁻¹ = I − Z_i L M_i⁻¹ LᵀZ_iᵀ,      |V_i| = σ^(2n_i) |M_i|,

so everything the likelihood needs is a 2 × 2 matrix and a few 2 × p products per participant,
computed for all participants at once from group sums. statsmodels' ``MixedLM`` loops over
participants in Python on every likelihood evaluation; this takes milliseconds where that takes
seconds for a hundred children and hours for ten thousand.

The estimator is the one ``MixedLM.fit(reml=...)`` uses:

* ``σ²`` and ``β`` are profiled out and the profile log-likelihood is maximised over
  ``(a, c, d)`` (L-BFGS-B from the random-intercept solution, then from lme4's start);
* the fixed-effect covariance is the β block of the inverse observed information of the
  scale-profiled log-likelihood in ``(β, Ψ)`` — the Hessian statsmodels inverts, cross terms
  included. The β block does not depend on how Ψ is parameterised, so it is computed in
  ``(a, c, d)``: the β–β block exactly, the others by central differences.

tests/stats/test_slope_fit.py checks estimates, standard errors and the likelihood against
statsmodels on the same data.

References: Laird NM, Ware JH. Random-effects models for longitudinal data. Biometrics
1982;38:963–74. Bates D, Mächler M, Bolker B, Walker S. Fitting linear mixed-effects models
using lme4. J Stat Softw 2015;67(1) (profiled deviance, Cholesky parameterisation).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from neuroregen.stats.text import text

__all__ = ["SlopeFit", "fit_random_slope"]

_LBFGS = {"maxiter": 500, "ftol": 1e-13, "gtol": 1e-9}


@dataclass(frozen=True)
class SlopeFit:
    """The attributes of a statsmodels ``MixedLMResults`` that ``mixed.py`` reads."""

    fe_params: np.ndarray
    cov: np.ndarray  # p × p covariance of the fixed effects
    cov_re: np.ndarray  # 2 × 2: intercept and slope (co)variances on the scale of the data
    scale: float  # σ²
    converged: bool

    def cov_params(self) -> np.ndarray:
        return self.cov


class _Sums:
    """Per-participant sums of the design; the only pass over the observations."""

    def __init__(self, y: np.ndarray, exog: np.ndarray, t: np.ndarray, groups: np.ndarray):
        g, labels = pd.factorize(groups)
        self.n_groups = k = len(labels)
        self.n_obs, self.p = exog.shape

        def by_group(values: np.ndarray) -> np.ndarray:
            return np.bincount(g, weights=values, minlength=k)

        n_g = np.bincount(g, minlength=k).astype(float)
        st, stt = by_group(t), by_group(t * t)
        self.ztz: _Mat = (n_g, st, st, stt)
        self.ztx = np.empty((k, 2, self.p))
        for j in range(self.p):
            self.ztx[:, 0, j] = by_group(exog[:, j])
            self.ztx[:, 1, j] = by_group(t * exog[:, j])
        self.zty = np.column_stack([by_group(y), by_group(t * y)])
        self.xtx, self.xty, self.yty = exog.T @ exog, exog.T @ y, float(y @ y)


# A 2 × 2 matrix per participant as its entries (m00, m01, m10, m11), each an array over
# participants or a scalar: elementwise arithmetic beats numpy's batched matmul on 2 × 2 blocks.
_Mat = tuple[Any, Any, Any, Any]


def _mm(x: _Mat, y: _Mat) -> _Mat:
    return (
        x[0] * y[0] + x[1] * y[2],
        x[0] * y[1] + x[1] * y[3],
        x[2] * y[0] + x[3] * y[2],
        x[2] * y[1] + x[3] * y[3],
    )


def _t(x: _Mat) -> _Mat:
    return (x[0], x[2], x[1], x[3])


def _plus(x: _Mat, y: _Mat, sign: float = 1.0) -> _Mat:
    return (x[0] + sign * y[0], x[1] + sign * y[1], x[2] + sign * y[2], x[3] + sign * y[3])


def _chol(theta: np.ndarray) -> np.ndarray:
    a, c, d = theta
    return np.array([[a, 0.0], [c, d]])


# ∂L/∂θ_k for θ = (a, c, d)
_DL: tuple[_Mat, ...] = ((1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 1.0, 0.0), (0.0, 0.0, 0.0, 1.0))


@dataclass(frozen=True)
class _Point:
    """The likelihood at one (β, θ) and, when asked for, its derivatives in θ."""

    loglike: float  # scale-profiled, constants dropped
    beta: np.ndarray
    q: float  # σ²·(y − Xβ)ᵀV⁻¹(y − Xβ)
    a: np.ndarray  # σ²XᵀV⁻¹X
    grad: np.ndarray | None = None  # ∂loglike/∂θ at fixed β
    score_slope: np.ndarray | None = None  # p × 3: ∂(b − Aβ)/∂θ at fixed β


class _Likelihood:
    def __init__(self, sums: _Sums, reml: bool):
        self.s = sums
        self.reml = reml
        self.fac = sums.n_obs - sums.p if reml else sums.n_obs

    def _weighted(self, k: _Mat) -> tuple[np.ndarray, np.ndarray, float]:
        """``Σ_i ZtX_iᵀ K_i ZtX_i``, ``Σ_i ZtX_iᵀ K_i Zty_i``, ``Σ_i Zty_iᵀ K_i Zty_i``.

        Written as a few (p × groups)(groups × p) products so the work is in BLAS.
        """
        s = self.s
        xx = np.zeros((s.p, s.p))
        xy = np.zeros(s.p)
        yy = 0.0
        for (i, j), w in zip(((0, 0), (0, 1), (1, 0), (1, 1)), k, strict=True):
            wx = s.ztx[:, j, :] * w[:, None]
            xx += s.ztx[:, i, :].T @ wx
            xy += wx.T @ s.zty[:, i]
            yy += float(s.zty[:, i] @ (w * s.zty[:, j]))
        return xx, xy, yy

    def point(
        self, theta: np.ndarray, beta: np.ndarray | None = None, derivatives: bool = False
    ) -> _Point:
        """Evaluate at θ, with β given or (``beta=None``) its GLS estimate given θ.

        ``σ²V_i⁻¹ = I − Z_i K_i Z_iᵀ`` with ``K_i = L M_i⁻¹ Lᵀ``. At the GLS β the gradient at
        fixed β is also the gradient of the profile likelihood (the β score is zero there).
        """
        s = self.s
        a_, c_, d_ = (float(x) for x in theta)
        lower, lower_t = (a_, 0.0, c_, d_), (a_, c_, 0.0, d_)
        m00, m01, m10, m11 = _mm(_mm(lower_t, s.ztz), lower)
        m00, m11 = m00 + 1.0, m11 + 1.0
        det = m00 * m11 - m01 * m10
        inv = (m11 / det, -m01 / det, -m10 / det, m00 / det)
        inv_lt = _mm(inv, lower_t)
        xx, xy, yy = self._weighted(_mm(lower, inv_lt))
        a, b, c = s.xtx - xx, s.xty - xy, s.yty - yy
        if beta is None:
            try:
                beta = np.linalg.solve(a, b)
            except np.linalg.LinAlgError:
                return _Point(-math.inf, np.full(s.p, np.nan), math.nan, a)
        q = c - 2.0 * float(b @ beta) + float(beta @ a @ beta)
        sign, logdet_a = np.linalg.slogdet(a)
        if not (q > 0 and sign > 0 and np.all(det > 0)):
            return _Point(-math.inf, beta, q, a)
        ll = -0.5 * self.fac * math.log(q) - 0.5 * float(np.sum(np.log(det)))
        if self.reml:
            ll -= 0.5 * logdet_a
        if not derivatives:
            return _Point(ll, beta, q, a)
        a_inv = np.linalg.inv(a)
        grad = np.empty(3)
        score_slope = np.empty((s.p, 3))
        for n, dl in enumerate(_DL):
            dm = _mm(_mm(_t(dl), s.ztz), lower)
            dm = _plus(dm, _t(dm))
            # dK = dL M⁻¹Lᵀ + L M⁻¹dLᵀ − L M⁻¹ dM M⁻¹ Lᵀ
            dk = _mm(dl, inv_lt)
            dk = _plus(_plus(dk, _t(dk)), _mm(_mm(_t(inv_lt), dm), inv_lt), -1.0)
            dxx, dxy, dyy = self._weighted(dk)
            dq = -dyy + 2.0 * float(dxy @ beta) - float(beta @ dxx @ beta)
            dlogdet_m = float(
                np.sum(inv[0] * dm[0] + inv[1] * dm[2] + inv[2] * dm[1] + inv[3] * dm[3])
            )
            grad[n] = -0.5 * self.fac * dq / q - 0.5 * dlogdet_m
            if self.reml:
                grad[n] += 0.5 * float(np.sum(a_inv * dxx))
            score_slope[:, n] = -dxy + dxx @ beta
        return _Point(ll, beta, q, a, grad, score_slope)

    def gradient(self, theta: np.ndarray, beta: np.ndarray | None = None) -> np.ndarray:
        """∂loglike/∂θ (NaN where the likelihood is not finite), for difference Hessians."""
        grad = self.point(theta, beta=beta, derivatives=True).grad
        return grad if grad is not None else np.full(3, np.nan)


_BOUNDS = [(0.0, None), (None, None), (0.0, None)]


def _maximise(like: _Likelihood, starts: list[np.ndarray]) -> tuple[np.ndarray, float, bool]:
    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        pt = like.point(theta, derivatives=True)
        if not math.isfinite(pt.loglike) or pt.grad is None:
            return math.inf, np.zeros(3)
        return -pt.loglike, -pt.grad

    best: tuple[np.ndarray, float, bool] | None = None
    for start in starts:
        res = optimize.minimize(
            objective, start, jac=True, method="L-BFGS-B", bounds=_BOUNDS, options=_LBFGS
        )
        ll = -float(res.fun)
        if math.isfinite(ll) and (best is None or ll > best[1] + 1e-9):
            best = (np.asarray(res.x, dtype=float), ll, bool(res.success))
    if best is None:
        raise ValueError(text("the likelihood is not finite anywhere the optimiser looked"))
    return best


def _leave_boundary(
    like: _Likelihood, theta: np.ndarray, best: float, success: bool, t_sd: float
) -> tuple[np.ndarray, bool]:
    """Restart from inside when the optimiser stopped with a zero diagonal of L.

    The likelihood is even in each diagonal entry of L (±a, ±d give the same Ψ), so its
    gradient there is zero across the bound and a gradient method can stop on a singular Ψ
    while a better interior maximum exists. Probe inwards and restart from the best probe.
    """
    for _ in range(3):
        zero = [k for k, scale in ((0, 1.0), (2, 1.0 / t_sd)) if theta[k] < 1e-8 * scale]
        if not zero:
            break
        probes = []
        for k in zero:
            for size in (0.01, 0.1, 1.0):
                probe = theta.copy()
                probe[k] = size * (1.0 if k == 0 else 1.0 / t_sd)
                probes.append(probe)
        values = [like.point(p).loglike for p in probes]
        i = int(np.argmax(values))
        if not values[i] > best - 1e-9:
            break  # nothing inside beats the boundary: a genuine boundary fit
        moved, value, ok = _maximise(like, [probes[i]])
        if not value > best + 1e-9:
            break
        theta, best, success = moved, value, ok
    return theta, success


def _hessian(grad_at: Callable[[np.ndarray], np.ndarray], theta: np.ndarray) -> np.ndarray:
    """Central differences of an analytic gradient (symmetrised)."""
    steps = 1e-5 * np.maximum(np.abs(theta), 1e-2)
    columns = []
    for k in range(theta.size):
        step = np.zeros_like(theta)
        step[k] = steps[k]
        columns.append((grad_at(theta + step) - grad_at(theta - step)) / (2 * steps[k]))
    hess = np.column_stack(columns)
    return (hess + hess.T) / 2


def _polish(like: _Likelihood, theta: np.ndarray) -> tuple[np.ndarray, bool]:
    """Newton steps on the profile likelihood from an interior L-BFGS-B solution.

    L-BFGS-B stops where the likelihood is flat to its tolerance; the observed information
    (and so the standard errors) is only parameterisation-free at the stationary point.
    """
    for _ in range(20):
        pt = like.point(theta, derivatives=True)
        if pt.grad is None:
            return theta, False
        hess = _hessian(like.gradient, theta)
        if not (np.all(np.isfinite(hess)) and np.all(np.linalg.eigvalsh(hess) < 0)):
            return theta, False  # not a maximum in every direction: the checks will say so
        step = -np.linalg.solve(hess, pt.grad)
        for _halving in range(30):
            trial = theta + step
            if trial[0] >= 0 and trial[2] >= 0 and like.point(trial).loglike >= pt.loglike - 1e-9:
                break
            step = step / 2
        else:
            return theta, False
        theta = trial
        if np.max(np.abs(step) / np.maximum(np.abs(theta), 1e-2)) < 1e-9:
            return theta, True
    return theta, False


def _fixed_effect_cov(like: _Likelihood, theta: np.ndarray, at: _Point) -> np.ndarray:
    """β block of the inverse observed information in (β, θ), scale profiled."""
    if at.score_slope is None:
        raise ValueError("the fixed-effect covariance needs the derivatives at the optimum")
    info_bb = like.fac / at.q * at.a
    # ∂/∂θ of the β score fac(b − Aβ)/q at β̂; the ∂(1/q) term multiplies b − Aβ̂ = 0
    info_bt = -like.fac / at.q * at.score_slope
    info_tt = -_hessian(lambda th: like.gradient(th, at.beta), theta)
    try:
        schur = info_bb - info_bt @ np.linalg.solve(info_tt, info_bt.T)
        return np.linalg.inv(schur)
    except np.linalg.LinAlgError:
        return np.full_like(info_bb, np.nan)


def fit_random_slope(
    y: np.ndarray,
    exog: np.ndarray,
    time: np.ndarray,
    groups: np.ndarray,
    *,
    reml: bool = True,
    start_psi: float | None = None,
) -> SlopeFit:
    """Fit ``y ~ exog`` with a random intercept and a random slope on ``time`` per group.

    ``start_psi`` (random-intercept variance ratio τ²/σ², e.g. from ``fit_random_intercept``)
    seeds the first start; lme4's start ``L = I`` is always tried as well.
    """
    sums = _Sums(np.asarray(y, float), np.asarray(exog, float), np.asarray(time, float), groups)
    like = _Likelihood(sums, reml)
    if like.fac <= 0 or sums.n_groups < 3:
        raise ValueError(
            text(
                "too few observations to fit the model ({n_obs} observations, "
                "{n_groups} participants, {p} fixed effects)",
                n_obs=sums.n_obs,
                n_groups=sums.n_groups,
                p=sums.p,
            )
        )
    t_sd = float(np.std(time)) or 1.0
    starts = [np.array([1.0, 0.0, 1.0 / t_sd])]
    if start_psi is not None and start_psi > 0:
        starts.insert(0, np.array([math.sqrt(start_psi), 0.0, 0.1 / t_sd]))
    theta, best, success = _maximise(like, starts)
    theta, success = _leave_boundary(like, theta, best, success, t_sd)
    if theta[0] > 0 and theta[2] > 0:
        theta, stationary = _polish(like, theta)
        success = success or stationary
    at = like.point(theta, derivatives=True)
    if not at.q > 0:
        raise ValueError(text("the model fits the data exactly (no residual variance to estimate)"))
    scale = at.q / like.fac
    lower = _chol(theta)
    cov_re = scale * (lower @ lower.T)
    cov = _fixed_effect_cov(like, theta, at)
    beta = at.beta
    converged = success and bool(np.all(np.isfinite(cov)))
    return SlopeFit(beta, cov, cov_re, scale, converged)
