"""Per-study effects for meta-analysis: the measures pooled and how a study's effect is computed."""

from __future__ import annotations

import enum
import math

from scipy import stats

from neuroregen.stats.text import text

__all__ = [
    "Measure",
    "hedges_g",
    "log_risk_ratio",
]


class Measure(enum.Enum):
    """Effect measures that can be pooled; ratio measures are pooled on the log scale."""

    MD = "mean difference"
    SMD = "standardised mean difference"
    LOG_RR = "log risk ratio"
    LOG_OR = "log odds ratio"

    @property
    def is_log_ratio(self) -> bool:
        return self in (Measure.LOG_RR, Measure.LOG_OR)

    @property
    def ratio_name(self) -> str:
        return {Measure.LOG_RR: "risk ratio", Measure.LOG_OR: "odds ratio"}.get(self, "")


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def log_risk_ratio(
    events_t: int, n_t: int, events_c: int, n_c: int, *, zero_correction: float = 0.5
) -> tuple[float, float]:
    """Log risk ratio of treated vs control and its large-sample variance.

    Formula: ``log RR = log((a/n1) / (c/n2))``,
    ``Var = 1/a − 1/n1 + 1/c − 1/n2`` (Borenstein et al. 2009, ch. 5).
    When a or c is zero, ``zero_correction`` is added to every cell of that study's 2×2 table
    (a, b, c, d each +0.5 by default), as is conventional.

    Parameters
    ----------
    events_t, n_t : int
        Events and participants in the treated arm.
    events_c, n_c : int
        Events and participants in the control arm.
    zero_correction : float
        Added to each cell when any event count is zero.

    Returns
    -------
    (float, float)
        log risk ratio and its variance.

    Assumptions
    -----------
    Independent binomial arms; the variance is a delta-method approximation.

    Missing data
    ------------
    Counts must be complete; participants lost to follow-up are whatever the study reported.

    References
    ----------
    Borenstein M, Hedges LV, Higgins JPT, Rothstein HR. Introduction to Meta-Analysis. Wiley,
    2009, chapter 5.

    Examples
    --------
    The first BCG trial (Aronson 1948; Colditz et al. 1994):

    >>> yi, vi = log_risk_ratio(4, 123, 11, 139)
    >>> round(yi, 4), round(vi, 4)
    (-0.8893, 0.3256)
    """
    for name, value in (("events_t", events_t), ("n_t", n_t), ("events_c", events_c), ("n_c", n_c)):
        if value < 0:
            raise ValueError(f"{name} must not be negative")
    if events_t > n_t or events_c > n_c:
        raise ValueError("events cannot exceed participants")
    a, c = float(events_t), float(events_c)
    n1, n2 = float(n_t), float(n_c)
    if a == 0 or c == 0:
        a += zero_correction
        c += zero_correction
        n1 += 2 * zero_correction
        n2 += 2 * zero_correction
    if a == 0 or c == 0:
        raise ValueError("a zero event count needs a positive zero_correction")
    return math.log((a / n1) / (c / n2)), 1 / a - 1 / n1 + 1 / c - 1 / n2


def hedges_g(
    mean_t: float, sd_t: float, n_t: int, mean_c: float, sd_c: float, n_c: int
) -> tuple[float, float]:
    """Hedges' g (bias-corrected standardised mean difference) and its variance.

    Formula (Borenstein et al. 2009, ch. 4):
    ``S_within = sqrt(((n1−1)s1² + (n2−1)s2²)/(n1+n2−2))``, ``d = (m1 − m2)/S_within``,
    ``V_d = (n1+n2)/(n1 n2) + d²/(2(n1+n2))``, ``J = 1 − 3/(4(n1+n2−2) − 1)``,
    ``g = J d``, ``V_g = J² V_d``.

    Parameters
    ----------
    mean_t, sd_t, n_t : float, float, int
        Mean, SD and size of the treated group.
    mean_c, sd_c, n_c : float, float, int
        The same for the control group.

    Returns
    -------
    (float, float)
        g and its variance.

    Assumptions
    -----------
    Roughly normal outcomes with a common SD in both groups.

    Missing data
    ------------
    Uses the summary statistics as reported.

    References
    ----------
    Hedges LV. Distribution theory for Glass's estimator of effect size. J Educ Stat 1981;6:107–28.
    Borenstein et al. 2009, chapter 4 (worked example reproduced below).

    Examples
    --------
    >>> g, vg = hedges_g(103, 5.5, 50, 100, 4.5, 50)
    >>> round(g, 4), round(vg, 4)
    (0.5924, 0.0411)
    """
    if n_t < 2 or n_c < 2:
        raise ValueError(text("each group needs at least 2 participants"))
    if sd_t <= 0 or sd_c <= 0:
        raise ValueError(text("standard deviations must be positive"))
    df = n_t + n_c - 2
    s_within = math.sqrt(((n_t - 1) * sd_t**2 + (n_c - 1) * sd_c**2) / df)
    d = (mean_t - mean_c) / s_within
    v_d = (n_t + n_c) / (n_t * n_c) + d**2 / (2 * (n_t + n_c))
    j = 1 - 3 / (4 * df - 1)
    return j * d, j**2 * v_d
