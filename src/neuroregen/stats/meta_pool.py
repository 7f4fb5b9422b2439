"""Pooling of published results and their heterogeneity.

Fixed-effect (inverse variance) and DerSimonian–Laird random-effects pooling of mean
differences, standardised mean differences and log risk ratios, with τ², I² (and its
Higgins–Thompson interval), Cochran's Q and the Higgins (2009) prediction interval.

Missing-data policy: a study without an effect or without a usable standard error is an error,
not silently dropped; the caller must decide, in writing, which studies to exclude.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from neuroregen.stats.meta_effects import Measure, _z
from neuroregen.stats.results import Estimate
from neuroregen.stats.text import text

__all__ = [
    "FEW_STUDIES",
    "HETEROGENEITY",
    "POOLED_UNCONTROLLED",
    "MetaResult",
    "pool",
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
        raise ValueError(text("need at least one study"))
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
