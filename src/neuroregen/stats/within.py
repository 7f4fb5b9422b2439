"""Within-group change from baseline for a single treated group.

Every function here compares participants with their own baseline. Without a control group
such change mixes any treatment effect with development, regression to the mean, rater
expectation and placebo response, so every result is returned with the
:data:`~neuroregen.stats.results.UNCONTROLLED` caveat and the comparator
``"own baseline (no control group)"``.

Change is always *follow-up − baseline* on the instrument's own scale. Because instruments
differ in which way is better, each result also reports the **improvement**
(``Direction.sign × change``; positive means the children are doing better) in ``details``.

Missing data: a participant enters only when both baseline and follow-up are observed
(complete pairs). Pairs with either value missing (NaN) are dropped and counted in
``details["n_dropped_missing"]``; no imputation is done here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from neuroregen.stats._common import (
    FloatArray,
    InsufficientDataError,
    check_confidence,
    hedges_j,
    noncentral_t_limits,
    paired_complete,
    size_caveats,
    z_quantile,
)
from neuroregen.stats.results import OWN_BASELINE, UNCONTROLLED, Direction, Estimate
from neuroregen.stats.text import text

__all__ = [
    "cohens_d_av",
    "cohens_d_z",
    "hedges_g_av",
    "mean_change",
    "signed_rank_change",
]


def _changes(
    baseline: npt.ArrayLike, follow_up: npt.ArrayLike, minimum: int = 2
) -> tuple[FloatArray, FloatArray, FloatArray, int]:
    base, follow, dropped = paired_complete(baseline, follow_up)
    if base.size < minimum:
        raise InsufficientDataError(
            text(
                "need at least {minimum} complete baseline/follow-up pairs, got {n}",
                minimum=minimum,
                n=int(base.size),
            )
        )
    return base, follow, follow - base, dropped


def _improvement(direction: Direction, estimate: float, low: float, high: float) -> dict[str, Any]:
    s = direction.sign
    bounds = sorted((s * low, s * high))
    return {
        "direction": direction.value,
        "improvement": s * estimate,
        "improvement_ci_low": bounds[0],
        "improvement_ci_high": bounds[1],
    }


def _caveats(n: int) -> tuple[str, ...]:
    return (UNCONTROLLED, *size_caveats(n))


def mean_change(
    baseline: npt.ArrayLike,
    follow_up: npt.ArrayLike,
    *,
    direction: Direction,
    confidence: float = 0.95,
    label: str = "score",
) -> Estimate:
    """Mean change from baseline with a paired t-interval.

    Parameters
    ----------
    baseline, follow_up : array_like
        Scores of the same participants, aligned by position.
    direction : Direction
        Which way the instrument moves when a child is doing better.
    confidence : float
        Confidence level of the interval.
    label : str
        Instrument name used in the quantity text.

    Returns
    -------
    Estimate
        ``estimate`` is the mean of d_i = follow_up_i − baseline_i; ``details`` holds the SD
        of changes, standard error, t, df, the two-sided paired-t p-value, and the
        direction-aware ``improvement`` with its interval.

    Notes
    -----
    Formula: d̄ ± t_{1−α/2, n−1} · s_d/√n, where s_d is the SD of the changes. The p-value is
    from the paired t-test of H0: mean change = 0.

    Assumptions: pairs are independent; the mean change is approximately normal (the
    changes are roughly symmetric or n is large). For skewed changes see
    :func:`signed_rank_change`.

    Missing data: pairs with either value missing are dropped and counted in
    ``details["n_dropped_missing"]``.

    References
    ----------
    Altman DG. *Practical Statistics for Medical Research*. Chapman & Hall, 1991, §9.6.

    Examples
    --------
    >>> from neuroregen.stats import Direction
    >>> est = mean_change([60, 55, 70, 48], [52, 50, 61, 47],
    ...                   direction=Direction.HIGHER_IS_WORSE, label="ATEC total")
    >>> round(est.estimate, 2), round(est.details["improvement"], 2)
    (-5.75, 5.75)
    >>> round(est.ci_low, 2), round(est.ci_high, 2)
    (-11.47, -0.03)
    >>> est.comparator
    'own baseline (no control group)'
    """
    conf = check_confidence(confidence)
    base, follow, d, dropped = _changes(baseline, follow_up)
    n = d.size
    sd = float(np.std(d, ddof=1))
    if sd == 0.0:
        raise InsufficientDataError(
            text("all changes are identical: no variability to estimate from")
        )
    mean = float(np.mean(d))
    se = sd / math.sqrt(n)
    df = n - 1
    t_crit = float(stats.t.ppf(0.5 + conf / 2.0, df))
    low, high = mean - t_crit * se, mean + t_crit * se
    t_stat = mean / se
    p = float(2.0 * stats.t.sf(abs(t_stat), df))
    details: dict[str, Any] = {
        "mean_baseline": float(np.mean(base)),
        "mean_follow_up": float(np.mean(follow)),
        "sd_change": sd,
        "se": se,
        "t": t_stat,
        "df": df,
        "n_dropped_missing": dropped,
        **_improvement(direction, mean, low, high),
    }
    return Estimate(
        quantity=text("mean change from baseline, {label} (follow-up − baseline)", label=label),
        estimate=mean,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method="paired t-interval; paired t-test",
        comparator=OWN_BASELINE,
        caveats=_caveats(n),
        p_value=p,
        details=details,
    )


def cohens_d_z(
    baseline: npt.ArrayLike,
    follow_up: npt.ArrayLike,
    *,
    direction: Direction,
    confidence: float = 0.95,
    label: str = "score",
) -> Estimate:
    """Standardized mean change d_z = mean change / SD of changes, with an exact interval.

    Parameters
    ----------
    baseline, follow_up : array_like
        Paired scores.
    direction : Direction
        Which way is better on the instrument.
    confidence : float
        Confidence level.
    label : str
        Instrument name for the quantity text.

    Returns
    -------
    Estimate
        d_z on the raw change scale (negative = scores fell); ``details["improvement"]`` is
        the direction-aware value.

    Notes
    -----
    Formula: d_z = d̄ / s_d = t/√n. Interval: the noncentral-t method — find λ_low, λ_high such
    that the observed t = d_z·√n is the 1 − α/2 and α/2 quantile of t'(n − 1, λ); the interval
    is (λ_low/√n, λ_high/√n). It is exact when the changes are normal.

    d_z answers "how consistent is the change across children"; it is not comparable with a
    between-group d (it grows as the baseline/follow-up correlation grows). Use
    :func:`cohens_d_av` to compare with benchmarks standardized by score SDs.

    Missing data: incomplete pairs dropped, counted in ``details["n_dropped_missing"]``.

    References
    ----------
    Lakens D. Calculating and reporting effect sizes to facilitate cumulative science.
    *Front Psychol* 2013;4:863 (eq. 6). Steiger JH, Fouladi RT. Noncentrality interval
    estimation. In: *What if there were no significance tests?* 1997.

    Examples
    --------
    >>> from neuroregen.stats import Direction
    >>> m1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]   # Lakens (2013) movie ratings
    >>> m2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]
    >>> est = cohens_d_z(m2, m1, direction=Direction.HIGHER_IS_BETTER)
    >>> round(est.estimate, 2)
    1.5
    >>> est.ci_low < 1.5 < est.ci_high
    True
    """
    conf = check_confidence(confidence)
    _, _, d, dropped = _changes(baseline, follow_up)
    n = d.size
    sd = float(np.std(d, ddof=1))
    if sd == 0.0:
        raise InsufficientDataError(text("all changes are identical: d_z is undefined"))
    dz = float(np.mean(d)) / sd
    lam_lo, lam_hi = noncentral_t_limits(dz * math.sqrt(n), n - 1, conf)
    low, high = lam_lo / math.sqrt(n), lam_hi / math.sqrt(n)
    details: dict[str, Any] = {
        "mean_change": float(np.mean(d)),
        "sd_change": sd,
        "t": dz * math.sqrt(n),
        "df": n - 1,
        "n_dropped_missing": dropped,
        **_improvement(direction, dz, low, high),
    }
    return Estimate(
        quantity=text("standardized mean change d_z, {label} (change / SD of change)", label=label),
        estimate=dz,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method="Cohen's d_z; noncentral-t interval",
        comparator=OWN_BASELINE,
        caveats=_caveats(n),
        details=details,
    )


def _d_av_parts(
    baseline: npt.ArrayLike, follow_up: npt.ArrayLike, confidence: float
) -> tuple[float, float, float, int, dict[str, Any]]:
    base, follow, d, dropped = _changes(baseline, follow_up, minimum=3)
    n = d.size
    sd1 = float(np.std(base, ddof=1))
    sd2 = float(np.std(follow, ddof=1))
    if sd1 == 0.0 or sd2 == 0.0 or float(np.std(d, ddof=1)) == 0.0:
        raise InsufficientDataError(text("no variability in baseline, follow-up or change"))
    r = float(np.corrcoef(base, follow)[0, 1])
    d_av = float(np.mean(d)) / ((sd1 + sd2) / 2.0)
    scale = 2.0 * (1.0 - r) / n
    if scale <= 1e-12:
        low = high = math.nan
    else:
        lam_lo, lam_hi = noncentral_t_limits(d_av / math.sqrt(scale), n - 1, confidence)
        low, high = lam_lo * math.sqrt(scale), lam_hi * math.sqrt(scale)
    details: dict[str, Any] = {
        "mean_change": float(np.mean(d)),
        "sd_baseline": sd1,
        "sd_follow_up": sd2,
        "r_baseline_follow_up": r,
        "df": n - 1,
        "n_dropped_missing": dropped,
    }
    return d_av, low, high, n, details


def cohens_d_av(
    baseline: npt.ArrayLike,
    follow_up: npt.ArrayLike,
    *,
    direction: Direction,
    confidence: float = 0.95,
    label: str = "score",
) -> Estimate:
    """Standardized mean change d_av = mean change / average of the two score SDs.

    Parameters
    ----------
    baseline, follow_up : array_like
        Paired scores.
    direction : Direction
        Which way is better on the instrument.
    confidence : float
        Confidence level.
    label : str
        Instrument name for the quantity text.

    Returns
    -------
    Estimate
        d_av (raw direction) with an approximate interval; ``details`` carries r, both SDs and
        the direction-aware ``improvement``.

    Notes
    -----
    Formula: d_av = d̄ / ((s_baseline + s_follow-up)/2) (Lakens 2013, eq. 10). Standardizing by
    score SDs keeps d_av on the scale of between-group d and of published standardized mean
    changes, which is why comparisons with benchmarks use it.

    Interval: approximate noncentral-t method of Algina & Keselman (2003), as used by Cumming
    (2012): treat t* = d_av / √(2(1 − r)/n) as noncentral t with n − 1 df, invert for the
    noncentrality λ, and rescale by √(2(1 − r)/n). With equal SDs t* is the paired t
    statistic exactly. The interval is NaN when r = 1.

    Assumptions: bivariate normal scores; the approximation degrades when the two SDs are
    very different.

    Missing data: incomplete pairs dropped, counted in ``details["n_dropped_missing"]``.

    References
    ----------
    Lakens D. *Front Psychol* 2013;4:863. Algina J, Keselman HJ. Approximate confidence
    intervals for effect sizes. *Educ Psychol Meas* 2003;63:537–553. Cumming G.
    *Understanding the New Statistics*. Routledge, 2012, ch. 11.

    Examples
    --------
    >>> from neuroregen.stats import Direction
    >>> m1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]   # Lakens (2013) movie ratings
    >>> m2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]
    >>> round(cohens_d_av(m2, m1, direction=Direction.HIGHER_IS_BETTER).estimate, 2)
    1.13
    """
    conf = check_confidence(confidence)
    d_av, low, high, n, details = _d_av_parts(baseline, follow_up, conf)
    details.update(_improvement(direction, d_av, low, high))
    return Estimate(
        quantity=text(
            "standardized mean change d_av, {label} (change / mean of score SDs)", label=label
        ),
        estimate=d_av,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method="Cohen's d_av; Algina–Keselman approximate noncentral-t interval",
        comparator=OWN_BASELINE,
        caveats=_caveats(n),
        details=details,
    )


def hedges_g_av(
    baseline: npt.ArrayLike,
    follow_up: npt.ArrayLike,
    *,
    direction: Direction,
    confidence: float = 0.95,
    label: str = "score",
) -> Estimate:
    """Bias-corrected standardized mean change g_av = J(n − 1) · d_av.

    Parameters
    ----------
    baseline, follow_up : array_like
        Paired scores.
    direction : Direction
        Which way is better on the instrument.
    confidence : float
        Confidence level.
    label : str
        Instrument name for the quantity text.

    Returns
    -------
    Estimate
        g_av with the d_av interval multiplied by J; ``details["d_av"]`` and ``details["j"]``
        show the correction.

    Notes
    -----
    Formula: J(df) = Γ(df/2) / (√(df/2)·Γ((df − 1)/2)) with df = n − 1 (Hedges 1981; exact
    form of 1 − 3/(4·df − 1)). The interval is the Algina–Keselman interval for d_av scaled by
    J, as in Cumming (2012). Small samples inflate d; g removes most of that bias.

    Missing data: incomplete pairs dropped, counted in ``details["n_dropped_missing"]``.

    References
    ----------
    Hedges LV. Distribution theory for Glass's estimator of effect size. *J Educ Stat*
    1981;6:107–128. Lakens D. *Front Psychol* 2013;4:863.

    Examples
    --------
    >>> from neuroregen.stats import Direction
    >>> m1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
    >>> m2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]
    >>> est = hedges_g_av(m2, m1, direction=Direction.HIGHER_IS_BETTER)
    >>> round(est.estimate, 3), round(est.details["j"], 4)
    (1.031, 0.9139)
    """
    conf = check_confidence(confidence)
    d_av, low, high, n, details = _d_av_parts(baseline, follow_up, conf)
    j = hedges_j(n - 1)
    g, g_low, g_high = j * d_av, j * low, j * high
    details.update({"d_av": d_av, "j": j})
    details.update(_improvement(direction, g, g_low, g_high))
    return Estimate(
        quantity=text("standardized mean change g_av, {label} (bias-corrected d_av)", label=label),
        estimate=g,
        ci_low=g_low,
        ci_high=g_high,
        confidence=conf,
        n=n,
        method="Hedges' g_av (exact J, df = n − 1); Algina–Keselman interval scaled by J",
        comparator=OWN_BASELINE,
        caveats=_caveats(n),
        details=details,
    )


def _signed_rank_null_cdf(n: int) -> FloatArray:
    """Exact null CDF of the Wilcoxon signed-rank statistic T+ for n untied nonzero values."""
    counts = np.zeros(n * (n + 1) // 2 + 1, dtype=np.float64)
    counts[0] = 1.0
    for k in range(1, n + 1):
        shifted = np.zeros_like(counts)
        shifted[k:] = counts[:-k]
        counts = counts + shifted
    cdf: FloatArray = np.cumsum(counts) / 2.0**n
    return cdf


def _hodges_lehmann(d: FloatArray, confidence: float) -> tuple[float, float, float, float, str]:
    """HL pseudo-median of d and its distribution-free interval from the Walsh averages."""
    n = d.size
    i, j = np.triu_indices(n)
    walsh = np.sort((d[i] + d[j]) / 2.0)
    n_walsh = walsh.size
    estimate = float(np.median(walsh))
    alpha = 1.0 - confidence
    abs_d = np.abs(d)
    has_ties = np.unique(abs_d).size < n
    if n <= 50 and not has_ties and not np.any(d == 0.0):
        cdf = _signed_rank_null_cdf(n)
        ok = np.nonzero(cdf <= alpha / 2.0 + 1e-12)[0]
        if ok.size == 0:
            return estimate, math.nan, math.nan, math.nan, "exact (too few pairs for any interval)"
        c = int(ok[-1]) + 1
        achieved = 1.0 - 2.0 * float(cdf[c - 1])
        method = "exact signed-rank distribution"
    else:
        z = z_quantile(confidence)
        _, tie_counts = np.unique(abs_d[abs_d > 0], return_counts=True)
        var = n * (n + 1) * (2 * n + 1) / 24.0 - float(np.sum(tie_counts**3 - tie_counts)) / 48.0
        c = math.floor(n * (n + 1) / 4.0 - z * math.sqrt(var))
        if c < 1:
            return estimate, math.nan, math.nan, math.nan, "normal approximation (too few pairs)"
        achieved = math.nan
        method = "normal approximation to the signed-rank distribution (rounded down)"
    return estimate, float(walsh[c - 1]), float(walsh[n_walsh - c]), achieved, method


def signed_rank_change(
    baseline: npt.ArrayLike,
    follow_up: npt.ArrayLike,
    *,
    direction: Direction,
    confidence: float = 0.95,
    label: str = "score",
) -> Estimate:
    """Wilcoxon signed-rank test with the Hodges–Lehmann pseudo-median change and interval.

    For skewed or outlier-prone change scores (common for caregiver checklists such as ATEC).

    Parameters
    ----------
    baseline, follow_up : array_like
        Paired scores.
    direction : Direction
        Which way is better on the instrument.
    confidence : float
        Nominal confidence level of the interval.
    label : str
        Instrument name for the quantity text.

    Returns
    -------
    Estimate
        ``estimate`` is the Hodges–Lehmann pseudo-median of the changes (median of all Walsh
        averages (d_i + d_j)/2, i ≤ j); the interval is [W_(C), W_(N+1−C)] over the N =
        n(n+1)/2 sorted Walsh averages. ``p_value`` is the two-sided Wilcoxon signed-rank test
        from :func:`scipy.stats.wilcoxon`. ``details`` holds the statistic, the count of zero
        changes, the achieved confidence of the exact interval and the interval method.

    Notes
    -----
    C is the largest integer with P(T+ ≤ C − 1) ≤ α/2 under the null distribution of the
    signed-rank statistic T+. The exact distribution is used when n ≤ 50 and the changes
    have no zeros and no tied absolute values; otherwise C = ⌊n(n+1)/4 − z·σ_T⌋ with the tie-
    corrected σ_T (rounded down, i.e. slightly conservative). Because T+ is discrete, the
    achieved confidence of the exact interval is at least the nominal level and is reported.
    The interval is NaN when n is too small to reach the nominal level (n ≤ 5 at 95 %).

    Assumptions: changes are independent and symmetric about their centre (then the
    pseudo-median is the median change).

    The p-value uses the exact null distribution when the nonzero changes number at most 50
    and have no tied absolute values, and the tie-corrected normal approximation (no
    continuity correction) otherwise.

    Missing data: incomplete pairs dropped, counted in ``details["n_dropped_missing"]``.
    Zero changes are kept in the Hodges–Lehmann estimate (they are data) and dropped from the
    test statistic (``zero_method="wilcox"``); their number is reported.

    References
    ----------
    Hollander M, Wolfe DA. *Nonparametric Statistical Methods*. Wiley, 1973, §3.1–3.3.
    Hodges JL, Lehmann EL. Estimates of location based on rank tests. *Ann Math Stat*
    1963;34:598–611.

    Examples
    --------
    >>> from neuroregen.stats import Direction
    >>> x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]  # Hollander & Wolfe
    >>> y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    >>> est = signed_rank_change(x, y, direction=Direction.HIGHER_IS_WORSE)
    >>> round(est.estimate, 3), round(est.p_value, 4)
    (-0.46, 0.0391)
    >>> round(est.details["achieved_confidence"], 3)
    0.961
    """
    conf = check_confidence(confidence)
    _, _, d, dropped = _changes(baseline, follow_up)
    n = d.size
    if np.all(d == 0.0):
        raise InsufficientDataError(text("all changes are zero: the signed-rank test is undefined"))
    estimate, low, high, achieved, ci_method = _hodges_lehmann(d, conf)
    nonzero = d[d != 0.0]
    exact = nonzero.size <= 50 and np.unique(np.abs(nonzero)).size == nonzero.size
    test = stats.wilcoxon(
        d,
        zero_method="wilcox",
        alternative="two-sided",
        method="exact" if exact else "approx",
    )
    details: dict[str, Any] = {
        "statistic": float(test.statistic),
        "n_zero_changes": int(np.sum(d == 0.0)),
        "achieved_confidence": achieved,
        "interval_method": ci_method,
        "median_change": float(np.median(d)),
        "n_dropped_missing": dropped,
        **_improvement(direction, estimate, low, high),
    }
    return Estimate(
        quantity=text(
            "Hodges–Lehmann pseudo-median change, {label} (follow-up − baseline)", label=label
        ),
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method=f"Wilcoxon signed-rank test; Hodges–Lehmann interval ({ci_method})",
        comparator=OWN_BASELINE,
        caveats=_caveats(n),
        p_value=float(test.pvalue),
        details=details,
    )
