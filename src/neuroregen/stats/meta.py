"""Meta-analysis of published results, and checks that published numbers can be true.

Pooling: fixed-effect (inverse variance) and DerSimonian–Laird random-effects pooling of mean
differences, standardised mean differences and log risk ratios, with τ², I² (and its
Higgins–Thompson interval), Cochran's Q and the Higgins (2009) prediction interval.

Checks on reported numbers: the standard error implied by a confidence interval
(:func:`se_from_ci`), whether a reported p-value agrees with its interval
(:func:`check_p_value`), and whether a reported mean or percentage can arise from whole
numbers out of the reported n (:func:`grim_check`).

Missing-data policy (whole module): a study without an effect or without a usable standard error
is an error, not silently dropped; the caller must decide, in writing, which studies to exclude.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from neuroregen.stats.results import Estimate

__all__ = [
    "FEW_STUDIES",
    "HETEROGENEITY",
    "POOLED_UNCONTROLLED",
    "GrimCheck",
    "Measure",
    "MetaResult",
    "PValueCheck",
    "check_p_value",
    "grim_check",
    "hedges_g",
    "log_risk_ratio",
    "pool",
    "se_from_ci",
]

FEW_STUDIES = (
    "fewer than 5 studies: the between-study variance τ² and the random-effects interval are "
    "very imprecise"
)
HETEROGENEITY = (
    "studies disagree beyond chance (substantial heterogeneity): a single pooled number "
    "hides real differences; read the prediction interval"
)
POOLED_UNCONTROLLED = (
    "a pooled estimate is only as sound as the studies pooled: uncontrolled or unblinded "
    "studies stay uncontrolled or unblinded after pooling"
)


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


# --------------------------------------------------------------------------------------------
# Effect sizes from summary data
# --------------------------------------------------------------------------------------------


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
        raise ValueError("each group needs at least 2 participants")
    if sd_t <= 0 or sd_c <= 0:
        raise ValueError("standard deviations must be positive")
    df = n_t + n_c - 2
    s_within = math.sqrt(((n_t - 1) * sd_t**2 + (n_c - 1) * sd_c**2) / df)
    d = (mean_t - mean_c) / s_within
    v_d = (n_t + n_c) / (n_t * n_c) + d**2 / (2 * (n_t + n_c))
    j = 1 - 3 / (4 * df - 1)
    return j * d, j**2 * v_d


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetaResult:
    """Fixed- and random-effects pooled estimates with heterogeneity statistics.

    Estimates are on the analysis scale (log scale for ratio measures); use
    :meth:`fixed_ratio` / :meth:`random_ratio` for the exponentiated ratio.

    Attributes
    ----------
    measure : Measure
    labels : tuple of str
        Study labels in input order.
    effects, variances : tuple of float
        Per-study effects and variances as pooled.
    fixed, random : Estimate
        Inverse-variance fixed-effect and DerSimonian–Laird random-effects estimates.
    tau2 : float
        DerSimonian–Laird between-study variance (truncated at 0).
    q, q_df, q_p : float, int, float
        Cochran's Q, its degrees of freedom (k − 1) and chi-square p-value.
    i2 : float
        I² in percent, ``max(0, (Q − df)/Q) · 100``.
    i2_ci : (float, float)
        Higgins–Thompson (2002) interval for I² in percent (NaN when k < 3).
    prediction_interval : (float, float)
        Higgins (2009) prediction interval for the effect in a new study (NaN when k < 3).
    confidence : float
    caveats : tuple of str
    """

    measure: Measure
    labels: tuple[str, ...]
    effects: tuple[float, ...]
    variances: tuple[float, ...]
    fixed: Estimate
    random: Estimate
    tau2: float
    q: float
    q_df: int
    q_p: float
    i2: float
    i2_ci: tuple[float, float]
    prediction_interval: tuple[float, float]
    confidence: float
    caveats: tuple[str, ...]

    @property
    def k(self) -> int:
        """Number of studies."""
        return len(self.effects)

    def weights(self, model: str = "random") -> tuple[float, ...]:
        """Percentage weights of each study under ``"fixed"`` or ``"random"`` pooling."""
        v = np.asarray(self.variances)
        if model == "fixed":
            w = 1 / v
        elif model == "random":
            w = 1 / (v + self.tau2)
        else:
            raise ValueError("model must be 'fixed' or 'random'")
        return tuple(float(x) for x in 100 * w / w.sum())

    def _ratio(self, est: Estimate) -> Estimate:
        if not self.measure.is_log_ratio:
            raise ValueError(f"{self.measure.value} is not a ratio measure")
        return Estimate(
            quantity=est.quantity.replace(self.measure.value, self.measure.ratio_name),
            estimate=math.exp(est.estimate),
            ci_low=math.exp(est.ci_low),
            ci_high=math.exp(est.ci_high),
            confidence=est.confidence,
            n=est.n,
            method=est.method + "; exponentiated from the log scale",
            comparator=est.comparator,
            caveats=est.caveats,
            p_value=est.p_value,
            details=est.details,
        )

    def fixed_ratio(self) -> Estimate:
        """The fixed-effect estimate on the ratio scale (ratio measures only)."""
        return self._ratio(self.fixed)

    def random_ratio(self) -> Estimate:
        """The random-effects estimate on the ratio scale (ratio measures only)."""
        return self._ratio(self.random)

    def forest_table(self) -> pd.DataFrame:
        """Tidy table for a forest plot: one row per study, then the two pooled rows."""
        z = _z(self.confidence)
        se = np.sqrt(np.asarray(self.variances))
        eff = np.asarray(self.effects)
        rows = pd.DataFrame(
            {
                "label": list(self.labels),
                "estimate": eff,
                "low": eff - z * se,
                "high": eff + z * se,
                "weight_fixed": self.weights("fixed"),
                "weight_random": self.weights("random"),
                "kind": "study",
            }
        )
        pooled = pd.DataFrame(
            {
                "label": ["fixed effect", "random effects (DL)"],
                "estimate": [self.fixed.estimate, self.random.estimate],
                "low": [self.fixed.ci_low, self.random.ci_low],
                "high": [self.fixed.ci_high, self.random.ci_high],
                "weight_fixed": [100.0, np.nan],
                "weight_random": [np.nan, 100.0],
                "kind": "pooled",
            }
        )
        return pd.concat([rows, pooled], ignore_index=True)

    def as_text(self) -> str:
        lo, hi = self.prediction_interval
        i2lo, i2hi = self.i2_ci
        return (
            f"{self.fixed.as_text()}\n{self.random.as_text()}\n"
            f"k={self.k}; Q={self.q:.2f} (df={self.q_df}, p={self.q_p:.3g}); "
            f"τ²={self.tau2:.4f}; I²={self.i2:.1f}% ({i2lo:.1f} to {i2hi:.1f}); "
            f"prediction interval {lo:.2f} to {hi:.2f}"
        )


def _as_measure(measure: Measure | str) -> Measure:
    if isinstance(measure, Measure):
        return measure
    aliases = {
        "md": Measure.MD,
        "smd": Measure.SMD,
        "logrr": Measure.LOG_RR,
        "log_rr": Measure.LOG_RR,
        "logor": Measure.LOG_OR,
        "log_or": Measure.LOG_OR,
    }
    try:
        return aliases[measure.lower()]
    except KeyError:
        raise ValueError(f"unknown measure {measure!r}; use one of {sorted(aliases)}") from None


def _i2_interval(q: float, k: int, confidence: float) -> tuple[float, float]:
    """Higgins & Thompson (2002) interval for I² via the test-based interval for ln H."""
    if k < 3:
        return (math.nan, math.nan)
    df = k - 1
    if q > k:
        se_ln_h = 0.5 * (math.log(q) - math.log(df)) / (math.sqrt(2 * q) - math.sqrt(2 * k - 3))
    else:
        se_ln_h = math.sqrt(1 / (2 * (k - 2)) * (1 - 1 / (3 * (k - 2) ** 2)))
    ln_h = 0.5 * math.log(max(q, 1e-300) / df) if q > 0 else 0.0
    z = _z(confidence)
    h_lo, h_hi = math.exp(ln_h - z * se_ln_h), math.exp(ln_h + z * se_ln_h)

    def to_i2(h: float) -> float:
        return max(0.0, (h**2 - 1) / h**2) * 100

    return (to_i2(h_lo), to_i2(h_hi))


def pool(
    effects: Sequence[float] | np.ndarray,
    *,
    se: Sequence[float] | np.ndarray | None = None,
    variances: Sequence[float] | np.ndarray | None = None,
    labels: Sequence[str] | None = None,
    measure: Measure | str = Measure.MD,
    confidence: float = 0.95,
    quantity: str | None = None,
    comparator: str = "control arms of the pooled studies",
) -> MetaResult:
    """Pool study effects by fixed-effect and DerSimonian–Laird random-effects models.

    Formulas (y_i effect, v_i variance, w_i = 1/v_i, k studies):

    * fixed effect: ``μ_F = Σ w_i y_i / Σ w_i``, ``SE = 1/sqrt(Σ w_i)``;
    * Cochran's ``Q = Σ w_i (y_i − μ_F)²`` on k − 1 df;
    * DerSimonian–Laird: ``τ² = max(0, (Q − (k−1)) / (Σw − Σw²/Σw))``;
    * random effects: ``w*_i = 1/(v_i + τ²)``, ``μ_R = Σ w*_i y_i / Σ w*_i``,
      ``SE = 1/sqrt(Σ w*_i)``; Wald z intervals;
    * ``I² = max(0, (Q − df)/Q)·100`` with the Higgins–Thompson (2002) interval;
    * prediction interval ``μ_R ± t_{k−2} sqrt(τ² + SE_R²)`` (Higgins et al. 2009), k ≥ 3.

    Parameters
    ----------
    effects : array_like
        One effect per study: mean difference, SMD, or a log ratio (pool ratios on the log
        scale; :func:`se_from_ci` with ``log_scale=True`` recovers their SE).
    se, variances : array_like
        Exactly one of them: standard errors or variances of the effects.
    labels : sequence of str, optional
        Study labels (default ``"study 1"``, ...).
    measure : Measure or str
        ``"MD"``, ``"SMD"``, ``"logRR"`` or ``"logOR"``.
    confidence : float
        Confidence level of every interval.
    quantity, comparator : str
        Words for the result objects.

    Returns
    -------
    MetaResult

    Assumptions
    -----------
    Effects are approximately normal with known variances; studies are independent. The
    random-effects model assumes study effects are a random sample from a normal distribution.
    DerSimonian–Laird under-states uncertainty when k is small (a caveat is attached when k < 5);
    no Hartung–Knapp adjustment is applied.

    Missing data
    ------------
    NaN or infinite effects/variances raise ``ValueError``.

    References
    ----------
    DerSimonian R, Laird N. Meta-analysis in clinical trials. Control Clin Trials 1986;7:177–88.
    Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis. Stat Med
    2002;21:1539–58. Higgins JPT, Thompson SG, Spiegelhalter DJ. A re-evaluation of
    random-effects meta-analysis. J R Stat Soc A 2009;172:137–59.

    Examples
    --------
    >>> res = pool([-0.5, -0.2, -0.9], se=[0.2, 0.25, 0.3], labels=["A", "B", "C"])
    >>> round(res.fixed.estimate, 3), round(res.tau2, 3), round(res.i2, 1)
    (-0.493, 0.037, 37.8)
    >>> res.k
    3
    """
    y = np.asarray(effects, dtype=float)
    if (se is None) == (variances is None):
        raise ValueError("give exactly one of se= or variances=")
    v = np.asarray(se, dtype=float) ** 2 if se is not None else np.asarray(variances, dtype=float)
    if y.ndim != 1 or y.shape != v.shape:
        raise ValueError("effects and their SEs/variances must be 1-D and of equal length")
    k = y.size
    if k < 1:
        raise ValueError("need at least one study")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v))):
        raise ValueError("effects and variances must be finite (missing studies are not dropped)")
    if np.any(v <= 0):
        raise ValueError("variances must be positive")
    labs = tuple(labels) if labels is not None else tuple(f"study {i + 1}" for i in range(k))
    if len(labs) != k:
        raise ValueError("one label per study")
    m = _as_measure(measure)
    z = _z(confidence)

    w = 1 / v
    sw = w.sum()
    mu_f = float((w * y).sum() / sw)
    se_f = float(1 / math.sqrt(sw))
    q = float((w * (y - mu_f) ** 2).sum())
    df = k - 1
    q_p = float(stats.chi2.sf(q, df)) if df > 0 else math.nan
    c = sw - (w**2).sum() / sw
    tau2 = max(0.0, float((q - df) / c)) if df > 0 and c > 0 else 0.0
    ws = 1 / (v + tau2)
    mu_r = float((ws * y).sum() / ws.sum())
    se_r = float(1 / math.sqrt(ws.sum()))
    i2 = max(0.0, (q - df) / q) * 100 if q > 0 and df > 0 else 0.0
    i2_ci = _i2_interval(q, k, confidence)
    if k >= 3:
        t = float(stats.t.ppf(0.5 + confidence / 2, k - 2))
        half = t * math.sqrt(tau2 + se_r**2)
        pi = (mu_r - half, mu_r + half)
    else:
        pi = (math.nan, math.nan)

    caveats: list[str] = [POOLED_UNCONTROLLED]
    if k < 5:
        caveats.append(FEW_STUDIES)
    if df > 0 and (i2 >= 50 or q_p < 0.10):
        caveats.append(HETEROGENEITY)
    what = quantity or f"pooled {m.value}"
    common: dict[str, Any] = {"confidence": confidence, "n": k, "comparator": comparator}

    def p_of(est: float, s: float) -> float:
        return float(2 * stats.norm.sf(abs(est) / s))

    fixed = Estimate(
        quantity=f"{what} (fixed effect)",
        estimate=mu_f,
        ci_low=mu_f - z * se_f,
        ci_high=mu_f + z * se_f,
        method="inverse-variance fixed-effect meta-analysis; Wald z interval; n = studies",
        caveats=tuple(caveats),
        p_value=p_of(mu_f, se_f),
        details={"se": se_f, "k": k},
        **common,
    )
    random = Estimate(
        quantity=f"{what} (random effects)",
        estimate=mu_r,
        ci_low=mu_r - z * se_r,
        ci_high=mu_r + z * se_r,
        method="DerSimonian–Laird random-effects meta-analysis; Wald z interval; n = studies",
        caveats=tuple(caveats),
        p_value=p_of(mu_r, se_r),
        details={
            "se": se_r,
            "k": k,
            "tau2": tau2,
            "i2_percent": i2,
            "prediction_low": pi[0],
            "prediction_high": pi[1],
        },
        **common,
    )
    return MetaResult(
        measure=m,
        labels=labs,
        effects=tuple(float(x) for x in y),
        variances=tuple(float(x) for x in v),
        fixed=fixed,
        random=random,
        tau2=tau2,
        q=q,
        q_df=df,
        q_p=q_p,
        i2=i2,
        i2_ci=i2_ci,
        prediction_interval=pi,
        confidence=confidence,
        caveats=tuple(caveats),
    )


# --------------------------------------------------------------------------------------------
# Checks on reported numbers
# --------------------------------------------------------------------------------------------


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
