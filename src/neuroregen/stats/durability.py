"""Durability of response: how long a response lasts once it has been seen.

Time runs from a participant's first visit meeting the response definition to the first later
visit at which it is no longer met ("loss of response"). Participants still responding at their
last visit are right-censored there. The survival function S(t) is the probability that a
response lasts longer than t.

Estimation is Kaplan–Meier (statsmodels ``SurvfuncRight``) with Greenwood variance,
pointwise log–log ("cloglog") intervals, a Hall–Wellner-type simultaneous band (95 % only,
as implemented by statsmodels), the Brookmeyer–Crowley interval for the median, and the
log-rank test between groups (statsmodels ``survdiff``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from neuroregen.stats.results import SMALL_N, Estimate
from neuroregen.stats.text import text

__all__ = [
    "INFORMATIVE_CENSORING",
    "RESPONDERS_ONLY",
    "DurabilityResult",
    "LogRankResult",
    "durability",
    "log_rank",
]

RESPONDERS_ONLY = text(
    "durability is measured among responders only, a selected group: it says nothing about "
    "how many children respond"
)
INFORMATIVE_CENSORING = text(
    "assumes children who leave follow-up early would have kept their response as long as "
    "those who stay; families of children who lose response may leave more often"
)
VISIT_GRID = text(
    "loss of response is only seen at scheduled visits: durations are interval-censored and "
    "recorded at the visit that detected the loss"
)


def _check_times(time: np.ndarray, event: np.ndarray) -> None:
    if time.ndim != 1 or time.shape != event.shape:
        raise ValueError("time and event must be 1-D arrays of equal length")
    if time.size == 0:
        raise ValueError(text("no participants"))
    if not np.all(np.isfinite(time)):
        raise ValueError("times must be finite (missing durations are not dropped silently)")
    if np.any(time < 0):
        raise ValueError("durations cannot be negative")
    if not np.all(np.isin(event, (0, 1))):
        raise ValueError("event must be 1 (response lost) or 0 (still responding, censored)")


def _loglog_interval(
    surv: np.ndarray, se: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise log(−log) interval: ``S^exp(±z σ/ log S)`` with σ = SE(S)/S (Greenwood)."""
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    low = np.full_like(surv, np.nan)
    high = np.full_like(surv, np.nan)
    inner = (surv > 0) & (surv < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = se[inner] / surv[inner]
        log_s = np.log(surv[inner])
        theta = np.exp(z * sigma / np.abs(log_s))
    low[inner] = surv[inner] ** theta
    high[inner] = surv[inner] ** (1 / theta)
    low[surv >= 1] = 1.0
    high[surv >= 1] = 1.0
    low[surv <= 0] = 0.0
    high[surv <= 0] = 0.0
    return low, high


def _readonly(values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=float, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class LogRankResult:
    """Log-rank comparison of durability between groups.

    Attributes
    ----------
    chi2, df, p_value : float, int, float
        Log-rank statistic, degrees of freedom (groups − 1) and p-value.
    groups : tuple of str
    observed, expected : tuple of float
        Observed and expected (under equal hazards) losses of response per group.
    n : tuple of int
        Participants per group.
    """

    chi2: float
    df: int
    p_value: float
    groups: tuple[str, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    n: tuple[int, ...]

    def as_text(self) -> str:
        parts = [
            f"{g}: {o:.0f} lost / {e:.2f} expected (n={m})"
            for g, o, e, m in zip(self.groups, self.observed, self.expected, self.n, strict=True)
        ]
        return f"log-rank χ²={self.chi2:.2f} (df={self.df}), p={self.p_value:.3g}; " + "; ".join(
            parts
        )


@dataclass(frozen=True, eq=False)
class DurabilityResult:
    """Kaplan–Meier estimate of response durability.

    The step table is stored as read-only arrays; :attr:`table` builds a fresh DataFrame.
    Results compare by identity (arrays have no single truth value).

    Attributes
    ----------
    response_definition : str
        The response definition, always shown next to the result.
    time_unit : str
    n, n_lost, n_censored : int
    median : Estimate
        Median durability with Brookmeyer–Crowley interval (upper bound ``inf`` when the
        curve does not fall far enough; estimate NaN when it never reaches 0.5).
    confidence : float
    band_method : str
        How the simultaneous band was computed, or why it is absent.
    caveats : tuple of str
    """

    response_definition: str
    time_unit: str
    n: int
    n_lost: int
    n_censored: int
    median: Estimate
    confidence: float
    band_method: str
    caveats: tuple[str, ...]
    times: np.ndarray = field(repr=False)
    survival: np.ndarray = field(repr=False)
    se: np.ndarray = field(repr=False)
    lower: np.ndarray = field(repr=False)
    upper: np.ndarray = field(repr=False)
    band_lower: np.ndarray = field(repr=False)
    band_upper: np.ndarray = field(repr=False)
    at_risk: np.ndarray = field(repr=False)
    events: np.ndarray = field(repr=False)
    censored: np.ndarray = field(repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """One row per time (0 and every event time) for a step plot.

        Columns: time, survival, se, lower, upper (pointwise log–log), band_lower, band_upper
        (simultaneous; NaN when unavailable), at_risk (just before the time), events, censored
        (censorings in [this time, next time), for tick marks).
        """
        return pd.DataFrame(
            {
                "time": self.times,
                "survival": self.survival,
                "se": self.se,
                "lower": self.lower,
                "upper": self.upper,
                "band_lower": self.band_lower,
                "band_upper": self.band_upper,
                "at_risk": self.at_risk.astype(int),
                "events": self.events.astype(int),
                "censored": self.censored.astype(int),
            }
        )

    def survival_at(self, t: float) -> Estimate:
        """Probability that a response lasts beyond ``t`` with its pointwise interval."""
        idx = int(np.searchsorted(self.times, t, side="right")) - 1
        idx = max(idx, 0)
        n_risk_after = int(self.at_risk[idx]) if idx < len(self.at_risk) else 0
        caveats = list(self.caveats)
        if t > float(self.times[-1]) and self.n_censored:
            caveats.append(
                text("beyond the last loss of response the curve is flat by construction")
            )
        if n_risk_after < 10:
            caveats.append(SMALL_N)
        return Estimate(
            quantity=text(
                "probability a response ({definition}) lasts beyond {t:g} {unit}",
                definition=self.response_definition,
                t=t,
                unit=self.time_unit,
            ),
            estimate=float(self.survival[idx]),
            ci_low=float(self.lower[idx]),
            ci_high=float(self.upper[idx]),
            confidence=self.confidence,
            n=self.n,
            method="Kaplan–Meier with Greenwood variance; pointwise log–log interval",
            comparator="none (single-arm durability)",
            caveats=tuple(dict.fromkeys(caveats)),
            details={"at_risk_at_last_step": n_risk_after},
        )

    def as_text(self) -> str:
        return (
            f"Durability of response ({self.response_definition}): n={self.n}, "
            f"{self.n_lost} lost response, {self.n_censored} still responding at last visit. "
            + self.median.as_text()
        )


def durability(
    time: Sequence[float] | np.ndarray,
    event: Sequence[int] | np.ndarray,
    *,
    response_definition: str,
    time_unit: str = "months",
    confidence: float = 0.95,
    caveats: Sequence[str] = (),
) -> DurabilityResult:
    """Kaplan–Meier estimate of time from first response to loss of response.

    Formulas: at each distinct loss time t_j with n_j at risk and d_j losses,
    ``S(t) = Π_{t_j ≤ t} (1 − d_j/n_j)``; Greenwood
    ``Var S(t) = S(t)² Σ d_j/(n_j(n_j − d_j))``; pointwise log–log interval
    ``S(t)^exp(±z σ(t)/log S(t))`` with ``σ² = Σ d_j/(n_j(n_j − d_j))``; median =
    smallest t with S(t) < 0.5 (statsmodels/SAS convention), interval by inverting the
    log–log test (Brookmeyer & Crowley 1982). The simultaneous band is statsmodels'
    Hall–Wellner-type band on the log scale, available at 95 % only.

    Parameters
    ----------
    time : array_like
        Duration from first response to loss of response, or to the last visit for those
        still responding.
    event : array_like of {0, 1}
        1 = response lost at ``time``; 0 = still responding (right-censored).
    response_definition : str
        The response definition (e.g. "CGI-I ≤ 2"); required so it always travels with the
        result.
    time_unit : str
        Unit of ``time``.
    confidence : float
        Level of pointwise intervals and of the median interval.
    caveats : sequence of str
        Extra caveats (e.g. SYNTHETIC).

    Returns
    -------
    DurabilityResult

    Assumptions
    -----------
    Independent (non-informative) censoring; one loss-of-response event per participant
    (the first); losses detected at visits are treated as exact times.

    Missing data
    ------------
    A participant lost to follow-up while still responding is censored at the last visit they
    attended (this is what the independent-censoring caveat is about). Missing durations raise
    ``ValueError``.

    References
    ----------
    Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457–81. Greenwood M. Reports on Public Health
    and Medical Subjects 33, 1926. Kalbfleisch JD, Prentice RL. The Statistical Analysis of
    Failure Time Data, 2nd ed. Wiley 2002 (log–log interval). Brookmeyer R, Crowley J.
    Biometrics 1982;38:29–41. Hall WJ, Wellner JA. Biometrika 1980;67:133–43.

    Examples
    --------
    >>> res = durability([2, 3, 3, 5, 8, 8, 12, 12], [1, 1, 0, 1, 0, 1, 0, 0],
    ...                  response_definition="CGI-I ≤ 2")
    >>> res.table[["time", "survival", "at_risk", "events"]].round(3)
       time  survival  at_risk  events
    0   0.0     1.000        8       0
    1   2.0     0.875        8       1
    2   3.0     0.750        7       1
    3   5.0     0.600        5       1
    4   8.0     0.450        4       1
    >>> res.median.estimate
    8.0
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    _check_times(t, e)
    if not response_definition.strip():
        raise ValueError("state the response definition")
    n = int(t.size)
    n_lost = int(e.sum())

    base_caveats = [RESPONDERS_ONLY, INFORMATIVE_CENSORING, VISIT_GRID, *caveats]
    if n < 20:
        base_caveats.append(SMALL_N)

    if n_lost == 0:
        times = np.array([0.0])
        surv = np.array([1.0])
        se = np.array([0.0])
        n_risk = np.array([float(n)])
        d = np.array([0.0])
        sf = None
    else:
        sf = SurvfuncRight(t, e)
        times = np.concatenate(([0.0], sf.surv_times))
        surv = np.concatenate(([1.0], sf.surv_prob))
        se = np.concatenate(([0.0], sf.surv_prob_se))
        n_risk = np.concatenate(([float(n)], sf.n_risk))
        d = np.concatenate(([0.0], sf.n_events))

    lower, upper = _loglog_interval(surv, se, confidence)

    # censorings in [this time, next time): a censoring tied with a loss belongs to its row
    cens_times = t[e == 0]
    censored = np.zeros_like(times)
    idx = np.searchsorted(times, cens_times, side="right") - 1
    np.add.at(censored, np.clip(idx, 0, len(times) - 1), 1.0)

    band_low = np.full_like(surv, np.nan)
    band_high = np.full_like(surv, np.nan)
    if sf is None:
        band_method = "no loss of response observed: no band"
    elif not math.isclose(confidence, 0.95):
        band_method = "simultaneous band unavailable: statsmodels implements it at 95 % only"
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            lcb, ucb = sf.simultaneous_cb(alpha=0.05, method="hw", transform="log")
        ok = np.isfinite(lcb) & np.isfinite(ucb)
        band_low[1:][ok] = lcb[ok]
        band_high[1:][ok] = np.minimum(ucb[ok], 1.0)
        band_low[0] = band_high[0] = 1.0
        band_method = (
            "Hall–Wellner-type 95 % simultaneous band (statsmodels, log transform); "
            "undefined where S(t) = 0"
        )

    if sf is None:
        med, med_lo, med_hi = math.nan, math.nan, math.inf
    else:
        alpha = 1 - confidence
        med = float(sf.quantile(0.5))
        with np.errstate(divide="ignore", invalid="ignore"):
            med_lo, med_hi = (float(x) for x in sf.quantile_ci(0.5, alpha=alpha, method="cloglog"))
    med_caveats = list(base_caveats)
    if math.isnan(med):
        med_caveats.append(
            text(
                "fewer than half of responders lost their response during follow-up: the median "
                "is not reached"
            )
        )
    median = Estimate(
        quantity=text(
            "median durability of response ({definition}), {unit}",
            definition=response_definition,
            unit=time_unit,
        ),
        estimate=med,
        ci_low=med_lo,
        ci_high=med_hi,
        confidence=confidence,
        n=n,
        method=(
            "Kaplan–Meier median; Brookmeyer–Crowley interval (log–log); an infinite upper "
            "bound means not reached"
        ),
        comparator="none (single-arm durability)",
        caveats=tuple(dict.fromkeys(med_caveats)),
        details={"lost": n_lost, "censored": n - n_lost},
    )
    return DurabilityResult(
        response_definition=response_definition,
        time_unit=time_unit,
        n=n,
        n_lost=n_lost,
        n_censored=n - n_lost,
        median=median,
        confidence=confidence,
        band_method=band_method,
        caveats=tuple(dict.fromkeys(base_caveats)),
        times=_readonly(times),
        survival=_readonly(surv),
        se=_readonly(se),
        lower=_readonly(lower),
        upper=_readonly(upper),
        band_lower=_readonly(band_low),
        band_upper=_readonly(band_high),
        at_risk=_readonly(n_risk),
        events=_readonly(d),
        censored=_readonly(censored),
    )


def log_rank(
    time: Sequence[float] | np.ndarray,
    event: Sequence[int] | np.ndarray,
    group: Sequence[object] | np.ndarray,
) -> LogRankResult:
    """Log-rank test that durability is the same in every group.

    Formula: at each distinct loss time with n_j at risk (n_gj in group g) and d_j losses,
    ``E_gj = d_j n_gj / n_j``; ``O_g − E_g = Σ_j (d_gj − E_gj)``; the statistic
    ``(O − E)ᵀ V⁻¹ (O − E)`` over G − 1 groups uses the hypergeometric covariance
    (computed by statsmodels ``survdiff``) and is χ² on G − 1 df.

    Parameters
    ----------
    time, event : array_like
        As for :func:`durability`.
    group : array_like
        Group label per participant (e.g. product, age band); at least two groups.

    Returns
    -------
    LogRankResult

    Assumptions
    -----------
    Independent censoring; most powerful when hazards are proportional; crossing curves can
    give a non-significant test despite real differences. Observational group comparisons are
    confounded.

    Missing data
    ------------
    Participants without a group raise ``ValueError``.

    References
    ----------
    Mantel N. Cancer Chemother Rep 1966;50:163–70. Peto R, Peto J. J R Stat Soc A
    1972;135:185–207. Kleinbaum DG, Klein M. Survival Analysis: A Self-Learning Text, 3rd ed.
    Springer 2012, ch. 2 (Freireich remission data, log-rank 16.79).

    Examples
    --------
    >>> res = log_rank([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], ["a", "b", "a", "b", "a", "b"])
    >>> res.df, res.groups, res.observed
    (1, ('a', 'b'), (3.0, 3.0))
    >>> round(res.chi2, 3)
    0.485
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    _check_times(t, e)
    g = pd.Series(list(group), dtype=object)
    if len(g) != t.size or g.isna().any():
        raise ValueError("one non-missing group label per participant")
    labels = np.asarray(g.astype(str))
    levels = np.unique(labels)
    if levels.size < 2:
        raise ValueError(text("log-rank needs at least two groups"))
    chi2_stat, p = survdiff(t, e, labels)

    utimes = np.unique(t[e == 1])
    observed, expected, sizes = [], [], []
    at_risk_all = (t[None, :] >= utimes[:, None]).sum(axis=1)
    d_all = ((t[None, :] == utimes[:, None]) & (e[None, :] == 1)).sum(axis=1)
    for lev in levels:
        m = labels == lev
        at_risk_g = (t[None, m] >= utimes[:, None]).sum(axis=1)
        expected.append(float((d_all * at_risk_g / at_risk_all).sum()))
        observed.append(float(e[m].sum()))
        sizes.append(int(m.sum()))
    return LogRankResult(
        chi2=float(chi2_stat),
        df=int(levels.size - 1),
        p_value=float(p),
        groups=tuple(str(x) for x in levels),
        observed=tuple(observed),
        expected=tuple(expected),
        n=tuple(sizes),
    )
