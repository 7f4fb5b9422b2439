"""Differences between two independent groups (treated vs comparison).

Used for controlled comparisons — a concurrent or randomised control arm — and for effect
sizes computed from published summary statistics. All differences are *treated − control* on
the instrument's own scale; ``details["improvement"]`` is the direction-aware difference
(positive = treated children doing better).

Missing data: observations with a missing (NaN) outcome are dropped per group and counted in
``details["n_dropped_missing"]``; ANCOVA also drops rows with missing baseline or group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from neuroregen.stats._common import (
    FloatArray,
    InsufficientDataError,
    check_confidence,
    drop_missing,
    hedges_j,
    noncentral_t_limits,
    size_caveats,
    z_quantile,
)
from neuroregen.stats.results import Direction, Estimate
from neuroregen.stats.text import text

__all__ = [
    "DispersionFlag",
    "ancova_treatment_effect",
    "check_dispersion",
    "cohens_d",
    "effect_size_from_summary",
    "hedges_g",
    "welch_difference",
]

CiMethod = Literal["noncentral_t", "normal"]


def _improvement(direction: Direction, estimate: float, low: float, high: float) -> dict[str, Any]:
    s = direction.sign
    bounds = sorted((s * low, s * high))
    return {
        "direction": direction.value,
        "improvement": s * estimate,
        "improvement_ci_low": bounds[0],
        "improvement_ci_high": bounds[1],
    }


def _two_groups(
    treated: npt.ArrayLike, control: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, int]:
    t, dropped_t = drop_missing(treated, "treated")
    c, dropped_c = drop_missing(control, "control")
    if t.size < 2 or c.size < 2:
        raise InsufficientDataError(
            f"need at least 2 observations per group, got {t.size} and {c.size}"
        )
    return t, c, dropped_t + dropped_c


def welch_difference(
    treated: npt.ArrayLike,
    control: npt.ArrayLike,
    *,
    direction: Direction,
    confidence: float = 0.95,
    label: str = "score",
    comparator: str = "control group",
) -> Estimate:
    """Difference in means (treated − control) with Welch's unequal-variance t-interval.

    Parameters
    ----------
    treated, control : array_like
        Outcome values (often change from baseline) of two independent groups.
    direction : Direction
        Which way is better on the instrument.
    confidence : float
        Confidence level.
    label : str
        Instrument name for the quantity text.
    comparator : str
        Words describing the control group.

    Returns
    -------
    Estimate
        Difference in means with the Welch interval and two-sided Welch p-value; ``details``
        holds group means, SDs, ns, the standard error and the Welch–Satterthwaite df.

    Notes
    -----
    Formula: (x̄_T − x̄_C) ± t_{1−α/2, ν}·SE, SE = √(s_T²/n_T + s_C²/n_C),
    ν = SE⁴ / ((s_T²/n_T)²/(n_T − 1) + (s_C²/n_C)²/(n_C − 1)).

    Assumptions: independent groups, approximately normal group means; variances may differ.

    Missing data: NaN values dropped per group, counted in ``details["n_dropped_missing"]``.

    References
    ----------
    Welch BL. The generalization of Student's problem when several different population
    variances are involved. *Biometrika* 1947;34:28–35.

    Examples
    --------
    >>> from neuroregen.stats import Direction
    >>> est = welch_difference([-12, -8, -15, -3, -9], [-4, -6, 1, -2, -5, -3],
    ...                        direction=Direction.HIGHER_IS_WORSE, label="ATEC change")
    >>> round(est.estimate, 2), round(est.details["improvement"], 2)
    (-6.23, 6.23)
    >>> round(est.details["df"], 2)
    5.98
    """
    conf = check_confidence(confidence)
    t, c, dropped = _two_groups(treated, control)
    v_t, v_c = float(np.var(t, ddof=1)) / t.size, float(np.var(c, ddof=1)) / c.size
    se = math.sqrt(v_t + v_c)
    if se == 0.0:
        raise InsufficientDataError(text("no variability in either group"))
    diff = float(np.mean(t) - np.mean(c))
    df = (v_t + v_c) ** 2 / (v_t**2 / (t.size - 1) + v_c**2 / (c.size - 1))
    t_crit = float(stats.t.ppf(0.5 + conf / 2.0, df))
    low, high = diff - t_crit * se, diff + t_crit * se
    t_stat = diff / se
    p = float(2.0 * stats.t.sf(abs(t_stat), df))
    n = t.size + c.size
    details: dict[str, Any] = {
        "mean_treated": float(np.mean(t)),
        "mean_control": float(np.mean(c)),
        "sd_treated": float(np.std(t, ddof=1)),
        "sd_control": float(np.std(c, ddof=1)),
        "n_treated": int(t.size),
        "n_control": int(c.size),
        "se": se,
        "t": t_stat,
        "df": df,
        "n_dropped_missing": dropped,
        **_improvement(direction, diff, low, high),
    }
    return Estimate(
        quantity=text("difference in means, {label} (treated − control)", label=label),
        estimate=diff,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method="Welch t-interval; Welch t-test",
        comparator=comparator,
        caveats=size_caveats(n),
        p_value=p,
        details=details,
    )


def ancova_treatment_effect(
    data: pd.DataFrame,
    *,
    outcome: str,
    baseline: str,
    group: str,
    treated_value: Any,
    direction: Direction,
    confidence: float = 0.95,
    label: str = "score",
    comparator: str = "control group",
) -> Estimate:
    """Treatment effect on follow-up adjusted for baseline (ANCOVA by least squares).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant.
    outcome, baseline, group : str
        Column names: follow-up score, baseline score, group label.
    treated_value : object
        The value of ``group`` that marks treated participants; every other value is control.
    direction : Direction
        Which way is better on the instrument.
    confidence : float
        Confidence level.
    label : str
        Instrument name for the quantity text.
    comparator : str
        Words describing the control group.

    Returns
    -------
    Estimate
        The coefficient of the treatment indicator, its t-interval and p-value; ``details``
        holds the baseline slope, residual df, R² and the unadjusted difference.

    Notes
    -----
    Model: outcome_i = β0 + β1·baseline_i + τ·treated_i + ε_i, ε ~ N(0, σ²), fitted with
    statsmodels OLS (``outcome ~ baseline + treated``). τ̂ ± t_{1−α/2, n−3}·SE(τ̂).
    Adjusting for baseline removes chance baseline imbalance and is more precise than
    comparing change scores (Vickers & Altman 2001).

    Assumptions: common, linear baseline slope in both groups; homoscedastic normal errors;
    groups randomised (otherwise τ is only adjusted for baseline, not for other confounders).

    Missing data: rows with any of outcome, baseline or group missing are dropped and
    counted in ``details["n_dropped_missing"]`` (complete-case analysis).

    References
    ----------
    Vickers AJ, Altman DG. Analysing controlled trials with baseline and follow up
    measurements. *BMJ* 2001;323:1123–1124.

    Examples
    --------
    >>> import pandas as pd
    >>> from neuroregen.stats import Direction
    >>> df = pd.DataFrame({
    ...     "pre": [60, 55, 70, 48, 66, 58, 62, 51],
    ...     "post": [50, 49, 58, 45, 64, 57, 60, 50],
    ...     "arm": ["cell", "cell", "cell", "cell", "ctrl", "ctrl", "ctrl", "ctrl"]})
    >>> est = ancova_treatment_effect(df, outcome="post", baseline="pre", group="arm",
    ...                               treated_value="cell", direction=Direction.HIGHER_IS_WORSE)
    >>> round(est.estimate, 2), est.n
    (-6.56, 8)
    """
    conf = check_confidence(confidence)
    for col in (outcome, baseline, group):
        if col not in data.columns:
            raise KeyError(f"column {col!r} not in data")
    frame = pd.DataFrame(
        {
            "y": pd.to_numeric(data[outcome], errors="coerce"),
            "x0": pd.to_numeric(data[baseline], errors="coerce"),
            "grp": data[group],
        }
    )
    complete = frame.dropna()
    dropped = len(frame) - len(complete)
    model_frame = pd.DataFrame(
        {
            "y": complete["y"].astype(float),
            "x0": complete["x0"].astype(float),
            "treated": (complete["grp"] == treated_value).astype(float),
        }
    )
    n_t = int(model_frame["treated"].sum())
    n_c = len(model_frame) - n_t
    if n_t < 1 or n_c < 1 or len(model_frame) < 4:
        raise InsufficientDataError(
            text(
                "need both groups and at least 4 complete rows, got {n_t} treated, {n_c} control",
                n_t=n_t,
                n_c=n_c,
            )
        )
    fit = smf.ols("y ~ x0 + treated", data=model_frame).fit()
    tau = float(fit.params["treated"])
    low, high = (float(v) for v in fit.conf_int(alpha=1.0 - conf).loc["treated"])
    n = len(model_frame)
    unadjusted = float(
        model_frame.loc[model_frame["treated"] == 1, "y"].mean()
        - model_frame.loc[model_frame["treated"] == 0, "y"].mean()
    )
    details: dict[str, Any] = {
        "se": float(fit.bse["treated"]),
        "baseline_slope": float(fit.params["x0"]),
        "df_resid": float(fit.df_resid),
        "r_squared": float(fit.rsquared),
        "unadjusted_difference": unadjusted,
        "n_treated": n_t,
        "n_control": n_c,
        "n_dropped_missing": dropped,
        **_improvement(direction, tau, low, high),
    }
    return Estimate(
        quantity=text(
            "baseline-adjusted difference at follow-up, {label} (treated − control)", label=label
        ),
        estimate=tau,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method="ANCOVA (OLS: follow-up ~ baseline + treated)",
        comparator=comparator,
        caveats=size_caveats(n),
        p_value=float(fit.pvalues["treated"]),
        details=details,
    )


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


@dataclass(frozen=True)
class DispersionFlag:
    """A reason to doubt a published dispersion value.

    Attributes
    ----------
    code : str
        Stable machine code, e.g. ``"sd_looks_like_se"``.
    message : str
        Sentence shown as a caveat.
    """

    code: str
    message: str


def check_dispersion(
    mean: float,
    dispersion: float,
    n: int,
    *,
    kind: Literal["sd", "se"] = "sd",
    scale_min: float | None = None,
    scale_max: float | None = None,
    reference_sd: float | None = None,
    min_relative_sd: float = 0.10,
    group: str = "group",
) -> tuple[DispersionFlag, ...]:
    """Check whether a published dispersion is plausible for what it is labelled.

    A frequent reporting error is a standard error printed as "SD" (SE = SD/√n); used as an
    SD it inflates standardized effects by a factor of about √n. These rules flag it.

    Parameters
    ----------
    mean, dispersion, n : float, float, int
        Published group mean, dispersion and size.
    kind : {"sd", "se"}
        What the publication says the dispersion is.
    scale_min, scale_max : float, optional
        Possible range of the score (e.g. 0 and 179 for ATEC total).
    reference_sd : float, optional
        Typical between-child SD of the instrument in comparable samples (e.g. 15 for
        Vineland standard scores, 10 for SRS-2 T-scores).
    min_relative_sd : float
        Smallest plausible SD relative to the distance of the mean from the scale floor.
    group : str
        Name used in messages.

    Returns
    -------
    tuple of DispersionFlag
        Empty when nothing looks wrong.

    Notes
    -----
    Let s be the value labelled SD (or SE·√n when labelled SE), m the mean, L/U the scale
    bounds:

    1. ``sd_looks_like_se`` (needs ``reference_sd`` R): s < R/2 and s·√n is closer to R than
       s is, on the log scale (|log(s√n/R)| < |log(s/R)|) — the value fits an SE better.
    2. ``sd_implausibly_small`` (needs L): s/|m − L| < ``min_relative_sd`` (default 0.10).
       Clinical samples on behavioural scales have relative SDs of roughly 0.2–0.5; a value
       ten times smaller is what an SE of a sample of ~25–100 looks like. The flag says
       whether s·√n would be a plausible SD (relative SD 0.10–1.0).
    3. ``sd_exceeds_scale_bound`` (needs L and U): s > √((m − L)(U − m)), the largest SD any
       distribution on [L, U] with mean m can have (Bhatia & Davis 2000). Labelled SE, this
       means SE·√n is impossible and the value is probably an SD already.
    4. ``mean_outside_scale``: m outside [L, U].

    References
    ----------
    Bhatia R, Davis C. A better bound on the variance. *Am Math Mon* 2000;107:353–357.
    Higgins JPT et al. *Cochrane Handbook*, §6.5.2.2 (obtaining SDs from SEs).

    Examples
    --------
    >>> flags = check_dispersion(72.0, 2.4, 40, reference_sd=15.0, scale_min=20)
    >>> [f.code for f in flags]
    ['sd_looks_like_se', 'sd_implausibly_small']
    >>> check_dispersion(72.0, 13.5, 40, reference_sd=15.0, scale_min=20)
    ()
    """
    flags: list[DispersionFlag] = []
    if n < 1 or dispersion < 0 or not math.isfinite(dispersion):
        return (DispersionFlag("invalid", f"{group}: dispersion {dispersion} or n {n} invalid"),)
    root_n = math.sqrt(n)
    sd = dispersion * root_n if kind == "se" else dispersion
    label = "SE" if kind == "se" else "SD"
    if (scale_min is not None and mean < scale_min) or (scale_max is not None and mean > scale_max):
        flags.append(
            DispersionFlag("mean_outside_scale", f"{group}: mean {mean} lies outside the scale")
        )
    if kind == "sd" and reference_sd is not None and reference_sd > 0 and sd > 0:
        as_sd = abs(math.log(sd / reference_sd))
        as_se = abs(math.log(sd * root_n / reference_sd))
        if sd < reference_sd / 2.0 and as_se < as_sd:
            flags.append(
                DispersionFlag(
                    "sd_looks_like_se",
                    f"{group}: reported SD {dispersion:g} is far below the usual SD "
                    f"({reference_sd:g}) while SD·√n = {sd * root_n:.3g} matches it: the value "
                    "is probably a standard error",
                )
            )
    if kind == "sd" and scale_min is not None and mean != scale_min:
        rel = sd / abs(mean - scale_min)
        if rel < min_relative_sd:
            rel_se = sd * root_n / abs(mean - scale_min)
            hint = (
                "; read as an SE it gives a plausible SD"
                if min_relative_sd <= rel_se <= 1.0
                else ""
            )
            flags.append(
                DispersionFlag(
                    "sd_implausibly_small",
                    f"{group}: reported SD {dispersion:g} is only {rel:.1%} of the distance "
                    f"of the mean from the scale floor{hint}",
                )
            )
    if scale_min is not None and scale_max is not None and scale_min <= mean <= scale_max:
        bound = math.sqrt((mean - scale_min) * (scale_max - mean))
        if sd > bound:
            extra = ": the value labelled SE is probably an SD" if kind == "se" else ""
            flags.append(
                DispersionFlag(
                    "sd_exceeds_scale_bound",
                    f"{group}: implied SD {sd:.3g} from the reported {label} exceeds the largest "
                    f"SD possible on the scale ({bound:.3g}){extra}",
                )
            )
    return tuple(flags)


def effect_size_from_summary(
    mean_treated: float,
    dispersion_treated: float,
    n_treated: int,
    mean_control: float,
    dispersion_control: float,
    n_control: int,
    *,
    direction: Direction,
    dispersion: Literal["sd", "se"] = "sd",
    confidence: float = 0.95,
    ci_method: CiMethod = "noncentral_t",
    scale_min: float | None = None,
    scale_max: float | None = None,
    reference_sd: float | None = None,
    max_plausible_g: float = 3.0,
    label: str = "score",
    comparator: str = "control arm (as published)",
) -> Estimate:
    """Hedges' g from published means, SDs or SEs and group sizes, with plausibility flags.

    Parameters
    ----------
    mean_treated, dispersion_treated, n_treated : float, float, int
        Published summary of the treated arm.
    mean_control, dispersion_control, n_control : float, float, int
        Published summary of the control arm.
    direction : Direction
        Which way is better on the instrument.
    dispersion : {"sd", "se"}
        What the publication calls its dispersion; SEs are converted with SD = SE·√n.
    confidence : float
        Confidence level.
    ci_method : {"noncentral_t", "normal"}
        Interval method for d (see :func:`cohens_d`), scaled by J.
    scale_min, scale_max, reference_sd : float, optional
        Used by :func:`check_dispersion`.
    max_plausible_g : float
        |g| above this is flagged as implausibly large for behavioural outcomes.
    label, comparator : str
        Words for the quantity and the control arm.

    Returns
    -------
    Estimate
        Hedges' g with interval. Every plausibility flag becomes a caveat; the codes are in
        ``details["flags"]``.

    Notes
    -----
    Same formulas as :func:`hedges_g` applied to the summaries. Missing data: none — the
    function refuses NaN inputs.

    References
    ----------
    Borenstein M et al. *Introduction to Meta-Analysis*. Wiley, 2009, ch. 4.

    Examples
    --------
    >>> from neuroregen.stats import Direction
    >>> est = effect_size_from_summary(-8.0, 2.1, 30, -3.0, 2.0, 30,
    ...     direction=Direction.HIGHER_IS_WORSE, reference_sd=10.0, label="ABC change")
    >>> round(est.estimate, 2), est.details["flags"]
    (-2.4, ('sd_looks_like_se', 'sd_looks_like_se'))
    """
    conf = check_confidence(confidence)
    values = (mean_treated, dispersion_treated, mean_control, dispersion_control)
    if any(not math.isfinite(v) for v in values):
        raise ValueError("summary statistics must be finite numbers")
    n_t, n_c = int(n_treated), int(n_control)
    s_t = dispersion_treated * math.sqrt(n_t) if dispersion == "se" else dispersion_treated
    s_c = dispersion_control * math.sqrt(n_c) if dispersion == "se" else dispersion_control
    flags = (
        *check_dispersion(
            mean_treated,
            dispersion_treated,
            n_t,
            kind=dispersion,
            scale_min=scale_min,
            scale_max=scale_max,
            reference_sd=reference_sd,
            group="treated arm",
        ),
        *check_dispersion(
            mean_control,
            dispersion_control,
            n_c,
            kind=dispersion,
            scale_min=scale_min,
            scale_max=scale_max,
            reference_sd=reference_sd,
            group="control arm",
        ),
    )
    g, low, high, details = _smd(
        mean_treated,
        s_t,
        n_t,
        mean_control,
        s_c,
        n_c,
        confidence=conf,
        ci_method=ci_method,
        corrected=True,
    )
    if abs(g) > max_plausible_g:
        flags = (
            *flags,
            DispersionFlag(
                "implausibly_large_effect",
                f"|g| = {abs(g):.2f} exceeds {max_plausible_g:g}, rare for behavioural "
                "outcomes: check whether the dispersions are standard errors",
            ),
        )
    details.update(
        {
            "dispersion_reported_as": dispersion,
            "flags": tuple(f.code for f in flags),
            **_improvement(direction, g, low, high),
        }
    )
    n = n_t + n_c
    return Estimate(
        quantity=text(
            "standardized mean difference (Hedges' g) from published summaries, {label}",
            label=label,
        ),
        estimate=g,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method=f"Hedges' g from summary data; {_CI_TEXT[ci_method]}; interval scaled by J",
        comparator=comparator,
        caveats=(*size_caveats(n), *(f.message for f in flags)),
        details=details,
    )
