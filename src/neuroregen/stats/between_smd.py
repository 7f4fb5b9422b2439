"""Standardised mean differences between two groups from raw data: Cohen's d and Hedges' g with
their intervals.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from neuroregen.stats._common import (
    InsufficientDataError,
    check_confidence,
    hedges_j,
    noncentral_t_limits,
    size_caveats,
    z_quantile,
)
from neuroregen.stats.between_means import _improvement, _two_groups
from neuroregen.stats.results import Direction, Estimate
from neuroregen.stats.text import text

__all__ = [
    "CiMethod",
    "cohens_d",
    "hedges_g",
]


CiMethod = Literal["noncentral_t", "normal"]


def _smd(
    m_t: float,
    s_t: float,
    n_t: int,
    m_c: float,
    s_c: float,
    n_c: int,
    *,
    confidence: float,
    ci_method: CiMethod,
    corrected: bool,
) -> tuple[float, float, float, dict[str, Any]]:
    df = n_t + n_c - 2
    if n_t < 2 or n_c < 2:
        raise InsufficientDataError(text("need at least 2 participants per group"))
    sp = math.sqrt(((n_t - 1) * s_t**2 + (n_c - 1) * s_c**2) / df)
    if sp == 0.0:
        raise InsufficientDataError(text("pooled SD is zero"))
    d = (m_t - m_c) / sp
    scale = math.sqrt(1.0 / n_t + 1.0 / n_c)
    if ci_method == "noncentral_t":
        lam_lo, lam_hi = noncentral_t_limits(d / scale, df, confidence)
        low, high = lam_lo * scale, lam_hi * scale
    elif ci_method == "normal":
        se_d = math.sqrt((n_t + n_c) / (n_t * n_c) + d**2 / (2.0 * (n_t + n_c)))
        z = z_quantile(confidence)
        low, high = d - z * se_d, d + z * se_d
    else:
        raise ValueError(f"unknown ci_method {ci_method!r}")
    j = hedges_j(df)
    details: dict[str, Any] = {
        "cohens_d": d,
        "hedges_g": j * d,
        "j": j,
        "sd_pooled": sp,
        "df": df,
        "mean_treated": m_t,
        "mean_control": m_c,
        "sd_treated": s_t,
        "sd_control": s_c,
        "n_treated": n_t,
        "n_control": n_c,
    }
    if corrected:
        return j * d, j * low, j * high, details
    return d, low, high, details


_CI_TEXT = {
    "noncentral_t": "noncentral-t interval",
    "normal": "large-sample normal interval, SE² = (n_T+n_C)/(n_T·n_C) + d²/(2(n_T+n_C))",
}


def _raw_smd(
    treated: npt.ArrayLike,
    control: npt.ArrayLike,
    *,
    direction: Direction,
    confidence: float,
    ci_method: CiMethod,
    label: str,
    comparator: str,
    corrected: bool,
) -> Estimate:
    conf = check_confidence(confidence)
    t, c, dropped = _two_groups(treated, control)
    est, low, high, details = _smd(
        float(np.mean(t)),
        float(np.std(t, ddof=1)),
        int(t.size),
        float(np.mean(c)),
        float(np.std(c, ddof=1)),
        int(c.size),
        confidence=conf,
        ci_method=ci_method,
        corrected=corrected,
    )
    details["n_dropped_missing"] = dropped
    details.update(_improvement(direction, est, low, high))
    name = "Hedges' g" if corrected else "Cohen's d"
    n = int(t.size + c.size)
    return Estimate(
        quantity=text(
            "standardized mean difference ({name}), {label} (treated − control)",
            name=name,
            label=label,
        ),
        estimate=est,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method=f"{name}, pooled SD; {_CI_TEXT[ci_method]}"
        + ("; interval scaled by J" if corrected else ""),
        comparator=comparator,
        caveats=size_caveats(n),
        details=details,
    )


def cohens_d(
    treated: npt.ArrayLike,
    control: npt.ArrayLike,
    *,
    direction: Direction,
    confidence: float = 0.95,
    ci_method: CiMethod = "noncentral_t",
    label: str = "score",
    comparator: str = "control group",
) -> Estimate:
    """Cohen's d = (x̄_T − x̄_C)/s_pooled with a noncentral-t or large-sample interval.

    Parameters
    ----------
    treated, control : array_like
        Outcome values of two independent groups.
    direction : Direction
        Which way is better on the instrument.
    confidence : float
        Confidence level.
    ci_method : {"noncentral_t", "normal"}
        ``"noncentral_t"`` inverts t' (n_T + n_C − 2, λ) at t = d/√(1/n_T + 1/n_C) (exact
        under normality, equal variances); ``"normal"`` uses d ± z·SE with
        SE² = (n_T + n_C)/(n_T·n_C) + d²/(2(n_T + n_C)) (Hedges & Olkin 1985).
    label, comparator : str
        Words for the quantity and the control group.

    Returns
    -------
    Estimate
        d with interval; ``details`` also holds Hedges' g, J, pooled SD and group summaries.

    Notes
    -----
    s_pooled = √(((n_T − 1)s_T² + (n_C − 1)s_C²)/(n_T + n_C − 2)). Assumes independent
    groups with a common SD. Missing data: NaN dropped per group, counted in
    ``details["n_dropped_missing"]``.

    References
    ----------
    Hedges LV, Olkin I. *Statistical Methods for Meta-Analysis*. Academic Press, 1985.
    Lakens D. *Front Psychol* 2013;4:863 (eqs. 1, 2).

    Examples
    --------
    >>> from neuroregen.stats import Direction
    >>> m1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]   # Lakens (2013): d_s = 1.13
    >>> m2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]
    >>> round(cohens_d(m1, m2, direction=Direction.HIGHER_IS_BETTER).estimate, 2)
    1.13
    """
    return _raw_smd(
        treated,
        control,
        direction=direction,
        confidence=confidence,
        ci_method=ci_method,
        label=label,
        comparator=comparator,
        corrected=False,
    )


def hedges_g(
    treated: npt.ArrayLike,
    control: npt.ArrayLike,
    *,
    direction: Direction,
    confidence: float = 0.95,
    ci_method: CiMethod = "noncentral_t",
    label: str = "score",
    comparator: str = "control group",
) -> Estimate:
    """Hedges' g = J(n_T + n_C − 2)·d, the small-sample bias-corrected Cohen's d.

    Parameters
    ----------
    treated, control : array_like
        Outcome values of two independent groups.
    direction : Direction
        Which way is better on the instrument.
    confidence : float
        Confidence level.
    ci_method : {"noncentral_t", "normal"}
        Interval for d (see :func:`cohens_d`), then multiplied by J.
    label, comparator : str
        Words for the quantity and the control group.

    Returns
    -------
    Estimate
        g with interval; ``details["cohens_d"]`` and ``details["j"]`` show the correction.

    Notes
    -----
    J(df) = Γ(df/2)/(√(df/2)·Γ((df − 1)/2)) (exact form; ≈ 1 − 3/(4·df − 1)). Missing data as
    in :func:`cohens_d`.

    References
    ----------
    Hedges LV. *J Educ Stat* 1981;6:107–128.

    Examples
    --------
    >>> from neuroregen.stats import Direction
    >>> m1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
    >>> m2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]
    >>> round(hedges_g(m1, m2, direction=Direction.HIGHER_IS_BETTER).estimate, 2)
    1.08
    """
    return _raw_smd(
        treated,
        control,
        direction=direction,
        confidence=confidence,
        ci_method=ci_method,
        label=label,
        comparator=comparator,
        corrected=True,
    )
