"""Checks that published numbers can be true.

The standard error implied by a confidence interval (:func:`se_from_ci`), whether a reported
p-value agrees with its interval (:func:`check_p_value`), and whether a reported mean or
percentage can arise from whole numbers out of the reported n (:func:`grim_check`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from neuroregen.stats.meta_effects import _z

__all__ = [
    "GrimCheck",
    "PValueCheck",
    "check_p_value",
    "grim_check",
    "se_from_ci",
]


def se_from_ci(
    ci_low: float, ci_high: float, *, confidence: float = 0.95, log_scale: bool = False
) -> float:
    """Standard error implied by a symmetric (Wald) confidence interval.

    Formula: ``SE = (U − L) / (2 z_{(1+c)/2})``; for ratio measures (risk, odds, hazard ratios)
    the interval is symmetric on the log scale, so ``SE = (ln U − ln L) / (2 z)`` and the SE is
    that of the log ratio.

    Parameters
    ----------
    ci_low, ci_high : float
        Reported bounds (on the ratio scale when ``log_scale=True``).
    confidence : float
        Level of the reported interval.
    log_scale : bool
        True for ratio measures.

    Returns
    -------
    float

    Assumptions
    -----------
    The interval was a normal-theory (Wald) interval; for t-based intervals from small studies
    the SE is over-stated slightly (conservative).

    Missing data
    ------------
    Not applicable.

    References
    ----------
    Higgins JPT et al. (eds). Cochrane Handbook for Systematic Reviews of Interventions, v6.4,
    section 6.5.2.2–6.5.2.3.
    Altman DG, Bland JM. How to obtain the P value from a confidence interval. BMJ 2011;343:d2304.

    Examples
    --------
    >>> round(se_from_ci(0.70, 0.94, log_scale=True), 4)
    0.0752
    >>> round(se_from_ci(-8.87, -3.06), 3)
    1.482
    """
    if ci_high < ci_low:
        raise ValueError("ci_high must not be below ci_low")
    z = _z(confidence)
    if log_scale:
        if ci_low <= 0:
            raise ValueError("ratio-measure bounds must be positive")
        return (math.log(ci_high) - math.log(ci_low)) / (2 * z)
    return (ci_high - ci_low) / (2 * z)


@dataclass(frozen=True)
class PValueCheck:
    """Whether a reported p-value agrees with the reported estimate and interval.

    Attributes
    ----------
    recomputed_p : float
        p recomputed from the estimate and the CI-derived SE.
    recomputed_range : (float, float)
        Range of p over the rounding of the reported numbers.
    reported_p : float
    reported_range : (float, float)
        Values the reported p stands for, after rounding (``(0, p)`` for "p < x").
    consistent : bool
        False when the reported and recomputed ranges do not meet within the tolerance.
    decision_inconsistent : bool
        True when the interval and the reported p disagree about significance at
        ``1 − confidence`` (the interval excludes the null but p ≥ α, or vice versa).
    message : str
    """

    recomputed_p: float
    recomputed_range: tuple[float, float]
    reported_p: float
    reported_range: tuple[float, float]
    consistent: bool
    decision_inconsistent: bool
    message: str


def check_p_value(
    estimate: float,
    ci_low: float,
    ci_high: float,
    reported_p: float,
    *,
    null: float | None = None,
    ratio: bool = False,
    confidence: float = 0.95,
    ci_decimals: int | None = None,
    p_decimals: int | None = None,
    p_is_upper_bound: bool = False,
    tolerance: float = 0.1,
) -> PValueCheck:
    """Recompute a two-sided p-value from an estimate and its interval and compare.

    Formula (Altman & Bland 2011): ``SE = (U − L)/(2 z)``, ``Z = |est − null| / SE``,
    ``p = 2 (1 − Φ(Z))``; ratio measures on the log scale.

    Tolerance: when ``ci_decimals`` is given, the estimate and bounds are treated as rounded to
    that many decimals and p is recomputed at every corner of the rounding box (the statistic
    is a ratio of linear functions, so the extremes lie at the corners). The reported p stands
    for ``p ± 0.5·10^−p_decimals`` (or ``[0, p]`` when reported as "p < x"). The recomputed range
    is then widened by the relative ``tolerance`` (default 10 %) to allow for t-based intervals
    and other small methodological differences. A flag means "ask the authors", not "fraud".

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        As reported (ratio scale if ``ratio``).
    reported_p : float
        The p-value as printed.
    null : float, optional
        Null value (default 0, or 1 for ratios).
    ratio : bool
        Ratio measure (interval symmetric on the log scale).
    confidence : float
        Level of the reported interval.
    ci_decimals, p_decimals : int, optional
        Decimals to which the estimate/interval and p were printed.
    p_is_upper_bound : bool
        True when the paper printed "p < reported_p".
    tolerance : float
        Relative widening of the recomputed range.

    Returns
    -------
    PValueCheck

    Assumptions
    -----------
    A Wald-type test and interval from the same model; not valid for exact, permutation or
    profile-likelihood intervals, which need not be symmetric.

    Missing data
    ------------
    Not applicable.

    References
    ----------
    Altman DG, Bland JM. How to obtain the P value from a confidence interval. BMJ
    2011;343:d2304 (worked example: HR 0.81, 95 % CI 0.70 to 0.94, P = 0.005).

    Examples
    --------
    >>> chk = check_p_value(0.81, 0.70, 0.94, 0.005, ratio=True, ci_decimals=2, p_decimals=3)
    >>> chk.consistent, round(chk.recomputed_p, 4)
    (True, 0.0051)
    >>> check_p_value(0.81, 0.70, 0.94, 0.04, ratio=True, ci_decimals=2).consistent
    False
    """
    if null is None:
        null = 1.0 if ratio else 0.0
    z_crit = _z(confidence)
    half = 0.5 * 10.0 ** (-ci_decimals) if ci_decimals is not None else 0.0

    def p_at(est: float, lo: float, hi: float) -> float:
        if ratio:
            if min(est, lo, hi, null) <= 0:
                return math.nan
            est, lo, hi, nul = math.log(est), math.log(lo), math.log(hi), math.log(null)
        else:
            nul = null
        se = (hi - lo) / (2 * z_crit)
        if se <= 0:
            return math.nan
        return float(2 * stats.norm.sf(abs(est - nul) / se))

    p0 = p_at(estimate, ci_low, ci_high)
    corners = [
        p_at(estimate + a, ci_low + b, ci_high + c)
        for a in (-half, half)
        for b in (-half, half)
        for c in (-half, half)
    ]
    # the sign of (estimate - null) may flip inside the rounding box: then p can reach 1
    spans_null = estimate - half <= null <= estimate + half
    finite = [p for p in [*corners, p0] if not math.isnan(p)]
    r_lo = min(finite) if finite else math.nan
    r_hi = 1.0 if spans_null else (max(finite) if finite else math.nan)
    w_lo, w_hi = r_lo * (1 - tolerance), min(1.0, r_hi * (1 + tolerance))

    if p_is_upper_bound:
        rep = (0.0, reported_p)
    elif p_decimals is not None:
        step = 0.5 * 10.0 ** (-p_decimals)
        rep = (max(0.0, reported_p - step), min(1.0, reported_p + step))
    else:
        rep = (reported_p, reported_p)
    consistent = not (rep[1] < w_lo or rep[0] > w_hi)

    alpha = 1 - confidence
    excludes_null = not (ci_low <= null <= ci_high)
    reported_significant = rep[1] < alpha if p_is_upper_bound else reported_p < alpha
    decision_inconsistent = excludes_null != reported_significant and not (
        # bounds or p sitting on the threshold after rounding are not a contradiction
        ci_low == null or ci_high == null or rep[0] <= alpha <= rep[1]
    )
    if consistent and not decision_inconsistent:
        msg = f"reported p={reported_p:g} agrees with the interval (recomputed p≈{p0:.3g})"
    else:
        msg = (
            f"reported p={reported_p:g} does not match the interval: recomputed p≈{p0:.3g} "
            f"(range {r_lo:.3g}–{r_hi:.3g} over rounding)"
        )
        if decision_inconsistent:
            msg += "; the interval and the p-value disagree about statistical significance"
    return PValueCheck(
        recomputed_p=p0,
        recomputed_range=(r_lo, r_hi),
        reported_p=reported_p,
        reported_range=rep,
        consistent=consistent,
        decision_inconsistent=decision_inconsistent,
        message=msg,
    )


@dataclass(frozen=True)
class GrimCheck:
    """Result of a GRIM test.

    Attributes
    ----------
    value : float
        The reported mean or percentage.
    n : int
    consistent : bool
        True when some whole-number total out of n (times items) rounds to the value.
    nearest : tuple of float
        The closest achievable values at the reported precision (below, above).
    message : str
    """

    value: float
    n: int
    consistent: bool
    nearest: tuple[float, float]
    message: str


def grim_check(
    value: float,
    n: int,
    *,
    decimals: int,
    kind: str = "mean",
    items: int = 1,
) -> GrimCheck:
    """GRIM test: can a mean (or percentage) of whole-number data with this n be reported?

    A mean of integer scores from n participants (each answering ``items`` integer items) is
    ``T / (n·items)`` for some integer total T; a percentage of participants is ``100·T/n``.
    The value is consistent when some integer T gives ``|T/(n·items) − value| ≤ 0.5·10^−decimals``
    (boundaries inclusive, so both round-half-up and round-half-even reporting pass).

    Parameters
    ----------
    value : float
        The reported mean or percentage.
    n : int
        Reported number of participants.
    decimals : int
        Decimals printed.
    kind : {"mean", "percent"}
        A mean of integer data, or a percentage of participants.
    items : int
        Number of integer items averaged per participant (means of multi-item scales).

    Returns
    -------
    GrimCheck

    Assumptions
    -----------
    The underlying data are whole numbers and every one of the n contributed. The test has no
    power once ``n·items ≥ 10^decimals`` (every value is then possible); a pass there says
    nothing.

    Missing data
    ------------
    If some participants are missing, the true denominator is smaller than n and a failure
    may simply reveal unreported missing data.

    References
    ----------
    Brown NJL, Heathers JAJ. The GRIM test: a simple technique detects numerous anomalies in
    the reporting of results in psychology. Soc Psychol Personal Sci 2017;8:363–9.

    Examples
    --------
    >>> grim_check(5.19, 28, decimals=2).consistent
    False
    >>> grim_check(5.18, 28, decimals=2).consistent
    True
    >>> grim_check(17.0, 20, decimals=1, kind="percent").consistent
    False
    """
    if n < 1 or items < 1:
        raise ValueError("n and items must be positive")
    if kind == "mean":
        denom = n * items
        scale = 1.0
    elif kind == "percent":
        denom = n
        scale = 100.0
    else:
        raise ValueError("kind must be 'mean' or 'percent'")
    half = 0.5 * 10.0 ** (-decimals)
    eps = 1e-9 * max(1.0, abs(value))
    target = value / scale * denom
    candidates = [math.floor(target) + j for j in (-1, 0, 1, 2)]
    achievable = [scale * t / denom for t in candidates]
    consistent = any(abs(a - value) <= half + eps for a in achievable)
    below = max((a for a in achievable if a <= value + eps), default=math.nan)
    above = min((a for a in achievable if a >= value - eps), default=math.nan)
    nearest = (round(below, decimals), round(above, decimals))
    unit = "%" if kind == "percent" else ""
    if consistent:
        msg = f"{value}{unit} is possible with n={n}"
        if denom >= 10**decimals:
            msg += " (GRIM has no power at this n and precision)"
    else:
        msg = (
            f"{value}{unit} cannot arise from whole numbers with n={n}"
            f"{f' and {items} items' if items > 1 else ''}: nearest possible values are "
            f"{nearest[0]}{unit} and {nearest[1]}{unit}"
        )
    return GrimCheck(value=value, n=n, consistent=consistent, nearest=nearest, message=msg)
