"""Small numerical helpers shared by the estimators in :mod:`neuroregen.stats`.

Private to the package: input cleaning with a counted missing-data policy, the
noncentral-t inversion used for standardized effects, the exact Hedges correction
factor and the Wilson score interval. Each helper is documented where it is defined
and tested through the public functions that use it.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats

from neuroregen.stats.results import SMALL_N

FloatArray = npt.NDArray[np.float64]

#: Below this many analysed units an estimate carries the SMALL_N caveat.
SMALL_N_BELOW = 30


class InsufficientDataError(ValueError):
    """Raised when too few usable observations remain to estimate a quantity."""


def as_float_array(values: npt.ArrayLike, name: str) -> FloatArray:
    """Return *values* as a one-dimensional float array (``None`` becomes NaN)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def drop_missing(values: npt.ArrayLike, name: str) -> tuple[FloatArray, int]:
    """Drop NaN entries; return the complete values and how many were dropped."""
    arr = as_float_array(values, name)
    keep = ~np.isnan(arr)
    return arr[keep], int(arr.size - keep.sum())


def paired_complete(
    first: npt.ArrayLike, second: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, int]:
    """Keep only pairs where both members are observed.

    Returns the two aligned arrays and the number of pairs dropped because either
    member was missing.
    """
    a = as_float_array(first, "baseline")
    b = as_float_array(second, "follow_up")
    if a.shape != b.shape:
        raise ValueError(f"paired arrays differ in length: {a.size} vs {b.size}")
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep], b[keep], int(a.size - keep.sum())


def check_confidence(confidence: float) -> float:
    """Validate a confidence level strictly between 0 and 1."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return float(confidence)


def z_quantile(confidence: float) -> float:
    """Two-sided standard normal quantile, e.g. 1.959964 for 0.95."""
    return float(stats.norm.ppf(0.5 + check_confidence(confidence) / 2.0))


def size_caveats(n: int) -> tuple[str, ...]:
    """The SMALL_N caveat when fewer than :data:`SMALL_N_BELOW` units were analysed."""
    return (SMALL_N,) if n < SMALL_N_BELOW else ()


def hedges_j(df: float) -> float:
    """Exact small-sample bias-correction factor of Hedges (1981).

    J(df) = Γ(df/2) / (√(df/2) · Γ((df − 1)/2)); approximately 1 − 3/(4·df − 1).
    """
    if df <= 1:
        return math.nan
    return math.exp(
        special.gammaln(df / 2.0) - 0.5 * math.log(df / 2.0) - special.gammaln((df - 1.0) / 2.0)
    )


def _nct_cdf(t_obs: float, df: float, ncp: float) -> float:
    return float(stats.nct.cdf(t_obs, df, ncp))


def noncentral_t_limits(t_obs: float, df: float, confidence: float) -> tuple[float, float]:
    """Invert the noncentral t distribution for the noncentrality parameter.

    Finds λ_low and λ_high with P(T ≤ t_obs | λ_low) = 1 − α/2 and
    P(T ≤ t_obs | λ_high) = α/2, where T ~ t'(df, λ) (Steiger & Fouladi 1997).
    The CDF falls monotonically in λ, so each limit is bracketed and solved by Brent's method.
    """
    alpha = 1.0 - check_confidence(confidence)
    if not math.isfinite(t_obs) or df <= 0:
        return math.nan, math.nan

    def solve(target: float) -> float:
        def f(ncp: float) -> float:
            return _nct_cdf(t_obs, df, ncp) - target

        width = 2.0 + abs(t_obs)
        lo, hi = t_obs - width, t_obs + width
        for _ in range(60):
            if f(lo) > 0 > f(hi):
                break
            lo -= width
            hi += width
            width *= 2.0
        else:  # pragma: no cover - the bracket always widens enough for finite t
            return math.nan
        return float(optimize.brentq(f, lo, hi, xtol=1e-10, rtol=1e-12, maxiter=500))

    return solve(1.0 - alpha / 2.0), solve(alpha / 2.0)


def wilson_interval(x: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson (1927) score interval for a binomial proportion x/n.

    (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n); Newcombe (1998) method 3.
    """
    if n <= 0:
        return math.nan, math.nan
    if not 0 <= x <= n:
        raise ValueError(f"count {x} outside 0..{n}")
    z = z_quantile(confidence)
    p = x / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom
    low = 0.0 if x == 0 else max(0.0, centre - half)
    high = 1.0 if x == n else min(1.0, centre + half)
    return low, high


def mover_difference(
    est1: float, ci1: tuple[float, float], est2: float, ci2: tuple[float, float]
) -> tuple[float, float]:
    """MOVER interval for θ1 − θ2 from separate intervals (Zou & Donner 2008).

    L = d − √((θ1 − l1)² + (u2 − θ2)²),  U = d + √((u1 − θ1)² + (θ2 − l2)²).
    With Wilson intervals for both proportions this is Newcombe's (1998) method 10.
    """
    d = est1 - est2
    low = d - math.sqrt((est1 - ci1[0]) ** 2 + (ci2[1] - est2) ** 2)
    high = d + math.sqrt((ci1[1] - est1) ** 2 + (est2 - ci2[0]) ** 2)
    return low, high
